// A refused upload is shown like every other refused form: the shared summary ({{> form-errors}})
// at the top, which takes the focus and links to the file or date input the refusal is about, that
// input marked (aria-invalid, aria-describedby its error beside it). On the upload page answering
// a plain form, on the renewal page, and (in the browser) on the enhanced form's own answer.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent, type Agent } from '../support/http.ts';
import { useBrowser } from '../support/browser.ts';
import { createInstitute, createUser, signIn, TEST_PASSWORD } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { CaseDocument } from '../../models/document.ts';
import type { CallDoc } from '../../models/call.ts';
import type { UserDoc } from '../../models/user.ts';
import { makePdf, tokenOf } from './support.ts';

const DAY = 86_400_000;
const iso = (d: Date) => d.toISOString().slice(0, 10);

/** The opening tag of the element with this id. */
function tagOf(html: string, id: string): string {
  return new RegExp(`<[a-z]+[^>]*\\bid="${id.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')}"[^>]*>`).exec(html)?.[0] ?? '';
}

describe('documents: a refused upload marks its input and the summary links to it', function () {
  this.timeout(90_000);
  let t: TestApp;
  let uploadDir: string;
  let call: CallDoc;
  let applicant: UserDoc;
  let a: Agent;
  let token: string;

  before(async () => {
    uploadDir = path.resolve(`data/test/uploads-errors-${process.pid}`);
    t = await startTestApp({ env: { UPLOAD_DIR: uploadDir, UPLOAD_RATE_PER_HOUR: '1000' } });
    const institute = await createInstitute();
    call = await createCall({ institute, checklist: [{ type: 'passport', phase: 'application', required: true }, { type: 'cv', phase: 'application', required: true }] as never });
    applicant = await createUser({ role: 'applicant', locale: 'en' });
    a = agent(t.app);
    await signIn(a, applicant);
    token = await tokenOf(a);
  });
  after(async () => {
    await t?.close();
    await rm(uploadDir, { recursive: true, force: true });
  });

  const upload = (caseId: unknown, accept = 'text/html') => a.post(`/cases/${String(caseId)}/documents`).field('_csrf', token).set('Accept', accept);

  it('marks the date input of a file sent without its date, and the summary says nothing was kept', async () => {
    const c = await createCase({ applicant, call, stage: 'screening' });
    const res = await upload(c._id).attach('cv', await makePdf('CV'), 'cv.pdf').attach('passport', await makePdf('Passport'), 'passport.pdf');
    expect(res.status).to.equal(422);
    expect(res.text).to.not.include('upload-errors');
    expect(res.text).to.match(/id="form-errors"[\s\S]*Please correct the fields marked below\. Nothing from this upload was kept/);
    const input = tagOf(res.text, 'f-passport_expiresAt');
    expect(input).to.include('aria-invalid="true"').and.include('aria-describedby="f-passport_expiresAt-error"');
    expect(res.text).to.match(/<p class="field-error" id="f-passport_expiresAt-error">Enter the expiry date of “Passport”\.<\/p>/);
    // The file inputs are not marked; nothing was stored.
    expect(tagOf(res.text, 'f-passport')).to.not.include('aria-invalid');
    expect(tagOf(res.text, 'f-cv')).to.not.include('aria-invalid');
    expect(await CaseDocument.countDocuments({ case: c._id })).to.equal(0);
    // The enhanced form's script is told which input it is about.
    const json = await upload(c._id, 'application/json').attach('passport', await makePdf('Passport'), 'passport.pdf');
    expect(json.status).to.equal(422);
    expect(json.body.error).to.include({ code: 'date_required', field: 'passport_expiresAt' });
  });

  it('marks the file input of a refused file and keeps the date typed beside it', async () => {
    const c = await createCase({ applicant, call, stage: 'screening' });
    const res = await upload(c._id).field('passport_expiresAt', '2040-01-01').attach('passport', await makePdf('Passport'), 'passport.exe');
    expect(res.status).to.equal(415);
    const input = tagOf(res.text, 'f-passport');
    expect(input).to.include('aria-invalid="true"').and.include('f-passport-error');
    expect(res.text).to.match(/<p class="field-error" id="f-passport-error">[^<]*passport\.exe/);
    expect(tagOf(res.text, 'f-passport_expiresAt')).to.include('value="01/01/2040"').and.not.include('aria-invalid');
  });

  it('says a refusal about no input (no file chosen) in the summary itself', async () => {
    const c = await createCase({ applicant, call, stage: 'screening' });
    const res = await upload(c._id).field('passport_expiresAt', '2040-01-01');
    expect(res.status).to.equal(422);
    expect(/id="form-errors"[\s\S]{0,300}/.exec(res.text)?.[0]).to.include('Choose at least one file');
    expect(res.text).to.not.match(/class="field-error" id="f-/);
  });

  describe('in the browser', () => {
    const browser = useBrowser();

    async function signedIn(): Promise<Page> {
      const page = await browser.page({ locale: 'en-GB' });
      await page.goto(`${t.baseUrl}/signin`);
      await page.fill('#f-email', applicant.email);
      await page.fill('#f-password', TEST_PASSWORD);
      await Promise.all([page.waitForURL((u) => u.pathname !== '/signin'), page.click('main form button[type=submit]')]);
      return page;
    }

    it('on the renewal page: the summary takes the focus and its link puts the cursor in the date', async () => {
      const c = await createCase({ applicant, call, stage: 'screening' });
      const up = await upload(c._id, 'application/json').field('passport_expiresAt', iso(new Date(Date.now() + 20 * DAY))).attach('passport', await makePdf('Old passport'), 'old.pdf');
      expect(up.status, up.text).to.equal(201);
      const id = (up.body.documents as Array<{ id: string }>)[0]!.id;
      await CaseDocument.updateOne({ _id: id }, { $set: { status: 'accepted' } });
      const page = await signedIn();
      await page.goto(`${t.baseUrl}/documents/${id}/renew`);
      await page.setInputFiles('#f-passport--0', { name: 'new.pdf', mimeType: 'application/pdf', buffer: await makePdf('New passport') });
      // The date is required in the page; the browser's own check is left out to reach the server's.
      await page.$eval('#f-passport--0_expiresAt', (el) => el.removeAttribute('required'));
      await Promise.all([page.waitForURL('**/renew'), page.click('#renewal button[type=submit]')]);
      // A selector, not a string to evaluate: the page's CSP (no 'unsafe-eval') refuses the string once polling starts.
      await page.locator('#form-errors:focus').waitFor();
      const link = await page.$eval('#form-errors li a', (el) => [el.getAttribute('href'), el.textContent]);
      expect(link).to.deep.equal(['#f-passport--0_expiresAt', 'Enter the expiry date of “Passport”.']);
      await page.click('#form-errors li a');
      expect(await page.evaluate('document.activeElement && document.activeElement.id')).to.equal('f-passport--0_expiresAt');
      expect(await CaseDocument.countDocuments({ case: c._id })).to.equal(1);
    });

    it('names every wrongly typed file chosen at once, before sending any (walk 33: one refusal per try)', async () => {
      const c = await createCase({ applicant, call, stage: 'screening' });
      const page = await signedIn();
      let posted = 0;
      page.on('request', (r) => {
        if (r.method() === 'POST' && r.url().endsWith(`/cases/${c._id}/documents`)) posted += 1;
      });
      await page.goto(`${t.baseUrl}/applications/${c._id}`);
      await page.setInputFiles('#f-cv', { name: 'cv.docx', mimeType: 'application/octet-stream', buffer: Buffer.from('PK\u0003\u0004 not a pdf') });
      await page.setInputFiles('#f-passport', { name: 'passport-scan', mimeType: 'application/pdf', buffer: await makePdf('Passport') });
      await page.click('form[data-upload-form] button[type=submit]');
      await page.waitForSelector('[data-upload-error]:not([hidden])');
      const said = await page.textContent('[data-upload-error]');
      expect(said).to.include('“passport-scan” has no file extension, so its type cannot be confirmed. Allowed types: PDF (.pdf), JPEG (.jpg, .jpeg), PNG (.png). Rename it to end in one of these (for example .pdf), then choose it again.');
      // What to do, in words a phone user knows (walk s38: "extension" alone told her nothing to do).
      expect(said).to.include('“cv.docx” is not a type of file we accept. Allowed types: PDF (.pdf), JPEG (.jpg, .jpeg), PNG (.png). Save or export it as one of these, then choose it again');
      expect(posted, 'nothing is sent while a chosen file is refused').to.equal(0);
      expect(await CaseDocument.countDocuments({ case: c._id })).to.equal(0);
    });

    it('on the upload page answering the plain form, and on the enhanced form’s own answer', async () => {
      const c = await createCase({ applicant, call, stage: 'screening' });
      const page = await signedIn();
      // Without the progress script the plain form is posted and answered by the upload page.
      await page.route('**/static/js/upload.js', (r) => r.abort());
      await page.goto(`${t.baseUrl}/applications/${c._id}`);
      await page.setInputFiles('#f-passport', { name: 'passport.pdf', mimeType: 'application/pdf', buffer: await makePdf('Passport') });
      await Promise.all([page.waitForURL(`**/cases/${c._id}/documents`), page.click('form[data-upload-form] button[type=submit]')]);
      // A selector, not a string to evaluate: the page's CSP (no 'unsafe-eval') refuses the string once polling starts.
      await page.locator('#form-errors:focus').waitFor();
      expect(await page.$eval('#form-errors li a', (el) => el.getAttribute('href'))).to.equal('#f-passport_expiresAt');
      await page.click('#form-errors li a');
      expect(await page.evaluate('document.activeElement && document.activeElement.id')).to.equal('f-passport_expiresAt');

      // With it, the script shows the refusal itself and marks the same input.
      await page.unroute('**/static/js/upload.js');
      await page.goto(`${t.baseUrl}/applications/${c._id}`);
      await page.setInputFiles('#f-passport', { name: 'passport.pdf', mimeType: 'application/pdf', buffer: await makePdf('Passport') });
      await page.click('form[data-upload-form] button[type=submit]');
      await page.waitForSelector('[data-upload-error]:not([hidden])');
      expect(await page.textContent('[data-upload-error]')).to.equal('Enter the expiry date of “Passport”.');
      expect(await page.getAttribute('#f-passport_expiresAt', 'aria-invalid')).to.equal('true');
      // Read out with the words written beside it (walk s35 #6: on a phone the box by the button was out of sight).
      expect(await page.getAttribute('#f-passport_expiresAt', 'aria-describedby')).to.equal('f-passport_expiresAt-upload-error');
      expect(await page.textContent('#f-passport_expiresAt-upload-error')).to.equal('Enter the expiry date of “Passport”.');
      expect(await CaseDocument.countDocuments({ case: c._id })).to.equal(0);
    });
  });
});
