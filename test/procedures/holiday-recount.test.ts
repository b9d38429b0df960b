// A holiday added or removed by an administrator moves the open deadlines counted in working days
// across it (server/cases/deadline-recount.ts): a procedure's and a stage's, and the queue's next
// deadline with them; the applicant is e-mailed when a date they were told moves; a date typed by
// hand, a day outside every window and a closed case move nothing; the administrator is told how
// many moved and how many kept their date. December 2031: a year no other test enters holidays in.
import { expect } from 'chai';
import type { TestApp } from '../support/app.ts';
import { createUser } from '../support/factories.ts';
import { createCase } from '../support/case-factories.ts';
import { addHoliday, removeHoliday } from '../support/http.ts';
import { Case } from '../../models/case.ts';
import { Holiday } from '../../models/holiday.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import { DeadlineRecount } from '../../models/deadline-recount.ts';
import { MAX_RECOUNT_ATTEMPTS, resumeRecounts } from '../../server/cases/deadline-recount.ts';
import { loadCalendar, vnDateKey, vnEndOfDay } from '../../server/calendar/index.ts';
import { transition } from '../../server/workflow/index.ts';
import { actorContext } from '../workflow/context.ts';
import { signedIn, page, text, deliver } from '../applications/support.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CaseDoc } from '../../models/case.ts';
import type { CallDoc } from '../../models/call.ts';
import { timeline } from '../../server/cases/present.ts';
import { translator } from '../../server/i18n/index.ts';
import { procedureWorld, vn } from './support.ts';

const endOf = (day: string) => vnEndOfDay(vn(day));

describe('procedures: a holiday moves the deadlines counted across it', () => {
  let t: TestApp;
  let clock = vn('2031-12-01'); // a Monday
  let admin: UserDoc;
  let applicant: UserDoc;
  let accepted: CaseDoc; // offer accepted on 1 Dec: onboarding's 40 working days, the work permit's 10
  let filed: CaseDoc; // a visa filed 4 Dec (stored before counts were kept), a refused work permit, a typed stage date
  let closed: CaseDoc;
  const stored = async (id: unknown) => (await Case.findById(id).lean())!;
  const track = (c: { supportTracks: Array<{ kind: string }> }, kind: string) => c.supportTracks.find((s) => s.kind === kind) as { dueAt?: Date; reasonsDueAt?: Date; dueCount?: { from: Date; workingDays: number } };

  before(async () => {
    // The world seeds the holidays of 2026 and 2027 only: December 2031 stays this file's own.
    let call: CallDoc;
    ({ t, call } = await procedureWorld(() => clock));
    admin = await createUser({ role: 'admin', locale: 'en' });
    applicant = await createUser({ role: 'applicant', locale: 'en' });
    const offer = await createCase({ applicant, call, stage: 'offer', stageDueAt: vn('2031-12-05'), supportRequested: { workPermit: true, visa: true, residenceCard: false, housing: false, citizenship: false, family: false } });
    accepted = await transition({ app: t.ctx, ctx: actorContext(t.ctx, applicant), caseId: offer._id, action: 'accept_offer', expectedVersion: offer.version });
    const tracks = [
      { kind: 'visa', status: 'filed', filedAt: vn('2031-12-04'), dueAt: endOf('2031-12-11'), office: 'Immigration', updatedAt: vn('2031-12-04') },
      { kind: 'work_permit_exemption', status: 'refused', filedAt: vn('2031-12-01'), refusedAt: vn('2031-12-08'), reasonsDueAt: endOf('2031-12-11'), updatedAt: vn('2031-12-08') },
      // Thu 27 Nov 2031 + 10 working days: Thu 11 Dec.
      { kind: 'work_permit', status: 'filed', filedAt: vn('2031-11-27'), dueAt: endOf('2031-12-11'), updatedAt: vn('2031-11-27') },
    ];
    filed = await createCase({ applicant, call, stage: 'onboarding', stageDueAt: endOf('2031-12-19'), supportTracks: tracks });
    closed = await createCase({ applicant, call, stage: 'closed', stageDueAt: endOf('2031-12-12'), supportTracks: [{ ...tracks[0] }] });
  });
  after(async () => {
    await Holiday.deleteMany({ date: { $gte: '2031-01-01', $lte: '2031-12-31' } });
    await DeadlineRecount.deleteMany({ date: { $gte: '2031-01-01', $lte: '2031-12-31' } });
    await t?.close();
  });

  it('keeps the count of a deadline it works out, so it can be counted again', async () => {
    const c = await stored(accepted._id);
    expect(c.stageDueCount?.workingDays).to.equal(40);
    expect(c.stageDueCount?.from.toISOString()).to.equal(vn('2031-12-01').toISOString());
    const wp = track(c, 'work_permit');
    expect(vnDateKey(wp.dueAt!)).to.equal('2031-12-15');
    expect(wp.dueCount?.workingDays).to.equal(10);
  });

  it('moves nothing for a day outside every window', async () => {
    const before = await Promise.all([accepted, filed, closed].map((c) => stored(c._id)));
    const a = await signedIn(t, admin);
    const res = await addHoliday(a, { date: '2031-11-20', nameVi: 'Ngày thử', nameEn: 'Test day before' });
    expect(res.status).to.equal(303);
    // The result page gives the counts; the message above it does not repeat them.
    const shown = text((await page(a, String(res.headers.location))).text);
    expect(shown).to.include('Added to the calendar.').and.include('Deadlines moved: 0.');
    expect(shown).to.include('No applicant was e-mailed').and.not.include('of 0 cases');
    const after = await Promise.all([accepted, filed, closed].map((c) => stored(c._id)));
    for (let i = 0; i < after.length; i += 1) {
      expect(after[i]!.version).to.equal(before[i]!.version);
      expect(after[i]!.nextDueAt?.toISOString()).to.equal(before[i]!.nextDueAt?.toISOString());
    }
  });

  it('moves a procedure, the stage and the queue by one working day for a day inside, tells the admin and the applicant, and leaves closed cases and typed dates', async () => {
    const wasStage = (await stored(accepted._id)).stageDueAt!;
    const a = await signedIn(t, admin);
    const res = await addHoliday(a, { date: '2031-12-09', nameVi: 'Ngày nghỉ thêm', nameEn: 'Extra day off' });
    expect(res.status).to.equal(303);
    const shown = text((await page(a, String(res.headers.location))).text);
    expect(shown).to.match(/Deadlines moved: 4\. Deadlines that kept their date: [1-9]\d*\./);

    const c = await stored(accepted._id);
    expect(vnDateKey(track(c, 'work_permit').dueAt!)).to.equal('2031-12-16');
    expect(vnDateKey(c.stageDueAt!)).to.equal(vnDateKey((await loadCalendar()).addWorkingDays(wasStage, 1)));
    expect(c.nextDueAt?.toISOString()).to.equal(endOf('2031-12-16').toISOString());

    const f = await stored(filed._id);
    expect(vnDateKey(track(f, 'visa').dueAt!)).to.equal('2031-12-12');
    // A refusal's written reasons have no working-day count of their own (they come with the
    // decision): a date stored with an earlier reading keeps its day, and stays the case's next one.
    expect(vnDateKey(track(f, 'work_permit_exemption').reasonsDueAt!)).to.equal('2031-12-11');
    expect(vnDateKey(track(f, 'work_permit').dueAt!)).to.equal('2031-12-12');
    expect(f.nextDueAt?.toISOString()).to.equal(endOf('2031-12-11').toISOString());
    expect(f.stageDueAt?.toISOString(), 'a date typed by hand keeps its date').to.equal(endOf('2031-12-19').toISOString());
    // Two dates the applicant was told (the visa's and the work permit's decisions): one e-mail listing both.
    expect(f.outbox.map((o) => o.template)).to.deep.equal(['procedure_dates_moved']);

    const z = await stored(closed._id);
    expect(z.version).to.equal(closed.version);
    expect(vnDateKey(track(z, 'visa').dueAt!)).to.equal('2031-12-11');

    const audit = await AuditEvent.find({ action: 'case.deadlines_recount', targetId: String(filed._id) }).lean();
    expect(audit).to.have.length(1);
    await deliver(t, filed._id);
    const mail = await t.smtp.waitForTo(applicant.email, /New dates in your procedures: 2 moved with the public holiday calendar/);
    // The old date, the new one and why.
    expect(mail.text).to.include('The public holiday of 9 Dec 2031 (Extra day off) was added to the calendar.');
    expect(mail.text).to.include('- Visa\n  Decision expected by: 12 Dec 2031 (');
    expect(mail.text).to.include('it was 11 Dec 2031.');
    expect(mail.html).to.include('Decision expected by: 12 Dec 2031');
  });

  it('writes each recount that moved something on the case history, structured, read by HR and the applicant in their language', async () => {
    const f = await stored(filed._id);
    const entries = f.history.filter((h) => h.action === 'deadlines_recount');
    expect(entries).to.have.length(1);
    const r = entries[0]!.recount!;
    expect([r.holiday, r.change]).to.deep.equal(['2031-12-09', 'added']);
    // The holiday's name as the administrator typed it, each language kept: each reader reads their own.
    expect(r.name).to.deep.equal({ vi: 'Ngày nghỉ thêm', en: 'Extra day off' });
    expect(r.moved.map((m) => [m.target, m.what, vnDateKey(m.from), vnDateKey(m.to), m.applicantVisible])).to.deep.equal([
      ['visa', 'due', '2031-12-11', '2031-12-12', true],
      ['work_permit', 'due', '2031-12-11', '2031-12-12', true],
    ]);
    const visa = 'Visa: deadline moved from 11 Dec 2031 to 12 Dec 2031: public holiday of 9 Dec 2031 (Extra day off) added';
    const reasons = 'Certificate of exemption from a work permit, written reasons of the refusal: deadline moved from 11 Dec 2031 to 12 Dec 2031: public holiday of 9 Dec 2031 (Extra day off) added';
    const hr = text((await page(await signedIn(t, admin), `/cases/${filed._id}`)).text);
    expect(hr).to.include('Deadlines moved with the public holiday calendar');
    expect(hr).to.include(visa).and.not.include(reasons);
    const mine = text((await page(await signedIn(t, applicant), `/applications/${filed._id}`)).text);
    expect(mine).to.include('Deadlines moved with the public holiday calendar');
    expect(mine).to.include(visa).and.not.include(reasons);
    // The stage's date is HR's: the applicant reads only the dates they are shown.
    const a = await stored(accepted._id);
    const stageMove = a.history.find((h) => h.action === 'deadlines_recount')!.recount!;
    expect(stageMove.moved.map((m) => [m.target, m.applicantVisible])).to.deep.equal([
      ['stage', false],
      ['work_permit', true],
    ]);
    const theirs = text((await page(await signedIn(t, applicant), `/applications/${accepted._id}`)).text);
    expect(theirs).to.include('Work permit: deadline moved from 15 Dec 2031 to 16 Dec 2031: public holiday of 9 Dec 2031 (Extra day off) added');
    expect(theirs).not.to.include('Stage deadline');
    expect(text((await page(await signedIn(t, admin), `/cases/${accepted._id}`)).text)).to.match(/Stage deadline: deadline moved from \d+ [A-Z][a-z]+ 20\d\d to \d+ [A-Z][a-z]+ 20\d\d: public holiday of 9 Dec 2031 \(Extra day off\) added/);
    // In Vietnamese, from the same stored entry.
    const vi = timeline(f.history as never, new Map(), translator('vi'), { applicantId: applicant._id, forApplicant: true, locale: 'vi' }).find((l) => l.label === 'Thời hạn thay đổi theo lịch nghỉ lễ');
    expect(vi?.note).to.include('Thị thực: thời hạn chuyển từ 11/12/2031 sang 12/12/2031: thêm ngày nghỉ lễ 9/12/2031 (Ngày nghỉ thêm)');
  });

  it('moves them back when the day is removed', async () => {
    const a = await signedIn(t, admin);
    const h = await Holiday.findOne({ date: '2031-12-09' }).lean();
    const res = await removeHoliday(a, String(h!._id));
    expect(res.status).to.equal(303);
    expect(text((await page(a, String(res.headers.location))).text)).to.include('Removed from the calendar.').and.include('Deadlines moved: 4.');
    const c = await stored(accepted._id);
    expect(vnDateKey(track(c, 'work_permit').dueAt!)).to.equal('2031-12-15');
    expect(c.nextDueAt?.toISOString()).to.equal(endOf('2031-12-15').toISOString());
    const f = await stored(filed._id);
    expect(vnDateKey(track(f, 'visa').dueAt!)).to.equal('2031-12-11');
    expect(f.nextDueAt?.toISOString()).to.equal(endOf('2031-12-11').toISOString());
    expect(vnDateKey(track(f, 'work_permit_exemption').reasonsDueAt!)).to.equal('2031-12-11');
    // The day is gone from the calendar, not its name: kept with the recount, read on the timeline and in the e-mail.
    const back = f.history.filter((h) => h.action === 'deadlines_recount').at(-1)!.recount!;
    expect([back.change, back.name]).to.deep.equal(['removed', { vi: 'Ngày nghỉ thêm', en: 'Extra day off' }]);
    expect(text((await page(await signedIn(t, applicant), `/applications/${filed._id}`)).text)).to.include('Visa: deadline moved from 12 Dec 2031 to 11 Dec 2031: public holiday of 9 Dec 2031 (Extra day off) removed');
    await deliver(t, filed._id);
    const mail = await t.smtp.waitFor((m) => m.to.includes(applicant.email.toLowerCase()) && m.text.includes('was removed from the calendar'));
    expect(mail.text).to.include('The public holiday of 9 Dec 2031 (Extra day off) was removed from the calendar.');
    expect(mail.text).to.include('Decision expected by: 11 Dec 2031 (').and.include('it was 12 Dec 2031.');
  });

  it('records each calendar change before making it and marks its recount finished with what moved', async () => {
    const done = await DeadlineRecount.find({ date: '2031-12-09' }).sort({ createdAt: 1 }).lean();
    expect(done.map((r) => [r.change, r.moved, r.attempts])).to.deep.equal([
      ['added', 4, 1],
      ['removed', 4, 1],
    ]);
    expect(done.every((r) => r.finishedAt && String(r.requestedBy) === String(admin._id))).to.equal(true);
    // A day refused as taken owes nothing.
    const a = await signedIn(t, admin);
    expect((await addHoliday(a, { date: '2031-11-20', nameVi: 'Lần hai', nameEn: 'Twice' })).status).to.equal(422);
    expect(await DeadlineRecount.countDocuments({ date: '2031-11-20' })).to.equal(1);
  });

  it('finishes, after a restart, a recount the process was killed in the middle of, and says so on the holidays page until then', async () => {
    // What a kill between the calendar write and the recount leaves: the day is in the calendar, the
    // change is owed, and no case has moved yet.
    const before = await stored(filed._id);
    await Holiday.create({ date: '2031-12-10', kind: 'day_off', name: { vi: 'Ngày nghỉ', en: 'Cut short' } });
    const owed = await DeadlineRecount.create({ date: '2031-12-10', change: 'added', name: { vi: 'Ngày nghỉ', en: 'Cut short' }, requestedBy: admin._id, createdAt: new Date(clock.getTime() - 3 * 60_000), attempts: 1 });

    const a = await signedIn(t, admin);
    const during = text((await page(a, '/admin/holidays?year=2031')).text);
    expect(during).to.include('The open deadlines across 10 Dec 2031');
    expect(during).to.include('are still being counted again. This finishes by itself within a few minutes');

    // A recount started less than two minutes ago is left to the request that may still be running it.
    const young = await DeadlineRecount.create({ date: '2031-12-10', change: 'added', createdAt: clock, attempts: 1 });
    const r = await resumeRecounts(t.ctx, { now: clock });
    expect(r).to.deep.equal({ resumed: 1, moved: 4, failed: 0 });
    expect((await DeadlineRecount.findById(young._id).lean())!.finishedAt).to.equal(undefined);
    await DeadlineRecount.deleteOne({ _id: young._id });

    const f = await stored(filed._id);
    expect(vnDateKey(track(f, 'visa').dueAt!)).to.equal('2031-12-12');
    expect(f.version).to.equal(before.version + 1);
    // The name owed with the change reaches the timeline the resumed recount writes.
    expect(f.history.at(-1)!.recount!.name).to.deep.equal({ vi: 'Ngày nghỉ', en: 'Cut short' });
    const finished = (await DeadlineRecount.findById(owed._id).lean())!;
    expect(finished.finishedAt?.toISOString()).to.equal(clock.toISOString());
    expect([finished.moved, finished.attempts]).to.deep.equal([4, 2]);
    const resumed = await AuditEvent.findOne({ action: 'calendar.recount_resumed', targetId: String(owed._id) }).lean();
    expect(resumed?.summary).to.include({ date: '2031-12-10', change: 'added', moved: 4 });
    expect(text((await page(a, '/admin/holidays?year=2031')).text)).to.not.include('still being counted');

    // Run again: nothing is owed, nothing moves twice.
    expect(await resumeRecounts(t.ctx, { now: clock })).to.deep.equal({ resumed: 0, moved: 0, failed: 0 });
    expect((await stored(filed._id)).version).to.equal(before.version + 1);
  });

  it('stops retrying a recount that failed too often and tells the administrator, in Vietnamese too', async () => {
    const stuck = await DeadlineRecount.create({ date: '2031-12-11', change: 'removed', createdAt: new Date(clock.getTime() - 60 * 60_000), attempts: MAX_RECOUNT_ATTEMPTS });
    expect(await resumeRecounts(t.ctx, { now: clock })).to.deep.equal({ resumed: 0, moved: 0, failed: 0 });
    const en = text((await page(await signedIn(t, admin), '/admin/holidays?year=2031')).text);
    expect(en).to.include('The open deadlines across 11 Dec 2031 (removed on');
    expect(en).to.include('could not be counted again after several tries');
    const viAdmin = await createUser({ role: 'admin', locale: 'vi' });
    const vi = text((await page(await signedIn(t, viAdmin), '/admin/holidays?year=2031')).text);
    expect(vi).to.include('Các hạn đang mở tính qua ngày 11/12/2031 (xoá lúc');
    expect(vi).to.include('chưa tính lại được sau nhiều lần thử');
    await DeadlineRecount.deleteOne({ _id: stuck._id });
  });
});
