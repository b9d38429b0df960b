// Who may upload, verify and download case documents (fails closed, like server/policies/case.ts).
import { canViewCase, canWorkCase, type PolicyCase, type PolicyUser } from './case.ts';
import { sameId } from './index.ts';

const CLOSED = ['closed', 'rejected', 'withdrawn'];

interface StagedCase extends PolicyCase {
  stage?: string | null;
}

/** The applicant uploads to their own case while it is still open. */
export function canUploadDocument(user: PolicyUser | undefined, c: StagedCase): boolean {
  return !!user && user.role === 'applicant' && sameId(user._id, c.applicant) && !CLOSED.includes(String(c.stage ?? 'draft'));
}

/** HR of the case's institute (and administrators) accept or reject documents. */
export function canVerifyDocument(user: PolicyUser | undefined, c: PolicyCase): boolean {
  return !!user && (canWorkCase(user, c) || user.role === 'admin');
}

/**
 * The applicant for their own case, staff of the case's institute, the call's panel members
 * (they evaluate the CV and publications) and administrators: exactly who may view the case.
 */
export function canDownloadDocument(user: PolicyUser | undefined, c: PolicyCase): boolean {
  return canViewCase(user, c);
}

/** Earlier versions are for staff; the applicant sees what is current. */
export function canSeeDocumentVersions(user: PolicyUser | undefined, c: PolicyCase): boolean {
  return !!user && user.role !== 'applicant' && canViewCase(user, c);
}
