// One panel member's scorecard for one case (DESIGN.md §3). The case's ranking score is derived
// from these by server/evaluations and stored on Case.score; this is the source of truth.
import { Schema, model, type InferSchemaType, type HydratedDocument } from 'mongoose';
import { RECOMMENDATIONS } from './constants.ts';

const evaluationSchema = new Schema(
  {
    case: { type: Schema.Types.ObjectId, ref: 'Case', required: true },
    /** Copied from the case so a call's evaluations are read in one indexed query. */
    call: { type: Schema.Types.ObjectId, ref: 'Call', required: true },
    member: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    /** criterion key (Call.scorecard[].key) → 1..5; a criterion the member skipped is absent. */
    scores: { type: Map, of: { type: Number, min: 1, max: 5 }, default: {} },
    recommendation: { type: String, enum: RECOMMENDATIONS, required: true },
    comment: { type: String, trim: true, maxlength: 5000 },
    submittedAt: { type: Date, required: true },
  },
  { timestamps: true, versionKey: false },
);

evaluationSchema.index({ case: 1, member: 1 }, { unique: true });
evaluationSchema.index({ call: 1, case: 1 });
evaluationSchema.index({ member: 1, call: 1 });

export type EvaluationFields = InferSchemaType<typeof evaluationSchema>;
export type EvaluationDoc = HydratedDocument<EvaluationFields>;
export const Evaluation = model('Evaluation', evaluationSchema);
