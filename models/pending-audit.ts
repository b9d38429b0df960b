import { Schema } from 'mongoose';

/**
 * The audit event of a change, set in the same write as the change and removed once the event is
 * recorded: with no transaction, a process that dies between the two would otherwise leave the
 * change unaudited. An account carries one (an administrator's decision, server/accounts/
 * pending-audit.ts), a case and a document version a list (server/audit/pending-carrier.ts). `eventId` becomes the event's
 * _id, so it is recorded once.
 */
export const pendingAuditSchema = new Schema(
  {
    eventId: { type: Schema.Types.ObjectId, required: true },
    action: { type: String, required: true },
    actor: { type: Schema.Types.ObjectId, ref: 'User' },
    actorRole: { type: String },
    ip: { type: String },
    requestId: { type: String },
    /** The time the event records (as AuditEvent.at). */
    at: { type: Date, required: true },
    /** The decision's time by the app's clock: the repair's grace counts from it (absent on events written before it existed). */
    decidedAt: { type: Date },
    /** The event's target when it is not the document carrying it (a bulk assignment names all its cases), and its type when not the default. */
    targetId: { type: String },
    targetType: { type: String },
    summary: { type: Schema.Types.Mixed },
  },
  { _id: false },
);
