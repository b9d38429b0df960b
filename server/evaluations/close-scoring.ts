// A leader closes scoring on a case (lead s35): the hidden-scores rule keeps the others' scores from
// a panel member until their own scorecard is in, while the case is in evaluation, and the
// institute's leaders sit on every panel. A leader who would rather not score a case closes its
// scoring once the call's minimum of complete scorecards is in: the case moves to shortlisted (the
// workflow's `shortlist` step, taken as a decision so the workflow accepts it), with the leader's
// reason on the timeline and on the decision's audit, marked `closedScoring`. Scoring closed, every
// member sees the scores (server/policies/shortlist.ts canSeeOthersScores) and the leader decides on
// them. The candidate is told what any shortlisting tells them (the `shortlisted` e-mail), never the reason.
import { Types } from 'mongoose';
import type { CallDoc } from '../../models/call.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import type { AppContext } from '../deps.ts';
import { actorOf, type Context } from '../context.ts';
import { ConflictError, ForbiddenError, NotFoundError } from '../errors.ts';
import { transition } from '../workflow/index.ts';
import { invalidateDashboard } from '../dashboard/index.ts';
import { canCloseScoring, canEvaluateCall } from '../policies/shortlist.ts';
import { refuseConflictedDecider, requiredScorecards, requirePanelScores } from './decision.ts';
import { invalidateShortlist, type Shortlist } from './shortlist.ts';

export interface CloseScoringOptions {
  app: AppContext;
  ctx: Context;
  call: CallDoc;
  caseId: Types.ObjectId;
  /** The case version the form was built for (a stale form is a conflict). */
  version: number;
  /** The leader's reason, already checked by the form (as a decision's). */
  reason: string;
}

export async function closeScoring({ app, ctx, call, caseId, version, reason }: CloseScoringOptions): Promise<CaseDoc> {
  const kase = await Case.findOne({ _id: caseId, call: call._id }, { stage: 1 }).lean();
  if (!kase) throw new NotFoundError();
  // Closed already (shortlisted, decided, held): nothing to close; said, not a bare refusal.
  if (kase.stage !== 'evaluation') throw new ConflictError('shortlists.closeScoring.errors.closed');
  if (!canCloseScoring(actorOf(ctx), call, kase)) throw new ForbiddenError('shortlists.closeScoring.errors.notLeader');
  // Closing moves the case on as a decision does: not by a leader who declared a conflict on the candidate (merge of sec s35 and lead s35).
  await refuseConflictedDecider({ ctx, caseId });
  // Not before the call's minimum of complete scorecards: there would be no panel's scores to show.
  await requirePanelScores({ ctx, call, caseId });
  const updated = await transition({ app, ctx, caseId, action: 'shortlist', expectedVersion: version, payload: { note: reason }, asDecision: true, decision: { name: 'shortlist', reason }, marks: { closedScoring: true } });
  invalidateShortlist(call._id);
  await invalidateDashboard(call.institute);
  return updated;
}

/** The ways on from a shortlist row whose scores are hidden from the viewer: score it, close its scoring. */
export interface HiddenRowWays {
  canScore: boolean;
  canClose: boolean;
}

/**
 * For the listed cases whose scores are hidden from the viewer (lead s35): whether they may score
 * each (on the panel, in evaluation, no conflict of interest declared) and close its scoring (an
 * institute leader, in evaluation, no conflict declared, the call's minimum of complete scorecards
 * in), from what the page's rows already carry (loadShortlist): no read of its own.
 */
export function hiddenRowWays({ ctx, call, list }: { ctx: Context; call: CallDoc; list: Shortlist }): Map<string, HiddenRowWays> {
  const out = new Map<string, HiddenRowWays>();
  const viewer = actorOf(ctx);
  const evaluator = canEvaluateCall(viewer, call);
  for (const r of list.rows) {
    if (!r.scoreHidden) continue;
    // The button only: the close itself checks the minimum as decisions do (panelScores, members on the panel now).
    const required = r.conflictsCount ? requiredScorecards(call, { size: list.panelSize, conflicts: r.conflictsCount }) : requiredScorecards(call);
    out.set(r.id, {
      canScore: evaluator && r.stage === 'evaluation' && !r.viewerConflicted,
      canClose: canCloseScoring(viewer, call, r) && !r.viewerConflicted && r.completeScorecards >= required,
    });
  }
  return out;
}
