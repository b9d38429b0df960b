// A day as forms type it (YYYY-MM-DD), checked before it becomes a Date.
/**
 * A day typed as YYYY-MM-DD that exists on the calendar (not 2031-02-31, which Date would roll into
 * March) and lies in years a case can concern (1900-2199: not 0000-01-01 or 9999-12-31).
 */
export function isCalendarDay(v: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v)) return false;
  const year = Number(v.slice(0, 4));
  if (year < 1900 || year > 2199) return false;
  const d = new Date(`${v}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(v);
}
