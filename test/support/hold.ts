// A hold's review date for tests that put a case on hold (server/workflow: put_on_hold needs one).
import { vnDateKey } from '../../server/calendar/index.ts';
import { VN_HOLIDAYS } from '../../server/calendar/holidays-vn.ts';

const DAY_MS = 86_400_000;

/**
 * 'YYYY-MM-DD' about two weeks after `now`: a weekday that is no seeded holiday, so it is a working
 * day whether or not the test's database has the holidays (and without reading it: the drills'
 * server runs in another process).
 */
export function holdReviewDay(now: Date = new Date(), days = 14): string {
  const off = new Set(VN_HOLIDAYS.filter((h) => h.kind !== 'working_day').map((h) => h.date));
  for (let d = new Date(now.getTime() + days * DAY_MS); ; d = new Date(d.getTime() + DAY_MS)) {
    const key = vnDateKey(d);
    const weekday = new Date(`${key}T00:00:00Z`).getUTCDay();
    if (weekday !== 0 && weekday !== 6 && !off.has(key)) return key;
  }
}
