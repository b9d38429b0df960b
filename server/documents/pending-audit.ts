// A document version's write and its audit event cannot be separated: with no transaction between
// the two, the event is captured before the write (documentAudit) and written WITH it, on the
// version itself (`pendingAudits`: the upload's create, HR's check's update, a renewal's create);
// settleDocumentAudits then records it under its own id and pulls it. A process killed in between
// leaves it on the version, and the repair (recordPendingDocumentAudits, the job of
// server/cases/job.ts) records it after the grace, once: the rules are the cases' (one carrier,
// server/audit/pending-carrier.ts).
//
// A deletion cannot be carried by the record it deletes. Its events go on the case, BEFORE the
// deletion, in one update that also marks the case's "documents to check" flag due
// (`documentsToCheckDue`), and are recorded and pulled (and the mark cleared) after it: a process
// killed anywhere in between leaves the events for the case's repair (which says which of the named
// records were still stored, server/cases/pending-audit.ts) and the mark for the minute job
// (server/documents/index.ts), not an unaudited deletion or a flag stale for six hours. The other
// order (delete, then write the event) loses the event to a kill in between.
import type { Types } from 'mongoose';
import { Case } from '../../models/case.ts';
import { CaseDocument, type DocumentDoc } from '../../models/document.ts';
import { pendingAudit, type AuditSource, type PendingAudit } from '../audit/index.ts';
import { clearingOf, pendingAuditCarrier, withPendingAudits, type PendingAuditRepair } from '../audit/pending-carrier.ts';
import { caseAudits } from '../cases/pending-audit.ts';
import type { Logger } from '../logger.ts';

/**
 * A document event captured now, to go into the version's own write. Every document event names its
 * case (`summary.case`): the audit log's case filter reads it. `about`: the version the event is
 * about, when another record carries it (a deletion's event, on the case).
 */
export function documentAudit(source: AuditSource, input: { action: string; summary: Record<string, unknown> & { case: string }; about?: unknown }): PendingAudit {
  const { about, ...rest } = input;
  return pendingAudit(source, { ...rest, ...(about ? { targetType: 'document', targetId: String(about) } : {}) });
}

const documentAudits = pendingAuditCarrier({ model: CaseDocument, targetType: 'document', leftBehind: 'document changes left unaudited by a stopped process recorded' });

/** Records the version's events (with `more`, learnt after the write) and clears them from it. */
export const settleDocumentAudits = (docId: Types.ObjectId, events: readonly PendingAudit[], more?: Record<string, unknown>): Promise<void> => documentAudits.settle(docId, events, more);

/**
 * Records, before a case's document records are erased (server/privacy/erase.ts), the events they
 * still carry (a request that stopped within the grace): erasing the record must not erase the fact
 * of the change with it. Their ids keep them from being recorded twice if the repair got there first.
 */
export function recordDocumentAuditsBeforeErasure(caseId: unknown): Promise<number> {
  return documentAudits.recordBeforeErasure({ case: caseId });
}

/** Records the document events left unrecorded by a stopped process, after the grace (server/audit/pending-carrier.ts recordLeft). */
export const recordPendingDocumentAudits = (opts: { now: Date; olderThanMs?: number; logger?: Logger }): Promise<PendingAuditRepair> => documentAudits.recordLeft(opts);

/**
 * The version a create returned, without the events it was written with: the record callers pass
 * on (to pages, e-mails, answers) holds no bookkeeping, and a later save of it writes none.
 */
export function withoutPendingAudits(doc: DocumentDoc): DocumentDoc {
  doc.set('pendingAudits', undefined);
  doc.unmarkModified('pendingAudits');
  return doc;
}

/**
 * Deletes document records of one case (`remove`, which answers what it learnt: `more` for the
 * events) with their events carried on the case, as the header says. `events` name the records in
 * `summary.removes` (their ids), so a repair can tell a deletion the killed process never made.
 */
export async function deleteAudited(caseId: Types.ObjectId, events: readonly PendingAudit[], remove: () => Promise<Record<string, unknown> | undefined>): Promise<void> {
  const mark = new Date();
  await Case.updateOne({ _id: caseId }, { $push: withPendingAudits(events), $set: { documentsToCheckDue: mark } }, { timestamps: false });
  // The deletions' own recounts (models/document.ts) run within `remove`.
  const more = await remove();
  await caseAudits.record(caseId, events, more);
  const { filter, update } = clearingOf(events);
  // One write clears both; a recount that failed meanwhile moved the mark, which stays for the repair.
  const cleared = await Case.updateOne({ _id: caseId, documentsToCheckDue: mark, ...filter }, { ...update, $unset: { documentsToCheckDue: 1 } }, { timestamps: false });
  if (cleared.matchedCount === 0) await Case.updateOne({ _id: caseId, ...filter }, update, { timestamps: false });
}

/**
 * Takes back the records a request wrote and then gave up (an upload refused midway, a renewal that
 * gave way): no event, the write never stood, and its pending event goes with the record. The case
 * is marked due as for any deletion, so a stop before the deletion's recount is put right by the
 * minute job; a mark that cannot be written does not stop the undo (it is best effort, as the undo).
 */
export async function undoWithMark(caseId: Types.ObjectId, undo: () => Promise<void>): Promise<void> {
  const mark = new Date();
  const marked = await Case.updateOne({ _id: caseId }, { $set: { documentsToCheckDue: mark } }, { timestamps: false }).then(
    () => true,
    () => false,
  );
  await undo();
  if (marked) await Case.updateOne({ _id: caseId, documentsToCheckDue: mark }, { $unset: { documentsToCheckDue: 1 } }, { timestamps: false }).catch(() => undefined);
}
