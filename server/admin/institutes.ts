// Institutes, kept by administrators: each has a short code (unique) and a name in both languages.
import type { Context } from '../context.ts';
import { Institute, type InstituteDoc } from '../../models/institute.ts';
import { Call } from '../../models/call.ts';
import { User } from '../../models/user.ts';
import { NotFoundError } from '../errors.ts';
import { recordAudit } from '../audit/index.ts';
import type { FieldErrorKeys } from '../http/forms.ts';
import { withFields } from '../support/with-fields.ts';
import { FEW_OFFICERS } from '../institutes/hr-staff.ts';
import { bothLanguages, storedText } from '../support/localized.ts';
import { isId } from '../support/object-id.js';

export interface InstituteInput {
  code: string;
  nameVi: string;
  nameEn: string;
  /** The HR office's contact: '' clears a part. */
  hrEmail: string;
  hrPhone: string;
  /** The address and the hours in each language: either may be blank (the applicant then reads the other). */
  hrAddressVi: string;
  hrAddressEn: string;
  hrHoursVi: string;
  hrHoursEn: string;
}

type ContactInput = Pick<InstituteInput, 'hrEmail' | 'hrPhone' | 'hrAddressVi' | 'hrAddressEn' | 'hrHoursVi' | 'hrHoursEn'>;

/** The bounds of the HR contact's parts (the admin form checks them; the model keeps the same). */
export const HR_CONTACT_LIMITS = { hrEmail: 254, hrPhone: 40, hrAddressVi: 500, hrAddressEn: 500, hrHoursVi: 200, hrHoursEn: 200 } as const;

/** The HR office's contact as stored: only the parts given (an address or hours in one language only is stored so). */
export function hrContactOf(input: ContactInput) {
  const address = storedText(input.hrAddressVi, input.hrAddressEn);
  const hours = storedText(input.hrHoursVi, input.hrHoursEn);
  return { ...(input.hrEmail ? { email: input.hrEmail } : {}), ...(input.hrPhone ? { phone: input.hrPhone } : {}), ...(address ? { address } : {}), ...(hours ? { hours } : {}) };
}

/**
 * The contact as the edit form shows it (an address or hours stored as one string, before they had
 * two languages: in both boxes). Given a plain object (toObject): a document's nested path hides such a string.
 */
export function hrContactValues(institute: { hrContact?: { email?: string | null; phone?: string | null; address?: unknown; hours?: unknown } | null }): ContactInput {
  const c = institute.hrContact;
  const address = bothLanguages(c?.address);
  const hours = bothLanguages(c?.hours);
  return { hrEmail: c?.email ?? '', hrPhone: c?.phone ?? '', hrAddressVi: address.vi, hrAddressEn: address.en, hrHoursVi: hours.vi, hrHoursEn: hours.en };
}

/** A form's save: done, or the fields to show again with their message keys. */
export type SaveResult = { ok: true; id: string } | { ok: false; errors: FieldErrorKeys };

export interface InstituteOption {
  id: string;
  code: string;
  name: { vi?: string; en?: string };
}

const isDuplicateKey = (err: unknown) => (err as { code?: number })?.code === 11000;
const CODE_TAKEN: SaveResult = { ok: false, errors: { code: 'admin.institutes.codeTaken' } };

/** Every institute, by code, for the select lists of other forms. */
export async function instituteOptions(): Promise<InstituteOption[]> {
  const rows = await Institute.find({}, { code: 1, name: 1 }).sort({ code: 1 }).lean();
  return rows.map((i) => ({ id: String(i._id), code: i.code, name: { vi: i.name?.vi, en: i.name?.en } }));
}

/** An institute's HR office as the list shows it: its enabled HR leads and officers, and whether it has an HR e-mail. */
export interface HrOfficeFacts {
  hrLeads: number;
  hrOfficers: number;
  hrEmail?: string;
  /** The officers' names when they are few enough to be written to each (FEW_OFFICERS), in hrOfficeToTell's order. */
  hrOfficerNames?: string[];
}

/** Every institute with the number of its calls and its HR office (the page warns of one with no HR lead). */
export async function listInstitutes(): Promise<Array<InstituteOption & { calls: number } & HrOfficeFacts>> {
  const [rows, callCounts, staff, contacts] = await Promise.all([
    instituteOptions(),
    Call.aggregate<{ _id: unknown; n: number }>([{ $group: { _id: '$institute', n: { $sum: 1 } } }]),
    User.find({ role: 'hr_officer', disabledAt: null }, { institute: 1, isHrLead: 1, name: 1 }).sort({ _id: 1 }).lean<Array<{ institute?: unknown; isHrLead?: boolean; name?: string }>>(),
    Institute.find({ 'hrContact.email': { $exists: true, $ne: null } }, { 'hrContact.email': 1 }).lean<Array<{ _id: unknown; hrContact?: { email?: string | null } }>>(),
  ]);
  const calls = new Map(callCounts.map((c) => [String(c._id), c.n]));
  const hr = new Map<string, { hrLeads: number; hrOfficers: number; hrOfficerNames: string[] }>();
  for (const u of staff) {
    const k = String(u.institute ?? '');
    const c = hr.get(k) ?? { hrLeads: 0, hrOfficers: 0, hrOfficerNames: [] };
    c.hrOfficers++;
    if (c.hrOfficerNames.length <= FEW_OFFICERS) c.hrOfficerNames.push(u.name ?? '');
    if (u.isHrLead) c.hrLeads++;
    hr.set(k, c);
  }
  const emails = new Map(contacts.filter((c) => c.hrContact?.email).map((c) => [String(c._id), c.hrContact!.email!]));
  return rows.map((r) => withFields(r, { calls: calls.get(r.id) ?? 0, ...(hr.get(r.id) ?? { hrLeads: 0, hrOfficers: 0 }), ...(emails.has(r.id) ? { hrEmail: emails.get(r.id) } : {}) }));
}

export async function findInstitute(opts: { instituteId: string }): Promise<InstituteDoc> {
  const institute = isId(opts.instituteId) ? await Institute.findById(opts.instituteId) : null;
  if (!institute) throw new NotFoundError();
  return institute;
}

export async function createInstitute(opts: { ctx: Context } & InstituteInput): Promise<SaveResult> {
  try {
    const institute = await Institute.create({ code: opts.code, name: { vi: opts.nameVi, en: opts.nameEn }, hrContact: hrContactOf(opts) });
    await recordAudit(opts.ctx, { action: 'institute.create', targetType: 'institute', targetId: String(institute._id), summary: { code: institute.code } });
    return { ok: true, id: String(institute._id) };
  } catch (err) {
    if (isDuplicateKey(err)) return CODE_TAKEN;
    throw err;
  }
}

export async function updateInstitute(opts: { ctx: Context; institute: InstituteDoc } & InstituteInput): Promise<SaveResult> {
  const { institute } = opts;
  const id = String(institute._id);
  const before = { code: institute.code, name: { vi: institute.name?.vi, en: institute.name?.en }, hrContact: hrContactOf(hrContactValues(institute.toObject())) };
  const hrContact = hrContactOf(opts);
  try {
    // The contact is replaced whole: a part left blank is cleared, not kept from before.
    const res = await Institute.updateOne({ _id: institute._id }, { $set: { code: opts.code, name: { vi: opts.nameVi, en: opts.nameEn }, hrContact } });
    if (res.matchedCount === 0) throw new NotFoundError();
  } catch (err) {
    if (isDuplicateKey(err)) return CODE_TAKEN;
    throw err;
  }
  await recordAudit(opts.ctx, { action: 'institute.update', targetType: 'institute', targetId: id, summary: { before, after: { code: opts.code, hrContact } } });
  return { ok: true, id };
}
