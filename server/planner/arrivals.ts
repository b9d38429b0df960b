// The leaders' dashboard figure of forecast arrivals: open cases (offer made or before, not yet
// arrived) counted by the month of their likely start (stored `forecast.likely`, Vietnam time),
// in the dashboard's scope (institute, call; the period filters the likely date).
import type { PipelineStage } from 'mongoose';
import { Case } from '../../models/case.ts';
import { FORECAST_STAGES } from '../../models/constants.ts';
import { tOf, type Context } from '../context.ts';
import type { DashboardFilter } from '../dashboard/index.ts';
import { vnStartOfDay } from '../calendar/index.ts';

const VN_OFFSET = 7 * 3_600_000;

export interface ForecastMonth {
  month: string;
  n: number;
}

export async function forecastArrivalsByMonth({ filter: f }: { filter: DashboardFilter }): Promise<ForecastMonth[]> {
  const likely: Record<string, Date> = { $ne: null as unknown as Date };
  if (f.from) likely.$gte = vnStartOfDay(f.from);
  if (f.to) likely.$lt = new Date(vnStartOfDay(f.to).getTime() + 86_400_000);
  const match: Record<string, unknown> = { stage: { $in: [...FORECAST_STAGES] }, 'forecast.likely': likely };
  if (f.institute) match.institute = f.institute;
  if (f.call) match.call = f.call;
  const stages: PipelineStage[] = [
    { $match: match },
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
  const fmt = new Intl.DateTimeFormat(ctx.locale === 'vi' ? 'vi-VN' : 'en-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' });
  return {
    title: t('planner.dashboard.title'),
    max,
    total: rows.reduce((a, b) => a + b.n, 0),
    rows: rows.map((r) => ({ month: r.month, label: fmt.format(new Date(`${r.month}-15T00:00:00Z`)), n: r.n })),
  };
}
