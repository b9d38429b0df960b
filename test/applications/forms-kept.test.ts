// What the applicant typed is never lost, and a double tap is not a failure: a form refused for
// its token (the session ended, or a page older than the sign-in) shows the texts back with a way
// to sign in and return; the same answer sent twice lands on the success message, with one answer
// stored and one e-mail each to HR and to the applicant (real SMTP); a different text on the stale
// page still gets the conflict page.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent } from '../support/http.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case } from '../../models/case.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { seedHolidays } from '../../server/calendar/index.ts';
import { signedIn, page, post, versionIn, deliver } from './support.ts';

describe('applications: typed text kept, and a double tap is one answer', () => {
  let t: TestApp;
  let hr: UserDoc;
  let call: CallDoc;

  before(async () => {
    t = await startTestApp();
    await seedHolidays();
    const institute = await createInstitute();
    hr = await createUser({ role: 'hr_officer', institute, locale: 'en' });
    call = await createCall({ institute, checklist: [] });
  });
  after(async () => {
    await t?.close();
  });

  async function awaiting(applicant: UserDoc) {
    return createCase({
      applicant,
      call,
      assignee: hr,
      stage: 'awaiting_applicant',
      infoRequest: { items: ['Certified translation of your PhD diploma'], dueAt: new Date(Date.now() + 14 * 86_400_000), requestedAt: new Date(), requestedBy: hr._id },
    });
  }

  describe('a form refused for its token', () => {
    it('after the session ended: "Your session has ended", the typed text escaped, no password, a sign-in link back to the page', async () => {
      const applicant = await createUser({ role: 'applicant', locale: 'en' });
      const c = await awaiting(applicant);
      const a = await signedIn(t, applicant);
      const p = await page(a, `/applications/${c._id}`);
      const typed = 'My translation is on its way <script>alert(1)</script> & "quoted" — it\'s long';
      // The cookies are gone (the idle session ended): a new agent sends the old page's form.
      const gone = agent(t.app);
      const res = await gone
        .post(`/applications/${c._id}/answer`)
        .type('form')
        .set('Accept', 'text/html')
        .set('Accept-Language', 'en')
        .set('Host', 'talent.test')
        .set('Referer', `http://talent.test/applications/${c._id}`)
        .send({ _csrf: p.text.match(/name="_csrf" value="([^"]+)"/)![1], version: versionIn(p.text, `/applications/${c._id}/answer`), answer: typed, password: 'hunter2-secret' });
      expect(res.status).to.equal(403);
      expect(res.text).to.include('<h1>Your session has ended</h1>');
      expect(res.text).not.to.include('Access refused');
      expect(res.text).to.include('My translation is on its way &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quoted&quot; — it&#x27;s long');
      expect(res.text).not.to.include('<script>alert(1)</script>');
      expect(res.text).not.to.include('hunter2-secret');
      expect(res.text).not.to.match(/type="password"/);
      expect(res.text).not.to.include(p.text.match(/name="_csrf" value="([^"]+)"/)![1]);
      expect(res.text).to.include(`href="/signin?next&#x3D;${encodeURIComponent(`/applications/${c._id}`)}"`); // Handlebars escapes =
      // Nothing was applied.
      const after = (await Case.findById(c._id).lean())!;
      expect(after.stage).to.equal('awaiting_applicant');
      expect(after.version).to.equal(c.version);
      expect(after.infoRequest?.answer).to.equal(undefined);
    });

    it('in Vietnamese, with a stale token while signed in: the text kept, a link to open the page again; a foreign Referer is not a target', async () => {
      const applicant = await createUser({ role: 'applicant', locale: 'vi' });
      const c = await awaiting(applicant);
      const a = await signedIn(t, applicant);
      const res = await a.post(`/applications/${c._id}/messages`).type('form').set('Accept', 'text/html').set('Referer', 'https://evil.example/x').send({ _csrf: 'stale', text: 'Xin chào, tôi gửi bản dịch sau' });
      expect(res.status).to.equal(403);
      expect(res.text).to.include('Trang này đã mở quá lâu');
      expect(res.text).to.include('Xin chào, tôi gửi bản dịch sau');
      expect(res.text).to.include('href="/"');
      expect(res.text).not.to.include('evil.example');

      const out = agent(t.app);
      const signedOut = await out.post('/register').type('form').set('Accept', 'text/html').send({ _csrf: 'x', name: 'Lan' });
      expect(signedOut.status).to.equal(403);
      // A public form signed out: no session had ended, the page was old.
      expect(signedOut.text).to.include('Trang này đã mở quá lâu');
    });

    it('still answers JSON to a script, with the code', async () => {
      const res = await agent(t.app).post('/applications/abc/answer').set('Accept', 'application/json').send({ answer: 'x' });
      expect(res.status).to.equal(403);
      expect(res.body.error.code).to.equal('csrf_failed');
    });
  });

  describe('the answer to an information request', () => {
    it('sent twice from the same page: success both times, one answer stored, one e-mail to HR and one receipt to the applicant', async () => {
      const applicant = await createUser({ role: 'applicant', locale: 'en' });
      const c = await awaiting(applicant);
      const a = await signedIn(t, applicant);
      const p = await page(a, `/applications/${c._id}`);
      const form = { version: versionIn(p.text, `/applications/${c._id}/answer`), answer: 'The translation is uploaded.' };
      const [first, second] = [await post(a, p.text, `/applications/${c._id}/answer`, form), await post(a, p.text, `/applications/${c._id}/answer`, form)];
      for (const r of [first, second]) {
        expect(r.status).to.equal(303);
        expect(r.headers.location).to.equal(`/applications/${c._id}`);
      }
      const shown = await page(a, `/applications/${c._id}`);
      expect(shown.text).to.include('Your answer was sent');
      const after = (await Case.findById(c._id).lean())!;
      expect(after.stage).to.equal('screening');
      expect(after.version).to.equal(c.version + 1);
      expect(after.history.filter((h) => h.action === 'answer_info')).to.have.length(1);
      expect(after.infoRequest?.answer).to.equal('The translation is uploaded.');
      expect(after.outbox.map((i) => i.template).sort()).to.deep.equal(['info_answer_received', 'info_answered']);

      await deliver(t, c._id);
      const receipt = await t.smtp.waitForTo(applicant.email, /We received your answer/);
      expect(receipt.subject).to.include(c.reference);
      // The screening's due date as the e-mails write dates, with the working days left.
      expect(receipt.text).to.match(/aims to finish it by \d{1,2} [A-Z][a-z]{2} \d{4} \(\d+ working days left\)/);
      await t.smtp.waitForTo(hr.email, /answered the information request/);
      await deliver(t, c._id);
      expect(t.smtp.to(applicant.email).filter((m) => m.subject.includes(c.reference))).to.have.length(1);
      expect(t.smtp.to(hr.email).filter((m) => m.subject.includes(c.reference))).to.have.length(1);
    });

    it('a different text on the stale page still gets the conflict page, with that text to copy', async () => {
      const applicant = await createUser({ role: 'applicant', locale: 'en' });
      const c = await awaiting(applicant);
      const a = await signedIn(t, applicant);
      const p = await page(a, `/applications/${c._id}`);
      const version = versionIn(p.text, `/applications/${c._id}/answer`);
      expect((await post(a, p.text, `/applications/${c._id}/answer`, { version, answer: 'First answer.' })).status).to.equal(303);
      const other = await post(a, p.text, `/applications/${c._id}/answer`, { version, answer: 'Another answer, typed in a second tab.' });
      expect(other.status).to.equal(409);
      expect(other.text).to.include('Another answer, typed in a second tab.');
      expect((await Case.findById(c._id).lean())!.infoRequest?.answer).to.equal('First answer.');
    });
  });

  describe('messages that say what to fix', () => {
    it('a text too long says the limit, in en and vi, and keeps the text', async () => {
      const en = await createUser({ role: 'applicant', locale: 'en' });
      const c = await awaiting(en);
      const a = await signedIn(t, en);
      const p = await page(a, `/applications/${c._id}`);
      const long = 'a'.repeat(5001);
      const res = await post(a, p.text, `/applications/${c._id}/messages`, { text: long });
      expect(res.status).to.equal(422);
      expect(res.text).to.include('This text is too long: at most 5,000 characters.');
      expect(res.text).to.include(long);

      const vi = await createUser({ role: 'applicant', locale: 'vi' });
      const draft = await createCase({ applicant: vi, call });
      const b = await signedIn(t, vi);
      const url = `/applications/${draft._id}/edit/profile`;
      const form = await page(b, url);
      const name = 'Trần '.repeat(41);
      const refused = await post(b, form.text, url, { fullName: name, go: 'stay' });
      expect(refused.status).to.equal(422);
      expect(refused.text).to.include('Nội dung quá dài: tối đa 200 ký tự.');
    });

    it('a date that is not one comes back quoted in the message, never asking for YYYY-MM-DD (en, vi)', async () => {
      for (const [locale, typed, message] of [
        ['en', '31/02/1985', '“31/02/1985” is not a date: type it as day/month/year, for example 05/12/2026.'],
        ['vi', '31/02/1985', '“31/02/1985” không phải là một ngày: hãy nhập theo dạng ngày/tháng/năm, ví dụ 05/12/2026.'],
        ['en', '2026-02-31', '“31/02/2026” is not a date: type it as day/month/year, for example 05/12/2026.'],
      ] as const) {
        const owner = await createUser({ role: 'applicant', locale });
        const draft = await createCase({ applicant: owner, call });
        const a = await signedIn(t, owner);
        const url = `/applications/${draft._id}/edit/profile`;
        const form = await page(a, url);
        const res = await post(a, form.text, url, { fullName: 'Lan Tran', dateOfBirth: typed, go: 'stay' });
        expect(res.status, typed).to.equal(422);
        expect(res.text, typed).to.include(message);
        // Shown day first, as the field shows every day.
        expect(res.text, typed).to.include(`value="${typed.includes('-') ? typed.split('-').reverse().join('/') : typed}"`);
        expect(res.text, typed).not.to.include('YYYY-MM-DD');
      }
    });
  });
});
