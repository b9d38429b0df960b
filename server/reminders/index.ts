// The daily reminder job: the assignee of a case due within 2 working days gets a reminder, and
// each institute's HR lead gets one digest of its overdue cases, holds past their review date in a
// section of their own. Each e-mail goes through a case's outbox with a key carrying the date, so a
// job run twice (or on two instances) on the same day sends nothing new. The applicant is never
// written to from here: a deadline is the office's.
import type { Types } from 'mongoose';
import type { AppContext } from '../deps.ts';
import { periodicService, type BackgroundService } from '../services.ts';
import { Case } from '../../models/case.ts';
import { User } from '../../models/user.ts';
import { loadCalendar, vnDateKey, vnEndOfDay } from '../calendar/index.ts';
import { caseEmail, outboxKey, type OutboxItem } from '../outbox/item.ts';
import { groupBy } from '../support/group-by.ts';
import { peopleNames } from '../cases/people.ts';
import { queuePanelDigests } from './panel-digest.ts';

export const DUE_SOON_WORKING_DAYS = 2;
/** The digest lists the most overdue cases and counts the rest (the queue's overdue filter has them all). */
export const DIGEST_MAX_ROWS = 50;
const NO_DEADLINE_STAGES = ['draft', 'closed', 'rejected', 'withdrawn'];
/**
 * A hold's deadline is its review date (server/workflow put_on_hold): HR's own commitment to look
 * at the case again, not a stage's work falling due. Its assignee gets no "due soon" reminder (the
 * date was chosen by HR days or months before, and nothing waits on the officer until it comes);
 * once it has passed, the lead sees it in the digest under its own heading, with who put the case
 * on hold, since a forgotten hold is a person left waiting without anyone's deadline running.
 */
const HOLD = 'on_hold';

export interface ReminderResult {
  dueSoon: number;
  digests: number;
  /** Panel members e-mailed the candidates new before the panel (./panel-digest.ts). */
  panelDigests: number;
}

/**
 * The keys of `keys` queued already on any case ({ outbox.key } index). A daily digest is carried by
 * one case of those it lists; that case resolved since (the overdue one moved on, the panel's
 * withdrawn) is out of what the next run reads, which would pick another carrier and queue the
 * day's digest a second time (drills s37): its key is looked for everywhere first.
 */
export async function queuedKeys(keys: string[]): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const wanted = new Set(keys);
  const found = (await Case.distinct('outbox.key', { 'outbox.key': { $in: keys } })) as string[];
  return new Set(found.filter((k) => wanted.has(k)));
}

/** Pushes the item unless the case already has one with the same key (atomic per case). */
async function pushOnce(caseId: unknown, item: OutboxItem): Promise<boolean> {
  const res = await Case.updateOne({ _id: caseId, 'outbox.key': { $ne: item.key } }, { $push: { outbox: item } }, { timestamps: false });
  return res.modifiedCount === 1;
}

export async function runReminders(ctx: AppContext, now: Date = ctx.now()): Promise<ReminderResult> {
  const calendar = await loadCalendar();
  const day = vnDateKey(now);
  const horizon = vnEndOfDay(calendar.addWorkingDays(now, DUE_SOON_WORKING_DAYS));
  // Read from the next-deadline index: a stage due by the horizon makes the case's next deadline due by it too.
  const filter: Record<string, unknown> = { nextDueAt: { $lte: horizon }, stage: { $nin: NO_DEADLINE_STAGES }, stageDueAt: { $ne: null, $lte: horizon } };
  const cases = await Case.find(filter, { reference: 1, institute: 1, assignee: 1, stage: 1, stageDueAt: 1, 'profile.fullName': 1 })
    .sort({ stageDueAt: 1 })
    .lean<Array<{ _id: Types.ObjectId; reference: string; institute: Types.ObjectId; assignee?: Types.ObjectId | null; stage: string; stageDueAt?: Date | null; profile?: { fullName?: string | null } | null }>>();
  const result: ReminderResult = { dueSoon: 0, digests: 0, panelDigests: 0 };
  const base = ctx.config.appUrl;

  // 1. Due within 2 working days: the assignee, once per case per day.
  const dueSoon = cases.filter((c) => c.stage !== HOLD && c.stageDueAt! >= now && calendar.workingDaysBetween(now, c.stageDueAt!) <= DUE_SOON_WORKING_DAYS && c.assignee);
  const assignees = new Map((await User.find({ _id: { $in: dueSoon.map((c) => c.assignee) }, role: 'hr_officer', disabledAt: null }, { email: 1, locale: 1, name: 1, institute: 1 }).lean()).map((u) => [String(u._id), u]));
  for (const c of dueSoon) {
    const to = assignees.get(String(c.assignee));
    // Only while still an HR officer of the case's institute: one moved keeps the case until it goes back to the queue (server/cases/stranded.ts).
    if (!to || String(to.institute) !== String(c.institute)) continue;
    const data = {
      name: to.name,
      reference: c.reference,
      applicantName: c.profile?.fullName ?? '',
      stage: c.stage,
      dueAt: c.stageDueAt,
      workingDaysLeft: calendar.workingDaysBetween(now, c.stageDueAt!),
      link: `${base}/cases/${c._id}`,
    };
    if (await pushOnce(c._id, caseEmail(to, 'case_due_soon', data, outboxKey(String(c._id), 'due-soon', day), now))) result.dueSoon += 1;
  }

  // 2. Overdue: one digest per institute's HR lead per day, carried by the most overdue case (a
  // hold only when the institute has no other overdue case). Its count is the queue's overdue filter
  // (which the e-mail links to, and which has the holds too).
  const overdue = cases.filter((c) => c.stageDueAt! < now);
  const heldBy = await holdAuthors(overdue.filter((c) => c.stage === HOLD).map((c) => c._id));
  const byInstitute = groupBy(overdue, (c) => String(c.institute));
  for (const [institute, list] of byInstitute) {
    const leads = await User.find({ role: 'hr_officer', institute, isHrLead: true, disabledAt: null }, { email: 1, locale: 1, name: 1 }).lean();
    if (leads.length === 0) {
      ctx.logger.warn({ institute, overdue: list.length }, 'reminders: overdue cases but no HR lead to tell');
      continue;
    }
    const late = list.filter((c) => c.stage !== HOLD);
    const held = list.filter((c) => c.stage === HOLD);
    const carrier = late[0] ?? held[0]!;
    const rows = late.slice(0, DIGEST_MAX_ROWS).map((c) => ({
      reference: c.reference,
      applicantName: c.profile?.fullName ?? '',
      stage: c.stage,
      dueAt: c.stageDueAt,
      workingDaysLate: calendar.workingDaysBetween(c.stageDueAt!, now),
      link: `${base}/cases/${c._id}`,
    }));
    const holdRows = held.slice(0, DIGEST_MAX_ROWS).map((c) => ({
      reference: c.reference,
      applicantName: c.profile?.fullName ?? '',
      heldByName: heldBy.get(String(c._id)) ?? '',
      reviewDate: c.stageDueAt,
      workingDaysLate: calendar.workingDaysBetween(c.stageDueAt!, now),
      link: `${base}/cases/${c._id}`,
    }));
    const keyOf = (lead: { _id: Types.ObjectId }) => outboxKey('overdue-digest', institute, String(lead._id), day);
    const queued = await queuedKeys(leads.map(keyOf));
    for (const lead of leads) {
      const key = keyOf(lead);
      if (queued.has(key)) continue;
      const data = { name: lead.name, count: list.length, cases: rows, more: late.length - rows.length, holds: holdRows, holdsMore: held.length - holdRows.length, link: `${base}/cases?overdue=1` };
      if (await pushOnce(carrier._id, caseEmail(lead, 'overdue_digest', data, key, now))) result.digests += 1;
    }
  }

  // 3. The panel: one e-mail a day to each member who can score, of the candidates new before it.
  result.panelDigests = await queuePanelDigests({ now, calendar, appUrl: base, pushOnce, queuedKeys });
  return result;
}

/**
 * Who put each case on hold: the actor of its latest put_on_hold event, by name. Read for the
 * overdue holds only (the history is not part of the job's main query).
 */
async function holdAuthors(caseIds: Types.ObjectId[]): Promise<Map<string, string>> {
  if (caseIds.length === 0) return new Map();
  const held = await Case.find({ _id: { $in: caseIds } }, { history: 1 }).lean<Array<{ _id: Types.ObjectId; history?: Array<{ action?: string | null; actor?: Types.ObjectId | null }> }>>();
  const actors = new Map(held.map((c) => [String(c._id), c.history?.findLast((h) => h.action === 'put_on_hold')?.actor]));
  const names = await peopleNames([...actors.values()]);
  return new Map([...actors].map(([id, actor]) => [id, (actor && names.get(String(actor))?.name) || '']));
}

/** Runs the job every hour (idempotent per day), on working days only. */
export function remindersService(ctx: AppContext, intervalMs = 3_600_000): BackgroundService {
  return periodicService(ctx, {
    name: 'reminders',
    intervalMs,
    // Not at the very start: a restart is not a reason to remind, and the first minute is for users.
    firstDelayMs: 60_000,
    run: async () => {
      const now = ctx.now();
      if (!(await loadCalendar()).isWorkingDay(now)) return;
      const r = await runReminders(ctx, now);
      if (r.dueSoon || r.digests || r.panelDigests) ctx.logger.info(r, 'reminders queued');
    },
  });
}
