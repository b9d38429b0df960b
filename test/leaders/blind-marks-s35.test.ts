// Follow-ups of the leader deciding while the panel's scores are hidden (lead s35): the marks of a
// decision taken without the panel's scores, or of scoring closed by a leader, read wherever decisions
// are listed (the dashboard's "Recent decisions"), in the reader's language; a case held while its
// scoring was open says scoring is paused (who held it, when HR resumes it), not "submit your
// scorecard" with no way to. Real database.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent, followConfirm, submitForm, type Agent, decodeHtml, words } from '../support/http.ts';
import { createUser, signIn } from '../support/factories.ts';
import { Evaluation } from '../../models/evaluation.ts';
import type { CaseDoc } from '../../models/case.ts';
import type { UserDoc } from '../../models/user.ts';
import { invalidateShortlist } from '../../server/evaluations/shortlist.ts';
import { Case } from '../../models/case.ts';
import { transition } from '../../server/workflow/index.ts';
import { formatDay } from '../../server/views/time.ts';
import { holdReviewDay } from '../support/hold.ts';
import { actorContext } from '../workflow/context.ts';
import { makeWorld, applicantCase as makeCase, type World } from './context.ts';

async function applicantCase(...args: Parameters<typeof makeCase>) {
  const made = await makeCase(...args);
  invalidateShortlist(made.kase.call);
  return made;
}

async function score(kase: CaseDoc, member: UserDoc) {
  await Evaluation.create({ case: kase._id, call: kase.call, member: member._id, scores: { research: 4, fit: 3 }, recommendation: 'yes', submittedAt: new Date() });
}

describe('leaders: the marks of decisions taken without the panel\'s scores, where decisions are listed (lead s35 follow-ups)', function () {
  this.timeout(60_000);
  let t: TestApp;
  let w: World;
  let leader: Agent;
  let leaderVi: Agent;
  before(async () => {
    t = await startTestApp();
    w = await makeWorld();
    leader = agent(t.app);
    await signIn(leader, w.leader);
    leaderVi = agent(t.app);
    await signIn(leaderVi, await createUser({ role: 'leader', institute: w.instituteId, name: 'Trần Quyết Định', locale: 'vi' }));
  });
  after(async () => {
    await t?.close();
  });

  const caseUrl = (caseId: unknown) => `/shortlists/${w.call._id}/cases/${caseId}`;
  const review = async (a: Agent, caseId: unknown, fields: Record<string, string>) => followConfirm(a, await submitForm(a, caseUrl(caseId), fields, `${caseUrl(caseId)}/decision`));
  async function confirm(a: Agent, page: string, caseId: unknown) {
    const form = /<form method="post" action="([^"]+\/decision\/confirm)"[\s\S]*?<\/form>/.exec(page)![0];
    const fields: Record<string, string> = {};
    for (const m of form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields[m[1]!] = decodeHtml(m[2]!);
    for (const m of form.matchAll(/<textarea id="[^"]+" name="([^"]+)"[^>]*>([\s\S]*?)<\/textarea>/g)) fields[m[1]!] = decodeHtml(m[2]!);
    return a.post(`${caseUrl(caseId)}/decision/confirm`).type('form').set('Accept', 'text/html').send(fields);
  }
  /** A decision taken blind (ticked), a scoring closed, and a decision taken after scoring: three rows. */
  async function threeDecisions() {
    const blind = (await applicantCase(w.call, 'evaluation')).kase;
    await score(blind, w.member);
    const page = await review(leader, blind._id, { action: 'reject', version: String(blind.version), reason: 'Internal: the plan does not fit the lab.', withoutScores: '1' });
    expect(page.status, page.text.slice(0, 300)).to.equal(200);
    expect((await confirm(leader, page.text, blind._id)).status).to.equal(303);
    const closed = (await applicantCase(w.call, 'evaluation')).kase;
    await score(closed, w.member);
    expect((await submitForm(leader, caseUrl(closed._id), { version: String(closed.version), closeReason: 'The external reviewer is on leave; the panel has scored.' }, `${caseUrl(closed._id)}/close-scoring`)).status).to.equal(303);
    const seen = (await applicantCase(w.call, 'evaluation')).kase;
    await score(seen, w.member);
    await score(seen, w.leader);
    const seenPage = await review(leader, seen._id, { action: 'shortlist', version: String(seen.version), reason: 'Scored and read: a strong candidate.' });
    expect(seenPage.status).to.equal(200);
    expect((await confirm(leader, seenPage.text, seen._id)).status).to.equal(303);
    return { blind, closed, seen };
  }

  it('the dashboard\'s "Recent decisions" marks a decision taken without the panel\'s scores and a scoring closed, in en and vi; a decision taken after scoring is not marked', async () => {
    const { blind, closed, seen } = await threeDecisions();
    for (const [a, markBlind, markClosed] of [
      [leader, "Decided without the panel's scores (they were hidden from the decider).", "Scoring closed by a leader: the panel's scores shown to every member."],
      [leaderVi, 'Quyết định mà không xem điểm của hội đồng (điểm đang được ẩn với người quyết định).', 'Lãnh đạo đã kết thúc chấm điểm: điểm của hội đồng được hiển thị cho mọi thành viên.'],
    ] as const) {
      const dash = await a.get('/dashboard').set('Accept', 'text/html');
      expect(dash.status).to.equal(200);
      const table = /<section class="panel" aria-labelledby="h-decisions" id="recent-decisions">([\s\S]*?)<\/section>/.exec(dash.text)![1]!;
      const rowOf = (reference: string) => words(table.split('<tr>').find((r) => r.includes(reference)) ?? '');
      expect(rowOf(blind.reference)).to.include(markBlind);
      expect(rowOf(closed.reference)).to.include(markClosed);
      expect(rowOf(seen.reference)).to.include(seen.reference);
      expect(rowOf(seen.reference)).not.to.include(markBlind);
      expect(rowOf(seen.reference)).not.to.include(markClosed);
    }
  });

  it('a case held while scoring was open says scoring is paused while on hold (who held it, when HR resumes it), not "submit your scorecard", on the shortlist and the case page, en and vi', async () => {
    const rowOf = (html: string, caseId: unknown) => {
      const at = html.indexOf(`<tr data-case="${caseId}"`);
      expect(at, 'the case\'s row').to.be.greaterThan(-1);
      return html.slice(at, html.indexOf('</tr>', at));
    };
    const hr = await createUser({ role: 'hr_officer', institute: w.instituteId, name: 'Đỗ Nhân Sự' });
    const held: Array<{ kase: CaseDoc; by: string }> = [];
    for (const [who, action, payload, asDecision] of [
      [w.leader, 'put_on_hold', { note: 'Internal: a second opinion is asked.', reviewBy: holdReviewDay() }, true],
      [hr, 'put_on_hold', { reason: 'The applicant asked for a pause.', reviewBy: holdReviewDay() }, false],
    ] as const) {
      const { kase } = await applicantCase(w.call, 'evaluation');
      await score(kase, w.member);
      const after = await transition({ app: t.ctx, ctx: actorContext(t.ctx, who), caseId: kase._id, action, expectedVersion: kase.version, payload: { ...payload }, asDecision });
      expect(after.stage).to.equal('on_hold');
      invalidateShortlist(kase.call);
      held.push({ kase: after, by: who.name });
    }
    const list = (await leader.get(`/shortlists/${w.call._id}`).set('Accept', 'text/html')).text;
    for (const { kase, by } of held) {
      const c = (await Case.findById(kase._id).lean())!;
      const heldOn = formatDay(c.history.at(-1)!.at, 'en');
      const review = formatDay(c.stageDueAt!, 'en');
      const row = rowOf(list, kase._id);
      const page = (await leader.get(caseUrl(kase._id)).set('Accept', 'text/html')).text;
      const facts = /<dl class="facts">[\s\S]*?<\/dl>/.exec(page)![0];
      for (const [where, html] of [['row', row], ['case page', facts]] as const) {
        expect(words(html), where).to.include('Scores hidden: scoring is paused while the case is on hold — 1 of 3 panel members have scored');
        expect(words(html), where).to.include(`Held by ${by} on ${heldOn}.`);
        expect(words(html), where).to.include(`Scoring opens again when HR resumes the case (review day ${review}).`);
        expect(html, where).not.to.include('until you submit your scorecard');
        expect(html, where).not.to.include('Score it');
        expect(html, where).not.to.include('Close scoring');
      }
      // The panel's scorecards: not "shown once you have submitted yours" (it cannot be scored while held).
      expect(words(page)).not.to.include('once you have submitted yours');
      expect(words(page)).to.include('1 other scorecard submitted. Scoring is paused while the case is on hold: the scorecard is shown once the case is resumed and you have submitted yours.');
      // In Vietnamese for the Vietnamese leader: Anh/Chị's words, never "bạn".
      const vi = words((await leaderVi.get(caseUrl(kase._id)).set('Accept', 'text/html')).text);
      expect(vi).to.include('Điểm được ẩn: hồ sơ đang tạm dừng nên chưa thể chấm điểm — 1/3 thành viên hội đồng đã chấm');
      expect(vi).to.include(`${by} tạm dừng hồ sơ ngày ${formatDay(c.history.at(-1)!.at, 'vi')}.`);
      expect(vi).to.include(`Hồ sơ được chấm tiếp khi bộ phận nhân sự cho tiếp tục xử lý (ngày xem xét lại: ${formatDay(c.stageDueAt!, 'vi')}).`);
      expect(vi).not.to.include('cho đến khi Anh/Chị nộp phiếu chấm');
      expect(vi).not.to.match(/\bbạn\b/i);
    }
  });

  it('the compare page says why the scores are hidden in the shortlist\'s words (how many of those who can score did, "Score it"; paused for a held case), not "Hidden until you score", en and vi', async () => {
    const open = (await applicantCase(w.call, 'evaluation')).kase;
    await score(open, w.member);
    const toHold = (await applicantCase(w.call, 'evaluation')).kase;
    await score(toHold, w.member);
    const held = await transition({ app: t.ctx, ctx: actorContext(t.ctx, w.leader), caseId: toHold._id, action: 'put_on_hold', expectedVersion: toHold.version, payload: { note: 'Internal: a second opinion is asked.', reviewBy: holdReviewDay() }, asDecision: true });
    invalidateShortlist(held.call);
    const url = `/shortlists/${w.call._id}/compare?ids=${open._id},${held._id}`;
    const res = await leader.get(url).set('Accept', 'text/html');
    expect(res.status).to.equal(200);
    const page = words(res.text);
    expect(page).to.include('Scores hidden until you submit your scorecard — 1 of 3 panel members have scored');
    expect(res.text).to.include(`href="${caseUrl(open._id)}#scorecard-h">Score it</a>`);
    expect(page).to.include('Scores hidden: scoring is paused while the case is on hold — 1 of 3 panel members have scored.');
    expect(page).to.include(`Held by ${w.leader.name} on ${formatDay(held.history.at(-1)!.at, 'en')}.`);
    expect(res.text).not.to.include(`href="${caseUrl(held._id)}#scorecard-h"`);
    // The criteria's rows: the short form of the same words.
    expect(page).to.include('Hidden until you submit your scorecard');
    expect(page).to.include('Hidden: scoring is paused while the case is on hold');
    expect(page).not.to.include('Hidden until you score');
    const vi = words((await leaderVi.get(url).set('Accept', 'text/html')).text);
    expect(vi).to.include('Điểm được ẩn cho đến khi Anh/Chị nộp phiếu chấm của mình — 1/3 thành viên hội đồng đã chấm');
    expect(vi).to.include('Điểm được ẩn: hồ sơ đang tạm dừng nên chưa thể chấm điểm — 1/3 thành viên hội đồng đã chấm');
    expect(vi).not.to.include('Ẩn cho đến khi Anh/Chị chấm');
    expect(vi).not.to.match(/\bbạn\b/i);
  });

  it('the steering committee\'s report counts the decisions taken without the panel\'s scores and the scorings closed, in its scope and period (CSV, en and vi)', async () => {
    const csv = async (query: string) => (await leader.get(`/reports/steering.csv?${query}`)).text.replace(/^\uFEFF/, '');
    const count = (text: string, label: RegExp) => Number(new RegExp(`^"?${label.source}"?,(\\d+)\r?$`, 'm').exec(text)?.[1] ?? NaN);
    const blindLabel = /Leaders' decisions taken without the panel's scores \(by decision date\)/;
    const closedLabel = /Scorings closed by a leader, the panel's scores then shown \(by date closed\)/;
    const before = await csv(`call=${w.call._id}&lang=en`);
    const blind0 = count(before, blindLabel);
    const closed0 = count(before, closedLabel);
    expect(blind0, before.slice(0, 600)).to.be.a('number').and.not.be.NaN;
    expect(closed0).to.not.be.NaN;
    await threeDecisions();
    const after = await csv(`call=${w.call._id}&lang=en`);
    expect(count(after, blindLabel)).to.equal(blind0 + 1);
    expect(count(after, closedLabel)).to.equal(closed0 + 1);
    // A period before them: none.
    const past = await csv(`call=${w.call._id}&from=2020-01-01&to=2020-12-31&lang=en`);
    expect(count(past, blindLabel)).to.equal(0);
    expect(count(past, closedLabel)).to.equal(0);
    // Another institute's leader: not theirs.
    const other = agent(t.app);
    await signIn(other, w.otherLeader);
    expect(count((await other.get('/reports/steering.csv?lang=en')).text, blindLabel)).to.equal(0);
    // In Vietnamese.
    const vi = await csv(`call=${w.call._id}&lang=vi`);
    expect(count(vi, /Quyết định của lãnh đạo khi không xem điểm của hội đồng \(theo ngày quyết định\)/)).to.equal(blind0 + 1);
    expect(count(vi, /Lần lãnh đạo kết thúc chấm điểm, sau đó điểm của hội đồng được hiển thị \(theo ngày kết thúc\)/)).to.equal(closed0 + 1);
  });
});
