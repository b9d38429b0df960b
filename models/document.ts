// One uploaded file version. A re-upload of the same checklist item is a new version; earlier
// versions stay (current: false) so staff can see what was sent before. The current version of a
// renewed document is the newest accepted one (a renewal waiting for HR is not current yet).
import mongoose, { Schema, model, type InferSchemaType, type HydratedDocument, type Types } from 'mongoose';
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

export type DocumentFields = InferSchemaType<typeof documentSchema>;
export type DocumentDoc = HydratedDocument<DocumentFields>;
/** A document version as stored, read lean: what pages that only show documents work on. */
export type DocumentRecord = DocumentFields & { _id: Types.ObjectId };
const compile = () => model('Document', documentSchema);
// Reuse the compiled model if this module is evaluated twice (a loader that imports it under two
// URLs, as mocha's does for computed dynamic imports): mongoose refuses to compile a name twice.
export const CaseDocument: ReturnType<typeof compile> = (mongoose.models.Document as ReturnType<typeof compile> | undefined) ?? compile();
