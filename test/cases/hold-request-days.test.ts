// HR holds a case while the applicant owes an answer to a request for information (walk family-s32):
// the applicant cannot answer a held case and their page shows no answer form, yet the request's date
// kept running, so a three-week hold brought them back overdue. Now the request waits with the case:
// the hold's e-mail and their page say so with the working days they had left, the confirmation page
// tells HR, and resuming gives those working days back from that day (the request's and the stage's
// date). Vietnamese ("Ông/Bà", d/m/yyyy) and English. Real database, pages and SMTP.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case } from '../../models/case.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { seedHolidays, vnDateKey, vnEndOfDay, vnStartOfDay } from '../../server/calendar/index.ts';
import { signedIn, page, post, postConfirmed, versionIn, deliver, text } from '../applications/support.ts';

/** 10:00 in Vietnam on that day. */
const vn = (day: string) => new Date(`${day}T03:00:00.000Z`);
const words = (html: string) => text(html.replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ');

describe('cases: a request for information waits with the case on hold, its working days given back on resuming', function () {
  this.timeout(60_000);
  let t: TestApp;
  let clock = vn('2027-03-01');
  let hrVi: UserDoc;
  let hrEn: UserDoc;
  let call: CallDoc;

  before(async () => {
    t = await startTestApp({ now: () => clock });
    await seedHolidays();
    const institute = await createInstitute();
    hrVi = await createUser({ role: 'hr_officer', institute, name: 'Cán bộ Hà', locale: 'vi' });
    hrEn = await createUser({ role: 'hr_officer', institute, name: 'Officer Two', locale: 'en' });
    call = await createCall({ institute, checklist: [] });
  });
  after(async () => {
    await t?.close();
  });

  // Asked on Mon 1 Mar 2027 to answer by Thu 11 Mar: 8 working days (Mar 2–5, 8–11).
  const waiting = (applicant: UserDoc, hr: UserDoc, dueKey = '2027-03-11') =>
    createCase({ applicant, call, stage: 'awaiting_applicant', assignee: hr._id, stageDueAt: vnEndOfDay(vnStartOfDay(dueKey)), infoRequest: { items: ['Bản sao bằng tiến sĩ'], dueAt: vnEndOfDay(vnStartOfDay(dueKey)), requestedAt: vn('2027-02-20') } });

  async function hold(hr: UserDoc, caseId: unknown) {
    const a = await signedIn(t, hr);
    const p = await page(a, `/cases/${caseId}`);
    const { shown, confirmed } = await postConfirmed(a, p.text, caseId, 'put_on_hold', { version: versionIn(p.text, `/cases/${caseId}/actions/put_on_hold`), reason: 'Chờ phê duyệt ngân sách.', reviewBy: '2027-03-29' });
    expect(confirmed.status).to.equal(303);
    return words(shown.text);
  }
  async function resume(hr: UserDoc, caseId: unknown) {
    const a = await signedIn(t, hr);
    const p = await page(a, `/cases/${caseId}`);
    expect((await post(a, p.text, `/cases/${caseId}/actions/resume`, { version: versionIn(p.text, `/cases/${caseId}/actions/resume`) })).status).to.equal(303);
  }

  it('Vietnamese: held with 8 working days left, resumed three weeks later with 8 working days again (Thu 1 Apr 2027), said on the page and in both e-mails', async () => {
    clock = vn('2027-03-01');
    const applicant = await createUser({ role: 'applicant', locale: 'vi', name: 'Trần Thị Bình' });
    const c = await waiting(applicant, hrVi);
    const confirm = await hold(hrVi, c._id);
    expect(confirm).to.include('Ứng viên còn đến 11/3/2027 (8 ngày làm việc) để trả lời đề nghị bổ sung thông tin. Đề nghị này tạm dừng cùng hồ sơ');
    expect(confirm).not.to.include('Quyết định bây giờ sẽ không chờ câu trả lời');
    const paused = 'Đề nghị bổ sung thông tin (hạn 11/3/2027) cũng tạm dừng cùng hồ sơ: Ông/Bà còn 8 ngày làm việc để trả lời, và sẽ có lại số ngày này kể từ ngày hồ sơ được tiếp tục.';
    await deliver(t, c._id);
    const held = await t.smtp.waitForTo(applicant.email, /tạm dừng/);
    expect(held.text).to.include(paused);
    expect(held.html).to.include('data-request-paused');
    expect(held.text).not.to.match(/\bbạn\b/);

    clock = vn('2027-03-15');
    const mine = await signedIn(t, applicant);
    const onHold = (await page(mine, `/applications/${c._id}`)).text;
    expect(text(/<p id="held-request">([^<]*)<\/p>/.exec(onHold)?.[1] ?? '')).to.equal(paused);
    expect(words(onHold)).not.to.match(/\bbạn\b/);

    // Mon 22 Mar: 11 Mar has passed; resumed, the 8 working days count again: Mar 23–26, 29–31, Apr 1.
    clock = vn('2027-03-22');
    await resume(hrVi, c._id);
    const back = (await Case.findById(c._id).lean())!;
    expect(back.stage).to.equal('awaiting_applicant');
    expect(vnDateKey(back.infoRequest!.dueAt!)).to.equal('2027-04-01');
    expect(vnDateKey(back.stageDueAt!)).to.equal('2027-04-01');
    await deliver(t, c._id);
    const resumed = await t.smtp.waitForTo(applicant.email, /được tiếp tục/);
    expect(resumed.text).to.include('Vui lòng trả lời yêu cầu bổ sung thông tin chậm nhất ngày 1/4/2027 (còn 8 ngày làm việc).');
    // Signed in again: a week on, the earlier session has timed out.
    const after = words((await page(await signedIn(t, applicant), `/applications/${c._id}`)).text);
    expect(after).to.include('Hạn trả lời 1/4/2027 (còn 8 ngày làm việc)');
    expect(after).not.to.include('held-request');
  });

  it('English: the same days given back; a request already past its date when held comes back late by the same working days (walk s34)', async () => {
    clock = vn('2027-03-01');
    const applicant = await createUser({ role: 'applicant', locale: 'en', name: 'Anna Berg' });
    const c = await waiting(applicant, hrEn);
    const confirm = await hold(hrEn, c._id);
    expect(confirm).to.include('The applicant has until 11 Mar 2027 (8 working days) to answer the request for information. It waits with the case');
    await deliver(t, c._id);
    expect((await t.smtp.waitForTo(applicant.email, /on hold/)).text).to.include('The request for information (due 11 Mar 2027) waits with your application: you had 8 working days left to answer, and you will have them again from the day it resumes.');
    clock = vn('2027-03-22');
    await resume(hrEn, c._id);
    expect(vnDateKey((await Case.findById(c._id).lean())!.infoRequest!.dueAt!)).to.equal('2027-04-01');

    // Due Fri 26 Feb, held Mon 1 Mar: 1 working day late; resumed Mon 22 Mar, 1 working day late again (Fri 19 Mar).
    clock = vn('2027-03-01');
    const late = await createUser({ role: 'applicant', locale: 'en', name: 'Late Answer' });
    const c2 = await waiting(late, hrEn, '2027-02-26');
    await hold(hrEn, c2._id);
    await deliver(t, c2._id);
    expect((await t.smtp.waitForTo(late.email, /on hold/)).text).to.include('The request for information was due on 26 Feb 2027; it waits with your application, and you can answer it once it resumes.');
    clock = vn('2027-03-22');
    await resume(hrEn, c2._id);
    const back = (await Case.findById(c2._id).lean())!;
    expect(vnDateKey(back.infoRequest!.dueAt!)).to.equal('2027-03-19');
    expect(vnDateKey(back.stageDueAt!)).to.equal('2027-03-19');
  });
});
