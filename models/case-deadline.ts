// A case's next deadline: the soonest of its stage's deadline, the deadlines of the procedures under
// way (work permit, visa, ...) and the written reasons still owed for a refusal. Stored as
// `nextDueAt` so the HR queue's "soonest deadline first" reads one index range
// ({ institute, nextDueAt, _id }) instead of sorting every case.
//
// A case closed, rejected or withdrawn has none: its procedures are no longer worked.
// Kept in step where the deadlines are written: the workflow's transition and the procedure update
// set it in their own atomic update (server/workflow, server/procedures); documents saved through
// the model get it on validate; any other findOneAndUpdate / updateOne / updateMany that touches
// `stage`, `stageDueAt` or `supportTracks` without setting it (a script, a test) has it worked out
// again right after. Cases
// stored before the field existed, or before a refusal's written reasons counted in it, are caught
// up at start (server/cases/deadline-backfill.ts).
import type { Query, Schema, Types } from 'mongoose';
import { ACTIVE_SUPPORT_STATUSES, TERMINAL_STAGES } from './constants.ts';

export interface DeadlineSource {
  /** A closed, rejected or withdrawn case has nothing due, whatever its procedures still say. */
  stage?: string | null;
  stageDueAt?: Date | null;
  supportTracks?: ReadonlyArray<ReasonsSource & { kind: string; dueAt?: Date | null; asks?: ReadonlyArray<{ dueAt?: Date | null; receivedAt?: Date | null; closedAt?: Date | null }> | null }> | null;
}

/** What says whether a refusal's written reasons are owed. */
export interface ReasonsSource {
  status: string;
  reasonsMissing?: boolean | null;
  reasonsDueAt?: Date | null;
  reasonsReceivedAt?: Date | null;
}

export interface NextDeadline {
  at: Date;
  /** 'stage', or the procedure's kind (work_permit, visa, ...). */
  for: string;
  /**
   * Whose move the procedure's date waits for: the authority's written reasons of a refusal or its
   * decision on a filed procedure, HR's filing (requested, preparing), the applicant's answer to an
   * ask. Absent: the stage's deadline.
   */
  what?: 'reasons' | 'decision' | 'filing' | 'answer';
}

const isDate = (v: unknown): v is Date => v instanceof Date && !Number.isNaN(v.getTime());

/**
 * A refused procedure's written reasons are owed: the authority refused without them (HR recorded
 * so), or a refusal stored with the earlier reasons date, and they are not received yet.
 */
export function reasonsOwed(t: ReasonsSource): boolean {
  return t.status === 'refused' && !t.reasonsReceivedAt && (t.reasonsMissing === true || isDate(t.reasonsDueAt));
}

/**
 * The day a refused procedure's written reasons were due, while they are owed (not yet received):
 * the decision deadline that was running when the authority refused without them
 * (server/procedures/service.ts nextTrack), the refused procedure's one deadline.
 */
export function reasonsDueOf(t: ReasonsSource): Date | undefined {
  return t.status === 'refused' && isDate(t.reasonsDueAt) && !t.reasonsReceivedAt ? t.reasonsDueAt : undefined;
}

/** The soonest deadline, or null when nothing is due. The stage wins a tie (it is what the row shows first). */
export function nextDeadline(c: DeadlineSource): NextDeadline | null {
  if (c.stage && (TERMINAL_STAGES as readonly string[]).includes(c.stage)) return null;
  let next: NextDeadline | null = isDate(c.stageDueAt) ? { at: c.stageDueAt, for: 'stage' } : null;
  for (const t of c.supportTracks ?? []) {
    // A refusal is open work until HR settles it; while its written reasons are owed, they are due.
    const reasons = reasonsDueOf(t);
    if (reasons && (!next || reasons.getTime() < next.at.getTime())) next = { at: reasons, for: t.kind, what: 'reasons' };
    if (!(ACTIVE_SUPPORT_STATUSES as readonly string[]).includes(t.status)) continue;
    // What the applicant was asked for within the procedure (server/procedures/asks.ts) is due too,
    // until HR records it received: the queue shows it, and its passing, under the procedure's name.
    const own = t.status === 'filed' ? 'decision' : 'filing';
    const dates: Array<[unknown, NonNullable<NextDeadline['what']>]> = [[t.dueAt, own], ...(t.asks ?? []).filter((a) => !a.receivedAt && !a.closedAt).map((a): [unknown, 'answer'] => [a.dueAt, 'answer'])];
    for (const [at, what] of dates) if (isDate(at) && (!next || at.getTime() < next.at.getTime())) next = { at, for: t.kind, what };
  }
  return next;
}

/** The stored field's value: the date, or null (stored, so the start-time backfill knows the case is done). */
export function nextDueAt(c: DeadlineSource): Date | null {
  return nextDeadline(c)?.at ?? null;
}

type Doc = Record<string, unknown>;
const DEADLINE_PATHS = ['stage', 'stageDueAt', 'supportTracks'] as const;

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
    doc.set('nextDueAt', nextDueAt({ stage: doc.get('stage') as string, stageDueAt: doc.get('stageDueAt') as Date | null, supportTracks: doc.get('supportTracks') as DeadlineSource['supportTracks'] }));
  });

  // A write that did not say the next deadline: the cases it matches are read again afterwards and
  // their field set (round trips more; the product's own writes never take this path, scripts and
  // tests do).
  const remember = (many: boolean) =>
    async function (this: Query<unknown, unknown> & { _nextDue?: Pending }): Promise<void> {
      if (!updateLeavesNextDueStale(this.getUpdate() as Doc | null)) return;
      const matches = many ? this.model.find(this.getFilter(), { _id: 1 }) : this.model.find(this.getFilter(), { _id: 1 }).limit(1);
      this._nextDue = { ids: ((await matches.lean()) as Array<{ _id: Types.ObjectId }>).map((d) => d._id) };
    };
  async function catchUp(this: Query<unknown, unknown> & { _nextDue?: Pending }): Promise<void> {
    const ids = this._nextDue?.ids ?? [];
    const model = this.model;
    for (let i = 0; i < ids.length; i += 1000) {
      const docs = (await model.find({ _id: { $in: ids.slice(i, i + 1000) } }, { stage: 1, stageDueAt: 1, supportTracks: 1 }).lean()) as Array<DeadlineSource & { _id: Types.ObjectId }>;
      if (docs.length) await model.bulkWrite(docs.map((d) => ({ updateOne: { filter: { _id: d._id }, update: { $set: { nextDueAt: nextDueAt(d) } } } })), { ordered: false, timestamps: false });
    }
  }
  schema.pre('findOneAndUpdate', remember(false));
  schema.pre('updateOne', { document: false, query: true }, remember(false));
  schema.pre('updateMany', { document: false, query: true }, remember(true));
  schema.post('findOneAndUpdate', catchUp);
  schema.post('updateOne', { document: false, query: true }, catchUp);
  schema.post('updateMany', { document: false, query: true }, catchUp);
}
