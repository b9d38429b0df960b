// HR's decisions that end or pause a case (reject, put on hold, close: the workflow rows marked
// `confirm`), in two steps as a leader's decision (server/evaluations/decision.ts): the reason is
// checked and the confirmation page shows what will happen (the new stage, the applicant's e-mail
// as it will be sent, what they can still do, an information request still running); confirming
// takes the step once and records the decision for the leaders' dashboard.
import type { AppContext } from '../deps.ts';
import { actorOf, type Context } from '../context.ts';
import type { CaseDoc } from '../../models/case.ts';
import type { Stage } from '../../models/constants.ts';
import { loadCalendar } from '../calendar/index.ts';
import { invalidateDashboard } from '../dashboard/index.ts';
import { previewTransition, transition, type Action, type StepPreview } from '../workflow/index.ts';
import { CaseConflictError } from './conflict.ts';

export interface HrDecisionInput {
  app: AppContext;
  ctx: Context;
  caseDoc: CaseDoc;
  action: Action;
  /** The version the case page was built for. */
  version: number;
  /** The step's form (the reason where it has one). */
  payload: Record<string, unknown>;
}

export interface HrDecisionPreview extends StepPreview {
  /** An information request the applicant may still answer: its due date, not passed. */
  openRequest?: { dueAt: Date; workingDays: number };
  retentionDays: number;
}

/** An unanswered information request whose date has not passed (the applicant may still answer it). */
function openInfoRequest(c: CaseDoc, now: Date): { dueAt: Date } | undefined {
  const r = c.infoRequest;
  if (c.stage !== 'awaiting_applicant' || !r?.dueAt || r.answeredAt) return undefined;
  return r.dueAt.getTime() >= now.getTime() ? { dueAt: r.dueAt } : undefined;
}

/**
 * Step 1: the step checked as it will be taken (a stale version is CaseConflictError, bad input
 * ValidationError, as the step itself) and what it will do. Nothing is written.
 */
export async function previewHrDecision({ app, ctx, caseDoc, action, version, payload }: HrDecisionInput): Promise<HrDecisionPreview> {
  const preview = await previewTransition({ app, ctx, caseId: caseDoc._id, action, expectedVersion: version, payload });
  const open = openInfoRequest(preview.caseDoc, ctx.now);
  const openRequest = open ? { dueAt: open.dueAt, workingDays: (await loadCalendar()).workingDaysBetween(ctx.now, open.dueAt) } : undefined;
  return { ...preview, openRequest, retentionDays: app.config.retentionDays };
}

export interface HrDecisionOutcome {
  caseDoc?: CaseDoc;
  stage: Stage;
  /** A second click (or another tab) on the decision this officer has just taken: nothing more was done. */
  repeated: boolean;
}

/**
 * Step 2: the step taken, and its decision audited as the leaders' are ('case.decision', with who
 * decided and why: the dashboard's "Recent decisions"). The same officer confirming the same step
 * twice gets the first outcome, not a conflict: exactly one stage change and one e-mail.
 */
export async function takeHrDecision({ app, ctx, caseDoc, action, version, payload }: HrDecisionInput): Promise<HrDecisionOutcome> {
  let updated: CaseDoc;
  try {
    // The decision's audit event (who decided and why) goes into the step's own update.
    updated = await transition({ app, ctx, caseId: caseDoc._id, action, expectedVersion: version, payload, decision: { name: action, reason: typeof payload.reason === 'string' ? payload.reason.trim() : '' } });
  } catch (err) {
    const last = err instanceof CaseConflictError ? err.change.last : undefined;
    if (err instanceof CaseConflictError && last?.action === action && err.byActor(actorOf(ctx)._id) && err.change.version === version + 1) {
      return { stage: err.change.stage as Stage, repeated: true };
    }
    throw err;
  }
  await invalidateDashboard(updated.institute);
  return { caseDoc: updated, stage: updated.stage as Stage, repeated: false };
}

export type { DecisionSummary } from './decision-audit.ts';
