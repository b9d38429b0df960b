// In a real browser (Debian's Chromium): a leader signs in with a second factor, opens the ranked
// shortlist, compares two candidates side by side, scores one and approves the offer; the
// applicant receives the offer e-mail (outbox dispatch + in-process SMTP); a screenshot of the
// dashboard with its charts is saved under test-results/.
// A rejection's confirmation page redraws the e-mail preview as the words for the candidate are typed.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { Types } from 'mongoose';
import type { Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../support/app.ts';
import { screenshotsDir, useBrowser } from '../support/browser.ts';
import { freshTotpCode, TEST_PASSWORD } from '../support/factories.ts';
import { dispatchOnce } from '../../server/outbox/index.ts';
import { clearDashboardCache } from '../../server/dashboard/index.ts';
import { Case } from '../../models/case.ts';
import { User } from '../../models/user.ts';
import { submitEvaluation } from '../../server/evaluations/index.ts';
import { systemContext } from '../../server/context.ts';
import { makeWorld, applicantCase, type World } from './context.ts';

describe('leaders in the browser: shortlist, compare, approve an offer, dashboard', function () {
  this.timeout(120_000);
  let t: TestApp;
  const browser = useBrowser();
  let w: World;

  before(async () => {
    t = await startTestApp();
    await clearDashboardCache();
    w = await makeWorld();
  });
  after(async () => {
    await t?.close();
  });

  async function click(page: Page, selector: string) {
    await Promise.all([page.waitForNavigation(), page.click(selector)]);
  }

  it('ranks, compares two candidates, approves an offer and e-mails the applicant', async () => {
    const profile = (fullName: string, country: string, pubs: number) => ({ profile: { fullName, countryOfResidence: country, nationality: 'VN', highestDegree: 'phd', field: 'Materials science' }, achievements: { publicationsCount: pubs, patentsCount: 1 } });
    const first = await applicantCase(w.call, 'shortlisted', profile('Nguyễn Thị Lan', 'DE', 30));
    const second = await applicantCase(w.call, 'shortlisted', profile('Trần Quốc Huy', 'JP', 12));
    await applicantCase(w.call, 'evaluation', profile('Lê Văn Nam', 'FR', 5));
    // The panel member scored the two shortlisted candidates earlier (while they were in evaluation).
    for (const [c, research] of [[first.kase, 5], [second.kase, 3]] as const) {
      await Case.updateOne({ _id: c._id }, { $set: { stage: 'evaluation' } });
      await submitEvaluation({ ctx: systemContext({ now: new Date(), actor: w.member }), caseId: String(c._id), callId: String(w.call._id), input: { scores: { research, fit: 4 }, recommendation: 'yes', comment: '' } });
      await Case.updateOne({ _id: c._id }, { $set: { stage: 'shortlisted' } });
    }
    // HR prepared the first candidate's offer (terms and letter): the approval's e-mail then asks for an answer by a date.
    await Case.updateOne({ _id: first.kase._id }, { $set: { offerTerms: { position: 'Senior researcher', letter: new Types.ObjectId(), updatedAt: new Date() } } });
    const errors: string[] = [];
    const page = await browser.page({ locale: 'en-GB' });
    page.on('console', (m) => {
      // 422 is the reason-less decision form coming back with its message, on purpose.
      if (m.type() === 'error' && !/status of (404|422)/.test(m.text())) errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));

    // Sign in: password, then the authenticator code.
    await page.goto(`${t.baseUrl}/signin`);
    await page.fill('input[name="email"]', w.leader.email);
    await page.fill('input[name="password"]', TEST_PASSWORD);
    await click(page, 'form[action="/signin"] button[type="submit"]');
    if (page.url().includes('/signin/second-factor')) {
      await page.fill('input[name="code"]', await freshTotpCode((await User.findById(w.leader._id).lean())!));
      await click(page, 'form[action="/signin/second-factor"] button[type="submit"]');
    }

    // The shortlists page lists the call; the shortlist ranks the candidates.
    await page.goto(`${t.baseUrl}/shortlists`);
    await click(page, `a[href="/shortlists/${w.call._id}"]`);
    const names = await page.$$eval('table.shortlist tbody th[scope="row"] a', (as) => as.map((a) => a.textContent?.trim()));
    expect(names).to.deep.equal(['Nguyễn Thị Lan', 'Trần Quốc Huy', 'Lê Văn Nam']);

    // Compare the two shortlisted candidates side by side.
    await page.check(`#sel-${first.kase._id}`);
    await page.check(`#sel-${second.kase._id}`);
    await click(page, '#compare-form button[type="submit"]');
    expect(page.url()).to.include('/compare?ids=');
    const headers = await page.$$eval('table.compare thead th a', (as) => as.map((a) => a.textContent?.trim()));
    expect(headers).to.deep.equal(['Nguyễn Thị Lan', 'Trần Quốc Huy']);
    expect(await page.textContent('table.compare')).to.include('Japan');

    // Open the first and approve the offer: without a reason the form says what to fix, nothing changes.
    await click(page, `table.compare thead a[href="/shortlists/${w.call._id}/cases/${first.kase._id}"]`);
    // Nothing chosen, no reason: the summary takes the focus and links to both, as on the app's
    // other forms; the link to the choice puts the focus on its first option.
    await click(page, 'form.decision-form button[type="submit"]');
    await page.waitForSelector('#form-errors li a', { timeout: 5000 });
    expect(await page.evaluate('document.activeElement.id')).to.equal('form-errors');
    expect(await page.$$eval('#form-errors li a', (as) => as.map((a) => a.getAttribute('href')))).to.deep.equal(['#f-action-error', '#f-reason']);
    await page.click('#form-errors li a');
    expect(await page.evaluate('document.activeElement.name')).to.equal('action');
    await page.check('form.decision-form input[name="action"][value="approve_offer"]');
    await click(page, 'form.decision-form button[type="submit"]');
    expect(await page.textContent('#f-reason-error')).to.include('Give the reason for this decision.');
    expect(await page.isChecked('form.decision-form input[name="action"][value="approve_offer"]')).to.equal(true);
    expect((await Case.findById(first.kase._id).lean())!.stage).to.equal('shortlisted');

    // With the reason, the confirmation page shows what the candidate will be told, and the reason as internal.
    const reason = 'Outstanding record in thin-film materials; the panel ranks her first.';
    await page.fill('#f-reason', reason);
    await click(page, 'form.decision-form button[type="submit"]');
    expect(await page.textContent('h1')).to.include('Approve the offer');
    const told = (await page.textContent('#preview-text'))!;
    expect(told).to.include('We are pleased to offer you the position');
    expect(told).to.include(first.kase.reference);
    expect(told).not.to.include(reason);
    expect(await page.textContent('#preview-subject')).to.include('You have an offer');
    expect(await page.textContent('#confirm-reason')).to.equal(reason);
    expect(t.smtp.to(first.applicant.email)).to.have.length(0);

    await click(page, '#confirm-decision');
    expect(await page.textContent('.flash')).to.include('offer was approved');
    expect(await page.textContent('#case-stage')).to.equal('Offer');
    const decided = (await Case.findById(first.kase._id).lean())!;
    expect(decided.stage).to.equal('offer');
    expect(decided.history.at(-1)!.note).to.equal(reason);

    await dispatchOnce(t.ctx, { owner: 'leaders-browser', caseIds: [first.kase._id] });
    const mail = await t.smtp.waitForTo(first.applicant.email, /offer/);
    expect(mail.subject).to.include(first.kase.reference);
    // The e-mail as previewed (server/evaluations/case.ts previewDecision: the workflow's own preview),
    // with the answer-by date and the working days left.
    expect(mail.text).to.match(/Please answer by \d{1,2} \w{3} \d{4} \(\d+ working days? left\)\.\n/);
    expect(mail.text!.trim()).to.equal(told.trim());
    expect(mail.text).not.to.include(reason);

    // The dashboard draws its charts from the same-origin Chart.js, without CSP errors.
    await page.goto(`${t.baseUrl}/dashboard`);
    await page.waitForSelector('#dashboard-charts canvas');
    expect(await page.$$eval('#dashboard-charts canvas', (c) => c.length)).to.be.greaterThan(2);
    // The figures include the offer just approved: Offer, 1 now in stage, 1 reached.
    const offerRow = await page.$eval('#table-funnel tbody', (tb) => [...tb.querySelectorAll('tr')].map((tr) => [...tr.children].map((c) => c.textContent?.trim()).join('|')).find((r) => r.startsWith('Offer|')));
    expect(offerRow).to.equal('Offer|1|1');
    // The decision and its reason are in the recent decisions.
    expect(await page.textContent('#recent-decisions')).to.include(reason);
    const file = path.join(screenshotsDir, 'leaders-dashboard.png');
    await page.screenshot({ path: file, fullPage: true });
    expect(existsSync(file)).to.equal(true);
    // On a 375 px phone the recent decisions are labelled cards, the reason the card's width (it was
    // a one-word column), and nothing scrolls sideways.
    await page.setViewportSize({ width: 375, height: 812 });
    await page.reload();
    const css = (sel: string, prop: string, pseudo = '') => page.evaluate(`getComputedStyle(document.querySelector(${JSON.stringify(sel)}), ${JSON.stringify(pseudo || null)}).${prop}`);
    expect(await css('#recent-decisions table.decisions tbody tr', 'display')).to.equal('block');
    expect(await css('#recent-decisions table.decisions tbody tr td.decision-reason', 'content', '::before')).to.equal('"Reason: "');
    const reasonCell = page.locator('#recent-decisions table.decisions tbody tr td.decision-reason').first();
    expect((await reasonCell.boundingBox())!.width).to.be.greaterThan(250);
    expect(await page.$$eval('#recent-decisions .scroll-hint', (n) => n.length)).to.equal(0);
    expect(await page.evaluate('document.documentElement.scrollWidth')).to.equal(375);
    await page.locator('#recent-decisions').screenshot({ path: path.join(screenshotsDir, 'leaders-dashboard-decisions-375.png') });
    expect(errors, errors.join('\n')).to.deep.equal([]);
  });

  it('a rejection: the e-mail preview follows the words for the candidate as they are typed, and those words are sent', async () => {
    const { applicant, kase } = await applicantCase(w.call, 'evaluation', { profile: { fullName: 'Phạm Minh Đức', countryOfResidence: 'VN', nationality: 'VN', highestDegree: 'phd', field: 'Chemistry' } });
    await submitEvaluation({ ctx: systemContext({ now: new Date(), actor: w.member }), caseId: String(kase._id), callId: String(w.call._id), input: { scores: { research: 2, fit: 2 }, recommendation: 'no', comment: '' } });
    const errors: string[] = [];
    const page = await browser.page({ locale: 'en-GB' });
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(`${t.baseUrl}/signin`);
    await page.fill('input[name="email"]', w.leader.email);
    await page.fill('input[name="password"]', TEST_PASSWORD);
    await click(page, 'form[action="/signin"] button[type="submit"]');
    if (page.url().includes('/signin/second-factor')) {
      await page.fill('input[name="code"]', await freshTotpCode((await User.findById(w.leader._id).lean())!));
      await click(page, 'form[action="/signin/second-factor"] button[type="submit"]');
    }
    await page.goto(`${t.baseUrl}/shortlists/${w.call._id}/cases/${kase._id}`);
    await page.check('form.decision-form input[name="action"][value="reject"]');
    await page.fill('#f-reason', 'Internal: the weakest research record among the candidates.');
    // The leader has not scored this case: they say they decide without the panel's scores (lead s35).
    await page.check('#f-withoutScores');
    await click(page, 'form.decision-form button[type="submit"]');
    expect(await page.textContent('#preview-told')).to.include('The selection panel has carefully compared your application');

    // Typed, not "Show it in the e-mail": the preview shows the new words at once.
    const edited = 'Thank you for applying. The panel chose a candidate whose work is closer to the project.';
    await page.fill('#confirm-form textarea[name="toldReason"]', edited);
    expect(await page.textContent('#preview-told')).to.equal(edited);
    const told = (await page.textContent('#preview-text'))!;
    expect(told).not.to.include('carefully compared');
    // Said final before it is confirmed, as HR's rejection is.
    expect(await page.textContent('#decision-final')).to.include('This decision ends the application: only a rejection can be reconsidered, by a leader of the institute within 30 days');
    await click(page, '#confirm-decision');
    expect(page.url()).to.match(new RegExp(`/shortlists/${w.call._id}$`));
    // The rejected case has left the ranked list; the stage filter finds it, the row says the decision,
    // and its page says what was decided, by whom, why, and the words the candidate was sent.
    expect(await page.$(`tr[data-case="${kase._id}"]`)).to.equal(null);
    await page.selectOption('#f-stage', 'rejected');
    await click(page, 'form.filters button[type="submit"]');
    expect(await page.textContent(`tr[data-case="${kase._id}"] .row-decision`)).to.match(/^Rejected: Lê Lãnh Đạo, \d{1,2} [A-Z][a-z]{2} \d{4}$/);
    await click(page, `tr[data-case="${kase._id}"] a[href="/shortlists/${w.call._id}/cases/${kase._id}"]`);
    const history = (await page.textContent('#decision-history'))!;
    expect(history).to.include('Rejected');
    expect(history).to.include('Internal: the weakest research record among the candidates.');
    expect(await page.textContent('#decision-history .decision-told')).to.equal(edited);
    await page.locator('section[aria-labelledby="decision-h"]').screenshot({ path: path.join(screenshotsDir, 'leaders-decision-history.png') });
    const c = (await Case.findById(kase._id).lean())!;
    expect(c.stage).to.equal('rejected');
    expect(c.decision?.toldReason).to.equal(edited);
    await dispatchOnce(t.ctx, { owner: 'leaders-browser', caseIds: [kase._id] });
    const mail = await t.smtp.waitForTo(applicant.email, new RegExp(kase.reference));
    expect(mail.text!.trim()).to.equal(told.trim());
    expect(errors).to.deep.equal([]);
  });
});
