// Page models of the shortlist pages, and small display helpers shared by the shortlist, dashboard
// and report pages.
import { CONFLICT_REASON_MAX, CONFLICT_REASON_MIN } from '../../models/panel-conflict.ts';
import type { CallDoc } from '../../models/call.ts';
import type { LeanCase } from './access.ts';
import { PANEL_STAGES, RECOMMENDATIONS, TRACKS } from '../../models/constants.ts';
import { tOf, type Context } from '../context.ts';
import { can } from '../policies/index.ts';
import { canCloseScoring } from '../policies/shortlist.ts';
import { EVALUATION_STAGE } from './index.ts';
import { SHORTLIST_SORTS, type HoldFacts, type Shortlist, type ShortlistCallRow, type ShortlistQuery } from './shortlist.ts';
import type { HiddenRowWays } from './close-scoring.ts';
import type { ComparedCase, Decision, DecidedMeanwhile, ShortlistCase, TakenDecision } from './case.ts';
import { formatDateTime, formatDay } from '../views/time.ts';
import { vnDateKey, type WorkingCalendar } from '../calendar/index.ts';
import { HOLD_REVIEW_MAX_DAYS } from '../workflow/transitions.ts';
import { RECONSIDER_DAYS, TOLD_REASON_MAX } from '../workflow/transitions.ts';
import type { CaseDoc } from '../../models/case.ts';
import { REASON_MAX, REASON_MIN, canScoreIt } from './decision.ts';
import type { StepPreview } from '../workflow/index.ts';
import type { PanelMembers } from './panel.ts';
import { countryName } from '../applications/countries.ts';
import { withFields } from '../support/with-fields.ts';
import { formatDecimal } from '../views/numbers.ts';
import { fieldErrorText } from '../support/field-errors.ts';
import { dueSentence } from '../procedures/service.ts';

/** A score for display, two decimals in the page's language (4,40 / 4.40); lists sort on the number itself. */
export function formatScore(n: number | null | undefined, locale: string): string {
  return typeof n === 'number' ? formatDecimal(n, locale, 2) : '';
}

// ---- page models of the shortlist pages (routes/shortlists.ts) ----

type T = (k: string, o?: Record<string, unknown>) => string;

/** Field errors are i18n keys until here; shown in the page's language. */
export function translateErrors(t: T, fields: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!fields) return undefined;
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, fieldErrorText(t as never, v)]));
}

function tOfCtx(ctx: Context): T {
  return tOf(ctx) as unknown as T;
}

export function shortlistIndexPage({ ctx, calls }: { ctx: Context; calls: ShortlistCallRow[] }) {
  return {
    title: tOfCtx(ctx)('shortlists.indexTitle'),
    calls: calls.map((r) => withFields(r.call, { id: String(r.call._id), counts: r.counts, onPanel: r.onPanel, leader: r.leader })),
  };
}

export function shortlistPage({ ctx, call, list, query, rejected = false, ways }: { ctx: Context; call: CallDoc; list: Shortlist; query: ShortlistQuery; rejected?: boolean; ways?: Map<string, HiddenRowWays> }) {
  const t = tOfCtx(ctx);
  const params = (page: number) => {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (k !== 'page' && v !== undefined && v !== '') p.set(k, String(v));
    if (page > 1) p.set('page', String(page));
    const s = p.toString();
    return s ? `?${s}` : '';
  };
  const byScore = (query.sort || 'score') === 'score';
  return {
    title: t('shortlists.callTitle'),
    // The shortlist's own styles (scores, recommendation badges, the phone's cards) were never loaded on it.
    styles: ['/static/css/leaders.css'],
    call: call.toObject(),
    callId: String(call._id),
    canEvaluate: can(ctx.actor, 'shortlist.evaluate', call),
    // Labels resolved here once per row (cheaper than a helper call per cell on a long list).
    rows: list.rows.map((r, i, rows) =>
      withFields(r, {
        // Equal scores side by side: the row says the rule placed them, not the score.
        tied: byScore && r.score !== null && (rows[i - 1]?.score === r.score || rows[i + 1]?.score === r.score),
        // "3 of 4 panel members scored": the count alone did not say whether the panel was done. Of
        // those who can score it: a member who declared a conflict never will (the minimum counts them
        // out too, server/evaluations/decision.ts panelScores), so "1 of 3" with two conflicts read as waiting.
        scoredText: t('shortlists.scoredOfPanel', { count: r.evaluationsCount, panel: canScoreIt(list.panelSize, r.conflictsCount, r.evaluationsCount) }),
        // A score hidden from the viewer says why and the ways on (lead s35): "Score it", "Close scoring".
        hiddenNotice: hiddenScoresNotice(t, { hidden: r.scoreHidden, scored: r.evaluationsCount, panel: canScoreIt(list.panelSize, r.conflictsCount, r.evaluationsCount), canScore: ways?.get(r.id)?.canScore ?? false, canClose: ways?.get(r.id)?.canClose ?? false, caseHref: `/shortlists/${String(call._id)}/cases/${r.id}`, held: r.stage === 'on_hold' ? (r.held ?? {}) : undefined, locale: ctx.locale }),
        countryName: countryName(r.country, ctx.locale),
        scoreText: formatScore(r.score, ctx.locale),
        stageLabel: t(`workflow.stages.${r.stage}`),
        trackLabel: t(`dashboard.tracks.${r.track}`),
        degreeLabel: r.degree ? t(`shortlists.degrees.${r.degree}`) : '',
        recommendations: r.recommendations.map((x) => withFields(x, { label: t(`shortlists.recommendationValues.${x.recommendation}`) })),
        // The latest decision, so a leader finds theirs and the others' ("Rejected: Lê Lãnh Đạo, 5 Dec 2026").
        decisionText: r.decision ? t('shortlists.rowDecision', { decision: t(`shortlists.history.outcomes.${r.decision.action}`), who: r.decision.who || t('shortlists.decide.meanwhile.someone'), date: formatDay(r.decision.at, ctx.locale) }) : '',
        // A candidate held after the panel stays in the ranking, marked with the hold's reason.
        heldText: r.held ? (r.held.reason ? t('shortlists.rowHeld', { reason: r.held.reason }) : t('shortlists.rowHeldNoReason')) : '',
        // Shortlisted: the leader's decision is due by the stage's deadline, counted as HR's queue counts it.
        decisionDue: r.decisionDueAt && list.calendar ? decisionDue(ctx, list.calendar, r.decisionDueAt) : undefined,
        // The recommendations' cell under a hidden score: the notice's words, short (paused while held).
        hiddenShort: r.scoreHidden ? t(r.stage === 'on_hold' ? 'shortlists.blind.pausedShort' : 'shortlists.blind.hiddenShort') : '',
      })),
    labels: { hidden: t('shortlists.blind.hiddenShort'), notScored: t('shortlists.notScored'), publications: t('shortlists.publications'), patents: t('shortlists.patents'), complete: t('shortlists.documentsComplete'), tied: t('shortlists.tied') },
    total: list.total,
    page: list.page,
    pages: list.pages,
    prevUrl: list.page > 1 ? `/shortlists/${call._id}${params(list.page - 1)}` : undefined,
    nextUrl: list.page < list.pages ? `/shortlists/${call._id}${params(list.page + 1)}` : undefined,
    q: query,
    stages: PANEL_STAGES,
    // The cases rejected after the panel, for those who may open them (canListRejected).
    rejectedOption: rejected,
    tracks: TRACKS,
    sorts: SHORTLIST_SORTS,
  };
}

/** "Decision due 7 May 2027 · 4 working days left" (or "… overdue"), on the queue's count (procedures/service.ts dueSentence). */
function decisionDue(ctx: Context, calendar: WorkingCalendar, at: Date): { text: string; overdue: boolean; datetime: string } {
  return { ...dueSentence(tOf(ctx), ctx.locale, calendar, ctx.now, at, 'shortlists.decisionDue'), datetime: vnDateKey(at) };
}

/**
 * Whether the page says a case's scores are hidden from the viewer: only when there are scores to
 * hide (a scorecard in, or a combined score). With none, it says there is no score yet.
 */
function scoresHiddenFrom(evals: { othersHidden: boolean; canEvaluate: boolean; submittedCount: number }, score: unknown): boolean {
  return evals.othersHidden && evals.canEvaluate && (evals.submittedCount > 0 || typeof score === 'number');
}

/** The comparison page; `columns` undefined when the selection was not 2–4 distinct cases. */
export function comparePage({ ctx, call, columns }: { ctx: Context; call: CallDoc; columns?: ComparedCase<LeanCase>[] }) {
  const t = tOfCtx(ctx);
  const base = { title: t('shortlists.compareTitle'), call: call.toObject(), callId: String(call._id) };
  if (!columns) return { ...base, invalid: true };
  return {
    ...base,
    columns: columns.map(({ kase: c, evals, documents, panelSize, held }) => {
      const hidden = scoresHiddenFrom(evals, c.score);
      const paused = c.stage === 'on_hold';
      return {
        id: String(c._id),
        kase: c,
        country: countryName(c.profile?.countryOfResidence, ctx.locale),
        nationality: countryName(c.profile?.nationality, ctx.locale),
        score: hidden ? null : formatScore(c.score, ctx.locale),
        hidden,
        // The shortlist's words (lead s35): why, how many of those who can score did, "Score it" where
        // they may; paused for a held case. Closing scoring is on the case page (no room here).
        hiddenNotice: hiddenScoresNotice(t, { hidden, scored: evals.submittedCount, panel: canScoreIt(panelSize, evals.conflictsOnPanel, evals.submittedCount), canScore: evals.canEvaluate && c.stage === EVALUATION_STAGE && !evals.ownConflict, canClose: false, caseHref: `/shortlists/${String(call._id)}/cases/${String(c._id)}`, held: paused ? (held ?? {}) : undefined, locale: ctx.locale }),
        hiddenShort: hidden ? t(paused ? 'shortlists.blind.pausedShort' : 'shortlists.blind.hiddenShort') : undefined,
        othersHiddenText: hidden ? t(paused ? 'shortlists.blind.othersPaused' : 'shortlists.othersHidden', { count: evals.submittedCount }) : undefined,
        evals,
        // Nobody has scored this candidate yet: said, not an empty cell.
        noScorecard: !evals.own && evals.submittedCount === 0,
        means: (evals.means ?? []).map((m) => withFields(m, { meanText: formatScore(m.mean, ctx.locale) })),
        documents,
      };
    }),
    criteria: call.toObject().scorecard ?? [],
  };
}

export interface CaseFormState {
  /** Scorecard errors (i18n keys) and what was typed. */
  errors?: Record<string, string>;
  values?: Record<string, unknown>;
  /** Decision errors (i18n keys) and what was typed. */
  decisionErrors?: Record<string, string>;
  decisionValues?: Record<string, unknown>;
  /** The scorecard was refused as a whole (scoring closed, a conflict declared): its errors go in the summary only. */
  scoringRefused?: boolean;
  /** The conflict-of-interest form's errors (i18n keys) and what was typed. */
  conflictErrors?: Record<string, string>;
  conflictValues?: Record<string, unknown>;
  /** The form was stale: the case was changed meanwhile (by whom, how, when, when known). */
  stale?: { meanwhile?: DecidedMeanwhile };
  /** The close-scoring form's errors (i18n keys or texts) and what was typed (lead s35). */
  closeErrors?: Record<string, string>;
  closeValues?: Record<string, unknown>;
}

/**
 * Why a case's scores are hidden from the viewer, in words, and the ways on (lead s35): "Scores hidden
 * until you submit your scorecard — 1 of 3 panel members have scored", with "Score it" where they may
 * score it and "Close scoring" where they may close it (an institute leader, the call's minimum of
 * complete scorecards in). Undefined when nothing is hidden from them.
 */
export function hiddenScoresNotice(t: T, o: { hidden: boolean; scored: number; panel: number; canScore: boolean; canClose: boolean; caseHref: string; held?: HoldFacts; locale?: string }) {
  if (!o.hidden) return undefined;
  // On hold while scoring was open: nobody can score it until HR resumes it, so no "submit your
  // scorecard" and no links; who held it and the review day instead (lead s35 follow-up).
  if (o.held) {
    const locale = o.locale ?? 'en';
    const parts = [`${t('shortlists.blind.pausedWhy', { count: o.scored, panel: o.panel })}.`];
    if (o.held.by && o.held.at) parts.push(t('shortlists.blind.pausedBy', { who: o.held.by, date: formatDay(o.held.at, locale) }));
    parts.push(o.held.reviewBy ? t('shortlists.blind.pausedResume', { date: formatDay(o.held.reviewBy, locale) }) : t('shortlists.blind.pausedResumeNoDate'));
    return { text: parts.join(' '), paused: true, scoreHref: undefined, closeHref: undefined };
  }
  return {
    text: t('shortlists.blind.hiddenWhy', { count: o.scored, panel: o.panel }),
    scoreHref: o.canScore ? `${o.caseHref}#scorecard-h` : undefined,
    closeHref: o.canClose ? `${o.caseHref}#close-scoring` : undefined,
  };
}

/**
 * A stale decision's explanation: who changed the case meanwhile, how and when ("Minh Leader
 * (Leader) took the decision Approve the offer on 6 Dec 2026, 09:12"), and the reason the leader
 * typed, kept to copy when no decision is left to take with it.
 */
function stalePanel(t: T, locale: string, stale: NonNullable<CaseFormState['stale']>, typed: Record<string, unknown>, decisionsLeft: boolean) {
  const kept = (v: unknown) => (!decisionsLeft && typeof v === 'string' && v.trim() ? v : '');
  const m = stale.meanwhile;
  const label = (d: string) => t(`shortlists.decide.actions.${d}`, { defaultValue: t(`cases.actions.${d}`, { defaultValue: t(`cases.events.${d}`, { defaultValue: d }) }) });
  const role = m?.role ? t(`dashboard.decisions.roles.${m.role}`, { defaultValue: '' }) : '';
  const who = m ? (m.who ? (role ? `${m.who} (${role})` : m.who) : role || t('shortlists.decide.meanwhile.someone')) : '';
  return {
    message: m ? t(`shortlists.decide.meanwhile.${m.kind === 'decision' ? 'decided' : 'changed'}`, { who, decision: label(m.decision), date: formatDateTime(m.at, locale) }) : t('shortlists.decide.errors.stale'),
    // The form below keeps it when a decision is still open; otherwise it is shown to copy.
    reason: kept(typed.reason),
    // A rejection's words for the candidate, as edited on the confirmation page.
    told: kept(typed.toldReason),
  };
}

/**
 * A decision taken, as the case's decision section shows it in the reader's language: what, by whom
 * and when, the internal reason, and what the candidate was told (their e-mail's gist in their
 * language; a rejection's own words as sent).
 */
export function takenDecisionView(t: T, locale: string, d: TakenDecision) {
  const language = t(`shortlists.decide.languages.${d.locale}`);
  const role = d.role ? t(`dashboard.decisions.roles.${d.role}`, { defaultValue: '' }) : '';
  const who = d.who ? (role ? `${d.who} (${role})` : d.who) : role || t('shortlists.decide.meanwhile.someone');
  const told = d.reasonsKept ? 'reasonsKept' : d.action === 'reject' ? (d.toldReason ? 'toldReject' : 'toldMissing') : d.action === 'shortlist' ? 'toldShortlist' : d.action === 'put_on_hold' ? (d.toldReason ? 'toldHoldWords' : 'toldHold') : d.action === 'withdraw_offer' ? (d.toldReason ? 'toldWithdraw' : 'toldMissing') : d.action === 'reconsider' ? (d.toldReason ? 'toldReconsider' : 'toldShortlist') : 'toldApprove';
  return {
    action: d.action,
    outcome: t(`shortlists.history.outcomes.${d.action}`),
    by: t('shortlists.history.by', { who, date: formatDateTime(d.at, locale) }),
    at: d.at.toISOString(),
    reason: d.reason,
    told: t(`shortlists.history.${told}`, { language }),
    toldWords: d.toldReason,
    toldLocale: d.locale,
    // How it was taken against the hidden-scores rule (lead s35): for the institute, never the candidate.
    mark: d.closedScoring ? t('shortlists.blind.markClosed') : d.blind ? t('shortlists.blind.markBlind') : undefined,
  };
}

export function shortlistCasePage({ ctx, call, view, form = {} }: { ctx: Context; call: CallDoc; view: ShortlistCase; form?: CaseFormState }) {
  const t = tOfCtx(ctx);
  const { evals, decisions } = view;
  const own = evals.own;
  const errors = translateErrors(t, form.errors);
  const values = form.values ?? (own ? Object.fromEntries([...own.scores.map((s) => [`score_${s.key}`, s.score === null ? '' : String(s.score)]), ['recommendation', own.recommendation], ['comment', own.comment ?? '']]) : {});
  const criteria = (call.scorecard ?? []).map((c) => ({
    key: c.key,
    label: c.label,
    weight: c.weight,
    field: `score_${c.key}`,
    value: values[`score_${c.key}`] ?? '',
    error: errors?.[`score_${c.key}`],
  }));
  const c = view.caseDoc.toObject();
  const scoreHidden = scoresHiddenFrom(evals, c.score);
  const canScore = evals.canEvaluate && c.stage === EVALUATION_STAGE && !evals.ownConflict;
  const panelScoresMet = view.panel.complete >= view.panel.required;
  // Not offered to a leader who declared a conflict on the candidate: closing moves the case on as a decision does.
  const closable = canCloseScoring(ctx.actor ?? undefined, call, c) && !evals.ownConflict;
  const caseHref = `/shortlists/${String(call._id)}/cases/${String(c._id)}`;
  return {
    title: c.profile?.fullName || c.reference,
    call: call.toObject(),
    kase: c,
    caseId: String(c._id),
    callId: String(call._id),
    country: countryName(c.profile?.countryOfResidence, ctx.locale),
    nationality: countryName(c.profile?.nationality, ctx.locale),
    score: scoreHidden ? null : formatScore(c.score, ctx.locale),
    scoreHidden,
    evals,
    documents: view.documents,
    // What evaluation reads, downloadable by every panel member; the rest is on HR's case file, for those who may open it.
    papers: view.papers.map((p) => ({ ...p, label: t(`documents.types.${p.type}`, { defaultValue: p.type }), href: `/documents/${p.id}/download` })),
    fileHref: can(ctx.actor ?? undefined, 'case.view', view.caseDoc) ? `/cases/${String(c._id)}#documents` : undefined,
    canScore,
    // Why the scores are hidden and the ways on (lead s35); the panel's size is what the shortlist says.
    hiddenNotice: hiddenScoresNotice(t, { hidden: scoreHidden, scored: evals.submittedCount, panel: canScoreIt(view.panelSize, evals.conflictsOnPanel, evals.submittedCount), canScore, canClose: closable && panelScoresMet, caseHref, held: c.stage === 'on_hold' ? (view.held ?? {}) : undefined, locale: ctx.locale }),
    // Held while scoring was open: the others' scorecards wait for the case to be resumed, not only for the reader's own.
    scoringPaused: c.stage === 'on_hold',
    // Close scoring (a leader, the case in evaluation, its scores hidden from them): the form, or, before
    // the panel's minimum, why it waits.
    // A refused close on a case that moved on meanwhile: why, and the reason as typed, to copy.
    closeScoring: (closable && scoreHidden) || form.closeErrors ? { open: closable, ready: closable && panelScoresMet, errors: translateErrors(t, form.closeErrors), values: form.closeValues ?? {} } : undefined,
    // A decision on a case whose scores are hidden from the leader: only ticking "I decide without the panel's scores" (lead s35).
    blind: view.blind,
    // A conflict is declared where one could score, before or after scoring (the scorecard is then withdrawn).
    canDeclareConflict: evals.canEvaluate && c.stage === EVALUATION_STAGE && !evals.ownConflict,
    // A refused scorecard's comment, to copy when the form is no longer shown.
    typedComment: form.scoringRefused && typeof form.values?.comment === 'string' && form.values.comment.trim() ? form.values.comment : undefined,
    conflictErrors: translateErrors(t, form.conflictErrors),
    conflictValues: form.conflictValues ?? {},
    conflictMin: CONFLICT_REASON_MIN,
    conflictMax: CONFLICT_REASON_MAX,
    conflicts: evals.conflicts.map((d) => ({ ...d, declaredAtText: formatDateTime(d.declaredAt, ctx.locale) })),
    criteria,
    recommendations: RECOMMENDATIONS,
    values,
    errors,
    decisions,
    // What was decided already (the section said only that no decision was left).
    taken: view.taken.map((d) => takenDecisionView(t, ctx.locale, d)),
    decisionOptions: decisions.map((d) => ({ value: d, label: t(`shortlists.decide.actions.${d}`), checked: form.decisionValues?.action === d || decisions.length === 1, danger: d === 'reject' || d === 'withdraw_offer' })),
    // A hold needs the day HR reviews it (the workflow's put_on_hold checks: after today, a working day, within the limit).
    holdReview: decisions.includes('put_on_hold') ? { min: vnDateKey(new Date(ctx.now.getTime() + 86_400_000)), hint: t('shortlists.decide.hold.reviewByHint', { days: HOLD_REVIEW_MAX_DAYS }) } : undefined,
    panelScores: view.panel,
    panelScoresMet,
    decisionDue: view.decisionDue ? decisionDue(ctx, view.decisionDue.calendar, view.decisionDue.at) : undefined,
    // A leader who declared a conflict on the candidate does not decide (decision.ts refuseConflictedDecider): said before, the form closed.
    decisionBarred: !!evals.ownConflict,
    reasonMin: REASON_MIN,
    reasonMax: REASON_MAX,
    decisionErrors: translateErrors(t, form.decisionErrors),
    // Only the panel's scorecards missing: nothing to correct in the form, the decision waits.
    decisionErrorsText: form.decisionErrors && Object.keys(form.decisionErrors).every((k) => k === 'scorecards' || k === 'conflict') ? t('shortlists.decide.errors.guard') : undefined,
    decisionValues: form.decisionValues ?? {},
    stale: form.stale ? stalePanel(t, ctx.locale, form.stale, form.decisionValues ?? {}, decisions.length > 0) : undefined,
    styles: ['/static/css/leaders.css'],
    // The layout adds the summary's script for `errors` (the scorecard); the decision's, the closing's
    // and the conflict's are their own (walk s36: a refused conflict left the focus on the page).
    scripts: form.decisionErrors || form.closeErrors || form.conflictErrors ? ['/static/js/form-errors.js'] : [],
  };
}

export function panelPage({ ctx, panel, errors, values }: { ctx: Context; panel: PanelMembers; errors?: Record<string, string>; values?: Record<string, unknown> }) {
  const t = tOfCtx(ctx);
  const { call } = panel;
  return {
    title: t('shortlists.panel.title'),
    call,
    callId: String(call._id),
    members: panel.members.map((m) => withFields(m, { id: String(m._id), external: String(m.institute ?? '') !== String(call.institute), disabled: Boolean(m.disabledAt) })),
    leaders: panel.leaders,
    candidates: panel.candidates.map((c) => withFields(c, { id: String(c._id) })),
    errors: translateErrors(t, errors),
    values: values ?? {},
  };
}

/** The confirmation step: what the candidate will be told (the rendered e-mail) and what stays internal. */
/** The preview's text around the told words, so the page's script can redraw just them (none when they are not in it). */
function previewParts(text: string, told: string): { before: string; told: string; after: string } | undefined {
  const at = told ? text.indexOf(told) : -1;
  return at < 0 ? undefined : { before: text.slice(0, at), told, after: text.slice(at + told.length) };
}

export function confirmDecisionPage({ ctx, call, caseDoc, action, reason, preview, told, retentionDays, reviewBy, withoutScores, pending }: { ctx: Context; call: CallDoc; caseDoc: CaseDoc; action: Decision; reason: string; preview: StepPreview; told?: { value: string; error?: string; previewed?: string; changed?: boolean }; retentionDays?: number; reviewBy?: string; withoutScores?: boolean; pending: string }) {
  const t = tOfCtx(ctx);
  const c = caseDoc.toObject();
  const language = preview.email ? t(`shortlists.decide.languages.${preview.email.locale}`) : '';
  return {
    // A rejection: what the candidate is told, editable (in their language: the e-mail's).
    told: told ? { previewed: told.previewed ?? '', changed: told.changed ? t('shortlists.decide.told.changed') : undefined, value: told.value, error: told.error ? t(told.error, { max: TOLD_REASON_MAX }) : undefined, errors: told.error ? { toldReason: t(told.error, { max: TOLD_REASON_MAX }) } : undefined, hint: t('shortlists.decide.told.hint', { language }), max: TOLD_REASON_MAX } : undefined,
    // The preview's told words follow the field as the leader types (public/js/told-preview.js).
    scripts: [...(told?.error ? ['/static/js/form-errors.js'] : []), ...(told ? ['/static/js/told-preview.js'] : [])],
    title: t('shortlists.decide.confirmTitle', { decision: t(`shortlists.decide.actions.${action}`) }),
    callId: String(call._id),
    caseId: String(c._id),
    kase: c,
    call: call.toObject(),
    action,
    actionLabel: t(`shortlists.decide.actions.${action}`),
    danger: action === 'reject' || action === 'withdraw_offer',
    // A rejection is final (DESIGN §2 gives leaders approve or reject, no undo): said as HR's is, with when the data goes.
    final: action === 'reject' || action === 'withdraw_offer' ? t('shortlists.decide.final', { stage: t(`workflow.stages.${preview.to}`), days: retentionDays, reconsiderDays: RECONSIDER_DAYS }) : undefined,
    reason,
    // Decided without the panel's scores (lead s35): said before it is taken, and carried to the confirm step.
    withoutScores: withoutScores === true,
    // A hold: the review date travels with the confirmation, and is said (HR reviews the case that day).
    ...(action === 'put_on_hold' && reviewBy ? { reviewBy, holdNote: t('shortlists.decide.hold.confirmNote', { date: preview.dueAt ? formatDay(preview.dueAt, ctx.locale) : reviewBy }) } : {}),
    version: c.version,
    // The decision kept server-side between the two steps (server/http/pending-decision.ts): the confirm form names it, nothing more.
    pending,
    preview: preview.email ? { ...preview.email, language, parts: told?.previewed ? previewParts(preview.email.text, told.previewed) : undefined } : undefined,
    toStage: t(`workflow.stages.${preview.to}`),
    styles: ['/static/css/leaders.css'],
  };
}
