// Stamps `case` on audit events written before events carried it (the audit log's case filter
// reads only that field): the case is taken from the event's own fields by the rule new events are
// written with (caseOfEvent). Once per database (a counter marks it), a few seconds after start
// (server/main.ts); scripts/backfill-audit-case.ts runs it by hand. A start killed midway finds no
// mark and goes on over what is left (each write is conditional on the field still missing).
import type { AnyBulkWriteOperation } from 'mongodb';
import { AuditEvent } from '../../models/audit-event.ts';
import { hasMark, setMark } from '../../models/counter.ts';
import { caseOfEvent } from './index.ts';

/** The mark that the backfill has run on this database. */
export const AUDIT_CASE_BACKFILL = 'backfill:audit-case';

/**
 * Through the driver's collection on purpose: the model refuses every update (append-only). This
 * adds the index key only where it is missing and changes nothing an event recorded. Running it
 * again finds nothing to do.
 */
export async function backfillAuditCase(opts: { batchSize?: number } = {}): Promise<{ stamped: number }> {
  if (await hasMark(AUDIT_CASE_BACKFILL)) return { stamped: 0 };
  const batchSize = opts.batchSize ?? 1000;
  const cursor = AuditEvent.collection.find(
    { case: { $exists: false }, $or: [{ targetType: { $in: ['case', 'Case'] } }, { 'summary.case': { $exists: true } }] },
    { projection: { targetType: 1, targetId: 1, 'summary.case': 1 } },
  );
  let ops: AnyBulkWriteOperation[] = [];
  let stamped = 0;
  const flush = async () => {
    if (!ops.length) return;
    const r = await AuditEvent.collection.bulkWrite(ops, { ordered: false });
    stamped += r.modifiedCount;
    ops = [];
  };
  for await (const e of cursor) {
    const id = caseOfEvent(e as { targetType?: string; targetId?: string; summary?: unknown });
    if (!id) continue;
    ops.push({ updateOne: { filter: { _id: e._id, case: { $exists: false } }, update: { $set: { case: id } } } });
    if (ops.length >= batchSize) await flush();
  }
  await flush();
  await setMark(AUDIT_CASE_BACKFILL);
  return { stamped };
}
