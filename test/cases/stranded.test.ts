// The repair of what a crash between a role change (or a disabling) and the return of that person's
// cases leaves behind (server/cases/stranded.ts): the accounts are changed here as the first of the
// two writes leaves them, then the repair runs. Open cases held by someone disabled, no longer an HR
// officer, or of another institute than the case's go back to the queue with the history entry the
// normal path writes (by the system) and one audit event per person; everyone else keeps theirs; a
// second run, or two runs at once (two instances), change nothing more; the reads are index-backed;
// the background service runs it shortly after start.
import { expect } from 'chai';
import { Types } from 'mongoose';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case } from '../../models/case.ts';
import { User } from '../../models/user.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import type { CallDoc } from '../../models/call.ts';
import type { InstituteDoc } from '../../models/institute.ts';
import { systemContext } from '../../server/context.ts';
import { openCasesOf, returnStrandedCases } from '../../server/cases/stranded.ts';
import { strandedCasesService } from '../../server/cases/job.ts';
import { timeline } from '../../server/cases/present.ts';
import { translator } from '../../server/i18n/index.ts';
import { casesHeldBy, expectBackInQueue } from '../accounts/helpers.ts';

const repair = () => returnStrandedCases({ ctx: systemContext({ now: new Date() }) });

/** Every history entry and audit event about these cases and people, to show that nothing more was written. */
async function trail(caseIds: unknown[], people: unknown[]) {
  const cases = await Case.find({ _id: { $in: caseIds } }, { history: 1, assignee: 1 }).sort({ _id: 1 }).lean();
  const audits = await AuditEvent.countDocuments({ targetId: { $in: people.map(String) } });
  return { cases: cases.map((c) => ({ assignee: c.assignee ? String(c.assignee) : undefined, history: c.history.length })), audits };
}

describe('cases: open cases left with someone who can no longer hold them go back to the queue', function () {
  this.timeout(60_000);
  let t: TestApp;
  let instA: InstituteDoc;
  let instB: InstituteDoc;
  let callA: CallDoc;
  let callB: CallDoc;

  before(async () => {
    t = await startTestApp();
    instA = await createInstitute();
    instB = await createInstitute();
    callA = await createCall({ institute: instA._id });
    callB = await createCall({ institute: instB._id });
  });
  after(async () => {
    await t?.close();
  });

  it('returns the cases of someone disabled, made a leader, or moved to another institute (only the old one’s), as the normal path does; the others keep theirs; a second run changes nothing', async () => {
    const colleague = await createUser({ role: 'hr_officer', institute: instA._id });
    const lead = await createUser({ role: 'hr_officer', institute: instA._id, isHrLead: true });
    const disabled = await createUser({ role: 'hr_officer', institute: instA._id, name: 'Disabled Officer' });
    const promoted = await createUser({ role: 'hr_officer', institute: instA._id, name: 'Promoted Officer' });
    const moved = await createUser({ role: 'hr_officer', institute: instA._id, name: 'Moved Officer' });
    const ofDisabled = await casesHeldBy({ call: callA, holder: disabled, colleague, laterStage: 'offer' });
    const ofPromoted = await casesHeldBy({ call: callA, holder: promoted, colleague: lead, laterStage: 'evaluation' });
    const ofMoved = await casesHeldBy({ call: callA, holder: moved, colleague, laterStage: 'onboarding' });
    const applicant = await createUser({ role: 'applicant' });
    // A case of the institute they move to: theirs to keep.
    const movedKeeps = await createCase({ applicant, call: callB, stage: 'screening', assignee: moved });

    // What the first write of each change stored before the process died (the cases were not returned).
    await User.updateOne({ _id: disabled._id }, { $set: { disabledAt: new Date() }, $inc: { sessionEpoch: 1 } });
    await User.updateOne({ _id: promoted._id }, { $set: { role: 'leader', isHrLead: false }, $inc: { sessionEpoch: 1 } });
    await User.updateOne({ _id: moved._id }, { $set: { institute: instB._id }, $inc: { sessionEpoch: 1 } });

    const result = await repair();
    expect(result.holders).to.be.at.least(3);
    expect(result.cases).to.be.at.least(6);
    await expectBackInQueue(ofDisabled, { holder: disabled, colleague, by: 'system' }, { reason: 'account_disabled', name: 'Disabled Officer' });
    await expectBackInQueue(ofPromoted, { holder: promoted, colleague: lead, by: 'system' }, { reason: 'role_changed', name: 'Promoted Officer' });
    await expectBackInQueue(ofMoved, { holder: moved, colleague, by: 'system' }, { reason: 'role_changed', name: 'Moved Officer' });
    const kept = (await Case.findById(movedKeeps._id).lean())!;
    expect(String(kept.assignee), 'a case of their new institute stays theirs').to.equal(String(moved._id));
    expect(kept.history).to.have.length(movedKeeps.history.length);

    // One audit event per person, by the system, saying why and how many.
    const auditOf = async (u: { _id: unknown }) => AuditEvent.find({ action: 'user.cases_returned_to_queue', targetId: String(u._id) }).lean();
    const [a1, a2, a3] = [await auditOf(disabled), await auditOf(promoted), await auditOf(moved)];
    expect(a1.map((a) => a.summary)).to.deep.equal([{ reason: 'account_disabled', casesToQueue: 2 }]);
    expect(a2.map((a) => a.summary)).to.deep.equal([{ reason: 'role_changed', casesToQueue: 2 }]);
    expect(a3.map((a) => a.summary)).to.deep.equal([{ reason: 'role_changed', casesToQueue: 2, keptInstitute: String(instB._id) }]);
    expect(a1[0]).to.include({ actorRole: 'system', targetType: 'user' });
    expect(a1[0]!.actor).to.equal(undefined);

    // The case page words it as the normal path's entry, from the system.
    const stored = (await Case.findById(ofDisabled.open[0]!._id).lean())!;
    const [line] = timeline(stored.history as never, new Map(), translator('en'), { applicantId: applicant._id, forApplicant: false, locale: 'en' });
    expect(line).to.include({ who: 'System', note: 'The account of Disabled Officer was disabled by an administrator: the case is back in the queue, unassigned.' });

    // Everything is where it belongs now: the next run writes nothing.
    const all = [ofDisabled, ofPromoted, ofMoved].flatMap((h) => [...h.open, h.closed, h.theirs]).map((c) => c._id);
    const before = await trail([...all, movedKeeps._id], [disabled._id, promoted._id, moved._id]);
    expect(await repair()).to.deep.include({ holders: 0, cases: 0 });
    expect(await trail([...all, movedKeeps._id], [disabled._id, promoted._id, moved._id])).to.deep.equal(before);
  });

  it('returns each case once when two instances run it at the same moment', async () => {
    const colleague = await createUser({ role: 'hr_officer', institute: instB._id });
    const hr = await createUser({ role: 'hr_officer', institute: instB._id, name: 'Twice Repaired' });
    const held = await casesHeldBy({ call: callB, holder: hr, colleague, laterStage: 'shortlisted' });
    await User.updateOne({ _id: hr._id }, { $set: { disabledAt: new Date() } });
    await Promise.all([repair(), repair(), repair()]);
    await expectBackInQueue(held, { holder: hr, colleague, by: 'system' }, { reason: 'account_disabled', name: 'Twice Repaired' });
    const audits = await AuditEvent.find({ action: 'user.cases_returned_to_queue', targetId: String(hr._id) }).lean();
    expect(audits.map((a) => a.summary)).to.deep.equal([{ reason: 'account_disabled', casesToQueue: 2 }]);
  });

  it('leaves a case whose assignee has no account at all, and names it', async () => {
    const ghost = new Types.ObjectId();
    const c = await createCase({ applicant: await createUser({ role: 'applicant' }), call: callA, stage: 'screening', assignee: ghost });
    const result = await repair();
    expect(result.unknown).to.include(String(ghost));
    const stored = (await Case.findById(c._id).lean())!;
    expect(String(stored.assignee)).to.equal(String(ghost));
    expect(stored.history).to.have.length(c.history.length);
  });

  it('reads an institute’s open cases through an index, never the whole collection', async () => {
    const plan = await Case.find(openCasesOf(instA._id)).explain();
    const text = JSON.stringify(plan);
    expect(text).to.include('IXSCAN').and.include('institute_1_stage_1').and.not.include('COLLSCAN');
  });

  it('runs as a background service shortly after start, and stops cleanly', async () => {
    const colleague = await createUser({ role: 'hr_officer', institute: instA._id });
    const hr = await createUser({ role: 'hr_officer', institute: instA._id, name: 'Background Leaver' });
    const held = await casesHeldBy({ call: callA, holder: hr, colleague, laterStage: 'offer' });
    await User.updateOne({ _id: hr._id }, { $set: { role: 'admin' }, $unset: { institute: 1 } });
    const svc = strandedCasesService(t.ctx, { firstDelayMs: 10, intervalMs: 60_000 });
    expect(svc.name).to.equal('stranded-cases');
    svc.start();
    try {
      const until = Date.now() + 10_000;
      while ((await Case.exists({ _id: { $in: held.open.map((c) => c._id) }, assignee: hr._id })) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    } finally {
      await svc.stop();
    }
    await expectBackInQueue(held, { holder: hr, colleague, by: 'system' }, { reason: 'role_changed', name: 'Background Leaver' });
  });
});
