// Cases stored before the derived figures existed (or written around the model) get them once,
// at start, in batches; later writes keep them in step.
import { Case } from '../../models/case.ts';
import { summarizeHistory } from '../../models/case-summary.ts';

export async function backfillCaseSummaries(batchSize = 1000): Promise<number> {
  let done = 0;
  for (;;) {
    const batch = await Case.find({ reached: { $exists: false } }, { stage: 1, history: 1 }).limit(batchSize).lean();
    if (batch.length === 0) return done;
    await Case.bulkWrite(
      batch.map((c) => ({
        updateOne: { filter: { _id: c._id, reached: { $exists: false } }, update: { $set: summarizeHistory(c.history ?? [], c.stage) } },
      })),
      { ordered: false },
    );
    done += batch.length;
  }
}
