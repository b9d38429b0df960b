// Walk (family-s32): an HR officer puts a case on hold from the case page (the reason is told to the
// applicant by design, with a review date) and resumes it, in Chromium at 375 px in Vietnamese; the
// applicant's page and e-mails say what changed and by when (working days), address them "Ông/Bà",
// never "bạn", and write dates the Vietnamese way (d/m/yyyy).
import path from 'node:path';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../support/app.ts';
import { applicantSignsIn, clickAndWait, screenshotsDir, staffSignsIn, useBrowser } from '../support/browser.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case } from '../../models/case.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { loadCalendar, seedHolidays, vnDateKey } from '../../server/calendar/index.ts';
import { holdReviewDay } from '../support/hold.ts';
import { deliver } from '../applications/support.ts';

const show = (label: string, s: string) => {
  if (process.env.WALK) console.log(`\n=== ${label} ===\n${s}`);
};

describe('walk: HR\'s own hold and resume at 375 px in Vietnamese, as the applicant reads it', function () {
  this.timeout(180_000);
  let t: TestApp;
  const browser = useBrowser();
  let officer: UserDoc;
  let applicant: UserDoc;
  let call: CallDoc;

  before(async () => {
    t = await startTestApp();
    await seedHolidays();
    const institute = await createInstitute();
    officer = await createUser({ role: 'hr_officer', institute, name: 'Cán bộ Nhân sự', locale: 'vi' });
    applicant = await createUser({ role: 'applicant', locale: 'vi', name: 'Nguyễn Thị Lan' });
    call = await createCall({ institute, checklist: [], title: { vi: 'Nghiên cứu viên vật liệu', en: 'Materials researcher' } });
  });
  after(async () => {
    await t?.close();
  });

  const watch = (page: Page, errors: string[]) => {
    page.on('console', (m) => {
      if (m.type() === 'error' && !/status of (404|422)/.test(m.text())) errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
  };
  const mainText = async (p: Page) => (await p.textContent('main'))!.replace(/\s+/g, ' ').trim();

  it('holds and resumes a case in screening; each page and e-mail says what changed and by when', async () => {
    const errors: string[] = [];
    const cal = await loadCalendar();
    const due = cal.addWorkingDays(new Date(), 6);
    const c = await createCase({ applicant, call, stage: 'screening', stageDueAt: due, assignee: officer._id, profile: { fullName: 'Nguyễn Thị Lan' } });
    const phone = { locale: 'vi-VN' as const, viewport: { width: 375, height: 812 } };
    const hr = await browser.page(phone);
    watch(hr, errors);
    await staffSignsIn(hr, t.baseUrl, officer);
    await hr.goto(`${t.baseUrl}/cases/${c._id}`);
    const reviewBy = holdReviewDay(new Date(), 14);
    const reviewVi = `${Number(reviewBy.slice(8))}/${Number(reviewBy.slice(5, 7))}/${reviewBy.slice(0, 4)}`;
    await hr.fill('#f-reviewBy', reviewBy);
    await hr.fill('#f-reason-put_on_hold', 'Viện đang chờ phê duyệt ngân sách năm 2027.');
    await clickAndWait(hr, 'button[data-action="put_on_hold"]');
    show('HR confirm (hold)', await mainText(hr));
    await hr.screenshot({ path: path.join(screenshotsDir, 'walk-s32-hold-confirm-375.png'), fullPage: true });
    await clickAndWait(hr, '#confirm-step');
    show('HR case page after hold', await mainText(hr));
    expect((await Case.findById(c._id).lean())!.stage).to.equal('on_hold');

    const me = await browser.page(phone);
    watch(me, errors);
    await applicantSignsIn(me, t.baseUrl, applicant.email);
    await me.goto(`${t.baseUrl}/applications/${c._id}`);
    const heldPage = await mainText(me);
    show('applicant page on hold', heldPage);
    await me.screenshot({ path: path.join(screenshotsDir, 'walk-s32-hold-applicant-375.png'), fullPage: true });
    expect(await me.evaluate('document.documentElement.scrollWidth')).to.equal(375);
    expect(heldPage).to.match(new RegExp(`Bộ phận nhân sự sẽ xem xét lại hồ sơ chậm nhất vào ngày ${reviewVi} \\(còn \\d+ ngày làm việc\\)\\.`));
    expect(heldPage).to.include('Viện đang chờ phê duyệt ngân sách năm 2027.');
    expect(heldPage).not.to.match(/\bbạn\b|held-request/);
    expect(await me.$('#held-request')).to.equal(null);
    await deliver(t, c._id);
    const holdMail = await t.smtp.waitForTo(applicant.email);
    show(`e-mail: ${holdMail.subject}`, holdMail.text);
    expect(holdMail.text).to.match(new RegExp(`chậm nhất vào ngày ${reviewVi} \\(còn \\d+ ngày làm việc\\)\\.\\nLý do: Viện đang chờ phê duyệt ngân sách năm 2027\\.`));

    await hr.goto(`${t.baseUrl}/cases/${c._id}`);
    await hr.fill('#f-reason-resume', 'Ngân sách đã được phê duyệt.');
    await clickAndWait(hr, 'button[data-action="resume"]');
    show('HR after resume click', await mainText(hr));
    if (await hr.$('#confirm-step')) await clickAndWait(hr, '#confirm-step');
    show('HR case page after resume', await mainText(hr));
    await me.goto(`${t.baseUrl}/applications/${c._id}`);
    const resumedPage = await mainText(me);
    show('applicant page resumed', resumedPage);
    await me.screenshot({ path: path.join(screenshotsDir, 'walk-s32-resumed-applicant-375.png'), fullPage: true });
    await deliver(t, c._id);
    const mails = t.smtp.to(applicant.email);
    show(`e-mail: ${mails.at(-1)!.subject}`, mails.at(-1)!.text);
    expect(resumedPage).to.match(/Bộ phận nhân sự dự kiến hoàn thành sơ tuyển chậm nhất vào ngày \d+\/\d+\/\d{4} \(còn \d+ ngày làm việc\)/);
    expect(mails.at(-1)!.text).to.include('Hồ sơ đã trở lại bước “Sơ tuyển”.');
    expect(mails.at(-1)!.text).to.match(/chậm nhất vào ngày \d+\/\d+\/\d{4} \(còn \d+ ngày làm việc\)/);
    expect(mails.at(-1)!.text).to.include('Ghi chú của bộ phận nhân sự gửi Ông/Bà: Ngân sách đã được phê duyệt.');
    for (const m of mails) expect(m.text).not.to.match(/\bbạn\b/);
    show('history', JSON.stringify((await Case.findById(c._id).lean())!.history.slice(-3), null, 1));
    expect(errors, errors.join('\n')).to.deep.equal([]);
  });

  it('held while the applicant owes an answer: at 375 px their page says the request waits, with its working days, and the answer form comes back on resuming', async () => {
    const errors: string[] = [];
    const cal = await loadCalendar();
    const phone = { locale: 'vi-VN' as const, viewport: { width: 375, height: 812 } };
    const hr = await browser.page(phone);
    watch(hr, errors);
    await staffSignsIn(hr, t.baseUrl, officer);
    const me = await browser.page(phone);
    watch(me, errors);
    await applicantSignsIn(me, t.baseUrl, applicant.email);
    const due = cal.addWorkingDays(new Date(), 8);
    const c = await createCase({ applicant, call, stage: 'awaiting_applicant', stageDueAt: due, assignee: officer._id, infoRequest: { items: ['Bản sao bằng tiến sĩ'], dueAt: due, requestedAt: new Date() } });
    const dueVi = `${Number(vnDateKey(due).slice(8))}/${Number(vnDateKey(due).slice(5, 7))}/${vnDateKey(due).slice(0, 4)}`;
    await hr.goto(`${t.baseUrl}/cases/${c._id}`);
    await hr.fill('#f-reviewBy', holdReviewDay(new Date(), 14));
    await hr.fill('#f-reason-put_on_hold', 'Viện đang chờ phê duyệt ngân sách năm 2027.');
    await clickAndWait(hr, 'button[data-action="put_on_hold"]');
    const confirm = await mainText(hr);
    show('HR confirm', confirm);
    expect(confirm).to.include(`Ứng viên còn đến ${dueVi} (8 ngày làm việc) để trả lời đề nghị bổ sung thông tin. Đề nghị này tạm dừng cùng hồ sơ`);
    await clickAndWait(hr, '#confirm-step');

    await me.goto(`${t.baseUrl}/applications/${c._id}`);
    const held = await mainText(me);
    show('applicant on hold', held);
    await me.screenshot({ path: path.join(screenshotsDir, 'walk-s32-hold-request-375.png'), fullPage: true });
    expect(await me.textContent('#held-request')).to.equal(`Đề nghị bổ sung thông tin (hạn ${dueVi}) cũng tạm dừng cùng hồ sơ: Ông/Bà còn 8 ngày làm việc để trả lời, và sẽ có lại số ngày này kể từ ngày hồ sơ được tiếp tục.`);
    expect(held).to.include('Viện đang chờ phê duyệt ngân sách năm 2027.');
    expect(held).not.to.match(/\bbạn\b|\d{4}-\d{2}-\d{2}|tháng \d+,/);
    expect(await me.evaluate('document.documentElement.scrollWidth')).to.equal(375);

    await hr.goto(`${t.baseUrl}/cases/${c._id}`);
    await hr.fill('#f-reason-resume', 'Ngân sách đã được phê duyệt.');
    await clickAndWait(hr, 'button[data-action="resume"]');
    await me.goto(`${t.baseUrl}/applications/${c._id}`);
    const resumed = await mainText(me);
    show('applicant resumed', resumed);
    // Resumed the same day: the 8 working days are still there, the date unchanged.
    expect(resumed).to.include(`Hạn trả lời ${dueVi} (còn 8 ngày làm việc)`);
    expect(await me.$('#held-request')).to.equal(null);
    expect(await me.$('textarea[name="answer"]')).not.to.equal(null);
    await deliver(t, c._id);
    const mails = t.smtp.to(applicant.email).filter((m) => m.subject.includes(c.reference));
    expect(mails.map((m) => m.subject)).to.have.length(2);
    expect(mails[0]!.text).to.include(`Ông/Bà còn 8 ngày làm việc để trả lời`);
    expect(mails[1]!.text).to.include(`Vui lòng trả lời yêu cầu bổ sung thông tin chậm nhất ngày ${dueVi} (còn 8 ngày làm việc).`);
    for (const m of mails) expect(m.text).not.to.match(/\bbạn\b/);
    expect(errors, errors.join('\n')).to.deep.equal([]);
  });
});
