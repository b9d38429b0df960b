// One uploaded file version. A re-upload of the same checklist item is a new version; earlier
// versions stay (current: false) so staff can see what was sent before. The current version of a
// renewed document is the newest accepted one (a renewal waiting for HR is not current yet).
import mongoose, { Schema, model, type InferSchemaType, type HydratedDocument, type Query, type Types } from 'mongoose';
import { STORED_DOCUMENT_TYPES } from './constants.ts';
import { Case } from './case.ts';

const documentSchema = new Schema(
  {
    case: { type: Schema.Types.ObjectId, ref: 'Case', required: true },
    /**
     * The case's institute, copied so that the documents waiting for HR's check are read per
     * institute (the queue's "documents to check"), not across every institute. A case keeps the
     * institute it was applied to (its call's, server/applications/service.ts): nothing moves it.
     * Documents stored before the field are stamped once (server/documents/institute-backfill.ts).
     */
    institute: { type: Schema.Types.ObjectId, ref: 'Institute', required: true },
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
  },
  { timestamps: true },
);

documentSchema.index({ case: 1, type: 1, slot: 1, version: -1 }, { unique: true });
documentSchema.index({ case: 1, current: 1 });
documentSchema.index({ expiresAt: 1 }, { sparse: true });
// The documents waiting for HR's check within the user's institutes (the queue's and the home
// page's "to check", server/cases/queue.ts casesWithDocumentsToCheck).
documentSchema.index({ institute: 1, status: 1, current: 1, case: 1 });
// The start-up sweep asks which stored keys have a record (server/documents/sweep.ts).
documentSchema.index({ storageKey: 1 });

// A record created without its institute (a caller that only knew the case) takes the case's:
// one read by _id, and never a document without an institute.
documentSchema.pre('validate', async function () {
  if (this.institute || !this.case) return;
  const c = await Case.findById(this.case, { institute: 1 }).lean();
  if (c) this.institute = c.institute;
});

// Every write through the model that can change which of a case's current documents wait for HR
// (an upload, a decision, a renewal made current, a version superseded, a withdrawal, a deletion)
// marks the case before it (markDocumentsToCheckDue: a mark that cannot be written stops the
// document write, so no such write goes unmarked) and recounts the case's flag after it
// (recountDocumentsToCheck), which clears the mark. The cases a query write touches are read
// before it (a deletion leaves nothing to read after); an update that writes neither `status` nor
// `current` (a reminder's date) marks and recounts nothing. A recount that fails is logged and
// leaves its mark, which the marked cases' repair (server/documents/to-check.ts) finds within a
// minute or two. Writes through the driver's collection bypass all this: the periodic repair of
// every case covers them.
const FLAG_PATHS = ['status', 'current'];
type QueryWrite = 'updateOne' | 'updateMany' | 'findOneAndUpdate' | 'deleteOne' | 'deleteMany' | 'findOneAndDelete';
const QUERY_WRITES: QueryWrite[] = ['updateOne', 'updateMany', 'findOneAndUpdate', 'deleteOne', 'deleteMany', 'findOneAndDelete'];
type FlagQuery = Query<unknown, unknown> & { _toCheckCases?: Types.ObjectId[] };

function touchesFlag(update: Record<string, unknown> | null | undefined): boolean {
  if (!update) return true;
  return Object.entries(update).some(([k, v]) => (k.startsWith('$') ? Object.keys((v ?? {}) as object).some((p) => FLAG_PATHS.includes(p)) : FLAG_PATHS.includes(k)));
}

/** Recounts the cases after a document write; a failure is logged, never thrown (the document write stands). */
async function recountAfterWrite(ids: Iterable<Types.ObjectId>): Promise<void> {
  for (const id of ids) await recountDocumentsToCheck(id).catch((err: unknown) => recountFailed(id, err));
}

documentSchema.pre(QUERY_WRITES, { document: false, query: true }, async function (this: FlagQuery) {
  const op = (this as unknown as { op?: string }).op ?? '';
  if (!op.startsWith('delete') && !op.endsWith('Delete') && !touchesFlag(this.getUpdate() as Record<string, unknown> | null)) return;
  this._toCheckCases = (await this.model.distinct('case', this.getFilter())) as Types.ObjectId[];
  await markDocumentsToCheckDue(this._toCheckCases);
});
documentSchema.post(QUERY_WRITES, { document: false, query: true }, async function (this: FlagQuery) {
  await recountAfterWrite(this._toCheckCases ?? []);
});
// A save that sets neither `status` nor `current` (an expiry reminder's date) changes no flag.
documentSchema.pre('save', async function () {
  if (!this.isNew && !FLAG_PATHS.some((p) => this.isModified(p))) return;
  if (!this.case) return;
  this.$locals.recountToCheck = true;
  await markDocumentsToCheckDue([this.case]);
});
documentSchema.post('save', async function (doc) {
  if (!doc.$locals.recountToCheck) return;
  doc.$locals.recountToCheck = undefined;
  await recountAfterWrite([doc.case]);
});
const casesOf = (docs: unknown) => new Map((Array.isArray(docs) ? docs : [docs]).map((d: { case: Types.ObjectId }) => [String(d.case), d.case]));
documentSchema.pre('insertMany', async function (docs: unknown) {
  await markDocumentsToCheckDue([...casesOf(docs).values()]);
});
documentSchema.post('insertMany', async function (_res: unknown, docs: unknown) {
  await recountAfterWrite(casesOf(docs).values());
});

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

function recountFailed(caseId: Types.ObjectId, err: unknown): void {
  const msg = 'documents to check: recount failed; the case stays marked for the repair';
  if (flagLogger) flagLogger.error({ err, case: String(caseId) }, msg);
  else process.emitWarning(`${msg} (case ${String(caseId)}): ${err instanceof Error ? err.message : String(err)}`, { code: 'TALENT_DOCUMENTS_TO_CHECK' });
}

let recountFault: ((caseId: Types.ObjectId) => Error | undefined) | undefined;

/**
 * Tests only: `fault` may fail a recount after it has counted, before it writes (as a connection
 * lost then would), to show that the case stays marked and the repair puts it right.
 */
export function setRecountFault(fault: ((caseId: Types.ObjectId) => Error | undefined) | undefined): void {
  recountFault = fault;
}

/**
 * Marks the cases before a write to their documents: their recount is due (`documentsToCheckDue`,
 * kept at the oldest mark not yet recounted) and their ticket moves, so a recount that took its
 * ticket before this write can no longer clear the mark or write the flag. Through the driver's
 * collection: nothing a page shows changes, so the kept reads of cases stay.
 */
export async function markDocumentsToCheckDue(caseIds: Types.ObjectId[]): Promise<void> {
  if (!caseIds.length) return;
  const mark = { $inc: { documentsToCheckSeq: 1 }, $min: { documentsToCheckDue: new Date() } };
  if (caseIds.length === 1) await Case.collection.updateOne({ _id: caseIds[0] }, mark);
  else await Case.collection.updateMany({ _id: { $in: caseIds } }, mark);
}

/**
 * Sets the case's `documentsToCheck` (models/case.ts) from its documents, race-free: a ticket
 * first (the case's `documentsToCheckSeq` moved, and the case marked if it was not), then one
 * count on { case, current } stopped at the first waiting one, then the flag and the mark's
 * clearing written only if the ticket is still the newest. A recount whose ticket was overtaken
 * (by another recount, which counts later, or by a document write's mark, whose own recount
 * follows) writes nothing: two recounts crossing can no longer leave the earlier count last.
 * The flag is written through the model when it changes (the queue's kept counts are forgotten;
 * no timestamp: nobody edited the case), else only the mark is cleared. A recount, not +1/-1:
 * whatever happened before, the flag ends as the documents are.
 */
export async function recountDocumentsToCheck(caseId: Types.ObjectId): Promise<void> {
  const ticket = await Case.collection.findOneAndUpdate(
    { _id: caseId },
    { $inc: { documentsToCheckSeq: 1 }, $min: { documentsToCheckDue: new Date() } },
    { projection: { documentsToCheck: 1, documentsToCheckSeq: 1 }, returnDocument: 'after' },
  );
  if (!ticket) return; // the case is gone
  const waiting = (await CaseDocument.countDocuments({ case: caseId, current: true, status: 'pending' }).limit(1)) > 0;
  const fault = recountFault?.(caseId);
  if (fault) throw fault;
  const newest = { _id: caseId, documentsToCheckSeq: ticket.documentsToCheckSeq as number };
  const write = { $set: { documentsToCheck: waiting }, $unset: { documentsToCheckDue: 1 } };
  if (waiting !== (ticket.documentsToCheck === true)) await Case.updateOne(newest, write, { timestamps: false });
  else await Case.collection.updateOne(newest, write);
}
