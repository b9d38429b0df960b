import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent, submitForm, type Agent } from '../support/http.ts';
import { signIn, createUser } from '../support/factories.ts';
import { Evaluation } from '../../models/evaluation.ts';
import { Case } from '../../models/case.ts';
import { User } from '../../models/user.ts';
import { makeWorld, applicantCase, type World } from './context.ts';
import { invalidateShortlist } from '../../server/evaluations/shortlist.ts';

describe('leaders: scorecards over HTTP and the hidden-scores rule', () => {
  let t: TestApp;
  let w: World;
  let leaderAgent: Agent;
  let memberAgent: Agent;
  before(async () => {
    t = await startTestApp();
    w = await makeWorld();
    leaderAgent = agent(t.app);
    await signIn(leaderAgent, w.leader);
    memberAgent = agent(t.app);
    await signIn(memberAgent, w.member);
  });
  after(async () => {
    await t?.close();
  });

  it("hides other members' scores, recommendations and comments until one's own scorecard is submitted", async () => {
    const { kase } = await applicantCase(w.call, 'evaluation', { profile: { fullName: 'Trần Thị Bình', countryOfResidence: 'JP', nationality: 'VN', highestDegree: 'phd', field: 'Chemistry' } });
    const url = `/shortlists/${w.call._id}/cases/${kase._id}`;

    // The HR officer on the panel scores first, with a comment.
    const first = await submitForm(memberAgent, url, { score_research: '5', score_fit: '', recommendation: 'strong_yes', comment: 'Outstanding chemist SECRET-COMMENT' }, `${url}/evaluation`);
    expect(first.status, first.text.slice(0, 500)).to.equal(303);
    expect((await Case.findById(kase._id).lean())!.score).to.equal(5);

    // The leader (always on the panel of their institute's calls) has not scored: all hidden.
    const before = await leaderAgent.get(url).set('Accept', 'text/html');
    expect(before.status).to.equal(200);
    expect(before.text).to.include('id="others-hidden"');
    expect(before.text).to.include('1 other scorecard submitted');
    expect(before.text).not.to.include('SECRET-COMMENT');
    expect(before.text).not.to.include('Strong yes</span>');
    expect(before.text).to.include('Scores hidden until you submit your scorecard');
    // The documents are one link away: the case's page, which the leader may open.
    expect(before.text).to.include(`href="/cases/${kase._id}#documents" id="open-file"`);
    expect((await leaderAgent.get(`/cases/${kase._id}`).set('Accept', 'text/html')).status).to.equal(200);
    const listBefore = await leaderAgent.get(`/shortlists/${w.call._id}`).set('Accept', 'text/html');
    const rowBefore = listBefore.text.split(`data-case="${kase._id}"`)[1]!.split('</tr>')[0]!;
    expect(rowBefore).to.include('Scores hidden until you submit your scorecard');
    expect(rowBefore).not.to.include('5.00');
    expect(rowBefore).not.to.include('Strong yes');

    // Once the leader submits, everything shows.
    const mine = await submitForm(leaderAgent, url, { score_research: '3', score_fit: '4', recommendation: 'yes', comment: '' }, `${url}/evaluation`);
    expect(mine.status).to.equal(303);
    const after = await leaderAgent.get(url).set('Accept', 'text/html');
    expect(after.text).not.to.include('id="others-hidden"');
    expect(after.text).to.include('SECRET-COMMENT');
    expect(after.text).to.include('Phạm Hội Đồng');
    const listAfter = await leaderAgent.get(`/shortlists/${w.call._id}`).set('Accept', 'text/html');
    const rowAfter = listAfter.text.split(`data-case="${kase._id}"`)[1]!.split('</tr>')[0]!;
    // research mean (5+3)/2 = 4 (weight 60), fit only the leader's 4 (weight 40) → 4.00
    expect(rowAfter).to.include('<strong>4.00</strong>');
    expect(rowAfter).to.include('Strong yes');

    // An administrator never scores and sees all of it.
    const admin = agent(t.app);
    await signIn(admin, w.admin);
    const adminView = await admin.get(url).set('Accept', 'text/html');
    expect(adminView.status).to.equal(200);
    expect(adminView.text).to.include('SECRET-COMMENT');
  });

  it('says "No score yet", not "Hidden until you score", while no scorecard is in (shortlist, compare, case page; en and vi)', async () => {
    const v = await makeWorld();
    const leader = agent(t.app);
    await signIn(leader, v.leader);
    const { kase: a } = await applicantCase(v.call, 'evaluation', { profile: { fullName: 'Nobody Scored' } });
    const { kase: b } = await applicantCase(v.call, 'evaluation', { profile: { fullName: 'Also Unscored' } });
    invalidateShortlist(v.call._id);
    const get = async (ag: Agent, url: string) => (await ag.get(url).set('Accept', 'text/html')).text;
    const rowOf = (html: string) => html.split(`data-case="${a._id}"`)[1]!.split('</tr>')[0]!;
    const scoreRow = (html: string) => html.match(/<tr><th scope="row">Score<\/th>[^]*?<\/tr>/)?.[0] ?? '';
    const caseUrl = `/shortlists/${v.call._id}/cases/${a._id}`;
    const compareUrl = `/shortlists/${v.call._id}/compare?ids=${a._id},${b._id}`;

    const list = rowOf(await get(leader, `/shortlists/${v.call._id}`));
    expect(list).to.include('No score yet');
    expect(list).to.include('0 of ');
    expect(list).not.to.include('Hidden until you score');
    const compare = scoreRow(await get(leader, compareUrl));
    expect(compare).to.include('No score yet');
    expect(compare).not.to.include('Hidden until you score');
    const casePage = await get(leader, caseUrl);
    expect(casePage).to.match(/<dt>Score<\/dt><dd><span class="muted">No score yet<\/span><\/dd>/);
    expect(casePage).not.to.include('Hidden until you score');
    expect(casePage).not.to.include('id="others-hidden"');
    expect(casePage).to.include('No other panel member has submitted a scorecard yet.');

    const leaderVi = await createUser({ role: 'leader', institute: v.instituteId, locale: 'vi' });
    const vi = agent(t.app);
    await signIn(vi, leaderVi);
    const listVi = rowOf(await get(vi, `/shortlists/${v.call._id}`));
    expect(listVi).to.include('Chưa có điểm');
    expect(listVi).not.to.include('Ẩn cho đến khi Anh/Chị');

    // Once another member has scored, there is something to hide from the leader who has not.
    const member = agent(t.app);
    await signIn(member, v.member);
    const scored = await submitForm(member, caseUrl, { score_research: '4', score_fit: '', recommendation: 'yes', comment: '' }, `${caseUrl}/evaluation`);
    expect(scored.status).to.equal(303);
    expect(rowOf(await get(leader, `/shortlists/${v.call._id}`))).to.include('Scores hidden until you submit your scorecard');
    expect(scoreRow(await get(leader, compareUrl))).to.include('Scores hidden until you submit your scorecard');
    const after = await get(leader, caseUrl);
    expect(after).to.include('Scores hidden until you submit your scorecard');
    expect(after).to.include('id="others-hidden"');
  });

  it('applies the minimum score only to the scores a viewer sees: a hidden score is never filtered on (that would tell it)', async () => {
    const { kase } = await applicantCase(w.call, 'evaluation');
    await Case.updateOne({ _id: kase._id }, { $set: { score: 4.3 } });
    invalidateShortlist(w.call._id); // written behind the app's back: its ranking is kept 30 s
    const rowOf = (html: string) => html.split(`data-case="${kase._id}"`)[1]?.split('</tr>')[0];
    const listed = async (a: Agent, min: string) => rowOf((await a.get(`/shortlists/${w.call._id}?minScore=${min}`).set('Accept', 'text/html')).text);

    // The leader has not scored it: listed under any minimum, score hidden, and the form says why.
    for (const min of ['4.3', '4.4', '5']) {
      const row = await listed(leaderAgent, min);
      expect(row, min).to.include('Scores hidden until you submit your scorecard');
      expect(row, min).not.to.include('4.30');
    }
    const form = (await leaderAgent.get(`/shortlists/${w.call._id}`).set('Accept', 'text/html')).text;
    expect(form).to.include('id="f-minScore-hint"');
    // An administrator sees scores, so the minimum applies.
    const admin = agent(t.app);
    await signIn(admin, w.admin);
    expect(await listed(admin, '4.3')).to.include('4.30');
    expect(await listed(admin, '4.4')).to.equal(undefined);
    // Once the leader's own scorecard is in, it applies to them too.
    await Evaluation.create({ case: kase._id, call: w.call._id, member: w.leader._id, scores: { research: 4 }, recommendation: 'yes', submittedAt: new Date() });
    invalidateShortlist(w.call._id);
    expect(await listed(leaderAgent, '4.3')).to.include('4.30');
    expect(await listed(leaderAgent, '4.4')).to.equal(undefined);
  });

  it("never places a case by a score hidden from the viewer: it comes after the ones they may rank, without a rank", async () => {
    const v = await makeWorld();
    const leader = agent(t.app);
    await signIn(leader, v.leader);
    const { kase: hidden } = await applicantCase(v.call, 'evaluation', { profile: { fullName: 'Hidden High' } });
    const { kase: seen } = await applicantCase(v.call, 'evaluation', { profile: { fullName: 'Seen Lower' } });
    const { kase: low } = await applicantCase(v.call, 'evaluation', { profile: { fullName: 'Seen Lowest' } });
    // The panel member scored all three; the leader only the two lower ones.
    await Case.updateOne({ _id: hidden._id }, { $set: { score: 5 } });
    await Case.updateOne({ _id: seen._id }, { $set: { score: 4 } });
    await Case.updateOne({ _id: low._id }, { $set: { score: 2 } });
    for (const k of [hidden, seen, low]) await Evaluation.create({ case: k._id, call: v.call._id, member: v.member._id, scores: { research: 4 }, recommendation: 'yes', submittedAt: new Date() });
    for (const k of [seen, low]) await Evaluation.create({ case: k._id, call: v.call._id, member: v.leader._id, scores: { research: 4 }, recommendation: 'yes', submittedAt: new Date() });
    invalidateShortlist(v.call._id);
    const order = (html: string) => [...html.matchAll(/<tr data-case="([a-f0-9]{24})">\s*<td[^>]*>[^]*?<\/td>\s*<td[^>]*>([^]*?)<\/td>/g)].map((m) => [m[1], m[2]!.includes('—') ? '—' : m[2]!.trim()]);
    const list = (await leader.get(`/shortlists/${v.call._id}`).set('Accept', 'text/html')).text;
    expect(order(list)).to.deep.equal([
      [String(seen._id), '1'],
      [String(low._id), '2'],
      [String(hidden._id), '—'],
    ]);
    // The administrator, who sees every score, gets the ranking as it is.
    const admin = agent(t.app);
    await signIn(admin, v.admin);
    expect(order((await admin.get(`/shortlists/${v.call._id}`).set('Accept', 'text/html')).text).map((r) => r[0])).to.deep.equal([String(hidden._id), String(seen._id), String(low._id)]);

    // Once scoring has closed (the case shortlisted), nobody can anchor any more: the leader who
    // decides without having scored sees the panel's scores and its place.
    await Case.updateOne({ _id: hidden._id }, { $set: { stage: 'shortlisted' } });
    invalidateShortlist(v.call._id);
    const closed = (await leader.get(`/shortlists/${v.call._id}`).set('Accept', 'text/html')).text;
    expect(order(closed)[0]).to.deep.equal([String(hidden._id), '1']);
    const page = (await leader.get(`/shortlists/${v.call._id}/cases/${hidden._id}`).set('Accept', 'text/html')).text;
    expect(page).not.to.include('id="others-hidden"');
    expect(page).to.include('Phạm Hội Đồng');
  });

  it('re-renders the scorecard with 422, errors beside the fields and the values kept', async () => {
    const { kase } = await applicantCase(w.call, 'evaluation');
    const url = `/shortlists/${w.call._id}/cases/${kase._id}`;
    const res = await submitForm(leaderAgent, url, { score_research: '7', score_fit: '2', recommendation: '', comment: 'kept text' }, `${url}/evaluation`);
    expect(res.status).to.equal(422);
    expect(res.text).to.include('id="f-score_research-error"');
    expect(res.text).to.include('id="f-recommendation-error"');
    expect(res.text).to.include('kept text');
    expect(res.text).to.match(/<option value="2" selected>2<\/option>/);
    const unknown = await submitForm(leaderAgent, url, { score_research: '3', score_charisma: '5', recommendation: 'no' }, `${url}/evaluation`);
    expect(unknown.status).to.equal(422);
    // A criterion the page does not show (renamed or removed since the form was opened): said above the scores, not lost.
    expect(unknown.text).to.include('id="f-scores-error"');
    expect(unknown.text).to.include('a criterion you scored is no longer on it');
    const none = await submitForm(leaderAgent, url, { score_research: '', score_fit: '', recommendation: 'no' }, `${url}/evaluation`);
    expect(none.status).to.equal(422);
    expect(none.text).to.include('Score at least one criterion');
    expect(await Evaluation.countDocuments({ case: kase._id })).to.equal(0);
  });

  it('keeps one scorecard per member and case (a second submission replaces the first)', async () => {
    const { kase } = await applicantCase(w.call, 'evaluation');
    const url = `/shortlists/${w.call._id}/cases/${kase._id}`;
    await submitForm(memberAgent, url, { score_research: '2', score_fit: '2', recommendation: 'no' }, `${url}/evaluation`);
    await submitForm(memberAgent, url, { score_research: '4', score_fit: '4', recommendation: 'yes' }, `${url}/evaluation`);
    const sheets = await Evaluation.find({ case: kase._id }).lean();
    expect(sheets).to.have.length(1);
    expect(sheets[0]!.recommendation).to.equal('yes');
    expect((await Case.findById(kase._id).lean())!.score).to.equal(4);
  });

  it('lets an administrator name and remove panel members (User.panelCalls), staff only', async () => {
    const admin = agent(t.app);
    await signIn(admin, w.admin);
    const external = await createUser({ role: 'hr_officer', institute: w.otherInstituteId, name: 'External Reviewer' });
    const panelUrl = `/admin/calls/${w.call._id}/panel`;
    const page = await admin.get(panelUrl).set('Accept', 'text/html');
    expect(page.status).to.equal(200);
    expect(page.text).to.include('Phạm Hội Đồng');
    const add = await submitForm(admin, panelUrl, { email: external.email });
    expect(add.status).to.equal(303);
    expect((await User.findById(external._id).lean())!.panelCalls.map(String)).to.deep.equal([String(w.call._id)]);
    const applicant = await createUser({ role: 'applicant' });
    const refused = await submitForm(admin, panelUrl, { email: applicant.email });
    expect(refused.status).to.equal(422);
    expect(refused.text).to.include('No active leader or HR officer account');
    const remove = await submitForm(admin, panelUrl, { userId: String(external._id) }, `${panelUrl}/remove`);
    expect(remove.status).to.equal(303);
    expect((await User.findById(external._id).lean())!.panelCalls).to.deep.equal([]);
  });

  it('marks a disabled panel member on the panel page: still named (their scorecards stay), but unable to sign in or score', async () => {
    const admin = agent(t.app);
    await signIn(admin, w.admin);
    const member = await createUser({ role: 'hr_officer', institute: w.otherInstituteId, name: 'Disabled Reviewer' });
    await User.updateOne({ _id: member._id }, { $set: { panelCalls: [w.call._id], disabledAt: new Date() } });
    const active = await createUser({ role: 'hr_officer', institute: w.otherInstituteId, name: 'Active Reviewer' });
    await User.updateOne({ _id: active._id }, { $set: { panelCalls: [w.call._id] } });
    const page = await admin.get(`/admin/calls/${w.call._id}/panel`).set('Accept', 'text/html');
    expect(page.status).to.equal(200);
    const row = (name: string) => new RegExp(`<tr>\\s*<td>${name}[\\s\\S]*?</tr>`).exec(page.text)?.[0] ?? '';
    expect(row('Disabled Reviewer')).to.include('data-member-disabled');
    expect(row('Active Reviewer')).to.include('Active Reviewer').and.not.include('data-member-disabled');
  });
});
