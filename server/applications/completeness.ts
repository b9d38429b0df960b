// What an application still lacks before it can be submitted. The review step lists every item
// with a link to the step that fixes it; submit refuses while the list is not empty.
import type { CaseFields } from '../../models/case.ts';
import { CaseDocument } from '../../models/document.ts';
import type { Step } from './steps.ts';
import { criteriaFor } from './tracks.ts';
import { validityOf, validityWords, validUntil, type ValidityCase } from '../documents/validity.ts';

export interface MissingPart {
  step: Step | 'documents' | 'call';
  /** i18n key naming what is missing. */
  key: string;
  /** Extra text already in the right language (a criterion label) or params for the key. */
  params?: Record<string, unknown>;
  /** Field id on the step page, for the link's fragment. */
  field?: string;
}

/** A case's current documents with the dates their validity reads, in the checklist's order: what the review step's two lists read (once). */
export function currentDatedDocuments(caseId: unknown) {
  return CaseDocument.find({ case: caseId as never, current: true }, { type: 1, issuedAt: 1, expiresAt: 1 }).sort({ type: 1, slot: 1 }).lean().exec();
}
export type CurrentDatedDocument = Awaited<ReturnType<typeof currentDatedDocuments>>[number];

/** Profile fields an application cannot go without (employer and arrival date are optional). */
export const REQUIRED_PROFILE = [
  'fullName',
  'dateOfBirth',
  'nationality',
  'countryOfResidence',
  'overseasVietnamese',
  'phone',
  'currentPosition',
  'highestDegree',
  'field',
] as const;

/** What each family member's row needs besides their name. */
export const DEPENDANT_DETAILS = ['relationship', 'dateOfBirth', 'nationality'] as const;

type CaseLike = Pick<CaseFields, 'profile' | 'eligibility' | 'track' | 'dependants' | 'supportRequested'> & { _id: unknown };

interface CallLike {
  status?: string | null;
  opensAt?: Date | null;
  closesAt?: Date | null;
  checklist?: Array<{ type: string; phase?: string | null; required?: boolean | null }> | null;
}

function blank(v: unknown): boolean {
  return v === undefined || v === null || (typeof v === 'string' && v.trim() === '');
}

/** Parts missing from the case's own data (no database access). */
export function missingDataParts(c: CaseLike, locale: string): MissingPart[] {
  const out: MissingPart[] = [];
  const profile = (c.profile ?? {}) as Record<string, unknown>;
  for (const f of REQUIRED_PROFILE) {
    if (blank(profile[f])) out.push({ step: 'profile', key: `applications.profile.${f}`, field: f });
  }
  const answered = new Map((c.eligibility ?? []).map((e) => [e.key, e]));
  for (const crit of criteriaFor(c.track)) {
    const a = answered.get(crit.key);
    if (!a || typeof a.met !== 'boolean') {
      out.push({ step: 'eligibility', key: 'applications.missing.criterion', params: { label: crit.label[locale as 'vi' | 'en'] ?? crit.label.en }, field: `met_${crit.key}` });
    }
  }
  if (c.supportRequested?.family && (c.dependants ?? []).length === 0) {
    out.push({ step: 'dependants', key: 'applications.missing.dependants' });
  }
  // A family member's visa and residence card are applied for with their relationship, date of birth
  // and nationality (server/applications/family-support.ts): a row with a name only would reach HR at
  // the acceptance with nothing to lodge. Each row says what it lacks, linked to its first empty field.
  (c.dependants ?? []).forEach((d, i) => {
    const lacking = DEPENDANT_DETAILS.filter((f) => blank(d[f]));
    if (lacking.length === 0) return;
    out.push({ step: 'dependants', key: 'applications.missing.dependantDetails', params: { number: i + 1, name: d.fullName ?? '', lacking }, field: `dep_${i}_${lacking[0]}` });
  });
  return out;
}

/**
 * Everything missing, including the call being closed, required documents not uploaded, and a
 * document that has run out: the application is not complete with it (HR's first check would send
 * it back), so it is replaced before submitting, not asked for right after (walk: the review step
 * said "complete" and the page asked for a new passport once submitted).
 */
export async function missingParts(c: CaseLike & ValidityCase, call: CallLike | null, locale: string, now: Date, docs?: CurrentDatedDocument[]): Promise<MissingPart[]> {
  const out = missingDataParts(c, locale);
  const required = (call?.checklist ?? []).filter((i) => (i.phase ?? 'application') === 'application' && i.required !== false);
  const current = docs ?? (await currentDatedDocuments(c._id));
  const present = new Set(current.map((d) => d.type));
  for (const item of required) {
    if (!present.has(item.type as never)) out.push({ step: 'documents', key: 'applications.missing.document', params: { type: item.type } });
  }
  for (const d of current) {
    if (validityOf(d, c, now) === 'expired') out.push({ step: 'documents', key: 'applications.missing.documentExpired', params: { type: d.type, date: validUntil(d) } });
  }
  if (!call || call.status !== 'open' || (call.closesAt && call.closesAt.getTime() < now.getTime())) {
    out.push({ step: 'call', key: 'applications.missing.callClosed' });
  }
  return out;
}

/** A current document that will not do as it is. */
export interface DocumentWarning {
  type: string;
  validity: 'too_short';
  until: Date;
  /** A short passport: applications.review.documentWarning.<key>, with until when it must be valid. */
  key: string;
  required?: Date;
  from?: Date;
}

/**
 * Current documents valid today but not long enough: a passport that runs out before the residence
 * card after the planned arrival does (server/documents/validity.ts, Law 47/2014/QH13 Art. 38(1)).
 * Said on the review step so the applicant can send a newer one before submitting; they do not hold
 * the submission back (renewing a passport takes months; HR asks for it before the card is filed).
 * An expired document is missingParts' (it does hold the submission back).
 */
export async function documentWarnings(c: Pick<CaseLike, '_id'> & ValidityCase, now: Date, docs?: CurrentDatedDocument[]): Promise<DocumentWarning[]> {
  const out: DocumentWarning[] = [];
  for (const d of docs ?? (await currentDatedDocuments(c._id))) {
    const validity = validityOf(d, c, now);
    if (validity !== 'too_short') continue;
    const words = validityWords(d, c, now, validity);
    out.push({ type: d.type, validity, until: validUntil(d)!, key: words.key, required: words.required, from: words.from });
  }
  return out;
}
