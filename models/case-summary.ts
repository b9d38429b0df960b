// Figures derived from a case's history, stored on the case so dashboards count them with a plain
// $unwind/$group instead of re-deriving them from every history event on every request.
// Kept in step by the Case model (on save) and by the workflow (in the transition's own update).

export interface StageStay {
  stage: string;
  enteredAt: Date;
  leftAt: Date;
  /** Whole hours in the stage (floor), the unit the dashboard's percentiles use. */
  hours: number;
}

export interface CaseSummary {
  /** Every stage the case has entered, in order of first entry, including the current one. */
  reached: string[];
  /** Completed stays: entered by one transition event, left by the next. */
  stays: StageStay[];
}

const HOUR = 3_600_000;

export function summarizeHistory(history: ReadonlyArray<{ at?: Date | null; to?: string | null }>, currentStage: string): CaseSummary {
  const transitions = history.filter((e): e is { at: Date; to: string } => !!e.to && e.at instanceof Date);
  const reached: string[] = [];
  for (const e of transitions) if (!reached.includes(e.to)) reached.push(e.to);
  if (!reached.includes(currentStage)) reached.push(currentStage);
  const stays: StageStay[] = [];
  for (let i = 1; i < transitions.length; i++) {
    const enteredAt = transitions[i - 1]!.at;
    const leftAt = transitions[i]!.at;
    stays.push({ stage: transitions[i - 1]!.to, enteredAt, leftAt, hours: Math.floor((leftAt.getTime() - enteredAt.getTime()) / HOUR) });
  }
  return { reached, stays };
}

/** The figures after one more transition: the stay in `from` (entered at `enteredAt`) ends `at`. */
export function afterTransition(prior: CaseSummary, from: string, enteredAt: Date, to: string, at: Date): CaseSummary {
  const reached = prior.reached.includes(to) ? [...prior.reached] : [...prior.reached, to];
  const stay = { stage: from, enteredAt, leftAt: at, hours: Math.floor((at.getTime() - enteredAt.getTime()) / HOUR) };
  return { reached, stays: [...prior.stays, stay] };
}
