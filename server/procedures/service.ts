// Support procedures (work permit, its exemption certificate, visa, residence card, housing,
// citizenship) as first-class steps of a case in offer and onboarding. HR moves each procedure's
// status and records the office, the filing date and (residence card) the card's term; the
// deadline follows the rules table (./rules.ts) on the holiday calendar. A change the applicant
// should know about is written, in the same atomic update as the change itself, to the case's
// history (structured: kind, from, to, dates) and outbox (an e-mail in the applicant's language).
import { refreshForecast } from '../planner/service.ts';
import type { Types } from 'mongoose';
import type { TFunction } from 'i18next';
import { Case, type CaseDoc } from '../../models/case.ts';
import { nextDueAt, reasonsOwed } from '../../models/case-deadline.ts';
import { User } from '../../models/user.ts';
import {
  ACTIVE_SUPPORT_STATUSES,
  APPLICANT_VISIBLE_SUPPORT_STATUSES,
  SUPPORT_KINDS,
  supportOpen,
  type SupportKind,
  type SupportStatus,
} from '../../models/constants.ts';
import type { AppContext } from '../deps.ts';
import { actorOf, type Context } from '../context.ts';
import { ConflictError, ForbiddenError } from '../errors.ts';
import { caseAudit, settleCaseAudits, withPendingAudits } from '../cases/pending-audit.ts';
import { can } from '../policies/index.ts';
import { findCaseFor } from '../cases/access.ts';
import { countedDeadline, loadCalendar, vnDateKey, vnEndOfDay, vnStartOfDay, type DueCount, type WorkingCalendar } from '../calendar/index.ts';
import { SUPPORT_TRACK_DEADLINES } from '../workflow/transitions.ts';
import { caseEmail, outboxKey, recipientLocale, type Recipient } from '../outbox/item.ts';
import { translator, type Locale } from '../i18n/index.ts';
import { LODGING_MARGIN_WORKING_DAYS, PROCEDURE_RULES, cardBeyondPassport, targetStart, countedLodgingDue, earliestStartForFiling, filingOutsideWindow, leadToEntryWorkingDays, filingWindow, filingTargetWithheld, lodgingDue, passportExpiryOnFile, waitingFor, workCardLatestEnd } from './rules.ts';
import { WORK_CARD_MAX_MONTHS } from '../planner/validity.ts';
import { currentDocuments } from '../documents/index.ts';
import { formatDay } from '../views/time.ts';
import { papersForFamily, familyMembersText, familyVisasWanted, vietnameseCitizen, type FamilyCase } from '../applications/family-support.ts';

/** Statuses in which a procedure is still running (and can be overdue). */
export const ACTIVE_SUPPORT: readonly SupportStatus[] = ACTIVE_SUPPORT_STATUSES;

interface TrackLike {
  kind: string;
  status: string;
  dueAt?: Date | null;
}

export function isSupportOverdue(t: TrackLike, now: Date): boolean {
  return ACTIVE_SUPPORT.includes(t.status as SupportStatus) && !!t.dueAt && t.dueAt.getTime() < now.getTime();
}

/** The kinds of the procedures that are past their deadline. */
export function supportOverdue(tracks: TrackLike[], now: Date): string[] {
  return tracks.filter((t) => isSupportOverdue(t, now)).map((t) => t.kind);
}

export function isSupportKind(v: unknown): v is SupportKind {
  return typeof v === 'string' && (SUPPORT_KINDS as readonly string[]).includes(v);
}

/** What identifies a procedure's state for a form: its last change's time ('none' before it exists). */
export function trackStamp(t: { updatedAt?: Date | null } | undefined | null): string {
  return t?.updatedAt ? String(t.updatedAt.getTime()) : 'none';
}

/** Whether a refused procedure's written reasons are still owed and past the decision deadline they were due by. */
export function reasonsOverdue(t: { status: string; reasonsDueAt?: Date | null; reasonsReceivedAt?: Date | null }, now: Date): boolean {
  return t.status === 'refused' && !!t.reasonsDueAt && !t.reasonsReceivedAt && t.reasonsDueAt.getTime() < now.getTime();
}

/** The same as a query: a case with a refused procedure whose written reasons are still owed and late. */
export function reasonsOverdueCondition(now: Date): Record<string, unknown> {
  return { supportTracks: { $elemMatch: { status: 'refused', reasonsDueAt: { $lt: now }, reasonsReceivedAt: null } } };
}

/**
 * Working days the procedure's status gives: once filed, the authority's legal decision time
 * (rules table); before that, and for procedures without a legal deadline (housing, citizenship),
 * the institute's own target (SUPPORT_TRACK_DEADLINES).
 */
export function deadlineDays(kind: SupportKind, status: SupportStatus): number | undefined {
  if (status === 'filed') return PROCEDURE_RULES[kind].decisionWorkingDays ?? SUPPORT_TRACK_DEADLINES[kind];
  if (status === 'requested' || status === 'preparing') return SUPPORT_TRACK_DEADLINES[kind];
  return undefined;
}

/** "3 working days left", "due today", "2 working days overdue": a deadline seen from `now` on the holiday calendar. */
export function deadlineLeft(t: TFunction, calendar: WorkingCalendar, now: Date, due: Date): { date: Date; text: string; overdue: boolean; workingDays: number } {
  const n = calendar.workingDaysBetween(now, due);
  const overdue = due.getTime() < now.getTime();
  const text = overdue ? t('procedures.deadline.overdue', { count: Math.max(1, -n) }) : n === 0 ? t('procedures.deadline.today') : t('procedures.deadline.left', { count: n });
  return { date: due, text, overdue, workingDays: overdue ? Math.min(-1, n) : n };
}

/**
 * A due day said in a sentence (`key` with {{date}} and {{left}}: "Decision due 7 May 2027 · 4 working
 * days left"), counted as deadlineLeft counts it; with whether it has passed, for the page to mark it.
 */
export function dueSentence(t: TFunction, locale: string, calendar: WorkingCalendar, now: Date, due: Date, key: string): { text: string; overdue: boolean } {
  const left = deadlineLeft(t, calendar, now, due);
  return { text: t(key, { date: formatDay(due, locale), left: left.text }), overdue: left.overdue };
}

/** The legal filing window as two dates (rules.ts filingWindow), with the working days until it opens and until it closes. */
export interface WindowView {
  opens: Date;
  closes: Date;
  /** "File between 31 Dec 2026 and 19 Feb 2027" (HR), or the applicant's sentence. */
  text: string;
  /** "opens in 19 working days · closes in 53 working days", "closes today", "closed 2 working days ago". */
  left: string;
  closed: boolean;
}

/**
 * The filing window of a procedure for the planned start, seen from `now`: undefined where the
 * procedure has none (only the work permit and its exemption, Decree 219/2025/ND-CP) or the start
 * is not known. Its first day is when filing becomes allowed: said as "opens", never as a deadline.
 */
export function windowView(t: TFunction, locale: Locale, calendar: WorkingCalendar, now: Date, kind: SupportKind, plannedStart: Date | null | undefined, forApplicant: boolean): WindowView | undefined {
  const w = filingWindow(kind, plannedStart);
  if (!w) return undefined;
  const today = vnDateKey(now);
  const parts: string[] = [];
  if (vnDateKey(w.opens) > today) {
    const n = calendar.workingDaysBetween(now, w.opens);
    // Opening on a weekend right after today: no working day in between to count.
    parts.push(n > 0 ? t('procedures.window.opensIn', { count: n }) : t('procedures.window.opensOn', { date: formatDay(w.opens, locale) }));
  }
  const closed = vnDateKey(w.closes) < today;
  const toClose = calendar.workingDaysBetween(now, w.closes);
  if (closed) {
    parts.push(t('procedures.window.closed', { count: Math.max(1, -toClose) }));
    // What now: no filing can meet this start any more (Decree 219/2025/ND-CP, at least 10 days
    // before it): HR moves the planned start, the applicant is told it will move (walk-proc #1).
    const earliest = earliestStartForFiling(kind, calendar, now);
    if (earliest) parts.push(forApplicant ? t('procedures.window.startMovesApplicant') : t('procedures.window.moveStart', { date: formatDay(new Date(`${earliest}T00:00:00.000Z`), locale), min: PROCEDURE_RULES[kind].fileBeforeStartDays?.min }));
  }
  else {
    parts.push(vnDateKey(w.closes) === today ? t('procedures.window.closesToday') : t('procedures.window.closesIn', { count: Math.max(1, toClose) }));
    // Still open, but even a file lodged on the first filing day may be decided, with the visa
    // after it, only after the planned start (the decision times are the law's longest: Decree
    // 219/2025/ND-CP, Law 47/2014/QH13 Art. 16(3); rules.ts leadToEntryWorkingDays). Said to HR, who
    // may move the start; the forecast said it only as a date further down (walk-proc #8).
    const lead = leadToEntryWorkingDays(kind);
    if (!forApplicant && plannedStart && lead > 0) {
      const firstFilingDay = calendar.isWorkingDay(now) ? now : calendar.addWorkingDays(now, 1);
      const ready = calendar.addWorkingDays(vnDateKey(firstFilingDay) < vnDateKey(w.opens) ? w.opens : firstFilingDay, lead);
      if (vnDateKey(ready) > vnDateKey(plannedStart)) parts.push(t('procedures.window.startAtRisk', { count: lead, date: formatDay(ready, locale) }));
    }
  }
  return {
    opens: w.opens,
    closes: w.closes,
    text: t(forApplicant ? 'procedures.window.betweenApplicant' : 'procedures.window.between', { opens: formatDay(w.opens, locale), closes: formatDay(w.closes, locale) }),
    left: parts.join(' · '),
    closed,
  };
}

/**
 * What a procedure's running date means at its status: before filing, the institute's own target to
 * lodge the file ('file'; 'arrange' for its own service, housing, where nothing is lodged); once
 * filed, the authority's legal decision time ('decision'), or, where the law sets none (citizenship),
 * only the institute's follow-up target ('followUp'). Read the same on both sides and in the e-mails,
 * so a filing target is never read as the decision date.
 */
export type DueMeaning = 'file' | 'arrange' | 'decision' | 'followUp';
export function dueMeaning(kind: SupportKind, status: string): DueMeaning | undefined {
  const rule = PROCEDURE_RULES[kind];
  if (status === 'requested' || status === 'preparing') return rule?.internal ? 'arrange' : 'file';
  if (status === 'filed') return rule?.decisionWorkingDays !== undefined ? 'decision' : 'followUp';
  return undefined;
}

export interface TrackState {
  kind: SupportKind;
  status: SupportStatus;
  dueAt?: Date;
  /** How dueAt was counted (working days from a date), so a calendar change can count it again. */
  dueCount?: DueCount;
  updatedAt?: Date;
  note?: string;
  applicantMessage?: string;
  office?: string;
  filedAt?: Date;
  /** The day the authority granted or refused the file (typed by HR; absent on decisions recorded before it was asked). */
  decidedAt?: Date;
  refusedAt?: Date;
  /** HR recorded that the authority refused without its written reasons (owed until received). */
  reasonsMissing?: boolean;
  reasonsDueAt?: Date;
  reasonsReceivedAt?: Date;
  cardStartsAt?: Date;
  cardEndsAt?: Date;
  escalations?: string[];
  /** What was asked of the applicant within the procedure (./asks.ts). */
  asks?: AskState[];
}

/** One request to the applicant (models/case.ts procedureAskSchema). */
export interface AskState {
  _id?: Types.ObjectId;
  text: string;
  askedAt: Date;
  askedBy?: Types.ObjectId;
  dueAt: Date;
  /** How dueAt counts, for a holiday recount (server/cases/deadline-recount.ts). */
  dueCount?: DueCount;
  documentType?: string;
  stopsClock?: boolean;
  stoppedDueAt?: Date;
  repliedAt?: Date;
  reply?: string;
  /** The officer was e-mailed of an upload answering it (./asks.ts tellOfficerOfUploads). */
  uploadToldAt?: Date;
  receivedAt?: Date;
  receivedBy?: Types.ObjectId;
  /** Closed by the procedure's final status (closeOpenAsks): nothing owed any more. */
  closedAt?: Date;
  closedWith?: SupportStatus;
}

/** A request still owed: neither received nor closed by the procedure's decision. */
export function askOpen(a: { receivedAt?: Date | null; closedAt?: Date | null }): boolean {
  return !a.receivedAt && !a.closedAt;
}

/**
 * The requests still open when the procedure reaches a final status (granted, refused, not
 * needed), closed by it: the applicant's page stops listing them once the procedure stops running,
 * so HR's page, the queue, the reminders and the escalations stop counting them too, and the
 * applicant is told with the decision that they are no longer needed. A procedure lodged again
 * later asks anew.
 */
export function closeOpenAsks(track: TrackState, now: Date): AskState[] {
  if ((ACTIVE_SUPPORT_STATUSES as readonly string[]).includes(track.status) || !track.asks?.some(askOpen)) return [];
  const closed: AskState[] = [];
  track.asks = track.asks.map((a) => {
    if (!askOpen(a)) return a;
    const c = { ...a, closedAt: now, closedWith: track.status };
    closed.push(c);
    return c;
  });
  return closed;
}

export type AskUpload = { type: string; status?: string | null; createdAt?: Date | null };

/** An upload answers a request naming its slot: a file there waiting for HR's check, or one uploaded since it was asked. */
export function uploadAnswersAsk(a: { askedAt?: Date | null; documentType?: string | null }, d: AskUpload): boolean {
  return !!a.documentType && d.type === a.documentType && !!d.createdAt && (d.status === 'pending' || (!!a.askedAt && d.createdAt >= a.askedAt));
}

/** Whether the applicant answered a request: said it is done, or uploaded into the slot it names (as their page reads it). */
export function answeredByApplicant(a: Pick<AskState, 'askedAt' | 'documentType' | 'repliedAt' | 'uploadToldAt'>, uploads: readonly AskUpload[]): boolean {
  return !!(a.repliedAt || a.uploadToldAt) || uploads.some((d) => uploadAnswersAsk(a, d));
}

/**
 * The day the applicant answered a request (answeredByApplicant): their "done" or the upload HR was
 * told of (./asks.ts, written on the upload), whichever came first; else the latest upload into its slot.
 */
export function answeredOn(a: Pick<AskState, 'askedAt' | 'documentType' | 'repliedAt' | 'uploadToldAt'>, uploads: readonly AskUpload[]): Date | undefined {
  const told = [a.repliedAt, a.uploadToldAt].filter((d): d is Date => !!d);
  if (told.length) return new Date(Math.min(...told.map((d) => d.getTime())));
  const up = uploads.filter((d) => uploadAnswersAsk(a, d) && d.createdAt).map((d) => d.createdAt!.getTime());
  return up.length ? new Date(Math.max(...up)) : undefined;
}

/** The decision clock is stopped: a request made for the filing under way that stopped it is not received yet (./asks.ts). */
export function clockStopped(t: Pick<TrackState, 'status' | 'asks' | 'filedAt'> | undefined): boolean {
  const filed = t?.filedAt ? vnDateKey(t.filedAt) : '';
  return t?.status === 'filed' && (t.asks ?? []).some((a) => a.stopsClock && askOpen(a) && vnDateKey(a.askedAt) >= filed);
}

export interface ProcedureInput {
  status: SupportStatus;
  /** Internal note for HR (never shown to the applicant). */
  note?: string;
  /** HR's message to the applicant with this change: shown on their page and timeline, e-mailed. */
  message?: string;
  /** undefined: keep; '' : clear. */
  office?: string;
  /** The filing's day. Required by a new filing (isNewFiling) and while filed; otherwise undefined or null keep the one recorded. */
  filedAt?: Date | null;
  /** The day the authority decided (a grant or a refusal): required with a new decision of an authority (decisionDateRequired). */
  decidedAt?: Date | null;
  /** The institute's own target before filing ("We aim to file by"), typed by HR: a day other than the one stored replaces it. */
  targetAt?: Date | null;
  cardStartsAt?: Date | null;
  cardEndsAt?: Date | null;
  /** HR received the written reasons of a refusal the authority gave without them. */
  reasonsReceived?: boolean;
  /** With a refusal: the authority refused without its written reasons (HR chases them). */
  reasonsMissing?: boolean;
}

/** Field → message key, or a key with what the message says (a date, a number). */
export type ProcedureError = string | { key: string; params: Record<string, unknown> };
export type ProcedureErrors = Record<string, ProcedureError>;

export function plain(t: unknown): TrackState {
  const o = ((t as { toObject?: () => unknown }).toObject?.() ?? t) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined && v !== null) out[k] = v;
  return out as unknown as TrackState;
}

function sameDay(a: Date | undefined, b: Date | undefined): boolean {
  if (!a || !b) return !a && !b;
  return vnDateKey(a) === vnDateKey(b);
}

/**
 * Whether a change lodges a file anew: the status becomes filed from any other (the first filing, or
 * one after a refusal or a withdrawn file). Such a filing needs its own date, typed by HR: the case
 * page's quick form sends HR to the procedure's page for it, and the page asks for it empty.
 */
export function isNewFiling(from: string | undefined, to: string): boolean {
  return to === 'filed' && (from ?? 'not_needed') !== 'filed';
}

/**
 * The procedure after the change: deadlines restarted where a status starts a clock (a request,
 * a file lodged, a refusal), kept where the clock goes on ('preparing' keeps the request's).
 * Pure, so the HTTP tests and the unit tests see the same arithmetic.
 */
export function nextTrack(existing: TrackState | undefined, kind: SupportKind, input: ProcedureInput, now: Date, calendar: WorkingCalendar, waits: readonly SupportKind[] = [], plannedStart?: Date | null, targetWithheld = false): { track: TrackState; errors?: ProcedureErrors } {
  const before: TrackState = existing ?? { kind, status: 'not_needed' };
  const statusChanged = before.status !== input.status;
  const track: TrackState = { ...before, kind, status: input.status, updatedAt: now };
  const errors: ProcedureErrors = {};

  if (input.office !== undefined) {
    if (input.office) track.office = input.office;
    else delete track.office;
  }
  if (input.note) track.note = input.note;
  // The applicant's page shows the message of the latest change they were told about: a new status
  // without one clears the last (a refusal's reasons do not stay beside a later grant).
  if (input.message) track.applicantMessage = input.message;
  else if (statusChanged) delete track.applicantMessage;

  // Filing date: typed by HR, never in the future. A new filing (the status becomes filed, after a
  // refusal too) has its own: the date of an earlier one would count the legal deadline from it, already
  // past. An empty field keeps the date of the filing recorded (the page shows it empty when not filed).
  if (isNewFiling(before.status, input.status)) {
    if (input.filedAt) track.filedAt = input.filedAt;
    else {
      delete track.filedAt;
      errors.filedAt = 'procedures.errors.filedAtRequired';
    }
  } else if (input.filedAt) track.filedAt = input.filedAt;
  else if (input.filedAt === null && input.status === 'filed') errors.filedAt = 'procedures.errors.filedAtRequired';
  if (track.filedAt && vnDateKey(track.filedAt) > vnDateKey(now)) errors.filedAt = 'procedures.errors.filedInFuture';

  // The authority's decision day, typed by HR: the day the file was decided, not the day HR records
  // it (the refusal's day, below). Asked empty with each new grant or refusal of a file lodged with
  // an authority; never in the future nor before the filing. The institute's own service (housing)
  // may give one, and is not asked: it decides the day HR records it.
  if (input.status === 'approved' || input.status === 'refused') {
    if (input.decidedAt) track.decidedAt = input.decidedAt;
    else if (statusChanged) {
      delete track.decidedAt;
      // Each with its own message: a refusal's says the reasons come with it.
      if (!PROCEDURE_RULES[kind].internal) errors.decidedAt = input.status === 'refused' ? 'procedures.errors.decidedAtRequired' : 'procedures.errors.decidedAtRequiredGrant';
    }
    if (track.decidedAt && vnDateKey(track.decidedAt) > vnDateKey(now)) errors.decidedAt = 'procedures.errors.decidedInFuture';
    else if (track.decidedAt && track.filedAt && vnDateKey(track.decidedAt) < vnDateKey(track.filedAt)) errors.decidedAt = { key: 'procedures.errors.decidedBeforeFiling', params: { filedOn: track.filedAt } };
  } else delete track.decidedAt;

  // The residence card's term (Law 47/2014/QH13 Art. 38): the end must come after the start, and a
  // work card runs at most 2 years (rules.ts workCardLatestEnd). Checked when either day is newly
  // typed: a card stored before the check keeps saving with other changes.
  if (kind === 'residence_card') {
    if (input.cardStartsAt !== undefined) {
      if (input.cardStartsAt) track.cardStartsAt = input.cardStartsAt;
      else delete track.cardStartsAt;
    }
    if (input.cardEndsAt !== undefined) {
      if (input.cardEndsAt) track.cardEndsAt = input.cardEndsAt;
      else delete track.cardEndsAt;
    }
    if (track.cardStartsAt && track.cardEndsAt && vnDateKey(track.cardEndsAt) <= vnDateKey(track.cardStartsAt)) errors.cardEndsAt = 'procedures.errors.endBeforeStart';
    else if (track.cardStartsAt && track.cardEndsAt && (!sameDay(before.cardStartsAt, track.cardStartsAt) || !sameDay(before.cardEndsAt, track.cardEndsAt))) {
      const latest = workCardLatestEnd(track.cardStartsAt);
      if (vnDateKey(track.cardEndsAt) > vnDateKey(latest)) errors.cardEndsAt = { key: 'procedures.errors.cardTooLong', params: { years: WORK_CARD_MAX_MONTHS / 12, latest } };
    }
  }

  // The deadline of the status. Waiting for another procedure (waitingFor), it cannot be lodged: no
  // clock runs before it can be, and "filed" is refused.
  const days = deadlineDays(kind, input.status);
  if (waits.length > 0 && input.status === 'filed' && statusChanged) errors.status = 'procedures.errors.waitsFor';
  // The institute's own service is lodged with no authority (rules.ts internal): nothing to file (walk s34 #4).
  if (PROCEDURE_RULES[kind].internal && input.status === 'filed' && statusChanged) errors.status = 'procedures.errors.internalNotFiled';
  // An authority grants or refuses a file lodged with it: the filing comes first (its date starts
  // the legal clock the decision is measured against).
  if ((input.status === 'approved' || input.status === 'refused') && statusChanged && !PROCEDURE_RULES[kind].internal && !track.filedAt) errors.status = 'procedures.errors.decidedBeforeFiled';
  // A refusal is told with what it means and what comes next, in HR's words (the authority's
  // written reasons follow, ticked below when they arrive).
  if (input.status === 'refused' && statusChanged && !input.message) errors.message = 'procedures.errors.refusalMessage';
  // Each deadline keeps its count (from, working days) so a holiday added later moves it.
  // Nor before a naturalisation can be lodged (rules.ts filingTargetWithheld): no target, stored or counted.
  if ((waits.length > 0 || targetWithheld) && (input.status === 'requested' || input.status === 'preparing')) {
    delete track.dueAt;
    delete track.dueCount;
  } else if (input.status === 'filed') {
    // Stopped while the applicant completes the file (./asks.ts): it counts again from the day HR
    // records the missing part received, not from a save of the page meanwhile.
    if (!statusChanged && clockStopped(before)) {
      delete track.dueAt;
      delete track.dueCount;
    } else if (track.filedAt && (statusChanged || !sameDay(before.filedAt, track.filedAt) || !track.dueAt)) {
      track.dueCount = { from: track.filedAt, workingDays: days! };
      track.dueAt = countedDeadline(calendar, track.dueCount);
    }
  } else if (input.status === 'requested') {
    if (statusChanged || !track.dueAt) Object.assign(track, countedLodgingDue(kind, calendar, now, days!, plannedStart));
  } else if (input.status === 'preparing') {
    if (!track.dueAt) Object.assign(track, countedLodgingDue(kind, calendar, now, days!, plannedStart));
  } else {
    delete track.dueAt;
    delete track.dueCount;
  }

  // The institute's own target before filing, moved by HR: a day other than the one the form showed
  // replaces the counted one and keeps its date across holiday changes (typed by hand: no count,
  // server/cases/deadline-recount.ts). Not in the past, inside the filing window (lodgingDue), and
  // none while the procedure waits for another (no clock runs then).
  if (input.targetAt && (input.status === 'requested' || input.status === 'preparing') && !sameDay(input.targetAt, before.dueAt)) {
    const typed = vnEndOfDay(input.targetAt);
    const inWindow = lodgingDue(kind, typed, plannedStart);
    if (waits.length > 0) errors.targetAt = 'procedures.errors.targetWhileWaiting';
    else if (targetWithheld) errors.targetAt = 'procedures.errors.targetNaturalisation';
    else if (vnDateKey(typed) < vnDateKey(now)) errors.targetAt = 'procedures.errors.targetInPast';
    else if (inWindow.getTime() !== typed.getTime()) errors.targetAt = { key: 'procedures.errors.targetOutsideWindow', params: { date: inWindow } };
    else {
      track.dueAt = typed;
      delete track.dueCount;
    }
  }

  // A refusal comes in writing with its reasons, within the decision time (Decree 219/2025/ND-CP,
  // rules.ts refusalWithReasons): no clock of its own after the decision. Where the authority refused
  // without them, HR records so (reasonsMissing) and chases them: owed by the decision deadline that
  // was running (none when it was stopped or never counted). Leaving 'refused' ends it.
  if (input.status === 'refused') {
    if (statusChanged || !sameDay(before.decidedAt, track.decidedAt)) track.refusedAt = track.decidedAt ?? now;
    if (statusChanged) {
      delete track.reasonsReceivedAt;
      delete track.reasonsMissing;
      delete track.reasonsDueAt;
    }
    if (input.reasonsMissing && PROCEDURE_RULES[kind].refusalWithReasons && !track.reasonsMissing && !track.reasonsReceivedAt && !input.reasonsReceived) {
      track.reasonsMissing = true;
      if (statusChanged && before.status === 'filed' && before.dueAt) track.reasonsDueAt = before.dueAt;
    }
    if (input.reasonsReceived && !track.reasonsReceivedAt) {
      track.reasonsReceivedAt = now;
      // The applicant is told the reasons with this change: the written notice is theirs to know
      // (and to answer, e.g. with a corrected file), so it cannot be recorded without them.
      if (!input.message) errors.message = 'procedures.errors.reasonsMessage';
    }
  } else {
    delete track.refusedAt;
    delete track.reasonsMissing;
    delete track.reasonsDueAt;
    delete track.reasonsReceivedAt;
  }
  return Object.keys(errors).length ? { track, errors } : { track };
}

/**
 * Whether a change stops a procedure that had started (any status but not needed, to not needed):
 * such a stop is told to the applicant with why (HR's message, the reason for the applicant; the
 * internal note is HR's own and never counts as one), unless the procedure replacing it says why.
 */
export function isStop(from: string | undefined, to: string): boolean {
  return to === 'not_needed' && (from ?? 'not_needed') !== 'not_needed';
}

/** Whether the change is one the applicant is told about (e-mail and timeline): a message for them always is. */
export function applicantShouldKnow(before: TrackState | undefined, after: TrackState, message?: string): boolean {
  if (message) return true;
  const statusChanged = (before?.status ?? 'not_needed') !== after.status;
  const visible = (s: string | undefined) => !!s && (APPLICANT_VISIBLE_SUPPORT_STATUSES as readonly string[]).includes(s);
  if (statusChanged && visible(after.status)) return true;
  // A procedure they were told had started, stopped: their list drops it, so they are told why it went.
  if (after.status === 'not_needed') return statusChanged && visible(before?.status);
  if (targetMoved(before, after) || (!!after.decidedAt && !sameDay(before?.decidedAt, after.decidedAt))) return true;
  return (!!after.filedAt && !sameDay(before?.filedAt, after.filedAt)) || (!!after.cardStartsAt && !sameDay(before?.cardStartsAt, after.cardStartsAt)) || (!!after.cardEndsAt && !sameDay(before?.cardEndsAt, after.cardEndsAt));
}

/** The target before filing moved (typed by HR), the procedure still before filing: the applicant was told the earlier one. */
export function targetMoved(before: TrackState | undefined, after: TrackState): boolean {
  const beforeFiling = (s: string | undefined) => s === 'requested' || s === 'preparing';
  return beforeFiling(before?.status) && beforeFiling(after.status) && !!before?.dueAt && !!after.dueAt && !sameDay(before.dueAt, after.dueAt);
}

function sameState(a: TrackState | undefined, b: TrackState): boolean {
  if (!a) return false;
  return a.status === b.status && sameDay(a.dueAt, b.dueAt) && sameDay(a.decidedAt, b.decidedAt) && (a.office ?? '') === (b.office ?? '') && (a.applicantMessage ?? '') === (b.applicantMessage ?? '') && sameDay(a.filedAt, b.filedAt) && sameDay(a.cardStartsAt, b.cardStartsAt) && sameDay(a.cardEndsAt, b.cardEndsAt);
}

/** The track as it was, with no message for the applicant and no internal note: a save that changes nothing. */
function unchangedSave(a: TrackState | undefined, b: TrackState, input: { message?: string; note?: string }): boolean {
  return !!a && sameState(a, b) && !input.message && !input.note && !!a.reasonsMissing === !!b.reasonsMissing && sameDay(a.reasonsReceivedAt, b.reasonsReceivedAt);
}

/** What a change told the applicant about: its headline follows the most important part. */
export interface ProcedureChange {
  kind?: string | null;
  from?: string | null;
  to?: string | null;
  reasonsReceived?: boolean | null;
  filedAt?: Date | null;
  decidedAt?: Date | null;
  /** Stopped because this other procedure is applied for instead (replacingProcedure). */
  replacedBy?: string | null;
  /** The target before filing HR moved: the one the applicant was told, and the new one. */
  targetFrom?: Date | null;
  targetTo?: Date | null;
  /** That move was the institute's default changing (./target-backfill.ts), not HR's choice: the e-mail says so. */
  defaultChanged?: boolean | null;
  cardStartsAt?: Date | null;
  cardEndsAt?: Date | null;
  /** A deadline the applicant was told moved with the holiday calendar (server/cases/deadline-recount.ts). */
  dueMoved?: boolean | null;
  /** That move: the old date, the new one, and the public holiday ('YYYY-MM-DD') added or removed. */
  moved?: HolidayMove | null;
}

export interface HolidayMove {
  from: Date;
  to: Date;
  holiday: string;
  change: 'added' | 'removed';
  /** The holiday's name as the administrator typed it, in each language. */
  name?: HolidayName | null;
}

export type HolidayName = { vi?: string | null; en?: string | null };

/** "1 Jan 2027 (New Year's Day)": the day, with its name in the reader's language (the other's if only that one was typed). */
export function holidayDayText(t: TFunction, locale: Locale, holiday: string, name?: HolidayName | null): string {
  const day = formatDay(vnStartOfDay(holiday), locale);
  const named = name?.[locale] || name?.[locale === 'vi' ? 'en' : 'vi'];
  return named ? t('procedures.recount.dayNamed', { day, name: named }) : day;
}

/** "The date moved from 11 Dec 2031 to 12 Dec 2031: the public holiday of 9 Dec 2031 (…) was added to the calendar". */
export function holidayMoveText(t: TFunction, locale: Locale, m: HolidayMove): string {
  return t(m.change === 'added' ? 'procedures.recount.movedAdded' : 'procedures.recount.movedRemoved', { from: formatDay(m.from, locale), to: formatDay(m.to, locale), day: holidayDayText(t, locale, m.holiday, m.name) });
}

export function procedureHeadlineKey(c: ProcedureChange): string {
  // The institute's own service is arranged, not granted by an authority.
  if ((c.from ?? 'not_needed') !== c.to) return c.to === 'approved' && c.kind && PROCEDURE_RULES[c.kind as SupportKind]?.internal ? 'procedures.applicant.arranged' : `procedures.applicant.${c.to ?? 'not_needed'}`;
  if (c.reasonsReceived) return 'procedures.applicant.reasonsReceived';
  if (c.dueMoved) return 'procedures.applicant.dueMoved';
  if (c.targetTo) return 'procedures.applicant.targetMoved';
  if (c.decidedAt) return 'procedures.applicant.decidedOn';
  if (c.filedAt || c.cardStartsAt || c.cardEndsAt) return 'procedures.applicant.datesSet';
  return 'procedures.applicant.message';
}

/**
 * A status in words, wherever it is shown (form, her page, the e-mail, the timeline): the institute's
 * own service is neither granted nor refused by an authority: it is arranged, or not arranged, by
 * the institute (walk s34 #4 the refusal, walk s35 the arranged housing that read "Granted").
 */
export function statusLabel(t: TFunction, kind: string, status: string): string {
  const internal = (PROCEDURE_RULES as Record<string, { internal?: boolean } | undefined>)[kind]?.internal;
  if (internal && status === 'refused') return t('procedures.statuses.refusedInternal');
  if (internal && status === 'approved') return t('procedures.statuses.approvedInternal');
  return t(`procedures.statuses.${status}`);
}

/**
 * The words of a procedure change in one language: the applicant's, like every other e-mail
 * (the outbox item's locale). Days are written out here, in the format the procedure pages use.
 */
export function procedureWords(locale: Locale, kind: SupportKind, track: TrackState, changed: ProcedureChange, clock: EmailClock) {
  const t = translator(locale);
  const rule = PROCEDURE_RULES[kind];
  // The headline the applicant's timeline shows (both say "Ông/Bà" in Vietnamese).
  return {
    kindLabel: t(`procedures.kinds.${kind}`),
    statusLabel: statusLabel(t, kind, track.status),
    headline: t(procedureHeadlineKey(changed), { kind: t(`procedures.kinds.${kind}`) }),
    movedText: changed.moved
      ? holidayMoveText(t, locale, changed.moved)
      : changed.targetFrom && changed.targetTo
        ? t(changed.defaultChanged ? 'procedures.targetDefaultText' : 'procedures.targetMovedText', { from: formatDay(changed.targetFrom, locale), to: formatDay(changed.targetTo, locale), days: LODGING_MARGIN_WORKING_DAYS })
        : '',
    // A stopped procedure cites its law without the authority's time limit: that clock no longer runs for her (walk s35 #1).
    legalBasis: (track.status === 'not_needed' ? (rule.citation ?? rule.legalBasis) : rule.legalBasis)[locale],
    office: track.office ?? rule.office[locale],
    filedOn: formatDay(track.filedAt, locale),
    decidedOn: formatDay(track.decidedAt, locale),
    ...dueWords(t, locale, kind, track, clock),
    cardFrom: formatDay(track.cardStartsAt, locale),
    cardTo: formatDay(track.cardEndsAt, locale),
    // A refusal says what happens now, whatever HR wrote beside it (their message follows): as the page says it.
    nextStep: track.status === 'refused' ? t(rule.internal ? 'procedures.nextStep.refusedInternal' : 'procedures.nextStep.refused') : '',
  };
}

/**
 * The running date of a procedure as the e-mail says it (dueMeaning): before filing the institute's
 * target ("We aim to file by"), once filed the decision ("Decision expected by"); with no legal
 * decision time, that is said instead of the institute's follow-up date.
 */
function dueWords(t: TFunction, locale: Locale, kind: SupportKind, track: TrackState, clock: EmailClock) {
  const meaning = dueMeaning(kind, track.status);
  // Before filing, the window the law allows as two dates beside the target (a day inside it).
  const window = meaning === 'file' ? windowView(t, locale, clock.calendar, clock.now, kind, clock.plannedStart, true) : undefined;
  // A naturalisation awaiting its residence condition has no target (rules.ts filingTargetWithheld):
  // the condition is said instead, as the acceptance e-mail and her page say it (a target stored before is not read).
  const withheld = meaning === 'file' && !!clock.targetWithheld;
  const target = !withheld && (meaning === 'file' || meaning === 'arrange') && track.dueAt;
  // Each date with its working days from now, as the pages count them.
  const left = (due: Date | undefined) => (due ? deadlineLeft(t, clock.calendar, clock.now, due).text : '');
  return {
    targetLabel: target ? t(`procedures.due.${meaning}`) : '',
    targetWithheld: withheld ? t('procedures.naturalisationApplicant') : '',
    targetDue: target ? formatDay(track.dueAt, locale) : '',
    targetLeft: target ? left(track.dueAt) : '',
    filingWindow: window ? t('procedures.window.email', { between: window.text, left: window.left }) : '',
    decisionDue: meaning === 'decision' ? formatDay(track.dueAt, locale) : '',
    decisionLeft: meaning === 'decision' ? left(track.dueAt) : '',
    noLegalDecision: meaning === 'followUp' ? t('procedures.due.noLegalDecision') : '',
    // Reasons the authority did not give with its refusal: said without a date of their own (rules.ts refusalWithReasons).
    reasonsMissing: reasonsOwed(track) ? t('procedures.email.reasonsMissing') : '',
  };
}

/** What the e-mail counts working days on: the holiday calendar and the moment it is written. */
export interface EmailClock {
  calendar: WorkingCalendar;
  now: Date;
  /** The case's planned start of work: the filing window is counted back from it. */
  plannedStart?: Date | null;
  /** A naturalisation that awaits its residence condition (rules.ts filingTargetWithheld): no filing target is said. */
  targetWithheld?: boolean;
}

/**
 * Whose the procedure is, for an e-mail to the applicant: the visa that carries the family's TT visas
 * (for a Vietnamese citizen, that they need none themselves, unless entering on a foreign passport:
 * Law 47/2014/QH13 Art. 4(4), 12(5)), or a citizen's residence card procedure that is their family's
 * TT cards; '' otherwise. Shared by the procedure_update and offer_accepted e-mails.
 */
export function procedureFamilyLine(t: TFunction, kind: SupportKind, family: FamilyCase | undefined): string {
  if (!family) return '';
  if (kind === 'visa' && familyVisasWanted(family)) {
    const forWhom = t('procedures.visaType.familyFor', { names: familyMembersText(t, family) });
    return vietnameseCitizen(family) ? `${t('procedures.visaType.citizenApplicant')} ${forWhom}.` : `${forWhom}.`;
  }
  return kind === 'residence_card' && papersForFamily(family) ? `${t('procedures.visaType.cardsFor', { names: familyMembersText(t, family) })}.` : '';
}

/** The procedure_update e-mail to the applicant, in their language (the outbox item's locale). */
export function procedureEmail(opts: { applicant: Recipient & { name?: string | null }; reference: string; caseId: string; kind: SupportKind; track: TrackState; change: ProcedureChange; asksClosed?: readonly AskState[]; message?: string; appUrl?: string; key: string; now: Date; calendar: WorkingCalendar; plannedStart?: Date | null; family?: FamilyCase; targetWithheld?: boolean; unlocked?: ReadonlyArray<{ kind: SupportKind; dueAt?: Date | null }> }) {
  const locale = recipientLocale(opts.applicant);
  const closed = opts.asksClosed ?? [];
  // The visa procedure that carries the family's TT visas says whose they are, as the page does (walk:
  // a Vietnamese citizen read "Visa: granted" of a visa that was their spouse's and child's).
  const t = translator(locale);
  // A Vietnamese citizen's residence card procedure is their foreign family's TT cards: said too.
  const familyLine = procedureFamilyLine(t, opts.kind, opts.family);
  const data = {
    name: opts.applicant.name,
    reference: opts.reference,
    kind: opts.kind,
    status: opts.track.status,
    ...procedureWords(locale, opts.kind, opts.track, opts.change, { calendar: opts.calendar, now: opts.now, plannedStart: opts.plannedStart, targetWithheld: !!opts.targetWithheld }),
    // In the words HR wrote it: shown as written, not translated.
    message: opts.message ?? '',
    /** The message, when it is why a procedure under way stopped (set below). */
    stopReason: '',
    /** Stopped because another procedure replaces it: the built-in template says that first (nextStep). */
    replaced: false,
    familyLine,
    // What was asked of them and is not needed any more (closeOpenAsks), in HR's words as asked.
    asksClosedLine: closed.length ? translator(locale)('procedures.ask.mail.closed', { count: closed.length }) : '',
    asksClosed: closed.map((a) => ({ text: a.text, dueOn: formatDay(a.dueAt, locale) })),
    // Procedures this grant lets go ahead (walk: "work permit granted" said nothing of the visa it
    // started), with the target their clock now runs to, as their pages say it.
    unlocked: (opts.unlocked ?? [])
      .filter((u) => u.dueAt)
      .map((u) => ({ text: t('procedures.email.unlocked', { kind: t(`procedures.kinds.${u.kind}`), date: formatDay(u.dueAt!, locale), left: deadlineLeft(t, opts.calendar, opts.now, u.dueAt!).text }) })),
    link: `${opts.appUrl ?? ''}/applications/${opts.caseId}`,
  };
  // Stopped because the other right-to-work paper is applied for instead (replacedBy): the e-mail
  // says so, where it said only "no longer needed" (walk33: the work permit dropped for the exemption).
  // Said first, before the stopped procedure's particulars (walk s35 #1: she read it last).
  if (opts.change.replacedBy && opts.track.status === 'not_needed') Object.assign(data, { nextStep: t(`procedures.nextStep.replacedBy.${opts.change.replacedBy}`), replaced: true });
  // Any other stop: HR's message is the reason, under its own heading in the built-in template
  // (an edited template printing {{message}} still carries it).
  else if (opts.message && isStop(opts.change.from ?? undefined, opts.change.to ?? '')) data.stopReason = opts.message;
  return caseEmail(opts.applicant, 'procedure_update', data, opts.key, opts.now);
}

/**
 * The procedure that replaces `kind` once it is stopped, or undefined: the work permit and the
 * certificate of exemption from it are alternatives (either is the right to work, Labour Code 2019
 * Art. 151(1)(d), 154; Decree 219/2025/ND-CP Art. 9), so one stopped while the other is under way
 * or granted is replaced by it.
 */
export function replacingProcedure(kind: SupportKind, tracks: ReadonlyArray<Pick<TrackState, 'kind' | 'status'>>): SupportKind | undefined {
  const other: SupportKind | undefined = kind === 'work_permit' ? 'work_permit_exemption' : kind === 'work_permit_exemption' ? 'work_permit' : undefined;
  const status = other && tracks.find((t) => t.kind === other)?.status;
  return status && (status === 'approved' || (ACTIVE_SUPPORT_STATUSES as readonly string[]).includes(status)) ? other : undefined;
}

/** The procedure a command acts on, and what it needs to do it (every procedure command's options). */
export interface ProcedureTarget {
  app?: Pick<AppContext, 'config'>;
  ctx: Context;
  caseId: string | Types.ObjectId;
  kind: SupportKind;
}

export interface UpdateProcedureOptions extends ProcedureInput, ProcedureTarget {
  /** The case version the form was built for: a stale form changes nothing (409). */
  expectedVersion: number;
  /**
   * This procedure as the form saw it (trackStamp): when only other procedures (or other parts of
   * the case) changed since, the form is applied to the case as it is now instead of refused.
   */
  trackStamp?: string;
}

export type UpdateProcedureResult =
  | {
      ok: true;
      caseDoc: CaseDoc;
      repeated?: boolean;
      /** The form was sent as it was loaded: nothing recorded, nobody told. */
      unchanged?: boolean;
      /** Saved, and HR should know: the filing day set lies outside the legal window (rules.ts filingOutsideWindow). */
      outsideWindow?: { days: number; min: number; max: number };
      /** Saved, and HR should know: the filing day set is a weekend day or a public holiday, when no authority receives a file. */
      filedOnDayOff?: Date;
      /** Saved, and HR should know: the decision day set is a weekend day or a public holiday, when authorities rarely decide. */
      decidedOnDayOff?: Date;
      /** Saved, and HR should know: a residence card filed before the planned start, the expert likely not yet in Vietnam. */
      cardBeforeStart?: { filedAt: Date; plannedStart: Date };
    }
  | { ok: false; errors: ProcedureErrors; caseDoc: CaseDoc };

type HistoryFacts = ReadonlyArray<{ at?: Date | null; action?: string | null; procedure?: { kind?: string | null; from?: string | null; to?: string | null; decidedAt?: Date | null } | null }>;

/**
 * The day the procedure was last refused, or undefined: from the case's history (a refusal stays
 * there after the track moves on; the authority's decision day where HR typed it, else the day it
 * was recorded), else the track's own record of it.
 */
export function lastRefusal(kind: SupportKind, history: HistoryFacts, track?: Pick<TrackState, 'refusedAt'>): Date | undefined {
  const days = history.filter((e) => e.at && e.procedure?.kind === kind && e.procedure.to === 'refused' && e.procedure.from !== 'refused').map((e) => e.procedure!.decidedAt ?? e.at!);
  if (track?.refusedAt) days.push(track.refusedAt);
  return days.length ? new Date(Math.max(...days.map((d) => d.getTime()))) : undefined;
}

/**
 * Why a filing date is earlier than the procedure could have been lodged, or undefined: before the
 * offer was made (procedures open with the offer: server/procedures supportOpen), or before
 * the procedure it comes after was itself lodged (a visa after the work permit or its exemption,
 * Law 47/2014/QH13 Art. 10(4)(c); the residence card after the visa, Art. 37(1)). The grant's own
 * date (decidedAt) is missing on grants recorded before HR typed it, so the bound is the granted
 * procedure's filing: never later than the truth. A case without the offer in its history
 * (imported) is not held to the first rule.
 */
export function filingTooEarly(kind: SupportKind, filedAt: Date, history: HistoryFacts, tracks: ReadonlyArray<Pick<TrackState, 'kind' | 'status' | 'filedAt'>>): string | undefined {
  const day = vnDateKey(filedAt);
  const offered = history.filter((e) => e.action === 'approve_offer' && e.at).at(-1)?.at;
  if (offered && day < vnDateKey(offered)) return 'procedures.errors.filedBeforeOffer';
  for (const group of PROCEDURE_RULES[kind].after ?? []) {
    const lodged = tracks.filter((t) => t.status === 'approved' && t.filedAt && (group as readonly string[]).includes(t.kind)).map((t) => vnDateKey(t.filedAt!));
    // Any one of the group granted let the procedure go ahead: the earliest of their filings.
    if (lodged.length && day < lodged.sort()[0]!) return 'procedures.errors.filedBeforePrerequisite';
  }
  return undefined;
}

/**
 * Why a residence card end is later than the applicant's passport allows, or undefined: checked
 * against the accepted current passport (the latest expiry if more than one); none on file, nothing
 * to check against.
 */
async function cardOutlastsPassport(caseId: unknown, cardEndsAt: Date): Promise<ProcedureError | undefined> {
  const tooLate = cardBeyondPassport(cardEndsAt, passportExpiryOnFile(await currentDocuments([caseId])));
  return tooLate ? { key: 'procedures.errors.cardOutlastsPassport', params: { latest: tooLate.latest, passportExpires: tooLate.passportExpires } } : undefined;
}

/**
 * Sets one procedure. HR of the case's institute (or an administrator) only; in the support
 * stages only; against the version the officer saw. The history event, the applicant's e-mail and
 * the cleared escalation flag are written in the same update as the procedure.
 */
export async function updateProcedure(opts: UpdateProcedureOptions): Promise<UpdateProcedureResult> {
  const { ctx, kind } = opts;
  const actor = actorOf(ctx);
  const now = ctx.now;
  const { caseDoc } = await findCaseFor(actor, opts.caseId);
  if (!(actor.role === 'admin' || can(actor, 'case.work', caseDoc))) throw new ForbiddenError('cases.errors.readOnly');
  if (!supportOpen(caseDoc)) return { ok: false, errors: { status: 'procedures.errors.notNow' }, caseDoc };

  const existingRaw = (caseDoc.supportTracks ?? []).find((t) => t.kind === kind);
  const existing = existingRaw ? plain(existingRaw) : undefined;
  const calendar = await loadCalendar();
  const others = (caseDoc.supportTracks ?? []).map(plain).filter((t) => t.kind !== kind);
  const waits = waitingFor(kind, others);
  // The work permit stopped while its exemption certificate runs, or the other way round: one
  // replaces the other (Decree 219/2025/ND-CP Art. 9: an exempt expert needs the certificate, not
  // the permit; Labour Code 2019 Art. 154), and the applicant is told so with the stop
  // (e-mail and timeline). Any other stop of a procedure that had started is told with HR's reason.
  const stopping = isStop(existing?.status, opts.status);
  const replacedBy = stopping ? replacingProcedure(kind, others) : undefined;
  const stopErrors: ProcedureErrors = stopping && !replacedBy && !opts.message ? { message: 'procedures.errors.stopReason' } : {};
  const { track, errors } = nextTrack(existing, kind, opts, now, calendar, waits, targetStart(kind, caseDoc), filingTargetWithheld(kind, caseDoc));
  if (errors || Object.keys(stopErrors).length) return { ok: false, errors: { ...stopErrors, ...errors }, caseDoc };
  const newFiling = isNewFiling(existing?.status, track.status);
  // A filing date newly recorded: not before the procedure could be lodged (its clock, and the date
  // the applicant is e-mailed, are counted from it).
  const filingDateSet = !!track.filedAt && (newFiling || !sameDay(existing?.filedAt, track.filedAt));
  if (filingDateSet) {
    const early = filingTooEarly(kind, track.filedAt!, caseDoc.history ?? [], others);
    if (early) return { ok: false, errors: { filedAt: early }, caseDoc };
    // Lodged again after a refusal: on or after it (the earlier filing's date is the usual slip).
    const refused = newFiling ? lastRefusal(kind, caseDoc.history ?? [], existing) : undefined;
    if (refused && vnDateKey(track.filedAt!) < vnDateKey(refused)) return { ok: false, errors: { filedAt: { key: 'procedures.errors.filedBeforeRefusal', params: { refusedOn: refused } } }, caseDoc };
  }

  // A residence card's end newly recorded: not later than the passport allows (rules.ts
  // cardLatestEnd, Law 47/2014/QH13 Art. 38(1)). Refused, not warned as a filing outside the work
  // permit's window is: that filing happened as recorded, whereas the immigration office does not
  // issue a card running later than this, so such an end is a typing error or the passport on file
  // is not the one the card is issued on (a renewed passport is uploaded and accepted first).
  if (kind === 'residence_card' && track.cardEndsAt && !sameDay(existing?.cardEndsAt, track.cardEndsAt)) {
    const tooLate = await cardOutlastsPassport(caseDoc._id, track.cardEndsAt);
    if (tooLate) return { ok: false, errors: { cardEndsAt: tooLate }, caseDoc };
  }

  let expectedVersion = opts.expectedVersion;
  if (caseDoc.version !== opts.expectedVersion) {
    // A double submit: the case already shows exactly what this form asks for.
    if (sameState(existing, track) && existing?.status !== 'not_needed') return { ok: true, caseDoc, repeated: true };
    // Someone changed another procedure (or a note) meanwhile: this one is as the officer saw it.
    if (opts.trackStamp !== undefined && opts.trackStamp === trackStamp(existingRaw)) expectedVersion = caseDoc.version;
    else throw new ConflictError('cases.conflict.generic');
  }

  // Sent with nothing changed (the form saved as it was loaded): nothing to record or tell. It used
  // to add a blank "a message from the HR office" to the case's timeline (walk-staff #3).
  if (unchangedSave(existing, track, opts)) return { ok: true, caseDoc, unchanged: true };

  const from = existing?.status ?? 'not_needed';
  const statusChanged = from !== track.status;
  // Closed by this decision: told to the applicant with it (they were e-mailed each request).
  const asksClosed = closeOpenAsks(track, now);
  // The applicant is told only of those they had not answered: one they said done (or uploaded the
  // paper for) is not "no longer needed" to them, it was done.
  const slots = asksClosed.some((a) => a.documentType && !a.repliedAt && !a.uploadToldAt) ? await currentDocuments([caseDoc._id]) : [];
  const asksClosedUnanswered = asksClosed.filter((a) => !answeredByApplicant(a, slots));
  const asksClosedAnswered = asksClosed.filter((a) => answeredByApplicant(a, slots));
  const visible = applicantShouldKnow(existing, track, opts.message) || asksClosedUnanswered.length > 0;
  const reasonsReceived = !!track.reasonsReceivedAt && !existing?.reasonsReceivedAt;
  const history = {
    at: now,
    actor: actor._id,
    actorRole: actor.role,
    action: 'support_update',
    ...(opts.note ? { note: opts.note.slice(0, 5000) } : {}),
    procedure: {
      kind,
      from,
      to: track.status,
      // Each filing's day stays in the history, the first one's after a new filing replaced it on the track.
      ...(filingDateSet ? { filedAt: track.filedAt } : {}),
      ...(track.decidedAt && !sameDay(existing?.decidedAt, track.decidedAt) ? { decidedAt: track.decidedAt } : {}),
      ...(targetMoved(existing, track) ? { targetFrom: existing!.dueAt, targetTo: track.dueAt } : {}),
      ...(track.cardStartsAt && !sameDay(existing?.cardStartsAt, track.cardStartsAt) ? { cardStartsAt: track.cardStartsAt } : {}),
      ...(track.cardEndsAt && !sameDay(existing?.cardEndsAt, track.cardEndsAt) ? { cardEndsAt: track.cardEndsAt } : {}),
      ...(track.reasonsMissing && !existing?.reasonsMissing ? { reasonsMissing: true } : {}),
      ...(opts.message ? { message: opts.message } : {}),
      ...(reasonsReceived ? { reasonsReceived: true } : {}),
      ...(replacedBy ? { replacedBy } : {}),
      // The timeline says "no longer needed" only of those not answered, "answered on …" of the others.
      ...(asksClosedUnanswered.length ? { asksClosed: asksClosedUnanswered.map((a) => a.text) } : {}),
      ...(asksClosedAnswered.length ? { asksAnswered: asksClosedAnswered.map((a) => ({ text: a.text, at: answeredOn(a, slots) })) } : {}),
      applicantVisible: visible,
    },
  };

  const tracks: TrackState[] = (caseDoc.supportTracks ?? []).map((t) => (t.kind === kind ? track : plain(t)));
  if (!existing) tracks.push(track);
  // A procedure granted: those that waited for it only start their clock now (and the e-mail says so).
  const unlocked: TrackState[] = [];
  if (track.status === 'approved') {
    for (const t of tracks) {
      if (t.kind !== kind && (t.status === 'requested' || t.status === 'preparing') && !t.dueAt && waitingFor(t.kind, tracks).length === 0) {
        Object.assign(t, countedLodgingDue(t.kind, calendar, now, deadlineDays(t.kind, t.status)!, targetStart(t.kind, caseDoc)));
        unlocked.push(t);
      }
    }
  }

  const outbox = [];
  if (visible) {
    const applicant = await User.findById(caseDoc.applicant, { email: 1, name: 1, locale: 1 }).lean();
    if (applicant?.email) {
      outbox.push(
        procedureEmail({ applicant, reference: caseDoc.reference, caseId: String(caseDoc._id), kind, track, change: history.procedure, asksClosed: asksClosedUnanswered, ...(opts.message ? { message: opts.message } : {}), appUrl: opts.app?.config.appUrl, key: outboxKey(String(caseDoc._id), caseDoc.version + 1, 'procedure', kind), now, calendar, plannedStart: caseDoc.profile?.plannedArrival, family: caseDoc as FamilyCase, targetWithheld: filingTargetWithheld(kind, caseDoc), unlocked: unlocked as Array<{ kind: SupportKind; dueAt?: Date | null }> }),
      );
    }
  }

  // The escalation's flag goes with the deadline it was for: a new status, or a refusal's written reasons received.
  const overdue = ((caseDoc.overdueProcedures ?? []) as string[]).filter((k) => !((statusChanged || reasonsReceived) && k === kind));
  // The audit event goes into the same update (server/cases/pending-audit.ts), with the version it makes.
  const audit = caseAudit(ctx, { action: 'case.support_update', summary: { kind, from, to: track.status, version: expectedVersion + 1, office: track.office, notified: visible, ...(asksClosed.length ? { asksClosed: asksClosed.map((a) => String(a._id)) } : {}) } });
  // The whole list is rewritten (no positional update): the version match guarantees it is the list
  // the officer saw, and it behaves the same on every MongoDB-compatible server.
  const updated = await Case.findOneAndUpdate(
    // The version read above: the stage (and the hold's origin) are what supportOpen was asked about.
    { _id: caseDoc._id, version: expectedVersion, stage: caseDoc.stage },
    {
      $set: { supportTracks: tracks, overdueProcedures: overdue, nextDueAt: nextDueAt({ stage: caseDoc.stage, stageDueAt: caseDoc.stageDueAt, supportTracks: tracks }) },
      $inc: { version: 1 },
      $push: { history, ...(outbox.length ? { outbox: { $each: outbox } } : {}), ...withPendingAudits([audit]) },
    },
    { returnDocument: 'after' },
  );
  if (!updated) throw new ConflictError('cases.conflict.generic');
  await settleCaseAudits(caseDoc._id, [audit]);
  // A filed or decided procedure moves the likely start date; the stored forecast feeds the queue and dashboard.
  await refreshForecast({ caseId: updated._id, now, calendar });
  // Said at save when the filing date is set or changed (not on a grant or the reasons' receipt), in
  // the words the procedure's page uses, so the officer sees it when it matters. Warned, not refused:
  // a filing is a fact recorded as it happened, and a typo is corrected on the page.
  const outsideWindow = filingDateSet ? filingOutsideWindow(kind, track.filedAt, caseDoc.profile?.plannedArrival) : undefined;
  const filedOnDayOff = filingDateSet && !PROCEDURE_RULES[kind].internal && !calendar.isWorkingDay(track.filedAt!) ? track.filedAt : undefined;
  // The same for the authority's decision day newly set (the procedure's page warns of it too).
  const decidedOnDayOff = track.decidedAt && !sameDay(existing?.decidedAt, track.decidedAt) && !PROCEDURE_RULES[kind].internal && !calendar.isWorkingDay(track.decidedAt) ? track.decidedAt : undefined;
  // A residence card is for a foreigner who entered on the visa (Law 47/2014/QH13 Art. 36(2) as
  // amended by Law 51/2019/QH14; Art. 37(1)(c) the passport with the entry stamp is in the file): a
  // filing day before the planned start, with no arrival recorded, is likely mistyped (walk-proc #6).
  const planned = caseDoc.profile?.plannedArrival ?? undefined;
  const cardBeforeStart = kind === 'residence_card' && filingDateSet && planned && caseDoc.stage === 'onboarding' && vnDateKey(track.filedAt!) < vnDateKey(planned) ? { filedAt: track.filedAt!, plannedStart: planned } : undefined;
  return { ok: true, caseDoc: updated, ...(outsideWindow ? { outsideWindow } : {}), ...(filedOnDayOff ? { filedOnDayOff } : {}), ...(decidedOnDayOff ? { decidedOnDayOff } : {}), ...(cardBeforeStart ? { cardBeforeStart } : {}) };
}

/** The calendar-aware view helpers need the calendar once per page. */
export { loadCalendar };
