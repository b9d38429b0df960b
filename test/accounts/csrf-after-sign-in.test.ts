// Found by the crash drill: right after sign-in, two pages requested at once each stored a CSRF
// token of their own in the new session, and the form of the page whose token lost was refused.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent, csrfFrom } from '../support/http.ts';
import { createUser, signIn } from '../support/factories.ts';

describe('accounts: CSRF token of a fresh session', function () {
  this.timeout(30_000);
  let t: TestApp;

  before(async () => {
    t = await startTestApp();
  });
  after(async () => {
    await t.close();
  });

  it('is the same on pages opened at once right after sign-in, so the forms of each are accepted', async () => {
    const user = await createUser({ role: 'applicant' });
    const a = agent(t.app);
    await signIn(a, user);
    const pages = await Promise.all(Array.from({ length: 4 }, () => a.get('/account').set('Accept', 'text/html')));
    const tokens = new Set(pages.map((p) => csrfFrom(p.text)));
    expect(tokens.size).to.equal(1);
    const res = await a.post('/account').type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(pages[0]!.text), name: 'Nguyễn Thị Bình', locale: 'en' });
    expect(res.status).to.not.equal(403);
  });
});
