import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent } from '../support/http.ts';
import { linkIn } from '../support/smtp.ts';
import { createUser, signIn, TEST_PASSWORD, uniqueEmail } from '../support/factories.ts';
import { User } from '../../models/user.ts';
import { isSignedIn, postForm } from './helpers.ts';

const NEW_PASSWORD = 'violet harbour kettle 42';

describe('accounts: password reset and change, session endings', function () {
  this.timeout(30_000);
  let t: TestApp;
  let clock = Date.now();

  before(async () => {
    t = await startTestApp({ now: () => new Date(clock) });
  });
  after(async () => {
    await t.close();
  });
  beforeEach(() => {
    clock = Date.now();
  });

  async function requestReset(email: string) {
    return postForm(agent(t.app), '/password/forgot', '/password/forgot', { email });
  }

  it('answers the same whether or not the account exists, and e-mails only a real account', async () => {
    const user = await createUser();
    const ghost = uniqueEmail('ghost');
    const r1 = await requestReset(user.email);
    const r2 = await requestReset(ghost);
    expect(r1.status).to.equal(200);
    expect(r2.status).to.equal(200);
    const msg = (html: string, email: string) => /id="check-email-message">([^<]*)</.exec(html)?.[1]?.replace(email, 'X');
    expect(msg(r1.text, user.email)).to.equal(msg(r2.text, ghost));
    await t.smtp.waitForTo(user.email, /reset/i);
    await new Promise((r) => setTimeout(r, 300));
    expect(t.smtp.to(ghost)).to.have.length(0);
  });

  it('answers before the e-mail is sent, so a slow mail server does not tell that the account exists', async () => {
    const user = await createUser();
    let release!: () => void;
    t.smtp.held = new Promise<void>((r) => (release = r));
    try {
      const answered = await requestReset(user.email);
      expect(answered.status).to.equal(200);
      // Answered while the mail server still holds the message.
      expect(t.smtp.to(user.email)).to.have.length(0);
    } finally {
      release();
      t.smtp.held = undefined;
    }
    await t.smtp.waitForTo(user.email, /reset/i);
  });

  it('resets the password with a single-use link, ends every session, and keeps the second factor', async () => {
    const user = await createUser();
    const elsewhere = agent(t.app);
    await signIn(elsewhere, user);
    expect(await isSignedIn(elsewhere)).to.equal(true);

    await requestReset(user.email);
    const mail = await t.smtp.waitForTo(user.email, /reset/i);
    const path = new URL(linkIn(mail.text, '/password/reset/')).pathname;

    const a = agent(t.app);
    const weak = await postForm(a, path, path, { password: 'password1234' });
    expect(weak.status).to.equal(422);
    const ok = await postForm(a, path, path, { password: NEW_PASSWORD });
    expect(ok.status).to.equal(303);
    expect(ok.headers.location).to.equal('/signin');

    expect(await isSignedIn(elsewhere), 'other sessions end after a reset').to.equal(false);
    const reused = await a.get(path).set('Accept', 'text/html');
    expect(reused.status).to.equal(410);

    const oldPw = await postForm(agent(t.app), '/signin', '/signin', { email: user.email, password: TEST_PASSWORD });
    expect(oldPw.status).to.equal(401);
    await signIn(agent(t.app), user, NEW_PASSWORD);
  });

  it('opens a link a mail client damaged: a trailing "." or ")" still works; a cut token is "link expired or incomplete", not a sign-in page', async () => {
    const user = await createUser();
    await requestReset(user.email);
    const mail = await t.smtp.waitForTo(user.email, /reset/i);
    const path = new URL(linkIn(mail.text, '/password/reset/')).pathname;
    for (const damaged of [`${path}.`, `${path})`, `${path}%29.`]) {
      const res = await agent(t.app).get(damaged).set('Accept', 'text/html');
      expect(res.status, damaged).to.equal(200);
      // The form posts to the token itself, without what was glued to it.
      expect(res.text, damaged).to.include(`action="${path}"`);
    }
    for (const broken of [path.slice(0, -20), '/password/reset/abc', '/verify-email/abc.', '/invitations/x']) {
      const res = await agent(t.app).get(broken).set('Accept', 'text/html');
      expect(res.status, broken).to.equal(410);
    }
  });

  it('refuses a reset link after one hour (app clock)', async () => {
    const user = await createUser();
    await requestReset(user.email);
    const mail = await t.smtp.waitForTo(user.email, /reset/i);
    const path = new URL(linkIn(mail.text, '/password/reset/')).pathname;
    clock += 60 * 60_000 + 1000;
    const a = agent(t.app);
    expect((await a.get(path).set('Accept', 'text/html')).status).to.equal(410);
    clock -= 2 * 60_000; // still inside the hour: the page works, then the clock runs out before the POST
    const page = await a.get(path).set('Accept', 'text/html');
    expect(page.status).to.equal(200);
    clock += 2 * 60_000;
    const { csrfFrom } = await import('../support/http.ts');
    const res = await a.post(path).type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(page.text), password: NEW_PASSWORD });
    expect(res.status).to.equal(410);
    const stored = await User.findById(user._id).lean();
    expect(stored?.sessionEpoch).to.equal(0);
  });

  it('changes the password with the current one; other sessions end, this one continues', async () => {
    const user = await createUser({ role: 'hr_officer' });
    const other = agent(t.app);
    await signIn(other, user);
    const me = agent(t.app);
    await signIn(me, user);

    const wrong = await postForm(me, '/account', '/account/password', { currentPassword: 'not my password at all', newPassword: NEW_PASSWORD });
    expect(wrong.status).to.equal(422);
    expect(wrong.text).to.include('id="f-currentPassword-error"');
    expect(await isSignedIn(other)).to.equal(true);

    const weak = await postForm(me, '/account', '/account/password', { currentPassword: TEST_PASSWORD, newPassword: 'qwertyuiop123' });
    expect(weak.status).to.equal(422);
    expect(weak.text).to.include('id="f-newPassword-error"');

    const ok = await postForm(me, '/account', '/account/password', { currentPassword: TEST_PASSWORD, newPassword: NEW_PASSWORD });
    expect(ok.status).to.equal(303);
    expect(await isSignedIn(me), 'the current session continues').to.equal(true);
    expect(await isSignedIn(other), 'other sessions end').to.equal(false);
    expect((await User.findById(user._id).lean())?.sessionEpoch).to.equal(1);
  });

  it('changes name and language on /account', async () => {
    const user = await createUser({ locale: 'en' });
    const a = agent(t.app);
    await signIn(a, user);
    const bad = await postForm(a, '/account', '/account', { name: '', locale: 'vi' });
    expect(bad.status).to.equal(422);
    const res = await postForm(a, '/account', '/account', { name: 'Lê Minh', locale: 'vi' });
    expect(res.status).to.equal(303);
    const page = await a.get('/account').set('Accept', 'text/html');
    expect(page.text).to.include('lang="vi"');
    expect(page.text).to.include('Lê Minh');
    expect((await User.findById(user._id).lean())?.locale).to.equal('vi');
  });

  it('ends a session after the idle timeout (app clock)', async () => {
    const user = await createUser();
    const a = agent(t.app);
    await signIn(a, user);
    expect(await isSignedIn(a)).to.equal(true);
    clock += t.config.sessionIdleMs - 60_000;
    expect(await isSignedIn(a), 'still within the idle timeout').to.equal(true);
    clock += t.config.sessionIdleMs + 1000;
    expect(await isSignedIn(a), 'idle for longer than the timeout').to.equal(false);
  });
});
