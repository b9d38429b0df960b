// Arrival forecast: the earliest, likely and latest day the person can start work.
//  - earliest: every procedure still ahead lodged as soon as the law allows, each authority
//    deciding on the last day of its legal deadline (working days on the holiday calendar);
//  - likely / latest: no earlier than that, and no earlier than the institute's own median / 90th
//    percentile time for the stages still ahead (closed cases' stays, server/planner/stage-times.ts),
//    nor than the applicant's planned arrival;
// every date a working day. Pure: all inputs are arguments.
import { FUNNEL_STAGES, TERMINAL_STAGES, inStages } from '../../models/constants.ts';
import type { WorkingCalendar } from '../calendar/index.ts';
import { dayOf, onOrAfterWorkingDay, scheduleProcedures, type Explanation, type PlannerCase, type ProcedureStep } from './schedule.ts';

const HOUR = 3_600_000;

export interface StageTime {
  stays: number;
  medianHours: number;
  p90Hours: number;
}
export type StageTimes = Partial<Record<string, StageTime>>;

export interface Forecast {
  earliest: Date;
  likely: Date;
  latest: Date;
  explain: Explanation[];
  steps: ProcedureStep[];
}

export interface ForecastOptions {
  case: PlannerCase;
  calendar: WorkingCalendar;
  today: Date;
  stageTimes?: StageTimes;
}

/** The stage the case is really in for the main line (on hold: the stage it returns to). */
function lineStage(c: PlannerCase): string | undefined {
  const s = c.stage === 'on_hold' ? (c.resumeStage ?? undefined) : c.stage === 'awaiting_applicant' ? 'screening' : c.stage;
  return s && inStages(s, FUNNEL_STAGES) ? s : undefined;
}

/** Hours still ahead before arrival by the measured times: what is left of this stage, then each later one. */
export function remainingHours(c: PlannerCase, times: StageTimes, today: Date, pick: 'medianHours' | 'p90Hours'): { hours: number; stages: Array<{ stage: string; hours: number }> } | undefined {
  const s = lineStage(c);
  if (!s) return undefined;
  const path = FUNNEL_STAGES.slice(FUNNEL_STAGES.indexOf(s as (typeof FUNNEL_STAGES)[number]), FUNNEL_STAGES.indexOf('arrived'));
  const stages: Array<{ stage: string; hours: number }> = [];
  let hours = 0;
  for (const [i, st] of path.entries()) {
    const m = times[st];
    if (!m || m.stays === 0) return undefined;
    const elapsed = i === 0 && c.stageEnteredAt ? Math.max(0, (today.getTime() - c.stageEnteredAt.getTime()) / HOUR) : 0;
    const left = Math.max(0, m[pick] - elapsed);
    stages.push({ stage: st, hours: m[pick] });
    hours += left;
  }
  return { hours, stages };
}

/** The forecast, or undefined when the case will not arrive (ended) or has not been submitted. */
export function forecastArrival({ case: c, calendar, today, stageTimes = {} }: ForecastOptions): Forecast | undefined {
  if (inStages(c.stage, TERMINAL_STAGES) || c.stage === 'draft') return undefined;
  if (c.stage === 'arrived' || c.arrivedAt) {
    const on = dayOf(c.arrivedAt ?? today);
    return { earliest: on, likely: on, latest: on, explain: [{ key: 'arrived', params: { date: on } }], steps: [] };
  }
  const sched = scheduleProcedures({ case: c, calendar, today });
  const explain: Explanation[] = [...sched.steps.map((s) => s.explain), ...sched.startExplain];
  const earliest = sched.start;
  explain.push({ key: 'earliest', params: { date: earliest } });

  const planned = c.profile?.plannedArrival ? onOrAfterWorkingDay(calendar, c.profile.plannedArrival) : undefined;
  const by = (pick: 'medianHours' | 'p90Hours') => {
    const r = remainingHours(c, stageTimes, today, pick);
    return r ? { at: onOrAfterWorkingDay(calendar, new Date(today.getTime() + r.hours * HOUR)), r } : undefined;
  };
  const med = by('medianHours');
  const p90 = by('p90Hours');
  let likely = earliest;
  let latest = earliest;
  if (med && med.at > likely) likely = med.at;
  if (p90 && p90.at > latest) latest = p90.at;
  if (med) for (const s of med.r.stages) explain.push({ key: 'measured', params: { stage: s.stage, median: Math.round(s.hours / 24), p90: Math.round((stageTimes[s.stage]?.p90Hours ?? 0) / 24) } });
  else explain.push({ key: 'noMeasures', params: {} });
  if (planned && planned > likely) {
    likely = planned;
    explain.push({ key: 'planned', params: { date: planned } });
  }
  if (planned && planned > latest) latest = planned;
  if (latest < likely) latest = likely;
  explain.push({ key: 'likely', params: { date: likely } }, { key: 'latest', params: { date: latest } });
  return { earliest, likely, latest, explain, steps: sched.steps };
}
