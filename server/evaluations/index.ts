// Panel scorecards: submit (create or replace one's own), keep Case.score in step, and read
// evaluations back under the hidden-scores rule.
import { Types } from 'mongoose';
import { Evaluation } from '../../models/evaluation.ts';
import { PanelConflict, CONFLICT_REASON_MAX, CONFLICT_REASON_MIN } from '../../models/panel-conflict.ts';
import { Case } from '../../models/case.ts';
import { Call, type CallDoc } from '../../models/call.ts';
import { User } from '../../models/user.ts';
import type { Recommendation, Stage } from '../../models/constants.ts';
import { actorOf, type Context } from '../context.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../errors.ts';
import { pendingAudit, recordAudit, type PendingAudit } from '../audit/index.ts';
import { pendingAuditCarrier, type PendingAuditRepair } from '../audit/pending-carrier.ts';
import type { Logger } from '../logger.ts';
import { canEvaluateCall, canSeeOthersScores } from '../policies/shortlist.ts';
import { can } from '../policies/index.ts';
import { weightedScore, sheetScore, criterionMeans, type CriterionWeight } from './score.ts';
import { invalidateShortlist } from './shortlist.ts';
import { onPanelAmong } from './panel.ts';
import { withFields } from '../support/with-fields.ts';
import { isId } from '../support/object-id.js';
import { hasHiddenCharacters, visibleLength } from '../support/hidden-characters.ts';

/** Only cases in this stage take new or changed scorecards; later stages show them frozen. */
export const EVALUATION_STAGE = 'evaluation' satisfies Stage;

/** A scorecard as the form gives it (routes/shortlists.ts checks it against the call's criteria). */
export interface EvaluationInput {
  /** Criterion key → score 1–5; a skipped criterion is absent. */
  scores: Record<string, number>;
  recommendation: Recommendation;
  comment: string;
}

export function scorecardOf(call: { scorecard?: unknown }): CriterionWeight[] {
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

export interface SubmitEvaluationOptions {
  /** The panel member scoring is the actor; the time is the context's. */
  ctx: Context;
  caseId: string;
  callId: string;
  input: EvaluationInput;
}

/** Creates or replaces the actor's scorecard for the case, and keeps Case.score in step. */
export async function submitEvaluation(args: SubmitEvaluationOptions): Promise<{ score: number | null }> {
  const { ctx, input } = args;
  const member = actorOf(ctx);
  const now = ctx.now;
  if (!isId(args.caseId) || !isId(args.callId)) throw new NotFoundError();
  const call = await Call.findById(args.callId).lean();
  if (!call) throw new NotFoundError();
  if (!canEvaluateCall(member, call)) throw new ForbiddenError('shortlists.errors.notEvaluator');
  const c = await Case.findOne({ _id: args.caseId, call: call._id }, { stage: 1, call: 1 }).lean();
  if (!c) throw new NotFoundError();
  if (c.stage !== EVALUATION_STAGE) throw new ConflictError('shortlists.errors.notInEvaluation');
  // A member who declared a conflict of interest on the case no longer scores it.
  if (await PanelConflict.exists({ case: c._id, member: member._id })) throw new ConflictError('shortlists.errors.conflictDeclared');
  const scorecard = scorecardOf(call);
  // Defence in depth: the form parser already refuses these.
  for (const [k, v] of Object.entries(input.scores)) {
    // A call saved before the call form refused such keys (server/admin/call-form.ts): a score under
    // "constructor" fails in the database's map and one under "__proto__" is lost, so neither is taken.
    if (k in Object.prototype || k === 'prototype') throw new ValidationError({ scores: 'shortlists.errors.reservedCriterion' });
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
  // Checked again once written: a declaration between the check above and the write withdrew nothing
  // yet, and the scorecard of a member with a declared conflict stayed in the score (security review s35).
  if (await PanelConflict.exists({ case: c._id, member: member._id })) {
    await Evaluation.deleteOne({ case: c._id, member: member._id });
    await recomputeCaseScore(c._id, scorecard);
    invalidateShortlist(call._id);
    throw new ConflictError('shortlists.errors.conflictDeclared');
  }
  const score = await recomputeCaseScore(c._id, scorecard);
  invalidateShortlist(call._id);
  // Not carried by the case (server/cases/pending-audit.ts): the write is the member's Evaluation
  // and the case's score, two updates with no single case update to carry the event.
  await recordAudit(ctx, {
    action: before ? 'evaluation.update' : 'evaluation.submit',
    targetType: 'case',
    targetId: String(c._id),
    summary: { call: String(call._id), recommendation: input.recommendation, criteria: Object.keys(input.scores).length, score },
  });
  return { score };
}

/**
 * A panel member declares a conflict of interest on a case (ValidationError `conflictReason` without a
 * reason of CONFLICT_REASON_MIN..MAX characters): recorded once (a second submit keeps the first), their
 * scorecard for it withdrawn and the case's score recomputed without it, audited once. Only while
 * scoring is open. The row is written first, with its audit event on it; what follows it is done by
 * every submit, not only the one that wrote the row: a declaration that stopped after the row (the
 * database gone, the process killed) left the member's scorecard counted beside their conflict, and
 * sending it again changed nothing (drill panel-conflict-s35). Withdrawing and recomputing are safe
 * twice; the event is recorded once under its own id (two tabs at once: one records, one clears).
 */
export async function declareConflict(args: { ctx: Context; caseId: string; callId: string; reason: unknown }): Promise<{ created: boolean }> {
  const { ctx } = args;
  const member = actorOf(ctx);
  if (!isId(args.caseId) || !isId(args.callId)) throw new NotFoundError();
  const call = await Call.findById(args.callId).lean();
  if (!call) throw new NotFoundError();
  if (!canEvaluateCall(member, call)) throw new ForbiddenError('shortlists.errors.notEvaluator');
  const c = await Case.findOne({ _id: args.caseId, call: call._id }, { stage: 1 }).lean();
  if (!c) throw new NotFoundError();
  const reason = typeof args.reason === 'string' ? args.reason.trim() : '';
  // Read by the leaders and the panel: no control or direction-override character (the rule of every
  // typed text, server/support/hidden-characters.ts), and its minimum counts characters that show, so
  // ten zero-width spaces are no reason (security review s35).
  if (hasHiddenCharacters(reason)) throw new ValidationError({ conflictReason: 'errors.hiddenCharacters' });
  if (visibleLength(reason) < CONFLICT_REASON_MIN || reason.length > CONFLICT_REASON_MAX) throw new ValidationError({ conflictReason: 'shortlists.conflict.errors.reason' });
  if (c.stage !== EVALUATION_STAGE) throw new ConflictError('shortlists.errors.notInEvaluation');
  const scored = !!(await Evaluation.exists({ case: c._id, member: member._id }));
  const event = pendingAudit(ctx, { action: 'evaluation.conflict', targetType: 'case', targetId: String(c._id), summary: { call: String(call._id), withdrawn: scored } });
  const res = await PanelConflict.updateOne(
    { case: c._id, member: member._id },
    { $setOnInsert: { call: call._id, reason, declaredAt: ctx.now, pendingAudits: [event] } },
    { upsert: true, runValidators: true },
  ).catch((err: { code?: number }) => {
    // Two submits at once: the other one recorded it.
    if (err?.code === 11000) return { upsertedCount: 0 };
    throw err;
  });
  const created = res.upsertedCount > 0;
  await Evaluation.deleteOne({ case: c._id, member: member._id });
  const score = await recomputeCaseScore(c._id, scorecardOf(call));
  invalidateShortlist(call._id);
  // This submit's event, or the one an earlier submit left on the row (recorded by whoever gets there first).
  const row = created && 'upsertedId' in res ? { _id: res.upsertedId, pendingAudits: [event] } : await PanelConflict.findOne({ case: c._id, member: member._id }, { pendingAudits: 1 }).select('+pendingAudits').lean();
  const left = (row?.pendingAudits ?? []) as PendingAudit[];
  if (row && left.length) await conflictAudits.settle(row._id, left, { score });
  return { created };
}

const conflictAudits = pendingAuditCarrier({ model: PanelConflict, targetType: 'case', leftBehind: 'conflict of interest declarations left unaudited by a stopped process recorded' });

/**
 * Records, before a case's declarations are erased (server/privacy/erase.ts), the events they still
 * carry (a declaration that stopped within the grace): erasing the row must not erase the fact of the
 * declaration with it (drills s35). Their ids keep them from being recorded twice.
 */
export function recordConflictAuditsBeforeErasure(caseId: unknown): Promise<number> {
  return conflictAudits.recordBeforeErasure({ case: caseId });
}

/** Records the declarations' events left unrecorded by a stopped process, after the grace (server/audit/pending-carrier.ts recordLeft). */
export const recordPendingConflictAudits = (opts: { now: Date; olderThanMs?: number; logger?: Logger }): Promise<PendingAuditRepair> => conflictAudits.recordLeft(opts);

export interface ConflictView {
  memberName: string;
  own: boolean;
  /** Empty for a reader who may not read the case's reasons (a panel member from another institute), unless their own. */
  reason: string;
  declaredAt: Date;
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
  /** Conflicts of interest declared on the case (who, why, when): the panel's and the leaders', never the applicant's. */
  conflicts: ConflictView[];
  /** The viewer's own declared conflict: they no longer score the case. */
  ownConflict?: ConflictView;
  /**
   * Of the declared conflicts, those of members on the panel now: what "N of M panel members" counts
   * out (decision.ts canScoreIt), as the shortlist, the queue and the minimum do; one removed or
   * disabled since is out of the panel's size already (security review s36: counted out twice here).
   */
  conflictsOnPanel: number;
  /** Per-criterion panel means (only when the viewer may see others' scores). */
  means?: { key: string; label: unknown; weight: number; mean: number | null; count: number }[];
}

/** A case's scorecards as the actor may see them (the hidden-scores rule, server/policies/shortlist.ts). */
export async function evaluationsForViewer(opts: { ctx: Context; caseId: Types.ObjectId; call: CallDoc | Record<string, unknown>; kase?: { stage?: unknown; resumeStage?: unknown } }): Promise<CaseEvaluations> {
  const { caseId, call } = opts;
  const viewer = actorOf(opts.ctx);
  const callLike = call as unknown as { _id: unknown; institute: unknown; scorecard?: { key: string; weight: number; label: unknown }[] };
  const scorecard = callLike.scorecard ?? [];
  const [sheets, declared] = await Promise.all([Evaluation.find({ case: caseId }).sort({ submittedAt: 1 }).lean(), PanelConflict.find({ case: caseId }).sort({ declaredAt: 1 }).lean()]);
  const [members, conflictsOnPanel] = await Promise.all([
    User.find({ _id: { $in: [...sheets.map((s) => s.member), ...declared.map((d) => d.member)] } }, { name: 1 }).lean(),
    declared.length ? onPanelAmong(callLike, declared.map((d) => d.member)) : Promise.resolve(0),
  ]);
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
  const visible = canSeeOthersScores(viewer, callLike, !!ownSheet, opts.kase);
  const means = visible
    ? criterionMeans(scorecard, sheets.map((s) => ({ scores: (s.scores ?? {}) as Record<string, number> }))).map((m, i) => withFields(m, { label: scorecard[i]!.label }))
    : undefined;
  // Why a member may not score (their tie to the candidate, in their words) is read by those who read
  // the case's reasons (policies/case.ts readReasons: the institute's staff, administrators) and by its
  // author; a panel member from another institute reads who declared one and when, not why (security review s36).
  const readsReasons = can(opts.ctx.actor ?? undefined, 'case.readReasons', { institute: callLike.institute, applicant: undefined, call: callLike._id });
  const conflicts = declared.map((d) => {
    const own = String(d.member) === String(viewer._id);
    return { memberName: names.get(String(d.member)) ?? '—', own, reason: own || readsReasons ? d.reason : '', declaredAt: d.declaredAt };
  });
  return {
    conflicts,
    ownConflict: conflicts.find((d) => d.own),
    conflictsOnPanel,
    own: ownSheet ? toView(ownSheet) : undefined,
    others: visible ? sheets.filter((s) => s !== ownSheet).map(toView) : [],
    othersHidden: !visible,
    submittedCount: sheets.length,
    canEvaluate: canEvaluateCall(viewer, callLike),
    means,
  };
}
