// Security review s35 of session 34's code, as an attacker (the embedded server's part is in
// test/embedded-mongo/pre-auth-s35.test.ts):
// - the panel's minimum of complete scorecards subtracted every declared conflict of interest on the
//   case, also those of members no longer on the panel (removed, disabled), whom the panel's size no
//   longer counted: subtracted twice, the minimum fell below what the panel could give (3 asked, 2
//   able to score, 1 asked) and a leader decided on one scorecard;
// - a scorecard sent at the same moment as its member's declaration of a conflict survived it (the
//   submit checked for a conflict before writing, the declaration withdrew before the write): a
//   member with a declared conflict still weighed in the case's score;
// - a conflict's reason, read by the leaders and the panel, took control and direction-override
//   characters, and ten zero-width spaces passed its 10-character minimum;
// - a leader who declared a conflict of interest on a candidate (stopped scoring their relative)
//   could still shortlist or approve them: the decision is now refused to them (another leader or an
//   administrator decides);
// - what was checked and found sound is said in each test's name.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Evaluation } from '../../models/evaluation.ts';
import { PanelConflict } from '../../models/panel-conflict.ts';
import { User } from '../../models/user.ts';
import { Case } from '../../models/case.ts';
import { panelScores } from '../../server/evaluations/decision.ts';
import { declareConflict, submitEvaluation } from '../../server/evaluations/index.ts';
import { systemContext } from '../../server/context.ts';
import { agent, csrfFrom, followConfirm } from '../support/http.ts';
import { signIn } from '../support/factories.ts';
import { linkIn } from '../support/smtp.ts';
import { MailLog } from '../../models/mail-log.ts';
import { postForm } from '../accounts/helpers.ts';
import { removePanelMember } from '../../server/evaluations/panel.ts';
import { procedureWorld, save, vn } from '../procedures/support.ts';
import { deliver, signedIn } from '../applications/support.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';

describe('security s35: declared conflicts of interest and the panel', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(async () => {
    await t?.close();
  });

  async function panelOfThree(minScorecards = 3) {
    const institute = await createInstitute();
    const leader = await createUser({ role: 'leader', institute });
    const call = await createCall({ institute, minScorecards });
    const a = await createUser({ role: 'hr_officer', institute, panelCalls: [call._id] });
    const b = await createUser({ role: 'hr_officer', institute, panelCalls: [call._id] });
    const applicant = await createUser({ role: 'applicant' });
    const kase = await createCase({ applicant, call, stage: 'evaluation' });
    return { institute, leader, call, a, b, kase };
  }

  it("counts only the conflicts of members still on the panel: one removed (or disabled) after declaring does not lower the minimum below what the rest can give", async () => {
    const { leader, call, a, b, kase } = await panelOfThree(3);
    const now = new Date();
    await declareConflict({ ctx: systemContext({ now, actor: a }), caseId: String(kase._id), callId: String(call._id), reason: 'My former doctoral student.' });
    // Three on the panel, one conflicted: the two others.
    expect((await panelScores({ call, caseId: kase._id })).required).to.equal(2);

    // The conflicted member leaves the panel: still the two who can score it, not one.
    await User.updateOne({ _id: a._id }, { $pull: { panelCalls: call._id } });
    expect((await panelScores({ call, caseId: kase._id })).required, 'a removed member counted out twice').to.equal(2);

    // Disabled rather than removed: the same.
    await User.updateOne({ _id: a._id }, { $addToSet: { panelCalls: call._id }, $set: { disabledAt: new Date() } });
    expect((await panelScores({ call, caseId: kase._id })).required, 'a disabled member counted out twice').to.equal(2);

    // One scorecard in, from the leader: not enough for a decision.
    await submitEvaluation({ ctx: systemContext({ now, actor: leader }), caseId: String(kase._id), callId: String(call._id), input: { scores: { research: 4, fit: 4 }, recommendation: 'yes', comment: '' } });
    const scores = await panelScores({ call, caseId: kase._id });
    expect(scores.complete).to.be.lessThan(scores.required);
    // The shortlist's count says the same panel (s35b): leader and b can score, the disabled member's conflict not counted again.
    const la = agent(t.app);
    await signIn(la, leader);
    expect((await la.get(`/shortlists/${call._id}`).set('Accept', 'text/html')).text).to.include('1 of 2 panel members scored');
    void b;
  });

  it('a scorecard sent at the same moment as its member declares a conflict never survives the declaration', async () => {
    const { call, a } = await panelOfThree(2);
    const now = new Date();
    const ctx = systemContext({ now, actor: a });
    const survived: string[] = [];
    for (let i = 0; i < 12; i++) {
      const applicant = await createUser({ role: 'applicant' });
      const kase = await createCase({ applicant, call, stage: 'evaluation' });
      const caseId = String(kase._id);
      const submit = submitEvaluation({ ctx, caseId, callId: String(call._id), input: { scores: { research: 5, fit: 5 }, recommendation: 'yes', comment: 'all fives' } }).catch((e: unknown) => e);
      const declare = declareConflict({ ctx, caseId, callId: String(call._id), reason: 'My co-author on two papers.' });
      await Promise.all([submit, declare]);
      expect(await PanelConflict.countDocuments({ case: kase._id, member: a._id })).to.equal(1);
      if (await Evaluation.exists({ case: kase._id, member: a._id })) survived.push(caseId);
      // The stored score agrees: no scorecard, no score.
      const c = await Case.findById(kase._id, { score: 1 }).lean();
      if (c?.score != null) survived.push(`${caseId} score ${c.score}`);
    }
    expect(survived, 'cases where the conflicted scorecard stayed').to.deep.equal([]);
  });
});

describe('security s35: the conflict-of-interest form, hostile input', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(async () => {
    await t?.close();
  });

  it('refuses hidden characters and invisible-only reasons, arrays, objects, `$` and `__proto__` keys, oversize texts, and another call\'s path: nothing declared, the scorecard kept', async () => {
    const institute = await createInstitute();
    const leader = await createUser({ role: 'leader', institute });
    const call = await createCall({ institute, minScorecards: 1 });
    const otherCall = await createCall({ institute: await createInstitute(), minScorecards: 1 });
    const applicant = await createUser({ role: 'applicant' });
    const kase = await createCase({ applicant, call, stage: 'evaluation' });
    await submitEvaluation({ ctx: systemContext({ now: new Date(), actor: leader }), caseId: String(kase._id), callId: String(call._id), input: { scores: { research: 4, fit: 4 }, recommendation: 'yes', comment: '' } });
    const a = agent(t.app);
    await signIn(a, leader);
    const page = await a.get(`/shortlists/${call._id}/cases/${kase._id}`).set('Accept', 'text/html');
    expect(page.status).to.equal(200);
    const token = csrfFrom(page.text);
    const url = `/shortlists/${call._id}/cases/${kase._id}/conflict`;
    const form = (body: string) => a.post(url).type('form').set('Accept', 'text/html').send(`_csrf=${encodeURIComponent(token)}&${body}`);
    const json = (body: unknown) => a.post(url).set('Accept', 'text/html').set('Content-Type', 'application/json').set('x-csrf-token', token).send(JSON.stringify(body));
    const reason = 'My co-author on two papers.';
    const attempts: Array<[string, () => Promise<{ status: number; text: string }>]> = [
      ['a direction override', () => form(`conflictReason=${encodeURIComponent(`My co-author \u202Eon two papers.`)}`)],
      ['NUL', () => form(`conflictReason=${encodeURIComponent(`My co-author\u0000 on two papers.`)}`)],
      ['ten zero-width spaces', () => form(`conflictReason=${encodeURIComponent('\u200B'.repeat(12))}`)],
      ['the field twice', () => form(`conflictReason=${encodeURIComponent(reason)}&conflictReason=${encodeURIComponent(reason)}`)],
      ['a bracketed name', () => form(`conflictReason[0]=${encodeURIComponent(reason)}`)],
      ['__proto__ in the name', () => form(`conflictReason[__proto__][x]=${encodeURIComponent(reason)}`)],
      ['over 1,000 characters', () => form(`conflictReason=${'x'.repeat(1001)}`)],
      ['an array (JSON)', () => json({ conflictReason: [reason, reason] })],
      ['an operator object (JSON)', () => json({ conflictReason: { $gt: '' } })],
      ['__proto__ (JSON)', () => json({ ['__proto__']: { conflictReason: reason } })],
    ];
    for (const [what, send] of attempts) {
      const res = await send();
      expect(res.status, `${what}: ${res.status}`).to.be.oneOf([400, 403, 422]);
      expect(await PanelConflict.countDocuments({ case: kase._id }), what).to.equal(0);
    }
    expect(await Evaluation.countDocuments({ case: kase._id, member: leader._id }), 'the scorecard is still there').to.equal(1);
    // The same case under another institute's call: not found, nothing declared.
    const cross = await a.post(`/shortlists/${otherCall._id}/cases/${kase._id}/conflict`).type('form').set('Accept', 'text/html').send({ _csrf: token, conflictReason: reason });
    expect(cross.status).to.be.oneOf([403, 404]);
    // A plain reason still works, and a second submit keeps the first.
    expect((await form(`conflictReason=${encodeURIComponent(reason)}`)).status).to.equal(303);
    expect((await form(`conflictReason=${encodeURIComponent('Another reason, sent twice.')}`)).status).to.equal(303);
    const declared = await PanelConflict.find({ case: kase._id }).lean();
    expect(declared.map((d) => d.reason)).to.deep.equal([reason]);
    expect(await Evaluation.countDocuments({ case: kase._id, member: leader._id }), 'withdrawn by the declaration').to.equal(0);
  });
});

describe('security s35: the mail log keeps no one-time link', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(async () => {
    await t?.close();
  });

  // Checked, sound: the sent copy (sentText, sentHtml) is kept for case e-mails only, and no case
  // e-mail carries a token; an account e-mail with a one-time link keeps neither its copy nor its data.
  it("a password reset's log row holds no part of its token, in any field, the hidden copies included", async () => {
    const user = await createUser({ role: 'applicant' });
    const res = await postForm(agent(t.app), '/password/forgot', '/password/forgot', { email: user.email });
    expect(res.status).to.equal(200);
    const mail = await t.smtp.waitForTo(user.email, /reset/i);
    const link = linkIn(mail.text, '/password/reset/');
    const token = link.split('/password/reset/')[1]!.split(/[?#\s]/)[0]!;
    expect(token.length).to.be.greaterThan(15);
    let rows: unknown[] = [];
    for (let i = 0; i < 40 && rows.length === 0; i++) {
      rows = await MailLog.find({ to: user.email.toLowerCase() }).select('+sentText +sentHtml +sentCut').lean();
      if (!rows.length) await new Promise((r) => setTimeout(r, 50));
    }
    expect(rows, 'the reset is logged').to.have.length.greaterThan(0);
    const stored = JSON.stringify(rows);
    expect(stored).not.to.include(token);
    expect(stored).not.to.include(token.slice(0, 16));
    expect(stored).not.to.include('/password/reset/');
    // Nor does the person's own data export (it lists case e-mails only, as sent).
    const own = agent(t.app);
    await signIn(own, user);
    const exported = await own.get('/account/export');
    expect(exported.status).to.equal(200);
    expect(exported.text).not.to.include(token.slice(0, 16));
    expect(exported.text).not.to.include('/password/reset/');
  });
});

describe('security s35: "N of M panel members scored" and a member removed from the panel', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(async () => {
    await t?.close();
  });

  // Checked, sound: the count says how many scored, never who or what while the others' scores are
  // hidden; the panel's size is kept a few seconds, but who may open and score is read on each request.
  it('shows a member who has not scored the count only (no scorer, no score, no comment), and refuses a removed member at once', async () => {
    const institute = await createInstitute();
    const leader = await createUser({ role: 'leader', institute, name: 'Leader Lan' });
    const call = await createCall({ institute, minScorecards: 2 });
    const scorer = await createUser({ role: 'hr_officer', institute, panelCalls: [call._id], name: 'Scorer Sang' });
    const waiting = await createUser({ role: 'hr_officer', institute, panelCalls: [call._id], name: 'Waiting Vy', locale: 'en' });
    const admin = await createUser({ role: 'admin' });
    const applicant = await createUser({ role: 'applicant' });
    const kase = await createCase({ applicant, call, stage: 'evaluation' });
    await submitEvaluation({ ctx: systemContext({ now: new Date(), actor: scorer }), caseId: String(kase._id), callId: String(call._id), input: { scores: { research: 5, fit: 2 }, recommendation: 'strong_yes', comment: 'ZEBRA-COMMENT-7' } });
    const a = agent(t.app);
    await signIn(a, waiting);
    const list = await a.get(`/shortlists/${call._id}`).set('Accept', 'text/html');
    expect(list.status).to.equal(200);
    expect(list.text).to.include('1 of 3 panel members have scored');
    const page = await a.get(`/shortlists/${call._id}/cases/${kase._id}`).set('Accept', 'text/html');
    expect(page.status).to.equal(200);
    for (const text of [list.text, page.text]) {
      expect(text).not.to.include('Scorer Sang');
      expect(text).not.to.include('ZEBRA-COMMENT-7');
    }
    const token = csrfFrom(page.text);

    await removePanelMember({ ctx: systemContext({ now: new Date(), actor: admin }), callId: String(call._id), userId: waiting._id });
    expect((await a.get(`/shortlists/${call._id}`).set('Accept', 'text/html')).status).to.be.oneOf([403, 404]);
    expect((await a.get(`/shortlists/${call._id}/cases/${kase._id}`).set('Accept', 'text/html')).status).to.be.oneOf([403, 404]);
    const score = await a.post(`/shortlists/${call._id}/cases/${kase._id}/evaluation`).type('form').set('Accept', 'text/html').send({ _csrf: token, score_research: '1', score_fit: '1', recommendation: 'no' });
    expect(score.status).to.be.oneOf([403, 404]);
    const conflict = await a.post(`/shortlists/${call._id}/cases/${kase._id}/conflict`).type('form').set('Accept', 'text/html').send({ _csrf: token, conflictReason: 'A relative of mine, by marriage.' });
    expect(conflict.status).to.be.oneOf([403, 404]);
    expect(await Evaluation.countDocuments({ case: kase._id, member: waiting._id })).to.equal(0);
    expect(await PanelConflict.countDocuments({ case: kase._id })).to.equal(0);
    // The count follows the panel at once (the kept size is forgotten on the account's write).
    const leaderAgent = agent(t.app);
    await signIn(leaderAgent, leader);
    expect((await leaderAgent.get(`/shortlists/${call._id}`).set('Accept', 'text/html')).text).to.include('1 of 2 panel members have scored');
  });
});

describe('security s35: a leader with a declared conflict does not decide the case', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(async () => {
    await t?.close();
  });

  it('refuses the decision and its confirmation to the conflicted leader (en, vi), nothing changed; an administrator still decides', async () => {
    const institute = await createInstitute();
    const leader = await createUser({ role: 'leader', institute, locale: 'en' });
    const call = await createCall({ institute, minScorecards: 1 });
    const member = await createUser({ role: 'hr_officer', institute, panelCalls: [call._id] });
    const admin = await createUser({ role: 'admin' });
    const applicant = await createUser({ role: 'applicant' });
    const kase = await createCase({ applicant, call, stage: 'evaluation' });
    const now = new Date();
    await submitEvaluation({ ctx: systemContext({ now, actor: member }), caseId: String(kase._id), callId: String(call._id), input: { scores: { research: 5, fit: 5 }, recommendation: 'strong_yes', comment: '' } });
    await declareConflict({ ctx: systemContext({ now, actor: leader }), caseId: String(kase._id), callId: String(call._id), reason: 'The candidate is my nephew.' });
    const before = (await Case.findById(kase._id).lean())!;

    const a = agent(t.app);
    await signIn(a, leader);
    const url = `/shortlists/${call._id}/cases/${kase._id}`;
    const shown = await a.get(url).set('Accept', 'text/html');
    // Said before the leader types a reason, the form closed.
    expect(shown.text).to.include('id="decision-barred"').and.match(/id="decision-inputs" disabled aria-describedby="decision-barred"/);
    const token = csrfFrom(shown.text);
    const form = { _csrf: token, action: 'shortlist', version: String(before.version), reason: 'An outstanding record in the field, clearly first.' };
    const step1 = await a.post(`${url}/decision`).type('form').set('Accept', 'text/html').send(form);
    expect(step1.status).to.equal(422);
    expect(step1.text).to.include('id="conflict-error"').and.include('You declared a conflict of interest on this candidate');
    const step2 = await a.post(`${url}/decision/confirm`).type('form').set('Accept', 'text/html').send(form);
    expect(step2.status).to.equal(422);
    const after = (await Case.findById(kase._id).lean())!;
    expect(after.stage).to.equal('evaluation');
    expect(after.version).to.equal(before.version);

    // In Vietnamese, staff addressed as Anh/Chị.
    await User.updateOne({ _id: leader._id }, { $set: { locale: 'vi' } });
    const vi = await a.post(`${url}/decision`).type('form').set('Accept', 'text/html').send(form);
    expect(vi.status).to.equal(422);
    expect(vi.text).to.include('Anh/Chị đã khai báo xung đột lợi ích');

    const ad = agent(t.app);
    await signIn(ad, admin);
    const adminToken = csrfFrom((await ad.get(url).set('Accept', 'text/html')).text);
    const adminStep1 = await followConfirm(ad, await ad.post(`${url}/decision`).type('form').set('Accept', 'text/html').send({ ...form, _csrf: adminToken }));
    expect(adminStep1.status, 'the administrator reaches the confirmation page').to.equal(200);
    expect((await ad.get(url).set('Accept', 'text/html')).text).not.to.include('id="decision-barred"');
  });
});

describe('security s35: the internal note on a stopped procedure never reaches the applicant', () => {
  let t: TestApp;
  let hrEn: UserDoc;
  let call: CallDoc;
  const clock = vn('2027-03-03');
  before(async () => {
    ({ t, hrEn, call } = await procedureWorld(() => clock));
  });
  after(async () => {
    await t?.close();
  });

  // Checked, sound: the note is HR's (history.note), the reason is the message (history.procedure.message);
  // the outbox item's data, the sent copy the mail log keeps, and the applicant's export carry the reason only.
  it("neither in the outbox item's data, the mail log's sent copy, nor the applicant's data export", async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await createCase({ applicant, call, stage: 'onboarding', assignee: hrEn._id, supportTracks: [{ kind: 'work_permit', status: 'filed', filedAt: vn('2027-02-25'), dueAt: vn('2027-03-11'), office: 'Sở Nội vụ Hà Nội', updatedAt: vn('2027-02-25') }] });
    const reason = 'The position was withdrawn by the institute; the permit file has been withdrawn.';
    const res = await save(await signedIn(t, hrEn), `/cases/${c._id}/procedures/work_permit`, { status: 'not_needed', message: reason, note: 'INTERNAL-QX7 budget cut' });
    expect(res.status).to.equal(303);
    await deliver(t, c._id);
    await t.smtp.waitForTo(applicant.email, new RegExp(`\\[${c.reference}\\]`));

    const stored = (await Case.findById(c._id).lean())!;
    expect(stored.history.at(-1)!.note, 'kept for HR').to.include('INTERNAL-QX7');
    expect(JSON.stringify(stored.outbox)).to.include(reason).and.not.include('INTERNAL-QX7');
    const rows = await MailLog.find({ case: c._id }).select('+sentText +sentHtml').lean();
    expect(rows.length).to.be.greaterThan(0);
    expect(JSON.stringify(rows)).to.include('Why this procedure stopped').and.not.include('INTERNAL-QX7');
    const exported = await (await signedIn(t, applicant)).get('/account/export');
    expect(exported.status).to.equal(200);
    expect(exported.text).to.include('Why this procedure stopped').and.not.include('INTERNAL-QX7');
  });
});
