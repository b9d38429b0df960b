// The planner in the app: the forecast and the certificate windows on the HR case page and the
// applicant's dated checklist (vi and en), the forecast stored after a change, and the e-mail listing
// the certificate windows opened, once the offer is accepted, each window once (real outbox, in-process SMTP).
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case } from '../../models/case.ts';
import { CaseDocument } from '../../models/document.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { seedHolidays, vnDateKey, vnEndOfDay, vnStartOfDay } from '../../server/calendar/index.ts';
import { runCertificateWindowReminders } from '../../server/planner/jobs.ts';
import { casePlan } from '../../server/planner/service.ts';
import { renderEmail } from '../../server/mail/render.ts';
import { transition } from '../../server/workflow/index.ts';
import { translator } from '../../server/i18n/index.ts';
import { actorContext } from '../workflow/context.ts';
import { signedIn, page, post, versionIn, deliver, text } from '../applications/support.ts';

/** 10:00 in Vietnam on that day. */
const at = (key: string) => new Date(vnStartOfDay(key).getTime() + 10 * 3_600_000);
/** A procedure's stored target: the end of that day in Vietnam. */
const endOf = (key: string) => vnEndOfDay(vnStartOfDay(key));

describe('planner: the case page, the applicant checklist and the window e-mail', () => {
  let t: TestApp;
  let clock = at('2026-10-05');
  let hr: UserDoc;
  let hrVi: UserDoc;
  let applicantVi: UserDoc;
  let applicantEn: UserDoc;
  let call: CallDoc;

  // Today Mon 5 Oct 2026; planned start Tue 1 Jun 2027; work permit, visa and residence card ahead.
  // Earliest (everything lodged now): work permit 5 Oct + 10 working days = Mon 19 Oct (Oct 6–9,
  // 12–16, 19; no holiday in October 2026), visa + 5 = Oct 20, 21, 22, 23, 26 → Mon 26 Oct 2026.
  // Likely and latest: the planned start, 1 June 2027 (no closed cases in this new institute).
  // Criminal record: the work permit is planned for its target, the window's last day (Sat 22 May
  // 2027, 10 days before 1 June) less 5 working days = Mon 17 May 2027 (stored on the procedure as
  // it was counted), so issued on or after 17 Nov 2026 (≤ 6 months): from 17 Nov 2026; ready 5
  // working days before 17 May = Mon 10 May 2027 (May 14, 13, 12, 11, 10).
  const tracks = [
    { kind: 'work_permit', status: 'preparing', updatedAt: at('2026-10-01'), dueAt: endOf('2027-05-17') },
    { kind: 'visa', status: 'requested', updatedAt: at('2026-10-01') },
    { kind: 'residence_card', status: 'requested', updatedAt: at('2026-10-01') },
  ];

  before(async () => {
    t = await startTestApp({ now: () => clock });
    await seedHolidays();
    const institute = await createInstitute();
    hr = await createUser({ role: 'hr_officer', institute, name: 'Planner Officer', locale: 'en' });
    hrVi = await createUser({ role: 'hr_officer', institute, name: 'Cán bộ Kế hoạch', locale: 'vi' });
    applicantVi = await createUser({ role: 'applicant', locale: 'vi', name: 'Trần Thị Bình' });
    applicantEn = await createUser({ role: 'applicant', locale: 'en', name: 'Anna Schmidt' });
    call = await createCall({ institute, checklist: [] });
  });
  after(async () => {
    await t?.close();
  });

  /** The applicant's certificate rows. */
  const checklistOf = (html: string) => html.slice(html.indexOf('id="certificate-checklist"'), html.indexOf('</ul>', html.indexOf('id="certificate-checklist"')));

  const onboardingCase = (applicant: UserDoc) => createCase({ applicant, call, stage: 'onboarding', stageEnteredAt: at('2026-09-20'), profile: { fullName: applicant.name, plannedArrival: at('2027-06-01') }, supportTracks: tracks });

  it('shows HR the forecast with its explanation and the certificate windows (en and vi)', async () => {
    const c = await onboardingCase(applicantVi);
    const res = await page(await signedIn(t, hr), `/cases/${c._id}`);
    expect(res.status).to.equal(200);
    const html = text(res.text);
    // The forecast is of the first day of work, and says so in both languages.
    expect(html).to.include('Start of work forecast');
    expect(html).to.match(/data-forecast="earliest">26 Oct 2026</);
    expect(html).to.match(/data-forecast="likely"><strong>1 Jun 2027</);
    expect(html).to.include('visa: 5 working days after the work permit, expected 26 Oct 2026');
    expect(html).to.include('work permit: filed from 5 Oct 2026, decision within 10 working days, expected 19 Oct 2026');
    expect(html).to.include('no closed cases yet to measure');
    const row = html.slice(html.indexOf('data-window="criminal_record"'));
    expect(row).to.include('17 Nov 2026 – 10 May 2027');
    expect(row).to.include('work permit lodged on 17 May 2027');
    expect(row).to.include('issued on or after 17 Nov 2026: at most 6 months before the filing (Decree 219/2025/ND-CP Art. 18(4))');
    // The passport must outlast the residence card. The work permit lodged 17 May is decided Mon 31
    // May (10 working days), the visa Mon 7 Jun (Jun 1, 2, 3, 4, 7): entry then, later than the
    // planned 1 Jun; the card lodged 7 Jun is decided Mon 14 Jun (Jun 8, 9, 10, 11, 14), 2 years →
    // 14 Jun 2029, + 30 days.
    expect(html.slice(html.indexOf('data-window="passport"'))).to.include('valid until 14 Jul 2029');
    // Row headers name the document as the Documents list does, capitalised.
    expect(html).to.include('<th scope="row">Criminal record certificate</th>');
    expect(html).to.include('<th scope="row">Passport</th>');
    expect(html).not.to.match(/<th scope="row">[a-z]/);

    const vi = text((await page(await signedIn(t, hrVi), `/cases/${c._id}`)).text);
    expect(vi).to.include('Dự kiến ngày bắt đầu làm việc');
    // Vietnamese dates in one form, as on every other page and e-mail: 1/6/2027, never "1 tháng 6, 2027".
    expect(vi).to.match(/data-forecast="likely"><strong>1\/6\/2027</);
    expect(vi).to.include('thị thực: 5 ngày làm việc sau giấy phép lao động, dự kiến 26/10/2026');
    expect(vi).not.to.match(/\d tháng \d+, \d{4}|thg \d/);
    expect(vi).not.to.match(/planner\.[a-z]/);
    // The law cited in the page's language, never the English citation on a Vietnamese page.
    expect(vi).to.include('Nghị định 219/2025/NĐ-CP, Điều 18 khoản 4');
    expect(vi).not.to.match(/Decree 219|Law 47/);
  });

  it('gives the applicant a dated checklist in their language', async () => {
    const cVi = await onboardingCase(applicantVi);
    const vi = text((await page(await signedIn(t, applicantVi), `/applications/${cVi._id}`)).text);
    expect(vi).to.include('Khi nào cần xin giấy tờ');
    expect(vi).to.include('Xin Phiếu lý lịch tư pháp trong khoảng từ 17/11/2026 đến 10/5/2027');
    expect(vi).not.to.match(/planner\.[a-z]/);

    const cEn = await onboardingCase(applicantEn);
    const en = text((await page(await signedIn(t, applicantEn), `/applications/${cEn._id}`)).text);
    expect(en).to.include('When to get your certificates');
    expect(en).to.include('Get your criminal record certificate between 17 Nov 2026 and 10 May 2027');
    expect(en).to.include('Get your health certificate between 5 Oct 2026 and 10 May 2027');
    // Before an offer there is no checklist yet.
    const early = await createCase({ applicant: applicantEn, call, stage: 'screening' });
    expect((await page(await signedIn(t, applicantEn), `/applications/${early._id}`)).text).not.to.include('id="certificate-checklist"');
  });

  it('stores the forecast on the case when HR changes a procedure', async () => {
    const c = await onboardingCase(applicantEn);
    expect((await Case.findById(c._id).lean())!.forecast?.likely).to.equal(undefined);
    const a = await signedIn(t, hr);
    const form = await page(a, `/cases/${c._id}`);
    // Filing needs its date (the quick form alone opens the procedure's page to type it: test/procedures/http.test.ts).
    const res = await post(a, form.text, `/cases/${c._id}/support/work_permit`, { status: 'filed', filedAt: vnDateKey(clock), version: versionIn(form.text, `/cases/${c._id}/support/work_permit`) });
    expect(res.status).to.equal(303);
    const stored = (await Case.findById(c._id).lean())!.forecast!;
    // Filed today (5 Oct): decision 19 Oct, visa 26 Oct; likely/latest the planned start.
    expect([vnDateKey(stored.earliest!), vnDateKey(stored.likely!), vnDateKey(stored.latest!)]).to.deep.equal(['2026-10-26', '2027-06-01', '2027-06-01']);
    expect(stored.computedAt!.getTime()).to.equal(clock.getTime());
  });

  /** The windows listed in the case's certificate e-mails, in the order queued. */
  const mailedWindows = async (caseId: unknown) =>
    (await Case.findById(caseId).lean())!.outbox.filter((o) => o.template === 'certificate_window').map((o) => ((o.data as { windows: Array<{ key: string; type: string }> }).windows));

  it('e-mails the applicant once when a window opens, in one e-mail listing the windows opened', async () => {
    // Planned start 16 Apr 2027; HR aims to lodge the work permit on the window's first day, Mon 15 Feb
    // 2027 (the target stored) → criminal record from 15 Aug 2026.
    clock = at('2026-08-10');
    const c = await createCase({ applicant: applicantEn, call, stage: 'onboarding', stageEnteredAt: at('2026-08-01'), profile: { fullName: 'Anna Schmidt', plannedArrival: at('2027-04-16') }, supportTracks: [{ kind: 'work_permit', status: 'preparing', dueAt: endOf('2027-02-15') }] });
    const subject = /Time to get your criminal record certificate/;
    // 10 Aug: the criminal record window has not opened; the others the work permit needs have, and
    // go in one e-mail.
    await runCertificateWindowReminders({ app: t.ctx, now: clock, caseIds: [c._id] });
    const before = await mailedWindows(c._id);
    expect(before).to.have.length(1);
    expect(before[0]!.map((w) => w.type)).to.include('health_certificate').and.not.include('criminal_record');
    // Sat 15 Aug, the day it opens: the job runs twice, one e-mail, with only the new window.
    clock = at('2026-08-15');
    await runCertificateWindowReminders({ app: t.ctx, now: clock, caseIds: [c._id] });
    await runCertificateWindowReminders({ app: t.ctx, now: clock, caseIds: [c._id] });
    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(applicantEn.email, subject);
    expect((await mailedWindows(c._id)).map((ws) => ws.map((w) => w.type))[1]).to.deep.equal(['criminal_record']);
    // Window: from 15 Aug 2026, to 5 working days before 15 Feb 2027 across Tết = 1 Feb 2027.
    expect(mail.text).to.match(/- Criminal record certificate: between 15 Aug 2026 and 1 Feb 2027 \(\d+ working days left\)\. Needed for: work permit\./);
    expect(mail.text).to.include('/applications/');
    // This call's checklist has no criminal record: the applicant hands it to HR, not "upload it".
    expect(mail.text).to.include('hand it to the HR office');
    expect(mail.text).not.to.include('Upload it on your application page');
    await runCertificateWindowReminders({ app: t.ctx, now: at('2026-08-17'), caseIds: [c._id] });
    await deliver(t, c._id);
    expect(t.smtp.to(applicantEn.email).filter((m) => subject.test(m.subject))).to.have.length(1);
    // The windows open since 10 Aug were not sent again on the 15th or the 17th: two e-mails in all.
    expect(await mailedWindows(c._id)).to.have.length(2);
    expect(t.smtp.to(applicantEn.email).filter((m) => m.subject.includes(c.reference) && /Time to get your/.test(m.subject))).to.have.length(2);
    clock = at('2026-10-05');
  });

  // Walk s34 #3, in the e-mail as on the page: someone whose passport on file falls short is told so
  // (valid until, must be valid until, a new one by), not to "get your passport between …".
  it("e-mails a passport on file that falls short as such, in the applicant's language", async () => {
    clock = at('2026-10-05');
    for (const [applicant, expected] of [
      [applicantEn, /- Passport: Your passport on file is valid until 5 Jul 2029, but it must be valid until 14 Jul 2029: get a new one by [^(]+\(\d+ working days left\)\./],
      [applicantVi, /- Hộ chiếu: Hộ chiếu của Ông\/Bà trong hồ sơ có giá trị đến 5\/7\/2029, nhưng cần còn giá trị đến 14\/7\/2029/],
    ] as const) {
      const c = await onboardingCase(applicant);
      await CaseDocument.create({ case: c._id, type: 'passport', slot: 0, version: 1, current: true, status: 'accepted', expiresAt: at('2029-07-05'), storage: 'disk', storageKey: 'p'.repeat(32), originalName: 'passport.pdf', mimeType: 'application/pdf', size: 10, sha256: 'c'.repeat(64), uploadedBy: applicant._id });
      await runCertificateWindowReminders({ app: t.ctx, now: clock, caseIds: [c._id] });
      await deliver(t, c._id);
      const mail = await t.smtp.waitForTo(applicant.email, new RegExp(c.reference));
      expect(mail.text).to.match(expected);
      expect(mail.text).not.to.match(/Passport: between|Hộ chiếu: trong khoảng/);
    }
  });

  it('e-mails nothing while the offer is open (HR sees the plan, the applicant reads "if you accept"); once accepted, one e-mail lists every open window, and a rerun sends nothing', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en', name: 'Mia Holm' });
    clock = at('2026-12-05');
    const c = await createCase({ applicant, call, stage: 'offer', stageEnteredAt: at('2026-12-01'), profile: { fullName: 'Mia Holm', plannedArrival: at('2027-06-01') }, supportRequested: { workPermit: true, visa: true, residenceCard: true, housing: false, citizenship: false } });
    expect((await runCertificateWindowReminders({ app: t.ctx, now: clock, caseIds: [c._id] })).sent).to.equal(0);
    expect(await mailedWindows(c._id)).to.deep.equal([]);
    const hrPage = text((await page(await signedIn(t, hr), `/cases/${c._id}`)).text);
    expect(hrPage).to.include('data-window="criminal_record"');
    expect(hrPage).to.include('Not yet e-mailed to the applicant: the windows are sent once the offer is accepted, in one e-mail.');
    const mine = text((await page(await signedIn(t, applicant), `/applications/${c._id}`)).text);
    expect(mine).to.include('These dates apply if you accept the offer.');
    expect(mine).to.include('id="certificate-checklist"');
    // Told not to obtain anything before deciding, the rows read as conditional, never "Now".
    const rows = checklistOf(mine);
    expect(rows).to.match(/<li data-window="criminal_record"><span class="badge ">Once you accept<\/span> Get your criminal record certificate between /);
    expect(rows).not.to.match(/>(Now|Late)</);
    // HR's table keeps each window's own status.
    expect(hrPage.slice(hrPage.indexOf('id="certificate-windows"'))).to.include('>Now<');
    const vi = await createUser({ role: 'applicant', locale: 'vi', name: 'Lê Văn Cường' });
    const cVi = await createCase({ applicant: vi, call, stage: 'offer', stageEnteredAt: at('2026-12-01'), profile: { fullName: 'Lê Văn Cường', plannedArrival: at('2027-06-01') }, supportRequested: { workPermit: true, visa: true, residenceCard: true, housing: false, citizenship: false } });
    const rowsVi = checklistOf(text((await page(await signedIn(t, vi), `/applications/${cVi._id}`)).text));
    expect(rowsVi).to.match(/<li data-window="criminal_record"><span class="badge ">Khi đã chấp nhận<\/span> Xin Phiếu lý lịch tư pháp trong khoảng từ /);
    expect(rowsVi).not.to.match(/>(Bây giờ|Trễ)</);

    const accepted = await transition({ app: t.ctx, ctx: actorContext(t.ctx, applicant), caseId: c._id, action: 'accept_offer', expectedVersion: c.version });
    expect(accepted.stage).to.equal('onboarding');
    const after = text((await page(await signedIn(t, applicant), `/applications/${c._id}`)).text);
    expect(after).not.to.include('if you accept the offer');
    // Accepted: the windows are the applicant's to act on now.
    expect(checklistOf(after)).to.match(/<li data-window="criminal_record"><span class="badge warn">Now<\/span> Get your criminal record certificate between /);
    expect(checklistOf(after)).not.to.include('Once you accept');
    const { windows } = await casePlan({ caseDoc: (await Case.findById(c._id))!, now: clock });
    const open = windows.filter((w) => w.status === 'open').map((w) => w.type);
    expect(open).to.include.members(['criminal_record', 'health_certificate', 'passport']);

    expect((await runCertificateWindowReminders({ app: t.ctx, now: clock, caseIds: [c._id] })).sent).to.equal(1);
    // A second process running the same day, and the next day's run, queue nothing more.
    expect((await runCertificateWindowReminders({ app: t.ctx, now: clock, caseIds: [c._id] })).sent).to.equal(0);
    expect((await runCertificateWindowReminders({ app: t.ctx, now: at('2026-12-07'), caseIds: [c._id] })).sent).to.equal(0);
    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(applicant.email, /Time to get your/);
    expect((await mailedWindows(c._id)).map((ws) => ws.map((w) => w.type))).to.deep.equal([open]);
    for (const type of open) expect(mail.text, type).to.match(new RegExp(`^- ${translator('en')(`documents.types.${type}`).replace(/[()]/g, '\\$&')}: between \\d+ \\w+ \\d{4} and \\d+ \\w+ \\d{4} \\(\\d+ working days? left\\)`, 'm'));
    expect(mail.subject).to.include('criminal record certificate').and.include('health certificate');
    expect(mail.html).to.include('<li><strong>Criminal record certificate</strong>');
    await deliver(t, c._id);
    expect(t.smtp.to(applicant.email).filter((m) => /Time to get your/.test(m.subject))).to.have.length(1);
    clock = at('2026-10-05');
  });

  it('writes the certificate e-mail in the applicant\'s language', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'vi', name: 'Lê Văn Cường' });
    clock = at('2026-12-05');
    const c = await createCase({ applicant, call, stage: 'onboarding', stageEnteredAt: at('2026-12-01'), profile: { fullName: 'Lê Văn Cường', plannedArrival: at('2027-06-01') }, supportTracks: [{ kind: 'work_permit', status: 'preparing' }] });
    await runCertificateWindowReminders({ app: t.ctx, now: clock, caseIds: [c._id] });
    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(applicant.email, /Đến lúc xin/);
    expect(mail.subject).to.include('Phiếu lý lịch tư pháp').and.include(' và ');
    expect(mail.text).to.match(/- Phiếu lý lịch tư pháp: trong khoảng từ 5\/12\/2026 đến \d+\/\d+\/2027 \(còn \d+ ngày làm việc\)\. Cần cho: giấy phép lao động\./);
    expect(mail.text).not.to.match(/Time to|working day|planner\./);
    clock = at('2026-10-05');
  });

  it('says a window that moved replaces the one sent before, and says plainly when a window is nearly closed', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    // Sat 5 Dec 2026, arrival planned Mon 1 Mar 2027; the work permit and visa asked for (the
    // factory's support flags), no track yet: the work permit is planned for the target it will get,
    // 20 working days before the start (the permit's 10, the visa's 5, a margin of 5; Tết 5–11 Feb):
    // Mon 25 Jan; decided Mon 15 Feb (Jan 26–29, Feb 1–4, 12, 15), the visa Mon 22 Feb (Feb 16–19,
    // 22): entry on the planned arrival. The card is lodged on entry, the dependant's passport ready 5
    // working days before, Mon 22 Feb (Feb 26, 25, 24, 23, 22).
    const c = await createCase({ applicant, call, stage: 'onboarding', stageEnteredAt: at('2026-11-20'), profile: { fullName: 'Ana Lima', plannedArrival: at('2027-03-01') }, dependants: [{ fullName: 'Rui Lima', relationship: 'child', nationality: 'PT' }], supportTracks: [{ kind: 'residence_card', status: 'requested' }] });
    clock = at('2026-12-05');
    await runCertificateWindowReminders({ app: t.ctx, now: clock, caseIds: [c._id] });
    await deliver(t, c._id);
    const first = await t.smtp.waitForTo(applicant.email, /Time to get your .*dependants' passports/);
    expect(first.text).to.include("- Dependants' passports: between 5 Dec 2026 and 22 Feb 2027");
    expect(first.text).not.to.include('This replaces');
    // The arrival moves to Thu 1 Apr 2027: the work permit's target is 20 working days before it,
    // Thu 4 Mar (Mar 31 … 5, 4), decided Thu 18 Mar, the visa Thu 25 Mar: entry on the planned
    // arrival, the passport ready by Thu 25 Mar (Mar 31, 30, 29, 26, 25).
    await Case.updateOne({ _id: c._id }, { $set: { 'profile.plannedArrival': at('2027-04-01') } });
    clock = at('2026-12-07');
    await runCertificateWindowReminders({ app: t.ctx, now: clock, caseIds: [c._id] });
    await runCertificateWindowReminders({ app: t.ctx, now: clock, caseIds: [c._id] });
    await deliver(t, c._id);
    const moved = await t.smtp.waitForTo(applicant.email, /New dates: Time to get your .*dependants' passports/);
    expect(moved.text).to.include("- Dependants' passports: between 7 Dec 2026 and 25 Mar 2027");
    expect(moved.text).to.include('This replaces the window we sent on 5 Dec 2026 (5 Dec 2026 to 22 Feb 2027)');
    expect(t.smtp.to(applicant.email).filter((m) => /dependants' passports/.test(m.subject))).to.have.length(2);

    // Planned start Fri 12 Feb 2027: the work permit's target is Mon 14 Dec 2026 (the window's first
    // day, stored), the criminal record is due Mon 7 Dec — one working day after Saturday 5 Dec: said
    // as nearly closed, not as a range.
    const other = await createUser({ role: 'applicant', locale: 'en' });
    const soon = await createCase({ applicant: other, call, stage: 'onboarding', stageEnteredAt: at('2026-11-20'), profile: { fullName: 'Tom Berg', plannedArrival: at('2027-02-12') }, supportTracks: [{ kind: 'work_permit', status: 'preparing', dueAt: endOf('2026-12-14') }] });
    clock = at('2026-12-05');
    await runCertificateWindowReminders({ app: t.ctx, now: clock, caseIds: [soon._id] });
    await deliver(t, soon._id);
    const closing = await t.smtp.waitForTo(other.email, /Nearly closed: Time to get your .*criminal record certificate/);
    expect(closing.text).to.include('- Criminal record certificate: by 7 Dec 2026. This window is nearly closed: 1 working day left.');
    const checklist = text((await page(await signedIn(t, other), `/applications/${soon._id}`)).text);
    expect(checklist).to.include('Get your criminal record certificate by 7 Dec 2026: this window is nearly closed (working days left: 1)');
    clock = at('2026-10-05');
  });

  it("before onboarding, does not say no certificate is needed while the checklist requires two before arrival", async () => {
    const institute = await createInstitute();
    const strict = await createCall({ institute, checklist: [{ type: 'health_certificate', phase: 'onboarding', required: true }, { type: 'criminal_record', phase: 'onboarding', required: true }] });
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    // Only housing asked for (no work permit yet: an exempt expert's certificate is started by HR).
    clock = at('2026-12-05');
    const c = await createCase({ applicant, call: strict, stage: 'offer', stageEnteredAt: at('2026-12-01'), profile: { fullName: 'Lea Vogt', plannedArrival: at('2027-03-01') }, supportRequested: { workPermit: false, visa: false, residenceCard: false, housing: true, citizenship: false } });
    const en = text((await page(await signedIn(t, applicant), `/applications/${c._id}`)).text);
    clock = at('2026-10-05');
    expect(en).to.include('When to get your certificates');
    expect(en).not.to.include('No dated certificate is needed');
    expect(en).to.include('Get your health certificate between 5 Dec 2026 and 22 Feb 2027');
    expect(en).to.include('Get your criminal record certificate between 5 Dec 2026 and 22 Feb 2027');
    expect(en).to.include('(arrival in Vietnam)');
  });

  it('renders a one-window e-mail queued before the digest as a list of one (the mail log renders it again)', async () => {
    const old = { name: 'Anna Schmidt', reference: 'TA-2026-000001', documentType: 'criminal record certificate', from: at('2026-08-15'), to: at('2027-02-01'), procedures: 'work permit', uploadable: false, closing: false, daysLeft: 80, link: `${t.baseUrl}/applications/x` };
    const out = await renderEmail('certificate_window', 'en', old);
    expect(out.subject).to.equal('[TA-2026-000001] Time to get your criminal record certificate');
    expect(out.text).to.include('- Criminal record certificate: between 15 Aug 2026 and 1 Feb 2027 (80 working days left). Needed for: work permit.');
  });

  it('leaves housing (the institute\'s own service, lodged nowhere) out of what the certificates are needed for', async () => {
    clock = at('2026-12-05');
    const c = await createCase({ applicant: applicantEn, call, stage: 'onboarding', stageEnteredAt: at('2026-11-20'), profile: { fullName: 'Anna Schmidt', plannedArrival: at('2027-06-01') }, supportTracks: [{ kind: 'housing', status: 'requested' }, { kind: 'work_permit', status: 'preparing' }] });
    const html = text((await page(await signedIn(t, hr), `/cases/${c._id}`)).text);
    clock = at('2026-10-05');
    const table = html.slice(html.indexOf('id="certificate-windows"'), html.indexOf('</table>', html.indexOf('id="certificate-windows"')));
    const passport = table.slice(table.indexOf('data-window="passport"'));
    expect(passport.slice(0, passport.indexOf('</tr>'))).to.include('work permit lodged on');
    expect(table).not.to.match(/housing/i);
    // Housing alone asks for no certificate.
    const only = await createCase({ applicant: applicantEn, call, stage: 'onboarding', stageEnteredAt: at('2026-11-20'), profile: { fullName: 'Anna Schmidt', plannedArrival: at('2027-06-01') }, supportRequested: { workPermit: false, visa: false, residenceCard: false, housing: true, citizenship: false }, supportTracks: [{ kind: 'housing', status: 'requested' }] });
    const alone = text((await page(await signedIn(t, hr), `/cases/${only._id}`)).text);
    expect(alone).to.include('No dated certificate is needed for the procedures still ahead.');
  });

  it('e-mails once for a filing that waits only for its papers, though its planned day moves with today', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    // Citizenship alone: with a work permit asked too, the permit's dated window serves both (walk 33).
    const c = await createCase({ applicant, call, stage: 'onboarding', stageEnteredAt: at('2026-10-01'), profile: { fullName: 'Ben Ito', plannedArrival: at('2027-06-01') }, supportRequested: { workPermit: false, visa: false, residenceCard: false, housing: false, citizenship: true, family: false }, supportTracks: [{ kind: 'citizenship', status: 'requested' }] });
    for (const day of ['2026-10-05', '2026-10-06', '2026-10-07']) await runCertificateWindowReminders({ app: t.ctx, now: at(day), caseIds: [c._id] });
    const keys = (await mailedWindows(c._id)).flat().map((w) => w.key).filter((k) => k.includes('criminal_record'));
    expect(keys).to.have.length(1);
    expect(keys[0]).to.include('citizenship-when-ready');
  });
});
