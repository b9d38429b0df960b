// The audit event of a decision about a person (who decided and why), for the dashboard's "Recent
// decisions" (server/dashboard/decisions.ts): the leader's (server/evaluations/case.ts), HR's
// (./decision.ts) and the applicant's decline of an offer (server/applications/offer.ts) alike. It is
// captured by the workflow's step (server/workflow `record`, TransitionOptions.decision) and goes
// into the step's own update with the step's event (./pending-audit.ts), so neither is recorded
// without the other: the step's history moment, stages and the case version it made.
import type { Types } from 'mongoose';
import { caseAudit } from './pending-audit.ts';
import type { AuditSource, PendingAudit } from '../audit/index.ts';

/**
 * What a 'case.decision' audit event carries: written by decisionAudit, read by the dashboard
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
  /** A leader decided without the panel's scores, hidden from them while scoring was open (lead s35). */
  blind?: true;
  /** A leader closed scoring: the case moved to shortlisted so the panel's scores show (lead s35). */
  closedScoring?: true;
};

/** The case as the step leaves it: what the decision's event reads of it. */
export interface DecidedCase {
  reference: string;
  institute: Types.ObjectId | unknown;
  call: Types.ObjectId | unknown;
  stage: string;
  version: number;
  /** The step's history event last. */
  history: ReadonlyArray<{ at?: Date | null; from?: string | null; late?: { dueAt?: Date | null; workingDays?: number | null } | null; received?: { on?: Date | null } | null }>;
}

export function decisionAudit(source: AuditSource, after: DecidedCase, decision: string, reason: string, toldReason?: string, marks: { blind?: true; closedScoring?: true } = {}): PendingAudit {
  const last = after.history.at(-1);
  const summary: DecisionSummary = {
    decision,
    reason,
    ...(toldReason ? { toldReason } : {}),
    decidedAt: last?.at ?? undefined,
    reference: after.reference,
    institute: String(after.institute),
    call: String(after.call),
    from: last?.from,
    to: after.stage,
    version: after.version,
    // An applicant's answer after the offer's answer-by date (server/applications/late-answer.ts).
    ...(last?.late?.dueAt ? { late: { dueAt: last.late.dueAt, workingDays: last.late.workingDays ?? 0 } } : {}),
    // A decline received by e-mail or post (record_decline): the day it came, the day the applicant is said to have declined.
    ...(last?.received?.on ? { receivedOn: last.received.on } : {}),
    ...marks,
  };
  return caseAudit(source, { action: 'case.decision', summary });
}
