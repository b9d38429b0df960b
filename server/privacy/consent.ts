// The applicant's consent to keep their data after an unsuccessful application (Case.keepDataConsent).
// Given on the review step and changeable on the application page until the case is erased. It is
// not part of the workflow's optimistic version: changing it never makes an open form stale.
import { Types } from 'mongoose';
import { actorOf, type Context } from '../context.ts';
import { Case } from '../../models/case.ts';
import { NotFoundError } from '../errors.ts';
import { caseAudit, settleCaseAudits, withPendingAudits } from '../cases/pending-audit.ts';
import { isIdText } from '../support/object-id.js';

/**
 * Sets the consent on the actor's own case (any other case is "not found"); records an audit event
 * when it changed. Answers whether it changed.
 */
export async function setKeepDataConsent(opts: { ctx: Context; caseId: unknown; granted: boolean }): Promise<boolean> {
  const { ctx, granted } = opts;
  const me = actorOf(ctx);
  const caseId = isIdText(String(opts.caseId)) ? new Types.ObjectId(String(opts.caseId)) : undefined;
  if (!caseId) throw new NotFoundError();
  // The audit event goes into the same update (server/cases/pending-audit.ts).
  const audit = caseAudit(ctx, { action: 'privacy.consent_changed', targetType: 'Case', summary: { keepDataConsent: granted } });
  const res = await Case.updateOne({ _id: caseId, applicant: me._id, keepDataConsent: granted ? { $ne: true } : true }, { $set: { keepDataConsent: granted }, $push: withPendingAudits([audit]) });
  if (res.modifiedCount !== 1) {
    if (!(await Case.exists({ _id: caseId, applicant: me._id }))) throw new NotFoundError();
    return false;
  }
  await settleCaseAudits(caseId, [audit]);
  return true;
}

/** Is a checkbox's posted value "ticked"? (The last one wins when a field was sent twice.) */
export function isTicked(value: unknown): boolean {
  const s = Array.isArray(value) ? value[value.length - 1] : value;
  return s === '1' || s === 'on' || s === 'true' || s === 'yes';
}

/** A checkbox in a url-encoded body: present with a truthy value means yes. */
export function checkboxValue(body: unknown, name: string): boolean {
  return isTicked((body as Record<string, unknown> | undefined)?.[name]);
}
