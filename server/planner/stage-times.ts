// The institute's own measured times per stage: median and 90th percentile (nearest rank, whole
// hours) of the stays of its CLOSED cases, by one aggregation ($group on stage and hours, so only a
// small histogram travels back), cached for an hour per institute.
import { Types } from 'mongoose';
import { Case } from '../../models/case.ts';
import { percentileFromHistogram } from '../dashboard/index.ts';
import type { StageTimes } from './forecast.ts';

export const STAGE_TIMES_CACHE_MS = 3_600_000;
const cache = new Map<string, { at: number; value: Promise<StageTimes> }>();

export async function computeStageTimes({ institute }: { institute?: unknown }): Promise<StageTimes> {
  const match: Record<string, unknown> = { stage: 'closed' };
  if (institute) match.institute = new Types.ObjectId(String(institute));
  const rows = await Case.aggregate<{ _id: { s: string; h: number }; n: number }>([
    { $match: match },
    { $project: { stays: 1 } },
    { $unwind: '$stays' },
    { $group: { _id: { s: '$stays.stage', h: '$stays.hours' }, n: { $sum: 1 } } },
  ]);
  const hist = new Map<string, { h: number; n: number }[]>();
  for (const r of rows) {
    if (!r._id?.s || typeof r._id.h !== 'number' || r._id.h < 0) continue;
    hist.set(r._id.s, [...(hist.get(r._id.s) ?? []), { h: r._id.h, n: r.n }]);
  }
  const out: StageTimes = {};
  for (const [stage, h] of hist) {
    out[stage] = { stays: h.reduce((a, b) => a + b.n, 0), medianHours: percentileFromHistogram(h, 0.5) ?? 0, p90Hours: percentileFromHistogram(h, 0.9) ?? 0 };
  }
  return out;
}

/** Cached per institute (a failed computation is not kept). */
export function stageTimesFor({ institute, now = Date.now() }: { institute?: unknown; now?: number }): Promise<StageTimes> {
  const k = institute ? String(institute) : '*';
  const hit = cache.get(k);
  if (hit && now - hit.at < STAGE_TIMES_CACHE_MS) return hit.value;
  const value = computeStageTimes({ institute });
  cache.set(k, { at: now, value });
  value.catch(() => cache.delete(k));
  return value;
}

export function clearStageTimesCache(): void {
  cache.clear();
}
