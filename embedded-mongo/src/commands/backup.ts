// backupSnapshot: every collection at one moment, for a backup taken while clients keep writing
// (the app's `npm run backup`). The moment is one synchronous turn of this thread: every command
// runs on it, and stored documents are never changed in place (an update builds a new document),
// so the copied arrays of documents stay that moment however the collections change afterwards.
//   { backupSnapshot: 1 }                                  → { snapshotId, takenAt, collections: [{ db, coll, options, indexes, count }] }
//   { backupSnapshot: 1, snapshotId, db, coll, from }      → { docs, next } (next: null at the end), ~8 MB a reply
//   { backupSnapshot: 1, snapshotId, release: true }       → { ok: 1 }
// Run against `admin` only. A snapshot not read for 10 minutes is dropped (as an idle cursor is).
import { randomBytes } from 'node:crypto';
import { calculateObjectSize, deserialize } from 'bson';
import { CommandError } from '../errors.ts';
import { isPlainObject } from '../compare.ts';
import { STORAGE_DESERIALIZE_OPTIONS, isRaw } from '../storage/raw-doc.ts';
import type { Doc } from '../collection.ts';
import type { CommandContext, Handler } from './context.ts';

const IDLE_MS = 10 * 60_000;
/** Per reply: well under the 16 MB a BSON document may have, and a few ms of decoding. */
const REPLY_BYTES = 8 * 1024 * 1024;
/** Snapshots held at once per server (each pins the documents of its moment in memory). */
const MAX_HELD = 4;

interface HeldCollection {
  db: string;
  coll: string;
  docs: Array<Doc | Uint8Array>;
}

interface Held {
  collections: HeldCollection[];
  lastUsed: number;
}

const heldBy = new WeakMap<CommandContext, Map<string, Held>>();

function heldFor(ctx: CommandContext): Map<string, Held> {
  let table = heldBy.get(ctx);
  if (!table) heldBy.set(ctx, (table = new Map()));
  const cutoff = Date.now() - IDLE_MS;
  for (const [id, h] of table) if (h.lastUsed < cutoff) table.delete(id);
  return table;
}

function text(v: unknown, name: string): string {
  if (typeof v !== 'string' || v === '' || v.length > 255) throw new CommandError('BadValue', `backupSnapshot: '${name}' must be a non-empty string`);
  return v;
}

async function take(ctx: CommandContext, table: Map<string, Held>): Promise<Doc> {
  if (table.size >= MAX_HELD) throw new CommandError('BadValue', `backupSnapshot: ${MAX_HELD} snapshots are held already; release one`);
  // Collections still in the snapshot file are read off this thread first; the copy below must not
  // wait for a disk read, and reading them changes no document.
  for (const [, coll] of ctx.catalog.collections()) if (coll.unread) await coll.read();
  const collections: HeldCollection[] = [];
  const listed: Doc[] = [];
  // From here to the reply nothing awaits: this is the moment of the snapshot.
  const takenAt = new Date();
  for (const c of ctx.catalog.snapshot().collections) {
    const docs = [...c.docs] as Array<Doc | Uint8Array>;
    collections.push({ db: c.db, coll: c.coll, docs });
    listed.push({ db: c.db, coll: c.coll, options: c.options, indexes: c.indexes, count: docs.length });
  }
  const snapshotId = randomBytes(16).toString('hex');
  table.set(snapshotId, { collections, lastUsed: Date.now() });
  return { snapshotId, takenAt, collections: listed, ok: 1 };
}

function page(held: Held, db: string, coll: string, from: number): Doc {
  const c = held.collections.find((x) => x.db === db && x.coll === coll);
  if (!c) throw new CommandError('NamespaceNotFound', `backupSnapshot: no ${db}.${coll} in this snapshot`);
  const docs: Doc[] = [];
  let bytes = 0;
  let i = from;
  for (; i < c.docs.length; i++) {
    const d = c.docs[i]!;
    const doc = isRaw(d) ? (deserialize(d, STORAGE_DESERIALIZE_OPTIONS) as Doc) : d;
    const size = isRaw(d) ? d.byteLength : calculateObjectSize(doc);
    if (docs.length > 0 && bytes + size > REPLY_BYTES) break;
    bytes += size;
    docs.push(doc);
  }
  return { docs, next: i < c.docs.length ? i : null, ok: 1 };
}

export const backupCommands: Array<[string, Handler]> = [
  [
    'backupSnapshot',
    async (ctx, db, cmd) => {
      if (db !== 'admin') throw new CommandError('Unauthorized', 'backupSnapshot may only be run against the admin database');
      const table = heldFor(ctx);
      if (cmd.snapshotId === undefined) return take(ctx, table);
      const id = text(cmd.snapshotId, 'snapshotId');
      const held = table.get(id);
      if (cmd.release === true) {
        table.delete(id);
        return { ok: 1 };
      }
      if (!held) throw new CommandError('CursorNotFound', `backupSnapshot: snapshot ${id} not found (released, or idle for 10 minutes)`);
      held.lastUsed = Date.now();
      const from = typeof cmd.from === 'number' && Number.isInteger(cmd.from) && cmd.from >= 0 ? cmd.from : 0;
      if (cmd.from !== undefined && from !== cmd.from) throw new CommandError('BadValue', "backupSnapshot: 'from' must be a non-negative integer");
      if (isPlainObject(cmd.db) || isPlainObject(cmd.coll)) throw new CommandError('BadValue', "backupSnapshot: 'db' and 'coll' must be strings");
      return page(held, text(cmd.db, 'db'), text(cmd.coll, 'coll'), from);
    },
  ],
];
