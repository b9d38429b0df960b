// A day of Vietnam's working calendar that differs from the week's rule, as a calendar date in
// Asia/Ho_Chi_Minh: a public holiday (a day off), or a Saturday or Sunday worked in exchange for a
// weekday off (the government swaps days around Tết and National Day for the public sector, where
// the authorities that decide the procedures work). Stored as 'YYYY-MM-DD' text, not a Date, so no
// time zone can shift it to the neighbouring day.
import { Schema, model, type InferSchemaType, type HydratedDocument } from 'mongoose';
import { watchWrites } from './watch-writes.ts';

export const HOLIDAY_KINDS = ['day_off', 'working_day'] as const;
export type HolidayKind = (typeof HOLIDAY_KINDS)[number];

const holidaySchema = new Schema(
  {
    date: { type: String, required: true, unique: true, match: /^\d{4}-\d{2}-\d{2}$/ },
    // Absent on rows written before make-up working days existed: a day off.
    kind: { type: String, enum: HOLIDAY_KINDS, default: 'day_off' },
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
