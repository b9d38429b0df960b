import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent, csrfFrom, type Agent } from '../support/http.ts';
import { createUser, signIn } from '../support/factories.ts';
import { Evaluation } from '../../models/evaluation.ts';
import { Case } from '../../models/case.ts';
import { makeWorld, applicantCase, type World } from './context.ts';
import type { CaseDoc } from '../../models/case.ts';

describe('leaders: access across institutes and panels', () => {
  let t: TestApp;
  let w: World;
  let kase: CaseDoc; // in w.call (institute A)
  let otherKase: CaseDoc; // in w.otherCall (institute B)
  let otherLeader: Agent;
  before(async () => {
    t = await startTestApp();
    w = await makeWorld();
    kase = (await applicantCase(w.call, 'evaluation')).kase;
    otherKase = (await applicantCase(w.otherCall, 'evaluation')).kase;
    otherLeader = agent(t.app);
    await signIn(otherLeader, w.otherLeader);
  });
  after(async () => {
    await t?.close();
  });

  const json = (a: Agent, url: string) => a.get(url).set('Accept', 'application/json');

  it("lists only the leader's own institute's calls, and refuses another institute's shortlist, comparison and case", async () => {
    const list = await otherLeader.get('/shortlists').set('Accept', 'text/html');
    expect(list.status).to.equal(200);
    expect(list.text).to.include(`/shortlists/${w.otherCall._id}`);
    expect(list.text).not.to.include(`/shortlists/${w.call._id}`);
    expect((await json(otherLeader, `/shortlists/${w.call._id}`)).status).to.equal(403);
    expect((await json(otherLeader, `/shortlists/${w.call._id}/cases/${kase._id}`)).status).to.equal(403);
    expect((await json(otherLeader, `/shortlists/${w.call._id}/compare?ids=${kase._id},${kase._id}`)).status).to.equal(403);
    // A case of another call cannot be reached through one's own call either.
    expect((await json(otherLeader, `/shortlists/${w.otherCall._id}/cases/${kase._id}`)).status).to.equal(404);
    expect((await json(otherLeader, `/shortlists/${w.otherCall._id}`)).status).to.equal(200);
  });

  it("refuses another institute's leader scoring or deciding, and changes nothing", async () => {
    const page = await otherLeader.get('/shortlists').set('Accept', 'text/html');
    const token = csrfFrom(page.text);
    const score = await otherLeader.post(`/shortlists/${w.call._id}/cases/${kase._id}/evaluation`).type('form').set('Accept', 'application/json').send({ _csrf: token, score_research: '5', recommendation: 'yes' });
    expect(score.status).to.equal(403);
    const decide = await otherLeader.post(`/shortlists/${w.call._id}/cases/${kase._id}/decision`).type('form').set('Accept', 'application/json').send({ _csrf: token, action: 'shortlist', version: String(kase.version) });
    expect(decide.status).to.equal(403);
    // Through their own call id with a foreign case id: not found.
    const sneaky = await otherLeader.post(`/shortlists/${w.otherCall._id}/cases/${kase._id}/decision`).type('form').set('Accept', 'application/json').send({ _csrf: token, action: 'shortlist', version: String(kase.version) });
    expect(sneaky.status).to.equal(404);
    expect(await Evaluation.countDocuments({ case: kase._id })).to.equal(0);
    expect((await Case.findById(kase._id).lean())!.stage).to.equal('evaluation');
  });

  it('shows a panel member only the calls they sit on, including an external reviewer from another institute', async () => {
    const a = agent(t.app);
    await signIn(a, w.member);
    const list = await a.get('/shortlists').set('Accept', 'text/html');
    expect(list.text).to.include(`/shortlists/${w.call._id}`);
    expect((await json(a, `/shortlists/${w.otherCall._id}`)).status).to.equal(403);
    expect((await json(a, `/shortlists/${w.otherCall._id}/cases/${otherKase._id}`)).status).to.equal(403);

    const external = await createUser({ role: 'hr_officer', institute: w.otherInstituteId, panelCalls: [w.call._id] });
    const e = agent(t.app);
    await signIn(e, external);
    expect((await json(e, `/shortlists/${w.call._id}`)).status).to.equal(200);
    expect((await json(e, `/shortlists/${w.otherCall._id}`)).status).to.equal(403); // own institute, but not on that panel
    // ...and the dashboard stays limited to their own institute.
    expect((await json(e, `/dashboard?call=${w.call._id}`)).status).to.equal(403);
  });

  it('refuses shortlists to HR officers off the panel and to applicants', async () => {
    const hr = await createUser({ role: 'hr_officer', institute: w.instituteId });
    const h = agent(t.app);
    await signIn(h, hr);
    expect((await json(h, `/shortlists/${w.call._id}`)).status).to.equal(403);
    const list = await h.get('/shortlists').set('Accept', 'text/html');
    expect(list.text).not.to.include(`/shortlists/${w.call._id}`);
    const applicant = await createUser({ role: 'applicant' });
    const ap = agent(t.app);
    await signIn(ap, applicant);
    for (const url of ['/shortlists', `/shortlists/${w.call._id}`, '/dashboard', '/reports/steering', '/reports/steering.csv', '/reports/steering.pdf', `/admin/calls/${w.call._id}/panel`]) {
      expect((await json(ap, url)).status, url).to.equal(403);
    }
  });

  it("limits the dashboard and reports to the user's institute and refuses another institute's call", async () => {
    expect((await json(otherLeader, `/dashboard?call=${w.call._id}`)).status).to.equal(403);
    expect((await json(otherLeader, `/reports/steering.csv?call=${w.call._id}`)).status).to.equal(403);
    // A leader cannot widen the scope with ?institute= (only administrators choose an institute).
    const csv = await otherLeader.get(`/reports/steering.csv?institute=${w.instituteId}&lang=en`);
    expect(csv.status).to.equal(200);
    expect(csv.text).to.include('Submitted applications,1'); // their own single case, not institute A's
    const admin = agent(t.app);
    await signIn(admin, w.admin);
    const adminCsv = await admin.get(`/reports/steering.csv?institute=${w.instituteId}&lang=en`);
    expect(adminCsv.text).to.include('Submitted applications,1');
    expect((await json(admin, `/dashboard?institute=${w.instituteId}&call=${w.otherCall._id}`)).status).to.equal(403);
  });

  it('answers a period that ends before it starts beside the dates, keeping them and the dashboard (422, not a 400 page)', async () => {
    const a = agent(t.app);
    await signIn(a, w.leader);
    const res = await a.get(`/dashboard?from=2026-12-31&to=2026-01-01&call=${w.call._id}`).set('Accept', 'text/html');
    expect(res.status).to.equal(422);
    expect(res.text).to.match(/id="f-to-error">[^<]+</);
    expect(res.text).to.include('value="31/12/2026"');
    expect(res.text).to.include('value="01/01/2026"');
    expect(res.text).to.include(`<option value="${w.call._id}" selected>`); // the other filters kept
    expect(res.text).to.include('id="f-call"');
    // A day not written YYYY-MM-DD (an address edited by hand) is said the same way, kept as typed.
    const badDay = await a.get('/dashboard?from=yesterday').set('Accept', 'text/html');
    expect(badDay.status).to.equal(422);
    expect(badDay.text).to.include('The period’s days are not dates: choose them in the calendar');
    expect(badDay.text).to.include('value="yesterday"');
    expect(badDay.text).to.include('id="f-call"');
    // A call id that cannot be read is said beside the call (test/leaders/bad-filters.test.ts).
    expect((await a.get('/dashboard?call=nonsense').set('Accept', 'text/html')).status).to.equal(422);
  });

  it('keeps the panel page to administrators', async () => {
    const l = agent(t.app);
    await signIn(l, w.leader);
    expect((await json(l, `/admin/calls/${w.call._id}/panel`)).status).to.equal(403);
  });
});
