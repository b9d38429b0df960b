// Every change of a case's stage moves it between the dashboard's stored stage counts at once, not
// only a leader's or HR's decision (test/leaders/figures-own-decision.test.ts): the applicant's
// acceptance of an offer (through its confirmation page), an applicant's withdrawal, HR's own steps
// and a submission (a case entering the counts). All go through the workflow's one stage-move
// (server/workflow/index.ts transition → server/dashboard/stored.ts applyStageMove).
import { expect } from 'chai';
import { Types } from 'mongoose';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { createUser } from '../support/factories.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { DashboardFigures } from '../../models/dashboard-figures.ts';
import { clearDashboardCache } from '../../server/dashboard/index.ts';
import { figuresKey } from '../../server/dashboard/stored.ts';
import { warmDashboards, refreshViewedDashboards } from '../../server/dashboard/job.ts';
import { transition } from '../../server/workflow/index.ts';
import { actorContext } from '../workflow/context.ts';
import { signedIn, page, post, versionIn } from '../applications/support.ts';
import { makeWorld, applicantCase, type World } from './context.ts';
import type { UserDoc } from '../../models/user.ts';

type Row = { stage: string; now: number; reached: number };

describe('leaders: every stage change moves the stored stage counts at once', function () {
  this.timeout(60_000);
  let t: TestApp;
  let w: World;
  let hr: UserDoc;
  before(async () => {
    t = await startTestApp();
    await clearDashboardCache();
    w = await makeWorld();
    hr = await createUser({ role: 'hr_officer', institute: w.instituteId, name: 'Officer Moves' });
  });
  after(async () => {
    await clearDashboardCache();
    await t?.close();
  });

  async function stored(): Promise<{ stages: Map<string, Row>; total: number; computedAt: number }> {
    const doc = (await DashboardFigures.findOne({ key: figuresKey({ institute: w.instituteId }) }).lean())!;
    const data = doc.data as { stages: Row[]; total: number };
    return { stages: new Map(data.stages.map((r) => [r.stage, r])), total: data.total, computedAt: doc.computedAt!.getTime() };
  }
  const nowIn = (s: Awaited<ReturnType<typeof stored>>, stage: string) => s.stages.get(stage)?.now ?? 0;

  /** Recomputes the stored figures (a view first, so the job keeps them), then reads them. */
  async function recomputed() {
    await DashboardFigures.updateMany({}, { $set: { staleSince: new Date(), viewedAt: new Date() } });
    await refreshViewedDashboards({ now: () => new Date() });
    return stored();
  }

  it("moves an applicant's acceptance of an offer (offer → onboarding) on its confirmation, without a recomputation", async () => {
    const { applicant, kase } = await applicantCase(w.call, 'offer', { offerTerms: { position: 'Senior researcher', letter: new Types.ObjectId() }, submittedAt: new Date('2026-11-02T03:00:00Z') });
    await warmDashboards({ now: () => new Date() });
    const before = await stored();
    expect(nowIn(before, 'offer')).to.equal(1);

    const a = await signedIn(t, applicant);
    const confirm = await page(a, `/applications/${kase._id}/offer/accept`);
    expect(confirm.status).to.equal(200);
    const res = await post(a, confirm.text, `/applications/${kase._id}/offer/accept`, { version: versionIn(confirm.text, `/applications/${kase._id}/offer/accept`) });
    expect(res.status).to.equal(303);
    expect((await Case.findById(kase._id).lean())!.stage).to.equal('onboarding');

    const after = await stored();
    expect(after.computedAt, 'not recomputed').to.equal(before.computedAt);
    expect(nowIn(after, 'offer'), 'out of offer').to.equal(0);
    expect(nowIn(after, 'onboarding'), 'into onboarding').to.equal(1);
    expect(after.stages.get('onboarding')!.reached).to.equal(1);
    expect(after.total).to.equal(before.total);
    // The recomputation agrees with the move.
    const again = await recomputed();
    expect(nowIn(again, 'offer')).to.equal(0);
    expect(nowIn(again, 'onboarding')).to.equal(1);
    expect(again.stages.get('onboarding')!.reached).to.equal(1);
  });

  it("moves HR's own steps and an applicant's withdrawal, and counts a submitted case at once", async () => {
    const { kase: submitted } = await applicantCase(w.call, 'submitted', { submittedAt: new Date('2026-11-03T03:00:00Z') });
    const { applicant: leaver, kase: screening } = await applicantCase(w.call, 'screening', { submittedAt: new Date('2026-11-03T03:00:00Z') });
    // A call asking for no documents: the factory's draft is complete and can be submitted.
    const openCall = await createCall({ institute: w.instituteId, status: 'open', checklist: [] });
    const newcomer = await createUser({ role: 'applicant', locale: 'en' });
    const draft: CaseDoc = await createCase({ applicant: newcomer._id, call: openCall, stage: 'draft' });
    await recomputed();
    const before = await stored();

    // HR starts the screening (submitted → screening).
    await transition({ app: t.ctx, ctx: actorContext(t.ctx, hr), caseId: submitted._id, action: 'start_screening', expectedVersion: submitted.version });
    // The applicant withdraws (screening → withdrawn).
    await transition({ app: t.ctx, ctx: actorContext(t.ctx, leaver), caseId: screening._id, action: 'withdraw', expectedVersion: screening.version });
    const moved = await stored();
    expect(moved.computedAt, 'not recomputed').to.equal(before.computedAt);
    expect(nowIn(moved, 'submitted')).to.equal(nowIn(before, 'submitted') - 1);
    expect(nowIn(moved, 'screening')).to.equal(nowIn(before, 'screening') + 1 - 1);
    expect(nowIn(moved, 'withdrawn')).to.equal(nowIn(before, 'withdrawn') + 1);
    expect(moved.stages.get('withdrawn')!.reached).to.equal((before.stages.get('withdrawn')?.reached ?? 0) + 1);

    // A submission: the case enters the counts (drafts are not counted) in its stage and in the total.
    await transition({ app: t.ctx, ctx: actorContext(t.ctx, newcomer), caseId: draft._id, action: 'submit', expectedVersion: draft.version });
    expect((await Case.findById(draft._id).lean())!.stage).to.equal('submitted');
    const entered = await stored();
    expect(entered.computedAt, 'not recomputed').to.equal(before.computedAt);
    expect(nowIn(entered, 'submitted')).to.equal(nowIn(moved, 'submitted') + 1);
    expect(entered.stages.get('submitted')!.reached).to.equal(moved.stages.get('submitted')!.reached + 1);
    expect(entered.total).to.equal(moved.total + 1);

    // And the recomputation agrees with every move.
    const again = await recomputed();
    for (const s of ['submitted', 'screening', 'withdrawn']) expect(nowIn(again, s), s).to.equal(nowIn(entered, s));
    expect(again.total).to.equal(entered.total);
  });
});
