// Drill: the queue's kept rows (server/cases/queue.ts keptRows, kept 5 s per filter) with two web
// processes (WEB_WORKERS=2) on one database. Both processes keep the same filter's page; a case
// written through one (HR returns it to the queue) must show on the other's next page at once, not
// after its kept rows expire: the write is announced (models/watch-writes.ts, server/web-workers.ts).
// Checked over HTTP, each page on a connection of its own (node:cluster hands each to the next process).
import { expect } from 'chai';
import { WebClient, csrfIn } from '../../scripts/support/web-client.ts';
import { until } from './support/app-process.ts';
import { useDrill } from './support/drill.ts';
import { getOnNewConnection, servedBy } from './support/web-processes.ts';

describe('drill: the queue’s kept rows with two web processes', function () {
  this.timeout(240_000);
  const drill = useDrill('queue-workers');

  it('a case returned to the queue through one process is on the other’s kept page at once, every time', async () => {
    const env = drill.env({ WEB_WORKERS: '2' });
    const seeded = await drill.seed(env, { applicants: 4, stage: 'submitted' });
    await drill.boot(env);
    await drill.app().waitForLog(/"msg":"web processes serving"/);
    const hr = new WebClient(drill.app().url, 10_000);
    await hr.signIn(seeded.hr.email, seeded.password, seeded.hr.totpSecret);
    const queue = '/cases?assignee=unassigned';
    const link = (caseId: string) => `href="/cases/${caseId}"`;

    for (const [round, { caseId }] of seeded.applicants.entries()) {
      // Both processes keep the unassigned page (every seeded case is assigned to the officer).
      let mark = drill.app().output().length;
      for (let i = 0; i < 4; i += 1) {
        const page = await getOnNewConnection(drill.app().url, queue, hr.cookieHeader());
        expect(page.status).to.equal(200);
        expect(page.text, `round ${round}: not yet unassigned`).not.to.include(link(caseId));
      }
      await until('both web processes served the page', 5_000, () => servedBy(drill.app().output(), mark, queue).size === 2);
      // Returned to the queue through one process…
      const casePage = await hr.get(`/cases/${caseId}`);
      const res = await hr.postForm(`/cases/${caseId}/assign`, csrfIn(casePage.text), { assignee: '' });
      expect(res.status, `round ${round}: unassigned`).to.equal(303);
      // …every process's next page has it.
      mark = drill.app().output().length;
      for (let i = 0; i < 4; i += 1) {
        const page = await getOnNewConnection(drill.app().url, queue, hr.cookieHeader());
        expect(page.text, `round ${round}, page ${i + 1} after the write`).to.include(link(caseId));
      }
      await until('both web processes served it', 5_000, () => servedBy(drill.app().output(), mark, queue).size === 2);
    }
    expect(await drill.app().stop()).to.equal(0);
  });
});
