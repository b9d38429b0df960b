// The only writer of Case.stage. One step of the transition table (./transitions.ts) as a short story:
//   guard  — the actor may take this action on this case (role, ownership), the form was built for
//            the case's current version, the payload is valid and the row's guard holds;
//   apply  — where the case goes, the deadline of its new stage, and what this action changes
//            beyond the stage (ACTION_RULES below: the per-action differences, one row each);
//   record — ONE findOneAndUpdate matching { _id, stage, version } moves the stage and pushes the
//            history event and the e-mails owed (transactional outbox); the audit event carries the
//            same time. A stale form or a second officer finds no match: CaseConflictError, which
//            says who changed the case and how (server/cases/conflict.ts).
import { refreshForecast } from '../planner/service.ts';
import { applyStageMove } from '../dashboard/stored.ts';
import { answerDaysLeft, requestPausedText, resumedAnswerDue, signedDaysLeft, stageDaysLeftAtHold } from '../cases/held-request.ts';
import mongoose from 'mongoose';
import { z } from 'zod';
import type { AppContext } from '../deps.ts';
import { actorOf, tOf, type Context } from '../context.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { afterTransition, summarizeHistory } from '../../models/case-summary.ts';
import { nextDueAt, type DeadlineSource } from '../../models/case-deadline.ts';
import { Call, type CallDoc } from '../../models/call.ts';
import { User, type UserDoc } from '../../models/user.ts';
import { emailsToHr, officersToTell, type HrRecipient } from '../institutes/hr-staff.ts';
import { nextSequence } from '../../models/counter.ts';
import { ACTIVE_SUPPORT_STATUSES, SUPPORT_KINDS, type Stage, type SupportKind } from '../../models/constants.ts';
import { BadRequestError, ForbiddenError, NotFoundError, ValidationError, type FieldErrors } from '../errors.ts';
import { can, sameId } from '../policies/index.ts';
import { caseAudit, settleCaseAudits, withPendingAudits } from '../cases/pending-audit.ts';
import { decisionAudit } from '../cases/decision-audit.ts';
import { countedDeadline, loadCalendar, vnDateKey, vnEndOfDay, type DueCount, type WorkingCalendar as Calendar } from '../calendar/index.ts';
import { caseEmail, outboxKey, recipientLocale, type OutboxItem } from '../outbox/item.ts';
import { translator, type Locale } from '../i18n/index.ts';
import { formatDay } from '../views/time.ts';
import { renderEmail } from '../mail/render.ts';
import { waitingText, windowView } from '../procedures/present.ts';
import { deadlineLeft, dueMeaning, isSupportOverdue, plain, procedureFamilyLine, type TrackState } from '../procedures/service.ts';
import { caseConflict, versionSeen } from '../cases/conflict.ts';
import { ACTIONS, DECLINE_REASON_MAX, HOLD_REASON_MAX, HOLD_REVIEW_MAX_DAYS, PAYLOADS, REJECT_REASON_MAX, STAGE_DEADLINES, SUPPORT_TRACK_DEADLINES, TRANSITIONS, findTransition, isAction, offerReady, rolesFor, type Action, type GuardFailures, type GuardInput, type Transition } from './transitions.ts';
import { reasonToldToApplicant } from '../cases/applicant-view.ts';
import { PROCEDURE_RULES, cardTargetOnArrival, countedLodgingDue, filingTargetWithheld, trackTargetWithheld, waitingFor } from '../procedures/rules.ts';
import { hrContactFor, sendToLine, type HrContact } from '../institutes/contact.ts';
import { lateAnswer, lateAnswerText, type LateAnswer } from '../applications/late-answer.ts';
import { residenceCardWanted, vietnameseCitizen, visaWanted } from '../applications/family-support.ts';
import { signedOfferAsked, signedOfferUploadable } from '../documents/index.ts';
import { plannedStartAudit, offerStartMove, plannedStartEvent, type StartMove } from '../cases/planned-start-moves.ts';
import { isId } from '../support/object-id.js';

export { ACTIONS, DECLINE_REASON_MAX, TRANSITIONS, STAGE_DEADLINES, SUPPORT_TRACK_DEADLINES, isAction, isConfirmedAction, needsConfirmation, offerReady, WORKFLOW_TEMPLATES } from './transitions.ts';
export type { Action, Transition, Guard, GuardFailures } from './transitions.ts';

/** 'TA-YYYY-NNNNNN': a per-year sequence (year in Vietnam) from the counters collection. */
export async function nextCaseReference(now: Date): Promise<string> {
  const year = vnDateKey(now).slice(0, 4);
  const n = await nextSequence(`case-reference-${year}`);
  return `TA-${year}-${String(n).padStart(6, '0')}`;
}

export interface TransitionOptions {
  app: AppContext;
  /** Who acts (ctx.actor), in which language errors are worded, and when (ctx.now). */
  ctx: Context;
  caseId: unknown;
  action: string;
  /** The version the actor saw (hidden field on the form). */
  expectedVersion: number;
  payload?: Record<string, unknown>;
  /** Set by decideCase only: a leader's decision row (Transition.decision) is refused without it. */
  asDecision?: boolean;
  /**
   * A decision about the person (HR's, a leader's, the applicant's decline of an offer): its audit
   * event (server/cases/decision-audit.ts) goes into the step's own update. `reason`: the step's
   * note when not given.
   */
  decision?: { name: string; reason?: string; toldReason?: string };
  /**
   * A leader's decision taken without the panel's scores (they were hidden from them), or scoring
   * closed by a leader (lead s35): marked on the step's history event and on its audit events, for
   * the steering committee. Never on what the applicant reads.
   */
  marks?: DecisionMarks;
}

export interface DecisionMarks {
  blind?: boolean;
  closedScoring?: boolean;
}

/** Only the marks that are set (nothing stored for `false`). */
function marksOf(marks: DecisionMarks | undefined): { blind?: true; closedScoring?: true } {
  return { ...(marks?.blind ? { blind: true as const } : {}), ...(marks?.closedScoring ? { closedScoring: true as const } : {}) };
}

type Actor = Pick<UserDoc, '_id' | 'role' | 'institute'> & { panelCalls?: unknown[] };
type CaseLike = Pick<CaseDoc, 'applicant' | 'institute' | 'call' | 'stage'>;

/** May this user take this row's action on this case (role and ownership)? Fails closed. */
function mayTake(t: Transition, c: CaseLike, user: Actor): boolean {
  if (!rolesFor(t).includes(user.role as never)) return false;
  switch (user.role) {
    case 'applicant':
      return sameId(user._id, c.applicant);
    case 'hr_officer':
      return can(user, 'case.work', c);
    case 'leader':
      return can(user, 'case.decide', c);
    case 'admin':
      return true;
    default:
      return false;
  }
}

/**
 * The actions this user may apply to the case now (for buttons); guards are checked on apply. A
 * leader's decisions only with `decisions` (the shortlist's decision page): everywhere else they are
 * not actions but a link to that page.
 */
export function availableActions(caseDoc: CaseLike, user: Actor | undefined | null, opts: { decisions?: boolean } = {}): Action[] {
  if (!user) return [];
  const out = new Set<Action>();
  for (const t of TRANSITIONS) if (t.from.includes(caseDoc.stage as Stage) && (!t.decision || opts.decisions) && mayTake(t, caseDoc, user)) out.add(t.action);
  return ACTIONS.filter((a) => out.has(a));
}

/** Whether the user takes decisions on this case now (the case page links to the decision page). */
export function decidesNow(caseDoc: CaseLike, user: Actor | undefined | null): boolean {
  return !!user && TRANSITIONS.some((t) => t.decision && t.from.includes(caseDoc.stage as Stage) && mayTake(t, caseDoc, user));
}

// ---------------------------------------------------------------------------------------------
// The per-action differences: what an action sets beyond the stage, the note its history event
// carries, the new stage's due date when the action sets it itself, and what its e-mail says.

interface StepFacts {
  caseDoc: CaseDoc;
  actor: Actor;
  now: Date;
  from: Stage;
  payload: Record<string, unknown>;
  calendar: Calendar;
  /** The institute's HR office, read only for a rule that tells the applicant where to send papers (`contact`). */
  contact?: HrContact;
  /** The call asks for the signed offer and none is accepted yet, read only for a rule that asks for it (`signedOffer`). */
  signedOfferAsked?: boolean;
  /** The planned start the step moves to the offer's day, read only for a rule that does (`offerStart`). */
  startMove?: StartMove;
}

interface ActionRule {
  /** Refuses what the schema cannot know (a date relative to now): field → error key (with its params). */
  check?: (f: StepFacts) => GuardFailures | undefined;
  set?: (f: StepFacts) => Record<string, unknown>;
  unset?: readonly string[];
  /** The history event's note (default: the payload's `note`). */
  note?: (f: StepFacts) => string | undefined;
  /** The new stage's due date when the action chooses it (default: the row's working days): a typed date, or a count of working days. */
  dueAt?: (f: StepFacts) => Date | DueCount | undefined;
  /** Facts the history event and the audit event carry beyond the note (how an acceptance came, and when). */
  event?: (f: StepFacts) => Record<string, unknown>;
  /** What the e-mail says beyond the common facts, in the recipient's language where it writes words (`dueAt`: the new stage's deadline). */
  mail?: (f: StepFacts, set: Record<string, unknown>, locale: Locale, dueAt: Date | undefined) => Record<string, unknown>;
  /** Its e-mail says where papers go: the institute's HR contact is read into the facts. */
  contact?: true;
  /** Its e-mail asks for the signed offer when the call wants it and it is not in: read into the facts. */
  signedOffer?: true;
  /** The offer's day becomes the planned start (server/cases/planned-start-moves.ts offerStartMove): read into the facts. */
  offerStart?: true;
}

/** The planned start of work the step works with: the one it moves to, else the case's. */
const plannedStartOf = (f: StepFacts): Date | undefined => f.startMove?.to ?? f.caseDoc.profile?.plannedArrival ?? undefined;

/**
 * The new stage's deadline as the working days left, counted now in the recipient's language: the
 * applicant is told by when HR acts next ("by 12 Dec 2026 (5 working days left)"), as an information
 * request tells them by when to answer. The date itself is the e-mail's `dueAt`.
 */
const stageDueLeft: ActionRule['mail'] = ({ now, calendar }, _set, locale, dueAt) => (dueAt ? { dueLeft: deadlineLeft(translator(locale), calendar, now, dueAt).text } : {});

function supportTracksFor(c: CaseDoc, now: Date, calendar: Calendar, plannedStart: Date | undefined) {
  const wanted: Record<SupportKind, boolean> = {
    // A Vietnamese citizen needs none (server/applications/steps.ts parseSupport): a tick stored before that check starts nothing.
    work_permit: !!c.supportRequested?.workPermit && !vietnameseCitizen(c),
    // Family support is the family members' TT visas, lodged with the visa (server/applications/family-support.ts).
    visa: visaWanted(c),
    residence_card: residenceCardWanted(c),
    housing: !!c.supportRequested?.housing,
    citizenship: !!c.supportRequested?.citizenship,
    // Started by HR when the expert is exempt (server/procedures), not asked for by the applicant.
    work_permit_exemption: false,
  };
  const tracks = SUPPORT_KINDS.map((kind) => ({ kind, status: wanted[kind] ? 'requested' : 'not_needed' }));
  // A procedure that comes after another the case has (the visa after the work permit) has no
  // clock until that one is granted (server/procedures/rules.ts, waitingFor); nor a naturalisation
  // that awaits its residence condition (filingTargetWithheld).
  return tracks.map(({ kind, status }) =>
    status === 'requested'
      ? { kind, status, ...(waitingFor(kind, tracks).length || filingTargetWithheld(kind, c) ? {} : countedLodgingDue(kind, calendar, now, SUPPORT_TRACK_DEADLINES[kind], plannedStart)), updatedAt: now }
      : { kind, status, updatedAt: now },
  );
}

/** The least time an applicant is given to answer a request for information. */
export const INFO_REQUEST_MIN_WORKING_DAYS = 2;
/**
 * The most, in calendar days: a date years ahead (2099 was taken) leaves the case waiting with no
 * deadline that can ever pass. A longer wait (a document from abroad) is a hold, with its reason.
 */
export const INFO_REQUEST_MAX_DAYS = 90;

/**
 * The onboarding stage's deadline (HR gets the procedures through and records the arrival): the later
 * of the fixed count (STAGE_DEADLINES.onboarding working days) and the planned start day. The stage
 * ends with the arrival, so it is not due before the day the expert is planned to start: the
 * procedures' own targets run up to it (the work permit's filing window closes shortly before it),
 * and a fixed 40 working days showed a case overdue weeks before its start while every procedure
 * was on schedule. A planned start sooner than the count (or none, or already past) keeps the count:
 * the procedures take their own time whatever start was hoped for, and a stage due on its first day
 * would only be overdue. The planned start is a typed day, so the date does not move with holidays.
 */
export function onboardingDue(c: Pick<CaseDoc, 'profile'>, now: Date, calendar: Calendar): Date | DueCount {
  const count: DueCount = { from: now, workingDays: STAGE_DEADLINES.onboarding! };
  const planned = c.profile?.plannedArrival;
  if (!(planned instanceof Date) || Number.isNaN(planned.getTime())) return count;
  const start = vnEndOfDay(planned);
  return start.getTime() > countedDeadline(calendar, count).getTime() ? start : count;
}

/**
 * The offer accepted: the support procedures the applicant asked for start. The offer's day, when it
 * names one other than the case's, becomes the planned start (what was accepted is the plan), in the
 * same update and recorded as HR's move of it is (server/cases/planned-start-moves.ts): the onboarding
 * deadline, the procedures' targets and windows, the e-mail and the forecast all read that day.
 */
const ACCEPTANCE: ActionRule = {
  // The applicant is asked to sign the offer letter and upload it, when the call's checklist wants it back.
  signedOffer: true,
  offerStart: true,
  set: (f) => ({ supportTracks: supportTracksFor(f.caseDoc, f.now, f.calendar, plannedStartOf(f)), ...(f.startMove ? { 'profile.plannedArrival': f.startMove.to } : {}) }),
  dueAt: (f) => onboardingDue({ profile: { plannedArrival: plannedStartOf(f) } as CaseDoc['profile'] }, f.now, f.calendar),
  // A procedure that waits for another has no deadline yet: it says what it waits for, as the pages do.
  // A date is said for what it is ("We aim to file by"), with the legal filing window as two dates
  // where the law sets one (the work permit: its first day is when filing becomes allowed, not a deadline).
  // The planned start is said as it now stands, and, when the offer's day replaced theirs, the day they had given.
  mail: (f, set, locale) => {
    const { now, calendar } = f;
    const tracks = set.supportTracks as Array<{ kind: SupportKind; status: string; dueAt?: Date }>;
    const t = translator(locale);
    const start = plannedStartOf(f);
    // The target with its working days left, as the applicant's page says it (walk-proc #4: the
    // e-mail gave the bare date beside a window counted in working days).
    const words = (kind: SupportKind, dueAt: Date | undefined) => {
      const win = windowView(t, locale, calendar, now, kind, start, true);
      return { dueLabel: t(`procedures.due.${dueMeaning(kind, 'requested')}`), ...(dueAt ? { dueLeft: deadlineLeft(t, calendar, now, dueAt).text } : {}), ...(win ? { window: t('procedures.window.email', { between: win.text, left: win.left }) } : {}) };
    };
    return {
      ...(start ? { plannedStart: start, startFromOffer: !!f.startMove, ...(f.startMove?.from ? { plannedStartWas: f.startMove.from } : {}) } : {}),
      signedOfferAsked: f.signedOfferAsked === true,
      // Whose a procedure is (walk app32: a Vietnamese citizen read "Visa: we aim to file by …" of their spouse's TT visa).
      // A naturalisation gets no filing date: the residence condition and its exemption instead, as her page says (walk s35 #2).
      supportTracks: tracks.filter((s) => s.status === 'requested').map((s) => ({ ...s, ...words(s.kind, s.dueAt), ...((w) => (w ? { waits: w } : {}))(filingTargetWithheld(s.kind, f.caseDoc) ? t('procedures.naturalisationMail') : waitingText(t, s.kind, tracks)), familyLine: procedureFamilyLine(t, s.kind, f.caseDoc) })),
    };
  },
};

/** An answer given at `answeredAt` after the offer's answer-by date (the stage's deadline): when it was due and the working days after it. */
function lateAt({ caseDoc, calendar }: StepFacts, answeredAt: Date): { late?: LateAnswer } {
  const late = caseDoc.stage === 'offer' ? lateAnswer(calendar, caseDoc.stageDueAt, answeredAt) : undefined;
  return late ? { late } : {};
}
/** The applicant's own answer, late as of now. */
const lateEvent: ActionRule['event'] = (f) => lateAt(f, f.now);

/** A leader's decision row's event: its note internal, the words written for the candidate beside it (both timelines, the e-mail). */
function toldEvent(payload: Record<string, unknown>): { internal: true; told?: string } {
  return { internal: true, ...(typeof payload.toldReason === 'string' && payload.toldReason ? { told: payload.toldReason } : {}) };
}

/** A leader's decision with an internal reason and words for the candidate (withdraw_offer, reconsider): the history note and the event. */
const reasonAndWords: Pick<ActionRule, 'note' | 'event'> = {
  note: ({ payload }) => String(payload.reason),
  event: ({ payload }) => toldEvent(payload),
};

/** An answer received by e-mail or post is recorded as it happened: not on a future day, not before the offer was made. */
const receivedCheck: ActionRule['check'] = ({ payload, now, caseDoc }) => {
  const on = payload.receivedOn as Date;
  // The text field has no min/max for the browser to keep to: the message names the days allowed.
  const range = { from: caseDoc.stageEnteredAt ?? undefined, to: now };
  if (vnDateKey(on) > vnDateKey(now)) return { receivedOn: { key: range.from ? 'workflow.errors.receivedInFuture' : 'workflow.errors.receivedInFutureOnly', params: range } };
  if (caseDoc.stageEnteredAt && vnDateKey(on) < vnDateKey(caseDoc.stageEnteredAt)) return { receivedOn: { key: 'workflow.errors.receivedBeforeOffer', params: range } };
  return undefined;
};
/**
 * Late as the applicant's own answer would be, counted at the day HR received it (the form's; today
 * when it has none): HR's delay in recording it is not the applicant's.
 */
const receivedLate = (f: StepFacts) => lateAt(f, f.payload.receivedOn instanceof Date ? f.payload.receivedOn : f.now);

/** The officer's e-mail says whether the answer came late, in the officer's language ("answered 2 working days after …"). */
function offerAnswerMail(f: StepFacts, locale: Locale, accepted: boolean): Record<string, unknown> {
  // An answer HR recorded is late by the day it was received (receivedLate), as its history event says.
  const late = (f.payload.receivedVia ? receivedLate(f) : lateEvent!(f)).late as LateAnswer | undefined;
  return { accepted, lateText: late ? lateAnswerText(translator(locale), locale, late) : '' };
}

/** How an answer HR recorded reached it, for the officer's notice ("It came by post on 5 Dec 2026."). */
function receivedLine(f: StepFacts, locale: Locale): Record<string, unknown> {
  return { receivedLine: translator(locale)(`workflow.offerReceived.${String(f.payload.receivedVia)}`, { date: formatDay(f.payload.receivedOn as Date, locale) }) };
}

/** The procedures lodged with an authority (filed, not the institute's own service), named for the on-hold e-mail. */
function filedContinues(caseDoc: CaseDoc, locale: Locale): { filedContinue?: string } {
  const t = translator(locale);
  // In a sentence: lower case in Vietnamese ("hồ sơ thẻ tạm trú"), as written in English (walk s35 #5).
  const kinds = (caseDoc.supportTracks ?? []).filter((s) => s.status === 'filed' && !PROCEDURE_RULES[s.kind].internal).map((s) => t(`procedures.inSentence.${s.kind}`));
  return kinds.length ? { filedContinue: t('workflow.onHold.filedContinues', { kinds: kinds.join(', ') }) } : {};
}

export const ACTION_RULES: Partial<Record<Action, ActionRule>> = {
  submit: { set: ({ now }) => ({ submittedAt: now }), mail: stageDueLeft },
  start_screening: { mail: stageDueLeft },
  // Walk33 #2: "now with the evaluation panel" said neither what comes next nor by when: the stage's date with its working days left.
  send_to_evaluation: { mail: stageDueLeft },
  // Walk s35: the shortlisted e-mail said the leadership "will decide" with no date: the stage's, with its working days.
  shortlist: { mail: stageDueLeft },
  request_info: {
    // A date the applicant can act on: in the future, a working day (the HR office answers them that
    // day), and at least INFO_REQUEST_MIN_WORKING_DAYS ahead (a request due tomorrow, a Sunday, was taken).
    check: ({ payload, now, calendar }) => {
      const due = payload.dueAt as Date;
      if (due.getTime() <= now.getTime()) return { dueAt: 'workflow.errors.dueInPast' };
      if (due.getTime() - now.getTime() > INFO_REQUEST_MAX_DAYS * 86_400_000) return { dueAt: 'workflow.errors.dueTooFar' };
      if (!calendar.isWorkingDay(due)) return { dueAt: 'workflow.errors.dueNotWorkingDay' };
      // Counted only near today: a far date is far enough, and counting to it would read (and warn
      // about) every year's calendar in between.
      const near = due.getTime() - now.getTime() < 31 * 86_400_000;
      if (near && calendar.workingDaysBetween(now, due) < INFO_REQUEST_MIN_WORKING_DAYS) return { dueAt: 'workflow.errors.dueTooSoon' };
      return undefined;
    },
    set: ({ payload, now, actor }) => ({ infoRequest: { items: payload.items, dueAt: payload.dueAt, requestedAt: now, requestedBy: actor._id, ...(payload.documentType ? { documentType: payload.documentType } : {}) } }),
    note: ({ payload }) => (payload.items as string[]).join('\n'),
    dueAt: ({ payload }) => payload.dueAt as Date,
    // The working days left, counted now in the applicant's language, as a procedure's ask says them;
    // where to send papers (the HR office's contact, when the institute has one).
    contact: true,
    mail: ({ payload, now, calendar, contact }, _set, locale) => ({
      items: payload.items,
      dueLeft: deadlineLeft(translator(locale), calendar, now, payload.dueAt as Date).text,
      sendTo: sendToLine(translator(locale), contact, locale),
      // The paper that has an upload place beside the answer, by its name in the applicant's language.
      documentLabel: payload.documentType ? translator(locale)(`documents.types.${String(payload.documentType)}`) : '',
    }),
  },
  answer_info: {
    // The version the answer consumed: the same answer sent again from that page (a double tap) is
    // recognised as already recorded (routes/applications.ts), not shown as a conflict.
    set: ({ payload, now, caseDoc }) => ({
      'infoRequest.answer': payload.answer,
      'infoRequest.answeredAt': now,
      'infoRequest.answeredVersion': caseDoc.version,
      ...(Array.isArray(payload.documents) && payload.documents.length ? { 'infoRequest.answerDocuments': payload.documents.map((id) => new mongoose.Types.ObjectId(String(id))) } : {}),
    }),
    // The applicant's receipt says when screening is due, with the working days left (as the request's e-mail says its date).
    // The officer's e-mail says a file came with it (server/applications/answer.ts), of the paper the request named.
    mail: ({ now, calendar, payload, caseDoc }, _set, locale) => {
      const t = translator(locale);
      const due = countedDeadline(calendar, { from: now, workingDays: STAGE_DEADLINES.screening! });
      const files = Array.isArray(payload.documents) ? payload.documents.length : 0;
      const type = caseDoc.infoRequest?.documentType;
      return { dueLeft: deadlineLeft(t, calendar, now, due).text, answerFiles: files && type ? t('cases.requestInfo.answerFiles', { count: files, type: t(`documents.types.${type}`) }) : '' };
    },
    note: ({ payload }) => String(payload.answer).slice(0, 5000),
    // The files that came with it: the timelines say so (the documents list shows them, for HR to check).
    event: ({ payload, caseDoc }) => {
      const files = Array.isArray(payload.documents) ? payload.documents.length : 0;
      const type = caseDoc.infoRequest?.documentType;
      return files && type ? { answerFiles: { count: files, type } } : {};
    },
  },
  reject: {
    set: ({ payload, now, actor }) => ({ decision: { reason: payload.reason, decidedBy: actor._id, decidedAt: now, ...(typeof payload.toldReason === 'string' ? { toldReason: payload.toldReason } : {}) } }),
    note: ({ payload }) => String(payload.reason),
    // Only a reason the applicant is told goes into the e-mail's data (the template checks again):
    // HR's at screening; after the panel, what the leader wrote for the candidate, never their reason.
    mail: ({ payload, from }) => (reasonToldToApplicant('reject', from) ? { reason: payload.reason } : typeof payload.toldReason === 'string' ? { toldReason: payload.toldReason } : {}),
  },
  approve_offer: {
    set: ({ payload, now, actor }) => ({ decision: { reason: noteOf(payload), decidedBy: actor._id, decidedAt: now } }),
    // The answer-by date (the offer stage's deadline) with its working days left, as the information
    // request's e-mail says its date; and, when HR attached the letter already, that it is on their page.
    // An offer approved before its terms and letter are attached cannot be accepted yet (offerReady):
    // the e-mail says they are being prepared and comes again with them (server/cases/offer-terms.ts).
    mail: (f, set, locale, dueAt) => ({ ...stageDueLeft(f, set, locale, dueAt), hasLetter: !!f.caseDoc.offerTerms?.letter, termsPending: !offerReady(f.caseDoc) }),
  },
  // The applicant's answer, late or not (a late one is taken: the institute decides what it means),
  // marked late in its history event and in the officer's e-mail (offer_answered).
  accept_offer: { ...ACCEPTANCE, event: lateEvent, mail: (f, set, locale, dueAt) => ({ ...ACCEPTANCE.mail!(f, set, locale, dueAt), ...offerAnswerMail(f, locale, true) }) },
  // The applicant's own reason, when they gave one: the history note HR reads on the case page and in its e-mail.
  decline_offer: {
    note: ({ payload }) => (typeof payload.reason === 'string' ? payload.reason : undefined),
    event: lateEvent,
    mail: (f, _set, locale) => ({ ...(typeof f.payload.reason === 'string' ? { reason: f.payload.reason } : {}), ...offerAnswerMail(f, locale, false) }),
  },
  // A leader's withdrawal of the offer: the reason is the internal history note; the words written for
  // the candidate go on the event (both timelines) and into their e-mail, as a leader's hold's do. The
  // e-mail names the procedures that stop with it (any requested, in preparation or lodged).
  withdraw_offer: {
    ...reasonAndWords,
    mail: ({ payload, caseDoc }, _set, locale) => {
      const t = translator(locale);
      const stopped = (caseDoc.supportTracks ?? []).filter((s) => (ACTIVE_SUPPORT_STATUSES as readonly string[]).includes(s.status)).map((s) => t(`procedures.inSentence.${s.kind}`));
      return { ...(typeof payload.toldReason === 'string' ? { toldReason: payload.toldReason } : {}), ...(stopped.length ? { proceduresStopped: t('workflow.offerWithdrawn.proceduresStopped', { kinds: stopped.join(', ') }) } : {}) };
    },
  },
  // A rejection after the panel reconsidered (walk s37 #3): the reason internal, the words for the
  // candidate on the event and in their e-mail, with the shortlist's new decision date (as `shortlist`'s).
  reconsider: {
    ...reasonAndWords,
    mail: (f, set, locale, dueAt) => ({ ...stageDueLeft(f, set, locale, dueAt), ...(typeof f.payload.toldReason === 'string' ? { toldReason: f.payload.toldReason } : {}) }),
  },
  // The same acceptance, received by e-mail or post: recorded as it happened (not a future day, not
  // before the offer was made), with how it came, and marked late as the portal's; the applicant gets the portal acceptance's e-mail.
  record_acceptance: {
    ...ACCEPTANCE,
    check: receivedCheck,
    note: ({ payload }) => String(payload.reason),
    event: (f) => ({ received: { via: f.payload.receivedVia, on: f.payload.receivedOn }, ...receivedLate(f) }),
    // The assigned officer's notice when another officer recorded it (offer_answered): how and when it came.
    mail: (f, set, locale, dueAt) => ({ ...ACCEPTANCE.mail!(f, set, locale, dueAt), ...offerAnswerMail(f, locale, true), ...receivedLine(f, locale) }),
  },
  // The same decline, received by e-mail or post, checked and marked late as an acceptance received so.
  // The applicant's reason is the history note, as the portal's decline keeps it (the case page, the
  // leaders' recent decisions read it there); HR's own note of what came goes with how and when.
  // Their e-mail is the portal decline's, saying what HR recorded.
  record_decline: {
    check: receivedCheck,
    note: ({ payload }) => (typeof payload.reason === 'string' ? payload.reason : undefined),
    event: (f) => ({ received: { via: f.payload.receivedVia, on: f.payload.receivedOn, note: f.payload.note }, ...receivedLate(f) }),
    mail: (f, _set, locale) => ({
      received: translator(locale)(`workflow.declineReceived.${String(f.payload.receivedVia)}`, { date: formatDay(f.payload.receivedOn as Date, locale) }),
      ...(typeof f.payload.reason === 'string' ? { reason: f.payload.reason } : {}),
      ...offerAnswerMail(f, locale, false),
      ...receivedLine(f, locale),
    }),
  },
  // The request ends without an answer on the portal: the answer HR got stays its note, the request's items kept.
  answered_outside: {
    set: ({ now }) => ({ 'infoRequest.answeredAt': now }),
    note: ({ payload }) => String(payload.reason),
  },
  mark_arrived: {
    // Recorded as it happened: not in the future, not before the offer was accepted (onboarding began).
    check: ({ payload, now, caseDoc }) => {
      const on = payload.arrivedOn as Date | undefined;
      if (!on) return undefined;
      // Named as a range (the text field has no min/max the browser keeps to).
      const range = { from: caseDoc.stageEnteredAt ?? undefined, to: now };
      if (vnDateKey(on) > vnDateKey(now)) return { arrivedOn: { key: range.from ? 'workflow.errors.arrivedInFuture' : 'workflow.errors.arrivedInFutureOnly', params: range } };
      if (caseDoc.stageEnteredAt && vnDateKey(on) < vnDateKey(caseDoc.stageEnteredAt)) return { arrivedOn: { key: 'workflow.errors.arrivedBeforeOnboarding', params: range } };
      return undefined;
    },
    // The residence card's counted target reads the day the expert entered from now on, not the planned start
    // (rules.ts targetStart, cardTargetOnArrival; walk33 #6).
    set: ({ payload, caseDoc, calendar }) => {
      const card = cardTargetOnArrival((caseDoc.supportTracks ?? []).map(plain), calendar, payload.arrivedOn as Date);
      return { arrivedAt: payload.arrivedOn as Date, ...(card.moved ? { supportTracks: card.tracks } : {}) };
    },
    // The welcome says procedures remain only when one does (walk: "the remaining formalities" with all granted),
    // and each one's date with its working days left, the card's old day beside its new one (walk33 #6, #8).
    mail: ({ caseDoc, now, calendar }, set, locale) => {
      const t = translator(locale);
      const before = (caseDoc.supportTracks ?? []).map(plain);
      const tracks = (set.supportTracks as TrackState[] | undefined) ?? before;
      // A naturalisation awaiting its residence condition has no filing target to name, even one stored
      // before it was withheld (rules.ts trackTargetWithheld; withheld-target-backfill.ts clears those).
      const procedures = tracks
        .filter((s) => (ACTIVE_SUPPORT_STATUSES as readonly string[]).includes(s.status) && s.dueAt && !trackTargetWithheld(s, caseDoc))
        .map((s) => {
          const was = before.find((b) => b.kind === s.kind)?.dueAt;
          const moved = !!was && was.getTime() !== s.dueAt!.getTime();
          return {
            kindLabel: t(`procedures.kinds.${s.kind}`),
            dueLabel: t(`procedures.due.${dueMeaning(s.kind, s.status) ?? 'file'}`),
            dueOn: formatDay(s.dueAt!, locale),
            dueLeft: deadlineLeft(t, calendar, now, s.dueAt!).text,
            wasOn: moved ? formatDay(was, locale) : '',
          };
        });
      return { hasOpenProcedures: tracks.some((s) => s.status === 'refused' || (ACTIVE_SUPPORT_STATUSES as readonly string[]).includes(s.status)), procedures };
    },
  },
  put_on_hold: {
    // The review date is a day HR commits to: after today (a hold reviewed today is no hold), a
    // working day (the office is open to look at it), within HOLD_REVIEW_MAX_DAYS.
    check: ({ payload, now, calendar }) => {
      const review = payload.reviewBy as Date;
      // The days allowed, named in the message (the text field has no min/max the browser keeps to).
      const range = { from: new Date(now.getTime() + 86_400_000), to: new Date(now.getTime() + HOLD_REVIEW_MAX_DAYS * 86_400_000), days: HOLD_REVIEW_MAX_DAYS };
      if (vnDateKey(review) <= vnDateKey(now)) return { reviewBy: { key: 'workflow.errors.reviewByPast', params: range } };
      if (review.getTime() - now.getTime() > HOLD_REVIEW_MAX_DAYS * 86_400_000) return { reviewBy: { key: 'workflow.errors.reviewByTooFar', params: range } };
      if (!calendar.isWorkingDay(review)) return { reviewBy: 'workflow.errors.reviewByNotWorkingDay' };
      return undefined;
    },
    set: ({ from }) => ({ resumeStage: from }),
    // HR's reason (told to the applicant), or a leader's internal note (holdAfterPanel: never in the e-mail below).
    note: ({ payload }) => (typeof payload.reason === 'string' ? payload.reason : typeof payload.note === 'string' ? payload.note : undefined),
    // The decision row's note (a leader's, or an administrator's from the shortlist) is marked internal on
    // the history: the applicant's page reads the mark, not the writer's role (an administrator takes either row).
    // Its words for the candidate (a leader's hold, walk s34) go on the event, for both timelines and the e-mail.
    // The stage's working days left go on the event too: the hold pauses that clock, resume gives them back (walk s34).
    event: ({ payload, caseDoc, now, calendar }) => ({
      ...(typeof payload.reason !== 'string' && typeof payload.note === 'string' ? toldEvent(payload) : {}),
      ...(caseDoc.stageDueAt ? { heldLeft: signedDaysLeft(caseDoc.stageDueAt, now, calendar) } : {}),
    }),
    // The hold's deadline is the review date as typed (not counted: a holiday added later does not move it).
    dueAt: ({ payload }) => payload.reviewBy as Date,
    // The applicant is told the day it will be looked at again (not that it resumes then: HR decides).
    // With the working days left, as their page says it (walk app32: the e-mail gave the bare date).
    // Held while the applicant owes an answer: the request waits too, with the working days they get
    // back when it resumes (cases/held-request.ts), not a date that silently runs out meanwhile.
    mail: ({ payload, calendar, now, caseDoc, from }, _set, locale) => ({
      ...(payload.reason ? { reason: payload.reason } : typeof payload.toldReason === 'string' && payload.toldReason ? { reason: payload.toldReason } : {}),
      reviewBy: formatDay(payload.reviewBy as Date, locale),
      reviewLeft: deadlineLeft(translator(locale), calendar, now, payload.reviewBy as Date).text,
      ...(from === 'awaiting_applicant' && caseDoc.infoRequest?.dueAt ? { requestPaused: requestPausedText(translator(locale), caseDoc.infoRequest.dueAt, answerDaysLeft(caseDoc.infoRequest.dueAt, now, calendar), locale) } : {}),
      // A file already lodged with an authority is decided on its legal clock whatever the institute's hold (walk s35: "put on hold" read as if her card stopped too).
      ...filedContinues(caseDoc, locale),
    }),
  },
  resume: {
    unset: ['resumeStage'],
    // HR's optional note to the applicant: the history note (their page shows it) and their e-mail.
    note: ({ payload }) => (typeof payload.reason === 'string' ? payload.reason : undefined),
    // Back to waiting on the applicant: the information request's date, with the working days the
    // hold took from them given back (cases/held-request.ts resumedAnswerDue), the request's own date moved with it.
    set: ({ caseDoc, now, calendar }) => {
      const was = caseDoc.infoRequest?.dueAt;
      const due = resumeTarget(caseDoc) === 'awaiting_applicant' && was ? resumedAnswerDue(caseDoc, now, calendar) : undefined;
      return due && was && due.getTime() !== was.getTime() ? { 'infoRequest.dueAt': due } : {};
    },
    dueAt: ({ caseDoc, now, calendar }) => {
      const to = resumeTarget(caseDoc);
      // Already past when the case was held (or held before holds were recorded), its date stays the
      // deadline: the case shows overdue (HR may remind, hold or reject), rather than coming back with
      // no deadline at all.
      if (to === 'awaiting_applicant' && caseDoc.infoRequest?.dueAt) return resumedAnswerDue(caseDoc, now, calendar);
      // The hold paused the stage's clock: the working days it had left count again from today, late
      // by the same days when it was late (walk s34: held and resumed the same day, an overdue case
      // came back with a fresh 10). Onboarding is still not due before the planned start.
      const left = stageDaysLeftAtHold(caseDoc);
      if (left !== undefined) {
        const given: DueCount = { from: now, workingDays: left };
        const start = to === 'onboarding' ? onboardingDue(caseDoc, now, calendar) : undefined;
        return start instanceof Date && start.getTime() > countedDeadline(calendar, given).getTime() ? start : given;
      }
      if (to === 'onboarding') return onboardingDue(caseDoc, now, calendar);
      const days = STAGE_DEADLINES[to];
      return days === undefined ? undefined : { from: now, workingDays: days };
    },
    // The applicant is told where the case is back and by when, as the on-hold e-mail told them the review date.
    mail: ({ caseDoc, now, calendar, payload }, _set, locale, dueAt) => {
      const t = translator(locale);
      const to = resumeTarget(caseDoc);
      // Whose date it is: the applicant's answer (a request, the offer), else the HR office's own target.
      const dueKey = to === 'awaiting_applicant' ? 'workflow.resumed.dueApplicant' : to === 'offer' ? 'workflow.resumed.dueOffer' : 'workflow.resumed.dueHr';
      const dated = (caseDoc.supportTracks ?? []).filter((s) => (ACTIVE_SUPPORT_STATUSES as readonly string[]).includes(s.status) && s.dueAt && !trackTargetWithheld(s, caseDoc));
      const procedureLine = (s: (typeof dated)[number], late: boolean) => {
        const authority = dueMeaning(s.kind, s.status) === 'decision';
        const key = late ? (authority ? 'workflow.resumed.procedureLateAuthority' : 'workflow.resumed.procedureLateInstitute') : authority ? 'workflow.resumed.procedureRunningAuthority' : 'workflow.resumed.procedureRunningInstitute';
        return t(key, { procedure: t(`procedures.kinds.${s.kind}`), date: formatDay(s.dueAt!, locale), left: deadlineLeft(t, calendar, now, s.dueAt!).text });
      };
      return {
        ...(typeof payload.reason === 'string' ? { reason: payload.reason } : {}),
        stageLine: t('workflow.resumed.back', { stage: t(`workflow.stages.${to}`) }),
        dueLine: dueAt ? dueLineOf(t, dueKey, formatDay(dueAt, locale), deadlineLeft(t, calendar, now, dueAt)) : '',
        // Each procedure with a date (a withheld naturalisation target is none), with the working days as
        // her page counts them: past it, with the authority or the institute's own target (walk s35 #3:
        // the card overdue with the police went unsaid), or under way and on time (walk s37: the filed
        // permit's date went unsaid, only the stage's target).
        proceduresLate: dated.filter((s) => isSupportOverdue(s, now)).map((s) => procedureLine(s, true)).join(' '),
        proceduresRunning: dated.filter((s) => !isSupportOverdue(s, now)).map((s) => procedureLine(s, false)).join(' '),
      };
    },
  },
};

function noteOf(payload: Record<string, unknown>): string | undefined {
  return typeof payload.note === 'string' ? payload.note : undefined;
}

function resumeTarget(c: CaseDoc): Stage {
  return (c.resumeStage as Stage | undefined) ?? 'screening';
}

// ---------------------------------------------------------------------------------------------

/** A reason names its decision: the case page shows a box for each (reject, put on hold). */
const REASON_MAX: Partial<Record<Action, number>> = { reject: REJECT_REASON_MAX, put_on_hold: HOLD_REASON_MAX, answered_outside: HOLD_REASON_MAX, decline_offer: DECLINE_REASON_MAX, record_decline: DECLINE_REASON_MAX, resume: HOLD_REASON_MAX };

function fieldErrors(ctx: Context, action: Action, issues: z.core.$ZodIssue[]): FieldErrors {
  const t = tOf(ctx);
  const known = new Set(['required', 'tooLong', 'tooMany', 'invalidDate', 'dueInPast']);
  const out: FieldErrors = {};
  for (const i of issues) {
    const field = String(i.path[0] ?? 'form');
    if (out[field]) continue;
    const max = REASON_MAX[action];
    if (field === 'reason' && max && (i.message === 'required' || i.message === 'tooLong')) {
      out[field] = t(`workflow.errors.reason.${action}.${i.message}`, { max });
      continue;
    }
    if (field === 'arrivedOn' && i.message === 'required') {
      out[field] = t('workflow.errors.arrivedOnRequired');
      continue;
    }
    if (field === 'note' && action === 'record_decline' && i.message === 'required') {
      out[field] = t('workflow.errors.declineNoteRequired');
      continue;
    }
    if (field === 'reviewBy' && i.message === 'required') {
      out[field] = t('workflow.errors.reviewByRequired');
      continue;
    }
    // A text too long says its limit ("at most 5,000 characters").
    out[field] = i.message === 'errors.hiddenCharacters' ? t(i.message) : t(`workflow.errors.${known.has(i.message) ? i.message : 'invalid'}`, i.code === 'too_big' ? { max: Number(i.maximum) } : {});
  }
  return out;
}

interface Guarded {
  caseDoc: CaseDoc;
  row: Transition;
  call: CallDoc | null;
  payload: Record<string, unknown>;
}

/** Guard: who may, on which version, with what input, and the row's own condition. Throws otherwise. */
async function guard({ ctx, caseId, action, expectedVersion, payload, asDecision }: TransitionOptions, actor: Actor): Promise<Guarded> {
  if (!isId(caseId)) throw new NotFoundError();
  if (!isAction(action)) throw new BadRequestError('workflow.unknownAction');
  const sent = Number(expectedVersion);
  if (!Number.isInteger(sent) || sent < 0) throw new BadRequestError('workflow.badVersion');
  const caseDoc = await Case.findById(caseId);
  if (!caseDoc) throw new NotFoundError();
  // Only the start-up sweep's claim since the form was built: the form saw the case as it is.
  const version = versionSeen(caseDoc, sent);
  // Authorization first, whatever the stage: a wrong role or someone else's case is refused
  // before anything about the case's state is revealed.
  if (!TRANSITIONS.some((t) => t.action === action && mayTake(t, caseDoc, actor))) throw new ForbiddenError('workflow.forbidden');
  // The form was built for another version: someone changed the case meanwhile.
  if (caseDoc.version !== version) throw await caseConflict({ ctx, caseId: caseDoc._id });
  // Two rows may share an action and a stage for different roles (HR's hold and a leader's): the
  // actor's, a decision's row when taken as one, else the table's first.
  const mine = TRANSITIONS.filter((t) => t.action === action && t.from.includes(caseDoc.stage as Stage) && mayTake(t, caseDoc, actor));
  const row = (asDecision ? mine.find((t) => t.decision) : mine.find((t) => !t.decision)) ?? mine[0] ?? findTransition(action, caseDoc.stage as Stage);
  if (!row) throw new BadRequestError('workflow.notAllowedNow');
  if (!mayTake(row, caseDoc, actor)) throw new ForbiddenError('workflow.forbidden');
  if (row.decision && !asDecision) throw new ForbiddenError('workflow.decideOnShortlist');

  const parsed = (row.payload ?? PAYLOADS.note).safeParse(payload ?? {});
  if (!parsed.success) throw new ValidationError(fieldErrors(ctx, action, parsed.error.issues));
  const data = parsed.data as Record<string, unknown>;
  const call = await Call.findById(caseDoc.call);
  if (row.guard) {
    const unmet = await row.guard({ caseDoc, call, now: ctx.now, locale: ctx.locale });
    if (unmet) throw new ValidationError(unmetTexts(ctx, unmet), 'workflow.guardFailed');
  }
  return { caseDoc, row, call, payload: data };
}

function unmetTexts(ctx: Context, unmet: GuardFailures): FieldErrors {
  const t = tOf(ctx);
  // A day among the parameters (a range's ends) is said in the page's form of a day.
  const said = (params: Record<string, unknown> = {}) => Object.fromEntries(Object.entries(params).map(([k, v]) => [k, v instanceof Date ? formatDay(v, ctx.locale) : v]));
  return Object.fromEntries(Object.entries(unmet).map(([k, v]) => [k, typeof v === 'string' ? t(v) : t(v.key, said(v.params))]));
}

/**
 * What the case still lacks for each of `actions` at its stage, by the guard the step itself checks
 * (translated as its refusal would be): the case page says it beside the button before anyone clicks.
 * Actions without a guard, or whose guard holds, are absent.
 */
export async function unmetConditions({ ctx, caseDoc, call, actions, documents }: { ctx: Context; caseDoc: CaseLike; call: unknown; actions: readonly Action[]; documents?: GuardInput['documents'] }): Promise<Partial<Record<Action, FieldErrors>>> {
  const out: Partial<Record<Action, FieldErrors>> = {};
  for (const action of actions) {
    const row = findTransition(action, caseDoc.stage as Stage);
    if (!row?.guard || row.decision) continue;
    const unmet = await row.guard({ caseDoc: caseDoc as CaseDoc, call: call as CallDoc | null, now: ctx.now, locale: ctx.locale, documents });
    if (unmet) out[action] = unmetTexts(ctx, unmet);
  }
  return out;
}

interface Step {
  from: Stage;
  to: Stage;
  dueAt?: Date;
  dueCount?: DueCount;
  set: Record<string, unknown>;
  unset: string[];
  note?: string;
  event: Record<string, unknown>;
  mail: (locale: Locale) => Record<string, unknown>;
  /** The planned start the step moves (an acceptance's offer day): its own history and audit events. */
  startMove?: StartMove;
}

/** Apply: the new stage, its deadline and the action's own changes (ACTION_RULES). */
async function apply(ctx: Context, actor: Actor, { caseDoc, row, payload, call }: Guarded): Promise<Step> {
  const now = ctx.now;
  const from = caseDoc.stage as Stage;
  const rule = ACTION_RULES[row.action] ?? {};
  const facts: StepFacts = {
    caseDoc,
    actor,
    now,
    from,
    payload,
    calendar: await loadCalendar(),
    ...(rule.contact ? { contact: await hrContactFor(caseDoc.institute) } : {}),
    ...(rule.signedOffer ? { signedOfferAsked: await signedOfferAsked(caseDoc, call, now) } : {}),
    ...(rule.offerStart ? ((m) => (m ? { startMove: m } : {}))(offerStartMove(caseDoc, now)) : {}),
  };
  const invalid = rule.check?.(facts);
  if (invalid) throw new ValidationError(unmetTexts(ctx, invalid));
  const to = row.to === 'resume' ? resumeTarget(caseDoc) : row.to;
  const due = rule.dueAt ? rule.dueAt(facts) : row.deadline ? { from: now, workingDays: row.deadline.workingDays } : undefined;
  // A counted deadline keeps its count, so a holiday added later moves it; a typed date does not move.
  const dueCount = due instanceof Date ? undefined : due;
  const dueAt = due instanceof Date ? due : due && countedDeadline(facts.calendar, due);
  const set = rule.set?.(facts) ?? {};
  return { from, to, dueAt, dueCount, set, unset: [...(rule.unset ?? [])], note: rule.note ? rule.note(facts) : noteOf(payload), event: rule.event?.(facts) ?? {}, mail: (locale) => rule.mail?.(facts, set, locale, dueAt) ?? {}, ...(facts.startMove ? { startMove: facts.startMove } : {}) };
}

/**
 * An answer HR recorded (from e-mail or post) is news only to the case's officer when another officer
 * recorded it: the one who recorded it knows. No fallback to the HR lead: HR has it already.
 */
async function otherAssignee(caseDoc: CaseDoc, actor: Actor): Promise<{ officers: HrRecipient[]; fallback: boolean }> {
  if (!caseDoc.assignee || !caseDoc.institute || sameId(caseDoc.assignee, actor._id)) return { officers: [], fallback: false };
  // Only while still an enabled HR officer of the case's institute (as officersToTell reads it).
  const assignee = await User.findOne({ _id: caseDoc.assignee, role: 'hr_officer', institute: caseDoc.institute, disabledAt: null }, { name: 1, email: 1, locale: 1 }).lean<HrRecipient>();
  return { officers: assignee ? [assignee] : [], fallback: false };
}

/**
 * The e-mails this step owes (keyed by case and new version, so a retry is the same message). A step
 * that tells HR (`notify: 'assignee'`, the applicant's answer to an information request) goes to the
 * case's officer, else to the institute's HR office (officersToTell): with no officer on
 * the case the answer was e-mailed to no one, and the applicant's receipt was not written either.
 */
async function owedEmail(app: AppContext, now: Date, { caseDoc, row, call }: Guarded, step: Step, actor: Actor): Promise<OutboxItem[]> {
  if (!row.template) return [];
  const base = app.config.appUrl;
  const id = String(caseDoc._id);
  const common: Record<string, unknown> = {
    reference: caseDoc.reference,
    caseId: id,
    applicantName: caseDoc.profile?.fullName ?? '',
    callTitle: call ? { vi: call.title?.vi, en: call.title?.en } : undefined,
    // Whether the offer e-mails may say "upload the signed copy": only where the checklist has its place.
    signedCopyUpload: signedOfferUploadable(call),
    action: row.action,
    from: step.from,
    to: step.to,
    dueAt: step.dueAt,
  };
  const items: OutboxItem[] = [];
  if (row.notify === 'assignee') {
    items.push(...emailsToHr(await officersToTell(caseDoc), row.template, [id, caseDoc.version + 1, row.template], (officer) => ({ ...common, link: `${base}/cases/${id}`, name: officer.name, ...step.mail(recipientLocale(officer)) }), now));
    // The applicant's receipt (their answer arrived; screening resumes, due on …), whoever HR is.
    if (row.receipt) {
      const applicant = await User.findById(caseDoc.applicant);
      if (applicant && !applicant.disabledAt) {
        const receipt = { ...common, link: `${base}/applications/${id}`, name: applicant.name, ...step.mail(recipientLocale(applicant)) };
        items.push(caseEmail({ email: applicant.email, locale: applicant.locale }, row.receipt, receipt, outboxKey(id, caseDoc.version + 1, row.receipt), now));
      }
    }
    return items;
  }
  const recipient = await User.findById(caseDoc.applicant);
  if (!recipient || recipient.disabledAt) return [];
  const data: Record<string, unknown> = { ...common, link: `${base}/applications/${id}`, name: recipient.name, ...step.mail(recipientLocale(recipient)) };
  items.push(caseEmail({ email: recipient.email, locale: recipient.locale }, row.template, data, outboxKey(id, caseDoc.version + 1, row.template), now));
  // HR told what the applicant did (their answer to the offer), each officer in their own language.
  if (row.assigneeNotice) {
    const told = row.roles.includes('applicant') ? await officersToTell(caseDoc) : await otherAssignee(caseDoc, actor);
    // HR's own record of it names who recorded it (the assignee did not, or there would be no notice).
    const recorder = row.roles.includes('applicant') ? null : await User.findById(actor._id, { name: 1 }).lean<{ name?: string }>();
    items.push(...emailsToHr(told, row.assigneeNotice, [id, caseDoc.version + 1, row.assigneeNotice], (officer) => ({ ...data, link: `${base}/cases/${id}`, name: officer.name, ...step.mail(recipientLocale(officer)), ...(recorder ? { recordedBy: recorder.name ?? '' } : {}) }), now));
  }
  return items;
}

/**
 * Record: stage, history, derived figures, outbox and the step's audit events in one update
 * (server/cases/pending-audit.ts); then the events are recorded and cleared from the case.
 */
async function record(opts: TransitionOptions, actor: Actor, guarded: Guarded, step: Step): Promise<CaseDoc> {
  const { ctx } = opts;
  const { caseDoc, row } = guarded;
  const now = ctx.now;
  const outbox = await owedEmail(opts.app, now, guarded, step, actor);
  // The dashboard's derived figures move in the same update (from the history when a case has none yet).
  const prior = caseDoc.reached?.length ? { reached: [...caseDoc.reached], stays: [...(caseDoc.stays ?? [])] } : summarizeHistory(caseDoc.history ?? [], step.from);
  const summary = afterTransition(prior, step.from, caseDoc.stageEnteredAt, step.to, now);
  const set: Record<string, unknown> = { ...step.set, stage: step.to, stageEnteredAt: now, reached: summary.reached, stays: summary.stays };
  const unset = Object.fromEntries(step.unset.map((k) => [k, '']));
  if (step.dueAt) set.stageDueAt = step.dueAt;
  else unset.stageDueAt = '';
  if (step.dueAt && step.dueCount) set.stageDueCount = step.dueCount;
  else unset.stageDueCount = '';
  // The queue's next deadline moves with the stage's (and with the procedures an accepted offer opens).
  set.nextDueAt = nextDueAt({ stage: step.to, stageDueAt: step.dueAt ?? null, supportTracks: (set.supportTracks as DeadlineSource['supportTracks']) ?? caseDoc.supportTracks });
  const history = { at: now, actor: actor._id, actorRole: actor.role, action: row.action, from: step.from, to: step.to, note: step.note, ...step.event, ...marksOf(opts.marks) };
  // A move of the planned start goes before the step's own event: the step stays the case's last
  // event, which a double submit and the conflict page read.
  const events = [...(step.startMove ? [plannedStartEvent({ at: now, actor, move: step.startMove, source: 'offer' })] : []), history];
  // The version this update makes (it matches caseDoc.version and increments it).
  const version = caseDoc.version + 1;
  const audits = [
    caseAudit(ctx, { at: now, action: 'case.transition', summary: { action: row.action, from: step.from, to: step.to, version, reference: caseDoc.reference, ...step.event, ...marksOf(opts.marks) } }),
    ...(step.startMove ? [plannedStartAudit(ctx, { at: now, caseDoc, move: step.startMove, version, source: 'offer', extra: step.dueAt ? { stageDueAt: step.dueAt.toISOString() } : {} })] : []),
    ...(opts.decision ? [decisionAudit(ctx, { reference: caseDoc.reference, institute: caseDoc.institute, call: caseDoc.call, stage: step.to, version, history: [history] }, opts.decision.name, opts.decision.reason ?? step.note ?? '', opts.decision.toldReason, marksOf(opts.marks))] : []),
  ];
  // Taken before the write: stored figures computed after it may already count the case (applyStageMove).
  const before = new Date();
  const updated = await Case.findOneAndUpdate(
    { _id: caseDoc._id, stage: step.from, version: caseDoc.version },
    { $set: set, ...(Object.keys(unset).length ? { $unset: unset } : {}), $inc: { version: 1 }, $push: { history: { $each: events }, ...(outbox.length ? { outbox: { $each: outbox } } : {}), ...withPendingAudits(audits) } },
    { returnDocument: 'after' },
  );
  if (!updated) throw await caseConflict({ ctx, caseId: caseDoc._id });
  await settleCaseAudits(caseDoc._id, audits);
  // Every stage change, whoever makes it, moves the case between the dashboard's stored stage counts
  // here, the one place a stage is written (best effort: never fails the step; the recomputation heals).
  await applyStageMove(
    { institute: updated.institute, call: updated.call, submittedAt: updated.submittedAt ?? null, from: step.from, to: step.to, firstReach: !prior.reached.includes(step.to) },
    before,
  ).catch(() => undefined);
  return updated;
}

/** Takes one workflow step on a case for ctx.actor: guard → apply → record. */
export async function transition(opts: TransitionOptions): Promise<CaseDoc> {
  const actor = actorOf(opts.ctx);
  const guarded = await guard(opts, actor);
  const step = await apply(opts.ctx, actor, guarded);
  const updated = await record(opts, actor, guarded, step);
  // The arrival forecast follows every change of stage (best effort: it never fails the step).
  await refreshForecast({ caseId: updated._id, now: opts.ctx.now });
  return updated;
}

/** What a step would do, checked as `transition` checks it but not taken (a confirmation page). */
export interface StepPreview {
  caseDoc: CaseDoc;
  from: Stage;
  to: Stage;
  /** The new stage's deadline (a hold's review date). */
  dueAt?: Date;
  /** The e-mail the step would write, rendered as the outbox will send it; none when the step sends none. */
  email?: { template: string; to: string; locale: Locale; subject: string; text: string };
}

/**
 * The step as `transition` would take it, without taking it: the same guard (who, which version,
 * the input, the row's rule) and the same e-mail data, so the page shows exactly what will be
 * sent. Nothing is written.
 */
export async function previewTransition(opts: TransitionOptions): Promise<StepPreview> {
  const actor = actorOf(opts.ctx);
  const guarded = await guard(opts, actor);
  const step = await apply(opts.ctx, actor, guarded);
  const [item] = await owedEmail(opts.app, opts.ctx.now, guarded, step, actor);
  let email: StepPreview['email'];
  if (item) {
    const mail = await renderEmail(item.template, item.locale, item.data);
    email = { template: item.template, to: item.to, locale: item.locale, subject: mail.subject, text: mail.text.trim() };
  }
  return { caseDoc: guarded.caseDoc, from: step.from, to: step.to, dueAt: step.dueAt, email };
}

/**
 * The resumed e-mail's date line. A hold gives back the working days left when it began, so a case
 * overdue then comes back overdue (walk s34): "by 3 Mar (3 working days overdue)" read as a date still
 * ahead; a date passed is said as passed.
 */
function dueLineOf(t: ReturnType<typeof translator>, dueKey: string, date: string, left: { text: string; overdue: boolean }): string {
  return t(left.overdue ? `${dueKey}Late` : dueKey, { date, left: left.text });
}
