// The dashboard's stored figures over HTTP (server/dashboard/stored.ts, job.ts): a page never waits
// for the minute's recomputation, shows the figures' time, says when newer ones are coming, and
// shows a write once the background job has run; filters keep their own figures; figures nobody
// has computed yet are computed on demand, or said to be in preparation after a bounded wait.
import { expect } from 'chai';
import { translator } from '../../server/i18n/index.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent, type Agent } from '../support/http.ts';
import { createInstitute, createUser, signIn } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import type { InstituteDoc } from '../../models/institute.ts';
import type { CallDoc } from '../../models/call.ts';
import { DashboardFigures } from '../../models/dashboard-figures.ts';
import { clearDashboardCache, invalidateDashboard } from '../../server/dashboard/index.ts';
import { figuresKey } from '../../server/dashboard/stored.ts';
import { refreshViewedDashboards, warmDashboards } from '../../server/dashboard/job.ts';

const en = translator('en');
let clock = new Date('2026-06-01T03:00:00Z');

describe('leaders: the dashboard serves stored figures, kept current in the background', function () {
  this.timeout(30_000);
  let t: TestApp;
  let inst: InstituteDoc;
  let call: CallDoc;
  let other: CallDoc;
  let leader: Agent;

  const submitted = async (c: CallDoc, at: string) => {
    const applicant = await createUser({ role: 'applicant' });
    return createCase({ applicant: applicant._id, call: c, stage: 'submitted', submittedAt: new Date(`${at}T02:00:00Z`), history: [{ at: new Date(`${at}T02:00:00Z`), actor: applicant._id, actorRole: 'applicant', action: 'submit', from: 'draft', to: 'submitted' }] });
  };
  const page = async (query = '') => {
    const res = await leader.get(`/dashboard${query}`).set('Accept', 'text/html');
    expect(res.status).to.equal(200);
    return res.text;
  };
  const total = (html: string) => /<strong>(\d+) submitted applications?<\/strong>/.exec(html)?.[1];
  const asOf = (html: string) => /figures as of ([^<·]+?)(?: ·|<)/.exec(html)?.[1];
  const job = () => refreshViewedDashboards({ now: () => clock });

  before(async () => {
    t = await startTestApp({ now: () => clock });
    await clearDashboardCache();
    inst = await createInstitute();
    call = await createCall({ institute: inst._id, track: 'expert', status: 'open' });
    other = await createCall({ institute: inst._id, track: 'researcher', status: 'open' });
    await submitted(call, '2026-01-10');
    await submitted(call, '2026-02-10');
    await submitted(other, '2026-05-10');
    const user = await createUser({ role: 'leader', institute: inst._id, locale: 'en' });
    leader = agent(t.app);
    await signIn(leader, user);
  });
  after(async () => {
    await clearDashboardCache();
    await t?.close();
  });

  it('warms the plain figures of an institute with a leader, so the first view computes nothing', async () => {
    expect(await warmDashboards({ now: () => clock })).to.be.at.least(1);
    const stored = await DashboardFigures.findOne({ key: figuresKey({ institute: inst._id }) }).lean();
    expect(stored?.computedAt, 'stored before any view').to.be.instanceOf(Date);
    expect(stored?.viewedAt ?? null, 'warming is not a view').to.equal(null);
    // Fresh figures are not computed again.
    expect(await warmDashboards({ now: () => clock })).to.equal(0);
    const html = await page();
    expect(total(html)).to.equal('3');
    expect(asOf(html)).to.equal('1 Jun 2026, 10:00 (UTC+7)');
    expect(html).not.to.include('id="figures-updating"');
    const viewed = await DashboardFigures.findOne({ key: figuresKey({ institute: inst._id }) }).lean();
    expect(viewed?.viewedAt, 'the view is recorded').to.be.instanceOf(Date);
  });

  it('shows a write after the job has run: the figures as they were until then, saying newer ones are coming', async () => {
    await submitted(call, '2026-03-10');
    clock = new Date('2026-06-01T03:05:00Z');
    await invalidateDashboard(inst._id);
    const meanwhile = await page();
    expect(total(meanwhile), 'not recomputed on the request').to.equal('3');
    expect(asOf(meanwhile)).to.equal('1 Jun 2026, 10:00 (UTC+7)');
    expect(meanwhile).to.include(`id="figures-updating">${en('dashboard.updating')}<`);
    expect(await job()).to.equal(1);
    const after = await page();
    expect(total(after)).to.equal('4');
    expect(asOf(after)).to.equal('1 Jun 2026, 10:05 (UTC+7)');
    expect(after).not.to.include('id="figures-updating"');
  });

  it('recomputes viewed figures once they are a minute old, even without a marked write; not those unviewed for an hour', async () => {
    await submitted(other, '2026-05-20');
    const key = figuresKey({ institute: inst._id });
    expect(await job(), 'still fresh').to.equal(0);
    await DashboardFigures.updateOne({ key }, { $set: { computedAt: new Date(Date.now() - 61_000) } });
    clock = new Date('2026-06-01T03:06:00Z');
    expect(await job()).to.equal(1);
    expect(total(await page())).to.equal('5');
    // Unviewed for over an hour: left as they are until someone looks.
    await DashboardFigures.updateOne({ key }, { $set: { computedAt: new Date(Date.now() - 2 * 3_600_000), viewedAt: new Date(Date.now() - 2 * 3_600_000) } });
    expect(await job()).to.equal(0);
  });

  it('keeps each filter its own figures: a call and a period, computed on the first view', async () => {
    const byCall = await page(`?call=${call._id}`);
    expect(total(byCall)).to.equal('3');
    const byPeriod = await page('?from=2026-02-01&to=2026-05-15');
    expect(total(byPeriod)).to.equal('3'); // February, March and May 10
    const both = await page(`?call=${other._id}&from=2026-05-01&to=2026-05-31`);
    expect(total(both)).to.equal('2');
    const keys = (await DashboardFigures.find({ institute: inst._id }, { key: 1 }).lean()).map((d) => d.key);
    expect(keys).to.include.members([figuresKey({ institute: inst._id, call: call._id }), figuresKey({ institute: inst._id, from: '2026-02-01', to: '2026-05-15' })]);
    // A write marks the filtered figures of the institute too, and the job recomputes them.
    await submitted(call, '2026-04-01');
    await invalidateDashboard(inst._id);
    expect(await job()).to.be.at.least(3);
    expect(total(await page(`?call=${call._id}`))).to.equal('4');
    expect(total(await page('?from=2026-02-01&to=2026-05-15'))).to.equal('4');
  });

  it('says the figures are being prepared when another computation holds them past the wait, keeping the filters', async () => {
    const filter = { institute: inst._id, from: '2026-01-01', to: '2026-01-31' };
    await DashboardFigures.create({ key: figuresKey(filter), institute: inst._id, computingUntil: new Date(Date.now() + 60_000) });
    const started = Date.now();
    const html = await page('?from=2026-01-01&to=2026-01-31');
    expect(Date.now() - started, 'a bounded wait').to.be.below(10_000);
    expect(html).to.include(`id="figures-preparing">${en('dashboard.preparing')}<`);
    expect(html).to.include('value="01/01/2026"').and.to.include('value="31/01/2026"');
    expect(total(html)).to.equal(undefined);
    // Once the other computation is over (here: its hold lapsed), the next view computes them.
    await DashboardFigures.updateOne({ key: figuresKey(filter) }, { $set: { computingUntil: new Date(Date.now() - 1) } });
    expect(total(await page('?from=2026-01-01&to=2026-01-31'))).to.equal('1');
  });
});
