// HR verification: accept a pending current file, or reject it with a reason. A rejection reopens
// the checklist item (its state becomes "rejected" and the applicant's upload input returns) and
// queues an e-mail to the applicant, in their language, naming the document and the reason.
import type { Request } from 'express';
import { Types } from 'mongoose';
import { z } from 'zod';
import type { AppContext } from '../deps.ts';
import { CaseDocument, type DocumentDoc } from '../../models/document.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { User, type UserDoc } from '../../models/user.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../errors.ts';
import { canVerifyDocument, canDownloadDocument } from '../policies/document.ts';
import { recordAudit } from '../audit/index.ts';
import { queueDocumentEmail } from './email.ts';
import { mayViewCase } from '../cases/access.ts';

export const verifySchema = z.discriminatedUnion('decision', [
  z.object({ decision: z.literal('accept'), reason: z.string().optional() }),
  z.object({ decision: z.literal('reject'), reason: z.string().trim().min(1, 'documents.errors.reasonRequired').max(2000) }),
]);

/**
 * The document and its case, if `user` may see them (the case policy, server/cases/access.ts);
 * NotFound otherwise, exactly as for a document that does not exist (ids reveal nothing).
 */
export async function loadDocumentForUser(id: string, user: UserDoc | undefined): Promise<{ doc: DocumentDoc; caseDoc: CaseDoc }> {
  if (!Types.ObjectId.isValid(id) || !/^[a-f0-9]{24}$/i.test(id)) throw new NotFoundError();
  const doc = await CaseDocument.findById(id);
  if (!doc) throw new NotFoundError();
  const caseDoc = await Case.findById(doc.case);
  if (!caseDoc) throw new NotFoundError();
  const { ok, facts } = await mayViewCase(user, caseDoc);
  if (!ok || !canDownloadDocument(user, caseDoc, facts)) throw new NotFoundError();
  return { doc, caseDoc };
}

export interface VerifyInput {
  id: string;
  user: UserDoc;
  body: Record<string, unknown>;
  req?: Request;
}

export async function verifyDocument(ctx: AppContext, input: VerifyInput): Promise<{ doc: DocumentDoc; caseDoc: CaseDoc; decision: 'accept' | 'reject' }> {
  const { doc, caseDoc } = await loadDocumentForUser(input.id, input.user);
  if (!canVerifyDocument(input.user, caseDoc)) throw new ForbiddenError();
  const parsed = verifySchema.safeParse({ decision: input.body.decision, reason: typeof input.body.reason === 'string' ? input.body.reason : undefined });
  if (!parsed.success) {
    const reasonIssue = parsed.error.issues.find((i) => i.path[0] === 'reason');
    throw new ValidationError(reasonIssue ? { reason: 'documents.errors.reasonRequired' } : { decision: 'documents.errors.badDecision' }, reasonIssue ? 'documents.errors.reasonRequired' : 'documents.errors.badDecision');
  }
  const { decision } = parsed.data;
  const now = ctx.now();
  const reason = decision === 'reject' ? parsed.data.reason : undefined;
  const updated = await CaseDocument.findOneAndUpdate(
    { _id: doc._id, current: true, status: 'pending' },
    decision === 'accept'
      ? { $set: { status: 'accepted', reviewedBy: input.user._id, reviewedAt: now }, $unset: { reason: 1 } }
      : { $set: { status: 'rejected', reason, reviewedBy: input.user._id, reviewedAt: now } },
    { returnDocument: 'after' },
  );
  if (!updated) throw new ConflictError('documents.errors.alreadyReviewed');

  if (decision === 'reject') {
    const applicant = await User.findById(caseDoc.applicant);
    await queueDocumentEmail(ctx, { applicant, caseDoc, doc, template: 'document_rejected', data: { version: doc.version, reason }, now });
  }
  await recordAudit(input.req, {
    action: 'document.verify',
    targetType: 'document',
    targetId: String(doc._id),
    summary: { case: String(caseDoc._id), type: doc.type, slot: doc.slot, version: doc.version, decision, reason },
  });
  return { doc: updated, caseDoc, decision };
}
