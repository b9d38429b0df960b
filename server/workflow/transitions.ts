// The case workflow: ONE table (DESIGN.md §4). Each row says from which stages an action may be
// taken, where it leads, who may take it, what must hold first (guard), which e-mail it sends and
// which working-day deadline the new stage starts. server/workflow/index.ts is its only reader and
// the only writer of Case.stage.
import { z } from 'zod';
import { hasVisibleText, withoutHiddenCharacters } from '../support/hidden-characters.ts';
import { isCalendarDay } from '../support/calendar-day.ts';
import { ACTIVE_SUPPORT_STATUSES, DOCUMENT_TYPES, OPEN_STAGES, type Stage } from '../../models/constants.ts';
import type { Role } from '../../models/user.ts';
import type { CaseDoc } from '../../models/case.ts';
import type { CallDoc } from '../../models/call.ts';
import { requiredDocumentsNotAccepted, type CurrentDocument } from '../documents/index.ts';
import { isLocale, translator, DEFAULT_LOCALE } from '../i18n/index.ts';
import { missingParts as applicationMissingParts } from '../applications/completeness.ts';
import { vietnameseCitizen } from '../applications/family-support.ts';
import { ID_TEXT } from '../support/object-id.js';

export const ACTIONS = [
  'submit',
  'start_screening',
  'request_info',
  'answer_info',
  'answered_outside',
  'send_to_evaluation',
  'shortlist',
  'approve_offer',
  'reject',
  'accept_offer',
  'record_acceptance',
  'decline_offer',
  'record_decline',
  'mark_arrived',
  'close',
  'put_on_hold',
  'resume',
  'withdraw',
  'withdraw_offer',
  'reconsider',
] as const;
export type Action = (typeof ACTIONS)[number];

/** The offer declined: by the applicant on the portal, or received by e-mail or post and recorded by HR. Both end the case the same way and read alike (the case page, the leaders' recent decisions). */
export const DECLINE_ACTIONS: ReadonlySet<string> = new Set<Action>(['decline_offer', 'record_decline']);

export function isAction(v: unknown): v is Action {
  return typeof v === 'string' && (ACTIONS as readonly string[]).includes(v);
}

export interface GuardInput {
  caseDoc: CaseDoc;
  call: CallDoc | null;
  now: Date;
  /** The actor's language (some messages carry text such as a criterion's label). */
  locale: string;
  /** The case's current documents, when the caller has read them already (the case page): not read again. */
  documents?: readonly CurrentDocument[];
}

/** Field → i18n key (with params) of each unmet condition. */
export type GuardFailures = Record<string, string | { key: string; params?: Record<string, unknown> }>;

/** Returns the unmet conditions, or nothing when the guard passes. */
export type Guard = (input: GuardInput) => Promise<GuardFailures | undefined>;

export interface Transition {
  action: Action;
  from: readonly Stage[];
  /** 'resume' goes back to the stage stored in resumeStage. */
  to: Stage | 'resume';
  /** Administrators may additionally take any staff action (see rolesFor). */
  roles: readonly Role[];
  guard?: Guard;
  /** E-mail template (views/emails/<template>/); sent to the applicant unless `notify` says otherwise. */
  template?: string;
  notify?: 'applicant' | 'assignee';
  /** A second e-mail, to the applicant, when `notify` tells the assignee: a receipt of what they sent (views/emails/<receipt>/). */
  receipt?: string;
  /**
   * A second e-mail, to the case's assigned officer, when the applicant is the one `template` tells:
   * what the applicant did (views/emails/<assigneeNotice>/). An applicant's own step: with no officer,
   * the institute's HR office (server/institutes/hr-staff.ts officersToTell). HR's step (an answer
   * recorded from e-mail or post): only the assigned officer, and only when someone else recorded it.
   */
  assigneeNotice?: string;
  /** Deadline the new stage starts, in working days (request_info takes its due date from the form). */
  deadline?: { workingDays: number };
  payload?: z.ZodType<Record<string, unknown>>;
  /**
   * A leader's decision: taken only through decideCase (server/evaluations/case.ts), which checks
   * the panel's scores, takes a reason of the leader's own and shows the candidate's e-mail first.
   * The workflow refuses it as a bare action (the case page's buttons, a hand-made POST).
   */
  decision?: true;
  /**
   * HR's decisions that end or pause a case (reject, put on hold, close): the case page first shows
   * what will happen (the new stage, the applicant's e-mail as it will be sent, what they can do
   * next) and takes the step only once confirmed (routes/cases.ts …/confirm). Routine forward moves
   * stay one click.
   */
  confirm?: true;
}

/**
 * Working-day deadlines per stage; also used when a case resumes from hold. These are the
 * institute's own service targets, not time limits set by law: no instrument we could find
 * (Decree 249/2025/ND-CP sets the selection procedure for experts, not day counts per stage; not
 * confirmed against its full text) fixes them. So the applicant is told them as targets HR works to
 * (application_submitted and screening_started e-mails, the application page), never as a promise.
 */
export const STAGE_DEADLINES: Partial<Record<Stage, number>> = {
  submitted: 5,
  screening: 10,
  evaluation: 15,
  shortlisted: 10,
  // The applicant's answer-by date for an offer (shown on their page and in the offer e-mail). No
  // law sets it: the Civil Code 2015 lets the offeror set the period for a reply (Art. 386 cl. 2,
  // Art. 394, as quoted by secondary sources; not checked against the gazette text) and silence is
  // no acceptance (Art. 393 cl. 2). 10 working days is the institute's own rule; a late answer is
  // still taken (the stage is then overdue for HR to follow up).
  offer: 10,
  // The least: the planned start day when later (server/workflow/index.ts onboardingDue).
  onboarding: 40,
  arrived: 10,
};

/** Working-day deadlines of each support track when it is requested (DESIGN.md §4). */
export const SUPPORT_TRACK_DEADLINES = {
  work_permit: 10,
  residence_card: 5,
  visa: 5,
  housing: 20,
  citizenship: 60,
  // Certificate of exemption from a work permit (S&T experts, Decree 219/2025/ND-CP): see server/procedures/rules.ts.
  work_permit_exemption: 5,
} as const;

const HIDDEN = 'errors.hiddenCharacters';
/** How an answer to the offer reached HR outside the portal (record_acceptance, record_decline). */
export const RECEIVED_VIA = ['email', 'post'] as const;
/** The longest reasons, as the case page's fields allow them. */
export const REJECT_REASON_MAX = 5000;
export const HOLD_REASON_MAX = 2000;
/** What a candidate rejected after the panel is told (a few courteous sentences, shown in their e-mail). */
export const TOLD_REASON_MAX = 2000;
/** The applicant's optional reason for declining an offer (kept as the history note, shown to HR). */
export const DECLINE_REASON_MAX = 2000;
/**
 * The latest review date a hold may be given, in calendar days. No law sets how long an
 * institute may pause its own recruitment case: this is the product's rule (about six months,
 * one budget or project cycle), so that every hold comes back to an officer at least twice a
 * year; a longer wait is a new review date when this one comes (or a rejection, with its reason).
 */
export const HOLD_REVIEW_MAX_DAYS = 180;
const optionalText = (max: number) =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), z.string().trim().max(max).refine(withoutHiddenCharacters, HIDDEN).optional());
// Required means something shows: a reason of zero-width spaces would reach the applicant blank.
const requiredText = (max: number) => z.string({ error: 'required' }).trim().refine(hasVisibleText(), 'required').max(max, 'tooLong').refine(withoutHiddenCharacters, HIDDEN);

const noteOnly = z.object({ note: optionalText(2000) }).loose();

/** Items come as a list or as one text with one item per line (a plain textarea). */
const infoItems = z.preprocess(
  (v) => (typeof v === 'string' ? v.split(/\r?\n/) : v),
  z.array(z.string().trim().max(500, 'tooLong').refine(withoutHiddenCharacters, HIDDEN)).transform((a) => a.filter((s) => s.length > 0)).pipe(z.array(z.string()).min(1, 'required').max(30, 'tooMany')),
);

/**
 * A date from a form ('YYYY-MM-DD', the end of that day in Vietnam), a Date, or an instant as
 * toISOString() writes it (callers in code). Only a day on the calendar becomes a Date: new Date()
 * would roll 2027-02-31 into March and read free text its own way, so anything else typed is
 * 'invalidDate' (not 'required': something was typed).
 */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
function readDate(v: string): Date | string {
  if (isCalendarDay(v)) return new Date(`${v}T16:59:59.999Z`);
  const d = ISO_INSTANT.test(v) && isCalendarDay(v.slice(0, 10)) ? new Date(v) : undefined;
  return d && !Number.isNaN(d.getTime()) && d.toISOString() === v ? d : v;
}
const dateInput = z.preprocess(
  (v) => (v === '' || v === null ? undefined : typeof v === 'string' ? readDate(v) : v),
  z.date({ error: (issue) => (issue.input === undefined ? 'required' : 'invalidDate') }).refine((d) => !Number.isNaN(d.getTime()), 'invalidDate'),
);

// The applicant's reason for declining, optional: a box with nothing that shows (blank, zero-width
// spaces) is no reason, not an error; direction overrides and control characters are refused, as elsewhere.
const optionalReason = (max: number) => z.preprocess((v) => (typeof v === 'string' && !hasVisibleText()(v) ? undefined : v), z.string({ error: 'invalid' }).trim().max(max, 'tooLong').refine(withoutHiddenCharacters, HIDDEN).optional());
const declineReason = optionalReason(DECLINE_REASON_MAX);

/**
 * The papers an information request may give an upload place to: every document type but the signed
 * offer (the offer's own step takes it). The call's checklist ones first on the form (request-info.ts).
 */
export const REQUESTABLE_DOCUMENTS = DOCUMENT_TYPES.filter((d) => d !== 'signed_offer');

/** A leader's decision after the panel: an internal reason, and the words the candidate is told. */
const REASON_AND_WORDS = z.object({ reason: requiredText(REJECT_REASON_MAX), toldReason: requiredText(TOLD_REASON_MAX) });

export const PAYLOADS = {
  // documentType: optional, '' for none; one the form did not offer is 'invalid'.
  request_info: z.object({ items: infoItems, dueAt: dateInput, note: optionalText(2000), documentType: z.preprocess((v) => (v === '' ? undefined : v), z.enum(REQUESTABLE_DOCUMENTS, { error: 'invalid' }).optional()) }),
  // documents: the ids of the files just uploaded with the answer (the route's, never the form's).
  answer_info: z.object({ answer: requiredText(10_000), documents: z.array(z.string().regex(ID_TEXT)).max(10).optional() }),
  decline_offer: z.object({ reason: declineReason }),
  reject: z.object({ reason: requiredText(REJECT_REASON_MAX) }),
  // A leader's rejection after the panel: the reason stays internal; the candidate is told
  // `toldReason`, in words the leader checked on the confirmation page (the e-mail and their page).
  // The same two for a leader withdrawing an offer not yet answered, and taking back a rejection after
  // the panel (walk s37 #2, #3): the reason internal (the history note), the words checked on the confirmation page.
  rejectAfterPanel: REASON_AND_WORDS,
  withdrawOffer: REASON_AND_WORDS,
  reconsider: REASON_AND_WORDS,
  // Every decision has a reason: the applicant is told why their case waits (the e-mail and their page).
  // ...and the day HR will look at it again: the on-hold stage's deadline (the queue shows it, and its passing).
  put_on_hold: z.object({ reason: requiredText(HOLD_REASON_MAX), reviewBy: dateInput }),
  // A leader's hold from the panel's stages: the reason is internal (the history note), never the candidate's.
  // With the words the candidate is told instead (the confirmation page asks them, walk s34); optional here for callers
  // that decide without a page (the seed), which tell the hold and its review date only.
  holdAfterPanel: z.object({ note: requiredText(HOLD_REASON_MAX), reviewBy: dateInput, toldReason: optionalReason(TOLD_REASON_MAX) }),
  // Resuming needs no reason (the hold's reason said why it waited); HR may add a note for the
  // applicant, shown in their e-mail and on their page. Blank is no note, as a decline's reason.
  resume: z.object({ reason: optionalReason(HOLD_REASON_MAX) }),
  // A later answer date for an open request (server/cases/request-info.ts: not a change of stage), and why.
  extend_info: z.object({ dueAt: dateInput, reason: requiredText(HOLD_REASON_MAX) }),
  // The applicant answered outside the portal (e-mail, post, in person): HR says how, in its own words.
  answered_outside: z.object({ reason: requiredText(HOLD_REASON_MAX) }),
  // An acceptance sent by e-mail or post: how it came, the day it was received, and a note of it.
  record_acceptance: z.object({
    receivedVia: z.enum(RECEIVED_VIA, { error: 'required' }),
    receivedOn: dateInput,
    reason: requiredText(HOLD_REASON_MAX),
  }),
  // A decline sent by e-mail or post: how it came, the day it was received, HR's note of it, and the
  // applicant's own reason when they gave one (kept where the portal's decline keeps it: the history note).
  record_decline: z.object({
    receivedVia: z.enum(RECEIVED_VIA, { error: 'required' }),
    receivedOn: dateInput,
    note: requiredText(HOLD_REASON_MAX),
    reason: declineReason,
  }),
  // The day the expert arrived and started work, as HR learns it: always given, never assumed to be
  // today (a prefilled today was confirmed without reading, and the browser showed it as 12/05/2026).
  mark_arrived: z.object({ arrivedOn: dateInput }),
  note: noteOnly,
};

/**
 * Submit needs a complete application: every required profile field, every eligibility criterion
 * of the track answered, dependants when family support is asked for, the required application
 * documents uploaded, and the call still open. One source for that list: the applications
 * module, whose review page shows the same parts with links to fix them.
 */
const applicationComplete: Guard = async ({ caseDoc, call, now, locale }) => {
  const parts = await applicationMissingParts(caseDoc, call, locale, now);
  if (parts.length === 0) return undefined;
  const out: GuardFailures = {};
  for (const p of parts) {
    const field = p.step === 'documents' ? `documents.${String(p.params?.type ?? '')}` : p.field ? `${p.step}.${p.field}` : p.step;
    out[field] = { key: p.key, params: p.params };
  }
  return out;
};

/** Codes named in the actor's language, for a guard's message ('Curriculum vitae, Passport'). */
function named(locale: string, prefix: string, codes: readonly string[]): string {
  const t = translator(isLocale(locale) ? locale : DEFAULT_LOCALE);
  return codes.map((c) => t(`${prefix}.${c}`)).join(', ');
}

const requiredApplicationDocuments: Guard = async ({ caseDoc, call, now, locale, documents }) => {
  if (!call) return undefined;
  const open = await requiredDocumentsNotAccepted(caseDoc, call, 'application', now, documents);
  if (open.length === 0) return undefined;
  // Named, so the officer knows which to check (the checklist is further down the page).
  return { documents: { key: 'workflow.missing.documents', params: { list: named(locale, 'documents.types', open) } } };
};

/** A case is closed once no procedure is under way: none requested, in preparation or lodged and undecided. */
const proceduresSettled: Guard = async ({ caseDoc, locale }) => {
  const open = (caseDoc.supportTracks ?? []).filter((s) => (ACTIVE_SUPPORT_STATUSES as readonly string[]).includes(s.status));
  if (open.length === 0) return undefined;
  return { support: { key: 'workflow.missing.procedures', params: { list: named(locale, 'procedures.kinds', open.map((s) => s.kind)) } } };
};

/**
 * Arrival is the start of work in Vietnam: a visa to enter (Law 47/2014/QH13 Art. 10, when the case
 * needs one) and the right to work, a work permit or its exemption certificate (Labour Code 2019
 * Art. 151(1)(d), 154: Art. 151 is the foreign worker's conditions and Art. 154 the exemptions, as
 * quoted by pinklaw.vn and esos.vn; not verified against the gazette text: the point (d) itself),
 * must be granted first. Only procedures the case holds count (a Vietnamese
 * citizen or a visa-exempt expert has none to wait for).
 */
const entryProceduresGranted: Guard = async ({ caseDoc, locale }) => {
  const status = (k: string) => (caseDoc.supportTracks ?? []).find((s) => s.kind === k)?.status ?? 'not_needed';
  const missing: string[] = [];
  const work = (['work_permit', 'work_permit_exemption'] as const).filter((k) => status(k) !== 'not_needed');
  if (work.length > 0 && !work.some((k) => status(k) === 'approved')) missing.push(...work);
  // A Vietnamese citizen's visa procedure is their foreign family's TT visas (they need none): the
  // family may follow, the applicant's own arrival does not wait for it.
  if (!vietnameseCitizen(caseDoc) && status('visa') !== 'not_needed' && status('visa') !== 'approved') missing.push('visa');
  if (missing.length === 0) return undefined;
  return { support: { key: 'workflow.missing.entry', params: { list: named(locale, 'procedures.kinds', missing) } } };
};

/**
 * An offer says what is accepted: HR's summary of its terms (the position at least) and the letter
 * itself (server/cases/offer-terms.ts), the paper the applicant signs and sends back. The leader's
 * approval may come before HR has attached them (the letter is often drafted once the offer is
 * decided), so the applicant is asked to accept only once both are on their page: the contract they
 * sign must state the job and workplace, its term and the salary (Labour Code 2019 Art. 21(1)(c), (d),
 * (đ), as quoted by a bilingual copy of the code; not checked against the gazette text), and an
 * acceptance given before they could read them would be of nothing. Declining needs neither.
 */
export function offerReady(c: { offerTerms?: { position?: string | null; letter?: unknown } | null }): boolean {
  return !!(c.offerTerms?.position && c.offerTerms.letter);
}

const offerTermsAttached: Guard = async ({ caseDoc }) => (offerReady(caseDoc) ? undefined : { offer: 'workflow.missing.offerTerms' });

/**
 * How long after a rejection after the panel a leader may reconsider it, in calendar days. No law sets
 * it (the institute's own recruitment decision): the product's choice, a month, long enough to correct
 * a mistake or take up a candidate when the one chosen declines, short enough that a rejected candidate
 * is not left in doubt; and less than the default retention (RETENTION_DAYS, 365) before their data goes.
 */
export const RECONSIDER_DAYS = 30;

/**
 * The case's rejection that a leader may reconsider: still rejected, by the leader's decision row
 * (from evaluation or shortlisted: HR's rejection at screening is another row, never
 * reconsidered here), taken at most RECONSIDER_DAYS before `now`. Undefined otherwise.
 */
export function reconsiderableRejection(c: { stage?: unknown; history?: ReadonlyArray<{ action?: string | null; from?: string | null; at?: Date | null }> | null }, now: Date): { at: Date; until: Date } | undefined {
  if (c.stage !== 'rejected') return undefined;
  const rejection = c.history?.findLast((h) => h.action === 'reject');
  if (!rejection?.at || (rejection.from !== 'evaluation' && rejection.from !== 'shortlisted')) return undefined;
  const until = new Date(rejection.at.getTime() + RECONSIDER_DAYS * 86_400_000);
  return now.getTime() <= until.getTime() ? { at: rejection.at, until } : undefined;
}

const rejectedAfterPanelRecently: Guard = async ({ caseDoc, now }) => (reconsiderableRejection(caseDoc, now) ? undefined : { action: { key: 'workflow.missing.reconsider', params: { days: RECONSIDER_DAYS } } });

const HR: Role[] = ['hr_officer'];
const LEADER: Role[] = ['leader'];
const APPLICANT: Role[] = ['applicant'];

export const TRANSITIONS: readonly Transition[] = [
  { action: 'submit', from: ['draft'], to: 'submitted', roles: APPLICANT, guard: applicationComplete, template: 'application_submitted', deadline: { workingDays: STAGE_DEADLINES.submitted! } },
  { action: 'start_screening', from: ['submitted'], to: 'screening', roles: HR, template: 'screening_started', deadline: { workingDays: STAGE_DEADLINES.screening! } },
  { action: 'request_info', from: ['screening'], to: 'awaiting_applicant', roles: HR, template: 'info_requested', payload: PAYLOADS.request_info },
  { action: 'answer_info', from: ['awaiting_applicant'], to: 'screening', roles: APPLICANT, template: 'info_answered', notify: 'assignee', receipt: 'info_answer_received', deadline: { workingDays: STAGE_DEADLINES.screening! }, payload: PAYLOADS.answer_info },
  // The applicant answered by e-mail or post: HR ends the request with a note of it, back to screening.
  { action: 'answered_outside', from: ['awaiting_applicant'], to: 'screening', roles: HR, template: 'info_answered_outside', deadline: { workingDays: STAGE_DEADLINES.screening! }, payload: PAYLOADS.answered_outside },
  { action: 'send_to_evaluation', from: ['screening'], to: 'evaluation', roles: HR, guard: requiredApplicationDocuments, template: 'sent_to_evaluation', deadline: { workingDays: STAGE_DEADLINES.evaluation! } },
  { action: 'shortlist', from: ['evaluation'], to: 'shortlisted', roles: LEADER, template: 'shortlisted', deadline: { workingDays: STAGE_DEADLINES.shortlisted! }, decision: true },
  { action: 'approve_offer', from: ['shortlisted'], to: 'offer', roles: LEADER, template: 'offer_made', deadline: { workingDays: STAGE_DEADLINES.offer! }, decision: true },
  // Also while waiting for the applicant: a request left unanswered past its date must not be a dead end.
  { action: 'reject', from: ['screening', 'awaiting_applicant'], to: 'rejected', roles: HR, template: 'rejected', payload: PAYLOADS.reject, confirm: true },
  { action: 'reject', from: ['evaluation', 'shortlisted'], to: 'rejected', roles: LEADER, template: 'rejected', payload: PAYLOADS.rejectAfterPanel, decision: true },
  { action: 'accept_offer', from: ['offer'], to: 'onboarding', roles: APPLICANT, guard: offerTermsAttached, template: 'offer_accepted', assigneeNotice: 'offer_answered', deadline: { workingDays: STAGE_DEADLINES.onboarding! } },
  // The applicant accepted by e-mail or post: HR records it (how, the day received) and the same e-mail goes out.
  { action: 'record_acceptance', from: ['offer'], to: 'onboarding', roles: HR, guard: offerTermsAttached, template: 'offer_accepted', assigneeNotice: 'offer_answered', deadline: { workingDays: STAGE_DEADLINES.onboarding! }, payload: PAYLOADS.record_acceptance },
  { action: 'decline_offer', from: ['offer'], to: 'withdrawn', roles: APPLICANT, template: 'offer_declined', assigneeNotice: 'offer_answered', payload: PAYLOADS.decline_offer },
  // The applicant declined by e-mail or post: HR records it (how, the day received, their reason) and the
  // portal decline's e-mail confirms it to them. It ends the case, so it is confirmed first, as HR's other endings.
  { action: 'record_decline', from: ['offer'], to: 'withdrawn', roles: HR, template: 'offer_declined', assigneeNotice: 'offer_answered', payload: PAYLOADS.record_decline, confirm: true },
  // A leader withdraws the offer while the applicant has not answered it (walk s37 #2): the case ends as
  // withdrawn, as when the applicant declines (decline_offer, record_decline): a terminal stage has no
  // deadline and its procedures are no longer worked (models/case-deadline.ts, procedures' `stopped`).
  // Leaders as approve_offer's; a decision, so only through the shortlist's confirmation step.
  { action: 'withdraw_offer', from: ['offer'], to: 'withdrawn', roles: LEADER, template: 'offer_withdrawn', payload: PAYLOADS.withdrawOffer, decision: true },
  // A leader takes back their institute's rejection after the panel (walk s37 #3): back on the shortlist
  // with the stage's fresh deadline, only for the decision row's rejection and within RECONSIDER_DAYS.
  { action: 'reconsider', from: ['rejected'], to: 'shortlisted', roles: LEADER, guard: rejectedAfterPanelRecently, template: 'rejection_reconsidered', deadline: { workingDays: STAGE_DEADLINES.shortlisted! }, payload: PAYLOADS.reconsider, decision: true },
  { action: 'mark_arrived', from: ['onboarding'], to: 'arrived', roles: HR, template: 'arrived', guard: entryProceduresGranted, deadline: { workingDays: STAGE_DEADLINES.arrived! }, payload: PAYLOADS.mark_arrived },
  { action: 'close', from: ['arrived'], to: 'closed', roles: HR, template: 'closed', guard: proceduresSettled, confirm: true },
  { action: 'put_on_hold', from: OPEN_STAGES.filter((s) => s !== 'draft' && s !== 'on_hold'), to: 'on_hold', roles: HR, template: 'on_hold', payload: PAYLOADS.put_on_hold, confirm: true },
  // A leader holds a candidate from the panel's stages (e.g. the budget line is not confirmed yet), with
  // an internal reason and the day HR reviews it (walk32 #2; DESIGN.md §4: on_hold "reachable where it
  // makes sense"). After HR's row, which HR's pages find first; the workflow's guard picks the
  // decision row for a decision (server/workflow/index.ts guard). HR resumes it as any hold.
  { action: 'put_on_hold', from: ['evaluation', 'shortlisted'], to: 'on_hold', roles: LEADER, template: 'on_hold', payload: PAYLOADS.holdAfterPanel, decision: true },
  { action: 'resume', from: ['on_hold'], to: 'resume', roles: HR, template: 'resumed', payload: PAYLOADS.resume },
  { action: 'withdraw', from: OPEN_STAGES, to: 'withdrawn', roles: APPLICANT, template: 'withdrawn' },
];

/** Roles allowed to take a row: administrators may take every staff action. */
export function rolesFor(t: Transition): readonly Role[] {
  return t.roles.some((r) => r === 'hr_officer' || r === 'leader') ? [...t.roles, 'admin'] : t.roles;
}

/** The row for an action from a stage, if the table has one. */
export function findTransition(action: Action, from: Stage): Transition | undefined {
  return TRANSITIONS.find((t) => t.action === action && t.from.includes(from));
}

/** Whether `action` from `stage` is taken only after its confirmation page (Transition.confirm). */
export function needsConfirmation(action: Action, stage: string): boolean {
  return !!findTransition(action, stage as Stage)?.confirm;
}

/** Whether `action` has a confirmation page at some stage: its confirming POST is the step's (its stage and version are the workflow's to check). */
export function isConfirmedAction(action: Action): boolean {
  return TRANSITIONS.some((t) => t.action === action && t.confirm);
}

/** Every e-mail template the table can send (each needs vi/en subject, text and html files). */
export const WORKFLOW_TEMPLATES: readonly string[] = [...new Set(TRANSITIONS.flatMap((t) => [t.template, t.receipt, t.assigneeNotice]).filter((t): t is string => !!t))];
