// Cursors: results too large for one reply wait here for getMore, in batches of at most
// `batchSize` documents and ~16 MB; idle cursors are dropped after ten minutes.
import { Long, calculateObjectSize } from 'bson';
import { CommandError } from './errors.ts';
import { isPlainObject, toNumber } from './compare.ts';
import { asInt } from './commands/args.ts';
import type { Doc } from './collection.ts';
import type { Handler } from './commands/context.ts';

export const MAX_BSON_SIZE = 16 * 1024 * 1024;
const BATCH_BYTES = MAX_BSON_SIZE - 64 * 1024;
const IDLE_MS = 10 * 60_000;

interface CursorState {
  id: number;
  ns: string;
  docs: Doc[];
  pos: number;
  lastUsed: number;
}

export class CursorTable {
  private readonly cursors = new Map<number, CursorState>();

  /** The first batch of `docs` as a cursor reply; the rest is kept for getMore. */
  reply(ns: string, docs: Doc[], cursorOpt: unknown, singleBatch = false, limitBatch?: number): Doc {
    const batchSize = isPlainObject(cursorOpt) && cursorOpt.batchSize !== undefined ? asInt(cursorOpt.batchSize, 'batchSize', 101) : limitBatch ?? 101;
    const { batch, rest } = takeBatch(docs, 0, batchSize);
    let id = 0;
    if (!singleBatch && rest < docs.length) {
      id = this.newId();
      this.cursors.set(id, { id, ns, docs, pos: rest, lastUsed: Date.now() });
    }
    return { cursor: { firstBatch: batch, id: Long.fromNumber(id), ns }, ok: 1 };
  }

  getMore(db: string, cmd: Doc): Doc {
    const id = toNumber(cmd.getMore);
    const cursor = this.cursors.get(id);
    const ns = `${db}.${String(cmd.collection)}`;
    if (!cursor) throw new CommandError('CursorNotFound', `cursor id ${id} not found`);
    if (cursor.ns !== ns && !cursor.ns.startsWith(`${db}.$cmd`)) throw new CommandError('Unauthorized', `Requested getMore on namespace '${ns}', but cursor belongs to a different namespace ${cursor.ns}`);
    const batchSize = cmd.batchSize !== undefined ? asInt(cmd.batchSize, 'batchSize', 0) : 0;
    const { batch, rest } = takeBatch(cursor.docs, cursor.pos, batchSize > 0 ? batchSize : Infinity);
    cursor.pos = rest;
    cursor.lastUsed = Date.now();
    let outId = id;
    if (rest >= cursor.docs.length) {
      this.cursors.delete(id);
      outId = 0;
    }
    return { cursor: { nextBatch: batch, id: Long.fromNumber(outId), ns: cursor.ns }, ok: 1 };
  }

  killCursors(cmd: Doc): Doc {
    const ids = Array.isArray(cmd.cursors) ? cmd.cursors : [];
    const cursorsKilled: unknown[] = [];
    const cursorsNotFound: unknown[] = [];
    for (const raw of ids) {
      const id = toNumber(raw);
      if (this.cursors.delete(id)) cursorsKilled.push(Long.fromNumber(id));
      else cursorsNotFound.push(Long.fromNumber(id));
    }
    return { cursorsKilled, cursorsNotFound, cursorsAlive: [], cursorsUnknown: [], ok: 1 };
  }

  /** Cursors over a collection that was dropped or renamed end with it. */
  dropFor(ns: string): void {
    for (const [id, c] of this.cursors) if (c.ns === ns) this.cursors.delete(id);
  }

  sweep(now = Date.now()): void {
    const cutoff = now - IDLE_MS;
    for (const [id, c] of this.cursors) if (c.lastUsed < cutoff) this.cursors.delete(id);
  }

  private newId(): number {
    let id = 0;
    while (id === 0 || this.cursors.has(id)) id = Math.floor(Math.random() * 2 ** 52) + 1;
    return id;
  }
}

function takeBatch(docs: Doc[], from: number, count: number): { batch: Doc[]; rest: number } {
  const batch: Doc[] = [];
  let bytes = 0;
  let i = from;
  for (; i < docs.length && batch.length < count; i++) {
    const size = calculateObjectSize(docs[i]!);
    if (batch.length > 0 && bytes + size > BATCH_BYTES) break;
    bytes += size;
    batch.push(docs[i]!);
  }
  return { batch, rest: i };
}

export const cursorCommands: Array<[string, Handler]> = [
  ['getMore', (ctx, db, cmd) => {
    const reply = ctx.cursors.getMore(db, cmd);
    ctx.opCounters.getmore++;
    return reply;
  }],
  ['killCursors', (ctx, _db, cmd) => ctx.cursors.killCursors(cmd)],
];
