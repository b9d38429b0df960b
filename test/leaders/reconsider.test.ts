// A leader reconsiders a rejection made after the panel (walk s37 #3): one workflow row (rejected →
// shortlisted, leaders, a decision through the shortlist's confirmation), only for the decision row's
// rejection (from evaluation or shortlisted, never HR's at screening) and only within RECONSIDER_DAYS
// (30 calendar days) of it. The applicant's e-mail (en, vi) says what changed, the words for them and
// the new decision date; HR's timeline shows who, when, why. Real app, real SMTP.
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
import { ValidationError } from '../../server/errors.ts';
import { RECONSIDER_DAYS } from '../../server/workflow/transitions.ts';
import { makeWorld, applicantCase, type World } from './context.ts';

const DAY = 86_400_000;

describe('leaders: reconsidering a rejection made after the panel', function () {
  this.timeout(60_000);
  let t: TestApp;
  let w: World;
  let leader: Agent;
  let hr: UserDoc;
  const REASON = 'The first choice declined; this candidate was a close second.';
  const TOLD = 'After looking at your application again, the leadership has put it back on the shortlist. We apologise for the earlier message.';

  before(async () => {
    t = await startTestApp();
    w = await makeWorld();
    hr = await createUser({ role: 'hr_officer', institute: w.instituteId, name: 'Officer Reconsider', locale: 'en' });
    leader = agent(t.app);
    await signIn(leader, w.leader);
  });
  after(async () => {
    await t?.close();
  });

  const caseUrl = (caseId: unknown) => `/shortlists/${w.call._id}/cases/${caseId}`;

  /** A case rejected `daysAgo` days ago, by a leader from the shortlist (or by HR at screening), scored by the panel. */
  async function rejected(daysAgo: number, locale: 'en' | 'vi' = 'en', by: 'leader' | 'hr' = 'leader') {
    const at = new Date(Date.now() - daysAgo * DAY);
    const history =
      by === 'leader'
        ? [
            { at, actor: w.member._id, actorRole: 'hr_officer', action: 'send_to_evaluation', from: 'screening', to: 'evaluation' },
            { at, actor: w.leader._id, actorRole: 'leader', action: 'shortlist', from: 'evaluation', to: 'shortlisted' },
            { at, actor: w.leader._id, actorRole: 'leader', action: 'reject', from: 'shortlisted', to: 'rejected', note: 'Another candidate fits better.' },
          ]
        : [{ at, actor: hr._id, actorRole: 'hr_officer', action: 'reject', from: 'screening', to: 'rejected', note: 'Not eligible for the track.' }];
    const reached = by === 'leader' ? ['submitted', 'screening', 'evaluation', 'shortlisted', 'rejected'] : ['submitted', 'screening', 'rejected'];
    const { applicant, kase } = await applicantCase(w.call, 'rejected', { history, reached, stageEnteredAt: at, decision: { reason: 'Another candidate fits better.', toldReason: 'We continue with other candidates.', decidedBy: by === 'leader' ? w.leader._id : hr._id, decidedAt: at } }, locale);
    if (by === 'leader') await Evaluation.create({ case: kase._id, call: w.call._id, member: w.member._id, scores: { research: 4, fit: 4 }, recommendation: 'yes', submittedAt: new Date() });
    return { applicant, kase };
  }

  async function review(a: Agent, caseId: unknown, fields: Record<string, string>) {
    return followConfirm(a, await submitForm(a, caseUrl(caseId), fields, `${caseUrl(caseId)}/decision`));
  }
  async function confirm(a: Agent, page: string, told: string) {
    const { action, fields } = confirmationForm(page);
    fields.toldReason = fields.previewedToldReason = told;
    return a.post(action).type('form').set('Accept', 'text/html').send(fields);
  }

  it('puts a recent rejection back on the shortlist: confirmed first, then stage, deadline, history, audit, one e-mail (en), HR timeline', async () => {
    const { applicant, kase } = await rejected(5);
    expect((await leader.get(caseUrl(kase._id)).set('Accept', 'text/html')).text).to.include('value="reconsider"');
    const page = await review(leader, kase._id, { action: 'reconsider', version: String(kase.version), reason: REASON });
    expect(page.status, page.text.slice(0, 500)).to.equal(200);
    expect(decodeHtml(page.text)).to.include('put it back on the shortlist');
    expect((await Case.findById(kase._id).lean())!.stage).to.equal('rejected');
    const res = await confirm(leader, page.text, TOLD);
    expect(res.status, res.text.slice(0, 400)).to.equal(303);
    // Back on the case's page, which says it was done (the flash) and lists the decision.
    const after = await leader.get(String(res.headers.location)).set('Accept', 'text/html');
    expect(after.status).to.equal(200);
    expect(after.text).to.match(/data-decision="(withdraw_offer|reconsider)"/);
    const c = (await Case.findById(kase._id).lean())!;
    expect(c.stage).to.equal('shortlisted');
    expect(c.history.at(-1)).to.include({ action: 'reconsider', from: 'rejected', to: 'shortlisted', note: REASON, internal: true, told: TOLD });
    // The shortlist's own deadline starts again (10 working days: at least two weeks on).
    expect(c.stageDueAt!.getTime()).to.be.greaterThan(Date.now() + 13 * DAY);
    const audit = await AuditEvent.findOne({ targetId: String(kase._id), action: 'case.decision' }).lean();
    expect(audit?.summary).to.include({ decision: 'reconsider', reason: REASON });

    await dispatchOnce(t.ctx, { owner: 'reconsider-test', caseIds: [kase._id] });
    const mail = await t.smtp.waitForTo(applicant.email, /back on the shortlist/);
    expect(mail.subject).to.include(kase.reference);
    expect(mail.text).to.include('the earlier decision no longer stands');
    expect(mail.text).to.include(TOLD);
    expect(mail.text).to.include('We aim to have that decision by');
    expect(mail.text).not.to.include(REASON);

    const a = agent(t.app);
    await signIn(a, hr);
    const hrPage = words((await a.get(`/cases/${kase._id}`).set('Accept', 'text/html')).text);
    expect(hrPage).to.include('Rejection reconsidered by the leadership');
    expect(hrPage).to.include('Lê Lãnh Đạo');
    expect(hrPage).to.include(REASON);
    expect(hrPage).to.include(TOLD);
  });

  it('in Vietnamese: "Ông/Bà", never "bạn"', async () => {
    const { applicant, kase } = await rejected(2, 'vi');
    const page = await review(leader, kase._id, { action: 'reconsider', version: String(kase.version), reason: REASON });
    const told = 'Sau khi xem xét lại, lãnh đạo viện đưa hồ sơ của Ông/Bà trở lại danh sách rút gọn.';
    expect((await confirm(leader, page.text, told)).status).to.equal(303);
    await dispatchOnce(t.ctx, { owner: 'reconsider-test', caseIds: [kase._id] });
    const mail = await t.smtp.waitForTo(applicant.email, /trở lại danh sách rút gọn/);
    expect(mail.text).to.include('Kính gửi Ông/Bà');
    expect(mail.text).to.include(told);
    expect(mail.text).not.to.match(/\bbạn\b/i);
  });

  it(`is not offered, and refused, after ${RECONSIDER_DAYS} days`, async () => {
    const { kase } = await rejected(RECONSIDER_DAYS + 1);
    expect((await leader.get(caseUrl(kase._id)).set('Accept', 'text/html')).text).not.to.include('value="reconsider"');
    expect((await review(leader, kase._id, { action: 'reconsider', version: String(kase.version), reason: REASON })).status).to.equal(400);
    let refused: unknown;
    try {
      await transition({ app: t.ctx, ctx: actorContext(t.ctx, w.leader), caseId: kase._id, action: 'reconsider', expectedVersion: kase.version, payload: { reason: REASON, toldReason: TOLD }, asDecision: true });
    } catch (err) {
      refused = err;
    }
    expect(refused).to.be.instanceOf(ValidationError);
    expect((await Case.findById(kase._id).lean())!.stage).to.equal('rejected');
  });

  it("never reconsiders HR's rejection at screening (not even an administrator's step), and refuses HR", async () => {
    const { kase } = await rejected(1, 'en', 'hr');
    let refused: unknown;
    try {
      await transition({ app: t.ctx, ctx: actorContext(t.ctx, w.admin), caseId: kase._id, action: 'reconsider', expectedVersion: kase.version, payload: { reason: REASON, toldReason: TOLD }, asDecision: true });
    } catch (err) {
      refused = err;
    }
    expect(refused).to.be.instanceOf(ValidationError);
    // A leader does not even see a case rejected before the panel.
    expect((await leader.get(caseUrl(kase._id)).set('Accept', 'text/html')).status).to.equal(404);
    // HR may not take a leader's decision, on a case they may reconsider or not.
    const recent = (await rejected(1)).kase;
    const a = agent(t.app);
    await signIn(a, hr);
    const home = await a.get('/').set('Accept', 'text/html');
    const res = await a.post(`${caseUrl(recent._id)}/decision`).type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(home.text), action: 'reconsider', version: String(recent.version), reason: REASON });
    expect(res.status).to.equal(403);
    expect((await Case.findById(recent._id).lean())!.stage).to.equal('rejected');
  });
});
