import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent } from '../support/http.ts';
import { linkIn } from '../support/smtp.ts';
import { createUser, uniqueEmail } from '../support/factories.ts';
import { User } from '../../models/user.ts';
import { Token } from '../../models/token.ts';
import { sha256 } from '../../server/accounts/totp.ts';
import { translator } from '../../server/i18n/index.ts';
import { isSignedIn, postForm } from './helpers.ts';

const GOOD_PASSWORD = 'lantern orchid bicycle 1987';

describe('accounts: registration and e-mail verification', function () {
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

  it('registers an applicant, e-mails a verification link (stored hashed) that works once', async () => {
    const email = uniqueEmail('reg');
    const a = agent(t.app);
    const res = await postForm(a, '/register', '/register', { name: 'Nguyễn Văn An', email: email.toUpperCase(), password: GOOD_PASSWORD, locale: 'en', consent: 'yes' });
    expect(res.status).to.equal(200);
    expect(res.text).to.include('id="check-email-message"');

    const user = await User.findOne({ email }).lean();
    expect(user?.role).to.equal('applicant');
    expect(user?.emailVerifiedAt).to.equal(undefined);
    expect(user?.passwordHash).to.match(/^\$argon2id\$/);
    expect(user?.consents?.[0]).to.include({ purpose: 'recruitment', granted: true });

    const mail = await t.smtp.waitForTo(email, /confirm/i);
    expect(mail.raw.headers.get('content-language')).to.equal('en');
    expect(mail.html).to.include('/verify-email/');
    const link = linkIn(mail.text, '/verify-email/');
    // The e-mail's language goes with the link (server/mail/render.ts), after the token.
    expect(new URL(link).searchParams.get('lang')).to.equal('en');
    const raw = new URL(link).pathname.split('/verify-email/')[1]!;
    const stored = await Token.findOne({ user: user!._id, purpose: 'verify_email' }).lean();
    expect(stored?.tokenHash).to.equal(sha256(raw));
    expect(JSON.stringify(stored)).not.to.include(raw);
    expect(stored!.expiresAt.getTime() - clock).to.be.closeTo(48 * 3_600_000, 5_000);

    const path = new URL(link).pathname;
    const first = await a.get(path).set('Accept', 'text/html');
    expect(first.status).to.equal(303);
    expect(first.headers.location).to.equal('/signin');
    expect((await User.findById(user!._id).lean())?.emailVerifiedAt).to.be.instanceOf(Date);
    // The sign-in form it leads to has the address just confirmed, and only once.
    const signin = await a.get('/signin').set('Accept', 'text/html');
    expect(signin.text).to.include('Thank you, your e-mail address is confirmed.');
    expect(signin.text).to.match(new RegExp(`name="email"[^>]*value="${email.replace(/[.+]/g, '\\$&')}"`));
    expect((await a.get('/signin').set('Accept', 'text/html')).text).not.to.include(`value="${email}"`);

    const second = await a.get(path).set('Accept', 'text/html');
    expect(second.status).to.equal(410);
  });

  it('sends the e-mail in the language chosen at registration', async () => {
    const email = uniqueEmail('reg-vi');
    await postForm(agent(t.app), '/register', '/register', { name: 'Trần Thị Bình', email, password: GOOD_PASSWORD, locale: 'vi', consent: 'yes' });
    const mail = await t.smtp.waitForTo(email);
    expect(mail.subject).to.equal('Xác nhận địa chỉ e-mail của Ông/Bà');
    expect(mail.text).to.include('Kính gửi Ông/Bà Trần Thị Bình');
    // Its language is said in the header too, for mail clients (and screen readers) to read it as such.
    expect(mail.raw.headers.get('content-language')).to.equal('vi');
  });

  it('lets an unverified applicant sign in, shows the notice, and hides it once verified', async () => {
    const user = await createUser({ verified: false });
    const a = agent(t.app);
    const res = await postForm(a, '/signin', '/signin', { email: user.email, password: 'Test-password for factories 2024' });
    expect(res.status).to.equal(303);
    const page = await a.get('/account').set('Accept', 'text/html');
    expect(page.status).to.equal(200);
    expect(page.text).to.include('id="verify-notice"');

    // Resend from the notice: a new link, and the old one stops working.
    await postForm(a, '/verify-email/resend', '/verify-email/resend', { email: user.email });
    const mail = await t.smtp.waitForTo(user.email, /confirm/i);
    const ok = await a.get(new URL(linkIn(mail.text, '/verify-email/')).pathname).set('Accept', 'text/html');
    expect(ok.status).to.equal(303);
    const after = await a.get('/account').set('Accept', 'text/html');
    expect(after.text).not.to.include('id="verify-notice"');
  });

  it('refuses an expired verification link (48 h) using the app clock', async () => {
    const user = await createUser({ verified: false });
    await postForm(agent(t.app), '/verify-email/resend', '/verify-email/resend', { email: user.email });
    const mail = await t.smtp.waitForTo(user.email, /confirm/i);
    clock += 48 * 3_600_000 + 1000;
    const res = await agent(t.app).get(new URL(linkIn(mail.text, '/verify-email/')).pathname).set('Accept', 'text/html');
    expect(res.status).to.equal(410);
    expect((await User.findById(user._id).lean())?.emailVerifiedAt).to.equal(undefined);
  });

  it('answers the same for an address that already has an account, and tells its owner instead', async () => {
    const existing = await createUser();
    const fresh = uniqueEmail('reg-new');
    const a = agent(t.app);
    const r1 = await postForm(a, '/register', '/register', { name: 'Someone', email: existing.email, password: GOOD_PASSWORD, locale: 'en', consent: 'yes' });
    const r2 = await postForm(agent(t.app), '/register', '/register', { name: 'Someone', email: fresh, password: GOOD_PASSWORD, locale: 'en', consent: 'yes' });
    expect(r1.status).to.equal(r2.status);
    const msg = (html: string, email: string) => /id="check-email-message">([^<]*)</.exec(html)?.[1]?.replace(email, 'X');
    expect(msg(r1.text, existing.email)).to.equal(msg(r2.text, fresh));
    const notice = await t.smtp.waitForTo(existing.email, /password/i);
    expect(notice.text).to.include('already has an account');
    expect(await User.countDocuments({ email: existing.email })).to.equal(1);
    expect(await isSignedIn(a)).to.equal(false);
  });

  it('answers registration and "send the link again" before any e-mail is sent (a slow mail server tells nothing)', async () => {
    const existing = await createUser();
    const unverified = await createUser({ verified: false });
    const fresh = uniqueEmail('reg-held');
    let release!: () => void;
    t.smtp.held = new Promise<void>((r) => (release = r));
    try {
      for (const [path, form, to] of [
        ['/register', { name: 'Someone', email: existing.email, password: GOOD_PASSWORD, locale: 'en', consent: 'yes' }, existing.email],
        ['/register', { name: 'Someone', email: fresh, password: GOOD_PASSWORD, locale: 'en', consent: 'yes' }, fresh],
        ['/verify-email/resend', { email: unverified.email }, unverified.email],
      ] as const) {
        const res = await postForm(agent(t.app), path, path, form);
        expect(res.status, `${path} ${to}`).to.be.oneOf([200, 303]);
        expect(t.smtp.to(to), `${path} ${to}`).to.have.length(0);
      }
    } finally {
      release();
      t.smtp.held = undefined;
    }
    await t.smtp.waitForTo(existing.email, /password/i);
    await t.smtp.waitForTo(fresh);
    await t.smtp.waitForTo(unverified.email);
  });

  it('refuses a name holding an invisible control character (a bidirectional override), beside the field', async () => {
    const email = uniqueEmail('reg-bidi');
    const res = await postForm(agent(t.app), '/register', '/register', { name: 'Ana \u202Egpj.exe', email, password: GOOD_PASSWORD, locale: 'en', consent: 'yes' });
    expect(res.status).to.equal(422);
    expect(res.text).to.include('Tên có chứa ký tự điều khiển ẩn'); // the visitor's language (Vietnamese by default)
    expect(res.text).to.include(email);
    expect(await User.exists({ email })).to.equal(null);
  });

  it('re-displays the form with field errors and the typed values (never the password)', async () => {
    const email = uniqueEmail('reg-bad');
    const a = agent(t.app);
    const short = await postForm(a, '/register', '/register', { name: 'Ana', email, password: 'short pass', locale: 'en', consent: 'yes' });
    expect(short.status).to.equal(422);
    expect(short.text).to.include('id="f-password-error"');
    expect(short.text).to.include(`value="${email}"`);
    expect(short.text).to.include('value="Ana"');
    expect(short.text).not.to.include('short pass');

    const common = await postForm(a, '/register', '/register', { name: 'Ana', email, password: 'password1234', locale: 'en', consent: 'yes' });
    expect(common.status).to.equal(422);
    expect(common.text).to.include(translator('vi')('accounts.errors.password.common'));

    const same = await postForm(a, '/register', '/register', { name: 'Ana', email: `a${'x'.repeat(10)}@example.test`, password: `a${'x'.repeat(10)}@example.test`, locale: 'en', consent: 'yes' });
    expect(same.status).to.equal(422);
    expect(same.text).to.include(translator('vi')('accounts.errors.password.sameAsEmail'));

    const long = await postForm(a, '/register', '/register', { name: 'Ana', email, password: 'x'.repeat(257), locale: 'en', consent: 'yes' });
    expect(long.status).to.equal(422);

    const noConsent = await postForm(a, '/register', '/register', { name: 'Ana', email, password: GOOD_PASSWORD, locale: 'en' });
    expect(noConsent.status).to.equal(422);
    expect(noConsent.text).to.include('id="f-consent-error"');

    const badEmail = await postForm(a, '/register', '/register', { name: 'Ana', email: 'not-an-email', password: GOOD_PASSWORD, locale: 'en', consent: 'yes' });
    expect(badEmail.status).to.equal(422);
    expect(badEmail.text).to.include('id="f-email-error"');

    expect(await User.exists({ email })).to.equal(null);

    const okLong = await postForm(a, '/register', '/register', { name: 'Ana', email, password: 'ü'.repeat(256), locale: 'en', consent: 'yes' });
    expect(okLong.status, '256 characters (512 bytes) is allowed').to.equal(200);
  });
});

describe('accounts: new accounts per network address', function () {
  this.timeout(30_000);
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ env: { REGISTRATIONS_PER_IP_HOUR: '2' } });
    // This file's other accounts came from the same address: the count starts here.
    await t.ctx.db.connection.db!.collection('mail_limits').deleteMany({ key: /^registration_ip/ });
  });
  after(async () => {
    await t.close();
  });

  it('refuses a third account from one address within the hour (429, in the chosen language, the name kept), creating nothing', async () => {
    for (const n of [1, 2]) {
      const res = await postForm(agent(t.app), '/register', '/register', { name: `Applicant ${n}`, email: uniqueEmail(`net${n}`), password: GOOD_PASSWORD, locale: 'en', consent: 'yes' });
      expect(res.status).to.equal(200);
      expect(res.text).to.include('id="check-email-message"');
    }
    const email = uniqueEmail('net3');
    const refused = await postForm(agent(t.app), '/register?lang=vi', '/register', { name: 'Trần Thị Ba', email, password: GOOD_PASSWORD, locale: 'vi', consent: 'yes' });
    expect(refused.status).to.equal(429);
    expect(refused.headers['retry-after']).to.equal('3600');
    expect(refused.text).to.include('id="register-message"');
    expect(refused.text).to.match(/Too many accounts were created from your network|Đã có quá nhiều tài khoản được tạo từ mạng này/);
    expect(refused.text).to.include('value="Trần Thị Ba"');
    expect(refused.text).not.to.include(GOOD_PASSWORD);
    expect(await User.countDocuments({ email })).to.equal(0);
  });
});
