// Who in an institute's HR office is told of a case when no officer is assigned (or besides the
// assignee): its HR leads, else (none named) its HR officers; enabled accounts only. And who hears
// of what an applicant did or wrote (officersToTell): the case's officer, else the HR office as
// hrOfficeToTell finds it.
import type { Types } from 'mongoose';
import { User } from '../../models/user.ts';
import { Institute } from '../../models/institute.ts';
import { translator } from '../i18n/index.ts';
import { caseEmail, outboxKey, type OutboxItem } from '../outbox/item.ts';

export interface HrRecipient {
  _id: Types.ObjectId;
  email: string;
  name: string;
  locale?: string | null;
}

/**
 * At most 5 administrators (the longest-standing) told when an institute has no HR office to tell:
 * a notice asking them to name a lead, not a mailing list (each applicant's messages reach it up to
 * every digest window, server/cases/message-digest.ts).
 */
export const MAX_ADMINS = 5;

/**
 * With no HR lead, what an applicant sends goes to the officers themselves only when they are this
 * few: more, and one e-mail per officer for each message is noise nobody owns (each thinks another
 * will act), so the office's own address (or the administrators) gets one instead.
 */
export const FEW_OFFICERS = 5;

const FIELDS = { email: 1, name: 1, locale: 1 };

/**
 * Who a case's news reaches when no officer has it: `leads` (the HR leads), `officers` (no lead,
 * and FEW_OFFICERS or fewer), `contact` (the institute's HR e-mail, Institute.hrContact), `admins`
 * (neither: the administrators, who can name a lead), or `nobody` (no institute, or no one at all).
 */
export type HrOfficeRoute = 'leads' | 'officers' | 'contact' | 'admins' | 'nobody';

/**
 * The HR office of an institute as the applicant's news reaches it: its HR lead(s); with none, its
 * officers when they are few (FEW_OFFICERS); else the office's own e-mail address (written to in
 * Vietnamese, the institute's language: it is no one's account) when the administrator gave one;
 * else the administrators, whose e-mail says the institute has no HR lead so they name one.
 */
export async function hrOfficeToTell(institute: Types.ObjectId | null | undefined): Promise<{ officers: HrRecipient[]; route: HrOfficeRoute }> {
  if (!institute) return { officers: [], route: 'nobody' };
  const staff = { role: 'hr_officer' as const, institute, disabledAt: null };
  const leads = await User.find({ ...staff, isHrLead: true }, FIELDS).sort({ _id: 1 }).lean<HrRecipient[]>();
  if (leads.length > 0) return { officers: leads, route: 'leads' };
  const officers = await User.find(staff, FIELDS).sort({ _id: 1 }).limit(FEW_OFFICERS + 1).lean<HrRecipient[]>();
  if (officers.length > 0 && officers.length <= FEW_OFFICERS) return { officers, route: 'officers' };
  const inst = await Institute.findById(institute, { name: 1, 'hrContact.email': 1 }).lean<{ _id: Types.ObjectId; name?: { vi?: string }; hrContact?: { email?: string | null } }>();
  if (inst?.hrContact?.email) {
    const name = translator('vi')('admin.institutes.hrOfficeOf', { institute: inst.name?.vi ?? '' });
    return { officers: [{ _id: inst._id, email: inst.hrContact.email, name, locale: 'vi' }], route: 'contact' };
  }
  const admins = await User.find({ role: 'admin', disabledAt: null }, FIELDS).sort({ _id: 1 }).limit(MAX_ADMINS).lean<HrRecipient[]>();
  return admins.length ? { officers: admins, route: 'admins' } : { officers: [], route: 'nobody' };
}

/**
 * Who hears of what the applicant did or wrote (an answer to an offer or to a request, a message):
 * the case's officer; with none (or one disabled, or no longer an HR officer of its institute), the
 * institute's HR office (hrOfficeToTell), so nothing an applicant sends goes unseen. `fallback`: they
 * were not the case's officer (each e-mail's key then names its recipient, and the e-mail says no
 * officer has the case; `route` says who they are, the administrators' e-mail saying the institute
 * has no HR lead).
 */
export async function officersToTell(caseDoc: { assignee?: Types.ObjectId | null; institute?: Types.ObjectId | null }): Promise<{ officers: HrRecipient[]; fallback: boolean; route?: HrOfficeRoute }> {
  // Still an enabled HR officer of the case's institute (commands.ts assignableOfficer): one moved to
  // another institute or role keeps the case until it is returned to the queue (a second write after
  // the change, or the repair job: server/cases/stranded.ts), and must not read the applicant's words meanwhile.
  const assignee =
    caseDoc.assignee && caseDoc.institute ? await User.findOne({ _id: caseDoc.assignee, role: 'hr_officer', institute: caseDoc.institute, disabledAt: null }, { name: 1, email: 1, locale: 1 }).lean<HrRecipient>() : null;
  if (assignee?.email) return { officers: [assignee], fallback: false };
  return { ...(await hrOfficeToTell(caseDoc.institute)), fallback: true };
}

/**
 * One e-mail per HR reader that officersToTell (or a caller's like it) chose. The case's officer
 * gets the key `keyParts` make; a fallback reader's key names them too, so each is its own message
 * (one Message-ID per reader), and their e-mail says no officer has the case (`unassigned`).
 */
export function emailsToHr(told: { officers: readonly HrRecipient[]; fallback: boolean; route?: HrOfficeRoute }, template: string, keyParts: ReadonlyArray<string | number>, dataFor: (officer: HrRecipient) => Record<string, unknown>, now: Date): OutboxItem[] {
  const unassigned = told.fallback ? { unassigned: true, ...(told.route === 'admins' ? { toAdmins: true } : {}) } : {};
  return told.officers.map((officer) => caseEmail(officer, template, { ...dataFor(officer), ...unassigned }, outboxKey(...keyParts, ...(told.fallback ? [String(officer._id)] : [])), now));
}
