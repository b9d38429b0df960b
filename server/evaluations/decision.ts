// A leader's decision in two steps: the form (decision + the reason in the leader's words) leads to
// a confirmation page showing exactly what the candidate will be told (the rendered e-mail in the
// candidate's language) and what stays internal; both steps are the workflow's (server/evaluations/
// case.ts: previewDecision through previewTransition, decideCase through transition).
// Guard before either step: the case has the panel's scores (Call.minScorecards complete
// scorecards, every criterion scored; default 1).
import type { Types } from 'mongoose';
import type { CallDoc } from '../../models/call.ts';
import { Evaluation } from '../../models/evaluation.ts';
import { PanelConflict } from '../../models/panel-conflict.ts';
import { onPanelAmong, panelSizeOf } from './panel.ts';
import { actorOf, tOf, type Context } from '../context.ts';
import { ValidationError } from '../errors.ts';
import { decidesBlind } from '../policies/shortlist.ts';

/** The reason in the leader's words: trimmed, at least this long… */
export const REASON_MIN = 10;
/** …and at most this long (what the workflow keeps as a history note). */
export const REASON_MAX = 2000;

export const DEFAULT_MIN_SCORECARDS = 1;

export interface PanelScores {
  /** Scorecards with every criterion of the call's scorecard scored. */
  complete: number;
  /** All scorecards submitted, complete or not. */
  submitted: number;
  /** The call's minimum. */
  required: number;
}

/** A history step that is a leader's decision: shortlist, approve the offer, or reject after the panel (HR's rejection at screening is not). */
export function isPanelDecision(step: { action?: string | null; from?: string | null; actorRole?: string | null; role?: string | null }): boolean {
  const panel = step.from === 'evaluation' || step.from === 'shortlisted';
  // A leader's hold from the panel's stages (walk32 #2); HR's holds are HR's (the case page lists them).
  // A withdrawn offer is the leaders' too (walk s37 #2): only a leader's row takes a case from `offer` to `withdrawn` so.
  return step.action === 'shortlist' || step.action === 'approve_offer' || step.action === 'withdraw_offer' || step.action === 'reconsider' || (step.action === 'reject' && panel) || (step.action === 'put_on_hold' && panel && (step.actorRole ?? step.role) === 'leader');
}

/** How many complete scorecards the case has, against the call's minimum. */
export async function panelScores({ call, caseId }: { call: CallDoc; caseId: Types.ObjectId }): Promise<PanelScores> {
  const keys = (call.scorecard ?? []).map((c) => c.key);
  const evals = await Evaluation.find({ case: caseId, call: call._id }, { scores: 1 }).lean();
  const complete = evals.filter((e) => isCompleteScorecard(keys, e.scores)).length;
  // Only the conflicts of those on the panel now: one removed or disabled since is out of its size
  // already, and counted out twice let a decision go ahead on fewer scorecards than the panel can give (security review s35).
  const declared = await PanelConflict.find({ case: caseId, call: call._id }, { member: 1 }).lean();
  if (declared.length === 0) return { complete, submitted: evals.length, required: requiredScorecards(call) };
  const [size, conflicts] = await Promise.all([panelSizeOf(call), onPanelAmong(call, declared.map((d) => d.member))]);
  return { complete, submitted: evals.length, required: requiredScorecards(call, { size, conflicts }) };
}

/** Whether a scorecard scores every criterion of the call's scorecard (a complete one). */
export function isCompleteScorecard(keys: readonly string[], scores: unknown): boolean {
  const map = (scores ?? {}) as Record<string, unknown>;
  return keys.every((k) => typeof map[k] === 'number');
}

/**
 * The call's minimum of complete scorecards for a case. Members who declared a conflict of interest
 * on it cannot score it: the minimum is what the rest of the panel can give (at least one), or the
 * case would wait for ever (walk s34, lead). `panel`: its size and its members' conflicts on the case,
 * read only when any conflict is declared.
 */
export function requiredScorecards(call: Pick<CallDoc, 'minScorecards'>, panel?: { size: number; conflicts: number }): number {
  const callMin = Number.isInteger(call.minScorecards) && (call.minScorecards as number) >= 1 ? (call.minScorecards as number) : DEFAULT_MIN_SCORECARDS;
  return panel ? Math.max(1, Math.min(callMin, panel.size - panel.conflicts)) : callMin;
}

/**
 * Of "N of M panel members scored", M: those who can score the case (the panel less its members'
 * conflicts, as the minimum counts them), never fewer than have scored (a member removed since).
 */
export function canScoreIt(panelSize: number, conflicts: number, scored: number): number {
  return Math.max(panelSize - conflicts, scored);
}

/**
 * Refuses (422, nothing changed) the decision of one who declared a conflict of interest on the case:
 * a leader who stopped scoring their relative or co-author could still shortlist or approve them
 * (security review s35). Another leader of the institute or an administrator decides.
 */
export async function refuseConflictedDecider({ ctx, caseId }: { ctx: Context; caseId: Types.ObjectId }): Promise<void> {
  const actor = ctx.actor;
  if (!actor || !(await PanelConflict.exists({ case: caseId, member: actor._id }))) return;
  throw new ValidationError({ conflict: tOf(ctx)('shortlists.decide.errors.conflictDeclared') }, 'shortlists.decide.errors.guard');
}

/** Refuses (422, nothing changed) a decision on a case without the panel's scores. */
export async function requirePanelScores({ ctx, call, caseId }: { ctx: Context; call: CallDoc; caseId: Types.ObjectId }): Promise<PanelScores> {
  const scores = await panelScores({ call, caseId });
  if (scores.complete < scores.required) {
    const t = tOf(ctx);
    const key = scores.complete === 0 ? 'shortlists.decide.errors.noScorecards' : 'shortlists.decide.errors.tooFewScorecards';
    throw new ValidationError({ scorecards: t(key, { count: scores.complete, required: scores.required }) }, 'shortlists.decide.errors.guard');
  }
  return scores;
}

/**
 * Whether the acting decider would decide this case blind: its scores are hidden from them (they
 * have not scored it and scoring is still open: server/policies/shortlist.ts decidesBlind).
 */
export async function decidingBlind({ ctx, call, kase }: { ctx: Context; call: CallDoc; kase: { _id: Types.ObjectId; stage?: unknown; resumeStage?: unknown } }): Promise<boolean> {
  const actor = actorOf(ctx);
  if (actor.role === 'admin') return false;
  const own = await Evaluation.exists({ case: kase._id, member: actor._id });
  return decidesBlind(actor, call, !!own, kase);
}

/**
 * Refuses (422, nothing changed) a decision taken blind unless the decider said so ("I decide
 * without the panel's scores", `withoutScores`); returns whether it is blind, to be recorded on the
 * decision's history event and audit (lead s35: the steering committee sees it).
 */
export async function requireSightOrConsent({ ctx, call, kase, withoutScores }: { ctx: Context; call: CallDoc; kase: { _id: Types.ObjectId; stage?: unknown; resumeStage?: unknown }; withoutScores?: boolean }): Promise<boolean> {
  const blind = await decidingBlind({ ctx, call, kase });
  if (blind && withoutScores !== true) throw new ValidationError({ withoutScores: 'shortlists.decide.errors.blind' }, 'shortlists.decide.errors.blindGuard');
  return blind;
}
