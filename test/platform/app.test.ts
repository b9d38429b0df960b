import { expect } from 'chai';
import request from 'supertest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { listRoutes, concretePath } from '../support/routes.ts';
import { isPublic } from '../../server/http/public-routes.ts';
import { agent, csrfFrom } from '../support/http.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { signedIn, text } from '../applications/support.ts';

describe('platform: pipeline, headers, errors, default deny', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(async () => {
    await t?.close();
  });

  it('answers /healthz and /readyz', async () => {
    const h = await request(t.app).get('/healthz');
    expect(h.status).to.equal(200);
    expect(h.body).to.deep.equal({ status: 'ok' });
    const r = await request(t.app).get('/readyz');
    expect(r.status).to.equal(200);
    expect(r.body.status).to.equal('ready');
  });

  it('sends a self-only content security policy and a request id on every page', async () => {
    const res = await request(t.app).get('/').set('Accept', 'text/html');
    expect(res.status).to.equal(200);
    const csp = res.headers['content-security-policy'] as string;
    expect(csp).to.include("default-src 'self'");
    expect(csp).to.include("script-src 'self'");
    expect(csp).not.to.include('unsafe-inline');
    expect(res.headers['x-content-type-options']).to.equal('nosniff');
    expect(res.headers['x-request-id']).to.match(/^[A-Za-z0-9-]{8,}$/);
    expect(res.headers['x-powered-by']).to.equal(undefined);
    expect(res.text).not.to.match(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script
  });

  it('lets no browser or proxy keep a page (no-store, no ETag), while static files are cached', async () => {
    for (const url of ['/', '/sign-in', '/no-such-page']) {
      const res = await request(t.app).get(url).set('Accept', 'text/html');
      expect(res.headers['cache-control'], url).to.equal('no-store');
      expect(res.headers.etag, url).to.equal(undefined);
    }
    const css = await request(t.app).get('/static/css/app.css');
    expect(css.status).to.equal(200);
    expect(css.headers['cache-control']).to.match(/max-age=/);
    expect(css.headers.etag).to.match(/^W\/"/);
    // Every page names its icon, which is served (browsers asked for /favicon.ico and got a 404).
    const home = await request(t.app).get('/').set('Accept', 'text/html');
    expect(home.text).to.include('<link rel="icon" href="/static/img/icon.svg" type="image/svg+xml">');
    const icon = await request(t.app).get('/static/img/icon.svg');
    expect([icon.status, icon.headers['content-type']]).to.deep.equal([200, 'image/svg+xml']);
  });

  it('renders pages in Vietnamese by default and English when the browser asks', async () => {
    const vi = await request(t.app).get('/').set('Accept', 'text/html');
    expect(vi.text).to.include('lang="vi"');
    expect(vi.text).to.include('Chương trình Thu hút Nhân tài');
    const en = await request(t.app).get('/').set('Accept', 'text/html').set('Accept-Language', 'en-GB,en;q=0.9');
    expect(en.text).to.include('lang="en"');
    expect(en.text).to.include('Talent Programme');
  });

  it('switches language with a plain form and keeps the choice in the session', async () => {
    const a = agent(t.app);
    const page = await a.get('/').set('Accept', 'text/html');
    const res = await a.post('/lang').type('form').send({ _csrf: csrfFrom(page.text), lang: 'en', next: '/' });
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal('/');
    const after = await a.get('/').set('Accept', 'text/html');
    expect(after.text).to.include('lang="en"');
  });

  it('switches back to the same page with its filters, and after a refused form to the page the form was on', async () => {
    const hr = await createUser({ role: 'hr_officer', institute: await createInstitute(), locale: 'en' });
    const a = await signedIn(t, hr);
    const queue = await a.get('/cases?stage=screening&sort=reference&q=tran').set('Accept', 'text/html');
    expect(text(queue.text)).to.include('name="next" value="/cases?stage=screening&sort=reference&q=tran"');
    // A saved filter without a name answers 422 at POST /cases/filters, an address no GET serves.
    const refused = await a
      .post('/cases/filters')
      .type('form')
      .set('Accept', 'text/html')
      .set('Referer', `http://${new URL(t.baseUrl).host}/cases?stage=screening`)
      .set('Host', new URL(t.baseUrl).host)
      .send({ _csrf: csrfFrom(queue.text), name: '', query: '/cases?stage=screening' });
    expect(refused.status).to.equal(422);
    expect(text(refused.text)).to.include('name="next" value="/cases?stage=screening"');
    expect(refused.text).not.to.include('name="next" value="/cases/filters"');
  });

  it('never redirects the language switch off-site', async () => {
    const a = agent(t.app);
    const page = await a.get('/').set('Accept', 'text/html');
    const res = await a.post('/lang').type('form').send({ _csrf: csrfFrom(page.text), lang: 'en', next: '//evil.example/' });
    expect(res.headers.location).to.equal('/');
  });

  it('refuses a state-changing request without a CSRF token or with a wrong one (403)', async () => {
    const a = agent(t.app);
    await a.get('/').set('Accept', 'text/html');
    const none = await a.post('/lang').type('form').set('Accept', 'text/html').send({ lang: 'en', next: '/' });
    expect(none.status).to.equal(403);
    expect(none.text).to.include('Trang này đã mở quá lâu'); // a public form: the page was older than the token (server/http/error-handler.ts)
    const wrong = await a.post('/lang').type('form').send({ _csrf: 'x'.repeat(64), lang: 'en' });
    expect(wrong.status).to.equal(403);
  });

  it('refuses $-operators and dotted keys in input with a clear message', async () => {
    const a = agent(t.app);
    const page = await a.get('/').set('Accept', 'text/html');
    const res = await a
      .post('/lang')
      .set('Accept', 'application/json')
      .send({ _csrf: csrfFrom(page.text), lang: { $ne: 'x' } });
    expect(res.status).to.equal(400);
    expect(res.body.error.code).to.equal('bad_request');
    const dotted = await a.get('/?a.b=1').set('Accept', 'application/json');
    expect(dotted.status).to.equal(400);
  });

  it('shows a 404 page in the visitor language', async () => {
    const res = await request(t.app).get('/static/no-such-file.css').set('Accept', 'text/html').set('Accept-Language', 'en');
    expect(res.status).to.equal(404);
    expect(res.text).to.include('Not found');
  });

  it('sends an anonymous visitor of an unknown page to sign in, without telling whether it exists', async () => {
    const res = await request(t.app).get('/no/such/page').set('Accept', 'text/html');
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.match(/^\/signin/);
  });

  it('refuses every non-public route to an anonymous request (default deny)', async () => {
    const routes = listRoutes(t.app);
    expect(routes.length).to.be.greaterThan(1);
    const privateRoutes = routes.filter((r) => !isPublic(r.method, concretePath(r.path)));
    for (const r of privateRoutes) {
      const res = await request(t.app)[r.method.toLowerCase() as 'get'](concretePath(r.path)).set('Accept', 'application/json');
      // 401 from the gate; a POST without a session is stopped even earlier by CSRF (403).
      expect([401, 403], `${r.method} ${r.path} answered ${res.status}`).to.include(res.status);
    }
    for (const r of routes.filter((x) => isPublic(x.method, concretePath(x.path)) && x.method === 'GET')) {
      const res = await request(t.app).get(concretePath(r.path)).set('Accept', 'text/html');
      expect(res.status, `${r.method} ${r.path}`).not.to.equal(401);
    }
  });
});
