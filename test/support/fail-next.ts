// A database failure at the driver's door, for tests of what a write left when the next one failed:
// a listener on Mongoose's 'operation-start' (emitted before a command is sent) that throws.
import mongoose from 'mongoose';

export type Op = { collectionName: string; method: string; params: unknown[] };

/** Makes the next command matching `which` fail before it is sent (once), as a database that stops answering would. */
export function failNext(which: (op: Op) => boolean): { failed: () => number; stop: () => void } {
  let failed = 0;
  const listener = (op: Op) => {
    if (failed > 0 || !which(op)) return;
    failed += 1;
    throw new Error(`drill: ${op.collectionName}.${op.method} failed`);
  };
  mongoose.connection.on('operation-start', listener);
  return { failed: () => failed, stop: () => void mongoose.connection.off('operation-start', listener) };
}

/** An audit event's insert. */
export const auditInsert = (op: Op): boolean => op.collectionName === 'auditevents' && op.method === 'insertOne';
