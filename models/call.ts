import { Schema, model, type InferSchemaType, type HydratedDocument, type Types } from 'mongoose';
import { TRACKS, DOCUMENT_TYPES, CHECKLIST_PHASES } from './constants.ts';
import { watchWrites } from './watch-writes.ts';

/** A call's code: the institute code's alphabet (models/institute.ts), longer; upper-cased before the check. */
export const CALL_CODE = /^[A-Z0-9-]{2,40}$/;

const localizedText = (required: boolean, maxlength: number) => ({
  vi: { type: String, required, trim: true, maxlength },
  en: { type: String, required, trim: true, maxlength },
});

const checklistItemSchema = new Schema(
  {
    type: { type: String, enum: DOCUMENT_TYPES, required: true },
    phase: { type: String, enum: CHECKLIST_PHASES, required: true, default: 'application' },
    required: { type: Boolean, default: true },
    /** Per-type size limit in MB; falls back to UPLOAD_MAX_MB. */
    maxMb: { type: Number, min: 1, max: 200 },
    /** Several files allowed (e.g. recommendation letters, dependants' passports). */
    multiple: { type: Boolean, default: false },
    note: localizedText(false, 500),
  },
  { _id: false },
);

const criterionSchema = new Schema(
  {
    key: { type: String, required: true, match: /^[a-z0-9_]{1,40}$/ },
    label: localizedText(true, 200),
    weight: { type: Number, required: true, min: 0, max: 100 },
  },
  { _id: false },
);

const callSchema = new Schema(
  {
    institute: { type: Schema.Types.ObjectId, ref: 'Institute', required: true, index: true },
    /**
     * Optional; unique across institutes (the index below). A new or changed code follows CALL_CODE
     * (the form says so in the user's language first); a call stored before the rule with another
     * code still saves while its code is left as it is.
     */
    code: {
      type: String,
      trim: true,
      uppercase: true,
      maxlength: 40,
      validate: {
        validator(this: unknown, v: unknown) {
          if (v === undefined || v === null || v === '') return true;
          // A document: only a code it brings or changes. An update (runValidators): the code it sets.
          const doc = this as { isNew?: boolean; isModified?: (path: string) => boolean };
          if (typeof doc?.isModified === 'function' && !doc.isNew && !doc.isModified('code')) return true;
          return typeof v === 'string' && CALL_CODE.test(v);
        },
        message: 'A call code is 2 to 40 of A–Z, 0–9 and "-"',
      },
    },
    title: localizedText(true, 300),
    description: localizedText(false, 10_000),
    track: { type: String, enum: TRACKS, required: true },
    /**
     * The research field in both languages; at least one is given (the form and the check below),
     * the other shown from it (server/support/localized.ts). A call stored before, with one string,
     * reads as that string until server/calls/bilingual-backfill.ts turns it into {vi, en}.
     */
    field: localizedText(false, 200),
    opensAt: { type: Date, required: true },
    closesAt: { type: Date, required: true },
    status: { type: String, enum: ['draft', 'open', 'closed'], default: 'draft', index: true },
    checklist: { type: [checklistItemSchema], default: [] },
    scorecard: { type: [criterionSchema], default: [] },
    /** Complete scorecards (every criterion scored) a case needs before a leader may decide on it. */
    minScorecards: { type: Number, min: 1, max: 20, default: 1 },
  },
  { timestamps: true },
);

callSchema.index({ status: 1, closesAt: 1 });
// One call per code, across institutes: the code is shown alone (the shortlists list, case
// references, exports) to leaders and external reviewers who see calls of several institutes.
// Partial: calls without a code are many. A database already holding duplicates cannot build it:
// start-up goes on (server/db/index.ts) and the calls page names them (server/admin/calls.ts).
callSchema.index({ code: 1 }, { name: 'code_unique', unique: true, partialFilterExpression: { code: { $gt: '' } } });

// A call without a field in either language (the form refuses it; this keeps code that creates calls honest).
callSchema.pre('validate', function () {
  if (!this.field?.vi && !this.field?.en) this.invalidate('field', 'A field in Vietnamese or English is required', this.field);
});

export type CallFields = InferSchemaType<typeof callSchema>;
export type CallDoc = HydratedDocument<CallFields>;
/** A call as stored, read lean. */
export type CallRecord = CallFields & { _id: Types.ObjectId };
/** Called on every write to calls through this model (lists of calls kept in memory are forgotten). */
export const onCallWrite = watchWrites(callSchema, 'Call');
export const Call = model('Call', callSchema);
