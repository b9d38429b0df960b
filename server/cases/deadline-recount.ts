// When an administrator adds or removes a day of the holiday calendar, the open deadlines counted in
// working days across it are counted again on the new calendar: a stage's deadline and a procedure's
// (its lodging target, the authority's decision time from the filing date, the due date of a
// request to the applicant still open). A date typed by hand (an
// information request's) keeps its date, and so does a deadline
// stored before its count was kept (only a filed procedure's can be counted again from its filing
// date): those are counted for the administrator, who is told they did not move.
//
// Bounded: only cases with a deadline on or after the changed day are read, a page at a time in _id
// order; each case is written on its own against the version read (an officer's change meanwhile
// wins, and the case is read again). The applicant is e-mailed once per case and recount, through
// the outbox (owedEmail), when a date they were told moves (a filed procedure's decision deadline)
// or the due date of a request of theirs moves. A request answered (said done, a file uploaded into its slot) or recorded
// received, or within a procedure no longer under way, keeps its date.
//
// Durable: the change is recorded (models/deadline-recount.ts) before the calendar is written and
// marked finished after the last case, so a recount cut short (process killed, database gone) is run
// to its end by the background job (resumeRecounts). Running one twice is harmless: it moves only
// what the calendar as it now is says, each case against the version read.
import type { Types } from 'mongoose';
import { Case } from '../../models/case.ts';
import { DeadlineRecount } from '../../models/deadline-recount.ts';
import { nextDueAt, type DeadlineSource } from '../../models/case-deadline.ts';
import { User } from '../../models/user.ts';
import { ACTIVE_SUPPORT_STATUSES, TERMINAL_STAGES, type SupportKind } from '../../models/constants.ts';
import type { AppContext } from '../deps.ts';
import { systemContext, type Context } from '../context.ts';
import { recordAudit } from '../audit/index.ts';
import { caseAudit, settleCaseAudits, withPendingAudits } from './pending-audit.ts';
import { countedDeadline, forgetCalendar, isDueCount, loadCalendar, vnStartOfDay, type DueCount, type WorkingCalendar } from '../calendar/index.ts';
import { filingTargetWithheld, lodgingTarget, targetStart, trackTargetWithheld } from '../procedures/rules.ts';
import { askOpen, deadlineDays, deadlineLeft, dueMeaning, holidayDayText, isSupportOverdue, procedureEmail, reasonsOverdue, type HolidayName, type TrackState } from '../procedures/service.ts';
import { askAnsweredAt, askWaitsForUpload } from '../procedures/asks.ts';
import { DEADLINE_JOB_FIELDS, type DeadlineJobCase } from '../procedures/deadline-job-case.ts';
import { currentDocuments } from '../documents/index.ts';
import { caseEmail, outboxKey, recipientLocale, type OutboxItem } from '../outbox/item.ts';
import { translator } from '../i18n/index.ts';
import { refreshForecast } from '../planner/service.ts';
import { formatDay } from '../views/time.ts';

type Upload = Parameters<typeof askAnsweredAt>[1][number];

export interface RecountResult {
  /** Deadlines that moved (a case's stage deadline and each procedure's count one each). */
  moved: number;
  /** Open deadlines on or after the day that keep their date: typed by hand, or stored without their count. */
  kept: number;
  /** Cases whose applicant is owed an e-mail about a date of theirs that moved (queued in the outbox). */
  notified?: number;
  /** What moved, case by case, for the administrator's result page (models/deadline-recount.ts). */
  items?: RecountItem[];
}

/** A deadline that moved, as the administrator is shown it. */
export interface RecountItem {
  caseId: Types.ObjectId;
  reference: string;
  applicant: Types.ObjectId;
  for: string;
  what: 'due' | 'reasons' | 'ask';
  askText?: string;
  from: Date;
  to: Date;
}

/** An open deadline on or after the day that keeps its date: its date was typed, or stored without its count. */
export interface Kept {
  for: string;
  what: 'due' | 'ask';
  at: Date;
  askText?: string;
}

/** With the stage deadline's count, to count it again. */
type StoredCase = DeadlineJobCase & { stageDueCount?: DueCount | null };

const FIELDS = { ...DEADLINE_JOB_FIELDS, stageDueCount: 1 } as const;

export interface Moved {
  for: string;
  /** The procedure's running date, a refusal's written reasons, or a request to the applicant's due date. */
  what: 'due' | 'reasons' | 'ask';
  /** The request's words (what: 'ask'), for the applicant's e-mail. */
  askText?: string;
  from: Date;
  to: Date;
  /** The applicant was told this date (a filed procedure's decision, a refusal's reasons). */
  told: boolean;
  /** The applicant sees this date on their page (a procedure's, but not citizenship's follow-up date). */
  shown: boolean;
}

/** A procedure's count: the one kept, else (filed) its filing date and the authority's working days. */
function trackCount(t: TrackState): DueCount | undefined {
  if (isDueCount(t.dueCount)) return t.dueCount;
  const days = t.status === 'filed' && t.filedAt ? deadlineDays(t.kind, 'filed') : undefined;
  return days === undefined ? undefined : { from: t.filedAt!, workingDays: days };
}

/**
 * The requests to the applicant still open within an active procedure, counted again: each keeps
 * its working days from the day it was asked (asks.ts askMore). One answered (`uploads`: the case's
 * current documents, for a file uploaded into its slot) keeps its date: it waits for HR, not them.
 */
function recountAsks(t: TrackState, calendar: WorkingCalendar, since: Date, uploads: readonly Upload[], moved: Moved[], kept: Kept[]): TrackState {
  if (!(ACTIVE_SUPPORT_STATUSES as readonly string[]).includes(t.status) || !t.asks?.length) return t;
  let changed = false;
  const asks = t.asks.map((a) => {
    if (!a.dueAt || a.dueAt < since || !askOpen(a) || askAnsweredAt(a, uploads)) return a;
    if (!isDueCount(a.dueCount)) {
      kept.push({ for: t.kind, what: 'ask', at: a.dueAt, askText: a.text });
      return a;
    }
    const at = countedDeadline(calendar, a.dueCount);
    if (at.getTime() === a.dueAt.getTime()) return a;
    moved.push({ for: t.kind, what: 'ask', askText: a.text, from: a.dueAt, to: at, told: false, shown: true });
    changed = true;
    return { ...a, dueAt: at };
  });
  return changed ? { ...t, asks } : t;
}

/** What the case's deadlines are on `calendar`, for those on or after `since`. Pure. */
export function recountCase(c: StoredCase, calendar: WorkingCalendar, since: Date, uploads: readonly Upload[] = []): { stageDueAt?: Date; tracks: TrackState[]; moved: Moved[]; kept: Kept[] } {
  const moved: Moved[] = [];
  const kept: Kept[] = [];
  let stageDueAt: Date | undefined;
  if (c.stageDueAt && c.stageDueAt >= since) {
    if (isDueCount(c.stageDueCount)) {
      const at = countedDeadline(calendar, c.stageDueCount);
      if (at.getTime() !== c.stageDueAt.getTime()) {
        stageDueAt = at;
        moved.push({ for: 'stage', what: 'due', from: c.stageDueAt, to: at, told: false, shown: false });
      }
    } else kept.push({ for: 'stage', what: 'due', at: c.stageDueAt });
  }
  const trackDates = (t: TrackState): TrackState => {
    const active = (ACTIVE_SUPPORT_STATUSES as readonly string[]).includes(t.status);
    // A naturalisation's filing target stored before it was withheld (rules.ts filingTargetWithheld) is
    // no date: not counted again, not said moved (withheld-target-backfill.ts clears it).
    if (trackTargetWithheld(t, c)) return t;
    if (active && t.dueAt && t.dueAt >= since) {
      const count = trackCount(t);
      if (!count) {
        kept.push({ for: t.kind, what: 'due', at: t.dueAt });
        return t;
      }
      const counted = countedDeadline(calendar, count);
      // Before filing the target is made a deadline inside the filing window, as when it was first counted.
      const at = t.status === 'filed' ? counted : lodgingTarget(t.kind as SupportKind, calendar, count.from, counted, targetStart(t.kind, c));
      if (at.getTime() === t.dueAt.getTime()) return t;
      moved.push({ for: t.kind, what: 'due', from: t.dueAt, to: at, told: t.status === 'filed', shown: dueMeaning(t.kind, t.status) !== 'followUp' });
      return { ...t, dueAt: at, dueCount: count };
    }
    // A refusal's written reasons have no working-day count of their own (they come with the
    // decision, rules.ts refusalWithReasons): the date they were due by is kept as recorded.
    return t;
  };
  const tracks = (c.supportTracks ?? []).map((t) => recountAsks(trackDates(t), calendar, since, uploads, moved, kept));
  return { ...(stageDueAt ? { stageDueAt } : {}), tracks, moved, kept };
}

function plainTrack(t: unknown): TrackState {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(t as Record<string, unknown>)) if (v !== undefined && v !== null) out[k] = v;
  return out as unknown as TrackState;
}

type HolidayChange = { day: string; change: 'added' | 'removed'; name?: HolidayName };

/**
 * The one e-mail a recount owes the applicant for a case, however many of their dates moved (each
 * outbox key names the case, the recount's day and change and the version the move is written
 * with, so a recount run again, which moves nothing, owes none): a procedure's date they were told
 * (a filed procedure's decision, a refusal's reasons) and the due dates of their open requests.
 * One kind alone keeps its own e-mail and wording, which administrators may have edited: a single
 * procedure's date, procedure_update (its office, legal basis and other dates); requests only,
 * procedure_asks_moved. Anything more is one procedure_dates_moved listing every date, rather
 * than one e-mail per procedure plus one for the requests from a single calendar change.
 */
async function owedEmail(app: Pick<AppContext, 'config'> | undefined, c: StoredCase, tracks: TrackState[], moved: Moved[], now: Date, calendar: WorkingCalendar, holiday: HolidayChange): Promise<OutboxItem[]> {
  const told = moved.filter((m) => m.told);
  const asks = moved.filter((m) => m.what === 'ask');
  if (told.length === 0 && asks.length === 0) return [];
  const applicant = await User.findById(c.applicant, { email: 1, name: 1, locale: 1, disabledAt: 1 }).lean();
  if (!applicant?.email || applicant.disabledAt) return [];
  const caseId = String(c._id);
  if (told.length === 1 && asks.length === 0) {
    const m = told[0]!;
    const track = tracks.find((t) => t.kind === m.for)!;
    const kind = track.kind;
    // The old date, the new one and why, in the applicant's language (service.ts procedureWords).
    const change = { kind, from: track.status, to: track.status, dueMoved: true, moved: { from: m.from, to: m.to, holiday: holiday.day, change: holiday.change, ...(holiday.name ? { name: holiday.name } : {}) } };
    return [procedureEmail({ applicant, reference: c.reference, caseId, kind, track, change, appUrl: app?.config.appUrl, key: outboxKey(caseId, c.version + 1, 'procedure', kind, 'recount'), now, calendar, plannedStart: c.profile?.plannedArrival, targetWithheld: filingTargetWithheld(kind, c) })];
  }
  const locale = recipientLocale(applicant);
  const t = translator(locale);
  const firstDueOn = formatDay([...told, ...asks].map((m) => m.to).sort((a, b) => a.getTime() - b.getTime())[0]!, locale);
  const common = {
    name: applicant.name,
    reference: c.reference,
    // The day (and its name) in the reader's language: "9 Dec 2031 (Extra day off)".
    holidayDay: holidayDayText(t, locale, holiday.day, holiday.name),
    added: holiday.change === 'added',
    firstDueOn,
  };
  // Each date: the request's words as HR typed them, its old and new day and the working days left.
  const row = (m: Moved, dueLabel: string) => ({
    kindLabel: t(`procedures.kinds.${m.for}`),
    askText: m.askText ?? '',
    dueLabel,
    wasOn: formatDay(m.from, locale),
    dueOn: formatDay(m.to, locale),
    dueLeft: deadlineLeft(t, calendar, now, m.to).text,
  });
  if (told.length === 0) {
    const data = { ...common, asks: asks.map((m) => row(m, '')), link: `${app?.config.appUrl ?? ''}/applications/${caseId}#asks` };
    return [caseEmail(applicant, 'procedure_asks_moved', data, outboxKey(caseId, c.version + 1, 'asksMoved', holiday.day, holiday.change), now)];
  }
  const dates = [
    // A told date is a filed procedure's decision (dueMeaning 'decision') or a refusal's written reasons.
    ...told.map((m) => row(m, t(m.what === 'reasons' ? 'procedures.recount.emailReasons' : `procedures.due.${dueMeaning(m.for as SupportKind, tracks.find((x) => x.kind === m.for)?.status ?? 'filed') ?? 'decision'}`))),
    ...asks.map((m) => row(m, t('procedures.recount.emailAsk'))),
  ];
  const data = { ...common, count: dates.length, dates, link: `${app?.config.appUrl ?? ''}/applications/${caseId}` };
  return [caseEmail(applicant, 'procedure_dates_moved', data, outboxKey(caseId, c.version + 1, 'datesMoved', holiday.day, holiday.change), now)];
}

/** Counts one case again and writes what moved against the version read; false when it changed meanwhile. */
async function recountOne(opts: { app?: Pick<AppContext, 'config'>; ctx: Context; date: string; change: 'added' | 'removed'; name?: HolidayName }, c: StoredCase, calendar: WorkingCalendar, since: Date, total: RecountResult): Promise<boolean> {
  const { ctx } = opts;
  const now = ctx.now;
  const r = await recountStored(c, calendar, since);
  if (r.moved.length === 0) {
    total.kept += r.kept.length;
    return true;
  }
  // (A request's date is no procedure's deadline: it leaves the escalation flags alone.)
  const movedKinds = new Set(r.moved.filter((m) => m.what !== 'ask').map((m) => m.for));
  // A procedure no longer late leaves the escalated list (a new deadline is escalated afresh when it passes).
  const overdue = (c.overdueProcedures ?? []).filter((k) => {
    if (!movedKinds.has(k)) return true;
    const t = r.tracks.find((x) => x.kind === k);
    return !!t && (isSupportOverdue(t, now) || reasonsOverdue(t, now));
  });
  const stageDueAt = r.stageDueAt ?? c.stageDueAt ?? null;
  const holiday = { day: opts.date, change: opts.change, ...(opts.name ? { name: opts.name } : {}) };
  const outbox = await owedEmail(opts.app, c, r.tracks, r.moved, now, calendar, holiday);
  // On the case's history, for HR and (the dates they see) the applicant, read in each one's language.
  const history = {
    at: now,
    ...(ctx.actor ? { actor: ctx.actor._id, actorRole: ctx.actor.role } : { actorRole: 'system' }),
    action: 'deadlines_recount',
    recount: { holiday: opts.date, ...(opts.name ? { name: opts.name } : {}), change: opts.change, moved: r.moved.map((m) => ({ target: m.for, what: m.what, from: m.from, to: m.to, applicantVisible: m.shown })) },
  };
  // The audit event goes into the same update (./pending-audit.ts).
  const audit = caseAudit(ctx, { action: 'case.deadlines_recount', summary: { reference: c.reference, holiday: opts.date, change: opts.change, version: c.version + 1, moved: r.moved.map((m) => ({ for: m.for, from: m.from, to: m.to })), notified: outbox.length > 0 } });
  const res = await Case.updateOne(
    { _id: c._id, version: c.version },
    {
      $set: {
        ...(r.stageDueAt ? { stageDueAt: r.stageDueAt } : {}),
        supportTracks: r.tracks,
        overdueProcedures: overdue,
        nextDueAt: nextDueAt({ stage: c.stage, stageDueAt, supportTracks: r.tracks as DeadlineSource['supportTracks'] }),
      },
      $inc: { version: 1 },
      $push: { history, ...(outbox.length ? { outbox: { $each: outbox } } : {}), ...withPendingAudits([audit]) },
    },
  );
  if (res.matchedCount !== 1) return false;
  total.moved += r.moved.length;
  total.kept += r.kept.length;
  if (outbox.length) total.notified = (total.notified ?? 0) + 1;
  // Kept for the administrator's result page, bounded (the counts stay whole).
  for (const m of r.moved) if ((total.items ??= []).length < MAX_RECOUNT_ITEMS) total.items.push({ caseId: c._id, reference: c.reference, applicant: c.applicant, for: m.for, what: m.what, ...(m.askText ? { askText: m.askText } : {}), from: m.from, to: m.to });
  await settleCaseAudits(c._id, [audit]);
  await refreshForecast({ caseId: c._id, now, calendar });
  return true;
}

/** The moved deadlines a recount keeps for its result page; more are counted, not listed. */
export const MAX_RECOUNT_ITEMS = 1000;

/** A stored case counted again on `calendar` (pure but for reading its documents when a request waits for a file). */
async function recountStored(c: StoredCase, calendar: WorkingCalendar, since: Date): Promise<ReturnType<typeof recountCase> & { supportTracks: TrackState[] }> {
  const supportTracks = (c.supportTracks ?? []).map(plainTrack);
  // A request for a file is answered by an upload into its slot: the case's documents, read only then.
  const uploads = supportTracks.some((t) => t.asks?.some((a) => askWaitsForUpload(a))) ? await currentDocuments([c._id]) : [];
  return { ...recountCase({ ...c, supportTracks }, calendar, since, uploads), supportTracks };
}

/** The open cases with a deadline a change of `date` can move, a page at a time in _id order. */
async function* casesAcross(date: string, batchSize: number): AsyncGenerator<StoredCase> {
  const since = vnStartOfDay(date);
  // A deadline counted across the day ends on or after it; the rest cannot move.
  const filter = {
    stage: { $nin: [...TERMINAL_STAGES] },
    $or: [
      { stageDueAt: { $gte: since } },
      { supportTracks: { $elemMatch: { status: { $in: [...ACTIVE_SUPPORT_STATUSES] }, dueAt: { $gte: since } } } },
      // A request to the applicant not yet recorded received, in a procedure under way.
      { supportTracks: { $elemMatch: { status: { $in: [...ACTIVE_SUPPORT_STATUSES] }, asks: { $elemMatch: { dueAt: { $gte: since }, receivedAt: null, closedAt: null } } } } },
    ],
  };
  let after: Types.ObjectId | undefined;
  for (;;) {
    const batch = await Case.find(after ? { ...filter, _id: { $gt: after } } : filter, FIELDS).sort({ _id: 1 }).limit(batchSize).lean<StoredCase[]>();
    if (batch.length === 0) return;
    yield* batch;
    after = batch[batch.length - 1]!._id;
  }
}

/** A case as a dry run finds it: what would move, what keeps its date. */
export interface PlannedCase {
  caseId: Types.ObjectId;
  reference: string;
  applicant: Types.ObjectId;
  moved: Moved[];
  kept: Kept[];
}

/**
 * The dry run of recountDeadlines: what a change of `date` would move on `calendar` (the calendar as
 * it would be after the change), by the same rules, writing nothing. The administrator confirms
 * the change on it; the recount then counts each case again as it is at its write.
 */
export async function planRecount(opts: { date: string; calendar: WorkingCalendar; batchSize?: number }): Promise<PlannedCase[]> {
  const since = vnStartOfDay(opts.date);
  const out: PlannedCase[] = [];
  for await (const c of casesAcross(opts.date, opts.batchSize ?? 200)) {
    const r = await recountStored(c, opts.calendar, since);
    if (r.moved.length || r.kept.length) out.push({ caseId: c._id, reference: c.reference, applicant: c.applicant, moved: r.moved, kept: r.kept });
  }
  return out;
}

/**
 * Counts again, on the calendar as it is now, the open deadlines a change of `date` ('YYYY-MM-DD')
 * can move. Called by the service that changed the calendar, after its write.
 */
export async function recountDeadlines(opts: { app?: Pick<AppContext, 'config'>; ctx: Context; date: string; change: 'added' | 'removed'; name?: HolidayName; batchSize?: number }): Promise<RecountResult> {
  forgetCalendar(); // the write just made, whatever another process kept
  const calendar = await loadCalendar();
  const since = vnStartOfDay(opts.date);
  const total: RecountResult = { moved: 0, kept: 0, notified: 0, items: [] };
  for await (const c of casesAcross(opts.date, opts.batchSize ?? 200)) {
    let current: StoredCase | null = c;
    // An officer's write between the read and ours: read the case again (a few tries, then it is left as it is).
    for (let attempt = 0; current && attempt < 3; attempt += 1) {
      if (await recountOne(opts, current, calendar, since, total)) break;
      current = await Case.findOne({ _id: c._id, stage: { $nin: [...TERMINAL_STAGES] } }, FIELDS).lean<StoredCase>();
    }
  }
  return total;
}

/** A recount that failed this many times is left for an administrator (it is logged each time). */
export const MAX_RECOUNT_ATTEMPTS = 5;
/** A recount younger than this may still be running in the request that started it. */
export const RECOUNT_RESUME_AFTER_MS = 2 * 60_000;

/**
 * Records a calendar change before it is made, so that its recount is owed even if the process
 * stops before the end. Returns the record's id, for runRecount.
 */
export async function oweRecount(opts: { ctx: Context; date: string; change: 'added' | 'removed'; name?: HolidayName; reason?: string }): Promise<Types.ObjectId> {
  const actor = opts.ctx.actor as { _id?: Types.ObjectId } | undefined;
  const doc = await DeadlineRecount.create({ date: opts.date, change: opts.change, ...(opts.name ? { name: opts.name } : {}), ...(opts.reason ? { reason: opts.reason } : {}), requestedBy: actor?._id, createdAt: opts.ctx.now });
  return doc._id;
}

/** Runs an owed recount to its end and marks it finished with its figures. */
export async function runRecount(opts: { app?: Pick<AppContext, 'config'>; ctx: Context; recountId: Types.ObjectId; date: string; change: 'added' | 'removed'; name?: HolidayName }): Promise<RecountResult> {
  await DeadlineRecount.updateOne({ _id: opts.recountId }, { $inc: { attempts: 1 } });
  const result = await recountDeadlines(opts);
  await DeadlineRecount.updateOne({ _id: opts.recountId, finishedAt: { $exists: false } }, { $set: { finishedAt: opts.ctx.now, moved: result.moved, kept: result.kept, notified: result.notified ?? 0, items: result.items ?? [] } });
  return result;
}

/** The calendar change is not made after all (the day was taken meanwhile): nothing is owed. */
export async function dropRecount(recountId: Types.ObjectId): Promise<void> {
  await DeadlineRecount.deleteOne({ _id: recountId, finishedAt: { $exists: false } });
}

/**
 * Runs to their end the recounts a stopped process left unfinished, oldest first (the calendar's
 * changes in the order they were made). Those started less than RECOUNT_RESUME_AFTER_MS ago are left
 * to the request running them.
 */
export async function resumeRecounts(app: AppContext, opts: { now?: Date } = {}): Promise<{ resumed: number; moved: number; failed: number }> {
  const now = opts.now ?? app.now();
  const owed = await DeadlineRecount.find({ finishedAt: { $exists: false }, createdAt: { $lte: new Date(now.getTime() - RECOUNT_RESUME_AFTER_MS) }, attempts: { $lt: MAX_RECOUNT_ATTEMPTS } })
    .sort({ createdAt: 1 })
    .limit(20)
    .lean();
  const out = { resumed: 0, moved: 0, failed: 0 };
  for (const r of owed) {
    const ctx = systemContext({ now });
    try {
      const result = await runRecount({ app, ctx, recountId: r._id, date: r.date, change: r.change, ...(r.name?.vi || r.name?.en ? { name: { vi: r.name.vi, en: r.name.en } } : {}) });
      out.resumed += 1;
      out.moved += result.moved;
      await recordAudit(ctx, { action: 'calendar.recount_resumed', targetType: 'deadline_recount', targetId: String(r._id), summary: { date: r.date, change: r.change, moved: result.moved, kept: result.kept, startedAt: r.createdAt } });
    } catch (err) {
      out.failed += 1;
      app.logger.error({ err, recount: String(r._id), date: r.date }, 'deadline recount failed; it will be tried again');
    }
  }
  return out;
}
