// Presenters of the case pages: the staff's case page, the information request form and the 409
// page of a stale form, plus the parts the applicant's page shares (timeline, messages, support
// tracks, e-mail log, stage badge). Documents in, plain page models out (Handlebars refuses
// Mongoose getters), translated through tOf(ctx).
import { vnDateKey } from '../calendar/index.ts';
import { canChangePlannedStart, offerNamesStart, typedTargets, PLANNED_START_FIELDS, PLANNED_START_TOLD_MAX } from './planned-start.ts';
import { deadlineLeft as procedureLeft, plain as plainTrack } from '../procedures/service.ts';
import type { WorkingCalendar } from '../calendar/index.ts';
import { startSource } from './planned-start-moves.ts';
import { OFFER_LETTER_FIELD, OFFER_TERM_FIELDS, OFFER_TERM_KEYS, OFFER_TERM_MAX, canChangeOfferTerms, type OfferTermKey, type OfferTermsForm } from './offer-terms.ts';
import { isCalendarDay } from '../support/calendar-day.ts';
import { formatDay } from '../views/time.ts';
import { lateAnswerText } from '../applications/late-answer.ts';
import { presentPlan } from '../planner/present.ts';
import type { TFunction } from 'i18next';
import type { Locale } from '../i18n/index.ts';
import type { UserRecord } from '../../models/user.ts';
import type { CaseDoc } from '../../models/case.ts';
import type { DocumentRecord } from '../../models/document.ts';
import { checklistForCase, type ChecklistView } from '../documents/present.ts';
import { signedOfferOwed } from '../documents/index.ts';
import type { CaseAccessFacts } from '../policies/case.ts';
import { can, sameId } from '../policies/index.ts';
import { tOf, type Context } from '../context.ts';
import { DECLINE_ACTIONS, DECLINE_REASON_MAX, HOLD_REASON_MAX, HOLD_REVIEW_MAX_DAYS, PAYLOADS, RECEIVED_VIA, REJECT_REASON_MAX, offerReady } from '../workflow/transitions.ts';
import { nextStep, requestLeft } from './next-step.ts';
import { SUCCESS_STAGES, STAGES, STORED_DOCUMENT_TYPES, UNSUCCESSFUL_STAGES, WAITING_STAGES, ACTIVE_STAGES, inStages, type Stage } from '../../models/constants.ts';
import type { Action } from '../workflow/index.ts';
import type { FieldErrors } from '../errors.ts';
import { fieldErrorText } from '../http/forms.ts';
import { criteriaFor } from '../applications/tracks.ts';
import { countryName } from '../applications/countries.ts';
import { SUPPORT_FIELDS } from '../applications/steps.ts';
import { lastCaseChange, type CaseConflictError } from './conflict.ts';
import type { CasePageData } from './page.ts';
import type { HrDecisionPreview } from './decision.ts';
import type { AssignOutcome, BulkAssignOutcome } from './commands.ts';
import { procedureTimelineEntry, recountTimelineEntry } from '../procedures/present.ts';
import { withFields } from '../support/with-fields.ts';
import { applicantSeesEvent, applicantSeesNote, reasonToldToApplicant } from './applicant-view.ts';
import { familySupportText } from '../applications/family-support.ts';
import { decisionHistory } from './decision-history.ts';

interface HistoryLike {
  _id?: unknown;
  /** A leader's decision without the panel's scores; scoring closed by a leader (lead s35): staff only. */
  blind?: boolean | null;
  closedScoring?: boolean | null;
  at: Date;
  actor?: unknown;
  actorRole?: string | null;
  action: string;
  from?: string | null;
  to?: string | null;
  note?: string | null;
  /** What the applicant was told with an internal note (a leader's hold). */
  told?: string | null;
  procedure?: Parameters<typeof procedureTimelineEntry>[2] | null;
  unassign?: { reason?: string | null; name?: string | null } | null;
  recount?: Parameters<typeof recountTimelineEntry>[2] | null;
  received?: { via?: string | null; on?: Date | null; note?: string | null } | null;
  extension?: { from?: Date | null; to?: Date | null } | null;
  plannedStart?: { from?: Date | null; to?: Date | null; dueFrom?: Date | null; dueTo?: Date | null; source?: string | null; told?: boolean | null; toldText?: string | null } | null;
  offerTerms?: { letter?: boolean | null; terms?: boolean | null; told?: boolean | null; ready?: boolean | null; first?: boolean | null } | null;
  late?: { dueAt?: Date | null; workingDays?: number | null } | null;
  answerFiles?: { count?: number | null; type?: string | null } | null;
  document?: { type?: string | null; version?: number | null; decision?: string | null; changedFrom?: string | null } | null;
}

const KNOWN_DOCUMENT_TYPES: ReadonlySet<string> = new Set(STORED_DOCUMENT_TYPES);

/** A stored type's name in the reader's language: only a known type names a key (a stray value reads as "Other document", never a key path). */
function documentTypeName(t: TFunction, type: string | null | undefined): string {
  return t(`documents.types.${type && KNOWN_DOCUMENT_TYPES.has(type) ? type : 'other'}`);
}

/**
 * HR's decision on a version of a document (server/documents/verify.ts), for each reader. Staff:
 * "Passport, version 2: refused by <name>", with the reason as what the applicant was told (none
 * for readers kept from the institute's reasons). The applicant: what they were told, and what to do.
 */
function documentDecisionEntry(t: TFunction, h: HistoryLike, view: { forApplicant: boolean; outside: boolean }): { label: string; note?: string } | undefined {
  const d = h.document;
  if (!d || (d.decision !== 'accepted' && d.decision !== 'rejected')) return undefined;
  const refused = d.decision === 'rejected';
  const changed = d.changedFrom === 'accepted' || d.changedFrom === 'rejected';
  // Who decided is the entry's author, shown under every line (not repeated in the label).
  const params = { type: documentTypeName(t, d.type), version: Number.isSafeInteger(d.version) && Number(d.version) > 0 ? Number(d.version) : '?' };
  const decision = `${changed ? 'changed' : ''}${refused ? 'Refused' : 'Accepted'}`;
  if (view.forApplicant) {
    const reason = h.told ? t('cases.documentDecision.applicant.reason', { reason: h.told }) : undefined;
    return { label: t(`cases.documentDecision.applicant.${decision}`, params), note: [reason, refused ? t('cases.documentDecision.applicant.sendNew') : undefined].filter(Boolean).join('\n') || undefined };
  }
  const told = h.told && !view.outside ? t('cases.timelineText.toldApplicant', { text: h.told }) : undefined;
  return { label: t(`cases.documentDecision.staff.${decision}`, params), note: told };
}

/**
 * "New offer letter. Terms changed." (and, for staff, whether the applicant was e-mailed). The offer
 * complete for the first time is "ready" (its timeline label says so too), and the first terms or
 * letter are "attached", "entered": nothing had changed yet. Events written before they were told
 * apart read as changes.
 */
function offerTermsText(t: TFunction, o: NonNullable<HistoryLike['offerTerms']>, forApplicant: boolean): string {
  const told = !forApplicant && o.told ? t('cases.timelineText.offerTold') : undefined;
  if (o.ready) return [t('cases.timelineText.offerReadyText'), told].filter(Boolean).join(' ');
  if (o.first) return [o.letter ? t('cases.timelineText.offerLetterFirst') : undefined, o.terms ? t('cases.timelineText.offerTermsFirst') : undefined, told].filter(Boolean).join(' ');
  return [o.letter ? t('cases.timelineText.offerLetter') : undefined, o.terms ? t('cases.timelineText.offerTermsChanged') : undefined, told].filter(Boolean).join(' ');
}

/** "New answer date: 5 Jan 2027 (it was 18 Dec 2026)." in the reader's language. */
function extensionText(t: TFunction, e: { from?: Date | null; to?: Date | null }, locale: Locale): string {
  const to = formatDay(e.to, locale);
  return e.from ? t('cases.timelineText.extended', { to, from: formatDay(e.from, locale) }) : t('cases.timelineText.extendedTo', { to });
}

/**
 * "Planned start: 1 Apr 2027 (it was 1 Mar 2027).", said as the accepted offer's day when it came
 * from the offer; then onboarding's deadline when it moved with it (HR's), or, for the applicant,
 * what HR wrote them with the change.
 */
function plannedStartText(t: TFunction, p: NonNullable<HistoryLike['plannedStart']>, locale: Locale, forApplicant = false): string {
  const to = formatDay(p.to, locale);
  const key = p.source === 'offer' ? 'cases.timelineText.plannedStartOffer' : 'cases.timelineText.plannedStart';
  const start = p.from ? t(key, { to, from: formatDay(p.from, locale) }) : t(`${key}To`, { to });
  if (forApplicant) return p.toldText ? `${start}\n${t('cases.timelineText.plannedStartTold', { text: p.toldText })}` : start;
  // For staff: whether the applicant was e-mailed, and what they were told, as a procedure's message is shown.
  const told = p.told ? (p.toldText ? t('procedures.timeline.toApplicant', { message: p.toldText }) : t('cases.timelineText.offerTold')) : undefined;
  const due = p.dueTo && p.dueFrom ? t('cases.timelineText.onboardingDue', { to: formatDay(p.dueTo, locale), from: formatDay(p.dueFrom, locale) }) : undefined;
  return [start, due, told].filter(Boolean).join('\n');
}

/** The note of a history entry in the reader's language: a system-made one from its fields, else as written. */
function noteOf(t: TFunction, h: HistoryLike, locale: Locale, forApplicant = false): string | undefined {
  if (h.unassign?.reason) return t(`cases.unassignReasons.${h.unassign.reason}`, { name: h.unassign.name ?? '' });
  // An answer HR recorded: how and when it came, then HR's note (a decline's is kept beside the applicant's reason, its note).
  // The applicant is told the day and their own reason, never HR's note of what came.
  if (h.received?.via && h.received.on) {
    const received = t(`cases.nextStep.received.${h.received.via}`, { date: formatDay(h.received.on, locale) });
    if (forApplicant) return [received, h.action === 'record_decline' ? (h.note ? t('applications.declineRecorded.yourReason', { reason: h.note }) : t('applications.declineRecorded.noReason')) : undefined].filter(Boolean).join('\n');
    const reason = h.action === 'record_decline' ? (h.note ? t('cases.nextStep.decline.theirReason', { reason: h.note }) : t('cases.nextStep.decline.noReason')) : h.note;
    return [received, h.received.note, reason].filter(Boolean).join('\n');
  }
  return h.note ?? undefined;
}


type LateLike = { dueAt?: Date | null; workingDays?: number | null } | null | undefined;

/** The applicant's decline of the offer, the case's last step when it ended that way: on the portal, or received by e-mail or post (dated the day it came). */
function declinedOffer(history: ReadonlyArray<{ action: string; at: Date; note?: string | null; late?: LateLike; received?: { on?: Date | null } | null }>): { at: Date; reason?: string; late?: LateLike } | undefined {
  const last = lastCaseChange(history);
  return last && DECLINE_ACTIONS.has(last.action) ? { at: last.received?.on ?? last.at, reason: last.note ?? undefined, late: last.late } : undefined;
}

/**
 * The applicant's answer to the offer in the reader's language, for the case page: "Declined by the
 * applicant on 9 Dec 2026: <reason>" (or "no reason given"), or a late acceptance; and, when it came
 * after the answer-by date, by how many working days. An acceptance in time says nothing new (the
 * stage says it).
 */
function offerAnswerView(t: TFunction, locale: Locale, c: Pick<CaseDoc, 'stage'> & { history?: ReadonlyArray<HistoryLike & { late?: LateLike }> | null }) {
  const history = c.history ?? [];
  const declined = c.stage === 'withdrawn' ? declinedOffer(history) : undefined;
  const late = (l: LateLike) => (l?.dueAt ? t('cases.offerAnswer.lateMark', { text: lateAnswerText(t, locale, l) }) : undefined);
  if (declined) {
    const date = formatDay(declined.at, locale);
    return { declined: true, at: declined.at, text: declined.reason ? t('cases.offerAnswer.declined', { date, reason: declined.reason }) : t('cases.offerAnswer.declinedNoReason', { date }), late: late(declined.late) };
  }
  // Given on the portal, or received by e-mail or post and recorded by HR (then dated the day it was received).
  const accepted = history.findLast((h) => h.action === 'accept_offer' || h.action === 'record_acceptance');
  const acceptedOn = accepted?.received?.on ?? accepted?.at;
  if (accepted?.late?.dueAt && acceptedOn) return { declined: false, at: acceptedOn, text: t('cases.offerAnswer.accepted', { date: formatDay(acceptedOn, locale) }), late: late(accepted.late) };
  return undefined;
}

export function actionLabel(t: TFunction, action: string): string {
  return t(`cases.events.${action}`, { defaultValue: action });
}

export function stageLabel(t: TFunction, stage: string | null | undefined): string {
  return stage ? t(`cases.stages.${stage}`, { defaultValue: stage }) : '';
}

/** A declined offer ends the case as withdrawn (server/workflow/transitions.ts: decline_offer, record_decline). */
export function endedByDecline(c: { stage?: string | null; history?: ReadonlyArray<{ action: string }> | null }): boolean {
  return c.stage === 'withdrawn' && (c.history ?? []).some((h) => h.action === 'decline_offer' || h.action === 'record_decline');
}

/** The stage's label as the people on the case read it: a case ended by a declined offer says so, not "Withdrawn". */
export function caseStageLabel(t: TFunction, c: { stage?: string | null; history?: ReadonlyArray<{ action: string }> | null }): string {
  return endedByDecline(c) ? t('cases.stageOfferDeclined') : stageLabel(t, c.stage);
}

/**
 * A stage change is one event on the timeline: its label (cases.events.<action>) says what happened,
 * and the stage it led to is shown beside it only where the label does not already say it. Per
 * stage, the events whose label names it: "Screening started", not "Screening started → Screening"
 * ("Bắt đầu sơ tuyển → Đang sơ tuyển"); but "Resumed → Screening", "Offer accepted → Onboarding",
 * "Information provided → Screening", where the stage is news. Decided
 * by the event and the stage, the same in every language, never by comparing the two texts.
 */
const STAGE_NAMED_BY: Readonly<Partial<Record<Stage, readonly string[]>>> = {
  draft: ['create'],
  submitted: ['submit'],
  screening: ['start_screening'],
  awaiting_applicant: ['request_info'],
  evaluation: ['send_to_evaluation'],
  shortlisted: ['shortlist', 'reconsider'],
  offer: ['approve_offer'],
  arrived: ['mark_arrived'],
  closed: ['close'],
  rejected: ['reject'],
  // A declined offer is stored as withdrawn: "Offer declined" says how the case ended ("→ Withdrawn" read as something else).
  withdrawn: ['withdraw', 'decline_offer', 'record_decline', 'withdraw_offer'],
  on_hold: ['put_on_hold'],
};

/** The stage a history event led to, where its label does not already name it (STAGE_NAMED_BY). */
function stageShownAfter(action: string, to: string | null | undefined): string | undefined {
  if (!to) return undefined;
  return STAGE_NAMED_BY[to as Stage]?.includes(action) ? undefined : to;
}

export interface TimelineEntry {
  at: Date;
  label: string;
  who: string;
  from?: string;
  to?: string;
  note?: string;
}

/**
 * The case's history, newest first. The applicant sees stage changes only, without staff notes or
 * staff names (their own steps are shown as theirs); staff see every event.
 */
export function timeline(
  history: HistoryLike[],
  names: Map<string, { name: string; role: string }>,
  t: TFunction,
  view: { applicantId: unknown; forApplicant: boolean; locale: Locale; ofInstitute?: boolean },
): TimelineEntry[] {
  // Staff of another institute (a panel member evaluating the case) read no written reason of the
  // institute: not a procedure's internal note, nor HR's own reasons (a planned start moved, an answer
  // date moved), nor a leader's decision reason, nor what HR or the leaders wrote to the applicant.
  // They read what happened and when (the outcome), and the applicant's own words (trust-fix #1).
  const hrNotes = !view.forApplicant && view.ofInstitute !== false;
  const outside = !view.forApplicant && view.ofInstitute === false;
  const out: TimelineEntry[] = [];
  for (const h of history) {
    // A procedure event: translated from its structured fields (server/procedures/present.ts).
    if (h.procedure?.kind) {
      const entry = procedureTimelineEntry(t, view.locale, h.procedure, view.forApplicant);
      if (!entry) continue;
      // The applicant's own "done" to a request (server/procedures/asks.ts) is theirs, not the HR office's.
      const who = view.forApplicant ? t(h.procedure.ask === 'replied' ? 'cases.people.you' : 'cases.people.hr') : (names.get(String(h.actor))?.name ?? t('cases.people.system'));
      const message = entry.message && !outside && (view.forApplicant ? entry.message : t('procedures.timeline.toApplicant', { message: entry.message }));
      // HR's private note follows what the applicant was told: labelled, or it reads as part of that message (walk s37).
      const internal = hrNotes && h.note ? t('procedures.timeline.internalNote', { note: h.note }) : undefined;
      out.push({ at: h.at, label: entry.label, who, note: [entry.detail, message, internal].filter(Boolean).join('\n') || undefined });
      continue;
    }
    // Deadlines a holiday change moved: translated from their dates (server/procedures/present.ts).
    if (h.recount?.holiday) {
      const entry = recountTimelineEntry(t, view.locale, h.recount, view.forApplicant);
      if (entry) out.push({ at: h.at, label: entry.label, who: t('cases.people.system'), note: entry.detail });
      continue;
    }
    if (view.forApplicant && !applicantSeesEvent(h)) continue;
    const own = sameId(h.actor, view.applicantId);
    const who = view.forApplicant
      ? own
        ? t('cases.people.you')
        : // The HR office, as on the rest of the applicant's pages and their procedure events above (not "HR officer").
          h.actorRole === 'hr_officer'
          ? t('cases.people.hr')
          : t(`cases.people.role_${h.actorRole ?? 'staff'}`, { defaultValue: t('cases.people.role_staff') })
      : (names.get(String(h.actor))?.name ?? t('cases.people.system'));
    if (h.document) {
      const entry = documentDecisionEntry(t, h, { forApplicant: view.forApplicant, outside });
      if (entry) out.push({ at: h.at, label: entry.label, who, ...(entry.note ? { note: entry.note } : {}) });
      continue;
    }
    const showNote = hrNotes || (outside ? own : applicantSeesNote(h, view.applicantId));
    // An assignment's note is the assignee's name: said once, in the label ("Assigned to X"), and
    // "Took the case" when the one who assigned is the assignee (the line already names them).
    const assignedTo = h.action === 'assign' && h.note ? h.note : undefined;
    const label = assignedTo ? (assignedTo === who ? t('cases.timelineText.tookCase') : t('cases.timelineText.assignedTo', { name: assignedTo })) : h.offerTerms?.ready ? t('cases.timelineText.offerReady') : actionLabel(t, h.action);
    const to = stageShownAfter(h.action, h.to);
    // An answer date moved: the dates for every reader, HR's reason after them for staff only.
    const extension = h.extension?.to ? extensionText(t, h.extension, view.locale) : h.plannedStart?.to ? plannedStartText(t, outside ? { ...h.plannedStart, told: false, toldText: null } : h.plannedStart, view.locale, view.forApplicant) : h.offerTerms ? offerTermsText(t, h.offerTerms, view.forApplicant) : undefined;
    const written = showNote && !assignedTo ? noteOf(t, h, view.locale, view.forApplicant) : undefined;
    // A decision whose reason is internal (a leader's hold): the words the applicant was told instead,
    // on their timeline as they read them, on staff's beside the reason (walk s34). Not for readers kept from the reasons.
    const told = h.told && !outside ? (view.forApplicant ? h.told : t('cases.timelineText.toldApplicant', { text: h.told })) : undefined;
    // An answer to the offer after its answer-by date: marked for staff (the institute decides what it means).
    const late = !view.forApplicant && h.late?.dueAt ? t('cases.offerAnswer.lateMark', { text: lateAnswerText(t, view.locale, h.late) }) : undefined;
    // Files sent with an answer: where they went (the documents list, where HR checks them).
    const files = h.answerFiles?.count && h.answerFiles.type ? t('cases.timelineText.answerFiles', { count: h.answerFiles.count, type: documentTypeName(t, h.answerFiles.type) }) : undefined;
    // How a leader's decision stood to the hidden-scores rule (lead s35): staff read it, the applicant never.
    const mark = view.forApplicant ? undefined : h.closedScoring ? t('cases.timelineText.closedScoring') : h.blind ? t('cases.timelineText.blind') : undefined;
    const note = [mark, extension, written, told, files, late].filter(Boolean).join('\n');
    out.push({
      at: h.at,
      label,
      who,
      from: h.from ? stageLabel(t, h.from) : undefined,
      to: to ? stageLabel(t, to) : undefined,
      note: note || undefined,
    });
  }
  return out.reverse();
}

export interface ConflictView {
  reference: string;
  stage: string;
  who?: string;
  action?: string;
  when?: Date;
}

/** The 409 page: what the conflict carries (who changed the case, how, when, where it is now), and a way back. */
/** The free-text fields a stale form may carry, in the order the conflict page shows them. */
const KEPT_FIELDS = ['answer', 'items', 'reason', 'extendReason', 'message', 'note', 'office'] as const;

/**
 * What the person typed in a form that was not applied: shown on the conflict page to copy, so
 * that an answer or a message written at length is not lost with the stale form.
 */
export function keptTexts(t: TFunction, body: unknown): Array<{ field: string; label: string; text: string }> {
  if (!body || typeof body !== 'object') return [];
  const b = body as Record<string, unknown>;
  const out: Array<{ field: string; label: string; text: string }> = [];
  for (const field of KEPT_FIELDS) {
    if (!Object.hasOwn(b, field)) continue;
    const v = b[field];
    const text = (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string').join('\n') : typeof v === 'string' ? v : '').trim();
    if (text) out.push({ field, label: t(`cases.conflict.kept.${field}`), text: text.slice(0, 20_000) });
  }
  return out;
}

/**
 * The 409 page. `sent`: every field of the form, labelled by the feature that knows them (a
 * procedure's status, office and dates): the short ones listed, the long texts in boxes to copy;
 * without it, the texts typed (keptTexts).
 */
export function conflictPage(ctx: Context, err: CaseConflictError, backUrl: string, body?: unknown, sent?: ReadonlyArray<{ field: string; label: string; text: string; long?: boolean }>) {
  const t = tOf(ctx);
  const { change } = err;
  const last = change.last;
  const conflict: ConflictView = {
    reference: change.reference,
    stage: stageLabel(t, change.stage),
    who: last?.actorId ? (ctx.actor && err.byActor(ctx.actor._id) ? t('cases.people.youEarlier') : (last.actorName ?? t('cases.people.someone'))) : undefined,
    // Which procedure, when it was one: "Procedure updated: Visa".
    action: last ? `${actionLabel(t, last.action)}${last.procedure ? `: ${t(`cases.supportKinds.${last.procedure}`, { defaultValue: last.procedure })}` : ''}` : undefined,
    when: last?.at,
  };
  if (sent) return { title: t('cases.conflict.title'), conflict, backUrl, sent: sent.filter((f) => !f.long), kept: sent.filter((f) => f.long) };
  return { title: t('cases.conflict.title'), conflict, backUrl, kept: keptTexts(t, body) };
}

/**
 * What a stale "Extend the date" form sent, for its conflict page: the date (as the reader reads
 * dates, or as typed when it is none) and the reason (kept to copy).
 */
export function extendSentFields(ctx: Context, values: { extendDueAt?: string; extendReason?: string }): Array<{ field: string; label: string; text: string; long?: boolean }> {
  const t = tOf(ctx);
  const typed = (values.extendDueAt ?? '').trim();
  const due = PAYLOADS.extend_info.shape.dueAt.safeParse(typed);
  const out: Array<{ field: string; label: string; text: string; long?: boolean }> = [];
  if (typed) out.push({ field: 'extendDueAt', label: t('cases.requestInfo.newDate'), text: due.success ? formatDay(due.data, ctx.locale) : typed.slice(0, 100) });
  if (values.extendReason?.trim()) out.push({ field: 'extendReason', label: t('cases.requestInfo.extendReason'), text: values.extendReason, long: true });
  return out;
}

/** What a stale planned-start form sent, for the conflict page (nothing of it saved). */
export function plannedStartSentFields(ctx: Context, values: { plannedStart?: string; plannedStartReason?: string; plannedStartTold?: string }): Array<{ field: string; label: string; text: string; long?: boolean }> {
  const t = tOf(ctx);
  const typed = (values.plannedStart ?? '').trim();
  const out: Array<{ field: string; label: string; text: string; long?: boolean }> = [];
  if (typed) out.push({ field: PLANNED_START_FIELDS.day, label: t('cases.plannedStart.day'), text: isCalendarDay(typed) ? formatDay(new Date(`${typed}T00:00:00.000Z`), ctx.locale) : typed.slice(0, 100) });
  if (values.plannedStartReason?.trim()) out.push({ field: PLANNED_START_FIELDS.reason, label: t('cases.plannedStart.reason'), text: values.plannedStartReason, long: true });
  if (values.plannedStartTold?.trim()) out.push({ field: PLANNED_START_FIELDS.told, label: t('cases.plannedStart.told'), text: values.plannedStartTold, long: true });
  return out;
}

/** What a stale offer-terms form sent, for the conflict page (nothing of it saved; a file sent with it is not kept either). */
export function offerTermsSentFields(ctx: Context, values: Partial<OfferTermsForm>, fileName?: string): Array<{ field: string; label: string; text: string; long?: boolean }> {
  const t = tOf(ctx);
  const out: Array<{ field: string; label: string; text: string; long?: boolean }> = [];
  for (const k of OFFER_TERM_KEYS) {
    const typed = (values[OFFER_TERM_FIELDS[k]] ?? '').trim();
    if (typed) out.push({ field: OFFER_TERM_FIELDS[k], label: t(`cases.offerTerms.${k}`), text: typed.slice(0, 1000) });
  }
  if (fileName) out.push({ field: OFFER_LETTER_FIELD, label: t('cases.offerTerms.letter'), text: t('cases.offerTerms.letterNotKept', { name: fileName.slice(0, 255) }) });
  return out;
}

/** The badge class of a stage: good, ended without a hire, or waiting on someone. */
export function stageBadge(stage: string): string {
  if (inStages(stage, SUCCESS_STAGES)) return 'ok';
  if (inStages(stage, UNSUCCESSFUL_STAGES)) return 'err';
  if (inStages(stage, WAITING_STAGES)) return 'warn';
  return '';
}

/** Field errors to show: i18n keys are translated, texts a service already worded are kept. */
export function errorTexts(t: TFunction, errors: FieldErrors | undefined): FieldErrors | undefined {
  if (!errors || Object.keys(errors).length === 0) return undefined;
  return Object.fromEntries(Object.entries(errors).map(([k, v]) => [k, fieldErrorText(t, v)]));
}

/** A form shown again: what was typed and what to fix. */
export interface FormState {
  errors?: FieldErrors;
  values?: Record<string, unknown>;
}

/**
 * Actions with their own form elsewhere on the page, not among the buttons: ending the information
 * request (its panel) and recording an acceptance received by e-mail or post (under the next step).
 */
const PLACED_ACTIONS: ReadonlySet<Action> = new Set(['answered_outside', 'record_acceptance', 'record_decline']);

/** Actions that need more than a click: their own form, or a reason. */
const FORM_ACTIONS: ReadonlySet<Action> = new Set(['request_info']);
// A resume's note to the applicant is optional: the hold's reason already said why the case waited.
const REASON_ACTIONS: ReadonlyMap<Action, { reasonRequired: boolean }> = new Map<Action, { reasonRequired: boolean }>([
  ['reject', { reasonRequired: true }],
  ['put_on_hold', { reasonRequired: true }],
  ['resume', { reasonRequired: false }],
]);
// Only what cannot be undone is red: a hold is resumed, so it does not look like a rejection beside it.
const DANGER_ACTIONS: ReadonlySet<Action> = new Set(['reject']);
const CAUTION_ACTIONS: ReadonlySet<Action> = new Set(['put_on_hold', 'close']);

/**
 * Whether the applicant is told a step's reason; when told, in which language to write it (the
 * e-mail goes out in the applicant's language but the reason as typed), as the document-rejection
 * and message forms say it (documents.sentInLanguage).
 */
function reasonHint(t: TFunction, action: Action, told: boolean, language: string | undefined): string {
  if (!told) return t('cases.show.reasonInternal');
  // A resume's field is a note to the applicant, not a reason (its label says so; walk-staff #5).
  if (action === 'resume' && language) return t('cases.show.noteTold', { language });
  return language ? `${t('cases.show.reasonTold')} ${t('documents.sentInLanguage', { language })}` : t('cases.show.reasonTold');
}

/** An administrator, or staff of the case's institute (not a panel member from another one). */
function ofInstitute(ctx: Context, c: { institute?: unknown }): boolean {
  return ctx.actor?.role === 'admin' || (!!ctx.actor && sameId(ctx.actor.institute, c.institute));
}

/** The staff's case page: profile, eligibility, actions, assignment, support, notes, messages, documents, e-mails. */
export function casePage(ctx: Context, data: CasePageData, state: FormState = {}) {
  const t = tOf(ctx);
  const { caseDoc: c, call, applicant, officers, names, checklist, canWork } = data;
  const locale = ctx.locale;
  const now = ctx.now;
  const p = (c.profile ?? {}) as Record<string, unknown>;
  const eligibility = new Map((c.eligibility ?? []).map((e) => [e.key, e]));
  const id = String(c._id);
  const applicantLanguage = t(`shortlists.decide.languages.${applicant?.locale === 'en' ? 'en' : 'vi'}`);
  const internal = ofInstitute(ctx, c);
  return {
    title: `${c.reference} · ${String(p.fullName ?? '')}`,
    caseId: id,
    c,
    version: c.version,
    stageLabel: caseStageLabel(t, c),
    badge: stageBadge(c.stage),
    overdue: !!c.stageDueAt && c.stageDueAt.getTime() < now.getTime(),
    trackLabel: t(`calls.tracks.${c.track}`),
    call,
    applicant,
    // What the applicant reads their e-mails in (their account's language; Vietnamese by default):
    // officers write messages and reasons to them in it.
    applicantLanguage,
    assigneeName: c.assignee ? names.get(String(c.assignee))?.name : undefined,
    profile: {
      ...p,
      nationalityName: countryName(p.nationality, locale),
      residenceName: countryName(p.countryOfResidence, locale),
      degreeLabel: p.highestDegree ? t(`applications.degrees.${String(p.highestDegree)}`) : '',
      overseas: p.overseasVietnamese === true ? t('common.yes') : p.overseasVietnamese === false ? t('common.no') : '',
      // One planned start, and where it came from: the application, the accepted offer, or HR's change (on which day).
      plannedStartSource: ((s) => (s ? t(`cases.plannedStart.source.${s.source}`, { date: formatDay(s.at, locale) }) : undefined))(startSource(c)),
    },
    eligibility: criteriaFor(c.track).map((crit) => {
      const e = eligibility.get(crit.key);
      return { label: crit.label[locale] ?? crit.label.en, answered: !!e, met: e?.met === true, evidence: e?.evidence };
    }),
    achievements: c.achievements,
    dependants: (c.dependants ?? []).map((d) => withFields(d, { relationshipLabel: d.relationship ? t(`applications.relationships.${d.relationship}`) : '', nationalityName: countryName(d.nationality, locale) })),
    supportRequested: SUPPORT_FIELDS.filter((f) => c.supportRequested?.[f]).map((f) => t(`applications.support.${f}`)),
    // What becomes of the family support asked (no procedure of its own): said where HR reads what was asked.
    familySupport: familySupportText(t, c, 'hr'),
    infoRequest: c.infoRequest?.requestedAt ? c.infoRequest : undefined,
    // The paper the request gave an upload place to, and the files sent with the answer.
    infoDocumentLabel: c.infoRequest?.requestedAt && c.infoRequest.documentType ? t(`documents.types.${c.infoRequest.documentType}`) : undefined,
    answerFiles: data.answerFiles.map((f) => withFields(f, { label: t(`documents.types.${f.type}`) })),
    // Every decision on the case (which, who, when, the internal reason, what the applicant was told), newest first.
    // A panel member from another institute reads the outcome, not the reasons (case.readReasons).
    decisions: decisionHistory(t, c, names, { reasons: can(ctx.actor, 'case.readReasons', c) }),
    // The applicant declined the offer (when, and their reason if they gave one: the history note), or accepted it late.
    offerAnswer: offerAnswerView(t, locale, c),
    timeline: timeline(c.history ?? [], names, t, { applicantId: c.applicant, forApplicant: false, locale, ofInstitute: internal }),
    // HR's notes ("only institute staff see these") and the applicant's messages with HR are the
    // institute's: a panel member from another institute, who sees the case to evaluate it, does not read them.
    ofInstitute: internal,
    notes: internal ? [...(c.notes ?? [])].reverse().map((n) => ({ at: n.at, text: n.text, who: names.get(String(n.author))?.name ?? '' })) : [],
    messages: internal ? messagesView(c.messages ?? [], names, t, false) : [],
    // Sent back with a reply: the messages up to this one were on the officer's page (server/cases/message-digest.ts dropAnsweredDigest).
    seenMessage: internal && c.messages?.length ? String(c.messages.at(-1)!._id) : undefined,
    canMessage: canWork && inStages(c.stage, ACTIVE_STAGES),
    nextStep: nextStep(t, locale, data.calendar, now, c, { recordAcceptance: data.actions.includes('record_acceptance'), offerTerms: data.canAttachOffer, signedOffer: signedOfferOwed((checklist as ChecklistView | undefined)?.items) }),
    requestLeft: requestLeft(t, data.calendar, now, c),
    // The open request's two endings besides the applicant's answer, and the offer's acceptance by post or e-mail.
    requestForms: data.actions.includes('answered_outside') ? requestForms(state, errorTexts(t, state.errors) ?? {}) : undefined,
    // Only for an offer that can be accepted (its terms and letter attached: offerReady); a refused one shows its reason.
    recordAcceptance: data.actions.includes('record_acceptance') && (offerReady(c) || state.values?.action === 'record_acceptance') ? acceptanceForm(t, now, state, errorTexts(t, state.errors) ?? {}) : undefined,
    // A decline needs no terms: it may come before they are attached.
    recordDecline: data.actions.includes('record_decline') ? declineForm(t, now, state, errorTexts(t, state.errors) ?? {}) : undefined,
    // The offer's start is the one to change while the offer waits (planned-start.ts offerNamesStart):
    // the form shows then only to say why a move sent from an older page was refused.
    plannedStartForm: canWork && canChangePlannedStart(c) && (!offerNamesStart(c) || state.values?.action === 'plan_start') ? plannedStartForm(now, state, errorTexts(t, state.errors) ?? {}, typedTargetRows(t, locale, data.calendar, now, c)) : undefined,
    plannedStartOfferNote: canWork && canChangePlannedStart(c) && !!offerNamesStart(c),
    offerTerms: offerTermsView(t, locale, c, data.canAttachOffer, state, errorTexts(t, state.errors) ?? {}, applicantLanguage),
    actions: data.actions.filter((a) => !PLACED_ACTIONS.has(a)).map((a) => ({
      action: a,
      // What the case still lacks for this step (the step's own rule, computed with the page): said
      // beside the button, which stays disabled until it holds. After a refused click, the refusal's own words.
      unmet: unmetLines(t, data.unmet[a] ?? {}, state.values?.action === a ? pick(state.errors, UNMET_FIELDS) : {}),
      label: t(`cases.actions.${a}`),
      form: FORM_ACTIONS.has(a),
      needsReason: REASON_ACTIONS.has(a),
      // Arrival is recorded with the day HR picks (no later than today): not prefilled, so nobody
      // confirms "today" without reading it; what was typed comes back with an error.
      arrivalDate: a === 'mark_arrived' ? vnDateKey(ctx.now) : undefined,
      arrivalValue: a === 'mark_arrived' && typeof state.values?.arrivedOn === 'string' ? state.values.arrivedOn : undefined,
      // A hold says when HR looks at it again (its deadline): a later day than today, kept as typed when refused.
      review: a === 'put_on_hold' ? { min: vnDateKey(new Date(now.getTime() + 86_400_000)), hint: t('cases.show.reviewByHint', { days: HOLD_REVIEW_MAX_DAYS }), value: state.values?.action === a && typeof state.values.reviewBy === 'string' ? state.values.reviewBy : undefined, error: state.values?.action === a ? errorTexts(t, state.errors)?.reviewBy : undefined } : undefined,
      reasonLabel: REASON_ACTIONS.has(a) ? t(`cases.show.reasonFor.${a}`) : undefined,
      reasonHint: REASON_ACTIONS.has(a) ? reasonHint(t, a, reasonToldToApplicant(a, c.stage), applicantLanguage) : undefined,
      reasonRequired: REASON_ACTIONS.get(a)?.reasonRequired ?? true,
      reasonMax: a === 'reject' ? REJECT_REASON_MAX : HOLD_REASON_MAX,
      danger: DANGER_ACTIONS.has(a),
      caution: CAUTION_ACTIONS.has(a),
      href: a === 'request_info' ? `/cases/${id}/request-info` : undefined,
    })),
    canWork,
    // A leader's decisions are taken on the shortlist's decision page (server/evaluations/case.ts).
    decideHref: data.decides && call ? `/shortlists/${String(call._id)}/cases/${id}` : undefined,
    officers: officers.map((u) => ({ id: String(u._id), name: u.name, selected: String(u._id) === String(c.assignee ?? '') })),
    // A procedure's internal note is "HR only": not for another institute's panel member either, nor
    // HR's words to the applicant (a refusal's reasons among them): they read the statuses.
    procedures: internal ? data.procedures : { ...data.procedures, items: data.procedures.items.map(({ note: _hrOnly, message: _toApplicant, ...item }) => item) },
    emails: data.seesEmails ? emailsView((c.outbox ?? []) as never, t, { adminAddresses: ctx.actor?.role === 'admin' }) : undefined,
    seesEmails: data.seesEmails,
    checklist,
    pageNav: pageNav(t, { checklist: checklist as ChecklistView | undefined, internal, seesEmails: data.seesEmails }),
    planner: presentPlan(ctx, data.plan, c.forecast?.computedAt),
    errors: errorTexts(t, state.errors),
    // A step refused for what the case lacks (documents not accepted, procedures not granted) has no
    // field to correct: the banner says so, and the reason stands beside the step's button.
    ...(state.errors && Object.keys(state.errors).every((k) => k === 'documents' || k === 'support') ? { formErrorsText: t('cases.show.stepNotYet') } : {}),
    values: state.values ?? {},
    stages: STAGES,
  };
}

/**
 * The case page's own contents, linked at its top in the order the page shows them: the papers were
 * ~30 Tabs down, past every form (walk s38). The papers' link says how many wait for this reader's
 * check and goes to the first of them (the item's `doc-<type>` anchor, where a decision comes back to);
 * while some wait it comes first, the work the page is most often opened for (the queue's mark).
 */
function pageNav(t: TFunction, opts: { checklist?: ChecklistView; internal: boolean; seesEmails: boolean }) {
  const toCheck = (opts.checklist?.items ?? []).filter((i) => [...i.current, ...i.renewals].some((d) => d.canVerify));
  const papers = opts.checklist ? [{ href: toCheck.length ? `#doc-${toCheck[0]!.type}` : '#documents', label: t('applications.documents.title'), note: toCheck.length ? t('cases.show.navToCheck', { count: toCheck.length }) : undefined }] : [];
  return [
    ...(toCheck.length ? papers : []),
    { href: '#actions', label: t('cases.show.actions') },
    { href: '#profile', label: t('applications.steps.profile') },
    { href: '#support', label: t('procedures.title') },
    { href: '#timeline', label: t('cases.show.timeline') },
    ...(opts.internal ? [{ href: '#notes', label: t('cases.show.notes') }, { href: '#messages', label: t('cases.show.messages') }] : []),
    { href: '#planner', label: t('planner.title') },
    ...(toCheck.length ? [] : papers),
    ...(opts.seesEmails ? [{ href: '#emails', label: t('cases.show.emails') }] : []),
  ];
}

/** The forms of an open request: a later date, or its end (answered outside the portal), each kept as typed when refused. */
function requestForms(state: FormState, errors: FieldErrors) {
  const v = state.values ?? {};
  const extend = v.action === 'extend_info';
  const outside = v.action === 'answered_outside';
  return {
    extend: { open: extend, dueAt: extend ? v.extendDueAt : undefined, reason: extend ? v.extendReason : undefined, errors: extend ? errors : {} },
    outside: { open: outside, reason: outside ? v.reason : undefined, error: outside ? errors.reason : undefined },
    reasonMax: HOLD_REASON_MAX,
  };
}

/** Moving the planned start (server/cases/planned-start.ts), kept as typed when refused. */
function plannedStartForm(now: Date, state: FormState, errors: FieldErrors, typed: Array<{ kind: string; label: string; date: string; left: string }>) {
  const v = state.values ?? {};
  const mine = v.action === 'plan_start';
  const keep = mine && v[PLANNED_START_FIELDS.targets] === 'keep';
  return { open: mine, day: mine ? v[PLANNED_START_FIELDS.day] : undefined, reason: mine ? v[PLANNED_START_FIELDS.reason] : undefined, told: mine ? v[PLANNED_START_FIELDS.told] : undefined, errors: mine ? errors : {}, min: vnDateKey(now), reasonMax: HOLD_REASON_MAX, toldMax: PLANNED_START_TOLD_MAX, typed, keep };
}

/**
 * The filing targets HR typed that a move of the start affects (planned-start.ts typedTargets), as
 * the form lists them: the procedure, its day and the working days left, so the officer chooses
 * knowingly whether they move with the start (walk32 #1).
 */
function typedTargetRows(t: TFunction, locale: Locale, calendar: WorkingCalendar, now: Date, c: CasePageData['caseDoc']) {
  return typedTargets((c.supportTracks ?? []).map((tr) => plainTrack(tr as never))).map((tr) => ({
    kind: tr.kind,
    label: t(`procedures.kinds.${tr.kind}`),
    date: formatDay(tr.dueAt, locale),
    left: procedureLeft(t, calendar, now, tr.dueAt!).text,
  }));
}

/**
 * The offer's terms and letter on the case page: what is attached, and HR's form while the offer
 * is prepared or waits (server/cases/offer-terms.ts), kept as typed when refused.
 */
function offerTermsView(t: TFunction, locale: Locale, c: CasePageData['caseDoc'], canAttach: boolean, state: FormState, errors: FieldErrors, applicantLanguage: string) {
  const o = c.offerTerms;
  const has = !!(o?.letter || o?.position);
  if (!has && !canAttach) return undefined;
  const v = state.values ?? {};
  const mine = v.action === 'offer_terms';
  const dayKey = (d: Date) => d.toISOString().slice(0, 10);
  const oldStart = !o?.startOn && o?.start ? o.start : undefined;
  // The case's planned start beside the offer's (the accepted offer's day becomes it: server/workflow
  // ACCEPTANCE): where it came from when the two differ, so HR never reads two days unexplained.
  const planned = c.profile?.plannedArrival ?? undefined;
  const offerDay = o?.startOn ? dayKey(o.startOn) : undefined;
  const differs = !!planned && dayKey(planned) !== offerDay;
  const source = startSource(c);
  const onCase = planned && source ? t('cases.offerTerms.startOnCase', { date: formatDay(planned, locale), source: t(`cases.plannedStart.source.${source.source}`, { date: formatDay(source.at, locale) }) }) : undefined;
  // An offer with no day yet starts from the case's planned start (not over an old free-text one: saving would replace it unseen).
  const prefilled = !offerDay && !oldStart && planned ? dayKey(planned) : undefined;
  // The planned start is a day (its date input takes 'YYYY-MM-DD'); an old free-text one is shown as typed and named in the hint.
  const stored = (k: OfferTermKey) => (k === 'start' ? (offerDay ?? prefilled ?? '') : (o?.[k] ?? ''));
  const typed = (k: OfferTermKey) => (mine && typeof v[OFFER_TERM_FIELDS[k]] === 'string' ? String(v[OFFER_TERM_FIELDS[k]]) : stored(k));
  const startHint = [prefilled ? t('cases.offerTerms.startPrefilled') : differs ? onCase : undefined, t('cases.offerTerms.startReplaces'), oldStart ? t('cases.offerTerms.startWas', { text: oldStart }) : undefined];
  const hint = (k: OfferTermKey) => [t(`cases.offerTerms.hints.${k}`), ...(k === 'start' ? startHint : [])].filter(Boolean).join(' ');
  // The offer's start as shown, with the case's own when it says another day: before the answer, that
  // the offer's replaces it; after, the day the case now plans (HR may have moved it since).
  const startNote = has && differs && (offerDay || oldStart) ? [onCase, offerDay && canChangeOfferTerms(c) ? t('cases.offerTerms.startReplaces') : undefined].filter(Boolean).join(' ') : undefined;
  return {
    terms: has ? OFFER_TERM_KEYS.map((k) => ({ label: t(`cases.offerTerms.${k}`), text: offerTermText(o!, k, locale), ...(k === 'start' && startNote ? { note: startNote } : {}) })).filter((x) => x.text) : [],
    letterUrl: o?.letter ? `/documents/${String(o.letter)}/download` : undefined,
    form: canAttach
      ? {
          open: mine || !has,
          fields: OFFER_TERM_KEYS.map((k) => ({ name: OFFER_TERM_FIELDS[k], label: t(`cases.offerTerms.${k}`), hint: hint(k), type: k === 'start' ? 'date' : undefined, value: typed(k), error: mine ? errors[OFFER_TERM_FIELDS[k]] : undefined, required: k === 'position' })),
          letterField: OFFER_LETTER_FIELD,
          letterError: mine ? errors[OFFER_LETTER_FIELD] : undefined,
          max: OFFER_TERM_MAX,
          // The terms are shown to the applicant as typed (walk: Vietnamese terms on an English applicant's page): say in which language.
          toldHint: `${t(c.stage === 'offer' ? 'cases.offerTerms.toldNow' : 'cases.offerTerms.toldWithOffer')} ${t('cases.offerTerms.termsLanguage', { language: applicantLanguage })}`,
        }
      : undefined,
  };
}

/** A term as shown: the planned start as a day in the reader's form (an old free-text one as typed), the rest as HR wrote them. */
export function offerTermText(o: { start?: string | null; startOn?: Date | null } & Partial<Record<OfferTermKey, string | null>>, k: OfferTermKey, locale: string): string {
  if (k === 'start') return o.startOn ? formatDay(o.startOn, locale) : (o.start ?? '');
  return o[k] ?? '';
}

/** Recording an acceptance received by e-mail or post: how, the day (today unless given), a note. */
function acceptanceForm(t: TFunction, now: Date, state: FormState, errors: FieldErrors) {
  const v = state.values ?? {};
  const mine = v.action === 'record_acceptance';
  return {
    open: mine,
    via: RECEIVED_VIA.map((value) => ({ value, label: t(`cases.nextStep.via.${value}`), checked: mine && v.receivedVia === value })),
    today: vnDateKey(now),
    receivedOn: mine && typeof v.receivedOn === 'string' ? v.receivedOn : vnDateKey(now),
    reason: mine ? v.reason : undefined,
    errors: mine ? errors : {},
    reasonMax: HOLD_REASON_MAX,
  };
}

/** The fields of a decline received by e-mail or post, as its form sends them. */
const RECEIVED_FIELDS = ['receivedVia', 'receivedOn', 'note', 'reason'] as const;

/** Recording a decline received by e-mail or post: how, the day, HR's note and the applicant's reason; kept as typed when refused or brought back from its confirmation page. */
function declineForm(t: TFunction, now: Date, state: FormState, errors: FieldErrors) {
  const v = state.values ?? {};
  const mine = v.action === 'record_decline';
  const typed = (k: string) => (mine && typeof v[k] === 'string' ? String(v[k]) : undefined);
  return {
    open: mine,
    via: RECEIVED_VIA.map((value) => ({ value, label: t(`cases.nextStep.via.${value}`), checked: mine && v.receivedVia === value })),
    today: vnDateKey(now),
    receivedOn: typed('receivedOn') ?? vnDateKey(now),
    note: typed('note'),
    reason: typed('reason'),
    errors: mine ? errors : {},
    noteMax: HOLD_REASON_MAX,
    reasonMax: DECLINE_REASON_MAX,
  };
}

/** The conditions a step's guard names (server/workflow/transitions.ts), and where on the page to see to them. */
const UNMET_FIELDS = ['documents', 'support'] as const;
const UNMET_LINKS: Record<(typeof UNMET_FIELDS)[number], { href: string; label: string }> = {
  documents: { href: '#documents', label: 'cases.show.toDocuments' },
  support: { href: '#support', label: 'cases.show.toProcedures' },
};

function pick(errors: FieldErrors | undefined, keys: readonly string[]): FieldErrors {
  return Object.fromEntries(Object.entries(errors ?? {}).filter(([k]) => keys.includes(k)));
}

/** Before a click the line is a hint; after a refused click, the refusal (a field error the error summary links to). */
function unmetLines(t: TFunction, unmet: FieldErrors, refused: FieldErrors) {
  const all = { ...unmet, ...refused };
  const lines = UNMET_FIELDS.filter((f) => all[f]).map((f) => ({ id: `${f}-error`, text: all[f]!, refused: !!refused[f], href: UNMET_LINKS[f].href, linkLabel: t(UNMET_LINKS[f].label) }));
  return lines.length ? { lines, describedBy: lines.map((l) => l.id).join(' ') } : undefined;
}

/**
 * The confirmation page of an HR decision (server/cases/decision.ts): the new stage, what it means,
 * what the applicant can still do, an information request they may still answer, the e-mail as it
 * will be sent, the reason (and whether the applicant is told it), and the two forms: confirm, or
 * back to the case with the reason as typed.
 */
export function confirmDecisionPage(ctx: Context, preview: HrDecisionPreview, action: Action, reason: string, payload: Record<string, unknown> = {}) {
  const t = tOf(ctx);
  const c = preview.caseDoc;
  const id = String(c._id);
  // A decline received by e-mail or post: what HR recorded, said back, and carried as typed by both forms (the step checks it again).
  const carried = action === 'record_decline' ? RECEIVED_FIELDS.map((name) => ({ name, value: typeof payload[name] === 'string' ? String(payload[name]) : '' })) : [];
  const received =
    action === 'record_decline' && typeof payload.receivedVia === 'string' && isCalendarDay(String(payload.receivedOn))
      ? {
          line: t(`cases.nextStep.received.${payload.receivedVia}`, { date: formatDay(new Date(`${String(payload.receivedOn)}T05:00:00Z`), ctx.locale) }),
          note: payload.note,
          reason: typeof payload.reason === 'string' && payload.reason.trim() ? t('cases.nextStep.decline.theirReason', { reason: payload.reason.trim() }) : t('cases.nextStep.decline.noReason'),
        }
      : undefined;
  return {
    carried,
    received,
    title: t(`cases.confirm.title.${action}`),
    caseId: id,
    reference: c.reference,
    fullName: c.profile?.fullName,
    action,
    version: c.version,
    fromStage: stageLabel(t, preview.from),
    toStage: stageLabel(t, preview.to),
    happens: t(`cases.confirm.happens.${action}`, { stage: stageLabel(t, preview.to), from: stageLabel(t, preview.from), days: preview.retentionDays, reviewBy: preview.dueAt ? formatDay(preview.dueAt, ctx.locale) : '' }),
    // A hold's review date, as the step will store it ('YYYY-MM-DD' in Vietnam), carried by both forms.
    reviewBy: action === 'put_on_hold' && preview.dueAt ? { value: vnDateKey(preview.dueAt), text: formatDay(preview.dueAt, ctx.locale) } : undefined,
    next: t(`cases.confirm.next.${action}`),
    openRequest: preview.openRequest
      ? // A hold does not decide without the answer: the request waits with the case, its days given back on resuming (cases/held-request.ts).
        t(action === 'put_on_hold' ? 'cases.confirm.openRequestHold' : 'cases.confirm.openRequest', { date: formatDay(preview.openRequest.dueAt, ctx.locale), count: preview.openRequest.workingDays })
      : undefined,
    reason,
    hasReason: REASON_ACTIONS.has(action),
    reasonLabel: REASON_ACTIONS.has(action) ? t(`cases.show.reasonFor.${action}`) : undefined,
    reasonHint: REASON_ACTIONS.has(action) ? reasonHint(t, action, reasonToldToApplicant(action, preview.from), preview.email ? t(`shortlists.decide.languages.${preview.email.locale}`) : undefined) : undefined,
    preview: preview.email ? { ...preview.email, language: t(`shortlists.decide.languages.${preview.email.locale}`) } : undefined,
    confirmLabel: t(`cases.confirm.button.${action}`),
    danger: DANGER_ACTIONS.has(action),
  };
}

/** The information request form (what the applicant must provide, and by when). */
export function requestInfoPage(ctx: Context, c: CaseDoc, applicantLocale: 'en' | 'vi', documents: { checklist: string[]; other: string[] }, state: FormState = {}) {
  const t = tOf(ctx);
  const chosen = String(state.values?.documentType ?? '');
  const option = (d: string) => ({ value: d, label: t(`documents.types.${d}`), selected: chosen === d });
  return {
    // An upload place beside the answer: none, a slot of the checklist, or another kind of paper.
    documentNone: { selected: !chosen },
    documentGroups: [
      { label: t('cases.requestInfo.documentChecklist'), options: documents.checklist.map(option) },
      { label: t('cases.requestInfo.documentOther'), options: documents.other.map(option) },
    ].filter((g) => g.options.length > 0),
    // The e-mail is in the applicant's language but the items go in as typed: say which language to write them in.
    itemsHint: `${t('cases.requestInfo.itemsHint')} ${t('cases.requestInfo.itemsLanguage', { language: t(`shortlists.decide.languages.${applicantLocale}`) })}`,
    title: `${t('cases.requestInfo.title')} · ${c.reference}`,
    caseId: String(c._id),
    reference: c.reference,
    fullName: c.profile?.fullName,
    version: c.version,
    values: state.values ?? {},
    errors: errorTexts(t, state.errors),
  };
}

/** A flash message of the case pages: its kind, key and parameters (parts already translated). */
export interface CaseFlash {
  kind: 'success' | 'info' | 'error';
  key: string;
  params: Record<string, unknown>;
}

/**
 * What an assignment on the case page did. The assignee is not notified (no e-mail, no mention):
 * the case shows in their queue, and the officer is told so rather than left to assume otherwise.
 */
export function assignFlash(ctx: Context, outcome: AssignOutcome): CaseFlash {
  const name = outcome.assignee?.name;
  const self = !!outcome.assignee && !!ctx.actor && sameId(outcome.assignee.id, ctx.actor._id);
  if (!outcome.changed) return name ? { kind: 'info', key: 'cases.flash.assignUnchanged', params: { name } } : { kind: 'info', key: 'cases.flash.unassignUnchanged', params: {} };
  if (!name) return { kind: 'success', key: 'cases.flash.unassigned', params: {} };
  return { kind: 'success', key: self ? 'cases.flash.assignedToYou' : 'cases.flash.assignedTo', params: { name } };
}

/** What a bulk assignment did: how many cases went to whom, how many were already theirs, how many could not be, and that they are not notified. */
export function bulkAssignFlash(ctx: Context, outcome: BulkAssignOutcome): CaseFlash {
  const t = tOf(ctx);
  const { assigned, already, skipped, assignee } = outcome;
  const self = !!ctx.actor && sameId(assignee.id, ctx.actor._id);
  const more = [
    already ? t('cases.flash.bulkAlready', { count: already }) : '',
    skipped ? t('cases.flash.bulkSkipped', { count: skipped }) : '',
    assigned && !self ? t('cases.flash.bulkNotTold', { name: assignee.name }) : '',
  ].filter(Boolean).map((p) => ` ${p}`).join('');
  if (assigned > 0) return { kind: 'success', key: 'cases.flash.bulkAssigned', params: { count: assigned, name: self ? t('cases.flash.you') : assignee.name, more } };
  // None assigned is not a success: the officer would believe their institute's cases were handed out.
  if (already > 0) return { kind: 'info', key: 'cases.flash.bulkUnchanged', params: { name: self ? t('cases.flash.you') : assignee.name, more } };
  return { kind: 'error', key: 'cases.flash.bulkAssignedNone', params: { count: skipped } };
}

export interface EmailView {
  template: string;
  label: string;
  to: string;
  status: string;
  statusLabel: string;
  attempts: number;
  createdAt: Date;
  sentAt?: Date | null;
  lastError?: string | null;
}

/** Every e-mail written on the case (the outbox keeps sent and dead items with their status). */
/** `adminAddresses`: the reader may read administrators' addresses (server/policies/mail.ts readRecipient); else an e-mail the HR office's fallback sent them says "the administrators". */
export function emailsView(outbox: Array<Record<string, unknown>>, t: TFunction, opts: { adminAddresses: boolean } = { adminAddresses: false }): EmailView[] {
  return outbox
    .map((o) => {
      const status = String(o.status ?? 'pending');
      const template = String(o.template);
      return {
        template,
        // The same names as the mail log and the template editor (one list: workflow.templates).
        label: t(`workflow.templates.${template}`, { defaultValue: template }),
        // A digest waiting for its window is addressed when sent (server/cases/message-digest.ts addressDigest):
        // the officer known when it opened may have changed by then.
        to:
          template === 'applicant_message_digest' && status === 'pending'
            ? t('cases.emailToWhenSent')
            : !opts.adminAddresses && (o.data as { toAdmins?: unknown } | undefined)?.toAdmins === true
              ? t('mailLog.toAdmins')
              : String(o.to),
        status,
        statusLabel: t(`cases.emailStatuses.${status}`, { defaultValue: status }),
        attempts: Number(o.attempts ?? 0),
        createdAt: o.createdAt as Date,
        sentAt: (o.sentAt as Date | undefined) ?? null,
        lastError: (o.lastError as string | undefined) ?? null,
      };
    })
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
}

export interface MessageView {
  at: Date;
  who: string;
  fromApplicant: boolean;
  text: string;
}

export function messagesView(messages: Array<{ at: Date; author: unknown; fromApplicant: boolean; text: string }>, names: Map<string, { name: string; role: string }>, t: TFunction, forApplicant: boolean): MessageView[] {
  return messages.map((m) => ({
    at: m.at,
    fromApplicant: m.fromApplicant,
    text: m.text,
    who: m.fromApplicant
      ? forApplicant
        ? t('cases.people.you')
        : (names.get(String(m.author))?.name ?? t('cases.people.applicant'))
      : forApplicant
        ? t('cases.people.hr')
        : (names.get(String(m.author))?.name ?? t('cases.people.hr')),
  }));
}

/**
 * The documents checklist view (documents feature), rendered by its partial on both case pages.
 * `defaultMaxBytes`: the configured limit (UPLOAD_MAX_MB); without it the page said and checked
 * 20 MB whatever the server refused at. `now`: the request's clock (ctx.now), which the items'
 * validity and a request's working days left read.
 */
export async function documentsChecklist(caseDoc: unknown, call: unknown, viewer: UserRecord, facts: CaseAccessFacts = {}, documents?: readonly DocumentRecord[], opts: { defaultMaxBytes?: number; now?: Date } = {}): Promise<unknown> {
  if (!call) return undefined;
  return checklistForCase(caseDoc as never, call as never, viewer, { facts, documents, ...(opts.defaultMaxBytes ? { defaultMaxBytes: opts.defaultMaxBytes } : {}), ...(opts.now ? { now: opts.now } : {}) });
}
