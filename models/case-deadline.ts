// A case's next deadline: the soonest of its stage's deadline and the deadlines of the procedures
// under way (work permit, visa, ...). Stored as `nextDueAt` so the HR queue's "soonest deadline
// first" reads one index range ({ institute, nextDueAt, _id }) instead of sorting every case.
//
// Kept in step where the deadlines are written: the workflow's transition and the procedure update
// set it in their own atomic update (server/workflow, server/procedures); documents saved through
// the model get it on validate; any other findOneAndUpdate / updateOne that touches `stageDueAt` or
// `supportTracks` without setting it (a script, a test) has it worked out again right after. Cases
// stored before the field existed are caught up at start (server/cases/deadline-backfill.ts).
import type { Query, Schema, Types } from 'mongoose';
import { ACTIVE_SUPPORT_STATUSES } from './constants.ts';

export interface DeadlineSource {
  stageDueAt?: Date | null;
  supportTracks?: ReadonlyArray<{ kind: string; status: string; dueAt?: Date | null }> | null;
}

export interface NextDeadline {
  at: Date;
  /** 'stage', or the procedure's kind (work_permit, visa, ...). */
  for: string;
}

const isDate = (v: unknown): v is Date => v instanceof Date && !Number.isNaN(v.getTime());

/** The soonest deadline, or null when nothing is due. The stage wins a tie (it is what the row shows first). */
export function nextDeadline(c: DeadlineSource): NextDeadline | null {
  let next: NextDeadline | null = isDate(c.stageDueAt) ? { at: c.stageDueAt, for: 'stage' } : null;
  for (const t of c.supportTracks ?? []) {
    if (!(ACTIVE_SUPPORT_STATUSES as readonly string[]).includes(t.status) || !isDate(t.dueAt)) continue;
    if (!next || t.dueAt.getTime() < next.at.getTime()) next = { at: t.dueAt, for: t.kind };
  }
  return next;
}

/** The stored field's value: the date, or null (stored, so the start-time backfill knows the case is done). */
export function nextDueAt(c: DeadlineSource): Date | null {
  return nextDeadline(c)?.at ?? null;
}

type Doc = Record<string, unknown>;
const DEADLINE_PATHS = ['stageDueAt', 'supportTracks'] as const;

function isObject(v: unknown): v is Doc {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** Every path an update writes (`$set`, `$unset`, `$push`, ... and a replacement's fields). */
function writtenPaths(update: Doc): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(update)) {
    if (k.startsWith('$')) out.push(...(isObject(v) ? Object.keys(v) : []));
    else out.push(k);
  }
  return out;
}

/** Whether an update changes a deadline and leaves `nextDueAt` to be worked out. */
export function updateLeavesNextDueStale(update: Doc | null | undefined): boolean {
  if (!update || Array.isArray(update)) return false;
  const paths = writtenPaths(update);
  if (paths.includes('nextDueAt')) return false;
  return paths.some((p) => DEADLINE_PATHS.some((d) => p === d || p.startsWith(`${d}.`)));
}

interface Pending {
  ids?: Types.ObjectId[];
}

export function keepNextDeadline(schema: Schema): void {
  schema.pre('validate', function () {
    const doc = this as unknown as { isNew: boolean; isModified(p: string): boolean; get(p: string): unknown; set(p: string, v: unknown): void };
    if (!doc.isNew && !DEADLINE_PATHS.some((p) => doc.isModified(p)) && doc.get('nextDueAt') !== undefined) return;
    doc.set('nextDueAt', nextDueAt({ stageDueAt: doc.get('stageDueAt') as Date | null, supportTracks: doc.get('supportTracks') as DeadlineSource['supportTracks'] }));
  });

  // A write that did not say the next deadline: the case it matches is read again afterwards and its
  // field set (two round trips more; the product's own writes never take this path).
  async function beforeUpdate(this: Query<unknown, unknown> & { _nextDue?: Pending }): Promise<void> {
    if (!updateLeavesNextDueStale(this.getUpdate() as Doc | null)) return;
    const match = (await this.model.findOne(this.getFilter(), { _id: 1 }).lean()) as { _id: Types.ObjectId } | null;
    this._nextDue = { ids: match ? [match._id] : [] };
  }
  async function afterUpdate(this: Query<unknown, unknown> & { _nextDue?: Pending }): Promise<void> {
    const ids = this._nextDue?.ids;
    if (!ids?.length) return;
    const model = this.model;
    const docs = (await model.find({ _id: { $in: ids } }, { stageDueAt: 1, supportTracks: 1 }).lean()) as Array<DeadlineSource & { _id: Types.ObjectId }>;
    await model.bulkWrite(docs.map((d) => ({ updateOne: { filter: { _id: d._id }, update: { $set: { nextDueAt: nextDueAt(d) } } } })), { timestamps: false });
  }
  schema.pre('findOneAndUpdate', beforeUpdate);
  schema.pre('updateOne', { document: false, query: true }, beforeUpdate);
  schema.post('findOneAndUpdate', afterUpdate);
  schema.post('updateOne', { document: false, query: true }, afterUpdate);
  schema.pre('updateMany', { document: false, query: true }, function () {
    if (updateLeavesNextDueStale(this.getUpdate() as Doc | null)) {
      throw new Error('Case.updateMany cannot change stageDueAt or supportTracks without nextDueAt: write each case (models/case-deadline.ts)');
    }
  });
}
