// A case as the panel sees it from the shortlist (facts, scorecards under the hidden-scores rule,
// document completeness, the decisions the actor may take), side-by-side comparison, and the
// leader's decisions, each a workflow transition.
import type { Types } from 'mongoose';
import type { CallDoc } from '../../models/call.ts';
import type { CaseDoc } from '../../models/case.ts';
import type { AppContext } from '../deps.ts';
import { actorOf, type Context } from '../context.ts';
import { transition, availableActions } from '../workflow/index.ts';
import { invalidateDashboard } from '../dashboard/index.ts';
import { evaluationsForViewer, type CaseEvaluations } from './index.ts';
import { documentCompleteness, invalidateShortlist } from './shortlist.ts';

export const DECISIONS = ['shortlist', 'reject', 'approve_offer'] as const;
export type Decision = (typeof DECISIONS)[number];

type Completeness = Awaited<ReturnType<typeof documentCompleteness>> extends Map<string, infer V> ? V : never;

export interface ShortlistCase {
  caseDoc: CaseDoc;
  evals: CaseEvaluations;
  documents: Completeness | undefined;
  /** The decisions the actor may take on the case now (guards are checked when taken). */
  decisions: Decision[];
}

export async function shortlistCase({ ctx, call, caseDoc }: { ctx: Context; call: CallDoc; caseDoc: CaseDoc }): Promise<ShortlistCase> {
  const [evals, docs] = await Promise.all([evaluationsForViewer({ ctx, caseId: caseDoc._id, call }), documentCompleteness([caseDoc._id], call)]);
  const decisions = availableActions(caseDoc, actorOf(ctx)).filter((a): a is Decision => (DECISIONS as readonly string[]).includes(a));
  return { caseDoc, evals, documents: docs.get(String(caseDoc._id)), decisions };
}

export interface ComparedCase<C> {
  kase: C;
  evals: CaseEvaluations;
  documents: Completeness | undefined;
}

/** The cases' scorecards (as the actor may see them) and document completeness, in the order given. */
export async function compareCases<C extends { _id: Types.ObjectId }>({ ctx, call, cases }: { ctx: Context; call: CallDoc; cases: C[] }): Promise<ComparedCase<C>[]> {
  const docs = await documentCompleteness(
    cases.map((c) => c._id),
    call,
  );
  return Promise.all(cases.map(async (kase) => ({ kase, evals: await evaluationsForViewer({ ctx, caseId: kase._id, call }), documents: docs.get(String(kase._id)) })));
}

export interface DecideCaseOptions {
  app: AppContext;
  ctx: Context;
  call: CallDoc;
  caseId: Types.ObjectId;
  action: Decision;
  /** The case version the form was built for (a stale form is a conflict). */
  version: number;
  reason?: string;
  note?: string;
}

/** A leader's decision: the workflow transition, then the call's shortlist and the dashboard show it at once. */
export async function decideCase(opts: DecideCaseOptions): Promise<CaseDoc> {
  const { app, ctx, call, action } = opts;
  const updated = await transition({
    app,
    ctx,
    caseId: opts.caseId,
    action,
    expectedVersion: opts.version,
    payload: action === 'reject' ? { reason: opts.reason ?? '' } : { note: opts.note ?? '' },
  });
  invalidateShortlist(call._id);
  invalidateDashboard(call.institute);
  return updated;
}
