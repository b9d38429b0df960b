// Loaders for the documents routes: the case (and its call) an upload goes to, and a document with
// its case, each only if the actor may see the case (the case policy, server/cases/access.ts);
// otherwise "not found", exactly as for what does not exist (ids reveal nothing). What the actor
// may do with it is the route's authorize(ctx.actor, 'document.…', documentSubject(…)).
import { Call, type CallDoc, type CallRecord } from '../../models/call.ts';
import { Case, type CaseDoc, type CaseRecord } from '../../models/case.ts';
import { CaseDocument, type DocumentDoc } from '../../models/document.ts';
import { NotFoundError } from '../errors.ts';
import { findCaseRecordFor, mayViewCase } from '../cases/access.ts';
import type { CaseAccessFacts, PolicyUser } from '../policies/case.ts';
import type { DocumentSubject } from '../policies/document.ts';
import { isId } from '../support/object-id.js';
import { shownCall } from '../calls/kept.ts';

/** Plain records as stored (no Mongoose methods, no schema defaults): only read, never saved. */
export interface UploadTarget {
  caseDoc: CaseRecord;
  call: CallRecord;
  facts: CaseAccessFacts;
}

export interface LoadedDocument {
  doc: DocumentDoc;
  caseDoc: CaseDoc;
  facts: CaseAccessFacts;
}

/** What the document policy judges: the case, with what was looked up about the actor. */
export function documentSubject(loaded: { caseDoc: CaseDoc | CaseRecord; facts: CaseAccessFacts; doc?: { type: string; current?: boolean | null; status?: string | null } }): DocumentSubject {
  const c = loaded.caseDoc;
  const d = loaded.doc;
  // As the shortlist's case page lists them (server/evaluations/case.ts panelPapers): current, not rejected.
  const shownToPanel = d ? d.current === true && d.status !== 'rejected' : undefined;
  return { applicant: c.applicant, institute: c.institute, call: c.call, stage: c.stage, reached: c.reached, facts: loaded.facts, documentType: d?.type, shownToPanel, offerMade: (c.reached ?? []).includes('offer') };
}

/** The case an upload goes to, with its call (the checklist); NotFound unless the actor sees the case. */
export async function loadUploadTarget(actor: PolicyUser | undefined, caseId: string): Promise<UploadTarget> {
  // A case never changes call: once seen here, its call is read beside the case, not after it (one
  // round trip fewer before an upload's body is read; an applicant uploads file after file). The
  // case read still decides: a call read for another id (never, unless a case could move) is dropped.
  // The case is read as stored, through the driver (server/support/lean-read.ts): the upload only
  // reads it, and a Mongoose document cost ~0.5 ms of the web thread before the body (bench/trip-cost.ts).
  // The call is the one the case pages show (kept 5 s, forgotten on any write through the model:
  // server/calls/kept.ts), so the checklist checked is the one the applicant's page showed, and an
  // applicant's file after file costs no call read.
  const known = callOfCase.get(caseId);
  const early = known ? shownCall(known) : undefined;
  early?.catch(() => undefined); // not awaited when the case is refused
  const { caseRecord: caseDoc, facts } = await findCaseRecordFor(actor, caseId);
  const callId = String(caseDoc.call);
  rememberCallOf(caseId, callId);
  const call = early && known === callId ? await early : await shownCall(caseDoc.call);
  if (!call) throw new NotFoundError();
  return { caseDoc, call, facts };
}

/** Each case's call, by case id as sent, for the cases uploaded to lately (bounded: the oldest go first). */
const callOfCase = new Map<string, string>();
const CALLS_KEPT = 10_000;

function rememberCallOf(caseId: string, callId: string): void {
  callOfCase.delete(caseId);
  callOfCase.set(caseId, callId);
  if (callOfCase.size > CALLS_KEPT) callOfCase.delete(callOfCase.keys().next().value!);
}

/** The document and its case, if the actor may see the case; NotFound otherwise. */
export async function loadDocumentFor(actor: PolicyUser | undefined, id: string): Promise<LoadedDocument> {
  if (!isId(id)) throw new NotFoundError();
  const doc = await CaseDocument.findById(id);
  if (!doc) throw new NotFoundError();
  const caseDoc = await Case.findById(doc.case);
  if (!caseDoc) throw new NotFoundError();
  const { ok, facts } = await mayViewCase(actor, caseDoc);
  if (!ok) throw new NotFoundError();
  return { doc, caseDoc, facts };
}

/** A document with its case and the case's call (the renewal page needs the item's limits); NotFound unless the actor sees the case. */
export async function loadDocumentWithCall(actor: PolicyUser | undefined, id: string): Promise<LoadedDocument & { call: CallDoc }> {
  const loaded = await loadDocumentFor(actor, id);
  const call = await Call.findById(loaded.caseDoc.call);
  if (!call) throw new NotFoundError();
  return { ...loaded, call };
}
