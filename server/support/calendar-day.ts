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
