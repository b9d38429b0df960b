// The repair of the cases' "documents to check" flag (models/case.ts documentsToCheck), which every
// write through the Document model keeps (models/document.ts recountDocumentsToCheck).
// - At start, once per database (a counter marks it), for the cases stored before the flag: until the
//   mark is there, the queue reads the waiting documents as it did before (server/cases/queue.ts).
//   A start killed midway finds no mark and runs it again: each write is a recount, so a second run
//   changes nothing that was right.
// - Every minute, the cases a failed recount marked (repairMarkedCases, models/document.ts
//   recountFailed): a database hiccup is put right within two minutes, not hours.
// - Every few hours, every case, for what bypasses the model or the marks: a write through the
//   driver's collection, a process ended between a document write and its recount. A run that
//   finds nothing wrong reads ids only and writes nothing. A run over every institute leaves the
//   time it started (FULL_REPAIR_MARK).
// - Shortly after each start (recountChangedSinceRepair), the cases whose documents were written
//   since the last full run began, read from { updatedAt }: a process killed between a document
//   write and its recount is put right when it comes back, not up to 6 hours later, at no cost to
//   the writes but an index entry.
import { Types } from 'mongoose';
import { Case } from '../../models/case.ts';
import { CaseDocument, recountDocumentsToCheck } from '../../models/document.ts';
import { Counter, hasMark, setMark } from '../../models/counter.ts';
import { Institute } from '../../models/institute.ts';

/** The mark that every case's flag has been set from its documents on this database. */
export const DOCUMENTS_TO_CHECK_BACKFILL = 'backfill:case-documents-to-check';

let flagged = false;

/** Whether the queue may read the flag (the start-time backfill has run). Once seen, kept for the process. */
export async function documentsToCheckFlagged(): Promise<boolean> {
  if (!flagged) flagged = await hasMark(DOCUMENTS_TO_CHECK_BACKFILL);
  return flagged;
}

/**
 * Puts every case's flag right: the cases with a current document waiting (read from { status,
 * current, case } of the documents: the waiting ones only) against the cases flagged (read an
 * institute at a time from { institute, documentsToCheck, nextDueAt, _id }: ids only). The
 * differences are written in batches (tens of thousands at the first start, rather than a recount
 * each); then the waiting documents are read again, and a case whose documents changed meanwhile
 * is recounted (a document write's own recount after the batch is right anyway). `fixed`: the
 * cases whose flag was written. `institutes`: only these institutes' cases (default every one).
 */
export async function repairDocumentsToCheck(opts: { institutes?: Types.ObjectId[] } = {}): Promise<{ fixed: number }> {
  const startedAt = new Date();
  const waiting = { status: 'pending', current: true } as const;
  const institutes = opts.institutes ?? (await Institute.find({}, { _id: 1 }).lean()).map((i) => i._id);
  const within = opts.institutes ? { institute: { $in: opts.institutes } } : {};
  const toCheck = async () => new Set(((await CaseDocument.distinct('case', waiting)) as Types.ObjectId[]).map(String));
  const flagged = async () => {
    const ids = new Set<string>();
    for (const institute of institutes) for (const c of await Case.find({ institute, documentsToCheck: true }, { _id: 1 }).lean<Array<{ _id: Types.ObjectId }>>()) ids.add(String(c._id));
    return ids;
  };
  const [should, is] = await Promise.all([toCheck(), flagged()]);
  let raise = [...should].filter((id) => !is.has(id));
  // Within some institutes only: the waiting documents' cases of the others are left out.
  if (opts.institutes && raise.length) raise = ((await Case.distinct('_id', { _id: { $in: raise }, ...within })) as Types.ObjectId[]).map(String);
  const lower = [...is].filter((id) => !should.has(id));
  let fixed = 0;
  for (const [ids, value] of [[raise, true], [lower, false]] as const) {
    for (let i = 0; i < ids.length; i += 1000) {
      const r = await Case.updateMany({ _id: { $in: ids.slice(i, i + 1000) }, ...within, documentsToCheck: value ? { $ne: true } : true }, { $set: { documentsToCheck: value } }, { timestamps: false });
      fixed += r.modifiedCount;
    }
  }
  // Written from a read that a document write may have crossed: those cases are counted one by one.
  const now = await toCheck();
  for (const id of [...raise.filter((id) => !now.has(id)), ...lower.filter((id) => now.has(id))]) await recountDocumentsToCheck(new Types.ObjectId(id));
  // Every case is right as of this run's start: a later start-time recount reads only what came after.
  if (!opts.institutes) await Counter.updateOne({ _id: FULL_REPAIR_MARK }, { $max: { seq: startedAt.getTime() } }, { upsert: true });
  return { fixed };
}

/** When the last repair of every case began (ms since the epoch, as the counter's seq). */
export const FULL_REPAIR_MARK = 'documents-to-check:full-repair-started';
/** Clocks of several instances differ: the start-time recount reads this much before the mark. */
export const CLOCK_MARGIN_MS = 10 * 60_000;
/** Without a mark (a database whose last full run predates it): the interval between full runs, and the margin. */
export const FULL_REPAIR_INTERVAL_MS = 6 * 3_600_000;

/**
 * Recounts the cases with a document written (created, or updated through the model: the timestamp
 * moves with any status or current change) since the last full repair began, less a margin for
 * clocks: what a process killed between a document write and its recount left stale. Run once at
 * each start; a recount is safe beside a request's own. `cases`: how many were recounted.
 */
export async function recountChangedSinceRepair(opts: { now?: Date } = {}): Promise<{ cases: number; since: Date }> {
  const now = opts.now ?? new Date();
  const mark = await Counter.findById(FULL_REPAIR_MARK).lean<{ seq: number } | null>();
  const since = new Date((mark?.seq ?? now.getTime() - FULL_REPAIR_INTERVAL_MS) - CLOCK_MARGIN_MS);
  const cases = (await CaseDocument.distinct('case', { updatedAt: { $gte: since } })) as Types.ObjectId[];
  for (const id of cases) await recountDocumentsToCheck(id);
  return { cases: cases.length, since };
}

/** Once per database: the repair, then the mark the queue waits for. */
export async function backfillDocumentsToCheck(): Promise<{ fixed: number }> {
  if (await documentsToCheckFlagged()) return { fixed: 0 };
  const r = await repairDocumentsToCheck();
  await setMark(DOCUMENTS_TO_CHECK_BACKFILL);
  flagged = true;
  return r;
}

/**
 * Recounts the cases marked by a recount that failed (read from { documentsToCheckDue }, sparse:
 * usually nothing to read), the oldest first, up to `limit` a run, and clears each mark unless a
 * newer failure moved it meanwhile. A recount is safe beside a document write's own (it counts
 * again after writing). One that fails again keeps its mark for the next run. `institutes`: only
 * these institutes' cases.
 */
export async function repairMarkedCases(opts: { limit?: number; institutes?: Types.ObjectId[] } = {}): Promise<{ recounted: number; failed: number }> {
  // Every date (from the earliest a Date holds): one range of the sparse index (the explain test checks it).
  const filter = { documentsToCheckDue: { $gte: new Date(-8.64e15) }, ...(opts.institutes ? { institute: { $in: opts.institutes } } : {}) };
  const marked = await Case.find(filter, { documentsToCheckDue: 1 }).sort({ documentsToCheckDue: 1 }).limit(opts.limit ?? 1000).lean<Array<{ _id: Types.ObjectId; documentsToCheckDue: Date }>>();
  let recounted = 0;
  let failed = 0;
  for (const { _id, documentsToCheckDue } of marked) {
    try {
      await recountDocumentsToCheck(_id);
      await Case.collection.updateOne({ _id, documentsToCheckDue }, { $unset: { documentsToCheckDue: 1 } });
      recounted += 1;
    } catch {
      failed += 1;
    }
  }
  return { recounted, failed };
}
