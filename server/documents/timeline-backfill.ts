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
// (as the live write is), so a rerun, a second instance or a live decision never adds a line twice;
// the mark is set after the last case. An event that cannot be shown truthfully (fields missing, a
// type or decision not known, an offer letter, a document deleted since, a case being erased) is
// skipped and counted, never given a made-up label. Events of a case that no longer exists are never
// read: the walk goes by the cases that are stored.
import { Types } from 'mongoose';
import { Case } from '../../models/case.ts';
import { CaseDocument } from '../../models/document.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import { hasMark } from '../../models/counter.ts';
import { DOCUMENT_TYPES } from '../../models/constants.ts';
import { DOCUMENT_DECISION_EVENT } from '../cases/conflict.ts';
import { decisionLine } from './verify.ts';
import { backfillAuditCase } from '../audit/backfill-case.ts';
import { backfillCasesOnce, type BackfillStep } from '../procedures/tracks-backfill.ts';
import { isIdText } from '../support/object-id.ts';

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
type StoredCase = { _id: Types.ObjectId; history?: StoredEntry[] | null };

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

/** The filter that the entry at `k` is still the one read (by its id; by its time for one stored without an id), or that there is none. */
function pinned(history: readonly StoredEntry[], k: number): Record<string, unknown> {
  const e = history[k];
  if (!e) return { [`history.${k}`]: { $exists: false } };
  if (e._id instanceof Types.ObjectId) return { [`history.${k}._id`]: e._id };
  return { [`history.${k}._id`]: { $exists: false }, [`history.${k}.at`]: e.at instanceof Date ? e.at : null };
}

/** A write refused for its data (a cast or validation), not the database's failure: that event is skipped, the walk goes on. */
const refusedData = (err: unknown) => ['CastError', 'ValidationError', 'StrictModeError', 'ObjectParameterError'].includes((err as { name?: string })?.name ?? '');

/**
 * Adds the lines of one case's untied decisions, oldest first, each at its place; 'changed' when the
 * history moved under a write (re-read by the walk: the lines written so far are tied, so not again).
 */
async function fillOne(c: StoredCase, skipped: Map<string, SkipReason>, counts: { lines: number; cases: Set<string> }, logger?: { warn: (o: object, m: string) => void }): Promise<BackfillStep> {
  const history = [...(c.history ?? [])];
  const tied = new Set(history.map((h) => h.document?.event).filter((id) => id instanceof Types.ObjectId).map(String));
  const events = await AuditEvent.find({ case: c._id, action: 'document.verify' }, { at: 1, actor: 1, actorRole: 1, targetType: 1, targetId: 1, summary: 1 })
    .sort({ at: 1, _id: 1 })
    .lean<StoredEvent[]>();
  const untied = events.filter((e) => !tied.has(String(e._id)) && !skipped.has(String(e._id)));
  if (untied.length === 0) return 'none';
  // An erasure that started (its event is written before the case goes, server/privacy/index.ts): nothing added to what is being erased.
  if (await AuditEvent.exists({ targetType: { $in: ['Case', 'case'] }, targetId: String(c._id), action: 'privacy.case_erased' })) {
    for (const e of untied) skipped.set(String(e._id), 'caseErased');
    return 'none';
  }
  const made = untied.map((e) => ({ e, made: lineOf(e, c._id) }));
  const docIds = made.flatMap((m) => ('docId' in m.made ? [m.made.docId] : []));
  const docs = new Map(
    (await CaseDocument.find({ _id: { $in: docIds }, case: c._id }, { type: 1, version: 1 }).lean()).map((d) => [String(d._id), d]),
  );
  let written = 0;
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
      // No version, no updatedAt: as the live line, this changes nothing of the case a form was built on.
      res = await Case.updateOne(filter, { $push: { history: { $each: [line], $position: at } } }, { timestamps: false });
    } catch (err) {
      if (!refusedData(err)) throw err;
      logger?.warn({ err, case: String(c._id), event: String(e._id) }, 'document decision: its timeline line could not be written');
      skipped.set(String(e._id), 'unwritable');
      continue;
    }
    // The history moved (an entry added or taken where this one goes) or the line is there already (another run).
    if (res.matchedCount !== 1) return 'changed';
    history.splice(at, 0, line);
    written += 1;
    counts.lines += 1;
    counts.cases.add(String(c._id));
  }
  return written ? 'written' : 'none';
}

/**
 * Writes the missing lines (see the file comment), once per database: later starts find the mark and
 * read nothing. The audit events are read by their case (the audit log's index), so the events
 * recorded before they carried it are stamped first (server/audit/backfill-case.ts: a no-op once done).
 */
export async function backfillDecisionLines(opts: { batchSize?: number; logger?: { warn: (o: object, m: string) => void } } = {}): Promise<DecisionLinesResult> {
  if (await hasMark(DECISION_LINES_BACKFILL)) return { cases: 0, lines: 0, skipped: {} };
  await backfillAuditCase();
  const skipped = new Map<string, SkipReason>();
  // Counted here: a case written in part and then re-read ('changed') is a case written all the same.
  const counts = { lines: 0, cases: new Set<string>() };
  // Only the cases some decision names (the audit log's action index), not every case: at 100,000
  // cases and no decision the walk was 100,000 reads of the audit log while the app served.
  const decided = (await AuditEvent.distinct('case', { action: 'document.verify' })).filter((id) => id instanceof Types.ObjectId);
  await backfillCasesOnce<StoredCase>({
    mark: DECISION_LINES_BACKFILL,
    filter: { _id: { $in: decided } },
    fields: FIELDS,
    batchSize: opts.batchSize,
    step: (c) => fillOne(c, skipped, counts, opts.logger),
  });
  const byReason: Partial<Record<SkipReason, number>> = {};
  for (const r of skipped.values()) byReason[r] = (byReason[r] ?? 0) + 1;
  return { cases: counts.cases.size, lines: counts.lines, skipped: byReason };
}
