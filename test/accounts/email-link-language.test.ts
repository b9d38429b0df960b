// A link in an e-mail carries the e-mail's language (`lang`, server/mail/render.ts), so the page it
// opens signed out, the sign-in page it leads to, the form sent from there and the page after are in
// the language the person was written to, not the browser's (a Vietnamese applicant on an English
// work laptop). A signed-in person's own choice always wins; anything but a language we have is
// ignored; the way back after sign-in stays a path on this site.
import { expect } from 'chai';
import { useTestApp, type TestApp } from '../support/app.ts';
import { agent, csrfFrom } from '../support/http.ts';
import { createUser, TEST_PASSWORD } from '../support/factories.ts';
import { linkIn } from '../support/smtp.ts';
import { postForm } from './helpers.ts';
import { linkInLanguage } from '../../server/mail/render.ts';

const pageLang = (html: string) => /<html lang="([a-z]+)"/.exec(html)?.[1];

describe('accounts: a link in an e-mail opens in the e-mail’s language', function () {
  this.timeout(30_000);
  let t!: TestApp;
  useTestApp((app) => (t = app));

  it('adds the language before the fragment, after a query, and keeps one already there', () => {
    expect(linkInLanguage('https://a.test/applications/1', 'vi')).to.equal('https://a.test/applications/1?lang=vi');
    expect(linkInLanguage('https://a.test/applications/1#documents', 'en')).to.equal('https://a.test/applications/1?lang=en#documents');
    expect(linkInLanguage('https://a.test/cases?stage=offer#x', 'vi')).to.equal('https://a.test/cases?stage=offer&lang=vi#x');
    expect(linkInLanguage('https://a.test/signin?lang=en', 'vi')).to.equal('https://a.test/signin?lang=en');
  });

  it('a reset link asked for in Vietnamese opens in Vietnamese on an English browser, and its form answers in Vietnamese', async () => {
    const user = await createUser({ role: 'applicant', locale: 'vi' });
    const asked = await postForm(agent(t.app), '/password/forgot', '/password/forgot', { email: user.email });
    expect(asked.status).to.equal(200);
    const mail = await t.smtp.waitFor((m) => m.to.includes(user.email) && m.text.includes('/password/reset/'));
    const link = new URL(linkIn(mail.text, '/password/reset/'));
    expect(link.searchParams.get('lang')).to.equal('vi');
    expect(mail.html).to.include(`${link.pathname}?lang&#x3D;vi"`); // Handlebars escapes '='

    const a = agent(t.app);
    const page = await a.get(link.pathname + link.search).set('Accept', 'text/html').set('Accept-Language', 'en-GB,en;q=0.9');
    expect(page.status).to.equal(200);
    expect(pageLang(page.text)).to.equal('vi');
    // The form, sent without the parameter, is answered in the same language (a password too short).
    const refused = await a.post(link.pathname).type('form').set('Accept', 'text/html').set('Accept-Language', 'en').send({ _csrf: csrfFrom(page.text), password: 'short', confirm: 'short' });
    expect(refused.status).to.be.within(400, 499);
    expect(pageLang(refused.text)).to.equal('vi');
  });

  it('a private page’s link opened signed out leads to a sign-in page in the e-mail’s language, then back to it', async () => {
    const user = await createUser({ role: 'applicant', locale: 'vi' });
    const a = agent(t.app);
    const opened = await a.get('/account?lang=vi').set('Accept', 'text/html').set('Accept-Language', 'en');
    expect(opened.status).to.equal(303);
    expect(opened.headers.location).to.equal('/signin?next=%2Faccount%3Flang%3Dvi');
    const signin = await a.get(opened.headers.location).set('Accept', 'text/html').set('Accept-Language', 'en');
    expect(pageLang(signin.text), 'the sign-in page').to.equal('vi');
    expect(signin.text).to.include('name="next" value="/account?lang&#x3D;vi"');
    const wrong = await a.post('/signin').type('form').set('Accept', 'text/html').set('Accept-Language', 'en').send({ _csrf: csrfFrom(signin.text), email: user.email, password: 'not the right password', next: '/account?lang=vi' });
    expect(pageLang(wrong.text), 'a refused sign-in').to.equal('vi');
    const done = await a.post('/signin').type('form').set('Accept', 'text/html').set('Accept-Language', 'en').send({ _csrf: csrfFrom(wrong.text), email: user.email, password: TEST_PASSWORD, next: '/account?lang=vi' });
    expect(done.status).to.equal(303);
    expect(done.headers.location).to.equal('/account?lang=vi');
    const after = await a.get(done.headers.location).set('Accept', 'text/html').set('Accept-Language', 'en');
    expect(after.status).to.equal(200);
    expect(pageLang(after.text)).to.equal('vi');
  });

  it('never overrides a signed-in person’s own language', async () => {
    const user = await createUser({ role: 'applicant', locale: 'en' });
    const a = agent(t.app);
    const signin = await a.get('/signin?lang=vi').set('Accept', 'text/html');
    expect(pageLang(signin.text)).to.equal('vi');
    const done = await a.post('/signin').type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(signin.text), email: user.email, password: TEST_PASSWORD, next: '/account?lang=vi' });
    expect(done.headers.location).to.equal('/account?lang=vi');
    const page = await a.get('/account?lang=vi').set('Accept', 'text/html');
    expect(page.status).to.equal(200);
    expect(pageLang(page.text), 'their stored choice').to.equal('en');
  });

  it('the language switcher on a page opened from an e-mail goes back to it in the language chosen', async () => {
    const a = agent(t.app);
    const page = await a.get('/signin?lang=vi&next=%2Faccount#form').set('Accept', 'text/html').set('Accept-Language', 'en');
    expect(pageLang(page.text)).to.equal('vi');
    const res = await a.post('/lang').type('form').send({ _csrf: csrfFrom(page.text), lang: 'en', next: '/signin?lang=vi&next=%2Faccount#form' });
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal('/signin?next=%2Faccount#form');
    expect(pageLang((await a.get(res.headers.location).set('Accept', 'text/html')).text)).to.equal('en');
  });

  it('ignores anything but a language we have (unknown, repeated, or not a string)', async () => {
    for (const query of ['lang=fr', 'lang=VI', 'lang=vi&lang=en', 'lang[]=vi', 'lang[x]=en', `lang=${'v'.repeat(3000)}`]) {
      const page = await agent(t.app).get(`/signin?${query}`).set('Accept', 'text/html').set('Accept-Language', 'en');
      expect(page.status, query).to.equal(200);
      expect(pageLang(page.text), query).to.equal('en');
      expect(String(page.headers['set-cookie'] ?? ''), `${query}: nothing remembered`).not.to.match(/(^|[,\s])lang=/);
    }
  });

  it('after sign-in from a link, goes back only to a path on this site', async () => {
    const user = await createUser({ role: 'applicant', locale: 'vi' });
    for (const next of ['//evil.com', 'https://evil.com', '/\\evil.com', '//evil.com/?lang=vi', 'https://evil.com/account?lang=vi', '/\\evil.com?lang=vi']) {
      const a = agent(t.app);
      const page = await a.get(`/signin?lang=vi&next=${encodeURIComponent(next)}`).set('Accept', 'text/html');
      expect(page.status).to.equal(200);
      expect(page.text, next).to.include('name="next" value=""');
      const res = await a.post('/signin').type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(page.text), email: user.email, password: TEST_PASSWORD, next });
      expect(res.status, next).to.equal(303);
      expect(res.headers.location, next).to.equal('/applications');
    }
  });
});
