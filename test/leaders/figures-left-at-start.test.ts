// Figures a leader finds computed before this process started (left by a process that was killed
// or restarted; the dashboard job's start marks them stale) are computed when the page asks for
// them, not a minute later after the start-time jobs (drill dashboard-restart-s35: 61 s of
// "updating"), and only one such computation at a time in a process: two institutes' pages at once,
// one waits for its figures, the other shows the stored ones saying they are updating. Figures
// merely older than FRESH_MS are left to the job.
import { expect } from 'chai';
import type { Types } from 'mongoose';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { DashboardFigures } from '../../models/dashboard-figures.ts';
import { clearDashboardCache } from '../../server/dashboard/index.ts';
import { computeFigures, figuresKey, readFigures } from '../../server/dashboard/stored.ts';

describe('leaders: dashboard figures left by an earlier process, recomputed on the page, one at a time', function () {
  this.timeout(30_000);
  let t: TestApp;
  const institutes: Types.ObjectId[] = [];

  before(async () => {
    t = await startTestApp();
    await clearDashboardCache();
    for (let i = 0; i < 2; i += 1) {
      const inst = await createInstitute();
      const call = await createCall({ institute: inst._id, track: 'expert', status: 'open' });
      const applicant = await createUser({ role: 'applicant' });
      await createCase({ applicant: applicant._id, call, stage: 'submitted', submittedAt: new Date('2026-01-10T02:00:00Z'), history: [] });
      institutes.push(inst._id);
    }
  });
  after(async () => {
    await clearDashboardCache();
    await t?.close();
  });

  /** Stored figures for the institute as an earlier process left them: computed a year ago, marked stale at this start. */
  const leftByEarlierProcess = async (institute: Types.ObjectId) => {
    await computeFigures({ institute }, new Date());
    const long = new Date(Date.now() - 365 * 86_400_000);
    await DashboardFigures.updateOne({ key: figuresKey({ institute }) }, { $set: { computedAt: long, staleSince: new Date(), 'data.total': 99 } });
  };

  it('computes them for the page that asks, one institute at a time; the other page says they are updating', async () => {
    await clearDashboardCache();
    for (const i of institutes) await leftByEarlierProcess(i);
    const [first, second] = await Promise.all(institutes.map((institute) => readFigures({ filter: { institute }, now: new Date() })));
    const fresh = [first!, second!].filter((r) => !r.updating);
    const waiting = [first!, second!].filter((r) => r.updating);
    expect([fresh.length, waiting.length], 'one computed on demand, one left to the job').to.deep.equal([1, 1]);
    expect(fresh[0]!.figures!.data.total, 'the recomputed figures').to.equal(1);
    expect(waiting[0]!.figures!.data.total, 'the stored ones, said to be updating').to.equal(99);
  });

  it('leaves figures of this process that are merely old to the job', async () => {
    await clearDashboardCache();
    const institute = institutes[0]!;
    await computeFigures({ institute }, new Date());
    await DashboardFigures.updateOne({ key: figuresKey({ institute }) }, { $set: { staleSince: new Date(Date.now() + 1000), 'data.total': 42 } });
    const read = await readFigures({ filter: { institute }, now: new Date() });
    expect([read.updating, read.figures!.data.total]).to.deep.equal([true, 42]);
  });
});
