// A known public holiday (server/calendar/holidays-vn.ts) the administrator said is not observed
// here: /admin/holidays stops listing it as missing. One per date; kept, not inferred from a deletion
// (deleting and re-entering a day is how a day is corrected, so a deletion alone says nothing).
import { Schema, model, type InferSchemaType } from 'mongoose';

const holidayDismissalSchema = new Schema({
  date: { type: String, required: true, unique: true, match: /^\d{4}-\d{2}-\d{2}$/ },
  dismissedBy: { type: Schema.Types.ObjectId, ref: 'User' },
  /** By the app's clock. */
  dismissedAt: { type: Date, required: true },
});

export type HolidayDismissalFields = InferSchemaType<typeof holidayDismissalSchema>;
export const HolidayDismissal = model('HolidayDismissal', holidayDismissalSchema);
