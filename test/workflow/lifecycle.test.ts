// One case carried through every stage: at each step the stored stage, the history event and the
// e-mail that arrived on the in-process SMTP server (recipient, subject in the recipient's
// language, the case link and reference).
import { expect } from 'chai';
import { Types } from 'mongoose';
import { holdReviewDay } from '../support/hold.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { transition, availableActions, type Action } from '../../server/workflow/index.ts';
import { ValidationError } from '../../server/errors.ts';
import { dispatchOnce, messageIdFor } from '../../server/outbox/index.ts';
import { loadCalendar, vnDateKey } from '../../server/calendar/index.ts';
import { workflowContext, APP_URL, type WorkflowTestContext, actorContext } from './context.ts';
import type { ReceivedMail } from '../support/smtp.ts';

describe('workflow: one case through every stage, with an e-mail at each step', () => {
  let w: WorkflowTestContext;
  let hr: UserDoc;
  let leader: UserDoc;
  let applicant: UserDoc;
  let call: CallDoc;

  before(async () => {
    w = await workflowContext();
    const institute = await createInstitute();
    hr = await createUser({ role: 'hr_officer', institute, locale: 'en' });
    leader = await createUser({ role: 'leader', institute, locale: 'en' });
    applicant = await createUser({ role: 'applicant', locale: 'vi', name: 'Nguyễn Thị Lan' });
    // Optional checklist items: the document guard has nothing to wait for in this walk-through.
    call = await createCall({ institute, checklist: [{ type: 'cv', phase: 'application', required: false }] });
  });
  after(async () => {
    await w?.close();
  });

  /** Applies a step as `actor`, dispatches the outbox and returns the updated case and the e-mail. */
  async function step(c: CaseDoc, action: Action, actor: UserDoc, payload?: Record<string, unknown>): Promise<{ c: CaseDoc; mail?: ReceivedMail }> {
    w.clock.now = new Date(w.clock.now.getTime() + 3_600_000);
    // The leader's steps as decideCase takes them (the decision page's own tests: test/leaders/decisions.test.ts).
    const asDecision = actor.role === 'leader';
    const updated = await transition({ app: w.ctx, ctx: actorContext(w.ctx, actor), caseId: c._id, action, expectedVersion: c.version, payload, asDecision });
    expect(updated.version).to.equal(c.version + 1);
    const stored = await Case.findById(c._id).lean();
    expect(stored!.stage).to.equal(updated.stage);
    const last = stored!.history[stored!.history.length - 1]!;
    expect(last.action).to.equal(action);
    expect(last.from).to.equal(c.stage);
    expect(last.to).to.equal(updated.stage);
    expect(String(last.actor)).to.equal(String(actor._id));
    expect(last.at.getTime()).to.equal(w.clock.now.getTime());
    // the dashboard's derived figures move with the transition, in the same update
    expect(stored!.reached).to.include(updated.stage);
    expect(stored!.stays!.at(-1)).to.include({ stage: c.stage });
    expect(stored!.stays!.at(-1)!.leftAt.getTime()).to.equal(w.clock.now.getTime());
    const audit = await AuditEvent.findOne({ targetId: String(c._id), action: 'case.transition', 'summary.action': action }).lean();
    expect(audit, `audit event for ${action}`).to.not.equal(null);
    const items = stored!.outbox.filter((i) => i.key.includes(`.${updated.version}.`));
    if (items.length === 0) return { c: updated };
    const res = await dispatchOnce(w.ctx, { owner: "test", caseIds: [c._id] });
    expect(res.sent).to.equal(items.length);
    const mail = await w.smtp.waitFor((m) => m.messageId === messageIdFor(items[0]!.key));
    const after = await Case.findById(c._id).lean();
    const sentItem = after!.outbox.find((i) => i.key === items[0]!.key)!;
    expect(sentItem.status).to.equal('sent');
    expect(sentItem.sentAt).to.be.instanceOf(Date);
    return { c: updated, mail };
  }

  function expectApplicantMail(mail: ReceivedMail | undefined, c: CaseDoc, subject: RegExp): void {
    expect(mail, 'e-mail').to.not.equal(undefined);
    expect(mail!.to).to.deep.equal([applicant.email]);
    expect(mail!.subject).to.match(subject);
    expect(mail!.subject).to.include(c.reference);
    expect(mail!.text).to.include(`${APP_URL}/applications/${c._id}`);
    expect(mail!.html).to.include(`href="${APP_URL}/applications/${c._id}?lang&#x3D;`); // in the e-mail's language (server/mail/render.ts); Handlebars escapes '='
    expect(mail!.text).to.include('Nguyễn Thị Lan');
  }

  it('goes draft → submitted → screening ⇄ awaiting_applicant → on hold → evaluation → shortlisted → offer → onboarding → arrived → closed', async () => {
    let c = await createCase({ applicant, call, assignee: hr });
    expect(c.reference).to.match(/^TA-\d{4}-\d{6}$/);
    expect(availableActions(c, applicant)).to.deep.equal(['submit', 'withdraw']);
    expect(availableActions(c, hr)).to.deep.equal([]);

    let r = await step(c, 'submit', applicant);
    expect(r.c.stage).to.equal('submitted');
    expect(r.c.submittedAt).to.be.instanceOf(Date);
    expect(r.c.stageDueAt).to.be.instanceOf(Date);
    expectApplicantMail(r.mail, r.c, /Đã nhận hồ sơ ứng tuyển/);
    c = r.c;

    expect(availableActions(c, hr)).to.include.members(['start_screening', 'put_on_hold']);
    r = await step(c, 'start_screening', hr);
    expect(r.c.stage).to.equal('screening');
    expectApplicantMail(r.mail, r.c, /đang được sơ tuyển/);
    c = r.c;

    const dueAt = new Date(w.clock.now.getTime() + 10 * 86_400_000);
    r = await step(c, 'request_info', hr, { items: 'Scan of your PhD diploma\nList of publications since 2020', dueAt: dueAt.toISOString() });
    expect(r.c.stage).to.equal('awaiting_applicant');
    expect(r.c.infoRequest?.items).to.deep.equal(['Scan of your PhD diploma', 'List of publications since 2020']);
    expect(r.c.stageDueAt?.getTime()).to.equal(dueAt.getTime());
    expectApplicantMail(r.mail, r.c, /Cần bổ sung thông tin/);
    expect(r.mail!.text).to.include('Scan of your PhD diploma');
    expect(r.mail!.html).to.include('<li>List of publications since 2020</li>');
    c = r.c;

    r = await step(c, 'answer_info', applicant, { answer: 'Both uploaded today.' });
    expect(r.c.stage).to.equal('screening');
    expect(r.c.infoRequest?.answer).to.equal('Both uploaded today.');
    // This one goes to the assignee, in the assignee's language, with the staff link.
    expect(r.mail!.to).to.deep.equal([hr.email]);
    expect(r.mail!.subject).to.match(/answered the information request/);
    expect(r.mail!.text).to.include(`${APP_URL}/cases/${c._id}`);
    c = r.c;

    r = await step(c, 'put_on_hold', hr, { reason: 'Waiting for the budget decision', reviewBy: holdReviewDay(w.clock.now) });
    expect(r.c.stage).to.equal('on_hold');
    expect(r.c.resumeStage).to.equal('screening');
    // The hold's deadline is its review date; the applicant is told it (a Vietnamese reader: 5/12/2026).
    expect(vnDateKey(r.c.stageDueAt!)).to.equal(holdReviewDay(w.clock.now));
    expectApplicantMail(r.mail, r.c, /tạm dừng/);
    expect(r.mail!.text).to.include('Waiting for the budget decision');
    const [y, m, d] = holdReviewDay(w.clock.now).split('-').map(Number);
    // With its working days left (59a2b18), as the applicant's page says it.
    expect(r.mail!.text).to.match(new RegExp(`Chúng tôi sẽ xem xét lại hồ sơ chậm nhất vào ngày ${d}/${m}/${y} \\(còn \\d+ ngày làm việc\\)\\.`));
    // Held from screening, no request waits: no such line.
    expect(r.mail!.text).not.to.include('Đề nghị bổ sung thông tin');
    c = r.c;

    r = await step(c, 'resume', hr);
    expect(r.c.stage).to.equal('screening');
    expect(r.c.resumeStage).to.equal(undefined);
    expectApplicantMail(r.mail, r.c, /được tiếp tục/);
    c = r.c;

    r = await step(c, 'send_to_evaluation', hr);
    expect(r.c.stage).to.equal('evaluation');
    expectApplicantMail(r.mail, r.c, /đã qua sơ tuyển/);
    c = r.c;

    expect(availableActions(c, hr)).to.not.include('shortlist');
    expect(availableActions(c, leader, { decisions: true })).to.include.members(['shortlist', 'reject']);
    expect(availableActions(c, leader)).to.deep.equal([]); // the case page links to the decision page instead
    r = await step(c, 'shortlist', leader);
    expect(r.c.stage).to.equal('shortlisted');
    expectApplicantMail(r.mail, r.c, /danh sách rút gọn/);
    c = r.c;

    // HR attached the offer's terms and letter while it was prepared (server/cases/offer-terms.ts,
    // test/applications/offer.test.ts): an acceptance needs them (test/applications/offer-not-ready.test.ts).
    c = (await Case.findByIdAndUpdate(c._id, { $set: { offerTerms: { position: 'Senior researcher', letter: new Types.ObjectId() } } }, { returnDocument: 'after' }))!;
    r = await step(c, 'approve_offer', leader);
    expect(r.c.stage).to.equal('offer');
    expect(String(r.c.decision?.decidedBy)).to.equal(String(leader._id));
    expectApplicantMail(r.mail, r.c, /lời mời làm việc/);
    c = r.c;

    expect(availableActions(c, applicant)).to.deep.equal(['accept_offer', 'decline_offer', 'withdraw']);
    r = await step(c, 'accept_offer', applicant);
    expect(r.c.stage).to.equal('onboarding');
    const tracks = Object.fromEntries(r.c.supportTracks.map((t) => [t.kind, t]));
    expect(tracks.work_permit?.status).to.equal('requested');
    expect(tracks.residence_card?.status).to.equal('requested');
    expect(tracks.visa?.status).to.equal('requested');
    expect(tracks.housing?.status).to.equal('not_needed');
    const cal = await loadCalendar();
    expect(vnDateKey(tracks.work_permit!.dueAt!)).to.equal(vnDateKey(cal.addWorkingDays(w.clock.now, 10)));
    // The visa and the residence card cannot be lodged before the work permit is granted: no clock yet.
    expect(tracks.visa!.dueAt).to.equal(undefined);
    expect(tracks.residence_card!.dueAt).to.equal(undefined);
    expectApplicantMail(r.mail, r.c, /chấp nhận lời mời làm việc/);
    expect(r.mail!.text).to.include('Giấy phép lao động');
    c = r.c;

    // Not arrived before the visa and the work permit are granted (the residence card comes after entry).
    // HR gives the day of arrival (the form no longer prefills today).
    const arrivedOn = () => vnDateKey(new Date(w.clock.now.getTime() + 3_600_000));
    const tooSoon = await transition({ app: w.ctx, ctx: actorContext(w.ctx, hr), caseId: c._id, action: 'mark_arrived', expectedVersion: c.version, payload: { arrivedOn: arrivedOn() } }).catch((e: unknown) => e);
    expect(tooSoon).to.be.instanceOf(ValidationError);
    expect((tooSoon as ValidationError).fields.support).to.match(/Work permit, Visa\. An expert enters on a visa/);
    expect((await Case.findById(c._id).lean())!.stage).to.equal('onboarding');
    await Case.updateOne({ _id: c._id }, { $set: { 'supportTracks.$[t].status': 'approved' } }, { arrayFilters: [{ 't.kind': { $in: ['work_permit', 'visa'] } }] });
    r = await step(c, 'mark_arrived', hr, { arrivedOn: arrivedOn() });
    expect(r.c.stage).to.equal('arrived');
    expect(r.c.arrivedAt).to.be.instanceOf(Date);
    expectApplicantMail(r.mail, r.c, /Chào mừng Ông\/Bà đến Việt Nam/);
    c = r.c;

    // Not closed while procedures are under way: the officer is told which.
    const early = await transition({ app: w.ctx, ctx: actorContext(w.ctx, hr), caseId: c._id, action: 'close', expectedVersion: c.version }).catch((e: unknown) => e);
    expect(early).to.be.instanceOf(ValidationError);
    expect((early as ValidationError).fields.support).to.match(/Temporary residence card/);
    expect((await Case.findById(c._id).lean())!.stage).to.equal('arrived');
    // Their outcomes recorded (as HR does on the procedures' pages), the case closes.
    await Case.updateOne({ _id: c._id }, { $set: { 'supportTracks.$[t].status': 'approved' } }, { arrayFilters: [{ 't.status': { $in: ['requested', 'preparing', 'filed'] } }] });
    r = await step(c, 'close', hr);
    expect(r.c.stage).to.equal('closed');
    expect(r.c.stageDueAt).to.equal(undefined);
    expectApplicantMail(r.mail, r.c, /đã hoàn tất/);
    c = r.c;

    expect(availableActions(c, hr)).to.deep.equal([]);
    expect(availableActions(c, applicant)).to.deep.equal([]);
    const final = await Case.findById(c._id).lean();
    expect(final!.history.map((h) => h.action)).to.deep.equal([
      'create', 'submit', 'start_screening', 'request_info', 'answer_info', 'put_on_hold', 'resume', 'send_to_evaluation', 'shortlist', 'approve_offer', 'accept_offer', 'mark_arrived', 'close',
    ]);
    expect(final!.outbox.every((i) => i.status === 'sent')).to.equal(true);
    expect(w.smtp.messages.filter((m) => final!.outbox.some((i) => messageIdFor(i.key) === m.messageId))).to.have.length(final!.outbox.length);
  });

  it('sends the English e-mail to an English-speaking applicant', async () => {
    const en = await createUser({ role: 'applicant', locale: 'en', name: 'Anna Schmidt' });
    const c = await createCase({ applicant: en, call });
    const updated = await transition({ app: w.ctx, ctx: actorContext(w.ctx, en), caseId: c._id, action: 'submit', expectedVersion: c.version });
    await dispatchOnce(w.ctx, { owner: 'test', caseIds: [c._id] });
    const mail = await w.smtp.waitForTo(en.email, /Application received/);
    expect(mail.subject).to.equal(`[${updated.reference}] Application received`);
    expect(mail.text).to.include(`${APP_URL}/applications/${c._id}`);
    expect(mail.text).to.include('Dear Anna Schmidt');
  });

  it('ends in rejected (with the reason), withdrawn, or withdrawn by declining the offer, each with its e-mail', async () => {
    // Rejected at screening by HR; the reason is stored and sent.
    let c = await createCase({ applicant, call, stage: 'screening' });
    let r = await step(c, 'reject', hr, { reason: 'The track requires a PhD.' });
    expect(r.c.stage).to.equal('rejected');
    expect(r.c.decision?.reason).to.equal('The track requires a PhD.');
    expectApplicantMail(r.mail, r.c, /Kết quả xét hồ sơ/);
    expect(r.mail!.text).to.include('The track requires a PhD.');

    // Rejected at evaluation by the leader.
    c = await createCase({ applicant, call, stage: 'evaluation' });
    r = await step(c, 'reject', leader, { reason: 'Another candidate fits better.', toldReason: 'The panel chose profiles closer to the position.' });
    expect(r.c.stage).to.equal('rejected');
    expect(r.c.decision?.toldReason).to.equal('The panel chose profiles closer to the position.');
    // Only the words for the candidate reach them; the leader's reason stays internal.
    expect(r.mail!.text).to.include('The panel chose profiles closer to the position.');
    expect(r.mail!.text).not.to.include('Another candidate fits better.');
    // Without words for the candidate, the leader's rejection is refused (nothing changes).
    const untold = await createCase({ applicant, call, stage: 'evaluation' });
    let refused: unknown;
    try {
      await step(untold, 'reject', leader, { reason: 'Another candidate fits better.' });
    } catch (err) {
      refused = err;
    }
    expect(refused).to.be.instanceOf(ValidationError);
    expect((await Case.findById(untold._id).lean())!.stage).to.equal('evaluation');

    // Declined offer.
    c = await createCase({ applicant, call, stage: 'offer' });
    r = await step(c, 'decline_offer', applicant);
    expect(r.c.stage).to.equal('withdrawn');
    expectApplicantMail(r.mail, r.c, /từ chối lời mời làm việc/);

    // Withdrawn while awaiting evaluation.
    c = await createCase({ applicant, call, stage: 'evaluation' });
    r = await step(c, 'withdraw', applicant);
    expect(r.c.stage).to.equal('withdrawn');
    expectApplicantMail(r.mail, r.c, /Đã rút hồ sơ/);
  });
});
