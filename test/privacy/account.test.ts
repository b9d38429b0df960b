// "Delete my account" (applicants with drafts only, password confirmed, drafts and their files
// erased, signed out) and the consent to keep data after an unsuccessful application (review step
// and application page), with the refusals around both.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import request from 'supertest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent, csrfFrom, submitForm } from '../support/http.ts';
import { createInstitute, createUser, signIn, TEST_PASSWORD } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case } from '../../models/case.ts';
import { User } from '../../models/user.ts';
import { CaseDocument } from '../../models/document.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import { MailLog } from '../../models/mail-log.ts';
import type { CallDoc } from '../../models/call.ts';
import { documentStores, type Stores } from '../../server/privacy/erase.ts';
import { storeDocument } from './support.ts';

describe('privacy: delete my account, consent to keep data', function () {
  this.timeout(60_000);
  let t: TestApp;
  let call: CallDoc;
  let stores: Stores;
  let uploadDir: string;

  before(async () => {
    uploadDir = path.resolve(`data/test/uploads-privacy-account-${process.pid}`);
    await rm(uploadDir, { recursive: true, force: true });
    t = await startTestApp({ env: { UPLOAD_DIR: uploadDir } });
    stores = documentStores(t.ctx);
    call = await createCall({ institute: await createInstitute() });
  });
  after(async () => {
    await t?.close();
    await rm(uploadDir, { recursive: true, force: true });
  });

  describe('delete my account', () => {
    it('refuses a wrong password, then erases the drafts, their files and the account, and signs out', async () => {
      const applicant = await createUser({ role: 'applicant', locale: 'en' });
      const draft = await createCase({ applicant, call, stage: 'draft' });
      const file = await storeDocument(t.config, stores, draft._id, applicant._id, 'disk');
      await MailLog.create({ source: 'account', key: `del.${String(applicant._id)}`, template: 'verify_email', to: applicant.email, locale: 'en', status: 'sent', at: new Date() });
      const a = agent(t.app);
      await signIn(a, applicant);

      const page = await a.get('/account/delete').set('Accept', 'text/html');
      expect(page.status).to.equal(200);
      expect(page.text).to.include('name="password"');

      const wrong = await submitForm(a, '/account/delete', { password: 'not the password at all' });
      expect(wrong.status).to.equal(422);
      expect(wrong.text).to.include('The password is not correct.');
      expect(await User.exists({ _id: applicant._id })).to.not.equal(null);
      expect(await Case.exists({ _id: draft._id })).to.not.equal(null);

      const empty = await submitForm(a, '/account/delete', { password: '' });
      expect(empty.status).to.equal(422);

      const done = await submitForm(a, '/account/delete', { password: TEST_PASSWORD });
      expect(done.status).to.equal(303);
      expect(done.headers.location).to.equal('/');
      expect(await User.exists({ _id: applicant._id })).to.equal(null);
      expect(await Case.exists({ _id: draft._id })).to.equal(null);
      expect(await CaseDocument.countDocuments({ case: draft._id })).to.equal(0);
      expect(await stores.disk.exists(file.key)).to.equal(false);
      expect(await MailLog.countDocuments({ to: applicant.email }), 'their e-mails in the mail log').to.equal(0);
      expect(await AuditEvent.exists({ action: 'privacy.account_deleted', targetId: String(applicant._id) })).to.not.equal(null);

      const home = await a.get('/').set('Accept', 'text/html');
      expect(home.text).to.include('Your account and your drafts have been deleted.');
      const account = await a.get('/account').set('Accept', 'application/json');
      expect(account.status).to.equal(401);
    });

    it('refuses an applicant who has submitted an application, even with the right password', async () => {
      const applicant = await createUser({ role: 'applicant', locale: 'en' });
      await createCase({ applicant, call, stage: 'draft' });
      const submitted = await createCase({ applicant, call, stage: 'withdrawn' });
      const a = agent(t.app);
      await signIn(a, applicant);
      const page = await a.get('/account/delete').set('Accept', 'text/html');
      expect(page.status).to.equal(200);
      expect(page.text).to.include('id="delete-blocked"');
      // Where to ask instead (walk: the page said only that it could not be done here).
      expect(page.text.replace(/&#x27;/g, "'").replace(/&quot;/g, '"')).to.include('To ask for it to be corrected or deleted sooner, write to the institute\'s HR office under “Messages with HR” on your application\'s page.');
      expect(page.text).to.include('<a href="/applications">My applications</a>');
      expect(page.text).not.to.include('name="password"');
      const res = await a.post('/account/delete').type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(page.text), password: TEST_PASSWORD });
      expect(res.status).to.equal(403);
      expect(await User.exists({ _id: applicant._id })).to.not.equal(null);
      expect(await Case.exists({ _id: submitted._id })).to.not.equal(null);
    });

    it('refuses staff accounts', async () => {
      const hr = await createUser({ role: 'hr_officer' });
      const a = agent(t.app);
      await signIn(a, hr);
      expect((await a.get('/account/delete').set('Accept', 'text/html')).status).to.equal(403);
      const page = await a.get('/account').set('Accept', 'text/html');
      expect(page.text).not.to.include('href="/account/delete"');
      const res = await a.post('/account/delete').type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(page.text), password: TEST_PASSWORD });
      expect(res.status).to.equal(403);
      expect(await User.exists({ _id: hr._id })).to.not.equal(null);
    });

    it('counts wrong passwords with the sign-in failures and pauses after too many', async () => {
      const applicant = await createUser({ role: 'applicant', locale: 'en' });
      const a = agent(t.app);
      await signIn(a, applicant);
      for (let i = 0; i < t.config.login.maxFailures; i++) {
        expect((await submitForm(a, '/account/delete', { password: `wrong password number ${i}` })).status).to.equal(422);
      }
      const locked = await submitForm(a, '/account/delete', { password: TEST_PASSWORD });
      expect(locked.status).to.equal(429);
      expect(await User.exists({ _id: applicant._id })).to.not.equal(null);
    });

    it('is refused to an anonymous visitor', async () => {
      const get = await request(t.app).get('/account/delete').set('Accept', 'application/json');
      expect(get.status).to.equal(401);
      const post = await request(t.app).post('/account/delete').set('Accept', 'application/json').send({ password: TEST_PASSWORD });
      expect([401, 403]).to.include(post.status);
    });
  });

  describe('consent to keep data after an unsuccessful application', () => {
    it('is offered on the review step and saved with the submission, even when something is still missing', async () => {
      const applicant = await createUser({ role: 'applicant', locale: 'en' });
      const draft = await createCase({ applicant, call, stage: 'draft' });
      const a = agent(t.app);
      await signIn(a, applicant);
      const review = await a.get(`/applications/${draft._id}/edit/review`).set('Accept', 'text/html');
      expect(review.status).to.equal(200);
      expect(review.text).to.match(/<input type="checkbox" name="keepDataConsent" value="1"(?! checked)/);
      const res = await a
        .post(`/applications/${draft._id}/submit`)
        .type('form')
        .set('Accept', 'text/html')
        .send({ _csrf: csrfFrom(review.text), version: String(draft.version), keepDataConsent: '1' });
      // The call asks for documents this draft has not uploaded: the review step comes back, the choice is kept.
      expect([303, 422]).to.include(res.status);
      expect((await Case.findById(draft._id).lean())!.keepDataConsent).to.equal(true);
      if (res.status === 422) expect(res.text).to.match(/name="keepDataConsent" value="1" checked/);
      expect(await AuditEvent.exists({ action: 'privacy.consent_changed', targetId: String(draft._id) })).to.not.equal(null);
    });

    it('is shown and changeable on the application page, also once the application was rejected', async () => {
      const applicant = await createUser({ role: 'applicant', locale: 'en' });
      const rejected = await createCase({ applicant, call, stage: 'rejected', keepDataConsent: true, decision: { reason: 'Outside the call’s field' } });
      const a = agent(t.app);
      await signIn(a, applicant);
      const page = await a.get(`/applications/${rejected._id}`).set('Accept', 'text/html');
      expect(page.status).to.equal(200);
      expect(page.text).to.include(`action="/applications/${rejected._id}/consent"`);
      expect(page.text).to.include('You agreed that your data may be kept.');

      const off = await submitForm(a, `/applications/${rejected._id}`, {}, `/applications/${rejected._id}/consent`);
      expect(off.status).to.equal(303);
      expect((await Case.findById(rejected._id).lean())!.keepDataConsent).to.equal(false);
      const on = await submitForm(a, `/applications/${rejected._id}`, { keepDataConsent: '1' }, `/applications/${rejected._id}/consent`);
      expect(on.status).to.equal(303);
      expect((await Case.findById(rejected._id).lean())!.keepDataConsent).to.equal(true);
      expect(await AuditEvent.countDocuments({ action: 'privacy.consent_changed', targetId: String(rejected._id) })).to.equal(2);
    });

    it('cannot be changed on someone else’s application, nor by staff', async () => {
      const owner = await createUser({ role: 'applicant' });
      const other = await createUser({ role: 'applicant' });
      const c = await createCase({ applicant: owner, call, stage: 'screening' });
      const a = agent(t.app);
      await signIn(a, other);
      const res = await submitForm(a, '/account', { keepDataConsent: '1' }, `/applications/${c._id}/consent`);
      expect(res.status).to.equal(404);
      const hr = await createUser({ role: 'hr_officer', institute: call.institute });
      const s = agent(t.app);
      await signIn(s, hr);
      const staff = await submitForm(s, '/account', { keepDataConsent: '1' }, `/applications/${c._id}/consent`);
      expect(staff.status).to.equal(403);
      expect((await Case.findById(c._id).lean())!.keepDataConsent).to.equal(false);
    });
  });
});
