// Registers the repair of stranded cases (stranded.ts) with the background services started by
// main.ts: shortly after start, when a process killed between a role change or a disabling and the
// return of that person's cases has just been restarted, and then every 10 minutes (a crash of
// another instance, an assignment that crossed a disabling). Each run is a few index reads when
// there is nothing to repair.
import type { AppContext } from '../deps.ts';
import { systemContext } from '../context.ts';
import { periodicService, registerService, type BackgroundService } from '../services.ts';
import { returnStrandedCases } from './stranded.ts';

export const STRANDED_CASES_INTERVAL_MS = 10 * 60_000;
/** After the first requests (the start-time backfills wait 5 s too), and well before anyone misses the cases. */
export const STRANDED_CASES_FIRST_DELAY_MS = 5_000;

export function strandedCasesService(app: AppContext, opts: { intervalMs?: number; firstDelayMs?: number } = {}): BackgroundService {
  return periodicService(app, {
    name: 'stranded-cases',
    intervalMs: opts.intervalMs ?? STRANDED_CASES_INTERVAL_MS,
    firstDelayMs: opts.firstDelayMs ?? STRANDED_CASES_FIRST_DELAY_MS,
    run: async () => {
      const r = await returnStrandedCases({ ctx: systemContext({ now: app.now() }), logger: app.logger });
      // Something to repair means a crash or a race happened: worth a warning, with the figures.
      if (r.cases) app.logger.warn({ holders: r.holders, cases: r.cases }, 'open cases of people who can no longer hold them returned to the queue');
    },
  });
}

registerService((app) => strandedCasesService(app));
