// HR's decisions on documents made before they were written onto the case's history (verify.ts
// recordOnTimeline, session 39): they exist only as `document.verify` audit events, so the timelines
// staff and the applicant read are silent about "your passport was refused" and who refused it.
// Once per database (a counter marks it done), a few seconds after start (server/main.ts): each such
// event whose case has no history entry tied to it gets the entry the live path writes (same fields,
// tied to the event's id), at the event's time and by its actor, placed among the case's entries in
// time order (the history is stored in the order things happened and read in that order,
// server/cases/present.ts timeline). The case's version does not move, nor its updatedAt: a past
// decision is no change of the case, and no open form goes stale for it.
//
// Idempotent and safe if killed midway: every write is guarded in its filter on the tie's absence
// (as the live write is) and on its neighbours as read, so a rerun, a second instance or a live
// decision never adds a line twice nor out of order; a case whose history moved is read again. The
// mark is set after the last case, and only if no case was left (a database error on it, or a
// history that kept moving): the next start does those. An event that cannot be shown truthfully (fields missing, a
// type or decision not known, an offer letter, a document deleted since, a case being erased) is
// skipped and counted, never given a made-up label. Events of a case that no longer exists are never
// read: the walk goes by the cases that are stored.
import { setTimeout as sleep } from 'node:timers/promises';
import { Types } from 'mongoose';
import { Case } from '../../models/case.ts';
import { CaseDocument } from '../../models/document.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import { hasMark, setMark } from '../../models/counter.ts';
import { DOCUMENT_TYPES } from '../../models/constants.ts';
import { DOCUMENT_DECISION_EVENT } from '../cases/conflict.ts';
import { decisionLine } from './verify.ts';
import { backfillAuditCase } from '../audit/backfill-case.ts';
import { isIdText } from '../support/object-id.ts';
import { databaseFull, databaseUnreachable } from '../support/database-errors.ts';

/** The mark that the decisions' timeline backfill has run on this database. */
export const DECISION_LINES_BACKFILL = 'backfill:document-decision-lines';

/** Why an event got no line (counted, logged). */
export type SkipReason = 'malformed' | 'unknownType' | 'offerLetter' | 'unknownDecision' | 'documentGone' | 'caseErased' | 'unwritable';

export interface DecisionLinesResult {
  /** Cases that got at least one line. */
  cases: number;
  /** Lines added. */
  lines: number;
  /** Events left without a line, by why. */
  skipped: Partial<Record<SkipReason, number>>;
  /** Cases whose lines were left to the next start: a database error on them, or a history that kept changing under the writes. */
  left: { failed: number; busy: number };
  /** Whether the run's mark was set (nothing left): the next start reads nothing. */
  done: boolean;
}

const KNOWN_TYPES: ReadonlySet<string> = new Set(DOCUMENT_TYPES);
/** Who may decide on a document (server/policies/document.ts verify): an event by anyone else is not one the app wrote. */
const DECIDERS: ReadonlySet<string> = new Set(['hr_officer', 'admin']);
/** The reason's bound as the form and the history's `told` keep it (routes/documents.ts, models/case.ts). */
const MAX_REASON = 2000;

interface StoredEntry {
  _id?: unknown;
  at?: unknown;
  document?: { event?: unknown } | null;
}
/** As stored, which older or damaged data may leave as anything. */
type StoredCase = { _id: Types.ObjectId; history?: unknown };

const FIELDS = { 'history._id': 1, 'history.at': 1, 'history.document.event': 1 } as const;

interface StoredEvent {
  _id: Types.ObjectId;
  at?: unknown;
  actor?: unknown;
  actorRole?: unknown;
  targetType?: unknown;
  targetId?: unknown;
  summary?: unknown;
}

/** A line as verify.ts recordOnTimeline writes it, with the `_id` its $push would give it (known here, so the next insert can pin it). */
type Line = {
  _id: Types.ObjectId;
  at: Date;
  actor: Types.ObjectId;
  actorRole: string;
  action: typeof DOCUMENT_DECISION_EVENT;
  told?: string;
  document: { id: Types.ObjectId; type: string; version: number; decision: 'accepted' | 'rejected'; changedFrom?: 'accepted' | 'rejected'; event: Types.ObjectId };
};

const own = (o: unknown, k: string): unknown => (o && typeof o === 'object' && Object.hasOwn(o, k) ? (o as Record<string, unknown>)[k] : undefined);

/** The line an event makes, or why it makes none (before the document is looked at). Pure. */
export function lineOf(e: StoredEvent, caseId: Types.ObjectId): { line: Omit<Line, '_id'>; docId: Types.ObjectId } | { skip: SkipReason } {
  const s = e.summary;
  if (!s || typeof s !== 'object' || Array.isArray(s)) return { skip: 'malformed' };
  const type = own(s, 'type');
  const version = own(s, 'version');
  const decision = own(s, 'decision');
  const reason = own(s, 'reason');
  const changedFrom = own(s, 'changedFrom');
  const named = own(s, 'case');
  if (!(e.at instanceof Date) || Number.isNaN(e.at.getTime())) return { skip: 'malformed' };
  if (!(e.actor instanceof Types.ObjectId) || typeof e.actorRole !== 'string' || !DECIDERS.has(e.actorRole)) return { skip: 'malformed' };
  // The event is about this case's document: the id it names, of the case its summary names.
  if (!isIdText(e.targetId) || (e.targetType !== undefined && e.targetType !== 'document') || named !== String(caseId)) return { skip: 'malformed' };
  if (typeof type !== 'string' || !Number.isSafeInteger(version) || (version as number) < 1) return { skip: 'malformed' };
  if (type === 'offer_letter') return { skip: 'offerLetter' };
  if (!KNOWN_TYPES.has(type)) return { skip: 'unknownType' };
  if (decision !== 'accept' && decision !== 'reject') return { skip: 'unknownDecision' };
  if (changedFrom !== undefined && changedFrom !== 'accepted' && changedFrom !== 'rejected') return { skip: 'unknownDecision' };
  // A change turns the decision over (verify.ts refuses the same one): anything else is not a decision the app took.
  if (changedFrom !== undefined && (changedFrom === 'accepted') === (decision === 'accept')) return { skip: 'unknownDecision' };
  if (reason !== undefined && reason !== null && (typeof reason !== 'string' || reason.length > MAX_REASON)) return { skip: 'malformed' };
  // As the live path: a reason only with a rejection or a changed decision, and only a written one.
  const told = (decision === 'reject' || changedFrom !== undefined) && typeof reason === 'string' && reason.trim() ? reason : undefined;
  return {
    docId: new Types.ObjectId(e.targetId),
    line: decisionLine({ at: e.at, actor: e.actor, actorRole: e.actorRole, told, document: { id: new Types.ObjectId(e.targetId), type, version: version as number }, decision, changedFrom: changedFrom as 'accepted' | 'rejected' | undefined, eventId: e._id }),
  };
}

/** Where a line of time `at` goes: before the first entry later than it (after those of the same instant, as a live line appended then). */
export function positionOf(history: readonly StoredEntry[], at: Date): number {
  const i = history.findIndex((h) => h.at instanceof Date && h.at.getTime() > at.getTime());
  return i === -1 ? history.length : i;
}

const pin = (v: unknown) => (v === undefined ? { $exists: false } : { $eq: v });

/**
 * The filter that the entry at `k` is still the one read, or that there is none: by its id, or for
 * an entry stored without an ObjectId id (older data) by its id and time as read, whatever their type
 * ($eq: a stored value is never taken for an operator). Two entries of one instant without an id are
 * told apart by nothing, and need not be: the line's place depends on their time alone.
 */
function pinned(history: readonly StoredEntry[], k: number): Record<string, unknown> {
  const e = history[k];
  if (!e) return { [`history.${k}`]: { $exists: false } };
  if (e._id instanceof Types.ObjectId) return { [`history.${k}._id`]: e._id };
  return { [`history.${k}._id`]: pin(e._id), [`history.${k}.at`]: pin(e.at) };
}

/** A stored history's entries, one that is no object (damaged data) read as an entry of no time: the line goes past it as positionOf does. */
const entriesOf = (stored: unknown[]): StoredEntry[] => stored.map((h) => (h && typeof h === 'object' ? (h as StoredEntry) : {}));

/** What of the history the guards depend on (key order aside), to tell a history that moved from one the pins cannot name. */
const shapeOf = (history: readonly StoredEntry[]) => JSON.stringify(history.map((h) => [h._id, h.at, own(h.document, 'event')]));

/**
 * A write refused for its data, not the database's failure: a cast or validation of the line, or the
 * server's BadValue (2) for what is stored ("the field 'history' must be an array", a history stored
 * null and read as missing): that event is skipped, the walk goes on.
 */
const refusedData = (err: unknown) => {
  const e = err as { name?: unknown; code?: unknown } | undefined;
  return ['CastError', 'ValidationError', 'StrictModeError', 'ObjectParameterError'].includes(String(e?.name)) || (e?.name === 'MongoServerError' && e.code === 2);
};

type Logger = { warn: (o: object, m: string) => void };

/** What the walk did to one case. */
interface CaseOutcome {
  lines: number;
  /** This case's events given no line, by id (kept across its re-reads, so each counts once). */
  skipped: Map<string, SkipReason>;
  /** Lines left undone: the history kept moving under the writes. */
  busy: boolean;
}

/** One pass over a case as read: the lines written, and the write refused (the history moved, or the line is there) if one was. */
interface Pass {
  wrote: number;
  refused?: { event: string; basis: string };
}

/** Adds the lines of one case's untied decisions, oldest first, each at its place, until a write is refused. */
async function fillOne(c: StoredCase, out: CaseOutcome, logger?: Logger): Promise<Pass> {
  const { skipped } = out;
  // Missing: a $push makes the list. Null or anything else: a $push fails on it every time.
  const stored = c.history === undefined ? [] : c.history;
  const history = Array.isArray(stored) ? entriesOf(stored) : [];
  const tied = new Set(history.map((h) => own(h.document, 'event')).filter((id) => id instanceof Types.ObjectId).map(String));
  const events = await AuditEvent.find({ case: c._id, action: 'document.verify' }, { at: 1, actor: 1, actorRole: 1, targetType: 1, targetId: 1, summary: 1 })
    .sort({ at: 1, _id: 1 })
    .lean<StoredEvent[]>();
  const untied = events.filter((e) => !tied.has(String(e._id)) && !skipped.has(String(e._id)));
  if (untied.length === 0) return { wrote: 0 };
  // A history that is no list: nothing to place a line in.
  if (!Array.isArray(stored)) {
    for (const e of untied) skipped.set(String(e._id), 'unwritable');
    logger?.warn({ case: String(c._id), events: untied.length }, 'document decisions: the case\'s history is no list, no timeline line written');
    return { wrote: 0 };
  }
  // An erasure that started (its event is written before the case goes, server/privacy/index.ts): nothing added to what is being erased.
  if (await AuditEvent.exists({ targetType: { $in: ['Case', 'case'] }, targetId: String(c._id), action: 'privacy.case_erased' })) {
    for (const e of untied) skipped.set(String(e._id), 'caseErased');
    return { wrote: 0 };
  }
  const made = untied.map((e) => ({ e, made: lineOf(e, c._id) }));
  const docIds = made.flatMap((m) => ('docId' in m.made ? [m.made.docId] : []));
  const docs = new Map(
    (await CaseDocument.find({ _id: { $in: docIds }, case: c._id }, { type: 1, version: 1 }).lean()).map((d) => [String(d._id), d]),
  );
  let wrote = 0;
  for (const { e, made: m } of made) {
    if ('skip' in m) {
      skipped.set(String(e._id), m.skip);
      continue;
    }
    // The version decided on, still stored: a document deleted since (or another one under its id) names nothing to show.
    const doc = docs.get(String(m.docId));
    if (!doc || doc.type !== m.line.document.type || doc.version !== m.line.document.version) {
      skipped.set(String(e._id), 'documentGone');
      continue;
    }
    const line: Line = { _id: new Types.ObjectId(), ...m.line };
    const at = positionOf(history, line.at);
    const filter = { _id: c._id, 'history.document.event': { $ne: e._id }, ...(at > 0 ? pinned(history, at - 1) : {}), ...pinned(history, at) };
    let res;
    try {
      // Written past Mongoose's casting of the filter, which would turn a pin on an odd stored value
      // (a text id, a text time) into another value that matches nothing; the line cast as the model
      // casts it (a ValidationError if it cannot be). No version, no updatedAt: as the live line,
      // this changes nothing of the case a form was built on.
      const [cast] = (Case.castObject({ history: [line] }) as { history: object[] }).history;
      res = await Case.collection.updateOne(filter, { $push: { history: { $each: [cast!], $position: at } } } as never);
    } catch (err) {
      if (!refusedData(err)) throw err;
      logger?.warn({ err, case: String(c._id), event: String(e._id) }, 'document decision: its timeline line could not be written');
      skipped.set(String(e._id), 'unwritable');
      continue;
    }
    if (res.matchedCount !== 1) return { wrote, refused: { event: String(e._id), basis: shapeOf(history) } };
    // Kept as a re-read shows it (FIELDS), so that an unmoved history reads alike.
    history.splice(at, 0, { _id: line._id, at: line.at, document: { event: line.document.event } });
    wrote += 1;
    out.lines += 1; // counted as written, even if a later write of this case fails
  }
  return { wrote };
}

/** Re-reads of a case in a row that wrote nothing before its lines are left to the next start. */
const MAX_IDLE_READS = 8;
/** The wait before the n-th such re-read: a busy case (an officer's edits, another instance) is given time. */
const backoffMs = (n: number) => Math.min(10 * 2 ** (n - 1), 500);

/**
 * One case until its lines are written or tied: a refused write is followed by a re-read and the
 * next pass (the lines written so far are tied, so not again). A write refused twice on a history
 * that did not move is one its pins cannot name (damaged data): that event is skipped, not retried at
 * every start. A history that keeps moving is left after MAX_IDLE_READS passes that wrote nothing.
 */
async function fillCase(id: Types.ObjectId, out: CaseOutcome, logger?: Logger): Promise<void> {
  const unmoved = new Map<string, number>();
  let last: Pass['refused'];
  for (let idle = 0; ; ) {
    const c = await Case.findOne({ _id: id }, FIELDS).lean<StoredCase>();
    if (!c) return; // erased meanwhile: its events are not shown anywhere
    if (last && Array.isArray(c.history) && shapeOf(entriesOf(c.history)) === last.basis) {
      const n = (unmoved.get(last.event) ?? 0) + 1;
      unmoved.set(last.event, n);
      if (n >= 2) {
        logger?.warn({ case: String(id), event: last.event }, 'document decision: its timeline line could not be placed in the stored history');
        out.skipped.set(last.event, 'unwritable');
        idle = 0;
      }
    }
    const pass = await fillOne(c, out, logger);
    if (!pass.refused) return;
    last = pass.refused;
    idle = pass.wrote ? 0 : idle + 1;
    if (idle >= MAX_IDLE_READS) {
      logger?.warn({ case: String(id), reads: idle }, 'document decisions: the case\'s history kept changing, its timeline lines are left to the next start');
      out.busy = true;
      return;
    }
    await sleep(backoffMs(idle || 1));
  }
}

/** Cases failing in a row (not for the database being down: that stops at once) before the run stops. */
const MAX_FAILED_IN_A_ROW = 5;

/**
 * Writes the missing lines (see the file comment), once per database: later starts find the mark and
 * read nothing. The audit events are read by their case (the audit log's index), so the events
 * recorded before they carried it are stamped first (server/audit/backfill-case.ts: a no-op once done).
 *
 * A case that fails (a refused write, a timeout) is logged and counted and the walk goes on; a
 * database that is down or full stops the run (it throws), as do MAX_FAILED_IN_A_ROW failures in a
 * row: no walk of every case against a database that answers none. The mark is set only when no
 * case was left (failed, or busy), so the next start does what is left.
 */
export async function backfillDecisionLines(opts: { batchSize?: number; logger?: Logger } = {}): Promise<DecisionLinesResult> {
  if (await hasMark(DECISION_LINES_BACKFILL)) return { cases: 0, lines: 0, skipped: {}, left: { failed: 0, busy: 0 }, done: true };
  await backfillAuditCase();
  const result: DecisionLinesResult = { cases: 0, lines: 0, skipped: {}, left: { failed: 0, busy: 0 }, done: false };
  // Only the cases some decision names (the audit log's action index), not every case: at 100,000
  // cases and no decision the walk was 100,000 reads of the audit log while the app served.
  const decided = (await AuditEvent.distinct('case', { action: 'document.verify' }))
    .filter((id): id is Types.ObjectId => id instanceof Types.ObjectId)
    .sort((x, y) => (x.toHexString() < y.toHexString() ? -1 : 1));
  // Anything but a positive whole number (NaN would end the loop at once and set the mark) reads 500.
  const batch = Number.isSafeInteger(opts.batchSize) && opts.batchSize! > 0 ? opts.batchSize! : 500;
  let failedInARow = 0;
  const failed = (err: unknown, cases: number, at: string) => {
    if (databaseUnreachable(err) || databaseFull(err)) throw err;
    result.left.failed += cases;
    failedInARow += 1;
    opts.logger?.warn({ err, case: at, cases }, 'document decisions\' timeline lines: a case failed, left to the next start');
    if (failedInARow >= MAX_FAILED_IN_A_ROW) throw new Error(`document decisions' timeline lines: ${failedInARow} cases failed in a row, stopped`, { cause: err });
  };
  // The decided ids a batch at a time ($in of a few hundred, not of every case); which of them are
  // still stored read first (by id only), each case's history then read on its own, one at a time.
  for (let i = 0; i < decided.length; i += batch) {
    const ids = decided.slice(i, i + batch);
    let cases: { _id: Types.ObjectId }[];
    try {
      cases = await Case.find({ _id: { $in: ids } }, { _id: 1 }).sort({ _id: 1 }).lean<{ _id: Types.ObjectId }[]>();
    } catch (err) {
      failed(err, ids.length, String(ids[0]));
      continue;
    }
    for (const { _id } of cases) {
      const out: CaseOutcome = { lines: 0, skipped: new Map(), busy: false };
      let error: unknown;
      try {
        await fillCase(_id, out, opts.logger);
        failedInARow = 0;
      } catch (err) {
        error = err;
      }
      // What a failed case did before it failed is counted as well (its lines are written and tied).
      if (out.lines) result.cases += 1;
      result.lines += out.lines;
      if (out.busy) result.left.busy += 1;
      for (const r of out.skipped.values()) result.skipped[r] = (result.skipped[r] ?? 0) + 1;
      if (error !== undefined) failed(error, 1, String(_id));
    }
  }
  if (result.left.failed || result.left.busy) return result;
  await setMark(DECISION_LINES_BACKFILL);
  result.done = true;
  return result;
}
