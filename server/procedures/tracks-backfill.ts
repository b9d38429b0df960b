// The walk the procedures' one-time backfills share (target-backfill.ts, withheld-target-backfill.ts):
// once per database (a counter's mark, set after the last case), the open cases a filter names read
// through one cursor, each written by `step` against the version read; a case changed meanwhile (an
// officer's save) is read again, a few times. A start killed midway finds no mark and walks again:
// each step leaves a case it has done out of its filter, so nothing is written twice.
import { Case } from '../../models/case.ts';
import { hasMark, setMark } from '../../models/counter.ts';

/** What a step did to one case: written, nothing to do, or the case changed since it was read. */
export type BackfillStep = 'written' | 'none' | 'changed';

export async function backfillCasesOnce<C>(opts: {
  mark: string;
  filter: Record<string, unknown>;
  fields: Record<string, 1>;
  batchSize?: number;
  step: (c: C) => Promise<BackfillStep>;
}): Promise<number> {
  if (await hasMark(opts.mark)) return 0;
  const { filter } = opts;
  const cursor = Case.find(filter, opts.fields).lean<C[]>().cursor({ batchSize: opts.batchSize ?? 500 });
  let written = 0;
  try {
    for await (const first of cursor) {
      let c: C | null = first as C;
      for (let attempt = 0; c && attempt < 3; attempt += 1) {
        const r = await opts.step(c);
        if (r === 'written') written += 1;
        if (r !== 'changed') break;
        // $and: a filter with an _id condition of its own must not replace the case's id (it re-read another case).
        c = await Case.findOne({ $and: [{ _id: (first as { _id: unknown })._id }, filter] }, opts.fields).lean<C>();
      }
    }
  } finally {
    await cursor.close();
  }
  await setMark(opts.mark);
  return written;
}
