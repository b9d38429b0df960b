// One uploaded file version. A re-upload of the same checklist item is a new version; earlier
// versions stay (current: false) so staff can see what was sent before. The current version of a
// renewed document is the newest accepted one (a renewal waiting for HR is not current yet).
import mongoose, { Schema, model, type InferSchemaType, type HydratedDocument, type Query, type Types } from 'mongoose';
import { STORED_DOCUMENT_TYPES } from './constants.ts';
import { Case } from './case.ts';
import { pendingAuditSchema } from './pending-audit.ts';
import { watchWrites } from './watch-writes.ts';

const documentSchema = new Schema(
  {
    case: { type: Schema.Types.ObjectId, ref: 'Case', required: true },
    type: { type: String, enum: STORED_DOCUMENT_TYPES, required: true },
    /** Which file of a multi-file item (e.g. the 2nd recommendation letter); 0 for single items. */
    slot: { type: Number, default: 0 },
    version: { type: Number, required: true, min: 1 },
    current: { type: Boolean, required: true, default: true },
    storage: { type: String, enum: ['disk', 'gridfs'], required: true },
    /** Generated name: never derived from what the client sent. */
    storageKey: { type: String, required: true },
    /** Display text only. */
    originalName: { type: String, required: true, maxlength: 255 },
    mimeType: { type: String, required: true, enum: ['application/pdf', 'image/jpeg', 'image/png'] },
    size: { type: Number, required: true, min: 1 },
    sha256: { type: String, required: true, match: /^[a-f0-9]{64}$/ },
    uploadedBy: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    status: { type: String, enum: ['pending', 'accepted', 'rejected'], default: 'pending', required: true },
    reason: { type: String, maxlength: 2000 },
    reviewedBy: { type: Schema.Types.ObjectId, ref: 'User' },
    reviewedAt: { type: Date },
    issuedAt: { type: Date },
    expiresAt: { type: Date },
    /** When the applicant was reminded that this file is about to expire (sent once). */
    expiryReminderSentAt: { type: Date },
    /**
     * When the applicant was told this passport is not valid long enough for the residence card
     * (server/documents/reminders.ts): sent once per file, whatever later moves the card's end.
     */
    tooShortNoticeSentAt: { type: Date },
    /**
     * A renewal (new passport, new certificate) of this accepted version (server/documents/renewal.ts):
     * it is not current while HR checks it; accepted, it becomes the current version and the one it
     * renews stays in the history with its dates and who checked it.
     */
    renewalOf: { type: Schema.Types.ObjectId, ref: 'Document' },
    /**
     * An offer letter written before the case's offer names it (server/cases/offer-terms.ts), cleared
     * once the case does. A process killed in between leaves it set on a letter no offer names: the
     * orphan sweep removes it, record and file, after the grace (server/documents/sweep.ts).
     */
    offerPending: { type: Boolean },
    /**
     * A file of the applicant's answer to an information request, written before the case's answer
     * names it (server/applications/answer.ts), cleared once it does. A process killed in between
     * leaves it on a file no answer names: the start-up sweep removes it (server/documents/sweep.ts).
     */
    answerPending: { type: Boolean },
    /**
     * The audit events of this version's write (its upload, HR's check), written with it and removed
     * once recorded (server/documents/pending-audit.ts): a process that dies in between leaves them
     * for the repair. Never selected unless asked for (`+pendingAudits`): no page, presenter, export
     * or API answer reads it.
     */
    pendingAudits: { type: [pendingAuditSchema], default: undefined, select: false },
  },
  { timestamps: true },
);

documentSchema.index({ case: 1, type: 1, slot: 1, version: -1 }, { unique: true });
documentSchema.index({ case: 1, current: 1 });
documentSchema.index({ expiresAt: 1 }, { sparse: true });
// The cases with a current document waiting for HR's check, without reading the checked mass:
// what the repair of the cases' flag compares the flags with (server/documents/to-check.ts), and
// the queue until the flag's start-time backfill has run (server/cases/queue.ts).
documentSchema.index({ status: 1, current: 1, case: 1 });
// The start-up sweep asks which stored keys have a record (server/documents/sweep.ts).
documentSchema.index({ storageKey: 1 });
// The documents written since the last full repair of the flag: what the start-time recount reads
// (server/documents/to-check.ts recountChangedSinceRepair) to put right a recount a stopped process
// never made, without a journal write on the document write path.
documentSchema.index({ updatedAt: 1 });
// The events a stopped process left unrecorded: what the repair reads (usually nothing).
documentSchema.index({ 'pendingAudits.decidedAt': 1 }, { sparse: true });

// Every write through the model that can change which of a case's current documents wait for HR
// (an upload, a decision, a renewal made current, a version superseded, a withdrawal, a deletion)
// recounts the case's flag after it (recountDocumentsToCheck). The cases a query write touches are
// read before it (a deletion leaves nothing to read after); an update that writes neither `status`
// nor `current` (a reminder's date) reads nothing. A recount that fails is logged and marks its case
// (recountFailed), which the marked cases' repair (server/documents/to-check.ts) recounts within a
// minute or two; the document write stands. Writes through the driver's collection bypass this (the
// periodic repair of every case covers them); a process that ends between a document write and its
// recount leaves the write's updatedAt, which the start-time recount reads (server/documents/to-check.ts
// recountChangedSinceRepair). A deletion leaves nothing to read: the services' deletions mark the case due
// first (server/documents/pending-audit.ts), for the minute repair; the periodic repair covers the rest.
const FLAG_PATHS = ['status', 'current'];
type QueryWrite = 'updateOne' | 'updateMany' | 'findOneAndUpdate' | 'deleteOne' | 'deleteMany' | 'findOneAndDelete';
const QUERY_WRITES: QueryWrite[] = ['updateOne', 'updateMany', 'findOneAndUpdate', 'deleteOne', 'deleteMany', 'findOneAndDelete'];
type FlagQuery = Query<unknown, unknown> & { _toCheckCases?: Types.ObjectId[] };

function touchesFlag(update: Record<string, unknown> | null | undefined): boolean {
  if (!update) return true;
  return Object.entries(update).some(([k, v]) => (k.startsWith('$') ? Object.keys((v ?? {}) as object).some((p) => FLAG_PATHS.includes(p)) : FLAG_PATHS.includes(k)));
}

async function recountAfterWrite(ids: Iterable<Types.ObjectId>): Promise<void> {
  for (const id of ids) await recountDocumentsToCheck(id).catch((err: unknown) => recountFailed(id, err));
}

/**
 * The recount a write through the model makes after it, for a save that asked to make it itself
 * (`$locals.recountByCaller`): a failure is logged and marks the case, as the hook's.
 */
export function recountAfterOwnWrite(caseId: Types.ObjectId): Promise<void> {
  return recountAfterWrite([caseId]);
}

documentSchema.pre(QUERY_WRITES, { document: false, query: true }, async function (this: FlagQuery) {
  const op = (this as unknown as { op?: string }).op ?? '';
  if (!op.startsWith('delete') && !op.endsWith('Delete') && !touchesFlag(this.getUpdate() as Record<string, unknown> | null)) return;
  this._toCheckCases = (await this.model.distinct('case', this.getFilter())) as Types.ObjectId[];
});
documentSchema.post(QUERY_WRITES, { document: false, query: true }, async function (this: FlagQuery) {
  await recountAfterWrite(this._toCheckCases ?? []);
});
documentSchema.post('save', async function (doc) {
  // A caller that recounts the case itself, beside its other writes after this one (an upload:
  // server/documents/upload.ts), says so on the document; a stop before its recount is put right
  // as for any write (the updatedAt the start-time recount reads).
  if ((doc.$locals as { recountByCaller?: boolean }).recountByCaller) return;
  await recountAfterWrite([doc.case]);
});
documentSchema.post('insertMany', async function (_res: unknown, docs: Array<{ case: Types.ObjectId }>) {
  await recountAfterWrite(new Map((Array.isArray(docs) ? docs : [docs]).map((d) => [String(d.case), d.case])).values());
});

/** Writes through the model, for what the queue keeps of the documents (server/documents/index.ts documentFlags). */
export const onDocumentWrite = watchWrites(documentSchema, 'Document');

export type DocumentFields = InferSchemaType<typeof documentSchema>;
export type DocumentDoc = HydratedDocument<DocumentFields>;
/** A document version as stored, read lean: what pages that only show documents work on. */
export type DocumentRecord = DocumentFields & { _id: Types.ObjectId };
const compile = () => model('Document', documentSchema);
// Reuse the compiled model if this module is evaluated twice (a loader that imports it under two
// URLs, as mocha's does for computed dynamic imports): mongoose refuses to compile a name twice.
export const CaseDocument: ReturnType<typeof compile> = (mongoose.models.Document as ReturnType<typeof compile> | undefined) ?? compile();

/** The least a logger needs here (pino's). */
interface ErrorLogger {
  error(obj: object, msg: string): void;
}
let flagLogger: ErrorLogger | undefined;

/** Where a failed recount is logged (set at start-up by the web app and the background services). */
export function setDocumentsToCheckLogger(logger: ErrorLogger): void {
  flagLogger = logger;
}

function logFailure(obj: Record<string, unknown>, msg: string): void {
  if (flagLogger) flagLogger.error(obj, msg);
  else process.emitWarning(`${msg} (case ${String(obj.case)}): ${obj.err instanceof Error ? obj.err.message : String(obj.err)}`, { code: 'TALENT_DOCUMENTS_TO_CHECK' });
}

/** Cases whose failed recount could not even be marked (the database refused that too): retried from here. */
const unmarked = new Map<string, Types.ObjectId>();
let retrying: NodeJS.Timeout | undefined;
/** How soon this process tries again a recount that failed and could not be marked. */
export const UNMARKED_RETRY_MS = 15_000;

/**
 * A recount failed: logged, and the case marked (`documentsToCheckDue`, the time of the failure)
 * for the marked cases' repair. When the mark cannot be written either, this process keeps the
 * case and tries its recount again every UNMARKED_RETRY_MS until it, or the mark, is written.
 */
async function recountFailed(caseId: Types.ObjectId, err: unknown): Promise<void> {
  logFailure({ err, case: String(caseId) }, 'documents to check: recount failed; the case is marked for the repair');
  try {
    await Case.collection.updateOne({ _id: caseId }, { $set: { documentsToCheckDue: new Date() } });
    unmarked.delete(String(caseId));
  } catch (markErr) {
    if (!unmarked.has(String(caseId))) logFailure({ err: markErr, case: String(caseId) }, 'documents to check: the case could not be marked either; this process retries its recount');
    unmarked.set(String(caseId), caseId);
    retrying ??= setTimeout(retryUnmarked, UNMARKED_RETRY_MS).unref();
  }
}

async function retryUnmarked(): Promise<void> {
  retrying = undefined;
  for (const [key, id] of [...unmarked]) {
    try {
      await recountDocumentsToCheck(id);
      unmarked.delete(key);
    } catch (err) {
      await recountFailed(id, err);
    }
  }
}

/** The cases this process still holds for a retry (tests read it). */
export function unmarkedRecounts(): string[] {
  return [...unmarked.keys()];
}

let recountHook: ((caseId: Types.ObjectId, round: number) => void | Promise<void>) | undefined;

/**
 * Tests only: `hook` runs in each recount between its count and its write: it may throw (a
 * connection lost there) or wait for other writes to the case (two recounts crossing).
 */
export function setRecountHook(hook: ((caseId: Types.ObjectId, round: number) => void | Promise<void>) | undefined): void {
  recountHook = hook;
}

/** Rounds a recount makes while the flag keeps changing under it before it gives up (and fails). */
const MAX_ROUNDS = 5;

/**
 * Sets the case's `documentsToCheck` (models/case.ts) from its documents: one count on { case,
 * current } stopped at the first waiting one, and a write only when the flag changes (through the
 * model, so the queue's kept counts are forgotten; no timestamp: nobody edited the case). A
 * recount, not +1/-1: whatever happened before, the flag ends as the documents are.
 *
 * Race-free without a lock: a recount that wrote counts again, and again after each write, until
 * its count finds the flag as it is. Two recounts crossing (one counts, another document write and
 * its recount happen, then the first writes what it counted before) leave the first one's stale
 * write last only until its next count, which sees the later write and puts the flag back. So the
 * last write to the flag is always followed by its writer's count that agrees with it, and a
 * document write after that count is followed by its own recount: the flag ends as the documents
 * are. No extra write, no lock, no mark on the document write path (each costs a journal write to
 * disk, several times a recount's reads: bench/documents-to-check-recount.ts): the common recount
 * (nothing changes) costs what it did, a count and a write that matches nothing; one that changes
 * the flag, one count more.
 */
export async function recountDocumentsToCheck(caseId: Types.ObjectId): Promise<void> {
  let written: boolean | undefined;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const waiting = (await CaseDocument.countDocuments({ case: caseId, current: true, status: 'pending' }).limit(1)) > 0;
    // Counted after this recount's own write and agreeing with it: that write stands (a later
    // write by another recount is that recount's to check).
    if (waiting === written) return;
    await recountHook?.(caseId, round);
    const r = await Case.updateOne({ _id: caseId, documentsToCheck: waiting ? { $ne: true } : true }, { $set: { documentsToCheck: waiting } }, { timestamps: false });
    if (r.modifiedCount === 0) return;
    written = waiting;
  }
  throw new Error(`documents to check: the flag of case ${String(caseId)} changed under each of ${MAX_ROUNDS} counts`);
}
