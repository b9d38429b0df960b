import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent, csrfFrom } from '../support/http.ts';
import { createUser, plainTotpSecret, signIn, totpCode, TEST_PASSWORD, uniqueEmail } from '../support/factories.ts';
import { User } from '../../models/user.ts';
import { enableTotp } from '../../server/accounts/second-factor.ts';
import { systemContext } from '../../server/context.ts';
import { sessionUser } from '../../server/accounts/sign-in.ts';
import mongoose from 'mongoose';
import { isSignedIn, postForm, sessionCookie } from './helpers.ts';
import { linkIn } from '../support/smtp.ts';

describe('accounts: sign in, second factor, lockout', function () {
  this.timeout(30_000);
  let t: TestApp;

  before(async () => {
    t = await startTestApp({ config: { login: { maxFailures: 3, lockoutMs: 60_000 } } });
  });
  after(async () => {
    await t.close();
  });

  it('signs an applicant in with e-mail and password on a new session id, and signs out', async () => {
    const user = await createUser({ role: 'applicant' });
    const a = agent(t.app);
    const page = await a.get('/signin').set('Accept', 'text/html');
    expect(page.status).to.equal(200);
    const before = sessionCookie(page);
    const res = await a.post('/signin').type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(page.text), email: user.email.toUpperCase(), password: TEST_PASSWORD });
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal('/applications');
    const after = sessionCookie(res);
    expect(after, 'a new session cookie is set at sign-in').to.be.a('string');
    expect(after).not.to.equal(before);
    expect(await isSignedIn(a)).to.equal(true);
    const fresh = await User.findById(user._id).lean();
    expect(fresh?.lastSignInAt).to.be.instanceOf(Date);

    const home = await a.get('/').set('Accept', 'text/html');
    const out = await a.post('/signout').type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(home.text) });
    expect(out.status).to.equal(303);
    expect(await isSignedIn(a)).to.equal(false);
  });

  it('follows a local `next` after sign-in but never an off-site one', async () => {
    const user = await createUser();
    const a = agent(t.app);
    const page = await a.get('/signin?next=%2Faccount').set('Accept', 'text/html');
    expect(page.text).to.include('name="next" value="/account"');
    const res = await a.post('/signin').type('form').send({ _csrf: csrfFrom(page.text), email: user.email, password: TEST_PASSWORD, next: '/account' });
    expect(res.headers.location).to.equal('/account');

    const b = agent(t.app);
    const p2 = await b.get('/signin').set('Accept', 'text/html');
    const r2 = await b.post('/signin').type('form').send({ _csrf: csrfFrom(p2.text), email: user.email, password: TEST_PASSWORD, next: '//evil.example/x' });
    expect(r2.headers.location).to.equal('/applications');
  });

  it('sends an anonymous visitor of a private page to sign in and back', async () => {
    const res = await agent(t.app).get('/account').set('Accept', 'text/html');
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal('/signin?next=%2Faccount');
  });

  it('answers a wrong password and an unknown account with the same message and status', async () => {
    const user = await createUser();
    const a = agent(t.app);
    const wrong = await postForm(a, '/signin', '/signin', { email: user.email, password: 'not the right password' });
    const unknown = await postForm(a, '/signin', '/signin', { email: uniqueEmail('nobody'), password: 'not the right password' });
    expect(wrong.status).to.equal(401);
    expect(unknown.status).to.equal(wrong.status);
    const message = (html: string) => /id="signin-message">([^<]*)</.exec(html)?.[1];
    expect(message(wrong.text)).to.be.a('string').and.to.have.length.greaterThan(5);
    expect(message(unknown.text)).to.equal(message(wrong.text));
    expect(wrong.text).to.include(`value="${user.email}"`); // what was typed is kept
    expect(wrong.text).not.to.include('not the right password');
    expect(await isSignedIn(a)).to.equal(false);
  });

  it('locks an e-mail+IP after repeated failures, even for the right password, and the lock holds on a second app instance', async () => {
    const user = await createUser();
    const a = agent(t.app);
    for (let i = 0; i < 2; i++) {
      const r = await postForm(a, '/signin', '/signin', { email: user.email, password: `wrong password ${i}` });
      expect(r.status).to.equal(401);
    }
    const third = await postForm(a, '/signin', '/signin', { email: user.email, password: 'wrong password 3' });
    expect(third.status).to.equal(429);
    expect(third.headers['retry-after']).to.match(/^\d+$/);

    const right = await postForm(a, '/signin', '/signin', { email: user.email, password: TEST_PASSWORD });
    expect(right.status).to.equal(429);
    expect(await isSignedIn(a)).to.equal(false);

    // Another instance of the app on the same database sees the same counters.
    const other = await startTestApp({ smtp: t.smtp, config: { login: { maxFailures: 3, lockoutMs: 60_000 } } });
    try {
      const b = agent(other.app);
      const res = await postForm(b, '/signin', '/signin', { email: user.email, password: TEST_PASSWORD });
      expect(res.status).to.equal(429);
      expect(await isSignedIn(b)).to.equal(false);
    } finally {
      await other.close();
    }

    // An unknown address is locked the same way, so locking tells nothing about existence.
    const ghost = uniqueEmail('ghost');
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await postForm(a, '/signin', '/signin', { email: ghost, password: `x-${i}-wrong-password` })).status);
    expect(statuses).to.deep.equal([401, 401, 429, 429]);
  });

  it('lifts the lock after the lockout period', async () => {
    const short = await startTestApp({ smtp: t.smtp, config: { login: { maxFailures: 2, lockoutMs: 1000 } } });
    try {
      const user = await createUser();
      const a = agent(short.app);
      await postForm(a, '/signin', '/signin', { email: user.email, password: 'wrong password one' });
      const locked = await postForm(a, '/signin', '/signin', { email: user.email, password: 'wrong password two' });
      expect(locked.status).to.equal(429);
      await new Promise((r) => setTimeout(r, 2100));
      const ok = await postForm(a, '/signin', '/signin', { email: user.email, password: TEST_PASSWORD });
      expect(ok.status).to.equal(303);
    } finally {
      await short.close();
    }
  });

  describe('per account, whatever the network address', () => {
    // Behind a proxy (TRUST_PROXY) the app reads the client's address from X-Forwarded-For; each
    // attempt below comes from an address of its own, so neither the e-mail+IP lock nor the per-IP
    // one ever holds it back: only the account's own count can.
    const account = { maxFailures: 6, windowMs: 10 * 60_000, lockoutMs: 5 * 60_000 };
    let spread: TestApp;
    let n = 0;
    const nextAddress = () => `198.51.100.${(n++ % 250) + 1}`;
    before(async () => {
      spread = await startTestApp({ smtp: t.smtp, config: { login: { maxFailures: 3, lockoutMs: 60_000 }, loginAccount: account, trustProxy: true } });
    });
    after(async () => {
      await spread?.close();
    });

    /** One sign-in attempt from a fresh network address, in a fresh browser; the agent is kept to ask whether it is signed in. */
    async function attempt(email: string, password: string, language = 'en') {
      const a = agent(spread.app);
      const ip = nextAddress();
      const page = await a.get('/signin').set('Accept', 'text/html').set('Accept-Language', language).set('X-Forwarded-For', ip);
      const res = await a
        .post('/signin')
        .type('form')
        .set('Accept', 'text/html')
        .set('Accept-Language', language)
        .set('X-Forwarded-For', ip)
        .send({ _csrf: csrfFrom(page.text), email, password });
      return { res, a, message: /id="signin-message">([^<]*)</.exec(res.text)?.[1]?.trim() };
    }

    it('pauses sign-in for an e-mail tried from many addresses, even with the right password, the same for an address with no account, and says so in the user’s language', async () => {
      const user = await createUser({ locale: 'en' });
      const statuses: number[] = [];
      for (let i = 0; i < account.maxFailures; i++) statuses.push((await attempt(user.email, `wrong password ${i}`)).res.status);
      expect(statuses, 'each address fails once; the sixth failure pauses the account').to.deep.equal([401, 401, 401, 401, 401, 429]);

      const right = await attempt(user.email, TEST_PASSWORD);
      expect(right.res.status, 'the right password during the pause').to.equal(429);
      expect(Number(right.res.headers['retry-after'])).to.be.within(account.lockoutMs / 1000 - 60, account.lockoutMs / 1000);
      expect(right.message).to.include('sign-in for this address is paused for about 5 minutes.').and.include('A password reset e-mail still works');
      expect(right.res.text).to.include('<a href="/password/forgot" id="signin-message-link">Reset your password by e-mail</a>');
      expect(right.res.text, 'what was typed is kept').to.include(`value="${user.email}"`);
      expect(await isSignedIn(right.a)).to.equal(false);
      expect((await User.findById(user._id).lean())?.lastSignInAt, 'nothing stored').to.equal(undefined);
      const wrong = await attempt(user.email, 'yet another wrong password');
      expect(wrong.res.status).to.equal(429);
      expect(wrong.message, 'a right and a wrong password get the same answer').to.equal(right.message);

      const vi = await attempt(user.email, TEST_PASSWORD, 'vi');
      expect(vi.res.status).to.equal(429);
      expect(vi.message).to.include('việc đăng nhập bằng địa chỉ này tạm dừng khoảng 5 phút').and.include('Vẫn có thể đặt lại mật khẩu qua e-mail');

      // An address with no account is paused the same way: the pause says nothing of existence.
      const ghost = uniqueEmail('spread-ghost');
      const ghostRuns: Array<{ status: number; message?: string }> = [];
      for (let i = 0; i <= account.maxFailures; i++) {
        const r = await attempt(ghost, `wrong password ${i}`);
        ghostRuns.push({ status: r.res.status, message: r.message });
      }
      expect(ghostRuns.map((r) => r.status)).to.deep.equal([401, 401, 401, 401, 401, 429, 429]);
      expect(ghostRuns.at(-1)!.message).to.equal(right.message);

      // Another account is not touched.
      const other = await createUser();
      expect((await attempt(other.email, TEST_PASSWORD)).res.status).to.equal(303);
    });

    it('a password reset by e-mail still works during the pause, and ends it', async () => {
      const user = await createUser({ locale: 'en' });
      for (let i = 0; i < account.maxFailures; i++) await attempt(user.email, `wrong password ${i}`);
      expect((await attempt(user.email, TEST_PASSWORD)).res.status).to.equal(429);

      const ip = nextAddress();
      const forgot = agent(spread.app);
      const page = await forgot.get('/password/forgot').set('Accept', 'text/html').set('X-Forwarded-For', ip);
      const asked = await forgot.post('/password/forgot').type('form').set('Accept', 'text/html').set('X-Forwarded-For', ip).send({ _csrf: csrfFrom(page.text), email: user.email });
      expect(asked.status).to.equal(200);
      const mail = await t.smtp.waitForTo(user.email, /reset/i);
      const path = new URL(linkIn(mail.text, '/password/reset/')).pathname;
      const form = await forgot.get(path).set('Accept', 'text/html').set('X-Forwarded-For', ip);
      const reset = await forgot.post(path).type('form').set('Accept', 'text/html').set('X-Forwarded-For', ip).send({ _csrf: csrfFrom(form.text), password: 'harbour lantern violet 97' });
      expect(reset.status, reset.text.slice(0, 300)).to.equal(303);

      // From yet another address: the pause is over with the new password.
      const after = await attempt(user.email, 'harbour lantern violet 97');
      expect(after.res.status, after.res.text.slice(0, 300)).to.equal(303);
      expect(await isSignedIn(after.a)).to.equal(true);
    });
  });

  it('refuses operator injection at sign-in (form brackets and JSON) with 400 and signs nobody in', async () => {
    await createUser();
    const a = agent(t.app);
    const page = await a.get('/signin').set('Accept', 'text/html');
    const token = csrfFrom(page.text);
    const form = await a
      .post('/signin')
      .type('form')
      .set('Accept', 'text/html')
      .send(`_csrf=${encodeURIComponent(token)}&email[$ne]=x&password[$ne]=x`);
    expect(form.status).to.equal(400);
    const json = await a.post('/signin').set('Accept', 'application/json').send({ _csrf: token, email: { $ne: null }, password: { $ne: null } });
    expect(json.status).to.equal(400);
    expect(json.body.error.code).to.equal('bad_request');
    const json2 = await a.post('/signin').set('Accept', 'application/json').send({ _csrf: token, email: { $gt: '' }, password: TEST_PASSWORD });
    expect(json2.status).to.equal(400);
    expect(await isSignedIn(a)).to.equal(false);
  });

  it('refuses sign-in without a CSRF token or with a wrong one (403)', async () => {
    const user = await createUser();
    const a = agent(t.app);
    await a.get('/signin').set('Accept', 'text/html');
    const none = await a.post('/signin').type('form').set('Accept', 'text/html').send({ email: user.email, password: TEST_PASSWORD });
    expect(none.status).to.equal(403);
    const wrong = await a.post('/signin').type('form').set('Accept', 'text/html').send({ _csrf: 'y'.repeat(64), email: user.email, password: TEST_PASSWORD });
    expect(wrong.status).to.equal(403);
    expect(await isSignedIn(a)).to.equal(false);
  });

  it('asks staff for the TOTP code after the password, and only then signs them in', async () => {
    const hr = await createUser({ role: 'hr_officer' });
    const a = agent(t.app);
    const res = await postForm(a, '/signin', '/signin', { email: hr.email, password: TEST_PASSWORD });
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal('/signin/second-factor');
    expect(await isSignedIn(a), 'not signed in between the two steps').to.equal(false);

    const bad = await postForm(a, '/signin/second-factor', '/signin/second-factor', { code: totpCode(hr) === '000000' ? '111111' : '000000' });
    expect(bad.status).to.equal(401);
    const good = await postForm(a, '/signin/second-factor', '/signin/second-factor', { code: totpCode(hr) });
    expect(good.status).to.equal(303);
    expect(good.headers.location).to.equal('/');
    expect(await isSignedIn(a)).to.equal(true);
  });

  it('accepts a TOTP code once: the same code replayed in another sign-in is refused', async () => {
    const hr = await createUser({ role: 'hr_officer' });
    const code = totpCode(hr);
    const first = agent(t.app);
    await postForm(first, '/signin', '/signin', { email: hr.email, password: TEST_PASSWORD });
    expect((await postForm(first, '/signin/second-factor', '/signin/second-factor', { code })).status).to.equal(303);
    expect(await isSignedIn(first)).to.equal(true);

    const second = agent(t.app);
    await postForm(second, '/signin', '/signin', { email: hr.email, password: TEST_PASSWORD });
    const replay = await postForm(second, '/signin/second-factor', '/signin/second-factor', { code });
    expect(replay.status).to.equal(401);
    expect(await isSignedIn(second)).to.equal(false);
  });

  it('the second-factor page without a password step sends the visitor back to sign in', async () => {
    const res = await agent(t.app).get('/signin/second-factor').set('Accept', 'text/html');
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal('/signin');
  });

  it('signIn() from the factories works for every role', async () => {
    for (const role of ['applicant', 'hr_officer', 'leader', 'admin'] as const) {
      const u = await createUser({ role });
      const a = agent(t.app);
      const landing = await signIn(a, u);
      expect(landing).to.equal({ applicant: '/applications', hr_officer: '/', leader: '/', admin: '/admin' }[role]);
      expect(await isSignedIn(a)).to.equal(true);
    }
  });

  it('accepts a recovery code once', async () => {
    const leader = await createUser({ role: 'leader' });
    const codes = await enableTotp({ app: t.ctx, ctx: systemContext({ now: t.ctx.now() }), userId: leader._id, secret: leader.totp!.secret! });
    expect(codes).to.have.length(10);
    const stored = await User.findById(leader._id).lean();
    expect(stored?.totp?.recoveryCodeHashes).to.have.length(10);
    expect(stored?.totp?.recoveryCodeHashes).not.to.include(codes[0]);

    const a = agent(t.app);
    await postForm(a, '/signin', '/signin', { email: leader.email, password: TEST_PASSWORD });
    const ok = await postForm(a, '/signin/second-factor', '/signin/second-factor', { code: codes[0]!.toUpperCase() });
    expect(ok.status).to.equal(303);
    // the next page says a code was used and how many are left, in the user's language
    const next = await a.get(String(ok.headers.location)).set('Accept', 'text/html');
    expect(next.text).to.match(/(9 left|còn 9 mã)/);
    expect(await isSignedIn(a)).to.equal(true);
    expect((await User.findById(leader._id).lean())?.totp?.recoveryCodeHashes).to.have.length(9);

    const b = agent(t.app);
    await postForm(b, '/signin', '/signin', { email: leader.email, password: TEST_PASSWORD });
    const again = await postForm(b, '/signin/second-factor', '/signin/second-factor', { code: codes[0]! });
    expect(again.status).to.equal(401);
    expect(await isSignedIn(b)).to.equal(false);
  });

  it('sends staff without an enrolled second factor to enrol before anything else', async () => {
    const admin = await createUser({ role: 'admin', totp: false });
    const a = agent(t.app);
    const res = await postForm(a, '/signin', '/signin', { email: admin.email, password: TEST_PASSWORD });
    expect(res.status).to.equal(303);
    const elsewhere = await a.get('/admin/users').set('Accept', 'text/html');
    expect(elsewhere.status).to.equal(303);
    expect(elsewhere.headers.location).to.equal('/account/second-factor');
    const enrol = await a.get('/account/second-factor').set('Accept', 'text/html');
    expect(enrol.status).to.equal(200);
    expect(enrol.text).to.match(/<img src="data:image\/png;base64,[A-Za-z0-9+/]{100,}/);
    const secret = /data-secret="([A-Z2-7]+)"/.exec(enrol.text)?.[1];
    expect(secret).to.be.a('string');
    const done = await a.post('/account/second-factor').type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(enrol.text), code: totpCode({ totp: { secret } }) });
    expect(done.status).to.equal(200);
    const codes = [...done.text.matchAll(/<li><code>([a-z0-9]{5}-[a-z0-9]{5})<\/code><\/li>/g)].map((m) => m[1]);
    expect(codes).to.have.length(10);
    const now = await a.get('/admin/users').set('Accept', 'text/html');
    expect(now.status).to.equal(200);
    const stored = await User.findById(admin._id).lean();
    // Stored encrypted (never the secret itself), and it decrypts to the secret that was enrolled.
    expect(stored?.totp?.secret).to.be.a('string').and.not.to.include(secret!);
    expect(plainTotpSecret(stored!)).to.equal(secret);
    expect(stored?.totp?.enabledAt).to.be.instanceOf(Date);
  });

  it("reads a session's user as a plain record, and none once disabled, signed out everywhere, or for a malformed id", async () => {
    const user = await createUser({ role: 'hr_officer' });
    const read = await sessionUser({ userId: String(user._id), epoch: user.sessionEpoch ?? 0 });
    // Lean: read on every request and never written through, so no Mongoose document is built.
    expect(read).to.not.equal(null);
    expect(read).to.not.be.instanceOf(mongoose.Document);
    expect(String(read!._id)).to.equal(String(user._id));
    expect(read!.role).to.equal('hr_officer');
    expect(String(read!.institute)).to.equal(String(user.institute));
    expect(await sessionUser({ userId: String(user._id), epoch: (user.sessionEpoch ?? 0) + 1 })).to.equal(null);
    expect(await sessionUser({ userId: 'not-an-id', epoch: 0 })).to.equal(null);
    expect(await sessionUser({ userId: '{"$gt":""}', epoch: 0 })).to.equal(null);
    await User.updateOne({ _id: user._id }, { $set: { disabledAt: new Date() } });
    expect(await sessionUser({ userId: String(user._id), epoch: user.sessionEpoch ?? 0 })).to.equal(null);
  });
});
