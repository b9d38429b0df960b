// Walk s34: an HR officer's morning, a leader's choices and what each applicant then reads, in
// Chromium, on an institute with ~25 cases in every stage (./world.ts). What the users rely on is
// asserted: the queue puts what is overdue first and counts in working days; each step's reason is
// recorded, shown to staff on the timeline and told to the applicant where it concerns them; each
// e-mail says what changed, in the applicant's language, with the working days left; the pages keep
// to a 390 px screen; the main forms work from the keyboard; a double click does one thing.
// WALK=1 prints each page and e-mail; screenshots go to test-results/screenshots/walk-s34-*.png.
import path from 'node:path';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../support/app.ts';
import { applicantSignsIn, clickAndWait, screenshotsDir, staffSignsIn, useBrowser } from '../support/browser.ts';
import { Case } from '../../models/case.ts';
import type { UserDoc } from '../../models/user.ts';
import { loadCalendar, vnDateKey } from '../../server/calendar/index.ts';
import { holdReviewDay } from '../support/hold.ts';
import { deliver } from '../applications/support.ts';
import { walkWorld, type WalkWorld } from './world.ts';

const show = (label: string, s: string) => {
  if (process.env.WALK) console.log(`\n=== ${label} ===\n${s}`);
};
const squash = (s: string) => s.replace(/\s+/g, ' ').trim();
const viDay = (key: string) => `${Number(key.slice(8))}/${Number(key.slice(5, 7))}/${key.slice(0, 4)}`;

describe('walk s34: an HR officer\'s morning, a leader\'s choices, and what the applicants read', function () {
  this.timeout(300_000);
  const browser = useBrowser();
  let t: TestApp;
  let w: WalkWorld;
  const errors: string[] = [];

  before(async function () {
    this.timeout(120_000);
    t = await startTestApp();
    w = await walkWorld(t);
    // The seeding's own e-mails (submitted, screening started, ...) out of the way of the walk's.
    for (const c of Object.values(w.cases)) await deliver(t, c._id);
    t.smtp.messages.splice(0);
  });
  after(async () => {
    await t?.close();
  });

  const watch = (page: Page) => {
    page.on('console', (m) => {
      if (m.type() === 'error' && !/status of (404|409|422)/.test(m.text())) errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    return page;
  };
  const mainText = async (p: Page) => squash((await p.textContent('main'))!);
  const shot = (p: Page, name: string) => p.screenshot({ path: path.join(screenshotsDir, `walk-s34-${name}.png`), fullPage: true });
  const widthIs = async (p: Page, width: number, what: string) => expect(await p.evaluate('document.documentElement.scrollWidth'), `${what} keeps to ${width} px`).to.equal(width);
  /** The e-mails the case owes, delivered; those to its applicant returned. */
  const mailsTo = async (key: string) => {
    await deliver(t, w.cases[key]!._id);
    const to = w.applicants[key]!.email;
    const mine = t.smtp.messages.filter((m) => m.to.includes(to));
    t.smtp.messages.splice(0);
    for (const m of mine) show(`e-mail ${key}: ${m.subject}`, m.text);
    return mine;
  };
  const applicantReads = async (key: string, width = 1280) => {
    const u: UserDoc = w.applicants[key]!;
    const me = watch(await browser.page({ locale: u.locale === 'vi' ? 'vi-VN' : 'en-GB', viewport: { width, height: 900 } }));
    await applicantSignsIn(me, t.baseUrl, u.email);
    await me.goto(`${t.baseUrl}/applications/${w.cases[key]!._id}`);
    const text = await mainText(me);
    show(`applicant page ${key}`, text);
    await shot(me, `applicant-${key}-${width}`);
    await widthIs(me, width, `the applicant's page (${key})`);
    return text;
  };
  /** Tabs until the element matching `selector` has the focus (a keyboard user's way to a button). */
  const tabTo = async (p: Page, selector: string, max = 12) => {
    for (let i = 0; i < max; i += 1) {
      if (await p.evaluate(`document.activeElement?.matches(${JSON.stringify(selector)}) ?? false`)) return;
      await p.keyboard.press('Tab');
    }
    throw new Error(`Tab never reached ${selector}`);
  };

  it('HR\'s morning: the queue puts the overdue first in working days; a request, a stop, a hold and resume and a decision date each tell the applicant what changed and why', async () => {
    const cal = await loadCalendar();
    const now = new Date();
    const hr = watch(await browser.page({ locale: 'vi-VN' }));
    await staffSignsIn(hr, t.baseUrl, w.hr1);
    // --- the home page and the queue: overdue first, every deadline in working days
    const home = await mainText(hr);
    show('HR home', home);
    expect(home).to.include('2 hồ sơ quá hạn').and.include('1 hồ sơ có thủ tục hỗ trợ quá hạn');
    await hr.goto(`${t.baseUrl}/cases`);
    await shot(hr, 'queue-1280');
    const rows: Array<{ id: string; due: string }> = await hr.evaluate(`[...document.querySelectorAll('table.queue tbody tr[data-case]')].map((tr) => ({ id: tr.getAttribute('data-case'), due: tr.querySelector('.cell-due').innerText.replace(/\\s+/g, ' ') }))`);
    expect(rows.slice(0, 2).map((r) => r.id), 'the two overdue cases first, the procedure 4 working days late before the stage 3 days late').to.deep.equal([String(w.cases.visaOverdue!._id), String(w.cases.screeningOverdue!._id)]);
    expect(rows[0]!.due).to.include('Thị thực').and.include('quá hạn 4 ngày làm việc');
    expect(rows[1]!.due).to.include('quá hạn 3 ngày làm việc');
    // Then what is due today, then by the working days left, fewest first.
    expect(rows[2]!.id, 'due today, third').to.equal(String(w.cases.screeningVi!._id));
    expect(rows[2]!.due).to.include('đến hạn hôm nay');
    for (const r of [...rows.slice(0, 2), ...rows.slice(3)]) expect(r.due, `row ${r.id}`).to.match(/(còn|quá hạn) \d+ ngày làm việc/);
    const left = rows.slice(3).map((r) => Number(/còn (\d+) ngày làm việc/.exec(r.due)![1]));
    expect(left).to.deep.equal([...left].sort((a, b) => a - b));

    // --- the English-speaking officer asks Sofia for a paper, from the keyboard; a double click sends one request
    const en = watch(await browser.page({ locale: 'en-GB' }));
    await staffSignsIn(en, t.baseUrl, w.hr2);
    const sofia = w.cases.screeningEn!;
    await en.goto(`${t.baseUrl}/cases/${sofia._id}/request-info`);
    const dueKey = vnDateKey(cal.addWorkingDays(now, 7));
    await en.focus('#f-items');
    await en.keyboard.type('A certified translation of your PhD diploma');
    await en.keyboard.press('Tab');
    await tabTo(en, '#f-dueAt');
    // The date widget's own key handling is Chromium's (its segment order ignores the page's locale): filled.
    await en.fill('#f-dueAt', dueKey);
    await tabTo(en, `form[action="/cases/${sofia._id}/request-info"] button[type=submit]`);
    await Promise.all([en.waitForNavigation(), en.dblclick(`form[action="/cases/${sofia._id}/request-info"] button[type=submit]`)]);
    await en.waitForLoadState('load');
    const asked = (await Case.findById(sofia._id).lean())!;
    expect(asked.stage).to.equal('awaiting_applicant');
    expect(asked.history.filter((h) => h.action === 'request_info'), 'a double click asks once').to.have.length(1);
    const [requestMail, ...moreRequest] = await mailsTo('screeningEn');
    expect(moreRequest, 'one e-mail for one request').to.have.length(0);
    expect(requestMail!.subject).to.equal(`[${sofia.reference}] More information needed`);
    expect(requestMail!.text).to.include('- A certified translation of your PhD diploma').and.match(/Please answer by \d+ \w+ 20\d\d \(7 working days left\)\./);
    expect(requestMail!.text).to.include('Write your answer on your application page');
    const sofiaPage = await applicantReads('screeningEn');
    expect(sofiaPage).to.match(/Answer by \d+ \w+ 20\d\d \(7 working days left\)\. A certified translation of your PhD diploma/);

    // --- the Vietnamese-speaking officer stops Nam's housing: refused without a word for him, then with one
    const nam = w.cases.permit!;
    await hr.goto(`${t.baseUrl}/cases/${nam._id}/procedures/housing`);
    await hr.selectOption('#f-status', 'not_needed');
    await clickAndWait(hr, `form[action="/cases/${nam._id}/procedures/housing"] button[type=submit]`);
    expect(await hr.textContent('#form-errors')).to.include('Hãy cho ứng viên biết lý do dừng thủ tục này');
    // The error summary leads the keyboard to the box to write in.
    expect(await hr.evaluate('document.activeElement.id')).to.equal('form-errors');
    await hr.keyboard.press('Tab');
    await hr.keyboard.press('Enter');
    expect(await hr.evaluate('document.activeElement.id')).to.equal('f-message');
    await hr.keyboard.type('Ông/Bà đã tự thuê nhà gần viện, nên viện hủy phòng ở nhà khách đã đặt.');
    await clickAndWait(hr, `form[action="/cases/${nam._id}/procedures/housing"] button[type=submit]`);
    const namCase = await mainText(hr);
    expect(namCase, 'the staff timeline says what the applicant was told').to.include('Nhà ở: Đã yêu cầu → Không cần').and.include('Ông/Bà đã tự thuê nhà gần viện');
    const [stopMail] = await mailsTo('permit');
    expect(stopMail!.subject).to.equal(`[${nam.reference}] Nhà ở: không còn cần nữa`);
    expect(stopMail!.text).to.include('Kính gửi Ông/Bà Lê Hoàng Nam').and.include('Ông/Bà đã tự thuê nhà gần viện');
    const namPage = await applicantReads('permit');
    expect(namPage).to.include('Nhà ở · Không cần').and.include('Ông/Bà đã tự thuê nhà gần viện');
    // The other procedures still show their working days, the permit's with its instrument.
    expect(namPage).to.match(/Nghị định 219\/2025\/NĐ-CP[^·]*Dự kiến có quyết định trước: \d+\/\d+\/20\d\d \(còn 6 ngày làm việc\)/);

    // --- Mai's overdue screening put on hold (a double click on the confirmation holds once), then resumed
    const mai = w.cases.screeningOverdue!;
    await hr.goto(`${t.baseUrl}/cases/${mai._id}`);
    const reviewKey = holdReviewDay(now, 14);
    await hr.fill('#f-reviewBy', reviewKey);
    await hr.fill('#f-reason-put_on_hold', 'Viện đang chờ kết quả xét duyệt ngân sách năm 2027.');
    await clickAndWait(hr, 'button[data-action="put_on_hold"]');
    await Promise.all([hr.waitForNavigation(), hr.dblclick('#confirm-step')]);
    await hr.waitForLoadState('load');
    const held = (await Case.findById(mai._id).lean())!;
    expect(held.stage).to.equal('on_hold');
    expect(held.history.filter((h) => h.action === 'put_on_hold'), 'a double click holds once').to.have.length(1);
    expect(await mainText(hr)).to.include('Tạm dừng').and.include('Viện đang chờ kết quả xét duyệt ngân sách năm 2027.');
    const holdMails = await mailsTo('screeningOverdue');
    expect(holdMails).to.have.length(1);
    expect(holdMails[0]!.text).to.include(`chậm nhất vào ngày ${viDay(reviewKey)} (còn`).and.include('Lý do: Viện đang chờ kết quả xét duyệt ngân sách năm 2027.');
    expect(await applicantReads('screeningOverdue', 390)).to.include('Viện đang chờ kết quả xét duyệt ngân sách năm 2027.');
    await hr.fill('#f-reason-resume', 'Ngân sách đã được duyệt; hồ sơ tiếp tục được sơ tuyển.');
    await clickAndWait(hr, 'button[data-action="resume"]');
    if (await hr.$('#confirm-step')) await clickAndWait(hr, '#confirm-step');
    const resumeMails = await mailsTo('screeningOverdue');
    expect(resumeMails).to.have.length(1);
    expect(resumeMails[0]!.text).to.include('Hồ sơ đã trở lại bước “Sơ tuyển”.').and.match(/chậm nhất vào ngày \d+\/\d+\/20\d\d; việc xử lý đang lâu hơn dự kiến \(quá hạn 3 ngày làm việc\)/).and.include('Ngân sách đã được duyệt');
    // The hold paused her clock (walk s34 #1): 3 working days late when held, 3 late again on resuming.
    expect(vnDateKey((await Case.findById(mai._id).lean())!.stageDueAt!)).to.equal(vnDateKey(cal.addWorkingDays(now, -3)));
    const maiPage = await applicantReads('screeningOverdue');
    expect(maiPage).to.match(/Tiếp tục → Đang sơ tuyển .*Ngân sách đã được duyệt.*Tạm dừng .*Viện đang chờ kết quả xét duyệt ngân sách năm 2027\./);

    // --- Quyết's visa granted, with the day the authority decided: the e-mail says the next step and its working days
    const q = w.cases.visaOverdue!;
    await hr.goto(`${t.baseUrl}/cases/${q._id}/procedures/visa`);
    await hr.selectOption('#f-status', 'approved');
    await hr.fill('#f-decidedAt', vnDateKey(now));
    await clickAndWait(hr, `form[action="/cases/${q._id}/procedures/visa"] button[type=submit]`);
    const [visaMail] = await mailsTo('visaOverdue');
    expect(visaMail!.subject).to.equal(`[${q.reference}] Thị thực: đã được cấp`);
    expect(visaMail!.text).to.include(`Ngày quyết định: ${viDay(vnDateKey(now))}`).and.match(/Thẻ tạm trú: nay có thể tiến hành, dự kiến nộp hồ sơ trước \d+\/\d+\/20\d\d \(còn \d+ ngày làm việc\)\./);
    expect(await applicantReads('visaOverdue')).to.include('Thị thực · Đã được cấp');

    // --- the queue and a case page on a phone, in Vietnamese
    await hr.setViewportSize({ width: 390, height: 844 });
    for (const url of ['/', '/cases', `/cases/${q._id}`, `/cases/${nam._id}/procedures/work_permit`]) {
      await hr.goto(`${t.baseUrl}${url}`);
      await widthIs(hr, 390, `HR's ${url}`);
    }
    await shot(hr, 'queue-390');
    expect(errors, errors.join('\n')).to.deep.equal([]);
  });

  it('the leader: the ranked shortlist, an offer chosen from the keyboard, a rejection and a hold with their reasons, the dashboard; each candidate told', async () => {
    const ld = watch(await browser.page({ locale: 'vi-VN' }));
    await staffSignsIn(ld, t.baseUrl, w.leader);
    await ld.goto(`${t.baseUrl}/shortlists/${w.call._id}?stage=shortlisted`);
    await shot(ld, 'shortlist-1280');
    const ranked = await ld.$$eval('tr[data-case]', (trs) => trs.map((tr) => tr.getAttribute('data-case')));
    expect(ranked, 'ranked by the panel\'s weighted score').to.deep.equal([String(w.cases.short1!._id), String(w.cases.short3!._id), String(w.cases.short2!._id)]);

    const decide = async (key: string, action: string, reason: string, opts: { keyboard?: boolean; reviewBy?: string; told?: string } = {}) => {
      await ld.goto(`${t.baseUrl}/shortlists/${w.call._id}/cases/${w.cases[key]!._id}`);
      if (opts.keyboard) {
        // Radio group: focus the first, the arrows move the choice.
        const values: string[] = await ld.evaluate(`[...document.querySelectorAll('input[name=action]')].map((i) => i.value)`);
        await ld.focus('input[name=action]');
        await ld.keyboard.press('Space');
        for (let i = 0; i < values.indexOf(action); i += 1) await ld.keyboard.press('ArrowDown');
        expect(await ld.isChecked(`input[name=action][value=${action}]`)).to.equal(true);
        await tabTo(ld, '#f-reason');
        await ld.keyboard.type(reason);
        await tabTo(ld, '.decision-form button[type=submit]');
        await Promise.all([ld.waitForNavigation(), ld.keyboard.press('Enter')]);
        await tabTo(ld, '#confirm-decision', 40);
        await Promise.all([ld.waitForNavigation(), ld.keyboard.press('Enter')]);
      } else {
        await ld.check(`input[name=action][value=${action}]`);
        await ld.fill('#f-reason', reason);
        if (opts.reviewBy) await ld.fill('#f-reviewBy', opts.reviewBy);
        await clickAndWait(ld, '.decision-form button[type=submit]');
        if (opts.told) {
          // The words for the candidate, shown in the e-mail before it is confirmed.
          await ld.fill('#f-toldReason', opts.told);
          await clickAndWait(ld, '#told-refresh');
          expect(squash((await ld.textContent('#preview-told'))!)).to.equal(opts.told);
        }
        await Promise.all([ld.waitForNavigation(), ld.dblclick('#confirm-decision')]);
      }
      await ld.waitForLoadState('load');
      const c = (await Case.findById(w.cases[key]!._id).lean())!;
      expect(c.history.filter((h) => h.action === action), `${action} taken once`).to.have.length(1);
      expect(c.history.at(-1)!.note, 'the reason recorded').to.equal(reason);
      return c;
    };
    const approved = await decide('short3', 'approve_offer', 'Điểm hội đồng cao nhất; ngân sách năm 2027 đã có.', { keyboard: true });
    expect(approved.stage).to.equal('offer');
    const [offerMail] = await mailsTo('short3');
    expect(offerMail!.subject).to.include('lời mời làm việc');
    expect(offerMail!.text).to.include('ít nhất 10 ngày làm việc').and.not.include('ngân sách năm 2027');
    expect(await applicantReads('short3')).to.include('Đã mời làm việc').and.not.include('ngân sách năm 2027');

    const rejected = await decide('short2', 'reject', 'Điểm thấp hơn hai ứng viên còn lại; hướng nghiên cứu ít phù hợp.');
    expect(rejected.stage).to.equal('rejected');
    const [rejectMail] = await mailsTo('short2');
    // Lukas reads English: the leader's words for him, never the internal reason.
    expect(rejectMail!.text).to.include('What the selection panel asked us to tell you:').and.not.include('Điểm thấp');

    const heldKey = holdReviewDay(new Date(), 15);
    // A hold tells the candidate why in words written for them (walk s34 #2: the date only, no reason), never the internal one.
    const toldHold = 'Viện đang chờ quyết định bổ sung một vị trí nghiên cứu năm 2027; hồ sơ của Ông/Bà vẫn giữ nguyên vị trí trong danh sách rút gọn.';
    const held = await decide('short1', 'put_on_hold', 'Chờ quyết định mở thêm một vị trí năm 2027.', { reviewBy: heldKey, told: toldHold });
    expect(held.stage).to.equal('on_hold');
    expect(held.history.at(-1)!.told).to.equal(toldHold);
    const [holdMail] = await mailsTo('short1');
    expect(holdMail!.text).to.include(`chậm nhất vào ngày ${viDay(heldKey)} (còn`).and.include(`Lý do: ${toldHold}`).and.not.include('Chờ quyết định mở thêm');
    const heldPage = await applicantReads('short1', 390);
    expect(heldPage).to.include(toldHold).and.not.include('Chờ quyết định mở thêm');
    // HR's case page: the leader's reason and, beside it, what the candidate was told.
    const hrSees = watch(await browser.page({ locale: 'vi-VN' }));
    await staffSignsIn(hrSees, t.baseUrl, w.hr1);
    await hrSees.goto(`${t.baseUrl}/cases/${w.cases.short1!._id}`);
    expect(await mainText(hrSees)).to.include('Chờ quyết định mở thêm một vị trí năm 2027.').and.include(`Nội dung đã báo cho ứng viên: ${toldHold}`);

    // The dashboard lists the three decisions with their reasons and who took them.
    await ld.goto(`${t.baseUrl}/dashboard`);
    const dash = await mainText(ld);
    show('dashboard', dash);
    for (const [key, reason] of [['short1', 'Chờ quyết định mở thêm một vị trí năm 2027.'], ['short2', 'Điểm thấp hơn hai ứng viên còn lại'], ['short3', 'Điểm hội đồng cao nhất']] as const) {
      expect(dash, key).to.include(`${w.cases[key]!.reference}`).and.include(reason);
    }
    await shot(ld, 'dashboard-1280');
    await ld.setViewportSize({ width: 390, height: 844 });
    for (const url of [`/shortlists/${w.call._id}`, '/dashboard', `/shortlists/${w.call._id}/cases/${w.cases.evalStrong!._id}`]) {
      await ld.goto(`${t.baseUrl}${url}`);
      await widthIs(ld, 390, `the leader's ${url}`);
    }
    await shot(ld, 'dashboard-390');
    expect(errors, errors.join('\n')).to.deep.equal([]);
  });
});
