// HR verification: accept a pending current file, or reject it with a reason. A rejection reopens
// the checklist item (its state becomes "rejected" and the applicant's upload input returns) and
// queues an e-mail to the applicant, in their language, naming the document and the reason.
// A decision on the current file can be changed, with a reason the applicant is told: an accepted
// file found wrong later is rejected as any other; a rejection made in error is turned into an
// acceptance while the file is still the current one (the applicant sent no replacement yet).
import type { AppContext } from '../deps.ts';
import { actorOf, type Context } from '../context.ts';
import { CaseDocument, type DocumentDoc } from '../../models/document.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { DOCUMENT_DECISION_EVENT } from '../cases/conflict.ts';
import { ACTIVE_SUPPORT_STATUSES } from '../../models/constants.ts';
import { loadCalendar } from '../calendar/index.ts';
import { askOpen } from '../procedures/service.ts';
import { User } from '../../models/user.ts';
import { ConflictError, ValidationError } from '../errors.ts';
import { documentAudit, settleDocumentAudits } from './pending-audit.ts';
import { queueDocumentEmail } from './email.ts';
import { hrContactFor } from '../institutes/contact.ts';

export type VerifyDecision = { decision: 'accept'; reason?: string } | { decision: 'reject'; reason: string };

/** The status the form was built for: 'pending' (a first check) or the decision being changed. */
export type ReviewedFrom = 'pending' | 'accepted' | 'rejected';

export type VerifyDocumentOptions = {
  app: Pick<AppContext, 'config' | 'logger'>;
  ctx: Context;
  /** The document and its case, loaded for the actor (server/documents/access.ts) and authorized. */
  doc: DocumentDoc;
  caseDoc: CaseDoc;
  /** The status the officer saw; the decision applies only if it is still that (a stale form is a conflict). */
  from?: ReviewedFrom;
} & VerifyDecision;

/**
 * The day a rejected file's new version is needed by, as the applicant was told elsewhere: the
 * request that names its slot (HR's request for information, or an open request within a running
 * procedure: server/procedures/asks.ts; the earliest), else the screening's deadline the case runs
 * against (the application's documents are checked before evaluation). None when that day has
 * passed (the e-mail asks for it without a date) or at another stage (no deadline of the applicant's).
 */
export function reuploadBy(caseDoc: Pick<CaseDoc, 'stage' | 'stageDueAt' | 'infoRequest' | 'supportTracks'>, type: string, now: Date): Date | undefined {
  const asked: Date[] = [];
  const info = caseDoc.infoRequest;
  if (caseDoc.stage === 'awaiting_applicant' && info?.documentType === type && info.dueAt && !info.answeredAt) asked.push(info.dueAt);
  for (const t of caseDoc.supportTracks ?? []) {
    if (!(ACTIVE_SUPPORT_STATUSES as readonly string[]).includes(t.status)) continue;
    for (const a of t.asks ?? []) if (a.documentType === type && askOpen(a) && a.dueAt) asked.push(a.dueAt);
  }
  const stage = caseDoc.stage === 'screening' || caseDoc.stage === 'awaiting_applicant' ? caseDoc.stageDueAt : undefined;
  const due = asked.length ? new Date(Math.min(...asked.map((d) => d.getTime()))) : (stage ?? undefined);
  return due && due.getTime() >= now.getTime() ? due : undefined;
}

/** Records the decision on a file still pending, or changes one (`from`); ConflictError when its status is no longer the one the form was built for (stale form, double submit). */
export async function verifyDocument(opts: VerifyDocumentOptions): Promise<{ doc: DocumentDoc; decision: 'accept' | 'reject' }> {
  const { app, ctx, doc, caseDoc, decision } = opts;
  const reviewer = actorOf(ctx);
  const now = ctx.now;
  const from = opts.from ?? 'pending';
  const changing = from !== 'pending';
  if (changing && (from === 'accepted') === (decision === 'accept')) throw new ValidationError({ decision: 'documents.errors.badDecision' }, 'documents.errors.badDecision');
  if (changing && !opts.reason?.trim()) throw new ValidationError({ reason: 'documents.errors.changeReasonRequired' }, 'documents.errors.changeReasonRequired');
  const reason = opts.decision === 'reject' || changing ? opts.reason : undefined;
  // A pending renewal (renewal.ts) is not current yet: accepted, it becomes the current version.
  // A decision is changed on the current file only.
  const isRenewal = !!doc.renewalOf && !changing;
  // The decision's event is written with the decision (./pending-audit.ts).
  const audit = documentAudit(ctx, {
    action: 'document.verify',
    summary: { case: String(caseDoc._id), type: doc.type, slot: doc.slot, version: doc.version, decision, reason, ...(changing ? { changedFrom: from } : {}), ...(isRenewal ? { renewalOf: String(doc.renewalOf) } : {}) },
  });
  const updated = await CaseDocument.findOneAndUpdate(
    isRenewal ? { _id: doc._id, current: false, status: 'pending', renewalOf: doc.renewalOf } : { _id: doc._id, current: true, status: from },
    decision === 'accept'
      ? { $set: { status: 'accepted', reviewedBy: reviewer._id, reviewedAt: now, ...(isRenewal ? { current: true } : {}) }, $unset: { reason: 1 }, $push: { pendingAudits: audit } }
      : { $set: { status: 'rejected', reason, reviewedBy: reviewer._id, reviewedAt: now }, $push: { pendingAudits: audit } },
    { returnDocument: 'after' },
  );
  if (!updated) throw await staleDecision(doc, decision);
  if (isRenewal && decision === 'accept') {
    // The versions it renews stay, with their dates and reviewer, as history.
    await CaseDocument.updateMany({ case: updated.case, type: updated.type, slot: updated.slot, current: true, version: { $lt: updated.version } }, { $set: { current: false } });
  }

  if (decision === 'reject' || changing) {
    const applicant = await User.findById(caseDoc.applicant);
    const due = decision === 'reject' ? reuploadBy(caseDoc, doc.type, now) : undefined;
    // A rejection says whom to ask about it, as an information request and a procedure's request do.
    const contact = decision === 'reject' ? await hrContactFor(caseDoc.institute) : undefined;
    await queueDocumentEmail({ app, applicant, caseDoc, doc, ...(contact ? { contact } : {}), template: decision === 'reject' ? 'document_rejected' : 'document_accepted', data: { version: doc.version, reason, ...(changing ? { changed: true } : {}) }, now, ...(changing ? { eventKey: String(now.getTime()) } : {}), ...(due ? { dueBy: { at: due, calendar: await loadCalendar() } } : {}) });
  }
  try {
    await recordOnTimeline({ caseId: caseDoc._id, doc: updated, reviewer, now, decision, reason, changedFrom: changing ? from : undefined, eventId: audit.eventId });
  } catch (err) {
    // The decision, its audit event and the applicant's e-mail are stored: the officer is told it is
    // done (a 500 would invite a retry that can only be refused); the missing line is logged.
    app.logger.warn({ err, document: String(doc._id), case: String(caseDoc._id) }, 'document decision stored; its line on the case timeline could not be written');
  }
  await settleDocumentAudits(doc._id, [audit]);
  return { doc: updated, decision };
}

/**
 * Why a decision found its file no longer as the form showed it, said so the officer knows what now
 * stands: the same decision already saved (a double submit: nothing more done), someone's other
 * decision since the page was opened (with their name: hers was not saved), or a newer version.
 */
async function staleDecision(doc: DocumentDoc, decision: 'accept' | 'reject'): Promise<ConflictError> {
  const now = await CaseDocument.findById(doc._id, { status: 1, current: 1, reviewedBy: 1 }).lean();
  if (!now || now.status === 'pending' || (!now.current && !doc.renewalOf)) return new ConflictError('documents.errors.alreadyReviewed');
  const reviewer = now.reviewedBy ? await User.findById(now.reviewedBy, { name: 1 }).lean() : null;
  const name = reviewer?.name ?? '—';
  if ((now.status === 'accepted') === (decision === 'accept')) return new ConflictError('documents.errors.sameDecisionSaved', { name });
  return new ConflictError(now.status === 'accepted' ? 'documents.errors.acceptedMeanwhile' : 'documents.errors.refusedMeanwhile', { name });
}

/**
 * The decision's line on the case's history (its timelines read it; the case page reads no document
 * for it). Written after the decision, never before: the guarded write above is the decision, so a
 * double submit or a stale form, refused there, never gets here, and a process that dies between the
 * two writes loses this line only, never the decision (nor its audit event, which the document
 * carries, nor the applicant's e-mail, queued first). `eventId`, the decision's audit event, ties the
 * line to it: the same decision cannot add a second line. The case's version is not moved (as an
 * assignment does not): a document checked is no change of the case's stage, and an open form of
 * the case is not stale for it (server/cases/conflict.ts QUIET_EVENTS).
 */
async function recordOnTimeline(opts: { caseId: unknown; doc: DocumentDoc; reviewer: { _id: unknown; role: string }; now: Date; decision: 'accept' | 'reject'; reason?: string; changedFrom?: 'accepted' | 'rejected'; eventId: unknown }): Promise<void> {
  const { doc, reviewer } = opts;
  const entry = decisionLine({ at: opts.now, actor: reviewer._id, actorRole: reviewer.role, told: opts.reason, document: { id: doc._id, type: doc.type, version: doc.version }, decision: opts.decision, changedFrom: opts.changedFrom, eventId: opts.eventId });
  await Case.updateOne({ _id: opts.caseId, 'history.document.event': { $ne: opts.eventId } }, { $push: { history: entry } });
}

/** A decision's history entry, as the live decision writes it and the backfill of past ones (./timeline-backfill.ts) too. */
export function decisionLine<Id>(o: { at: Date; actor: Id; actorRole: string; told?: string; document: { id: Id; type: string; version: number }; decision: 'accept' | 'reject'; changedFrom?: 'accepted' | 'rejected'; eventId: Id }) {
  return {
    at: o.at,
    actor: o.actor,
    actorRole: o.actorRole,
    action: DOCUMENT_DECISION_EVENT as typeof DOCUMENT_DECISION_EVENT,
    // The reason is what the applicant was e-mailed: `told`, as other words written for them.
    ...(o.told ? { told: o.told } : {}),
    document: { ...o.document, decision: o.decision === 'accept' ? ('accepted' as const) : ('rejected' as const), ...(o.changedFrom ? { changedFrom: o.changedFrom } : {}), event: o.eventId },
  };
}
