// Stamps `institute` (their case's) on documents stored before documents carried it: the queue's
// "documents to check" reads the waiting documents per institute (server/cases/queue.ts
// casesWithDocumentsToCheck), and reads the unstamped ones besides until this has run.
// Once per database (a counter marks it), a few seconds after start (server/main.ts). A start
// killed midway finds no mark and goes on over what is left: each write is conditional on the
// field still missing, so running it again changes nothing that was stamped.
import type { AnyBulkWriteOperation } from 'mongodb';
import type { Types } from 'mongoose';
import { Case } from '../../models/case.ts';
import { CaseDocument } from '../../models/document.ts';
import { hasMark, setMark } from '../../models/counter.ts';

/** The mark that the backfill has run on this database. */
export const DOCUMENT_INSTITUTE_BACKFILL = 'backfill:document-institute';

let stamped = false;

/**
 * Whether every document carries its institute (the backfill's mark is there). Once seen, kept for
 * the process: documents are stored with their institute from then on.
 */
export async function documentInstitutesStamped(): Promise<boolean> {
  if (!stamped) stamped = await hasMark(DOCUMENT_INSTITUTE_BACKFILL);
  return stamped;
}

/**
 * Through the driver's collection: one conditional update per document, no hooks (the model's
 * would read the case again for each). A document whose case is gone is left as it is (nothing
 * lists it: every read of documents starts from a case).
 */
export async function backfillDocumentInstitutes(opts: { batchSize?: number } = {}): Promise<{ stamped: number }> {
  if (await hasMark(DOCUMENT_INSTITUTE_BACKFILL)) return { stamped: 0 };
  const batchSize = opts.batchSize ?? 1000;
  const cursor = CaseDocument.collection.find({ institute: { $exists: false } }, { projection: { case: 1 } });
  let batch: Array<{ _id: Types.ObjectId; case: Types.ObjectId }> = [];
  let stamped = 0;
  const flush = async () => {
    if (!batch.length) return;
    const ids = [...new Map(batch.map((d) => [String(d.case), d.case])).values()];
    const cases = await Case.find({ _id: { $in: ids } }, { institute: 1 }).lean<Array<{ _id: Types.ObjectId; institute: Types.ObjectId }>>();
    const instituteOf = new Map(cases.map((c) => [String(c._id), c.institute]));
    const ops: AnyBulkWriteOperation[] = [];
    for (const d of batch) {
      const institute = instituteOf.get(String(d.case));
      if (institute) ops.push({ updateOne: { filter: { _id: d._id, institute: { $exists: false } }, update: { $set: { institute } } } });
    }
    batch = [];
    if (!ops.length) return;
    const r = await CaseDocument.collection.bulkWrite(ops, { ordered: false });
    stamped += r.modifiedCount;
  };
  for await (const d of cursor) {
    batch.push(d as unknown as { _id: Types.ObjectId; case: Types.ObjectId });
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  await setMark(DOCUMENT_INSTITUTE_BACKFILL);
  return { stamped };
}
