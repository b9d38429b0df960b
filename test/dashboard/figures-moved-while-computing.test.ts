// A computation of the dashboard's figures that ran while a step moved the stored stage counts
// (applyStageMove) stores counts that may or may not hold that step, over the moved ones. Most steps
// mark nothing themselves (only decisions do), so without a mark such counts stayed until FRESH_MS.
// The computation now marks its figures stale when a move landed after it began: the job recomputes
// them at its next run. Real database; the move is written between the computation's start and its store.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { DashboardFigures } from '../../models/dashboard-figures.ts';
import { clearDashboardCache } from '../../server/dashboard/index.ts';
import { computeFigures, figuresKey, outdated } from '../../server/dashboard/stored.ts';
import { makeWorld, applicantCase, type World } from '../leaders/context.ts';

describe('dashboard: figures computed while a step moved the stored counts', function () {
  this.timeout(60_000);
  let t: TestApp;
  let w: World;
  before(async () => {
    t = await startTestApp();
    await clearDashboardCache();
    w = await makeWorld();
    await applicantCase(w.call, 'evaluation');
  });
  after(async () => {
    await clearDashboardCache();
    await t?.close();
  });

  const filter = () => ({ institute: w.instituteId });

  it('a move after the computation began: its figures are stored and marked stale (recomputed at the next run)', async () => {
    const key = figuresKey(filter());
    const computing = computeFigures(filter(), new Date());
    // The step's move, after the computation's start (its lease is taken first on this connection).
    await new Promise((r) => setTimeout(r, 1));
    await DashboardFigures.updateOne({ key }, { $set: { movedAt: new Date() } }, { upsert: true }).exec();
    const stored = await computing;
    expect(stored, 'computed').to.not.equal(undefined);
    const doc = (await DashboardFigures.findOne({ key }).lean())!;
    expect(doc.computedAt!.getTime()).to.equal(stored!.computedAt.getTime());
    expect(doc.staleSince, 'marked after the store').to.be.instanceOf(Date);
    expect(outdated(doc, Date.now()), 'recomputed at the next run').to.equal(true);
  });

  it('no move meanwhile: the figures stored are current (no mark)', async () => {
    await clearDashboardCache();
    const key = figuresKey(filter());
    const stored = await computeFigures(filter(), new Date());
    expect(stored).to.not.equal(undefined);
    const doc = (await DashboardFigures.findOne({ key }).lean())!;
    expect(!!doc.staleSince && doc.staleSince > doc.computedAt!, 'no stale mark').to.equal(false);
    expect(outdated(doc, Date.now())).to.equal(false);
  });
});
