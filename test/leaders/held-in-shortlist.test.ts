// A candidate a leader put on hold after the panel stays on the ranked shortlist's default view for
// the institute's leaders (walk: the leader who held them found them only under "On hold after the
// panel"): ranked by their score among the others, marked held with the hold's reason (en, vi). The
// hidden-scores rule holds for them too: held while scoring was open and the leader has not scored,
// their place and score are not shown. Panel members, who may not see a held case, still do not.
// Real workflow steps on the real database, then the real page.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent } from '../support/http.ts';
import { createUser, signIn } from '../support/factories.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { Evaluation } from '../../models/evaluation.ts';
import type { UserDoc } from '../../models/user.ts';
import { transition } from '../../server/workflow/index.ts';
import { holdReviewDay } from '../support/hold.ts';
import { actorContext } from '../workflow/context.ts';
import { makeWorld, applicantCase, type World } from './context.ts';

const words = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/&#x27;/g, "'").replace(/\s+/g, ' ');

/** The shortlist's rows in page order: case id, rank cell and the row's words. */
function rowsOf(html: string): Array<{ id: string; rank: string; text: string }> {
  return [...html.matchAll(/<tr data-case="([0-9a-f]{24})">([\s\S]*?)<\/tr>/g)].map((m) => ({
    id: m[1]!,
    rank: words(/<td class="cell-rank"[^>]*>([\s\S]*?)<\/td>/.exec(m[2]!)?.[1] ?? '').trim(),
    text: words(m[2]!),
  }));
}

describe('leaders: a held candidate stays on the ranked shortlist, marked held with the reason', function () {
  this.timeout(60_000);
  let t: TestApp;
  let w: World;
  let leaderVi: UserDoc;
  let first: CaseDoc;
  let held: CaseDoc;
  let last: CaseDoc;
  let heldBlind: CaseDoc;
  const REASON = 'Waiting for the ministry budget letter before ranking.';
  const BLIND_REASON = 'Held while the panel still scores: second opinion asked.';

  async function hold(kase: CaseDoc, leader: UserDoc, note: string): Promise<CaseDoc> {
    const c = (await Case.findById(kase._id))!;
    return transition({ app: t.ctx, ctx: actorContext(t.ctx, leader), caseId: c._id, action: 'put_on_hold', expectedVersion: c.version, payload: { note, reviewBy: holdReviewDay() }, asDecision: true });
  }

  before(async () => {
    t = await startTestApp();
    w = await makeWorld();
    leaderVi = await createUser({ role: 'leader', institute: w.instituteId, name: 'Lãnh Đạo Hai', locale: 'vi' });
    // Shortlisted after the panel (scoring closed: every leader sees the scores): 4.5, 4.0 (then held), 3.0.
    const at = new Date(Date.now() - 86_400_000);
    const history = [
      { at, actor: w.member._id, actorRole: 'hr_officer', action: 'send_to_evaluation', from: 'screening', to: 'evaluation' },
      { at, actor: w.leader._id, actorRole: 'leader', action: 'shortlist', from: 'evaluation', to: 'shortlisted' },
    ];
    first = (await applicantCase(w.call, 'shortlisted', { score: 4.5, history, profile: { fullName: 'Ranked First' } })).kase;
    held = (await applicantCase(w.call, 'shortlisted', { score: 4.0, history, profile: { fullName: 'Held Second' } })).kase;
    last = (await applicantCase(w.call, 'shortlisted', { score: 3.0, history, profile: { fullName: 'Ranked Third' } })).kase;
    held = await hold(held, w.leader, REASON);
    // In evaluation, scored by the panel member only, then held: scoring is still open for the leaders.
    heldBlind = (await applicantCase(w.call, 'evaluation', { score: 4.8, profile: { fullName: 'Held Blind' } })).kase;
    await Evaluation.create({ case: heldBlind._id, call: w.call._id, member: w.member._id, scores: { research: 5, fit: 4 }, recommendation: 'yes', submittedAt: new Date() });
    heldBlind = await hold(heldBlind, w.leader, BLIND_REASON);
  });
  after(async () => {
    await t?.close();
  });

  it('the default view lists them in their place, marked held with the reason (en)', async () => {
    expect(held.stage).to.equal('on_hold');
    const a = agent(t.app);
    await signIn(a, w.leader);
    const res = await a.get(`/shortlists/${w.call._id}`).set('Accept', 'text/html');
    expect(res.status).to.equal(200);
    const rows = rowsOf(res.text);
    const ids = rows.map((r) => r.id);
    // Ranked among the others by score: 4.5, then the held 4.0, then 3.0.
    expect(ids.indexOf(String(first._id))).to.be.lessThan(ids.indexOf(String(held._id)));
    expect(ids.indexOf(String(held._id))).to.be.lessThan(ids.indexOf(String(last._id)));
    const row = rows.find((r) => r.id === String(held._id))!;
    expect(row.rank).to.match(/^\d+$/);
    expect(Number(row.rank)).to.equal(Number(rows.find((r) => r.id === String(first._id))!.rank) + 1);
    expect(row.text).to.include('On hold');
    expect(row.text).to.include(`Held: ${REASON}`);
    expect(row.text).to.match(/4[.,]00?/);
    // Not marked on the others.
    expect(rows.find((r) => r.id === String(first._id))!.text).not.to.include('Held:');
  });

  it('keeps the hidden-scores rule: one held while scoring was open has no place and no score for a leader who has not scored', async () => {
    const a = agent(t.app);
    await signIn(a, w.leader);
    const rows = rowsOf((await a.get(`/shortlists/${w.call._id}`).set('Accept', 'text/html')).text);
    const blind = rows.find((r) => r.id === String(heldBlind._id));
    expect(blind, 'listed').to.not.equal(undefined);
    expect(blind!.rank).to.equal('—');
    expect(blind!.text).not.to.match(/4[.,]80?/);
    expect(blind!.text).to.include(`Held: ${BLIND_REASON}`);
    // After the ranked rows, not placed by the score it hides.
    const ids = rows.map((r) => r.id);
    expect(ids.indexOf(String(heldBlind._id))).to.be.greaterThan(ids.indexOf(String(last._id)));
  });

  it('in Vietnamese: marked "Tạm dừng" with the reason', async () => {
    const a = agent(t.app);
    await signIn(a, leaderVi);
    const rows = rowsOf((await a.get(`/shortlists/${w.call._id}`).set('Accept', 'text/html')).text);
    const row = rows.find((r) => r.id === String(held._id))!;
    expect(row.text).to.include('Tạm dừng');
    expect(row.text).to.include(`Lý do tạm dừng: ${REASON}`);
  });

  it('a panel member (who may not open a held case) still does not see them on the list', async () => {
    const a = agent(t.app);
    await signIn(a, w.member);
    const res = await a.get(`/shortlists/${w.call._id}`).set('Accept', 'text/html');
    expect(res.status).to.equal(200);
    const ids = rowsOf(res.text).map((r) => r.id);
    expect(ids).to.include(String(first._id));
    expect(ids).not.to.include(String(held._id));
    expect(ids).not.to.include(String(heldBlind._id));
    expect(res.text).not.to.include(REASON);
  });
});
