// What a leader finds after deciding (walk 28): the decisions taken on the case page (what, who,
// when, the reason, what the candidate was told), the rejected cases on the shortlist with the
// decision on each row, a rejection said to be final before it is confirmed, the leader's own
// comment on their frozen scorecard, a compare cell for a candidate nobody scored, and a rejection
// e-mail that follows the shortlisted one without contradicting it.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent, followConfirm, submitForm, type Agent } from '../support/http.ts';
import { createUser, signIn } from '../support/factories.ts';
import { dispatchOnce } from '../../server/outbox/index.ts';
import { invalidateShortlist } from '../../server/evaluations/shortlist.ts';
import { Case } from '../../models/case.ts';
import { Evaluation } from '../../models/evaluation.ts';
import type { CaseDoc } from '../../models/case.ts';
import type { UserDoc } from '../../models/user.ts';
import { makeWorld, applicantCase, type World } from './context.ts';

async function score(kase: CaseDoc, member: UserDoc) {
  await Evaluation.create({ case: kase._id, call: kase.call, member: member._id, scores: { research: 4, fit: 3 }, recommendation: 'yes', submittedAt: new Date() });
}

function decodeHtml(s: string): string {
  return s.replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(parseInt(h, 16))).replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d))).replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#x27;|&#39;/g, "'").replace(/&#x3D;/g, '=').replace(/&#x60;/g, '`').replace(/&amp;/g, '&');
}

/** The case page's "Decisions taken" list, decoded. */
function historyOf(html: string): string {
  const m = /<ol class="plain decision-history" id="decision-history"[^>]*>([\s\S]*?)<\/ol>/.exec(html);
  expect(m, 'decision history on the page').to.not.equal(null);
  return decodeHtml(m![1]!);
}

/** A shortlist row (its <tr>), decoded; undefined when the case is not listed. */
function rowOf(html: string, caseId: unknown): string | undefined {
  const part = html.split(`data-case="${caseId}"`)[1];
  return part === undefined ? undefined : decodeHtml(part.split('</tr>')[0]!);
}

describe('leaders: what was decided, by whom and when, and finding the decided cases', function () {
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
    const viUser = await createUser({ role: 'leader', institute: w.instituteId, name: 'Trần Quyết Định', locale: 'vi' });
    leaderVi = agent(t.app);
    await signIn(leaderVi, viUser);
  });
  after(async () => {
    await t?.close();
  });

  const caseUrl = (caseId: unknown) => `/shortlists/${w.call._id}/cases/${caseId}`;

  /** Both steps of a decision, as the pages give them; returns the confirmation page and the answer to confirming it. */
  async function decide(a: Agent, kase: { _id: unknown }, action: string, reason: string) {
    const version = String((await Case.findById(kase._id).lean())!.version);
    // Ticked where the leader has not scored (lead s35: the panel's scores are hidden from them); ignored where they see them.
    const page = await followConfirm(a, await submitForm(a, caseUrl(kase._id), { action, version, reason, withoutScores: '1' }, `${caseUrl(kase._id)}/decision`));
    expect(page.status, page.text.slice(0, 600)).to.equal(200);
    const form = /<form method="post" action="([^"]+\/decision\/confirm)"[\s\S]*?<\/form>/.exec(page.text)!;
    const fields: Record<string, string> = {};
    for (const m of form[0].matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields[m[1]!] = decodeHtml(m[2]!);
    for (const m of form[0].matchAll(/<textarea id="[^"]+" name="([^"]+)"[^>]*>([\s\S]*?)<\/textarea>/g)) fields[m[1]!] = decodeHtml(m[2]!);
    const res = await a.post(form[1]!).type('form').set('Accept', 'text/html').send(fields);
    expect(res.status, res.text.slice(0, 600)).to.equal(303);
    return { page: page.text, res };
  }

  it('shows on the case page each decision (what, who, when, the reason, what the candidate was told) in the reader\'s language, and the leader\'s own comment', async () => {
    const { applicant, kase } = await applicantCase(w.call, 'evaluation', {}, 'vi');
    const comment = 'Excellent fit with the lab; leadership experience limited.';
    const scored = await submitForm(leader, caseUrl(kase._id), { score_research: '4', score_fit: '5', recommendation: 'yes', comment }, `${caseUrl(kase._id)}/evaluation`);
    expect(scored.status).to.equal(303);
    const shortlistReason = 'Strong publication record and a clear plan.';
    const shortlisted = await decide(leader, kase, 'shortlist', shortlistReason);
    // Not a rejection: nothing said about finality.
    expect(shortlisted.page).not.to.include('id="decision-final"');

    // Frozen now: the scorecard shows the comment with the scores.
    const frozen = await leader.get(caseUrl(kase._id)).set('Accept', 'text/html');
    expect(frozen.text).to.include('id="own-comment"');
    expect(decodeHtml(frozen.text)).to.include(comment);
    expect(historyOf(frozen.text)).to.include('Shortlisted');

    const rejectReason = 'Internal: the budget covers one post and another candidate fits better.';
    const rejected = await decide(leaderVi, kase, 'reject', rejectReason);
    // Said before it is confirmed, as HR's rejection is (Vietnamese page): it ends the application, reconsidered only within 30 days (walk s37 #3).
    const final = decodeHtml(/<p class="notice-warn" id="decision-final" role="note">([^<]*)<\/p>/.exec(rejected.page)![1]!);
    expect(final).to.include('Quyết định này kết thúc hồ sơ: chỉ quyết định từ chối có thể được lãnh đạo viện xem xét lại trong vòng 30 ngày');
    expect(final).to.include('“Không được chọn”');
    expect(final).to.match(/sau \d+ ngày/);

    const en = await leader.get(caseUrl(kase._id)).set('Accept', 'text/html');
    expect(en.status).to.equal(200);
    const history = historyOf(en.text);
    expect(en.text).to.include('>Decisions taken</h3>');
    expect(history.indexOf('Shortlisted')).to.be.below(history.indexOf('Rejected'));
    expect(history).to.match(/by Lê Lãnh Đạo \(Leader\) on \d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2} \(UTC\+7\)/);
    expect(history).to.match(/by Trần Quyết Định \(Leader\) on \d{1,2} [A-Z][a-z]{2} \d{4}/);
    expect(history).to.include(shortlistReason);
    expect(history).to.include(rejectReason);
    expect(history).to.include('E-mailed in Vietnamese that they are on the shortlist');
    expect(history).to.include('E-mailed in Vietnamese that the application does not continue, with these words');
    // The words the candidate was sent, in their language.
    const told = (await Case.findById(kase._id).lean())!.decision!.toldReason!;
    expect(told).to.include('Ông/Bà');
    expect(en.text).to.include('class="prewrap decision-told" lang="vi"');
    expect(history).to.include(told);
    // Nothing left to decide but reconsidering the rejection, within 30 days of it (walk s37 #3).
    expect(en.text).to.include('value="reconsider"');
    expect(en.text).not.to.include('value="reject"');

    const vi = await leaderVi.get(caseUrl(kase._id)).set('Accept', 'text/html');
    const viHistory = historyOf(vi.text);
    expect(vi.text).to.include('>Các quyết định đã đưa ra</h3>');
    expect(viHistory).to.include('Đưa vào danh sách rút gọn');
    expect(viHistory).to.match(/do Lê Lãnh Đạo \(Lãnh đạo\) quyết định lúc \d{1,2}\/\d{1,2}\/\d{4}/);
    expect(viHistory).to.include('Lý do (nội bộ)');
    expect(viHistory).to.include('Đã gửi thư bằng tiếng Việt: hồ sơ không được tiếp tục');
    expect(viHistory).not.to.match(/\b(bạn)\b/i);

    // The rejection after the shortlisted e-mail says it follows it (the leadership decided on the offer), never the reason.
    await dispatchOnce(t.ctx, { owner: 'leaders-decided', caseIds: [kase._id] });
    const mail = await t.smtp.waitForTo(applicant.email, /Kết quả xét hồ sơ/);
    expect(mail.text).to.include('Hồ sơ của Ông/Bà đã được đưa vào danh sách rút gọn của');
    expect(mail.text).to.include('lãnh đạo viện đã quyết định về lời mời làm việc');
    expect(mail.text).to.include(told.slice(0, 40));
    expect(mail.text).not.to.include('budget covers one post');
  });

  it('lists the cases rejected after the panel for every leader of the institute, with the latest decision on each row', async () => {
    const { applicant, kase: rejectedCase } = await applicantCase(w.call, 'evaluation', { profile: { fullName: 'Ada Rejected' } });
    await score(rejectedCase, w.member);
    const { kase: shortlistedCase } = await applicantCase(w.call, 'evaluation', { profile: { fullName: 'Bo Shortlisted' } });
    await score(shortlistedCase, w.member);
    // Rejected by HR at screening: never before the panel, never on the shortlist.
    const { kase: early } = await applicantCase(w.call, 'rejected', { profile: { fullName: 'Cy Screened Out' } });
    invalidateShortlist(w.call._id);
    await decide(leaderVi, rejectedCase, 'reject', 'Internal: weaker on fit than the others.');
    await decide(leader, shortlistedCase, 'shortlist', 'Good candidate with a solid plan.');

    const list = await leader.get(`/shortlists/${w.call._id}`).set('Accept', 'text/html');
    expect(list.status).to.equal(200);
    expect(rowOf(list.text, rejectedCase._id), 'rejected case in the default ranked list').to.equal(undefined);
    expect(rowOf(list.text, shortlistedCase._id)).to.match(/Shortlisted: Lê Lãnh Đạo, \d{1,2} [A-Z][a-z]{2} \d{4}/);
    expect(list.text).to.include('<option value="rejected">Rejected after the panel</option>');

    // w.leader neither scored nor decided it: another leader's decision, found and opened all the same.
    const rejected = await leader.get(`/shortlists/${w.call._id}?stage=rejected`).set('Accept', 'text/html');
    expect(rejected.status).to.equal(200);
    expect(rejected.text).to.include('<option value="rejected" selected>');
    expect(rowOf(rejected.text, rejectedCase._id)).to.match(/Rejected: Trần Quyết Định, \d{1,2} [A-Z][a-z]{2} \d{4}/);
    expect(rowOf(rejected.text, early._id), 'rejected at screening').to.equal(undefined);
    expect(rowOf(rejected.text, shortlistedCase._id)).to.equal(undefined);
    const page = await leader.get(caseUrl(rejectedCase._id)).set('Accept', 'text/html');
    expect(page.status).to.equal(200);
    expect(historyOf(page.text)).to.include('Internal: weaker on fit than the others.');
    expect((await leader.get(caseUrl(early._id)).set('Accept', 'text/html')).status).to.equal(404);

    const vi = await leaderVi.get(`/shortlists/${w.call._id}?stage=rejected`).set('Accept', 'text/html');
    expect(rowOf(vi.text, rejectedCase._id)).to.match(/Từ chối: Trần Quyết Định, \d{1,2}\/\d{1,2}\/\d{4}/);

    // A panel member who is not the institute's leader may not open those cases: no such filter for them.
    const member = agent(t.app);
    await signIn(member, w.member);
    const memberList = await member.get(`/shortlists/${w.call._id}`).set('Accept', 'text/html');
    expect(memberList.status).to.equal(200);
    expect(memberList.text).not.to.include('value="rejected"');
    const refused = await member.get(`/shortlists/${w.call._id}?stage=rejected`).set('Accept', 'text/html');
    expect(refused.status).to.equal(422);
    expect(refused.text).to.include('Choose a stage from the list.');
    expect(rowOf(refused.text, rejectedCase._id)).to.equal(undefined);

    // A rejection straight from evaluation keeps the plain wording (there was no shortlisted e-mail to follow).
    await dispatchOnce(t.ctx, { owner: 'leaders-decided', caseIds: [rejectedCase._id] });
    const mail = await t.smtp.waitForTo(applicant.email, /Decision on your application/);
    expect(mail.text).to.include('After careful consideration we are unable to continue with your application');
    expect(mail.text).not.to.include('You were on the shortlist');
  });

  it('says "No scorecard yet" on the compare page for a candidate nobody has scored (en, vi)', async () => {
    const { kase: unscored } = await applicantCase(w.call, 'evaluation');
    const { kase: scoredCase } = await applicantCase(w.call, 'evaluation');
    await score(scoredCase, w.member);
    const url = `/shortlists/${w.call._id}/compare?ids=${unscored._id},${scoredCase._id}`;
    const en = await leader.get(url).set('Accept', 'text/html');
    expect(en.status).to.equal(200);
    expect(en.text).to.include(`<span class="muted" id="no-scorecard-${unscored._id}">No scorecard yet</span>`);
    expect(en.text).not.to.include(`id="no-scorecard-${scoredCase._id}"`);
    const vi = await leaderVi.get(url).set('Accept', 'text/html');
    expect(vi.text).to.include(`id="no-scorecard-${unscored._id}">Chưa có phiếu chấm</span>`);
  });
});
