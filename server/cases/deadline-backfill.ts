// Cases stored before the queue's next deadline existed (or written around the model) get it once,
// after start, in batches; later writes keep it in step (models/case-deadline.ts). A case with no
// deadline stores null, so it is not read again at the next start.
import type { Types } from 'mongoose';
import { Case } from '../../models/case.ts';
import { nextDueAt, type DeadlineSource } from '../../models/case-deadline.ts';
import { TERMINAL_STAGES } from '../../models/constants.ts';
import { hasMark, setMark } from '../../models/counter.ts';

/** The mark that the refusal reasons' backfill has run on this database. */
export const REFUSAL_BACKFILL = 'backfill:refusal-reasons-deadline';

export async function backfillNextDeadlines(batchSize = 1000): Promise<number> {
  let done = 0;
  for (;;) {
    const batch = await Case.find({ nextDueAt: { $exists: false } }, { stage: 1, stageDueAt: 1, supportTracks: 1 }).limit(batchSize).lean<Array<DeadlineSource & { _id: Types.ObjectId }>>();
    if (batch.length === 0) return done + (await backfillRefusalReasons(batchSize));
    await Case.bulkWrite(
      batch.map((c) => ({ updateOne: { filter: { _id: c._id, nextDueAt: { $exists: false } }, update: { $set: { nextDueAt: nextDueAt(c) } } } })),
      { ordered: false, timestamps: false },
    );
    done += batch.length;
  }
}

/**
 * A refusal's written reasons, while owed, became a deadline of the case after cases had stored
 * their next deadline without it: the open cases holding such a refusal have it worked out again,
 * written only where it differs (so a second start writes nothing) and only on the version read.
 * Few cases hold one, but finding them is a pass over the open cases (no index covers the
 * refusal): done once, then marked done (a counter named for it), so later starts skip it; a start
 * killed midway finds no mark and does it again (it writes only what differs).
 */
async function backfillRefusalReasons(batchSize: number): Promise<number> {
  if (await hasMark(REFUSAL_BACKFILL)) return 0;
  const filter = { stage: { $nin: [...TERMINAL_STAGES] }, supportTracks: { $elemMatch: { status: 'refused', reasonsDueAt: { $ne: null }, reasonsReceivedAt: null } } };
  const cursor = Case.find(filter, { stage: 1, stageDueAt: 1, supportTracks: 1, nextDueAt: 1, version: 1 })
    .lean<Array<DeadlineSource & { _id: Types.ObjectId; nextDueAt?: Date | null; version: number }>>()
    .cursor({ batchSize });
  let done = 0;
  let writes: Parameters<typeof Case.bulkWrite>[0] = [];
  const flush = async () => {
    if (writes.length) await Case.bulkWrite(writes, { ordered: false, timestamps: false });
    writes = [];
  };
  try {
    for await (const c of cursor) {
      const next = nextDueAt(c);
      if ((next?.getTime() ?? null) === (c.nextDueAt?.getTime() ?? null)) continue;
      writes.push({ updateOne: { filter: { _id: c._id, version: c.version }, update: { $set: { nextDueAt: next } } } });
      done += 1;
      if (writes.length >= batchSize) await flush();
    }
    await flush();
  } finally {
    await cursor.close();
  }
  await setMark(REFUSAL_BACKFILL);
  return done;
}
