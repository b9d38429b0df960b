// Sessions and CSRF for anonymous visitors (issue 10): a crawler must not grow the session store.
// Public pages with forms still carry a CSRF token (its secret in a signed cookie), language and
// flash messages work without a stored session, and the session is created at sign-in.
import { expect } from 'chai';
import request from 'supertest';
import type { Db } from 'mongodb';
import { startTestApp, testDatabase, type TestApp } from '../support/app.ts';
import { agent, csrfFrom } from '../support/http.ts';
import { createInstitute, createUser, signIn, TEST_PASSWORD } from '../support/factories.ts';
import { createCall } from '../support/case-factories.ts';
import { isSignedIn } from '../accounts/helpers.ts';

/**
 * Anonymous page views in the crawl test, spread over every public page: 1,000 as the issue measures.
 * SESSION_CRAWL_VIEWS_PER_PAGE=1000 gives 1,000 views of each page instead (11,000 requests, minutes
 * on a busy machine).
 */
const PER_PAGE = Number(process.env.SESSION_CRAWL_VIEWS_PER_PAGE ?? 0);
const TOTAL_VIEWS = 1000;

function setCookies(res: { headers: Record<string, unknown> }): string[] {
  const raw = res.headers['set-cookie'];
  return Array.isArray(raw) ? (raw as string[]) : typeof raw === 'string' ? [raw] : [];
}

/** `n` GETs of `url` by cookie-less clients (as a crawler), a few at a time; returns the statuses seen. */
async function crawl(base: string, url: string, n: number): Promise<Set<number>> {
  const statuses = new Set<number>();
  let next = 0;
  const worker = async () => {
    while (next < n) {
      next += 1;
      const res = await fetch(`${base}${url}`, { headers: { Accept: 'text/html' }, redirect: 'manual' });
      await res.arrayBuffer();
      statuses.add(res.status);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return statuses;
}

describe('security: nothing stored for anonymous visitors; CSRF without a stored session', function () {
  this.timeout(300_000);
  let t: TestApp;
  let sessions: () => Promise<number>;
  let callId: string;
  before(async () => {
    t = await startTestApp();
    const db = (await testDatabase()).connection.db as unknown as Db;
    sessions = () => db.collection('sessions').countDocuments();
    callId = String((await createCall({ institute: (await createInstitute())._id, status: 'open' }))._id);
  });
  after(async () => {
    await t?.close();
  });

  it(`stores no session for ${PER_PAGE ? `${PER_PAGE} anonymous views of each public page` : `${TOTAL_VIEWS} anonymous views of the public pages`}`, async () => {
    const token = 'a'.repeat(43);
    const pages = ['/', '/signin', '/register', '/password/forgot', '/verify-email/resend', '/calls', `/calls/${callId}`, '/signin/second-factor', `/password/reset/${token}`, `/invitations/${token}`, `/verify-email/${token}`];
    const before = await sessions();
    let views = 0;
    for (const [i, p] of pages.entries()) {
      const n = PER_PAGE || Math.floor(TOTAL_VIEWS / pages.length) + (i < TOTAL_VIEWS % pages.length ? 1 : 0);
      const statuses = await crawl(t.baseUrl, p, n);
      views += n;
      expect([...statuses].every((s) => s < 500), `${p}: ${[...statuses]}`).to.equal(true);
      expect(await sessions(), `sessions after ${n} views of ${p}`).to.equal(before);
    }
    expect(views).to.equal(PER_PAGE ? PER_PAGE * pages.length : TOTAL_VIEWS);
    // The same with a client that keeps its cookies (a browser, or a crawler that does).
    const a = agent(t.app);
    for (const p of pages) for (let i = 0; i < 20; i += 1) await a.get(p).set('Accept', 'text/html');
    expect(await sessions()).to.equal(before);
  });

  it('gives public forms a CSRF token whose secret is in a signed, HttpOnly, SameSite=Lax cookie, never a session cookie', async () => {
    const res = await request(t.app).get('/signin').set('Accept', 'text/html');
    expect(csrfFrom(res.text)).to.match(/^[a-f0-9]{64,}$/);
    const cookies = setCookies(res);
    expect(cookies.some((c) => c.startsWith('sid=')), 'no session cookie').to.equal(false);
    const csrf = cookies.find((c) => c.startsWith('csrf='));
    expect(csrf).to.be.a('string');
    expect(csrf).to.match(/^csrf=s%3A/); // signed
    expect(csrf).to.match(/HttpOnly/i);
    expect(csrf).to.match(/SameSite=Lax/i);
  });

  it('refuses a forged POST from an anonymous visitor: no token, a wrong token, another visitor\'s token, an unsigned cookie', async () => {
    const user = await createUser({ role: 'applicant' });
    const before = await sessions();
    const a = agent(t.app);
    const page = await a.get('/signin').set('Accept', 'text/html');
    const none = await a.post('/signin').type('form').set('Accept', 'text/html').send({ email: user.email, password: TEST_PASSWORD });
    expect(none.status).to.equal(403);
    const wrong = await a.post('/signin').type('form').set('Accept', 'text/html').send({ _csrf: 'f'.repeat(256), email: user.email, password: TEST_PASSWORD });
    expect(wrong.status).to.equal(403);
    // The attacker's own valid token, submitted from the victim's browser (which has its own cookie).
    const attacker = await request(t.app).get('/signin').set('Accept', 'text/html');
    const theirs = await a.post('/signin').type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(attacker.text), email: user.email, password: TEST_PASSWORD });
    expect(theirs.status).to.equal(403);
    // A cookie the attacker wrote themselves (not signed by the app) with a matching token.
    const forged = await request(t.app).post('/signin').type('form').set('Accept', 'text/html').set('Cookie', `csrf=${'e'.repeat(256)}`).send({ _csrf: 'e'.repeat(256), email: user.email, password: TEST_PASSWORD });
    expect(forged.status).to.equal(403);
    // The language switch (anonymous too) is protected the same way.
    expect((await request(t.app).post('/lang').type('form').send({ lang: 'en' })).status).to.equal(403);
    expect(await sessions()).to.equal(before);
    // ...and the genuine form works: sign-in creates exactly one stored session, on a new id.
    const ok = await a.post('/signin').type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(page.text), email: user.email, password: TEST_PASSWORD });
    expect(ok.status).to.equal(303);
    expect(setCookies(ok).some((c) => c.startsWith('sid='))).to.equal(true);
    expect(await sessions()).to.equal(before + 1);
    expect(await isSignedIn(a)).to.equal(true);
  });

  it('refuses a forged POST from a signed-in user: no token, the anonymous token from before sign-in, another user\'s token', async () => {
    const me = await createUser({ role: 'applicant' });
    const other = await createUser({ role: 'applicant' });
    const a = agent(t.app);
    const anonymousPage = await a.get('/signin').set('Accept', 'text/html');
    const anonymousToken = csrfFrom(anonymousPage.text);
    await signIn(a, me);
    const b = agent(t.app);
    await signIn(b, other);
    const theirToken = csrfFrom((await b.get('/account').set('Accept', 'text/html')).text);
    for (const token of [undefined, anonymousToken, theirToken]) {
      const res = await a.post('/account').type('form').set('Accept', 'text/html').send({ ...(token ? { _csrf: token } : {}), name: 'Forged Name', locale: 'en' });
      expect(res.status, String(token).slice(0, 8)).to.equal(403);
    }
    const mine = csrfFrom((await a.get('/account').set('Accept', 'text/html')).text);
    const ok = await a.post('/account').type('form').set('Accept', 'text/html').send({ _csrf: mine, name: 'Real Name', locale: 'en' });
    expect(ok.status).to.equal(303);
  });

  it('switches language and shows flash messages for an anonymous visitor without storing a session', async () => {
    const before = await sessions();
    const a = agent(t.app);
    const home = await a.get('/').set('Accept', 'text/html');
    expect(home.text).to.include('lang="vi"');
    const sw = await a.post('/lang').type('form').send({ _csrf: csrfFrom(home.text), lang: 'en', next: '/signin' });
    expect(sw.status).to.equal(303);
    const lang = setCookies(sw).find((c) => c.startsWith('lang='));
    expect(lang).to.match(/^lang=en;/);
    expect(lang).to.match(/HttpOnly/i);
    const after = await a.get('/signin').set('Accept', 'text/html');
    expect(after.text).to.include('lang="en"');
    // The second-factor page without a password step sends the visitor back with a message, shown once.
    const sf = await a.get('/signin/second-factor').set('Accept', 'text/html');
    expect(sf.status).to.equal(303);
    const shown = await a.get('/signin').set('Accept', 'text/html');
    expect(shown.text).to.match(/flash/);
    expect(shown.text).to.include('Please sign in again.');
    const again = await a.get('/signin').set('Accept', 'text/html');
    expect(again.text).not.to.include('Please sign in again.');
    expect(await sessions()).to.equal(before);
    // A tampered flash cookie shows nothing and breaks nothing.
    const tampered = await request(t.app).get('/signin').set('Accept', 'text/html').set('Cookie', 'flash=s%3A%7B%22kind%22%3A%22error%22%2C%22key%22%3A%22accounts.secondFactor.expired%22%7D.forged');
    expect(tampered.status).to.equal(200);
    expect(tampered.text).not.to.include('Please sign in again.');
    expect(tampered.text).not.to.include('Vui lòng đăng nhập lại');
    expect(setCookies(tampered).some((c) => /^flash=;/.test(c)), 'the bad cookie is cleared').to.equal(true);
  });

  it('keeps a signed-out visitor anonymous: the session ends and the next pages store nothing', async () => {
    const me = await createUser({ role: 'applicant' });
    const a = agent(t.app);
    await signIn(a, me);
    const home = await a.get('/').set('Accept', 'text/html');
    const out = await a.post('/signout').type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(home.text) });
    expect(out.status).to.equal(303);
    const before = await sessions();
    const page = await a.get('/').set('Accept', 'text/html');
    expect(page.text).to.match(/flash/); // "signed out" is shown from the cookie
    for (let i = 0; i < 20; i += 1) await a.get('/calls').set('Accept', 'text/html');
    expect(await sessions()).to.equal(before);
    expect(await isSignedIn(a)).to.equal(false);
  });
});
