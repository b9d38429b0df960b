// The public holidays of the working-day calendar (server/calendar), and the weekend days worked in
// exchange for a weekday off, a year at a time. Stored as 'YYYY-MM-DD' days in Vietnam, one per date.
import type { Context } from '../context.ts';
import { Holiday, type HolidayDoc, type HolidayKind } from '../../models/holiday.ts';
import { NotFoundError } from '../errors.ts';
import { recordAudit } from '../audit/index.ts';
import { loadCalendar, vnDateKey } from '../calendar/index.ts';
import type { FieldErrorKeys } from '../http/forms.ts';
import type { AppContext } from '../deps.ts';
import { MAX_RECOUNT_ATTEMPTS, dropRecount, oweRecount, runRecount, type RecountResult } from '../cases/deadline-recount.ts';
import { DeadlineRecount } from '../../models/deadline-recount.ts';

export interface HolidayYear {
  year: string;
  /** Every year that has holidays, with this year and the one shown. */
  years: string[];
  holidays: Array<{ id: string; date: string; kind: HolidayKind; name: { vi?: string; en?: string } }>;
  /**
   * Set when the calendar has no holiday in the next 12 months, or a year in them has none at all
   * (the Prime Minister fixes Tết and National Day each year, Labour Code 2019 Art. 112(3)): deadlines
   * counted there are estimates on weekends only until an administrator enters the holidays.
   */
  coverageWarning?: { from: string; until: string; years: string[] };
  /** Calendar changes whose deadlines are not all counted again yet (a stopped process; the job finishes them). */
  unfinishedRecounts: Array<{ date: string; change: 'added' | 'removed'; since: Date; stuck: boolean }>;
}

/** The holidays of `year` (default: this year in Vietnam). */
export async function holidayYear(opts: { ctx: Context; year?: string }): Promise<HolidayYear> {
  const thisYear = vnDateKey(opts.ctx.now).slice(0, 4);
  const year = opts.year ?? thisYear;
  const [rows, stored, unfinished] = await Promise.all([
    Holiday.find({ date: { $gte: `${year}-01-01`, $lte: `${year}-12-31` } }).sort({ date: 1 }).lean(),
    Holiday.aggregate<{ _id: string }>([{ $group: { _id: { $substrBytes: ['$date', 0, 4] } } }]),
    DeadlineRecount.find({ finishedAt: { $exists: false } }).sort({ createdAt: 1 }).limit(20).lean(),
  ]);
  const calendar = await loadCalendar();
  const horizon = new Date(opts.ctx.now.getTime());
  horizon.setUTCMonth(horizon.getUTCMonth() + 12);
  const covered = calendar.coversNextMonths(opts.ctx.now, 12);
  return {
    ...(covered ? {} : { coverageWarning: { from: vnDateKey(opts.ctx.now), until: vnDateKey(horizon), years: calendar.unknownYearsIn(opts.ctx.now, horizon) } }),
    unfinishedRecounts: unfinished.map((r) => ({ date: r.date, change: r.change, since: r.createdAt, stuck: (r.attempts ?? 0) >= MAX_RECOUNT_ATTEMPTS })),
    year,
    years: [...new Set([...stored.map((y) => y._id), thisYear, year])].sort(),
    holidays: rows.map((h) => ({ id: String(h._id), date: h.date, kind: h.kind === 'working_day' ? 'working_day' : 'day_off', name: { vi: h.name?.vi, en: h.name?.en } })),
  };
}

/**
 * Adds a day and moves the open deadlines counted across it (server/cases/deadline-recount.ts): what
 * moved and what kept its date is returned for the administrator to be told.
 */
export async function createHoliday(opts: { app?: Pick<AppContext, 'config'>; ctx: Context; date: string; kind: HolidayKind; nameVi: string; nameEn: string }): Promise<({ ok: true; id: string } & RecountResult) | { ok: false; errors: FieldErrorKeys }> {
  let holiday: HolidayDoc;
  // Owed before the calendar changes, so a stop in between leaves the recount to the job, not undone.
  const name = { vi: opts.nameVi, en: opts.nameEn };
  const recountId = await oweRecount({ ctx: opts.ctx, date: opts.date, change: 'added', name });
  try {
    holiday = await Holiday.create({ date: opts.date, kind: opts.kind, name: { vi: opts.nameVi, en: opts.nameEn } });
  } catch (err) {
    await dropRecount(recountId);
    if ((err as { code?: number })?.code === 11000) return { ok: false, errors: { date: 'admin.holidays.dateTaken' } };
    throw err;
  }
  await recordAudit(opts.ctx, { action: 'holiday.create', targetType: 'holiday', targetId: String(holiday._id), summary: { date: holiday.date, kind: opts.kind } });
  const recount = await runRecount({ app: opts.app, ctx: opts.ctx, recountId, date: holiday.date, change: 'added', name });
  return { ok: true, id: String(holiday._id), ...recount };
}

export async function findHoliday(opts: { holidayId: string }): Promise<HolidayDoc> {
  const holiday = /^[a-f0-9]{24}$/.test(opts.holidayId) ? await Holiday.findById(opts.holidayId) : null;
  if (!holiday) throw new NotFoundError();
  return holiday;
}

/** Removes a day and moves back the open deadlines counted across it. */
export async function deleteHoliday(opts: { app?: Pick<AppContext, 'config'>; ctx: Context; holiday: HolidayDoc }): Promise<RecountResult> {
  const { holiday } = opts;
  // Its name as typed, kept with the recount: the day is gone from the calendar once it runs.
  const name = { vi: holiday.name?.vi, en: holiday.name?.en };
  const recountId = await oweRecount({ ctx: opts.ctx, date: holiday.date, change: 'removed', name });
  const res = await Holiday.deleteOne({ _id: holiday._id });
  if (res.deletedCount !== 1) {
    await dropRecount(recountId);
    throw new NotFoundError(); // removed meanwhile (another tab)
  }
  await recordAudit(opts.ctx, { action: 'holiday.delete', targetType: 'holiday', targetId: String(holiday._id), summary: { date: holiday.date, name: holiday.name?.en } });
  return runRecount({ app: opts.app, ctx: opts.ctx, recountId, date: holiday.date, change: 'removed', name });
}
