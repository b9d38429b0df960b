// The dashboard's background job (primary process, server/services.ts): keeps the stored figures
// (stored.ts) current so that no page computes them.
//  - First run: once the start-time jobs have had their first run (they read every case at start),
//    the plain figures of every institute with a leader, one computation at a time.
//  - Every RUN_EVERY_MS after: the figures viewed in the last hour that are older than FRESH_MS or
//    were marked by a write, the plain ones first, then oldest first, one at a time; and the figures of filters nobody looked
//    at for FORGET_MS are deleted.
import { Types } from 'mongoose';
import { DashboardFigures } from '../../models/dashboard-figures.ts';
import { User } from '../../models/user.ts';
import type { AppContext } from '../deps.ts';
import { firstRunsOfOthers, periodicService, registerService, type BackgroundService } from '../services.ts';
import { FORGET_MS, VIEWED_MS, computeFigures, figuresKey, filterOfKey, outdated } from './stored.ts';

export const DASHBOARD_JOB = 'dashboard-figures';
const RUN_EVERY_MS = 10_000;
/** Warming waits at most this for the start-time jobs (one stuck job must not leave every dashboard cold). */
const START_JOBS_WAIT_MS = 10 * 60_000;

/** The plain figures of each institute with an active leader, computed unless fresh. */
export async function warmDashboards({ now, isStopping = () => false }: { now: () => Date; isStopping?: () => boolean }): Promise<number> {
  const institutes = (await User.distinct('institute', { role: 'leader', institute: { $ne: null }, disabledAt: null }).exec()) as Types.ObjectId[];
  let n = 0;
  for (const institute of institutes) {
    if (isStopping()) break;
    const doc = await DashboardFigures.findOne({ key: figuresKey({ institute }) }, { computedAt: 1, staleSince: 1 }).lean().exec();
    if (doc && !outdated(doc, Date.now())) continue;
    if (await computeFigures({ institute }, now())) n += 1;
  }
  return n;
}

/** The figures viewed in the last hour that are outdated, recomputed one at a time (oldest first). */
export async function refreshViewedDashboards({ now, isStopping = () => false }: { now: () => Date; isStopping?: () => boolean }): Promise<number> {
  const t = Date.now();
  const due = await DashboardFigures.find(
    { viewedAt: { $gte: new Date(t - VIEWED_MS) }, $or: [{ computingUntil: null }, { computingUntil: { $lt: new Date(t) } }] },
    { key: 1, computedAt: 1, staleSince: 1, plain: 1 },
  )
    .lean()
    .exec();
  // The plain figures (each institute's opening view) first, then the oldest: however many periods
  // someone looked at in the hour, those do not wait behind them.
  const toCompute = due
    .filter((d) => outdated(d, t))
    .sort((a, b) => Number(!!b.plain) - Number(!!a.plain) || (a.computedAt?.getTime() ?? 0) - (b.computedAt?.getTime() ?? 0));
  let n = 0;
  for (const d of toCompute) {
    if (isStopping()) break;
    if (await computeFigures(filterOfKey(d.key, (s) => new Types.ObjectId(s)), now())) n += 1;
  }
  return n;
}

/**
 * Marks every figure computed before this start stale (the job recomputes them; pages say newer ones
 * are coming meanwhile). A process killed between a step's stage write and its move of the stored
 * counts (workflow record → applyStageMove), or before a decision's invalidateDashboard, left counts
 * that miss the step and, fresh, were shown as current until FRESH_MS (drill stage-move-crash: 62 s).
 */
export async function markFiguresBeforeStart(startedAt: Date): Promise<number> {
  return (await DashboardFigures.updateMany({ computedAt: { $lt: startedAt } }, { $set: { staleSince: startedAt } }).exec()).modifiedCount;
}

export function dashboardService(app: AppContext): BackgroundService {
  let warmed = false;
  const service = periodicService(app, {
    name: DASHBOARD_JOB,
    intervalMs: RUN_EVERY_MS,
    firstDelayMs: RUN_EVERY_MS,
    run: async (isStopping) => {
      if (!warmed) {
        await Promise.race([Promise.allSettled(firstRunsOfOthers(DASHBOARD_JOB)), new Promise((r) => setTimeout(r, START_JOBS_WAIT_MS).unref())]);
        const started = performance.now();
        const n = await warmDashboards({ now: app.now, isStopping });
        warmed = true;
        app.logger.info({ institutes: n, ms: Math.round(performance.now() - started) }, 'dashboards warmed');
      }
      await refreshViewedDashboards({ now: app.now, isStopping });
      await DashboardFigures.deleteMany({ plain: false, viewedAt: { $lt: new Date(Date.now() - FORGET_MS) } }).exec();
    },
  });
  return {
    ...service,
    start() {
      markFiguresBeforeStart(new Date()).catch((err: unknown) => app.logger.error({ err }, 'dashboard figures not marked stale at start'));
      service.start();
    },
  };
}

registerService((app) => dashboardService(app));
