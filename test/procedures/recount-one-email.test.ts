// A holiday that moves, in one case, both a procedure's date the applicant was told (a filed visa's
// decision) and the due date of a request to them ("more is asked") owes them ONE e-mail for that
// recount (server/cases/deadline-recount.ts owedEmail), in their language, listing every date moved
// with the holiday's name, the old and new day and the working days left; the timeline keeps one line
// per date; a recount run again (the job resuming one cut short) owes no second e-mail.
// March 2034: a year no other test enters holidays in.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { addHoliday } from '../support/http.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { Holiday } from '../../models/holiday.ts';
import { DeadlineRecount } from '../../models/deadline-recount.ts';
import { countedDeadline, forgetCalendar, loadCalendar, vnDateKey } from '../../server/calendar/index.ts';
import { recountDeadlines, resumeRecounts } from '../../server/cases/deadline-recount.ts';
import { systemContext } from '../../server/context.ts';
import type { UserDoc } from '../../models/user.ts';
import { signedIn, page, deliver, text } from '../applications/support.ts';

/** 10:00 in Vietnam on that day. */
const vn = (day: string) => new Date(`${day}T03:00:00.000Z`);

describe('procedures: one e-mail per case for a holiday recount that moves a procedure date and a request', function () {
  this.timeout(60_000);
  let t: TestApp;
  const clock = vn('2034-03-01'); // a Wednesday
  let admin: UserDoc;
  let applicant: UserDoc;
  let applicantVi: UserDoc;
  let en: CaseDoc;
  let vi: CaseDoc;
  const stored = async (id: unknown) => (await Case.findById(id).lean())!;

  before(async () => {
    t = await startTestApp({ now: () => clock });
    const institute = await createInstitute();
    admin = await createUser({ role: 'admin', locale: 'en' });
    applicant = await createUser({ role: 'applicant', locale: 'en', name: 'Anna Berg' });
    applicantVi = await createUser({ role: 'applicant', locale: 'vi', name: 'Nguyễn Văn An' });
    const call = await createCall({ institute, checklist: [] });
    forgetCalendar();
    const calendar = await loadCalendar();
    // A visa filed today (the authority's 5 working days, counted) and a request within the work permit (7 working days).
    const visaCount = { from: clock, workingDays: 5 };
    const askCount = { from: clock, workingDays: 7 };
    const tracks = (askText: string) => [
      { kind: 'visa', status: 'filed', filedAt: clock, dueAt: countedDeadline(calendar, visaCount), dueCount: visaCount, office: 'Immigration', updatedAt: clock },
      { kind: 'work_permit', status: 'preparing', updatedAt: clock, asks: [{ text: askText, askedAt: clock, dueAt: countedDeadline(calendar, askCount), dueCount: askCount }] },
    ];
    en = await createCase({ applicant, call, stage: 'onboarding', supportTracks: tracks('Your signed contract.') });
    vi = await createCase({ applicant: applicantVi, call, stage: 'onboarding', supportTracks: tracks('Hợp đồng đã ký.') });
    const c = await stored(en._id);
    expect(vnDateKey(c.supportTracks.find((s) => s.kind === 'visa')!.dueAt!)).to.equal('2034-03-08');
    expect(vnDateKey(c.supportTracks.find((s) => s.kind === 'work_permit')!.asks![0]!.dueAt)).to.equal('2034-03-10');
  });
  after(async () => {
    await Holiday.deleteMany({ date: { $gte: '2034-01-01', $lte: '2034-12-31' } });
    await DeadlineRecount.deleteMany({ date: { $gte: '2034-01-01', $lte: '2034-12-31' } });
    await t?.close();
  });

  it('queues one e-mail listing both dates, in the applicant language, with one timeline line per date', async () => {
    const a = await signedIn(t, admin);
    const res = await addHoliday(a, { date: '2034-03-06', nameVi: 'Ngày nghỉ gộp', nameEn: 'Merged test day' });
    expect(res.status).to.equal(303);

    const c = await stored(en._id);
    expect(c.outbox.map((o) => o.template)).to.deep.equal(['procedure_dates_moved']);
    expect((await stored(vi._id)).outbox.map((o) => o.template)).to.deep.equal(['procedure_dates_moved']);
    const entries = c.history.filter((h) => h.action === 'deadlines_recount');
    expect(entries).to.have.length(1);
    expect(entries[0]!.recount!.moved.map((m) => [m.target, m.what, vnDateKey(m.from), vnDateKey(m.to)])).to.deep.equal([
      ['visa', 'due', '2034-03-08', '2034-03-09'],
      ['work_permit', 'ask', '2034-03-10', '2034-03-13'],
    ]);
    const mine = text((await page(await signedIn(t, applicant), `/applications/${en._id}`)).text);
    expect(mine).to.include('Visa: deadline moved from 8 Mar 2034 to 9 Mar 2034: public holiday of 6 Mar 2034 (Merged test day) added');
    expect(mine).to.include('Work permit, the date for what was asked of the applicant: deadline moved from 10 Mar 2034 to 13 Mar 2034: public holiday of 6 Mar 2034 (Merged test day) added');

    await deliver(t, en._id);
    await deliver(t, vi._id);
    const mail = await t.smtp.waitForTo(applicant.email, /New dates in your procedures/);
    expect(mail.subject).to.equal(`[${en.reference}] New dates in your procedures: 2 moved with the public holiday calendar, the first now 9 Mar 2034`);
    expect(mail.text).to.include('The public holiday of 6 Mar 2034 (Merged test day) was added to the calendar.');
    expect(mail.text).to.include('- Visa\n  Decision expected by: 9 Mar 2034 (5 working days left); it was 8 Mar 2034.');
    expect(mail.text).to.include('- Work permit: Your signed contract.\n  Due by: 13 Mar 2034 (7 working days left); it was 10 Mar 2034.');
    expect(mail.html).to.include('Decision expected by: 9 Mar 2034 (5 working days left)').and.include('Your signed contract.');
    const viMail = await t.smtp.waitForTo(applicantVi.email, /Thời hạn mới trong thủ tục của Ông\/Bà/);
    expect(viMail.subject).to.equal(`[${vi.reference}] Thời hạn mới trong thủ tục của Ông/Bà: 2 thời hạn thay đổi theo lịch nghỉ lễ, sớm nhất là 9/3/2034`);
    expect(viMail.text).to.include('Ngày nghỉ lễ 6/3/2034 (Ngày nghỉ gộp) đã được thêm vào lịch.');
    expect(viMail.text).to.include('- Thị thực\n  Dự kiến có quyết định trước: 9/3/2034 (còn 5 ngày làm việc); trước đây là 8/3/2034.');
    expect(viMail.text).to.include('Hợp đồng đã ký.').and.include('Hạn: 13/3/2034 (còn 7 ngày làm việc); trước đây là 10/3/2034.');
    expect(t.smtp.to(applicant.email)).to.have.length(1);
    expect(t.smtp.to(applicantVi.email)).to.have.length(1);
  });

  it('owes nothing more when the same recount runs again, as the job does after a stop', async () => {
    const before = await stored(en._id);
    await recountDeadlines({ app: t.ctx, ctx: systemContext({ now: clock }), date: '2034-03-06', change: 'added', name: { vi: 'Ngày nghỉ gộp', en: 'Merged test day' } });
    const again = await stored(en._id);
    expect(again.version).to.equal(before.version);
    expect(again.outbox).to.have.length(1);
    await deliver(t, en._id);
    expect(t.smtp.to(applicant.email)).to.have.length(1);
  });

  it('finishes a recount cut short before any case with one e-mail per case, and a second resume sends none', async () => {
    // What a kill between the calendar write and the recount leaves: the day written, the recount owed.
    await Holiday.create({ date: '2034-03-07', kind: 'day_off', name: { vi: 'Ngày cắt ngang', en: 'Cut short' } });
    await DeadlineRecount.create({ date: '2034-03-07', change: 'added', name: { vi: 'Ngày cắt ngang', en: 'Cut short' }, requestedBy: admin._id, createdAt: new Date(clock.getTime() - 3 * 60_000), attempts: 1 });
    const r = await resumeRecounts(t.ctx, { now: clock });
    expect(r.resumed).to.equal(1);
    const c = await stored(en._id);
    expect(c.outbox.map((o) => o.template)).to.deep.equal(['procedure_dates_moved', 'procedure_dates_moved']);
    expect(new Set(c.outbox.map((o) => o.key)).size, 'a key per recount').to.equal(2);
    expect(await resumeRecounts(t.ctx, { now: clock })).to.deep.equal({ resumed: 0, moved: 0, failed: 0 });
    await deliver(t, en._id);
    await deliver(t, en._id);
    const mails = t.smtp.to(applicant.email);
    expect(mails).to.have.length(2);
    expect(mails[1]!.text).to.include('The public holiday of 7 Mar 2034 (Cut short) was added to the calendar.');
    expect(mails[1]!.text).to.include('Decision expected by: 10 Mar 2034').and.include('it was 9 Mar 2034.');
  });
});
