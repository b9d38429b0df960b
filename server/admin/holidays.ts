// The public holidays of the working-day calendar (server/calendar), and the weekend days worked in
// exchange for a weekday off, a year at a time. Stored as 'YYYY-MM-DD' days in Vietnam, one per date.
import type { Context } from '../context.ts';
import { Holiday, type HolidayDoc, type HolidayKind } from '../../models/holiday.ts';
import { createHash } from 'node:crypto';
import { ConflictError, NotFoundError } from '../errors.ts';
import { User } from '../../models/user.ts';
import { recordAudit } from '../audit/index.ts';
import { WorkingCalendar, loadCalendar, vnDateKey, vnStartOfDay } from '../calendar/index.ts';
import type { AppContext } from '../deps.ts';
import { MAX_RECOUNT_ATTEMPTS, dropRecount, oweRecount, planRecount, runRecount, type PlannedCase, type RecountResult } from '../cases/deadline-recount.ts';
import { DeadlineRecount } from '../../models/deadline-recount.ts';
import { isId } from '../support/object-id.js';
import { VN_HOLIDAYS, provisionalDays, type HolidayBasis } from '../calendar/holidays-vn.ts';
import { HolidayDismissal } from '../../models/holiday-dismissal.ts';
import { translator } from '../i18n/index.ts';

export interface HolidayYear {
  year: string;
  /** Every year that has holidays, with this year and the one shown. */
  years: string[];
  holidays: Array<{ id: string; date: string; kind: HolidayKind; name: { vi?: string; en?: string }; provisional: boolean }>;
  /**
   * The days of this year in the calendar that are the Labour Code's default while the Prime Minister
   * has not fixed them (holidays-vn.ts provisionalDays: 2027's Tết and National Day's second day):
   * deadlines across them may move once the schedule is out, so the page says so.
   */
  provisional: string[];
  /**
   * Set when the calendar has no holiday in the next 12 months, or a year in them has none at all
   * (the Prime Minister fixes Tết and National Day each year, Labour Code 2019 Art. 112(3)): deadlines
   * counted there are estimates on weekends only until an administrator enters the holidays.
   */
  coverageWarning?: { from: string; until: string; years: string[] };
  /**
   * Known public holidays (holidays-vn.ts) of the years the calendar has that are not in it and were
   * not marked "not observed": a year seeded before a day was known (Vietnam Culture Day, 24 Nov,
   * Resolution 28/2026/QH16 Art. 2) counts its deadlines a day short across it.
   */
  missingKnown: KnownHoliday[];
  /** Known days marked "not observed" (newest first): listed so a mistaken dismissal can be undone. */
  dismissedKnown: Array<KnownHoliday & { dismissedAt: Date }>;
  /** Calendar changes whose deadlines are not all counted again yet (a stopped process; the job finishes them). */
  unfinishedRecounts: Array<{ date: string; change: 'added' | 'removed'; since: Date; stuck: boolean }>;
}

/** The holidays of `year` (default: this year in Vietnam). */
export async function holidayYear(opts: { ctx: Context; year?: string }): Promise<HolidayYear> {
  const thisYear = vnDateKey(opts.ctx.now).slice(0, 4);
  const year = opts.year ?? thisYear;
  const [rows, stored, unfinished, knownPresent, dismissals] = await Promise.all([
    Holiday.find({ date: { $gte: `${year}-01-01`, $lte: `${year}-12-31` } }).sort({ date: 1 }).lean(),
    Holiday.aggregate<{ _id: string }>([{ $group: { _id: { $substrBytes: ['$date', 0, 4] } } }]),
    DeadlineRecount.find({ finishedAt: { $exists: false } }).sort({ createdAt: 1 }).limit(20).lean(),
    Holiday.find({ date: { $in: VN_HOLIDAYS.map((h) => h.date) } }, { date: 1 }).lean(),
    HolidayDismissal.find({}, { date: 1, dismissedAt: 1 }).sort({ dismissedAt: -1, date: 1 }).limit(100).lean(),
  ]);
  const { missingKnown, dismissedKnown } = knownHolidayLists(new Set(stored.map((y) => y._id)), new Set(knownPresent.map((h) => h.date)), dismissals);
  const calendar = await loadCalendar();
  const horizon = new Date(opts.ctx.now.getTime());
  horizon.setUTCMonth(horizon.getUTCMonth() + 12);
  const covered = calendar.coversNextMonths(opts.ctx.now, 12);
  const provisional = new Set(provisionalDays(year));
  return {
    ...(covered ? {} : { coverageWarning: { from: vnDateKey(opts.ctx.now), until: vnDateKey(horizon), years: calendar.unknownYearsIn(opts.ctx.now, horizon) } }),
    missingKnown,
    dismissedKnown,
    unfinishedRecounts: unfinished.map((r) => ({ date: r.date, change: r.change, since: r.createdAt, stuck: (r.attempts ?? 0) >= MAX_RECOUNT_ATTEMPTS })),
    year,
    years: [...new Set([...stored.map((y) => y._id), thisYear, year])].sort(),
    holidays: rows.map((h) => ({ id: String(h._id), date: h.date, kind: h.kind === 'working_day' ? 'working_day' : 'day_off', name: { vi: h.name?.vi, en: h.name?.en }, provisional: provisional.has(h.date) })),
    provisional: rows.filter((h) => provisional.has(h.date)).map((h) => h.date),
  };
}

/** A deadline of the dry run or of the recount's result, as the administrator is shown it. */
export interface HolidayPlanRow {
  caseId: string;
  reference: string;
  applicantName: string;
  for: string;
  what: 'due' | 'reasons' | 'ask';
  askText?: string;
  /** Moved: its day before and after; kept: its day (`to` only). */
  from?: Date;
  to: Date;
}

/** What adding or removing a day would do, computed by the recount's own rules (planRecount) without writing. */
export interface HolidayPlan {
  change: 'added' | 'removed';
  date: string;
  kind: HolidayKind;
  name: { vi?: string; en?: string };
  moved: HolidayPlanRow[];
  kept: HolidayPlanRow[];
  /** Cases whose applicant would be e-mailed (a date they were told, or a request of theirs, moves). */
  toEmail: number;
  /** A day off on a Saturday or Sunday: the next working day, for the compensatory day off. */
  weekend?: { suggested: string };
  /** The calendar as it would be, for the working days left. */
  calendar: WorkingCalendar;
  /** What the page showed, sent back with the confirmation: a different plan then is shown again (409). */
  seen: string;
}

const isWeekend = (date: string) => [0, 6].includes(new Date(`${date}T00:00:00Z`).getUTCDay());

/**
 * The dry run of a calendar change: the open deadlines it would move (to which day) and those on or
 * after the day that keep theirs, on the calendar as it would be after it.
 */
export async function planHolidayChange(opts: { ctx: Context; change: 'added' | 'removed'; date: string; kind: HolidayKind; name: { vi?: string; en?: string } }): Promise<HolidayPlan> {
  const rows = await Holiday.find({}, { date: 1, kind: 1 }).lean();
  const calendar = WorkingCalendar.of(opts.change === 'added' ? [...rows, { date: opts.date, kind: opts.kind }] : rows.filter((r) => r.date !== opts.date));
  const planned = await planRecount({ date: opts.date, calendar });
  const users = await User.find({ _id: { $in: [...new Set(planned.map((p) => String(p.applicant)))] } }, { name: 1, email: 1, disabledAt: 1 }).lean();
  const names = new Map(users.map((u) => [String(u._id), u.name]));
  // The recount e-mails an applicant with an address whose account is not disabled (deadline-recount.ts owedEmail).
  const reachable = new Set(users.filter((u) => u.email && !u.disabledAt).map((u) => String(u._id)));
  const base = (p: PlannedCase) => ({ caseId: String(p.caseId), reference: p.reference, applicantName: names.get(String(p.applicant)) ?? '' });
  const moved = planned.flatMap((p) => p.moved.map((m) => ({ ...base(p), for: m.for, what: m.what, ...(m.askText ? { askText: m.askText } : {}), from: m.from, to: m.to })));
  const kept = planned.flatMap((p) => p.kept.map((k) => ({ ...base(p), for: k.for, what: k.what, ...(k.askText ? { askText: k.askText } : {}), to: k.at })));
  const toEmail = planned.filter((p) => reachable.has(String(p.applicant)) && p.moved.some((m) => m.told || m.what === 'ask')).length;
  // Labour Code 2019 (45/2019/QH14) Art. 111(3): a weekly rest day that falls on a public holiday of
  // Art. 112(1) is made up on the next working day (checked with the search tool, lawnet.vn's text).
  const current = await loadCalendar();
  const suggested = opts.change === 'added' && opts.kind === 'day_off' && isWeekend(opts.date) ? vnDateKey(current.addWorkingDays(vnStartOfDay(opts.date), 1)) : undefined;
  const fingerprint = JSON.stringify([opts.change, opts.date, opts.kind, moved.map((m) => [m.caseId, m.for, m.what, m.from.getTime(), m.to.getTime()]), kept.map((k) => [k.caseId, k.for, k.what, k.to.getTime()])]);
  return {
    change: opts.change,
    date: opts.date,
    kind: opts.kind,
    name: opts.name,
    moved,
    kept,
    toEmail,
    ...(suggested ? { weekend: { suggested } } : {}),
    calendar,
    seen: createHash('sha256').update(fingerprint).digest('hex').slice(0, 32),
  };
}

/** The outcome of a confirmed change: done (with its recount), or the plan changed since it was shown. */
export type HolidayChangeResult = ({ ok: true; recountId: string } & RecountResult) | { ok: false; stale: HolidayPlan };

/**
 * Adds a day the administrator confirmed on its plan (`seen`), with their reason, and moves the
 * open deadlines counted across it (server/cases/deadline-recount.ts re-reads each case and writes
 * against its version, so what is applied is the calendar and the cases as they are then). A plan
 * that changed meanwhile is returned to be shown again; a day already added (a second click) is a
 * conflict, so a double confirmation has one effect.
 */
export async function createHoliday(opts: { app?: Pick<AppContext, 'config'>; ctx: Context; date: string; kind: HolidayKind; nameVi: string; nameEn: string; reason: string; seen: string | undefined }): Promise<HolidayChangeResult> {
  const name = { vi: opts.nameVi, en: opts.nameEn };
  if (await Holiday.exists({ date: opts.date })) throw new ConflictError('admin.holidays.alreadyAdded');
  const plan = await planHolidayChange({ ctx: opts.ctx, change: 'added', date: opts.date, kind: opts.kind, name });
  // No `seen`: a one-click add of a known holiday, whose page showed no plan to compare with.
  if (opts.seen !== undefined && plan.seen !== opts.seen) return { ok: false, stale: plan };
  let holiday: HolidayDoc;
  // Owed before the calendar changes, so a stop in between leaves the recount to the job, not undone.
  const recountId = await oweRecount({ ctx: opts.ctx, date: opts.date, change: 'added', name, reason: opts.reason });
  try {
    holiday = await Holiday.create({ date: opts.date, kind: opts.kind, name });
  } catch (err) {
    await dropRecount(recountId);
    if ((err as { code?: number })?.code === 11000) throw new ConflictError('admin.holidays.alreadyAdded');
    throw err;
  }
  // Observed now: a "not observed" mark of the day (another tab's, before this add) would contradict the
  // calendar on the holidays page, its "Observe again" doing nothing (security review s33). Said in the audit.
  const unmarked = (await HolidayDismissal.deleteOne({ date: holiday.date })).deletedCount === 1;
  await recordAudit(opts.ctx, { action: 'holiday.create', targetType: 'holiday', targetId: String(holiday._id), summary: { date: holiday.date, kind: opts.kind, name, reason: opts.reason, moved: plan.moved.length, kept: plan.kept.length, toEmail: plan.toEmail, ...(unmarked ? { wasMarkedNotObserved: true } : {}) } });
  const recount = await runRecount({ app: opts.app, ctx: opts.ctx, recountId, date: holiday.date, change: 'added', name });
  return { ok: true, recountId: String(recountId), ...recount };
}

/** Whether a day is in the calendar already. */
export async function holidayOn(date: string): Promise<boolean> {
  return !!(await Holiday.exists({ date }));
}

export async function findHoliday(opts: { holidayId: string }): Promise<HolidayDoc> {
  const holiday = isId(opts.holidayId) ? await Holiday.findById(opts.holidayId) : null;
  if (!holiday) throw new NotFoundError();
  return holiday;
}

/** The day a confirmed removal names; one no longer there (removed by a first click) is a conflict. */
export async function holidayToRemove(opts: { holidayId: string }): Promise<HolidayDoc> {
  const holiday = isId(opts.holidayId) ? await Holiday.findById(opts.holidayId) : null;
  if (!holiday) throw new ConflictError('admin.holidays.alreadyRemoved');
  return holiday;
}

/** The plan of removing a stored day. */
export function planRemoval(opts: { ctx: Context; holiday: HolidayDoc }): Promise<HolidayPlan> {
  const { holiday } = opts;
  return planHolidayChange({ ctx: opts.ctx, change: 'removed', date: holiday.date, kind: holiday.kind === 'working_day' ? 'working_day' : 'day_off', name: { vi: holiday.name?.vi, en: holiday.name?.en } });
}

/**
 * Removes a day the administrator confirmed on its plan, with their reason, and moves back the open
 * deadlines counted across it. Removed meanwhile (a second click, another tab): a conflict.
 */
export async function deleteHoliday(opts: { app?: Pick<AppContext, 'config'>; ctx: Context; holiday: HolidayDoc; reason: string; seen: string }): Promise<HolidayChangeResult & { date: string }> {
  const { holiday } = opts;
  const plan = await planRemoval({ ctx: opts.ctx, holiday });
  if (plan.seen !== opts.seen) return { ok: false, stale: plan, date: holiday.date };
  // Its name as typed, kept with the recount: the day is gone from the calendar once it runs.
  const name = { vi: holiday.name?.vi, en: holiday.name?.en };
  const recountId = await oweRecount({ ctx: opts.ctx, date: holiday.date, change: 'removed', name, reason: opts.reason });
  const res = await Holiday.deleteOne({ _id: holiday._id });
  if (res.deletedCount !== 1) {
    await dropRecount(recountId);
    throw new ConflictError('admin.holidays.alreadyRemoved'); // removed meanwhile (another tab)
  }
  await recordAudit(opts.ctx, { action: 'holiday.delete', targetType: 'holiday', targetId: String(holiday._id), summary: { date: holiday.date, kind: holiday.kind, name, reason: opts.reason, moved: plan.moved.length, kept: plan.kept.length, toEmail: plan.toEmail } });
  const recount = await runRecount({ app: opts.app, ctx: opts.ctx, recountId, date: holiday.date, change: 'removed', name });
  return { ok: true, recountId: String(recountId), date: holiday.date, ...recount };
}

/** A finished (or running) recount with what moved, for the page the administrator lands on after confirming. */
export async function recountResult(opts: { recountId: string }) {
  const r = isId(opts.recountId) ? await DeadlineRecount.findById(opts.recountId).lean() : null;
  if (!r) throw new NotFoundError();
  const items = r.items ?? [];
  const users = await User.find({ _id: { $in: [...new Set(items.map((i) => String(i.applicant)))] } }, { name: 1 }).lean();
  const names = new Map(users.map((u) => [String(u._id), u.name]));
  const rows: HolidayPlanRow[] = items.map((i) => ({ caseId: String(i.caseId), reference: i.reference, applicantName: names.get(String(i.applicant)) ?? '', for: i.for, what: i.what as HolidayPlanRow['what'], ...(i.askText ? { askText: i.askText } : {}), from: i.from, to: i.to }));
  return { date: r.date, change: r.change, name: { vi: r.name?.vi, en: r.name?.en }, reason: r.reason ?? '', finished: !!r.finishedAt, moved: r.moved ?? 0, kept: r.kept ?? 0, notified: r.notified ?? 0, rows, calendar: await loadCalendar() };
}
export type RecountResultPage = Awaited<ReturnType<typeof recountResult>>;

/** A day of the known list (holidays-vn.ts), as the missing-holidays notice shows it. */
export interface KnownHoliday {
  date: string;
  kind: HolidayKind;
  name: { vi: string; en: string };
  basis: HolidayBasis;
}

const known = (h: (typeof VN_HOLIDAYS)[number]): KnownHoliday => ({ date: h.date, kind: h.kind ?? 'day_off', name: { vi: h.vi, en: h.en }, basis: h.basis });

/** The known day on `date`, if the list has one (anything else typed or sent is not). */
export function knownHolidayOn(date: unknown): KnownHoliday | undefined {
  if (typeof date !== 'string') return undefined;
  const h = VN_HOLIDAYS.find((k) => k.date === date);
  return h ? known(h) : undefined;
}

/**
 * The known days missing from the years the calendar has (a year with no day at all is the coverage
 * warning's business: its days are entered once the Prime Minister fixes them, Labour Code 2019
 * Art. 112(3)), less those marked not observed; and those marked, newest first (a dismissal of a date
 * no longer on the list is not shown). From what the holidays page has read already.
 */
function knownHolidayLists(yearsInCalendar: ReadonlySet<string>, present: ReadonlySet<string>, dismissals: ReadonlyArray<{ date: string; dismissedAt: Date }>) {
  const dismissed = new Set(dismissals.map((d) => d.date));
  const missingKnown = VN_HOLIDAYS.filter((h) => yearsInCalendar.has(h.date.slice(0, 4)) && !present.has(h.date) && !dismissed.has(h.date)).map(known);
  const dismissedKnown = dismissals.flatMap((r) => {
    const day = knownHolidayOn(r.date);
    return day ? [{ ...day, dismissedAt: r.dismissedAt }] : [];
  });
  return { missingKnown, dismissedKnown };
}

/**
 * The recount's reason, as a manual add's typed one is kept: in the administrator's language, since
 * the recount page shows it as written (walk app32: a Vietnamese page read an English reason).
 */
function knownReason(ctx: Context, day: KnownHoliday): string {
  const t = translator(ctx.locale);
  return t('admin.holidays.known.reason', { basis: t(`admin.holidays.known.basis.${day.basis}`) });
}

/**
 * Adds a known day in one click: the same path as a confirmed manual add (createHoliday: audit
 * event, recount of the deadlines across it, applicants e-mailed), its name and kind from the list.
 * A day already there (a second click, another tab) is a ConflictError('admin.holidays.alreadyAdded').
 */
export async function addKnownHoliday(opts: { app?: Pick<AppContext, 'config'>; ctx: Context; day: KnownHoliday }): Promise<HolidayChangeResult> {
  const { day } = opts;
  return createHoliday({ app: opts.app, ctx: opts.ctx, date: day.date, kind: day.kind, nameVi: day.name.vi, nameEn: day.name.en, reason: knownReason(opts.ctx, day), seen: undefined });
}

/**
 * Marks a known day not observed here (stored once, audited once): the notice stops listing it. Not a
 * day in the calendar: a page read before another administrator added it would leave the day both
 * observed and listed as not observed (drill holidays-two-admins); the add wins, and says so (`added`).
 * Checked again once the mark is stored: an add between the check and the mark removed no mark yet.
 */
export async function dismissKnownHoliday(opts: { ctx: Context; day: KnownHoliday }): Promise<{ dismissed: boolean; added?: boolean }> {
  const { date } = opts.day;
  if (await Holiday.exists({ date })) return { dismissed: false, added: true };
  const res = await HolidayDismissal.updateOne({ date }, { $setOnInsert: { date, dismissedBy: opts.ctx.actor?._id, dismissedAt: opts.ctx.now } }, { upsert: true });
  if (res.upsertedCount !== 1) return { dismissed: false }; // a second click: already dismissed
  if (await Holiday.exists({ date })) {
    await HolidayDismissal.deleteOne({ date, dismissedAt: opts.ctx.now });
    return { dismissed: false, added: true };
  }
  await recordAudit(opts.ctx, { action: 'holiday.not_observed', targetType: 'holiday', targetId: opts.day.date, summary: { date: opts.day.date, name: opts.day.name, basis: opts.day.basis } });
  return { dismissed: true };
}


/**
 * Undoes a "not observed" mark: the dismissal is removed (once, audited once; a second click finds
 * none), so the notice lists the day again if the calendar still lacks it. Nothing is added to the
 * calendar here: adding stays the notice's "Add", which counts the deadlines again.
 */
export async function observeKnownHolidayAgain(opts: { ctx: Context; day: KnownHoliday }): Promise<{ restored: boolean }> {
  const res = await HolidayDismissal.deleteOne({ date: opts.day.date });
  if (res.deletedCount !== 1) return { restored: false };
  await recordAudit(opts.ctx, { action: 'holiday.observed_again', targetType: 'holiday', targetId: opts.day.date, summary: { date: opts.day.date, name: opts.day.name, basis: opts.day.basis } });
  return { restored: true };
}
