// How long a dated document counts for the procedures it is filed with. The planner turns these
// rules into the window in which the applicant should obtain each document.
import type { DocumentType } from '../../models/constants.ts';

/** A certificate that counts for a number of months from its issue date, at the day of filing. */
export interface IssuedRule {
  kind: 'issued';
  months: number;
  basis: Basis;
}

/** A document whose own expiry must reach past a date the case sets (the residence card's end). */
export interface ExpiryRule {
  kind: 'expires';
  /** Calendar days it must outlast the residence card. */
  marginDays: number;
  basis: Basis;
}

/** No expiry of its own: only needs to be ready (translated, legalised) before the filing. */
export interface ReadyRule {
  kind: 'ready';
  basis: Basis;
}

export type ValidityRule = IssuedRule | ExpiryRule | ReadyRule;

/** The instruments the rules cite, by the key of their name in each language (planner.basis.<key>). */
export type Basis = 'decree219_art18_2' | 'decree219_art18_4' | 'law47_art38_1' | 'decree219_art18' | 'decree111_art4';

export const VALIDITY_RULES: Partial<Record<DocumentType, ValidityRule>> = {
  // Decree 219/2025/ND-CP Art. 18(2): the health certificate is used within 12 months of its issue. As
  // news.laodong.vn 1554785 quotes the clause, the 12 months are written for a certificate issued abroad
  // (recognised by treaty); one issued in Vietnam has the same 12 months under the health ministry's
  // rules (not re-checked here): one rule for both. eiv.edu.vn (?p=17138, on Art. 18, checked 7 Dec
  // 2026 with the search tool) lists "Validity: Not exceeding 12 months from the date of issuance"
  // for the health certificate as a whole, after the note on foreign ones: the same 12 months.
  health_certificate: { kind: 'issued', months: 12, basis: 'decree219_art18_2' },
  // Decree 219/2025/ND-CP Art. 18(4): the criminal record certificate is issued no more than 6 months
  // before the file is lodged (news.laodong.vn 1554785 quoting clause 4; unless applied for with the
  // permit through the National Public Service Portal, Art. 6(3) as htlaw.vn summarises it).
  criminal_record: { kind: 'issued', months: 6, basis: 'decree219_art18_4' },
  // Law 47/2014/QH13 Art. 38(1) (as restated 2019): a temporary residence card ends at least 30 days
  // before the passport does, so the passport must outlast the card's end by 30 days.
  passport: { kind: 'expires', marginDays: 30, basis: 'law47_art38_1' },
  dependant_passport: { kind: 'expires', marginDays: 30, basis: 'law47_art38_1' },
  // Decree 219/2025/ND-CP Art. 18: papers issued abroad are consularly legalised and translated into
  // Vietnamese; they do not expire, they must be ready at filing. Legalisation: Decree 111/2011/ND-CP
  // Art. 4(2) (foreign papers used in Vietnam are legalised) unless Art. 9 exempts them, a treaty among
  // others: Vietnam acceded to the Hague Apostille Convention on 31 Dec 2025, in force for it from
  // 11 Sep 2026 (bal.com immigration news; schmidt-export.com citing the HCCH; Decision 330/QĐ-TTg of
  // 25 Feb 2026 on carrying it out, vietnamnews.vn 1766312), so a paper from a Convention state carries
  // an apostille instead, save where a state objected to Vietnam's accession (not checked which).
  degree: { kind: 'ready', basis: 'decree219_art18' },
  degree_translation: { kind: 'ready', basis: 'decree219_art18' },
  // A marriage or birth certificate issued abroad is consularly legalised to be used in Vietnam
  // (Decree 111/2011/ND-CP Art. 4(2), as translated on vietnamchristravel.com and summarised by
  // qntlaw.net; Art. 9 is the exemptions, novalaw.vn: it was cited here for the rule itself by mistake),
  // or apostilled (above), and translated: it does not expire, it must be ready when the family's TT
  // visas are lodged (server/procedures/rules.ts procedureDocuments).
  relationship_proof: { kind: 'ready', basis: 'decree111_art4' },
};

/**
 * Temporary residence cards for work (LĐ1, LĐ2) last at most 2 years: Law 47/2014/QH13 Art. 38(5)
 * as restated by Law 51/2019/QH14 (clause 4 in the 2014 text; the restated article put ĐT1's 10
 * years in clause 2: thetamtru.com.vn quoting it). Used when the case does not record the card's end.
 */
export const WORK_CARD_MAX_MONTHS = 24;

/**
 * Working days the planner keeps between obtaining a certificate abroad and lodging the file, for
 * legalisation and a certified translation. An institute allowance, not a legal deadline.
 */
export const PREPARATION_WORKING_DAYS = 5;

/**
 * Working days an applicant needs at least to act on a window (ask for the certificate, receive it).
 * An open window with fewer left is told as nearly closed, never given as a bare one-day range. An
 * institute allowance, not a legal deadline.
 */
export const ACT_WORKING_DAYS = 5;
