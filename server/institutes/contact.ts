// The institute's HR office as the applicant is told it: on their application page ("Contact HR")
// and in the e-mails asking for papers handed over outside the upload list (the certificate
// window, the information request, a procedure's "more is asked"). Kept by administrators
// (server/admin/institutes.ts); each part optional.
import { Institute } from '../../models/institute.ts';
import type { Translate } from '../documents/upload.ts';
import type { Locale } from '../i18n/index.ts';
import { bothLanguages, storedText, textIn } from '../support/localized.ts';

/** The address and the hours in both languages (one may be blank: the reader gets the other, textIn). */
export interface HrContact {
  email?: string;
  phone?: string;
  address?: { vi?: string; en?: string };
  hours?: { vi?: string; en?: string };
}

interface StoredContact {
  email?: string | null;
  phone?: string | null;
  /** {vi, en}, or one string stored before they had two languages (until server/calls/bilingual-backfill.ts has run). */
  address?: unknown;
  hours?: unknown;
}

/** The parts of a stored contact that are filled in, or undefined when none is (nothing to say). */
function contactOf(stored: StoredContact | null | undefined): HrContact | undefined {
  const contact: HrContact = {};
  if (stored?.email) contact.email = stored.email;
  if (stored?.phone) contact.phone = stored.phone;
  for (const k of ['address', 'hours'] as const) {
    const both = bothLanguages(stored?.[k]);
    const text = storedText(both.vi, both.en);
    if (text) contact[k] = text;
  }
  return Object.keys(contact).length ? contact : undefined;
}

/** The contact of a case's institute, or undefined when it has none (nothing to say). */
export async function hrContactFor(instituteId: unknown): Promise<HrContact | undefined> {
  if (!instituteId) return undefined;
  return contactOf((await Institute.findById(instituteId, { hrContact: 1 }).lean<{ hrContact?: StoredContact }>())?.hrContact);
}

/** The "Contact HR" box of the applicant's page: the institute's name and its HR office (one read), or undefined with no contact. */
export async function contactBox(instituteId: unknown): Promise<(HrContact & { institute: { vi?: string; en?: string } }) | undefined> {
  if (!instituteId) return undefined;
  const institute = await Institute.findById(instituteId, { name: 1, hrContact: 1 }).lean<{ name?: { vi?: string; en?: string }; hrContact?: StoredContact }>();
  const contact = contactOf(institute?.hrContact);
  return contact && institute ? { ...contact, institute: { vi: institute.name?.vi, en: institute.name?.en } } : undefined;
}

/**
 * The e-mails' line, in the recipient's language (`t` and `locale` are theirs): "Papers sent by
 * post or handed in, and questions: <address> · <e-mail> · <phone>" (labelled so: it follows "answer
 * or upload on your page", and a bare "Send it to:" read as if the answer had to be posted), the address and the hours in that language or, when HR gave them
 * in the other only, in that one (an address on several lines is one line here); '' when neither an
 * address, an e-mail nor a phone is known, so a template's {{#if sendTo}} says nothing rather than an empty line.
 */
export function sendToLine(t: Translate, contact: HrContact | undefined, locale: Locale): string {
  return contactLine(t, contact, locale, 'applications.contact.sendTo');
}

/**
 * The same office as a line of an e-mail that tells of a decision (a document not accepted): "Questions
 * about this decision? Ask the HR office: <address> · <e-mail> · <phone>", with its hours; '' with none.
 */
export function questionsLine(t: Translate, contact: HrContact | undefined, locale: Locale): string {
  return contactLine(t, contact, locale, 'applications.contact.questions');
}

function contactLine(t: Translate, contact: HrContact | undefined, locale: Locale, key: string): string {
  const address = textIn(contact?.address, locale).replace(/\s*\n\s*/g, ', ');
  const hours = textIn(contact?.hours, locale);
  const where = [address, contact?.email, contact?.phone].filter((p): p is string => !!p);
  if (!where.length) return '';
  return t(key, { where: where.join(' · ') }) + (hours ? ` ${t('applications.contact.sendToHours', { hours })}` : '');
}
