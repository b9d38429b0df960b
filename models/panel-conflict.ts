// A panel member's declared conflict of interest on one case (a relative, a co-author, a former
// student...): they no longer score it, their scorecard for it is withdrawn, and the leader sees
// who declared one and why. One per member and case; declaring again keeps the first.
import { Schema, model, type InferSchemaType, type HydratedDocument } from 'mongoose';
import { pendingAuditSchema } from './pending-audit.ts';

export const CONFLICT_REASON_MIN = 10;
export const CONFLICT_REASON_MAX = 1000;

const panelConflictSchema = new Schema(
  {
    case: { type: Schema.Types.ObjectId, ref: 'Case', required: true },
    call: { type: Schema.Types.ObjectId, ref: 'Call', required: true },
    member: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    /** Internal to the panel and the leaders: never shown or sent to the applicant. */
    reason: { type: String, trim: true, required: true, maxlength: CONFLICT_REASON_MAX },
    declaredAt: { type: Date, required: true },
    /**
     * The declaration's audit event, written with the row and pulled once recorded (server/audit/
     * pending-carrier.ts): a declaration that stopped after the row (database gone, process killed)
     * is finished by the member's next submit or recorded by the repair, never lost. Never selected.
     */
    pendingAudits: { type: [pendingAuditSchema], default: undefined, select: false },
  },
  { timestamps: true, versionKey: false },
);

panelConflictSchema.index({ case: 1, member: 1 }, { unique: true });
panelConflictSchema.index({ call: 1, case: 1 });
panelConflictSchema.index({ 'pendingAudits.decidedAt': 1 }, { sparse: true });

export type PanelConflictFields = InferSchemaType<typeof panelConflictSchema>;
export type PanelConflictDoc = HydratedDocument<PanelConflictFields>;
export const PanelConflict = model('PanelConflict', panelConflictSchema);
