// The queue in a real browser (Debian's Chromium): an officer finds a case by part of a name typed
// without its diacritics, and on a 375 px wide phone every row keeps its stage, deadline and
// assignee visible inside the viewport (no horizontal scrolling), a long badge included (the refused
// visa's "Bị từ chối: Thị thực (cần quyết định bước tiếp theo)" widened the page to 446 px).
import path from 'node:path';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../support/app.ts';
import { screenshotsDir, useBrowser } from '../support/browser.ts';
import { createInstitute, createUser, freshTotpCode, TEST_PASSWORD } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { User, type UserDoc } from '../../models/user.ts';
import type { CaseDoc } from '../../models/case.ts';

const DAY = 86_400_000;

describe('the queue in the browser: search without diacritics, and a phone layout', function () {
  this.timeout(120_000);
  let t: TestApp;
  const browser = useBrowser();
  let officer: UserDoc;
  let target: CaseDoc;
  const others: CaseDoc[] = [];

  before(async () => {
    t = await startTestApp();
    const institute = await createInstitute();
    officer = await createUser({ role: 'hr_officer', institute, name: 'Officer Queue Browser' });
    const colleague = await createUser({ role: 'hr_officer', institute, name: 'Nguyễn Thị Phương Thảo (HR)' });
    const call = await createCall({ institute, checklist: [], title: { vi: 'Chuyên gia bán dẫn với tên đợt tuyển rất dài', en: 'Semiconductor expert call with a very long title' } });
    const applicant = await createUser({ role: 'applicant' });
    const now = Date.now();
    target = await createCase({ applicant, call, stage: 'screening', stageDueAt: new Date(now + 4 * DAY), assignee: colleague._id, profile: { fullName: 'Trương Thị Hường', nationality: 'VN' } });
    const names = ['Nguyễn Văn Bình', 'Lê Thị Mỹ Duyên', 'Hoàng Quốc Việt', 'Maximilian Alexander von Hohenzollern-Sigmaringen'];
    for (const [i, fullName] of names.entries()) {
      others.push(
        await createCase({
          applicant,
          call,
          stage: i % 2 ? 'evaluation' : 'submitted',
          stageDueAt: i === 3 ? undefined : new Date(now + (i + 1) * DAY),
          assignee: i % 2 ? officer._id : undefined,
          profile: { fullName, nationality: 'DE' },
          overdueProcedures: i === 2 ? ['work_permit', 'visa'] : undefined,
        }),
      );
    }
    // In onboarding with its visa refused and not yet settled: the queue's longest badge.
    others.push(await createCase({ applicant, call, stage: 'onboarding', stageDueAt: new Date(now + 9 * DAY), assignee: officer._id, profile: { fullName: 'Refused Visa Case', nationality: 'DE' }, supportTracks: [{ kind: 'visa', status: 'refused', refusedAt: new Date(now - DAY), decidedAt: new Date(now - DAY), updatedAt: new Date(now - DAY) }] as never }));
  });
  after(async () => {
    await t?.close();
  });

  async function signInOfficer(page: Page): Promise<void> {
    await page.goto(`${t.baseUrl}/signin`);
    await page.fill('#f-email', officer.email);
    await page.fill('#f-password', TEST_PASSWORD);
    await Promise.all([page.waitForNavigation(), page.click('main form button[type=submit]')]);
    await page.fill('#f-code', await freshTotpCode((await User.findById(officer._id).lean())!));
    await Promise.all([page.waitForNavigation(), page.click('main form button[type=submit]')]);
  }

  it('finds a case by part of a name with diacritics typed without them', async () => {
    const page = await browser.page({ locale: 'en-GB' });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    try {
      await signInOfficer(page);
      await page.goto(`${t.baseUrl}/cases`);
      expect(await page.locator('table.queue tbody tr[data-case]').count()).to.equal(6);
      await page.fill('#q-search', 'truong huon');
      await Promise.all([page.waitForNavigation(), page.press('#q-search', 'Enter')]);
      expect(new URL(page.url()).searchParams.get('q')).to.equal('truong huon');
      const rows = page.locator('table.queue tbody tr[data-case]');
      expect(await rows.count()).to.equal(1);
      expect(await rows.first().getAttribute('data-case')).to.equal(String(target._id));
      expect(await rows.first().textContent()).to.include('Trương Thị Hường');
      expect(await page.inputValue('#q-search')).to.equal('truong huon');
      // Save it, apply it again from the list in one click.
      await page.fill('#f-filter-name', 'Hường');
      await Promise.all([page.waitForNavigation(), page.click('#save-filter button[type=submit]')]);
      await page.goto(`${t.baseUrl}/cases`);
      await Promise.all([page.waitForNavigation(), page.click('#saved-filters a:has-text("Hường")')]);
      expect(await page.locator('table.queue tbody tr[data-case]').count()).to.equal(1);
      expect(errors).to.deep.equal([]);
    } catch (err) {
      await page.screenshot({ path: path.join(screenshotsDir, 'queue-search-failure.png'), fullPage: true }).catch(() => {});
      throw err;
    }
  });

  it('keeps stage, deadline and assignee of every row visible on a 375 px phone, long badges wrapped inside it', async () => {
    const page = await browser.page({ locale: 'vi-VN', viewport: { width: 375, height: 667 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    try {
      // In Vietnamese, whose badges are the longest (the officer's language, put back after).
      await User.updateOne({ _id: officer._id }, { $set: { locale: 'vi' } });
      await signInOfficer(page);
      await page.goto(`${t.baseUrl}/cases`);
      const rows = page.locator('table.queue tbody tr[data-case]');
      const n = await rows.count();
      expect(n).to.equal(6);
      for (let i = 0; i < n; i++) {
        const row = rows.nth(i);
        await row.scrollIntoViewIfNeeded();
        for (const cell of ['td.cell-stage', 'td.cell-due', 'td.cell-assignee']) {
          const loc = row.locator(cell);
          expect(await loc.isVisible(), `${cell} of row ${i}`).to.equal(true);
          const box = (await loc.boundingBox())!;
          expect(box, `${cell} of row ${i}`).to.not.equal(null);
          expect(box.width, `${cell} of row ${i} has a width`).to.be.greaterThan(0);
          expect(box.x, `${cell} of row ${i} starts inside`).to.be.at.least(0);
          expect(box.x + box.width, `${cell} of row ${i} ends inside`).to.be.at.most(375);
          expect((await loc.innerText()).trim().length, `${cell} of row ${i} shows text`).to.be.greaterThan(0);
        }
      }
      // The page itself does not scroll sideways.
      const widths = (await page.evaluate('({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth })')) as { scroll: number; client: number };
      expect(widths.scroll, 'no horizontal scroll').to.be.at.most(widths.client);
      const flagged = rows.filter({ has: page.locator('.procedure-overdue') });
      expect(await flagged.count()).to.equal(1);
      expect(await flagged.locator('.procedure-overdue').first().isVisible()).to.equal(true);
      // The long badge wraps inside the screen, whole.
      const refused = page.locator('.badge', { hasText: 'Bị từ chối: Thị thực (cần quyết định bước tiếp theo)' });
      expect(await refused.count()).to.equal(1);
      const rbox = (await refused.boundingBox())!;
      expect(rbox.x).to.be.at.least(0);
      expect(rbox.x + rbox.width, 'the refused badge ends inside').to.be.at.most(375);
      await page.screenshot({ path: path.join(screenshotsDir, 'queue-phone-375.png'), fullPage: true });
    } catch (err) {
      await page.screenshot({ path: path.join(screenshotsDir, 'queue-phone-failure.png'), fullPage: true }).catch(() => {});
      throw err;
    } finally {
      await User.updateOne({ _id: officer._id }, { $set: { locale: officer.locale ?? 'en' } });
    }
  });

  it('folds the filters on a 375 px phone so the first case is on the first screen; open when a filter is set, and on a wide screen', async () => {
    const page = await browser.page({ locale: 'en-GB', viewport: { width: 375, height: 667 }, isMobile: true, hasTouch: true });
    try {
      await signInOfficer(page);
      await page.goto(`${t.baseUrl}/cases`);
      const first = page.locator('table.queue tbody tr[data-case]').first();
      const box = (await first.boundingBox())!;
      expect(box.y, 'the first case starts on the first screen').to.be.below(667);
      expect((await page.locator('#filters-fold[open]').count()) === 1).to.equal(false);
      expect((await page.locator('#filters-fold > summary').innerText()).trim()).to.equal('Filters');
      expect(await page.isVisible('#q-stage')).to.equal(false);
      // The search stays outside the fold.
      expect(await page.isVisible('#q-search')).to.equal(true);
      // Opened from the keyboard: the summary takes the focus and Enter opens it.
      await page.focus('#filters-fold > summary');
      await page.keyboard.press('Enter');
      expect(await page.isVisible('#q-stage')).to.equal(true);
      // A filter set: the fold is open and says how many are set.
      await page.goto(`${t.baseUrl}/cases?overdue=1&assignee=me`);
      expect((await page.locator('#filters-fold[open]').count()) === 1).to.equal(true);
      expect((await page.locator('#filters-fold > summary').innerText()).trim()).to.equal('Filters (2 set)');
      await page.screenshot({ path: path.join(screenshotsDir, 'queue-phone-375-filters.png'), fullPage: true });
      // A wide screen shows the fields without the fold.
      await page.setViewportSize({ width: 1280, height: 800 });
      await page.goto(`${t.baseUrl}/cases`);
      expect(await page.isVisible('#q-stage')).to.equal(true);
      expect(await page.isVisible('#filters-fold > summary')).to.equal(false);
    } catch (err) {
      await page.screenshot({ path: path.join(screenshotsDir, 'queue-phone-375-failure.png'), fullPage: true }).catch(() => {});
      throw err;
    }
  });
});
