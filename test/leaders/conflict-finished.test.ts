// A declared conflict of interest whose request stopped after the conflict row (the database gone,
// the process killed): the row carries its audit event (pendingAudits). The member's next submit
// withdraws the scorecard still counted and recomputes the score, the event recorded once; left
// alone, the repair job records it after the grace (drill panel-conflict-s35 over HTTP).
import { expect } from 'chai';
import { Types } from 'mongoose';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Evaluation } from '../../models/evaluation.ts';
import { PanelConflict } from '../../models/panel-conflict.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import { Case } from '../../models/case.ts';
import { systemContext, type Context } from '../../server/context.ts';
import { pendingAudit } from '../../server/audit/index.ts';
import { declareConflict, recordPendingConflictAudits } from '../../server/evaluations/index.ts';
import { PENDING_AUDIT_GRACE_MS } from '../../server/audit/pending-carrier.ts';
import type { UserDoc } from '../../models/user.ts';
import { documentStores, eraseCaseFiles } from '../../server/privacy/erase.ts';

describe('leaders: a conflict declaration that stopped after its row is finished', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(async () => {
    await t?.close();
  });

  const ctxOf = (member: UserDoc, now = new Date()): Context => ({ ...systemContext({ now, locale: 'en', actor: member.toObject() as never }), ip: '203.0.113.9', requestId: `req-${new Types.ObjectId()}` });

  /** A panel of two who both scored, and the row a stopped declaration left: its event still on it, the scorecard still there. */
  async function leftHalf() {
    const institute = await createInstitute();
    const leader = await createUser({ role: 'leader', institute });
    const call = await createCall({ institute });
    const member = await createUser({ role: 'hr_officer', institute, panelCalls: [call._id] });
    const applicant = await createUser({ role: 'applicant' });
    const kase = await createCase({ applicant, call, stage: 'evaluation' });
    for (const [m, research] of [[leader, 5], [member, 1]] as const) await Evaluation.create({ case: kase._id, call: call._id, member: m._id, scores: { research, fit: 5 }, recommendation: 'yes', submittedAt: new Date() });
    const at = new Date(Date.now() - 60_000);
    const event = pendingAudit(ctxOf(member, at), { action: 'evaluation.conflict', targetType: 'case', targetId: String(kase._id), summary: { call: String(call._id), withdrawn: true } });
    await PanelConflict.create({ case: kase._id, call: call._id, member: member._id, reason: 'A former doctoral student of mine.', declaredAt: at, pendingAudits: [event] });
    return { call, member, kase };
  }

  it('the member’s next submit withdraws the scorecard, recomputes the score and records the event once', async () => {
    const { call, member, kase } = await leftHalf();
    const twice = await Promise.all([1, 2].map(() => declareConflict({ ctx: ctxOf(member), caseId: String(kase._id), callId: String(call._id), reason: 'A former doctoral student of mine.' })));
    expect(twice.map((r) => r.created), 'the row was there').to.deep.equal([false, false]);
    expect(await Evaluation.countDocuments({ case: kase._id, member: member._id }), 'withdrawn').to.equal(0);
    expect((await Case.findById(kase._id).lean())!.score, 'the leader’s scorecard alone').to.be.above(4);
    expect(await AuditEvent.countDocuments({ action: 'evaluation.conflict', targetId: String(kase._id) }), 'audited once').to.equal(1);
    const row = await PanelConflict.findOne({ case: kase._id }).select('+pendingAudits').lean();
    expect(row!.pendingAudits ?? [], 'nothing left on the row').to.deep.equal([]);
  });

  it('left alone, the repair records the event after the grace, once', async () => {
    const { kase } = await leftHalf();
    const later = new Date(Date.now() + PENDING_AUDIT_GRACE_MS);
    await recordPendingConflictAudits({ now: later });
    await recordPendingConflictAudits({ now: later });
    const events = await AuditEvent.find({ action: 'evaluation.conflict', targetId: String(kase._id) }).lean();
    expect(events.map((e) => e.targetType)).to.deep.equal(['case']);
  });

  it('erasing the case within the grace records the event its declaration still carries first: the row goes, the event stays, once', async () => {
    const { kase } = await leftHalf();
    await eraseCaseFiles(documentStores(t.ctx), kase._id);
    expect(await PanelConflict.countDocuments({ case: kase._id }), 'erased').to.equal(0);
    const events = await AuditEvent.find({ action: 'evaluation.conflict', targetId: String(kase._id) }).lean();
    expect(events).to.have.length(1);
    expect(events[0]!.summary).to.deep.include({ recordedBeforeErasure: true });
    await eraseCaseFiles(documentStores(t.ctx), kase._id);
    await recordPendingConflictAudits({ now: new Date(Date.now() + PENDING_AUDIT_GRACE_MS) });
    expect(await AuditEvent.countDocuments({ action: 'evaluation.conflict', targetId: String(kase._id) }), 'once').to.equal(1);
  });
});
