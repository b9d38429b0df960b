// Work-permit (and exemption) filing targets stored under the earlier default. Until the default
// became a day inside the window that leaves the decision and the visa before the start (rules.ts
// lodgingTarget, which this backfill calls: whatever the default is now), a counted target before
// the window opened was set to the window's OPENING day (rules.ts lodgingDue), and
// such a target only moves when HR types another or a holiday recount touches it. Once per database
// (a counter marks it done), at start: a target still on the old default is moved to the new one,
// recorded on the case's timeline and in the audit, and the applicant is e-mailed the old and the
// new date where an e-mail had told them the old one.
//
// Which targets: before filing (requested, preparing), on the day the window opens for the case's
// planned start as it is now (a start changed since means the target is no longer the old default),
// and not set by HR. A target HR typed has no count (service.ts nextTrack deletes dueCount), and a
// counted one always has it, except targets stored before counts were kept (a23417f–6384e2b):
// those are told apart by the timeline, where every target HR moved is a support_update event with
// targetTo (a232206). No count and such an event: HR's, left alone.
import { Case } from '../../models/case.ts';
import { hasMark } from '../../models/counter.ts';
import { nextDueAt, type DeadlineSource } from '../../models/case-deadline.ts';
import { User } from '../../models/user.ts';
import { HIRING_STAGES, type Stage, type SupportKind } from '../../models/constants.ts';
import type { AppContext } from '../deps.ts';
import { systemContext, type Context } from '../context.ts';
import { caseAudit, settleCaseAudits, withPendingAudits } from '../cases/pending-audit.ts';
import { countedDeadline, isDueCount, loadCalendar, vnDateKey, type DueCount, type WorkingCalendar } from '../calendar/index.ts';
import { outboxKey, type OutboxItem } from '../outbox/item.ts';
import { refreshForecast } from '../planner/service.ts';
import { formatDay } from '../views/time.ts';
import { DEADLINE_JOB_FIELDS, type DeadlineJobCase } from './deadline-job-case.ts';
import { filingWindow, lodgingTarget } from './rules.ts';
import { deadlineDays, isSupportOverdue, plain, procedureEmail, type ProcedureChange, type TrackState } from './service.ts';
import { backfillCasesOnce, type BackfillStep } from './tracks-backfill.ts';

/** The mark that the filing targets' backfill has run on this database. */
export const TARGET_BACKFILL = 'backfill:work-permit-target';

/** The procedures with a legal filing window (rules.ts fileBeforeStartDays), so with a default inside it. */
const WINDOWED: readonly SupportKind[] = ['work_permit', 'work_permit_exemption'];

interface HistoryLike {
  action?: string | null;
  procedure?: { kind?: string | null; targetTo?: Date | null } | null;
}

interface OutboxLike {
  template?: string | null;
  status?: string | null;
  locale?: string | null;
  data?: unknown;
}

/** With what tells HR's targets apart (the timeline) and whether the applicant was told one (the outbox). */
type StoredCase = DeadlineJobCase & { history?: HistoryLike[] | null; outbox?: OutboxLike[] | null };

const FIELDS = { ...DEADLINE_JOB_FIELDS, 'history.action': 1, 'history.procedure.kind': 1, 'history.procedure.targetTo': 1, outbox: 1 } as const;

/** HR typed this procedure's target at some point (the timeline's record of it: service.ts updateProcedure). */
function handMoved(history: readonly HistoryLike[], kind: string): boolean {
  return history.some((h) => h.procedure?.kind === kind && !!h.procedure.targetTo);
}

/**
 * The new default for a track still on the old one, with the count it is kept with, or undefined
 * when the track is not such a target. Pure. The count kept is counted again the way the holiday
 * recount does (server/cases/deadline-recount.ts), so a later recount finds the same day; a target
 * stored without its count is counted from `now`, as if requested today: its first count is not
 * known, and from today the default is never a window day already passed when there is a later one.
 */
export function staleTarget(track: TrackState, history: readonly HistoryLike[], plannedStart: Date | null | undefined, calendar: WorkingCalendar, now: Date): { from: Date; to: Date; dueCount: DueCount } | undefined {
  if (!WINDOWED.includes(track.kind) || (track.status !== 'requested' && track.status !== 'preparing') || !track.dueAt) return undefined;
  const w = filingWindow(track.kind, plannedStart);
  if (!w || vnDateKey(track.dueAt) !== vnDateKey(w.opens)) return undefined;
  const counted = isDueCount(track.dueCount);
  if (!counted && handMoved(history, track.kind)) return undefined;
  const dueCount = counted ? track.dueCount! : { from: now, workingDays: deadlineDays(track.kind, track.status)! };
  const to = lodgingTarget(track.kind, calendar, dueCount.from, countedDeadline(calendar, dueCount), plannedStart);
  // A count that lands on the opening day itself is the new default too (lodgingTarget keeps a day inside the window).
  if (vnDateKey(to) === vnDateKey(track.dueAt)) return undefined;
  return { from: track.dueAt, to, dueCount };
}

/**
 * Whether an e-mail told the applicant this target (sent, or waiting to be: either way they get it).
 * The acceptance e-mail listed each procedure started with its date ("due …", then "We aim to file
 * by …": views/emails/offer_accepted), and a procedure_update of a requested or moved procedure
 * said "We aim to file by …" (service.ts dueWords). A date only ever shown on their page is not
 * e-mailed about: the page shows the new one, with the timeline line saying why it moved; an
 * e-mail "our target moved from X" about an X they were never sent reads as a mistake.
 */
export function applicantToldTarget(outbox: readonly OutboxLike[], kind: string, day: Date): boolean {
  return outbox.some((o) => {
    if (o.status === 'dead') return false;
    const data = (o.data ?? {}) as Record<string, unknown>;
    if (o.template === 'offer_accepted') {
      const listed = Array.isArray(data.supportTracks) ? (data.supportTracks as Array<{ kind?: unknown; dueAt?: unknown }>) : [];
      return listed.some((s) => s.kind === kind && s.dueAt instanceof Date && vnDateKey(s.dueAt) === vnDateKey(day));
    }
    return o.template === 'procedure_update' && data.kind === kind && typeof data.targetDue === 'string' && data.targetDue === formatDay(day, o.locale === 'en' ? 'en' : 'vi');
  });
}

/** Moves one case's stale targets against the version read; false when the case changed meanwhile. */
async function moveOne(app: Pick<AppContext, 'config'> | undefined, ctx: Context, c: StoredCase, calendar: WorkingCalendar): Promise<BackfillStep> {
  const now = ctx.now;
  const history = c.history ?? [];
  const tracks = (c.supportTracks ?? []).map(plain);
  const moves: Array<{ kind: SupportKind; from: Date; to: Date; told: boolean }> = [];
  const next = tracks.map((t) => {
    const stale = staleTarget(t, history, c.profile?.plannedArrival, calendar, now);
    if (!stale) return t;
    moves.push({ kind: t.kind, from: stale.from, to: stale.to, told: applicantToldTarget(c.outbox ?? [], t.kind, stale.from) });
    return { ...t, dueAt: stale.to, dueCount: stale.dueCount };
  });
  if (moves.length === 0) return 'none';

  // On the timeline as a target moved (the same words as HR's move, "Target moved from … to …"),
  // with why (defaultChanged), by the system. Shown to the applicant: their page shows the target.
  const events = moves.map((m) => ({
    at: now,
    actorRole: 'system',
    action: 'support_update',
    procedure: { kind: m.kind, from: next.find((t) => t.kind === m.kind)!.status, to: next.find((t) => t.kind === m.kind)!.status, targetFrom: m.from, targetTo: m.to, defaultChanged: true, applicantVisible: true },
  }));
  const outbox: OutboxItem[] = [];
  if (moves.some((m) => m.told)) {
    const applicant = await User.findById(c.applicant, { email: 1, name: 1, locale: 1, disabledAt: 1 }).lean();
    if (applicant?.email && !applicant.disabledAt) {
      for (const m of moves.filter((x) => x.told)) {
        const track = next.find((t) => t.kind === m.kind)!;
        const change: ProcedureChange = { kind: m.kind, from: track.status, to: track.status, targetFrom: m.from, targetTo: m.to, defaultChanged: true };
        // Keyed on the backfill, not the version: however often it runs, one e-mail per procedure.
        outbox.push(procedureEmail({ applicant, reference: c.reference, caseId: String(c._id), kind: m.kind, track, change, appUrl: app?.config.appUrl, key: outboxKey(String(c._id), 'procedure', m.kind, 'target-default'), now, calendar, plannedStart: c.profile?.plannedArrival }));
      }
    }
  }
  // A target that had passed (and was escalated) may now be ahead: the flag follows the new date.
  const movedKinds = new Set<string>(moves.map((m) => m.kind));
  const overdue = (c.overdueProcedures ?? []).filter((k) => !movedKinds.has(k) || isSupportOverdue(next.find((t) => t.kind === k) ?? { kind: k, status: 'not_needed' }, now));
  // The audit event goes into the same update (server/cases/pending-audit.ts).
  const audit = caseAudit(ctx, { action: 'case.target_default_backfill', summary: { reference: c.reference, version: c.version + 1, moved: moves.map((m) => ({ kind: m.kind, from: m.from, to: m.to })), notified: outbox.length > 0 } });
  const res = await Case.updateOne(
    // The outbox key is not there yet: a second run (a start killed after this write, before the mark) sends nothing twice.
    { _id: c._id, version: c.version, 'outbox.key': { $nin: outbox.map((o) => o.key) } },
    {
      $set: { supportTracks: next, overdueProcedures: overdue, nextDueAt: nextDueAt({ stage: c.stage, stageDueAt: c.stageDueAt ?? null, supportTracks: next as DeadlineSource['supportTracks'] }) },
      $inc: { version: 1 },
      $push: { history: { $each: events }, ...(outbox.length ? { outbox: { $each: outbox } } : {}), ...withPendingAudits([audit]) },
    },
  );
  if (res.matchedCount !== 1) return 'changed';
  await settleCaseAudits(c._id, [audit]);
  await refreshForecast({ caseId: c._id, now, calendar });
  return 'written';
}

/**
 * Moves the targets still on the old default (see the file comment), once per database: later starts
 * find the mark and read nothing. The cases read are the open hiring ones (the stage index, in
 * batches of `batchSize` through one cursor) holding a windowed procedure before filing with a
 * target. Each case is written against the version read; one changed meanwhile is read again (an
 * officer's save wins: it moved or kept the target itself). A start killed midway finds no mark
 * and runs again: a target already moved is no longer on the opening day, so nothing moves twice.
 */
export async function backfillLodgingTargets(opts: { app?: Pick<AppContext, 'config'>; now?: Date; batchSize?: number } = {}): Promise<number> {
  // Looked at first too, so that a database done with it does not load the calendar for nothing.
  if (await hasMark(TARGET_BACKFILL)) return 0;
  const ctx = systemContext({ now: opts.now ?? new Date() });
  const calendar = await loadCalendar();
  return backfillCasesOnce<StoredCase>({
    mark: TARGET_BACKFILL,
    filter: {
      stage: { $in: [...HIRING_STAGES, 'on_hold'] as Stage[] },
      supportTracks: { $elemMatch: { kind: { $in: [...WINDOWED] }, status: { $in: ['requested', 'preparing'] }, dueAt: { $ne: null } } },
    },
    fields: FIELDS,
    batchSize: opts.batchSize,
    step: (c) => moveOne(opts.app, ctx, c, calendar),
  });
}
