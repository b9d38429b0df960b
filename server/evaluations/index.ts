// Panel scorecards: submit (create or replace one's own), keep Case.score in step, and read
// evaluations back under the hidden-scores rule.
import type { Request } from 'express';
import { z } from 'zod';
import { Types } from 'mongoose';
import { Evaluation } from '../../models/evaluation.ts';
import { Case } from '../../models/case.ts';
import { Call, type CallDoc } from '../../models/call.ts';
import { User, type UserDoc } from '../../models/user.ts';
import { RECOMMENDATIONS, type Recommendation } from '../../models/constants.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError, type FieldErrors } from '../errors.ts';
import { recordAudit } from '../audit/index.ts';
import { canEvaluateCall, canSeeOthersScores } from '../policies/shortlist.ts';
import { weightedScore, sheetScore, criterionMeans, type CriterionWeight } from './score.ts';
import { invalidateShortlist } from './shortlist.ts';

/** Only cases in this stage take new or changed scorecards; later stages show them frozen. */
export const EVALUATION_STAGE = 'evaluation';

export interface EvaluationInput {
  scores: Record<string, number>;
  recommendation: Recommendation;
  comment: string;
}

const scoreValue = z.union([z.literal(''), z.enum(['1', '2', '3', '4', '5'])]);

/**
 * Reads the scorecard form: one `score_<criterion>` field per criterion of the call ('' = skipped,
 * else an integer 1–5), a recommendation and an optional comment. Field errors are i18n keys.
 */
export function parseEvaluationForm(scorecard: readonly CriterionWeight[], body: Record<string, unknown>): EvaluationInput {
  const errors: FieldErrors = {};
  const scores: Record<string, number> = {};
  for (const c of scorecard) {
    const raw = body[`score_${c.key}`];
    const parsed = scoreValue.safeParse(raw === undefined ? '' : raw);
    if (!parsed.success) errors[`score_${c.key}`] = 'shortlists.errors.score';
    else if (parsed.data !== '') scores[c.key] = Number(parsed.data);
  }
  // Any score field not on the call's scorecard is refused, not silently dropped.
  const known = new Set(scorecard.map((c) => `score_${c.key}`));
  for (const k of Object.keys(body)) if (k.startsWith('score_') && !known.has(k)) errors[k] = 'shortlists.errors.unknownCriterion';
  if (scorecard.length > 0 && Object.keys(scores).length === 0 && !Object.keys(errors).some((k) => k.startsWith('score_'))) errors.scores = 'shortlists.errors.noScores';
  const rec = z.enum(RECOMMENDATIONS).safeParse(body.recommendation);
  if (!rec.success) errors.recommendation = 'shortlists.errors.recommendation';
  const comment = z.string().max(5000).safeParse(body.comment ?? '');
  if (!comment.success) errors.comment = 'shortlists.errors.comment';
  if (Object.keys(errors).length) throw new ValidationError(errors);
  return { scores, recommendation: rec.data!, comment: comment.data!.trim() };
}

function scorecardOf(call: { scorecard?: unknown }): CriterionWeight[] {
  return ((call.scorecard ?? []) as { key: string; weight: number }[]).map((c) => ({ key: c.key, weight: c.weight }));
}

type Signature = string;
async function evaluationSet(caseId: Types.ObjectId) {
  const sheets = await Evaluation.find({ case: caseId }, { scores: 1, updatedAt: 1 }).sort({ _id: 1 }).lean();
  const sig: Signature = sheets.map((s) => `${String(s._id)}@${s.updatedAt?.getTime()}`).join(',');
  return { sheets: sheets.map((s) => ({ scores: (s.scores ?? {}) as Record<string, number> })), sig };
}

/**
 * Recomputes and stores Case.score from the case's evaluations. Two members submitting at once
 * could each compute from a set missing the other's sheet; after writing, the set is read again
 * and the score recomputed if it changed, so the last write always reflects every sheet.
 */
export async function recomputeCaseScore(caseId: Types.ObjectId, scorecard: readonly CriterionWeight[]): Promise<number | null> {
  let { sheets, sig } = await evaluationSet(caseId);
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const score = weightedScore(scorecard, sheets);
    await Case.updateOne({ _id: caseId }, score === null ? { $unset: { score: 1 } } : { $set: { score } }, { timestamps: false });
    const again = await evaluationSet(caseId);
    if (again.sig === sig) return score;
    ({ sheets, sig } = again);
  }
  return weightedScore(scorecard, sheets);
}

export interface SubmitEvaluationArgs {
  caseId: string;
  callId: string;
  member: UserDoc;
  input: EvaluationInput;
  now: Date;
  req?: Request;
}

export async function submitEvaluation(args: SubmitEvaluationArgs): Promise<{ score: number | null }> {
  const { member, input, now } = args;
  if (!Types.ObjectId.isValid(args.caseId) || !Types.ObjectId.isValid(args.callId)) throw new NotFoundError();
  const call = await Call.findById(args.callId).lean();
  if (!call) throw new NotFoundError();
  if (!canEvaluateCall(member, call)) throw new ForbiddenError('shortlists.errors.notEvaluator');
  const c = await Case.findOne({ _id: args.caseId, call: call._id }, { stage: 1, call: 1 }).lean();
  if (!c) throw new NotFoundError();
  if (c.stage !== EVALUATION_STAGE) throw new ConflictError('shortlists.errors.notInEvaluation');
  const scorecard = scorecardOf(call);
  // Defence in depth: the form parser already refuses these.
  for (const [k, v] of Object.entries(input.scores)) {
    if (!scorecard.some((s) => s.key === k) || !Number.isInteger(v) || v < 1 || v > 5) throw new ValidationError({ [`score_${k}`]: 'shortlists.errors.score' });
  }
  const before = await Evaluation.findOne({ case: c._id, member: member._id }, { recommendation: 1 }).lean();
  await Evaluation.findOneAndUpdate(
    { case: c._id, member: member._id },
    {
      $set: { call: call._id, scores: input.scores, recommendation: input.recommendation, comment: input.comment, submittedAt: now },
    },
    { upsert: true, runValidators: true, setDefaultsOnInsert: true },
  );
  const score = await recomputeCaseScore(c._id, scorecard);
  invalidateShortlist(call._id);
  await recordAudit(args.req, {
    action: before ? 'evaluation.update' : 'evaluation.submit',
    targetType: 'case',
    targetId: String(c._id),
    summary: { call: String(call._id), recommendation: input.recommendation, criteria: Object.keys(input.scores).length, score },
    actorId: member._id,
    actorRole: member.role,
  });
  return { score };
}

export interface EvaluationView {
  memberId: string;
  memberName: string;
  own: boolean;
  scores: { key: string; label: unknown; score: number | null }[];
  weighted: number | null;
  recommendation: string;
  comment?: string;
  submittedAt: Date;
}

export interface CaseEvaluations {
  own?: EvaluationView;
  /** Others' sheets, empty while they are hidden. */
  others: EvaluationView[];
  othersHidden: boolean;
  /** How many members have submitted (always shown: it reveals no score). */
  submittedCount: number;
  canEvaluate: boolean;
  /** Per-criterion panel means (only when the viewer may see others' scores). */
  means?: { key: string; label: unknown; weight: number; mean: number | null; count: number }[];
}

export async function evaluationsForViewer(caseId: Types.ObjectId, call: CallDoc | (CallDoc & Record<string, unknown>) | Record<string, unknown>, viewer: UserDoc): Promise<CaseEvaluations> {
  const callLike = call as unknown as { _id: unknown; institute: unknown; scorecard?: { key: string; weight: number; label: unknown }[] };
  const scorecard = callLike.scorecard ?? [];
  const sheets = await Evaluation.find({ case: caseId }).sort({ submittedAt: 1 }).lean();
  const members = await User.find({ _id: { $in: sheets.map((s) => s.member) } }, { name: 1 }).lean();
  const names = new Map(members.map((m) => [String(m._id), m.name]));
  const toView = (s: (typeof sheets)[number]): EvaluationView => {
    const map = (s.scores ?? {}) as Record<string, number>;
    return {
      memberId: String(s.member),
      memberName: names.get(String(s.member)) ?? '—',
      own: String(s.member) === String(viewer._id),
      scores: scorecard.map((c) => ({ key: c.key, label: c.label, score: typeof map[c.key] === 'number' ? map[c.key]! : null })),
      weighted: sheetScore(scorecard, map),
      recommendation: s.recommendation,
      comment: s.comment ?? undefined,
      submittedAt: s.submittedAt,
    };
  };
  const ownSheet = sheets.find((s) => String(s.member) === String(viewer._id));
  const visible = canSeeOthersScores(viewer, callLike, !!ownSheet);
  const means = visible
    ? criterionMeans(scorecard, sheets.map((s) => ({ scores: (s.scores ?? {}) as Record<string, number> }))).map((m, i) => ({ ...m, label: scorecard[i]!.label }))
    : undefined;
  return {
    own: ownSheet ? toView(ownSheet) : undefined,
    others: visible ? sheets.filter((s) => s !== ownSheet).map(toView) : [],
    othersHidden: !visible,
    submittedCount: sheets.length,
    canEvaluate: canEvaluateCall(viewer, callLike),
    means,
  };
}
