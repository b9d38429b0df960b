// HR moves the planned start of work (profile.plannedArrival) once the applicant can no longer edit
// their application (server/applications/service.ts EDITABLE: draft and awaiting_applicant only): the
// expert writes that they start a month later, and HR records it. In onboarding the stage's deadline
// follows it as it did at the acceptance (server/workflow onboardingDue), counted from the same start,
// not from today. One update checked against the version the officer saw, with the history event;
// then the audit event and the arrival forecast (both as an accepted offer's day records them:
// ./planned-start-moves.ts). The applicant is e-mailed once, through the case's outbox in the same
// update (planned_start_moved): the new day, what HR wrote for them if anything, and the procedures'
// dates that moved with it. Their page reads the start and the windows from the case, so without the
// e-mail the day moved under them unannounced (a walk found the offer box still on the old day).
import { z } from 'zod';
import type { AppContext } from '../deps.ts';
import { User } from '../../models/user.ts';
import { caseEmail, outboxKey, recipientLocale, type OutboxItem } from '../outbox/item.ts';
import { translator } from '../i18n/index.ts';
import { formatDay } from '../views/time.ts';
import { deadlineLeft, dueMeaning, windowView } from '../procedures/service.ts';
import { actorOf, tOf, type Context } from '../context.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { nextDueAt } from '../../models/case-deadline.ts';
import { FORECAST_STAGES } from '../../models/constants.ts';
import { countedDeadline, isDueCount, loadCalendar, vnDateKey, vnEndOfDay, type DueCount, type WorkingCalendar } from '../calendar/index.ts';
import { PROCEDURE_RULES, earliestStartForFiling, filingTargetWithheld, filingWindow, lodgingDue, lodgingTarget } from '../procedures/rules.ts';
import type { TFunction } from 'i18next';
import type { Locale } from '../i18n/index.ts';
import { vietnameseCitizen } from '../applications/family-support.ts';
import { isSupportOverdue, plain, type TrackState } from '../procedures/service.ts';
import type { SupportKind } from '../../models/constants.ts';
import { STAGE_DEADLINES } from '../workflow/index.ts';
import { stageDaysLeftAtHold } from './held-request.ts';
import { HOLD_REASON_MAX } from '../workflow/transitions.ts';
import { calendarDayProblem } from '../support/calendar-day.ts';
import { hasVisibleText, withoutHiddenCharacters } from '../support/hidden-characters.ts';
import { ValidationError, type FieldErrors } from '../errors.ts';
import { plannedStartAudit, plannedStartEvent } from './planned-start-moves.ts';
import { settleCaseAudits, withPendingAudits } from './pending-audit.ts';
import { refreshForecast } from '../planner/service.ts';
import { caseConflict, versionSeen } from './conflict.ts';

/** The form's fields (named apart from the other forms of the case page, which share its error summary). */
export const PLANNED_START_FIELDS = { day: 'plannedStart', reason: 'plannedStartReason', told: 'plannedStartTold', targets: 'plannedStartTargets' } as const;
/** What to do with the filing targets HR typed: move each with the start (the default), or keep each on its day. */
export const TYPED_TARGET_CHOICES = ['move', 'keep'] as const;
export type TypedTargetChoice = (typeof TYPED_TARGET_CHOICES)[number];
/** What HR may write for the applicant with the change (optional: often the day is the applicant's own). */
export const PLANNED_START_TOLD_MAX = 2000;
/** The latest planned start, in years from now (the applicant's form allows the same: applications/steps.ts futureDate). */
const MAX_YEARS_AHEAD = 10;

/** Until the expert has arrived, the planned start is what the deadlines and the forecast read. */
export function canChangePlannedStart(caseDoc: Pick<CaseDoc, 'stage'>): boolean {
  return (FORECAST_STAGES as readonly string[]).includes(caseDoc.stage);
}

/**
 * While an offer naming a start waits for the applicant's answer, that start is the one to change:
 * accepting makes the offer's day the planned start (./planned-start-moves.ts), so a move here would
 * be e-mailed and then undone. HR changes the offer's terms instead, which tells the applicant.
 */
export function offerNamesStart(caseDoc: Pick<CaseDoc, 'stage' | 'offerTerms'>): Date | undefined {
  return caseDoc.stage === 'offer' ? (caseDoc.offerTerms?.startOn ?? undefined) : undefined;
}

const reasonText = z.string().trim().refine(hasVisibleText(), 'required').max(HOLD_REASON_MAX, 'tooLong').refine(withoutHiddenCharacters, 'errors.hiddenCharacters');
const toldText = z.string().trim().max(PLANNED_START_TOLD_MAX, 'tooLong').refine(withoutHiddenCharacters, 'errors.hiddenCharacters');

/** A procedure whose legal filing window a new planned start must leave open, with the earliest day that does. */
export interface StartTooSoon {
  kind: SupportKind;
  /** 'YYYY-MM-DD': the earliest planned start a file lodged from now can still meet. */
  earliest: string;
}

/**
 * Whether `start` ('YYYY-MM-DD' or the stored day) comes too soon for a work permit (or its
 * exemption certificate) not lodged yet: Decree 219/2025/ND-CP lets the file be lodged only "within
 * 60 days and at least 10 days before" the planned start (rules.ts fileBeforeStartDays,
 * earliestStartForFiling): Art. 9(1) for the exemption certificate (quoted by news.laodong.vn
 * 1559299); for the permit Art. 22 per secondary sources only (rules.ts). Before the acceptance (no procedures yet) the applicant's request for a
 * work permit counts, a Vietnamese citizen needing none (applications/family-support.ts). A start
 * that no filing can meet is refused naming the earliest day (walk-proc #2: an offer for a start 4
 * days away was saved and accepted, and the case began with its legal window closed).
 */
export function startTooSoonForFiling(caseDoc: Pick<CaseDoc, 'supportTracks' | 'supportRequested' | 'profile'>, start: Date, calendar: WorkingCalendar, now: Date): StartTooSoon | undefined {
  const tracks = caseDoc.supportTracks ?? [];
  const open = tracks.length
    ? tracks.filter((t) => (t.kind === 'work_permit' || t.kind === 'work_permit_exemption') && ['requested', 'preparing', 'refused'].includes(t.status)).map((t) => t.kind as SupportKind)
    : caseDoc.supportRequested?.workPermit && !vietnameseCitizen(caseDoc)
      ? (['work_permit'] as SupportKind[])
      : [];
  for (const kind of open) {
    const earliest = earliestStartForFiling(kind, calendar, now);
    if (earliest && vnDateKey(start) < earliest) return { kind, earliest };
  }
  return undefined;
}

/**
 * The refusal of a start too soon, naming the procedure and the earliest day, in the officer's
 * language: the planned-start form's text by default, the offer terms' (`key`) for an offer's start.
 */
export function tooSoonText(t: TFunction, locale: Locale, soon: StartTooSoon, key = 'cases.plannedStart.errors.tooSoonForFiling'): string {
  // The procedure's name in a sentence (walk s35 #5: "hồ sơ Giấy phép lao động").
  return t(key, { procedure: t(`procedures.inSentence.${soon.kind}`), earliest: formatDay(new Date(`${soon.earliest}T00:00:00.000Z`), locale), min: PROCEDURE_RULES[soon.kind].fileBeforeStartDays?.min });
}

/** The day as the applicant's own form stores it (midnight UTC of the typed day), or the field's error key. */
function readDay(typed: string, now: Date): Date | string {
  if (!typed) return 'cases.plannedStart.errors.required';
  if (calendarDayProblem(typed)) return 'workflow.errors.invalidDate';
  if (typed < vnDateKey(now)) return 'cases.plannedStart.errors.past';
  if (Number(typed.slice(0, 4)) > Number(vnDateKey(now).slice(0, 4)) + MAX_YEARS_AHEAD) return 'cases.plannedStart.errors.tooFar';
  return new Date(`${typed}T00:00:00.000Z`);
}

/**
 * The onboarding stage's own clock, without the planned start: the count stored with the deadline
 * (the acceptance's 40 working days, or what a resume gave back), else, when the start was the
 * deadline, the count it began with: from a resume, the working days the hold's event recorded
 * (history.heldLeft, counted from the resume), otherwise the acceptance's 40 from the stage's entry.
 * Never a fresh 40 from a resume: that handed a held case days the hold never took.
 */
function onboardingClock(caseDoc: CaseDoc, now: Date): DueCount {
  if (isDueCount(caseDoc.stageDueCount)) return { from: caseDoc.stageDueCount.from, workingDays: caseDoc.stageDueCount.workingDays };
  const from = caseDoc.stageEnteredAt ?? now;
  const entered = [...(caseDoc.history ?? [])].reverse().find((e) => e.to === 'onboarding');
  const left = entered?.action === 'resume' ? stageDaysLeftAtHold(caseDoc) : undefined;
  return { from, workingDays: left ?? STAGE_DEADLINES.onboarding! };
}

/**
 * The onboarding deadline for a planned start: the later of the stage's clock (onboardingClock, as
 * the acceptance or the resume left it) and the start itself (server/workflow onboardingDue), so that
 * moving the start back later gives the same working days the acceptance or the resume gave.
 */
function onboardingDeadline(caseDoc: CaseDoc, planned: Date, now: Date, calendar: WorkingCalendar): { at: Date; count?: DueCount } {
  const count = onboardingClock(caseDoc, now);
  const counted = countedDeadline(calendar, count);
  const start = vnEndOfDay(planned);
  return start.getTime() > counted.getTime() ? { at: start } : { at: counted, count };
}

/** A procedure whose dates read the planned start: a legal filing window before it, or the residence card after it. */
function readsStart(kind: SupportKind): boolean {
  return !!PROCEDURE_RULES[kind].fileBeforeStartDays || kind === 'residence_card';
}

/**
 * The filing targets HR typed (service.ts nextTrack: no count) on procedures not filed yet whose
 * dates read the start: the planned-start form lists them and asks whether they move with it.
 */
export function typedTargets(tracks: readonly TrackState[]): TrackState[] {
  return tracks.filter((t) => (t.status === 'requested' || t.status === 'preparing') && !!t.dueAt && !isDueCount(t.dueCount) && readsStart(t.kind));
}

/** A typed target kept on its day although the new start puts it outside the law's window, or after the start itself. */
export interface KeptTarget {
  kind: SupportKind;
  at: Date;
  problem: 'outsideWindow' | 'afterStart' | 'beforeStart';
  /** The window for the new start (the work permit and its exemption). */
  window?: { opens: Date; closes: Date };
}

/**
 * The procedures with a filing window before the start (the work permit, its exemption: rules.ts
 * filingWindow), and the residence card (targeted after the start), whose target the institute counted, before filing, counted again for the new start
 * (rules.ts lodgingTarget, as the holiday recount does). A target HR typed keeps no count
 * (service.ts nextTrack): with `typed: 'move'` (the form's checked choice) it moves by as many days as the
 * start, brought inside the new window (rules.ts lodgingDue) and not before today, or for the card not
 * before the expert can be in Vietnam; with 'keep' it stays where HR put it, and is returned among
 * `kept` when the new start leaves it outside the window, after the start (a permit filed after the
 * work began), or a card target before it (walk32 #1: typed targets silently stayed on the old day). Pure.
 */
export function targetsForStart(
  tracks: readonly TrackState[],
  calendar: WorkingCalendar,
  start: Date,
  opts: { previous?: Date; typed?: TypedTargetChoice; now?: Date } = {},
): { tracks: TrackState[]; moved: Array<{ kind: SupportKind; from: Date; to: Date; typed?: true }>; kept: KeptTarget[] } {
  const moved: Array<{ kind: SupportKind; from: Date; to: Date; typed?: true }> = [];
  const kept: KeptTarget[] = [];
  const typed = new Set(typedTargets(tracks));
  const next = tracks.map((t) => {
    if (typed.has(t)) {
      const at = t.dueAt!;
      if (opts.typed === 'move' && opts.previous) {
        const shifted = vnEndOfDay(new Date(at.getTime() + (start.getTime() - opts.previous.getTime())));
        const today = opts.now ? vnEndOfDay(opts.now) : shifted;
        const notPast = shifted.getTime() < today.getTime() ? today : shifted;
        const to = t.kind === 'residence_card' ? lodgingTarget(t.kind, calendar, notPast, notPast, start) : lodgingDue(t.kind, notPast, start);
        if (to.getTime() === at.getTime()) return t;
        moved.push({ kind: t.kind, from: at, to, typed: true });
        return { ...t, dueAt: to };
      }
      const w = filingWindow(t.kind, start);
      if (t.kind === 'residence_card') {
        if (vnDateKey(at) < vnDateKey(start)) kept.push({ kind: t.kind, at, problem: 'beforeStart' });
      } else if (vnDateKey(at) >= vnDateKey(start)) kept.push({ kind: t.kind, at, problem: 'afterStart', ...(w ? { window: w } : {}) });
      else if (w && lodgingDue(t.kind, at, start).getTime() !== at.getTime()) kept.push({ kind: t.kind, at, problem: 'outsideWindow', window: w });
      return t;
    }
    // The residence card's target reads the start too (rules.ts cardTarget: not before the expert is in Vietnam).
    if ((t.status !== 'requested' && t.status !== 'preparing') || !t.dueAt || !isDueCount(t.dueCount) || !(filingWindow(t.kind, start) || t.kind === 'residence_card')) return t;
    const to = lodgingTarget(t.kind, calendar, t.dueCount.from, countedDeadline(calendar, t.dueCount), start);
    if (to.getTime() === t.dueAt.getTime()) return t;
    moved.push({ kind: t.kind, from: t.dueAt, to });
    return { ...t, dueAt: to };
  });
  return { tracks: next, moved, kept };
}

/** The officer's words for a typed target kept where the new start makes it wrong (the flash after the move). */
export function keptTargetText(t: TFunction, locale: Locale, k: KeptTarget): string {
  return t(`cases.plannedStart.kept.${k.problem}`, {
    procedure: t(`procedures.kinds.${k.kind}`),
    date: formatDay(k.at, locale),
    ...(k.window ? { opens: formatDay(k.window.opens, locale), closes: formatDay(k.window.closes, locale) } : {}),
  });
}

/**
 * The applicant's e-mail of HR's move (planned_start_moved), in their language: the new day and the
 * old, HR's words for them, and each procedure not yet filed whose dates read the start: its filing
 * window where the law sets one (rules.ts filingWindow), and its target when the institute's count
 * moved it (targetsForStart; a target HR typed stays and is not said as moved). None for an
 * applicant whose account is disabled or who has no address.
 */
function startMovedEmail(opts: { app?: Pick<AppContext, 'config'>; caseDoc: CaseDoc; applicant: { email?: string | null; name?: string | null; locale?: string | null } | null; move: { from?: Date; to: Date }; told: string; tracks: TrackState[]; moved: Array<{ kind: SupportKind; from: Date; to: Date }>; calendar: WorkingCalendar; now: Date }): OutboxItem | undefined {
  const { app, caseDoc, applicant, move, told, tracks, moved, calendar, now } = opts;
  if (!applicant?.email) return undefined;
  const locale = recipientLocale({ email: applicant.email, locale: applicant.locale });
  const t = translator(locale);
  const caseId = String(caseDoc._id);
  const procedures = tracks
    .filter((tr) => tr.status === 'requested' || tr.status === 'preparing')
    .flatMap((tr) => {
      // A naturalisation awaiting its residence condition has no target to name, even one stored
      // before it was withheld (rules.ts filingTargetWithheld; withheld-target-backfill.ts clears those).
      const m = filingTargetWithheld(tr.kind, caseDoc) ? undefined : moved.find((x) => x.kind === tr.kind);
      const win = windowView(t, locale, calendar, now, tr.kind, move.to, true);
      if (!m && !win) return [];
      return [
        {
          kindLabel: t(`procedures.kinds.${tr.kind}`),
          dueLabel: m ? t(`procedures.due.${dueMeaning(tr.kind, tr.status) ?? 'file'}`) : '',
          dueOn: m ? formatDay(m.to, locale) : '',
          dueLeft: m ? deadlineLeft(t, calendar, now, m.to).text : '',
          wasOn: m ? formatDay(m.from, locale) : '',
          window: win ? t('procedures.window.email', { between: win.text, left: win.left }) : '',
        },
      ];
    });
  return caseEmail(
    { email: applicant.email, locale: applicant.locale },
    'planned_start_moved',
    {
      name: applicant.name ?? '',
      reference: caseDoc.reference,
      caseId,
      link: `${app?.config.appUrl ?? ''}/applications/${caseId}`,
      plannedStart: move.to,
      ...(move.from ? { plannedStartWas: move.from } : {}),
      hrMessage: told,
      procedures,
    },
    outboxKey(caseId, caseDoc.version + 1, 'planned_start_moved'),
    now,
  );
}

export interface PlannedStartResult {
  caseDoc: CaseDoc;
  /** The typed targets moved with the start (from, to), for the officer's flash. */
  typedMoved?: Array<{ kind: SupportKind; from: Date; to: Date }>;
  /** The typed targets kept on their day where the new start makes them wrong. */
  kept?: KeptTarget[];
  /** The day was already the planned start: nothing written (a double submit). */
  unchanged?: true;
  /** The applicant's address the change was e-mailed to (none: no address, or a disabled account). */
  mailedTo?: string;
}

/**
 * Sets the planned start with HR's reason (kept on the history). A stale form (the case changed since
 * the page was built) is a conflict; the same day again is done already. Errors are worded in the
 * officer's language beside the fields, nothing written.
 */
export async function changePlannedStart({ app, ctx, caseDoc, version, form }: { app?: Pick<AppContext, 'config'>; ctx: Context; caseDoc: CaseDoc; version: number; form: { plannedStart: string; plannedStartReason: string; plannedStartTold?: string; plannedStartTargets?: string } }): Promise<PlannedStartResult> {
  const actor = actorOf(ctx);
  const t = tOf(ctx);
  const now = ctx.now;
  const day = readDay(form.plannedStart.trim(), now);
  const previous = caseDoc.profile?.plannedArrival ?? undefined;
  if (day instanceof Date && previous && vnDateKey(previous) === vnDateKey(day)) return { caseDoc, unchanged: true };
  // Only the start-up sweep's claim since the page was built (a lost letter or answer file taken back): not stale.
  if (caseDoc.version !== versionSeen(caseDoc, version) || !canChangePlannedStart(caseDoc)) throw await caseConflict({ ctx, caseId: caseDoc._id });
  const errors: FieldErrors = {};
  // The days allowed are named (the text field has no min/max the browser keeps to): today to the last day of the tenth year ahead.
  if (typeof day === 'string') errors[PLANNED_START_FIELDS.day] = t(day, { years: MAX_YEARS_AHEAD, from: formatDay(now, ctx.locale), to: formatDay(`${Number(vnDateKey(now).slice(0, 4)) + MAX_YEARS_AHEAD}-12-31`, ctx.locale) });
  const offered = offerNamesStart(caseDoc);
  if (offered) errors[PLANNED_START_FIELDS.day] = t('cases.plannedStart.errors.offerNamesStart', { day: formatDay(offered, ctx.locale) });
  const calendar = await loadCalendar();
  const soon = day instanceof Date && !offered ? startTooSoonForFiling(caseDoc, day, calendar, now) : undefined;
  if (soon) errors[PLANNED_START_FIELDS.day] = tooSoonText(t, ctx.locale, soon);
  const reason = reasonText.safeParse(form.plannedStartReason ?? '');
  if (!reason.success) {
    const m = reason.error.issues[0]!.message;
    errors[PLANNED_START_FIELDS.reason] = m === 'errors.hiddenCharacters' ? t(m) : t(`cases.plannedStart.errors.reason.${m === 'tooLong' ? 'tooLong' : 'required'}`, { max: HOLD_REASON_MAX });
  }
  const told = toldText.safeParse(form.plannedStartTold ?? '');
  if (!told.success) {
    const m = told.error.issues[0]!.message;
    errors[PLANNED_START_FIELDS.told] = m === 'errors.hiddenCharacters' ? t(m) : t('cases.plannedStart.errors.toldTooLong', { max: PLANNED_START_TOLD_MAX });
  }
  // The typed targets' choice: the form's radio, 'move' checked by default. Absent (a page built
  // before the target was typed, or no typed target) they stay, as HR was not asked; a forged value is refused.
  const choice = (form.plannedStartTargets ?? '').trim() || 'keep';
  if (!(TYPED_TARGET_CHOICES as readonly string[]).includes(choice)) errors[PLANNED_START_FIELDS.targets] = t('cases.plannedStart.errors.targets');
  if (Object.keys(errors).length > 0 || typeof day === 'string' || !reason.success || !told.success) throw new ValidationError(errors);

  // Only onboarding's deadline reads the planned start; a hold that resumes into onboarding reads it then.
  const set: Record<string, unknown> = { 'profile.plannedArrival': day };
  const unset: Record<string, ''> = {};
  let due: { at: Date; count?: DueCount } | undefined;
  if (caseDoc.stage === 'onboarding') {
    due = onboardingDeadline(caseDoc, day, now, calendar);
    set.stageDueAt = due.at;
    if (due.count) set.stageDueCount = due.count;
    else unset.stageDueCount = '';
  }
  // The filing targets the institute counted follow the start, and HR's typed ones as HR chose, each
  // on the timeline the applicant sees, since their page shows the target and the window.
  const targets = targetsForStart((caseDoc.supportTracks ?? []).map(plain), calendar, day, { ...(previous ? { previous } : {}), typed: choice as TypedTargetChoice, now });
  if (targets.moved.length) {
    set.supportTracks = targets.tracks;
    const movedKinds = new Set<string>(targets.moved.map((m) => m.kind));
    set.overdueProcedures = (caseDoc.overdueProcedures ?? []).filter((k) => !movedKinds.has(k) || isSupportOverdue(targets.tracks.find((t) => t.kind === k) ?? { kind: k as SupportKind, status: 'not_needed' }, now));
  }
  if (due || targets.moved.length) set.nextDueAt = nextDueAt({ stage: caseDoc.stage, stageDueAt: due?.at ?? caseDoc.stageDueAt ?? null, supportTracks: targets.tracks as never });
  const move = { ...(previous ? { from: previous } : {}), to: day };
  const dueMoved = due && caseDoc.stageDueAt?.getTime() !== due.at.getTime() ? { ...(caseDoc.stageDueAt ? { from: caseDoc.stageDueAt } : {}), to: due.at } : undefined;
  const applicant = await User.findById(caseDoc.applicant, { email: 1, name: 1, locale: 1, disabledAt: 1 }).lean();
  const mail = applicant && !applicant.disabledAt ? startMovedEmail({ app, caseDoc, applicant, move, told: told.data, tracks: targets.tracks, moved: targets.moved, calendar, now }) : undefined;
  const history = [
    plannedStartEvent({ at: now, actor, move, due: dueMoved, note: reason.data, ...(mail ? { told: { text: told.data } } : {}) }),
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
    extra: {
      told: !!mail,
      ...(due ? { stageDueAt: due.at.toISOString() } : {}),
      ...(targets.moved.length ? { targets: targets.moved.map((m) => ({ kind: m.kind, from: vnDateKey(m.from), to: vnDateKey(m.to), ...(m.typed ? { typed: true } : {}) })) } : {}),
      ...(targets.kept.length ? { kept: targets.kept.map((k) => ({ kind: k.kind, at: vnDateKey(k.at), problem: k.problem })) } : {}),
    },
  });
  const updated = await Case.findOneAndUpdate(
    { _id: caseDoc._id, stage: caseDoc.stage, version: caseDoc.version },
    { $set: set, ...(Object.keys(unset).length ? { $unset: unset } : {}), $inc: { version: 1 }, $push: { history: { $each: history }, ...(mail ? { outbox: mail } : {}), ...withPendingAudits([audit]) } },
    { returnDocument: 'after' },
  );
  if (!updated) throw await caseConflict({ ctx, caseId: caseDoc._id });
  await settleCaseAudits(caseDoc._id, [audit]);
  // The forecast of the arrival reads the planned start (best effort: it never fails the change).
  await refreshForecast({ caseId: updated._id, now });
  const typedMoved = targets.moved.filter((m) => m.typed).map(({ kind, from, to }) => ({ kind, from, to }));
  return { caseDoc: updated, ...(mail ? { mailedTo: mail.to } : {}), ...(typedMoved.length ? { typedMoved } : {}), ...(targets.kept.length ? { kept: targets.kept } : {}) };
}
