// HR moves the planned start of work (profile.plannedArrival) once the applicant can no longer edit
// their application (server/applications/service.ts EDITABLE: draft and awaiting_applicant only): the
// expert writes that they start a month later, and HR records it. In onboarding the stage's deadline
// follows it as it did at the acceptance (server/workflow onboardingDue), counted from the same start,
// not from today. One update checked against the version the officer saw, with the history event;
// then the audit event and the arrival forecast (both as an accepted offer's day records them:
// ./planned-start-moves.ts). No e-mail: the onboarding deadline is HR's, and the applicant is the one
// who told HR the new day.
import { z } from 'zod';
import { actorOf, tOf, type Context } from '../context.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { nextDueAt } from '../../models/case-deadline.ts';
import { FORECAST_STAGES } from '../../models/constants.ts';
import { countedDeadline, isDueCount, loadCalendar, vnDateKey, type DueCount, type WorkingCalendar } from '../calendar/index.ts';
import { filingWindow, lodgingTarget } from '../procedures/rules.ts';
import { isSupportOverdue, plain, type TrackState } from '../procedures/service.ts';
import type { SupportKind } from '../../models/constants.ts';
import { onboardingDue } from '../workflow/index.ts';
import { HOLD_REASON_MAX } from '../workflow/transitions.ts';
import { calendarDayProblem } from '../support/calendar-day.ts';
import { hasVisibleText, withoutHiddenCharacters } from '../support/hidden-characters.ts';
import { ValidationError, type FieldErrors } from '../errors.ts';
import { plannedStartAudit, plannedStartEvent } from './planned-start-moves.ts';
import { settleCaseAudits, withPendingAudits } from './pending-audit.ts';
import { refreshForecast } from '../planner/service.ts';
import { caseConflict } from './conflict.ts';

/** The form's fields (named apart from the other forms of the case page, which share its error summary). */
export const PLANNED_START_FIELDS = { day: 'plannedStart', reason: 'plannedStartReason' } as const;
/** The latest planned start, in years from now (the applicant's form allows the same: applications/steps.ts futureDate). */
const MAX_YEARS_AHEAD = 10;

/** Until the expert has arrived, the planned start is what the deadlines and the forecast read. */
export function canChangePlannedStart(caseDoc: Pick<CaseDoc, 'stage'>): boolean {
  return (FORECAST_STAGES as readonly string[]).includes(caseDoc.stage);
}

const reasonText = z.string().trim().refine(hasVisibleText(), 'required').max(HOLD_REASON_MAX, 'tooLong').refine(withoutHiddenCharacters, 'errors.hiddenCharacters');

/** The day as the applicant's own form stores it (midnight UTC of the typed day), or the field's error key. */
function readDay(typed: string, now: Date): Date | string {
  if (!typed) return 'cases.plannedStart.errors.required';
  if (calendarDayProblem(typed)) return 'workflow.errors.invalidDate';
  if (typed < vnDateKey(now)) return 'cases.plannedStart.errors.past';
  if (Number(typed.slice(0, 4)) > Number(vnDateKey(now).slice(0, 4)) + MAX_YEARS_AHEAD) return 'cases.plannedStart.errors.tooFar';
  return new Date(`${typed}T00:00:00.000Z`);
}

/**
 * The onboarding deadline for a planned start, counted from when the stage's count began (the
 * acceptance, or the resume into onboarding: what onboardingDue was given then, stageEnteredAt),
 * so that moving the start back later gives the same 40 working days the acceptance gave.
 */
function onboardingDeadline(caseDoc: CaseDoc, planned: Date, now: Date, calendar: WorkingCalendar): { at: Date; count?: DueCount } {
  const from = caseDoc.stageDueCount?.from ?? caseDoc.stageEnteredAt ?? now;
  const due = onboardingDue({ profile: { plannedArrival: planned } as CaseDoc['profile'] }, from, calendar);
  return due instanceof Date ? { at: due } : { at: countedDeadline(calendar, due), count: due };
}

/**
 * The procedures with a filing window before the start (the work permit, its exemption: rules.ts
 * filingWindow) whose target the institute counted, before filing, counted again for the new start
 * (rules.ts lodgingTarget, as the holiday recount does). A target HR typed keeps no count
 * (service.ts nextTrack) and stays where HR put it: the procedure's page warns when a filing day
 * falls outside the new window. Pure.
 */
export function targetsForStart(tracks: readonly TrackState[], calendar: WorkingCalendar, start: Date): { tracks: TrackState[]; moved: Array<{ kind: SupportKind; from: Date; to: Date }> } {
  const moved: Array<{ kind: SupportKind; from: Date; to: Date }> = [];
  const next = tracks.map((t) => {
    if ((t.status !== 'requested' && t.status !== 'preparing') || !t.dueAt || !isDueCount(t.dueCount) || !filingWindow(t.kind, start)) return t;
    const to = lodgingTarget(t.kind, calendar, t.dueCount.from, countedDeadline(calendar, t.dueCount), start);
    if (to.getTime() === t.dueAt.getTime()) return t;
    moved.push({ kind: t.kind, from: t.dueAt, to });
    return { ...t, dueAt: to };
  });
  return { tracks: next, moved };
}

export interface PlannedStartResult {
  caseDoc: CaseDoc;
  /** The day was already the planned start: nothing written (a double submit). */
  unchanged?: true;
}

/**
 * Sets the planned start with HR's reason (kept on the history). A stale form (the case changed since
 * the page was built) is a conflict; the same day again is done already. Errors are worded in the
 * officer's language beside the fields, nothing written.
 */
export async function changePlannedStart({ ctx, caseDoc, version, form }: { ctx: Context; caseDoc: CaseDoc; version: number; form: { plannedStart: string; plannedStartReason: string } }): Promise<PlannedStartResult> {
  const actor = actorOf(ctx);
  const t = tOf(ctx);
  const now = ctx.now;
  const day = readDay(form.plannedStart.trim(), now);
  const previous = caseDoc.profile?.plannedArrival ?? undefined;
  if (day instanceof Date && previous && vnDateKey(previous) === vnDateKey(day)) return { caseDoc, unchanged: true };
  if (caseDoc.version !== version || !canChangePlannedStart(caseDoc)) throw await caseConflict({ ctx, caseId: caseDoc._id });
  const errors: FieldErrors = {};
  if (typeof day === 'string') errors[PLANNED_START_FIELDS.day] = t(day, { years: MAX_YEARS_AHEAD });
  const reason = reasonText.safeParse(form.plannedStartReason ?? '');
  if (!reason.success) {
    const m = reason.error.issues[0]!.message;
    errors[PLANNED_START_FIELDS.reason] = m === 'errors.hiddenCharacters' ? t(m) : t(`cases.plannedStart.errors.reason.${m === 'tooLong' ? 'tooLong' : 'required'}`, { max: HOLD_REASON_MAX });
  }
  if (Object.keys(errors).length > 0 || typeof day === 'string' || !reason.success) throw new ValidationError(errors);

  // Only onboarding's deadline reads the planned start; a hold that resumes into onboarding reads it then.
  const set: Record<string, unknown> = { 'profile.plannedArrival': day };
  const unset: Record<string, ''> = {};
  const calendar = await loadCalendar();
  let due: { at: Date; count?: DueCount } | undefined;
  if (caseDoc.stage === 'onboarding') {
    due = onboardingDeadline(caseDoc, day, now, calendar);
    set.stageDueAt = due.at;
    if (due.count) set.stageDueCount = due.count;
    else unset.stageDueCount = '';
  }
  // The filing targets the institute counted follow the start (HR's own stay), each on the timeline
  // the applicant sees, since their page shows the target and the window.
  const targets = targetsForStart((caseDoc.supportTracks ?? []).map(plain), calendar, day);
  if (targets.moved.length) {
    set.supportTracks = targets.tracks;
    const movedKinds = new Set<string>(targets.moved.map((m) => m.kind));
    set.overdueProcedures = (caseDoc.overdueProcedures ?? []).filter((k) => !movedKinds.has(k) || isSupportOverdue(targets.tracks.find((t) => t.kind === k) ?? { kind: k as SupportKind, status: 'not_needed' }, now));
  }
  if (due || targets.moved.length) set.nextDueAt = nextDueAt({ stage: caseDoc.stage, stageDueAt: due?.at ?? caseDoc.stageDueAt ?? null, supportTracks: targets.tracks as never });
  const move = { ...(previous ? { from: previous } : {}), to: day };
  const dueMoved = due && caseDoc.stageDueAt?.getTime() !== due.at.getTime() ? { ...(caseDoc.stageDueAt ? { from: caseDoc.stageDueAt } : {}), to: due.at } : undefined;
  const history = [
    plannedStartEvent({ at: now, actor, move, due: dueMoved, note: reason.data }),
    ...targets.moved.map((m) => {
      const status = targets.tracks.find((t) => t.kind === m.kind)!.status;
      return { at: now, actor: actor._id, actorRole: actor.role, action: 'support_update', procedure: { kind: m.kind, from: status, to: status, targetFrom: m.from, targetTo: m.to, startMovedTo: day, applicantVisible: true } };
    }),
  ];
  // The audit event goes into the same update (./pending-audit.ts), with the version that update makes.
  const audit = plannedStartAudit(ctx, {
    at: now,
    caseDoc,
    move,
    version: caseDoc.version + 1,
    source: 'hr',
    extra: { ...(due ? { stageDueAt: due.at.toISOString() } : {}), ...(targets.moved.length ? { targets: targets.moved.map((m) => ({ kind: m.kind, from: vnDateKey(m.from), to: vnDateKey(m.to) })) } : {}) },
  });
  const updated = await Case.findOneAndUpdate(
    { _id: caseDoc._id, stage: caseDoc.stage, version: caseDoc.version },
    { $set: set, ...(Object.keys(unset).length ? { $unset: unset } : {}), $inc: { version: 1 }, $push: { history: { $each: history }, ...withPendingAudits([audit]) } },
    { returnDocument: 'after' },
  );
  if (!updated) throw await caseConflict({ ctx, caseId: caseDoc._id });
  await settleCaseAudits(caseDoc._id, [audit]);
  // The forecast of the arrival reads the planned start (best effort: it never fails the change).
  await refreshForecast({ caseId: updated._id, now });
  return { caseDoc: updated };
}
