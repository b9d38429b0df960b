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
import { recordAudit } from '../audit/index.ts';
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
    updated = await transition({ app, ctx, caseId: caseDoc._id, action, expectedVersion: version, payload });
  } catch (err) {
    const last = err instanceof CaseConflictError ? err.change.last : undefined;
    if (err instanceof CaseConflictError && last?.action === action && err.byActor(actorOf(ctx)._id) && err.change.version === version + 1) {
      return { stage: err.change.stage as Stage, repeated: true };
    }
    throw err;
  }
  await recordDecision(ctx, updated, action, typeof payload.reason === 'string' ? payload.reason.trim() : '');
  await invalidateDashboard(updated.institute);
  return { caseDoc: updated, stage: updated.stage as Stage, repeated: false };
}

/**
 * A decision about a person, audited with who decided and why for the dashboard's "Recent decisions"
 * (server/dashboard/decisions.ts): the leader's (server/evaluations/case.ts) and HR's alike, after the
 * step it took (its history entry's moment, stages and the case version it made).
 */
export async function recordDecision(ctx: Context, updated: CaseDoc, decision: string, reason: string, toldReason?: string): Promise<void> {
  const last = updated.history?.at(-1);
  const summary: DecisionSummary = {
    decision,
    reason,
    ...(toldReason ? { toldReason } : {}),
    decidedAt: last?.at,
    reference: updated.reference,
    institute: String(updated.institute),
    call: String(updated.call),
    from: last?.from,
    to: updated.stage,
    version: updated.version,
    // An applicant's answer after the offer's answer-by date (server/applications/late-answer.ts).
    ...(last?.late?.dueAt ? { late: { dueAt: last.late.dueAt, workingDays: last.late.workingDays } } : {}),
    // A decline received by e-mail or post (record_decline): the day it came, the day the applicant is said to have declined.
    ...(last?.received?.on ? { receivedOn: last.received.on } : {}),
  };
  await recordAudit(ctx, { action: 'case.decision', targetType: 'case', targetId: String(updated._id), summary });
}

/**
 * What a 'case.decision' audit event carries: written by recordDecision, read by the dashboard
 * (server/dashboard/decisions.ts). A type, not an interface, so it is the audit's plain record.
 */
export type DecisionSummary = {
  decision: string;
  reason: string;
  /** A leader's rejection after the panel: what the candidate was told (the reason stays internal). */
  toldReason?: string;
  /** The step's history moment (the audit event's own `at` is when it was recorded). */
  decidedAt?: Date;
  reference?: string;
  institute: string;
  call: string;
  from?: string | null;
  to?: string | null;
  /** The case version the step made: one decision per version. */
  version?: number;
  /** The applicant's answer came after the offer's answer-by date: that date and the working days after it. */
  late?: { dueAt: Date; workingDays: number };
  /** An answer received by e-mail or post: the day HR received it. */
  receivedOn?: Date;
};
