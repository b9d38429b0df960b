// HR records a decline of the offer that came by e-mail or post (walk 26 #2): a row of the workflow
// table as its acceptance twin, taken through the confirmation page (it ends the case). Bad dates are
// a 422 with the form kept; confirmed, the case is withdrawn, the applicant's reason is kept where
// their own decline keeps it (the case page and the leaders' recent decisions read it alike), HR's
// note beside how and when it came, a late answer is marked, it is audited, and the applicant gets
// the decline e-mail saying what was recorded, in their language.
// Real database, real in-process SMTP, the real pages and forms with their CSRF tokens.
import { dayFirst } from '../../server/support/calendar-day.ts';
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case } from '../../models/case.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { loadCalendar, seedHolidays, vnDateKey, type WorkingCalendar } from '../../server/calendar/index.ts';
import { formatDay } from '../../server/views/time.ts';
import type { Agent } from '../support/http.ts';
import { signedIn, page, post, versionIn, deliver, text, expectTranslated } from '../applications/support.ts';

/** The hidden fields of the form posting to `action` on this page, as the browser would send them. */
function hiddenFields(html: string, action: string): Record<string, string> {
  const at = html.indexOf(`action="${action}"`);
  expect(at, `a form posting to ${action}`).to.be.greaterThan(-1);
  const form = html.slice(at, html.indexOf('</form>', at));
  const out: Record<string, string> = {};
  for (const m of form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) if (m[1] !== '_csrf') out[m[1]!] = text(m[2]!);
  return out;
}

describe('cases: HR records a decline received by e-mail or post', () => {
  let t: TestApp;
  let hr: UserDoc;
  let leader: UserDoc;
  let applicantVi: UserDoc;
  let applicantEn: UserDoc;
  let call: CallDoc;
  let calendar: WorkingCalendar;

  before(async () => {
    t = await startTestApp();
    await seedHolidays();
    calendar = await loadCalendar();
    const institute = await createInstitute();
    hr = await createUser({ role: 'hr_officer', institute, name: 'Officer One', locale: 'en' });
    leader = await createUser({ role: 'leader', institute, name: 'Director Ha', locale: 'en' });
    applicantVi = await createUser({ role: 'applicant', locale: 'vi', name: 'Nguyễn Văn An' });
    applicantEn = await createUser({ role: 'applicant', locale: 'en', name: 'Anna Weber' });
    call = await createCall({ institute, checklist: [] });
  });
  after(async () => {
    await t?.close();
  });

  const offered = (who: UserDoc, dueAt: Date) => createCase({ applicant: who, call, stage: 'offer', assignee: hr, stageDueAt: dueAt, stageEnteredAt: calendar.addWorkingDays(new Date(), -12) });

  async function confirm(a: Agent, shownHtml: string, caseId: unknown) {
    const url = `/cases/${String(caseId)}/actions/record_decline/confirm`;
    return post(a, shownHtml, url, hiddenFields(shownHtml, url));
  }

  it('refuses bad dates and a missing note with 422, keeping what was typed; nothing changes', async () => {
    const c = await offered(applicantEn, calendar.addWorkingDays(new Date(), 5));
    const a = await signedIn(t, hr);
    const p = await page(a, `/cases/${c._id}`);
    expect(p.text).to.match(/<details id="record-decline">/);
    expectTranslated(p.text, 'the case page at the offer');
    const action = `/cases/${c._id}/actions/record_decline`;
    const v = versionIn(p.text, action);
    const future = vnDateKey(new Date(Date.now() + 3 * 86_400_000));
    const bad = await post(a, p.text, action, { version: v, receivedVia: 'post', receivedOn: future, note: 'Letter from Dr Weber', reason: 'Family reasons' });
    expect(bad.status).to.equal(422);
    // The range allowed is named (the text field has no max the browser keeps to).
    expect(text(bad.text)).to.match(/The day it was received cannot be in the future: a day between \d{1,2} [A-Z][a-z]{2} \d{4} and \d{1,2} [A-Z][a-z]{2} \d{4}\./);
    expect(bad.text).to.match(/<details id="record-decline" open>/);
    expect(bad.text).to.include(`value="${dayFirst(future)}"`);
    expect(bad.text).to.include('>Letter from Dr Weber</textarea>');
    expect(bad.text).to.include('>Family reasons</textarea>');
    expect(bad.text).to.match(/value="post" checked/);
    const before = await post(a, p.text, action, { version: v, receivedVia: 'email', receivedOn: vnDateKey(calendar.addWorkingDays(new Date(), -20)), note: 'E-mail' });
    expect(before.status).to.equal(422);
    expect(text(before.text)).to.include('The day it was received cannot be before the offer was made: a day between ');
    const notDate = await post(a, p.text, action, { version: v, receivedVia: 'email', receivedOn: '31/02/2027', note: 'E-mail' });
    expect(notDate.status).to.equal(422);
    expect(text(notDate.text)).to.include('This is not a date: type it as day/month/year, for example 05/12/2026.');
    expect(notDate.text).to.include('value="31/02/2027"');
    const noNote = await post(a, p.text, action, { version: v, receivedVia: 'email', receivedOn: vnDateKey(new Date()), note: '  ' });
    expect(noNote.status).to.equal(422);
    expect(text(noNote.text)).to.include('Say what was received and from whom.');
    const after = (await Case.findById(c._id).lean())!;
    expect(after.stage).to.equal('offer');
    expect(after.version).to.equal(c.version);
  });

  it('confirmed: withdrawn, reason kept as the applicant’s, late marked, audited, on the case page and the leaders’ decisions; the applicant is e-mailed in Vietnamese', async () => {
    // Its answer-by date passed two working days ago: the decline came late.
    const dueAt = calendar.addWorkingDays(new Date(), -3);
    const c = await offered(applicantVi, dueAt);
    const a = await signedIn(t, hr);
    const p = await page(a, `/cases/${c._id}`);
    const action = `/cases/${c._id}/actions/record_decline`;
    const today = vnDateKey(new Date());
    const form = { version: versionIn(p.text, action), receivedVia: 'email', receivedOn: today, note: 'E-mail from the applicant to hr@, forwarded by the director.', reason: 'My family cannot move in 2027.' };
    const shown = await post(a, p.text, action, form);
    expect(shown.status).to.equal(200);
    const shownText = text(shown.text);
    expect(shownText).to.include('Record that the applicant declined the offer?');
    expect(shownText).to.include(`Received by e-mail on ${formatDay(new Date(), 'en')}.`);
    expect(shownText).to.include('Their reason: My family cannot move in 2027.');
    // Nothing done yet; Cancel brings the form back as typed.
    expect((await Case.findById(c._id).lean())!.stage).to.equal('offer');
    const cancelled = await post(a, shown.text, action, hiddenFields(shown.text, action));
    expect(cancelled.status).to.equal(200);
    expect(cancelled.text).to.match(/<details id="record-decline" open>/);
    expect(cancelled.text).to.include('>My family cannot move in 2027.</textarea>');

    const done = await confirm(a, shown.text, c._id);
    expect(done.status).to.equal(303);
    const after = (await Case.findById(c._id).lean())!;
    expect(after.stage).to.equal('withdrawn');
    const event = after.history.at(-1)!;
    expect(event.action).to.equal('record_decline');
    expect(event.note).to.equal('My family cannot move in 2027.');
    expect(event.received?.via).to.equal('email');
    expect(event.received?.note).to.equal('E-mail from the applicant to hr@, forwarded by the director.');
    expect(vnDateKey(event.received!.on)).to.equal(today);
    expect(event.late?.workingDays).to.be.greaterThan(0);
    const transitionAudit = await AuditEvent.findOne({ targetId: String(c._id), action: 'case.transition' }).sort({ at: -1 }).lean();
    expect(transitionAudit?.summary).to.include({ action: 'record_decline', from: 'offer', to: 'withdrawn' });
    const decision = await AuditEvent.findOne({ targetId: String(c._id), action: 'case.decision' }).lean();
    expect(decision?.summary).to.include({ decision: 'record_decline', reason: 'My family cannot move in 2027.' });

    // The case page says it as an applicant's decline, late, with how it came and HR's note on the timeline.
    const casePage = text((await page(a, `/cases/${c._id}`)).text);
    expect(casePage).to.include(`Declined by the applicant on ${formatDay(new Date(), 'en')}: My family cannot move in 2027.`);
    expect(casePage).to.include('Late: answered');
    expect(casePage).to.include('E-mail from the applicant to hr@, forwarded by the director.');

    // The leaders' recent decisions read it as the applicant's decline.
    const dash = text((await page(await signedIn(t, leader), '/dashboard')).text);
    expect(dash).to.include(`Declined by the applicant on ${formatDay(new Date(), 'en')}: My family cannot move in 2027.`);

    // The applicant's e-mail confirms what HR recorded, in Vietnamese; HR's note is not in it.
    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(applicantVi.email, new RegExp(`\\[${c.reference}\\]`));
    expect(mail.text).to.include('Chúng tôi đã ghi nhận Ông/Bà từ chối lời mời làm việc');
    expect(mail.text).to.include(`Việc Ông/Bà từ chối, nhận qua e-mail ngày ${formatDay(new Date(), 'vi')}, đã được ghi nhận.`);
    expect(mail.text).to.include('Lý do Ông/Bà đã nêu: My family cannot move in 2027.');
    expect(mail.text).to.not.include('forwarded by the director');

    // The same confirmation again (a double click): one decline, one e-mail.
    const again = await confirm(a, shown.text, c._id);
    expect(again.status).to.equal(303);
    const final = (await Case.findById(c._id).lean())!;
    expect(final.history.filter((h) => h.action === 'record_decline')).to.have.length(1);
    expect(final.outbox.filter((o) => o.template === 'offer_declined')).to.have.length(1);
  });

  it('a decline without a reason, by post, in English: the e-mail says how it came and no reason line', async () => {
    const c = await offered(applicantEn, calendar.addWorkingDays(new Date(), 5));
    const a = await signedIn(t, hr);
    const p = await page(a, `/cases/${c._id}`);
    const action = `/cases/${c._id}/actions/record_decline`;
    const shown = await post(a, p.text, action, { version: versionIn(p.text, action), receivedVia: 'post', receivedOn: vnDateKey(new Date()), note: 'Signed letter declining the offer.', reason: '' });
    expect(shown.status).to.equal(200);
    expect(text(shown.text)).to.include('No reason given.');
    expect((await confirm(a, shown.text, c._id)).status).to.equal(303);
    const after = (await Case.findById(c._id).lean())!;
    expect(after.stage).to.equal('withdrawn');
    expect(after.history.at(-1)!.late).to.equal(undefined);
    expect(text((await page(a, `/cases/${c._id}`)).text)).to.include(`Declined by the applicant on ${formatDay(new Date(), 'en')}: no reason given`);
    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(applicantEn.email, new RegExp(`\\[${c.reference}\\] Offer declined`));
    expect(mail.text).to.include(`Your decline, received by post on ${formatDay(new Date(), 'en')}, has been recorded.`);
    expect(mail.text).to.not.include('The reason you gave');
  });

  it('the applicant sees their own reason and the day it was received, on their page and in their data export; HR’s note never', async () => {
    const c = await offered(applicantVi, calendar.addWorkingDays(new Date(), 5));
    const a = await signedIn(t, hr);
    const p = await page(a, `/cases/${c._id}`);
    const action = `/cases/${c._id}/actions/record_decline`;
    const received = calendar.addWorkingDays(new Date(), -2);
    const shown = await post(a, p.text, action, { version: versionIn(p.text, action), receivedVia: 'post', receivedOn: vnDateKey(received), note: 'Letter opened by the director, stapled to the file.', reason: 'Chúng tôi ở lại Berlin.' });
    expect((await confirm(a, shown.text, c._id)).status).to.equal(303);

    const applicant = await signedIn(t, applicantVi);
    const mine = text((await page(applicant, `/applications/${c._id}`)).text);
    expect(mine).to.include(`Nhận qua bưu điện ngày ${formatDay(received, 'vi')}.`);
    expect(mine).to.include('Lý do Ông/Bà nêu: Chúng tôi ở lại Berlin.');
    expect(mine).to.not.include('stapled to the file');

    const exported = await applicant.get('/account/export');
    expect(exported.status).to.equal(200);
    const json = typeof exported.body === 'object' && exported.body && Object.keys(exported.body).length ? exported.body : JSON.parse(exported.text);
    const kase = (json.cases as Array<{ reference: string; history: Array<{ action: string; note?: string; received?: { via: string; on: string } }> }>).find((x) => x.reference === c.reference)!;
    const event = kase.history.find((h) => h.action === 'record_decline')!;
    expect(event.note).to.equal('Chúng tôi ở lại Berlin.');
    expect(event.received?.via).to.equal('post');
    expect(vnDateKey(new Date(event.received!.on))).to.equal(vnDateKey(received));
    expect(JSON.stringify(json)).to.not.include('stapled to the file');
  });

  it('is not offered to the applicant, nor to HR at another stage', async () => {
    const c = await createCase({ applicant: applicantEn, call, stage: 'onboarding', assignee: hr });
    const a = await signedIn(t, hr);
    const p = await page(a, `/cases/${c._id}`);
    expect(p.text).to.not.include('id="record-decline"');
    const refused = await post(a, p.text, `/cases/${c._id}/actions/record_decline`, { version: String(c.version), receivedVia: 'email', receivedOn: vnDateKey(new Date()), note: 'x' });
    expect(refused.status).to.not.equal(303);
    expect((await Case.findById(c._id).lean())!.stage).to.equal('onboarding');
  });
});
