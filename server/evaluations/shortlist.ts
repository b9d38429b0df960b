// The ranked shortlist of one call. Fixed number of queries whatever the size of the call (no N+1):
//  1. one aggregation on Case, matched by { call, stage } (index { call: 1, stage: 1, score: -1 }),
//     projected to the listed facts and sorted in the database (shared for a few seconds, below);
//  2. one query for the page's evaluations (index { case: 1, member: 1 });
//  3. one query for the evaluators' names; 4. one aggregation for the page's document completeness.
//
// Ranking: weighted score descending (cases without a score last); ties by publications + patents
// descending, then by earlier submission, then by reference (a total order, so paging is stable).
import { Types, type PipelineStage } from 'mongoose';
import { Case } from '../../models/case.ts';
import { Call, type CallDoc } from '../../models/call.ts';
import { PanelConflict } from '../../models/panel-conflict.ts';
import { onPanelOf, panelSizeOf } from './panel.ts';
import { isCompleteScorecard } from './decision.ts';
import { Evaluation } from '../../models/evaluation.ts';
import { User } from '../../models/user.ts';
import { CaseDocument } from '../../models/document.ts';
import { PANEL_STAGES, type Track } from '../../models/constants.ts';
import { actorOf, type Context } from '../context.ts';
import { canListRejected, canSeeOthersScores, isInstituteLeader, shortlistCallFilter, type PolicyCall } from '../policies/shortlist.ts';
import { can } from '../policies/index.ts';
import { REJECTED_AFTER_PANEL } from '../policies/case.ts';
import { isPanelDecision } from './decision.ts';
import { caseDecisions } from '../cases/decision-history.ts';
import { loadCalendar, type WorkingCalendar } from '../calendar/index.ts';

export const SHORTLIST_SORTS = ['score', 'achievements', 'submitted', 'name'] as const;
export const PAGE_SIZE = 25;
/** The shortlist's stage filter: the panel's stages, and the cases rejected after the panel (for those who may open them: canListRejected). */
// On hold too: a candidate a leader (or HR) held after the panel left the ranked list, and the leader
// who held them found them nowhere but in the dashboard's recent decisions (walk32).
export const SHORTLIST_STAGES = [...PANEL_STAGES, 'rejected', 'on_hold'] as const;

/** The shortlist's filters, sort and page ('' = any), as the route's schema reads them. */
export interface ShortlistQuery {
  stage?: '' | (typeof SHORTLIST_STAGES)[number];
  track?: '' | Track;
  country?: string;
  minScore?: '' | number;
  sort?: '' | (typeof SHORTLIST_SORTS)[number];
  page?: number;
}

export interface ShortlistRow {
  id: string;
  /** Place in the ranking; null for a case whose score is hidden from the viewer (its place would tell it). */
  rank: number | null;
  reference: string;
  stage: string;
  version: number;
  name: string;
  track: string;
  country?: string;
  nationality?: string;
  field?: string;
  degree?: string;
  publications: number;
  patents: number;
  submittedAt?: Date;
  /** Null when hidden for this viewer or not yet scored. */
  score: number | null;
  scoreHidden: boolean;
  ownSubmitted: boolean;
  evaluationsCount: number;
  /** Panel members who declared a conflict of interest on the case (they do not score it). */
  conflictsCount: number;
  /** Scorecards scoring every criterion (what the call's minimum counts). */
  completeScorecards: number;
  /** The viewer declared a conflict of interest on the case. */
  viewerConflicted: boolean;
  recommendations: { member: string; recommendation: string }[];
  documents: { required: number; accepted: number; rejected: number; expired: number; complete: boolean };
  /** The case's latest leader decision (shortlist, approve the offer, reject): which, when, by whom. */
  decision?: { action: string; at: Date; who: string };
  /** On hold after the panel (listed for those who may open it): the hold's reason, unless not theirs to read (readReasons). */
  held?: { reason?: string } & HoldFacts;
  /** Shortlisted: the day the leader's decision (offer or reject) is due, the stage's deadline HR's queue shows too. */
  decisionDueAt?: Date;
}

/** Who held a case and when, and its review day (HR resumes it then or takes it further): scoring a held case is paused, and the page says so (lead s35). */
export interface HoldFacts {
  by?: string;
  at?: Date;
  reviewBy?: Date;
}

export interface Shortlist {
  rows: ShortlistRow[];
  total: number;
  page: number;
  pages: number;
  query: ShortlistQuery;
  /** Who can score the call's cases (its leaders and named members): each row says how many of them did. */
  panelSize: number;
  /** The holiday calendar the decision deadlines are counted on (the queue's count: procedures/service.ts deadlineLeft). */
  calendar?: WorkingCalendar;
}

const SORTS: Record<(typeof SHORTLIST_SORTS)[number], Record<string, 1 | -1>> = {
  score: { score: -1, achievementsTotal: -1, submittedAt: 1, reference: 1 },
  achievements: { achievementsTotal: -1, score: -1, submittedAt: 1, reference: 1 },
  submitted: { submittedAt: 1, reference: 1 },
  name: { 'profile.fullName': 1, reference: 1 },
};

interface CaseRow {
  _id: Types.ObjectId;
  reference: string;
  stage: string;
  version: number;
  track: string;
  score?: number | null;
  /** Where a held case returns (its scores' hidden-scores rule reads it: policies/shortlist.ts scoringOpen). */
  resumeStage?: string | null;
  submittedAt?: Date;
  stageDueAt?: Date | null;
  profile?: { fullName?: string; countryOfResidence?: string; nationality?: string; field?: string; highestDegree?: string };
  pubs?: number;
  pats?: number;
}

/** On hold after reaching the panel (policies/case.ts leftAfterPanel). */
const HELD_AFTER_PANEL = { stage: 'on_hold', reached: 'evaluation' } as const;

/**
 * `withHeld`: the default view (no stage chosen) lists the candidates held after the panel too, in
 * their place by score, for those who may open them (canListRejected): held out of the ranking, a
 * leader's held candidate was found only under the "on hold" filter.
 */
function matchFor(callId: Types.ObjectId, q: ShortlistQuery, withHeld: boolean): Record<string, unknown> {
  // Rejected: only after the panel (HR's rejections at screening never were on it).
  const panel = { stage: { $in: [...PANEL_STAGES] } };
  const stage = q.stage === 'rejected' ? REJECTED_AFTER_PANEL : q.stage === 'on_hold' ? HELD_AFTER_PANEL : q.stage ? { stage: q.stage } : withHeld ? { $or: [panel, HELD_AFTER_PANEL] } : panel;
  const match: Record<string, unknown> = { call: callId, ...stage };
  if (q.track) match.track = q.track;
  if (q.country) match['profile.countryOfResidence'] = q.country.toUpperCase();
  if (typeof q.minScore === 'number') match.score = { $gte: q.minScore };
  return match;
}

// The ranked rows of a call (viewer-independent) are computed by one aggregation and shared for
// RANKING_CACHE_MS by every viewer and page: re-ranking 2,000 cases on every page view would be the
// page's main cost under load (bench/dashboard.ts). A scorecard or a
// decision made here drops the call's entry at once; changes made elsewhere (a case entering
// evaluation) show within RANKING_CACHE_MS. Scores and recommendations are always read fresh.
const RANKING_CACHE_MS = 30_000;
/**
 * At most this many rankings kept, oldest dropped first. The key holds the filters as typed (a
 * minimum score is any number from 0 to 5): with only expired entries dropped, one panel member
 * varying it kept a ranking of the whole call per request for 30 s, memory without bound.
 */
export const RANKING_CACHE_MAX = 200;
const rankingCache = new Map<string, { at: number; rows: Promise<CaseRow[]> }>();

/** How many rankings are kept (tests). */
export function keptRankings(): number {
  return rankingCache.size;
}

export function invalidateShortlist(callId: unknown): void {
  const prefix = `${String(callId)}|`;
  for (const k of rankingCache.keys()) if (k.startsWith(prefix)) rankingCache.delete(k);
  sheetCache.delete(String(callId));
}

// Who recommended what, per case of a call: one indexed query for the whole call ({ call, case }),
// shared like the ranking. Scorecards are written only by submitEvaluation, which drops the entry.
/** `complete`: every criterion of the call's scorecard scored (what the call's minimum counts). */
type SheetSummary = { member: Types.ObjectId; recommendation: string; submittedAt: Date; complete: boolean };
const sheetCache = new Map<string, { at: number; keys: string; byCase: Promise<Map<string, SheetSummary[]>> }>();

function callSheets(callId: Types.ObjectId, keys: readonly string[]): Promise<Map<string, SheetSummary[]>> {
  const key = String(callId);
  // Completeness is read against the call's criteria: a scorecard edited since reads the sheets anew.
  const criteria = keys.join(',');
  const now = Date.now();
  const hit = sheetCache.get(key);
  if (hit && hit.keys === criteria && now - hit.at < RANKING_CACHE_MS) return hit.byCase;
  const byCase = Evaluation.find({ call: callId }, { case: 1, member: 1, recommendation: 1, submittedAt: 1, scores: 1 })
    .sort({ submittedAt: 1 })
    .lean()
    .then((sheets) => {
      const m = new Map<string, SheetSummary[]>();
      for (const s of sheets) {
        const k = String(s.case);
        if (!m.has(k)) m.set(k, []);
        m.get(k)!.push({ member: s.member, recommendation: s.recommendation, submittedAt: s.submittedAt, complete: isCompleteScorecard(keys, s.scores) });
      }
      return m;
    });
  sheetCache.set(key, { at: now, keys: criteria, byCase });
  byCase.catch(() => sheetCache.delete(key));
  return byCase;
}

function rankedRows(callId: Types.ObjectId, q: ShortlistQuery, withHeld: boolean): Promise<CaseRow[]> {
  const key = `${String(callId)}|${JSON.stringify([q.stage ?? '', q.track ?? '', q.country ?? '', q.minScore ?? '', q.sort ?? '', withHeld])}`;
  const now = Date.now();
  const hit = rankingCache.get(key);
  if (hit && now - hit.at < RANKING_CACHE_MS) return hit.rows;
  const pipeline: PipelineStage[] = [
    { $match: matchFor(callId, q, withHeld) },
    {
      $project: {
        reference: 1,
        stage: 1,
        version: 1,
        track: 1,
        score: 1,
        resumeStage: 1,
        submittedAt: 1,
        stageDueAt: 1,
        'profile.fullName': 1,
        'profile.countryOfResidence': 1,
        'profile.nationality': 1,
        'profile.field': 1,
        'profile.highestDegree': 1,
        pubs: { $ifNull: ['$achievements.publicationsCount', 0] },
        pats: { $ifNull: ['$achievements.patentsCount', 0] },
      },
    },
    { $addFields: { achievementsTotal: { $add: ['$pubs', '$pats'] } } },
    { $sort: SORTS[q.sort || 'score'] },
  ];
  const rows = Case.aggregate<CaseRow>(pipeline).exec();
  rankingCache.delete(key); // re-inserted last: the oldest entry is dropped first
  rankingCache.set(key, { at: now, rows });
  rows.catch(() => rankingCache.delete(key));
  if (rankingCache.size > RANKING_CACHE_MAX) {
    for (const [k, v] of rankingCache) if (now - v.at >= RANKING_CACHE_MS) rankingCache.delete(k);
    while (rankingCache.size > RANKING_CACHE_MAX) rankingCache.delete(rankingCache.keys().next().value!);
  }
  return rows;
}

/**
 * The ranking as a viewer may see it: a case whose score is hidden from them must not be placed by
 * that score, or its place would tell it (ranked first above a visible 4.00: "above 4"). By score,
 * those cases come after the ones the viewer may rank, in reference order; by achievements, ties
 * are broken by submission and reference, not by score.
 */
function orderForViewer(rows: CaseRow[], sort: (typeof SHORTLIST_SORTS)[number], hidden: (c: CaseRow) => boolean): CaseRow[] {
  // References are ASCII ('TA-2026-000123'): compared as strings; localeCompare (ICU) is far slower
  // over 2,000 rows and buys nothing here (with it and no keeping below: 65 requests/s, p95 178 ms).
  const byReference = (a: CaseRow, b: CaseRow) => (a.reference < b.reference ? -1 : a.reference > b.reference ? 1 : 0);
  if (sort === 'score') {
    const shown: CaseRow[] = [];
    const held: CaseRow[] = [];
    for (const c of rows) (hidden(c) ? held : shown).push(c);
    return held.length ? [...shown, ...held.sort(byReference)] : rows;
  }
  if (sort === 'achievements' && rows.some(hidden)) {
    const total = (c: CaseRow) => (c.pubs ?? 0) + (c.pats ?? 0);
    const at = (c: CaseRow) => c.submittedAt?.getTime() ?? Number.MAX_SAFE_INTEGER;
    return [...rows].sort((a, b) => total(b) - total(a) || at(a) - at(b) || byReference(a, b));
  }
  return rows;
}

/**
 * What a viewer sees of a ranking, kept as long as the ranking and the scorecards it was computed
 * from are the ones cached (the same objects): deciding it for 2,000 cases on every page view held
 * the shortlist at 102 requests/s (p95 120 ms), 231 (p95 62 ms) kept, in runs of `npm run bench --
 * --targets shortlist`. A new ranking or new scorecards (submitEvaluation,
 * decideCase: invalidateShortlist) are new objects, and the viewer's view is decided again.
 */
type ViewerRanking = { sheets: Map<string, SheetSummary[]>; hidden: Set<CaseRow>; ordered: CaseRow[] };
const viewerRankings = new WeakMap<CaseRow[], Map<string, ViewerRanking>>();

function viewerRanking(ranked: CaseRow[], sheets: Map<string, SheetSummary[]>, viewerId: string, sort: string, decide: () => Omit<ViewerRanking, 'sheets'>): ViewerRanking {
  let byViewer = viewerRankings.get(ranked);
  if (!byViewer) viewerRankings.set(ranked, (byViewer = new Map()));
  const key = `${viewerId}|${sort}`;
  const kept = byViewer.get(key);
  if (kept && kept.sheets === sheets) return kept;
  const fresh = { sheets, ...decide() };
  if (byViewer.size >= 500) byViewer.clear();
  byViewer.set(key, fresh);
  return fresh;
}

export interface LoadShortlistOptions {
  ctx: Context;
  call: CallDoc | (PolicyCall & { checklist?: unknown });
  query: ShortlistQuery;
}

/** One page of the call's ranked shortlist, as the actor may see it (hidden scores stay hidden). */
export async function loadShortlist({ ctx, call, query: q }: LoadShortlistOptions): Promise<Shortlist> {
  const viewer = actorOf(ctx);
  const callId = new Types.ObjectId(String(call._id));
  const page = q.page ?? 1;
  const withHeld = canListRejected(viewer, call);
  const ownSheet = (sheets: SheetSummary[] | undefined) => (sheets ?? []).some((s) => String(s.member) === String(viewer._id));
  const scorecardKeys = ((call as { scorecard?: { key: string }[] }).scorecard ?? []).map((c) => c.key);
  let all: CaseRow[];
  // Whether this case's score is hidden from the viewer (the hidden-scores rule, scoring still open).
  let hiddenFrom: ((c: CaseRow) => boolean) | undefined;
  const sortsByScore = (q.sort || 'score') === 'score' || q.sort === 'achievements';
  if ((typeof q.minScore === 'number' || sortsByScore) && !canSeeOthersScores(viewer, call, false)) {
    const [ranked, sheets] = await Promise.all([rankedRows(callId, { ...q, minScore: undefined }, withHeld), callSheets(callId, scorecardKeys)]);
    const seen = viewerRanking(ranked, sheets, String(viewer._id), q.sort || 'score', () => {
      const hidden = new Set<CaseRow>();
      for (const c of ranked) if (typeof c.score === 'number' && !canSeeOthersScores(viewer, call, ownSheet(sheets.get(String(c._id))), c)) hidden.add(c);
      return { hidden, ordered: orderForViewer(ranked, q.sort || 'score', (c) => hidden.has(c)) };
    });
    hiddenFrom = (c) => seen.hidden.has(c);
    // The minimum applies to the scores this viewer sees. A scored case whose score is hidden from
    // them stays listed whatever its score: dropping it would tell the score. One nobody has scored
    // has none to hide (how many scorecards are in is always shown).
    const min = q.minScore;
    all = typeof min === 'number' ? seen.ordered.filter((c) => typeof c.score === 'number' && (c.score >= min || seen.hidden.has(c))) : seen.ordered;
  } else {
    all = await rankedRows(callId, q, withHeld);
  }
  const total = all.length;
  const cases = all.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
  const ids = cases.map((c) => c._id);

  const [allSheets, docs, { decisions: decided, holdReasons, holds }, conflicts, panelSize, calendar] = await Promise.all([
    callSheets(callId, scorecardKeys),
    documentCompleteness(ids, call),
    latestDecisions(ctx, cases),
    // The page's cases only, one indexed query ({ call, case }).
    ids.length ? PanelConflict.aggregate<{ _id: Types.ObjectId; members: Types.ObjectId[] }>([{ $match: { call: callId, case: { $in: ids } } }, { $group: { _id: '$case', members: { $push: '$member' } } }]) : Promise.resolve([]),
    panelSizeOf(call),
    loadCalendar(),
  ]);
  // Only the conflicts of members on the panel now count it down, as the server's minimum does
  // (decision.ts panelScores): one removed since is out of its size already (security review s35b).
  const seated = conflicts.length ? await onPanelOf(call, [...new Set(conflicts.flatMap((c) => c.members.map(String)))]) : new Set<string>();
  const conflictsOf = new Map(conflicts.map((c) => [String(c._id), c.members.filter((m) => seated.has(String(m))).length]));
  const viewerConflicted = new Set(conflicts.filter((c) => c.members.some((m) => String(m) === String(viewer._id))).map((c) => String(c._id)));
  const byCase = new Map(ids.map((id) => [String(id), allSheets.get(String(id)) ?? []]));
  const memberIds = [...new Set([...[...byCase.values()].flat().map((s) => String(s.member)), ...[...decided.values()].map((d) => String(d.actor ?? '')), ...[...holds.values()].map((h) => String(h.actor ?? ''))].filter(Boolean))];
  const names = new Map((await User.find({ _id: { $in: memberIds } }, { name: 1 }).lean()).map((u) => [String(u._id), u.name]));
  const rows: ShortlistRow[] = cases.map((c, i) => {
    const own = ownSheet(byCase.get(String(c._id)));
    const visible = canSeeOthersScores(viewer, call, own, c);
    const list = byCase.get(String(c._id)) ?? [];
    // Nothing is hidden while nobody has scored: the cell says "no score yet", not "hidden".
    const scored = list.length > 0 || typeof c.score === 'number';
    const decision = decided.get(String(c._id));
    return {
      id: String(c._id),
      rank: hiddenFrom?.(c) ? null : (page - 1) * PAGE_SIZE + i + 1,
      reference: c.reference,
      stage: c.stage,
      version: c.version,
      name: c.profile?.fullName ?? '',
      track: c.track,
      country: c.profile?.countryOfResidence,
      nationality: c.profile?.nationality,
      field: c.profile?.field,
      degree: c.profile?.highestDegree,
      publications: c.pubs ?? 0,
      patents: c.pats ?? 0,
      submittedAt: c.submittedAt,
      score: visible && typeof c.score === 'number' ? c.score : null,
      scoreHidden: !visible && scored,
      ownSubmitted: own,
      evaluationsCount: list.length,
      conflictsCount: conflictsOf.get(String(c._id)) ?? 0,
      completeScorecards: list.filter((s) => s.complete).length,
      viewerConflicted: viewerConflicted.has(String(c._id)),
      recommendations: visible ? list.map((s) => ({ member: names.get(String(s.member)) ?? '—', recommendation: s.recommendation })) : [],
      documents: docs.get(String(c._id)) ?? { required: 0, accepted: 0, rejected: 0, expired: 0, complete: true },
      ...(decision ? { decision: { action: decision.action, at: decision.at, who: names.get(String(decision.actor)) ?? '' } } : {}),
      ...(c.stage === 'shortlisted' && c.stageDueAt ? { decisionDueAt: c.stageDueAt } : {}),
      ...(c.stage === 'on_hold' ? { held: { ...(holdReasons.has(String(c._id)) ? { reason: holdReasons.get(String(c._id))! } : {}), ...holdFacts(holds.get(String(c._id)), names) } } : {}),
    };
  });
  return { rows, total, page, pages: Math.max(1, Math.ceil(total / PAGE_SIZE)), query: q, panelSize, calendar };
}

/**
 * The latest leader decision of each listed case past evaluation (a case in evaluation has none):
 * one query for the page's cases, their history steps' action, origin, moment and actor only; for a
 * held case, the reason of its hold too, for a reader who may read the case's reasons (policies/case.ts readReasons).
 */
async function latestDecisions(ctx: Context, cases: CaseRow[]): Promise<{ decisions: Map<string, { action: string; at: Date; actor?: unknown }>; holdReasons: Map<string, string>; holds: Map<string, HeldStep> }> {
  const out = { decisions: new Map<string, { action: string; at: Date; actor?: unknown }>(), holdReasons: new Map<string, string>(), holds: new Map<string, HeldStep>() };
  const past = cases.filter((c) => c.stage !== 'evaluation').map((c) => c._id);
  if (past.length === 0) return out;
  const heldIds = new Set(cases.filter((c) => c.stage === 'on_hold').map((c) => String(c._id)));
  type Steps = { _id: Types.ObjectId; institute?: unknown; applicant?: unknown; call?: unknown; stageDueAt?: Date | null; history?: { action: string; from?: string | null; at: Date; actor?: unknown; note?: string | null }[] };
  const docs = await Case.find({ _id: { $in: past } }, { institute: 1, applicant: 1, call: 1, 'history.action': 1, 'history.from': 1, 'history.at': 1, 'history.actor': 1, ...(heldIds.size ? { 'history.note': 1, stageDueAt: 1 } : {}) }).lean<Steps[]>();
  for (const d of docs) {
    // The case's decisions as every page reads them (server/cases/decision-history.ts); the row names the panel's latest.
    const last = caseDecisions(d).filter(isPanelDecision).at(-1);
    const hold = heldIds.has(String(d._id)) ? d.history?.findLast((h) => h.action === 'put_on_hold') : undefined;
    const holdReason = hold?.note?.trim() && can(ctx.actor, 'case.readReasons', { institute: d.institute, applicant: d.applicant, call: d.call }) ? hold.note.trim() : undefined;
    if (last) out.decisions.set(String(d._id), { action: last.action, at: last.at, actor: last.actor });
    if (holdReason) out.holdReasons.set(String(d._id), holdReason);
    // Held: by whom (HR's holds too) and when, and the review day (a held case's stage deadline).
    if (hold || heldIds.has(String(d._id))) out.holds.set(String(d._id), { actor: hold?.actor, at: hold?.at, reviewBy: d.stageDueAt ?? undefined });
  }
  return out;
}

/** A held case's last hold step, its decider's name not read yet. */
type HeldStep = { actor?: unknown; at?: Date; reviewBy?: Date };

function holdFacts(step: HeldStep | undefined, names: Map<string, string>): HoldFacts {
  if (!step) return {};
  const by = step.actor ? names.get(String(step.actor)) : undefined;
  return { ...(by ? { by } : {}), ...(step.at ? { at: step.at } : {}), ...(step.reviewBy ? { reviewBy: step.reviewBy } : {}) };
}

export interface ShortlistCallRow {
  call: Pick<CallDoc, '_id' | 'title' | 'code' | 'track' | 'field' | 'status' | 'closesAt' | 'institute'>;
  /** In evaluation, in the shortlist (the leaders' offer decision: the home's second figure, walk s37), and at or past evaluation. */
  counts: { evaluation: number; shortlisted: number; total: number };
  onPanel: boolean;
  leader: boolean;
}

/** The calls whose shortlist the actor may open, with how many cases are before the panel. */
export async function shortlistCalls({ ctx }: { ctx: Context }): Promise<ShortlistCallRow[]> {
  const user = actorOf(ctx);
  const calls = await Call.find(shortlistCallFilter(user), { title: 1, code: 1, track: 1, field: 1, status: 1, closesAt: 1, institute: 1 }).sort({ closesAt: -1 }).limit(500).lean();
  const counts = await Case.aggregate<{ _id: { call: Types.ObjectId; stage: string }; n: number }>([
    { $match: { call: { $in: calls.map((c) => c._id) }, stage: { $in: [...PANEL_STAGES] } } },
    { $group: { _id: { call: '$call', stage: '$stage' }, n: { $sum: 1 } } },
  ]);
  const byCall = new Map<string, ShortlistCallRow['counts']>();
  for (const c of counts) {
    const k = String(c._id.call);
    const row = byCall.get(k) ?? { evaluation: 0, shortlisted: 0, total: 0 };
    row.total += c.n;
    if (c._id.stage === 'evaluation') row.evaluation += c.n;
    if (c._id.stage === 'shortlisted') row.shortlisted += c.n;
    byCall.set(k, row);
  }
  return calls.map((c) => ({
    call: c,
    counts: byCall.get(String(c._id)) ?? { evaluation: 0, shortlisted: 0, total: 0 },
    onPanel: (user.panelCalls ?? []).some((p) => String(p) === String(c._id)),
    leader: isInstituteLeader(user, c),
  }));
}

/**
 * Document completeness for the listed cases, in one aggregation over their current documents:
 * how many of the call's required application-phase checklist items have an accepted current
 * version, plus rejected and expired counts (the documents helper's own flags use the same model).
 */
export async function documentCompleteness(caseIds: Types.ObjectId[], call: { checklist?: unknown }, now = new Date()) {
  const required = [...new Set(((call.checklist ?? []) as { type: string; phase?: string; required?: boolean }[]).filter((i) => i.required !== false && (i.phase ?? 'application') === 'application').map((i) => i.type))];
  const out = new Map<string, { required: number; accepted: number; rejected: number; expired: number; complete: boolean }>();
  for (const id of caseIds) out.set(String(id), { required: required.length, accepted: 0, rejected: 0, expired: 0, complete: required.length === 0 });
  if (caseIds.length === 0) return out;
  const grouped = await CaseDocument.aggregate<{ _id: { case: Types.ObjectId; type: string }; accepted: number; rejected: number; expired: number }>([
    { $match: { case: { $in: caseIds }, current: true } },
    {
      $group: {
        _id: { case: '$case', type: '$type' },
        accepted: { $sum: { $cond: [{ $eq: ['$status', 'accepted'] }, 1, 0] } },
        rejected: { $sum: { $cond: [{ $eq: ['$status', 'rejected'] }, 1, 0] } },
        expired: { $sum: { $cond: [{ $and: [{ $ne: [{ $ifNull: ['$expiresAt', null] }, null] }, { $lt: ['$expiresAt', now] }] }, 1, 0] } },
      },
    },
  ]);
  for (const g of grouped) {
    const row = out.get(String(g._id.case));
    if (!row) continue;
    if (required.includes(g._id.type) && g.accepted > 0) row.accepted += 1;
    row.rejected += g.rejected;
    row.expired += g.expired;
  }
  for (const row of out.values()) row.complete = row.accepted >= row.required && row.expired === 0;
  return out;
}
