import { Writable } from 'node:stream';
import { expect } from 'chai';
import type { Express } from 'express';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent } from '../support/http.ts';
import { createLogger } from '../../server/logger.ts';
import { createApp } from '../../server/http/app.ts';
import { createInstitute, createUser, signIn, TEST_PASSWORD } from '../support/factories.ts';
import { postForm } from './helpers.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { makePdf, tokenOf } from '../documents/support.ts';

describe('accounts: security log', function () {
  this.timeout(30_000);
  let t: TestApp;
  let app: Express;
  const lines: Array<Record<string, unknown>> = [];

  before(async () => {
    t = await startTestApp();
    const sink = new Writable({
      write(chunk, _enc, cb) {
        for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
        cb();
      },
    });
    app = createApp({ ...t.ctx, logger: createLogger('info', sink as never) });
  });
  after(async () => {
    await t.close();
  });

  const events = (name: string) => lines.filter((l) => l.security === name);

  it('logs sign-in failure and success with time, user, IP and request id, never the password', async () => {
    const user = await createUser({ role: 'leader' });
    await postForm(agent(app), '/signin', '/signin', { email: user.email, password: 'a wrong password here' });
    const failure = events('sign_in.failure').at(-1);
    expect(failure).to.include({ email: user.email });
    expect(failure?.ip).to.be.a('string');
    expect(failure?.reqId).to.be.a('string');
    expect(failure?.time).to.be.a('string');

    await signIn(agent(app), user);
    const ok = events('sign_in.success').at(-1);
    expect(ok).to.include({ userId: String(user._id), secondFactor: 'totp' });
    const all = JSON.stringify(lines);
    expect(all).not.to.include(TEST_PASSWORD);
    expect(all).not.to.include('a wrong password here');
  });

  it('keeps one-time tokens and the calendar feed token out of the access log', async () => {
    const token = 'Q'.repeat(43);
    await agent(app).get(`/password/reset/${token}`).set('Accept', 'text/html');
    await agent(app).get(`/invitations/${token}`).set('Accept', 'text/html');
    // The calendar feed's token is not one-time, but standing: anyone who reads the log could subscribe.
    await agent(app).get(`/calendar/${token}.ics`);
    const all = JSON.stringify(lines);
    expect(all).to.include('/password/reset/[redacted]');
    expect(all).to.include('/calendar/[redacted].ics');
    expect(all).not.to.include(token);
  });

  it('logs sign-out', async () => {
    const user = await createUser();
    const a = agent(app);
    await signIn(a, user);
    await postForm(a, '/account', '/signout', {});
    expect(events('sign_out').at(-1)).to.include({ userId: String(user._id) });
  });

  it('logs a refused field name the same way in a form and in an upload, with the path', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await createCase({ applicant, call: await createCall({ institute: await createInstitute(), checklist: [{ type: 'cv', phase: 'application', required: true }] as never }), stage: 'screening' });
    const a = agent(app);
    await signIn(a, applicant);
    const token = await tokenOf(a);
    const form = await a.post('/cases/filters').type('form').send({ _csrf: token, 'name[$ne]': 'x' });
    expect(form.status).to.equal(400);
    const upload = await a.post(`/cases/${c._id}/documents`).field('_csrf', token).set('Accept', 'application/json').field('$where', '1').attach('cv', await makePdf('cv'), 'cv.pdf');
    expect(upload.status).to.equal(400);
    const refused = (path: string) => events('input.refused').filter((e) => e.path === path);
    expect(refused('/cases/filters')).to.have.length(1);
    // The upload's fields are read after sign-in, so its line also names the user.
    expect(refused(`/cases/${c._id}/documents`)).to.have.length(1);
    expect(refused(`/cases/${c._id}/documents`)[0]).to.include({ userId: String(applicant._id), method: 'POST' });
  });

  it('logs a refused upload token as csrf.failed, and keeps an upload token in a header or an old query string out of the access log', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await createCase({ applicant, call: await createCall({ institute: await createInstitute(), checklist: [{ type: 'cv', phase: 'application', required: true }] as never }), stage: 'screening' });
    const a = agent(app);
    await signIn(a, applicant);
    const token = await tokenOf(a);
    const url = `/cases/${c._id}/documents`;
    // The token after the file: refused as the file begins, logged like any other form's.
    const late = await a.post(url).set('Accept', 'application/json').attach('cv', await makePdf('cv'), 'cv.pdf').field('_csrf', token);
    expect(late.status).to.equal(403);
    expect(events('csrf.failed').filter((e) => e.path === url)).to.have.length(1);
    expect(events('csrf.failed').find((e) => e.path === url)).to.include({ userId: String(applicant._id), method: 'POST' });
    // The page's script sends it in a header; a page from before this change put it in the address.
    const script = await a.post(url).set('Accept', 'application/json').set('X-CSRF-Token', token).attach('cv', await makePdf('cv'), 'cv.pdf');
    expect(script.status).to.equal(201);
    const old = await a.post(`${url}?_csrf=${token}`).set('Accept', 'application/json').attach('cv', await makePdf('cv'), 'cv.pdf');
    expect(old.status).to.equal(403);
    const access = lines.filter((l) => (l.req as { url?: string } | undefined)?.url?.startsWith(url));
    expect(access.map((l) => (l.res as { statusCode: number }).statusCode)).to.deep.equal([403, 201, 403]);
    expect(access[2]!.req).to.deep.include({ url: `${url}?_csrf=[redacted]` });
    // The line says who asked what and how it ended, not every header of both sides.
    // (userAgent and contentLength when the request or response has them)
    expect(['id', 'method', 'url', 'remoteAddress', 'userAgent']).to.include.members(Object.keys(access[2]!.req as object));
    expect(Object.keys(access[2]!.req as object)).to.include.members(['id', 'method', 'url']);
    expect(['statusCode', 'contentLength']).to.include.members(Object.keys(access[2]!.res as object));
    expect(JSON.stringify(access)).not.to.include(token);
    expect(JSON.stringify(lines)).to.not.include(token);
  });
});
