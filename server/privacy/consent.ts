// The applicant's consent to keep their data after an unsuccessful application (Case.keepDataConsent).
// Given on the review step and changeable on the application page until the case is erased. It is
// not part of the workflow's optimistic version: changing it never makes an open form stale.
import type { Request } from 'express';
import { Case } from '../../models/case.ts';
import type { UserDoc } from '../../models/user.ts';
import { recordAudit } from '../audit/index.ts';

/** Sets the consent on the applicant's own case; records an audit event when it changed. Answers whether it changed. */
export async function setKeepDataConsent(req: Request | undefined, user: UserDoc, caseId: unknown, granted: boolean): Promise<boolean> {
  const res = await Case.updateOne({ _id: caseId as never, applicant: user._id, keepDataConsent: granted ? { $ne: true } : true }, { $set: { keepDataConsent: granted } });
  if (res.modifiedCount !== 1) return false;
  await recordAudit(req, { action: 'privacy.consent_changed', targetType: 'Case', targetId: String(caseId), summary: { keepDataConsent: granted } });
  return true;
}

/** A checkbox in a url-encoded body: present with a truthy value means yes. */
export function checkboxValue(body: unknown, name: string): boolean {
  const v = (body as Record<string, unknown> | undefined)?.[name];
  const s = Array.isArray(v) ? v[v.length - 1] : v;
  return s === '1' || s === 'on' || s === 'true' || s === 'yes';
}
