// A leader who has just decided and opens the dashboard sees the case in its new stage at once
// (walk32 #3), although the full figures are recomputed by the background job only later: the
// decision moves its case between the stored stage counts (server/dashboard/stored.ts applyStageMove).
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent, followConfirm, submitForm, type Agent } from '../support/http.ts';
import { signIn } from '../support/factories.ts';
import { Case } from '../../models/case.ts';
import { Evaluation } from '../../models/evaluation.ts';
import { DashboardFigures } from '../../models/dashboard-figures.ts';
import { clearDashboardCache } from '../../server/dashboard/index.ts';
import { figuresKey } from '../../server/dashboard/stored.ts';
import { refreshViewedDashboards, warmDashboards } from '../../server/dashboard/job.ts';
import type { CaseDoc } from '../../models/case.ts';
import { makeWorld, applicantCase, type World } from './context.ts';

function decodeHtml(s: string): string {
  return s.replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(parseInt(h, 16))).replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d))).replace(/&quot;/g, '"').replace(/&amp;/g, '&');
}

/** The funnel table's row for a stage: [now, reached]. */
function funnelRow(html: string, label: string): [number, number] | undefined {
  const table = /id="fig-funnel"[\s\S]*?<\/table>/.exec(html)?.[0] ?? '';
  for (const row of table.split('<tr').slice(1)) {
    const cells = [...row.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((m) => decodeHtml(m[1]!.replace(/<[^>]+>/g, '').trim()));
    if (cells[0] === label) return [Number(cells[1]!.replace(/\D/g, '')), Number(cells[2]!.replace(/\D/g, ''))];
  }
  return undefined;
}

describe('leaders: their own decision shows on the dashboard at once', function () {
  this.timeout(60_000);
  let t: TestApp;
  let w: World;
  let leader: Agent;
  let kases: CaseDoc[];
  before(async () => {
    t = await startTestApp();
    await clearDashboardCache();
    w = await makeWorld();
    kases = [];
    for (let i = 0; i < 3; i += 1) {
      const { kase } = await applicantCase(w.call, 'evaluation', { submittedAt: new Date('2026-11-02T03:00:00Z') });
      await Evaluation.create({ case: kase._id, call: kase.call, member: w.member._id, scores: { research: 4, fit: 3 }, recommendation: 'yes', submittedAt: new Date() });
      kases.push(kase);
    }
    leader = agent(t.app);
    await signIn(leader, w.leader);
  });
  after(async () => {
    await clearDashboardCache();
    await t?.close();
  });

  const caseUrl = (caseId: unknown) => `/shortlists/${w.call._id}/cases/${caseId}`;
  async function decide(kase: CaseDoc, action: string, reason: string) {
    const version = String((await Case.findById(kase._id).lean())!.version);
    // The leader has not scored these cases: ticked, as the form asks (lead s35).
    const page = await followConfirm(leader, await submitForm(leader, caseUrl(kase._id), { action, version, reason, withoutScores: '1' }, `${caseUrl(kase._id)}/decision`));
    expect(page.status, page.text.slice(0, 600)).to.equal(200);
    const form = /<form method="post" action="([^"]+\/decision\/confirm)"[\s\S]*?<\/form>/.exec(page.text)!;
    const fields: Record<string, string> = {};
    for (const m of form[0].matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields[m[1]!] = decodeHtml(m[2]!);
    for (const m of form[0].matchAll(/<textarea id="[^"]+" name="([^"]+)"[^>]*>([\s\S]*?)<\/textarea>/g)) fields[m[1]!] = decodeHtml(m[2]!);
    const res = await leader.post(form[1]!).type('form').set('Accept', 'text/html').send(fields);
    expect(res.status, res.text.slice(0, 600)).to.equal(303);
  }
  const dashboard = async () => {
    const res = await leader.get('/dashboard').set('Accept', 'text/html');
    expect(res.status).to.equal(200);
    return res.text;
  };

  it('counts the shortlisted case in its new stage on the next view, before the job has recomputed, and the recomputation agrees', async () => {
    await warmDashboards({ now: () => new Date() });
    const first = await dashboard();
    expect(funnelRow(first, 'Evaluation'), 'three in evaluation').to.deep.equal([3, 3]);
    expect(funnelRow(first, 'Shortlisted')?.[0]).to.equal(0);
    const computedAt = (await DashboardFigures.findOne({ key: figuresKey({ institute: w.instituteId }) }).lean())!.computedAt;

    await decide(kases[0]!, 'shortlist', 'Strong publication record and a clear plan.');
    const after = await dashboard();
    expect(funnelRow(after, 'Evaluation')?.[0], 'one fewer in evaluation').to.equal(2);
    expect(funnelRow(after, 'Shortlisted'), 'now and reached').to.deep.equal([1, 1]);
    expect(after).to.include('id="figures-moved"');
    expect(after, 'the full figures are still said to be coming').to.include('id="figures-updating"');
    const stored = (await DashboardFigures.findOne({ key: figuresKey({ institute: w.instituteId }) }).lean())!;
    expect(stored.computedAt?.getTime(), 'not recomputed on the request').to.equal(computedAt?.getTime());

    // A rejection from the shortlist: out of shortlisted, into rejected.
    await decide(kases[0]!, 'reject', 'Budget line for the lab was not renewed.');
    const rejected = await dashboard();
    expect(funnelRow(rejected, 'Shortlisted')?.[0]).to.equal(0);
    expect(funnelRow(rejected, 'Rejected')?.[0]).to.equal(1);

    // The job's recomputation gives the same counts, and the page no longer says decisions were moved in.
    expect(await refreshViewedDashboards({ now: () => new Date() })).to.be.at.least(1);
    await new Promise((r) => setTimeout(r, 5_100)); // past this process's copy of the figures
    const recomputed = await dashboard();
    expect(funnelRow(recomputed, 'Evaluation')?.[0]).to.equal(2);
    expect(funnelRow(recomputed, 'Shortlisted')).to.deep.equal([0, 1]);
    expect(funnelRow(recomputed, 'Rejected')?.[0]).to.equal(1);
    expect(recomputed).not.to.include('id="figures-moved"');
  });

  it('leaves figures of another call alone', async () => {
    const otherKey = figuresKey({ institute: w.instituteId, call: w.otherCall._id });
    // A call of another institute is never in this institute's scope; a made-up filter of this institute with another call id:
    await DashboardFigures.create({ key: otherKey, institute: w.instituteId, plain: false, computedAt: new Date(Date.now() - 1000), data: { stages: [{ stage: 'evaluation', now: 5, reached: 5 }, { stage: 'shortlisted', now: 0, reached: 0 }] } });
    await decide(kases[1]!, 'shortlist', 'A second strong candidate, budget confirmed.');
    const other = (await DashboardFigures.findOne({ key: otherKey }).lean())!;
    expect((other.data as { stages: Array<{ now: number }> }).stages.map((s) => s.now)).to.deep.equal([5, 0]);
    const own = (await DashboardFigures.findOne({ key: figuresKey({ institute: w.instituteId }) }).lean())!;
    expect((own.data as { stages: Array<{ stage: string; now: number }> }).stages.find((s) => s.stage === 'shortlisted')?.now).to.equal(1);
  });
});
