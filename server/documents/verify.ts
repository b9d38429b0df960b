// HR verification: accept a pending current file, or reject it with a reason. A rejection reopens
// the checklist item (its state becomes "rejected" and the applicant's upload input returns) and
// queues an e-mail to the applicant, in their language, naming the document and the reason.
import type { AppContext } from '../deps.ts';
import { actorOf, type Context } from '../context.ts';
import { CaseDocument, type DocumentDoc } from '../../models/document.ts';
import type { CaseDoc } from '../../models/case.ts';
import { User } from '../../models/user.ts';
import { ConflictError } from '../errors.ts';
import { recordAudit } from '../audit/index.ts';
import { queueDocumentEmail } from './email.ts';

export type VerifyDecision = { decision: 'accept'; reason?: string } | { decision: 'reject'; reason: string };

export type VerifyDocumentOptions = {
  app: Pick<AppContext, 'config'>;
  ctx: Context;
  /** The document and its case, loaded for the actor (server/documents/access.ts) and authorized. */
  doc: DocumentDoc;
  caseDoc: CaseDoc;
} & VerifyDecision;

/** Records the decision on a file still pending; ConflictError when someone decided first (stale form, double submit). */
export async function verifyDocument(opts: VerifyDocumentOptions): Promise<{ doc: DocumentDoc; decision: 'accept' | 'reject' }> {
  const { app, ctx, doc, caseDoc, decision } = opts;
  const reviewer = actorOf(ctx);
  const now = ctx.now;
  const reason = opts.decision === 'reject' ? opts.reason : undefined;
  // A pending renewal (renewal.ts) is not current yet: accepted, it becomes the current version.
  const isRenewal = !!doc.renewalOf;
  const updated = await CaseDocument.findOneAndUpdate(
    isRenewal ? { _id: doc._id, current: false, status: 'pending', renewalOf: doc.renewalOf } : { _id: doc._id, current: true, status: 'pending' },
    decision === 'accept'
      ? { $set: { status: 'accepted', reviewedBy: reviewer._id, reviewedAt: now, ...(isRenewal ? { current: true } : {}) }, $unset: { reason: 1 } }
      : { $set: { status: 'rejected', reason, reviewedBy: reviewer._id, reviewedAt: now } },
    { returnDocument: 'after' },
  );
  if (!updated) throw new ConflictError('documents.errors.alreadyReviewed');
  if (isRenewal && decision === 'accept') {
    // The versions it renews stay, with their dates and reviewer, as history.
    await CaseDocument.updateMany({ case: updated.case, type: updated.type, slot: updated.slot, current: true, version: { $lt: updated.version } }, { $set: { current: false } });
  }

  if (decision === 'reject') {
    const applicant = await User.findById(caseDoc.applicant);
    await queueDocumentEmail({ app, applicant, caseDoc, doc, template: 'document_rejected', data: { version: doc.version, reason }, now });
  }
  await recordAudit(ctx, {
    action: 'document.verify',
    targetType: 'document',
    targetId: String(doc._id),
    summary: { case: String(caseDoc._id), type: doc.type, slot: doc.slot, version: doc.version, decision, reason, ...(isRenewal ? { renewalOf: String(doc.renewalOf) } : {}) },
  });
  return { doc: updated, decision };
}
