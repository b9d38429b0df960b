// "What happens next" on the staff's case page: for each stage, who acts next (the applicant, HR, the
// panel, the leader), by when (the stage's date, with working days left on the holiday calendar), and
// a link to where it is done. One table keyed by stage; the texts in locales/*/cases.json (nextStep).
import type { TFunction } from 'i18next';
import type { Stage } from '../../models/constants.ts';
import type { WorkingCalendar } from '../calendar/index.ts';
import { deadlineLeft } from '../procedures/service.ts';
import { formatDay } from '../views/time.ts';
import { offerReady } from '../workflow/transitions.ts';
import type { SignedOfferOwed } from '../documents/index.ts';
import { nextDeadline, reasonsOwed, type DeadlineSource, type NextDeadline } from '../../models/case-deadline.ts';

type Who = 'applicant' | 'hr' | 'panel' | 'leader' | 'nobody';
/** Where the step is done: a part of this page, or the call's shortlist (the panel's and the leader's page). */
type Where = '#actions' | '#documents' | '#info-request' | '#record-acceptance' | '#offer-terms' | '#support' | 'shortlist';

interface NextStepRow {
  who: Who;
  /**
   * Which date the step is due by: the stage's deadline, the information request's own date, or the
   * case's next deadline (models/case-deadline.ts nextDeadline, the date the queue sorts and shows:
   * the stage's, a procedure's, a refusal's written reasons), said with what it is for.
   */
  due?: 'stage' | 'request' | 'case';
  /** Say since when the case has been where it is (a hold, an ended case). */
  since?: true;
  where?: Where;
}

export const NEXT_STEPS: Readonly<Record<Stage, NextStepRow>> = {
  draft: { who: 'applicant' },
  submitted: { who: 'hr', due: 'stage', where: '#actions' },
  screening: { who: 'hr', due: 'stage', where: '#documents' },
  awaiting_applicant: { who: 'applicant', due: 'request', where: '#info-request' },
  evaluation: { who: 'panel', due: 'stage', where: 'shortlist' },
  shortlisted: { who: 'leader', due: 'stage', where: 'shortlist' },
  offer: { who: 'applicant', due: 'stage', where: '#record-acceptance' },
  onboarding: { who: 'hr', due: 'case', where: '#support' },
  arrived: { who: 'hr', due: 'case', where: '#support' },
  closed: { who: 'nobody', since: true },
  rejected: { who: 'nobody', since: true },
  withdrawn: { who: 'nobody', since: true },
  // Due by its review date when the hold has one (older holds have none).
  on_hold: { who: 'hr', since: true, due: 'stage', where: '#actions' },
};

/**
 * An offer made before HR attached its terms and letter: HR attaches them first, by the stage's date
 * (the applicant cannot accept it until then: offerReady, server/workflow/transitions.ts).
 */
const OFFER_PENDING: NextStepRow = { who: 'hr', due: 'stage', where: '#offer-terms' };

/** Where HR's line names a signed offer not yet accepted: once the offer is accepted. */
const SIGNED_OFFER_STAGES: ReadonlySet<string> = new Set<Stage>(['onboarding', 'arrived']);

/**
 * The day by which HR acts next, for the applicant's page: where this table has HR acting by the
 * stage's date (submitted, screening, screening again after an answer, a hold's review date). The
 * same rows as the staff's line, so both pages name the same date.
 */
export function hrDueForApplicant(c: { stage: string; stageDueAt?: Date | null }): Date | undefined {
  const row = NEXT_STEPS[c.stage as Stage];
  return row?.who === 'hr' && row.due === 'stage' && c.stageDueAt ? c.stageDueAt : undefined;
}

export interface NextStepCase {
  _id: unknown;
  stage: string;
  call?: unknown;
  stageDueAt?: Date | null;
  stageEnteredAt?: Date | null;
  resumeStage?: string | null;
  infoRequest?: { dueAt?: Date | null; answeredAt?: Date | null } | null;
  supportTracks?: DeadlineSource['supportTracks'];
  offerTerms?: { position?: string | null; letter?: unknown } | null;
}

export interface NextStepView {
  who: string;
  text: string;
  overdue: boolean;
  href?: string;
  linkLabel?: string;
}

/**
 * The line for the case's stage. `here`: the parts of the page the viewer can use (a link to a form
 * they do not have is left out, the line still says who acts).
 */
export function nextStep(
  t: TFunction,
  locale: string,
  calendar: WorkingCalendar,
  now: Date,
  c: NextStepCase,
  here: { recordAcceptance: boolean; offerTerms?: boolean; signedOffer?: SignedOfferOwed },
): NextStepView | undefined {
  const pending = c.stage === 'offer' && !offerReady(c);
  const row = pending ? OFFER_PENDING : NEXT_STEPS[c.stage as Stage];
  if (!row) return undefined;
  const next = row.due === 'case' ? nextDeadline(c) : undefined;
  const dueAt = row.due === 'request' ? (c.infoRequest?.dueAt ?? c.stageDueAt) : row.due === 'stage' ? c.stageDueAt : next?.at;
  const left = dueAt ? deadlineLeft(t, calendar, now, dueAt) : undefined;
  const refused = row.due === 'case' ? refusedLine(t, c, next) : undefined;
  // A hold with a review date says when HR looks at it again (the date follows); an older one has none.
  const line = c.stage === 'on_hold' && dueAt ? 'on_holdReview' : pending ? 'offerPending' : c.stage;
  const what =
    refused?.text ??
    t(`cases.nextStep.lines.${line}`, {
      since: c.stageEnteredAt ? formatDay(c.stageEnteredAt, locale) : '',
      resumeStage: t(`cases.stages.${c.resumeStage ?? 'screening'}`),
    });
  // The date belongs to the line's own step (the stage's; the refusal's written reasons it names),
  // or it is another deadline of the case, named: "; next deadline: Visa by …".
  const own = !next || next.for === 'stage' ? !refused : refused?.datesIt === true;
  const dateText = left ? { date: formatDay(left.date, locale), left: left.text } : undefined;
  const by = !dateText ? '' : own ? ` ${t('cases.nextStep.by', dateText)}` : next?.for === 'stage' ? t('cases.nextStep.nextStage', dateText) : t('cases.nextStep.next', { ...dateText, what: deadlineFor(t, next!) });
  // After the acceptance, the signed offer or contract the call asks back comes first while it is not accepted (walk 26 #3).
  const signed = SIGNED_OFFER_STAGES.has(c.stage) && here.signedOffer ? t(`cases.nextStep.signedOffer.${here.signedOffer === 'missing' || here.signedOffer === 'uploaded' ? here.signedOffer : 'resend'}`) : undefined;
  const rowWhere = signed ? '#documents' : row.where;
  const where = (rowWhere === '#record-acceptance' && !here.recordAcceptance) || (rowWhere === '#offer-terms' && here.offerTerms === false) ? undefined : rowWhere;
  const href = where === 'shortlist' ? (c.call ? `/shortlists/${String(c.call)}` : undefined) : where;
  return {
    who: t(`cases.nextStep.who.${row.who}`),
    text: `${signed ? `${signed} ` : ''}${what}${by}.`,
    overdue: !!left?.overdue,
    ...(href ? { href, linkLabel: t(`cases.nextStep.where.${where === 'shortlist' ? 'shortlist' : where!.slice(1)}`) } : {}),
  };
}

/** What a deadline of the case is for, as the queue's row says it ("Work permit: written reasons of the refusal"). */
function deadlineFor(t: TFunction, due: NextDeadline): string {
  const kind = t(`cases.supportKinds.${due.for}`, { defaultValue: due.for });
  return due.what === 'reasons' ? t('queue.reasonsDue', { kind }) : kind;
}

/**
 * A refused procedure is HR's next step, as the queue's row has it: while the written reasons the
 * authority did not give with its refusal are owed, HR chases and records them (by the decision
 * deadline they were due with, where one was counted); otherwise HR decides what next: file again or
 * mark it not needed (models/case-deadline.ts reasonsOwed, the queue's "decide what next" badge).
 * `datesIt`: the case's next deadline is these reasons, so the line's date is theirs.
 */
function refusedLine(t: TFunction, c: NextStepCase, next: NextDeadline | null | undefined): { text: string; datesIt: boolean } | undefined {
  const refused = (c.supportTracks ?? []).filter((s) => s.status === 'refused');
  if (!refused.length) return undefined;
  const names = (list: typeof refused) => list.map((s) => t(`cases.supportKinds.${s.kind}`, { defaultValue: s.kind })).join(', ');
  const owed = refused.filter((s) => reasonsOwed(s));
  if (owed.length) return { text: t('cases.nextStep.refused.reasons', { kinds: names(owed) }), datesIt: next?.what === 'reasons' && owed.some((s) => s.kind === next.for) };
  return { text: t('cases.nextStep.refused.decide', { kinds: names(refused) }), datesIt: false };
}

/** The open request's date as the page shows it: "3 working days left", "2 working days overdue". */
export function requestLeft(t: TFunction, calendar: WorkingCalendar, now: Date, c: NextStepCase): { text: string; overdue: boolean } | undefined {
  const due = c.infoRequest?.dueAt;
  if (!due || c.infoRequest?.answeredAt || c.stage !== 'awaiting_applicant') return undefined;
  const left = deadlineLeft(t, calendar, now, due);
  return { text: left.text, overdue: left.overdue };
}
