// Who in an institute's HR office is told of a case when no officer is assigned (or besides the
// assignee): its HR leads, else (none named) its HR officers; enabled accounts only. And who hears
// of what an applicant did or wrote (officersToTell): the case's officer, else those.
import type { Types } from 'mongoose';
import { User } from '../../models/user.ts';
import { caseEmail, outboxKey, type OutboxItem } from '../outbox/item.ts';

export interface HrRecipient {
  _id: Types.ObjectId;
  email: string;
  name: string;
  locale?: string | null;
}

/** At most 50 officers when no lead is named: a notice, not a mailing list. */
const MAX_OFFICERS = 50;

export async function hrLeadsElseOfficers(institute: Types.ObjectId | null | undefined): Promise<HrRecipient[]> {
  // No institute: nobody. `{ institute: null }` would match every officer not placed in one, who
  // would then read another institute's case (a case always has one; this keeps it so if not).
  if (!institute) return [];
  const staff = { role: 'hr_officer' as const, institute, disabledAt: null };
  const fields = { email: 1, name: 1, locale: 1 };
  const leads = await User.find({ ...staff, isHrLead: true }, fields).sort({ _id: 1 }).lean<HrRecipient[]>();
  return leads.length > 0 ? leads : User.find(staff, fields).sort({ _id: 1 }).limit(MAX_OFFICERS).lean<HrRecipient[]>();
}

/**
 * Who hears of what the applicant did or wrote (an answer to an offer or to a request, a message):
 * the case's officer; with none (or one disabled, or no longer an HR officer of its institute), the institute's HR lead(s), as the overdue digest
 * does (server/reminders); with no lead, its HR officers (at most MAX_OFFICERS), so nothing an
 * applicant sends goes unseen by HR. `fallback`: they were not the case's officer (each e-mail's key
 * then names its recipient, and the e-mail says no officer has the case).
 */
export async function officersToTell(caseDoc: { assignee?: Types.ObjectId | null; institute?: Types.ObjectId | null }): Promise<{ officers: HrRecipient[]; fallback: boolean }> {
  // Still an enabled HR officer of the case's institute (commands.ts assignableOfficer): one moved to
  // another institute or role keeps the case until it is returned to the queue (a second write after
  // the change, or the repair job: server/cases/stranded.ts), and must not read the applicant's words meanwhile.
  const assignee =
    caseDoc.assignee && caseDoc.institute ? await User.findOne({ _id: caseDoc.assignee, role: 'hr_officer', institute: caseDoc.institute, disabledAt: null }, { name: 1, email: 1, locale: 1 }).lean<HrRecipient>() : null;
  if (assignee?.email) return { officers: [assignee], fallback: false };
  return { officers: await hrLeadsElseOfficers(caseDoc.institute), fallback: true };
}

/**
 * One e-mail per HR reader that officersToTell (or a caller's like it) chose. The case's officer
 * gets the key `keyParts` make; a fallback reader's key names them too, so each is its own message
 * (one Message-ID per reader), and their e-mail says no officer has the case (`unassigned`).
 */
export function emailsToHr(told: { officers: readonly HrRecipient[]; fallback: boolean }, template: string, keyParts: ReadonlyArray<string | number>, dataFor: (officer: HrRecipient) => Record<string, unknown>, now: Date): OutboxItem[] {
  return told.officers.map((officer) =>
    caseEmail(officer, template, { ...dataFor(officer), ...(told.fallback ? { unassigned: true } : {}) }, outboxKey(...keyParts, ...(told.fallback ? [String(officer._id)] : [])), now),
  );
}
