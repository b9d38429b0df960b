// A leader's decision confirmed, then Back and Reload (Debian's Chromium): the confirmation page is
// reached by a GET after step 1's redirect (Post/Redirect/Get), so Reload draws it again and Back
// after confirming asks nothing ("Confirm form resubmission" was Chromium's answer to a page that was
// a POST's answer) and lands on the case page, decided once. The pending decision is kept
// server-side, bound to the leader, the case and its version: another leader's id, a stale one and an
// unknown one are refused and change nothing (over HTTP).
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../support/app.ts';
import { clickAndWait, staffSignsIn, useBrowser } from '../support/browser.ts';
import { agent } from '../support/http.ts';
import { createUser, signIn } from '../support/factories.ts';
import { csrfFrom } from '../support/http.ts';
import { Case } from '../../models/case.ts';
import { submitEvaluation } from '../../server/evaluations/index.ts';
import { systemContext } from '../../server/context.ts';
import { applicantCase, makeWorld, type World } from './context.ts';

const PENDING_PAGE = /^\/shortlists\/[0-9a-f]{24}\/cases\/[0-9a-f]{24}\/decision\/confirm\/[0-9a-f]{32}$/;

describe('leaders: the decision confirmation is Post/Redirect/Get (Back and Reload are harmless)', function () {
  this.timeout(120_000);
  let t: TestApp;
  const browser = useBrowser();
  let w: World;

  before(async () => {
    t = await startTestApp();
    w = await makeWorld();
  });
  after(async () => {
    await t?.close();
  });

  async function scoredCase() {
    const { kase } = await applicantCase(w.call, 'evaluation', { profile: { fullName: 'Đỗ Thu Hà', countryOfResidence: 'DE', nationality: 'VN', highestDegree: 'phd', field: 'Optics' } });
    await submitEvaluation({ ctx: systemContext({ now: new Date(), actor: w.member }), caseId: String(kase._id), callId: String(w.call._id), input: { scores: { research: 4, fit: 4 }, recommendation: 'yes', comment: '' } });
    return kase;
  }

  /** Step 1 in the page: the decision form of the case page, answered by the confirmation page (a GET after a 303). */
  async function toConfirmation(page: Page, caseId: unknown, reason: string) {
    await page.goto(`${t.baseUrl}/shortlists/${w.call._id}/cases/${caseId}`);
    await page.check('form.decision-form input[name="action"][value="shortlist"]');
    await page.fill('#f-reason', reason);
    await page.check('#f-withoutScores');
    await clickAndWait(page, 'form.decision-form button[type="submit"]');
  }

  it('Reload draws the confirmation again; Back after confirming lands on the case page, decided once, with no resubmission', async () => {
    const kase = await scoredCase();
    const page = await browser.page({ locale: 'en-GB' });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const dialogs: string[] = [];
    page.on('dialog', async (d) => {
      dialogs.push(d.message());
      await d.dismiss();
    });
    await staffSignsIn(page, t.baseUrl, w.leader);
    const caseUrl = `/shortlists/${w.call._id}/cases/${kase._id}`;
    const reason = 'A clear research plan and strong references from the panel.';
    await toConfirmation(page, kase._id, reason);
    expect(new URL(page.url()).pathname).to.match(PENDING_PAGE);
    expect(await page.textContent('#confirm-reason')).to.equal(reason);

    // Reload: a GET of the same page, the same confirmation, nothing taken.
    const reloaded = await page.reload();
    expect(reloaded!.request().method()).to.equal('GET');
    expect(reloaded!.status()).to.equal(200);
    expect(await page.textContent('#confirm-reason')).to.equal(reason);
    expect((await Case.findById(kase._id).lean())!.stage).to.equal('evaluation');

    await clickAndWait(page, '#confirm-decision');
    expect(new URL(page.url()).pathname).to.equal(caseUrl);
    expect(await page.textContent('.flash')).to.match(/shortlisted/i);

    // Back: the confirmation's address again, by a GET, answered with the case as it is now.
    const back = await page.goBack();
    expect(back, 'Back loads a page (a POST answer would be ERR_CACHE_MISS, "Confirm form resubmission")').to.not.equal(null);
    expect(back!.request().method()).to.equal('GET');
    expect(new URL(page.url()).pathname).to.equal(caseUrl);
    expect(await page.textContent('.flash')).to.include('That confirmation is no longer open');
    // Reload there: the case page again.
    const again = await page.reload();
    expect(again!.request().method()).to.equal('GET');
    expect(again!.status()).to.equal(200);

    const c = (await Case.findById(kase._id).lean())!;
    expect(c.stage).to.equal('shortlisted');
    expect(c.history.filter((e) => e.action === 'shortlist')).to.have.length(1);
    expect(dialogs).to.deep.equal([]);
    expect(errors).to.deep.equal([]);
  });

  it('refuses another leader\'s pending id, a stale one and an unknown one; nothing is decided', async () => {
    const kase = await scoredCase();
    const mine = agent(t.app);
    await signIn(mine, w.leader);
    const colleague = await createUser({ role: 'leader', institute: w.instituteId, name: 'Vũ Đồng Nghiệp' });
    const theirs = agent(t.app);
    await signIn(theirs, colleague);
    const caseUrl = `/shortlists/${w.call._id}/cases/${kase._id}`;
    const form = await mine.get(caseUrl).set('Accept', 'text/html');
    const step1 = await mine.post(`${caseUrl}/decision`).type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(form.text), action: 'shortlist', version: String(kase.version), reason: 'Strong publication record and a clear plan.', withoutScores: '1' });
    expect(step1.status, step1.text.slice(0, 300)).to.equal(303);
    const confirmAt = String(step1.headers.location);
    expect(confirmAt).to.match(PENDING_PAGE);
    const pending = confirmAt.split('/').at(-1)!;
    expect((await mine.get(confirmAt).set('Accept', 'text/html')).status).to.equal(200);

    // Another leader of the same institute, who may decide this case: not their pending decision.
    const theirPage = await theirs.get(caseUrl).set('Accept', 'text/html');
    const opened = await theirs.get(confirmAt).set('Accept', 'text/html');
    expect(opened.status).to.equal(303);
    expect(opened.headers.location).to.equal(caseUrl);
    const taken = await theirs.post(`${caseUrl}/decision/confirm`).type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(theirPage.text), pending });
    expect(taken.status).to.equal(303);
    expect(taken.headers.location).to.equal(caseUrl);
    // Unknown ids and hostile shapes: refused the same way.
    for (const bad of ['0'.repeat(32), 'x', '__proto__']) {
      const res = await mine.post(`${caseUrl}/decision/confirm`).type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(form.text), pending: bad });
      expect(res.status, bad).to.equal(303);
      expect(res.headers.location, bad).to.equal(caseUrl);
    }
    expect((await Case.findById(kase._id).lean())!.stage).to.equal('evaluation');

    // The case changes after the check (its version moves): the pending decision is stale, refused
    // (the case as it is now, the reason kept to copy: 409) and forgotten.
    await Case.updateOne({ _id: kase._id }, { $inc: { version: 1 } });
    const stale = await mine.post(`${caseUrl}/decision/confirm`).type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(form.text), pending });
    expect(stale.status).to.equal(409);
    expect(stale.text).to.include('Strong publication record and a clear plan.');
    expect((await mine.get(confirmAt).set('Accept', 'text/html')).status).to.equal(303);
    const c = (await Case.findById(kase._id).lean())!;
    expect(c.stage).to.equal('evaluation');
    expect(c.history.filter((e) => e.action === 'shortlist')).to.have.length(0);
  });
});
