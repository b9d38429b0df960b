// Working-day arithmetic on the holiday calendar (models/holiday.ts). Days are calendar days in
// Asia/Ho_Chi_Minh (UTC+7 all year, no daylight saving); Saturdays, Sundays and holidays are off
// (public holidays: Labour Code 2019 Art. 112(1), and from 2026 Vietnam Culture Day on 24 November,
// National Assembly Resolution 28/2026/QH16 Art. 2, see holidays-vn.ts; the Prime Minister fixes
// the Tết and National Day dates each year, Art. 112(3), which is why a year is only known once it
// has been entered),
// except a weekend day entered as a make-up working day (a weekday off swapped for it).
//
// A year with no holiday entered is not counted silently: the calendar warns once per year (log)
// and counts weekends only; the deadlines it computed are marked as estimated (`unknownYearsIn`).
import { Holiday, onHolidayWrite } from '../../models/holiday.ts';
import { VN_HOLIDAYS } from './holidays-vn.ts';
import { KeptReads } from '../support/kept-reads.ts';
import { DAY_MS, VN_OFFSET_MS, vnDayNumber } from '../views/time.ts';

/** The least a logger needs here (pino's). */
interface WarnLogger {
  warn(obj: object, msg: string): void;
}

let calendarLogger: WarnLogger | undefined;
const warnedYears = new Set<string>();

/** Where the calendar logs its warnings (set at start-up by the features that count deadlines). */
export function setCalendarLogger(logger: WarnLogger): void {
  calendarLogger = logger;
}

/** Years already warned about in this process (tests read it). */
export function warnedCalendarYears(): ReadonlySet<string> {
  return warnedYears;
}

function warnUnknownYear(year: string): void {
  if (warnedYears.has(year)) return;
  warnedYears.add(year);
  const msg = `holiday calendar has no entries for ${year}: counting weekends only (deadlines estimated)`;
  if (calendarLogger) calendarLogger.warn({ year }, msg);
  else process.emitWarning(msg, { code: 'TALENT_CALENDAR_YEAR' });
}

/**
 * Each day's 'YYYY-MM-DD', remembered: working-day arithmetic asks for the same few hundred days on
 * every page (a Date and toISOString each time were 8 % of the case page's web thread).
 */
const dayKeys = new Map<number, string>();

function dayKey(day: number): string {
  let key = dayKeys.get(day);
  if (key === undefined) {
    key = new Date(day * DAY_MS).toISOString().slice(0, 10);
    if (dayKeys.size >= 20_000) dayKeys.clear();
    dayKeys.set(day, key);
  }
  return key;
}

/** 'YYYY-MM-DD' of the instant in Vietnam. */
export function vnDateKey(d: Date): string {
  return dayKey(vnDayNumber(d));
}

/** The instant of 00:00 in Vietnam on the given 'YYYY-MM-DD'. */
export function vnStartOfDay(key: string): Date {
  return new Date(Date.parse(`${key}T00:00:00.000Z`) - VN_OFFSET_MS);
}

/** The instant of 00:00 in Vietnam on the day that contains `d`. */
export function vnStartOfDayOf(d: Date): Date {
  return new Date(vnDayNumber(d) * DAY_MS - VN_OFFSET_MS);
}

/** The last millisecond of the day in Vietnam that contains `d` (deadlines run to end of day). */
export function vnEndOfDay(d: Date): Date {
  return new Date(vnStartOfDayOf(d).getTime() + DAY_MS - 1);
}

/** 0 = Sunday … 6 = Saturday of a day number (1970-01-01 was a Thursday). */
function weekdayOf(day: number): number {
  return (((day + 4) % 7) + 7) % 7;
}

/** How many of the sorted `days` are in (lo, hi]. */
function countIn(days: readonly number[], lo: number, hi: number): number {
  return upperBound(days, hi) - upperBound(days, lo);
}

/** The index of the first of the sorted `days` above `day`. */
function upperBound(days: readonly number[], day: number): number {
  let l = 0;
  let r = days.length;
  while (l < r) {
    const m = (l + r) >>> 1;
    if (days[m]! <= day) l = m + 1;
    else r = m;
  }
  return l;
}

/** A synchronous view of the calendar, for loops over many cases (reminders, queues). */
export class WorkingCalendar {
  /** Years that have at least one holiday entered (a year without any is not published yet). */
  readonly knownYears: ReadonlySet<string>;

  constructor(
    readonly holidays: ReadonlySet<string>,
    knownYears?: Iterable<string>,
    /** Saturdays and Sundays worked in exchange for a weekday off. */
    readonly workedWeekendDays: ReadonlySet<string> = new Set(),
  ) {
    this.knownYears = new Set(knownYears ?? [...holidays, ...workedWeekendDays].map((d) => d.slice(0, 4)));
    const dayOf = (key: string) => Math.floor(Date.parse(`${key}T00:00:00.000Z`) / DAY_MS);
    const weekend = (day: number) => weekdayOf(day) === 0 || weekdayOf(day) === 6;
    this.weekdaysOff = [...holidays].filter((k) => this.knownYears.has(k.slice(0, 4))).map(dayOf).filter((d) => !Number.isNaN(d) && !weekend(d)).sort((x, y) => x - y);
    this.weekendsWorked = [...workedWeekendDays].map(dayOf).filter((d) => !Number.isNaN(d) && weekend(d)).sort((x, y) => x - y);
  }

  /** The days off that fall on a weekday (in a year the calendar knows), as sorted day numbers. */
  private readonly weekdaysOff: number[];
  /** The Saturdays and Sundays worked, as sorted day numbers. */
  private readonly weekendsWorked: number[];

  /** The calendar of holiday rows as stored or seeded (a row without a kind is a day off). */
  static of(rows: Iterable<{ date: string; kind?: string | null }>): WorkingCalendar {
    const off = new Set<string>();
    const worked = new Set<string>();
    for (const r of rows) (r.kind === 'working_day' ? worked : off).add(r.date);
    return new WorkingCalendar(off, undefined, worked);
  }

  isWorkingDay(date: Date): boolean {
    return this.isWorkingDayNumber(vnDayNumber(date));
  }

  private isWorkingDayNumber(day: number): boolean {
    const wd = weekdayOf(day);
    if (wd === 0 || wd === 6) return this.workedWeekendDays.size > 0 && this.workedWeekendDays.has(dayKey(day));
    const key = dayKey(day);
    if (!this.knownYears.has(key.slice(0, 4))) {
      warnUnknownYear(key.slice(0, 4));
      return true;
    }
    return !this.holidays.has(key);
  }

  /** The years from a to b (either order, Vietnamese dates) that the calendar has no holidays for. */
  unknownYearsIn(a: Date, b: Date): string[] {
    const [ya, yb] = [Number(vnDateKey(a).slice(0, 4)), Number(vnDateKey(b).slice(0, 4))].sort((x, y) => x - y) as [number, number];
    const out: string[] = [];
    for (let y = ya; y <= yb; y += 1) if (!this.knownYears.has(String(y))) out.push(String(y));
    return out;
  }

  /** Whether the calendar has any holiday in the 12 months after `now` (the admin page warns otherwise). */
  coversNextMonths(now: Date, months = 12): boolean {
    const from = vnDateKey(now);
    const end = new Date(now.getTime());
    end.setUTCMonth(end.getUTCMonth() + months);
    const to = vnDateKey(end);
    const years = this.unknownYearsIn(now, end);
    if (years.length > 0) return false;
    return [...this.holidays].some((d) => d > from && d <= to);
  }

  /**
   * Moves `n` working days forward (backward when negative), keeping the time of day; a start on
   * a day off counts from the next working day (Saturday + 1 = Monday).
   */
  addWorkingDays(date: Date, n: number): Date {
    const step = n >= 0 ? 1 : -1;
    let day = vnDayNumber(date);
    let moved = 0;
    let left = Math.abs(Math.trunc(n));
    while (left > 0) {
      day += step;
      moved += step;
      if (this.isWorkingDayNumber(day)) left -= 1;
    }
    return new Date(date.getTime() + moved * DAY_MS);
  }

  /**
   * Working days d with a < d <= b, counted by Vietnamese calendar date (negative when b < a).
   * Counted, not walked: the weekdays of the whole weeks, the few days left, less the weekdays off
   * and plus the weekends worked in between (a queue page asks it for 50 deadlines, some months or
   * years away: walking each day was a quarter of the page's web-thread time).
   */
  workingDaysBetween(a: Date, b: Date): number {
    const da = vnDayNumber(a);
    const db = vnDayNumber(b);
    const [lo, hi] = da <= db ? [da, db] : [db, da];
    if (lo === hi) return 0;
    const weeks = Math.floor((hi - lo) / 7);
    let count = weeks * 5;
    for (let day = lo + 1 + weeks * 7; day <= hi; day += 1) if (weekdayOf(day) !== 0 && weekdayOf(day) !== 6) count += 1;
    count += countIn(this.weekendsWorked, lo, hi) - countIn(this.weekdaysOff, lo, hi);
    // The years without holidays are counted on weekends only: said once in the log.
    for (let y = Number(dayKey(lo + 1).slice(0, 4)), last = Number(dayKey(hi).slice(0, 4)); y <= last; y += 1) {
      if (!this.knownYears.has(String(y))) warnUnknownYear(String(y));
    }
    return db >= da ? count : -count;
  }
}

/**
 * The calendar is kept for 5 s (server/support/kept-reads.ts): a write through the Holiday model in
 * this process forgets it at once, so an administrator's edit applies to the next request here;
 * another app instance sees it within that time. The read was one database round trip on every page
 * that counts working days (about 5 % of the case page's web-thread time at 100,000 cases).
 */
const keptCalendar = new KeptReads<WorkingCalendar>(5_000, { forgetOn: onHolidayWrite });

/** Drops the calendar kept in memory. */
export function forgetCalendar(): void {
  keptCalendar.forget();
}

/** The holiday calendar (a few dozen rows). */
export function loadCalendar(): Promise<WorkingCalendar> {
  return keptCalendar.get('', async () => {
    return WorkingCalendar.of(await Holiday.find({}, { date: 1, kind: 1 }).lean());
  });
}

export async function addWorkingDays(date: Date, n: number): Promise<Date> {
  return (await loadCalendar()).addWorkingDays(date, n);
}

export async function workingDaysBetween(a: Date, b: Date): Promise<number> {
  return (await loadCalendar()).workingDaysBetween(a, b);
}

export async function isWorkingDay(date: Date): Promise<boolean> {
  return (await loadCalendar()).isWorkingDay(date);
}

/** A deadline `n` working days after `from`, at the end of that day in Vietnam. */
export async function workingDayDeadline(from: Date, n: number): Promise<Date> {
  return vnEndOfDay((await loadCalendar()).addWorkingDays(from, n));
}

/** A deadline counted in working days, as stored beside it (models/case.ts dueCountSchema). */
export interface DueCount {
  from: Date;
  workingDays: number;
}

export function isDueCount(v: unknown): v is DueCount {
  const c = v as Partial<DueCount> | null | undefined;
  return !!c && c.from instanceof Date && !Number.isNaN(c.from.getTime()) && typeof c.workingDays === 'number';
}

/** The deadline a count gives on this calendar: the end of that day in Vietnam. */
export function countedDeadline(calendar: WorkingCalendar, count: DueCount): Date {
  return vnEndOfDay(calendar.addWorkingDays(count.from, count.workingDays));
}

/**
 * Inserts Vietnam's 2026–2027 public holidays (upserts, so running it twice changes nothing). A
 * year that already has holidays is left alone: the administrator maintains it from then on, and
 * a day they removed does not come back at the next boot.
 */
export async function seedHolidays(): Promise<number> {
  const years = [...new Set(VN_HOLIDAYS.map((h) => h.date.slice(0, 4)))];
  const present = await Promise.all(years.map((y) => Holiday.exists({ date: { $gte: `${y}-01-01`, $lte: `${y}-12-31` } })));
  const todo = new Set(years.filter((_y, i) => !present[i]));
  const rows = VN_HOLIDAYS.filter((h) => todo.has(h.date.slice(0, 4)));
  if (rows.length === 0) return 0;
  const res = await Holiday.bulkWrite(
    rows.map((h) => ({
      updateOne: {
        filter: { date: h.date },
        update: { $setOnInsert: { date: h.date, kind: h.kind ?? 'day_off', name: { vi: h.vi, en: h.en } } },
        upsert: true,
      },
    })),
    { ordered: false },
  );
  return res.upsertedCount;
}
