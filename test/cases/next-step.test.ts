// The case page says who acts next and by when (working days left on the holiday calendar), with a
// link to where, at every stage, in English and Vietnamese; HR records an offer accepted by e-mail or
// post (a row of the workflow table: onboarding, audited, the applicant's usual e-mail); an open
// information request shows its working days left, can be given a later date (the applicant is
// e-mailed it, the stage stays) or ended when the applicant answered outside the portal (back to
// screening, audited). Bad dates are refused with the message and the form keeps what was typed.
import { dayFirst } from '../../server/support/calendar-day.ts';
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case } from '../../models/case.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { loadCalendar, seedHolidays, vnDateKey, type WorkingCalendar } from '../../server/calendar/index.ts';
import { formatDay } from '../../server/views/time.ts';
import { signedIn, page, post, versionIn, deliver, text, expectTranslated } from '../applications/support.ts';

/** The "what happens next" line of a case page, as text. */
function nextLine(html: string): string {
  const m = /<p class="next-step" id="next-step">([\s\S]*?)<\/p>/.exec(html);
  expect(m, 'a next-step line').to.not.equal(null);
  return text(m![1]!.replace(/<[^>]+>/g, '')).replace(/\s+/g, ' ').trim();
}

/** A page's text without its tags, spaces collapsed. */
function plainText(html: string): string {
  return text(html.replace(/<[^>]+>/g, '')).replace(/\s+/g, ' ');
}

describe('cases: the next step and the open information request', () => {
  let t: TestApp;
  let hr: UserDoc;
  let hrVi: UserDoc;
  let leader: UserDoc;
  let otherHr: UserDoc;
  let applicant: UserDoc;
  let applicantEn: UserDoc;
  let call: CallDoc;
  let calendar: WorkingCalendar;

  before(async () => {
    t = await startTestApp();
    await seedHolidays();
    calendar = await loadCalendar();
    const institute = await createInstitute();
    hr = await createUser({ role: 'hr_officer', institute, name: 'Officer One', locale: 'en' });
    hrVi = await createUser({ role: 'hr_officer', institute, name: 'Cán bộ Hai', locale: 'vi' });
    leader = await createUser({ role: 'leader', institute, name: 'Director Ha' });
    otherHr = await createUser({ role: 'hr_officer', name: 'Elsewhere Officer' });
    applicant = await createUser({ role: 'applicant', locale: 'vi', name: 'Nguyễn Văn An' });
    applicantEn = await createUser({ role: 'applicant', locale: 'en', name: 'Anna Weber' });
    call = await createCall({ institute, checklist: [] });
  });
  after(async () => {
    await t?.close();
  });

  const nine = () => calendar.addWorkingDays(new Date(), 9);

  it('says who acts next at each stage, by when with working days left, and links to where (en and vi)', async () => {
    const due = nine();
    const [en, vi] = [await signedIn(t, hr), await signedIn(t, hrVi)];
    const shortlisted = await createCase({ applicant, call, stage: 'shortlisted', stageDueAt: due });
    const offer = await createCase({ applicant, call, stage: 'offer', stageDueAt: due });
    const held = await createCase({ applicant, call, stage: 'on_hold', resumeStage: 'offer', stageEnteredAt: new Date('2026-11-20T03:00:00Z') });
    const screening = await createCase({ applicant, call, stage: 'screening', stageDueAt: due });
    const lateDue = calendar.addWorkingDays(new Date(), -3);
    // Counted as the queue counts (working days after the date up to today: fewer from a weekend).
    const lateBy = -calendar.workingDaysBetween(new Date(), lateDue);
    const late = await createCase({ applicant, call, stage: 'onboarding', stageDueAt: lateDue });
    const closed = await createCase({ applicant, call, stage: 'rejected', stageEnteredAt: new Date('2026-11-20T03:00:00Z') });

    const s = await page(en, `/cases/${shortlisted._id}`);
    expect(nextLine(s.text)).to.equal(`Next: the leader. The leader decides the offer by ${formatDay(due, 'en')} (9 working days left). Go to the shortlist →`);
    expect(s.text).to.include(`href="/shortlists/${call._id}" id="next-step-link"`);
    expect(nextLine((await page(vi, `/cases/${shortlisted._id}`)).text)).to.equal(`Bước tiếp theo: lãnh đạo. Lãnh đạo quyết định lời mời làm việc chậm nhất ngày ${formatDay(due, 'vi')} (còn 9 ngày làm việc). Đến danh sách rút gọn →`);

    const o = await page(en, `/cases/${offer._id}`);
    expect(nextLine(o.text)).to.equal(`Next: the applicant. The applicant must accept the offer by ${formatDay(due, 'en')} (9 working days left). Answered by e-mail or post? →`);
    expect(o.text).to.include('id="record-acceptance"');
    expect(nextLine((await page(vi, `/cases/${offer._id}`)).text)).to.include(`Ứng viên phải chấp nhận lời mời làm việc chậm nhất ngày ${formatDay(due, 'vi')} (còn 9 ngày làm việc)`);

    // The line sits in the actions panel, the Resume button just below it: no link to the panel itself.
    const heldEn = await page(en, `/cases/${held._id}`);
    expect(nextLine(heldEn.text)).to.equal('Next: HR. On hold since 20 Nov 2026; HR decides when to resume, and the Resume button returns it to “Offer”.');
    expect(heldEn.text).not.to.include('id="next-step-link"');
    const heldVi = await page(vi, `/cases/${held._id}`);
    expect(nextLine(heldVi.text)).to.equal('Bước tiếp theo: cán bộ nhân sự. Tạm dừng từ ngày 20/11/2026; cán bộ nhân sự quyết định khi nào tiếp tục, và nút “Tiếp tục xử lý” đưa hồ sơ về “Đã mời làm việc”.');
    expect(heldVi.text).to.include('>Tiếp tục xử lý<');
    expect(heldVi.text).not.to.include('id="next-step-link"');
    expect(nextLine((await page(en, `/cases/${screening._id}`)).text)).to.include(`HR checks the documents, then sends the case to evaluation, requests information or rejects it by ${formatDay(due, 'en')} (9 working days left)`);
    expect(nextLine((await page(en, `/cases/${late._id}`)).text)).to.include(`(${lateBy} working day${lateBy === 1 ? '' : 's'} overdue)`);
    expect(nextLine((await page(vi, `/cases/${late._id}`)).text)).to.include(`(quá hạn ${lateBy} ngày làm việc)`);
    expect(nextLine((await page(en, `/cases/${closed._id}`)).text)).to.equal('Next: nobody. Nothing more to do: the application was rejected on 20 Nov 2026.');
    // A leader reads the same line; the acceptance form is HR's.
    const l = await page(await signedIn(t, leader), `/cases/${shortlisted._id}`);
    expect(nextLine(l.text)).to.include('The leader decides the offer');
    expectTranslated(o.text, 'the case page at offer (en)');
    expectTranslated((await page(vi, `/cases/${held._id}`)).text, 'the case page on hold (vi)');
  });

  it('at onboarding gives the case\'s next deadline and what it is for, and names a refused procedure: its written reasons while owed, then "decide what next" (en and vi)', async () => {
    const [en, vi] = [await signedIn(t, hr), await signedIn(t, hrVi)];
    const stageDue = calendar.addWorkingDays(new Date(), 40);
    const wpDue = nine();
    // A procedure's target before the stage's date: the line gives it, named, as the queue's row does.
    const running = await createCase({ applicant, call, stage: 'onboarding', stageDueAt: stageDue, supportTracks: [{ kind: 'work_permit', status: 'requested', dueAt: wpDue, updatedAt: new Date() }] });
    expect(nextLine((await page(en, `/cases/${running._id}`)).text)).to.equal(`Next: HR. HR runs the support procedures and records the arrival; next deadline: Work permit by ${formatDay(wpDue, 'en')} (9 working days left). Go to the procedures →`);
    expect(nextLine((await page(vi, `/cases/${running._id}`)).text)).to.include(`; hạn gần nhất: Giấy phép lao động chậm nhất ngày ${formatDay(wpDue, 'vi')} (còn 9 ngày làm việc)`);
    // Nothing sooner than the stage: its date, as before.
    const plain = await createCase({ applicant, call, stage: 'onboarding', stageDueAt: wpDue, supportTracks: [] });
    expect(nextLine((await page(en, `/cases/${plain._id}`)).text)).to.equal(`Next: HR. HR runs the support procedures and records the arrival by ${formatDay(wpDue, 'en')} (9 working days left). Go to the procedures →`);

    // Refused without its written reasons: the line says they are chased, with the decision deadline they were due by, the case's next deadline (as the queue's).
    const reasonsDue = calendar.addWorkingDays(new Date(), 3);
    const refused = await createCase({ applicant, call, stage: 'onboarding', stageDueAt: stageDue, supportTracks: [{ kind: 'work_permit', status: 'refused', decidedAt: new Date(), reasonsMissing: true, reasonsDueAt: reasonsDue, updatedAt: new Date() }] });
    const stored = (await Case.findById(refused._id).lean())!;
    expect(stored.nextDueAt!.getTime()).to.equal(reasonsDue.getTime());
    expect(nextLine((await page(en, `/cases/${refused._id}`)).text)).to.equal(`Next: HR. Work permit refused without written reasons: HR asks the authority for them and records them by ${formatDay(reasonsDue, 'en')} (3 working days left). Go to the procedures →`);
    expect(nextLine((await page(vi, `/cases/${refused._id}`)).text)).to.include(`Giấy phép lao động bị từ chối mà không có văn bản nêu lý do: cán bộ nhân sự đề nghị cơ quan có thẩm quyền gửi và ghi nhận chậm nhất ngày ${formatDay(reasonsDue, 'vi')} (còn 3 ngày làm việc)`);
    // The reasons in: HR decides what next; the date is the case's next one, said for what it is.
    await Case.updateOne({ _id: refused._id, 'supportTracks.kind': 'work_permit' }, { $set: { 'supportTracks.$.reasonsReceivedAt': new Date() } });
    expect(nextLine((await page(en, `/cases/${refused._id}`)).text)).to.equal(`Next: HR. Work permit refused: HR decides what next: file again or mark not needed; the stage is due by ${formatDay(stageDue, 'en')} (40 working days left). Go to the procedures →`);
    expect(nextLine((await page(vi, `/cases/${refused._id}`)).text)).to.include('Giấy phép lao động bị từ chối: cán bộ nhân sự quyết định bước tiếp theo: nộp lại hoặc đánh dấu không cần; hạn của bước này là ngày');
  });

  it('records an offer accepted by e-mail: onboarding, audited, the applicant gets the acceptance e-mail; a future date is refused and kept', async () => {
    const c = await createCase({ applicant: applicantEn, call, stage: 'offer', stageDueAt: nine(), stageEnteredAt: calendar.addWorkingDays(new Date(), -2) });
    const a = await signedIn(t, hr);
    const p = await page(a, `/cases/${c._id}`);
    const action = `/cases/${c._id}/actions/record_acceptance`;
    const v = versionIn(p.text, action);
    const tomorrow = vnDateKey(new Date(Date.now() + 2 * 86_400_000));
    const bad = await post(a, p.text, action, { version: v, receivedVia: 'email', receivedOn: tomorrow, reason: 'Signed letter attached to her e-mail' });
    expect(bad.status).to.equal(422);
    // The range allowed is named (the text field has no max the browser keeps to).
    expect(text(bad.text)).to.match(/The day it was received cannot be in the future: a day between \d{1,2} [A-Z][a-z]{2} \d{4} and \d{1,2} [A-Z][a-z]{2} \d{4}\./);
    expect(bad.text).to.include(`value="${dayFirst(tomorrow)}"`);
    expect(bad.text).to.include('Signed letter attached to her e-mail');
    expect(bad.text).to.match(/<details id="record-acceptance" open>/);
    const notDate = await post(a, p.text, action, { version: v, receivedVia: 'email', receivedOn: '4 Dec', reason: 'Signed letter' });
    expect(notDate.status).to.equal(422);
    expect(text(notDate.text)).to.include('This is not a date: type it as day/month/year, for example 05/12/2026.');
    expect(notDate.text).to.include('value="4 Dec"');
    const noVia = await post(a, p.text, action, { version: v, receivedOn: vnDateKey(new Date()), reason: 'Signed letter' });
    expect(noVia.status).to.equal(422);
    expect((await Case.findById(c._id).lean())!.stage).to.equal('offer');

    const today = vnDateKey(new Date());
    const ok = await post(a, p.text, action, { version: v, receivedVia: 'email', receivedOn: today, reason: 'Signed letter attached to her e-mail' });
    expect(ok.status).to.equal(303);
    const after = (await Case.findById(c._id).lean())!;
    expect(after.stage).to.equal('onboarding');
    expect(after.supportTracks.find((s) => s.kind === 'work_permit')?.status).to.equal('requested');
    const event = after.history.at(-1)!;
    expect(event.action).to.equal('record_acceptance');
    expect(event.received?.via).to.equal('email');
    expect(vnDateKey(event.received!.on)).to.equal(today);
    const audit = await AuditEvent.findOne({ targetId: String(c._id), action: 'case.transition' }).sort({ at: -1 }).lean();
    expect(audit?.summary).to.include({ action: 'record_acceptance', from: 'offer', to: 'onboarding' });
    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(applicantEn.email, /accept|offer/i);
    expect(mail.text).to.include('Thank you for accepting our offer');
    // The timeline says how and when it came, in the reader's language.
    const shown = text((await page(await signedIn(t, hrVi), `/cases/${c._id}`)).text);
    expect(shown).to.include(`Nhận qua e-mail ngày ${formatDay(new Date(), 'vi')}.`);
    // The same form again (a double click) is the conflict page, nothing written twice.
    const again = await post(a, p.text, action, { version: v, receivedVia: 'email', receivedOn: today, reason: 'Signed letter attached to her e-mail' });
    expect(again.status).to.equal(409);
    expect((await Case.findById(c._id).lean())!.history.filter((h) => h.action === 'record_acceptance')).to.have.length(1);
  });

  async function awaiting(who: UserDoc, dueAt: Date) {
    return createCase({ applicant: who, call, stage: 'awaiting_applicant', stageDueAt: dueAt, infoRequest: { items: ['Certified degree translation'], dueAt, requestedAt: new Date(), requestedBy: hr._id } });
  }

  it('shows the request\'s working days left, or overdue', async () => {
    const c = await awaiting(applicant, nine());
    const lateDue = calendar.addWorkingDays(new Date(), -3);
    const lateBy = -calendar.workingDaysBetween(new Date(), lateDue);
    expect(lateBy).to.be.greaterThan(1);
    const late = await awaiting(applicant, lateDue);
    const a = await signedIn(t, hr);
    expect((await page(a, `/cases/${c._id}`)).text).to.match(/<span id="request-left">9 working days left<\/span>/);
    expect((await page(a, `/cases/${late._id}`)).text).to.include(`<span id="request-left" class="badge err">${lateBy} working days overdue</span>`);
    expect((await page(await signedIn(t, hrVi), `/cases/${c._id}`)).text).to.include('còn 9 ngày làm việc');
  });

  it('extends the date: the applicant is e-mailed the new date in their language, the stage stays, the deadline moves; bad dates are refused and kept', async () => {
    const first = nine();
    const c = await awaiting(applicant, first);
    const a = await signedIn(t, hr);
    const p = await page(a, `/cases/${c._id}`);
    const action = `/cases/${c._id}/request-info/extend`;
    const v = versionIn(p.text, action);
    const past = await post(a, p.text, action, { version: v, extendDueAt: '2020-01-06', extendReason: 'Translator delayed' });
    expect(past.status).to.equal(422);
    expect(text(past.text)).to.include('The due date must be in the future.');
    expect(past.text).to.include('value="06/01/2020"');
    expect(past.text).to.include('Translator delayed');
    expect(past.text).to.match(/<details id="extend-request" open>/);
    const junk = await post(a, p.text, action, { version: v, extendDueAt: 'next Friday', extendReason: 'Translator delayed' });
    expect(junk.status).to.equal(422);
    expect(text(junk.text)).to.include('This is not a date: type it as day/month/year, for example 05/12/2026.');
    expect(junk.text).to.include('value="next Friday"');
    const earlier = calendar.addWorkingDays(new Date(), 5);
    const notLater = await post(a, p.text, action, { version: v, extendDueAt: vnDateKey(earlier), extendReason: 'Translator delayed' });
    expect(notLater.status).to.equal(422);
    expect(text(notLater.text)).to.include('Choose a date later than the current answer date.');
    const later = calendar.addWorkingDays(new Date(), 15);
    const noReason = await post(a, p.text, action, { version: v, extendDueAt: vnDateKey(later), extendReason: '' });
    expect(noReason.status).to.equal(422);
    expect(text(noReason.text)).to.include('Give the reason for the extension.');
    expect(noReason.text).to.include(`value="${dayFirst(vnDateKey(later))}"`);
    expect((await Case.findById(c._id).lean())!.version).to.equal(c.version);

    const ok = await post(a, p.text, action, { version: v, extendDueAt: vnDateKey(later), extendReason: 'Translator delayed' });
    expect(ok.status).to.equal(303);
    const after = (await Case.findById(c._id).lean())!;
    expect(after.stage).to.equal('awaiting_applicant');
    expect(vnDateKey(after.infoRequest!.dueAt!)).to.equal(vnDateKey(later));
    expect(vnDateKey(after.stageDueAt!)).to.equal(vnDateKey(later));
    expect(after.nextDueAt?.getTime()).to.equal(after.stageDueAt!.getTime());
    expect(after.history.at(-1)).to.include({ action: 'extend_info', note: 'Translator delayed' });
    const audit = await AuditEvent.findOne({ targetId: String(c._id), action: 'case.info_extended' }).lean();
    expect(audit?.summary).to.include({ from: vnDateKey(first), to: vnDateKey(later) });
    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(applicant.email, /Gia hạn/);
    expect(mail.subject).to.include(formatDay(later, 'vi'));
    // With its working days, as a procedure's ask gives them.
    expect(mail.text).to.include(`hạn mới là ngày ${formatDay(later, 'vi')}, còn 15 ngày làm việc (hạn cũ là ngày ${formatDay(first, 'vi')})`);
    expect(mail.html).to.include('còn 15 ngày làm việc');
    expect(mail.text).to.include('Certified degree translation');
    expect(mail.text).not.to.include('Translator delayed');
    // A stale form with another date: the conflict page, listing the date it sent and the reason; the date moved once.
    const other = calendar.addWorkingDays(new Date(), 20);
    const again = await post(a, p.text, action, { version: v, extendDueAt: vnDateKey(other), extendReason: 'Translator delayed again' });
    expect(again.status).to.equal(409);
    expect(again.text).to.include(`<dd data-sent="extendDueAt">${formatDay(other, 'en')}</dd>`);
    expect(again.text).to.include('New answer date');
    expect(again.text).to.include('Translator delayed again');
    expect(text(again.text)).to.include('Open the case again, check what changed');
    expect(vnDateKey((await Case.findById(c._id).lean())!.infoRequest!.dueAt!)).to.equal(vnDateKey(later));
  });

  it('takes a double submit of the same date by the same officer once: "already done", no second write or e-mail; another officer gets the conflict page', async () => {
    const c = await awaiting(applicantEn, nine());
    const a = await signedIn(t, hr);
    const p = await page(a, `/cases/${c._id}`);
    const action = `/cases/${c._id}/request-info/extend`;
    const v = versionIn(p.text, action);
    const later = calendar.addWorkingDays(new Date(), 15);
    const form = { version: v, extendDueAt: vnDateKey(later), extendReason: 'Waiting for the notary' };
    // Sent together (a double click): one applies, the other finds it done.
    const [one, two] = await Promise.all([post(a, p.text, action, form), post(a, p.text, action, form)]);
    expect([one.status, two.status]).to.deep.equal([303, 303]);
    await page(a, `/cases/${c._id}`);
    // Sent again afterwards (the back button, a third click): said done, with the date.
    expect((await post(a, p.text, action, form)).status).to.equal(303);
    const shown = text((await page(a, `/cases/${c._id}`)).text);
    expect(shown).to.include(`Already done: the answer date is ${formatDay(later, 'en')}. Nothing more was changed and no second e-mail was written.`);
    expect(shown).not.to.include('This case was changed meanwhile');
    const after = (await Case.findById(c._id).lean())!;
    expect(after.version).to.equal(c.version + 1);
    expect(after.history.filter((h) => h.action === 'extend_info')).to.have.length(1);
    expect(after.outbox.filter((o) => o.template === 'info_extended')).to.have.length(1);
    await deliver(t, c._id);
    await t.smtp.waitForTo(applicantEn.email, /More time to answer/);
    expect(t.smtp.to(applicantEn.email).filter((m) => /More time to answer/.test(m.subject) && m.text.includes(formatDay(later, 'en')))).to.have.length(1);
    // The same date from another officer's stale page is not theirs to have done: the conflict page.
    const b = await signedIn(t, hrVi);
    const bPage = await page(b, `/cases/${c._id}`);
    const stale = await post(b, bPage.text, action, { ...form, version: String(c.version) });
    expect(stale.status).to.equal(409);
    expect(stale.text).to.include(`<dd data-sent="extendDueAt">${formatDay(later, 'vi')}</dd>`);
    expect((await Case.findById(c._id).lean())!.version).to.equal(c.version + 1);
  });

  it('gives the request\'s working days in its e-mail and on the applicant\'s page, and the applicant\'s timeline records the date moved (not HR\'s reason), en and vi', async () => {
    const a = await signedIn(t, hr);
    // The request from screening: the e-mail gives the working days left.
    const screening = await createCase({ applicant: applicantEn, call, stage: 'screening', stageDueAt: nine() });
    const due = calendar.addWorkingDays(new Date(), 8);
    const form = await page(a, `/cases/${screening._id}/request-info`);
    const sent = await post(a, form.text, `/cases/${screening._id}/request-info`, { version: versionIn(form.text, `/cases/${screening._id}/request-info`), items: 'Certified copy of the PhD diploma', dueAt: vnDateKey(due) });
    expect(sent.status).to.equal(303);
    await deliver(t, screening._id);
    const mail = await t.smtp.waitFor((m) => m.to.includes(applicantEn.email) && m.text.includes('Certified copy of the PhD diploma'));
    expect(mail.text).to.include(`Please answer by ${formatDay(due, 'en')} (8 working days left).`);
    expect(mail.html).to.include('(8 working days left)');
    const app = await signedIn(t, applicantEn);
    expect(plainText((await page(app, `/applications/${screening._id}`)).text)).to.include(`Answer by ${formatDay(due, 'en')} (8 working days left).`);

    // Extended: the applicant's timeline says the new date and the old one, in their language; HR's reason stays HR's.
    const p = await page(a, `/cases/${screening._id}`);
    const action = `/cases/${screening._id}/request-info/extend`;
    const later = calendar.addWorkingDays(new Date(), 12);
    expect((await post(a, p.text, action, { version: versionIn(p.text, action), extendDueAt: vnDateKey(later), extendReason: 'Notary closed for the holidays' })).status).to.equal(303);
    const mine = plainText((await page(app, `/applications/${screening._id}`)).text);
    expect(mine).to.include('Answer date extended');
    expect(mine).to.include(`New answer date: ${formatDay(later, 'en')} (it was ${formatDay(due, 'en')}).`);
    expect(mine).to.include(`Answer by ${formatDay(later, 'en')} (12 working days left).`);
    expect(mine).not.to.include('Notary closed for the holidays');
    const viApp = await signedIn(t, applicant);
    const viCase = await awaiting(applicant, nine());
    const vp = await page(a, `/cases/${viCase._id}`);
    const vAction = `/cases/${viCase._id}/request-info/extend`;
    expect((await post(a, vp.text, vAction, { version: versionIn(vp.text, vAction), extendDueAt: vnDateKey(later), extendReason: 'Notary closed' })).status).to.equal(303);
    const vi = plainText((await page(viApp, `/applications/${viCase._id}`)).text);
    expect(vi).to.include(`Hạn trả lời mới: ngày ${formatDay(later, 'vi')} (hạn cũ là ngày ${formatDay(nine(), 'vi')}).`);
    expect(vi).to.include('còn 12 ngày làm việc');
    expect(vi).not.to.include('Notary closed');
    // HR's timeline: the dates, then the reason.
    const hrShown = plainText((await page(a, `/cases/${screening._id}`)).text);
    expect(hrShown).to.include(`New answer date: ${formatDay(later, 'en')} (it was ${formatDay(due, 'en')}).`);
    expect(hrShown).to.include('Notary closed for the holidays');
  });

  it('ends the request answered outside the portal: back to screening, audited, the applicant told; a reason is required', async () => {
    const c = await awaiting(applicantEn, nine());
    const a = await signedIn(t, hr);
    const p = await page(a, `/cases/${c._id}`);
    const action = `/cases/${c._id}/actions/answered_outside`;
    // Among the request's forms, not the buttons of the actions panel.
    expect(p.text.indexOf(`action="${action}"`)).to.be.greaterThan(p.text.indexOf('id="info-request"'));
    const v = versionIn(p.text, action);
    const empty = await post(a, p.text, action, { version: v, reason: '' });
    expect(empty.status).to.equal(422);
    expect(empty.text).to.match(/<details id="answered-outside" open>/);
    expect(text(empty.text)).to.include('Say how the applicant answered: what was received, how and when.');
    expect((await Case.findById(c._id).lean())!.stage).to.equal('awaiting_applicant');
    const ok = await post(a, p.text, action, { version: v, reason: 'Degree translation received by e-mail on 4 Dec.' });
    expect(ok.status).to.equal(303);
    const after = (await Case.findById(c._id).lean())!;
    expect(after.stage).to.equal('screening');
    expect(after.stageDueAt).to.be.instanceOf(Date);
    expect(after.history.at(-1)).to.include({ action: 'answered_outside', note: 'Degree translation received by e-mail on 4 Dec.' });
    const audit = await AuditEvent.findOne({ targetId: String(c._id), action: 'case.transition' }).sort({ at: -1 }).lean();
    expect(audit?.summary).to.include({ action: 'answered_outside', from: 'awaiting_applicant', to: 'screening' });
    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(applicantEn.email, /answer was received/);
    expect(mail.text).to.include('back in screening');
    const shown = text((await page(a, `/cases/${c._id}`)).text);
    expect(shown).to.include('Answered outside the portal (see the timeline).');
    expect(shown).to.include('Degree translation received by e-mail on 4 Dec.');
  });

  it('lets only the institute\'s HR extend or end a request', async () => {
    const c = await awaiting(applicant, nine());
    const later = vnDateKey(calendar.addWorkingDays(new Date(), 15));
    const hrPage = await page(await signedIn(t, hr), `/cases/${c._id}`);
    for (const who of [leader, otherHr, applicant]) {
      const a = await signedIn(t, who);
      const res = await post(a, hrPage.text, `/cases/${c._id}/request-info/extend`, { version: String(c.version), extendDueAt: later, extendReason: 'x' });
      expect(res.status, `${who.name} extending`).to.be.oneOf([403, 404]);
      const end = await post(a, hrPage.text, `/cases/${c._id}/actions/answered_outside`, { version: String(c.version), reason: 'x' });
      expect(end.status, `${who.name} ending`).to.be.oneOf([403, 404]);
    }
    // A leader who sees the case reads the request, without its forms.
    const after = (await Case.findById(c._id).lean())!;
    expect(after.stage).to.equal('awaiting_applicant');
    expect(after.version).to.equal(c.version);
    const leaderPage = await page(await signedIn(t, leader), `/cases/${c._id}`);
    expect(leaderPage.text).not.to.include('/request-info/extend"');
  });
});
