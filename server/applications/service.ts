// The applicant's side of a case: start (or reopen) an application for a call, save a step of the
// draft, and apply the applicant's workflow actions. Stage changes go through server/workflow only.
import type { Request } from 'express';
import { Types } from 'mongoose';
import type { AppContext } from '../deps.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { Call, type CallDoc } from '../../models/call.ts';
import { User, type UserDoc } from '../../models/user.ts';
import type { Stage } from '../../models/constants.ts';
import { ConflictError, ForbiddenError, NotFoundError } from '../errors.ts';
import { recordAudit } from '../audit/index.ts';
import { applyTransition, nextCaseReference } from '../workflow/index.ts';
import type { Step } from './steps.ts';

/** Stages in which the applicant may still change their application, and the steps open then. */
const EDITABLE: Partial<Record<Stage, readonly Step[]>> = {
  draft: ['profile', 'eligibility', 'achievements', 'dependants', 'support', 'review'],
  // Answering a request for information may need corrected or added details, not a new track.
  awaiting_applicant: ['profile', 'eligibility', 'achievements', 'dependants', 'support'],
};

export function editableSteps(stage: string): readonly Step[] {
  return EDITABLE[stage as Stage] ?? [];
}

export function canEditStep(stage: string, step: Step): boolean {
  return editableSteps(stage).includes(step);
}

const NOT_STARTED: readonly Stage[] = ['withdrawn', 'rejected', 'closed'];

export function isCallOpen(call: Pick<CallDoc, 'status' | 'opensAt' | 'closesAt'>, now: Date): boolean {
  return call.status === 'open' && call.opensAt.getTime() <= now.getTime() && call.closesAt.getTime() >= now.getTime();
}

export async function findOpenCall(id: string, now: Date): Promise<CallDoc> {
  if (!Types.ObjectId.isValid(id)) throw new NotFoundError();
  const call = await Call.findById(id);
  if (!call || !isCallOpen(call, now)) throw new NotFoundError('calls.notOpen');
  return call;
}

/** The applicant's live case for this call, if any (draft or further along). */
export async function existingApplication(applicant: UserDoc, callId: unknown): Promise<CaseDoc | null> {
  return (await Case.findOne({ applicant: applicant._id, call: callId as never, stage: { $nin: NOT_STARTED } }).sort({ createdAt: -1 })) as CaseDoc | null;
}

/**
 * Opens the applicant's draft for a call, creating it when there is none: one live application per
 * applicant per call. The insert is an upsert on (applicant, call, draft), so a double click does
 * not create two drafts.
 */
export async function startApplication(ctx: AppContext, req: Request, applicant: UserDoc, callId: string): Promise<{ caseDoc: CaseDoc; created: boolean }> {
  if (applicant.role !== 'applicant') throw new ForbiddenError('applications.applicantsOnly');
  const now = ctx.now();
  if (!Types.ObjectId.isValid(callId)) throw new NotFoundError();
  // An application already under way is reopened even when the call has closed since.
  const existing = await existingApplication(applicant, callId);
  if (existing) return { caseDoc: existing, created: false };
  const call = await findOpenCall(callId, now);
  const reference = await nextCaseReference(now);
  const res = await Case.findOneAndUpdate(
    { applicant: applicant._id, call: call._id, stage: 'draft' },
    {
      $setOnInsert: {
        reference,
        institute: call.institute,
        track: call.track,
        stageEnteredAt: now,
        profile: { fullName: applicant.name, field: call.field },
        history: [{ at: now, actor: applicant._id, actorRole: 'applicant', action: 'create', to: 'draft' }],
        version: 0,
      },
    },
    { upsert: true, returnDocument: 'after', includeResultMetadata: true },
  );
  const caseDoc = res.value as CaseDoc;
  const created = !res.lastErrorObject?.updatedExisting;
  if (created) {
    await recordAudit(req, { action: 'case.create', targetType: 'Case', targetId: String(caseDoc._id), summary: { reference, call: String(call._id) } });
  }
  return { caseDoc, created };
}

/** The signed-in applicant's own case; anyone else's is "not found" (its existence is not revealed). */
export async function ownCase(user: UserDoc | undefined, id: string): Promise<CaseDoc> {
  if (!user || user.role !== 'applicant' || !Types.ObjectId.isValid(id)) throw new NotFoundError();
  const c = await Case.findOne({ _id: id, applicant: user._id });
  if (!c) throw new NotFoundError();
  return c;
}

/** Writes one step's changes, only while the case is still editable at that step. */
export async function saveStep(req: Request, user: UserDoc, caseDoc: CaseDoc, step: Step, set: Record<string, unknown>): Promise<CaseDoc> {
  const stages = (Object.keys(EDITABLE) as Stage[]).filter((s) => canEditStep(s, step));
  const updated = await Case.findOneAndUpdate(
    { _id: caseDoc._id, applicant: user._id, stage: { $in: stages } },
    { $set: set, $inc: { version: 1 } },
    { returnDocument: 'after', runValidators: true },
  );
  if (!updated) throw new ConflictError('applications.notEditable');
  await recordAudit(req, { action: 'case.application_saved', targetType: 'Case', targetId: String(caseDoc._id), summary: { step } });
  return updated;
}

export type ApplicantAction = 'submit' | 'answer_info' | 'accept_offer' | 'decline_offer' | 'withdraw';

export async function applicantAction(
  ctx: AppContext,
  req: Request,
  user: UserDoc,
  caseDoc: CaseDoc,
  action: ApplicantAction,
  expectedVersion: number,
  payload?: Record<string, unknown>,
): Promise<CaseDoc> {
  return applyTransition(ctx, {
    caseId: caseDoc._id,
    action,
    actor: user,
    expectedVersion,
    payload,
    requestId: req.id !== undefined ? String(req.id) : undefined,
    ip: req.ip,
  });
}

/** Names of the people in a case's history, messages and notes, in one query. */
export async function peopleNames(ids: unknown[]): Promise<Map<string, { name: string; role: string }>> {
  const unique = [...new Set(ids.filter(Boolean).map(String))].filter((id) => Types.ObjectId.isValid(id));
  if (unique.length === 0) return new Map();
  const users = await User.find({ _id: { $in: unique } }, { name: 1, role: 1 }).lean();
  return new Map(users.map((u) => [String(u._id), { name: u.name, role: u.role }]));
}
