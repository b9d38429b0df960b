// Who may see a call's shortlist, score its cases and decide (DESIGN.md §8, issue 6):
// - a leader sees the calls of their own institute, and is always an evaluator for them;
// - a panel member (User.panelCalls, named by an administrator) sees and scores only the calls
//   they sit on, whatever their institute (external reviewers);
// - an administrator sees every shortlist but does not score (not on a panel);
// - nobody else (HR officers who are not panel members, applicants).
import { sameId } from './ids.ts';
import { isPanelMember, type PolicyUser } from './case.ts';

export interface PolicyCall {
  _id: unknown;
  institute: unknown;
}

function asCase(call: PolicyCall) {
  return { applicant: undefined, institute: call.institute, call: call._id };
}

export function isInstituteLeader(user: PolicyUser | undefined, call: PolicyCall): boolean {
  return !!user && user.role === 'leader' && sameId(user.institute, call.institute);
}

/** Scores cases of this call: the institute's leaders and the named panel members. */
export function canEvaluateCall(user: PolicyUser | undefined, call: PolicyCall): boolean {
  if (!user || (user.role !== 'leader' && user.role !== 'hr_officer')) return false;
  return isInstituteLeader(user, call) || isPanelMember(user, asCase(call));
}

/**
 * Lists the call's cases rejected after the panel (the shortlist's "rejected" filter): those who may
 * open them (server/policies/case.ts rejectedAfterPanel): the institute's leaders and administrators.
 */
export function canListRejected(user: PolicyUser | undefined, call: PolicyCall): boolean {
  return !!user && (user.role === 'admin' || isInstituteLeader(user, call));
}

export function canViewShortlist(user: PolicyUser | undefined, call: PolicyCall): boolean {
  if (!user) return false;
  if (user.role === 'admin') return true;
  return canEvaluateCall(user, call);
}

/** Mongo filter of the calls whose shortlist the user may open (never widens). */
export function shortlistCallFilter(user: PolicyUser): Record<string, unknown> {
  if (user.role === 'admin') return {};
  if (user.role === 'leader') return { $or: [{ institute: user.institute ?? null }, { _id: { $in: user.panelCalls ?? [] } }] };
  if (user.role === 'hr_officer') return { _id: { $in: user.panelCalls ?? [] } };
  return { _id: null };
}

/**
 * Whether the case's scorecards can still be sent: in evaluation, or on hold from it (a case whose
 * hold's origin is not known counts as open, so the rule below errs on hiding).
 */
export function scoringOpen(kase: { stage?: unknown; resumeStage?: unknown } | undefined): boolean {
  if (!kase || kase.stage === undefined) return true;
  return kase.stage === 'evaluation' || (kase.stage === 'on_hold' && (kase.resumeStage === undefined || kase.resumeStage === null || kase.resumeStage === 'evaluation'));
}

/**
 * Hidden-scores rule: an evaluator sees the other members' scores, recommendations and the
 * combined score of a case only once their own scorecard for it is submitted, so nobody anchors
 * on the others — while scoring is open. Once it has closed (the case shortlisted, offered,
 * rejected) nobody can anchor any more, and a leader who decides without having scored decides on
 * the panel's scores, not blind. An administrator, who never scores, sees them. Without the case
 * (`kase` absent), scoring counts as open.
 */
export function canSeeOthersScores(user: PolicyUser | undefined, call: PolicyCall, ownSubmitted: boolean, kase?: { stage?: unknown; resumeStage?: unknown }): boolean {
  if (!user) return false;
  if (user.role === 'admin') return true;
  return canEvaluateCall(user, call) && (ownSubmitted || !scoringOpen(kase));
}

/**
 * A decider who would decide blind: one of the institute's leaders (who decide; an administrator sees
 * every score) from whom the case's scores are hidden by the rule above (not scored, scoring open).
 * Their decision is refused unless they say they decide without the panel's scores, and that is
 * recorded (lead s35: never blind unknowingly). Anyone else is no decider: the workflow refuses them.
 */
export function decidesBlind(user: PolicyUser | undefined, call: PolicyCall, ownSubmitted: boolean, kase: { stage?: unknown; resumeStage?: unknown } | undefined): boolean {
  return isInstituteLeader(user, call) && !canSeeOthersScores(user, call, ownSubmitted, kase);
}

/**
 * Closes scoring on a case: moves it from evaluation to shortlisted so the panel's scores show to
 * every member. The institute's leaders only (an administrator sees the scores already, a panel
 * member does not decide), while the case is in evaluation; the panel's minimum of complete
 * scorecards is the command's check (server/evaluations/close-scoring.ts).
 */
export function canCloseScoring(user: PolicyUser | undefined, call: PolicyCall, kase: { stage?: unknown } | undefined): boolean {
  return !!kase && kase.stage === 'evaluation' && isInstituteLeader(user, call);
}

/** A call's shortlist and scorecards; `ownSubmitted` is whether the actor's scorecard is in. */
export type ShortlistSubject = PolicyCall & { ownSubmitted?: boolean };

/**
 * No `view` rule on purpose: calls are public, so a shortlist refused is "forbidden" (403,
 * shortlists.errors.notYourCall), never "not found" (authorize answers 404 only when a model's
 * `view` rule refuses). `open` is who may read the ranked list, compare and open its cases.
 */
export const shortlistAbilities = {
  open: (user: PolicyUser, call: ShortlistSubject) => canViewShortlist(user, call),
  evaluate: (user: PolicyUser, call: ShortlistSubject) => canEvaluateCall(user, call),
  seeOthersScores: (user: PolicyUser, call: ShortlistSubject) => canSeeOthersScores(user, call, call.ownSubmitted === true),
  /** Who may close a case's scoring at all (the institute's leaders); whether this case's is still open is canCloseScoring's. */
  closeScoring: (user: PolicyUser, call: ShortlistSubject) => isInstituteLeader(user, call),
} as const;
