// The ranking score of a case, from its panel's scorecards.
//
// Rule (documented for panel members on the scorecard page too):
//  1. For each criterion of the call's scorecard, take the mean of the scores (1–5) given by the
//     members who scored it. A member who skipped a criterion is left out of that criterion's mean
//     only; their other scores still count.
//  2. The case score is the weighted mean of those criterion means: Σ(mean × weight) / Σ(weight),
//     over the criteria that have at least one score (weights renormalised over them).
//  With every criterion scored by every member this equals the mean over members of each member's
//  Σ(score × weight) / Σ(weight). Criteria no longer on the scorecard are ignored; if every scored
//  criterion has weight 0, they count equally. No scores at all → no score (ranked last).
//  The result is rounded to 4 decimals so equal panels give exactly equal scores (ties are then
//  broken by publications + patents, then by earlier submission: see shortlist.ts).

export interface CriterionWeight {
  key: string;
  weight: number;
}

export type ScoreMap = Map<string, number> | Record<string, number | undefined>;

function get(scores: ScoreMap, key: string): number | undefined {
  const v = scores instanceof Map ? scores.get(key) : scores[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export interface CriterionMean {
  key: string;
  weight: number;
  mean: number | null;
  count: number;
}

export function criterionMeans(scorecard: readonly CriterionWeight[], sheets: readonly { scores: ScoreMap }[]): CriterionMean[] {
  return scorecard.map((c) => {
    let sum = 0;
    let count = 0;
    for (const s of sheets) {
      const v = get(s.scores ?? {}, c.key);
      if (v !== undefined) {
        sum += v;
        count += 1;
      }
    }
    return { key: c.key, weight: c.weight, mean: count ? sum / count : null, count };
  });
}

export function round4(n: number): number {
  return Math.round(n * 10_000) / 10_000;
}

export function weightedScore(scorecard: readonly CriterionWeight[], sheets: readonly { scores: ScoreMap }[]): number | null {
  const scored = criterionMeans(scorecard, sheets).filter((c) => c.mean !== null);
  if (scored.length === 0) return null;
  const totalWeight = scored.reduce((a, c) => a + c.weight, 0);
  const value =
    totalWeight > 0
      ? scored.reduce((a, c) => a + c.mean! * c.weight, 0) / totalWeight
      : scored.reduce((a, c) => a + c.mean!, 0) / scored.length;
  return round4(value);
}

/** One member's own weighted score (shown beside their sheet); same rule with a single sheet. */
export function sheetScore(scorecard: readonly CriterionWeight[], scores: ScoreMap): number | null {
  return weightedScore(scorecard, [{ scores }]);
}
