// The TTL monitor: removes documents whose indexed date is older than expireAfterSeconds.
import { toNumber } from './compare.ts';
import { idKey } from './storage/id-key.ts';
import type { Catalog } from './catalog.ts';
import type { Journal } from './journal.ts';
import type { Doc } from './collection.ts';
import type { JournalOp } from './storage/types.ts';

export async function sweepTtl(catalog: Catalog, journal: Journal, now: Date): Promise<void> {
  // Removed in memory before the commit: not begun when the commit could not be kept.
  if (!journal.hasRoom()) return;
  for (const [db, coll] of catalog.collections()) {
    for (const index of coll.indexes.values()) {
      const ttl = index.spec.expireAfterSeconds;
      if (ttl === undefined || index.fields.length !== 1) continue;
      const ops: JournalOp[] = [];
      // The index itself finds what expired (a date key at or before the cutoff; arrays expire by
      // their earliest date): no collection scan, and a partial TTL index expires only the
      // documents its filter covers, as in MongoDB.
      const cutoff = new Date(now.getTime() - toNumber(ttl) * 1000);
      const expired = new Map<string, Doc>();
      for (const doc of index.range([{ lo: new Date(-8.64e15), hi: cutoff }])) expired.set(idKey(doc._id), doc);
      for (const doc of expired.values()) {
        coll.remove(doc);
        ops.push({ op: 'delete', db, coll: coll.name, id: doc._id });
      }
      if (ops.length) await journal.commit(ops);
    }
  }
}
