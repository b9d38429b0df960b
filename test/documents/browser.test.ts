// In a real browser (Debian's Chromium): the applicant uploads two documents at once (with the
// progress-bar script), the HR officer rejects one with a reason, the applicant sees the reason and
// uploads a new version, the officer accepts it, then adds a renewed CV on the applicant's behalf
// (a plain form). Neither upload carries its CSRF token in the address.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../support/app.ts';
import { screenshotsDir, useBrowser } from '../support/browser.ts';
import { createInstitute, createUser, freshTotpCode, TEST_PASSWORD } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { CaseDocument } from '../../models/document.ts';
import { User, type UserDoc } from '../../models/user.ts';
import type { CaseDoc } from '../../models/case.ts';
import type { CallDoc } from '../../models/call.ts';
import { requiredDocumentsAccepted } from '../../server/documents/index.ts';
import { makeJpeg, makePdf, sha256 } from './support.ts';

describe('documents in the browser', function () {
  this.timeout(90_000);
  let t: TestApp;
  const browser = useBrowser();
  let uploadDir: string;
  let applicant: UserDoc;
  let hr: UserDoc;
  let call: CallDoc;
  let caseDoc: CaseDoc;

  before(async () => {
    uploadDir = path.resolve(`data/test/uploads-browser-${process.pid}`);
    t = await startTestApp({ env: { UPLOAD_DIR: uploadDir, UPLOAD_RATE_PER_HOUR: '1000' } });
    const institute = await createInstitute();
    call = await createCall({
      institute,
      checklist: [
        { type: 'cv', phase: 'application', required: true },
        { type: 'photo', phase: 'application', required: true },
      ] as never,
    });
    applicant = await createUser({ role: 'applicant', locale: 'en', name: 'Lê Minh Châu' });
    hr = await createUser({ role: 'hr_officer', institute, locale: 'en' });
    caseDoc = await createCase({ applicant, call, stage: 'screening' });
  });
  after(async () => {
    await t?.close();
    if (uploadDir) await rm(uploadDir, { recursive: true, force: true });
  });

  function watch(page: Page): string[] {
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' && !/status of 404/.test(m.text())) errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('response', (r) => {
      if (r.status() >= 500) errors.push(`${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`);
    });
    return errors;
  }

  async function signInPage(page: Page, user: UserDoc): Promise<void> {
    await page.goto(`${t.baseUrl}/signin`);
    await page.fill('#f-email', user.email);
    await page.fill('#f-password', TEST_PASSWORD);
    await Promise.all([page.waitForURL((u) => u.pathname !== '/signin'), page.click('main form button[type=submit]')]);
    if (new URL(page.url()).pathname === '/signin/second-factor') {
      const fresh = await User.findById(user._id).lean();
      await page.fill('#f-code', await freshTotpCode(fresh ?? user));
      await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/signin')), page.click('main form button[type=submit]')]);
    }
  }

  const state = (page: Page, type: string) => page.getAttribute(`#doc-${type}`, 'data-state');

  it('upload two → reject one with a reason → the applicant re-uploads → the officer accepts', async () => {
    const ap = await browser.page({ locale: 'en-GB' });
    const hp = await browser.page({ locale: 'en-GB' });
    const apErrors = watch(ap);
    const hpErrors = watch(hp);
    const cv = await makePdf('CV of Lê Minh Châu');
    const photo1 = makeJpeg();
    const photo2 = await makePdf('A better photo, as PDF');
    try {
      await signInPage(ap, applicant);
      await ap.goto(`${t.baseUrl}/applications/${caseDoc._id}`);
      expect(await state(ap, 'cv')).to.equal('missing');
      expect(await state(ap, 'photo')).to.equal('missing');
      // A web page named .pdf chosen with a good photo: the upload stops at it, so the server cannot
      // name the photo; the page says that nothing was saved, the photo included, and keeps both chosen.
      await ap.setInputFiles('#f-cv', { name: 'cv.pdf', mimeType: 'application/pdf', buffer: Buffer.from('<!doctype html><html><body>not a CV</body></html>'.padEnd(600, ' ')) });
      await ap.setInputFiles('#f-photo', { name: 'ảnh 4x6.jpg', mimeType: 'image/jpeg', buffer: photo1 });
      await ap.click('form[data-upload-form] button[type=submit]');
      const refusedText = await ap.waitForSelector('[data-upload-error]:not([hidden])').then((e) => e.textContent());
      expect(refusedText).to.include('“cv.pdf”').and.include('Nothing from this upload was saved, the other files chosen with it included: correct this one and send again (the others are still chosen).');
      expect(await ap.$eval('#f-photo', (el) => (el as unknown as { files: { length: number } | null }).files?.length)).to.equal(1);
      expect(await CaseDocument.countDocuments({ case: caseDoc._id })).to.equal(0);
      expect(apErrors.splice(0), 'the refusal is the only console error').to.deep.equal(['Failed to load resource: the server responded with a status of 415 (Unsupported Media Type)']);
      await ap.setInputFiles('#f-cv', { name: 'cv.pdf', mimeType: 'application/pdf', buffer: cv });
      await ap.setInputFiles('#f-photo', { name: 'ảnh 4x6.jpg', mimeType: 'image/jpeg', buffer: photo1 });
      // The enhanced form posts with XMLHttpRequest, shows progress, then reloads the page.
      const formToken = await ap.getAttribute('form[data-upload-form] input[name=_csrf]', 'value');
      const sent = ap.waitForRequest((r) => r.method() === 'POST' && new URL(r.url()).pathname === `/cases/${caseDoc._id}/documents`);
      await Promise.all([ap.waitForEvent('load'), ap.click('form[data-upload-form] button[type=submit]')]);
      // Its CSRF token goes in a header, never in the address.
      expect(new URL((await sent).url()).search).to.equal('');
      expect((await sent).headers()['x-csrf-token']).to.equal(formToken);
      await ap.waitForSelector('#doc-photo[data-state="uploaded"]');
      // The page it reloads says the upload worked, as after the plain form.
      expect(await ap.textContent('#flash')).to.equal('Your documents were uploaded.');
      expect(await state(ap, 'cv')).to.equal('uploaded');
      expect(await ap.textContent('#doc-photo .doc-download')).to.equal('ảnh 4x6.jpg');
      const stored = await CaseDocument.find({ case: caseDoc._id }).sort({ type: 1 });
      expect(stored.map((d) => [d.type, d.mimeType, d.sha256])).to.deep.equal([
        ['cv', 'application/pdf', sha256(cv)],
        ['photo', 'image/jpeg', sha256(photo1)],
      ]);
      await ap.screenshot({ path: path.join(screenshotsDir, 'documents-applicant-uploaded.png'), fullPage: true });

      await signInPage(hp, hr);
      await hp.goto(`${t.baseUrl}/cases/${caseDoc._id}`);
      // Accept and reject are the app's styled buttons (brand blue; reject in the danger red), not bare browser buttons.
      const look = (sel: string) => hp.$eval(sel, (b) => {
        // Runs in the page (the tests' tsconfig has no DOM library).
        const s = (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string; color: string; fontWeight: string } }).getComputedStyle(b);
        return [s.backgroundColor, s.color, s.fontWeight];
      });
      expect(await look('#doc-cv form.inline-form button.button-accept')).to.deep.equal(['rgb(11, 92, 173)', 'rgb(255, 255, 255)', '600']);
      expect(await look('#doc-photo .reject-form button[type=submit]')).to.deep.equal(['rgb(180, 35, 24)', 'rgb(255, 255, 255)', '600']);
      // A reason of spaces is refused (422): the summary at the top takes the focus and links to the
      // reason, thousands of pixels down; following the link puts the cursor in it.
      await hp.fill('#doc-photo textarea[name=reason]', '   ');
      await Promise.all([hp.waitForURL('**/documents/*/verify'), hp.click('#doc-photo .reject-form button[type=submit]')]);
      await hp.locator('#form-errors:focus').waitFor();
      const summaryLink = await hp.$eval('#form-errors li a', (el) => [el.getAttribute('href'), (el.textContent ?? '').length > 0]);
      expect(summaryLink[0]).to.match(/^#reason-[a-f0-9]{24}$/);
      expect(summaryLink[1]).to.equal(true);
      await hp.click('#form-errors li a');
      expect(await hp.evaluate('document.activeElement && document.activeElement.name')).to.equal('reason');
      // The 422 itself is the page's answer (the browser logs it as a failed load), not an error of the page.
      hpErrors.splice(0, hpErrors.length, ...hpErrors.filter((e) => !/status of 422/.test(e)));
      await hp.goto(`${t.baseUrl}/cases/${caseDoc._id}`);
      await hp.fill('#doc-photo textarea[name=reason]', 'The photo must be 4×6 cm on a white background.');
      await Promise.all([hp.waitForURL(`**/cases/${caseDoc._id}#doc-photo`), hp.click('#doc-photo .reject-form button[type=submit]')]);
      await hp.waitForSelector('#doc-photo[data-state="rejected"]');
      await Promise.all([hp.waitForURL(`**/cases/${caseDoc._id}#doc-cv`), hp.click('#doc-cv form.inline-form button.button-accept')]);
      await hp.waitForSelector('#doc-cv[data-state="accepted"]');
      // The page comes back at the paper decided (the keyboard goes on from there): the message saying what was saved is in view.
      const inView = (await hp.evaluate(
        "(() => { const r = document.getElementById('flash').getBoundingClientRect(); return { scrolled: window.scrollY > 0, top: r.top, bottom: r.bottom, height: window.innerHeight }; })()",
      )) as { scrolled: boolean; top: number; bottom: number; height: number };
      expect(inView.scrolled, 'scrolled to the documents').to.equal(true);
      expect(inView.top).to.be.at.least(0);
      expect(inView.bottom).to.be.at.most(inView.height);

      await ap.goto(`${t.baseUrl}/applications/${caseDoc._id}`);
      expect(await state(ap, 'photo')).to.equal('rejected');
      expect(await ap.textContent('#doc-photo .doc-reason')).to.include('4×6 cm on a white background');
      expect(await ap.$('#f-cv'), 'an accepted item takes no new file').to.equal(null);
      await ap.screenshot({ path: path.join(screenshotsDir, 'documents-applicant-rejected.png'), fullPage: true });
      await ap.setInputFiles('#f-photo', { name: 'photo-v2.pdf', mimeType: 'application/pdf', buffer: photo2 });
      await Promise.all([ap.waitForEvent('load'), ap.click('form[data-upload-form] button[type=submit]')]);
      await ap.waitForSelector('#doc-photo[data-state="uploaded"]');
      expect(await ap.textContent('#doc-photo .doc-file .doc-meta')).to.match(/version 2/);

      await hp.goto(`${t.baseUrl}/cases/${caseDoc._id}`);
      expect(await hp.textContent('#doc-photo .doc-versions summary')).to.match(/Earlier versions \(1\)/);
      await Promise.all([hp.waitForURL(`**/cases/${caseDoc._id}#doc-photo`), hp.click('#doc-photo form.inline-form button.button-accept')]);
      await hp.waitForSelector('#doc-photo[data-state="accepted"]');
      await hp.screenshot({ path: path.join(screenshotsDir, 'documents-hr-accepted.png'), fullPage: true });
      expect(await requiredDocumentsAccepted(caseDoc, call, 'application')).to.equal(true);

      // The officer's download link gives the exact bytes, as an attachment.
      const href = await hp.getAttribute('#doc-photo .doc-file .doc-download', 'href');
      const dl = await hp.context().request.get(`${t.baseUrl}${href}`);
      expect(dl.status()).to.equal(200);
      expect(dl.headers()['content-disposition']).to.match(/^attachment;/);
      expect(sha256(await dl.body())).to.equal(sha256(photo2));

      // The applicant e-mails a newer CV: the officer adds it as a renewal from the case page's link.
      // The renewal page says for whom; back on the case the renewal waits for a check.
      await Promise.all([hp.waitForURL('**/documents/*/renew'), hp.click('#doc-cv [data-renew-link]')]);
      expect(await hp.textContent('[data-on-behalf]')).to.include('You are uploading for Nguyễn Văn An, the applicant.');
      const cv2 = await makePdf('CV of Lê Minh Châu, 2026');
      await hp.setInputFiles('#renewal input[type=file]', { name: 'cv-2026.pdf', mimeType: 'application/pdf', buffer: cv2 });
      await hp.screenshot({ path: path.join(screenshotsDir, 'documents-hr-renewal.png'), fullPage: true });
      // A plain form (no script on this page): its token is its first field, not in the address.
      const renewal = hp.waitForRequest((r) => r.method() === 'POST' && /^\/documents\/[a-f0-9]{24}\/renew$/.test(new URL(r.url()).pathname));
      await Promise.all([hp.waitForURL(`**/cases/${caseDoc._id}#documents`), hp.click('#renewal button[type=submit]')]);
      expect(new URL((await renewal).url()).search).to.equal('');
      await hp.waitForSelector('#doc-cv .doc-renewals [data-status="pending"]');
      expect(await hp.textContent('.flash-success')).to.include('an e-mail telling them is on its way (see “E-mails sent on this case”)');
      const renewed = await CaseDocument.findOne({ case: caseDoc._id, type: 'cv', renewalOf: { $exists: true } }).lean();
      expect(renewed!.sha256).to.equal(sha256(cv2));
      expect(String(renewed!.uploadedBy)).to.equal(String(hr._id));

      // The photo was accepted too soon: the officer changes the decision, with a reason the
      // applicant reads on their page (the decision's controls wait, folded, under the file).
      expect(await hp.isVisible('#doc-photo [data-reconsider] textarea'), 'folded until asked for').to.equal(false);
      await hp.click('#doc-photo [data-reconsider] summary');
      await hp.fill('#doc-photo [data-reconsider] textarea', 'The photo must be in colour.');
      await Promise.all([hp.waitForURL(`**/cases/${caseDoc._id}#doc-photo`), hp.click('#doc-photo [data-reconsider] button[type=submit]')]);
      await hp.waitForSelector('#doc-photo[data-state="rejected"]');
      await ap.goto(`${t.baseUrl}/applications/${caseDoc._id}`);
      expect(await ap.textContent('#doc-photo .doc-reason')).to.include('The photo must be in colour.');
      expect(await ap.$('#f-photo'), 'the applicant may send a new photo').to.not.equal(null);

      expect(apErrors, 'applicant page errors').to.deep.equal([]);
      expect(hpErrors, 'officer page errors').to.deep.equal([]);
    } catch (err) {
      await ap.screenshot({ path: path.join(screenshotsDir, 'documents-failure-applicant.png'), fullPage: true }).catch(() => undefined);
      await hp.screenshot({ path: path.join(screenshotsDir, 'documents-failure-hr.png'), fullPage: true }).catch(() => undefined);
      throw err;
    }
  });

  it('a file over its item\'s limit, or empty, is refused in the browser when chosen: nothing is sent', async () => {
    const smallCall = await createCall({ institute: call.institute as never, checklist: [{ type: 'cv', phase: 'application', required: true, maxMb: 1 }] as never });
    const own = await createUser({ role: 'applicant', locale: 'vi', name: 'Trần Thị Bình' });
    const c = await createCase({ applicant: own, call: smallCall, stage: 'screening' });
    const ap = await browser.page({ locale: 'vi-VN', viewport: { width: 375, height: 800 } });
    const errors = watch(ap);
    const posts: string[] = [];
    ap.on('request', (r) => {
      if (r.method() === 'POST') posts.push(new URL(r.url()).pathname);
    });
    await signInPage(ap, own);
    await ap.goto(`${t.baseUrl}/applications/${c._id}`);
    posts.length = 0; // the sign-in's
    expect(await ap.getAttribute('#f-cv', 'data-max-bytes')).to.equal(String(1024 * 1024));
    // 1 MB and one byte: the message comes as soon as it is chosen, in the page's language.
    const big = Buffer.concat([await makePdf('A large scan'), Buffer.alloc(1024 * 1024)]);
    await ap.setInputFiles('#f-cv', { name: 'bản scan.pdf', mimeType: 'application/pdf', buffer: big });
    const shown = await ap.waitForSelector('[data-upload-error]:not([hidden])').then((e) => e.textContent());
    expect(shown).to.match(/^“bản scan\.pdf” lớn hơn 1 MB\. Vui lòng giảm dung lượng rồi tải lên lại: quét ở độ phân giải thấp hơn/);
    expect(await ap.getAttribute('#f-cv', 'aria-invalid')).to.equal('true');
    // Sending anyway does not send it.
    await ap.click('form[data-upload-form] button[type=submit]');
    await ap.waitForTimeout(300);
    expect(posts, 'no upload request').to.deep.equal([]);
    expect(await ap.isEnabled('form[data-upload-form] button[type=submit]')).to.equal(true);
    await ap.setInputFiles('#f-cv', { name: 'rỗng.pdf', mimeType: 'application/pdf', buffer: Buffer.alloc(0) });
    expect(await ap.textContent('[data-upload-error]')).to.equal('“rỗng.pdf” là tệp rỗng.');
    // A file within the limit clears the message and goes up.
    const fine = await makePdf('CV within the limit');
    await ap.setInputFiles('#f-cv', { name: 'cv.pdf', mimeType: 'application/pdf', buffer: fine });
    expect(await ap.isHidden('[data-upload-error]')).to.equal(true);
    expect(await ap.getAttribute('#f-cv', 'aria-invalid')).to.equal(null);
    await Promise.all([ap.waitForEvent('load'), ap.click('form[data-upload-form] button[type=submit]')]);
    await ap.waitForSelector('#doc-cv[data-state="uploaded"]');
    expect(posts).to.deep.equal([`/cases/${c._id}/documents`]);
    expect((await CaseDocument.find({ case: c._id }).lean()).map((d) => d.sha256)).to.deep.equal([sha256(fine)]);
    expect(errors).to.deep.equal([]);
  });
  // Walk s35 #6: on a 390 px phone the refusal sat by the upload button, far below the refused input:
  // it is said beside that input too, which is brought into view; a fine file clears both.
  it('a refused file is said beside its own input, in view on a phone, whether refused when chosen or by the server', async () => {
    const longCall = await createCall({ institute: call.institute as never, checklist: [{ type: 'cv', phase: 'application', required: true, maxMb: 1 }, { type: 'passport', phase: 'application', required: true }, { type: 'degree', phase: 'application', required: true }, { type: 'photo', phase: 'application', required: true }] as never });
    const own = await createUser({ role: 'applicant', locale: 'vi', name: 'Claire Dubois' });
    const c = await createCase({ applicant: own, call: longCall, stage: 'screening' });
    const ap = await browser.page({ locale: 'vi-VN', viewport: { width: 390, height: 844 } });
    const errors = watch(ap);
    await signInPage(ap, own);
    await ap.goto(`${t.baseUrl}/applications/${c._id}`);
    /** The message beside an input: its text, and whether it shows within the phone's screen. */
    // Evaluated as text in the page (the test's own compilation has no DOM types).
    const beside = (id: string): Promise<{ text: string; inView: boolean; described: boolean } | null> =>
      ap.evaluate(`(() => {
        const input = document.getElementById(${JSON.stringify(id)});
        const box = input.closest('.field')?.querySelector('[data-upload-field-error]');
        if (!box || box.hidden) return null;
        const r = box.getBoundingClientRect();
        const described = (input.getAttribute('aria-describedby') ?? '').split(' ').includes(box.id);
        return { text: box.textContent ?? '', inView: r.top >= 0 && r.bottom <= window.innerHeight && r.height > 0, described };
      })()`);
    // Chosen too large: refused at once, beside the CV's input.
    const big = Buffer.concat([await makePdf('A large scan'), Buffer.alloc(1024 * 1024)]);
    await ap.setInputFiles('#f-cv', { name: 'bản scan.pdf', mimeType: 'application/pdf', buffer: big });
    await ap.waitForSelector('[data-upload-field-error]:not([hidden])');
    const cv = await beside('f-cv');
    expect(cv, 'said beside the CV').to.not.equal(null);
    expect(cv!.text).to.include('bản scan.pdf').and.include('lớn hơn 1 MB');
    expect(cv!.inView, 'in view').to.equal(true);
    expect(cv!.described, 'read out with the input').to.equal(true);
    // A fine CV clears it; a program named .pdf for the passport is refused by the server, beside the passport.
    await ap.setInputFiles('#f-cv', { name: 'cv.pdf', mimeType: 'application/pdf', buffer: await makePdf('CV') });
    expect(await beside('f-cv')).to.equal(null);
    const exe = Buffer.concat([Buffer.from('MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff', 'latin1'), Buffer.alloc(4000, 0x41)]);
    await ap.setInputFiles('#f-passport', { name: 'ho-chieu.pdf', mimeType: 'application/pdf', buffer: exe });
    await ap.click('form[data-upload-form] button[type=submit]');
    await ap.waitForSelector('#f-passport-upload-error');
    const passport = await beside('f-passport');
    expect(passport!.text).to.include('ho-chieu.pdf');
    expect(passport!.inView, 'in view').to.equal(true);
    expect(await ap.getAttribute('#f-passport', 'aria-invalid')).to.equal('true');
    expect(await beside('f-cv'), 'one message per refusal').to.equal(null);
    expect(errors.filter((e) => !/status of 4\d\d/.test(e))).to.deep.equal([]);
  });
});
