// Loaders for the shortlist routes: the call (any id that names no call is "not found"), and the
// cases of that call the actor may open from its shortlist (the case policy, server/cases/access.ts).
// What the actor may do is the route's authorize(ctx.actor, 'shortlist.…', call).
import { Types } from 'mongoose';
import { Call, type CallDoc } from '../../models/call.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { PANEL_STAGES, UNSUCCESSFUL_STAGES, type Stage } from '../../models/constants.ts';
import { NotFoundError } from '../errors.ts';
import { findPanelCaseFor, mayViewCase } from '../cases/access.ts';
import type { PolicyUser } from '../policies/case.ts';
import { isIdText } from '../support/object-id.js';

/** Stages in which a case may have reached the panel (its shortlist page can exist); who may open it is the case policy's. */
const CASE_PAGE_STAGES: readonly Stage[] = [...PANEL_STAGES, ...UNSUCCESSFUL_STAGES, 'on_hold'];


export function objectIdOr404(v: unknown): Types.ObjectId {
  if (!isIdText(v)) throw new NotFoundError();
  return new Types.ObjectId(v);
}

export async function findCall(id: unknown): Promise<CallDoc> {
  const call = await Call.findById(objectIdOr404(id));
  if (!call) throw new NotFoundError();
  return call;
}

/** A case of the call, for its shortlist page or a scorecard or decision on it; NotFound unless the actor sees it. */
export async function findShortlistCase(actor: PolicyUser | undefined, call: CallDoc, caseId: unknown, opts: { pageStagesOnly?: boolean } = {}): Promise<CaseDoc> {
  const extra: Record<string, unknown> = { call: call._id };
  if (opts.pageStagesOnly) extra.stage = { $in: [...CASE_PAGE_STAGES] };
  return (await findPanelCaseFor(actor, objectIdOr404(caseId), extra)).caseDoc;
}

async function leanCases(filter: Record<string, unknown>) {
  return Case.find(filter).lean();
}
export type LeanCase = Awaited<ReturnType<typeof leanCases>>[number];

/** Cases of the call to compare side by side, in the order asked; NotFound if any is missing or hidden. */
export async function findComparedCases(actor: PolicyUser | undefined, call: CallDoc, ids: readonly string[]): Promise<LeanCase[]> {
  const cases = await leanCases({ _id: { $in: ids.map((id) => new Types.ObjectId(id)) }, call: call._id, stage: { $in: [...CASE_PAGE_STAGES] } });
  if (cases.length !== ids.length) throw new NotFoundError();
  for (const c of cases) if (!(await mayViewCase(actor, c)).ok) throw new NotFoundError();
  return ids.map((id) => cases.find((x) => String(x._id) === id)!);
}
