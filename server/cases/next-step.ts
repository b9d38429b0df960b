// "What happens next" on the staff's case page: for each stage, who acts next (the applicant, HR, the
// panel, the leader), by when (the stage's date, with working days left on the holiday calendar), and
// a link to where it is done. One table keyed by stage; the texts in locales/*/cases.json (nextStep).
import type { TFunction } from 'i18next';
import type { Stage } from '../../models/constants.ts';
import type { WorkingCalendar } from '../calendar/index.ts';
import { deadlineLeft } from '../procedures/service.ts';
import { formatDay } from '../views/time.ts';

type Who = 'applicant' | 'hr' | 'panel' | 'leader' | 'nobody';
/** Where the step is done: a part of this page, or the call's shortlist (the panel's and the leader's page). */
type Where = '#actions' | '#documents' | '#info-request' | '#record-acceptance' | '#support' | 'shortlist';

interface NextStepRow {
  who: Who;
  /** Which date the step is due by: the stage's deadline, or the information request's own date. */
  due?: 'stage' | 'request';
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
  onboarding: { who: 'hr', due: 'stage', where: '#support' },
  arrived: { who: 'hr', due: 'stage', where: '#support' },
  closed: { who: 'nobody', since: true },
  rejected: { who: 'nobody', since: true },
  withdrawn: { who: 'nobody', since: true },
  // Due by its review date when the hold has one (older holds have none).
  on_hold: { who: 'hr', since: true, due: 'stage', where: '#actions' },
};

export interface NextStepCase {
  _id: unknown;
  stage: string;
  call?: unknown;
  stageDueAt?: Date | null;
  stageEnteredAt?: Date | null;
  resumeStage?: string | null;
  infoRequest?: { dueAt?: Date | null; answeredAt?: Date | null } | null;
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
export function nextStep(t: TFunction, locale: string, calendar: WorkingCalendar, now: Date, c: NextStepCase, here: { recordAcceptance: boolean }): NextStepView | undefined {
  const row = NEXT_STEPS[c.stage as Stage];
  if (!row) return undefined;
  const dueAt = row.due === 'request' ? (c.infoRequest?.dueAt ?? c.stageDueAt) : row.due === 'stage' ? c.stageDueAt : undefined;
  const left = dueAt ? deadlineLeft(t, calendar, now, dueAt) : undefined;
  // A hold with a review date says when HR looks at it again (the date follows); an older one has none.
  const line = c.stage === 'on_hold' && dueAt ? 'on_holdReview' : c.stage;
  const what = t(`cases.nextStep.lines.${line}`, {
    since: c.stageEnteredAt ? formatDay(c.stageEnteredAt, locale) : '',
    resumeStage: t(`cases.stages.${c.resumeStage ?? 'screening'}`),
  });
  const by = left ? ` ${t('cases.nextStep.by', { date: formatDay(left.date, locale), left: left.text })}` : '';
  const where = row.where === '#record-acceptance' && !here.recordAcceptance ? undefined : row.where;
  const href = where === 'shortlist' ? (c.call ? `/shortlists/${String(c.call)}` : undefined) : where;
  return {
    who: t(`cases.nextStep.who.${row.who}`),
    text: `${what}${by}.`,
    overdue: !!left?.overdue,
    ...(href ? { href, linkLabel: t(`cases.nextStep.where.${where === 'shortlist' ? 'shortlist' : where!.slice(1)}`) } : {}),
  };
}

/** The open request's date as the page shows it: "3 working days left", "2 working days overdue". */
export function requestLeft(t: TFunction, calendar: WorkingCalendar, now: Date, c: NextStepCase): { text: string; overdue: boolean } | undefined {
  const due = c.infoRequest?.dueAt;
  if (!due || c.infoRequest?.answeredAt || c.stage !== 'awaiting_applicant') return undefined;
  const left = deadlineLeft(t, calendar, now, due);
  return { text: left.text, overdue: left.overdue };
}
