// A change of a case is audited, but the case's write (one atomic update: stage, history, outbox)
// and the audit event are two writes with no transaction between them. So each change captures its
// event(s) before the write (caseAudit, the request's who, from where and when) and pushes them on
// the case in the SAME update (`pendingAudits`, withPendingAudits); settleCaseAudits then records
// them, each under its own id, and pulls them. A process that dies, or a database that fails, in
// between leaves the events on the case, and recordPendingCaseAudits (a background job, first run
// soon after start: ./job.ts) records them as they were captured, with `recordedByRepair`, once the
// grace has passed. The rules are the documents' too: one carrier (server/audit/pending-carrier.ts).
// A case also carries the events of the deletions of its documents (a deleted record cannot carry
// its own: server/documents/pending-audit.ts), written on the case before the deletion.
import { Case } from '../../models/case.ts';
import { CaseDocument } from '../../models/document.ts';
import { pendingAudit, type AuditSource, type PendingAudit } from '../audit/index.ts';
import { PENDING_AUDIT_GRACE_MS, pendingAuditCarrier, withPendingAudits, type PendingAuditRepair } from '../audit/pending-carrier.ts';
import type { Logger } from '../logger.ts';

export { PENDING_AUDIT_GRACE_MS, withPendingAudits };

/** A case event captured now, to go into the change's own update. `at`: the time the change stamps (its history's). */
export function caseAudit(source: AuditSource, input: { action: string; at?: Date; summary?: Record<string, unknown>; targetId?: string; targetType?: 'Case' }): PendingAudit {
  return pendingAudit(source, input);
}

export const caseAudits = pendingAuditCarrier({
  model: Case,
  targetType: 'case',
  leftBehind: 'case changes left unaudited by a stopped process recorded',
  // A deletion's event is written before the deletion: left behind, it says which of the records it
  // names the stopped process had not removed yet (none, when it was killed after the deletion).
  checkLeft: async (event) => {
    const removes = (event.summary as { removes?: unknown } | undefined)?.removes;
    if (!Array.isArray(removes) || removes.length === 0) return {};
    const still = await CaseDocument.find({ _id: { $in: removes } }, { _id: 1 }).lean();
    return still.length ? { stillStored: still.map((d) => String(d._id)) } : {};
  },
});

/**
 * Records the change's events (with `more`, what was learnt only after the write), then clears them
 * from the case(s) that carry them: one case, or the cases of a bulk write that pushed the same
 * event on each. An event the repair recorded first stays as the repair recorded it.
 */
export const settleCaseAudits = (caseIds: unknown, events: readonly PendingAudit[], more?: Record<string, unknown>): Promise<void> => caseAudits.settle(caseIds, events, more);

/** Records the case events left unrecorded by a stopped process, after the grace (server/audit/pending-carrier.ts recordLeft). */
export const recordPendingCaseAudits = (opts: { now: Date; olderThanMs?: number; logger?: Logger }): Promise<PendingAuditRepair> => caseAudits.recordLeft(opts);
