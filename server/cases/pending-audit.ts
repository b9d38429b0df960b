// A change of a case is audited, but the case's write (one atomic update: stage, history, outbox)
// and the audit event are two writes with no transaction between them. So each change captures its
// event(s) before the write (caseAudit, the request's who, from where and when) and pushes them on
// the case in the SAME update (`pendingAudits`, withPendingAudits); settleCaseAudits then records
// them, each under its own id, and pulls them. A process that dies, or a database that fails, in
// between leaves the events on the case, and recordPendingCaseAudits (a background job, first run
// soon after start: ./job.ts) records them as they were captured, with `recordedByRepair`, once the
// grace has passed (counted on the app's clock from the change's time on that clock, as for the
// accounts: server/accounts/pending-audit.ts). Clearing is bookkeeping: no timestamps, no version.
import { Case } from '../../models/case.ts';
import { pendingAudit, recordPendingAudit, type AuditSource, type PendingAudit } from '../audit/index.ts';
import { PENDING_AUDIT_GRACE_MS, type PendingAuditRepair } from '../accounts/pending-audit.ts';
import type { Logger } from '../logger.ts';

export { PENDING_AUDIT_GRACE_MS };

/** A case event captured now, to go into the change's own update. `at`: the time the change stamps (its history's). */
export function caseAudit(source: AuditSource, input: { action: string; at?: Date; summary?: Record<string, unknown>; targetId?: string; targetType?: 'Case' }): PendingAudit {
  return pendingAudit(source, input);
}

/** The `$push` entry that puts the events on the case with the change (merge it into the update's $push). */
export function withPendingAudits(events: readonly PendingAudit[]): { pendingAudits: { $each: PendingAudit[] } } {
  return { pendingAudits: { $each: [...events] } };
}

/** What the event is about: the case carrying it, unless the event names its own target. */
const targetOf = (event: PendingAudit, caseId: unknown) => ({ targetType: event.targetType ?? 'case', targetId: event.targetId ?? String(caseId) });

/** The events' ids, as the $pull that clears them matches them. */
const clearing = (events: readonly PendingAudit[]) => {
  const ids = events.map((e) => e.eventId);
  return { filter: { 'pendingAudits.eventId': { $in: ids } }, update: { $pull: { pendingAudits: { eventId: { $in: ids } } } } };
};

/**
 * Records the change's events (with `more`, what was learnt only after the write), then clears them
 * from the case(s) that carry them: one case, or the cases of a bulk write that pushed the same
 * event on each. An event the repair recorded first stays as the repair recorded it.
 */
export async function settleCaseAudits(caseIds: unknown, events: readonly PendingAudit[], more?: Record<string, unknown>): Promise<void> {
  if (events.length === 0) return;
  const many = Array.isArray(caseIds);
  for (const event of events) await recordPendingAudit(event, targetOf(event, caseIds), more);
  const { filter, update } = clearing(events);
  // Not a change of the case: a form built on its version (or its updatedAt) stays good.
  if (many) await Case.updateMany({ _id: { $in: caseIds }, ...filter }, update, { timestamps: false });
  else await Case.updateOne({ _id: caseIds, ...filter }, update, { timestamps: false });
}

/**
 * Records the case events left unrecorded by a process that stopped after the case's write (older
 * than `olderThanMs` on the app's clock, so a request still running finishes its own), and clears
 * them. Safe twice or on two instances at once: an event is stored under its own id, once; the
 * second recorder only clears it.
 */
export async function recordPendingCaseAudits(opts: { now: Date; olderThanMs?: number; logger?: Logger }): Promise<PendingAuditRepair> {
  const cutoff = new Date(opts.now.getTime() - (opts.olderThanMs ?? PENDING_AUDIT_GRACE_MS));
  const left = await Case.find({ 'pendingAudits.decidedAt': { $lt: cutoff } }, { pendingAudits: 1 }).lean();
  const result: PendingAuditRepair = { recorded: 0, cleared: 0 };
  for (const c of left) {
    const events = ((c.pendingAudits ?? []) as unknown as PendingAudit[]).filter((e) => (e.decidedAt ?? e.at).getTime() < cutoff.getTime());
    for (const event of events) {
      const recorded = await recordPendingAudit(event, targetOf(event, c._id), { recordedByRepair: true });
      const { filter, update } = clearing([event]);
      await Case.updateOne({ _id: c._id, ...filter }, update, { timestamps: false });
      if (recorded) result.recorded += 1;
      else result.cleared += 1;
    }
  }
  if (result.recorded) opts.logger?.warn({ ...result }, 'case changes left unaudited by a stopped process recorded');
  return result;
}
