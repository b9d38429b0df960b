// The leader deciding while the panel's scores are hidden from them (lead s35). The hidden-scores rule
// keeps the others' scores from a member until their own scorecard is in, while the case is in
// evaluation, and the institute's leaders sit on every panel: the shortlist and the case page say so
// in words, with "Score it" and, once the call's minimum of complete scorecards is in, "Close scoring"
// (evaluation → shortlisted, reason on the timeline and audited). A decision taken while the scores
// are hidden is refused (422, in the leader's language, what was typed kept) unless the leader ticks
// "I decide without the panel's scores", which is recorded on the decision's history event and audit.
// What the applicant is told does not change. Real database, real SMTP.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent, csrfFrom, followConfirm, submitForm, type Agent, decodeHtml, words } from '../support/http.ts';
import { createUser, signIn } from '../support/factories.ts';
import { dispatchOnce } from '../../server/outbox/index.ts';
import { Case } from '../../models/case.ts';
import { Call } from '../../models/call.ts';
import { Evaluation } from '../../models/evaluation.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import type { CaseDoc } from '../../models/case.ts';
import type { UserDoc } from '../../models/user.ts';
import { invalidateShortlist } from '../../server/evaluations/shortlist.ts';
import { declareConflict } from '../../server/evaluations/index.ts';
import { systemContext } from '../../server/context.ts';
import { makeWorld, applicantCase as makeCase, type World } from './context.ts';

/** A case at the panel; the call's ranking (kept 30 s, server/evaluations/shortlist.ts) forgotten so the list shows it now. */
async function applicantCase(...args: Parameters<typeof makeCase>) {
  const made = await makeCase(...args);
  invalidateShortlist(made.kase.call);
  return made;
}

async function score(kase: CaseDoc, member: UserDoc, scores: Record<string, number> = { research: 4, fit: 3 }) {
  await Evaluation.create({ case: kase._id, call: kase.call, member: member._id, scores, recommendation: 'yes', submittedAt: new Date() });
}

describe('leaders: deciding while the panel\'s scores are hidden (lead s35)', function () {
  this.timeout(60_000);
  let t: TestApp;
  let w: World;
  let leader: Agent;
  let leaderVi: Agent;
  let leaderViUser: UserDoc;
  before(async () => {
    t = await startTestApp();
    w = await makeWorld();
    leader = agent(t.app);
    await signIn(leader, w.leader);
    leaderViUser = await createUser({ role: 'leader', institute: w.instituteId, name: 'Trần Quyết Định', locale: 'vi' });
    leaderVi = agent(t.app);
    await signIn(leaderVi, leaderViUser);
  });
  after(async () => {
    await t?.close();
  });

  const caseUrl = (caseId: unknown) => `/shortlists/${w.call._id}/cases/${caseId}`;
  /** Step 1 of a decision, from the case page's form. */
  const review = async (a: Agent, caseId: unknown, fields: Record<string, string | string[]>) => followConfirm(a, await submitForm(a, caseUrl(caseId), fields, `${caseUrl(caseId)}/decision`));
  /** Step 2, the confirmation page's own form as the page gives it. */
  async function confirm(a: Agent, page: string, caseId: unknown, drop: string[] = []) {
    const form = /<form method="post" action="([^"]+\/decision\/confirm)"[\s\S]*?<\/form>/.exec(page)![0];
    const fields: Record<string, string> = {};
    for (const m of form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) if (!drop.includes(m[1]!)) fields[m[1]!] = decodeHtml(m[2]!);
    for (const m of form.matchAll(/<textarea id="[^"]+" name="([^"]+)"[^>]*>([\s\S]*?)<\/textarea>/g)) fields[m[1]!] = decodeHtml(m[2]!);
    return a.post(`${caseUrl(caseId)}/decision/confirm`).type('form').set('Accept', 'text/html').send(fields);
  }
  const rowOf = (html: string, caseId: unknown) => {
    const at = html.indexOf(`<tr data-case="${caseId}"`);
    expect(at, 'the case\'s row').to.be.greaterThan(-1);
    return html.slice(at, html.indexOf('</tr>', at));
  };
  const closeScoring = (a: Agent, caseId: unknown, fields: Record<string, string | string[]>) => submitForm(a, caseUrl(caseId), fields, `${caseUrl(caseId)}/close-scoring`);

  it('says on the shortlist and the case page why the scores are hidden, how many scored, with "Score it" and "Close scoring"', async () => {
    const { kase } = await applicantCase(w.call, 'evaluation');
    await score(kase, w.member);
    const list = await leader.get(`/shortlists/${w.call._id}`).set('Accept', 'text/html');
    expect(list.status).to.equal(200);
    const row = rowOf(list.text, kase._id);
    // Panel: the institute's two leaders and the named member.
    expect(words(row)).to.include('Scores hidden until you submit your scorecard — 1 of 3 panel members have scored');
    expect(row).to.include(`href="${caseUrl(kase._id)}#scorecard-h">Score it</a>`);
    expect(row).to.include(`href="${caseUrl(kase._id)}#close-scoring">Close scoring</a>`);
    const page = await leader.get(caseUrl(kase._id)).set('Accept', 'text/html');
    expect(words(/<dl class="facts">[\s\S]*?<\/dl>/.exec(page.text)![0])).to.include('Scores hidden until you submit your scorecard — 1 of 3 panel members have scored Score it · Close scoring');
    expect(page.text).to.include('id="close-scoring"');
    expect(page.text).to.include('name="closeReason"');
    expect(page.text).to.include('name="withoutScores" value="1"');
    // In the leader's language: Anh/Chị.
    const vi = words((await leaderVi.get(caseUrl(kase._id)).set('Accept', 'text/html')).text);
    expect(vi).to.include('Điểm được ẩn cho đến khi Anh/Chị nộp phiếu chấm của mình — 1/3 thành viên hội đồng đã chấm');
    expect(vi).to.include('Tôi quyết định mà không xem điểm của hội đồng');
    expect(vi).not.to.match(/\bbạn\b/i);
    // The panel member who has not scored either: why, and "Score it", never "Close scoring" (leaders only).
    const second = await applicantCase(w.call, 'evaluation');
    await score(second.kase, w.leader);
    const memberAgent = agent(t.app);
    await signIn(memberAgent, w.member);
    const memberRow = rowOf((await memberAgent.get(`/shortlists/${w.call._id}`).set('Accept', 'text/html')).text, second.kase._id);
    expect(words(memberRow)).to.include('Scores hidden until you submit your scorecard — 1 of 3 panel members have scored');
    expect(memberRow).to.include('Score it');
    expect(memberRow).not.to.include('Close scoring');
  });

  it('waits with "Close scoring" until the call\'s minimum of complete scorecards is in: said on the page, refused by the server (422)', async () => {
    const call = await Call.findByIdAndUpdate(w.call._id, { $set: { minScorecards: 2 } }, { returnDocument: 'after' });
    try {
      const { kase } = await applicantCase(call!, 'evaluation');
      await score(kase, w.member);
      const row = rowOf((await leader.get(`/shortlists/${w.call._id}`).set('Accept', 'text/html')).text, kase._id);
      expect(row).to.include('Score it');
      expect(row).not.to.include('Close scoring');
      const page = await leader.get(caseUrl(kase._id)).set('Accept', 'text/html');
      expect(words(page.text)).to.include('Scoring can be closed once the panel has 2 complete scorecards (now 1).');
      expect(page.text).not.to.include('name="closeReason"');
      const res = await leader.post(`${caseUrl(kase._id)}/close-scoring`).type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(page.text), version: String(kase.version), closeReason: 'The panel has had two weeks already.' });
      expect(res.status).to.equal(422);
      expect((await Case.findById(kase._id).lean())!.stage).to.equal('evaluation');
    } finally {
      await Call.updateOne({ _id: w.call._id }, { $set: { minScorecards: 1 } });
    }
  });

  it('refuses a decision while the scores are hidden unless the leader ticks it (422, their language, what they typed kept); ticked, it is taken, recorded and audited, and the candidate is told nothing of it', async () => {
    const { applicant, kase } = await applicantCase(w.call, 'evaluation');
    await score(kase, w.member);
    const reason = 'Internal: the research plan does not fit the institute.';
    const refused = await review(leader, kase._id, { action: 'reject', version: String(kase.version), reason });
    expect(refused.status).to.equal(422);
    expect(words(refused.text)).to.include("The panel's scores are hidden from you: score the case first, close its scoring, or tick “I decide without the panel's scores”.");
    expect(refused.text).to.include('id="f-withoutScores" name="withoutScores" value="1" aria-invalid="true"');
    expect(decodeHtml(/<textarea id="f-reason"[^>]*>([\s\S]*?)<\/textarea>/.exec(refused.text)![1]!)).to.equal(reason);
    expect(refused.text).to.match(/<input type="radio" name="action" value="reject" checked/);
    // In Vietnamese for the Vietnamese leader.
    const refusedVi = await review(leaderVi, kase._id, { action: 'reject', version: String(kase.version), reason });
    expect(refusedVi.status).to.equal(422);
    expect(words(refusedVi.text)).to.include('Điểm của hội đồng đang được ẩn với Anh/Chị: hãy chấm hồ sơ trước, kết thúc chấm điểm, hoặc đánh dấu “Tôi quyết định mà không xem điểm của hội đồng”.');
    // Not ticked is not ticked: any other value, or the field sent as an object.
    for (const withoutScores of ['true', 'on', '']) {
      const res = await review(leader, kase._id, { action: 'reject', version: String(kase.version), reason, withoutScores });
      expect(res.status, withoutScores).to.equal(422);
    }
    const hostile = await leader.get(caseUrl(kase._id)).set('Accept', 'text/html');
    const objectField = await leader.post(`${caseUrl(kase._id)}/decision`).type('form').set('Accept', 'text/html').send(`_csrf=${encodeURIComponent(csrfFrom(hostile.text))}&action=reject&version=${kase.version}&reason=${encodeURIComponent(reason)}&withoutScores[$ne]=0`);
    expect(objectField.status).to.be.oneOf([400, 422]);
    // JSON, at either step: the same refusal; `true` or an array is not the form's '1'.
    for (const path of ['decision', 'decision/confirm']) {
      for (const extra of [{}, { withoutScores: true }, { withoutScores: ['1'] }]) {
        const json = await leader.post(`${caseUrl(kase._id)}/${path}`).set('Accept', 'application/json').set('x-csrf-token', csrfFrom(hostile.text)).send({ action: 'reject', version: String(kase.version), reason, toldReason: 'Thank you for applying.', previewedToldReason: 'Thank you for applying.', ...extra });
        expect(json.status, `${path} ${JSON.stringify(extra)}`).to.equal(422);
      }
    }
    // Control: the same JSON with the box ticked reaches the confirmation (nothing taken yet): its page, by a redirect (Post/Redirect/Get).
    const ticked = await leader.post(`${caseUrl(kase._id)}/decision`).set('Accept', 'application/json').set('x-csrf-token', csrfFrom(hostile.text)).send({ action: 'reject', version: String(kase.version), reason, withoutScores: '1' });
    expect(ticked.status).to.equal(303);
    expect((await followConfirm(leader, ticked)).status).to.equal(200);
    expect((await Case.findById(kase._id).lean())!.stage).to.equal('evaluation');

    // Ticked: the confirmation page says it, and carries it to the confirm step.
    const page = await review(leader, kase._id, { action: 'reject', version: String(kase.version), reason, withoutScores: '1' });
    expect(page.status, page.text.slice(0, 400)).to.equal(200);
    expect(words(page.text)).to.include("You decide without the panel's scores: this is recorded with your decision and in the audit log.");
    // The tick travels server-side with the pending decision (Post/Redirect/Get), not in the page's form.
    expect(/<form method="post" action="[^"]+\/decision\/confirm"[\s\S]*?<\/form>/.exec(page.text)![0]).to.not.include('name="withoutScores"');
    // The confirm step checks it again: a hand-made post of the decision without it (no pending decision), refused and nothing changed.
    const toldShown = decodeHtml(/<textarea id="[^"]+" name="toldReason"[^>]*>([\s\S]*?)<\/textarea>/.exec(page.text)![1]!);
    const forged = await leader.post(`${caseUrl(kase._id)}/decision/confirm`).type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(page.text), action: 'reject', version: String(kase.version), reason, toldReason: toldShown, previewedToldReason: toldShown });
    expect(forged.status).to.equal(422);
    expect((await Case.findById(kase._id).lean())!.stage).to.equal('evaluation');
    const res = await confirm(leader, page.text, kase._id);
    expect(res.status, res.text.slice(0, 400)).to.equal(303);
    const c = (await Case.findById(kase._id).lean())!;
    expect(c.stage).to.equal('rejected');
    expect(c.history.at(-1)).to.include({ action: 'reject', blind: true });
    const decision = (await AuditEvent.findOne({ targetId: String(kase._id), action: 'case.decision' }).lean())!;
    expect(decision.summary).to.include({ decision: 'reject', reason, blind: true });
    const step = (await AuditEvent.findOne({ targetId: String(kase._id), action: 'case.transition' }).lean())!;
    expect(step.summary).to.include({ action: 'reject', blind: true });
    // The audit log says it beside the decision, for the steering committee.
    const admin = agent(t.app);
    await signIn(admin, w.admin);
    const log = await admin.get(`/admin/audit?reference=${encodeURIComponent(kase.reference)}`).set('Accept', 'text/html');
    expect(log.status).to.equal(200);
    expect(words(log.text)).to.include("Decided without the panel's scores (they were hidden from the decider).");
    // Staff read it on the case's timeline and in the shortlist's decision section.
    const timeline = words((await leader.get(`/cases/${kase._id}`).set('Accept', 'text/html')).text);
    expect(timeline).to.include("Decided without the panel's scores (they were hidden from the decider)");
    expect(words((await leader.get(caseUrl(kase._id)).set('Accept', 'text/html')).text)).to.include("Decided without the panel's scores (they were hidden from the decider).");
    // The candidate: the same e-mail and page as any rejection, nothing of it.
    await dispatchOnce(t.ctx, { owner: 'blind-s35', caseIds: [kase._id] });
    const mail = await t.smtp.waitForTo(applicant.email);
    expect(mail.text).not.to.match(/panel's scores|without the panel/i);
    const own = agent(t.app);
    await signIn(own, applicant);
    const ownPage = words((await own.get(`/applications/${kase._id}`).set('Accept', 'text/html')).text);
    expect(ownPage).not.to.match(/panel's scores|without the panel|Scoring closed/i);
    expect(ownPage).not.to.include(reason);
  });

  it('checks every decision: a hold and a shortlisting are refused the same way; a leader who scored, and an administrator, decide without ticking and nothing is marked', async () => {
    const { kase } = await applicantCase(w.call, 'evaluation');
    await score(kase, w.member);
    const reason = 'Internal: waiting for the ministry budget line.';
    const day = (() => {
      const d = new Date(Date.now() + 14 * 86_400_000);
      while ([0, 6].includes(d.getUTCDay())) d.setUTCDate(d.getUTCDate() + 1);
      return d.toISOString().slice(0, 10);
    })();
    for (const fields of [{ action: 'put_on_hold', reviewBy: day }, { action: 'shortlist' }] as Record<string, string>[]) {
      const res = await review(leader, kase._id, { ...fields, version: String(kase.version), reason });
      expect(res.status, fields.action).to.equal(422);
      expect(words(res.text), fields.action).to.include("The panel's scores are hidden from you");
    }
    // The leader scores it: the scores show, no box to tick, the decision goes through unmarked.
    await score(kase, w.leader);
    const page = await review(leader, kase._id, { action: 'shortlist', version: String(kase.version), reason });
    expect(page.status).to.equal(200);
    expect(page.text).not.to.include('name="withoutScores"');
    expect((await confirm(leader, page.text, kase._id)).status).to.equal(303);
    const c = (await Case.findById(kase._id).lean())!;
    expect(c.stage).to.equal('shortlisted');
    expect(c.history.at(-1)!.blind).to.equal(undefined);
    expect((await AuditEvent.findOne({ targetId: String(kase._id), action: 'case.decision' }).lean())!.summary).not.to.have.property('blind');
    // An administrator sees every score: nothing to tick.
    const other = await applicantCase(w.call, 'evaluation');
    await score(other.kase, w.member);
    const admin = agent(t.app);
    await signIn(admin, w.admin);
    const adminPage = await review(admin, other.kase._id, { action: 'shortlist', version: String(other.kase.version), reason });
    expect(adminPage.status, adminPage.text.slice(0, 300)).to.equal(200);
    expect(adminPage.text).not.to.include('name="withoutScores"');
  });

  it('closes scoring: the reason required (kept), then shortlisted with the reason on the timeline and audited, the scores shown, and the next decision not blind', async () => {
    const { applicant, kase } = await applicantCase(w.call, 'evaluation');
    await score(kase, w.member, { research: 5, fit: 4 });
    const short = await closeScoring(leader, kase._id, { version: String(kase.version), closeReason: 'Too short' });
    expect(short.status).to.equal(422);
    expect(decodeHtml(/<textarea id="f-closeReason"[^>]*>([\s\S]*?)<\/textarea>/.exec(short.text)![1]!)).to.equal('Too short');
    expect(words(short.text)).to.include('The reason is too short');
    const reason = 'The external reviewer is on leave; the panel has scored.';
    const res = await closeScoring(leader, kase._id, { version: String(kase.version), closeReason: reason });
    expect(res.status, res.text.slice(0, 300)).to.equal(303);
    expect(res.headers.location).to.equal(caseUrl(kase._id));
    const c = (await Case.findById(kase._id).lean())!;
    expect(c.stage).to.equal('shortlisted');
    expect(c.history.at(-1)).to.include({ action: 'shortlist', from: 'evaluation', to: 'shortlisted', note: reason, closedScoring: true });
    const audit = (await AuditEvent.findOne({ targetId: String(kase._id), action: 'case.decision' }).lean())!;
    expect(audit.summary).to.include({ decision: 'shortlist', reason, closedScoring: true });
    // Scores now show to the leader who never scored: the score, the member's scorecard; no box to tick.
    const page = await leader.get(caseUrl(kase._id)).set('Accept', 'text/html');
    expect(words(page.text)).to.include('Scoring is closed: the case is shortlisted and the panel\'s scores are shown.');
    expect(page.text).not.to.include('Scores hidden until you submit');
    expect(page.text).to.include('Phạm Hội Đồng');
    expect(page.text).not.to.include('name="withoutScores"');
    expect(page.text).not.to.include('id="close-scoring"');
    expect(words(page.text)).to.include('Scoring closed by a leader: the panel\'s scores shown to every member.');
    expect(words((await leader.get(`/cases/${kase._id}`).set('Accept', 'text/html')).text)).to.include(reason);
    const offer = await review(leader, kase._id, { action: 'approve_offer', version: String(c.version), reason: 'Best candidate of the call, as scored.' });
    expect(offer.status).to.equal(200);
    // The candidate: the shortlisting's e-mail, never the reason.
    await dispatchOnce(t.ctx, { owner: 'blind-s35', caseIds: [kase._id] });
    const mail = await t.smtp.waitForTo(applicant.email, /shortlisted/);
    expect(mail.text).not.to.include('on leave');
    const own = agent(t.app);
    await signIn(own, applicant);
    expect(words((await own.get(`/applications/${kase._id}`).set('Accept', 'text/html')).text)).not.to.match(/on leave|Scoring closed/);
  });

  it('neither offers nor lets a leader who declared a conflict on the candidate close its scoring (422, the conflict said, nothing moved)', async () => {
    const { kase } = await applicantCase(w.call, 'evaluation');
    await score(kase, w.member);
    await declareConflict({ ctx: systemContext({ now: new Date(), actor: w.leader }), caseId: String(kase._id), callId: String(w.call._id), reason: 'The candidate co-wrote my last three papers.' });
    const page = await leader.get(caseUrl(kase._id)).set('Accept', 'text/html');
    expect(page.status).to.equal(200);
    expect(page.text).not.to.include('name="closeReason"');
    expect(page.text).not.to.include('name="withoutScores"');
    const res = await leader.post(`${caseUrl(kase._id)}/close-scoring`).type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(page.text), version: String(kase.version), closeReason: 'The panel has scored; closing it now.' });
    expect(res.status).to.equal(422);
    expect(words(res.text)).to.include('You declared a conflict of interest on this candidate');
    const after = (await Case.findById(kase._id).lean())!;
    expect(after.stage).to.equal('evaluation');
    expect(after.version).to.equal(kase.version);
  });

  it('refuses closing scoring to anyone but the institute\'s leaders (403), and on a stale form or a case moved on (409, the reason kept)', async () => {
    const { kase } = await applicantCase(w.call, 'evaluation');
    await score(kase, w.member);
    const reason = 'The panel has had two weeks; closing it now.';
    const member = agent(t.app);
    await signIn(member, w.member);
    const admin = agent(t.app);
    await signIn(admin, w.admin);
    for (const [who, a] of [['member', member], ['admin', admin]] as const) {
      const res = await closeScoring(a, kase._id, { version: String(kase.version), closeReason: reason });
      expect(res.status, who).to.equal(403);
    }
    const other = agent(t.app);
    await signIn(other, w.otherLeader);
    const page = await leader.get(caseUrl(kase._id)).set('Accept', 'text/html');
    const foreign = await other.post(`${caseUrl(kase._id)}/close-scoring`).type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom((await other.get('/shortlists').set('Accept', 'text/html')).text), version: String(kase.version), closeReason: reason });
    expect(foreign.status).to.equal(403);
    // A hostile version or reason: the form is broken (400) or the reason refused (422), nothing changed.
    expect((await leader.post(`${caseUrl(kase._id)}/close-scoring`).type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(page.text), version: '0x1', closeReason: reason })).status).to.equal(400);
    expect((await leader.post(`${caseUrl(kase._id)}/close-scoring`).type('form').set('Accept', 'text/html').send(`_csrf=${encodeURIComponent(csrfFrom(page.text))}&version=${kase.version}&closeReason[$gt]=`)).status).to.be.oneOf([400, 422]);
    // Stale: the case changed since the page was read.
    const stale = await closeScoring(leader, kase._id, { version: String(kase.version + 1), closeReason: reason });
    expect(stale.status).to.equal(409);
    expect(decodeHtml(stale.text)).to.include(reason);
    expect((await Case.findById(kase._id).lean())!.stage).to.equal('evaluation');
    // Closed by another leader meanwhile: said, the reason kept to copy.
    expect((await closeScoring(leaderVi, kase._id, { version: String(kase.version), closeReason: 'Đóng chấm điểm: hội đồng đã chấm đủ.' })).status).to.equal(303);
    const late = await leader.post(`${caseUrl(kase._id)}/close-scoring`).type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(page.text), version: String(kase.version), closeReason: reason });
    expect(late.status).to.equal(409);
    expect(late.text).to.include('id="close-scoring-refused"');
    expect(decodeHtml(/<textarea id="close-typed" readonly[^>]*>([\s\S]*?)<\/textarea>/.exec(late.text)![1]!)).to.equal(reason);
    const c = (await Case.findById(kase._id).lean())!;
    expect(c.history.filter((h) => h.action === 'shortlist')).to.have.length(1);
  });
});
