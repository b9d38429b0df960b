// Walk s37: what goes wrong in a foreign scientist's legal procedures, in Chromium, as HR (Vietnamese,
// 1280 px, its main forms from the keyboard), the applicant (English, a 390 px phone) and an
// administrator. A paper refused with a reason and replaced (a wrong file type first); an expiring
// passport renewed; the work permit filed, refused with a reason, filed again; the case held and
// resumed; a public holiday added inside the running procedure; the authority's deadline missed; a
// stale second tab. Each working-day figure is checked against the calendar counted by hand here
// (a weekend and 1 January between), on HR's queue, HR's case page and the applicant's page alike.
// The app's clock walks from Monday 21 December 2026; sign-in codes keep the real time.
// WALK=1 prints each page and e-mail; screenshots go to $WALK_SHOTS (default test-results/screenshots).
import { mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../support/app.ts';
import { useBrowser, clickAndWait } from '../support/browser.ts';
import { pageProblems } from '../support/page-checks.ts';
import { shots, show, squash, walkPages } from './kit.ts';
import { deliver } from '../applications/support.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case } from '../../models/case.ts';
import { CaseDocument } from '../../models/document.ts';
import { Holiday } from '../../models/holiday.ts';
import { DeadlineRecount } from '../../models/deadline-recount.ts';
import type { UserDoc } from '../../models/user.ts';
import { seedHolidays, vnDateKey as vnKey } from '../../server/calendar/index.ts';
import { transition } from '../../server/workflow/index.ts';
import { actorContext } from '../workflow/context.ts';
import { makeJpeg, makePdf } from '../documents/support.ts';

/** Noon in Hanoi on a day. */
const noon = (day: string) => new Date(`${day}T05:00:00.000Z`);
/** The holiday the administrator adds inside the running procedure: a Thursday no seeded list has. */
const ADDED_HOLIDAY = '2026-12-31';

describe('walk s37: HR\'s legal procedures when things go wrong', function () {
  this.timeout(300_000);
  const browser = useBrowser();
  let t: TestApp;
  let uploadDir: string;
  let hr: UserDoc;
  let admin: UserDoc;
  let me: UserDoc;
  let caseId = '';
  const errors: string[] = [];
  const problems: string[] = [];
  let clock = noon('2026-12-21');

  before(async function () {
    this.timeout(120_000);
    mkdirSync(shots, { recursive: true });
    uploadDir = path.resolve(`data/test/uploads-walk-s37-${process.pid}`);
    t = await startTestApp({ env: { UPLOAD_DIR: uploadDir, UPLOAD_RATE_PER_HOUR: '1000', UPLOAD_MAX_MB: '2' }, now: () => clock });
    await seedHolidays();
    const institute = await createInstitute({ hrContact: { email: 'nhansu@walk37.example.vn', phone: '+84 24 3000 0037', address: { vi: '18 Hoàng Quốc Việt, Hà Nội', en: '18 Hoang Quoc Viet, Hanoi' }, hours: { vi: 'Thứ Hai–Thứ Sáu 8:00–17:00', en: 'Mon–Fri 8:00–17:00' } } });
    hr = await createUser({ role: 'hr_officer', institute, name: 'Trần Thu Hà', locale: 'vi', isHrLead: true });
    admin = await createUser({ role: 'admin', name: 'Quản trị Nguyễn Văn An', locale: 'vi' });
    me = await createUser({ role: 'applicant', locale: 'en', name: 'Amara Okafor' });
    const call = await createCall({
      institute,
      title: { vi: 'Chuyên gia pin thể rắn', en: 'Solid-state battery expert' },
      checklist: [
        { type: 'passport', phase: 'application', required: true },
        { type: 'photo', phase: 'onboarding', required: true },
      ],
    });
    const start = new Date('2027-02-15T00:00:00.000Z');
    const offer = await createCase({
      applicant: me,
      call,
      stage: 'offer',
      assignee: hr._id,
      profile: { fullName: 'Amara Okafor', nationality: 'NG', countryOfResidence: 'DE', overseasVietnamese: false, dateOfBirth: new Date('1985-06-02'), gender: 'undisclosed', phone: '+49 30 1234 5678', currentPosition: 'Group leader', currentEmployer: 'Helmholtz centre', highestDegree: 'phd', field: 'Electrochemistry', plannedArrival: start } as never,
      supportRequested: { workPermit: true, visa: false, residenceCard: false, housing: false, citizenship: false, family: false },
    });
    const accepted = await transition({ app: t.ctx, ctx: actorContext(t.ctx, me), caseId: offer._id, action: 'accept_offer', expectedVersion: offer.version });
    caseId = String(accepted._id);
    await deliver(t, caseId);
    t.smtp.messages.splice(0);
  });
  after(async () => {
    await Holiday.deleteMany({ date: ADDED_HOLIDAY });
    await DeadlineRecount.deleteMany({ date: ADDED_HOLIDAY });
    await t?.close();
    if (uploadDir) await rm(uploadDir, { recursive: true, force: true });
  });

  const { watch, mainText, shot, look, mails, phone, desk, myPage, hrCase, tabTo, enter, timelineOf, checked } = walkPages({ t: () => t, browser, prefix: 'trouble-s37', errors, problems, applicant: () => me, hr: () => hr, caseId: () => caseId, notEnglish: /Kính gửi|ngày làm việc/ });
  const stored = async () => (await Case.findById(caseId).lean())!;
  const permit = async () => (await stored()).supportTracks!.find((s) => s.kind === 'work_permit')!;
  const docOf = async (type: 'passport' | 'photo') => (await CaseDocument.findOne({ case: caseId, type, current: true }).lean())!;

  it('a paper refused with a reason: she reads it, sends a photo her phone cannot (told what to fix), then a good one; HR accepts; her expiring passport renewed', async () => {
    const p = await phone();
    await myPage(p, 'onboarding');
    // Her passport (running out on 20 Jan 2027) and a photo, from the phone.
    await p.fill('#f-passport_expiresAt', '20/01/2027');
    await p.setInputFiles('#f-passport', { name: 'passport.pdf', mimeType: 'application/pdf', buffer: await makePdf('Passport of Amara Okafor') });
    await p.setInputFiles('#f-photo', { name: 'photo.jpg', mimeType: 'image/jpeg', buffer: makeJpeg() });
    await Promise.all([p.waitForEvent('load'), p.click('form[data-upload-form] button[type=submit]')]);
    await p.waitForSelector('#doc-photo[data-state="uploaded"]');
    await mails();

    // HR: the passport accepted; the photo refused with a reason, typed and sent from the keyboard.
    const h = await desk();
    await hrCase(h, 'documents-to-check');
    const passport = String((await docOf('passport'))._id);
    const photo = String((await docOf('photo'))._id);
    await Promise.all([h.waitForURL(`**/cases/${caseId}#doc-*`), h.click(`li[data-document-id="${passport}"] form.inline-form button.button-accept`)]);
    const why = 'The photo must be 4x6 cm on a white background, taken within the last six months; this one has a grey background.';
    await h.focus(`#reason-${photo}`);
    await h.keyboard.type(why);
    await tabTo(h, `li[data-document-id="${photo}"] button.button-reject`);
    await enter(h);
    expect((await CaseDocument.findById(photo).lean())!.status).to.equal('rejected');
    const hrAfter = await hrCase(h, 'photo-rejected');
    expect(hrAfter, 'the reason on HR\'s page').to.include(why);
    const [told, ...more] = await mails();
    expect(more, 'one e-mail for the refused photo').to.have.length(0);
    expect(told!.text).to.include(why);

    // She reads the reason on her phone.
    const mine = await myPage(p, 'photo-rejected');
    expect(mine).to.include(why);
    // A photo straight from her phone's camera (HEIC): refused before it is sent, told which types to send.
    await p.setInputFiles('#f-photo', { name: 'IMG_2041.HEIC', mimeType: 'image/heic', buffer: Buffer.concat([Buffer.from('\0\0\0\x18ftypheic', 'latin1'), Buffer.alloc(2000, 1)]) });
    await p.click('form[data-upload-form] button[type=submit]');
    const wrong = squash((await p.waitForSelector('[data-upload-error]:not([hidden])').then((e) => e.textContent()))!);
    show('wrong type', wrong);
    await shot(p, 'applicant-heic');
    expect(wrong).to.include('IMG_2041.HEIC').and.match(/PDF/).and.match(/JPEG|JPG/i);
    expect(await CaseDocument.countDocuments({ case: caseId, type: 'photo' }), 'nothing sent').to.equal(1);
    problems.push(...(await pageProblems(p, { lang: 'en', noSideScroll: true })));
    await p.setInputFiles('#f-photo', { name: 'photo-white.jpg', mimeType: 'image/jpeg', buffer: makeJpeg() });
    await Promise.all([p.waitForEvent('load'), p.click('form[data-upload-form] button[type=submit]')]);
    await p.waitForSelector('#doc-photo[data-state="uploaded"]');
    await mails();
    const photo2 = String((await docOf('photo'))._id);
    expect(photo2).to.not.equal(photo);
    await hrCase(h, 'photo-replaced');
    await Promise.all([h.waitForURL(`**/cases/${caseId}#doc-*`), h.click(`li[data-document-id="${photo2}"] form.inline-form button.button-accept`)]);
    expect((await CaseDocument.findById(photo2).lean())!.status).to.equal('accepted');
    const accepted = await mails();
    show('accepted mails', accepted.map((m) => m.subject).join('\n'));

    // The passport runs out before the permit's two years: she renews it from her page.
    const renewing = await myPage(p, 'passport-expiring');
    expect(renewing).to.include('Action needed: send a new version of Passport');
    await clickAndWait(p, `li[data-document-id="${passport}"] a[data-renew-link]`);
    await look(p, 'renew', 'applicant');
    // The renewal's expiry: a native date input here (views/documents/renew.hbs), a day-first text field elsewhere.
    const dateField = '#renewal form input[name$="_expiresAt"]';
    await p.fill(dateField, (await p.getAttribute(dateField, 'type')) === 'date' ? '2036-12-14' : '14/12/2036');
    await p.setInputFiles('#renewal input[type=file]', { name: 'new-passport.pdf', mimeType: 'application/pdf', buffer: await makePdf('New passport of Amara Okafor') });
    await clickAndWait(p, '#renewal button[type=submit]');
    const sentRenewal = await look(p, 'renewed', 'applicant');
    // Sent: nothing more asked of her while HR checks it.
    expect(sentRenewal).to.include('The renewal was uploaded').and.not.include('Action needed');
    const renewal = (await CaseDocument.findOne({ case: caseId, type: 'passport', renewalOf: passport }).lean())!;
    expect(renewal.status).to.equal('pending');
    await mails();
    await hrCase(h, 'renewal-waiting');
    await Promise.all([h.waitForURL(`**/cases/${caseId}#doc-*`), h.click(`li[data-renewal-id="${renewal._id}"] form.inline-form button.button-accept`)]);
    expect((await CaseDocument.findById(renewal._id).lean())!.current).to.equal(true);
    await mails();
    expect(await myPage(p, 'passport-renewed')).to.include('14 Dec 2036');
    checked('documents');
  });

  /** One procedure's form from the keyboard: the status by the arrows, the days typed (day first), the words typed, Enter. */
  const procedure = async (h: Page, v: { status: string; office?: string; filedAt?: string; decidedAt?: string; message?: string; note?: string }) => {
    await h.goto(`${t.baseUrl}/cases/${caseId}/procedures/work_permit`);
    if (!(await h.$('#f-status'))) throw new Error(`${h.url()}: ${(await mainText(h)).slice(0, 600)}`);
    await h.focus('#f-status');
    const options: string[] = await h.evaluate(`[...document.getElementById('f-status').options].map((o) => o.value)`);
    const from = options.indexOf(await h.inputValue('#f-status'));
    const to = options.indexOf(v.status);
    expect(to, `${v.status} offered (${options.join(', ')})`).to.be.greaterThan(-1);
    for (let i = from; i !== to; i += to > from ? 1 : -1) await h.keyboard.press(to > from ? 'ArrowDown' : 'ArrowUp');
    for (const [field, value] of [['office', v.office], ['filedAt', v.filedAt], ['decidedAt', v.decidedAt], ['message', v.message], ['note', v.note]] as const) {
      if (!value) continue;
      await tabTo(h, `#f-${field}`);
      await h.keyboard.press('Control+A');
      await h.keyboard.type(value);
    }
    await tabTo(h, `form[action="/cases/${caseId}/procedures/work_permit"] button[type=submit]`);
    await enter(h);
    const text = await look(h, `permit-${v.status}`, 'hr');
    expect((await permit()).status, `saved: ${text.slice(0, 400)}`).to.equal(v.status);
    return text;
  };
  /** The permit's line on the applicant's page, on HR's procedure page, on HR's case page and in HR's queue. */
  const permitFigures = async (h: Page, p: Page, name: string) => {
    const mine = await myPage(p, name);
    const applicant = /Work permit · [^]*?(?=Contact HR)/.exec(mine)?.[0] ?? mine;
    await h.goto(`${t.baseUrl}/cases/${caseId}/procedures/work_permit`);
    const procedurePage = squash((await h.textContent('#rule'))!);
    await look(h, `${name}-procedure`, 'hr');
    await h.goto(`${t.baseUrl}/cases/${caseId}`);
    const row = squash((await h.textContent('#support tr:has-text("Giấy phép lao động")')) ?? '');
    await h.goto(`${t.baseUrl}/cases`);
    const queue = squash((await h.textContent(`tr[data-case="${caseId}"]`)) ?? '');
    await look(h, `${name}-queue`, 'hr');
    show(`figures ${name}`, [applicant, procedurePage, row, queue].join('\n'));
    return { applicant, procedurePage, row, queue };
  };

  it('the work permit: filed (a weekend and New Year inside its 10 working days), refused with a reason, filed again; each step told to her with its working days', async () => {
    // Tuesday 22 December 2026: the file lodged. Decree 219/2025/ND-CP Art. 18: decided within 10
    // working days. Counted by hand: Wed 23, Thu 24, Fri 25, (Sat 26, Sun 27), Mon 28, Tue 29, Wed 30,
    // Thu 31, (Fri 1 Jan 2027, New Year's Day, Labour Code 2019 Art. 112(1)(a); Sat 2, Sun 3), Mon 4,
    // Tue 5, Wed 6: due Wednesday 6 January 2027, 10 working days left.
    clock = noon('2026-12-22');
    let h = await desk();
    let p = await phone();
    const filed = await procedure(h, { status: 'filed', office: 'Sở Nội vụ Hà Nội', filedAt: '22/12/2026', message: 'The institute lodged your work permit file with the Department of Home Affairs of Hanoi today.' });
    expect(filed).to.include('6/1/2027').and.include('còn 10 ngày làm việc');
    const [filedMail, ...more] = await mails();
    expect(more).to.have.length(0);
    expect(filedMail!.text).to.include('6 Jan 2027').and.match(/10 working days/).and.include('Department of Home Affairs of Hanoi today');
    let f = await permitFigures(h, p, 'filed');
    expect(f.applicant).to.include('6 Jan 2027').and.include('10 working days left');
    expect(f.row).to.include('6/1/2027').and.include('còn 10 ngày làm việc');
    expect(f.queue).to.include('còn 10 ngày làm việc');

    // Thursday 24 December: the Department refuses (the certificate of criminal record is too old).
    // Days later: the sessions have ended (idle); both sign in again.
    clock = noon('2026-12-24');
    h = await desk();
    p = await phone();
    // A second tab on the permit's page, opened before the refusal is recorded.
    const second = watch(await h.context().newPage());
    await second.goto(`${t.baseUrl}/cases/${caseId}/procedures/work_permit`);
    const refusedWhy = 'The Department of Home Affairs refused the file: the criminal record certificate was issued more than 6 months before the filing (Decree 219/2025/ND-CP, Art. 18(4)). Please obtain a new one; we will file again as soon as it arrives.';
    const refusedPage = await procedure(h, { status: 'refused', decidedAt: '24/12/2026', message: refusedWhy, note: 'Chị Lan ở Sở Nội vụ gọi điện báo trước.' });
    show('refused (HR)', refusedPage);
    // The stale tab: granted typed with a message, sent; told the procedure changed, the message kept, nothing saved or sent.
    const staleWords = 'Giấy phép lao động đã được cấp (tab thứ hai, cũ).';
    await second.selectOption('#f-status', 'approved');
    await second.fill('#f-decidedAt', '24/12/2026');
    await second.fill('#f-message', staleWords);
    await Promise.all([second.waitForNavigation(), second.click(`form[action="/cases/${caseId}/procedures/work_permit"] button[type=submit]`)]);
    await second.waitForLoadState('load');
    const stale = await look(second, 'permit-stale-tab', 'hr');
    expect(stale, 'the stale tab is told the procedure changed').to.match(/thay đổi|cập nhật/i);
    const kept = await second.evaluate(`[...document.querySelectorAll('main textarea')].map((x) => x.value).join('\\n') + document.querySelector('main').textContent`);
    expect(kept, 'the typed message kept').to.include(staleWords);
    expect((await permit()).status, 'the stale tab saved nothing').to.equal('refused');
    const [refusedMail, ...more2] = await mails();
    expect(more2).to.have.length(0);
    expect(refusedMail!.text).to.include(refusedWhy).and.not.include('gọi điện');
    const mineRefused = await myPage(p, 'refused');
    expect(mineRefused).to.include(refusedWhy).and.not.include('gọi điện');
    await hrCase(h, 'refused');
    show('HR timeline (refused)', await timelineOf(h, `/cases/${caseId}`));
    expect(await timelineOf(h, `/cases/${caseId}`), 'the refusal\'s reason on the staff timeline').to.include(refusedWhy)
      // HR's private note said as such, not as part of what she was told.
      .and.include('Ghi chú nội bộ (ứng viên không thấy): Chị Lan ở Sở Nội vụ gọi điện báo trước.');
    expect(await timelineOf(p, `/applications/${caseId}`), 'the refusal\'s reason on her timeline').to.include(refusedWhy).and.not.include('gọi điện');

    // Monday 28 December: filed again. By hand: Tue 29, Wed 30, Thu 31, (Fri 1 Jan holiday, weekend),
    // Mon 4 … Fri 8, (weekend), Mon 11, Tue 12: due Tuesday 12 January 2027.
    clock = noon('2026-12-28');
    h = await desk();
    p = await phone();
    const again = await procedure(h, { status: 'filed', filedAt: '28/12/2026', message: 'The institute lodged your work permit file again, with your new criminal record certificate.' });
    expect(again).to.include('12/1/2027').and.include('còn 10 ngày làm việc');
    const [againMail, ...more3] = await mails();
    expect(more3).to.have.length(0);
    expect(againMail!.text).to.include('12 Jan 2027').and.match(/10 working days/);
    f = await permitFigures(h, p, 'filed-again');
    expect(f.applicant).to.include('12 Jan 2027').and.include('10 working days left');
    expect(f.row).to.include('12/1/2027').and.include('còn 10 ngày làm việc');
    expect(f.queue).to.include('còn 10 ngày làm việc');
    checked('the permit');
  });

  it('the case held with a reason and resumed; a stale second tab is told the case changed and keeps the typed reason; a double click holds once', async () => {
    // Tuesday 29 December: held until Tuesday 5 January (by hand: Wed 30, Thu 31, Mon 4, Tue 5: 4 working days).
    clock = noon('2026-12-29');
    const h = await desk();
    const second = watch(await h.context().newPage());
    await hrCase(h, 'before-hold');
    await second.goto(`${t.baseUrl}/cases/${caseId}`);
    const holdWhy = 'Your new criminal record certificate has not arrived yet; the institute pauses your case until it does. The work permit file already lodged is not affected.';
    await h.focus('#f-reviewBy');
    await h.keyboard.type('05/01/2027');
    await tabTo(h, '#f-reason-put_on_hold');
    await h.keyboard.type(holdWhy);
    await tabTo(h, 'button[data-action="put_on_hold"]');
    await enter(h);
    await look(h, 'hold-confirm', 'hr');
    await Promise.all([h.waitForNavigation(), h.dblclick('#confirm-step')]);
    await h.waitForLoadState('load');
    const held = await stored();
    expect(held.stage).to.equal('on_hold');
    expect(held.history.filter((x) => x.action === 'put_on_hold'), 'a double click holds once').to.have.length(1);
    const [holdMail, ...more] = await mails();
    expect(more).to.have.length(0);
    expect(holdMail!.text).to.include(holdWhy).and.include('5 Jan 2027').and.match(/4 working days/);

    // The second tab, opened before the hold: the officer types another reason and sends it.
    const staleWhy = 'Chờ phiếu lý lịch tư pháp mới (tab thứ hai).';
    await second.fill('#f-reviewBy', '06/01/2027');
    await second.fill('#f-reason-put_on_hold', staleWhy);
    await Promise.all([second.waitForNavigation(), second.click('button[data-action="put_on_hold"]')]);
    await second.waitForLoadState('load');
    if (await second.$('#confirm-step')) await Promise.all([second.waitForNavigation(), second.click('#confirm-step')]);
    await second.waitForLoadState('load');
    const stale = await look(second, 'stale-tab', 'hr');
    expect(stale, 'the second tab is told the case changed').to.match(/thay đổi|đã được cập nhật/i);
    expect(await second.textContent('main'), 'the typed reason kept').to.include(staleWhy);
    expect((await stored()).history.filter((x) => x.action === 'put_on_hold'), 'the stale tab held nothing').to.have.length(1);

    // Wednesday 30 December: resumed with a reason.
    clock = noon('2026-12-30');
    const h2 = await desk();
    await hrCase(h2, 'held');
    const resumeWhy = 'Your new criminal record certificate arrived; the institute continues your case.';
    await h2.focus('#f-reason-resume');
    await h2.keyboard.type(resumeWhy);
    await tabTo(h2, 'button[data-action="resume"]');
    await enter(h2);
    if (await h2.$('#confirm-step')) {
      await tabTo(h2, '#confirm-step');
      await enter(h2);
    }
    expect((await stored()).stage).to.equal('onboarding');
    await hrCase(h2, 'resumed');
    expect(await timelineOf(h2, `/cases/${caseId}`), 'both reasons on the staff timeline').to.include(holdWhy).and.include(resumeWhy);
    const [resumeMail, ...more2] = await mails();
    expect(more2).to.have.length(0);
    expect(resumeMail!.text).to.include(resumeWhy).and.match(/working days/);
    // What she waits on: the filed permit's decision date and its working days, not only the stage's target.
    expect(resumeMail!.text).to.match(/Work permit: with the authority; its decision is due by 12 Jan 2027 \(\d+ working days? left\)/);
    const p = await phone();
    const mine = await myPage(p, 'resumed');
    expect(await timelineOf(p, `/applications/${caseId}`), 'both reasons on her timeline').to.include(holdWhy).and.include(resumeWhy);
    // Wed 30 December to Tue 12 January: Thu 31, Mon 4 … Fri 8, Mon 11, Tue 12: 8 working days.
    expect(mine).to.include('12 Jan 2027').and.include('8 working days left');
    checked('hold and resume');
  });

  it('an administrator adds 31 December as a day off: the permit\'s date moves a working day on every page, she is told once', async () => {
    clock = noon('2026-12-30');
    const a = await desk(admin);
    await a.goto(`${t.baseUrl}/admin/holidays`);
    await look(a, 'holidays', 'admin');
    await a.fill('#f-date', '31/12/2026');
    await a.fill('#f-nameVi', 'Nghỉ thêm cuối năm');
    await a.fill('#f-nameEn', 'Extra year-end day off');
    await clickAndWait(a, 'form[action="/admin/holidays"][method="post"] button[type=submit]');
    const confirm = await look(a, 'holiday-confirm', 'admin');
    show('holiday confirm', confirm);
    await a.fill('#f-reason', 'Quyết định của Thủ tướng về ngày nghỉ cuối năm 2026.');
    await Promise.all([a.waitForNavigation(), a.dblclick('main form button[type=submit]')]);
    await a.waitForLoadState('load');
    const done = await look(a, 'holiday-added', 'admin');
    show('holiday added', done);
    // By hand: Thu 31 no longer counts, so the 10th working day after Mon 28 is Wed 13 January; from
    // Wed 30 that is Mon 4 … Fri 8, Mon 11, Tue 12, Wed 13: still 8 working days left, a day later.
    expect(vnKey((await permit()).dueAt!)).to.equal('2027-01-13');
    const moved = await mails();
    expect(moved.map((m) => m.subject), 'told once').to.have.length(1);
    expect(moved[0]!.text).to.include('13 Jan 2027').and.include('12 Jan 2027').and.match(/working days/);
    const h = await desk();
    const f = await permitFigures(h, await phone(), 'holiday');
    expect(f.applicant).to.include('13 Jan 2027').and.include('8 working days left');
    expect(f.procedurePage).to.include('13/1/2027').and.include('còn 8 ngày làm việc');
    expect(f.row).to.include('13/1/2027').and.include('còn 8 ngày làm việc');
    expect(f.queue).to.include('còn 8 ngày làm việc');
    // The move on both timelines, with the holiday that made it.
    expect(await timelineOf(h, `/cases/${caseId}`)).to.include('31/12/2026').and.include('13/1/2027');
    expect(await timelineOf(await phone(), `/applications/${caseId}`)).to.include('31 Dec 2026').and.include('13 Jan 2027');
    // Once: a second look at her page and a later delivery send nothing more.
    expect(await mails()).to.have.length(0);
    checked('the holiday');
  });

  it('the authority misses its date: HR\'s queue and case page say overdue and who is late; she reads a warning, not an alarm', async () => {
    // Friday 15 January 2027: Thu 14 and Fri 15 past the 13th: 2 working days overdue.
    clock = noon('2027-01-15');
    const h = await desk();
    const p = await phone();
    const f = await permitFigures(h, p, 'overdue');
    expect(f.queue).to.include('quá hạn 2 ngày làm việc');
    expect(f.row).to.include('quá hạn 2 ngày làm việc');
    await hrCase(h, 'overdue');
    // Who is late: the authority's decision, in the queue and on the case's row.
    expect(f.queue).to.include('Giấy phép lao động: cơ quan có thẩm quyền quyết định');
    expect(f.row).to.include('Dự kiến có quyết định trước 13/1/2027').and.include('Sở Nội vụ Hà Nội');
    expect(f.applicant).to.include('13 Jan 2027 (2 working days overdue)').and.include('The authority has not decided within the time the law gives it').and.include('nothing for you to do');
    const alarm = await p.$$eval('main .field-error, main .badge.err, main [role=alert]', (els) => els.map((e) => (e.textContent ?? '').trim()).filter(Boolean));
    show('alarm on her page', alarm.join('\n'));
    expect(alarm, 'no alarm on her page').to.deep.equal([]);
    await mails();
    checked('the missed date');
  });

  it('the authority asks for more: the clock stopped, she answers from the phone, HR records it received, the 10 working days start again, each told with its days', async () => {
    // Monday 18 January 2027: the Department asks for a health certificate translation; its clock stops.
    clock = noon('2027-01-18');
    let h = await desk();
    await h.goto(`${t.baseUrl}/cases/${caseId}/procedures/work_permit`);
    const askWords = 'The Department of Home Affairs asks for a certified Vietnamese translation of your health certificate. Please upload it here.';
    await h.focus('#f-askText');
    await h.keyboard.type(askWords);
    await tabTo(h, '#f-askDueAt');
    await h.keyboard.type('22/01/2027');
    if (await h.$('#f-askStopClock')) await h.check('#f-askStopClock');
    await tabTo(h, 'form[data-ask-form] button[type=submit]');
    await enter(h);
    const asked = await look(h, 'ask-sent', 'hr');
    const ask = (await permit()).asks?.at(-1);
    expect(ask, `the ask stored: ${asked.slice(0, 400)}`).to.not.equal(undefined);
    expect(ask!.text).to.equal(askWords);
    const [askMail, ...more] = await mails();
    expect(more).to.have.length(0);
    // Mon 18 to Fri 22 January: Tue 19, Wed 20, Thu 21, Fri 22: 4 working days.
    expect(askMail!.text).to.include(askWords).and.include('22 Jan 2027').and.match(/4 working days/);

    // Tuesday 19 January: she says it is done, from her phone.
    clock = noon('2027-01-19');
    let p = await phone();
    const mine = await myPage(p, 'asked');
    expect(mine).to.include(askWords).and.include('22 Jan 2027').and.include('3 working days left');
    const done = `form[action$="/asks/${String(ask!._id)}/done"]`;
    if (await p.$(`${done} textarea`)) await p.fill(`${done} textarea`, 'I uploaded the translation from the clinic today.');
    await Promise.all([p.waitForNavigation(), p.dblclick(`${done} button[type=submit]`)]);
    await p.waitForLoadState('load');
    await look(p, 'ask-done', 'applicant');
    expect((await permit()).asks!.at(-1)!.repliedAt, 'her answer recorded').to.not.equal(undefined);
    expect((await stored()).history.filter((x) => x.procedure?.ask === 'replied'), 'a double tap answers once').to.have.length(1);
    await mails();

    // Wednesday 20 January: HR records the authority received it; the 10 working days start again.
    // By hand: Thu 21, Fri 22, Mon 25 … Fri 29, Mon 1, Tue 2, Wed 3 February 2027.
    clock = noon('2027-01-20');
    h = await desk();
    await h.goto(`${t.baseUrl}/cases/${caseId}/procedures/work_permit`);
    const received = `#f-receivedOn-${String(ask!._id)}`;
    await h.focus(received);
    await h.keyboard.type('20/01/2027');
    await tabTo(h, `form[action$="/asks/${String(ask!._id)}/received"] button[type=submit]`);
    await enter(h);
    await look(h, 'ask-received', 'hr');
    expect(vnKey((await permit()).dueAt!)).to.equal('2027-02-03');
    const movedMails = await mails();
    expect(movedMails, 'told once').to.have.length(1);
    expect(movedMails[0]!.text).to.include('3 Feb 2027').and.match(/10 working days/);
    p = await phone();
    const f = await permitFigures(h, p, 'restarted');
    expect(f.applicant).to.include('3 Feb 2027').and.include('10 working days left');
    expect(f.row).to.include('3/2/2027').and.include('còn 10 ngày làm việc');
    expect(f.queue).to.include('còn 10 ngày làm việc');
    checked('the ask');
  });
});
