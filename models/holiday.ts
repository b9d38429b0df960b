// A public holiday (a day off) in Vietnam, as a calendar date in Asia/Ho_Chi_Minh. Stored as
// 'YYYY-MM-DD' text, not a Date, so no time zone can shift it to the neighbouring day.
import { Schema, model, type InferSchemaType, type HydratedDocument } from 'mongoose';

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

/**
 * Called on every write to holidays through this model (server/calendar keeps the calendar it
 * loaded until one of these, or for a few seconds). Query, document and model writes alike.
 */
const writeListeners = new Set<() => void>();
export function onHolidayWrite(listener: () => void): void {
  writeListeners.add(listener);
}
const holidaysWritten = () => {
  for (const listener of writeListeners) listener();
};
// Before and after: a read that started before the write must not be kept as current.
const WRITES: Array<'updateOne' | 'updateMany' | 'replaceOne' | 'deleteOne' | 'deleteMany' | 'findOneAndUpdate' | 'findOneAndReplace' | 'findOneAndDelete'> = ['updateOne', 'updateMany', 'replaceOne', 'deleteOne', 'deleteMany', 'findOneAndUpdate', 'findOneAndReplace', 'findOneAndDelete'];
holidaySchema.pre(WRITES, holidaysWritten);
holidaySchema.post(WRITES, holidaysWritten);
holidaySchema.pre('save', holidaysWritten);
holidaySchema.post('save', holidaysWritten);
holidaySchema.pre('deleteOne', { document: true, query: false }, holidaysWritten);
holidaySchema.post('deleteOne', { document: true, query: false }, holidaysWritten);
holidaySchema.pre('insertMany', holidaysWritten);
holidaySchema.post('insertMany', holidaysWritten);
holidaySchema.pre('bulkWrite', holidaysWritten);
holidaySchema.post('bulkWrite', holidaysWritten);

export type HolidayFields = InferSchemaType<typeof holidaySchema>;
export type HolidayDoc = HydratedDocument<HolidayFields>;
export const Holiday = model('Holiday', holidaySchema);
