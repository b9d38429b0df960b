// Loads a case for a user through the case policy (server/policies/case.ts), looking up what the
// policy needs beyond the case (did this user score it?). Every route that opens a case, its
// documents or its evaluations for staff goes through here: a case the user may not see is
// "not found", exactly like a case that does not exist. Two rules: HR's case file (findCaseFor,
// canOpenCaseFile: never an outside reviewer, walk s36) and the panel's view from the shortlist
// (findPanelCaseFor, canViewCase).
import { Types } from 'mongoose';
import { Case, type CaseDoc, type CaseRecord } from '../../models/case.ts';
import { Evaluation } from '../../models/evaluation.ts';
import { NotFoundError } from '../errors.ts';
import { unselectedPaths } from '../support/lean-read.ts';
import { sameId } from '../policies/ids.ts';
import { canOpenCaseFile, canViewCase, caseFileScopeFilter, mayHaveScored, type CaseAccessFacts, type PolicyCase, type PolicyUser } from '../policies/case.ts';
import { isIdText } from '../support/object-id.js';

export interface CaseAccess {
  caseDoc: CaseDoc;
  facts: CaseAccessFacts;
}

/** The facts about this viewer and case that the policy may need (a lookup only when they can matter). */
export async function accessFacts(user: PolicyUser | undefined, c: PolicyCase & { _id: unknown; decision?: { decidedBy?: unknown } | null }): Promise<CaseAccessFacts> {
  if (!user || canViewCase(user, c) || !mayHaveScored(user, c)) return {};
  if (sameId(c.decision?.decidedBy, user._id)) return { decided: true };
  return { scored: !!(await Evaluation.exists({ case: c._id as Types.ObjectId, member: user._id as Types.ObjectId })) };
}

/** May this user see this (already loaded) case, as the panel does (its shortlist page, its evaluation documents)? */
export async function mayViewCase(user: PolicyUser | undefined, c: PolicyCase & { _id: unknown }): Promise<{ ok: boolean; facts: CaseAccessFacts }> {
  const facts = await accessFacts(user, c);
  return { ok: canViewCase(user, c, facts), facts };
}

/** May this user open this (already loaded) case's file (/cases/:id and under it)? */
export async function mayOpenCaseFile(user: PolicyUser | undefined, c: PolicyCase & { _id: unknown }): Promise<{ ok: boolean; facts: CaseAccessFacts }> {
  const facts = await accessFacts(user, c);
  return { ok: canOpenCaseFile(user, c, facts), facts };
}

function caseKey(id: unknown): Types.ObjectId {
  const key = id instanceof Types.ObjectId ? id : isIdText(id) ? new Types.ObjectId(id) : undefined;
  if (!key) throw new NotFoundError();
  return key;
}

/** The facts when this user may see this case by the rule (staff never see drafts: canViewCase); NotFoundError otherwise. */
async function visibleFacts(user: PolicyUser | undefined, c: (PolicyCase & { _id: unknown }) | null, rule: 'file' | 'panel' = 'file'): Promise<CaseAccessFacts> {
  if (!c) throw new NotFoundError();
  const { ok, facts } = await (rule === 'panel' ? mayViewCase : mayOpenCaseFile)(user, c);
  if (!ok) throw new NotFoundError();
  return facts;
}

/** The case if it exists and the user may open its file (HR's case page and what is under it); NotFoundError otherwise. Staff never see drafts. */
export async function findCaseFor(user: PolicyUser | undefined, id: unknown, extra: Record<string, unknown> = {}): Promise<CaseAccess> {
  const caseDoc = await Case.findOne({ _id: caseKey(id), ...extra });
  const facts = await visibleFacts(user, caseDoc);
  return { caseDoc: caseDoc!, facts };
}

/** The case as its panel sees it from the shortlist (outside reviewers included); NotFoundError otherwise. */
export async function findPanelCaseFor(user: PolicyUser | undefined, id: unknown, extra: Record<string, unknown> = {}): Promise<CaseAccess> {
  const caseDoc = await Case.findOne({ _id: caseKey(id), ...extra });
  const facts = await visibleFacts(user, caseDoc, 'panel');
  return { caseDoc: caseDoc!, facts };
}

/**
 * The same, read lean: for a page that only shows the case. Building the Mongoose document and
 * copying it back to plain objects for the presenters was about 4 % of the case page.
 */
export async function findCaseRecordFor(user: PolicyUser | undefined, id: unknown): Promise<{ caseRecord: CaseRecord; facts: CaseAccessFacts }> {
  // Through the driver: the same record as a lean read (server/support/lean-read.ts), without Mongoose's per-read walk of the case schema.
  const caseRecord = await Case.collection.findOne<CaseRecord>({ _id: caseKey(id) }, { projection: unselectedPaths(Case) });
  const facts = await visibleFacts(user, caseRecord);
  return { caseRecord: caseRecord!, facts };
}

/** The Mongo filter of the cases whose file this user may open (the queue, the calendar feed: never an outside reviewer's panel cases). */
export async function caseScopeFor(user: PolicyUser): Promise<Record<string, unknown>> {
  const scored = user.role === 'leader' || (user.role === 'hr_officer' && (user.panelCalls?.length ?? 0) > 0) ? await Evaluation.distinct('case', { member: user._id as Types.ObjectId }) : [];
  return caseFileScopeFilter(user, scored);
}
