// In a real browser (Debian's Chromium) on a phone-sized screen, with JavaScript off (plain forms):
// the offer's two answers are apart, one above the other, the decline styled as the destructive one;
// declining goes through its confirmation page with a reason, once.
import path from 'node:path';
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { clickAndWait, screenshotsDir, useBrowser } from '../support/browser.ts';
import { createInstitute, createUser, TEST_PASSWORD } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case } from '../../models/case.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CaseDoc } from '../../models/case.ts';

describe('applications in the browser: answering an offer on a phone, without JavaScript', function () {
  this.timeout(90_000);
  let t: TestApp;
  const browser = useBrowser();
  let applicant: UserDoc;
  let c: CaseDoc;

  before(async () => {
    t = await startTestApp();
    const institute = await createInstitute();
    applicant = await createUser({ role: 'applicant', locale: 'en' });
    // Made with its terms and letter (the factory's): the panel also has the letter's download link, hence .offer-actions below.
    c = await createCase({ applicant, call: await createCall({ institute, checklist: [] }), stage: 'offer' });
  });
  after(async () => {
    await t?.close();
  });

  const click = clickAndWait;

  it('shows the answers apart at 375 px and declines through the confirmation page, once', async () => {
    const page = await browser.page({ locale: 'en-GB', viewport: { width: 375, height: 800 }, hasTouch: true, isMobile: true, javaScriptEnabled: false });
    await page.goto(`${t.baseUrl}/signin`);
    await page.fill('#f-email', applicant.email);
    await page.fill('#f-password', TEST_PASSWORD);
    await click(page, 'main form button[type=submit]');
    await page.goto(`${t.baseUrl}/applications/${c._id}`);

    const accept = (await page.locator('#offer .offer-actions a.button:not(.danger)').boundingBox())!;
    const decline = (await page.locator('#offer a.button.danger').boundingBox())!;
    // One above the other, with room between them: no tap lands on the wrong one.
    expect(decline.y, 'the decline below the accept').to.be.greaterThan(accept.y + accept.height + 15);
    const background = (sel: string) => page.evaluate(`getComputedStyle(document.querySelector(${JSON.stringify(sel)})).backgroundColor`);
    expect(await background('#offer a.button.danger'), 'the decline styled as destructive').not.to.equal(await background('#offer .offer-actions a.button:not(.danger)'));
    expect(await page.evaluate('document.documentElement.scrollWidth')).to.equal(375);
    await page.screenshot({ path: path.join(screenshotsDir, 'offer-panel-375.png'), fullPage: false, clip: { x: 0, y: Math.max(0, accept.y - 200), width: 375, height: 400 } });

    await click(page, '#offer a.button.danger');
    expect(await page.textContent('h1')).to.equal('Decline the offer');
    await page.fill('#f-reason', 'The start date does not suit my family.');
    await page.screenshot({ path: path.join(screenshotsDir, 'offer-decline-confirm-375.png'), fullPage: true });
    await click(page, '#offer-confirm button[type=submit]');
    expect(await page.textContent('.flash')).to.include('You declined the offer.');
    // Back, and the same confirmation sent again: the first one stands, nothing more happens.
    await page.goBack();
    if ((await page.locator('#offer-confirm button[type=submit]').count()) > 0) await click(page, '#offer-confirm button[type=submit]');
    const after = (await Case.findById(c._id).lean())!;
    expect(after.stage).to.equal('withdrawn');
    expect(after.history.filter((h) => h.action === 'decline_offer').map((h) => h.note)).to.deep.equal(['The start date does not suit my family.']);
    expect(after.outbox.filter((o) => o.template === 'offer_declined')).to.have.length(1);
  });
});
