// A queue filter an officer saved under a name (server/cases/saved-filters.ts): the queue's query
// string in its canonical form, listed above the queue and applied by one click. At most
// MAX_SAVED_FILTERS per user; a name is unique per user regardless of case and diacritics.
import { Schema, model, type InferSchemaType, type HydratedDocument } from 'mongoose';
import { watchWrites } from './watch-writes.ts';

export const MAX_SAVED_FILTERS = 20;
export const MAX_FILTER_NAME = 60;

const savedFilterSchema = new Schema(
  {
    user: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    name: { type: String, required: true, trim: true, maxlength: MAX_FILTER_NAME },
    /** The name normalized (models/case-search.ts normalizeSearch): "Hồ sơ" and "ho so" are one name. */
    nameKey: { type: String, required: true, maxlength: MAX_FILTER_NAME * 2 },
    /** '/cases?…' as server/cases/queue.ts queueHref writes it (never a page number). */
    query: { type: String, required: true, maxlength: 600, match: /^\/cases(\?[^\s]*)?$/ },
  },
  { timestamps: true, versionKey: false },
);

savedFilterSchema.index({ user: 1, nameKey: 1 }, { unique: true });

export type SavedFilterFields = InferSchemaType<typeof savedFilterSchema>;
export type SavedFilterDoc = HydratedDocument<SavedFilterFields>;
/** Listens to every write through SavedFilter (the queue keeps each officer's list: server/cases/saved-filters.ts). */
export const onSavedFilterWrite = watchWrites(savedFilterSchema, 'SavedFilter');
export const SavedFilter = model('SavedFilter', savedFilterSchema);
