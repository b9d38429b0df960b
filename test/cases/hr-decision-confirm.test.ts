// HR's decisions that end or pause a case (reject, put on hold, close) in two steps, over HTTP:
// the first POST changes nothing and shows the confirmation page (new stage, the applicant's e-mail
// as it will be sent, what they can do next, an information request still running); confirming
// takes the step once (a second or simultaneous click: one effect, one e-mail on the SMTP server);
// a stale form is the 409 page; another institute's officer is refused; Cancel keeps the reason;
// the leaders' dashboard lists the rejection with its reason and who decided, leaves the routine
// close out, and lists the rejections and holds taken before they were audited as decisions.
import { expect } from 'chai';
import { Types } from 'mongoose';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case } from '../../models/case.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { loadCalendar, seedHolidays } from '../../server/calendar/index.ts';
import { formatDay } from '../../server/views/time.ts';
import { signedIn, page, post, postConfirmed, versionIn, deliver, text, holdReviewDay } from '../applications/support.ts';
import { transition } from '../../server/workflow/index.ts';
import { recentDecisions } from '../../server/dashboard/decisions.ts';
import { actorContext } from '../workflow/context.ts';

async function snapshot(c: { _id: unknown }) {
  const s = (await Case.findById(c._id).lean())!;
  return { stage: s.stage, version: s.version, history: s.history.length, outbox: s.outbox.length };
}

describe('cases: HR decisions that end or pause a case are confirmed first', () => {
  let t: TestApp;
  let hr: UserDoc;
  let otherHr: UserDoc;
  let leader: UserDoc;
  let call: CallDoc;

  before(async () => {
    t = await startTestApp();
    await seedHolidays();
    const institute = await createInstitute();
    hr = await createUser({ role: 'hr_officer', institute, name: 'Officer One', locale: 'en' });
    otherHr = await createUser({ role: 'hr_officer', name: 'Elsewhere Officer' });
    leader = await createUser({ role: 'leader', institute, name: 'Director Ha', locale: 'en' });
    call = await createCall({ institute, checklist: [] });
  });
  after(async () => {
    await t?.close();
  });

  it('shows the confirmation page on the first POST (nothing changed, no e-mail); confirming rejects and sends one e-mail in the applicant\'s language', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'vi', name: 'Trần Thị Bình' });
    const c = await createCase({ applicant, call, stage: 'screening' });
    const a = await signedIn(t, hr);
    const p = await page(a, `/cases/${c._id}`);
    const before = await snapshot(c);
    const url = `/cases/${c._id}/actions/reject`;
    const reason = "Outside the call's field.";
    const shown = await post(a, p.text, url, { version: versionIn(p.text, url), reason });
    expect(shown.status).to.equal(200);
    expect(await snapshot(c)).to.deep.equal(before);
    const body = text(shown.text);
    expect(body).to.include('Reject the application?');
    expect(body).to.include('now “Screening”, after this step “Rejected”');
    expect(body).to.include('This decision is final');
    expect(body).to.include('What the applicant can do next:');
    // The e-mail as it will be sent: in Vietnamese, with HR's screening reason (the applicant is told it).
    expect(body).to.include(`E-mail to ${applicant.email}, in Vietnamese:`);
    expect(body).to.match(/id="preview-subject">\[TA-\d{4}-\d{6}\] Kết quả xét hồ sơ</);
    expect(body).to.include(`Lý do: ${reason}`);
    expect(body).to.include('The applicant is told this reason, by e-mail and on their page.');
    expect(shown.text).not.to.include('id="open-request-warning"');
    expect(shown.text).to.match(/class="button danger" id="confirm-step"/);

    const { confirmed } = await postConfirmed(a, p.text, c._id, 'reject', { version: versionIn(p.text, url), reason });
    expect(confirmed.status).to.equal(303);
    const after = (await Case.findById(c._id).lean())!;
    expect(after.stage).to.equal('rejected');
    expect(after.decision?.reason).to.equal(reason);
    expect(after.outbox).to.have.length(1);
    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(applicant.email, /Kết quả xét hồ sơ/);
    expect(mail.subject).to.include(c.reference);
    expect(mail.text).to.include(`Lý do: ${reason}`);
    expect(t.smtp.to(applicant.email)).to.have.length(1);
    const audit = await AuditEvent.find({ targetId: String(c._id), action: 'case.decision' }).lean();
    expect(audit).to.have.length(1);
    expect(audit[0]!.actorRole).to.equal('hr_officer');
    expect(audit[0]!.summary).to.include({ decision: 'reject', reason, from: 'screening', to: 'rejected' });
  });

  it('takes a confirmed step once: a second click and two simultaneous clicks change the case and write its e-mail once', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const a = await signedIn(t, hr);
    // One after the other: the second click says it was already done.
    const c1 = await createCase({ applicant, call, stage: 'screening' });
    const p1 = await page(a, `/cases/${c1._id}`);
    const form = { version: String(c1.version), reason: 'Missing the doctorate the call requires.' };
    expect((await post(a, p1.text, `/cases/${c1._id}/actions/reject/confirm`, form)).status).to.equal(303);
    const again = await post(a, p1.text, `/cases/${c1._id}/actions/reject/confirm`, form);
    expect(again.status).to.equal(303);
    expect(text((await page(a, again.headers.location!)).text)).to.include('This was already done: the case is “Rejected”.');
    const s1 = (await Case.findById(c1._id).lean())!;
    expect(s1.history.filter((h) => h.action === 'reject')).to.have.length(1);
    expect(s1.outbox).to.have.length(1);
    // At once.
    const c2 = await createCase({ applicant, call, stage: 'screening' });
    const p2 = await page(a, `/cases/${c2._id}`);
    const both = await Promise.all([1, 2].map(() => post(a, p2.text, `/cases/${c2._id}/actions/reject/confirm`, { version: String(c2.version), reason: 'Missing the doctorate.' })));
    expect(both.map((r) => r.status)).to.deep.equal([303, 303]);
    const s2 = (await Case.findById(c2._id).lean())!;
    expect(s2.version).to.equal(c2.version + 1);
    expect(s2.outbox).to.have.length(1);
    expect(await AuditEvent.countDocuments({ targetId: String(c2._id), action: 'case.decision' })).to.equal(1);
    await deliver(t, c1._id);
    await deliver(t, c2._id);
    await t.smtp.waitForTo(applicant.email);
    await new Promise((r) => setTimeout(r, 200));
    expect(t.smtp.to(applicant.email)).to.have.length(2);
  });

  it('warns that the applicant may still answer an open request for information, with its date and working days', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const due = new Date(Date.now() + 14 * 86_400_000);
    const c = await createCase({ applicant, call, stage: 'awaiting_applicant', infoRequest: { items: ['Passport scan'], dueAt: due, requestedAt: new Date() } });
    const a = await signedIn(t, hr);
    const p = await page(a, `/cases/${c._id}`);
    const url = `/cases/${c._id}/actions/reject`;
    const shown = await post(a, p.text, url, { version: versionIn(p.text, url), reason: 'No longer available for the post.' });
    expect(shown.status).to.equal(200);
    const n = (await loadCalendar()).workingDaysBetween(new Date(), due);
    expect(text(shown.text)).to.include(`The applicant has until ${formatDay(due, 'en')} (${n} working days) to answer the request for information.`);
    // The same in Vietnamese for a Vietnamese officer.
    const viHr = await createUser({ role: 'hr_officer', institute: call.institute, locale: 'vi' });
    const v = await signedIn(t, viHr);
    const vp = await page(v, `/cases/${c._id}`);
    const viShown = await post(v, vp.text, url, { version: versionIn(vp.text, url), reason: 'Không còn phù hợp.' });
    expect(text(viShown.text)).to.include(`Ứng viên còn đến ${formatDay(due, 'vi')} (${n} ngày làm việc) để trả lời`);
    // Its date passed: no warning.
    const late = await createCase({ applicant, call, stage: 'awaiting_applicant', infoRequest: { items: ['Passport scan'], dueAt: new Date(Date.now() - 86_400_000), requestedAt: new Date(Date.now() - 20 * 86_400_000) } });
    const lp = await page(a, `/cases/${late._id}`);
    const lateShown = await post(a, lp.text, `/cases/${late._id}/actions/reject`, { version: versionIn(lp.text, `/cases/${late._id}/actions/reject`), reason: 'No answer by the date.' });
    expect(lateShown.text).not.to.include('id="open-request-warning"');
    expect((await snapshot(c)).stage).to.equal('awaiting_applicant');
  });

  it('Cancel goes back to the case with the reason as typed; a missing reason is still refused beside the field', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await createCase({ applicant, call, stage: 'screening' });
    const a = await signedIn(t, hr);
    const p = await page(a, `/cases/${c._id}`);
    const url = `/cases/${c._id}/actions/put_on_hold`;
    expect((await post(a, p.text, url, { version: versionIn(p.text, url), reason: '  ' })).status).to.equal(422);
    const reviewBy = holdReviewDay();
    const shown = await post(a, p.text, url, { version: versionIn(p.text, url), reason: "Waiting for the institute's 2027 budget.", reviewBy });
    expect(shown.status).to.equal(200);
    expect(text(shown.text)).to.include('Put the case on hold?');
    expect(text(shown.text)).to.include("It can be resumed at any time: it then goes back to “Screening” with the working days its deadline had left today (a hold pauses the clock; overdue stays overdue).");
    expect(shown.text).not.to.match(/class="button danger" id="confirm-step"/);
    const cancelled = await post(a, shown.text, url, { version: versionIn(shown.text, url), reason: "Waiting for the institute's 2027 budget.", reviewBy, edit: '1' });
    expect(cancelled.status).to.equal(200);
    expect(cancelled.text).to.match(/id="f-reason-put_on_hold"[^>]*>Waiting for the institute&#x27;s 2027 budget\.<\/textarea>/);
    expect(cancelled.text).to.match(new RegExp(`id="f-reviewBy" name="reviewBy" type="text" value="${reviewBy.split('-').reverse().join('/')}"`));
    expect((await snapshot(c)).stage).to.equal('screening');
    // On the case page, hold does not look like reject.
    expect(p.text).to.match(/class="button caution" data-action="put_on_hold"/);
    expect(p.text).to.match(/class="button danger" data-action="reject"/);
  });

  it('refuses a stale form with the 409 page, at either step, and changes nothing', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await createCase({ applicant, call, stage: 'screening' });
    const a = await signedIn(t, hr);
    const p = await page(a, `/cases/${c._id}`);
    const url = `/cases/${c._id}/actions/reject`;
    const shown = await post(a, p.text, url, { version: versionIn(p.text, url), reason: 'Outside the field.' });
    expect(shown.status).to.equal(200);
    // Meanwhile a colleague puts it on hold.
    const hr2 = await createUser({ role: 'hr_officer', institute: call.institute, name: 'Officer Two' });
    const b = await signedIn(t, hr2);
    const bp = await page(b, `/cases/${c._id}`);
    expect((await postConfirmed(b, bp.text, c._id, 'put_on_hold', { version: versionIn(bp.text, `/cases/${c._id}/actions/put_on_hold`), reason: 'Budget review.', reviewBy: holdReviewDay() })).confirmed.status).to.equal(303);
    const before = await snapshot(c);
    const stale = await post(a, shown.text, `${url}/confirm`, { version: versionIn(shown.text, `${url}/confirm`), reason: 'Outside the field.' });
    expect(stale.status).to.equal(409);
    expect(stale.text).to.include('id="conflict"');
    expect(text(stale.text)).to.include('Officer Two');
    const staleFirst = await post(a, p.text, url, { version: versionIn(p.text, url), reason: 'Outside the field.' });
    expect(staleFirst.status).to.equal(409);
    expect(await snapshot(c)).to.deep.equal(before);
    expect(before.stage).to.equal('on_hold');
  });

  it("refuses another institute's officer, a leader, and a hand-made confirm of a routine step, changing nothing", async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await createCase({ applicant, call, stage: 'screening' });
    const before = await snapshot(c);
    const o = await signedIn(t, otherHr);
    const op = await page(o, '/cases');
    for (const url of [`/cases/${c._id}/actions/reject`, `/cases/${c._id}/actions/reject/confirm`]) {
      expect((await post(o, op.text, url, { version: String(c.version), reason: 'Not ours.' })).status, url).to.be.oneOf([403, 404]);
    }
    // A leader does not take HR's screening decision (nor see the case at screening).
    const l = await signedIn(t, leader);
    const lp = await page(l, '/cases');
    expect((await post(l, lp.text, `/cases/${c._id}/actions/reject/confirm`, { version: String(c.version), reason: 'Not the leader at screening.' })).status).to.be.oneOf([403, 404]);
    const a = await signedIn(t, hr);
    const submitted = await createCase({ applicant, call, stage: 'submitted' });
    const sp = await page(a, `/cases/${submitted._id}`);
    expect((await post(a, sp.text, `/cases/${submitted._id}/actions/start_screening/confirm`, { version: String(submitted.version) })).status).to.equal(400);
    expect((await snapshot(submitted)).stage).to.equal('submitted');
    expect(await snapshot(c)).to.deep.equal(before);
  });

  it('closes an arrived case through the confirmation page', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await createCase({ applicant, call, stage: 'arrived', supportTracks: [] });
    const a = await signedIn(t, hr);
    const p = await page(a, `/cases/${c._id}`);
    const { shown, confirmed } = await postConfirmed(a, p.text, c._id, 'close', { version: versionIn(p.text, `/cases/${c._id}/actions/close`) });
    expect(text(shown.text)).to.include('Close the case?');
    expect(confirmed.status).to.equal(303);
    expect((await snapshot(c)).stage).to.equal('closed');
  });

  it("lists HR's rejection on the leaders' dashboard with its reason and who decided", async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await createCase({ applicant, call, stage: 'screening' });
    const a = await signedIn(t, hr);
    const p = await page(a, `/cases/${c._id}`);
    const reason = 'The doctorate is outside the call’s field.';
    await postConfirmed(a, p.text, c._id, 'reject', { version: versionIn(p.text, `/cases/${c._id}/actions/reject`), reason });
    for (const [viewer, linked] of [[leader, false], [hr, true]] as const) {
      const dash = await page(await signedIn(t, viewer), '/dashboard');
      expect(dash.status).to.equal(200);
      const table = /id="recent-decisions">([\s\S]*?)<\/section>/.exec(dash.text)![1]!;
      expect(table).to.include(c.reference);
      const row = table.slice(table.lastIndexOf('<tr>', table.indexOf(c.reference)), table.indexOf('</tr>', table.indexOf(c.reference)));
      // HR opens the case from the row; a leader, who cannot open a case rejected at screening, gets no dead link.
      expect(row.includes(`href="/cases/${c._id}"`), viewer.role).to.equal(linked);
      expect(text(row)).to.include(reason);
      expect(text(row)).to.include('Officer One');
      expect(text(row)).to.include('(HR officer)');
      expect(text(row)).to.include('Reject');
    }
  });
  it("leaves HR's closes out of Recent decisions, and lists the rejections and holds taken before they were audited as decisions (their reason from the history), each once", async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const a = await signedIn(t, hr);
    // A close: the routine end once arrived, no reason asked: not a decision a leader reads.
    const arrived = await createCase({ applicant, call, stage: 'arrived', supportTracks: [] });
    const ap = await page(a, `/cases/${arrived._id}`);
    expect((await postConfirmed(a, ap.text, arrived._id, 'close', { version: versionIn(ap.text, `/cases/${arrived._id}/actions/close`) })).confirmed.status).to.equal(303);
    expect(await AuditEvent.countDocuments({ targetId: String(arrived._id), action: 'case.decision' })).to.equal(1);
    // Before today's change: the workflow step alone, audited as 'case.transition' only.
    const rejected = await createCase({ applicant, call, stage: 'screening' });
    const held = await createCase({ applicant, call, stage: 'evaluation' });
    // Dated after any other file's test clock: the read of these older steps is the newest few of every
    // institute (server/dashboard/decisions.ts, a bounded read), and other files leave future-dated ones.
    const ctx = { ...actorContext(t.ctx, hr), now: new Date('2031-01-06T03:00:00.000Z') };
    await transition({ app: t.ctx, ctx, caseId: rejected._id, action: 'reject', expectedVersion: rejected.version, payload: { reason: 'Earlier: no doctorate yet.' } });
    await transition({ app: t.ctx, ctx, caseId: held._id, action: 'put_on_hold', expectedVersion: held.version, payload: { reason: 'Earlier: budget decision pending.', reviewBy: new Date('2031-01-13T03:00:00.000Z') } });
    expect(await AuditEvent.countDocuments({ targetId: { $in: [String(rejected._id), String(held._id)] }, action: 'case.decision' })).to.equal(0);
    // And one taken today, audited both ways: listed once.
    const today = await createCase({ applicant, call, stage: 'screening' });
    const tp = await page(a, `/cases/${today._id}`);
    await postConfirmed(a, tp.text, today._id, 'reject', { version: versionIn(tp.text, `/cases/${today._id}/actions/reject`), reason: 'Today: outside the field.' });

    const dash = await page(await signedIn(t, leader), '/dashboard');
    const table = /id="recent-decisions">([\s\S]*?)<\/section>/.exec(dash.text)![1]!;
    const rowOf = (ref: string) => table.slice(table.lastIndexOf('<tr>', table.indexOf(ref)), table.indexOf('</tr>', table.indexOf(ref)));
    expect(table).not.to.include(arrived.reference);
    expect(table).not.to.include('Close the case');
    expect(text(rowOf(rejected.reference))).to.include('Earlier: no doctorate yet.');
    expect(text(rowOf(rejected.reference))).to.include('Reject');
    expect(text(rowOf(rejected.reference))).to.include('Officer One');
    expect(text(rowOf(held.reference))).to.include('Earlier: budget decision pending.');
    expect(table.split(today.reference)).to.have.length(2);
    expect(text(rowOf(today.reference))).to.include('Today: outside the field.');
    // Each card line is labelled for the phone layout.
    expect(rowOf(rejected.reference)).to.include('data-label="Reason"');
    // Scoped: another institute's dashboard does not list them.
    const elsewhere = await recentDecisions({ filter: { institute: String(new Types.ObjectId()) } as never });
    expect(elsewhere.map((d) => d.reference)).not.to.include.members([rejected.reference, held.reference, today.reference]);
    const here = await recentDecisions({ filter: { institute: String(call.institute) } as never });
    expect(here.filter((d) => d.reference === rejected.reference)).to.have.length(1);
  });
});
