// A change of the holiday calendar whose open deadlines are (being) counted again
// (server/cases/deadline-recount.ts). Written before the calendar changes and marked finished after
// the last case: one left unfinished (the process died, the database went away mid-way) is run
// again by the background job, which is safe because a recount only moves what the calendar as it
// now is says, against each case's version.
import { Schema, model, type InferSchemaType, type HydratedDocument } from 'mongoose';

export const RECOUNT_CHANGES = ['added', 'removed'] as const;

const deadlineRecountSchema = new Schema(
  {
    /** The calendar day changed, 'YYYY-MM-DD' in Vietnam. */
    date: { type: String, required: true, match: /^\d{4}-\d{2}-\d{2}$/ },
    change: { type: String, enum: RECOUNT_CHANGES, required: true },
    /** The holiday's name as the administrator typed it, in each language (absent on recounts owed before it was kept). */
    name: { vi: { type: String, maxlength: 200 }, en: { type: String, maxlength: 200 } },
    requestedBy: { type: Schema.Types.ObjectId, ref: 'User' },
    /** By the app's clock (not timestamps): the job compares it with the same clock. */
    createdAt: { type: Date, required: true },
    finishedAt: { type: Date },
    /** Runs started (the request's, then the job's): a recount that keeps failing stops being retried. */
    attempts: { type: Number, default: 0 },
    moved: { type: Number },
    kept: { type: Number },
    /** Cases whose applicant was owed an e-mail (queued in the case's outbox). */
    notified: { type: Number },
    /** The administrator's words on why the day changed (also in the audit log). */
    reason: { type: String, maxlength: 2000 },
    /** What moved, for the result page; bounded (MAX_RECOUNT_ITEMS), the counts stay whole. */
    items: {
      type: [
        {
          _id: false,
          caseId: { type: Schema.Types.ObjectId, ref: 'Case', required: true },
          reference: { type: String, required: true },
          applicant: { type: Schema.Types.ObjectId, ref: 'User' },
          for: { type: String, required: true },
          what: { type: String, required: true },
          askText: { type: String },
          from: { type: Date, required: true },
          to: { type: Date, required: true },
        },
      ],
      default: undefined,
    },
  },
  { versionKey: false },
);

// The job's question, "which are unfinished, oldest first", from the index alone.
deadlineRecountSchema.index({ finishedAt: 1, createdAt: 1 });

export type DeadlineRecountFields = InferSchemaType<typeof deadlineRecountSchema>;
export type DeadlineRecountDoc = HydratedDocument<DeadlineRecountFields>;
export const DeadlineRecount = model('DeadlineRecount', deadlineRecountSchema);
