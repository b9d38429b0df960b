// "More is asked" within a procedure, over HTTP on a test clock: HR asks the applicant for a
// document with a due date and stops the authority's clock; the e-mail arrives on the real SMTP
// server in the applicant's language; the applicant sees the request at the top of their page,
// uploads the document (a real multipart upload) and says it is done; HR records it received and
// the decision deadline is counted again from that day on the working-day calendar, and the
// applicant is e-mailed the new date. Bad input (en, vi) keeps what was typed and writes nothing;
// a double submit writes once; a stale form is a 409; applicants and another institute's HR cannot.
import { dayFirst } from '../../server/support/calendar-day.ts';
import { expect } from 'chai';
import path from 'node:path';
import { rm } from 'node:fs/promises';
import type { TestApp } from '../support/app.ts';
import { createUser } from '../support/factories.ts';
import { createCase } from '../support/case-factories.ts';
import { Institute } from '../../models/institute.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { vnDateKey } from '../../server/calendar/index.ts';
import { signedIn, page, post, versionIn, deliver, text } from '../applications/support.ts';
import { makePdf, tokenOf } from '../documents/support.ts';
import { applicantSignsIn, clickAndWait, screenshotsDir, useBrowser } from '../support/browser.ts';
import { procedureWorld, snapshot, vn } from './support.ts';

const endOf = (day: string) => new Date(`${day}T16:59:59.999Z`);

/** The hidden `track` stamp of the form posting to `action`. */
function stampIn(html: string, action: string): string {
  const at = html.indexOf(`action="${action}"`);
  expect(at, `a form posting to ${action}`).to.be.greaterThan(-1);
  return /name="track" value="([^"]*)"/.exec(html.slice(at, at + 2000))![1]!;
}

describe('procedures: more is asked of the applicant', function () {
  this.timeout(60_000);
  const uploadDir = path.resolve(`data/test/uploads-ask-${process.pid}`);
  let t: TestApp;
  let clock = vn('2027-03-01');
  let hrEn: UserDoc;
  let hrVi: UserDoc;
  let otherHr: UserDoc;
  let applicant: UserDoc;
  let applicantVi: UserDoc;
  let stranger: UserDoc;
  let call: CallDoc;

  before(async () => {
    await rm(uploadDir, { recursive: true, force: true });
    ({ t, hrEn, hrVi, call } = await procedureWorld(() => clock, {
      env: { UPLOAD_DIR: uploadDir, UPLOAD_RATE_PER_HOUR: '1000' },
      checklist: [
        { type: 'cv', phase: 'application', required: true },
        { type: 'passport', phase: 'application', required: true },
        { type: 'degree_translation', phase: 'onboarding', required: false },
      ],
    }));
    otherHr = await createUser({ role: 'hr_officer', name: 'Elsewhere', locale: 'en' });
    applicant = await createUser({ role: 'applicant', locale: 'en', name: 'Anna Berg' });
    applicantVi = await createUser({ role: 'applicant', locale: 'vi', name: 'Nguyễn Văn An' });
    stranger = await createUser({ role: 'applicant', locale: 'en', name: 'Someone Else' });
  });
  after(async () => {
    await t?.close();
    await rm(uploadDir, { recursive: true, force: true });
  });

  /** A work permit lodged on Thu 25 Feb 2027: its 10 working days end on Thu 11 Mar. A residence card still requested. */
  async function filedCase(who: UserDoc = applicant, officer: UserDoc | null = hrEn): Promise<CaseDoc> {
    return createCase({
      applicant: who,
      call,
      stage: 'onboarding',
      ...(officer ? { assignee: officer._id } : {}),
      supportTracks: [
        { kind: 'work_permit', status: 'filed', filedAt: vn('2027-02-25'), dueAt: endOf('2027-03-11'), dueCount: { from: vn('2027-02-25'), workingDays: 10 }, updatedAt: vn('2027-02-25') },
        { kind: 'residence_card', status: 'requested', updatedAt: vn('2027-02-20') },
      ],
    });
  }

  const askUrl = (c: CaseDoc, kind = 'work_permit') => `/cases/${c._id}/procedures/${kind}/asks`;
  const pageUrl = (c: CaseDoc, kind = 'work_permit') => `/cases/${c._id}/procedures/${kind}`;

  /** Loads the procedure's page and sends its request form as shown (version and stamp), with `fields`. */
  async function ask(a: Awaited<ReturnType<typeof signedIn>>, c: CaseDoc, fields: Record<string, string>, kind = 'work_permit') {
    const form = await page(a, pageUrl(c, kind));
    expect(form.status).to.equal(200);
    const action = askUrl(c, kind);
    return post(a, form.text, action, { version: versionIn(form.text, action), track: stampIn(form.text, action), ...fields });
  }

  it('HR asks with the clock stopped → e-mail on the SMTP server → the applicant sees it, uploads and says done → HR records it received → decision recounted from that day and e-mailed', async () => {
    clock = vn('2027-03-01'); // a Monday
    const c = await filedCase();
    const hr = await signedIn(t, hrEn);

    // The form: the rules table's 10 working days by default, the clock stopping ticked for a filed permit.
    const form = await page(hr, pageUrl(c));
    expect(form.text).to.include('data-ask-form');
    expect(form.text).to.match(/name="askDueAt" type="text" value="15\/03\/2027"/);
    expect(form.text).to.match(/id="f-askStopClock" name="askStopClock" value="yes" checked/);
    expect(form.text).to.include('<option value="degree_translation">Degree translations (certified)</option>');
    // A paper the checklist does not list may be asked too (it gets a place beside the checklist: ask-paper.test.ts); the offer letter signed back only when the call wants it.
    expect(form.text).to.include('<option value="criminal_record">');
    expect(form.text).not.to.include('<option value="signed_offer">');

    const res = await ask(hr, c, { askText: 'Please send a certified translation of your PhD diploma.', askDueAt: '2027-03-10', askDocument: 'degree_translation', askStopClock: 'yes' });
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal(`${pageUrl(c)}#asks`);

    let stored = (await Case.findById(c._id).lean())!;
    let wp = stored.supportTracks.find((s) => s.kind === 'work_permit')!;
    expect(wp.asks).to.have.length(1);
    const a0 = wp.asks![0]!;
    expect(a0.text).to.equal('Please send a certified translation of your PhD diploma.');
    expect(vnDateKey(a0.dueAt)).to.equal('2027-03-10');
    expect(a0.documentType).to.equal('degree_translation');
    expect(a0.stopsClock).to.equal(true);
    expect(vnDateKey(a0.stoppedDueAt!)).to.equal('2027-03-11');
    expect(wp.dueAt, 'the decision clock stopped').to.equal(undefined);
    // The queue's next deadline is now the applicant's.
    expect(vnDateKey(stored.nextDueAt!)).to.equal('2027-03-10');
    const event = stored.history.at(-1)!;
    expect(event.action).to.equal('support_ask');
    expect(event.procedure).to.deep.include({ kind: 'work_permit', ask: 'asked', askText: a0.text, askDocument: 'degree_translation', clockStopped: true, applicantVisible: true });
    expect(await AuditEvent.countDocuments({ action: 'case.procedure_ask', targetId: String(c._id) })).to.equal(1);

    // The e-mail, in the applicant's language, through the outbox to the real SMTP server.
    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(applicant.email, /more is needed/);
    expect(mail.subject).to.equal(`[${c.reference}] Work permit: more is needed from you by 10 Mar 2027`);
    expect(mail.text).to.include('Please send a certified translation of your PhD diploma.');
    expect(mail.text).to.include('Due by: 10 Mar 2027 (7 working days left)');
    expect(mail.text).to.include('Upload it as "Degree translations (certified)"');
    expect(mail.text).to.include("The authority's decision time stops until we receive it");
    expect(mail.html).to.include('Due by: 10 Mar 2027 (7 working days left)');

    // The applicant's page: the request at the top, the days left, the slot, the "done" form.
    const me = await signedIn(t, applicant);
    const mine = await page(me, `/applications/${c._id}`);
    const shown = text(mine.text);
    expect(mine.text).to.include('id="asks"');
    expect(shown.indexOf('What the HR office needs from you')).to.be.lessThan(shown.indexOf('Your procedures in Vietnam'));
    expect(shown).to.include('Please send a certified translation of your PhD diploma.');
    expect(shown).to.include('Due by: <strong>10 Mar 2027</strong> (7 working days left)');
    expect(mine.text).to.include('href="#doc-degree_translation"');
    expect(shown).to.include('Work permit: more was asked of you');
    expect(shown).to.include("The authority's decision time counts again from the day your file is complete.");
    expect(mine.text).to.include(`action="/applications/${c._id}/procedures/work_permit/asks/${String(a0._id)}/done"`);

    // HR's case page shows the applicant's date beside the procedure.
    const casePage = text((await page(hr, `/cases/${c._id}`)).text);
    expect(casePage).to.include('Asked of the applicant by');
    expect(casePage).to.include("The authority's decision clock is stopped");

    // The applicant uploads into the slot asked for: HR's page says so.
    const token = await tokenOf(me);
    const pdf = await makePdf('Certified translation');
    const up = await me.post(`/cases/${c._id}/documents`).field('_csrf', token).set('Accept', 'text/html').attach('degree_translation', pdf, { filename: 'translation.pdf', contentType: 'application/pdf' });
    expect(up.status, up.text.slice(0, 300)).to.equal(303);
    const hrPage = text((await page(hr, pageUrl(c))).text);
    expect(hrPage).to.match(/Degree translations \(certified\) uploaded on .+: check it, then record it received\./);
    // The upload answers the request: the queue's row and HR's home page say so already.
    const rowNow = (html: string) => html.slice(html.indexOf(`data-case="${c._id}"`), html.indexOf('</tr>', html.indexOf(`data-case="${c._id}"`)));
    expect(rowNow((await page(hr, '/cases?assignee=me')).text)).to.include('>Applicant answered: Work permit</a>');
    expect((await page(hr, '/')).text).to.include(`data-answer-case="${c._id}"`);
    // …and the assigned officer is e-mailed of it, once, in their language, on the SMTP server.
    const officerItems = async () => (await Case.findById(c._id).lean())!.outbox.filter((o) => o.template === 'procedure_ask_replied').map((o) => `${o.to} ${o.key}`);
    expect(await officerItems()).to.deep.equal([`${hrEn.email} ${c._id}.askUploaded.${a0._id}`]);
    await deliver(t, c._id);
    const uploadedMail = await t.smtp.waitForTo(hrEn.email, /uploaded what was asked/);
    expect(uploadedMail.subject).to.equal(`[${c.reference}] Work permit: the applicant uploaded what was asked (Degree translations (certified))`);
    expect(uploadedMail.text).to.include('the applicant uploaded a file as "Degree translations (certified)" for what you asked:');
    expect(uploadedMail.text).to.include('Please send a certified translation of your PhD diploma.');
    expect(uploadedMail.text).to.match(new RegExp(`/cases/${c._id}/procedures/work_permit([?]lang=en)?#asks`));
    // The same file sent again (a double submit: a second version of the slot): no second e-mail.
    const again2 = await me.post(`/cases/${c._id}/documents`).field('_csrf', token).set('Accept', 'text/html').attach('degree_translation', pdf, { filename: 'translation.pdf', contentType: 'application/pdf' });
    expect(again2.status, again2.text.slice(0, 300)).to.equal(303);
    expect(await officerItems()).to.have.length(1);
    await deliver(t, c._id);
    expect(t.smtp.messages.filter((m) => m.to.includes(hrEn.email) && /uploaded what was asked/.test(m.subject))).to.have.length(1);

    // "Done", sent twice (a double click): one reply.
    const mineNow = await page(me, `/applications/${c._id}`);
    const doneUrl = `/applications/${c._id}/procedures/work_permit/asks/${String(a0._id)}/done`;
    const doneForm = { version: versionIn(mineNow.text, doneUrl), track: stampIn(mineNow.text, doneUrl), reply: 'Uploaded today.' };
    expect((await post(me, mineNow.text, doneUrl, doneForm)).status).to.equal(303);
    const afterDone = await snapshot(c);
    expect((await post(me, mineNow.text, doneUrl, doneForm)).status).to.equal(303);
    expect(await snapshot(c)).to.deep.equal(afterDone);
    stored = (await Case.findById(c._id).lean())!;
    expect(stored.supportTracks.find((s) => s.kind === 'work_permit')!.asks![0]!.reply).to.equal('Uploaded today.');
    expect(text((await page(hr, pageUrl(c))).text)).to.include('Uploaded today.');

    // HR hears of it where it works daily: a badge on the queue's row, a line on the home page.
    const row = (html: string) => html.slice(html.indexOf(`data-case="${c._id}"`), html.indexOf('</tr>', html.indexOf(`data-case="${c._id}"`)));
    // A link to the case's procedures, named with the case for a list of the page's links.
    expect(row((await page(hr, '/cases?assignee=me')).text)).to.match(/<a class="badge todo" data-flag="ask-answered" href="\/cases\/[a-f0-9]{24}#support" aria-label="Applicant answered: Work permit · TA-\d{4}-\d{6}">Applicant answered: Work permit<\/a>/);
    const home = await page(hr, '/');
    expect(home.text).to.include(`data-answer-case="${c._id}"`);
    expect(text(home.text)).to.match(/Work permit: answered 1 Mar 2027/);
    expect(home.text).to.include(`href="${pageUrl(c)}#asks"`);
    // The assigned officer is e-mailed once (the double click wrote one item), in their language, on the SMTP server.
    stored = (await Case.findById(c._id).lean())!;
    // ("Done" is its own answer, with the applicant's words: one e-mail of its own, after the upload's.)
    expect(await officerItems()).to.deep.equal([`${hrEn.email} ${c._id}.askUploaded.${a0._id}`, `${hrEn.email} ${c._id}.askReplied.${a0._id}`]);
    await deliver(t, c._id);
    const heard = await t.smtp.waitForTo(hrEn.email, /says what was asked is done/);
    expect(heard.subject).to.equal(`[${c.reference}] Work permit: the applicant says what was asked is done`);
    expect(heard.text).to.include('For the Work permit of');
    expect(heard.text).to.include('Please send a certified translation of your PhD diploma.');
    expect(heard.text).to.include('Their words: Uploaded today.');
    expect(heard.text).to.match(new RegExp(`/cases/${c._id}/procedures/work_permit([?]lang=en)?#asks`));
    await deliver(t, c._id);
    expect(t.smtp.messages.filter((m) => m.to.includes(hrEn.email) && /says what was asked is done/.test(m.subject))).to.have.length(1);

    // Two days later HR records it received (today): 10 working days from Wed 3 Mar is Wed 17 Mar.
    clock = vn('2027-03-03');
    const hr2 = await signedIn(t, hrEn); // a new session on the later day
    const received = `${pageUrl(c)}/asks/${String(a0._id)}/received`;
    const hrForm = await page(hr2, pageUrl(c));
    const receivedForm = { version: versionIn(hrForm.text, received), track: stampIn(hrForm.text, received), receivedOn: '' };
    const rec = await post(hr2, hrForm.text, received, receivedForm);
    expect(rec.status).to.equal(303);
    stored = (await Case.findById(c._id).lean())!;
    wp = stored.supportTracks.find((s) => s.kind === 'work_permit')!;
    expect(wp.asks![0]!.receivedAt).to.be.instanceOf(Date);
    expect(vnDateKey(wp.dueAt!)).to.equal('2027-03-17');
    expect(vnDateKey(wp.dueCount!.from)).to.equal('2027-03-03');
    expect(wp.dueCount!.workingDays).to.equal(10);
    expect(vnDateKey(stored.nextDueAt!)).to.equal('2027-03-17');
    expect(stored.history.at(-1)!.procedure).to.deep.include({ ask: 'received', clockStopped: true });
    expect(vnDateKey(stored.history.at(-1)!.procedure!.dueAt!)).to.equal('2027-03-17');

    // Recorded received: the badge and the home page's line are gone.
    expect((await page(hr2, '/cases?assignee=me')).text).not.to.include('data-flag="ask-answered"');
    expect((await page(hr2, '/')).text).not.to.include(`data-answer-case="${c._id}"`);

    // The same click again: told it was recorded already, nothing written.
    const settled = await snapshot(c);
    const again = await post(hr2, hrForm.text, received, receivedForm);
    expect(again.status).to.equal(303);
    expect(await snapshot(c)).to.deep.equal(settled);

    await deliver(t, c._id);
    const told = await t.smtp.waitForTo(applicant.email, /has been received/);
    expect(told.subject).to.equal(`[${c.reference}] Work permit: what was asked has been received, decision expected by 17 Mar 2027`);
    expect(told.text).to.include('Decision expected by: 17 Mar 2027 (10 working days left)');
    expect(told.text).to.include('(on 3 Mar 2027)');

    // The applicant's page: no open request, the new decision date.
    const later = text((await page(await signedIn(t, applicant), `/applications/${c._id}`)).text);
    expect(later).not.to.include('What the HR office needs from you');
    expect(later).to.include('Decision expected by: 17 Mar 2027');
    expect(later).to.include('Work permit: what was asked was received');
    // Recounted, and said from what: on the applicant's row and the procedure's page.
    expect(later).to.include('<span data-counted-from>counted from 3 Mar 2027 (the day the authority received the completed file)</span>');
    expect(text((await page(hr2, pageUrl(c))).text)).to.include('<span data-counted-from>counted from 3 Mar 2027 (the day the authority received the completed file)</span>');
  });

  it('e-mails the assigned officer once, in their language, when the applicant answers by uploading (a double submit, a later version: no more), not for a file no request names', async () => {
    clock = vn('2027-03-01');
    const c = await filedCase(applicant, hrVi);
    const hr = await signedIn(t, hrVi);
    expect((await ask(hr, c, { askText: 'Bản dịch bằng tiến sĩ có công chứng.', askDueAt: '2027-03-10', askDocument: 'degree_translation' })).status).to.equal(303);
    const askId = String((await Case.findById(c._id).lean())!.supportTracks.find((s) => s.kind === 'work_permit')!.asks![0]!._id);
    const officerItems = async () => (await Case.findById(c._id).lean())!.outbox.filter((o) => o.template === 'procedure_ask_replied');

    // A file of another slot answers nothing.
    const me = await signedIn(t, applicant);
    const token = await tokenOf(me);
    const cv = await me.post(`/cases/${c._id}/documents`).field('_csrf', token).set('Accept', 'text/html').attach('cv', await makePdf('CV'), { filename: 'cv.pdf', contentType: 'application/pdf' });
    expect(cv.status, cv.text.slice(0, 300)).to.equal(303);
    expect(await officerItems()).to.have.length(0);

    // Two uploads of the slot at once (a double submit): one e-mail, one audit, the request marked.
    const pdf = await makePdf('Bản dịch');
    const send = () => me.post(`/cases/${c._id}/documents`).field('_csrf', token).set('Accept', 'text/html').attach('degree_translation', pdf, { filename: 'ban-dich.pdf', contentType: 'application/pdf' });
    const both = await Promise.all([send(), send()]);
    expect(both.map((r) => r.status)).to.deep.equal([303, 303]);
    const items = await officerItems();
    expect(items.map((o) => [o.to, o.key, o.locale])).to.deep.equal([[hrVi.email, `${c._id}.askUploaded.${askId}`, 'vi']]);
    expect(await AuditEvent.countDocuments({ action: 'case.procedure_ask_uploaded', targetId: String(c._id) })).to.equal(1);
    const stored = (await Case.findById(c._id).lean())!;
    expect(stored.supportTracks.find((s) => s.kind === 'work_permit')!.asks![0]!.uploadToldAt).to.be.instanceOf(Date);
    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(hrVi.email, /tải lên giấy tờ được yêu cầu/);
    expect(mail.subject).to.equal(`[${c.reference}] Giấy phép lao động: ứng viên đã tải lên giấy tờ được yêu cầu (Bản dịch văn bằng (có chứng thực))`);
    expect(mail.text).to.include('Bản dịch bằng tiến sĩ có công chứng.');
    expect(mail.text).to.include(`/cases/${c._id}/procedures/work_permit`);
    expect(mail.raw.headers.get('content-language')).to.equal('vi');

    // A later version of the file (the applicant corrects it): shown to HR, not e-mailed again.
    const later = await send();
    expect(later.status).to.equal(303);
    expect(await officerItems()).to.have.length(1);
  });

  it('with no officer on the case, tells the HR office of an upload (no lead named: each officer of the institute, not another institute\'s)', async () => {
    clock = vn('2027-03-01');
    const c = await filedCase(applicant, null);
    const hr = await signedIn(t, hrEn);
    expect((await ask(hr, c, { askText: 'The translation.', askDueAt: '2027-03-10', askDocument: 'degree_translation' })).status).to.equal(303);
    const me = await signedIn(t, applicant);
    const up = await me.post(`/cases/${c._id}/documents`).field('_csrf', await tokenOf(me)).set('Accept', 'text/html').attach('degree_translation', await makePdf('T'), { filename: 't.pdf', contentType: 'application/pdf' });
    expect(up.status).to.equal(303);
    const told = (await Case.findById(c._id).lean())!.outbox.filter((o) => o.template === 'procedure_ask_replied');
    expect(told.map((o) => o.to).sort()).to.deep.equal([hrEn.email, hrVi.email].sort());
    expect(told.map((o) => o.to)).not.to.include(otherHr.email);
  });

  it('e-mails a Vietnamese applicant in Vietnamese, with where to send the paper, and a request without a stopped clock leaves the deadline as it was', async () => {
    clock = vn('2027-03-01');
    // The institute's HR contact (set by an administrator): the e-mail says where the paper goes.
    await Institute.updateOne({ _id: call.institute }, { $set: { hrContact: { address: 'Phòng Tổ chức, 18 Hoàng Quốc Việt', email: 'hr@ims.example.vn' } } });
    const c = await filedCase(applicantVi);
    const hr = await signedIn(t, hrVi);
    const res = await ask(hr, c, { askText: 'Vui lòng ký lại đơn đề nghị.', askDueAt: '2027-03-05', askDocument: '' });
    expect(res.status).to.equal(303);
    const wp = (await Case.findById(c._id).lean())!.supportTracks.find((s) => s.kind === 'work_permit')!;
    expect(vnDateKey(wp.dueAt!)).to.equal('2027-03-11');
    expect(wp.asks![0]!.stopsClock).to.equal(false);
    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(applicantVi.email, /cần Ông\/Bà bổ sung/);
    expect(mail.subject).to.equal(`[${c.reference}] Giấy phép lao động: cần Ông/Bà bổ sung chậm nhất ngày 5/3/2027`);
    expect(mail.text).to.include('Hạn: 5/3/2027 (còn 4 ngày làm việc)');
    expect(mail.raw.headers.get('content-language')).to.equal('vi');
    expect(mail.text).not.to.include('tạm dừng');
    // Labelled as the address for papers sent by post (the answer itself is given on their page, said above it).
    expect(mail.text).to.include('trên trang hồ sơ của Ông/Bà');
    expect(mail.text).to.include('Giấy tờ gửi qua bưu điện hoặc nộp trực tiếp, và câu hỏi: Phòng Tổ chức, 18 Hoàng Quốc Việt · hr@ims.example.vn.');
    await Institute.updateOne({ _id: call.institute }, { $unset: { hrContact: '' } });
  });

  it('words the receipt of a request that stopped the clock as the authority’s, and warns (saved, not refused) of one on a weekend or a public holiday (en, vi)', async () => {
    clock = vn('2027-03-01');
    const c = await filedCase();
    const hr = await signedIn(t, hrEn);
    expect((await ask(hr, c, { askText: 'The certified translation the Department asked for.', askDueAt: '2027-03-10', askStopClock: 'yes' })).status).to.equal(303);
    expect((await ask(hr, c, { askText: 'A photo 4×6 for our own file.', askDueAt: '2027-03-10' })).status).to.equal(303);
    const [stopped, own] = (await Case.findById(c._id).lean())!.supportTracks.find((s) => s.kind === 'work_permit')!.asks!;
    const fieldOf = (html: string, askId: unknown) => {
      const at = html.indexOf(`data-ask="${String(askId)}"`);
      return text(html.slice(at, html.indexOf('</li>', at)));
    };
    const form = (await page(hr, pageUrl(c))).text;
    expect(fieldOf(form, stopped!._id)).to.include('Day the authority received the completed file').and.include("As on the authority's receipt (not the day the applicant sent it to you). Empty: today. The decision time counts again in full from this day.");
    expect(fieldOf(form, own!._id)).to.include('Received on').and.include('Empty: today.').and.not.include('counts again');
    expect(fieldOf((await page(await signedIn(t, hrVi), pageUrl(c))).text, stopped!._id)).to.include('Ngày cơ quan có thẩm quyền nhận đủ hồ sơ');

    // Recorded on Mon 8 Mar as received on Saturday 6 Mar: saved, and warned.
    clock = vn('2027-03-08');
    const hr2 = await signedIn(t, hrEn);
    const received = `${pageUrl(c)}/asks/${String(stopped!._id)}/received`;
    const p = await page(hr2, pageUrl(c));
    expect((await post(hr2, p.text, received, { version: versionIn(p.text, received), track: stampIn(p.text, received), receivedOn: '2027-03-06' })).status).to.equal(303);
    expect(vnDateKey((await Case.findById(c._id).lean())!.supportTracks.find((s) => s.kind === 'work_permit')!.asks![0]!.receivedAt!)).to.equal('2027-03-06');
    const after = (await page(hr2, pageUrl(c))).text;
    const flash = /<div class="flash flash-session flash-(\w+)" id="flash"[^>]*>([^<]*)<button/.exec(text(after))?.slice(1);
    const dayOff = "The day the authority received the completed file, 6 Mar 2027, is a Saturday: the authorities do not receive files then, and the decision time counts again from it. Check the date on the authority's receipt.";
    expect(flash).to.deep.equal(['warning', `Recorded as received; an e-mail to ${applicant.email} tells the applicant. ${dayOff}`]);
    // On the page too, beside the request, for as long as it says so.
    expect(fieldOf(after, stopped!._id)).to.include('Received by the authority on 6 Mar 2027').and.include(dayOff);
    // The request that did not stop the clock, received on a Sunday: HR's own receipt, nothing to warn of.
    const q = await page(hr2, pageUrl(c));
    const ownReceived = `${pageUrl(c)}/asks/${String(own!._id)}/received`;
    expect((await post(hr2, q.text, ownReceived, { version: versionIn(q.text, ownReceived), track: stampIn(q.text, ownReceived), receivedOn: '2027-03-07' })).status).to.equal(303);
    expect(/flash-session flash-(\w+)/.exec((await page(hr2, pageUrl(c))).text)?.[1]).to.equal('success');
  });

  it('refuses bad input in the officer’s language, keeps what was typed and writes nothing', async () => {
    clock = vn('2027-03-01');
    const c = await filedCase();
    const hr = await signedIn(t, hrEn);
    const before = await snapshot(c);
    const typed = 'Send the corrected <form> & signature';

    const past = await ask(hr, c, { askText: typed, askDueAt: '2027-02-26', askStopClock: 'yes' });
    expect(past.status).to.equal(422);
    expect(text(past.text)).to.include('The due date is in the past: choose today or a later day.');
    expect(past.text).to.include('Send the corrected &lt;form&gt; &amp; signature</textarea>');
    expect(past.text).to.include('id="form-errors"');

    const weekend = await ask(hr, c, { askText: typed, askDueAt: '2027-03-06' });
    expect(text(weekend.text)).to.include('The due date is a weekend day or a public holiday: choose a working day.');
    const noDay = await ask(hr, c, { askText: typed, askDueAt: '2027-02-30' });
    expect(noDay.status).to.equal(422);
    expect(noDay.text).to.match(/id="f-askDueAt-error"/);
    const empty = await ask(hr, c, { askText: '   ', askDueAt: '2027-03-10' });
    expect(text(empty.text)).to.include('Say what is asked of the applicant.');
    expect(empty.text).to.include('value="10/03/2027"');
    const notListed = await ask(hr, c, { askText: typed, askDueAt: '2027-03-10', askDocument: 'signed_offer' });
    expect(text(notListed.text)).to.include('Choose a document from the list, or none.');
    const hostile = await ask(hr, c, { askText: typed, askDueAt: '2027-03-10', askDocument: '$where' });
    expect(hostile.status).to.equal(422);
    // A clock to stop only where a decision time runs: the residence card is not filed yet.
    const noClock = await ask(hr, c, { askText: typed, askDueAt: '2027-03-10', askStopClock: 'yes' }, 'residence_card');
    expect(text(noClock.text)).to.include('Only a filed procedure with a legal decision time has a clock to stop.');

    const hv = await signedIn(t, hrVi);
    const vi = await ask(hv, c, { askText: '', askDueAt: '2027-02-26' });
    expect(vi.status).to.equal(422);
    expect(text(vi.text)).to.include('Hãy ghi nội dung cần ứng viên bổ sung.');

    expect(await snapshot(c)).to.deep.equal(before);

    // "Received" in the future, or before it was asked: refused too.
    expect((await ask(hr, c, { askText: 'A photo 4×6.', askDueAt: '2027-03-10' })).status).to.equal(303);
    const askId = String((await Case.findById(c._id).lean())!.supportTracks.find((s) => s.kind === 'work_permit')!.asks![0]!._id);
    const received = `${pageUrl(c)}/asks/${askId}/received`;
    const asked = await snapshot(c);
    for (const [day, message] of [
      ['2027-03-02', 'The day received cannot be in the future.'],
      ['2027-02-26', 'The day received cannot be before it was asked (1 Mar 2027).'],
    ] as const) {
      const p = await page(hr, pageUrl(c));
      const r = await post(hr, p.text, received, { version: versionIn(p.text, received), track: stampIn(p.text, received), receivedOn: day });
      expect(r.status).to.equal(422);
      expect(text(r.text)).to.include(message);
      expect(r.text).to.include(`value="${dayFirst(day)}"`);
    }
    expect(await snapshot(c)).to.deep.equal(asked);

    // The applicant's reply: too long is said beside it, kept, nothing written.
    const me = await signedIn(t, applicant);
    const mine = await page(me, `/applications/${c._id}`);
    const doneUrl = `/applications/${c._id}/procedures/work_permit/asks/${askId}/done`;
    const long = 'x'.repeat(2001);
    const r = await post(me, mine.text, doneUrl, { version: versionIn(mine.text, doneUrl), reply: long });
    expect(r.status).to.equal(422);
    expect(text(r.text)).to.include('This text is too long: at most 2,000 characters.');
    expect(r.text).to.include(`${long}</textarea>`);
    expect(await snapshot(c)).to.deep.equal(asked);
  });

  it('writes a request sent twice once, and refuses a stale form with the 409 page', async () => {
    clock = vn('2027-03-01');
    const c = await filedCase();
    const hr = await signedIn(t, hrEn);
    const form = await page(hr, pageUrl(c));
    const action = askUrl(c);
    const fields = { version: versionIn(form.text, action), track: stampIn(form.text, action), askText: 'Your passport’s data page, in colour.', askDueAt: '2027-03-10' };
    expect((await post(hr, form.text, action, fields)).status).to.equal(303);
    expect((await post(hr, form.text, action, fields)).status).to.equal(303);
    const stored = (await Case.findById(c._id).lean())!;
    expect(stored.supportTracks.find((s) => s.kind === 'work_permit')!.asks).to.have.length(1);
    expect(stored.outbox.filter((o) => o.template === 'procedure_ask')).to.have.length(1);

    // The same old form with another request: the procedure changed since it was loaded.
    const before = await snapshot(c);
    const stale = await post(hr, form.text, action, { ...fields, askText: 'Something else.' });
    expect(stale.status).to.equal(409);
    // Said in words: who did what, never an internal code.
    expect(text(stale.text)).to.include('More asked of the applicant: Work permit');
    expect(stale.text).not.to.match(/support_ask|procedure_ask/);
    expect(await snapshot(c)).to.deep.equal(before);
  });

  it('lets neither the applicant nor another institute’s HR record a request or its receipt, nor another applicant answer it', async () => {
    clock = vn('2027-03-01');
    const c = await filedCase();
    const hr = await signedIn(t, hrEn);
    expect((await ask(hr, c, { askText: 'A signed form.', askDueAt: '2027-03-10' })).status).to.equal(303);
    const askId = String((await Case.findById(c._id).lean())!.supportTracks.find((s) => s.kind === 'work_permit')!.asks![0]!._id);
    const before = await snapshot(c);

    const me = await signedIn(t, applicant);
    const home = await page(me, `/applications/${c._id}`);
    const mine = await post(me, home.text, askUrl(c), { version: String(before.version), askText: 'I ask myself', askDueAt: '2027-03-10' });
    expect(mine.status).to.be.oneOf([403, 404]);
    const mineReceived = await post(me, home.text, `${pageUrl(c)}/asks/${askId}/received`, { version: String(before.version) });
    expect(mineReceived.status).to.be.oneOf([403, 404]);

    const other = await signedIn(t, otherHr);
    const otherHome = await page(other, '/cases');
    const elsewhere = await post(other, otherHome.text, askUrl(c), { version: String(before.version), askText: 'Not mine', askDueAt: '2027-03-10' });
    expect(elsewhere.status).to.be.oneOf([403, 404]);
    const elsewhereReceived = await post(other, otherHome.text, `${pageUrl(c)}/asks/${askId}/received`, { version: String(before.version) });
    expect(elsewhereReceived.status).to.be.oneOf([403, 404]);

    const someone = await signedIn(t, stranger);
    const theirs = await page(someone, '/applications');
    const done = await post(someone, theirs.text, `/applications/${c._id}/procedures/work_permit/asks/${askId}/done`, { version: String(before.version) });
    expect(done.status).to.be.oneOf([403, 404]);

    expect(await snapshot(c)).to.deep.equal(before);
  });

  it('shows a request past its date as overdue to HR (case page, queue) and as a warning to the applicant', async () => {
    clock = vn('2027-03-01');
    const c = await filedCase();
    const hr = await signedIn(t, hrEn);
    expect((await ask(hr, c, { askText: 'The signed contract.', askDueAt: '2027-03-03', askStopClock: 'yes' })).status).to.equal(303);
    clock = vn('2027-03-05');
    const hrLater = await signedIn(t, hrEn);
    const casePage = await page(hrLater, `/cases/${c._id}`);
    expect(casePage.text).to.match(/data-ask="[a-f0-9]{24}" data-overdue/);
    expect(text(casePage.text)).to.include('2 working days overdue');
    const queue = text((await page(hrLater, '/cases?overdue=1')).text);
    expect(queue).to.include(c.reference);
    const me = await signedIn(t, applicant);
    const mine = text((await page(me, `/applications/${c._id}`)).text);
    expect(mine).to.include('The date has passed: please send it as soon as you can');
    expect(mine).to.include('2 working days overdue');
  });

  describe('in the browser', () => {
    const browser = useBrowser();

    it('shows the applicant the request at 375 px without sideways scrolling, and takes their "done" in the browser', async () => {
      clock = vn('2027-03-01');
      const c = await filedCase();
      const hr = await signedIn(t, hrEn);
      expect((await ask(hr, c, { askText: 'Please send a certified translation of your PhD diploma, with the translator’s stamp on every page.', askDueAt: '2027-03-10', askDocument: 'degree_translation', askStopClock: 'yes' })).status).to.equal(303);
      const ap = await browser.page({ locale: 'en-GB', viewport: { width: 375, height: 812 } });
      const errors: string[] = [];
      ap.on('pageerror', (e) => errors.push(String(e)));
      await applicantSignsIn(ap, t.baseUrl, applicant.email);
      await ap.goto(`${t.baseUrl}/applications/${c._id}`);
      const panel = (await ap.textContent('#asks'))!;
      expect(panel).to.include('translator’s stamp');
      expect(panel).to.include('7 working days left');
      expect(await ap.evaluate('document.documentElement.scrollWidth')).to.equal(375);
      await ap.screenshot({ path: path.join(screenshotsDir, 'procedures-ask-applicant-375.png'), fullPage: false });
      await ap.fill('#asks textarea[name="reply"]', 'Posted today by courier.');
      await clickAndWait(ap, '#asks button[type=submit]');
      // The translation asked for is not uploaded: the page asks first, the words kept; confirmed, it is taken.
      expect((await ap.textContent('[data-ask-not-uploaded]'))!).to.include('You have not uploaded the Degree translations (certified)');
      expect(await ap.inputValue('#asks textarea[name="reply"]')).to.equal('Posted today by courier.');
      await ap.screenshot({ path: path.join(screenshotsDir, 'procedures-ask-not-uploaded-375.png'), fullPage: false });
      expect(await ap.evaluate('document.documentElement.scrollWidth')).to.equal(375);
      await clickAndWait(ap, '#asks button[type=submit]');
      expect((await ap.textContent('#asks'))!).to.include('You told the HR office it is done');
      expect(errors).to.deep.equal([]);
    });
  });
});
