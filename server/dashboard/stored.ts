// The dashboard's figures kept in the database (models/dashboard-figures.ts), so that nobody waits
// for a computation: for 50,000 cases it takes seconds on a quiet machine and 10–40 s on a loaded
// one (bench/dashboard-figures.ts), and each aggregation holds the embedded database's thread while
// it runs.
//
//  - A page reads the stored figures (one indexed findOne, kept in the process for MEMO_MS) and
//    shows their time ("figures as of"). Older than FRESH_MS, or marked by a write, they are still
//    shown, saying newer ones are coming: the primary's background job (job.ts) computes them.
//  - The job warms the plain figures (no call, no period) of every institute with a leader once the
//    start-time jobs have run, one at a time, and then keeps current only the figures viewed in the
//    last hour. One computation at a time across processes and instances: `computingUntil`.
//  - Figures never computed (an uncommon call or period) are computed on demand; the page waits at
//    most waitMs for them and otherwise says they are being prepared (the computation goes on).
//    So are figures computed before this process started (a restart: the job's start marks them
//    stale), one such computation at a time per process: the leader who opens the page after a
//    restart reads current figures, not "updating" until the job's first run a minute later.
//  - invalidateDashboard (a decision, an offer's answer) marks the institute's figures: the job
//    recomputes them at its next run, within seconds. Other writes show within FRESH_MS + a run.
//    Every change of a case's stage (the workflow's one writer of it: a decision, an applicant's
//    answer to an offer or withdrawal, HR's steps, a submission) also moves its case between the
//    stored stage counts at once (applyStageMove): whoever has just acted and opens the dashboard
//    sees the case counted in its new stage, not the count of up to a minute ago (walk32 #3), while
//    the full recomputation follows.
import type { Types } from 'mongoose';
import { DashboardFigures } from '../../models/dashboard-figures.ts';
import { forecastArrivalsByMonth, type ForecastMonth } from '../planner/arrivals.ts';
import { computeDashboard, type DashboardData, type DashboardFilter } from './index.ts';

/** Figures older than this are recomputed by the job (if viewed in the last hour). */
export const FRESH_MS = 45_000;
/** Figures viewed within this are kept current by the job. */
export const VIEWED_MS = 60 * 60_000;
/** A view is written to the figures at most this often (not a write per page). */
const VIEW_MARK_MS = 5 * 60_000;
/** A process re-reads the stored figures after this. */
const MEMO_MS = 5_000;
const MEMO_KEYS = 500;
/** One computation's hold on its figures; a process that died while computing frees them after it. */
const LEASE_MS = 5 * 60_000;
/** How long a page waits for figures computed on demand. */
const WAIT_MS = 2_500;
/**
 * Computations at once in this process (the pages' and the job's) and computations waiting for one:
 * each holds the embedded database's thread for seconds, and a page does not wait for the one it
 * starts. Without a bound, a signed-in reader varying the period in the address started one more
 * aggregation per request, all at once. Beyond the waiting ones, a page's figures are not started:
 * the page says they are being prepared, and its reload asks again.
 */
const MAX_COMPUTING = 2;
const MAX_WAITING = 8;
/** Figures not viewed for this long, except the plain ones, are deleted by the job. */
export const FORGET_MS = 14 * 24 * 60 * 60_000;

export interface StoredFigures {
  data: DashboardData;
  forecastArrivals: ForecastMonth[];
  /** When the computation began (the server's clock). */
  computedAt: Date;
  /** Stage changes since were moved between the stage counts (applyStageMove): the page says they are counted. */
  movedAt?: Date;
}

export interface FiguresRead {
  /** Absent: still being prepared after the page's wait. */
  figures?: StoredFigures;
  /** The figures shown are older than FRESH_MS or a write changed them since: newer ones are coming. */
  updating: boolean;
}

export function figuresKey(f: DashboardFilter): string {
  return JSON.stringify([String(f.institute ?? ''), String(f.call ?? ''), f.from ?? '', f.to ?? '']);
}

const isPlain = (f: DashboardFilter) => !f.call && !f.from && !f.to;

interface Doc {
  data?: DashboardData | null;
  forecastArrivals?: ForecastMonth[] | null;
  computedAt?: Date | null;
  staleSince?: Date | null;
  viewedAt?: Date | null;
  movedAt?: Date | null;
}

const memo = new Map<string, { doc: Doc | null; readAt: number }>();
/** This process's computations, by key: concurrent pages share one. */
const computing = new Map<string, Promise<StoredFigures | undefined>>();
let active = 0;
const queued: Array<() => void> = [];

/** A place among the MAX_COMPUTING computations, once one is free (first come, first served). */
function slot(): Promise<void> {
  if (active < MAX_COMPUTING) {
    active += 1;
    return Promise.resolve();
  }
  return new Promise((resolve) => queued.push(resolve));
}

/** The place goes to the next computation waiting, else is free. */
function freeSlot(): void {
  const next = queued.shift();
  if (next) next();
  else active -= 1;
}

/** Computations running and waiting in this process (tests of the bound). */
export function figuresLoad(): { running: number; waiting: number } {
  return { running: active, waiting: queued.length };
}

function figuresOf(doc: Doc | null | undefined): StoredFigures | undefined {
  return doc?.data && doc.computedAt ? { data: doc.data, forecastArrivals: doc.forecastArrivals ?? [], computedAt: doc.computedAt, ...(doc.movedAt && doc.movedAt > doc.computedAt ? { movedAt: doc.movedAt } : {}) } : undefined;
}

/** Older than FRESH_MS, or a write marked them after their computation began (the job recomputes these). */
export function outdated(doc: Pick<Doc, 'computedAt' | 'staleSince'>, t: number): boolean {
  return !doc.computedAt || t - doc.computedAt.getTime() >= FRESH_MS || (!!doc.staleSince && doc.staleSince > doc.computedAt);
}

async function readDoc(key: string): Promise<Doc | null> {
  return DashboardFigures.findOne({ key }, { data: 1, forecastArrivals: 1, computedAt: 1, staleSince: 1, viewedAt: 1, movedAt: 1 }).lean<Doc>().exec();
}

/**
 * Computes the figures and stores them, if no other computation holds them (then: undefined).
 * `now` is the figures' "as of" (the app's clock); freshness is measured on the server's.
 */
export function computeFigures(f: DashboardFilter, now: Date): Promise<StoredFigures | undefined> {
  const key = figuresKey(f);
  const running = computing.get(key);
  if (running) return running;
  // As many as may run and wait already: not started (the caller says "being prepared" or tries at its next run).
  if (active + queued.length >= MAX_COMPUTING + MAX_WAITING) return Promise.resolve(undefined);
  const p = (async () => {
    await slot();
    try {
      return await computeHeld(f, key, now);
    } finally {
      freeSlot();
    }
  })().finally(() => computing.delete(key));
  computing.set(key, p);
  return p;
}

/** The computation itself, once it has its place: claims the figures across processes, computes and stores them. */
async function computeHeld(f: DashboardFilter, key: string, now: Date): Promise<StoredFigures | undefined> {
  const startedAt = new Date();
  try {
    await DashboardFigures.findOneAndUpdate(
      { key, $or: [{ computingUntil: null }, { computingUntil: { $lt: startedAt } }] },
      { $set: { computingUntil: new Date(startedAt.getTime() + LEASE_MS) }, $setOnInsert: { institute: f.institute ?? null, plain: isPlain(f) } },
      { upsert: true, projection: { _id: 1 } },
    ).exec();
  } catch (err) {
    // Held by another computation: the upsert met the unique key.
    if ((err as { code?: number }).code === 11000) return undefined;
    throw err;
  }
  try {
    const [data, forecastArrivals] = await Promise.all([computeDashboard({ filter: f, now }), forecastArrivalsByMonth({ filter: f })]);
    const was = await DashboardFigures.findOneAndUpdate({ key }, { $set: { data, forecastArrivals, computedAt: startedAt, computingUntil: null } }, { projection: { movedAt: 1 } })
      .lean<Pick<Doc, 'movedAt'>>()
      .exec();
    // A step moved the stored counts while this ran (applyStageMove): these counts may or may not hold
    // it, and they replaced the moved ones. Marked stale, they are recomputed at the job's next run,
    // not left for FRESH_MS: most steps mark nothing themselves (only decisions do).
    if (was?.movedAt && was.movedAt >= startedAt) await DashboardFigures.updateOne({ key }, { $set: { staleSince: new Date() } }).exec();
    memo.delete(key);
    return { data, forecastArrivals, computedAt: startedAt };
  } catch (err) {
    await DashboardFigures.updateOne({ key }, { $set: { computingUntil: null } }).exec().catch(() => undefined);
    throw err;
  }
}

/** When this process started: figures computed before it were left by an earlier one (a restart). */
const PROCESS_STARTED = new Date();
/** The one recomputation of figures left at start a page of this process has started (one at a time: each holds the database's thread). */
let leftAtStart: { key: string; figures: Promise<StoredFigures | undefined> } | undefined;

/**
 * Figures a page found computed before this process started, recomputed on demand: the page waits
 * at most `ms` for them. One such computation at a time in this process (another page meanwhile
 * shows the stored figures, saying they are updating; the job gets to them). Not for figures merely
 * older than FRESH_MS or marked by a write: the job keeps those current within seconds.
 */
async function recomputeLeftAtStart(f: DashboardFilter, now: Date, ms: number): Promise<StoredFigures | undefined> {
  const key = figuresKey(f);
  if (leftAtStart && leftAtStart.key !== key) return undefined;
  if (!leftAtStart) {
    const mine = { key, figures: computeFigures(f, now).catch(() => undefined) };
    leftAtStart = mine;
    void mine.figures.finally(() => {
      if (leftAtStart === mine) leftAtStart = undefined;
    });
  }
  const got = await Promise.race([leftAtStart.figures, new Promise<undefined>((r) => setTimeout(() => r(undefined), ms).unref())]);
  if (got) memo.delete(key);
  return got;
}

/** Resolves with the figures once stored (by this process or another), or undefined after `ms`. */
async function waitForFigures(f: DashboardFilter, now: Date, ms: number): Promise<StoredFigures | undefined> {
  const until = Date.now() + ms;
  const key = figuresKey(f);
  const timeout = <T>(p: Promise<T>, left: number) => Promise.race([p, new Promise<undefined>((r) => setTimeout(() => r(undefined), left).unref())]);
  const mine = computeFigures(f, now);
  mine.catch(() => undefined); // a failure is the page's only if it waits for it (below)
  const got = await timeout(mine, ms);
  if (got) return got;
  // Another process computes them: look every 250 ms.
  while (Date.now() < until && !computing.has(key)) {
    const doc = await readDoc(key);
    const figures = doc && !outdated(doc, Date.now()) ? figuresOf(doc) : undefined;
    if (figures) return figures;
    await new Promise((r) => setTimeout(r, Math.min(250, Math.max(0, until - Date.now()))));
  }
  return Date.now() < until ? timeout(mine, until - Date.now()) : undefined;
}

/**
 * The figures for a page: the stored ones (never waiting for the minute's recomputation), or, when
 * there are none yet, computed on demand for at most `waitMs`.
 */
export async function readFigures({ filter: f, now, waitMs = WAIT_MS, freshAfter }: { filter: DashboardFilter; now: Date; waitMs?: number; freshAfter?: Date }): Promise<FiguresRead> {
  const key = figuresKey(f);
  const t = Date.now();
  let kept = memo.get(key);
  // A decision newer than this process's copy (taken through another web process, whose mark did
  // not reach this memo) is read from the database, so the decider sees it counted. Not one dated
  // ahead of this clock (another instance's skew, imported data): it would defeat the copy on every view.
  const newer = !!freshAfter && freshAfter.getTime() >= (kept?.readAt ?? 0) && freshAfter.getTime() <= t;
  if (!kept || t - kept.readAt >= MEMO_MS || newer) {
    kept = { doc: await readDoc(key), readAt: t };
    // Many filters tried in a row (a period typed day by day) leave many keys: keep the recent ones.
    if (memo.size >= MEMO_KEYS) for (const [k, v] of memo) if (t - v.readAt >= MEMO_MS) memo.delete(k);
    // Still full (that many within MEMO_MS): the oldest go, so the map never outgrows MEMO_KEYS.
    for (const k of memo.keys()) {
      if (memo.size < MEMO_KEYS) break;
      memo.delete(k);
    }
    memo.set(key, kept);
  }
  const doc = kept.doc;
  // The job keeps figures current while they are viewed: say so, at most every VIEW_MARK_MS.
  if (doc && (!doc.viewedAt || t - doc.viewedAt.getTime() >= VIEW_MARK_MS)) {
    doc.viewedAt = new Date(t);
    await DashboardFigures.updateOne({ key }, { $set: { viewedAt: doc.viewedAt } }).exec();
  }
  const stored = figuresOf(doc);
  if (stored && outdated(doc!, t) && stored.computedAt < PROCESS_STARTED) {
    // Left by the process before this one (the job's start marks them stale, job.ts): computed now,
    // waited for as figures never computed are, not after the start-time jobs' first runs (drill
    // dashboard-restart-s35: the leader read "updating" for 61 s after a restart).
    const recomputed = await recomputeLeftAtStart(f, now, waitMs);
    if (recomputed) return { figures: recomputed, updating: false };
  }
  if (stored) return { figures: stored, updating: outdated(doc!, t) };
  const figures = await waitForFigures(f, now, waitMs);
  if (figures) {
    await DashboardFigures.updateOne({ key }, { $set: { viewedAt: new Date() } }).exec();
    memo.delete(key);
  }
  return { figures, updating: false };
}

/** A write changed the institute's figures (and so every institute's): the job recomputes them next. */
export async function markFiguresStale(institute: Types.ObjectId | string | null | undefined): Promise<void> {
  const scope = institute ? [institute, null] : [null];
  for (const k of memo.keys()) {
    const s = (JSON.parse(k) as string[])[0];
    if (s === '' || !institute || s === String(institute)) memo.delete(k);
  }
  await DashboardFigures.updateMany(institute ? { institute: { $in: scope } } : {}, { $set: { staleSince: new Date() } }).exec();
}

/** A case's move between two stages, as a workflow step made it (the case after the move). `from: 'draft'`: a submission, entering the counts. */
export interface StageMove {
  institute: Types.ObjectId | string | null | undefined;
  call?: Types.ObjectId | string | null;
  submittedAt?: Date | null;
  from: string;
  to: string;
  /** The case had never been in `to` before: its "reached" count grows too. */
  firstReach: boolean;
}

/**
 * Moves one case between the stage counts of the stored figures that count it (its institute's and
 * every institute's; any call or its own; any period or one holding its submission day), so that
 * the page shows a stage change at once without recomputing 100,000 cases. Called by the workflow's
 * transition (server/workflow/index.ts), the only writer of a case's stage, for every step. Only figures whose
 * computation began before `before` (a time taken before the decision's write): a later one may
 * already count it. The rest of the figures (time in stage, the stays) wait for the recomputation
 * the write also marked; a computation that stores older counts over this is outdated by that mark
 * and recomputed at the job's next run. Conditional on the figures read (a concurrent move or store
 * wins: the recomputation heals it). Never fails the decision.
 */
export async function applyStageMove(move: StageMove, before: Date): Promise<number> {
  if (move.from === move.to) return 0;
  const scope = move.institute ? [move.institute, null] : [null];
  const day = move.submittedAt ? vnDayKey(move.submittedAt) : undefined;
  // Only the stage counts are read and written (the figures' other tables can be large).
  const docs = await DashboardFigures.find({ institute: { $in: scope }, computedAt: { $ne: null, $lt: before } }, { key: 1, 'data.stages': 1, 'data.total': 1, computedAt: 1, movedAt: 1 })
    .lean<Array<Doc & { key: string }>>()
    .exec();
  // Drafts are not counted (server/dashboard/index.ts): a submission enters the counts and the total.
  const entering = move.from === 'draft';
  const writes = docs.flatMap((d) => {
    const [inst, call, from, to] = JSON.parse(d.key) as string[];
    if (inst && String(move.institute ?? '') !== inst) return [];
    if (call && String(move.call ?? '') !== call) return [];
    // A period counts the cases submitted in it (server/dashboard/index.ts).
    if ((from || to) && (!day || (from && day < from) || (to && day > to))) return [];
    const stages = d.data?.stages;
    if (!stages?.some((r) => r.stage === move.to) || (!entering && !stages.some((r) => r.stage === move.from && r.now > 0))) return [];
    const next = stages.map((r) =>
      r.stage === move.from ? { ...r, now: r.now - 1 } : r.stage === move.to ? { ...r, now: r.now + 1, reached: r.reached + (move.firstReach ? 1 : 0) } : r,
    );
    const set: Record<string, unknown> = { 'data.stages': next, movedAt: new Date() };
    if (entering && typeof d.data?.total === 'number') set['data.total'] = d.data.total + 1;
    return [{ updateOne: { filter: { key: d.key, computedAt: d.computedAt, movedAt: d.movedAt ?? null }, update: { $set: set } } }];
  });
  // One round trip for all of them (each still conditional on the figures read).
  const n = writes.length ? (await DashboardFigures.bulkWrite(writes, { ordered: false })).modifiedCount : 0;
  // After the write: a page reading meanwhile would otherwise keep the counts before it.
  for (const w of writes) memo.delete(w.updateOne.filter.key);
  return n;
}

/** 'YYYY-MM-DD' in Vietnam (UTC+7, no daylight saving), as the period's days are read. */
function vnDayKey(d: Date): string {
  return new Date(d.getTime() + 7 * 3_600_000).toISOString().slice(0, 10);
}

/** Forgets every stored figure (tests that empty the database). */
export async function forgetFigures(): Promise<void> {
  memo.clear();
  computing.clear();
  await DashboardFigures.deleteMany({}).exec();
}

/** The filter a stored document was computed for (from its key). */
export function filterOfKey(key: string, toId: (s: string) => Types.ObjectId): DashboardFilter {
  const [institute, call, from, to] = JSON.parse(key) as string[];
  return { institute: institute ? toId(institute) : undefined, call: call ? toId(call) : undefined, from: from || undefined, to: to || undefined };
}
