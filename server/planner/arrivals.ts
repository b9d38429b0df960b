// The leaders' dashboard figure of forecast arrivals, by the month of each case's likely start
// (stored `forecast.likely`, Vietnam time), in the dashboard's scope (institute, call; the period
// filters the likely date). Two figures, never added together: the likely arrivals are the cases
// with an offer made or accepted (PLANNING_STAGES: offer, onboarding), the ones a leader plans
// housing and budget for; every earlier open case (submitted, screening, evaluation, shortlisted,
// on hold...) has a forecast too (the queue shows it) but is only "in the pipeline": most of them
// will not come.
import type { PipelineStage } from 'mongoose';
import { Case } from '../../models/case.ts';
import { FORECAST_STAGES, PLANNING_STAGES, inStages } from '../../models/constants.ts';
import { tOf, type Context } from '../context.ts';
import type { DashboardFilter } from '../dashboard/index.ts';
import { vnStartOfDay } from '../calendar/index.ts';
import { monthText } from '../views/time.ts';

const VN_OFFSET = 7 * 3_600_000;
/** Below every date a case can hold. */
const ANY_DATE = new Date(-8.64e15);

export interface ForecastMonth {
  month: string;
  /** Likely arrivals: an offer made or accepted (offer, onboarding). */
  n: number;
  /** Earlier open cases whose likely start falls in the month: not arrivals yet. */
  pipeline: number;
}

export async function forecastArrivalsByMonth({ filter: f }: { filter: DashboardFilter }): Promise<ForecastMonth[]> {
  // A date range, never `$ne: null`: { institute, forecast.likely } then reads only the cases that
  // have a forecast (submitted and not yet arrived), not every case of the institute.
  const likely: Record<string, Date> = { $gte: f.from ? vnStartOfDay(f.from) : ANY_DATE };
  if (f.to) likely.$lt = new Date(vnStartOfDay(f.to).getTime() + 86_400_000);
  const match: Record<string, unknown> = { 'forecast.likely': likely };
  if (f.institute) match.institute = f.institute;
  if (f.call) match.call = f.call;
  const stages: PipelineStage[] = [
    // The stage test in a second $match: the first one is what picks the index (MongoDB merges the
    // two), and { institute, forecast.likely } reads only the cases that have a forecast.
    { $match: match },
    { $match: { stage: { $in: [...FORECAST_STAGES] } } },
    { $project: { d: { $add: ['$forecast.likely', VN_OFFSET] }, stage: 1 } },
    // By stage too (a plain $group, native in the embedded database; a $cond in the accumulator is not): split below.
    { $group: { _id: { y: { $year: '$d' }, m: { $month: '$d' }, s: '$stage' }, n: { $sum: 1 } } },
  ];
  const rows = await Case.aggregate<{ _id: { y: number; m: number; s: string }; n: number }>(stages);
  const months = new Map<string, ForecastMonth>();
  for (const r of rows) {
    const month = `${r._id.y}-${String(r._id.m).padStart(2, '0')}`;
    const row = months.get(month) ?? { month, n: 0, pipeline: 0 };
    if (inStages(r._id.s, PLANNING_STAGES)) row.n += r.n;
    else row.pipeline += r.n;
    months.set(month, row);
  }
  return [...months.values()].sort((a, b) => a.month.localeCompare(b.month));
}

/** Rows with the month in words and a bar (a <meter>: no inline style under the CSP). */
export function presentForecastArrivals(ctx: Context, rows: ForecastMonth[]) {
  const t = tOf(ctx);
  const max = Math.max(1, ...rows.map((r) => r.n));
  return {
    title: t('planner.dashboard.title'),
    max,
    total: rows.reduce((a, b) => a + b.n, 0),
    pipelineTotal: rows.reduce((a, b) => a + b.pipeline, 0),
    rows: rows.map((r) => ({ month: r.month, label: monthText(r.month, ctx.locale), n: r.n, pipeline: r.pipeline })),
  };
}
