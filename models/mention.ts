// A colleague named with `@` in an internal note of a case (server/mentions). Written just before
// the note, in the service that prepares the note's e-mails; the home page lists a mention only
// while its note exists and the colleague may still see the case, so a note that failed to save
// leaves nothing visible behind.
import mongoose, { Schema, model, type InferSchemaType } from 'mongoose';

const mentionSchema = new Schema(
  {
    /** Who was mentioned. */
    user: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    case: { type: Schema.Types.ObjectId, ref: 'Case', required: true },
    reference: { type: String, required: true, maxlength: 40 },
    /** The note's _id inside the case. */
    note: { type: Schema.Types.ObjectId, required: true },
    author: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    at: { type: Date, required: true },
    excerpt: { type: String, required: true, maxlength: 400 },
  },
  { versionKey: false },
);

mentionSchema.index({ user: 1, at: -1 });
mentionSchema.index({ note: 1, user: 1 }, { unique: true });
mentionSchema.index({ case: 1 });

export type MentionFields = InferSchemaType<typeof mentionSchema>;
const compile = () => model('Mention', mentionSchema);
export const Mention: ReturnType<typeof compile> = (mongoose.models.Mention as ReturnType<typeof compile> | undefined) ?? compile();
