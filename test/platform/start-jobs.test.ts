// The start-time jobs (server/services.ts): a job that follows the start's work (the dashboards'
// warming, server/dashboard/job.ts) waits for the first runs of the jobs that run soon after start,
// not for upkeep whose first run is hours away (the 6-hourly repair of the documents-to-check flag
// held the warming to its 10-minute cap).
import { expect } from 'chai';
import { START_TIME_JOB_MS, firstRunsOfOthers, periodicService } from '../../server/services.ts';
import type { AppContext } from '../../server/deps.ts';

describe('platform: start-time jobs', () => {
  it('a job that follows the start waits for the soon ones only, and goes on once they have run', async () => {
    const logged: string[] = [];
    const app = { logger: { info: (_o: unknown, m: string) => logged.push(m), debug: () => undefined, error: () => undefined } } as unknown as AppContext;
    const suffix = Math.random().toString(36).slice(2);
    const before = firstRunsOfOthers(`waiter-${suffix}`).length;
    let soonRan = false;
    const soon = periodicService(app, { name: `soon-${suffix}`, intervalMs: 3_600_000, firstDelayMs: 10, run: async () => void (soonRan = true) });
    const upkeep = periodicService(app, { name: `upkeep-${suffix}`, intervalMs: 6 * 3_600_000, firstDelayMs: 6 * 3_600_000, run: async () => undefined });
    const edge = periodicService(app, { name: `edge-${suffix}`, intervalMs: 3_600_000, firstDelayMs: START_TIME_JOB_MS + 1, run: async () => undefined });
    soon.start();
    upkeep.start();
    edge.start();
    try {
      const waited = firstRunsOfOthers(`waiter-${suffix}`);
      expect(waited.length - before, 'only the soon job is waited for').to.equal(1);
      const settled = await Promise.race([Promise.all(waited.slice(before)).then(() => true), new Promise((r) => setTimeout(() => r(false), 5_000))]);
      expect(settled, 'the wait ends once the soon job has run').to.equal(true);
      expect(soonRan).to.equal(true);
    } finally {
      await Promise.all([soon.stop(), upkeep.stop(), edge.stop()]);
    }
  });
});
