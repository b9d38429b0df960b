// The institute's HR office as the applicant is told it: on their application page ("Contact HR")
// and in the e-mails asking for papers handed over outside the upload list (the certificate
// window, the information request, a procedure's "more is asked"). Kept by administrators
// (server/admin/institutes.ts); each part optional.
import { Institute } from '../../models/institute.ts';
import type { Translate } from '../documents/upload.ts';

export interface HrContact {
  email?: string;
  phone?: string;
  address?: string;
  hours?: string;
}

/** The parts of a stored contact that are filled in, or undefined when none is (nothing to say). */
function contactOf(stored: Partial<Record<keyof HrContact, string | null>> | null | undefined): HrContact | undefined {
  const contact: HrContact = {};
  for (const k of ['email', 'phone', 'address', 'hours'] as const) if (stored?.[k]) contact[k] = stored[k]!;
  return Object.keys(contact).length ? contact : undefined;
}

/** The contact of a case's institute, or undefined when it has none (nothing to say). */
export async function hrContactFor(instituteId: unknown): Promise<HrContact | undefined> {
  if (!instituteId) return undefined;
  return contactOf((await Institute.findById(instituteId, { hrContact: 1 }).lean())?.hrContact);
}

/** The "Contact HR" box of the applicant's page: the institute's name and its HR office (one read), or undefined with no contact. */
export async function contactBox(instituteId: unknown): Promise<(HrContact & { institute: { vi?: string; en?: string } }) | undefined> {
  if (!instituteId) return undefined;
  const institute = await Institute.findById(instituteId, { name: 1, hrContact: 1 }).lean();
  const contact = contactOf(institute?.hrContact);
  return contact && institute ? { ...contact, institute: { vi: institute.name?.vi, en: institute.name?.en } } : undefined;
}

/**
 * The e-mails' line, in the recipient's language: "Send it to: <address> · <e-mail> · <phone>"
 * (an address on several lines is one line here); '' when neither an address, an e-mail nor a
 * phone is known, so a template's {{#if sendTo}} says nothing rather than an empty line.
 */
export function sendToLine(t: Translate, contact: HrContact | undefined): string {
  const where = [contact?.address?.replace(/\s*\n\s*/g, ', '), contact?.email, contact?.phone].filter((p): p is string => !!p);
  if (!where.length) return '';
  return t('applications.contact.sendTo', { where: where.join(' · ') }) + (contact?.hours ? ` ${t('applications.contact.sendToHours', { hours: contact.hours })}` : '');
}
