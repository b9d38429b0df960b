// A day as forms type it (YYYY-MM-DD), checked before it becomes a Date.

/**
 * What is wrong with a typed day, so the message can say it: not written YYYY-MM-DD ('format'), a
 * day the calendar does not have such as 2031-02-31, which Date would roll into March ('noSuchDay'),
 * or a year no case can concern, outside 1900-2199 such as 0000-01-01 or 9999-12-31 ('year').
 */
export type CalendarDayProblem = 'format' | 'noSuchDay' | 'year';

export function calendarDayProblem(v: string): CalendarDayProblem | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v)) return 'format';
  const d = new Date(`${v}T00:00:00Z`);
  if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== v) return 'noSuchDay';
  const year = Number(v.slice(0, 4));
  if (year < 1900 || year > 2199) return 'year';
  return undefined;
}

/** A day typed as YYYY-MM-DD that exists on the calendar and lies in 1900-2199. */
export function isCalendarDay(v: string): boolean {
  return calendarDayProblem(v) === undefined;
}

/** The message (locales/<lang>/errors.json) for each problem: what is wrong and what to type. */
export const CALENDAR_DAY_MESSAGES: Record<CalendarDayProblem, string> = {
  format: 'errors.dateFormat',
  noSuchDay: 'errors.dateNoSuchDay',
  year: 'errors.dateYear',
};

/** The message key for a typed day, or undefined when it is a day forms accept. */
export function calendarDayMessage(v: string): string | undefined {
  const p = calendarDayProblem(v);
  return p && CALENDAR_DAY_MESSAGES[p];
}

/**
 * A day typed as Vietnamese and British people write it, day first: `5/12/2026` or `05/12/2026`
 * (the forms' day fields are text inputs that say "dd/mm/yyyy": a native date input shows the
 * browser's own order, 12/05/2026 in an en-US browser, whatever the page's language). Rewritten as
 * YYYY-MM-DD, not checked: calendarDayProblem then says what is wrong (31/02/2027 is 'noSuchDay').
 * Anything else is returned as it is (an ISO day, a wrong text, a list).
 */
const DAY_FIRST = /^\s*(\d{1,2})\/(\d{1,2})\/(\d{4})\s*$/;
export function isoDay<T>(v: T): T | string {
  if (typeof v !== 'string') return v;
  const m = DAY_FIRST.exec(v);
  return m ? `${m[3]}-${m[2]!.padStart(2, '0')}-${m[1]!.padStart(2, '0')}` : v;
}

/** A YYYY-MM-DD day as the day fields show it (dd/mm/yyyy); any other text as it is (what was typed, shown back). */
export function dayFirst(v: unknown): string {
  if (typeof v !== 'string') return v instanceof Date && !Number.isNaN(v.getTime()) ? dayFirst(v.toISOString().slice(0, 10)) : '';
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v.trim());
  return m ? `${m[3]}/${m[2]}/${m[1]}` : v;
}

/** The day fields a form declares: their names, and a pattern where it has one per row (a document's `<type>_issuedAt`, a dependant's `dependants_<n>_dateOfBirth`). */
export type DayFields = readonly (string | RegExp)[];

const declares = (days: DayFields, name: string) => days.some((d) => (typeof d === 'string' ? d === name : d.test(name)));

/**
 * The one reader of day fields, called by each form's route or command with the fields it declares
 * (before, the input guard rewrote every field whose name looked like a day's, on every form: a
 * form's `from` or `date` that held no day was rewritten too). A copy of `body` in which each
 * declared field typed day first (dd/mm/yyyy) is YYYY-MM-DD (isoDay); every other field, and a
 * declared one that is not a single text (a list, which the form refuses beside its box as
 * errors.oneValue), as sent. The form's own check (calendarDayProblem) then says beside the field
 * what is wrong with a text that is no day (31/02, year 0, a ten-digit year, `$gt`, `__proto__`),
 * and the form shows it back day first (dayFirst). Own keys only, copied as data: a `__proto__`
 * key stays a key.
 */
export function readDayFields(body: unknown, days: DayFields): Record<string, unknown> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return {};
  return Object.fromEntries(Object.entries(body).map(([k, v]) => [k, declares(days, k) ? isoDay(v) : v]));
}
