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

/**
 * The fields of our forms that hold a day (views: the field partial's type="date", the documents'
 * `<file>_issuedAt`/`_expiresAt`, the dependants' `dependants_<n>_dateOfBirth`).
 */
export const DAY_FIELD = /^(?:arrivedOn|askDueAt|cardEndsAt|cardStartsAt|closesAt|opensAt|date|dateOfBirth|decidedAt|dueAt|extendDueAt|filedAt|from|to|plannedArrival|plannedStart|receivedOn|reviewBy|targetAt|offerStart)$|^[A-Za-z][A-Za-z0-9_]{0,60}_(?:issuedAt|expiresAt)$|^[a-z]+_\d{1,3}_dateOfBirth$/;

/** Rewrites, in place, each day field of a posted form typed day first as YYYY-MM-DD (isoDay); other fields untouched. */
export function withIsoDays(body: unknown): void {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return;
  const b = body as Record<string, unknown>;
  for (const k of Object.keys(b)) {
    if (!DAY_FIELD.test(k)) continue;
    const v = b[k];
    b[k] = Array.isArray(v) ? v.map((x) => isoDay(x)) : isoDay(v);
  }
}
