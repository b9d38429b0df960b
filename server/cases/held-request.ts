// HR's request for information when the case is put on hold while the applicant owes the answer:
// the applicant cannot answer a held case (answer_info is a step of awaiting_applicant only, and
// their page shows no answer form then), so the request waits with it and the working days left at
// the hold are given back when it resumes (server/workflow/index.ts resume). Read by the workflow,
// the hold e-mail and the applicant's page.
import type { TFunction } from 'i18next';
import { countedDeadline, type WorkingCalendar } from '../calendar/index.ts';
import type { Locale } from '../i18n/index.ts';
import { formatDay } from '../views/time.ts';

interface HeldCase {
  infoRequest?: { dueAt?: Date | null } | null;
  history?: ReadonlyArray<{ action?: string | null; at?: Date | null; heldLeft?: number | null }> | null;
}

/** The case's last hold event (the one a resume ends). */
function lastHold(c: HeldCase) {
  return [...(c.history ?? [])].reverse().find((e) => e.action === 'put_on_hold');
}

/**
 * The working days the stage's clock had left at the hold, signed (negative: overdue by that many),
 * as the hold's event recorded it (walk s34: a hold pauses the clock, it does not reset it).
 * Undefined for a hold recorded before it was kept, or a stage with no deadline.
 */
export function stageDaysLeftAtHold(c: HeldCase): number | undefined {
  const left = lastHold(c)?.heldLeft;
  return typeof left === 'number' && Number.isInteger(left) ? left : undefined;
}

/** Working days from `at` to `due`, signed as deadlineLeft reads them: overdue is at least 1 late. */
export function signedDaysLeft(due: Date, at: Date, calendar: WorkingCalendar): number {
  const n = calendar.workingDaysBetween(at, due);
  return due.getTime() < at.getTime() ? Math.min(-1, n) : n;
}

/**
 * The working days the applicant had left to answer when the case was put on hold: working days
 * after the day of the hold up to the request's date (0 when already due or past). Undefined without
 * a request, or without the hold's event (a hold stored before they were recorded).
 */
export function answerDaysLeftAtHold(c: HeldCase, calendar: WorkingCalendar): number | undefined {
  const due = c.infoRequest?.dueAt;
  const held = lastHold(c)?.at;
  if (!due || !held) return undefined;
  return answerDaysLeft(due, held, calendar);
}

/** Working days after `at` up to the request's date `due` (0 when already due or past): what a hold keeps for the applicant. */
export function answerDaysLeft(due: Date, at: Date, calendar: WorkingCalendar): number {
  return Math.max(0, calendar.workingDaysBetween(at, due));
}

/**
 * The request's answer date when the case resumes: held for three weeks with 8 working days left,
 * the applicant came back overdue for days they could do nothing about (walk family-s32). The
 * working days they had left at the hold count again from today, never before the request's own
 * date; already late when held, late by the same working days again (walk s34: the hold paused the
 * clock, it neither reset it nor let it run). No hold recorded: the request's date stays.
 */
export function resumedAnswerDue(c: HeldCase, now: Date, calendar: WorkingCalendar): Date | undefined {
  const due = c.infoRequest?.dueAt ?? undefined;
  const held = lastHold(c)?.at;
  if (!due || !held) return due;
  const given = countedDeadline(calendar, { from: now, workingDays: signedDaysLeft(due, held, calendar) });
  return given.getTime() > due.getTime() ? given : due;
}

/** The applicant's line for a held request: it waits with the case, and the working days they will have to answer once it resumes. */
export function requestPausedText(t: TFunction, due: Date, left: number, locale: Locale): string {
  return left > 0 ? t('workflow.onHold.requestPaused', { date: formatDay(due, locale), count: left }) : t('workflow.onHold.requestPausedDue', { date: formatDay(due, locale) });
}
