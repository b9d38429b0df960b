// In a real browser (Debian's Chromium): register, open the verification link from the e-mail that
// arrived on the in-process SMTP server, sign in, switch the pages' language, sign out; and an administrator
// disables an HR officer from the user list, through the page that says what it will do, with a reason.
import path from 'node:path';
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { clickAndWait, screenshotsDir, staffSignsIn, useBrowser } from '../support/browser.ts';
import { linkIn } from '../support/smtp.ts';
import { createInstitute, createUser, uniqueEmail } from '../support/factories.ts';
import { createCall } from '../support/case-factories.ts';
import { User } from '../../models/user.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import { casesHeldBy } from './helpers.ts';

describe('accounts in the browser', function () {
  this.timeout(60_000);
  let t: TestApp;
  const browser = useBrowser();

  before(async () => {
    t = await startTestApp();
  });
  after(async () => {
    await t?.close();
  });

  it('register → verify by e-mail → sign in → switch language → sign out', async () => {
    const page = await browser.page({ locale: 'en-GB' });
    // CSP violations and script errors show up as console errors; a missing page (404) is not one
    // (the landing page after sign-in belongs to another feature), so those are listed separately.
    const errors: string[] = [];
    const missing: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' && !/status of 404/.test(m.text())) errors.push(m.text());
    });
    page.on('response', (r) => {
      if (r.status() === 404) missing.push(new URL(r.url()).pathname);
    });
    const email = uniqueEmail('browser');
    const password = 'saffron glacier ladder 314';
    try {
      await page.goto(`${t.baseUrl}/register`);
      expect(await page.getAttribute('html', 'lang')).to.equal('en');
      // On a 375 px phone the privacy notice's link is under the consent's label, as wide as it,
      // not a third column beside the box with one word a line.
      await page.setViewportSize({ width: 375, height: 812 });
      const label = (await page.locator('label[for="f-consent"]').boundingBox())!;
      const notice = (await page.locator('#privacy-notice-link').boundingBox())!;
      expect(notice.y, 'under the label').to.be.at.least(label.y + label.height - 1);
      expect(Math.round(notice.x), 'aligned with the label').to.equal(Math.round(label.x));
      expect(notice.height, 'on one line').to.be.below(30);
      await page.setViewportSize({ width: 1280, height: 720 });
      await page.fill('#f-name', 'Đỗ Thu Hà');
      await page.fill('#f-email', email);
      await page.fill('#f-password', password);
      await page.selectOption('#f-locale', 'en');
      await page.check('#f-consent');
      await Promise.all([page.waitForURL('**/register'), page.click('main form button[type=submit]')]);
      await page.waitForSelector('#check-email-message');

      const mail = await t.smtp.waitForTo(email, /confirm/i);
      const link = linkIn(mail.text, '/verify-email/');
      await page.goto(link);
      await page.waitForURL('**/signin');
      expect(await page.textContent('.flash')).to.include('confirmed');
      expect((await User.findOne({ email }).lean())?.emailVerifiedAt).to.be.instanceOf(Date);

      await page.fill('#f-email', email);
      await page.fill('#f-password', password);
      await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/signin')), page.click('main form button[type=submit]')]);
      await page.goto(`${t.baseUrl}/account`);
      expect(await page.isVisible('form[action="/signout"] button')).to.equal(true);
      expect(await page.$('#verify-notice')).to.equal(null);
      expect(await page.inputValue('#f-name')).to.equal('Đỗ Thu Hà');

      await Promise.all([page.waitForLoadState('load'), page.click('.lang-switcher button')]);
      await page.waitForSelector('html[lang="vi"]', { state: 'attached' });
      expect(page.url()).to.equal(`${t.baseUrl}/account`);
      expect(await page.textContent('h1')).to.equal('Tài khoản của tôi');
      // The pages only: the account keeps English for its e-mails, and the page says so, with the way to change it.
      expect((await User.findOne({ email }).lean())?.locale).to.equal('en');
      expect(await page.textContent('.flash')).to.include('E-mail vẫn được gửi bằng tiếng Anh.');
      expect(await page.getAttribute('#flash-link', 'href')).to.equal('/account');
      await page.screenshot({ path: path.join(screenshotsDir, 'accounts-account-vi.png'), fullPage: true });

      await Promise.all([page.waitForURL(`${t.baseUrl}/`), page.click('form[action="/signout"] button')]);
      expect(await page.isVisible('a[href="/signin"]')).to.equal(true);
      expect(await page.$('form[action="/signout"]')).to.equal(null);
      const res = await page.goto(`${t.baseUrl}/account`);
      expect(new URL(page.url()).pathname, `after sign-out /account answered ${res?.status()}`).to.equal('/signin');
      expect(errors, 'no console errors (e.g. CSP violations)').to.deep.equal([]);
      expect(missing.filter((p) => p.startsWith('/static/')), 'every stylesheet and script exists').to.deep.equal([]);
    } catch (err) {
      await page.screenshot({ path: path.join(screenshotsDir, 'accounts-browser-failure.png'), fullPage: true }).catch(() => {});
      throw err;
    }
  });

  it('an administrator disables an HR officer: the list’s link, the page saying what will happen, a reason too short refused and kept, then given', async () => {
    const institute = await createInstitute();
    const admin = await createUser({ role: 'admin', locale: 'en', name: 'Browser Admin' });
    const hr = await createUser({ role: 'hr_officer', institute: institute._id, locale: 'vi', name: 'Võ Thị Lan' });
    const colleague = await createUser({ role: 'hr_officer', institute: institute._id });
    await casesHeldBy({ call: await createCall({ institute: institute._id }), holder: hr, colleague, laterStage: 'offer' });
    const page = await browser.page({ locale: 'en-GB' });
    const errors: string[] = [];
    page.on('console', (m) => {
      // A refused form answers 422, which the browser reports as a failed resource: not an error of ours.
      if (m.type() === 'error' && !/status of (404|422)/.test(m.text())) errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    const reason = 'Left the institute at the end of her contract.';
    try {
      await staffSignsIn(page, t.baseUrl, admin);
      await page.goto(`${t.baseUrl}/admin/users?q=${encodeURIComponent(hr.email)}`);
      await clickAndWait(page, `tr[data-user-id="${hr._id}"] a[href$="/disable"]`);
      expect(new URL(page.url()).pathname).to.equal(`/admin/users/${hr._id}/disable`);
      expect(await page.textContent('h1')).to.equal('Disable an account');
      expect(await page.getAttribute('#cases-to-queue', 'data-count')).to.equal('2');
      expect(await page.textContent('#mail-told')).to.include('in Vietnamese').and.include(admin.email);

      await page.fill('#f-reason', 'too short');
      await clickAndWait(page, '#decision-form button[type=submit]');
      expect(await page.textContent('#f-reason-error')).to.include('The reason is too short');
      expect(await page.inputValue('#f-reason'), 'what was typed is kept').to.equal('too short');
      // The summary takes the focus and links to the field (public/js/form-errors.js).
      expect(await page.evaluate('document.activeElement.id')).to.equal('form-errors');
      expect((await User.findById(hr._id).lean())!.disabledAt, 'nothing stored').to.equal(undefined);

      await page.fill('#f-reason', reason);
      await clickAndWait(page, '#decision-form button[type=submit]');
      expect(new URL(page.url()).pathname).to.equal('/admin/users');
      expect(await page.textContent('.flash')).to.include('The account of Võ Thị Lan is disabled').and.include('the 2 open cases it held went back to the queue');
      await page.screenshot({ path: path.join(screenshotsDir, 'accounts-disable-done.png'), fullPage: true });
      expect((await User.findById(hr._id).lean())!.disabledAt).to.be.instanceOf(Date);
      expect((await AuditEvent.findOne({ action: 'user.disabled', targetId: String(hr._id) }).lean())!.summary).to.deep.include({ reason, casesToQueue: 2 });
      await t.smtp.waitForTo(hr.email, /vô hiệu hóa/);
      expect(errors, 'no console errors (e.g. CSP violations)').to.deep.equal([]);
    } catch (err) {
      await page.screenshot({ path: path.join(screenshotsDir, 'accounts-disable-failure.png'), fullPage: true }).catch(() => {});
      throw err;
    }
  });
});
