// Optimistic concurrency and authorization of transitions: exactly one of two simultaneous steps
// wins, a stale form is refused with a message saying what happened, and a wrong role or someone
// else's case changes nothing.
import { expect } from 'chai';
import { holdReviewDay } from '../support/hold.ts';
import { loadCalendar, vnDateKey } from '../../server/calendar/index.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { transition, nextCaseReference } from '../../server/workflow/index.ts';
import { ConflictError, ForbiddenError, ValidationError, BadRequestError, NotFoundError } from '../../server/errors.ts';
import { translator } from '../../server/i18n/index.ts';
import { workflowContext, type WorkflowTestContext, actorContext } from './context.ts';

describe('workflow: concurrency, stale forms and authorization', () => {
  let w: WorkflowTestContext;
  let hr1: UserDoc;
  let hr2: UserDoc;
  let otherHr: UserDoc;
  let leader: UserDoc;
  let admin: UserDoc;
  let applicant: UserDoc;
  let stranger: UserDoc;
  let call: CallDoc;

  before(async () => {
    w = await workflowContext();
    const institute = await createInstitute();
    hr1 = await createUser({ role: 'hr_officer', institute, name: 'Officer One' });
    hr2 = await createUser({ role: 'hr_officer', institute, name: 'Officer Two' });
    otherHr = await createUser({ role: 'hr_officer' }); // another institute
    leader = await createUser({ role: 'leader', institute });
    admin = await createUser({ role: 'admin' });
    applicant = await createUser({ role: 'applicant' });
    stranger = await createUser({ role: 'applicant' });
    call = await createCall({ institute, checklist: [] });
  });
  after(async () => {
    await w?.close();
  });

  async function snapshot(c: CaseDoc) {
    const s = await Case.findById(c._id).lean();
    const audits = await AuditEvent.countDocuments({ targetId: String(c._id) });
    return { stage: s!.stage, version: s!.version, history: s!.history.length, outbox: s!.outbox.length, audits };
  }

  it('lets exactly one of two officers acting at the same moment win; the other gets a ConflictError saying who did what', async () => {
    const c = await createCase({ applicant, call, stage: 'submitted' });
    const results = await Promise.allSettled([
      transition({ app: w.ctx, ctx: actorContext(w.ctx, hr1), caseId: c._id, action: 'start_screening', expectedVersion: c.version }),
      transition({ app: w.ctx, ctx: actorContext(w.ctx, hr2), caseId: c._id, action: 'put_on_hold', expectedVersion: c.version, payload: { reason: 'x', reviewBy: holdReviewDay(w.clock.now) } }),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).to.have.length(1);
    expect(lost).to.have.length(1);
    const err = lost[0]!.reason as ConflictError;
    expect(err).to.be.instanceOf(ConflictError);
    expect(err.status).to.equal(409);
    expect(err.messageKey).to.equal('workflow.conflict');
    const stored = await Case.findById(c._id).lean();
    expect(stored!.version).to.equal(c.version + 1);
    expect(stored!.history).to.have.length(c.history.length + 1);
    expect(stored!.outbox).to.have.length(1); // only the winner's e-mail
    const winner = stored!.history[stored!.history.length - 1]!;
    const message = translator('en')(err.messageKey, err.params);
    const winnerName = String(winner.actor) === String(hr1._id) ? 'Officer One' : 'Officer Two';
    expect(message).to.include(winnerName);
    expect(message).to.include(winner.action === 'start_screening' ? '“Start screening”' : '“Put on hold”');
    expect(message).to.match(/now at the stage “(Screening|On hold)”/);
    expect(message).to.include('Nothing you sent was saved');
  });

  it('refuses a double submit: the second click changes nothing', async () => {
    const c = await createCase({ applicant, call });
    const results = await Promise.allSettled([
      transition({ app: w.ctx, ctx: actorContext(w.ctx, applicant), caseId: c._id, action: 'submit', expectedVersion: c.version }),
      transition({ app: w.ctx, ctx: actorContext(w.ctx, applicant), caseId: c._id, action: 'submit', expectedVersion: c.version }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(1);
    const lost = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')!;
    expect(lost.reason).to.be.instanceOf(ConflictError);
    expect(translator('en')(lost.reason.messageKey, lost.reason.params)).to.include('you (in another window or a second click)');
    const s = await snapshot(c);
    expect(s.stage).to.equal('submitted');
    expect(s.outbox).to.equal(1);
  });

  it('refuses a stale form (an older version) even when the action would still be possible', async () => {
    const c = await createCase({ applicant, call, stage: 'screening' });
    const moved = await transition({ app: w.ctx, ctx: actorContext(w.ctx, hr1), caseId: c._id, action: 'put_on_hold', expectedVersion: c.version, payload: { reason: 'Waiting for the budget decision.', reviewBy: holdReviewDay(w.clock.now) } });
    await transition({ app: w.ctx, ctx: actorContext(w.ctx, hr1), caseId: c._id, action: 'resume', expectedVersion: moved.version });
    const before = await snapshot(c);
    // hr2 still has the page from before the hold: same stage, older version.
    const err = await transition({ app: w.ctx, ctx: actorContext(w.ctx, hr2), caseId: c._id, action: 'send_to_evaluation', expectedVersion: c.version }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ConflictError);
    expect(translator('vi')((err as ConflictError).messageKey, (err as ConflictError).params)).to.include('Officer One');
    expect(await snapshot(c)).to.deep.equal(before);
  });

  it('refuses the wrong role and someone else\'s case, and changes nothing', async () => {
    const c = await createCase({ applicant, call, stage: 'submitted' });
    const before = await snapshot(c);
    const attempts: Array<[UserDoc, string]> = [
      [applicant, 'start_screening'], // applicant doing staff work
      [leader, 'start_screening'], // leader doing HR work
      [otherHr, 'start_screening'], // HR of another institute
      [stranger, 'withdraw'], // another applicant's case
      [hr1, 'withdraw'], // staff doing the applicant's step
    ];
    for (const [actor, action] of attempts) {
      const err = await transition({ app: w.ctx, ctx: actorContext(w.ctx, actor), caseId: c._id, action, expectedVersion: c.version }).catch((e: unknown) => e);
      expect(err, `${actor.role} ${action}`).to.be.instanceOf(ForbiddenError);
    }
    // Refused even with a stale version: authorization comes before anything about the case's state.
    const stale = await transition({ app: w.ctx, ctx: actorContext(w.ctx, stranger), caseId: c._id, action: 'withdraw', expectedVersion: 99 }).catch((e: unknown) => e);
    expect(stale).to.be.instanceOf(ForbiddenError);
    // HR may reject at screening, but only the leader from evaluation.
    const ev = await createCase({ applicant, call, stage: 'evaluation' });
    const hrReject = await transition({ app: w.ctx, ctx: actorContext(w.ctx, hr1), caseId: ev._id, action: 'reject', expectedVersion: ev.version, payload: { reason: 'no' } }).catch((e: unknown) => e);
    expect(hrReject).to.be.instanceOf(ForbiddenError);
    // The leader's decisions are not bare actions: only the shortlist's decision page takes them
    // (decideCase: the panel's scores, a reason in the leader's words, the e-mail shown first).
    for (const [action, payload] of [['shortlist', { note: 'ok' }], ['reject', { reason: 'no' }]] as const) {
      const bare = await transition({ app: w.ctx, ctx: actorContext(w.ctx, leader), caseId: ev._id, action, expectedVersion: ev.version, payload }).catch((e: unknown) => e);
      expect(bare, action).to.be.instanceOf(ForbiddenError);
      expect((bare as ForbiddenError).messageKey).to.equal('workflow.decideOnShortlist');
    }
    expect((await Case.findById(ev._id).lean())!.stage).to.equal('evaluation');
    expect(await snapshot(c)).to.deep.equal(before);
  });

  it('lets an administrator take any staff step', async () => {
    const c = await createCase({ applicant, call, stage: 'submitted' });
    const done = await transition({ app: w.ctx, ctx: actorContext(w.ctx, admin), caseId: c._id, action: 'start_screening', expectedVersion: c.version });
    expect(done.stage).to.equal('screening');
  });

  it('validates payloads and guards, with field errors in the actor\'s language, and changes nothing', async () => {
    const c = await createCase({ applicant, call, stage: 'screening' });
    const before = await snapshot(c);
    const noItems = await transition({ app: w.ctx, ctx: actorContext(w.ctx, hr1), caseId: c._id, action: 'request_info', expectedVersion: c.version, payload: { items: '\n  \n', dueAt: '' } }).catch((e: unknown) => e);
    expect(noItems).to.be.instanceOf(ValidationError);
    expect((noItems as ValidationError).fields).to.have.keys(['items', 'dueAt']);
    expect((noItems as ValidationError).fields.items).to.equal('Please fill this in.');
    const past = await transition({ app: w.ctx, ctx: actorContext(w.ctx, hr1), caseId: c._id, action: 'request_info', expectedVersion: c.version, payload: { items: 'CV', dueAt: '2020-01-01' } }).catch((e: unknown) => e);
    expect((past as ValidationError).fields.dueAt).to.equal('The due date must be in the future.');
    // A day the applicant can act on: a working day, at least two working days ahead.
    const cal = await loadCalendar();
    const day = (d: Date) => vnDateKey(d);
    let sunday = new Date(w.clock.now.getTime() + 7 * 86_400_000);
    while (cal.isWorkingDay(sunday)) sunday = new Date(sunday.getTime() + 86_400_000);
    const weekend = await transition({ app: w.ctx, ctx: actorContext(w.ctx, hr1), caseId: c._id, action: 'request_info', expectedVersion: c.version, payload: { items: 'CV', dueAt: day(sunday) } }).catch((e: unknown) => e);
    expect((weekend as ValidationError).fields.dueAt).to.equal('Choose a working day: this date is a weekend day or a public holiday.');
    const tomorrow = await transition({ app: w.ctx, ctx: actorContext(w.ctx, hr1), caseId: c._id, action: 'request_info', expectedVersion: c.version, payload: { items: 'CV', dueAt: day(cal.addWorkingDays(w.clock.now, 1)) } }).catch((e: unknown) => e);
    expect((tomorrow as ValidationError).fields.dueAt).to.equal('Give the applicant at least 2 working days to answer.');
    // Not years ahead (2099 was taken: a deadline that can never pass); three months is the most.
    let far = cal.addWorkingDays(new Date(w.clock.now.getTime() + 91 * 86_400_000), 0);
    while (!cal.isWorkingDay(far)) far = new Date(far.getTime() + 86_400_000);
    for (const dueAt of ['2099-01-02', day(far)]) {
      const late = await transition({ app: w.ctx, ctx: actorContext(w.ctx, hr1), caseId: c._id, action: 'request_info', expectedVersion: c.version, payload: { items: 'CV', dueAt } }).catch((e: unknown) => e);
      expect((late as ValidationError).fields.dueAt, dueAt).to.equal('Choose a date within 3 months. For a longer wait (a document from abroad), put the case on hold with the reason.');
    }
    const noReason = await transition({ app: w.ctx, ctx: actorContext(w.ctx, hr1), caseId: c._id, action: 'reject', expectedVersion: c.version, payload: { reason: '  ' } }).catch((e: unknown) => e);
    expect((noReason as ValidationError).fields).to.have.keys(['reason']);
    expect(await snapshot(c)).to.deep.equal(before);

    // Submit lists every missing part.
    const incomplete = await createCase({ applicant, call, profile: { fullName: 'A B' }, eligibility: [] });
    const missing = await transition({ app: w.ctx, ctx: actorContext(w.ctx, applicant), caseId: incomplete._id, action: 'submit', expectedVersion: incomplete.version }).catch((e: unknown) => e);
    expect(missing).to.be.instanceOf(ValidationError);
    const fields = (missing as ValidationError).fields;
    expect(Object.keys(fields)).to.include.members(['profile.dateOfBirth', 'profile.nationality', 'profile.highestDegree']);
    expect(Object.keys(fields).some((k) => k.startsWith('eligibility.'))).to.equal(true);
    expect((await Case.findById(incomplete._id).lean())!.stage).to.equal('draft');

    // Required application documents must be uploaded before submitting.
    const docsCall = await createCall({ institute: call.institute, checklist: [{ type: 'cv', phase: 'application', required: true }] });
    const noDocs = await createCase({ applicant, call: docsCall });
    const docsErr = await transition({ app: w.ctx, ctx: actorContext(w.ctx, applicant), caseId: noDocs._id, action: 'submit', expectedVersion: noDocs.version }).catch((e: unknown) => e);
    expect((docsErr as ValidationError).fields).to.have.keys(['documents.cv']);

    // Sending to evaluation waits for the required application documents.
    const strictCall = await createCall({ institute: call.institute, checklist: [{ type: 'cv', phase: 'application', required: true }] });
    const s = await createCase({ applicant, call: strictCall, stage: 'screening' });
    const guard = await transition({ app: w.ctx, ctx: actorContext(w.ctx, hr1), caseId: s._id, action: 'send_to_evaluation', expectedVersion: s.version }).catch((e: unknown) => e);
    expect(guard).to.be.instanceOf(ValidationError);
    expect((guard as ValidationError).fields).to.have.keys(['documents']);
    expect((await Case.findById(s._id).lean())!.stage).to.equal('screening');
  });

  it('answers an action the stage does not allow, an unknown action and an unknown case clearly', async () => {
    const c = await createCase({ applicant, call, stage: 'screening' });
    const e1 = await transition({ app: w.ctx, ctx: actorContext(w.ctx, hr1), caseId: c._id, action: 'close', expectedVersion: c.version }).catch((e: unknown) => e);
    expect(e1).to.be.instanceOf(BadRequestError);
    const e2 = await transition({ app: w.ctx, ctx: actorContext(w.ctx, hr1), caseId: c._id, action: 'teleport', expectedVersion: c.version }).catch((e: unknown) => e);
    expect(e2).to.be.instanceOf(BadRequestError);
    const e3 = await transition({ app: w.ctx, ctx: actorContext(w.ctx, hr1), caseId: '000000000000000000000000', action: 'close', expectedVersion: 0 }).catch((e: unknown) => e);
    expect(e3).to.be.instanceOf(NotFoundError);
  });

  it('numbers case references per year without gaps or repeats under concurrency', async () => {
    const now = new Date('2031-06-01T00:00:00Z');
    const refs = await Promise.all(Array.from({ length: 20 }, () => nextCaseReference(now)));
    expect(new Set(refs).size).to.equal(20);
    for (const r of refs) expect(r).to.match(/^TA-2031-\d{6}$/);
    const nums = refs.map((r) => Number(r.slice(-6))).sort((a, b) => a - b);
    expect(nums[nums.length - 1]! - nums[0]!).to.equal(19);
  });
});
