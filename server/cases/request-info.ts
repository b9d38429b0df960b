// The information request form of the case page: whether it is open now, and the due date it offers.
import type { Context } from '../context.ts';
import type { CaseDoc } from '../../models/case.ts';
import { availableActions } from '../workflow/index.ts';
import { loadCalendar, vnDateKey } from '../calendar/index.ts';
import { User } from '../../models/user.ts';

/** Working days the applicant is given to answer, unless HR chooses another date. */
export const INFO_REQUEST_DAYS = 10;

export function canRequestInfo({ ctx, caseDoc }: { ctx: Context; caseDoc: CaseDoc }): boolean {
  return availableActions(caseDoc, ctx.actor).includes('request_info');
}

/** The default answer-by date ('YYYY-MM-DD' in Vietnam), INFO_REQUEST_DAYS working days from now. */
export async function defaultInfoDue({ ctx }: { ctx: Context }): Promise<string> {
  return vnDateKey((await loadCalendar()).addWorkingDays(ctx.now, INFO_REQUEST_DAYS));
}

/** The language the applicant reads their e-mails in (their account's; Vietnamese by default): the items are sent in it as typed. */
export async function applicantLocale({ caseDoc }: { caseDoc: Pick<CaseDoc, 'applicant'> }): Promise<'en' | 'vi'> {
  const applicant = await User.findById(caseDoc.applicant, { locale: 1 }).lean();
  return applicant?.locale === 'en' ? 'en' : 'vi';
}
