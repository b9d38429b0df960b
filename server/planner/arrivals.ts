// The leaders' dashboard figure of forecast arrivals: open cases (offer made or before, not yet
// arrived) counted by the month of their likely start (stored `forecast.likely`, Vietnam time),
// in the dashboard's scope (institute, call; the period filters the likely date).
import type { PipelineStage } from 'mongoose';
import { Case } from '../../models/case.ts';
import { FORECAST_STAGES } from '../../models/constants.ts';
import { tOf, type Context } from '../context.ts';
import type { DashboardFilter } from '../dashboard/index.ts';
import { vnStartOfDay } from '../calendar/index.ts';
import { monthText } from '../views/time.ts';

const VN_OFFSET = 7 * 3_600_000;
/** Below every date a case can hold. */
const ANY_DATE = new Date(-8.64e15);

export interface ForecastMonth {
  month: string;
  n: number;
}

export async function forecastArrivalsByMonth({ filter: f }: { filter: DashboardFilter }): Promise<ForecastMonth[]> {
  // A date range, never `$ne: null`: { institute, forecast.likely } then reads only the cases that
  // have a forecast (offer and onboarding), not every case of the institute's open stages.
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
    { $project: { d: { $add: ['$forecast.likely', VN_OFFSET] } } },
    { $group: { _id: { y: { $year: '$d' }, m: { $month: '$d' } }, n: { $sum: 1 } } },
  ];
  const rows = await Case.aggregate<{ _id: { y: number; m: number }; n: number }>(stages);
  return rows.map((r) => ({ month: `${r._id.y}-${String(r._id.m).padStart(2, '0')}`, n: r.n })).sort((a, b) => a.month.localeCompare(b.month));
}

/** Rows with the month in words and a bar (a <meter>: no inline style under the CSP). */
export function presentForecastArrivals(ctx: Context, rows: ForecastMonth[]) {
  const t = tOf(ctx);
  const max = Math.max(1, ...rows.map((r) => r.n));
  return {
    title: t('planner.dashboard.title'),
    max,
    total: rows.reduce((a, b) => a + b.n, 0),
    rows: rows.map((r) => ({ month: r.month, label: monthText(r.month, ctx.locale), n: r.n })),
  };
}
