// Escalation of overdue procedures (a periodic job, registered in ./job.ts). A procedure past its
// deadline (requested, preparing or filed with dueAt passed), or a refusal whose written reasons are
// late (reasonsDueAt passed, not received), is escalated ONCE per deadline: the assigned officer
// and the institute's HR lead(s) are e-mailed through the case outbox, the case gets the kind in
// `overdueProcedures` (the queue's flag), and a staff-only history event — all in one update that
// matches the case version, so an escalation and an officer's change never overwrite each other.
// Recipients: the assignee plus the institute's HR office as what an applicant sends reaches it
// (server/institutes/hr-staff.ts hrOfficeToTell): its HR lead(s); with none, its officers when they
// are few (5 or fewer); else the office's HR e-mail; else the administrators, who can name a lead.
// The same rule, because the same reason holds: a deadline notice sent to every one of 30 officers
// is one nobody owns (each thinks another will act), and the escalation exists to make someone act.
import type { AppContext } from '../deps.ts';
import { Case } from '../../models/case.ts';
import { nextDueAt } from '../../models/case-deadline.ts';
import { User } from '../../models/user.ts';
import { ACTIVE_SUPPORT_STATUSES, SUPPORT_STAGES, type SupportKind } from '../../models/constants.ts';
import { loadCalendar, type WorkingCalendar } from '../calendar/index.ts';
import { caseEmail, outboxKey, type OutboxItem } from '../outbox/item.ts';
import { translator, isLocale, DEFAULT_LOCALE } from '../i18n/index.ts';
import type { Types } from 'mongoose';
import { systemContext, type Context } from '../context.ts';
import { caseAudit, settleCaseAudits, withPendingAudits } from '../cases/pending-audit.ts';
import { hrOfficeToTell } from '../institutes/hr-staff.ts';
import { isSupportOverdue, reasonsOverdue, reasonsOverdueCondition, type TrackState } from './service.ts';
import { trackTargetWithheld } from './rules.ts';

export interface EscalationResult {
  escalated: number;
  emails: number;
}

/** The key of one deadline of one procedure: a new deadline is a new escalation. */
export function escalationKey(which: 'due' | 'reasons', at: Date): string {
  return `${which}:${at.toISOString()}`;
}

/** Cases escalated per run at most: a backlog (an import, a long outage) is spread over runs. */
const MAX_CASES_PER_RUN = 500;

/**
 * Runs once: every overdue procedure not yet escalated for its current deadline. Reads every
 * matching case (a lean cursor) and skips those already escalated: reading only the first 500
 * matches, as before, stopped escalating anything once 500 overdue cases had been escalated.
 */
export async function runEscalations(app: AppContext, opts: { now?: Date; caseIds?: unknown[]; maxCases?: number } = {}): Promise<EscalationResult> {
  const now = opts.now ?? app.now();
  const ctx = systemContext({ now });
  const filter: Record<string, unknown> = {
    stage: { $in: SUPPORT_STAGES },
    $or: [
      { supportTracks: { $elemMatch: { status: { $in: ACTIVE_SUPPORT_STATUSES }, dueAt: { $lt: now } } } },
      reasonsOverdueCondition(now),
    ],
  };
  if (opts.caseIds) filter._id = { $in: opts.caseIds };
  const result: EscalationResult = { escalated: 0, emails: 0 };
  const maxCases = opts.maxCases ?? MAX_CASES_PER_RUN;
  const cursor = Case.find(filter, { reference: 1, institute: 1, assignee: 1, applicant: 1, profile: 1, stage: 1, stageDueAt: 1, supportTracks: 1, overdueProcedures: 1, version: 1 })
    .lean()
    .cursor({ batchSize: 200 });
  try {
    let calendar: WorkingCalendar | undefined;
    // Read once per institute and run, not once per case.
    const staff = new Map<string, Promise<HrOffice>>();
    const staffOf = (institute: Types.ObjectId | null | undefined) => {
      const k = String(institute);
      let p = staff.get(k);
      if (!p) staff.set(k, (p = hrOfficeToTell(institute)));
      return p;
    };
    let handled = 0;
    for await (const c of cursor) {
      if (handled >= maxCases) break;
      calendar ??= await loadCalendar();
      if (await escalateCase(app, ctx, c, now, calendar, staffOf, result)) handled++;
    }
  } finally {
    await cursor.close();
  }
  return result;
}

type EscalationCase = { _id: Types.ObjectId; reference: string; stage: string; stageDueAt?: Date | null; institute?: Types.ObjectId | null; assignee?: Types.ObjectId | null; profile?: { fullName?: string | null; nationality?: string | null; overseasVietnamese?: boolean | null } | null; supportTracks?: unknown[] | null; overdueProcedures?: unknown[] | null; version: number };

type Recipient = { _id: unknown; email: string; name: string; locale?: string | null; toAdmins?: boolean };
type HrOffice = Awaited<ReturnType<typeof hrOfficeToTell>>;


/** Escalates one case's procedures not yet escalated; true when it wrote something. */
async function escalateCase(app: AppContext, ctx: Context, c: EscalationCase, now: Date, calendar: WorkingCalendar, staffOf: (institute: Types.ObjectId | null | undefined) => Promise<HrOffice>, result: EscalationResult): Promise<boolean> {
  const base = app.config.appUrl;
  // Lean documents: the tracks are plain objects, written back whole below.
  const tracks = (c.supportTracks ?? []) as TrackState[];
  const due: Array<{ track: TrackState; which: 'due' | 'reasons'; at: Date }> = [];
  for (const tr of tracks) {
    // A naturalisation's target stored before it was withheld (rules.ts filingTargetWithheld) is no date to chase.
    const withheld = trackTargetWithheld(tr, c);
    if (!withheld && isSupportOverdue(tr, now) && tr.dueAt && !(tr.escalations ?? []).includes(escalationKey('due', tr.dueAt))) due.push({ track: tr, which: 'due', at: tr.dueAt });
    if (reasonsOverdue(tr, now) && tr.reasonsDueAt && !(tr.escalations ?? []).includes(escalationKey('reasons', tr.reasonsDueAt))) due.push({ track: tr, which: 'reasons', at: tr.reasonsDueAt });
  }
  if (due.length === 0) return false;

  const [assignee, office] = await Promise.all([
    // Only while still an enabled HR officer of the case's institute (server/institutes/hr-staff.ts officersToTell).
    c.assignee && c.institute ? User.findOne({ _id: c.assignee, role: 'hr_officer', institute: c.institute, disabledAt: null }, { email: 1, name: 1, locale: 1 }).lean() : Promise.resolve(null),
    staffOf(c.institute),
  ]);
  const recipients = new Map<string, Recipient>();
  // Administrators told for want of an HR lead are told why (as for an applicant's message).
  const others: Recipient[] = office.officers.map((o) => (office.route === 'admins' ? { ...o, toAdmins: true } : o));
  for (const u of [assignee, ...others]) if (u?.email && !recipients.has(u.email)) recipients.set(u.email, u);
  if (recipients.size === 0) app.logger.warn({ case: String(c._id) }, 'procedures: overdue procedure but nobody to tell');

  const outbox: OutboxItem[] = [];
  const history = [];
  for (const d of due) {
    const kind = d.track.kind as SupportKind;
    const late = Math.max(1, calendar.workingDaysBetween(d.at, now));
    for (const u of recipients.values()) {
      const locale = isLocale(u.locale) ? u.locale : DEFAULT_LOCALE;
      const data = {
        name: u.name,
        reference: c.reference,
        applicantName: c.profile?.fullName ?? '',
        kind,
        kindLabel: translator(locale)(`procedures.kinds.${kind}`),
        reasons: d.which === 'reasons',
        dueAt: d.at,
        workingDaysLate: late,
        office: d.track.office ?? '',
        assigneeName: assignee?.name ?? translator(locale)('cases.queue.unassigned'),
        link: `${base}/cases/${String(c._id)}#support`,
        ...(u.toAdmins ? { toAdmins: true } : {}),
      };
      outbox.push(caseEmail(u, 'procedure_escalation', data, outboxKey(String(c._id), 'proc-esc', kind, d.which, d.at.getTime(), String(u._id)), now));
    }
    d.track.escalations = [...(d.track.escalations ?? []), escalationKey(d.which, d.at)];
    history.push({ at: now, actorRole: 'system', action: 'procedure_escalated', procedure: { kind, from: d.track.status, to: d.track.status, escalated: d.which, applicantVisible: false } });
  }
  const flagged = [...new Set([...((c.overdueProcedures ?? []) as string[]), ...due.map((d) => d.track.kind)])];
  // The audit event goes into the same update (server/cases/pending-audit.ts).
  const audit = caseAudit(ctx, { action: 'case.procedure_escalated', summary: { kinds: due.map((d) => `${d.track.kind}:${d.which}`), recipients: recipients.size } });
  const res = await Case.updateOne(
    { _id: c._id, version: c.version },
    // No deadline moved: the next one is written as it was, with the tracks it comes from.
    { $set: { supportTracks: tracks, overdueProcedures: flagged, nextDueAt: nextDueAt({ stage: c.stage, stageDueAt: c.stageDueAt, supportTracks: tracks }) }, $inc: { version: 1 }, $push: { history: { $each: history }, ...(outbox.length ? { outbox: { $each: outbox } } : {}), ...withPendingAudits([audit]) } },
  );
  // A case changed meanwhile is looked at again on the next run (nothing was written).
  if (res.modifiedCount !== 1) return false;
  result.escalated += due.length;
  result.emails += outbox.length;
  await settleCaseAudits(c._id, [audit]);
  return true;
}
