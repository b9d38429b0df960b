// Requests no form sends, answered as the client's mistake (4xx), never a 500: a path that is not
// valid percent-encoding, a body that is not a form (none, a JSON array), a missing optional field,
// an id longer than any, a blank or loose case version on a leader's decision. And the e-mail
// template editor speaks the administrator's language whatever the template's.
import { expect } from 'chai';
import { useTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { csrfFrom } from '../support/http.ts';
import { Case } from '../../models/case.ts';
import { signedIn, page } from '../applications/support.ts';

describe('security: hostile requests get a 4xx, never a 500', () => {
  let t!: TestApp;
  useTestApp((app) => (t = app));

  /** A leader signed in on the shortlist page of a case before their institute's panel. */
  async function leaderOnCaseInEvaluation() {
    const institute = await createInstitute();
    const call = await createCall({ institute });
    const leader = await createUser({ role: 'leader', institute });
    const c = await createCase({ applicant: await createUser({ role: 'applicant' }), call, stage: 'evaluation' });
    const a = await signedIn(t, leader);
    const url = `/shortlists/${call._id}/cases/${c._id}`;
    return { a, c, url, token: csrfFrom((await page(a, url)).text) };
  }

  it('refuses `$` keys in a query or form with 400 in the person\'s language, with their own header', async () => {
    const en = await signedIn(t, await createUser({ role: 'applicant', locale: 'en' }));
    const res = await page(en, '/applications?x[$gt]=1');
    expect(res.status).to.equal(400);
    expect(res.text).to.include('The form contained field names that are not allowed');
    expect(res.text).to.include('Sign out');
    const vi = await signedIn(t, await createUser({ role: 'hr_officer', locale: 'vi' }));
    const refused = await page(vi, '/cases?stage[$gt]=a');
    expect(refused.status).to.equal(400);
    expect(refused.text).to.include('Biểu mẫu chứa tên trường không được phép');
  });

  it('answers a body it cannot read (unknown charset or compression, too large) with a 4xx in the person\'s language, with their own header', async () => {
    const en = await signedIn(t, await createUser({ role: 'applicant', locale: 'en' }));
    const token = csrfFrom((await page(en, '/account')).text);
    const send = (headers: Record<string, string>, body: string) => {
      const r = en.post('/lang').set('Accept', 'text/html');
      for (const [k, v] of Object.entries(headers)) r.set(k, v);
      return r.send(body);
    };
    const form = `_csrf=${encodeURIComponent(token)}&lang=vi`;
    const charset = await send({ 'Content-Type': 'application/x-www-form-urlencoded; charset=foo' }, form);
    expect(charset.status).to.equal(415);
    expect(charset.text).to.include('encoded in a way this site does not read');
    expect(charset.text).to.include('Sign out');
    for (const encoding of ['gzip', 'deflate', 'br', 'x-foo']) {
      const compressed = await send({ 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Encoding': encoding }, form);
      expect(compressed.status, encoding).to.be.oneOf([400, 415]);
      expect(compressed.text, encoding).to.include('Sign out');
      expect(compressed.text, encoding).to.not.include('Đăng nhập');
    }
    const huge = await send({ 'Content-Type': 'application/x-www-form-urlencoded' }, `${form}&note=${'x'.repeat(300_000)}`);
    expect(huge.status).to.equal(413);
    expect(huge.text).to.include('larger than this form takes: shorten the longest text');
    expect(huge.text).to.include('Sign out');
    // Nothing was done: the language is still English.
    expect((await page(en, '/account')).text).to.include('<html lang="en"');
  });

  it('answers a path that is not valid percent-encoding with 404', async () => {
    const hr = await createUser({ role: 'hr_officer' });
    const a = await signedIn(t, hr);
    for (const url of ['/cases/%FF', '/calls/%FF', '/mail-log/%E0%A4%A']) expect((await page(a, url)).status, url).to.equal(404);
    expect((await page(await signedIn(t, await createUser({ role: 'applicant' })), '/calendar/%FF.ics')).status).to.equal(404);
  });

  it('answers a body that is not a form with 400 or the form again, and a missing optional field as absent', async () => {
    const hr = await createUser({ role: 'hr_officer' });
    const a = await signedIn(t, hr);
    const token = csrfFrom((await page(a, '/cases')).text);
    const array = await a.post('/cases/filters').set('x-csrf-token', token).set('Content-Type', 'application/json').send('[]');
    expect(array.status).to.equal(400);
    const none = await a.post('/cases/filters').set('x-csrf-token', token).set('Content-Type', 'text/plain').send('name=x');
    expect(none.status).to.be.oneOf([400, 422]);
    const lang = await a.post('/lang').type('form').send({ _csrf: token, lang: 'vi' });
    expect(lang.status).to.equal(303);
    expect(lang.headers.location).to.equal('/');
  });

  it('answers a JSON body with an object where a field goes with 400 (a leader\'s scorecard, an administrator\'s call form), changing nothing', async () => {
    const { a: l, c, url, token } = await leaderOnCaseInEvaluation();
    for (const value of [{ toString: 'x' }, { valueOf: 'x', toString: 'y' }, [{ toString: 1 }]]) {
      for (const field of ['recommendation', 'comment', 'score_research']) {
        const res = await l.post(`${url}/evaluation`).set('Content-Type', 'application/json').set('Accept', 'application/json').send({ _csrf: token, [field]: value });
        expect(res.status, `${field} ${JSON.stringify(value)}`).to.equal(400);
      }
    }
    expect((await Case.findById(c._id).lean())!.score ?? null).to.equal(null);

    const admin = await createUser({ role: 'admin' });
    const ad = await signedIn(t, admin);
    const adminToken = csrfFrom((await page(ad, '/admin/calls/new')).text);
    for (const field of ['checklistRows', 'scorecardRows']) {
      const res = await ad.post('/admin/calls/new').set('Content-Type', 'application/json').set('Accept', 'application/json').send({ _csrf: adminToken, [field]: { toString: 'x' } });
      expect(res.status, field).to.equal(400);
    }
    // A flat JSON body is still a form (scalars and lists of them).
    const flat = await ad.post('/admin/calls/new').set('Content-Type', 'application/json').set('Accept', 'text/html').send({ _csrf: adminToken, checklistRows: '3', scorecardRows: 2 });
    expect(flat.status).to.be.oneOf([200, 422]);
  });

  it('answers a mail log id longer than any with 404', async () => {
    const hr = await createUser({ role: 'hr_officer' });
    const a = await signedIn(t, hr);
    expect((await page(a, `/mail-log/${'a'.repeat(300)}`)).status).to.equal(404);
    const token = csrfFrom((await page(a, '/mail-log')).text);
    expect((await a.post(`/mail-log/${'a'.repeat(300)}/requeue`).type('form').send({ _csrf: token })).status).to.equal(404);
  });

  it("refuses a leader's decision with a blank or loose case version (400), changing nothing", async () => {
    const { a, c, url, token } = await leaderOnCaseInEvaluation();
    for (const version of ['', ' ', '0x0', '+0', '0e5']) {
      const res = await a.post(`${url}/decision/confirm`).type('form').send({ _csrf: token, action: 'shortlist', version, reason: 'A strong and well-argued case for the panel' });
      expect(res.status, JSON.stringify(version)).to.equal(400);
    }
    expect((await Case.findById(c._id).lean())!.stage).to.equal('evaluation');
  });

  it("shows the e-mail template editor in the administrator's language, whichever template language is edited", async () => {
    const admin = await createUser({ role: 'admin', locale: 'vi' });
    const html = (await page(await signedIn(t, admin), '/admin/email-templates/application_submitted/en')).text;
    expect(html).to.match(/<html lang="vi"[ >]/);
    expect(html).to.include('action="/admin/email-templates/application_submitted/en"');
  });
});
