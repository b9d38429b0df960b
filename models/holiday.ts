// A public holiday (a day off) in Vietnam, as a calendar date in Asia/Ho_Chi_Minh. Stored as
// 'YYYY-MM-DD' text, not a Date, so no time zone can shift it to the neighbouring day.
import { Schema, model, type InferSchemaType, type HydratedDocument } from 'mongoose';
import { watchWrites } from './watch-writes.ts';

const holidaySchema = new Schema(
  {
    date: { type: String, required: true, unique: true, match: /^\d{4}-\d{2}-\d{2}$/ },
    name: {
      vi: { type: String, required: true, trim: true, maxlength: 200 },
      en: { type: String, required: true, trim: true, maxlength: 200 },
    },
  },
  { timestamps: true },
);

/** Called on every write to holidays through this model (server/calendar forgets the calendar it keeps). */
export const onHolidayWrite = watchWrites(holidaySchema, 'Holiday');

export type HolidayFields = InferSchemaType<typeof holidaySchema>;
export type HolidayDoc = HydratedDocument<HolidayFields>;
export const Holiday = model('Holiday', holidaySchema);
