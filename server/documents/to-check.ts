// The repair of the cases' "documents to check" flag (models/case.ts documentsToCheck), which every
// write through the Document model keeps (models/document.ts recountDocumentsToCheck).
// - At start, once per database (a counter marks it), for the cases stored before the flag: until the
//   mark is there, the queue reads the waiting documents as it did before (server/cases/queue.ts).
//   A start killed midway finds no mark and runs it again: each write is a recount, so a second run
//   changes nothing that was right.
// - Then every few hours, for drift: a write through the driver's collection, a recount that failed
//   after its document write, two recounts of one case crossing. A run that finds nothing wrong
//   reads ids only and writes nothing.
import type { Types } from 'mongoose';
import { Case } from '../../models/case.ts';
import { CaseDocument, recountDocumentsToCheck } from '../../models/document.ts';
import { Counter } from '../../models/counter.ts';
import { Institute } from '../../models/institute.ts';
import { backfillDocumentInstitutes, documentInstitutesStamped } from './institute-backfill.ts';

/** The mark that every case's flag has been set from its documents on this database. */
export const DOCUMENTS_TO_CHECK_BACKFILL = 'backfill:case-documents-to-check';

let flagged = false;

/** Whether the queue may read the flag (the start-time backfill has run). Once seen, kept for the process. */
export async function documentsToCheckFlagged(): Promise<boolean> {
  if (!flagged) flagged = (await Counter.exists({ _id: DOCUMENTS_TO_CHECK_BACKFILL })) !== null;
  return flagged;
}

/**
 * Puts every case's flag right, an institute at a time: the cases with a current document waiting
 * (read from { institute, status, current, case } of the documents; the documents not yet stamped
 * with their institute besides) against the cases flagged (read from { institute, documentsToCheck,
 * nextDueAt, _id }: ids only). Each case found on one side only is recounted (a write only if its
 * flag is wrong). `fixed`: the cases recounted.
 */
export async function repairDocumentsToCheck(): Promise<{ fixed: number }> {
  const waiting = { status: 'pending', current: true } as const;
  const unstamped = (await documentInstitutesStamped()) ? [] : ((await CaseDocument.distinct('case', { institute: null, ...waiting })) as Types.ObjectId[]);
  const unstampedIds = new Set(unstamped.map(String));
  const institutes = (await Institute.find({}, { _id: 1 }).lean()).map((i) => i._id);
  let fixed = 0;
  for (const institute of institutes) {
    const [toCheck, marked] = await Promise.all([
      CaseDocument.distinct('case', { institute, ...waiting }) as Promise<Types.ObjectId[]>,
      Case.find({ institute, documentsToCheck: true }, { _id: 1 }).lean<Array<{ _id: Types.ObjectId }>>(),
    ]);
    const should = new Set(toCheck.map(String));
    const is = new Set(marked.map((c) => String(c._id)));
    const wrong = [...toCheck.filter((id) => !is.has(String(id))), ...marked.map((c) => c._id).filter((id) => !should.has(String(id)) && !unstampedIds.has(String(id)))];
    for (const id of wrong) await recountDocumentsToCheck(id);
    fixed += wrong.length;
  }
  // Waiting documents not stamped yet: their cases, whatever institute.
  for (const id of unstamped) {
    await recountDocumentsToCheck(id);
    fixed += 1;
  }
  return { fixed };
}

/** Once per database: the repair, then the mark the queue waits for. */
export async function backfillDocumentsToCheck(): Promise<{ fixed: number }> {
  if (await documentsToCheckFlagged()) return { fixed: 0 };
  // The documents' institutes first: the repair reads the waiting ones per institute.
  await backfillDocumentInstitutes();
  const r = await repairDocumentsToCheck();
  await Counter.updateOne({ _id: DOCUMENTS_TO_CHECK_BACKFILL }, { $setOnInsert: { seq: 1 } }, { upsert: true });
  flagged = true;
  return r;
}
