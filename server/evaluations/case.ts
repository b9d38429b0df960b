// A case as the panel sees it from the shortlist (facts, scorecards under the hidden-scores rule,
// document completeness, the decisions the actor may take), side-by-side comparison, and the
// leader's decisions, each a workflow transition.
import { loadCalendar, type WorkingCalendar } from '../calendar/index.ts';
import type { Types } from 'mongoose';
import type { CallDoc } from '../../models/call.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import { User } from '../../models/user.ts';
import type { AppContext } from '../deps.ts';
import { actorOf, type Context } from '../context.ts';
import { can } from '../policies/index.ts';
import { transition, availableActions, previewTransition, type StepPreview, type TransitionOptions } from '../workflow/index.ts';
import { invalidateDashboard } from '../dashboard/index.ts';
import { ConflictError } from '../errors.ts';
import { translator } from '../i18n/index.ts';
import { recipientLocale } from '../outbox/item.ts';
import { DEFAULT_LOCALE, type Locale } from '../i18n/index.ts';
import { caseDecisions } from '../cases/decision-history.ts';
import { lastCaseChange } from '../cases/conflict.ts';
import { caseNamesAndApplicant } from '../cases/people.ts';
import { isPanelDecision, panelScores, refuseConflictedDecider, requirePanelScores, requireSightOrConsent, type PanelScores } from './decision.ts';
import { decidesBlind } from '../policies/shortlist.ts';
import { evaluationsForViewer, type CaseEvaluations } from './index.ts';
import { panelSizeOf } from './panel.ts';
import { documentCompleteness, invalidateShortlist, type HoldFacts } from './shortlist.ts';
import { reconsiderableRejection } from '../workflow/transitions.ts';
import { currentDocuments } from '../documents/index.ts';
import { isEvaluationDocument } from '../policies/document.ts';

/** A document the panel reads on the shortlist's case page (its CV, publications, degrees, letters). */
export interface PanelPaper {
  id: string;
  type: string;
  name: string;
}

/** The case's current evaluation documents (server/policies/document.ts), not those HR rejected: what every panel member may download. */
async function panelPapers(caseDoc: CaseDoc): Promise<PanelPaper[]> {
  const docs = await currentDocuments([caseDoc._id]);
  return docs.filter((d) => isEvaluationDocument(d.type) && d.status !== 'rejected').sort((a, b) => a.type.localeCompare(b.type) || (a.slot ?? 0) - (b.slot ?? 0)).map((d) => ({ id: String(d._id), type: d.type, name: d.originalName }));
}

export const DECISIONS = ['shortlist', 'reject', 'approve_offer', 'put_on_hold', 'withdraw_offer', 'reconsider'] as const;
export type Decision = (typeof DECISIONS)[number];

type Completeness = Awaited<ReturnType<typeof documentCompleteness>> extends Map<string, infer V> ? V : never;

/** A leader's decision taken on the case, as its history records it, for the case's decision section. */
export interface TakenDecision {
  action: Decision;
  at: Date;
  who: string;
  /** The role the decider acted in (leader, admin). */
  role: string;
  /** The reason in the decider's words (internal: the history note). */
  reason: string;
  /** A rejection's words for the candidate (the case keeps those of its rejection: a rejection is its last decision). */
  toldReason?: string;
  /** The language the candidate's e-mails are written in. */
  locale: Locale;
  /** The reader may not read the reasons (a panel member from another institute): `reason` is empty, no `toldReason`. */
  reasonsKept?: boolean;
  /** Decided without the panel's scores, or scoring closed by a leader (lead s35). */
  blind?: true;
  closedScoring?: true;
}

/**
 * The leader's decisions on the case, oldest first: which, who, when, the reason, and what the
 * candidate was told, in their language. The panel's subset of the case's decisions as every page
 * reads them (server/cases/decision-history.ts caseDecisions), with one query for the deciders'
 * names and the candidate's language.
 */
export async function decisionsTaken(caseDoc: CaseDoc): Promise<TakenDecision[]> {
  const steps = (caseDoc.history ?? []).filter(isPanelDecision);
  if (steps.length === 0) return [];
  const { names, applicant } = await caseNamesAndApplicant(
    steps.map((s) => s.actor),
    caseDoc.applicant,
  );
  const locale = applicant ? recipientLocale(applicant) : DEFAULT_LOCALE;
  return caseDecisions(caseDoc, { names, applicantLocale: locale })
    .filter(isPanelDecision)
    .map((d) => ({ action: d.action as Decision, at: d.at, who: d.who ?? '', role: d.role ?? '', reason: d.internal ?? '', ...(d.told ? { toldReason: d.told } : {}), locale, ...(d.blind ? { blind: true as const } : {}), ...(d.closedScoring ? { closedScoring: true as const } : {}) }));
}

export interface ShortlistCase {
  caseDoc: CaseDoc;
  evals: CaseEvaluations;
  documents: Completeness | undefined;
  /** The documents the panel reads here (outside reviewers open no case file: walk s36). */
  papers: PanelPaper[];
  /** The decisions the actor may take on the case now (guards are checked when taken). */
  decisions: Decision[];
  /** Complete scorecards against the call's minimum (the decision guard). */
  panel: PanelScores;
  /** The leader's decisions already taken on the case, oldest first. */
  taken: TakenDecision[];
  /** The case's scores are hidden from the actor, who may decide on it: a decision needs them to say they decide blind (lead s35). */
  blind: boolean;
  /** Who can score the call's cases (as the shortlist counts them: "1 of 3 panel members have scored"). */
  panelSize: number;
  /** On hold: who held it (HR's holds too), when, and its review day; scoring is paused meanwhile (lead s35 follow-up). */
  held?: HoldFacts;
  /** Shortlisted: the offer-or-reject decision's deadline (the stage's), with the calendar its working days are counted on. */
  decisionDue?: { at: Date; calendar: WorkingCalendar };
}

/** A held case's last hold: its decider's name (one read), its moment, and the review day (the held stage's deadline). */
type HeldCase = { stage?: unknown; stageDueAt?: Date | null; history?: ReadonlyArray<{ action?: string | null; actor?: unknown; at?: Date | null }> | null };
async function holdOf(caseDoc: HeldCase): Promise<HoldFacts | undefined> {
  if (caseDoc.stage !== 'on_hold') return undefined;
  const step = (caseDoc.history ?? []).findLast((h) => h.action === 'put_on_hold');
  const by = step?.actor ? (await User.findById(step.actor, { name: 1 }).lean())?.name : undefined;
  return { ...(by ? { by } : {}), ...(step?.at ? { at: step.at } : {}), ...(caseDoc.stageDueAt ? { reviewBy: caseDoc.stageDueAt } : {}) };
}

export async function shortlistCase({ ctx, call, caseDoc }: { ctx: Context; call: CallDoc; caseDoc: CaseDoc }): Promise<ShortlistCase> {
  const [evals, docs, panel, taken, panelSize, held, papers] = await Promise.all([evaluationsForViewer({ ctx, caseId: caseDoc._id, call, kase: caseDoc }), documentCompleteness([caseDoc._id], call), panelScores({ call, caseId: caseDoc._id }), decisionsTaken(caseDoc), panelSizeOf(call), holdOf(caseDoc), panelPapers(caseDoc)]);
  // A rejection is offered for reconsidering only while its row's guard would take it (a leader's, within RECONSIDER_DAYS).
  const decisions = availableActions(caseDoc, actorOf(ctx), { decisions: true }).filter((a): a is Decision => (DECISIONS as readonly string[]).includes(a) && (a !== 'reconsider' || !!reconsiderableRejection(caseDoc, ctx.now)));
  // A panel member from another institute reads each outcome, never its words (server/policies/case.ts readReasons).
  const shown = can(ctx.actor, 'case.readReasons', caseDoc) ? taken : taken.map(({ toldReason: _told, ...d }) => ({ ...d, reason: '', reasonsKept: true }));
  // A leader with a declared conflict does not decide at all (refuseConflictedDecider): not asked to tick for deciding blind.
  // The viewer's own scorecard is read above (evaluationsForViewer): no second read of it.
  const blind = decisions.length > 0 && !evals.ownConflict && decidesBlind(ctx.actor ?? undefined, call, !!evals.own, caseDoc);
  // The date the shortlist's row gives ("decide by"), said where the decision is taken too.
  const decisionDue = caseDoc.stage === 'shortlisted' && caseDoc.stageDueAt && decisions.length > 0 ? { at: caseDoc.stageDueAt, calendar: await loadCalendar() } : undefined;
  return { caseDoc, evals, documents: docs.get(String(caseDoc._id)), papers, decisions, panel, taken: shown, blind, panelSize, ...(held ? { held } : {}), ...(decisionDue ? { decisionDue } : {}) };
}

export interface ComparedCase<C> {
  kase: C;
  evals: CaseEvaluations;
  documents: Completeness | undefined;
  /** Who can score the call's cases (the hidden notice's "1 of 3"). */
  panelSize: number;
  /** On hold: who held it, when, the review day (scoring paused). */
  held?: HoldFacts;
}

/** The cases' scorecards (as the actor may see them) and document completeness, in the order given. */
export async function compareCases<C extends { _id: Types.ObjectId }>({ ctx, call, cases }: { ctx: Context; call: CallDoc; cases: C[] }): Promise<ComparedCase<C>[]> {
  const docs = await documentCompleteness(
    cases.map((c) => c._id),
    call,
  );
  const panelSize = await panelSizeOf(call);
  return Promise.all(
    cases.map(async (kase) => {
      const [evals, held] = await Promise.all([evaluationsForViewer({ ctx, caseId: kase._id, call, kase: kase as { stage?: unknown; resumeStage?: unknown } }), holdOf(kase as HeldCase)]);
      return { kase, evals, documents: docs.get(String(kase._id)), panelSize, ...(held ? { held } : {}) };
    }),
  );
}

export interface DecideCaseOptions {
  app: AppContext;
  ctx: Context;
  call: CallDoc;
  caseId: Types.ObjectId;
  action: Decision;
  /** The case version the form was built for (a stale form is a conflict). */
  version: number;
  /** The leader's reason (already checked by the form): the history note, the audit and the dashboard. */
  reason: string;
  /** A rejection's: what the candidate is told (their e-mail and page), checked by the form. */
  toldReason?: string;
  /** A hold's review date as typed ('YYYY-MM-DD'): the workflow checks it (future, a working day, within the limit). */
  reviewBy?: string;
  /** The decider ticked "I decide without the panel's scores": needed when the scores are hidden from them (lead s35). */
  withoutScores?: boolean;
}

export interface DecisionOutcome {
  caseDoc: CaseDoc;
  /** True when this was a second submit of a decision already taken (double click): nothing more was done. */
  repeated: boolean;
}

/**
 * A second submit of the same confirmation (double click, or a retry after a lost response): the
 * case is one version ahead, and its last step is this actor's same decision with the same reason.
 */
async function sameDecisionAlreadyTaken(opts: DecideCaseOptions): Promise<CaseDoc | undefined> {
  const current = await Case.findById(opts.caseId);
  // Not an assignment or a document checked meanwhile: lines that do not move the version.
  const last = lastCaseChange(current?.history);
  if (!current || !last || current.version !== opts.version + 1) return undefined;
  const mine = String(last.actor) === String(actorOf(opts.ctx)._id);
  return mine && last.action === opts.action && (last.note ?? '') === opts.reason ? current : undefined;
}

/** The case's stage as the hidden-scores rule reads it (a case gone is the workflow's to refuse: read as open). */
async function caseStage(caseId: Types.ObjectId): Promise<{ _id: Types.ObjectId; stage?: unknown; resumeStage?: unknown }> {
  return (await Case.findById(caseId, { stage: 1, resumeStage: 1 }).lean()) ?? { _id: caseId };
}

/**
 * The workflow step a leader's decision is, for its preview and its taking alike (so the confirmation
 * page's e-mail is built from the same data as the one sent): the reason is a rejection's reason,
 * otherwise the history note.
 */
function decisionStep({ app, ctx, caseId, action, version, reason, toldReason, reviewBy }: DecideCaseOptions): TransitionOptions {
  const payload = action === 'reject' || action === 'withdraw_offer' || action === 'reconsider' ? { reason, toldReason } : action === 'put_on_hold' ? { note: reason, reviewBy: reviewBy ?? '', ...(toldReason !== undefined ? { toldReason } : {}) } : { note: reason };
  return { app, ctx, caseId, action, expectedVersion: version, payload, asDecision: true };
}

/**
 * The confirmation page's step 1: the decision checked as decideCase checks it (the panel's scores,
 * then the workflow's guard) and what it will do, the candidate's e-mail rendered as the outbox will
 * send it (previewTransition; never the internal reason). Nothing is written.
 */
export async function previewDecision(opts: DecideCaseOptions): Promise<StepPreview> {
  await refuseConflictedDecider({ ctx: opts.ctx, caseId: opts.caseId });
  await requirePanelScores({ ctx: opts.ctx, call: opts.call, caseId: opts.caseId });
  await requireSightOrConsent({ ctx: opts.ctx, call: opts.call, kase: await caseStage(opts.caseId), withoutScores: opts.withoutScores });
  return previewTransition(decisionStep(opts));
}

/**
 * A leader's decision: the panel's scores first (nothing changes without them), then the workflow
 * transition with the reason as its history note, the decision's audit event carrying the reason
 * (and a rejection's told reason), and the call's shortlist and the dashboard show it at once. The
 * candidate's e-mail is the transition's template: a rejection's told reason, never the reason.
 */
export async function decideCase(opts: DecideCaseOptions): Promise<DecisionOutcome> {
  const { ctx, call, action, reason } = opts;
  await refuseConflictedDecider({ ctx, caseId: opts.caseId });
  await requirePanelScores({ ctx, call, caseId: opts.caseId });
  // Blind only when said so, and then recorded (the decision's history event and audit: marks).
  const blind = await requireSightOrConsent({ ctx, call, kase: await caseStage(opts.caseId), withoutScores: opts.withoutScores });
  let updated: CaseDoc;
  try {
    // The decision's audit event, with the reason (and a rejection's told reason), in the step's own update.
    updated = await transition({ ...decisionStep(opts), decision: { name: action, reason, toldReason: opts.toldReason }, marks: { blind } });
  } catch (err) {
    if (err instanceof ConflictError) {
      const done = await sameDecisionAlreadyTaken(opts);
      if (done) return { caseDoc: done, repeated: true };
    }
    throw err;
  }
  invalidateShortlist(call._id);
  await invalidateDashboard(call.institute);
  return { caseDoc: updated, repeated: false };
}

/** What changed a case after the version a decision form was built for: who, what and when. */
export interface DecidedMeanwhile {
  /** A decision's audit event, or only the case's newest history step (not proved to be the change). */
  kind: 'decision' | 'change';
  decision: string;
  at: Date;
  who: string;
  role: string;
}

/**
 * The newest decision taken on the case after `version` (its 'case.decision' audit event, as the
 * dashboard reads them: server/cases/decision-audit.ts decisionAudit); else the case's newest history
 * step (a change that was not a decision: a hold lifted, a document checked). Undefined when
 * neither is found. For the stale-decision page: the leader learns who moved the case and how.
 */
export async function decidedMeanwhile(caseDoc: CaseDoc, version: number): Promise<DecidedMeanwhile | undefined> {
  const event = await AuditEvent.findOne({ action: 'case.decision', targetId: String(caseDoc._id), 'summary.version': { $gt: version } }, { at: 1, actor: 1, actorRole: 1, summary: 1 })
    .sort({ at: -1 })
    .lean();
  const summary = (event?.summary ?? {}) as { decision?: string; decidedAt?: Date };
  // A line that does not move the version (an assignment, a document checked) is not what made the form stale.
  const last = lastCaseChange(caseDoc.history);
  const found = event
    ? { kind: 'decision' as const, decision: summary.decision ?? '', at: summary.decidedAt ? new Date(summary.decidedAt) : event.at, actor: event.actor, role: event.actorRole ?? '' }
    : last
      ? { kind: 'change' as const, decision: last.action, at: last.at, actor: last.actor, role: last.actorRole ?? '' }
      : undefined;
  if (!found) return undefined;
  const user = found.actor ? await User.findById(found.actor, { name: 1 }).lean() : null;
  return { kind: found.kind, decision: found.decision, at: found.at, who: user?.name ?? '', role: found.role };
}

/**
 * What a rejected (or held) candidate is told unless the leader writes otherwise: a courteous
 * default in the candidate's language (the one their e-mail is written in), for the confirmation
 * page to prefill.
 */
export async function toldReasonDefault(caseDoc: CaseDoc, action: 'reject' | 'put_on_hold' | 'withdraw_offer' | 'reconsider' = 'reject'): Promise<string> {
  const applicant = await User.findById(caseDoc.applicant, { locale: 1, email: 1 }).lean();
  const locale = applicant ? recipientLocale(applicant) : 'vi';
  return translator(locale)(action === 'put_on_hold' ? 'shortlists.decide.told.holdDefault' : action === 'withdraw_offer' ? 'shortlists.decide.told.withdrawDefault' : action === 'reconsider' ? 'shortlists.decide.told.reconsiderDefault' : 'shortlists.decide.told.default');
}
