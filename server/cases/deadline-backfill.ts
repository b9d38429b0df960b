// Cases stored before the queue's next deadline existed (or written around the model) get it once,
// after start, in batches; later writes keep it in step (models/case-deadline.ts). A case with no
// deadline stores null, so it is not read again at the next start.
import type { Types } from 'mongoose';
import { Case } from '../../models/case.ts';
import { nextDueAt, type DeadlineSource } from '../../models/case-deadline.ts';

export async function backfillNextDeadlines(batchSize = 1000): Promise<number> {
  let done = 0;
  for (;;) {
    const batch = await Case.find({ nextDueAt: { $exists: false } }, { stage: 1, stageDueAt: 1, supportTracks: 1 }).limit(batchSize).lean<Array<DeadlineSource & { _id: Types.ObjectId }>>();
    if (batch.length === 0) return done;
    await Case.bulkWrite(
      batch.map((c) => ({ updateOne: { filter: { _id: c._id, nextDueAt: { $exists: false } }, update: { $set: { nextDueAt: nextDueAt(c) } } } })),
      { ordered: false, timestamps: false },
    );
    done += batch.length;
  }
}
