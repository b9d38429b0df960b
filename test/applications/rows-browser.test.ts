// In a real browser (Debian's Chromium): the achievements step adds and removes publication rows in
// the page (public/js/rows.js, same-origin under the CSP), and what is saved is exactly the rows left.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { clickAndWait, useBrowser } from '../support/browser.ts';
import { createInstitute, createUser, TEST_PASSWORD } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case } from '../../models/case.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CaseDoc } from '../../models/case.ts';

describe('applications in the browser: rows added and removed in the page', function () {
  this.timeout(90_000);
  let t: TestApp;
  const browser = useBrowser();
  let applicant: UserDoc;
  let c: CaseDoc;

  before(async () => {
    t = await startTestApp();
    const institute = await createInstitute();
    applicant = await createUser({ role: 'applicant', locale: 'en' });
    c = await createCase({ applicant, call: await createCall({ institute, checklist: [] }) });
  });
  after(async () => {
    await t?.close();
  });

  const click = clickAndWait;

  it('adds rows beyond the blank ones, removes one, renumbers, and saves what is left', async () => {
    const errors: string[] = [];
    const page = await browser.page({ locale: 'en-GB' });
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => {
      // A missing favicon is not this test's concern; a script refused by the CSP or failing is.
      if (m.type() === 'error' && !/status of 404/.test(m.text())) errors.push(m.text());
    });
    const scripts: number[] = [];
    page.on('response', (r) => {
      if (r.url().endsWith('/static/js/rows.js')) scripts.push(r.status());
    });
    await page.goto(`${t.baseUrl}/signin`);
    await page.fill('#f-email', applicant.email);
    await page.fill('#f-password', TEST_PASSWORD);
    await click(page, 'main form button[type=submit]');
    await page.goto(`${t.baseUrl}/applications/${c._id}/edit/achievements`);

    const pubRows = () => page.locator('[data-rows="pub"] [data-row]').count();
    const blanks = await pubRows();
    const add = page.locator('button[data-add-row="pub"]');
    expect(await add.textContent()).to.equal('Add a row');
    for (let i = blanks; i < 5; i++) await add.click();
    expect(await pubRows()).to.equal(Math.max(5, blanks));
    expect(await page.inputValue('input[name="pub_rows"]')).to.equal(String(await pubRows()));
    for (let i = 0; i < 5; i++) await page.fill(`#f-pub_${i}_title`, `Paper ${i + 1}`);
    // Remove the second row: the ones after it move up one place, names and labels included.
    await page.locator('[data-rows="pub"] [data-row]').nth(1).locator('[data-remove-row]').click();
    expect(await page.inputValue('#f-pub_1_title')).to.equal('Paper 3');
    expect(await page.locator('[data-rows="pub"] [data-row]').nth(1).locator('[data-row-label]').textContent()).to.equal('#2');
    expect(await page.inputValue('input[name="pub_rows"]')).to.equal(String(await pubRows()));
    await click(page, 'main form button[type=submit]');

    const stored = (await Case.findById(c._id).lean())!;
    expect(stored.achievements?.publications?.map((p) => p.title)).to.deep.equal(['Paper 1', 'Paper 3', 'Paper 4', 'Paper 5']);
    expect(stored.achievements?.publicationsCount).to.equal(4);
    expect(scripts[0]).to.equal(200); // loaded (the page after saving may revalidate it: 304)
    expect(errors).to.deep.equal([]);
  });
});
