// Working-day arithmetic of the procedures on Vietnam's holiday calendar, with the answers worked
// out by hand on a paper calendar, across Tết 2027 and the 30/4–1/5 holidays of 2026 and 2027;
// a year the calendar has no holidays for is counted on weekends only, with one warning per year,
// and its deadlines are marked as estimated.
import { expect } from 'chai';
import { WorkingCalendar, setCalendarLogger, vnDateKey, vnEndOfDay, warnedCalendarYears } from '../../server/calendar/index.ts';
import { VN_HOLIDAYS } from '../../server/calendar/holidays-vn.ts';
import { nextTrack } from '../../server/procedures/service.ts';
import { deadlineView } from '../../server/procedures/present.ts';
import { PROCEDURE_KINDS, PROCEDURE_RULES, workCardLatestEnd } from '../../server/procedures/rules.ts';
import { SUPPORT_KINDS } from '../../models/constants.ts';
import { translator } from '../../server/i18n/index.ts';
import { passportRequiredUntil, validityOf } from '../../server/documents/validity.ts';

const calendar = WorkingCalendar.of(VN_HOLIDAYS);
/** 10:00 in Vietnam on that day. */
const vn = (day: string) => new Date(`${day}T03:00:00.000Z`);

describe('procedures: working days on the holiday calendar', () => {
  it('has one rule per procedure kind, the same kinds the case model stores', () => {
    expect([...PROCEDURE_KINDS].sort()).to.deep.equal([...SUPPORT_KINDS].sort());
    expect(PROCEDURE_RULES.work_permit.decisionWorkingDays).to.equal(10);
    // A refusal comes in writing with its reasons, within the decision time (Decree 219/2025).
    expect(PROCEDURE_RULES.work_permit.refusalWithReasons).to.equal(true);
    expect(PROCEDURE_RULES.work_permit_exemption.decisionWorkingDays).to.equal(5);
    expect(PROCEDURE_RULES.work_permit_exemption.refusalWithReasons).to.equal(true);
    expect(PROCEDURE_RULES.visa.refusalWithReasons).to.equal(undefined);
    expect(PROCEDURE_RULES.residence_card.decisionWorkingDays).to.equal(5);
    expect(PROCEDURE_RULES.visa.decisionWorkingDays).to.equal(5);
    expect(PROCEDURE_RULES.housing.decisionWorkingDays).to.equal(undefined);
    expect(PROCEDURE_RULES.citizenship.decisionWorkingDays).to.equal(undefined);
  });

  it('counts a work permit filed the day before Tết 2027 to Thursday 25 February', () => {
    // Filed Thu 4 Feb 2027. Fri 5 (eve of Tết), Sat 6, Sun 7, Mon 8 – Thu 11 (Tết and the two days
    // compensating the weekend) are off. Working days: Fri 12 (1), Mon 15 – Fri 19 (2–6),
    // Mon 22 – Thu 25 (7–10): the decision is due on Thu 25 Feb.
    const { track } = nextTrack(undefined, 'work_permit', { status: 'filed', filedAt: vnEndOfDay(vn('2027-02-04')) }, vn('2027-02-04'), calendar);
    expect(vnDateKey(track.dueAt!)).to.equal('2027-02-25');
    expect(calendar.workingDaysBetween(vn('2027-02-04'), vn('2027-02-25'))).to.equal(10);
    // Seen on Mon 8 Feb (Tết): still 10 working days left; on Fri 26 Feb: 1 working day overdue.
    const t = translator('en');
    expect(deadlineView(t, 'en', calendar, vn('2027-02-08'), track.dueAt!).text).to.equal('10 working days left');
    expect(deadlineView(t, 'en', calendar, vn('2027-02-26'), track.dueAt!).text).to.equal('1 working day overdue');
    expect(deadlineView(translator('vi'), 'vi', calendar, vn('2027-03-01'), track.dueAt!).text).to.equal('quá hạn 2 ngày làm việc');
    expect(deadlineView(t, 'en', calendar, vn('2027-02-25'), track.dueAt!).text).to.equal('due today');
  });

  it('starts no clock for reasons after a refusal; reasons the authority did not give are owed by the decision deadline that ran', () => {
    // Filed Wed 20 Jan 2027: 10 working days to Wed 3 Feb. Refused that day with its reasons: nothing owed, no date.
    const filed = nextTrack(undefined, 'work_permit', { status: 'filed', filedAt: vnEndOfDay(vn('2027-01-20')) }, vn('2027-01-20'), calendar).track;
    expect(vnDateKey(filed.dueAt!)).to.equal('2027-02-03');
    const withReasons = nextTrack(filed, 'work_permit', { status: 'refused', decidedAt: vnEndOfDay(vn('2027-02-03')) }, vn('2027-02-04'), calendar).track;
    expect(withReasons.reasonsDueAt).to.equal(undefined);
    expect(withReasons.reasonsMissing).to.equal(undefined);
    expect(withReasons.dueAt).to.equal(undefined);
    // Refused without them: owed, by the decision deadline (not 3 working days after it, across Tết).
    const missing = nextTrack(filed, 'work_permit', { status: 'refused', decidedAt: vnEndOfDay(vn('2027-02-03')), reasonsMissing: true }, vn('2027-02-04'), calendar).track;
    expect(missing.reasonsMissing).to.equal(true);
    expect(vnDateKey(missing.reasonsDueAt!)).to.equal('2027-02-03');
    // The institute's own service has no written refusal to chase: the box is ignored.
    const housing = nextTrack({ kind: 'housing', status: 'preparing' }, 'housing', { status: 'refused', reasonsMissing: true, message: 'x' }, vn('2027-02-04'), calendar).track;
    expect(housing.reasonsMissing).to.equal(undefined);
  });

  it("counts the Saturday worked in exchange for a weekday off, as the public sector's National Day 2026", () => {
    // Sat 22 Aug 2026 is worked for Mon 31 Aug; Tue 1 and Wed 2 Sep are National Day.
    expect(calendar.isWorkingDay(vn('2026-08-22'))).to.equal(true);
    expect(calendar.isWorkingDay(vn('2026-08-23'))).to.equal(false);
    expect(calendar.isWorkingDay(vn('2026-08-31'))).to.equal(false);
    // A visa filed Fri 21 Aug: Sat 22 (1), Mon 24 – Thu 27 (2–5): Thu 27 Aug.
    const visa = nextTrack(undefined, 'visa', { status: 'filed', filedAt: vnEndOfDay(vn('2026-08-21')) }, vn('2026-08-21'), calendar).track;
    expect(vnDateKey(visa.dueAt!)).to.equal('2026-08-27');
    // Filed Thu 27 Aug: Fri 28 (1), Sat 29 – Wed 2 Sep off, Thu 3 – Fri 4 (2–3), Mon 7 – Tue 8 (4–5).
    const card = nextTrack(undefined, 'residence_card', { status: 'filed', filedAt: vnEndOfDay(vn('2026-08-27')) }, vn('2026-08-27'), calendar).track;
    expect(vnDateKey(card.dueAt!)).to.equal('2026-09-08');
    // Without the swap (a calendar of days off only) the Saturday is a weekend day like any other.
    expect(new WorkingCalendar(calendar.holidays).isWorkingDay(vn('2026-08-22'))).to.equal(false);
  });

  it('counts a visa across 30/4–1/5 2026 and a residence card across 30/4–1/5 2027', () => {
    // Visa filed Tue 28 Apr 2026: Wed 29 (1), Thu 30 and Fri 1 off, Mon 4 – Thu 7 (2–5): Thu 7 May.
    const visa = nextTrack(undefined, 'visa', { status: 'filed', filedAt: vnEndOfDay(vn('2026-04-28')) }, vn('2026-04-28'), calendar).track;
    expect(vnDateKey(visa.dueAt!)).to.equal('2026-05-07');
    // Residence card filed Thu 29 Apr 2027: Fri 30 off, Sat 1 May (compensated Mon 3) off,
    // Tue 4 – Fri 7 (1–4), Mon 10 (5): Mon 10 May.
    const card = nextTrack(undefined, 'residence_card', { status: 'filed', filedAt: vnEndOfDay(vn('2027-04-29')) }, vn('2027-04-29'), calendar).track;
    expect(vnDateKey(card.dueAt!)).to.equal('2027-05-10');
    expect(calendar.workingDaysBetween(vn('2027-04-29'), vn('2027-05-10'))).to.equal(5);
  });

  it('counts weekends only in a year without holidays, warns once for that year, and marks the deadline as estimated', () => {
    const warnings: Array<{ year: string }> = [];
    setCalendarLogger({ warn: (obj) => warnings.push(obj as { year: string }) });
    // 2093 has no holidays in the calendar (a year no other test uses). Thu 1 Jan 2093 + 5:
    // Fri 2 (1), Mon 5 – Thu 8 (2–5): New Year's Day is not known, so only weekends are skipped.
    const from = vn('2093-01-01');
    const due = vnEndOfDay(calendar.addWorkingDays(from, 5));
    expect(vnDateKey(due)).to.equal('2093-01-08');
    calendar.addWorkingDays(from, 20);
    expect(warnings.filter((w) => w.year === '2093')).to.have.length(1);
    expect(warnedCalendarYears().has('2093')).to.equal(true);
    const view = deadlineView(translator('en'), 'en', calendar, from, due);
    expect(view.estimated).to.equal('estimated (holiday calendar not yet published for 2093)');
    expect(deadlineView(translator('vi'), 'vi', calendar, from, due).estimated).to.equal('ước tính (chưa có lịch nghỉ lễ năm 2093)');
    // A deadline within known years is not an estimate.
    expect(deadlineView(translator('en'), 'en', calendar, vn('2027-02-04'), vn('2027-02-25')).estimated).to.equal(undefined);
    expect(calendar.coversNextMonths(vn('2027-03-01'))).to.equal(false); // reaches into 2028
    expect(calendar.coversNextMonths(vn('2026-06-01'))).to.equal(true);
  });

  it('counts the working days between two dates as a walk over every day would, in both directions and across years with and without holidays', () => {
    // The reference: each day in between asked one by one (what workingDaysBetween did before it counted).
    const walk = (cal: WorkingCalendar, a: Date, b: Date) => {
      const [lo, hi] = a <= b ? [a, b] : [b, a];
      let n = 0;
      for (let d = new Date(lo.getTime() + 86_400_000); vnDateKey(d) <= vnDateKey(hi); d = new Date(d.getTime() + 86_400_000)) if (cal.isWorkingDay(d)) n += 1;
      return a <= b ? n : -n;
    };
    // A calendar with a worked Saturday, a holiday on a Sunday (changes nothing) and a year it does not know (2029).
    const odd = WorkingCalendar.of([...VN_HOLIDAYS, { date: '2028-01-02' }, { date: '2028-03-04', kind: 'working_day' }]);
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % n);
    const start = vn('2025-12-20').getTime();
    for (let i = 0; i < 400; i++) {
      const a = new Date(start + rand(1500) * 86_400_000 + rand(86_400_000));
      const b = new Date(start + rand(1500) * 86_400_000 + rand(86_400_000));
      for (const cal of [calendar, odd]) expect(cal.workingDaysBetween(a, b), `${a.toISOString()} → ${b.toISOString()}`).to.equal(walk(cal, a, b));
    }
    expect(odd.workingDaysBetween(vn('2028-03-03'), vn('2028-03-06'))).to.equal(2); // Sat 4 worked, Mon 6
    expect(calendar.workingDaysBetween(vn('2027-02-25'), vn('2027-02-25'))).to.equal(0);
  });

  it('refuses a card that ends before it starts, and the passport rule uses the card end date', () => {
    const now = vn('2026-12-01');
    const bad = nextTrack(undefined, 'residence_card', { status: 'preparing', cardStartsAt: vn('2027-03-01'), cardEndsAt: vn('2027-02-01') }, now, calendar);
    expect(bad.errors).to.deep.equal({ cardEndsAt: 'procedures.errors.endBeforeStart' });
    const ok = nextTrack(undefined, 'residence_card', { status: 'preparing', cardStartsAt: vn('2027-03-01'), cardEndsAt: vn('2029-02-28') }, now, calendar);
    expect(ok.errors).to.equal(undefined);
    // A work card runs at most 2 years (Law 47/2014/QH13 Art. 38): to the same day 2 years on, 29 Feb to 28 Feb.
    expect(vnDateKey(workCardLatestEnd(vn('2028-02-29')))).to.equal('2030-02-28');
    expect(vnDateKey(workCardLatestEnd(vn('2027-03-31')))).to.equal('2029-03-31');
    const long = nextTrack(undefined, 'residence_card', { status: 'preparing', cardStartsAt: vn('2027-03-01'), cardEndsAt: vn('2029-03-02') }, now, calendar);
    expect(long.errors?.cardEndsAt).to.deep.include({ key: 'procedures.errors.cardTooLong' });
    const c = { profile: { plannedArrival: vn('2027-03-01') }, supportTracks: [ok.track] };
    // Law 47/2014/QH13 Art. 38(1): the passport must outlast the card by 30 days.
    expect(vnDateKey(passportRequiredUntil(c, now))).to.equal('2029-03-30');
    // Valid to 1 Mar 2029 beats arrival + 2 years (1 Mar 2029 + 30 days would be the fallback's
    // answer), but not the card's end + 30 days.
    expect(validityOf({ type: 'passport', expiresAt: vn('2029-03-15') }, c, now)).to.equal('too_short');
    expect(validityOf({ type: 'passport', expiresAt: vn('2029-04-15') }, c, now)).to.equal('ok');
  });
});
