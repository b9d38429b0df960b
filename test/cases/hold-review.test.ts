// A hold has a review date (server/workflow put_on_hold): HR gives it with the reason, the
// confirmation page shows it, it becomes the on-hold stage's deadline (the queue's next deadline,
// overdue once it passes, on a test clock), the applicant's e-mail says when the case will be looked
// at again, and resuming replaces it with the resumed stage's own deadline. A missing, past, too far
// or non-working day is refused in the officer's language with what was typed kept; a hold stored
// before review dates existed keeps working, without a deadline.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { seedHolidays, vnDateKey } from '../../server/calendar/index.ts';
import { signedIn, page, post, postConfirmed, versionIn, deliver, text } from '../applications/support.ts';

/** 10:00 in Vietnam on that day. */
const vn = (day: string) => new Date(`${day}T03:00:00.000Z`);

async function snapshot(c: { _id: unknown }) {
  const s = (await Case.findById(c._id).lean())!;
  return { stage: s.stage, version: s.version, stageDueAt: s.stageDueAt?.toISOString(), history: s.history.length, outbox: s.outbox.length };
}

/** A page's words, without its tags. */
const words = (html: string) => text(html.replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ');

/** The queue row of a case (its <tr>). */
function rowOf(html: string, c: CaseDoc): string {
  const at = html.indexOf(`data-case="${String(c._id)}"`);
  expect(at, 'the case is in the queue').to.be.greaterThan(-1);
  return html.slice(at, html.indexOf('</tr>', at));
}

describe('cases: a hold has a review date', function () {
  this.timeout(60_000);
  let t: TestApp;
  let clock = vn('2027-03-01');
  let hr: UserDoc;
  let hrVi: UserDoc;
  let call: CallDoc;

  before(async () => {
    t = await startTestApp({ now: () => clock });
    await seedHolidays();
    const institute = await createInstitute();
    hr = await createUser({ role: 'hr_officer', institute, name: 'Officer One', locale: 'en' });
    hrVi = await createUser({ role: 'hr_officer', institute, name: 'Cán bộ Hà', locale: 'vi' });
    call = await createCall({ institute, checklist: [] });
  });
  after(async () => {
    await t?.close();
  });

  const holdUrl = (c: CaseDoc) => `/cases/${c._id}/actions/put_on_hold`;

  it('HR holds with a review date → confirm page shows it → the queue has it as the deadline → overdue after it → resume replaces it; the applicant is told the date', async () => {
    clock = vn('2027-03-01'); // a Monday
    const applicant = await createUser({ role: 'applicant', locale: 'en', name: 'Anna Berg' });
    const c = await createCase({ applicant, call, stage: 'screening', assignee: hr._id, stageDueAt: vn('2027-03-05') });
    let a = await signedIn(t, hr);
    const p = await page(a, `/cases/${c._id}`);
    // The field: a date, required, no earlier than tomorrow, with what it means.
    expect(p.text).to.match(/id="f-reviewBy" name="reviewBy" type="text" value=""[^>]* data-day data-min="\d{4}-\d{2}-\d{2}" required/);
    expect(words(p.text)).to.include('A working day after today, at most 180 days ahead.');

    const { shown, confirmed } = await postConfirmed(a, p.text, c._id, 'put_on_hold', { version: versionIn(p.text, holdUrl(c)), reason: 'Waiting for the 2027 budget.', reviewBy: '2027-03-15' });
    expect(words(shown.text)).to.include('Review by: 15 Mar 2027');
    expect(words(shown.text)).to.include('until HR looks at it again, by 15 Mar 2027 at the latest');
    // The e-mail as it will be sent says it too.
    expect(words(shown.text)).to.include('We will look at it again by 15 Mar 2027 (10 working days left).');
    expect(confirmed.status).to.equal(303);

    const held = (await Case.findById(c._id).lean())!;
    expect(held.stage).to.equal('on_hold');
    expect(held.stageDueAt!.toISOString()).to.equal('2027-03-15T16:59:59.999Z');
    expect(held.nextDueAt!.toISOString()).to.equal(held.stageDueAt!.toISOString());
    expect(held.history.at(-1)!.note).to.equal('Waiting for the 2027 budget.');

    // The queue (the officer's own cases): the review date is the row's deadline, not overdue yet.
    let row = rowOf((await page(a, '/cases?assignee=me')).text, c);
    expect(words(row)).to.include('15 Mar 2027');
    expect(words(row)).to.include('10 working days left');
    expect(row).not.to.match(/^data-case="[^"]*" class="overdue"/);
    expect((await page(a, '/cases?overdue=1')).text).not.to.include(`data-case="${c._id}"`);
    // The case page says who acts and by when.
    expect(words((await page(a, `/cases/${c._id}`)).text)).to.include('HR looks at it again by 15 Mar 2027 (10 working days left).');

    // The applicant's e-mail, on the real SMTP server.
    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(applicant.email, /on hold/);
    expect(mail.text).to.include('We will look at it again by 15 Mar 2027 (10 working days left).');
    expect(mail.text).to.include('Reason: Waiting for the 2027 budget.');
    expect(mail.html).to.include('We will look at it again by 15 Mar 2027 (10 working days left).');

    // The day after the review date: overdue in the queue and under the overdue filter.
    clock = vn('2027-03-16');
    a = await signedIn(t, hr); // the session did not outlive a fortnight
    row = rowOf((await page(a, '/cases?assignee=me')).text, c);
    expect(row).to.match(/class="overdue"/);
    expect(words(row)).to.include('1 working day overdue');
    expect(rowOf((await page(a, '/cases?overdue=1')).text, c)).to.match(/class="overdue"/);
    expect((await page(a, `/cases/${c._id}`)).text).to.include('<span class="badge err">Overdue</span>');

    // Resume: back to screening with the 4 working days it had left when held (1 Mar, due 5 Mar), the review date gone.
    const cp = await page(a, `/cases/${c._id}`);
    const resumed = await post(a, cp.text, `/cases/${c._id}/actions/resume`, { version: versionIn(cp.text, `/cases/${c._id}/actions/resume`) });
    expect(resumed.status).to.equal(303);
    const back = (await Case.findById(c._id).lean())!;
    expect(back.stage).to.equal('screening');
    expect(vnDateKey(back.stageDueAt!)).to.equal('2027-03-22');
    expect(vnDateKey(back.nextDueAt!)).to.equal('2027-03-22');
    expect((await page(a, '/cases?overdue=1')).text).not.to.include(`data-case="${c._id}"`);
    // The applicant is told where the case is back and by when (walk 26 #9), on the SMTP server.
    await deliver(t, c._id);
    const resumedMail = await t.smtp.waitForTo(applicant.email, /Your application continues/);
    expect(resumedMail.text).to.include('It is back at the stage “Screening”.');
    expect(resumedMail.text).to.include('We aim to finish this stage by 22 Mar 2027 (4 working days left): a target our HR office works to, not a time limit set by law.');
    expect(resumedMail.html).to.include('<p data-due><strong>We aim to finish this stage by 22 Mar 2027 (4 working days left)');
  });

  for (const [locale, says] of [
    [
      'en',
      {
        missing: "Enter the day by which HR will look at this case again (the hold's review date).",
        // The days allowed, named (clock 1 Mar 2027: tomorrow to 180 days ahead).
        past: 'The review date must be a later day than today: a working day between 2 Mar 2027 and 28 Aug 2027.',
        far: 'Choose a review date within 180 days: a working day between 2 Mar 2027 and 28 Aug 2027. A longer hold gets a new review date when this one comes.',
        weekend: 'Choose a working day: this date is a weekend day or a public holiday.',
        invalid: 'This is not a date: type it as day/month/year, for example 05/12/2026.',
      },
    ],
    [
      'vi',
      {
        missing: 'Vui lòng nhập ngày phòng nhân sự sẽ xem xét lại hồ sơ này (ngày xem xét lại của việc tạm dừng).',
        past: 'Ngày xem xét lại phải sau ngày hôm nay: chọn một ngày làm việc từ 2/3/2027 đến 28/8/2027.',
        far: 'Vui lòng chọn ngày xem xét lại trong vòng 180 ngày: một ngày làm việc từ 2/3/2027 đến 28/8/2027. Nếu cần tạm dừng lâu hơn, hãy đặt ngày xem xét lại mới khi đến ngày này.',
        weekend: 'Vui lòng chọn ngày làm việc: ngày này là ngày nghỉ cuối tuần hoặc ngày lễ.',
        invalid: null,
      },
    ],
  ] as const) {
    it(`refuses a missing, past, too far or non-working review date beside the field, keeping what was typed, and changes nothing (${locale})`, async () => {
      clock = vn('2027-03-01');
      const applicant = await createUser({ role: 'applicant', locale: 'en' });
      const c = await createCase({ applicant, call, stage: 'screening', stageDueAt: vn('2027-03-05') });
      const a = await signedIn(t, locale === 'en' ? hr : hrVi);
      const p = await page(a, `/cases/${c._id}`);
      const before = await snapshot(c);
      const reason = "Waiting for the institute's budget.";
      for (const [typed, message] of [
        ['', says.missing],
        ['2027-03-01', says.past], // today
        ['2027-02-26', says.past],
        ['2027-09-01', says.far], // 184 days ahead
        ['2027-03-06', says.weekend], // a Saturday
        ...(says.invalid ? [['2027-02-31', says.invalid]] : []),
      ] as const) {
        const res = await post(a, p.text, holdUrl(c), { version: versionIn(p.text, holdUrl(c)), reason, reviewBy: typed });
        expect(res.status, typed).to.equal(422);
        expect(res.text, typed).to.include(`<p class="field-error" id="f-reviewBy-error">${message.replace(/'/g, '&#x27;')}</p>`);
        // What was typed stays: the date and the reason.
        expect(res.text, typed).to.match(new RegExp(`id="f-reviewBy" name="reviewBy" type="text" value="${typed.split('-').reverse().join('/')}"`));
        expect(res.text, typed).to.include('>Waiting for the institute&#x27;s budget.</textarea>');
        // Straight to the confirming POST (a hand-made one) is refused the same way.
        expect((await post(a, p.text, `${holdUrl(c)}/confirm`, { version: versionIn(p.text, holdUrl(c)), reason, reviewBy: typed })).status, typed).to.equal(422);
      }
      expect(await snapshot(c)).to.deep.equal(before);
    });
  }

  it('keeps working for a hold stored before review dates: no deadline in the queue, resumed as before', async () => {
    clock = vn('2027-03-01');
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await createCase({ applicant, call, stage: 'on_hold', resumeStage: 'evaluation', assignee: hr._id, stageEnteredAt: vn('2027-01-10') });
    const a = await signedIn(t, hr);
    expect(words(rowOf((await page(a, '/cases?assignee=me')).text, c))).to.include('No deadline');
    const cp = await page(a, `/cases/${c._id}`);
    expect(words(cp.text)).to.include('On hold since 10 Jan 2027; HR decides when to resume');
    const res = await post(a, cp.text, `/cases/${c._id}/actions/resume`, { version: versionIn(cp.text, `/cases/${c._id}/actions/resume`) });
    expect(res.status).to.equal(303);
    const back = (await Case.findById(c._id).lean())!;
    expect(back.stage).to.equal('evaluation');
    expect(vnDateKey(back.stageDueAt!)).to.equal('2027-03-22'); // evaluation's 15 working days
  });

  it('resumed to wait on the applicant: the Vietnamese e-mail names the stage and the request\'s own answer date', async () => {
    clock = vn('2027-03-01');
    const applicant = await createUser({ role: 'applicant', locale: 'vi', name: 'Trần Thị Bình' });
    const c = await createCase({ applicant, call, stage: 'on_hold', resumeStage: 'awaiting_applicant', assignee: hr._id, stageDueAt: vn('2027-03-05'), infoRequest: { items: ['Bản sao bằng tiến sĩ'], dueAt: vn('2027-03-10'), requestedAt: vn('2027-02-20') } });
    const a = await signedIn(t, hr);
    const cp = await page(a, `/cases/${c._id}`);
    expect((await post(a, cp.text, `/cases/${c._id}/actions/resume`, { version: versionIn(cp.text, `/cases/${c._id}/actions/resume`) })).status).to.equal(303);
    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(applicant.email, /được tiếp tục/);
    expect(mail.text).to.include('Hồ sơ đã trở lại bước “Chờ ứng viên bổ sung”.');
    expect(mail.text).to.include('Vui lòng trả lời yêu cầu bổ sung thông tin chậm nhất ngày 10/3/2027 (còn 7 ngày làm việc).');
    expect(mail.text).not.to.include('Mar');
  });

  it('resume takes an optional note to the applicant: shown in their e-mail when given (vi, "Ông/Bà"), absent without (en); too long is refused with it kept', async () => {
    clock = vn('2027-03-01');
    const resumeUrl = (c: CaseDoc) => `/cases/${c._id}/actions/resume`;
    const a = await signedIn(t, hr);

    // Without a note (a blank box): the e-mail as before, no note line.
    const en = await createUser({ role: 'applicant', locale: 'en', name: 'No Note' });
    const c1 = await createCase({ applicant: en, call, stage: 'on_hold', resumeStage: 'screening', assignee: hr._id, stageDueAt: vn('2027-03-05') });
    const p1 = await page(a, `/cases/${c1._id}`);
    expect(words(p1.text)).to.include('Note to the applicant (optional)');
    expect((await post(a, p1.text, resumeUrl(c1), { version: versionIn(p1.text, resumeUrl(c1)), reason: '  ' })).status).to.equal(303);
    expect((await Case.findById(c1._id).lean())!.history.at(-1)!.note).to.equal(undefined);
    await deliver(t, c1._id);
    const plain = await t.smtp.waitForTo(en.email, /Your application continues/);
    expect(plain.text).not.to.include('A note from HR');
    expect(plain.html).not.to.include('data-note');

    // Too long: refused in the officer's language, the note kept as typed, nothing changes.
    const vi = await createUser({ role: 'applicant', locale: 'vi', name: 'Có Ghi Chú' });
    const c2 = await createCase({ applicant: vi, call, stage: 'on_hold', resumeStage: 'screening', assignee: hr._id, stageDueAt: vn('2027-03-05') });
    const p2 = await page(a, `/cases/${c2._id}`);
    const before = await snapshot(c2);
    const long = 'x'.repeat(2001);
    const bad = await post(a, p2.text, resumeUrl(c2), { version: versionIn(p2.text, resumeUrl(c2)), reason: long });
    expect(bad.status).to.equal(422);
    expect(words(bad.text)).to.include('The note to the applicant is too long (at most 2000 characters).');
    expect(bad.text).to.include(`>${long}</textarea>`);
    expect(await snapshot(c2)).to.deep.equal(before);

    // With a note: the history keeps it, the Vietnamese e-mail shows it (escaped in HTML).
    const note = 'Kinh phí đã được phê duyệt <b>lại</b>.';
    expect((await post(a, p2.text, resumeUrl(c2), { version: versionIn(p2.text, resumeUrl(c2)), reason: note })).status).to.equal(303);
    const after = (await Case.findById(c2._id).lean())!;
    expect(after.stage).to.equal('screening');
    expect(after.history.at(-1)!.note).to.equal(note);
    await deliver(t, c2._id);
    const mail = await t.smtp.waitForTo(vi.email, /Hồ sơ của Ông\/Bà được tiếp tục/);
    expect(mail.text).to.include(`Ghi chú của bộ phận nhân sự gửi Ông/Bà: ${note}`);
    expect(mail.html).to.include('Kinh phí đã được phê duyệt &lt;b&gt;lại&lt;/b&gt;.');
    expect(mail.html).not.to.include('<b>lại</b>');
    // Their page shows it too (the resumed event's note, as a hold's reason).
    const own = await page(await signedIn(t, vi), `/applications/${c2._id}`);
    expect(own.text).to.include('Kinh phí đã được phê duyệt &lt;b&gt;lại&lt;/b&gt;.');
  });
});
