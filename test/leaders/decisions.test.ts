import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent, csrfFrom, followConfirm, submitForm, type Agent, confirmationForm } from '../support/http.ts';
import { createUser, signIn } from '../support/factories.ts';
import { dispatchOnce } from '../../server/outbox/index.ts';
import { Case } from '../../models/case.ts';
import { Call } from '../../models/call.ts';
import { Evaluation } from '../../models/evaluation.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import type { CaseDoc } from '../../models/case.ts';
import type { UserDoc } from '../../models/user.ts';
import { makeWorld, applicantCase, type World } from './context.ts';

/** A panel member's scorecard; complete unless only some criteria are given. */
async function score(kase: CaseDoc, member: UserDoc, scores: Record<string, number> = { research: 4, fit: 3 }) {
  await Evaluation.create({ case: kase._id, call: kase.call, member: member._id, scores, recommendation: 'yes', submittedAt: new Date() });
}

describe("leaders: decisions are workflow transitions with a reason, a confirmation and the candidate's e-mail", () => {
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

  /** Step 1: the decision form from the case page (200 = the confirmation page). */
  async function review(a: Agent, caseId: unknown, fields: Record<string, string>) {
    // These leaders decide without having scored: ticked, as the form asks while the panel's scores are
    // hidden from them (lead s35; the refusal without it is test/leaders/blind-s35.test.ts's).
    return followConfirm(a, await submitForm(a, caseUrl(caseId), { withoutScores: '1', ...fields }, `${caseUrl(caseId)}/decision`));
  }

  /** Step 2: the confirmation page's own form, as the page gives it. */
  async function confirm(a: Agent, page: string, caseId: unknown) {
    // With a rejection's words for the candidate, prefilled and editable.
    const form = confirmationForm(page);
    expect(form.action).to.equal(`${caseUrl(caseId)}/decision/confirm`);
    return a.post(form.action).type('form').set('Accept', 'text/html').send(form.fields);
  }

  /** Both steps. */
  async function decide(a: Agent, caseId: unknown, fields: Record<string, string>) {
    const page = await review(a, caseId, fields);
    expect(page.status, page.text.slice(0, 600)).to.equal(200);
    return { page, res: await confirm(a, page.text, caseId) };
  }

  it('shortlists, then approves the offer: a confirmation first, then stage, history, audit and one e-mail each', async () => {
    const { applicant, kase } = await applicantCase(w.call, 'evaluation');
    await score(kase, w.member);
    const reason = 'Strong publication record and a clear research plan.';
    const { page, res } = await decide(leader, kase._id, { action: 'shortlist', version: String(kase.version), reason });
    expect(page.text).to.include('id="candidate-told"');
    expect(res.status, res.text.slice(0, 400)).to.equal(303);
    let c = (await Case.findById(kase._id).lean())!;
    expect(c.stage).to.equal('shortlisted');
    expect(c.history.at(-1)).to.include({ action: 'shortlist', from: 'evaluation', to: 'shortlisted', note: reason });
    expect(String(c.history.at(-1)!.actor)).to.equal(String(w.leader._id));
    await dispatchOnce(t.ctx, { owner: 'leaders-test', caseIds: [kase._id] });
    const shortlisted = await t.smtp.waitForTo(applicant.email, /shortlisted/);
    expect(shortlisted.subject).to.include(kase.reference);
    expect(shortlisted.text).not.to.include(reason);

    // The page now offers the offer decision with the new version.
    const casePage = await leader.get(caseUrl(kase._id)).set('Accept', 'text/html');
    expect(casePage.text).to.include('value="approve_offer"');
    expect(casePage.text).not.to.include('value="shortlist"');
    const offerReason = 'Best candidate of the call; the panel agrees unanimously.';
    const approve = await decide(leader, kase._id, { action: 'approve_offer', version: String(c.version), reason: offerReason });
    expect(approve.res.status).to.equal(303);
    c = (await Case.findById(kase._id).lean())!;
    expect(c.stage).to.equal('offer');
    expect(String(c.decision?.decidedBy)).to.equal(String(w.leader._id));
    expect(c.decision?.reason).to.equal(offerReason);
    await dispatchOnce(t.ctx, { owner: 'leaders-test', caseIds: [kase._id] });
    const offer = await t.smtp.waitForTo(applicant.email, /offer/);
    expect(offer.subject).to.include(kase.reference);
    expect(offer.text).not.to.include(offerReason);
    expect(t.smtp.to(applicant.email)).to.have.length(2);
    const audits = await AuditEvent.find({ targetId: String(kase._id), action: 'case.transition' }).lean();
    expect(audits.map((a) => (a.summary as { action: string }).action).sort()).to.deep.equal(['approve_offer', 'shortlist']);
    const decisions = await AuditEvent.find({ targetId: String(kase._id), action: 'case.decision' }).sort({ at: 1 }).lean();
    expect(decisions.map((a) => (a.summary as { reason: string }).reason)).to.deep.equal([reason, offerReason]);
  });

  it('shows on the confirmation page exactly the e-mail the candidate then receives, in their language, and the reason as internal', async () => {
    const { applicant, kase } = await applicantCase(w.call, 'evaluation', {}, 'vi');
    await score(kase, w.leader); // the leader scored it: the rejected case stays theirs to open
    const reason = 'Internal: weaker than two other candidates on fit.';
    const page = await review(leader, kase._id, { action: 'reject', version: String(kase.version), reason });
    expect(page.status).to.equal(200);
    const subject = decodeHtml(/id="preview-subject">([^<]*)</.exec(page.text)![1]!);
    // The pre's text (a rejection's told words sit in a span the page's script redraws).
    const text = decodeHtml(/id="preview-text" lang="vi">([\s\S]*?)<\/pre>/.exec(page.text)![1]!.replace(/<\/?span[^>]*>/g, ''));
    expect(subject).to.include('Kết quả xét hồ sơ');
    expect(text).to.include(kase.reference);
    expect(text).not.to.include(reason);
    const internal = /<section class="panel" aria-labelledby="internal-h" id="stays-internal">([\s\S]*?)<\/section>/.exec(page.text)![1]!;
    expect(decodeHtml(internal)).to.include(reason);
    // Nothing is sent or changed before the confirmation.
    expect((await Case.findById(kase._id).lean())!.stage).to.equal('evaluation');

    const res = await confirm(leader, page.text, kase._id);
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal(`/shortlists/${w.call._id}`);
    const c = (await Case.findById(kase._id).lean())!;
    expect(c.stage).to.equal('rejected');
    expect(c.decision?.reason).to.equal(reason);
    expect(c.history.at(-1)!.note).to.equal(reason);
    // The e-mail owed is stored without it, not only rendered without it.
    expect(JSON.stringify(c.outbox)).not.to.include('weaker than two other');
    // The case's timeline shows the reason to staff; the applicant's own page does not.
    const timeline = await leader.get(`/cases/${kase._id}`).set('Accept', 'text/html');
    expect(timeline.status).to.equal(200);
    expect(decodeHtml(/<section class="panel" id="timeline">([\s\S]*?)<\/section>/.exec(timeline.text)![1]!)).to.include(reason);
    const own = agent(t.app);
    await signIn(own, applicant);
    const ownPage = await own.get(`/applications/${kase._id}`).set('Accept', 'text/html');
    expect(ownPage.status).to.equal(200);
    expect(decodeHtml(ownPage.text)).not.to.include(reason);
    await dispatchOnce(t.ctx, { owner: 'leaders-test', caseIds: [kase._id] });
    const mail = await t.smtp.waitForTo(applicant.email);
    expect(mail.subject).to.equal(subject);
    expect(mail.text!.trim()).to.equal(text.trim());
    expect(mail.text).not.to.include(reason);
    expect(mail.html).not.to.include('weaker than two other');
  });

  it("asks a rejection for what the candidate is told (prefilled in their language, editable, in the e-mail preview), stores, audits and sends it, never the internal reason", async () => {
    const { applicant, kase } = await applicantCase(w.call, 'evaluation', {}, 'vi');
    await score(kase, w.member);
    const reason = 'Internal: weakest publication record of the shortlist.';
    const page = await review(leader, kase._id, { action: 'reject', version: String(kase.version), reason });
    expect(page.status).to.equal(200);
    // The field, prefilled with the courteous default in the candidate's language (vi), the hint naming it.
    const field = decodeHtml(/<textarea id="f-toldReason" name="toldReason"[^>]*>([\s\S]*?)<\/textarea>/.exec(page.text)![1]!);
    expect(field).to.include('Hội đồng tuyển chọn đã xem xét kỹ hồ sơ của Ông/Bà');
    expect(page.text).to.include('What the candidate will be told');
    expect(page.text).to.include('in Vietnamese (the candidate&#x27;s language)');
    const preview = (html: string) => decodeHtml(/id="preview-text" lang="vi">([\s\S]*?)<\/pre>/.exec(html)![1]!.replace(/<\/?span[^>]*>/g, ''));
    expect(preview(page.text)).to.include(field);
    expect(preview(page.text)).not.to.include(reason);
    // Edited, and shown in the e-mail before it is sent.
    const told = 'Hội đồng đánh giá cao hồ sơ của Ông/Bà nhưng đã chọn ứng viên có kinh nghiệm gần hơn với đề tài.';
    const refreshed = await followConfirm(leader, await leader.post(`${caseUrl(kase._id)}/decision`).type('form').set('Accept', 'text/html')
      .send({ _csrf: csrfFrom(page.text), action: 'reject', version: String(kase.version), reason, toldReason: told, refresh: '1', withoutScores: '1' }));
    expect(refreshed.status).to.equal(200);
    expect(preview(refreshed.text)).to.include(told);
    expect(preview(refreshed.text)).not.to.include('Hội đồng tuyển chọn đã xem xét kỹ');
    expect((await Case.findById(kase._id).lean())!.stage).to.equal('evaluation');

    const res = await confirm(leader, refreshed.text, kase._id);
    expect(res.status).to.equal(303);
    const c = (await Case.findById(kase._id).lean())!;
    expect(c.stage).to.equal('rejected');
    expect(c.decision).to.include({ reason, toldReason: told });
    const audit = (await AuditEvent.findOne({ targetId: String(kase._id), action: 'case.decision' }).lean())!;
    expect(audit.summary).to.include({ decision: 'reject', reason, toldReason: told });
    // The e-mail, through the real SMTP server: the told words, never the internal reason.
    await dispatchOnce(t.ctx, { owner: 'leaders-test', caseIds: [kase._id] });
    const mail = await t.smtp.waitForTo(applicant.email, /Kết quả xét hồ sơ/);
    expect(mail.text).to.include('Thông báo của Hội đồng tuyển chọn:');
    expect(mail.text).to.include(told);
    expect(mail.text).to.include('Ông/Bà');
    expect(mail.html).to.include(told);
    expect(mail.text).not.to.include('weakest publication');
    expect(mail.html).not.to.include('weakest publication');
    expect(mail.text!.trim()).to.equal(preview(refreshed.text).trim());
    // The applicant's page shows the told words, not the reason.
    const own = agent(t.app);
    await signIn(own, applicant);
    const ownPage = decodeHtml((await own.get(`/applications/${kase._id}`).set('Accept', 'text/html')).text);
    expect(ownPage).to.include(told);
    expect(ownPage).not.to.include('weakest publication');
  });

  it('sends only the words the e-mail preview showed: edited without redrawing it, the confirm is refused (409) with the preview redrawn; confirmed again, those words go', async () => {
    const { applicant, kase } = await applicantCase(w.call, 'evaluation');
    await score(kase, w.member);
    const reason = 'Internal: the panel preferred a closer research profile.';
    const page = await review(leader, kase._id, { action: 'reject', version: String(kase.version), reason });
    expect(page.status).to.equal(200);
    const preview = (html: string) => decodeHtml(/id="preview-text" lang="en">([\s\S]*?)<\/pre>/.exec(html)![1]!.replace(/<\/?span[^>]*>/g, ''));
    // The told words sit in their own span, for the page's script to redraw as they are typed.
    expect(page.text).to.match(/<span id="preview-told">The selection panel has carefully compared your application/);
    expect(page.text).to.include('<script src="/static/js/told-preview.js" defer></script>');
    const hidden = (html: string) => decodeHtml(/<input type="hidden" name="previewedToldReason" value="([^"]*)">/.exec(html)![1]!);
    expect(hidden(page.text)).to.include('The selection panel has carefully compared your application');

    // The leader edits the words and confirms without "Show it in the e-mail" (no script ran).
    const edited = 'Thank you for your application. The panel chose a candidate whose work is closer to the project\'s topic.';
    const form = { _csrf: csrfFrom(page.text), action: 'reject', version: String(kase.version), reason, previewedToldReason: hidden(page.text), withoutScores: '1' };
    const refused = await leader.post(`${caseUrl(kase._id)}/decision/confirm`).type('form').set('Accept', 'text/html').send({ ...form, toldReason: `${edited}\r\n` });
    expect(refused.status).to.equal(409);
    expect(decodeHtml(refused.text)).to.include('The words for the candidate changed after the e-mail was shown. The e-mail now shows them: read it, then confirm again.');
    expect(preview(refused.text)).to.include(edited);
    expect(preview(refused.text)).not.to.include('The selection panel has carefully compared');
    expect(hidden(refused.text)).to.equal(edited);
    // A hand-made confirm without what was previewed is refused the same way.
    const { previewedToldReason: _unused, ...bare } = form;
    expect((await leader.post(`${caseUrl(kase._id)}/decision/confirm`).type('form').set('Accept', 'text/html').send({ ...bare, toldReason: edited })).status).to.equal(409);
    let c = (await Case.findById(kase._id).lean())!;
    expect(c.stage).to.equal('evaluation');
    expect(c.outbox ?? []).to.have.length(0);
    expect(await AuditEvent.countDocuments({ targetId: String(kase._id), action: 'case.decision' })).to.equal(0);

    // Confirmed from the redrawn page: the words it showed are stored and sent, as previewed.
    const res = await confirm(leader, refused.text, kase._id);
    expect(res.status).to.equal(303);
    c = (await Case.findById(kase._id).lean())!;
    expect(c.stage).to.equal('rejected');
    expect(c.decision).to.include({ toldReason: edited });
    await dispatchOnce(t.ctx, { owner: 'leaders-test', caseIds: [kase._id] });
    const mail = await t.smtp.waitForTo(applicant.email, /\]/);
    expect(mail.text!.trim()).to.equal(preview(refused.text).trim());
  });

  it('prefills an English candidate\'s words in English, and refuses a rejection without them (422 on the confirmation page, nothing done)', async () => {
    const { applicant, kase } = await applicantCase(w.call, 'evaluation');
    await score(kase, w.member);
    const reason = 'Internal: outside the priorities of the lab this year.';
    const page = await review(leaderVi, kase._id, { action: 'reject', version: String(kase.version), reason });
    expect(page.status).to.equal(200);
    const field = decodeHtml(/<textarea id="f-toldReason" name="toldReason"[^>]*>([\s\S]*?)<\/textarea>/.exec(page.text)![1]!);
    expect(field).to.include('The selection panel has carefully compared your application');
    expect(page.text).to.include('Nội dung thông báo cho ứng viên');
    expect(page.text).to.include('bằng tiếng Anh');
    const form = { _csrf: csrfFrom(page.text), action: 'reject', version: String(kase.version), reason, withoutScores: '1' };
    for (const toldReason of ['', '   ']) {
      const res = await leaderVi.post(`${caseUrl(kase._id)}/decision/confirm`).type('form').set('Accept', 'text/html').send({ ...form, toldReason });
      expect(res.status).to.equal(422);
      expect(res.text).to.include('id="f-toldReason-error"');
      expect(res.text).to.include('Hãy ghi nội dung thông báo cho ứng viên');
      // Still the confirmation page, the internal reason kept.
      expect(res.text).to.include('id="confirm-form"');
      expect(decodeHtml(res.text)).to.include(reason);
    }
    const missing = await leaderVi.post(`${caseUrl(kase._id)}/decision/confirm`).type('form').set('Accept', 'text/html').send(form);
    expect(missing.status).to.equal(422);
    const long = await followConfirm(leaderVi, await leaderVi.post(`${caseUrl(kase._id)}/decision`).type('form').set('Accept', 'text/html').send({ ...form, toldReason: 'x'.repeat(2001), refresh: '1' }));
    expect(long.status).to.equal(422);
    expect(long.text).to.include('tối đa 2000 ký tự');
    expect(long.text).to.include('x'.repeat(2001));
    const c = (await Case.findById(kase._id).lean())!;
    expect(c.stage).to.equal('evaluation');
    expect(c.outbox ?? []).to.have.length(0);
    expect(await AuditEvent.countDocuments({ targetId: String(kase._id), action: 'case.decision' })).to.equal(0);
    expect(t.smtp.to(applicant.email)).to.have.length(0);
  });

  it('shows on the confirmation page exactly the e-mail a shortlist and an offer then send (English), with the new stage', async () => {
    const { applicant, kase } = await applicantCase(w.call, 'evaluation');
    await score(kase, w.member);
    let version = kase.version;
    for (const [action, stage] of [['shortlist', 'Shortlisted'], ['approve_offer', 'Offer']] as const) {
      const reason = `Internal: the panel's view on ${action}, not for the candidate.`;
      const page = await review(leader, kase._id, { action, version: String(version), reason });
      expect(page.status, page.text.slice(0, 600)).to.equal(200);
      expect(decodeHtml(page.text)).to.include(`new stage: ${stage}`);
      const subject = decodeHtml(/id="preview-subject">([^<]*)</.exec(page.text)![1]!);
      const text = decodeHtml(/id="preview-text" lang="en">([\s\S]*?)<\/pre>/.exec(page.text)![1]!);
      expect(subject).to.include(kase.reference);
      expect(text).not.to.include(reason);
      const res = await confirm(leader, page.text, kase._id);
      expect(res.status).to.equal(303);
      await dispatchOnce(t.ctx, { owner: 'leaders-test', caseIds: [kase._id] });
      const mail = await t.smtp.waitFor((m) => m.to.includes(applicant.email.toLowerCase()) && m.subject === subject);
      expect(mail.text!.trim()).to.equal(text.trim());
      version = (await Case.findById(kase._id).lean())!.version;
    }
    expect(t.smtp.to(applicant.email)).to.have.length(2);
  });

  it('after a rejection, lands on the shortlist (which no longer lists the candidate) with a link back to the decision (en, vi)', async () => {
    for (const [a, link] of [[leader, 'View the decision'], [leaderVi, 'Xem quyết định']] as const) {
      const { kase } = await applicantCase(w.call, 'evaluation', { profile: { fullName: 'Rejected Candidate' } });
      await score(kase, w.member);
      const { res } = await decide(a, kase._id, { action: 'reject', version: String(kase.version), reason: 'Weaker than the others on fit.' });
      expect(res.status).to.equal(303);
      expect(res.headers.location).to.equal(`/shortlists/${w.call._id}`);
      const list = (await a.get(res.headers.location!).set('Accept', 'text/html')).text;
      expect(list).not.to.include(`data-case="${kase._id}"`);
      expect(list).to.match(/<div class="flash flash-session flash-success" id="flash" role="status">[^<]*<a href="([^"]+)" id="flash-link">([^<]+)<\/a>/);
      const [, href, text] = /<a href="([^"]+)" id="flash-link">([^<]+)<\/a>/.exec(list)!;
      expect(href).to.equal(caseUrl(kase._id));
      expect(text).to.equal(link);
      const decided = await a.get(href!).set('Accept', 'text/html');
      expect(decided.status).to.equal(200);
      expect(decided.text).to.match(/id="case-stage">(Rejected|Bị từ chối|[^<]+)</);
      expect((await Case.findById(kase._id).lean())!.stage).to.equal('rejected');
    }
  });

  it('puts the scorecard before the decision, and shows the decision closed, saying why, until the panel has scored (en, vi)', async () => {
    const { kase } = await applicantCase(w.call, 'evaluation');
    const decisionInputs = (html: string) => /<fieldset class="decision-inputs" id="decision-inputs"([^>]*)>/.exec(html)?.[1];
    const before = (await leader.get(caseUrl(kase._id)).set('Accept', 'text/html')).text;
    expect(before.indexOf('id="scorecard-h"')).to.be.greaterThan(-1);
    expect(before.indexOf('id="decision-h"')).to.be.greaterThan(before.indexOf('id="scorecard-h"'));
    expect(decisionInputs(before)).to.equal(' disabled aria-describedby="panel-scores"');
    expect(before).to.include('A decision needs at least one complete panel scorecard (every criterion scored); 0 so far.');
    const vi = (await leaderVi.get(caseUrl(kase._id)).set('Accept', 'text/html')).text;
    expect(vi).to.include('Cần ít nhất 1 phiếu chấm đầy đủ của hội đồng (chấm mọi tiêu chí) trước khi quyết định; hiện có 0.');
    expect(decisionInputs(vi)).to.include(' disabled');
    // A partial scorecard does not open it; a complete one does.
    await score(kase, w.member, { research: 4 });
    expect(decisionInputs((await leader.get(caseUrl(kase._id)).set('Accept', 'text/html')).text)).to.include(' disabled');
    await score(kase, w.leader);
    const after = (await leader.get(caseUrl(kase._id)).set('Accept', 'text/html')).text;
    expect(decisionInputs(after)).to.equal('');
    expect(after).not.to.include('A decision needs at least');
    expect(after).to.include('Complete panel scorecards: 1');
  });

  for (const [locale, a, messages] of [
    ['en', () => leader, { required: 'Give the reason for this decision.', short: 'The reason is too short', none: 'No complete panel scorecard yet', few: 'Only 1 complete panel scorecard: at least', stale: 'This case changed since you opened it', choose: 'Choose a decision.' }],
    ['vi', () => leaderVi, { required: 'Hãy ghi lý do của quyết định này.', short: 'Lý do quá ngắn', none: 'Chưa có phiếu chấm đầy đủ nào', few: 'Mới có 1 phiếu chấm đầy đủ', stale: 'Hồ sơ đã thay đổi từ khi Anh/Chị mở trang', choose: 'Hãy chọn một quyết định.' }],
  ] as const) {
    describe(`refusals (${locale}): nothing changes, nothing is sent`, () => {
      async function unchanged(kase: CaseDoc) {
        const c = (await Case.findById(kase._id).lean())!;
        expect(c.stage).to.equal(kase.stage);
        expect(c.version).to.equal(kase.version);
        expect(c.outbox ?? []).to.have.length(0);
        expect(await AuditEvent.countDocuments({ targetId: String(kase._id), action: { $in: ['case.transition', 'case.decision'] } })).to.equal(0);
      }

      it('requires a reason (empty or blank) at both steps, 422 beside the field', async () => {
        const { kase } = await applicantCase(w.call, 'evaluation');
        await score(kase, w.member);
        for (const reason of ['', '   ']) {
          const empty = await review(a(), kase._id, { action: 'shortlist', version: String(kase.version), reason });
          expect(empty.status).to.equal(422);
          expect(empty.text).to.include('id="f-reason-error"');
          expect(empty.text).to.include(messages.required);
        }
        const direct = await submitForm(a(), caseUrl(kase._id), { action: 'shortlist', version: String(kase.version), reason: '' }, `${caseUrl(kase._id)}/decision/confirm`);
        expect(direct.status).to.equal(422);
        expect(direct.text).to.include(messages.required);
        await unchanged(kase);
      });

      it('asks to choose a decision when none is chosen (422), keeping the reason typed', async () => {
        const { kase } = await applicantCase(w.call, 'evaluation');
        await score(kase, w.member);
        const res = await review(a(), kase._id, { version: String(kase.version), reason: 'Reason typed before choosing.' });
        expect(res.status).to.equal(422);
        expect(res.text).to.include('id="f-action-error"');
        expect(res.text).to.include(messages.choose);
        expect(res.text).to.include('Reason typed before choosing.');
        await unchanged(kase);
      });

      it('refuses a reason that is too short (even padded with spaces) or too long, keeping what was typed', async () => {
        const { kase } = await applicantCase(w.call, 'evaluation');
        await score(kase, w.member);
        const short = await review(a(), kase._id, { action: 'shortlist', version: String(kase.version), reason: '   ok fine   ' });
        expect(short.status).to.equal(422);
        expect(short.text).to.include(messages.short);
        expect(short.text).to.include('ok fine');
        const long = await review(a(), kase._id, { action: 'shortlist', version: String(kase.version), reason: 'x'.repeat(2001) });
        expect(long.status).to.equal(422);
        expect(long.text).to.include('id="f-reason-error"');
        const direct = await submitForm(a(), caseUrl(kase._id), { action: 'shortlist', version: String(kase.version), reason: 'too short' }, `${caseUrl(kase._id)}/decision/confirm`);
        expect(direct.status).to.equal(422);
        await unchanged(kase);
      });

      it('refuses a decision without a complete scorecard (none, or only partial ones) at both steps', async () => {
        const { kase } = await applicantCase(w.call, 'evaluation');
        const fields = { action: 'shortlist', version: String(kase.version), reason: 'Good candidate with a solid plan.' };
        const none = await review(a(), kase._id, fields);
        expect(none.status).to.equal(422);
        expect(none.text).to.include(messages.none);
        // The shared summary (it takes the focus) links to the explanation beside the decision.
        expect(none.text).to.include('id="form-errors"');
        expect(none.text).to.match(/<p class="field-error" id="scorecards-error">[^<]*(No complete panel scorecard|Chưa có phiếu chấm)/);
        expect(none.text).to.include('/static/js/form-errors.js');
        await score(kase, w.member, { research: 4 }); // fit not scored: not complete
        const partial = await review(a(), kase._id, fields);
        expect(partial.status).to.equal(422);
        expect(partial.text).to.include(messages.none);
        const direct = await submitForm(a(), caseUrl(kase._id), fields, `${caseUrl(kase._id)}/decision/confirm`);
        expect(direct.status).to.equal(422);
        expect(direct.text).to.include(messages.none);
        await unchanged(kase);
      });

      it("refuses below the call's minimum of complete scorecards", async () => {
        const { kase } = await applicantCase(w.call, 'evaluation');
        await score(kase, w.member);
        await Call.updateOne({ _id: w.call._id }, { $set: { minScorecards: 2 } });
        try {
          const fields = { action: 'shortlist', version: String(kase.version), reason: 'Good candidate with a solid plan.' };
          const res = await review(a(), kase._id, fields);
          expect(res.status).to.equal(422);
          expect(res.text).to.include(messages.few);
          const direct = await submitForm(a(), caseUrl(kase._id), fields, `${caseUrl(kase._id)}/decision/confirm`);
          expect(direct.status).to.equal(422);
          await unchanged(kase);
          await score(kase, w.leader);
          expect((await review(a(), kase._id, fields)).status).to.equal(200);
        } finally {
          await Call.updateOne({ _id: w.call._id }, { $set: { minScorecards: 1 } });
        }
      });

      it('refuses a stale confirmation (409 in the language of the page) and sends nothing', async () => {
        const { applicant, kase } = await applicantCase(w.call, 'evaluation');
        await score(kase, w.member);
        const page = await review(a(), kase._id, { action: 'shortlist', version: String(kase.version), reason: 'Good candidate with a solid plan.' });
        expect(page.status).to.equal(200);
        // Someone changes the case meanwhile (HR puts it on hold and resumes it: same stage, newer version).
        await Case.updateOne({ _id: kase._id }, { $inc: { version: 2 } });
        const res = await confirm(a(), page.text, kase._id);
        expect(res.status).to.equal(409);
        // The case as it is now, with why and the reason as typed, ready to decide again.
        expect(res.text).to.include(messages.stale);
        expect(res.text).to.include('Good candidate with a solid plan.');
        const c = (await Case.findById(kase._id).lean())!;
        expect(c.stage).to.equal('evaluation');
        expect(c.outbox ?? []).to.have.length(0);
        expect(t.smtp.to(applicant.email)).to.have.length(0);
        const again = await review(a(), kase._id, { action: 'shortlist', version: String(kase.version), reason: 'Good candidate with a solid plan.' });
        expect(again.status).to.equal(409);
        expect(again.text).to.include(messages.stale);
        expect(again.text).to.include('Good candidate with a solid plan.');
      });

      it('refuses `$` keys in the form before anything is read', async () => {
        const { kase } = await applicantCase(w.call, 'evaluation');
        await score(kase, w.member);
        const page = await a().get(caseUrl(kase._id)).set('Accept', 'text/html');
        const res = await a()
          .post(`${caseUrl(kase._id)}/decision/confirm`)
          .type('form')
          .set('Accept', 'text/html')
          .send(`_csrf=${encodeURIComponent(csrfFrom(page.text))}&action=shortlist&version=${kase.version}&reason=${encodeURIComponent('Good candidate with a solid plan.')}&%24where=1`);
        expect(res.status).to.equal(400);
        await unchanged(kase);
      });
    });
  }

  it('says who decided meanwhile, what and when, and keeps the reason typed to copy, when another leader decided first (en, vi)', async () => {
    const { applicant, kase } = await applicantCase(w.call, 'shortlisted');
    await score(kase, w.member);
    const reason = 'Internal: the other candidate fits the lab better.';
    // Leader 1 opens the rejection's confirmation; leader 2 approves the offer meanwhile.
    const page = await review(leader, kase._id, { action: 'reject', version: String(kase.version), reason });
    expect(page.status).to.equal(200);
    expect((await decide(leaderVi, kase._id, { action: 'approve_offer', version: String(kase.version), reason: 'Best candidate, the panel agrees.' })).res.status).to.equal(303);
    const res = await confirm(leader, page.text, kase._id);
    expect(res.status).to.equal(409);
    const panel = decodeHtml(/<div class="decision-stale" id="decision-stale" role="alert">([\s\S]*?)<\/div>/.exec(res.text)![1]!);
    expect(panel).to.include('Trần Quyết Định (Leader) took the decision “Approve the offer” on ');
    expect(panel).to.match(/on \d{1,2} [A-Z][a-z]{2} \d{4}/);
    // The rejection is no longer offered; withdrawing the offer is (walk s37), so the reason is kept in
    // the form (not read-only, to copy); the link reopens the case as it is.
    expect(res.text).not.to.include('value="reject"');
    expect(res.text).to.include('value="withdraw_offer"');
    expect(res.text).not.to.include('id="stale-reason"');
    expect(res.text).to.match(/<textarea[^>]*name="reason"[^>]*>Internal: the other candidate fits the lab better.<\/textarea>/);
    // The words for the candidate, as the confirmation page had them, kept too (not sent): in the form, which still has a decision.
    expect(res.text).to.match(/<input type="hidden" name="toldReason" value="The selection panel has carefully compared your application/);
    expect(res.text).to.include(`<a href="${caseUrl(kase._id)}" id="decision-stale-link">See the case as it is now</a>`);
    const c = (await Case.findById(kase._id).lean())!;
    expect(c.stage).to.equal('offer');
    expect(c.decision?.reason).to.equal('Best candidate, the panel agrees.');
    // The first step with the old version says the same (Vietnamese page).
    const vi = await review(leaderVi, kase._id, { action: 'reject', version: String(kase.version), reason: 'Lý do viết trước khi tải lại trang.' });
    expect(vi.status).to.equal(409);
    const viPanel = decodeHtml(/<div class="decision-stale" id="decision-stale" role="alert">([\s\S]*?)<\/div>/.exec(vi.text)![1]!);
    expect(viPanel).to.include('Trần Quyết Định (Lãnh đạo) đã quyết định “');
    expect(viPanel).to.match(/lúc \d{1,2}\/\d{1,2}\/\d{4}/);
    // Kept in the form (withdrawing the offer is still open to them).
    expect(decodeHtml(vi.text)).to.match(/name="reason"[^>]*>Lý do viết trước khi tải lại trang.<\/textarea>/);
    expect(viPanel).to.include('Xem hồ sơ như hiện tại');
    // Only the one decision's e-mail.
    await dispatchOnce(t.ctx, { owner: 'leaders-test', caseIds: [kase._id] });
    await t.smtp.waitForTo(applicant.email, /offer/i);
    expect(t.smtp.to(applicant.email)).to.have.length(1);
  });

  it('says what changed when the stale form still has a decision to take, the reason kept in the form', async () => {
    const { kase } = await applicantCase(w.call, 'evaluation');
    await score(kase, w.member);
    const page = await review(leader, kase._id, { action: 'reject', version: String(kase.version), reason: 'Internal: weaker on fit than the others.' });
    expect((await decide(leaderVi, kase._id, { action: 'shortlist', version: String(kase.version), reason: 'Strong plan, worth an interview.' })).res.status).to.equal(303);
    const res = await confirm(leader, page.text, kase._id);
    expect(res.status).to.equal(409);
    expect(decodeHtml(res.text)).to.include('Trần Quyết Định (Leader) took the decision “Shortlist”');
    expect(res.text).not.to.include('id="stale-reason"');
    expect(res.text).to.match(/<textarea[^>]*name="reason"[^>]*>Internal: weaker on fit than the others.<\/textarea>/);
    expect(res.text).to.include('value="approve_offer"');
  });

  it('takes a double-clicked confirmation once: one transition, one e-mail, both clicks land on the result', async () => {
    const { applicant, kase } = await applicantCase(w.call, 'evaluation');
    await score(kase, w.member);
    const page = await review(leader, kase._id, { action: 'shortlist', version: String(kase.version), reason: 'Good candidate with a solid plan.' });
    const [one, two] = await Promise.all([confirm(leader, page.text, kase._id), confirm(leader, page.text, kase._id)]);
    expect([one.status, two.status]).to.deep.equal([303, 303]);
    expect(two.headers.location).to.equal(one.headers.location);
    const c = (await Case.findById(kase._id).lean())!;
    expect(c.version).to.equal(kase.version + 1);
    expect(c.history.filter((h) => h.action === 'shortlist')).to.have.length(1);
    expect(c.outbox).to.have.length(1);
    expect(await AuditEvent.countDocuments({ targetId: String(kase._id), action: 'case.decision' })).to.equal(1);
    await dispatchOnce(t.ctx, { owner: 'leaders-test', caseIds: [kase._id] });
    await t.smtp.waitForTo(applicant.email, /shortlisted/);
    await new Promise((r) => setTimeout(r, 200));
    expect(t.smtp.to(applicant.email)).to.have.length(1);
  });

  it('shows the reason on the dashboard (date with zone, case, decision, reason, who) in both languages', async () => {
    const { kase } = await applicantCase(w.call, 'evaluation');
    await score(kase, w.member);
    const reason = 'Dashboard check: excellent fit with the lab.';
    expect((await decide(leaderVi, kase._id, { action: 'shortlist', version: String(kase.version), reason })).res.status).to.equal(303);
    for (const [a, heading, label] of [
      [leader, 'Recent decisions', 'Shortlist'],
      [leaderVi, 'Quyết định gần đây', 'Đưa vào danh sách rút gọn'],
    ] as const) {
      const dash = await a.get('/dashboard').set('Accept', 'text/html');
      expect(dash.status).to.equal(200);
      const table = /<section class="panel" aria-labelledby="h-decisions" id="recent-decisions">([\s\S]*?)<\/section>/.exec(dash.text)![1]!;
      expect(table).to.include(heading);
      const row = table.split('<tr>').find((r) => r.includes(kase.reference))!;
      expect(row, 'row of the case').to.be.a('string');
      expect(decodeHtml(row)).to.include(reason);
      expect(row).to.include(label);
      expect(row).to.include('Trần Quyết Định');
      expect(row).to.match(/datetime="\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+07:00"/);
      expect(row).to.include('(UTC+7)');
    }
    // Another institute's leader does not see it.
    const other = agent(t.app);
    await signIn(other, w.otherLeader);
    expect((await other.get('/dashboard').set('Accept', 'text/html')).text).not.to.include(kase.reference);
  });

  it('does not let a panel member who is not a leader decide, nor a leader of another institute', async () => {
    const { kase } = await applicantCase(w.call, 'evaluation');
    await score(kase, w.member);
    const member = agent(t.app);
    await signIn(member, w.member);
    const url = caseUrl(kase._id);
    const page = await member.get(url).set('Accept', 'text/html');
    expect(page.status).to.equal(200);
    expect(page.text).not.to.include('value="shortlist"');
    const form = { _csrf: csrfFrom(page.text), action: 'shortlist', version: String(kase.version), reason: 'Good candidate with a solid plan.' };
    for (const step of ['decision', 'decision/confirm']) {
      const res = await member.post(`${url}/${step}`).type('form').set('Accept', 'application/json').send(form);
      expect(res.status, step).to.equal(403);
    }
    const other = agent(t.app);
    await signIn(other, w.otherLeader);
    const otherToken = csrfFrom((await other.get('/account').set('Accept', 'text/html')).text);
    for (const step of ['decision', 'decision/confirm']) {
      const res = await other.post(`${url}/${step}`).type('form').set('Accept', 'application/json').send({ ...form, _csrf: otherToken });
      expect(res.status, step).to.be.oneOf([403, 404]);
    }
    const c = (await Case.findById(kase._id).lean())!;
    expect(c.stage).to.equal('evaluation');
    expect(c.version).to.equal(kase.version);
  });
});

function decodeHtml(s: string): string {
  return s.replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(parseInt(h, 16))).replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d))).replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#x27;|&#39;/g, "'").replace(/&#x3D;/g, '=').replace(/&#x60;/g, '`').replace(/&amp;/g, '&');
}

