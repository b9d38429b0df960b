// Transport security headers (issue 10): HSTS for at least one year, with subdomains, when the app
// is served over TLS (SECURE_COOKIES=true, or an https APP_URL); none over plain HTTP.
import { expect } from 'chai';
import request from 'supertest';
import { startTestApp, type TestApp } from '../support/app.ts';

describe('security: HSTS', () => {
  let tls: TestApp;
  let plain: TestApp;
  before(async () => {
    tls = await startTestApp({ env: { SECURE_COOKIES: 'true' } });
    plain = await startTestApp();
  });
  after(async () => {
    await tls?.close();
    await plain?.close();
  });

  it('sends Strict-Transport-Security: max-age=31536000; includeSubDomains on every response when served over TLS', async () => {
    for (const url of ['/', '/signin', '/healthz', '/static/no-such-file.css']) {
      const res = await request(tls.app).get(url).set('Accept', 'text/html');
      expect(res.headers['strict-transport-security'], url).to.equal('max-age=31536000; includeSubDomains');
    }
  });

  it('derives TLS from an https APP_URL too', async () => {
    const viaUrl = await startTestApp({ env: { APP_URL: 'https://talent.example.org' } });
    try {
      const res = await request(viaUrl.app).get('/').set('Accept', 'text/html');
      expect(res.headers['strict-transport-security']).to.equal('max-age=31536000; includeSubDomains');
    } finally {
      await viaUrl.close();
    }
  });

  it('sends no HSTS over plain HTTP', async () => {
    const res = await request(plain.app).get('/').set('Accept', 'text/html');
    expect(res.headers['strict-transport-security']).to.equal(undefined);
  });

  it('over TLS, the anonymous CSRF cookie is Secure with the __Host- prefix (no subdomain can plant one)', async () => {
    const res = await request(tls.app).get('/signin').set('Accept', 'text/html');
    const raw = res.headers['set-cookie'] as unknown as string[] | undefined;
    const csrf = (raw ?? []).find((c) => c.startsWith('__Host-csrf='));
    expect(csrf, String(raw)).to.be.a('string');
    expect(csrf).to.match(/; Secure/i);
    expect(csrf).to.match(/; Path=\//);
    expect(csrf).not.to.match(/Domain=/i);
  });
});
