// Layout in a real browser (Debian's Chromium), from a walk of an officer's and a leader's day:
// on a 375 px phone the ranked shortlist and the mail log are cards whose score, recommendations,
// status, attempts and requeue button are inside the viewport (no sideways scrolling); the header
// keeps the language switch on its first line at 1280 px in Vietnamese and English, with the
// sign-out button the size and baseline of the links and the page's heading clear of the header;
// a date input echoes the chosen day in the product's form ("5 Dec 2026", "5/12/2026"), and the
// arrival date is not prefilled.
import path from 'node:path';
import { expect } from 'chai';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../support/app.ts';
import { screenshotsDir, staffSignsIn, useBrowser } from '../support/browser.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { User, type UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { caseEmail, dispatchOnce } from '../../server/outbox/index.ts';
import { submitEvaluation } from '../../server/evaluations/index.ts';
import { systemContext } from '../../server/context.ts';

const PHONE = { width: 375, height: 812 };
/** The browser's own (run inside the page; the project's TypeScript has no DOM library). */
declare const getComputedStyle: (el: unknown, pseudo?: string) => { content: string; fontSize: string; fontFamily: string };

/** The element is shown, has text, and lies inside the viewport's width (no sideways scrolling to read it). */
async function insideWidth(loc: Locator, width: number, what: string): Promise<void> {
  await loc.scrollIntoViewIfNeeded();
  expect(await loc.isVisible(), `${what} is visible`).to.equal(true);
  const box = (await loc.boundingBox())!;
  expect(box, what).to.not.equal(null);
  expect(box.width, `${what} has a width`).to.be.greaterThan(0);
  expect(box.x, `${what} starts inside`).to.be.at.least(0);
  expect(box.x + box.width, `${what} ends inside`).to.be.at.most(width);
  expect((await loc.innerText()).trim().length, `${what} shows text`).to.be.greaterThan(0);
}

async function noSidewaysScroll(page: Page): Promise<void> {
  const w = (await page.evaluate('({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth })')) as { scroll: number; client: number };
  expect(w.scroll, 'the page does not scroll sideways').to.be.at.most(w.client);
}

describe('layout in the browser: phone tables, the header, date echoes', function () {
  this.timeout(180_000);
  let t: TestApp;
  const browser = useBrowser();
  let officer: UserDoc;
  let leader: UserDoc;
  let admin: UserDoc;
  let call: CallDoc;
  let arriving: CaseDoc;

  before(async () => {
    t = await startTestApp();
    const institute = await createInstitute();
    call = await createCall({ institute, status: 'closed', checklist: [] });
    // An officer on the call's panel: every item of an officer's menu (shortlists included).
    officer = await createUser({ role: 'hr_officer', institute, name: 'Phạm Hội Đồng', panelCalls: [call._id], locale: 'vi' });
    leader = await createUser({ role: 'leader', institute, name: 'Lê Lãnh Đạo', locale: 'vi' });
    admin = await createUser({ role: 'admin', name: 'Quản Trị Viên', locale: 'vi' });
    const profile = (fullName: string, country: string) => ({ profile: { fullName, countryOfResidence: country, nationality: 'VN', highestDegree: 'phd', field: 'Khoa học vật liệu và công nghệ nano' } });
    for (const [i, [name, country]] of ([['Nguyễn Thị Phương Thảo', 'DE'], ['Maximilian Alexander von Hohenzollern-Sigmaringen', 'JP']] as const).entries()) {
      const applicant = await createUser({ role: 'applicant', locale: 'en', email: `layout-${i}-${Date.now()}@example.test` });
      const c = await createCase({ applicant, call, stage: 'evaluation', ...profile(name, country) });
      await submitEvaluation({ ctx: systemContext({ now: new Date(), actor: officer }), caseId: String(c._id), callId: String(call._id), input: { scores: { research: 5 - i, fit: 4 }, recommendation: i ? 'yes' : 'strong_yes', comment: '' } });
      await Case.updateOne({ _id: c._id }, { $set: { stage: 'shortlisted' } });
      // One e-mail each through the real dispatcher and SMTP server: the second bounces (dead, with a requeue button).
      await Case.updateOne({ _id: c._id }, { $push: { outbox: caseEmail(applicant, 'screening_started', { reference: c.reference, link: `${t.baseUrl}/applications/${c._id}`, name: applicant.name }, `layout.${c._id}`) } });
      t.smtp.decide = (address) => (address === applicant.email && i === 1 ? 'permfail' : undefined);
      await dispatchOnce(t.ctx, { owner: 'layout-test', caseIds: [c._id] });
    }
    t.smtp.decide = undefined;
    const newcomer = await createUser({ role: 'applicant', locale: 'en' });
    arriving = await createCase({ applicant: newcomer, call, stage: 'onboarding', stageEnteredAt: new Date(Date.now() - 20 * 86_400_000), supportTracks: [{ kind: 'work_permit', status: 'approved' }, { kind: 'visa', status: 'approved' }] as never });
  });
  after(async () => {
    await t?.close();
  });

  async function as(user: UserDoc, viewport: { width: number; height: number }, fn: (page: Page, ctx: BrowserContext) => Promise<void>, shot: string): Promise<void> {
    const context = await browser.context({ locale: 'en-US', viewport });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    try {
      await staffSignsIn(page, t.baseUrl, user);
      await fn(page, context);
      expect(errors, 'no script errors').to.deep.equal([]);
    } catch (err) {
      await page.screenshot({ path: path.join(screenshotsDir, `${shot}-failure.png`), fullPage: true }).catch(() => {});
      throw err;
    }
  }

  it('shows the ranked shortlist as cards on a 375 px phone: rank, candidate, score, recommendations and documents inside the screen', async () => {
    await as(leader, PHONE, async (page) => {
      await page.goto(`${t.baseUrl}/shortlists/${call._id}`);
      const rows = page.locator('table.shortlist tbody tr[data-case]');
      expect(await rows.count()).to.equal(3); // the two shortlisted, and the one now in onboarding
      for (let i = 0; i < 3; i++) {
        const row = rows.nth(i);
        const scored = (await row.getAttribute('data-case')) !== String(arriving._id);
        for (const cell of ['.cell-rank', '.cell-candidate', '.cell-score', '.cell-facts', ...(scored ? ['.cell-recommendations'] : []), '.cell-documents']) await insideWidth(row.locator(cell), PHONE.width, `${cell} of row ${i}`);
        // Nobody has recommended the third yet: no empty "Recommendations:" line.
        if (!scored) expect(await row.locator('.cell-recommendations').isVisible()).to.equal(false);
        expect(await row.locator('.cell-select input').isVisible()).to.equal(true);
        // Labelled lines: the score says it is the score (the header row is hidden).
        expect(await row.locator('.cell-score').evaluate((el) => getComputedStyle(el, '::before').content)).to.equal('"Điểm: "');
      }
      expect(await rows.first().locator('.cell-score strong').innerText()).to.match(/^\d,\d{2}$/);
      expect(await rows.first().locator('.cell-recommendations').innerText()).to.include('Phạm Hội Đồng');
      await noSidewaysScroll(page);
      await page.screenshot({ path: path.join(screenshotsDir, 'shortlist-phone-375.png'), fullPage: true });
    }, 'shortlist-phone-375');
  });

  it('shows the mail log as cards on a 375 px phone: recipient, status, attempts and the requeue button inside the screen', async () => {
    await as(officer, PHONE, async (page) => {
      await page.goto(`${t.baseUrl}/mail-log`);
      const rows = page.locator('table.mail-log tbody tr[data-id]');
      expect(await rows.count()).to.equal(2);
      for (let i = 0; i < 2; i++) {
        const row = rows.nth(i);
        for (const cell of ['.cell-time', '.cell-to', '.cell-template', '.cell-case', '.cell-status', '.cell-attempts']) await insideWidth(row.locator(cell), PHONE.width, `${cell} of row ${i}`);
      }
      const dead = rows.filter({ has: page.locator('.requeue-form') });
      expect(await dead.count()).to.equal(1);
      await insideWidth(dead.locator('.requeue-form button'), PHONE.width, 'the requeue button');
      expect(await dead.locator('.cell-error').innerText()).to.match(/550/);
      await noSidewaysScroll(page);
      await page.screenshot({ path: path.join(screenshotsDir, 'mail-log-phone-375.png'), fullPage: true });
      // The button requeues (the entry's page says so).
      await Promise.all([page.waitForNavigation(), dead.locator('.requeue-form button').click()]);
      expect(await page.locator('.flash').innerText()).to.include('hàng đợi');
    }, 'mail-log-phone-375');
  });

  for (const locale of ['vi', 'en'] as const) {
    for (const who of ['officer', 'admin'] as const) {
      it(`keeps the language switch on the header's first line at 1280, 1024 and 375 px (${locale}, ${who}), the sign-out button like the links, the heading clear of the header`, async () => {
        const user = who === 'officer' ? officer : admin;
        await User.updateOne({ _id: user._id }, { $set: { locale } });
        try {
          await as(user, { width: 1280, height: 800 }, async (page) => {
            for (const width of [1280, 1024, 375]) {
              await page.setViewportSize({ width, height: 800 });
              await page.goto(`${t.baseUrl}/dashboard`);
              const brand = (await page.locator('.site-header .brand').boundingBox())!;
              const lang = (await page.locator('.lang-switcher button').boundingBox())!;
              const header = (await page.locator('.site-header').boundingBox())!;
              const h1 = (await page.locator('main h1').boundingBox())!;
              const firstLink = (await page.locator('.main-nav li a').first().boundingBox())!;
              const signOut = page.locator('.main-nav form[action="/signout"] button');
              const account = page.locator('.main-nav a[href="/account"]');
              // The brand and the switch share the first line (centred on one axis); the menu is the line under them.
              const mid = (b: { y: number; height: number }) => b.y + b.height / 2;
              expect(Math.abs(mid(lang) - mid(brand)), `the switch on the brand's line at ${width}`).to.be.below(4);
              expect(lang.x + lang.width, `the switch inside at ${width}`).to.be.at.most(width);
              expect(firstLink.y, `the menu under the first line at ${width}`).to.be.at.least(Math.max(lang.y + lang.height, brand.y + brand.height) - 1);
              const items = page.locator('.main-nav li');
              for (let i = 0; i < (await items.count()); i++) {
                const box = (await items.nth(i).boundingBox())!;
                expect(box.x + box.width, `menu item ${i} inside at ${width}`).to.be.at.most(width);
              }
              // Sign-out reads as one of the links: same type, same line, same baseline (their text centred alike).
              const style = (loc: Locator) => loc.evaluate((el) => { const s = getComputedStyle(el); return { size: s.fontSize, family: s.fontFamily }; });
              expect(await style(signOut), `sign-out's type at ${width}`).to.deep.equal(await style(account));
              if (width >= 1024) expect(Math.abs(mid((await signOut.boundingBox())!) - mid((await account.boundingBox())!)), `sign-out on the links' line at ${width}`).to.be.below(2);
              // The page's heading has room under the header.
              expect(h1.y - (header.y + header.height), `space above the heading at ${width}`).to.be.at.least(16);
              expect(brand.y - header.y, `space above the brand at ${width}`).to.be.at.least(4);
              await noSidewaysScroll(page);
              await page.screenshot({ path: path.join(screenshotsDir, `header-${who}-${locale}-${width}.png`) });
            }
          }, `header-${who}-${locale}`);
        } finally {
          await User.updateOne({ _id: user._id }, { $set: { locale: 'vi' } });
        }
      });
    }
  }

  for (const [locale, shown] of [['en', '5 Dec 2026'], ['vi', '5/12/2026']] as const) {
    it(`echoes a date input's day in the product's form beside the browser's own (${locale}: ${shown}), and leaves the arrival date for HR to pick`, async () => {
      await User.updateOne({ _id: officer._id }, { $set: { locale } });
      try {
        await as(officer, PHONE, async (page) => {
          await page.goto(`${t.baseUrl}/cases/${arriving._id}`);
          const input = page.locator('#f-arrivedOn');
          expect(await input.inputValue(), 'the arrival date is not prefilled').to.equal('');
          expect(await input.getAttribute('required')).to.not.equal(null);
          const echo = page.locator('[data-date-echo="f-arrivedOn"]');
          expect(await echo.isVisible(), 'no echo while empty').to.equal(false);
          await input.fill('2026-12-05');
          expect(await echo.innerText()).to.equal(shown);
          await insideWidth(echo, PHONE.width, 'the echo');
          await input.fill('2026-09-30');
          expect(await echo.innerText()).to.equal(locale === 'vi' ? '30/9/2026' : (await page.evaluate(() => new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' }).format(Date.UTC(2026, 8, 30)))));
          await input.fill('');
          expect(await echo.isVisible()).to.equal(false);
          await page.screenshot({ path: path.join(screenshotsDir, `date-echo-${locale}-375.png`) });
          // A date input outside the field partial (the dashboard's period) gets its echo too, from its value on load.
          await page.goto(`${t.baseUrl}/dashboard?from=2026-01-05&to=2026-12-05`);
          expect(await page.locator('[data-date-echo="f-from"]').innerText()).to.equal(locale === 'vi' ? '5/1/2026' : '5 Jan 2026');
        }, `date-echo-${locale}`);
      } finally {
        await User.updateOne({ _id: officer._id }, { $set: { locale: 'vi' } });
      }
    });
  }
});
