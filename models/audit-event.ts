import { Schema, model, type InferSchemaType } from 'mongoose';

// Append-only: the schema refuses updates and deletes so no code path can rewrite history.
const auditEventSchema = new Schema(
  {
    at: { type: Date, required: true, default: () => new Date() },
    actor: { type: Schema.Types.ObjectId, ref: 'User' },
    actorRole: { type: String },
    action: { type: String, required: true }, // e.g. 'user.sign_in', 'case.transition', 'document.download'
    targetType: { type: String },
    targetId: { type: String },
    // The case the event is about, whatever its subject (the case itself, or one of its documents):
    // what the audit log's case filter reads (server/audit/index.ts caseOfEvent sets it).
    case: { type: Schema.Types.ObjectId, ref: 'Case' },
    summary: { type: Schema.Types.Mixed }, // small before/after summary, never secrets
    ip: { type: String },
    requestId: { type: String },
  },
  { versionKey: false },
);

auditEventSchema.index({ targetType: 1, targetId: 1, at: -1, _id: -1 });
auditEventSchema.index({ actor: 1, at: -1, _id: -1 });
auditEventSchema.index({ case: 1, at: -1, _id: -1 });
auditEventSchema.index({ action: 1, at: -1, _id: -1 });
// The audit log page (server/audit/log.ts) sorts by (at, _id) newest first: each index ends so, for paging by cursor; unfiltered or by period alone:
auditEventSchema.index({ at: -1, _id: -1 });

function refuse(): never {
  throw new Error('AuditEvent is append-only');
}
for (const op of ['updateOne', 'updateMany', 'findOneAndUpdate', 'replaceOne', 'deleteOne', 'deleteMany', 'findOneAndDelete'] as const) {
  auditEventSchema.pre(op, refuse);
}

export type AuditEventFields = InferSchemaType<typeof auditEventSchema>;
export const AuditEvent = model('AuditEvent', auditEventSchema);
