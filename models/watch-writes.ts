// Calls listeners on every write through a model (query, document and model operations), before
// and after it: what lets a copy kept in memory (server/support/kept-reads.ts) follow the writes
// of this process at once. Writes that bypass the model (`Model.collection`, another app instance)
// are not seen: such a copy must also expire.
import type { Schema } from 'mongoose';

type QueryWrite = 'updateOne' | 'updateMany' | 'replaceOne' | 'deleteOne' | 'deleteMany' | 'findOneAndUpdate' | 'findOneAndReplace' | 'findOneAndDelete';
const QUERY_WRITES: QueryWrite[] = ['updateOne', 'updateMany', 'replaceOne', 'deleteOne', 'deleteMany', 'findOneAndUpdate', 'findOneAndReplace', 'findOneAndDelete'];

/** Registers the hooks on `schema` (before its model is compiled); returns how to listen. */
export function watchWrites(schema: Schema): (listener: () => void) => void {
  const listeners = new Set<() => void>();
  const written = () => {
    for (const listener of listeners) listener();
  };
  // Before as well as after: a read that began before the write must not be kept as current.
  schema.pre(QUERY_WRITES, written);
  schema.post(QUERY_WRITES, written);
  schema.pre('save', written);
  schema.post('save', written);
  schema.pre('deleteOne', { document: true, query: false }, written);
  schema.post('deleteOne', { document: true, query: false }, written);
  schema.pre('insertMany', written);
  schema.post('insertMany', written);
  schema.pre('bulkWrite', written);
  schema.post('bulkWrite', written);
  return (listener) => {
    listeners.add(listener);
  };
}
