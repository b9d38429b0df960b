// Who may upload, verify and download case documents (fails closed, like server/policies/case.ts).
import { canOpenCaseFile, canViewCase, canWorkCase, isOutsideReviewer, type CaseAccessFacts, type PolicyCase, type PolicyUser } from './case.ts';
import { sameId } from './ids.ts';
import { OFFER_LETTER_TYPE, OFFER_TERMS_STAGES, TERMINAL_STAGES, inStages } from '../../models/constants.ts';

interface StagedCase extends PolicyCase {
  stage?: string | null;
}

/** The applicant uploads to their own case while it is still open. */
export function canUploadDocument(user: PolicyUser | undefined, c: StagedCase): boolean {
  return !!user && user.role === 'applicant' && sameId(user._id, c.applicant) && !inStages(c.stage ?? 'draft', TERMINAL_STAGES);
}

/**
 * A renewal of an accepted document (a newer passport or certificate): the applicant on their own
 * open case, or HR of the case's institute (and administrators) on the applicant's behalf, for the
 * scan an applicant sent by post or e-mail. It still waits for a check like any other upload, and
 * the applicant is told by e-mail (server/documents/renewal.ts).
 */
export function canRenewDocument(user: PolicyUser | undefined, c: StagedCase): boolean {
  if (canUploadDocument(user, c)) return true;
  return canVerifyDocument(user, c) && !inStages(c.stage ?? 'draft', TERMINAL_STAGES);
}

/** HR of the case's institute (and administrators) accept or reject documents of a case they see (never a draft's). */
export function canVerifyDocument(user: PolicyUser | undefined, c: PolicyCase): boolean {
  return !!user && (canWorkCase(user, c) || user.role === 'admin') && canViewCase(user, c);
}

/**
 * Exactly who may view the case (server/policies/case.ts): the applicant for their own case, HR of
 * the case's institute, leaders and panel members once it is before the panel (they evaluate the CV
 * and publications) or when they scored it, and administrators.
 */
export function canDownloadDocument(user: PolicyUser | undefined, c: PolicyCase, facts: CaseAccessFacts = {}, documentType?: string, shownToPanel?: boolean): boolean {
  if (!canViewCase(user, c, facts)) return false;
  // An outside reviewer reads what evaluation needs, never the passport, family papers or certificates (walk s36),
  // and of those only what the shortlist's case page lists: the current versions HR has not rejected, not an
  // earlier CV nor a file rejected as the wrong one (a passport sent as a CV) fetched by its id (security review s37).
  return !isOutsideReviewer(user, c) || (documentType !== undefined && isEvaluationDocument(documentType) && shownToPanel === true);
}

/**
 * The documents a panel judges merit on: the CV, the publications, degrees and their translations,
 * letters of recommendation. A call's checklist has no per-item mark for this yet: the set is the
 * product's (walk s36), the same for every call.
 */
export const EVALUATION_DOCUMENT_TYPES = ['cv', 'publications_list', 'degree', 'degree_translation', 'recommendation_letter'] as const;

export function isEvaluationDocument(type: string): boolean {
  return (EVALUATION_DOCUMENT_TYPES as readonly string[]).includes(type);
}

/** Earlier versions are for staff who open the case file; the applicant sees what is current. */
export function canSeeDocumentVersions(user: PolicyUser | undefined, c: PolicyCase, facts: CaseAccessFacts = {}): boolean {
  return !!user && user.role !== 'applicant' && canOpenCaseFile(user, c, facts);
}

/**
 * HR of the case's institute (and administrators) attach the offer's terms and letter while the
 * offer is being made or waits for the applicant's answer (OFFER_TERMS_STAGES says why those).
 */
export function canAttachOfferLetter(user: PolicyUser | undefined, c: StagedCase): boolean {
  return canVerifyDocument(user, c) && inStages(c.stage ?? 'draft', OFFER_TERMS_STAGES);
}

/**
 * The offer letter is the applicant's once the offer is made (the case reached `offer`): a letter
 * HR prepared while the leader still decides is not theirs yet. Staff who see the case see it.
 */
function mayReadType(user: PolicyUser, c: DocumentSubject): boolean {
  if (c.documentType !== OFFER_LETTER_TYPE || user.role !== 'applicant') return true;
  return c.offerMade === true;
}

export type DocumentSubject = StagedCase & {
  facts?: CaseAccessFacts;
  /** The document's type, when the subject is one document (the offer letter has its own rule). */
  documentType?: string;
  /** The document is one the shortlist's case page lists (current, not rejected): all an outside reviewer may read. */
  shownToPanel?: boolean;
  /** The case has reached the offer stage (models/case.ts `reached`). */
  offerMade?: boolean;
};

/**
 * Documents are judged by their case: seeing one needs seeing the case (else "not found"). A letter
 * not yet the applicant's is "not found" too: a 403 would tell them HR has prepared their offer.
 */
export const documentAbilities = {
  view: (user: PolicyUser, c: DocumentSubject) => canDownloadDocument(user, c, c.facts ?? {}, c.documentType, c.shownToPanel) && mayReadType(user, c),
  upload: (user: PolicyUser, c: DocumentSubject) => canUploadDocument(user, c),
  renew: (user: PolicyUser, c: DocumentSubject) => canRenewDocument(user, c),
  // The offer letter is HR's own paper (changed through the offer's terms), not one HR checks: a decision
  // on it would put "your document “Offer letter” was refused" on the applicant's timeline and in an
  // e-mail before the offer is theirs (security review s38).
  verify: (user: PolicyUser, c: DocumentSubject) => canVerifyDocument(user, c) && c.documentType !== OFFER_LETTER_TYPE,
  download: (user: PolicyUser, c: DocumentSubject) => canDownloadDocument(user, c, c.facts ?? {}, c.documentType, c.shownToPanel) && mayReadType(user, c),
  attachOffer: (user: PolicyUser, c: DocumentSubject) => canAttachOfferLetter(user, c),
  versions: (user: PolicyUser, c: DocumentSubject) => canSeeDocumentVersions(user, c, c.facts ?? {}),
} as const;
