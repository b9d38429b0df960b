// A form field that must hold one value, sent twice (`reason=a&reason=b`), is refused rather than
// read as its first value: 422, "sent more than once" beside the box, the form shown again with what
// was typed, nothing stored. An HR action (a hold's reason) and the applicant's forms (a message to
// HR, a step of the application form); a field sent once still goes through.
import { expect } from 'chai';
import type { TestApp } from '../support/app.ts';
import { startTestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { csrfFrom, type Agent } from '../support/http.ts';
import { holdReviewDay } from '../support/hold.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import type { UserDoc } from '../../models/user.ts';
import { page, signedIn, text, versionIn } from '../applications/support.ts';

const ONCE_EN = 'This box was sent more than once: keep one value and send the form again.';
const ONCE_VI = 'Ô này được gửi nhiều hơn một lần';

/** Posts the fields as a browser writes a url-encoded body: a name given several values repeats. */
function postRaw(a: Agent, fromHtml: string, url: string, fields: Array<[string, string]>) {
  const body = new URLSearchParams([['_csrf', csrfFrom(fromHtml)], ...fields]).toString();
  return a.post(url).type('form').set('Accept', 'text/html').send(body);
}

describe('security: a field sent twice is refused, not read as its first value', function () {
  this.timeout(60_000);
  let t: TestApp;
  let hr: UserDoc;
  let hrVi: UserDoc;
  let applicant: UserDoc;
  let screening: CaseDoc;
  let draft: CaseDoc;

  before(async () => {
    t = await startTestApp();
    const institute = await createInstitute();
    const call = await createCall({ institute, checklist: [] });
    hr = await createUser({ role: 'hr_officer', institute, locale: 'en' });
    hrVi = await createUser({ role: 'hr_officer', institute, locale: 'vi' });
    applicant = await createUser({ role: 'applicant', locale: 'en' });
    screening = await createCase({ applicant, call, stage: 'screening', assignee: hr._id });
    draft = await createCase({ applicant, call, stage: 'draft' });
  });
  after(async () => {
    await t?.close();
  });

  const snapshot = async (c: CaseDoc) => JSON.stringify(await Case.findById(c._id, { version: 1, stage: 1, messages: 1, profile: 1, history: 1 }).lean());

  it('HR: a hold with its reason sent twice is refused beside the reason, the form kept (en, vi); sent once it goes on', async () => {
    const url = `/cases/${screening._id}/actions/put_on_hold`;
    const before = await snapshot(screening);
    const a = await signedIn(t, hr);
    const casePage = await page(a, `/cases/${screening._id}`);
    const reviewBy = holdReviewDay();
    const version = versionIn(casePage.text, url);
    const res = await postRaw(a, casePage.text, url, [['version', version], ['reason', 'Budget review first'], ['reason', 'Something else'], ['reviewBy', reviewBy]]);
    expect(res.status).to.equal(422);
    const shown = text(res.text);
    expect(shown).to.include(ONCE_EN);
    expect(res.text).to.match(/<textarea id="f-reason-put_on_hold"[^>]*aria-invalid="true"[^>]*>Budget review first<\/textarea>/);
    expect(await snapshot(screening)).to.equal(before);

    const vi = await signedIn(t, hrVi);
    const viPage = await page(vi, `/cases/${screening._id}`);
    const viRes = await postRaw(vi, viPage.text, url, [['version', version], ['reason', 'Chờ ngân sách'], ['reason', 'Khác'], ['reviewBy', reviewBy]]);
    expect(viRes.status).to.equal(422);
    expect(text(viRes.text)).to.include(ONCE_VI);

    const once = await postRaw(a, casePage.text, url, [['version', version], ['reason', 'Budget review first'], ['reviewBy', reviewBy]]);
    expect(once.status, 'the confirmation page').to.equal(200);
    expect(text(once.text)).to.include('Budget review first');
  });

  it('HR: the confirmation step refuses a reason sent twice too', async () => {
    const url = `/cases/${screening._id}/actions/put_on_hold/confirm`;
    const before = await snapshot(screening);
    const a = await signedIn(t, hr);
    const casePage = await page(a, `/cases/${screening._id}`);
    const version = versionIn(casePage.text, `/cases/${screening._id}/actions/put_on_hold`);
    const res = await postRaw(a, casePage.text, url, [['version', version], ['reason', 'One'], ['reason', 'Two'], ['reviewBy', holdReviewDay()]]);
    expect(res.status).to.equal(422);
    expect(text(res.text)).to.include(ONCE_EN);
    expect(await snapshot(screening)).to.equal(before);
  });

  it('HR: a request for information with its items sent twice is refused on its own page, what was typed kept', async () => {
    const url = `/cases/${screening._id}/request-info`;
    const before = await snapshot(screening);
    const a = await signedIn(t, hr);
    const form = await page(a, url);
    expect(form.status).to.equal(200);
    const res = await postRaw(a, form.text, url, [['version', versionIn(form.text, url)], ['items', 'Your doctoral diploma'], ['items', 'Something else'], ['dueAt', holdReviewDay()]]);
    expect(res.status).to.equal(422);
    expect(text(res.text)).to.include(ONCE_EN);
    expect(text(res.text)).to.include('Your doctoral diploma');
    expect(await snapshot(screening)).to.equal(before);
  });

  it('applicant: a message to HR with its text sent twice is refused beside the box, the text kept, nothing sent', async () => {
    const url = `/applications/${screening._id}/messages`;
    const before = await snapshot(screening);
    const a = await signedIn(t, applicant);
    const mine = await page(a, `/applications/${screening._id}`);
    const res = await postRaw(a, mine.text, url, [['text', 'When will I hear back?'], ['text', 'Second copy']]);
    expect(res.status).to.equal(422);
    expect(text(res.text)).to.include(ONCE_EN);
    expect(res.text).to.match(/<textarea id="f-text"[^>]*>When will I hear back\?<\/textarea>/);
    expect(await snapshot(screening)).to.equal(before);
  });

  it('applicant: a step of the application form with a field sent twice is refused beside it, what was typed kept, nothing saved', async () => {
    const url = `/applications/${draft._id}/edit/profile`;
    const before = await snapshot(draft);
    const a = await signedIn(t, applicant);
    const form = await page(a, url);
    const res = await postRaw(a, form.text, url, [['fullName', 'Nguyễn Văn An'], ['fullName', 'Someone Else'], ['go', 'stay']]);
    expect(res.status).to.equal(422);
    expect(text(res.text)).to.include(ONCE_EN);
    expect(res.text).to.match(/<input id="f-fullName"[^>]*value="Nguyễn Văn An"/);
    expect(await snapshot(draft)).to.equal(before);

    const once = await postRaw(a, form.text, url, [['fullName', 'Nguyễn Văn An'], ['go', 'stay']]);
    expect(once.status).to.equal(303);
    expect((await Case.findById(draft._id).lean())!.profile?.fullName).to.equal('Nguyễn Văn An');
  });
});
