// Security review s33 of session 32's code, as an attacker and as a failure:
// - a hold from the shortlist (a leader's decision) or HR's case page, and its resume, tried by
//   everyone who must not (a leader and an HR officer of another institute sitting on the call's
//   panel, a leader of another institute, the applicant), by form and JSON: refused, nothing
//   written; HR resumes a leader's hold, and neither e-mail carries the leader's internal reason;
//   two resumes at once resume once.
// - hostile review dates and reasons on the leader's hold: refused beside the field, nothing written.
// - a hold, resume, hold and resume of a case awaiting the applicant's answer: the request's date
//   moved by each resume once, from the days left at each hold (never twice, never lost).
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent, csrfFrom, type Agent } from '../support/http.ts';
import { createInstitute, createUser, signIn } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { dispatchOnce } from '../../server/outbox/index.ts';
import { Case } from '../../models/case.ts';
import { Evaluation } from '../../models/evaluation.ts';
import { seedHolidays, vnDateKey, vnEndOfDay, vnStartOfDay } from '../../server/calendar/index.ts';
import { makeWorld, applicantCase, type World } from '../leaders/context.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import path from 'node:path';
import { rm } from 'node:fs/promises';
import { Types } from 'mongoose';
import { CaseDocument } from '../../models/document.ts';
import { procedureWorld, vn as vnDay } from '../procedures/support.ts';
import { makePdf, tokenOf } from '../documents/support.ts';
import { signedIn } from '../applications/support.ts';

function weekdayAhead(days = 14): string {
  const d = new Date(Date.now() + days * 86_400_000);
  while ([0, 6].includes(d.getUTCDay())) d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}
const decode = (s: string) => s.replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(parseInt(h, 16))).replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d))).replace(/&quot;/g, '"').replace(/&amp;/g, '&');

describe('security s33: holds from the shortlist and their resume', function () {
  this.timeout(90_000);
  let t: TestApp;
  let w: World;
  let outsideLeader: UserDoc;
  let outsideHr: UserDoc;
  before(async () => {
    t = await startTestApp();
    w = await makeWorld();
    // Sitting on this call's panel, from another institute (product decision: they score, never decide).
    outsideLeader = await createUser({ role: 'leader', institute: w.otherInstituteId, panelCalls: [w.call._id] });
    outsideHr = await createUser({ role: 'hr_officer', institute: w.otherInstituteId, panelCalls: [w.call._id] });
  });
  after(async () => {
    await t?.close();
  });

  async function signedIn(user: UserDoc): Promise<{ a: Agent; csrf: string }> {
    const a = agent(t.app);
    await signIn(a, user);
    const home = await a.get('/').set('Accept', 'text/html');
    return { a, csrf: csrfFrom(home.text) };
  }
  async function panelCase() {
    const at = new Date(Date.now() - 3 * 86_400_000);
    const history = [{ at, actor: w.member._id, actorRole: 'hr_officer', action: 'send_to_evaluation', from: 'screening', to: 'evaluation' }];
    const { applicant, kase } = await applicantCase(w.call, 'evaluation', { history });
    await Evaluation.create({ case: kase._id, call: kase.call, member: w.member._id, scores: { research: 4, fit: 3 }, recommendation: 'yes', submittedAt: new Date() });
    return { applicant, kase };
  }
  const decision = (caseId: unknown) => `/shortlists/${w.call._id}/cases/${caseId}/decision`;
  const snapshot = async (id: unknown) => {
    const c = (await Case.findById(id).lean())!;
    return { stage: c.stage, version: c.version, history: c.history.length, outbox: (c.outbox ?? []).length };
  };

  it('nobody but the institute (leader, HR, administrator) holds or resumes: outside panel members, another leader, the applicant; form and JSON', async () => {
    const { applicant, kase } = await panelCase();
    const before = await snapshot(kase._id);
    // With the words the candidate is told, as the confirmation page sends them (walk s34).
    const told = 'The institute needs a few more weeks before deciding.';
    // The leader has not scored: deciding without the panel's scores, ticked (lead s35).
    const fields = { action: 'put_on_hold', version: String(kase.version), reason: 'Budget line not yet confirmed by the ministry.', reviewBy: weekdayAhead(), toldReason: told, previewedToldReason: told, withoutScores: '1' };
    for (const user of [outsideLeader, outsideHr, w.otherLeader, applicant]) {
      const { a, csrf } = await signedIn(user);
      for (const path of [decision(kase._id), `${decision(kase._id)}/confirm`]) {
        const form = await a.post(path).type('form').set('Accept', 'text/html').send({ _csrf: csrf, ...fields });
        // 400 (no decision of theirs to take), 403 or 404: refused either way, and nothing written (below).
        expect(form.status, `${user.role} form ${path}`).to.be.within(400, 404);
        const json = await a.post(path).set('Accept', 'application/json').set('x-csrf-token', csrf).send(fields);
        expect(json.status, `${user.role} JSON ${path}`).to.be.within(400, 404);
      }
      for (const path of [`/cases/${kase._id}/actions/put_on_hold/confirm`, `/cases/${kase._id}/actions/put_on_hold`]) {
        const r = await a.post(path).type('form').set('Accept', 'text/html').send({ _csrf: csrf, version: fields.version, reason: fields.reason, reviewBy: fields.reviewBy });
        expect([403, 404], `${user.role} ${path}`).to.include(r.status);
      }
    }
    expect(await snapshot(kase._id), 'nothing written').to.deep.equal(before);

    // The institute's leader holds it (control: the same fields work for them).
    const { a: lead, csrf: leadCsrf } = await signedIn(w.leader);
    const held = await lead.post(`${decision(kase._id)}/confirm`).type('form').set('Accept', 'text/html').send({ _csrf: leadCsrf, ...fields });
    expect(held.status, held.text.slice(0, 300)).to.equal(303);
    const onHold = await snapshot(kase._id);
    expect(onHold.stage).to.equal('on_hold');

    // Resume: nobody outside, not the leader (HR's step), not the applicant.
    for (const user of [outsideLeader, outsideHr, w.otherLeader, applicant, w.leader]) {
      const { a, csrf } = await signedIn(user);
      const r = await a.post(`/cases/${kase._id}/actions/resume`).type('form').set('Accept', 'text/html').send({ _csrf: csrf, version: String(onHold.version) });
      expect([403, 404], `${user.role} resume`).to.include(r.status);
      const j = await a.post(`/cases/${kase._id}/actions/resume`).set('Accept', 'application/json').set('x-csrf-token', csrf).send({ version: String(onHold.version) });
      expect([403, 404], `${user.role} resume JSON`).to.include(j.status);
    }
    expect(await snapshot(kase._id)).to.deep.equal(onHold);

    // HR of the institute resumes the leader's hold, twice at once: once. Neither e-mail says the reason.
    const hr = await createUser({ role: 'hr_officer', institute: w.instituteId });
    const { a: officer, csrf: hrCsrf } = await signedIn(hr);
    const send = () => officer.post(`/cases/${kase._id}/actions/resume`).type('form').set('Accept', 'text/html').send({ _csrf: hrCsrf, version: String(onHold.version) });
    const [r1, r2] = await Promise.all([send(), send()]);
    expect([r1.status, r2.status].sort()).to.deep.equal([303, 409].sort((x, y) => x - y));
    const back = (await Case.findById(kase._id).lean())!;
    expect(back.stage).to.equal('evaluation');
    expect(back.history.filter((h) => h.action === 'resume')).to.have.length(1);
    await dispatchOnce(t.ctx, { owner: 's33-hold', caseIds: [kase._id] });
    const mails = t.smtp.messages.filter((m) => m.to.includes(applicant.email));
    expect(mails.length, 'the hold and the resume e-mailed').to.be.at.least(2);
    for (const m of mails) expect(decode(`${m.text} ${m.html}`)).not.to.include('Budget line');
  });

  it("hostile review dates and reasons on a leader's hold are refused, nothing written", async () => {
    const { kase } = await panelCase();
    const before = await snapshot(kase._id);
    const { a, csrf } = await signedIn(w.leader);
    const reason = 'Budget line not yet confirmed by the ministry.';
    const hostile: Array<Record<string, unknown>> = [
      { reviewBy: '2020-01-01' },
      { reviewBy: vnDateKey(new Date()) },
      { reviewBy: '2099-12-31' },
      { reviewBy: '2027-02-30' },
      { reviewBy: '+02027-01-05' },
      { reviewBy: '２０２７-01-05' },
      { reviewBy: 'x'.repeat(5000) },
      { reviewBy: ['2027-01-05', '2027-01-06'] },
      { reviewBy: { $gt: '' } },
      { 'reviewBy[$ne]': '1' },
      { reason: '', reviewBy: weekdayAhead() },
      { reason: 'r'.repeat(100_000), reviewBy: weekdayAhead() },
      { reason: { $ne: '' }, reviewBy: weekdayAhead() },
      { reason: [reason, reason], reviewBy: weekdayAhead() },
    ];
    // The words for the candidate (walk s34), confirmed as an operator, an array, oversize: refused, none written.
    for (const extra of [{ toldReason: { $ne: '' }, previewedToldReason: 'x' }, { toldReason: ['a', 'b'], previewedToldReason: 'a' }, { toldReason: 't'.repeat(100_000), previewedToldReason: 't'.repeat(100_000) }]) {
      const r = await a.post(`${decision(kase._id)}/confirm`).set('Accept', 'application/json').set('x-csrf-token', csrf).send({ action: 'put_on_hold', version: String(kase.version), reason, reviewBy: weekdayAhead(), withoutScores: '1', ...extra });
      expect(r.status, JSON.stringify(extra).slice(0, 80)).to.be.within(400, 499);
    }
    for (const extra of hostile) {
      for (const path of [decision(kase._id), `${decision(kase._id)}/confirm`]) {
        const r = await a.post(path).set('Accept', 'application/json').set('x-csrf-token', csrf).send({ action: 'put_on_hold', version: String(kase.version), reason, withoutScores: '1', ...extra });
        expect(r.status, `${path} ${JSON.stringify(extra).slice(0, 80)}`).to.be.within(400, 499);
      }
    }
    // A prototype key in raw JSON (an object literal's __proto__ would set the prototype, not send a key).
    const proto = await a.post(`${decision(kase._id)}/confirm`).set('Accept', 'application/json').set('x-csrf-token', csrf).type('json').send(`{"action":"put_on_hold","version":"${kase.version}","reason":${JSON.stringify(reason)},"__proto__":{"reviewBy":"${weekdayAhead()}"}}`);
    expect(proto.status).to.be.within(400, 499);
    expect(await snapshot(kase._id)).to.deep.equal(before);
  });
});

describe('security s33: a request for information held, resumed, held and resumed again', function () {
  this.timeout(60_000);
  let t: TestApp;
  const vn = (day: string) => new Date(`${day}T03:00:00.000Z`);
  let clock = vn('2027-03-01');
  before(async () => {
    t = await startTestApp({ now: () => clock });
    await seedHolidays();
  });
  after(async () => {
    await t?.close();
  });

  it('each resume gives back the working days left at its own hold, once (two resumes at once move the date once)', async () => {
    const institute = await createInstitute();
    const hr = await createUser({ role: 'hr_officer', institute, locale: 'en' });
    const call = await createCall({ institute, checklist: [] });
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const due = vnEndOfDay(vnStartOfDay('2027-03-11'));
    const c = await createCase({ applicant, call, stage: 'awaiting_applicant', assignee: hr._id, stageDueAt: due, infoRequest: { items: ['PhD diploma'], dueAt: due, requestedAt: vn('2027-02-20') } });
    let a = agent(t.app);
    // Signed in again at each step: the clock moves by weeks, past the session's idle limit.
    const csrf = async () => {
      a = agent(t.app);
      await signIn(a, hr);
      return csrfFrom((await a.get(`/cases/${c._id}`).set('Accept', 'text/html')).text);
    };
    const version = async () => (await Case.findById(c._id).lean())!.version;
    const hold = async (reviewBy: string) => {
      const token = await csrf();
      const r = await a.post(`/cases/${c._id}/actions/put_on_hold/confirm`).type('form').set('Accept', 'text/html').send({ _csrf: token, version: String(await version()), reason: 'Waiting for the budget decision.', reviewBy });
      expect(r.status, r.text.slice(0, 300)).to.equal(303);
    };
    const dueKey = async () => vnDateKey((await Case.findById(c._id).lean())!.infoRequest!.dueAt!);

    // Mon 1 Mar: 8 working days left (to Thu 11 Mar). Held; resumed Mon 15 Mar: 8 again, to Thu 25 Mar.
    clock = vn('2027-03-01');
    await hold('2027-03-12');
    clock = vn('2027-03-15');
    const token = await csrf();
    const v = String(await version());
    const resumes = await Promise.all([0, 1].map(() => a.post(`/cases/${c._id}/actions/resume`).type('form').set('Accept', 'text/html').send({ _csrf: token, version: v })));
    expect(resumes.map((r) => r.status).sort()).to.deep.equal([303, 409]);
    expect(await dueKey()).to.equal('2027-03-25');

    // Wed 17 Mar: 6 working days left (18, 19, 22–25). Held again; resumed Mon 29 Mar: 6 again (30, 31 Mar, 1, 2, 5, 6 Apr).
    clock = vn('2027-03-17');
    await hold('2027-03-26');
    clock = vn('2027-03-29');
    const again = await csrf();
    const r = await a.post(`/cases/${c._id}/actions/resume`).type('form').set('Accept', 'text/html').send({ _csrf: again, version: String(await version()) });
    expect(r.status).to.equal(303);
    const back = (await Case.findById(c._id).lean())!;
    expect(back.stage).to.equal('awaiting_applicant');
    expect(vnDateKey(back.infoRequest!.dueAt!)).to.equal('2027-04-06');
    expect(vnDateKey(back.stageDueAt!)).to.equal('2027-04-06');
    expect(back.history.filter((h) => h.action === 'resume')).to.have.length(2);
  });
});

describe('security s33: the family visa papers (relationship_proof) uploaded by applicants', function () {
  this.timeout(60_000);
  const uploadDir = path.resolve(`data/test/uploads-s33-${process.pid}`);
  let t: TestApp;
  let call: CallDoc;
  before(async () => {
    await rm(uploadDir, { recursive: true, force: true });
    ({ t, call } = await procedureWorld(() => vnDay('2026-12-07'), { env: { UPLOAD_DIR: uploadDir, UPLOAD_RATE_PER_HOUR: '1000' }, checklist: [{ type: 'cv', phase: 'application', required: true }] }));
  });
  after(async () => {
    await t?.close();
    await rm(uploadDir, { recursive: true, force: true });
  });

  it("only on one's own case, and only where HR asked for it or the case's visa is its foreign family's (a type the case does not list is refused); nothing stored otherwise", async () => {
    const family = [{ name: 'Anna Nguyen', relationship: 'spouse', nationality: 'DE' }];
    const asked = await createUser({ role: 'applicant', locale: 'en' });
    const other = await createUser({ role: 'applicant', locale: 'en' });
    const askedAt = vnDay('2026-12-01');
    const visa = { kind: 'visa', status: 'preparing', updatedAt: askedAt, asks: [{ _id: new Types.ObjectId(), text: 'Marriage certificate, legalised', documentType: 'relationship_proof', askedAt, dueAt: vnEndOfDay(vnDay('2026-12-20')), stopsClock: false }] };
    const mine = await createCase({ applicant: asked, call, stage: 'onboarding', profile: { nationality: 'VN' }, dependants: family, supportRequested: { visa: true, family: true }, supportTracks: [visa] });
    // No family on the case: the type has no place (with a foreign family it has one: test/documents/relationship-proof.test.ts).
    const theirs = await createCase({ applicant: other, call, stage: 'onboarding', profile: { nationality: 'VN' }, supportRequested: { visa: true } });
    const upload = async (who: UserDoc, caseId: unknown) => {
      const a = await signedIn(t, who);
      return a.post(`/cases/${caseId}/documents`).field('_csrf', await tokenOf(a)).set('Accept', 'application/json').attach('relationship_proof', await makePdf('Marriage certificate'), 'proof.pdf');
    };
    // Another's case: refused whatever it asks.
    expect([403, 404]).to.include((await upload(other, mine._id)).status);
    // Their own case, no family and no HR ask: the type is not theirs to send.
    expect((await upload(other, theirs._id)).status).to.be.within(400, 499);
    expect(await CaseDocument.countDocuments({ case: { $in: [mine._id, theirs._id] } })).to.equal(0);
    // Control: asked, on their own case, it is taken.
    expect((await upload(asked, mine._id)).status).to.equal(201);
    expect(await CaseDocument.countDocuments({ case: mine._id, type: 'relationship_proof' })).to.equal(1);
    expect(await CaseDocument.countDocuments({ case: theirs._id })).to.equal(0);
  });
});
