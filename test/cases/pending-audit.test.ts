// A change of a case carries its audit event(s) in the case's own update (server/cases/pending-audit.ts),
// so an audit insert that never happens (the process killed, the database failing between the two
// writes) leaves the event on the case for the repair, never an unaudited change. Here in process:
// the audit insert (or the clearing) is made to fail at the driver's door (a listener on Mongoose's
// 'operation-start', which throws before the command is sent; the real SIGKILL is
// test/drills/case-audit-crash.test.ts), through the real services; then the repair is run as the
// background job runs it.
import { expect } from 'chai';
import { Types } from 'mongoose';
import { useTestApp, type TestApp } from '../support/app.ts';
import { auditInsert, failNext, type Op } from '../support/fail-next.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { holdReviewDay } from '../support/hold.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import { systemContext, type Context } from '../../server/context.ts';
import { transition } from '../../server/workflow/index.ts';
import { takeHrDecision } from '../../server/cases/decision.ts';
import { bulkAssign } from '../../server/cases/commands.ts';
import { PENDING_AUDIT_GRACE_MS, recordPendingCaseAudits } from '../../server/cases/pending-audit.ts';
import type { PendingAudit } from '../../server/audit/index.ts';

const clearing = (op: Op) => op.collectionName === 'cases' && /^update(One|Many)$/.test(op.method) && !!(op.params[1] as { $pull?: { pendingAudits?: unknown } } | undefined)?.$pull?.pendingAudits;

const pendingOf = async (c: { _id: unknown }) => ((await Case.findById(c._id).select('+pendingAudits').lean())!.pendingAudits ?? []) as unknown as PendingAudit[];

describe('cases: a change and its audit event are written together, so no failure leaves the change unaudited', function () {
  this.timeout(60_000);
  let t!: TestApp;
  useTestApp((app) => (t = app));
  let hr!: UserDoc;
  let call!: CallDoc;

  const requestOf = (actor: UserDoc, now = new Date()): Context => ({ ...systemContext({ now, locale: 'en', actor: actor.toObject() as never }), ip: '203.0.113.9', requestId: `req-${new Types.ObjectId()}` });
  const newCase = async (stage: 'submitted' | 'screening' = 'screening') => createCase({ applicant: await createUser({ role: 'applicant' }), call, stage, assignee: hr._id });
  const hold = (ctx: Context, c: CaseDoc) => takeHrDecision({ app: t.ctx, ctx, caseDoc: c, action: 'put_on_hold', version: c.version, payload: { reason: 'Waiting for the ministry.', reviewBy: holdReviewDay(ctx.now) } });

  before(async () => {
    const institute = await createInstitute();
    hr = await createUser({ role: 'hr_officer', institute });
    call = await createCall({ institute, checklist: [] });
  });

  it('a finished step records its events once and leaves none on the case; no page read or returned case carries them, and the clearing moves neither version nor updatedAt', async () => {
    const c = await newCase('submitted');
    const updated = await transition({ app: t.ctx, ctx: requestOf(hr), caseId: c._id, action: 'start_screening', expectedVersion: c.version });
    expect(updated.toObject(), 'the case the step returns').to.not.have.property('pendingAudits');
    const events = await AuditEvent.find({ targetId: String(c._id), action: 'case.transition' }).lean();
    expect(events).to.have.length(1);
    expect(events[0]!.summary).to.deep.include({ action: 'start_screening', from: 'submitted', to: 'screening', version: c.version + 1, reference: c.reference });
    expect(events[0]!.summary).to.not.have.property('recordedByRepair');
    expect(await pendingOf(c)).to.deep.equal([]);
    const page = (await Case.findById(c._id).lean())!;
    expect(page, 'a lean page read').to.not.have.property('pendingAudits');
    expect(page.version).to.equal(updated.version);
    expect(page.updatedAt!.getTime(), 'clearing is not a change of the case').to.equal(updated.updatedAt!.getTime());
  });

  it('an audit insert failing after the step’s write leaves the step and both its events (step, decision) on the case; the repair records them once, as captured, after the grace only', async () => {
    const c = await newCase();
    const ctx = requestOf(hr);
    const fault = failNext(auditInsert);
    try {
      await hold(ctx, c).then(
        () => expect.fail('the request fails with its audit insert'),
        (err: Error) => expect(err.message).to.match(/auditevents\.insertOne failed/),
      );
    } finally {
      fault.stop();
    }
    const after = (await Case.findById(c._id).lean())!;
    expect(after.stage, 'the step stands').to.equal('on_hold');
    expect(after.version).to.equal(c.version + 1);
    const left = await pendingOf(c);
    expect(left.map((e) => e.action)).to.deep.equal(['case.transition', 'case.decision']);
    expect(await AuditEvent.countDocuments({ targetId: String(c._id) }), 'unaudited for now').to.equal(0);

    expect(await recordPendingCaseAudits({ now: ctx.now }), 'a request may still be finishing').to.deep.equal({ recorded: 0, cleared: 0 });
    const later = new Date(ctx.now.getTime() + PENDING_AUDIT_GRACE_MS + 1_000);
    const repaired = await recordPendingCaseAudits({ now: later });
    expect(repaired.recorded).to.be.at.least(2);

    const step = after.history.at(-1)!;
    const [transitionEvent, ...moreTransitions] = await AuditEvent.find({ targetId: String(c._id), action: 'case.transition' }).lean();
    expect(moreTransitions).to.have.length(0);
    expect(String(transitionEvent!._id), 'stored under the id it was captured with').to.equal(String(left[0]!.eventId));
    expect(transitionEvent).to.deep.include({ targetType: 'case', actorRole: 'hr_officer', ip: '203.0.113.9', requestId: ctx.requestId });
    expect(String(transitionEvent!.actor)).to.equal(String(hr._id));
    expect(String(transitionEvent!.case), 'the audit log’s case filter finds it').to.equal(String(c._id));
    expect(transitionEvent!.at.getTime(), 'the step’s time, as its history says').to.equal(step.at.getTime());
    expect(transitionEvent!.summary).to.deep.include({ action: 'put_on_hold', from: 'screening', to: 'on_hold', version: after.version, reference: c.reference, recordedByRepair: true });
    const decisions = await AuditEvent.find({ targetId: String(c._id), action: 'case.decision' }).lean();
    expect(decisions).to.have.length(1);
    expect(decisions[0]!.summary).to.deep.include({ decision: 'put_on_hold', reason: 'Waiting for the ministry.', reference: c.reference, from: 'screening', to: 'on_hold', version: after.version, recordedByRepair: true });
    expect((decisions[0]!.summary as { decidedAt: Date }).decidedAt.getTime()).to.equal(step.at.getTime());

    const cleared = (await Case.findById(c._id).lean())!;
    expect(await pendingOf(c)).to.deep.equal([]);
    expect(cleared.version, 'the repair is no change of the case').to.equal(after.version);
    expect(cleared.updatedAt!.getTime()).to.equal(after.updatedAt!.getTime());
    // Run again: nothing more.
    await recordPendingCaseAudits({ now: later });
    expect(await AuditEvent.countDocuments({ targetId: String(c._id) })).to.equal(2);
  });

  it('two repairs at once record each left event once; an event recorded before its clearing failed is only cleared', async () => {
    const cases = [await newCase(), await newCase(), await newCase()];
    const ctx = requestOf(hr);
    for (const c of cases) {
      const fault = failNext(auditInsert);
      await hold(ctx, c).catch(() => undefined);
      fault.stop();
      expect(fault.failed()).to.equal(1);
    }
    const later = new Date(ctx.now.getTime() + PENDING_AUDIT_GRACE_MS + 1_000);
    const [a, b] = await Promise.all([recordPendingCaseAudits({ now: later }), recordPendingCaseAudits({ now: later })]);
    expect(a.recorded + b.recorded, 'each of the six events recorded by one of them').to.equal(6);
    for (const c of cases) {
      expect(await AuditEvent.countDocuments({ targetId: String(c._id) })).to.equal(2);
      expect(await pendingOf(c)).to.deep.equal([]);
    }

    // Recorded, then the clearing failed: the event stays on the case, recorded, and the repair only clears it.
    const c = await newCase();
    const fault = failNext(clearing);
    await hold(ctx, c).catch(() => undefined);
    fault.stop();
    expect(fault.failed()).to.equal(1);
    expect((await pendingOf(c)).map((e) => e.action)).to.deep.equal(['case.transition', 'case.decision']);
    const repaired = await recordPendingCaseAudits({ now: later });
    expect(repaired).to.deep.equal({ recorded: 0, cleared: 2 });
    const summaries = (await AuditEvent.find({ targetId: String(c._id) }).lean()).map((e) => e.summary as Record<string, unknown>);
    expect(summaries).to.have.length(2);
    expect(summaries.every((s) => !('recordedByRepair' in s)), 'the request’s own record stands').to.equal(true);
    expect(await pendingOf(c)).to.deep.equal([]);
  });

  it('a bulk assignment pushes one event on every case it changes: the repair records it once, for all of them', async () => {
    const colleague = await createUser({ role: 'hr_officer', institute: call.institute });
    const cases = [await newCase(), await newCase(), await newCase()];
    const ctx = requestOf(hr);
    const fault = failNext(auditInsert);
    await bulkAssign({ ctx, caseIds: cases.map((c) => String(c._id)), assigneeId: String(colleague._id) }).then(
      () => expect.fail('the request fails with its audit insert'),
      () => undefined,
    );
    fault.stop();
    for (const c of cases) {
      const fresh = (await Case.findById(c._id).lean())!;
      expect(String(fresh.assignee), 'the assignment stands').to.equal(String(colleague._id));
      expect((await pendingOf(c)).map((e) => e.action)).to.deep.equal(['case.bulk_assign']);
    }
    const repaired = await recordPendingCaseAudits({ now: new Date(ctx.now.getTime() + PENDING_AUDIT_GRACE_MS + 1_000) });
    expect(repaired).to.deep.equal({ recorded: 1, cleared: 2 });
    const events = await AuditEvent.find({ action: 'case.bulk_assign', actor: hr._id }).lean();
    expect(events).to.have.length(1);
    expect(events[0]!.targetId).to.equal(cases.map((c) => String(c._id)).join(','));
    expect(events[0]!.summary).to.deep.equal({ assignee: String(colleague._id), requested: 3, recordedByRepair: true });
    for (const c of cases) expect(await pendingOf(c)).to.deep.equal([]);
  });
  it('one malformed event left on a case (an id that is no ObjectId) does not stop the repair of the others: it stays, is counted and logged', async () => {
    const ctx = requestOf(hr);
    const good = await newCase();
    const fault = failNext(auditInsert);
    await hold(ctx, good).catch(() => undefined);
    fault.stop();
    const bad = await newCase();
    await Case.collection.updateOne({ _id: bad._id }, { $set: { pendingAudits: [{ eventId: 'NOT-AN-OBJECT-ID', action: 'case.transition', at: ctx.now, decidedAt: ctx.now }] } });
    const later = new Date(ctx.now.getTime() + PENDING_AUDIT_GRACE_MS + 1_000);
    const logged: Array<{ obj: Record<string, unknown>; msg: string }> = [];
    const logger = { warn: () => undefined, error: (obj: Record<string, unknown>, msg: string) => logged.push({ obj, msg }) } as never;
    try {
      const repaired = await recordPendingCaseAudits({ now: later, logger });
      expect(repaired.recorded).to.equal(2);
      expect(repaired.unrecordable).to.equal(1);
      expect(await AuditEvent.countDocuments({ targetId: String(good._id) })).to.equal(2);
      expect(await pendingOf(good)).to.deep.equal([]);
      expect((await pendingOf(bad)).map((e) => String(e.eventId)), 'kept as evidence').to.deep.equal(['NOT-AN-OBJECT-ID']);
      expect(logged.map((l) => [l.obj.carrierId, l.obj.eventId])).to.deep.equal([[String(bad._id), 'NOT-AN-OBJECT-ID']]);
    } finally {
      await Case.collection.updateOne({ _id: bad._id }, { $unset: { pendingAudits: '' } });
    }
  });
});
