// Figures for leaders, HR and the steering committee: one small aggregation per figure over the
// cases in scope ($match on indexed fields, then a $group), so the database does the counting and
// only small tables travel back. Stages reached and time in stage come from figures each case
// carries (models/case-summary.ts), not from re-reading every history event.
//
// Definitions (also printed in the report):
//  - Scope: an institute (leaders and HR officers: their own; administrators: all or one), and
//    optionally one call. Drafts (never submitted) are not counted.
//  - Period (from/to, whole days in Vietnam time, both inclusive): cases counted by stage, country,
//    track and field are those SUBMITTED in the period; arrivals are counted by arrival date; time
//    in stage counts the stays that ENDED in the period. Overdue support tracks are as of now.
//  - Funnel: cases that ever reached each stage (`reached`: the main line and the side stages
//    alike, awaiting the applicant, on hold, rejected, withdrawn), and how many are in each stage now.
//  - Time in stage: for each completed stay in a stage (entered by one history event, left by the
//    next), its length in days, measured in whole hours; median and 90th percentile by the
//    nearest-rank method.
//  - Country: country of residence (else nationality).
//  - Field: the research field of the case's call, in the reader's language. Not the applicant's
//    own typed field: a new application pre-fills it in the page's language, so one field would
//    count as two ("Vật lý" / "Physics"), and free text splits on spelling besides.
import { Types, type PipelineStage } from 'mongoose';
import { Case } from '../../models/case.ts';
import { Call } from '../../models/call.ts';
import { LOCALES, type Locale } from '../i18n/index.ts';
import { textIn } from '../support/localized.ts';
import { ACTIVE_SUPPORT_STATUSES, OPEN_SUPPORT_STATUSES, FUNNEL_STAGES, HIRING_STAGES, STAGES, TRACKS, SUPPORT_KINDS, inStages, type Stage } from '../../models/constants.ts';
import type { Context } from '../context.ts';
import { resolveDashboardFilter, type FilterQuery, type ResolvedFilter } from './filter.ts';
import type { ForecastMonth } from '../planner/arrivals.ts';
import { forgetFigures, markFiguresStale, readFigures } from './stored.ts';
import { recentDecisions, type RecentDecision } from './decisions.ts';
import { vnStartOfDay } from '../calendar/index.ts';
import { DAY_MS, VN_OFFSET_MS } from '../views/time.ts';


export interface DashboardFilter {
  institute?: Types.ObjectId;
  call?: Types.ObjectId;
  /** yyyy-mm-dd (Vietnam), inclusive. */
  from?: string;
  to?: string;
}

export interface DashboardData {
  generatedAt: Date;
  filter: { institute?: string; call?: string; from?: string; to?: string };
  total: number;
  stages: { stage: Stage; now: number; reached: number }[];
  timeInStage: { stage: Stage; stays: number; medianDays: number | null; p90Days: number | null }[];
  overdue: { kind: string; open: number; overdue: number }[];
  byCountry: { key: string; n: number }[];
  byTrack: { key: string; n: number }[];
  /** Per language: the calls' fields as read in it (two calls may share a field in one language only). */
  byField: Record<Locale, { key: string; n: number }[]>;
  arrivals: { month: string; n: number }[];
}

/** The filter's period as a range of instants (Vietnam days, `to` included), or undefined for all time. */
export function periodRange(f: Pick<DashboardFilter, 'from' | 'to'>): { $gte?: Date; $lt?: Date } | undefined {
  if (!f.from && !f.to) return undefined;
  const r: { $gte?: Date; $lt?: Date } = {};
  if (f.from) r.$gte = vnStartOfDay(f.from);
  if (f.to) r.$lt = new Date(vnStartOfDay(f.to).getTime() + DAY_MS);
  return r;
}

/** Nearest-rank percentile over a histogram of whole hours: the smallest value with ≥ p of the stays at or below it. */
export function percentileFromHistogram(hist: { h: number; n: number }[], p: number): number | null {
  const sorted = [...hist].sort((a, b) => a.h - b.h);
  const total = sorted.reduce((a, b) => a + b.n, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(p * total));
  let seen = 0;
  for (const b of sorted) {
    seen += b.n;
    if (seen >= rank) return b.h;
  }
  return sorted[sorted.length - 1]!.h;
}

function top(rows: { _id: unknown; n: number }[], limit: number): { key: string; n: number }[] {
  const list = rows.map((r) => ({ key: r._id === null || r._id === undefined || r._id === '' ? '' : String(r._id), n: r.n })).sort((a, b) => b.n - a.n || a.key.localeCompare(b.key));
  if (list.length <= limit) return list;
  const head = list.slice(0, limit - 1);
  const rest = list.slice(limit - 1).reduce((a, b) => a + b.n, 0);
  return [...head, { key: '*other', n: rest }];
}

/** Group rows summed by one part of their key, as a $group on that part alone would count them. */
function sumBy<I, K>(rows: { _id: I; n: number }[], part: (id: I) => K): { _id: K; n: number }[] {
  const sums = new Map<string, { _id: K; n: number }>();
  for (const r of rows) {
    const k = part(r._id);
    // By type and value: null apart from a country typed "null", a number apart from its digits.
    const key = k === null || k === undefined ? '' : `${typeof k}:${String(k)}`;
    const row = sums.get(key);
    if (row) row.n += r.n;
    else sums.set(key, { _id: k, n: r.n });
  }
  return [...sums.values()];
}

/** Cases per call summed by the calls' research fields, in each language (a call gone or without a field: unknown ''). */
async function fieldsOfCalls(byCall: { _id: Types.ObjectId | null; n: number }[]): Promise<Record<Locale, { key: string; n: number }[]>> {
  const ids = byCall.map((r) => r._id).filter((id): id is Types.ObjectId => id !== null);
  const calls = ids.length ? await Call.find({ _id: { $in: ids } }, { field: 1 }).lean<Array<{ _id: Types.ObjectId; field?: unknown }>>().exec() : [];
  const fieldOf = new Map(calls.map((c) => [String(c._id), c.field]));
  const inLocale = (locale: Locale) => {
    const sums = new Map<string, number>();
    for (const r of byCall) {
      const key = textIn(fieldOf.get(String(r._id)), locale).trim();
      sums.set(key, (sums.get(key) ?? 0) + r.n);
    }
    return top([...sums].map(([_id, n]) => ({ _id, n })), 12);
  };
  return Object.fromEntries(LOCALES.map((l) => [l, inLocale(l)])) as Record<Locale, { key: string; n: number }[]>;
}

/** The figures, computed now (reports and exports always use fresh ones). */
export async function computeDashboard({ filter: f, now }: { filter: DashboardFilter; now: Date }): Promise<DashboardData> {
  const base: Record<string, unknown> = { stage: { $ne: 'draft' } };
  if (f.institute) base.institute = f.institute;
  if (f.call) base.call = f.call;
  const period = periodRange(f);
  const submittedIn = period ? { submittedAt: period } : {};

  // One small aggregation per figure rather than one $facet: each is matched on indexed fields and
  // runs natively in the embedded database, whose $facet goes through the general (slower) engine.
  const agg = <T>(stages: PipelineStage[]) => Case.aggregate<T>([{ $match: base }, ...stages]).option({ allowDiskUse: true }).exec();
  const submittedMatch: PipelineStage[] = period ? [{ $match: submittedIn }] : [];
  // Stage, track and call in one pass (each pass reads every case in scope: a figure of its own cost
  // a pass each), and the two country fields in another; both groups on field paths alone, which
  // the embedded database runs natively ($ifNull in the key went through its general engine).
  // Summed below into the figure each counts for.
  const byStageTrackCall = await agg<{ _id: { s?: string | null; t?: string | null; c?: Types.ObjectId | null }; n: number }>([...submittedMatch, { $group: { _id: { s: '$stage', t: '$track', c: '$call' }, n: { $sum: 1 } } }]);
  const byResidenceNationality = await agg<{ _id: { r?: string | null; a?: string | null }; n: number }>([...submittedMatch, { $group: { _id: { r: '$profile.countryOfResidence', a: '$profile.nationality' }, n: { $sum: 1 } } }]);
  const facets = {
    byStage: sumBy(byStageTrackCall, (id) => id.s ?? null),
    // Country of residence, else nationality ($ifNull's rule: missing or null).
    byCountry: sumBy(byResidenceNationality, (id) => id.r ?? id.a ?? null),
    byTrack: sumBy(byStageTrackCall, (id) => id.t ?? null),
    // Counted per call, then named from the calls (below): one read of the calls counted, however many cases.
    byCall: sumBy(byStageTrackCall, (id) => id.c ?? null),
    reached: await agg<{ _id: string; n: number }>([
      ...submittedMatch,
      { $project: { reached: 1 } },
      { $unwind: '$reached' },
      { $group: { _id: '$reached', n: { $sum: 1 } } },
    ]),
    stays: await agg<{ _id: { s: string; h: number }; n: number }>([
      { $project: { stays: 1 } },
      { $unwind: '$stays' },
      ...(period ? [{ $match: { 'stays.leftAt': period } } as PipelineStage.Match] : []),
      { $group: { _id: { s: '$stays.stage', h: '$stays.hours' }, n: { $sum: 1 } } },
    ]),
    // Open and overdue support tracks as plain counts (simple $group stages run natively in the
    // embedded database; a $cond inside the accumulator would not). Open: under way, or refused and
    // not yet settled (models/constants.ts OPEN_SUPPORT_STATUSES).
    openTracks: await agg<{ _id: string; n: number }>([
      { $match: { stage: { $in: [...HIRING_STAGES] } } },
      { $project: { supportTracks: 1 } },
      { $unwind: '$supportTracks' },
      { $match: { 'supportTracks.status': { $in: [...OPEN_SUPPORT_STATUSES] } } },
      { $group: { _id: '$supportTracks.kind', n: { $sum: 1 } } },
    ]),
    lateTracks: await agg<{ _id: string; n: number }>([
      { $match: { stage: { $in: [...HIRING_STAGES] } } },
      { $project: { supportTracks: 1 } },
      { $unwind: '$supportTracks' },
      { $match: { 'supportTracks.status': { $in: [...ACTIVE_SUPPORT_STATUSES] }, 'supportTracks.dueAt': { $lt: now } } },
      { $group: { _id: '$supportTracks.kind', n: { $sum: 1 } } },
    ]),
    // Overdue too: a refusal whose written reasons are late (never also late above: it has no dueAt clock).
    lateReasons: await agg<{ _id: string; n: number }>([
      { $match: { stage: { $in: [...HIRING_STAGES] } } },
      { $project: { supportTracks: 1 } },
      { $unwind: '$supportTracks' },
      { $match: { 'supportTracks.status': 'refused', 'supportTracks.reasonsDueAt': { $lt: now }, 'supportTracks.reasonsReceivedAt': null } },
      { $group: { _id: '$supportTracks.kind', n: { $sum: 1 } } },
    ]),
    arrivals: await agg<{ _id: { y: number; m: number }; n: number }>([
      { $match: { arrivedAt: period ?? { $ne: null } } },
      // Month in Vietnam time: shift by +7 h, then take the UTC year and month.
      { $project: { d: { $add: ['$arrivedAt', VN_OFFSET_MS] } } },
      { $group: { _id: { y: { $year: '$d' }, m: { $month: '$d' } }, n: { $sum: 1 } } },
    ]),
  };

  const byField = await fieldsOfCalls(facets.byCall ?? []);

  const nowBy = new Map((facets.byStage ?? []).map((r) => [r._id, r.n]));
  const reachedBy = new Map((facets.reached ?? []).map((r) => [r._id, r.n]));
  const stageRows = STAGES.filter((s) => s !== 'draft').map((stage) => ({
    stage,
    now: nowBy.get(stage) ?? 0,
    // Every stage from the same counts (each case carries the stages it reached): a side stage's "—"
    // read as "none" although cases went through it.
    reached: reachedBy.get(stage) ?? 0,
  }));
  const hist = new Map<string, { h: number; n: number }[]>();
  for (const r of facets.stays ?? []) {
    if (!r._id.s || r._id.s === 'draft' || r._id.h === null || r._id.h < 0) continue; // drafts are not counted
    if (!hist.has(r._id.s)) hist.set(r._id.s, []);
    hist.get(r._id.s)!.push({ h: r._id.h, n: r.n });
  }
  const days = (h: number | null) => (h === null ? null : Math.round((h / 24) * 10) / 10);
  const timeInStage = STAGES.filter((s) => hist.has(s) || inStages(s, FUNNEL_STAGES))
    .filter((s) => s !== 'closed')
    .map((stage) => {
      const h = hist.get(stage) ?? [];
      return { stage, stays: h.reduce((a, b) => a + b.n, 0), medianDays: days(percentileFromHistogram(h, 0.5)), p90Days: days(percentileFromHistogram(h, 0.9)) };
    });
  const lateBy = new Map<string, number>();
  for (const r of [...(facets.lateTracks ?? []), ...(facets.lateReasons ?? [])]) lateBy.set(r._id, (lateBy.get(r._id) ?? 0) + r.n);
  const overdueBy = new Map((facets.openTracks ?? []).map((r) => [r._id, { _id: r._id, open: r.n, overdue: lateBy.get(r._id) ?? 0 }]));
  return {
    generatedAt: now,
    filter: { institute: f.institute ? String(f.institute) : undefined, call: f.call ? String(f.call) : undefined, from: f.from, to: f.to },
    total: stageRows.reduce((a, b) => a + b.now, 0),
    stages: stageRows,
    timeInStage,
    overdue: SUPPORT_KINDS.map((kind) => ({ kind, open: overdueBy.get(kind)?.open ?? 0, overdue: overdueBy.get(kind)?.overdue ?? 0 })),
    byCountry: top(facets.byCountry ?? [], 15),
    byTrack: TRACKS.map((t) => ({ key: t as string, n: (facets.byTrack ?? []).find((r) => r._id === t)?.n ?? 0 })),
    byField,
    arrivals: (facets.arrivals ?? []).map((r) => ({ month: `${r._id.y}-${String(r._id.m).padStart(2, '0')}`, n: r.n })).sort((a, b) => a.month.localeCompare(b.month)),
  };
}

// ---- the page's figures: stored, computed in the background (stored.ts, job.ts) ----

/**
 * Marks the stored figures that include this institute (its own and the all-institutes ones): the
 * job recomputes them within seconds (a decision's other figures: time in stage, the recent
 * decisions). Its move between the stage counts was made by the step itself (the workflow's
 * transition, applyStageMove). Never fails: the write it follows is done, and figures not marked are
 * recomputed within the minute anyway.
 */
export async function invalidateDashboard(institute: unknown): Promise<void> {
  await markFiguresStale(institute ? String(institute) : undefined).catch(() => undefined);
}

/** Forgets every stored figure (tests that empty the database or change data behind the app's back). */
export function clearDashboardCache(): Promise<void> {
  return forgetFigures();
}

export interface DashboardView {
  resolved: ResolvedFilter;
  /** Absent while figures never computed for these filters are being prepared. */
  data?: DashboardData;
  forecastArrivals?: ForecastMonth[];
  /** The figures shown are older than a minute or a write changed them: newer ones are being computed. */
  updating: boolean;
  /** Stage changes after the computation are already moved between the stage counts. */
  movedAt?: Date;
  /** The leaders' latest decisions with their reasons (fresh, not cached). */
  decisions: RecentDecision[];
}

/** The dashboard's stored figures for the actor's scope and the filters asked (above), and the latest decisions. */
export async function dashboardView({ ctx, query }: { ctx: Context; query: FilterQuery }): Promise<DashboardView> {
  const resolved = await resolveDashboardFilter({ ctx, query });
  // Both at once (the page's hot path); a decision newer than this process's copy of the figures has
  // them read again (stored.ts freshAfter; otherwise the second read is the copy kept, no query).
  const [decisions, kept] = await Promise.all([recentDecisions({ filter: resolved.filter }), readFigures({ filter: resolved.filter, now: ctx.now })]);
  const read = decisions[0] ? await readFigures({ filter: resolved.filter, now: ctx.now, freshAfter: decisions[0].at }) : kept;
  return { resolved, data: read.figures?.data, forecastArrivals: read.figures?.forecastArrivals, updating: read.updating, movedAt: read.figures?.movedAt, decisions };
}
