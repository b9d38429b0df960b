// Filters that cannot be read (an address edited by hand, or hostile) on the shortlist, the
// dashboard and the steering report: the page with its form, the filters as typed, a message beside
// each wrong one in the page's language, the others applied (422), never a bare 400 page.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent, type Agent } from '../support/http.ts';
import { createUser, signIn } from '../support/factories.ts';
import { makeWorld, applicantCase, type World } from './context.ts';
import { translator } from '../../server/i18n/index.ts';

describe('leaders: unreadable filters keep the form', () => {
  let t: TestApp;
  let w: World;
  let en: Agent;
  let vi: Agent;
  before(async () => {
    t = await startTestApp();
    w = await makeWorld();
    await applicantCase(w.call, 'evaluation');
    en = agent(t.app);
    await signIn(en, w.leader);
    vi = agent(t.app);
    await signIn(vi, await createUser({ role: 'leader', institute: w.instituteId, locale: 'vi' }));
  });
  after(async () => {
    await t?.close();
  });

  const html = (a: Agent, url: string) => a.get(url).set('Accept', 'text/html');

  it('shortlist: a minimum score that is not a number is said beside it, in the page language, the other filters kept and applied', async () => {
    const res = await html(en, `/shortlists/${w.call._id}?minScore=abc&stage=evaluation&country=de&sort=name`);
    expect(res.status).to.equal(422);
    expect(res.text).to.include('id="f-minScore-error">The minimum score is a number from 0 to 5.<');
    expect(res.text).to.include('name="minScore" type="number" min="0" max="5" step="0.1" value="abc" aria-invalid="true"');
    expect(res.text).to.include('<option value="evaluation" selected>');
    expect(res.text).to.include('value="de"');
    expect(res.text).to.include('1 candidate'); // the other filters still apply: the evaluation case is listed
    const viRes = await html(vi, `/shortlists/${w.call._id}?minScore=9&track=nope`);
    expect(viRes.status).to.equal(422);
    expect(viRes.text).to.include(`id="f-minScore-error">${translator('vi')('shortlists.errors.filter.minScore')}<`);
    expect(viRes.text).to.include(`id="f-track-error">${translator('vi')('shortlists.errors.filter.track')}<`);
    // A good address is unchanged.
    expect((await html(en, `/shortlists/${w.call._id}?minScore=&stage=evaluation`)).status).to.equal(200);
  });

  it('shortlist: hostile query strings (operators, prototype names, lists) get the same 422 and pollute nothing', async () => {
    for (const qs of ['minScore[$gt]=', '__proto__[x]=1', 'minScore=1&minScore=2', 'constructor[prototype][y]=1', 'stage[]=evaluation']) {
      const res = await html(en, `/shortlists/${w.call._id}?${qs}`);
      expect(res.status, qs).to.equal(422);
      expect(res.text, qs).to.include('id="f-sort"'); // the form is there
      expect(res.text, qs).to.match(/id="f-(form|minScore|stage)-error">[^<]+</);
    }
    expect(({} as Record<string, unknown>).x).to.equal(undefined);
    expect(({} as Record<string, unknown>).y).to.equal(undefined);
  });

  it('dashboard: a call id that cannot be read, a list of dates and a bracketed name are said on the page too (422)', async () => {
    const call = await html(en, '/dashboard?call=nonsense&from=2026-01-01');
    expect(call.status).to.equal(422);
    expect(call.text).to.include('id="f-call-error">These filters could not be read.<');
    expect(call.text).to.include('value="01/01/2026"');
    const twice = await html(en, '/dashboard?from=2026-01-01&from=2026-02-01');
    expect(twice.status).to.equal(422);
    expect(twice.text).to.match(/id="f-from-error">[^<]+</);
    const hostile = await html(vi, '/dashboard?from[$gt]=2026-01-01');
    expect(hostile.status).to.equal(422);
    expect(hostile.text).to.include(`id="f-form-error">${translator('vi')('dashboard.errors.badFilter')}<`);
  });

  for (const path of ['/reports/steering', '/reports/steering.csv', '/reports/steering.pdf']) {
    it(`report ${path}: a period that ends before it starts answers with the dashboard's form, the dates kept and the message beside them (422)`, async () => {
      const res = await html(vi, `${path}?from=2026-12-31&to=2026-01-01&call=${w.call._id}`);
      expect(res.status).to.equal(422);
      expect(res.headers['content-type']).to.match(/^text\/html/);
      expect(res.headers['content-disposition']).to.equal(undefined);
      expect(res.text).to.include(`id="f-to-error">${translator('vi')('dashboard.errors.badPeriod')}<`);
      expect(res.text).to.include('value="31/12/2026"');
      expect(res.text).to.include('value="01/01/2026"');
      expect(res.text).to.include(`<option value="${w.call._id}" selected>`);
      const hostile = await html(en, `${path}?__proto__[x]=1&to=2026-01-01`);
      expect(hostile.status).to.equal(422);
      expect(hostile.text).to.include('id="f-form-error">These filters could not be read.<');
    });
  }
});
