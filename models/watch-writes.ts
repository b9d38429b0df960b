// Calls listeners on every write through a model (query, document and model operations), before
// and after it: what lets a copy kept in memory (server/support/kept-reads.ts) follow the writes
// of this process at once. With several web processes (server/web-workers.ts) each write is also
// announced once it is done (`announceWrites`), and a process told of another's write calls the
// same listeners (`writtenElsewhere`). Writes that bypass the model (`Model.collection`, another
// app instance on the same database) are not seen: such a copy must also expire.
import type { Schema } from 'mongoose';

type QueryWrite = 'updateOne' | 'updateMany' | 'replaceOne' | 'deleteOne' | 'deleteMany' | 'findOneAndUpdate' | 'findOneAndReplace' | 'findOneAndDelete';
const QUERY_WRITES: QueryWrite[] = ['updateOne', 'updateMany', 'replaceOne', 'deleteOne', 'deleteMany', 'findOneAndUpdate', 'findOneAndReplace', 'findOneAndDelete'];

/** Each watched model's listeners, by the name given to watchWrites (a model name). */
const watched = new Map<string, () => void>();
let announce: ((name: string) => void) | undefined;

/** Called with the watched name after each write through that model in this process (one announcer). */
export function announceWrites(announcer: ((name: string) => void) | undefined): void {
  announce = announcer;
}

/**
 * Another process wrote through model `name`: its listeners run as for a write here. A name not
 * watched (a message from a newer or older version) is ignored. Map lookup, never a property
 * read, so a hostile name (`__proto__`) finds nothing.
 */
export function writtenElsewhere(name: string): boolean {
  const written = watched.get(name);
  written?.();
  return Boolean(written);
}

/** Registers the hooks on `schema` (before its model is compiled); returns how to listen. */
export function watchWrites(schema: Schema, name: string): (listener: () => void) => void {
  if (watched.has(name)) throw new Error(`watchWrites: ${name} is watched twice`);
  const listeners = new Set<() => void>();
  const written = () => {
    for (const listener of listeners) listener();
  };
  watched.set(name, written);
  // After the write, other processes are told (their reads that began before it are then not kept).
  const writtenHere = () => {
    written();
    announce?.(name);
  };
  // Before as well as after: a read that began before the write must not be kept as current.
  schema.pre(QUERY_WRITES, written);
  schema.post(QUERY_WRITES, writtenHere);
  schema.pre('save', written);
  schema.post('save', writtenHere);
  schema.pre('deleteOne', { document: true, query: false }, written);
  schema.post('deleteOne', { document: true, query: false }, writtenHere);
  schema.pre('insertMany', written);
  schema.post('insertMany', writtenHere);
  schema.pre('bulkWrite', written);
  schema.post('bulkWrite', writtenHere);
  return (listener) => {
    listeners.add(listener);
  };
}
