// The applicant's answer to an offer is seen by those who act on it: a decline's reason reaches the
// case page's panel, the leaders' dashboard ("Recent decisions") and the officer's e-mail, in each
// reader's language and escaped; an answer after the answer-by date is taken but marked late, with
// the working days counted on the working calendar, on the case page, its timeline and that e-mail.
// Real database, real in-process SMTP, the real pages and forms with their CSRF tokens.
import { expect } from 'chai';
import { Types } from 'mongoose';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { seedHolidays, WorkingCalendar } from '../../server/calendar/index.ts';
import { transition } from '../../server/workflow/index.ts';
import { lateAnswer } from '../../server/applications/late-answer.ts';
import { actorContext } from '../workflow/context.ts';
import { signedIn, page, post, versionIn, deliver, text } from './support.ts';

describe('applications: the answer to an offer, seen by HR and the leaders (reason, lateness)', function () {
  this.timeout(60_000);
  let t: TestApp;
  let leader: UserDoc;
  let viLeader: UserDoc;
  let hr: UserDoc;
  let viHr: UserDoc;
  let call: CallDoc;
  // Monday 7 Dec 2026, 09:00 in Vietnam: an offer made now is due Monday 21 Dec (10 working days).
  const offerDay = new Date('2026-12-07T02:00:00Z');
  let clock = offerDay;

  before(async () => {
    t = await startTestApp({ now: () => clock });
    await seedHolidays();
    const institute = await createInstitute();
    leader = await createUser({ role: 'leader', institute, locale: 'en' });
    viLeader = await createUser({ role: 'leader', institute, locale: 'vi' });
    hr = await createUser({ role: 'hr_officer', institute, name: 'Officer English', locale: 'en' });
    viHr = await createUser({ role: 'hr_officer', institute, name: 'Cán bộ Việt', locale: 'vi' });
    call = await createCall({ institute, checklist: [] });
  });
  beforeEach(() => {
    clock = offerDay;
  });
  after(async () => {
    await t?.close();
  });

  async function offered(who: UserDoc, officer: UserDoc): Promise<CaseDoc> {
    // Its terms and letter attached while it was prepared (an acceptance needs them).
    const c = await createCase({ applicant: who, call, stage: 'shortlisted', assignee: officer, offerTerms: { position: 'Senior researcher', letter: new Types.ObjectId() } });
    const made = await transition({ app: t.ctx, ctx: actorContext(t.ctx, leader), caseId: c._id, action: 'approve_offer', expectedVersion: c.version, payload: { note: 'Ranked first.' }, asDecision: true });
    await deliver(t, c._id);
    return made;
  }

  async function answer(who: UserDoc, c: CaseDoc, kind: 'accept' | 'decline', reason?: string) {
    const a = await signedIn(t, who);
    const url = `/applications/${c._id}/offer/${kind}`;
    const confirm = await page(a, url);
    return post(a, confirm.text, url, { version: versionIn(confirm.text, url), ...(reason !== undefined ? { reason } : {}) });
  }

  const section = (html: string, id: string) => {
    const at = html.indexOf(`id="${id}"`);
    expect(at, `section ${id}`).to.be.greaterThan(-1);
    return html.slice(at, html.indexOf('</section>', at));
  };
  const rowOf = (html: string, reference: string) => {
    const table = section(html, 'recent-decisions');
    const at = table.indexOf(`>${reference}<`);
    expect(at, `a dashboard row for ${reference}`).to.be.greaterThan(-1);
    return table.slice(table.lastIndexOf('<tr>', at), table.indexOf('</tr>', at));
  };

  it('a decline with a hostile reason: escaped on the case page, on the dashboard and in the officer’s e-mail, in English', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en', name: 'Anna Berg' });
    const c = await offered(applicant, hr);
    clock = new Date('2026-12-09T03:00:00Z'); // Wednesday 9 Dec, in time
    const reason = `<script>alert("x")</script> I'd rather stay & teach.`;
    expect((await answer(applicant, c, 'decline', reason)).status).to.equal(303);

    const staff = (await page(await signedIn(t, hr), `/cases/${c._id}`)).text;
    const panel = section(staff, 'offer-declined');
    expect(panel).to.include('Declined by the applicant on 9 Dec 2026: &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; I&#x27;d rather stay &amp; teach.');
    expect(panel).not.to.include('<script>');
    expect(panel).not.to.include('offer-answer-late');

    // The leaders' dashboard: the applicant's decision among the recent ones, with the reason, escaped.
    const dash = (await page(await signedIn(t, leader), '/dashboard')).text;
    const row = rowOf(dash, c.reference);
    expect(row).to.include('Offer declined');
    expect(row).to.include('Declined by the applicant on 9 Dec 2026: &lt;script&gt;');
    expect(row).to.include('Anna Berg');
    expect(row).to.include('(Applicant)');
    expect(row).not.to.include('<script>');
    // Listed once: its decision event, not again from its transition's (the older declines' way in).
    expect(section(dash, 'recent-decisions').split(`>${c.reference}<`)).to.have.length(2);
    expect(await AuditEvent.countDocuments({ action: 'case.decision', targetId: String(c._id), 'summary.decision': 'decline_offer' })).to.equal(1);

    // The officer's e-mail, in their language, with the reason; the applicant's own e-mail as before.
    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(hr.email, new RegExp(`\\[${c.reference}\\] The applicant declined the offer`));
    expect(mail.subject).not.to.include('late');
    expect(mail.text).to.include('The applicant Nguyễn Văn An declined the offer');
    expect(mail.text).to.include(`Their reason: ${reason}`);
    expect(mail.html).to.include('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(mail.html).not.to.include('<script>');
    expect(mail.text).not.to.include('Late:');
    await t.smtp.waitForTo(applicant.email, new RegExp(`\\[${c.reference}\\] Offer declined`));
  });

  it('a decline without a reason, in Vietnamese: "không nêu lý do" on the case page and the dashboard, and in the officer’s e-mail', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'vi', name: 'Trần Văn B' });
    const c = await offered(applicant, viHr);
    clock = new Date('2026-12-10T03:00:00Z');
    expect((await answer(applicant, c, 'decline', '')).status).to.equal(303);

    const staff = text((await page(await signedIn(t, viHr), `/cases/${c._id}`)).text);
    expect(section(staff, 'offer-declined')).to.include('Ứng viên đã từ chối ngày 10/12/2026: không nêu lý do');
    const row = text(rowOf((await page(await signedIn(t, viLeader), '/dashboard')).text, c.reference));
    expect(row).to.include('Ứng viên đã từ chối ngày 10/12/2026: không nêu lý do');
    expect(row).to.include('(Ứng viên)');
    const en = text(rowOf((await page(await signedIn(t, leader), '/dashboard')).text, c.reference));
    expect(en).to.include('Declined by the applicant on 10 Dec 2026: no reason given');

    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(viHr.email, new RegExp(`\\[${c.reference}\\] Ứng viên đã từ chối lời mời làm việc`));
    expect(mail.text).to.include('Ứng viên không nêu lý do.');
  });

  it('refuses a reason of 10,000 characters (with HTML) with what to fix, keeping it typed; nothing is stored or sent', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await offered(applicant, hr);
    const long = `<b>${'x'.repeat(9_993)}</b>`;
    const res = await answer(applicant, c, 'decline', long);
    expect(res.status).to.equal(422);
    expect(text(res.text)).to.include('Your reason for declining is too long (at most 2000 characters).');
    expect(res.text).to.include(`>&lt;b&gt;${'x'.repeat(9_993)}&lt;/b&gt;</textarea>`);
    const after = (await Case.findById(c._id).lean())!;
    expect(after.stage).to.equal('offer');
    expect(after.version).to.equal(c.version);
    expect(after.outbox.filter((o) => o.template === 'offer_answered')).to.have.length(0);
    expect(await AuditEvent.countDocuments({ action: 'case.decision', targetId: String(c._id) })).to.equal(0);
  });

  it('a late acceptance is taken, and marked with its working days on the case page, the timeline and the officer’s e-mail (en and vi)', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en', name: 'Late Accepter' });
    const c = await offered(applicant, hr);
    expect(c.stageDueAt?.toISOString().slice(0, 10)).to.equal('2026-12-21');
    // Wednesday 23 Dec 2026: Tuesday 22 and Wednesday 23 are the working days after Monday 21.
    clock = new Date('2026-12-23T03:00:00Z');
    expect((await answer(applicant, c, 'accept')).status).to.equal(303);
    const after = (await Case.findById(c._id).lean())!;
    expect(after.stage).to.equal('onboarding');
    expect(after.history.at(-1)!.late).to.deep.include({ workingDays: 2 });

    const staff = text((await page(await signedIn(t, hr), `/cases/${c._id}`)).text);
    const panel = section(staff, 'offer-accepted');
    expect(panel).to.include('Accepted by the applicant on 23 Dec 2026');
    const late = 'Late: answered 2 working days after the answer-by date (21 Dec 2026). The answer was recorded all the same; the institute decides what it means.';
    expect(panel).to.include(late);
    const timeline = section(staff, 'timeline');
    expect(timeline).to.include(late);
    // The applicant's own timeline does not carry the staff's mark.
    expect(text((await page(await signedIn(t, applicant), `/applications/${c._id}`)).text)).not.to.include('working days after the answer-by date');

    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(hr.email, new RegExp(`\\[${c.reference}\\] The applicant accepted the offer \\(late\\)`));
    expect(mail.text).to.include('Late: answered 2 working days after the answer-by date (21 Dec 2026).');
    expect(mail.html).to.include('answered 2 working days after the answer-by date (21 Dec 2026)');

    // In Vietnamese, for a Vietnamese officer: one working day late (Tuesday 22 Dec).
    const viApplicant = await createUser({ role: 'applicant', locale: 'vi' });
    clock = offerDay;
    const v = await offered(viApplicant, viHr);
    clock = new Date('2026-12-22T03:00:00Z');
    expect((await answer(viApplicant, v, 'decline', 'Gia đình chưa thể chuyển đến.')).status).to.equal(303);
    const viStaff = text((await page(await signedIn(t, viHr), `/cases/${v._id}`)).text);
    expect(section(viStaff, 'offer-declined')).to.include('Muộn: trả lời muộn 1 ngày làm việc so với hạn trả lời (21/12/2026).');
    expect(text(rowOf((await page(await signedIn(t, viLeader), '/dashboard')).text, v.reference))).to.include('trả lời muộn 1 ngày làm việc so với hạn trả lời (21/12/2026)');
    await deliver(t, v._id);
    const viMail = await t.smtp.waitForTo(viHr.email, new RegExp(`\\[${v.reference}\\] Ứng viên đã từ chối lời mời làm việc \\(muộn\\)`));
    expect(viMail.text).to.include('Lý do của ứng viên: Gia đình chưa thể chuyển đến.');
    expect(viMail.text).to.include('Muộn: trả lời muộn 1 ngày làm việc so với hạn trả lời (21/12/2026).');
  });

  it('an acceptance HR records from e-mail or post is marked late by the day it was received, not the day it was recorded', async () => {
    const record = async (c: CaseDoc, receivedOn: string) => {
      const h = await signedIn(t, hr);
      const url = `/cases/${c._id}/actions/record_acceptance`;
      const hrPage = await page(h, `/cases/${c._id}`);
      const res = await post(h, hrPage.text, url, { version: versionIn(hrPage.text, url), receivedVia: 'email', receivedOn, reason: 'Signed letter attached to her e-mail.' });
      expect(res.status).to.equal(303);
      return (await Case.findById(c._id).lean())!;
    };
    // Received Wednesday 23 Dec (2 working days late), recorded Monday 28 Dec (5 working days after the 21st).
    const late = await offered(await createUser({ role: 'applicant', locale: 'en' }), hr);
    clock = new Date('2026-12-28T03:00:00Z');
    const after = await record(late, '2026-12-23');
    expect(after.stage).to.equal('onboarding');
    expect(after.history.at(-1)!.action).to.equal('record_acceptance');
    expect(after.history.at(-1)!.late).to.deep.include({ workingDays: 2 });
    const mark = 'Late: answered 2 working days after the answer-by date (21 Dec 2026). The answer was recorded all the same; the institute decides what it means.';
    const staff = text((await page(await signedIn(t, hr), `/cases/${late._id}`)).text);
    const panel = section(staff, 'offer-accepted');
    expect(panel).to.include('Accepted by the applicant on 23 Dec 2026');
    expect(panel).to.include(mark);
    expect(section(staff, 'timeline')).to.include(mark);
    const viStaff = text((await page(await signedIn(t, viHr), `/cases/${late._id}`)).text);
    expect(section(viStaff, 'timeline')).to.include('Muộn: trả lời muộn 2 ngày làm việc so với hạn trả lời (21/12/2026).');

    // Received on the answer-by date itself, recorded two days later: in time, nothing marked.
    clock = offerDay;
    const onTime = await offered(await createUser({ role: 'applicant', locale: 'en' }), hr);
    clock = new Date('2026-12-23T03:00:00Z');
    const kept = await record(onTime, '2026-12-21');
    expect(kept.stage).to.equal('onboarding');
    expect(kept.history.at(-1)!.late ?? undefined).to.equal(undefined);
    const inTime = text((await page(await signedIn(t, hr), `/cases/${onTime._id}`)).text);
    expect(inTime).not.to.include('id="offer-accepted"');
    expect(inTime).not.to.include('after the answer-by date');
  });

  it('an answer in time, including on the answer-by date itself, is not late; one on the day off after it is, with no working day counted', () => {
    const calendar = WorkingCalendar.of([]);
    const due = new Date('2026-12-18T16:59:59.999Z'); // end of Friday 18 Dec in Vietnam
    expect(lateAnswer(calendar, due, new Date('2026-12-18T10:00:00Z'))).to.equal(undefined);
    expect(lateAnswer(calendar, due, new Date('2026-12-19T03:00:00Z'))).to.deep.equal({ dueAt: due, workingDays: 0 });
    expect(lateAnswer(calendar, due, new Date('2026-12-21T03:00:00Z'))).to.deep.equal({ dueAt: due, workingDays: 1 });
    expect(lateAnswer(calendar, undefined, new Date())).to.equal(undefined);
  });
});
