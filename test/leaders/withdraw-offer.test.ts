// A leader withdraws an offer the applicant has not answered (walk s37 #2): one workflow row
// (offer → withdrawn, leaders as approve_offer's, a decision), through the shortlist's two steps
// (Post/Redirect/Get confirmation), with an internal reason and words for the applicant. The case ends
// as a declined offer ends it (no deadline; its procedures stop), the applicant's e-mail (en, vi) says
// what changed, the words for them and what happens next, and HR's timeline shows who, when and why.
// HR, the applicant and panel members are refused; hostile payloads are refused. Real app, real SMTP.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent, followConfirm, submitForm, csrfFrom, type Agent, decodeHtml, words, confirmationForm } from '../support/http.ts';
import { createUser, signIn } from '../support/factories.ts';
import { dispatchOnce } from '../../server/outbox/index.ts';
import { transition } from '../../server/workflow/index.ts';
import { actorContext } from '../workflow/context.ts';
import { Case } from '../../models/case.ts';
import { Evaluation } from '../../models/evaluation.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import type { UserDoc } from '../../models/user.ts';
import { ForbiddenError } from '../../server/errors.ts';
import { makeWorld, applicantCase, type World } from './context.ts';

describe('leaders: withdrawing an offer', function () {
  this.timeout(60_000);
  let t: TestApp;
  let w: World;
  let leader: Agent;
  let hr: UserDoc;
  const REASON = 'The project grant for this position was cancelled by the ministry.';
  const TOLD = 'The funding for this position was withdrawn after the offer was made. We are sorry for the change.';

  before(async () => {
    t = await startTestApp();
    w = await makeWorld();
    hr = await createUser({ role: 'hr_officer', institute: w.instituteId, name: 'Officer Timeline', locale: 'en' });
    leader = agent(t.app);
    await signIn(leader, w.leader);
  });
  after(async () => {
    await t?.close();
  });

  const caseUrl = (caseId: unknown) => `/shortlists/${w.call._id}/cases/${caseId}`;

  /** A case with an approved offer, reached through the panel, scored, with a visa procedure under way. */
  async function offered(locale: 'en' | 'vi' = 'en', over: Record<string, unknown> = {}) {
    const at = new Date(Date.now() - 3 * 86_400_000);
    const history = [
      { at, actor: w.member._id, actorRole: 'hr_officer', action: 'send_to_evaluation', from: 'screening', to: 'evaluation' },
      { at, actor: w.leader._id, actorRole: 'leader', action: 'shortlist', from: 'evaluation', to: 'shortlisted' },
      { at, actor: w.leader._id, actorRole: 'leader', action: 'approve_offer', from: 'shortlisted', to: 'offer', note: 'Best of the call.' },
    ];
    const dueAt = new Date(Date.now() + 10 * 86_400_000);
    const { applicant, kase } = await applicantCase(w.call, 'offer', { history, stageDueAt: dueAt, nextDueAt: dueAt, supportTracks: [{ kind: 'visa', status: 'requested', dueAt }], ...over }, locale);
    await Evaluation.create({ case: kase._id, call: w.call._id, member: w.member._id, scores: { research: 4, fit: 4 }, recommendation: 'yes', submittedAt: new Date() });
    return { applicant, kase };
  }

  /** Step 1 (the case page's form) and its confirmation page (followed, as a browser does). */
  async function review(a: Agent, caseId: unknown, fields: Record<string, string | string[]>) {
    return followConfirm(a, await submitForm(a, caseUrl(caseId), fields, `${caseUrl(caseId)}/decision`));
  }

  /** Step 2: the confirmation page's own form, the words for the applicant as given (or as prefilled). */
  async function confirm(a: Agent, page: string, told?: string) {
    const { action, fields } = confirmationForm(page);
    if (told !== undefined) fields.toldReason = fields.previewedToldReason = told;
    return a.post(action).type('form').set('Accept', 'text/html').send(fields);
  }

  it('is offered on an offer, confirmed first, then ends the case: stage, history, audit, procedures stopped, one e-mail (en)', async () => {
    const { applicant, kase } = await offered('en');
    const page0 = await leader.get(caseUrl(kase._id)).set('Accept', 'text/html');
    expect(page0.text).to.include('value="withdraw_offer"');
    const page = await review(leader, kase._id, { action: 'withdraw_offer', version: String(kase.version), reason: REASON });
    expect(page.status, page.text.slice(0, 500)).to.equal(200);
    // The confirmation shows the e-mail with the default words, never the reason, and says it is final.
    const text = decodeHtml(/id="preview-text" lang="en">([\s\S]*?)<\/pre>/.exec(page.text)![1]!.replace(/<\/?span[^>]*>/g, ''));
    expect(text).to.include('withdrawn the offer');
    expect(text).to.include('decided to withdraw the offer it made you');
    expect(text).not.to.include(REASON);
    expect(page.text).to.include('id="decision-final"');
    // Nothing changed yet.
    expect((await Case.findById(kase._id).lean())!.stage).to.equal('offer');

    const res = await confirm(leader, page.text, TOLD);
    expect(res.status, res.text.slice(0, 400)).to.equal(303);
    // Back on the case's page, which says it was done (the flash) and lists the decision.
    const after = await leader.get(String(res.headers.location)).set('Accept', 'text/html');
    expect(after.status).to.equal(200);
    expect(after.text).to.match(/data-decision="(withdraw_offer|reconsider)"/);
    const c = (await Case.findById(kase._id).lean())!;
    expect(c.stage).to.equal('withdrawn');
    expect(c.history.at(-1)).to.include({ action: 'withdraw_offer', from: 'offer', to: 'withdrawn', note: REASON, internal: true, told: TOLD });
    expect(String(c.history.at(-1)!.actor)).to.equal(String(w.leader._id));
    // As a declined offer: nothing due any more (the queue and the deadline jobs leave it).
    expect(c.stageDueAt ?? null).to.equal(null);
    expect(c.nextDueAt ?? null).to.equal(null);
    const audit = await AuditEvent.findOne({ targetId: String(kase._id), action: 'case.decision' }).lean();
    expect(audit?.summary).to.include({ decision: 'withdraw_offer', reason: REASON });

    await dispatchOnce(t.ctx, { owner: 'withdraw-offer-test', caseIds: [kase._id] });
    const mail = await t.smtp.waitForTo(applicant.email, /withdrawn/);
    expect(mail.subject).to.include(kase.reference);
    expect(mail.text).to.include('has withdrawn the offer');
    expect(mail.text).to.include(TOLD);
    expect(mail.text).to.include('(the visa) stop with it');
    expect(mail.text).to.include('apply to our future calls');
    expect(mail.text).not.to.include(REASON);
    expect(mail.html).to.include(TOLD);
    expect(t.smtp.to(applicant.email)).to.have.length(1);

    // HR's case page: the timeline and the decisions say who, when, why, and what the applicant was told.
    const a = agent(t.app);
    await signIn(a, hr);
    const hrPage = words((await a.get(`/cases/${kase._id}`).set('Accept', 'text/html')).text);
    expect(hrPage).to.include('Offer withdrawn by the leadership');
    expect(hrPage).to.include('Lê Lãnh Đạo');
    expect(hrPage).to.include(REASON);
    expect(hrPage).to.include(TOLD);
    // The applicant's page: the words for them, never the reason.
    const ap = agent(t.app);
    await signIn(ap, applicant);
    const own = words((await ap.get(`/applications/${kase._id}`).set('Accept', 'text/html')).text);
    expect(own).to.include(TOLD);
    expect(own).not.to.include(REASON);
  });

  it('in Vietnamese: "Ông/Bà", never "bạn", with the words and the procedures stopped', async () => {
    const { applicant, kase } = await offered('vi');
    const page = await review(leader, kase._id, { action: 'withdraw_offer', version: String(kase.version), reason: REASON });
    expect(page.status).to.equal(200);
    const told = 'Kinh phí cho vị trí này đã bị thu hồi sau khi lời mời được gửi. Chúng tôi rất tiếc về sự thay đổi.';
    expect((await confirm(leader, page.text, told)).status).to.equal(303);
    await dispatchOnce(t.ctx, { owner: 'withdraw-offer-test', caseIds: [kase._id] });
    const mail = await t.smtp.waitForTo(applicant.email, /rút lại/);
    expect(mail.text).to.include('Kính gửi Ông/Bà');
    expect(mail.text).to.include(told);
    expect(mail.text).to.include('thị thực');
    expect(mail.text).not.to.match(/\bbạn\b/i);
    expect(mail.text).not.to.include(REASON);
  });

  it('is refused to HR, the applicant and panel members, and as a bare workflow step', async () => {
    const { applicant, kase } = await offered('en');
    const outsider = await createUser({ role: 'hr_officer', institute: w.otherInstituteId, name: 'Outside Panel', panelCalls: [w.call._id] });
    for (const user of [hr, w.member, outsider, applicant]) {
      const a = agent(t.app);
      await signIn(a, user);
      const home = await a.get('/').set('Accept', 'text/html');
      const res = await a.post(`${caseUrl(kase._id)}/decision`).type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(home.text), action: 'withdraw_offer', version: String(kase.version), reason: REASON });
      expect([403, 404], `${user.role} ${user.name}`).to.include(res.status);
      const confirmRes = await a.post(`${caseUrl(kase._id)}/decision/confirm`).type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(home.text), action: 'withdraw_offer', version: String(kase.version), reason: REASON, toldReason: TOLD, previewedToldReason: TOLD });
      expect([403, 404], `${user.role} confirm`).to.include(confirmRes.status);
    }
    // HR's case page cannot take it (a decision is taken on the shortlist only), nor can HR in code.
    let refused: unknown;
    try {
      await transition({ app: t.ctx, ctx: actorContext(t.ctx, hr), caseId: kase._id, action: 'withdraw_offer', expectedVersion: kase.version, payload: { reason: REASON, toldReason: TOLD } });
    } catch (err) {
      refused = err;
    }
    expect(refused).to.be.instanceOf(ForbiddenError);
    // A leader too, without the decision's two steps.
    refused = undefined;
    try {
      await transition({ app: t.ctx, ctx: actorContext(t.ctx, w.leader), caseId: kase._id, action: 'withdraw_offer', expectedVersion: kase.version, payload: { reason: REASON, toldReason: TOLD } });
    } catch (err) {
      refused = err;
    }
    expect(refused).to.be.instanceOf(ForbiddenError);
    const c = (await Case.findById(kase._id).lean())!;
    expect(c.stage).to.equal('offer');
    expect(c.version).to.equal(kase.version);
  });

  it('is not offered before the offer (shortlisted), and refused if posted', async () => {
    const { kase } = await applicantCase(w.call, 'shortlisted');
    await Evaluation.create({ case: kase._id, call: w.call._id, member: w.member._id, scores: { research: 4, fit: 4 }, recommendation: 'yes', submittedAt: new Date() });
    const page = await leader.get(caseUrl(kase._id)).set('Accept', 'text/html');
    expect(page.text).not.to.include('value="withdraw_offer"');
    const res = await review(leader, kase._id, { action: 'withdraw_offer', version: String(kase.version), reason: REASON });
    expect(res.status).to.equal(400);
    expect((await Case.findById(kase._id).lean())!.stage).to.equal('shortlisted');
  });

  it('refuses hostile payloads: a reason of zero-width spaces, too short, an array, operator keys; words for the applicant blank or too long', async () => {
    const { kase } = await offered('en');
    const zw = '\u200b'.repeat(12);
    for (const [reason, expected] of [
      [zw, 'Give the reason for this decision.'],
      [`${zw}short`, 'The reason is too short'],
      ['   ', 'Give the reason for this decision.'],
    ] as const) {
      const res = await review(leader, kase._id, { action: 'withdraw_offer', version: String(kase.version), reason });
      expect(res.status, JSON.stringify(reason)).to.equal(422);
      expect(decodeHtml(res.text)).to.include(expected);
    }
    // An array where a string is expected is no reason.
    const arr = await review(leader, kase._id, { action: 'withdraw_offer', version: String(kase.version), reason: [REASON, REASON] });
    expect([400, 422]).to.include(arr.status);
    // Operator and prototype keys never reach a handler.
    const page = await leader.get(caseUrl(kase._id)).set('Accept', 'text/html');
    const base = `_csrf=${encodeURIComponent(csrfFrom(page.text))}&action=withdraw_offer&version=${kase.version}`;
    for (const extra of [`reason=${encodeURIComponent(REASON)}&%24where=1`, `reason=${encodeURIComponent(REASON)}&reason.%24ne=x`, `reason=${encodeURIComponent(REASON)}&constructor=x`]) {
      const res = await leader.post(`${caseUrl(kase._id)}/decision`).type('form').set('Accept', 'text/html').send(`${base}&${extra}`);
      expect(res.status, extra).to.equal(400);
    }
    // `__proto__` is dropped by the body parser before the input guard sees it: the step goes on as
    // without it (to its confirmation, nothing taken), and no object gains the key.
    const proto = await leader.post(`${caseUrl(kase._id)}/decision`).type('form').set('Accept', 'text/html').send(`${base}&reason=${encodeURIComponent(REASON)}&__proto__=x`);
    expect(proto.status).to.equal(303);
    expect(({} as Record<string, unknown>).x).to.equal(undefined);
    // The words for the applicant: blank (zero-width) or oversize are said on the confirmation page, nothing taken.
    const confirmPage = await review(leader, kase._id, { action: 'withdraw_offer', version: String(kase.version), reason: REASON });
    expect(confirmPage.status).to.equal(200);
    for (const told of [zw, 'x'.repeat(2001)]) {
      const res = await confirm(leader, confirmPage.text, told);
      expect(res.status, `told ${told.length}`).to.equal(422);
    }
    const c = (await Case.findById(kase._id).lean())!;
    expect(c.stage).to.equal('offer');
    expect(c.version).to.equal(kase.version);
  });
});
