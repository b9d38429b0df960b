// Validity windows (DESIGN.md §4): a health certificate counts for 12 months from issue, a criminal
// record certificate for 6 months, and a passport must outlast the planned residence card by 30 days.
// Pure functions of (document, case, now) so pages, queue flags, guards and reminders agree.
import type { DocumentType } from '../../models/constants.ts';
import { VALIDITY_RULES, WORK_CARD_MAX_MONTHS, type ExpiryRule } from '../planner/validity.ts';

export const EXPIRY_WARNING_DAYS = 30;
const DAY = 86_400_000;

/** Which date each type needs at upload: 'issued' (issue date) or 'expires' (expiry date). */
export const DATE_RULES: Partial<Record<DocumentType, 'issued' | 'expires'>> = {
  health_certificate: 'issued',
  criminal_record: 'issued',
  passport: 'expires',
  dependant_passport: 'expires',
};

/** Months an issued certificate stays valid: the legal rules of server/planner/validity.ts (cited there). */
export const VALID_MONTHS: Partial<Record<DocumentType, number>> = Object.fromEntries(
  Object.entries(VALIDITY_RULES).flatMap(([type, rule]) => (rule.kind === 'issued' ? [[type, rule.months]] : [])),
);
/** Days a passport must outlast the residence card (Law 47/2014/QH13 Art. 38(1), server/planner/validity.ts). */
const PASSPORT_MARGIN_DAYS = (VALIDITY_RULES.passport as ExpiryRule).marginDays;

export type Validity = 'ok' | 'expiring' | 'expired' | 'too_short';

export interface ValidityDoc {
  type: string;
  issuedAt?: Date | null;
  expiresAt?: Date | null;
}

export interface ValidityCase {
  profile?: { plannedArrival?: Date | null } | null;
  supportTracks?: Array<{ kind: string; validUntil?: Date | null; cardEndsAt?: Date | null }> | null;
  residenceCardEndsAt?: Date | null;
}

export function addMonths(d: Date, months: number): Date {
  const out = new Date(d.getTime());
  out.setUTCMonth(out.getUTCMonth() + months);
  return out;
}

/** When the document stops counting, if that can be known. */
export function validUntil(doc: ValidityDoc): Date | undefined {
  const months = VALID_MONTHS[doc.type as DocumentType];
  const fromIssue = months && doc.issuedAt ? addMonths(doc.issuedAt, months) : undefined;
  const explicit = doc.expiresAt ?? undefined;
  if (fromIssue && explicit) return fromIssue < explicit ? fromIssue : explicit;
  return fromIssue ?? explicit;
}

/** The planned end of the residence card, when the case records it. */
function residenceCardEnd(c: ValidityCase | undefined): Date | undefined {
  if (!c) return undefined;
  if (c.residenceCardEndsAt) return c.residenceCardEndsAt;
  const track = c.supportTracks?.find((t) => t.kind === 'residence_card');
  return track?.cardEndsAt ?? track?.validUntil ?? undefined;
}

/**
 * Until when a passport must be valid, and why: 30 days beyond the residence card's end when the case
 * records it ('card'), else beyond a work card's longest term counted from the planned arrival, or
 * from today without one ('stay'). The page says which, so an applicant who asked for no card is not
 * told about one.
 */
export function passportRequirement(c: ValidityCase | undefined, now: Date): { until: Date; basis: 'card' | 'stay'; from?: Date } {
  const card = residenceCardEnd(c);
  if (card) return { until: new Date(card.getTime() + PASSPORT_MARGIN_DAYS * DAY), basis: 'card' };
  const from = c?.profile?.plannedArrival ?? now;
  return { until: new Date(addMonths(from, WORK_CARD_MAX_MONTHS).getTime() + PASSPORT_MARGIN_DAYS * DAY), basis: 'stay', from };
}

/** A passport must be valid until this date: card end (else planned arrival + a work card's 2 years) + 30 days. */
export function passportRequiredUntil(c: ValidityCase | undefined, now: Date): Date {
  return passportRequirement(c, now).until;
}

/** The locale key and parameters that say a document's validity (documents.validity.*), naming what a short passport falls short of. */
export function validityWords(doc: ValidityDoc, c: ValidityCase | undefined, now: Date, validity: Validity): { key: string; required?: Date; from?: Date } {
  if (validity !== 'too_short') return { key: validity };
  const need = passportRequirement(c, now);
  return { key: `too_short_${need.basis}`, required: need.until, from: need.from };
}

export function validityOf(doc: ValidityDoc, c: ValidityCase | undefined, now: Date): Validity {
  const until = validUntil(doc);
  if (!until) return 'ok';
  if (until.getTime() <= now.getTime()) return 'expired';
  if ((doc.type === 'passport' || doc.type === 'dependant_passport') && until < passportRequiredUntil(c, now)) return 'too_short';
  if (until.getTime() - now.getTime() <= EXPIRY_WARNING_DAYS * DAY) return 'expiring';
  return 'ok';
}

/** Expired and not-long-enough documents count as expired in flags; both need a new upload. */
export function isExpiredLike(v: Validity): boolean {
  return v === 'expired' || v === 'too_short';
}
