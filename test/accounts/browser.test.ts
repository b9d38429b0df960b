// In a real browser (Debian's Chromium): register, open the verification link from the e-mail that
// arrived on the in-process SMTP server, sign in, switch language, sign out.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { startTestApp, type TestApp } from '../support/app.ts';
import { CHROMIUM, launchBrowser, screenshotsDir } from '../support/browser.ts';
import { linkIn } from '../support/smtp.ts';
import { uniqueEmail } from '../support/factories.ts';
import { User } from '../../models/user.ts';

describe('accounts in the browser', function () {
  this.timeout(60_000);
  let t: TestApp;
  let browser: Browser | undefined;

  before(async function () {
    if (!existsSync(CHROMIUM)) this.skip();
    t = await startTestApp();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  it('register → verify by e-mail → sign in → switch language → sign out', async () => {
    const context = await browser!.newContext({ locale: 'en-GB' });
    const page = await context.newPage();
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
      expect((await User.findOne({ email }).lean())?.locale).to.equal('vi');
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
    } finally {
      await context.close();
    }
  });
});
