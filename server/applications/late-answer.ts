// An answer to the offer after its answer-by date: taken all the same (the institute decides what a
// late answer means), but marked, so that HR and the leaders see it was late and by how much. The
// answer-by date is the offer stage's own deadline (10 working days, the institute's rule:
// server/workflow/transitions.ts STAGE_DEADLINES.offer, not a legal one); "late by" is counted with
// the same working calendar as every deadline (server/calendar).
import type { TFunction } from 'i18next';
import type { WorkingCalendar } from '../calendar/index.ts';
import { formatDay } from '../views/time.ts';

export interface LateAnswer {
  dueAt: Date;
  /** Working days after the answer-by date's day (0: on a weekend or holiday right after it). */
  workingDays: number;
}

/** The lateness of an answer given `now` to an offer due `dueAt`, or undefined when it was in time. */
export function lateAnswer(calendar: WorkingCalendar, dueAt: Date | null | undefined, now: Date): LateAnswer | undefined {
  if (!(dueAt instanceof Date) || now.getTime() <= dueAt.getTime()) return undefined;
  return { dueAt, workingDays: Math.max(0, calendar.workingDaysBetween(dueAt, now)) };
}

/** "answered 2 working days after the answer-by date (21 Dec 2026)" in the reader's language. */
export function lateAnswerText(t: TFunction, locale: string, late: { dueAt?: Date | null; workingDays?: number | null }): string {
  const date = formatDay(late.dueAt, locale);
  const count = late.workingDays ?? 0;
  return count > 0 ? t('cases.offerAnswer.late', { count, date }) : t('cases.offerAnswer.lateDayOff', { date });
}
