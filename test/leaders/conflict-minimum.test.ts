// A declared conflict of interest takes a member out of a case's panel (walk s34, lead): the call's
// minimum of complete scorecards counts only those who can still score it, or the leader could never
// decide a case on a small panel (2 required, 2 on the panel, 1 declared: waiting for ever).
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Evaluation } from '../../models/evaluation.ts';
import { PanelConflict } from '../../models/panel-conflict.ts';
import { panelScores } from '../../server/evaluations/decision.ts';

describe('leaders: the panel minimum after a declared conflict of interest', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(async () => {
    await t?.close();
  });

  it("asks what the rest of the panel can give (never fewer than one), and the call's own minimum otherwise", async () => {
    const institute = await createInstitute();
    const leader = await createUser({ role: 'leader', institute });
    const call = await createCall({ institute, minScorecards: 2 });
    const member = await createUser({ role: 'hr_officer', institute, panelCalls: [call._id] });
    const applicant = await createUser({ role: 'applicant' });
    const kase = await createCase({ applicant, call, stage: 'evaluation' });
    await Evaluation.create({ case: kase._id, call: call._id, member: leader._id, scores: { research: 4, fit: 3 }, recommendation: 'yes', submittedAt: new Date() });
    // Panel of two, both able to score: the call's 2.
    expect(await panelScores({ call, caseId: kase._id })).to.include({ complete: 1, required: 2 });
    await PanelConflict.create({ case: kase._id, call: call._id, member: member._id, reason: 'A former doctoral student of mine.', declaredAt: new Date() });
    // One left who can score it, and they have.
    expect(await panelScores({ call, caseId: kase._id })).to.include({ complete: 1, required: 1 });
    // Everyone conflicted: still one (a decision is never taken on no score at all).
    await PanelConflict.create({ case: kase._id, call: call._id, member: leader._id, reason: 'My co-author on two papers.', declaredAt: new Date() });
    expect((await panelScores({ call, caseId: kase._id })).required).to.equal(1);
  });
});
