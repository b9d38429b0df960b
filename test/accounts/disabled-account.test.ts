// A disabled account coming back, over real HTTP and the in-process SMTP server: the right password
// is told the account is disabled and whom to write to, in the page's language; a wrong one gets
// the generic answer; "forgot password" shows the usual page and e-mails the owner that the account
// is disabled (no link), through the mail log, which keeps and shows that e-mail and the
// account_disabled one (no one-time link) but not a password reset's content.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent, csrfFrom, type Agent } from '../support/http.ts';
import { createUser, signIn, TEST_PASSWORD } from '../support/factories.ts';
import { MailLog } from '../../models/mail-log.ts';
import type { UserDoc } from '../../models/user.ts';
import { decide } from './helpers.ts';

describe('accounts: a disabled staff member is told so, only with the right password', function () {
  this.timeout(60_000);
  let t: TestApp;
  let admin: Agent;
  let adminUser: UserDoc;
  let hrVi: UserDoc;
  let leaderEn: UserDoc;

  async function signInAs(lang: 'vi' | 'en', email: string, password: string) {
    const a = agent(t.app);
    const page = await a.get('/signin').set('Accept', 'text/html').set('Accept-Language', lang);
    return a.post('/signin').type('form').set('Accept', 'text/html').set('Accept-Language', lang).send({ _csrf: csrfFrom(page.text), email, password });
  }

  before(async () => {
    t = await startTestApp();
    adminUser = await createUser({ role: 'admin', locale: 'en', name: 'Admin Phạm' });
    admin = agent(t.app);
    await signIn(admin, adminUser);
    hrVi = await createUser({ role: 'hr_officer', locale: 'vi', name: 'Nguyễn Hoa' });
    leaderEn = await createUser({ role: 'leader', locale: 'en', name: 'Leader Grant' });
    for (const u of [hrVi, leaderEn]) {
      const res = await decide(admin, u, 'disable', 'Left the institute at the end of November.');
      expect(res.status, res.text.slice(0, 300)).to.equal(303);
    }
    await t.smtp.waitForTo(hrVi.email, /vô hiệu hóa/);
  });
  after(async () => {
    await t?.close();
  });

  it('tells the right password that the account is disabled and whom to write to, in Vietnamese', async () => {
    const res = await signInAs('vi', hrVi.email, TEST_PASSWORD);
    expect(res.status).to.equal(403);
    expect(res.text).to.include('Tài khoản này đã bị vô hiệu hóa nên không thể đăng nhập.');
    // No ADMIN_CONTACT_EMAIL here: the page names nobody (whoever holds the password may not be the
    // owner); the e-mails to the owner's mailbox name the administrator who disabled it.
    expect(res.text).not.to.include(adminUser.email);
    expect(res.text).not.to.include('Admin Phạm');
    expect(res.text).to.include(`value="${hrVi.email}"`);
  });

  it('says it in English on an English page', async () => {
    const res = await signInAs('en', leaderEn.email, TEST_PASSWORD);
    expect(res.status).to.equal(403);
    expect(res.text).to.include('Your account is disabled: you cannot sign in. To have it enabled again, write to an administrator of the programme.');
    expect(res.text).not.to.include(adminUser.email);
  });

  it('gives a wrong password the generic answer, as for an unknown address (no enumeration)', async () => {
    const wrong = await signInAs('en', leaderEn.email, 'not the password at all');
    const unknown = await signInAs('en', 'nobody-here@example.test', 'not the password at all');
    for (const res of [wrong, unknown]) {
      expect(res.status).to.equal(401);
      expect(res.text).to.include('The e-mail address or password is not correct.');
      expect(res.text).not.to.include('disabled');
    }
  });

  it('names the configured contact when there is one', async () => {
    const t2 = await startTestApp({ config: { adminContactEmail: 'helpdesk@talent.example' } });
    try {
      const a = agent(t2.app);
      const page = await a.get('/signin').set('Accept', 'text/html').set('Accept-Language', 'en');
      const res = await a.post('/signin').type('form').set('Accept', 'text/html').set('Accept-Language', 'en').send({ _csrf: csrfFrom(page.text), email: leaderEn.email, password: TEST_PASSWORD });
      expect(res.status).to.equal(403);
      expect(res.text).to.include('write to helpdesk@talent.example.');
    } finally {
      await t2.close();
    }
  });

  it('answers "forgot password" with the usual page, and e-mails the owner that the account is disabled, with no link', async () => {
    const a = agent(t.app);
    const page = await a.get('/password/forgot').set('Accept', 'text/html').set('Accept-Language', 'vi');
    const asked = await a.post('/password/forgot').type('form').set('Accept', 'text/html').set('Accept-Language', 'vi').send({ _csrf: csrfFrom(page.text), email: hrVi.email });
    const other = await a.post('/password/forgot').type('form').set('Accept', 'text/html').set('Accept-Language', 'vi').send({ _csrf: csrfFrom(page.text), email: 'nobody-else@example.test' });
    expect(asked.status).to.equal(200);
    // The same page as for an address with no account (only the address typed differs).
    expect(asked.text.replaceAll(hrVi.email, 'X')).to.equal(other.text.replaceAll('nobody-else@example.test', 'X'));
    const mail = await t.smtp.waitForTo(hrVi.email, /đang bị vô hiệu hóa/);
    expect(mail.text).to.include('Tài khoản của Anh/Chị đang bị vô hiệu hóa');
    expect(mail.text).to.include(`Admin Phạm, ${adminUser.email}`);
    expect(mail.text).not.to.match(/password\/reset\//);
    expect(mail.html).not.to.match(/password\/reset\//);
  });

  it('keeps and shows the content of account_disabled e-mails in the mail log, not that of a password reset', async () => {
    const disabled = await MailLog.findOne({ source: 'account', template: 'account_disabled', to: hrVi.email }).lean();
    expect(disabled, 'account_disabled logged').to.not.equal(null);
    const shown = await admin.get(`/mail-log/${disabled!._id}`).set('Accept', 'text/html');
    expect(shown.status).to.equal(200);
    expect(shown.text).to.include('id="mail-text"');
    expect(shown.text).to.include('đã vô hiệu hóa tài khoản của Anh/Chị');
    expect(shown.text).to.include(adminUser.email);
    expect(shown.text).not.to.include('id="mail-not-kept"');

    const resetAsk = await MailLog.findOne({ source: 'account', template: 'account_disabled_reset', to: hrVi.email }).lean();
    expect(resetAsk, 'account_disabled_reset logged').to.not.equal(null);
    const shownReset = await admin.get(`/mail-log/${resetAsk!._id}`).set('Accept', 'text/html');
    expect(shownReset.text).to.include('không có liên kết đặt lại mật khẩu nào được gửi');

    // A password reset carries a one-time link: its data is not kept, and the page says why.
    const active = await createUser({ role: 'applicant', locale: 'en' });
    const a = agent(t.app);
    const page = await a.get('/password/forgot').set('Accept', 'text/html');
    await a.post('/password/forgot').type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(page.text), email: active.email });
    await t.smtp.waitForTo(active.email);
    let reset = null;
    for (let i = 0; i < 50 && !reset; i++) {
      reset = await MailLog.findOne({ source: 'account', template: 'password_reset', to: active.email }).lean();
      if (!reset) await new Promise((r) => setTimeout(r, 50));
    }
    expect(reset).to.not.equal(null);
    expect(reset!.data).to.equal(undefined);
    const hidden = await admin.get(`/mail-log/${reset!._id}`).set('Accept', 'text/html');
    expect(hidden.text).to.include('id="mail-not-kept"');
    expect(hidden.text).to.include('one-time link');
  });
});
