// In a real browser (Debian's Chromium), the applicant's walk on a 375 px phone: the overseas-
// Vietnamese question's legend stays inside its fieldset (it ran across the top border when it
// wrapped), the consent checkbox and the radios are at least 24 × 24 px to tap (WCAG 2.2, 2.5.8), and
// a long text area counts its characters as they are typed (public/js/char-count.js, same-origin
// under the CSP), in the page's number form.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { applicantSignsIn, useBrowser } from '../support/browser.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CaseDoc } from '../../models/case.ts';

describe('applications in the browser: a phone’s width, tap targets and a counted text', function () {
  this.timeout(90_000);
  const browser = useBrowser();
  let t: TestApp;
  let applicant: UserDoc;
  let c: CaseDoc;

  before(async () => {
    t = await startTestApp();
    const institute = await createInstitute();
    applicant = await createUser({ role: 'applicant', locale: 'vi' });
    c = await createCase({ applicant, call: await createCall({ institute, checklist: [] }) });
  });
  after(async () => {
    await t?.close();
  });

  it('at 375 px: the legend inside its fieldset, 24 px boxes to tap, and the count follows the typing', async () => {
    const errors: string[] = [];
    const page = await browser.page({ locale: 'vi-VN', viewport: { width: 375, height: 800 } });
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error' && !/status of 404/.test(m.text())) errors.push(m.text());
    });
    await applicantSignsIn(page, t.baseUrl, applicant.email);

    await page.goto(`${t.baseUrl}/applications/${c._id}/edit/profile`);
    const fieldset = (await page.locator('#f-overseasVietnamese').boundingBox())!;
    const legend = (await page.locator('#f-overseasVietnamese legend').boundingBox())!;
    const firstChoice = (await page.locator('#f-overseasVietnamese label.checkbox').first().boundingBox())!;
    // Inside the box (below its top border, within its sides), and the choices below it.
    expect(legend.y).to.be.greaterThan(fieldset.y);
    expect(legend.x).to.be.at.least(fieldset.x);
    expect(legend.x + legend.width).to.be.at.most(fieldset.x + fieldset.width);
    expect(firstChoice.y).to.be.at.least(legend.y + legend.height);
    // Nothing wider than the phone.
    expect((await page.evaluate('document.documentElement.scrollWidth')) as number).to.be.at.most(375);
    const radio = (await page.locator('#f-overseasVietnamese input[type=radio]').first().boundingBox())!;
    expect(radio.width).to.be.at.least(24);
    expect(radio.height).to.be.at.least(24);

    await page.goto(`${t.baseUrl}/applications/${c._id}/edit/review`);
    const consent = (await page.locator('input[name=keepDataConsent]').boundingBox())!;
    expect(consent.width).to.be.at.least(24);
    expect(consent.height).to.be.at.least(24);

    await page.goto(`${t.baseUrl}/applications/${c._id}/edit/eligibility`);
    const area = page.locator('textarea[maxlength="2000"]').first();
    const id = await area.getAttribute('id');
    const count = page.locator(`#${id}-count`);
    // What is stored is counted from the start.
    expect(await count.textContent()).to.equal(`Đã dùng ${(await area.inputValue()).length}/2.000 ký tự.`);
    await area.fill('Tiến sĩ 2014, Berlin');
    expect(await count.textContent()).to.equal('Đã dùng 20/2.000 ký tự.');
    await area.fill('x'.repeat(1850));
    expect(await count.textContent()).to.equal('Đã dùng 1.850/2.000 ký tự.');
    expect(await count.getAttribute('class')).to.include('char-count-near');
    expect(await count.getAttribute('aria-live')).to.equal('polite');
    expect(errors).to.deep.equal([]);
  });
});
