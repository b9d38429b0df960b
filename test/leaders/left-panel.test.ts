// A case that reached the panel and then left its line (withdrawn, the offer declined, put on hold)
// opens for every leader of its institute, so the dashboard's "Recent decisions" links never answer
// 404; it stays hidden from everyone else (other institutes' leaders, panel members, applicants).
// Real workflow steps against the real database, then real HTTP.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent, type Agent } from '../support/http.ts';
import { createUser, signIn } from '../support/factories.ts';
import { createCall } from '../support/case-factories.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { Evaluation } from '../../models/evaluation.ts';
import type { UserDoc } from '../../models/user.ts';
import { transition } from '../../server/workflow/index.ts';
import { holdReviewDay } from '../support/hold.ts';
import { actorContext } from '../workflow/context.ts';
import { makeWorld, applicantCase, type World } from './context.ts';

/** The dashboard's "Recent decisions" row of a case (its <tr>); undefined when it is not listed. */
function dashboardRow(html: string, reference: string): string | undefined {
  const table = /id="recent-decisions">([\s\S]*?)<\/section>/.exec(html)?.[1] ?? '';
  const at = table.indexOf(reference);
  return at < 0 ? undefined : table.slice(table.lastIndexOf('<tr>', at), table.indexOf('</tr>', at));
}

describe('leaders: a case that left the panel (withdrawn, declined, held) opens from every link they are shown', function () {
  this.timeout(60_000);
  let t: TestApp;
  let w: World;
  let leader2: UserDoc;
  let l2: Agent;
  let applicants: Map<string, UserDoc>;
  let left: Record<'withdrawn' | 'declined' | 'held' | 'heldFromShortlist', CaseDoc>;
  let heldAtScreening: CaseDoc;

  async function step(kase: CaseDoc, actor: UserDoc, action: string, opts: { payload?: Record<string, unknown>; decision?: { name: string; reason?: string }; asDecision?: boolean } = {}): Promise<CaseDoc> {
    const current = (await Case.findById(kase._id))!;
    return transition({ app: t.ctx, ctx: actorContext(t.ctx, actor), caseId: current._id, action: action as never, expectedVersion: current.version, ...opts });
  }
  const leaderDecision = (kase: CaseDoc, action: 'shortlist' | 'approve_offer', reason: string) => step(kase, w.leader, action, { payload: { note: reason }, asDecision: true, decision: { name: action, reason } });
  const hold = (kase: CaseDoc, actor: UserDoc, reason: string) => step(kase, actor, 'put_on_hold', { payload: { reason, reviewBy: holdReviewDay() }, decision: { name: 'put_on_hold', reason } });

  async function atEvaluation(): Promise<CaseDoc> {
    const { applicant, kase } = await applicantCase(w.call, 'evaluation');
    applicants.set(String(kase._id), applicant);
    // Another panel member scored it: neither leader2 nor the other users below did.
    await Evaluation.create({ case: kase._id, call: w.call._id, member: w.member._id, scores: { research: 4, fit: 3 }, recommendation: 'yes', submittedAt: new Date() });
    return kase;
  }

  before(async () => {
    t = await startTestApp();
    w = await makeWorld();
    applicants = new Map();
    // A leader of the institute who neither scored nor decided any of these cases.
    leader2 = await createUser({ role: 'leader', institute: w.instituteId, name: 'Second Leader', locale: 'en' });
    l2 = agent(t.app);
    await signIn(l2, leader2);

    const withdrawn = await leaderDecision(await atEvaluation(), 'shortlist', 'Strong lab plan.');
    const declinedOffer = await leaderDecision(await leaderDecision(await atEvaluation(), 'shortlist', 'Ranked first.'), 'approve_offer', 'Budget confirmed.');
    const heldFromShortlist = await leaderDecision(await atEvaluation(), 'shortlist', 'Ranked second.');
    left = {
      withdrawn: await step(withdrawn, applicants.get(String(withdrawn._id))!, 'withdraw'),
      declined: await step(declinedOffer, applicants.get(String(declinedOffer._id))!, 'decline_offer', { payload: { reason: 'Another position.' }, decision: { name: 'decline_offer' } }),
      held: await hold(await atEvaluation(), w.member, 'Waiting for the 2027 budget.'),
      heldFromShortlist: await hold(heldFromShortlist, w.admin, 'Post frozen until the budget review.'),
    };
    // Held by an administrator at screening: never before the panel.
    const { applicant, kase } = await applicantCase(w.call, 'screening');
    applicants.set(String(kase._id), applicant);
    heldAtScreening = await hold(kase, w.admin, 'Paused before screening ends.');
  });
  after(async () => {
    await t?.close();
  });

  const shortlistUrl = (c: CaseDoc) => `/shortlists/${w.call._id}/cases/${c._id}`;
  const get = (a: Agent, url: string) => a.get(url).set('Accept', 'text/html');

  it('left the panel as the steps say (stages, and reached the panel)', () => {
    expect(Object.fromEntries(Object.entries(left).map(([k, c]) => [k, c.stage]))).to.deep.equal({ withdrawn: 'withdrawn', declined: 'withdrawn', held: 'on_hold', heldFromShortlist: 'on_hold' });
    for (const c of Object.values(left)) expect(c.reached).to.include('evaluation');
    expect(heldAtScreening.reached).not.to.include('evaluation');
  });

  it("links each of them from another leader's dashboard to its shortlist page, which opens (200), as does the case page", async () => {
    const dash = await get(l2, '/dashboard');
    expect(dash.status).to.equal(200);
    for (const [name, c] of Object.entries(left)) {
      const row = dashboardRow(dash.text, c.reference);
      expect(row, `a row for the ${name} case`).to.be.a('string');
      expect(row, name).to.include(`href="${shortlistUrl(c)}"`);
      const opened = await get(l2, shortlistUrl(c));
      expect(opened.status, `${name}: shortlist page`).to.equal(200);
      expect(opened.text, name).to.include(c.reference);
      expect((await get(l2, `/cases/${c._id}`)).status, `${name}: case page`).to.equal(200);
    }
  });

  it('gives no link for a decision taken before the panel, and that case stays hidden from the leader', async () => {
    const row = dashboardRow((await get(l2, '/dashboard')).text, heldAtScreening.reference);
    expect(row, 'the hold is listed').to.be.a('string');
    expect(row).not.to.include('href=');
    expect((await get(l2, shortlistUrl(heldAtScreening))).status).to.equal(404);
    expect((await get(l2, `/cases/${heldAtScreening._id}`)).status).to.equal(404);
  });

  it('stays hidden from other institutes\' leaders, panel members (with a seat on the call or not) and applicants', async () => {
    const seated = await createUser({ role: 'hr_officer', institute: w.otherInstituteId, panelCalls: [w.call._id] });
    const seatedLeader = await createUser({ role: 'leader', institute: w.otherInstituteId, panelCalls: [w.call._id] });
    const unseated = await createUser({ role: 'hr_officer', institute: w.otherInstituteId, panelCalls: [(await createCall({ institute: w.otherInstituteId, status: 'closed' }))._id] });
    const otherApplicant = await createUser({ role: 'applicant' });
    for (const user of [w.otherLeader, seated, seatedLeader, unseated, otherApplicant]) {
      const a = agent(t.app);
      await signIn(a, user);
      const dash = await get(a, '/dashboard');
      for (const [name, c] of Object.entries(left)) {
        const who = `${user.role} ${user.name}, ${name}`;
        // The call's shortlist is refused (403) to those without a seat; a seat does not open these cases (404).
        expect((await get(a, shortlistUrl(c))).status, `${who}: shortlist page`).to.be.oneOf(user === seated || user === seatedLeader ? [404] : [403, 404]);
        expect((await get(a, `/cases/${c._id}`)).status, `${who}: case page`).to.be.oneOf(user.role === 'applicant' ? [403, 404] : [404]);
        if (dash.status === 200) expect(dash.text, `${who}: dashboard`).not.to.include(shortlistUrl(c));
      }
    }
    // The applicant of a withdrawn case still reads their own application (nothing here takes it from them).
    const own = agent(t.app);
    await signIn(own, applicants.get(String(left.withdrawn._id))!);
    expect((await get(own, `/applications/${left.withdrawn._id}`)).status).to.equal(200);
  });
});
