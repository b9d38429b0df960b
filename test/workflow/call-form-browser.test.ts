// The call form in Debian's Chromium at 375 px: no sideways scrolling, the checklist's and the
// scorecard's rows as stacked cards whose selects and inputs use the width, and the weights' shares
// kept current while typing (public/js/weights.js), in English and Vietnamese.
import path from 'node:path';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../support/app.ts';
import { screenshotsDir, staffSignsIn, useBrowser } from '../support/browser.ts';
import { createInstitute, createUser } from '../support/factories.ts';

describe('the call form in the browser at 375 px', function () {
  this.timeout(90_000);
  const browser = useBrowser();
  let t: TestApp;

  before(async () => {
    t = await startTestApp();
    await createInstitute();
  });
  after(async () => {
    await t?.close();
  });

  const widthOf = (page: Page, selector: string) => page.locator(selector).evaluate((el) => el.getBoundingClientRect().width);

  for (const [locale, browserLocale, share] of [['en', 'en-GB', '78% of the total'], ['vi', 'vi-VN', '78% tổng trọng số']] as const) {
    it(`fits 375 px with rows as cards, and shows the weights' shares while typing (${locale})`, async () => {
      const admin = await createUser({ role: 'admin', locale });
      const page = await browser.page({ locale: browserLocale, viewport: { width: 375, height: 800 } });
      await staffSignsIn(page, t.baseUrl, admin);
      await page.goto(`${t.baseUrl}/admin/calls/new`);
      expect(await page.evaluate('document.documentElement.scrollWidth')).to.be.at.most(375);
      // Each select and input of a row nearly as wide as the card (they were cut to "Curri" and ~20 px).
      for (const selector of ['[name=cl_type_0]', '[name=cl_phase_0]', '[name=cl_maxMb_0]', '[name=sc_key_0]', '[name=sc_labelVi_0]', '[name=sc_weight_0]']) {
        const w = await widthOf(page, selector);
        expect(w, selector).to.be.within(250, 375);
      }
      // Cards: the row's cells one under another, each labelled.
      const [typeBox, phaseBox] = await Promise.all([page.locator('[name=cl_type_0]').boundingBox(), page.locator('[name=cl_phase_0]').boundingBox()]);
      expect(phaseBox!.y).to.be.greaterThan(typeBox!.y + typeBox!.height);

      await page.click('button[value=addCriterionRow]');
      await page.waitForSelector('[name=sc_key_1]');
      expect(await page.evaluate('document.documentElement.scrollWidth')).to.be.at.most(375);
      await page.fill('[name=sc_weight_0]', '70');
      await page.fill('[name=sc_weight_1]', '20');
      expect(await page.textContent('#sc-share-0')).to.equal(share);
      expect(await page.textContent('#sc-share-1')).to.equal(share.replace('78', '22'));
      await page.screenshot({ path: path.join(screenshotsDir, `call-form-375-${locale}.png`), fullPage: true });
      await page.fill('[name=sc_weight_1]', '');
      expect(await page.textContent('#sc-share-0')).to.equal(share.replace('78', '100'));
    });
  }
});
