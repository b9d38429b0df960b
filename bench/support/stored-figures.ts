// Stored dashboard figures for the dashboard benches (dashboard-own-decision, stage-move-every-step):
// one institute's 40 stored filters (plain, one call, 38 periods with and without the call), each
// counting 8,000 cases in every stage, computed a second ago and viewed now.
import { Types } from 'mongoose';
import { DashboardFigures } from '../../models/dashboard-figures.ts';
import { figuresKey } from '../../server/dashboard/stored.ts';

const STAGES = ['submitted', 'screening', 'awaiting_applicant', 'evaluation', 'shortlisted', 'offer', 'onboarding', 'arrived', 'closed', 'rejected', 'withdrawn', 'on_hold'];

/** Empties the stored figures and stores the institute's 40 filters; answers the institute and call they count. */
export async function seedStoredFigures(): Promise<{ institute: Types.ObjectId; call: Types.ObjectId }> {
  await DashboardFigures.deleteMany({});
  const institute = new Types.ObjectId();
  const call = new Types.ObjectId();
  const data = { total: 100_000, stages: STAGES.map((stage) => ({ stage, now: 8000, reached: 9000 })), timeInStage: [], overdue: [], byCountry: [], byTrack: [], byField: { vi: [], en: [] }, arrivals: [] };
  const computedAt = new Date(Date.now() - 1000);
  const keys = [figuresKey({ institute }), figuresKey({ institute, call }), ...Array.from({ length: 38 }, (_, i) => figuresKey({ institute, from: `2026-${String((i % 12) + 1).padStart(2, '0')}-01`, to: '2026-12-31', call: i % 2 ? call : undefined }))];
  await DashboardFigures.insertMany([...new Set(keys)].map((key) => ({ key, institute, plain: key === figuresKey({ institute }), data, computedAt, viewedAt: new Date() })));
  return { institute, call };
}

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The median time of `times` calls of `f` in ms, `between` (untimed) before each. */
export async function medianTime(f: () => Promise<unknown>, times: number, between?: () => Promise<unknown>): Promise<number> {
  const out: number[] = [];
  for (let i = 0; i < times; i += 1) {
    if (between) await between();
    const t0 = performance.now();
    await f();
    out.push(performance.now() - t0);
  }
  return median(out);
}
