// In a real browser (Debian's Chromium): a double click on "Send the answer" sends the form once
// (public/js/submit-once.js, loaded on every page under the CSP), the page lands on the success
// message, and a named submit button still sends its own value (the button is disabled only after
// the form's data is taken).
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { useBrowser } from '../support/browser.ts';
import { createInstitute, createUser, TEST_PASSWORD } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case } from '../../models/case.ts';

describe('forms in the browser: one submit per form', function () {
  this.timeout(90_000);
  let t: TestApp;
  const browser = useBrowser();

  before(async () => {
    t = await startTestApp();
  });
  after(async () => {
    await t?.close();
  });

  it('a double click on "Send the answer" posts once and shows the success message', async () => {
    const institute = await createInstitute();
    const hr = await createUser({ role: 'hr_officer', institute, locale: 'en' });
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await createCase({
      applicant,
      call: await createCall({ institute, checklist: [] }),
      assignee: hr,
      stage: 'awaiting_applicant',
      infoRequest: { items: ['Certified translation of your PhD diploma'], dueAt: new Date(Date.now() + 14 * 86_400_000), requestedAt: new Date(), requestedBy: hr._id },
    });
    const errors: string[] = [];
    const page = await browser.page({ locale: 'en-GB' });
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error' && !/status of 404/.test(m.text())) errors.push(m.text());
    });
    const posts: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().endsWith(`/applications/${c._id}/answer`)) posts.push(r.postData() ?? '');
    });
    // The first POST is held a moment, as on a slow phone connection, so the second click lands while it is in flight.
    await page.route(`**/applications/${c._id}/answer`, async (route) => {
      await new Promise((r) => setTimeout(r, 400));
      await route.continue();
    });
    await page.goto(`${t.baseUrl}/signin`);
    await page.fill('#f-email', applicant.email);
    await page.fill('#f-password', TEST_PASSWORD);
    await Promise.all([page.waitForNavigation(), page.click('main form button[type=submit]')]);
    await page.goto(`${t.baseUrl}/applications/${c._id}`);
    await page.fill('#f-answer', 'The translation is uploaded.');
    const button = page.locator(`form[action="/applications/${c._id}/answer"] button[type=submit]`);
    // The same address before and after (the answer redirects back to the application): wait for the POST's answer, then the page.
    // Two taps 150 ms apart, at the button's place (a disabled button is not "clickable" for Playwright, but a finger still taps it).
    await button.scrollIntoViewIfNeeded();
    const box = (await button.boundingBox())!;
    const tap = () => page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    await tap();
    await new Promise((r) => setTimeout(r, 150));
    await tap();
    await page.waitForLoadState('load');
    await page.waitForSelector('text=Your answer was sent');
    // Time for a second POST to show up, were one sent.
    await new Promise((r) => setTimeout(r, 800));
    expect(posts, 'POSTs sent').to.have.length(1);
    expect(posts[0]).to.include('answer=The+translation+is+uploaded.');
    expect(await page.textContent('body')).to.include('Your answer was sent');
    const after = (await Case.findById(c._id).lean())!;
    expect(after.history.filter((h) => h.action === 'answer_info')).to.have.length(1);
    expect(errors).to.deep.equal([]);
  });
});
