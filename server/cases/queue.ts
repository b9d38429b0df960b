// The HR queue: filters, sorting and pagination over the cases the user may see. One query for the
// page, one count, and one batched lookup each for assignees, calls and document flags: the cost
// of a page does not grow with its rows (no per-row queries).
import { createHash } from 'node:crypto';
import { Types } from 'mongoose';
import { z } from 'zod';
import { Case, onCaseWrite } from '../../models/case.ts';
import { Call, onCallWrite } from '../../models/call.ts';
import { Institute } from '../../models/institute.ts';
import { User, type UserDoc, type UserRecord } from '../../models/user.ts';
import { OPEN_STAGES, OPEN_SUPPORT_STATUSES, STAGES, SUPPORT_KINDS, SUPPORT_STAGES, TRACKS, inStages } from '../../models/constants.ts';
import { queryWords } from '../../models/case-search.ts';
import { nextDeadline, type NextDeadline } from '../../models/case-deadline.ts';
import { askWaitsForUpload, asksAnswered, asksOverdue } from '../procedures/asks.ts';
import { currentDocuments } from '../documents/index.ts';
import { Evaluation } from '../../models/evaluation.ts';
import { PanelConflict } from '../../models/panel-conflict.ts';
import { onPanelOf, panelSizeOf } from '../evaluations/panel.ts';
import { canScoreIt } from '../evaluations/decision.ts';
import { CaseDocument } from '../../models/document.ts';
import { caseFileScopeFilter } from '../policies/case.ts';
import { canSeeOthersScores, canEvaluateCall } from '../policies/shortlist.ts';
import { caseScopeFor } from './access.ts';
import { hrOfficers } from './people.ts';
import { KeptReads } from '../support/kept-reads.ts';
import { documentFlags } from '../documents/index.ts';
import { documentsToCheckFlagged } from '../documents/to-check.ts';
import { ACTIVE_SUPPORT, reasonsOverdue, reasonsOverdueCondition, supportOverdue } from '../procedures/service.ts';
import { isId } from '../support/object-id.js';
import { loadCalendar, vnEndOfDay, WorkingCalendar } from '../calendar/index.ts';
import { VN_HOLIDAYS } from '../calendar/holidays-vn.ts';

/** The seeded holidays' calendar: what queueFilter counts on when its caller has none loaded. */
const SEEDED_CALENDAR = WorkingCalendar.of(VN_HOLIDAYS);

export const SORTS = ['due', 'arrival', 'submitted', 'reference', 'score'] as const;
export const PAGE_SIZES = [25, 50, 100] as const;
/** Drafts are the applicant's unfinished work; staff see a case from submission on. */
export const QUEUE_STAGES = STAGES.filter((s) => s !== 'draft');
/** What the queue shows by default: open work (OPEN_STAGES), drafts excepted. */
export const OPEN_QUEUE_STAGES = QUEUE_STAGES.filter((s) => inStages(s, OPEN_STAGES));
/** Longest search text read from the query string (longer is cut, not refused). */
export const MAX_SEARCH = 100;
/**
 * "Deadline soon": the next deadline within this many working days from today (today's included),
 * on the holiday calendar as every deadline is counted (walk s34 #5: it was calendar days).
 */
export const DUE_SOON_DAYS = 7;

const objectId = z.string().refine(isId);
const optional = <T extends z.ZodTypeAny>(schema: T) =>
  z.preprocess((v) => (v === '' || v === undefined || Array.isArray(v) ? undefined : v), schema.optional().catch(undefined));

const querySchema = z.object({
  stage: optional(z.enum(QUEUE_STAGES as unknown as [string, ...string[]])),
  call: optional(objectId),
  assignee: optional(z.union([z.literal('me'), z.literal('unassigned'), objectId])),
  track: optional(z.enum(TRACKS)),
  support: optional(z.enum(SUPPORT_KINDS)),
  overdue: optional(z.enum(['1'])),
  /** Include closed, rejected and withdrawn cases (open work only by default). */
  closed: optional(z.enum(['1'])),
  /** Only cases with a support procedure past its deadline (escalated, `overdueProcedures`, or not yet). */
  procedures: optional(z.enum(['1'])),
  /** Only cases whose next deadline (the stage's or a procedure's) falls within DUE_SOON_DAYS working days. */
  soon: optional(z.enum(['1'])),
  /** Only cases whose next deadline is today (not passed yet: those are overdue). */
  today: optional(z.enum(['1'])),
  /** Only cases with an uploaded document waiting for HR's check. */
  documents: optional(z.enum(['1'])),
  /** Only cases with a support procedure refused and not settled since (the row's "Refused" badge): HR decides what next. */
  refused: optional(z.enum(['1'])),
  q: optional(z.string().transform((s) => s.slice(0, MAX_SEARCH).trim())),
  sort: optional(z.enum(SORTS)),
  size: optional(z.coerce.number().pipe(z.union([z.literal(25), z.literal(50), z.literal(100)]))),
  page: optional(z.coerce.number().int().min(1).max(100_000)),
});

export interface QueueQuery {
  stage?: string;
  call?: string;
  assignee?: string;
  track?: string;
  support?: string;
  overdue?: '1';
  closed?: '1';
  procedures?: '1';
  soon?: '1';
  today?: '1';
  documents?: '1';
  refused?: '1';
  /** The search text as typed (trimmed, at most MAX_SEARCH characters). */
  q?: string;
  sort: (typeof SORTS)[number];
  size: number;
  page: number;
}

/** Reads the queue's query string; anything unrecognised is ignored rather than refused. */
export function parseQueueQuery(q: Record<string, unknown>): QueueQuery {
  const p = querySchema.parse(q);
  return {
    stage: p.stage,
    call: p.call,
    assignee: p.assignee,
    track: p.track,
    support: p.support,
    overdue: p.overdue,
    closed: p.closed,
    procedures: p.procedures,
    soon: p.soon,
    today: p.today,
    documents: p.documents,
    refused: p.refused,
    q: p.q || undefined,
    sort: p.sort ?? 'due',
    size: p.size ?? 25,
    page: p.page ?? 1,
  };
}

/**
 * Drops the branches of a scope's `$or` that cannot match (`{ field: { $in: [] } }`, e.g. an officer
 * on no panel) and unwraps an `$or` left with one branch, so the planner sees `institute` as a plain
 * equality and can use the queue's compound indexes (an `$or` hides its fields from the embedded
 * server's planner).
 */
export function simplifyScope(filter: Record<string, unknown>): Record<string, unknown> {
  const impossible = (f: unknown): boolean => {
    if (!f || typeof f !== 'object') return false;
    for (const [k, v] of Object.entries(f as Record<string, unknown>)) {
      if (k === '$and' && Array.isArray(v) && v.some(impossible)) return true;
      if (k === '$or' && Array.isArray(v) && v.every(impossible)) return true;
      if (!k.startsWith('$') && v && typeof v === 'object' && !Array.isArray(v) && Array.isArray((v as { $in?: unknown }).$in) && (v as { $in: unknown[] }).$in.length === 0) return true;
    }
    return false;
  };
  const out: Record<string, unknown> = {};
  const and: unknown[] = [];
  for (const [k, v] of Object.entries(filter)) {
    if (k === '$or' && Array.isArray(v)) {
      const kept = v.filter((b) => !impossible(b)).map((b) => simplifyScope(b as Record<string, unknown>));
      if (kept.length === 1) and.push(kept[0]);
      else out.$or = kept.length ? kept : [{ _id: null }];
    } else if (k === '$and' && Array.isArray(v)) {
      and.push(...v.map((b) => simplifyScope(b as Record<string, unknown>)));
    } else out[k] = v;
  }
  if (and.length) {
    // Plain fields of the sub-filters move up when they do not collide; the rest stay under $and.
    const rest: unknown[] = [];
    for (const sub of and) {
      const entries = Object.entries(sub as Record<string, unknown>);
      if (entries.every(([k]) => !k.startsWith('$') && !(k in out))) Object.assign(out, sub);
      else rest.push(sub);
    }
    if (rest.length) out.$and = [...((out.$and as unknown[]) ?? []), ...rest];
  }
  return out;
}

/** The stages shown: one chosen, or open work, or (with `closed`) every stage but drafts. */
function stageCondition(q: QueueQuery): Record<string, unknown> {
  if (q.stage) return { stage: q.stage };
  // Written as the complement ($nin, which the embedded server's planner does not take as an index
  // bound): nine `$in` values would make it scan { institute, stage, nextDueAt } once per stage
  // and sort in memory, where { institute, nextDueAt, _id } gives the page in deadline order.
  const shown: readonly string[] = q.closed ? QUEUE_STAGES : OPEN_QUEUE_STAGES;
  const hidden = STAGES.filter((s) => !shown.includes(s));
  return { stage: { $nin: hidden } };
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Strings that start with `word` (an anchored regex: an index range from its prefix). */
function startsWith(word: string): RegExp {
  return new RegExp(`^${escapeRegex(word)}`);
}

/**
 * Every typed word must start one of the case's search words (models/case-search.ts): an anchored
 * regex per word, whose prefix MongoDB's planner (and the embedded server's) turns into a range of
 * { institute, searchTerms }. The first condition is the word whose range is read, the others are
 * checked on its candidates only: `leading` when given (the word with the fewest candidates,
 * leadingSearchWord), else the longest. (Not $gte/$lt: on an array two different search words may
 * meet them, so the index could not be bounded by both.)
 */
export function searchConditions(q: string | undefined, leading?: string): Record<string, unknown>[] {
  const words = q ? queryWords(q) : [];
  // The index reads the candidates of one word: the most telling one (the longest, but never the
  // reference's prefix or year, which every case shares).
  const common = (w: string) => w === 'ta' || /^(19|20)\d\d$/.test(w);
  return [...words]
    .sort((a, b) => Number(b === leading) - Number(a === leading) || Number(common(a)) - Number(common(b)) || b.length - a.length)
    .map((w) => ({ searchTerms: { $regex: startsWith(w) } }));
}

/** A running procedure with a request to the applicant past its date and not received (server/procedures/asks.ts). */
function askOverdueCondition(now: Date): Record<string, unknown> {
  return { supportTracks: { $elemMatch: { status: { $in: ACTIVE_SUPPORT }, asks: { $elemMatch: { receivedAt: null, closedAt: null, dueAt: { $lt: now } } } } } };
}

/** `scope` is the user's case scope (server/cases/access.ts caseScopeFor); without it, the policy's filter without scored cases. */
/** `calendar`: the working days "soon" counts (the seeded holidays when not given: a test, the bench). */
export function queueFilter(user: UserDoc, q: QueueQuery, now: Date, scope: Record<string, unknown> = caseFileScopeFilter(user), leadingWord?: string, institutes?: Types.ObjectId[], calendar: WorkingCalendar = SEEDED_CALENDAR): Record<string, unknown> {
  const and: Record<string, unknown>[] = [];
  and.push(stageCondition(q));
  if (q.call) and.push({ call: new Types.ObjectId(q.call) });
  if (q.track) and.push({ track: q.track });
  if (q.assignee === 'me') and.push({ assignee: user._id });
  else if (q.assignee === 'unassigned') and.push({ assignee: null });
  else if (q.assignee) and.push({ assignee: new Types.ObjectId(q.assignee) });
  // The cases where that procedure is HR's open work: under way, or refused and not yet settled.
  if (q.support) and.push({ supportTracks: { $elemMatch: { kind: q.support, status: { $in: OPEN_SUPPORT_STATUSES } } } });
  // The rows the badges flag: escalated by the job, or past their deadline (a refusal's written
  // reasons included) since its last run.
  if (q.procedures) and.push({ $or: [{ 'overdueProcedures.0': { $exists: true } }, { supportTracks: { $elemMatch: { status: { $in: ACTIVE_SUPPORT }, dueAt: { $lt: now } } } }, askOverdueCondition(now), reasonsOverdueCondition(now)] });
  // A procedure refused and waiting for HR's next step (lodge it again, or not needed): the row's
  // "Refused" badge. Procedures are worked in SUPPORT_STAGES only, so the count reads the range of
  // { institute, stage, nextDueAt } for those few stages (an equality and an $in), not the institute.
  if (q.refused) and.push({ stage: { $in: [...SUPPORT_STAGES] }, supportTracks: { $elemMatch: { status: 'refused' } } });
  // The range of { institute, nextDueAt, _id } the default queue reads already: cheap at any size.
  // Deadlines fall at a day's end in Vietnam: the last one counted is that of the DUE_SOON_DAYS-th working day.
  if (q.soon) and.push({ nextDueAt: { $gte: now, $lte: vnEndOfDay(calendar.addWorkingDays(now, DUE_SOON_DAYS)) } });
  if (q.today) and.push({ nextDueAt: { $gte: now, $lte: vnEndOfDay(now) } });
  if (q.overdue) {
    and.push({
      $or: [
        { stageDueAt: { $lt: now } },
        { supportTracks: { $elemMatch: { status: { $in: ACTIVE_SUPPORT }, dueAt: { $lt: now } } } },
        askOverdueCondition(now),
        reasonsOverdueCondition(now),
        { 'overdueProcedures.0': { $exists: true } },
      ],
    });
  }
  // An officer's work filters are of the cases they can work: their institute's. A seat on another
  // institute's panel lets them read its cases in evaluation, not do its HR work (walk-staff #2: the
  // home page counted "1 case with a refused procedure" that opened read-only).
  if (user.role === 'hr_officer' && (q.procedures || q.refused || q.soon || q.today || q.overdue || q.documents)) and.push({ institute: user.institute ?? null });
  const search = searchConditions(q.q, leadingWord);
  // Unless the scope names the one institute itself (an officer or leader without other panels).
  if (search.length && institutes && scope.institute === undefined) and.push(withinInstitutes(institutes));
  and.push(...search);
  return simplifyScope({ $and: [scope, ...and] });
}

const SORT_SPECS: Record<QueueQuery['sort'], Record<string, 1 | -1>> = {
  // Cases without a deadline sort last under ascending order only if we push them: Mongo puts
  // missing values first, so due-date sorting uses the index order and accepts that.
  // The next deadline: the stage's or a procedure's, whichever comes first (models/case-deadline.ts).
  due: { nextDueAt: 1, _id: 1 },
  // The planner's likely start of work (server/planner/forecast.ts): who arrives soonest.
  arrival: { 'forecast.likely': 1, _id: 1 },
  submitted: { submittedAt: -1, _id: -1 },
  reference: { reference: 1 },
  score: { score: -1, _id: 1 },
};

/** Sorts by a date some cases lack: the dated cases first (soonest first), then the others by _id. */
const DATED_SORTS: Partial<Record<QueueQuery['sort'], string>> = { due: 'nextDueAt', arrival: 'forecast.likely' };

/** Only what a queue row shows; histories, messages and outboxes stay in the database. */
const ROW_PROJECTION = {
  reference: 1,
  call: 1,
  institute: 1,
  track: 1,
  stage: 1,
  // Where a case on hold goes back to: whether its scoring is still open (the hidden-scores rule, scoringOpen).
  resumeStage: 1,
  stageDueAt: 1,
  submittedAt: 1,
  assignee: 1,
  score: 1,
  'profile.fullName': 1,
  'profile.nationality': 1,
  // With the residence card's end, what the documents' validity depends on (server/documents documentFlags).
  'profile.plannedArrival': 1,
  // What the row shows and flags of each procedure; never HR's internal note.
  'supportTracks.kind': 1,
  'supportTracks.status': 1,
  'supportTracks.dueAt': 1,
  'supportTracks.cardEndsAt': 1,
  // A refusal's written reasons are due until received (models/case-deadline.ts).
  'supportTracks.reasonsDueAt': 1,
  'supportTracks.reasonsReceivedAt': 1,
  // A request to the applicant is due too (server/procedures/asks.ts): its date, and whether it was received.
  'supportTracks.asks.dueAt': 1,
  'supportTracks.asks.receivedAt': 1,
  'supportTracks.asks.closedAt': 1,
  // ...and whether the applicant said it is done (the row's "Applicant answered" badge).
  'supportTracks.asks.repliedAt': 1,
  // ...or uploaded into the slot it names since it was asked.
  'supportTracks.asks.documentType': 1,
  'supportTracks.asks.askedAt': 1,
  overdueProcedures: 1,
  'forecast.likely': 1,
  // Whether the applicant wrote last (a message waiting for an answer); never the texts.
  'messages.fromApplicant': 1,
} as const;

export interface QueueRow {
  id: string;
  reference: string;
  fullName: string;
  nationality: string;
  track: string;
  stage: string;
  callTitle?: { vi?: string | null; en?: string | null } | null;
  assigneeName?: string;
  stageDueAt?: Date | null;
  /** The soonest deadline: the stage's, or a procedure's under way (`for` names it). */
  nextDue?: NextDeadline | null;
  submittedAt?: Date | null;
  /** The panel's combined score; null while hidden from this viewer (scoreHidden) or not scored. */
  score?: number | null;
  /** The viewer scores this case's call and has not sent their own scorecard for it yet. */
  scoreHidden: boolean;
  /**
   * With scoreHidden, what the shortlist says of it (lead s35): scorecards in, of the panel members who
   * can score it (conflicts out), whether the viewer may score it now, and whether scoring is paused (on hold).
   */
  hiddenScores?: { scored: number; panel: number; canScore: boolean; paused: boolean; callId: string };
  /** The arrival forecast's likely start of work, when the case has one (offer and onboarding). */
  likelyStart?: Date | null;
  overdue: boolean;
  /** The stage's own deadline has passed (a late procedure is flagged by its own badge). */
  stageOverdue: boolean;
  supportOverdue: string[];
  activeSupport: string[];
  /** Procedures refused and not yet settled (lodged again or set not needed): HR decides what next. */
  refusedSupport: string[];
  /** Support procedure kinds past their deadline (the escalation's flag on the case). */
  overdueProcedures: string[];
  docs?: { expired: number; expiring: number; pending: number; tooShort: number };
  /** The applicant wrote last: their message waits for an answer. */
  messageWaiting: boolean;
  /** Procedures where the applicant answered a request HR has not recorded received (server/procedures/asks.ts). */
  askAnswered: string[];
}

export interface QueuePage {
  rows: QueueRow[];
  /** Exact up to COUNT_CAP; `capped` when there are more. */
  total: number;
  capped: boolean;
  hasNext: boolean;
  page: number;
  pages: number;
  size: number;
}

interface LeanRow {
  _id: Types.ObjectId;
  reference: string;
  call: Types.ObjectId;
  institute: Types.ObjectId;
  track: string;
  stage: string;
  resumeStage?: string | null;
  stageDueAt?: Date | null;
  submittedAt?: Date | null;
  assignee?: Types.ObjectId | null;
  score?: number | null;
  profile?: { fullName?: string | null; nationality?: string | null; plannedArrival?: Date | null } | null;
  supportTracks?: Array<{ kind: string; status: string; dueAt?: Date | null; cardEndsAt?: Date | null; reasonsDueAt?: Date | null; reasonsReceivedAt?: Date | null; asks?: Array<{ dueAt: Date; receivedAt?: Date | null; closedAt?: Date | null; repliedAt?: Date | null; documentType?: string | null; askedAt?: Date | null }> | null }>;
  overdueProcedures?: string[] | null;
  forecast?: { likely?: Date | null } | null;
  messages?: Array<{ fromApplicant?: boolean | null }> | null;
}

/** Below every date a case can hold, and below every ObjectId: trivially true bounds that name an index for the planner. */
const MIN_DATE = new Date(-8.64e15);
const MIN_ID = new Types.ObjectId('000000000000000000000000');
/** Counts stop here: the page says "more than 500" rather than reading 50,000 cases to count them. */
export const COUNT_CAP = 500;

/** How long a count found above COUNT_CAP is reused for the same filter. */
export const CAPPED_COUNT_TTL_MS = 10_000;
/** Filters whose count was above COUNT_CAP, with when that stops being reused (insertion order = age). */
const cappedCounts = new Map<string, number>();

/**
 * The kept counts' key: a digest of the filter, not its text. A filter can be long (until the
 * documents' flag is set at a first start, "documents to check" names every waiting case:
 * documentsCondition): kept as text, each key held thousands of ids, up to
 * 1,000 such keys (keptCounts, cappedCounts) until a case write, hundreds of megabytes in all.
 */
export function countKey(filter: Record<string, unknown>): string {
  const text = JSON.stringify(filter, (_k, v: unknown) => (v instanceof RegExp ? `/${v.source}/${v.flags}` : v));
  return createHash('sha256').update(text).digest('base64url');
}

/**
 * Counts under the cap, kept 5 s per filter and forgotten on any write through the Case model here
 * (an officer sees their own change at once; another app instance's within 5 s). A search counts
 * its candidates once more besides reading them: about a tenth of the database's time per search.
 */
const keptCounts = new KeptReads<number>(5_000, { forgetOn: onCaseWrite });

/**
 * At most COUNT_CAP + 1: the database stops counting there. A count above the cap shows as "more
 * than 500" and is reused for CAPPED_COUNT_TTL_MS: at 50,000 cases in an institute, matching the
 * first 501 was a third of the default queue's database time, for a figure that does not change.
 */
async function countCapped(filter: Record<string, unknown>, now: Date): Promise<number> {
  const key = countKey(filter);
  const until = cappedCounts.get(key);
  if (until !== undefined && until > now.getTime()) return COUNT_CAP + 1;
  const n = await keptCounts.get(key, () => Case.countDocuments(filter).limit(COUNT_CAP + 1).exec());
  cappedCounts.delete(key);
  if (n > COUNT_CAP) {
    cappedCounts.set(key, now.getTime() + CAPPED_COUNT_TTL_MS);
    if (cappedCounts.size > 1000) cappedCounts.delete(cappedCounts.keys().next().value!);
  }
  return n;
}

/**
 * The rows read for a page (filter, order and range), kept 5 s and forgotten on any write through
 * the Case model, as the counts are (keptCounts): every officer of an institute opening the default
 * queue reads the same rows, and a page's two database commands (these rows, their documents:
 * documentFlags) were half of its commands and most of its decoding on the web thread. The filter
 * holds the user's scope, so a row is only ever shown to someone whose own scope read it; what the
 * rows mean now (deadlines left, overdue, hidden scores) is worked out for each page. Another app
 * instance's write is seen within 5 s (server/support/kept-reads.ts). Kept rows are shared: read only.
 */
const keptRows = new KeptReads<LeanRow[]>(5_000, { maxKeys: 100, forgetOn: onCaseWrite });

/** QUEUE_ROWS_KEPT_MS (server/config.ts), set at boot: 0 reads every page's rows afresh (several app instances on one database, or measuring the read). */
export function keepQueueRowsFor(ms: number): void {
  keptRows.keepFor(ms);
}

interface PageRead {
  docs: LeanRow[];
  /** Exact up to COUNT_CAP; `capped` when there are more. */
  total: number;
  capped: boolean;
  page: number;
  pages: number;
  hasNext: boolean;
}

/**
 * One page of rows and the total. Deadline order puts cases without a deadline last (MongoDB sorts
 * missing values first), so it reads two ranges: the cases with a deadline by { nextDueAt, _id },
 * then those without by _id, each served in order by an index within the institute
 * ({ institute, nextDueAt, _id } and { institute, _id }; across institutes { nextDueAt, _id } and
 * _id) and stopped after the page's last row (one more is read to know whether a next page exists).
 * The likely start of work (arrival) is read the same way over forecast.likely.
 * A search reads the institute's candidates from { institute, searchTerms } instead (the `_id`
 * bound is left out so that index wins) and sorts them in memory.
 */
async function readPage(filter: Record<string, unknown>, q: QueueQuery, searching: boolean, now: Date, scoreHidden?: Record<string, unknown>): Promise<PageRead> {
  // A filter that holds the moment (due soon, overdue) is new at every page: nothing to keep.
  const keep = !q.soon && !q.today && !q.overdue && !q.procedures;
  // Straight from the collection, as stored (what lean() gives): the filter is built of typed values
  // already (ObjectIds, Dates, the schema's paths: queueFilter), so Mongoose's casting, its walk of
  // the case schema for the projection and its query options were work on the web thread for nothing
  // (about 5 % of an uncached page).
  const read = (f: Record<string, unknown>, sort: Record<string, 1 | -1>, skip: number, limit: number) => () =>
    Case.collection.find<LeanRow>(f, { projection: ROW_PROJECTION, sort, skip, limit }).toArray();
  const find = (f: Record<string, unknown>, sort: Record<string, 1 | -1>, skip: number, limit: number): Promise<LeanRow[]> =>
    limit <= 0 ? Promise.resolve([]) : keep ? keptRows.get(`${countKey(f)}|${JSON.stringify(sort)}|${skip}|${limit}`, read(f, sort, skip, limit)) : read(f, sort, skip, limit)();
  const counted = await countCapped(filter, now);
  const capped = counted > COUNT_CAP;
  const total = Math.min(counted, COUNT_CAP);
  const known = Math.max(1, Math.ceil(total / q.size));
  // Past the counted pages only when there are more cases than were counted.
  const page = capped ? q.page : Math.min(q.page, known);
  const pages = capped ? Math.max(known, page) : known;
  const skip = (page - 1) * q.size;
  const dated = DATED_SORTS[q.sort];
  if (q.sort === 'score' && scoreHidden) {
    // Rows whose score is hidden from the viewer are not placed by it (their place would tell it: the
    // shortlist's orderForViewer): the rows they may rank first, by score, then the hidden ones by reference.
    const shown = { $and: [filter, { $nor: [scoreHidden] }] };
    const hidden = { $and: [filter, scoreHidden] };
    const first = await find(shown, SORT_SPECS.score, skip, q.size + 1);
    if (first.length > q.size) return { docs: first.slice(0, q.size), total, capped, page, pages, hasNext: true };
    const shownCount = first.length > 0 || skip === 0 ? skip + first.length : await Case.countDocuments(shown);
    const rest = q.size - first.length;
    const second = await find(hidden, { reference: 1, _id: 1 }, Math.max(0, skip - shownCount), rest + 1);
    return { docs: [...first, ...second.slice(0, rest)], total, capped, page, pages, hasNext: second.length > rest };
  }
  if (!dated) {
    const docs = await find(filter, SORT_SPECS[q.sort], skip, q.size + 1);
    return { docs: docs.slice(0, q.size), total, capped, page, pages, hasNext: docs.length > q.size };
  }
  const withDate = { $and: [filter, { [dated]: { $gte: MIN_DATE } }] };
  const noDate = { $and: [filter, searching ? { [dated]: null } : { [dated]: null, _id: { $gte: MIN_ID } }] };
  const first = await find(withDate, { [dated]: 1, _id: 1 }, skip, q.size + 1);
  if (first.length > q.size) return { docs: first.slice(0, q.size), total, capped, page, pages, hasNext: true };
  // The dated cases end on this page (or before it): how many there are is known from here, or counted.
  const datedCount = first.length > 0 || skip === 0 ? skip + first.length : await Case.countDocuments(withDate);
  const rest = q.size - first.length;
  const second = await find(noDate, { _id: 1 }, Math.max(0, skip - datedCount), rest + 1);
  return { docs: [...first, ...second.slice(0, rest)], total, capped, page, pages, hasNext: second.length > rest };
}

/**
 * The cases whose combined score is hidden from `user` (the hidden-scores rule, server/policies/shortlist.ts
 * canSeeOthersScores, as a filter): scored, of a call they score (an institute leader: every call of
 * their institute; anyone: the calls whose panel they sit on), scoring still open (scoringOpen: in
 * evaluation, or held from it), and without their own scorecard. Undefined for one who scores nothing
 * (an administrator, an HR officer off every panel). Security review s36: sorted by score, the queue
 * placed hidden rows by the score it hid, and a member who had not scored read the panel's ranking.
 */
async function scoreHiddenCondition(user: UserDoc): Promise<Record<string, unknown> | undefined> {
  if (user.role !== 'leader' && user.role !== 'hr_officer') return undefined;
  const scores: Record<string, unknown>[] = [];
  if (user.role === 'leader' && user.institute) scores.push({ institute: user.institute });
  if (user.panelCalls?.length) scores.push({ call: { $in: user.panelCalls } });
  if (scores.length === 0) return undefined;
  const own = (await Evaluation.distinct('case', { member: user._id })) as Types.ObjectId[];
  return {
    $and: [
      scores.length === 1 ? scores[0]! : { $or: scores },
      { $or: [{ stage: 'evaluation' }, { stage: 'on_hold', resumeStage: { $in: [null, 'evaluation'] } }] },
      { score: { $ne: null } },
      ...(own.length ? [{ _id: { $nin: own } }] : []),
    ],
  };
}

/** The scope the queue filters within: the policy's (server/policies/case.ts), simplified for the planner. */
export async function queueScope(user: UserDoc): Promise<Record<string, unknown>> {
  return simplifyScope(await caseScopeFor(user));
}

/** Candidates counted per typed word, up to this many: enough to tell a rare word from a common one. */
const SEARCH_PROBE = 1000;
/**
 * Those counts per institute and word, kept a minute: two of a two-word search's five database
 * commands, and most of its database time, were these counts. Never forgotten on writes: a count a
 * minute old picks the same word or one as good.
 */
const keptWordCounts = new KeptReads<number>(60_000, { maxKeys: 5_000 });

/**
 * The institutes a search reads, as a condition on `institute` that the planner (MongoDB's and the
 * embedded server's) turns into one range of { institute, searchTerms } per institute: there is no
 * index over the search words alone (its ~9 entries a case held ~80 MB of the embedded database's
 * heap at 100,000 cases). The user's own institute (a seat on another institute's panel opens no case
 * file there, walk s36: server/policies/case.ts caseFileScopeFilter); an administrator, every institute. It only narrows
 * the search to where the user's scope (server/policies/case.ts) can find cases at all: every case
 * belongs to an institute, and the scope still decides which of them the user sees.
 */
export async function searchInstitutes(user: UserDoc): Promise<Types.ObjectId[]> {
  if (user.role === 'admin') return (await Institute.distinct('_id')) as Types.ObjectId[];
  return user.institute ? [user.institute as Types.ObjectId] : [];
}

/** `{ institute }` for one institute, `{ institute: { $in } }` for several. */
function withinInstitutes(ids: Types.ObjectId[]): Record<string, unknown> {
  return ids.length === 1 ? { institute: ids[0] } : { institute: { $in: ids } };
}

/**
 * Of several typed words, the one the fewest cases of the user's institutes have (a surname or a
 * number, not the word every name shares): its index range is read, the others are tested on it.
 */
export async function leadingSearchWord(user: UserDoc, q: string | undefined, institutes?: Types.ObjectId[]): Promise<string | undefined> {
  const words = q ? queryWords(q) : [];
  if (words.length < 2) return undefined;
  const ids = institutes ?? (await searchInstitutes(user));
  const within = withinInstitutes(ids);
  const scope = ids.map(String).sort().join(',');
  const counts = await Promise.all(
    // A count capped at the probe: no document crosses to the app, and the embedded server answers
    // it from { institute, searchTerms } alone (a literal prefix), reading no case. Kept a minute:
    // it only chooses which word's index range is read, never which cases match.
    words.map((w) => keptWordCounts.get(`${scope}|${w}`, () => Case.countDocuments({ ...within, searchTerms: { $regex: startsWith(w) } }).limit(SEARCH_PROBE).exec())),
  );
  let best = 0;
  counts.forEach((n, i) => {
    if (n < counts[best]!) best = i;
  });
  return counts[best]! < SEARCH_PROBE ? words[best] : undefined;
}

/**
 * The "documents to check" condition: the cases' flag (models/case.ts documentsToCheck), an
 * equality the { institute, documentsToCheck, nextDueAt, _id } index serves in the queue's order, so
 * a page stops after its rows whatever the backlog. Until the start-time backfill has flagged the
 * cases stored before the flag (server/documents/to-check.ts: the first minutes of a database's
 * first start), the cases of the waiting documents, read from { status, current, case } (the
 * waiting ones only, of every institute: the queue's scope still decides which the user sees).
 */
async function documentsCondition(): Promise<Record<string, unknown>> {
  if (await documentsToCheckFlagged()) return { documentsToCheck: true };
  return { _id: { $in: await CaseDocument.distinct('case', { status: 'pending', current: true }) } };
}

/** The filter of the queue `q` for this user: their scope, and a search's institutes and leading word. */
async function userQueueFilter(user: UserDoc, q: QueueQuery, now: Date): Promise<{ filter: Record<string, unknown>; searching: boolean }> {
  const searching = searchConditions(q.q).length > 0;
  // The institutes are read for a search only.
  let institutesRead: Promise<Types.ObjectId[]> | undefined;
  const reachable = () => (institutesRead ??= searchInstitutes(user));
  const [scope, institutes, leading, toCheck, calendar] = await Promise.all([
    queueScope(user),
    searching ? reachable() : undefined,
    searching ? reachable().then((ids) => leadingSearchWord(user, q.q, ids)) : undefined,
    q.documents ? documentsCondition() : undefined,
    q.soon ? loadCalendar() : undefined,
  ]);
  const filter = queueFilter(user, q, now, scope, leading, institutes, calendar);
  return { filter: toCheck ? simplifyScope({ $and: [filter, toCheck] }) : filter, searching };
}

/** How many cases the queue `q` holds for this user, up to COUNT_CAP + 1, without reading them. */
export async function countQueue(user: UserDoc, q: QueueQuery, now: Date): Promise<number> {
  return countCapped((await userQueueFilter(user, q, now)).filter, now);
}

/**
 * One page of the queue. `known`: the filter options of the same page (queueOptions), whose calls
 * and officers usually name every row: only the calls and assignees missing from them are read.
 */
export async function loadQueue(user: UserDoc, q: QueueQuery, now: Date, known?: Promise<QueueOptions>): Promise<QueuePage> {
  const { filter, searching } = await userQueueFilter(user, q, now);
  const { docs, total, capped, page, pages, hasNext } = await readPage(filter, q, searching, now, q.sort === 'score' ? await scoreHiddenCondition(user) : undefined);

  const options = known ? await known : undefined;
  const assigneeName = new Map<string, string>(options?.officers.map((o) => [o.id, o.name]));
  const callTitle = new Map<string, QueueRow['callTitle']>(options?.calls.map((c) => [c.id, c.title as QueueRow['callTitle']]));
  const assigneeIds = [...new Set(docs.map((d) => d.assignee && String(d.assignee)).filter(Boolean))].filter((id) => !assigneeName.has(id as string)) as string[];
  const callIds = [...new Set(docs.map((d) => String(d.call)))].filter((id) => !callTitle.has(id));
  // The hidden-scores rule (server/policies/shortlist.ts): a leader or panel member sees a case's
  // combined score only once their own scorecard for it is in, here as on the shortlist.
  const scoring = docs.filter((d) => canEvaluateCall(user, { _id: d.call, institute: d.institute }));
  // Documents are read only for the rows with a request naming a slot (one query for the page).
  const slotAsked = docs.filter((d) => (d.supportTracks ?? []).some((s) => (s.asks ?? []).some(askWaitsForUpload))).map((d) => d._id);
  const [assignees, calls, flags, ownSheets, uploads] = await Promise.all([
    assigneeIds.length ? User.find({ _id: { $in: assigneeIds } }, { name: 1 }).lean() : Promise.resolve([]),
    callIds.length ? Call.find({ _id: { $in: callIds } }, { title: 1 }).lean() : Promise.resolve([]),
    docs.length ? documentFlags(docs, now, { kept: true }) : Promise.resolve(new Map<string, { expired: number; expiring: number; pending: number; tooShort: number }>()),
    scoring.length ? Evaluation.distinct('case', { member: user._id, case: { $in: scoring.map((d) => d._id) } }) : Promise.resolve([]),
    currentDocuments(slotAsked),
  ]);
  const uploadsOf = new Map<string, Array<{ type: string; createdAt?: Date | null }>>();
  for (const u of uploads) uploadsOf.set(String(u.case), [...(uploadsOf.get(String(u.case)) ?? []), u]);
  const own = new Set((ownSheets as Types.ObjectId[]).map(String));
  const hiddenScores = new Set(scoring.filter((d) => !canSeeOthersScores(user, { _id: d.call, institute: d.institute }, own.has(String(d._id)), d)).map((d) => String(d._id)));
  for (const u of assignees) assigneeName.set(String(u._id), u.name);
  for (const c of calls) callTitle.set(String(c._id), c.title);
  const panelOf = await hiddenScoresCounts(user, docs.filter((d) => hiddenScores.has(String(d._id)) && typeof d.score === 'number'));

  const worksOn = (d: LeanRow) => user.role !== 'hr_officer' || String(d.institute) === String(user.institute);
  const rows: QueueRow[] = docs.map((d) => {
    // The id's hex once a row (each String() of an ObjectId writes it anew).
    const id = String(d._id);
    // A procedure past its deadline, with a request to the applicant past its date, or refused with
    // its written reasons late, is flagged alike.
    const tracks = d.supportTracks ?? [];
    const late = [...new Set([...supportOverdue(tracks, now), ...asksOverdue(tracks, now), ...tracks.filter((s) => reasonsOverdue(s, now)).map((s) => s.kind)])];
    const flag = flags.get(id);
    // A case nobody has scored has nothing to hide: its cell stays empty, as for any viewer.
    const hidden = hiddenScores.has(id) && typeof d.score === 'number';
    const stageOverdue = !!d.stageDueAt && d.stageDueAt.getTime() < now.getTime();
    return {
      id,
      reference: d.reference,
      fullName: d.profile?.fullName ?? '',
      nationality: d.profile?.nationality ?? '',
      track: d.track,
      stage: d.stage,
      callTitle: callTitle.get(String(d.call)),
      assigneeName: d.assignee ? assigneeName.get(String(d.assignee)) : undefined,
      stageDueAt: d.stageDueAt,
      nextDue: nextDeadline(d),
      submittedAt: d.submittedAt,
      score: hidden ? null : d.score,
      scoreHidden: hidden,
      ...(hidden && panelOf.has(id) ? { hiddenScores: panelOf.get(id)! } : {}),
      likelyStart: d.forecast?.likely ?? undefined,
      overdue: stageOverdue || late.length > 0,
      stageOverdue,
      supportOverdue: late,
      overdueProcedures: (d.overdueProcedures ?? []).filter((k) => typeof k === 'string'),
      activeSupport: tracks.filter((s) => ACTIVE_SUPPORT.includes(s.status as never)).map((s) => s.kind),
      // "Refused (decide what next)" asks for HR's next step: not of an officer who reads another
      // institute's case through a panel seat (their work filters leave it out too: queueFilter).
      refusedSupport: worksOn(d) ? tracks.filter((s) => s.status === 'refused').map((s) => s.kind) : [],
      docs: flag && (flag.expired || flag.expiring || flag.pending || flag.tooShort) ? flag : undefined,
      messageWaiting: d.messages?.at(-1)?.fromApplicant === true,
      askAnswered: asksAnswered(tracks, uploadsOf.get(id)),
    };
  });
  return { rows, total, capped, page, pages, hasNext, size: q.size };
}

/**
 * For the rows whose score is hidden from the viewer (a few: the panel's stages, not yet scored by
 * them), the shortlist's count: scorecards in, of those who can score (the panel less its members'
 * conflicts), and whether the viewer may score it now. Three reads for the page, none without such rows.
 */
async function hiddenScoresCounts(user: UserDoc, rows: LeanRow[]): Promise<Map<string, NonNullable<QueueRow['hiddenScores']>>> {
  const out = new Map<string, NonNullable<QueueRow['hiddenScores']>>();
  if (rows.length === 0) return out;
  const ids = rows.map((d) => d._id);
  const calls = new Map(rows.map((d) => [String(d.call), { _id: d.call, institute: d.institute }]));
  const [sheets, conflicts, sizes] = await Promise.all([
    Evaluation.aggregate<{ _id: Types.ObjectId; n: number }>([{ $match: { case: { $in: ids } } }, { $group: { _id: '$case', n: { $sum: 1 } } }]),
    PanelConflict.aggregate<{ _id: Types.ObjectId; members: Types.ObjectId[] }>([{ $match: { case: { $in: ids } } }, { $group: { _id: '$case', members: { $push: '$member' } } }]),
    Promise.all([...calls].map(async ([id, call]) => [id, await panelSizeOf(call)] as const)),
  ]);
  const scoredOf = new Map(sheets.map((s) => [String(s._id), s.n]));
  const conflictsOf = new Map(conflicts.map((c) => [String(c._id), c.members.map(String)]));
  const sizeOf = new Map(sizes);
  // Only the conflicts of members on the call's panel now count it down, as the server's minimum does
  // (server/evaluations/decision.ts panelScores): one read per call with conflicts on the page (rare).
  const callOf = new Map(rows.map((d) => [String(d._id), String(d.call)]));
  const seatedOf = new Map<string, Set<string>>();
  await Promise.all(
    [...calls].map(async ([callId, call]) => {
      const members = [...new Set([...conflictsOf].filter(([caseId]) => callOf.get(caseId) === callId).flatMap(([, m]) => m))];
      if (members.length) seatedOf.set(callId, await onPanelOf(call, members));
    }),
  );
  for (const d of rows) {
    const id = String(d._id);
    const scored = scoredOf.get(id) ?? 0;
    const conflicted = conflictsOf.get(id) ?? [];
    const seated = seatedOf.get(String(d.call));
    const counted = seated ? conflicted.filter((m) => seated.has(m)).length : 0;
    const paused = d.stage === 'on_hold';
    out.set(id, { scored, panel: canScoreIt(sizeOf.get(String(d.call)) ?? 0, counted, scored), canScore: d.stage === 'evaluation' && !conflicted.includes(String(user._id)), paused, callId: String(d.call) });
  }
  return out;
}

export interface QueueOptions {
  calls: { id: string; title: unknown }[];
  officers: { id: string; name: string }[];
}

/**
 * The calls of the queue's filter, kept 5 s per scope and forgotten on any write through the Call
 * model here (every queue page reads them: one database round trip).
 */
const keptCalls = new KeptReads<Array<{ _id: Types.ObjectId; title: unknown }>>(5_000, { forgetOn: onCallWrite });

/** Options for the queue's filter selects: the calls and HR officers within the user's scope. */
export async function queueOptions(user: UserRecord): Promise<QueueOptions> {
  const admin = user.role === 'admin';
  const callFilter: Record<string, unknown> = admin ? {} : { $or: [{ institute: user.institute ?? null }, { _id: { $in: user.panelCalls ?? [] } }] };
  const callKey = admin ? 'all' : `${String(user.institute ?? null)}|${(user.panelCalls ?? []).map(String).sort().join(',')}`;
  const [calls, officers] = await Promise.all([
    keptCalls.get(callKey, () => Call.find(callFilter, { title: 1 }).sort({ createdAt: -1 }).limit(500).lean<Array<{ _id: Types.ObjectId; title: unknown }>>().exec()),
    hrOfficers(admin ? 'all' : (user.institute ?? null)),
  ]);
  return {
    calls: calls.map((c) => ({ id: String(c._id), title: c.title })),
    officers: officers.map((o) => ({ id: String(o._id), name: o.name })),
  };
}

/** The query string's keys, in the order links write them. */
export const QUERY_KEYS = ['q', 'stage', 'call', 'assignee', 'track', 'support', 'overdue', 'procedures', 'today', 'soon', 'documents', 'refused', 'closed', 'sort', 'size', 'page'] as const;

/** The query string for the same queue with some parameters changed (pagination, sorting links). */
export function queueHref(q: QueueQuery, change: Partial<Record<keyof QueueQuery, string | number | undefined>>): string {
  const merged: Record<string, unknown> = { ...q, ...change };
  const params = new URLSearchParams();
  for (const key of QUERY_KEYS) {
    const v = merged[key];
    if (v === undefined || v === '' || v === null) continue;
    if (key === 'sort' && v === 'due') continue;
    if (key === 'size' && Number(v) === 25) continue;
    if (key === 'page' && Number(v) === 1) continue;
    params.set(key, String(v));
  }
  const s = params.toString();
  return s ? `/cases?${s}` : '/cases';
}
