// Walk s38: an HR officer's document-checking day, in Chromium. The applicant (English, a 390 px
// phone) sends the call's papers (two files refused before they are sent, each said what to fix, what
// she typed kept) and submits; HR (Vietnamese, 1280 px, from the keyboard) finds the case by its
// "papers to check" mark, accepts the CV, refuses the passport with a reason, accepts then refuses the
// photo; a double submit and a stale second tab add nothing; she sends new versions; every required
// paper accepted, the case may go to evaluation. Both timelines are read at each step.
// WALK=1 prints each page and e-mail; screenshots go to $WALK_SHOTS (default test-results/screenshots).
import { mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../support/app.ts';
import { useBrowser } from '../support/browser.ts';
import { pageProblems } from '../support/page-checks.ts';
import { shots, show, squash, walkPages } from './kit.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case } from '../../models/case.ts';
import { CaseDocument } from '../../models/document.ts';
import type { UserDoc } from '../../models/user.ts';
import { seedHolidays } from '../../server/calendar/index.ts';
import { makeJpeg, makePdf } from '../documents/support.ts';

const HR_NAME = 'Trần Thu Hà';
const PASSPORT_WHY = 'The scan cuts off the bottom of the photo page: the two machine-readable lines must be readable. Please scan the whole page.';
const PHOTO_WHY = 'The photo has a grey background. Please send a 4x6 cm photo on a white background, taken within the last six months.';

describe('walk s38: an HR officer\'s document-checking day', function () {
  this.timeout(300_000);
  const browser = useBrowser();
  let t: TestApp;
  let uploadDir: string;
  let hr: UserDoc;
  let me: UserDoc;
  let caseId = '';
  let reference = '';
  const errors: string[] = [];
  const problems: string[] = [];

  before(async function () {
    this.timeout(120_000);
    mkdirSync(shots, { recursive: true });
    uploadDir = path.resolve(`data/test/uploads-walk-s38-${process.pid}`);
    t = await startTestApp({ env: { UPLOAD_DIR: uploadDir, UPLOAD_RATE_PER_HOUR: '1000', UPLOAD_MAX_MB: '2' } });
    await seedHolidays();
    const institute = await createInstitute({ hrContact: { email: 'nhansu@walk38.example.vn', phone: '+84 24 3000 0038', address: { vi: '18 Hoàng Quốc Việt, Hà Nội', en: '18 Hoang Quoc Viet, Hanoi' }, hours: { vi: 'Thứ Hai–Thứ Sáu 8:00–17:00', en: 'Mon–Fri 8:00–17:00' } } });
    hr = await createUser({ role: 'hr_officer', institute, name: HR_NAME, locale: 'vi', isHrLead: true });
    me = await createUser({ role: 'applicant', locale: 'en', name: 'Ingrid Solberg' });
    const call = await createCall({
      institute,
      title: { vi: 'Chuyên gia quang tử', en: 'Photonics expert' },
      checklist: [
        { type: 'cv', phase: 'application', required: true },
        { type: 'passport', phase: 'application', required: true },
        { type: 'photo', phase: 'application', required: true },
      ],
    });
    const draft = await createCase({ applicant: me, call, assignee: hr._id, profile: { fullName: 'Ingrid Solberg', nationality: 'NO', countryOfResidence: 'NO', overseasVietnamese: false, dateOfBirth: new Date('1987-03-09'), gender: 'undisclosed', phone: '+47 22 00 00 00', currentPosition: 'Researcher', currentEmployer: 'University of Oslo', highestDegree: 'phd', field: 'Photonics' } });
    caseId = String(draft._id);
    reference = draft.reference;
  });
  after(async () => {
    await t?.close();
    if (uploadDir) await rm(uploadDir, { recursive: true, force: true });
  });

  const { watch, mainText, shot, look, mails, phone, desk, myPage, hrCase, tabTo, enter, timelineOf, checked } = walkPages({ t: () => t, browser, prefix: 'documents-s38', errors, problems, applicant: () => me, hr: () => hr, caseId: () => caseId, notEnglish: /Kính gửi|ngày làm việc|Giấy tờ/ });
  const docOf = async (type: 'cv' | 'passport' | 'photo') => (await CaseDocument.findOne({ case: caseId, type, current: true }).sort({ version: -1 }).lean())!;
  const decisionLines = async () => (await Case.findById(caseId).lean())!.history.filter((x) => x.action === 'document_decision');
  /** HR's queue row of the case, found from the page as she reads it. */
  const queueRow = async (h: Page) => {
    await h.goto(`${t.baseUrl}/cases`);
    await look(h, 'queue', 'hr');
    return squash((await h.textContent(`tr:has(a[href="/cases/${caseId}"])`)) ?? '');
  };
  /** The queue's "papers to check" only, from the keyboard: the box ticked with Space, the filter sent with Enter. */
  const papersToCheck = async (h: Page) => {
    await h.goto(`${t.baseUrl}/cases`);
    await h.focus('#q-documents');
    if (!(await h.isChecked('#q-documents'))) await h.keyboard.press('Space');
    await enter(h);
    await look(h, 'queue-papers', 'hr');
    return h;
  };

  it('1. she sends the call\'s papers from her phone: a type and a size refused before sending, each said what to fix, the typed kept; then submits', async () => {
    const p = await phone();
    await myPage(p, 'draft');
    const expiry = '31/05/2033';
    await p.fill('#f-passport_expiresAt', expiry);
    // Oversize: refused when chosen.
    await p.setInputFiles('#f-cv', { name: 'CV Ingrid Solberg.pdf', mimeType: 'application/pdf', buffer: await makePdf('CV', { padTo: 3 * 1024 * 1024 }) });
    const tooBig = squash((await p.waitForSelector('[data-upload-error]:not([hidden])').then((e) => e.textContent()))!);
    show('oversize', tooBig);
    await shot(p, 'applicant-oversize');
    expect(tooBig).to.include('CV Ingrid Solberg.pdf').and.match(/2 MB/);
    expect(await p.inputValue('#f-passport_expiresAt'), 'the typed expiry kept').to.equal(expiry);
    problems.push(...(await pageProblems(p, { lang: 'en', noSideScroll: true })));
    // A phone camera's HEIC photo: refused before sending, told which types to send.
    await p.setInputFiles('#f-cv', { name: 'cv.pdf', mimeType: 'application/pdf', buffer: await makePdf('CV of Ingrid Solberg') });
    await p.setInputFiles('#f-passport', { name: 'passport.pdf', mimeType: 'application/pdf', buffer: await makePdf('Passport of Ingrid Solberg') });
    await p.setInputFiles('#f-photo', { name: 'IMG_0042.HEIC', mimeType: 'image/heic', buffer: Buffer.concat([Buffer.from('\0\0\0\x18ftypheic', 'latin1'), Buffer.alloc(2000, 1)]) });
    await p.click('form[data-upload-form] button[type=submit]');
    const wrong = squash((await p.waitForSelector('[data-upload-error]:not([hidden])').then((e) => e.textContent()))!);
    show('wrong type', wrong);
    await shot(p, 'applicant-heic');
    expect(wrong).to.include('IMG_0042.HEIC').and.match(/PDF/).and.match(/JPEG|JPG/i);
    // What to do with it, not only which types: her phone's HEIC photo saved as JPEG.
    expect(wrong).to.include('Save or export it as one of these, then choose it again').and.include('HEIC format: save or share it as JPEG');
    expect(await p.inputValue('#f-passport_expiresAt'), 'the typed expiry kept').to.equal(expiry);
    expect(await CaseDocument.countDocuments({ case: caseId }), 'nothing sent').to.equal(0);
    problems.push(...(await pageProblems(p, { lang: 'en', noSideScroll: true })));
    // The real photo: all three sent at once.
    await p.setInputFiles('#f-photo', { name: 'photo.jpg', mimeType: 'image/jpeg', buffer: makeJpeg() });
    await Promise.all([p.waitForEvent('load'), p.click('form[data-upload-form] button[type=submit]')]);
    await p.waitForSelector('#doc-photo[data-state="uploaded"]');
    expect(await CaseDocument.countDocuments({ case: caseId })).to.equal(3);
    await look(p, 'uploaded', 'applicant');
    // Submitted from the review step.
    await p.goto(`${t.baseUrl}/applications/${caseId}/edit/review`);
    await look(p, 'review', 'applicant');
    await p.check('input[name=keepDataConsent]');
    await Promise.all([p.waitForNavigation(), p.click('form[action$="/submit"] button[type=submit]')]);
    await p.waitForLoadState('load');
    const sent = (await Case.findById(caseId).lean())!;
    expect(sent.stage, (await mainText(p)).slice(0, 400)).to.equal('submitted');
    await myPage(p, 'submitted');
    await mails();
    checked('her papers');
  });

  it('2. HR finds the case by its "papers to check" mark, accepts the CV and refuses the passport from the keyboard; she is e-mailed the reason; both timelines read right', async () => {
    const h = await desk();
    const row = await queueRow(h);
    expect(row, 'the case in her queue').to.include(reference);
    expect(await h.$(`tr:has(a[href="/cases/${caseId}"]) [data-flag="documents"]`), `the papers-to-check mark: ${row}`).to.not.equal(null);
    show('queue row', row);
    await papersToCheck(h);
    const link = `a[href="/cases/${caseId}"]`;
    expect(await h.$(link), 'the case under "papers to check"').to.not.equal(null);
    await h.focus(link);
    await enter(h);
    const page = await look(h, 'case', 'hr');
    // The screening starts: Tab to its button, Enter.
    await tabTo(h, 'button[data-action="start_screening"]');
    await enter(h);
    if (await h.$('#confirm-step')) {
      await tabTo(h, '#confirm-step');
      await enter(h);
    }
    expect((await Case.findById(caseId).lean())!.stage, page.slice(0, 300)).to.equal('screening');
    await mails();
    const before = await hrCase(h, 'screening');
    expect(await h.getAttribute('button[data-action="send_to_evaluation"]', 'disabled'), `not to evaluation with papers unchecked: ${before.slice(0, 300)}`).to.not.equal(null);

    const cv = String((await docOf('cv'))._id);
    const passport = String((await docOf('passport'))._id);
    // From the top, the page's own links reach the papers to check in a few Tabs (s38: ~30, past every form).
    const papersLink = '#page-nav a[href^="#doc-"]';
    expect(await tabTo(h, papersLink), 'Tabs from the top to the link to the papers to check').to.be.at.most(15);
    expect(await h.getAttribute(papersLink, 'href')).to.equal('#doc-cv');
    expect(squash((await h.textContent('#page-nav')) ?? '')).to.match(/Giấy tờ 3 cần kiểm tra/);
    await h.keyboard.press('Enter'); // in the page: focus moves on from the paper, no navigation
    expect(await tabTo(h, `li[data-document-id="${cv}"] button.button-accept`), 'Tabs from the link to the first paper\'s accept').to.be.at.most(6);
    await enter(h);
    const afterCv = await look(h, 'cv-accepted', 'hr');
    expect((await CaseDocument.findById(cv).lean())!.status).to.equal('accepted');
    expect(afterCv, 'the decision said done').to.match(/chấp nhận/i);

    await h.focus(`#reason-${passport}`);
    await h.keyboard.type(PASSPORT_WHY);
    await tabTo(h, `li[data-document-id="${passport}"] button.button-reject`);
    await enter(h);
    await look(h, 'passport-refused', 'hr');
    expect((await CaseDocument.findById(passport).lean())!.status).to.equal('rejected');

    const told = await mails();
    expect(told, 'one e-mail: the refused passport').to.have.length(1);
    expect(told[0]!.text).to.include(PASSPORT_WHY).and.include('Passport');
    expect(told[0]!.text, 'no staff name').to.not.include(HR_NAME);

    const staffLine = await timelineOf(h, `/cases/${caseId}`);
    show('HR timeline', staffLine);
    expect(staffLine).to.include(`Sơ yếu lý lịch khoa học (CV), phiên bản 1: đã chấp nhận`).and.include(`Hộ chiếu, phiên bản 1: đã trả lại`).and.include(PASSPORT_WHY);
    const p = await phone();
    const hers = await timelineOf(p, `/applications/${caseId}`);
    show('her timeline', hers);
    expect(hers).to.include('Your document “Passport”, version 1, was refused').and.include(PASSPORT_WHY).and.not.include(HR_NAME);
    await myPage(p, 'passport-refused');
    checked('the first decisions');
  });

  it('3. HR accepts the photo, then refuses it with a reason: she is told once; a double submit and a stale tab are refused clearly and add no line', async () => {
    const h = await desk();
    await hrCase(h, 'photo-pending');
    const photo = String((await docOf('photo'))._id);
    // A second tab on the case, opened before her decisions on the photo.
    const s = watch(await h.context().newPage());
    await s.goto(`${t.baseUrl}/cases/${caseId}`);
    await tabTo(h, `li[data-document-id="${photo}"] button.button-accept`);
    await enter(h);
    await look(h, 'photo-accepted', 'hr');
    expect((await CaseDocument.findById(photo).lean())!.status).to.equal('accepted');
    expect(await mails(), 'an accepted photo is no news to send').to.have.length(0);

    // The same page in a second tab, as it stands with the photo accepted: the change will be sent from it again.
    const twin = watch(await h.context().newPage());
    await twin.goto(`${t.baseUrl}/cases/${caseId}`);
    // She notices the grey background: the decision changed, from the keyboard (the details opened with Enter).
    // Back at the photo just accepted: the keyboard goes on from there, not from the list's top.
    expect(new URL(h.url()).hash, 'back at the paper decided').to.equal('#doc-photo');
    expect(await tabTo(h, `li[data-document-id="${photo}"] details.reconsider summary`), 'Tabs from the decided paper to its change').to.be.at.most(3);
    await h.keyboard.press('Enter');
    await tabTo(h, `#reconsider-${photo}`);
    await h.keyboard.type(PHOTO_WHY);
    await tabTo(h, `li[data-document-id="${photo}"] details.reconsider button[type=submit]`);
    // Enter twice, as an impatient officer does.
    await Promise.all([h.waitForNavigation(), h.keyboard.press('Enter').then(() => h.keyboard.press('Enter'))]);
    await h.waitForLoadState('load');
    const changed = await look(h, 'photo-changed', 'hr');
    expect((await CaseDocument.findById(photo).lean())!.status).to.equal('rejected');
    const photoLines = (await decisionLines()).filter((x) => String(x.document?.id) === photo);
    expect(photoLines, 'accepted, then changed: two lines').to.have.length(2);
    expect(changed, 'the officer reads that her change was recorded').to.match(/trả lại/);
    const told = await mails();
    expect(told, 'told once of the change').to.have.length(1);
    expect(told[0]!.text).to.include(PHOTO_WHY);

    // The same change sent again from the twin tab (as a double submit reaches the server): said to be
    // saved already, as news rather than an error; nothing added, nothing sent.
    const lines = (await decisionLines()).length;
    await tabTo(twin, `li[data-document-id="${photo}"] details.reconsider summary`);
    await twin.keyboard.press('Enter');
    await tabTo(twin, `#reconsider-${photo}`);
    await twin.keyboard.type(PHOTO_WHY);
    await tabTo(twin, `li[data-document-id="${photo}"] details.reconsider button[type=submit]`);
    await enter(twin);
    await look(twin, 'twin-tab', 'hr');
    const again = squash((await twin.textContent('#flash')) ?? '');
    show('sent again', again);
    expect(again).to.include(`${HR_NAME} đã lưu quyết định này từ trước`).and.include('không có gì được lưu hay gửi thêm');
    expect(await twin.getAttribute('#flash', 'class')).to.include('flash-info');
    expect((await decisionLines()).length, 'no extra line for the repeat').to.equal(lines);
    // The stale tab, opened before any decision: accepts the photo as if pending.
    await tabTo(s, `li[data-document-id="${photo}"] button.button-accept`);
    await enter(s);
    const stale = await look(s, 'stale-tab', 'hr');
    show('stale tab', stale);
    // Told what now stands: who refused it since her page was opened, and that this accept was not saved.
    expect(stale, 'the stale tab is told who decided first').to.include(`${HR_NAME} đã trả lại giấy tờ này sau khi trang của Anh/Chị được mở`).and.include('chưa được lưu');
    expect((await CaseDocument.findById(photo).lean())!.status, 'the stale tab changed nothing').to.equal('rejected');
    expect((await decisionLines()).length, 'no extra line').to.equal(lines);
    expect(await mails(), 'nothing sent').to.have.length(0);
    const staffLine = await timelineOf(h, `/cases/${caseId}`);
    show('HR timeline (photo)', staffLine);
    expect(staffLine).to.include(`Ảnh 4×6, phiên bản 1: đã đổi quyết định, nay trả lại (trước đó đã chấp nhận)`).and.include(PHOTO_WHY);
    const p = await phone();
    const hers = await timelineOf(p, `/applications/${caseId}`);
    expect(hers).to.include('the decision was changed, it is now refused').and.include(PHOTO_WHY).and.not.include(HR_NAME);
    checked('the changed decision');
  });

  it('4. she sends new versions from her phone; the mark comes back; HR accepts them; every paper accepted, the case may go to evaluation; the timeline reads in order', async () => {
    const p = await phone();
    const mine = await myPage(p, 'to-replace');
    expect(mine).to.include(PASSPORT_WHY).and.include(PHOTO_WHY);
    const passportExpiry = '#f-passport_expiresAt';
    if (await p.$(passportExpiry)) await p.fill(passportExpiry, '31/05/2033');
    await p.setInputFiles('#f-passport', { name: 'passport-full-page.pdf', mimeType: 'application/pdf', buffer: await makePdf('Passport of Ingrid Solberg, whole page') });
    await p.setInputFiles('#f-photo', { name: 'photo-white.jpg', mimeType: 'image/jpeg', buffer: makeJpeg() });
    await Promise.all([p.waitForEvent('load'), p.click('form[data-upload-form] button[type=submit]')]);
    await p.waitForSelector('#doc-photo[data-state="uploaded"]');
    await look(p, 'replaced', 'applicant');
    await mails();

    const h = await desk();
    await queueRow(h);
    expect(await h.$(`tr:has(a[href="/cases/${caseId}"]) [data-flag="documents"]`), 'the mark back').to.not.equal(null);
    await papersToCheck(h);
    // The row's "2 to check" mark is the way in: it opens the case at the first paper to check (s40: 40 Tabs from the page's top).
    await h.focus(`tr:has(a[href="/cases/${caseId}"]) a[data-flag="documents"]`);
    await enter(h);
    expect(new URL(h.url()).hash, 'at the first paper to check').to.equal('#to-check');
    const passport2 = String((await docOf('passport'))._id);
    const photo2 = String((await docOf('photo'))._id);
    const tabs: number[] = [];
    for (const id of [passport2, photo2]) {
      tabs.push(await tabTo(h, `li[data-document-id="${id}"] button.button-accept`));
      await enter(h);
      expect((await CaseDocument.findById(id).lean())!.status).to.equal('accepted');
    }
    expect(tabs[0], 'Tabs from the queue\'s mark to the first paper\'s accept').to.be.at.most(6);
    // From the passport just accepted to the photo below it: past the passport's own links only.
    expect(tabs[1], 'Tabs from one paper decided to the next').to.be.at.most(6);
    const done = await look(h, 'all-accepted', 'hr');
    expect(await h.getAttribute('button[data-action="send_to_evaluation"]', 'disabled'), `to evaluation now: ${done.slice(0, 300)}`).to.equal(null);
    await queueRow(h);
    expect(await h.$(`tr:has(a[href="/cases/${caseId}"]) [data-flag="documents"]`), 'the mark gone').to.equal(null);

    const staffLine = await timelineOf(h, `/cases/${caseId}`);
    show('HR timeline (end)', staffLine);
    const order = [
      `Sơ yếu lý lịch khoa học (CV), phiên bản 1: đã chấp nhận`,
      `Hộ chiếu, phiên bản 1: đã trả lại`,
      `Ảnh 4×6, phiên bản 1: đã chấp nhận`,
      `Ảnh 4×6, phiên bản 1: đã đổi quyết định`,
      `Hộ chiếu, phiên bản 2: đã chấp nhận`,
      `Ảnh 4×6, phiên bản 2: đã chấp nhận`,
    ];
    const at = order.map((s) => staffLine.indexOf(s));
    expect(at.every((i) => i >= 0), `every line there: ${JSON.stringify(at)}`).to.equal(true);
    const ascending = at.every((v, i) => i === 0 || v > at[i - 1]!);
    const descending = at.every((v, i) => i === 0 || v < at[i - 1]!);
    expect(ascending || descending, `the lines in order: ${JSON.stringify(at)}`).to.equal(true);
    // The day's last step, from the keyboard: the case goes to evaluation.
    await hrCase(h, 'to-evaluation');
    await tabTo(h, 'button[data-action="send_to_evaluation"]');
    await enter(h);
    if (await h.$('#confirm-step')) {
      await look(h, 'evaluation-confirm', 'hr');
      await tabTo(h, '#confirm-step');
      await enter(h);
    }
    expect((await Case.findById(caseId).lean())!.stage, (await mainText(h)).slice(0, 300)).to.equal('evaluation');
    await look(h, 'in-evaluation', 'hr');
    const evalMail = await mails();
    show('evaluation mails', evalMail.map((m) => m.subject).join('\n'));
    const hers = await timelineOf(p, `/applications/${caseId}`);
    show('her timeline (end)', hers);
    expect(hers).to.include('Your document “Passport”, version 2, was accepted').and.not.include(HR_NAME);
    checked('the new versions');
  });
});
