// Ranked shortlists per call, side-by-side comparison, the scorecard form and the leader's
// decisions (each a workflow transition), and the administrator's panel page for a call.
import { readDayFields } from '../server/support/calendar-day.ts';
import { hasVisibleText, withoutHiddenCharacters } from '../server/support/hidden-characters.ts';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { AppContext } from '../server/deps.ts';
import { PANEL_STAGES, RECOMMENDATIONS, TRACKS } from '../models/constants.ts';
import { allow } from '../server/http/allow.ts';
import { answersItsOwnQuery } from '../server/http/input-guard.ts';
import { reloadTo } from '../server/http/reload.ts';
import { authorize } from '../server/policies/index.ts';
import { BadRequestError, ConflictError, NotFoundError, ValidationError, type FieldErrors } from '../server/errors.ts';
import { flash } from '../server/http/flash.ts';
import { dropPending, keepPending, readPending, updatePending, type PendingDecision } from '../server/http/pending-decision.ts';
import { findCall, findComparedCases, findShortlistCase, objectIdOr404 } from '../server/evaluations/access.ts';
import { declareConflict, submitEvaluation, type EvaluationInput } from '../server/evaluations/index.ts';
import { loadShortlist, shortlistCalls, SHORTLIST_SORTS, SHORTLIST_STAGES } from '../server/evaluations/shortlist.ts';
import { canListRejected } from '../server/policies/shortlist.ts';
import { compareCases, decideCase, decidedMeanwhile, previewDecision, shortlistCase, toldReasonDefault, DECISIONS, type Decision, type ShortlistCase } from '../server/evaluations/case.ts';
import { addPanelMember, panelOf, removePanelMember } from '../server/evaluations/panel.ts';
import { closeScoring, hiddenRowWays } from '../server/evaluations/close-scoring.ts';
import { comparePage, confirmDecisionPage, panelPage, shortlistCasePage, shortlistIndexPage, shortlistPage, type CaseFormState } from '../server/evaluations/present.ts';
import { REASON_MAX, REASON_MIN } from '../server/evaluations/decision.ts';
import { TOLD_REASON_MAX } from '../server/workflow/transitions.ts';
import { formVersion } from '../server/http/forms.ts';
import { readFilters } from '../server/support/filter-query.ts';
import { tOf } from '../server/context.ts';
import type { StepPreview } from '../server/workflow/index.ts';
import { ID_TEXT } from '../server/support/object-id.js';

/** A query parameter given twice (an array) is ignored, as if absent. */
const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
const param = <S extends z.ZodType>(schema: S) => z.preprocess(text, schema.optional());

/** `rejected`: the stage filter offers the cases rejected after the panel (canListRejected). */
const shortlistQuery = (rejected: boolean) => z.object({
  stage: param(z.union([z.literal(''), z.enum(rejected ? SHORTLIST_STAGES : PANEL_STAGES)])),
  track: param(z.union([z.literal(''), z.enum(TRACKS)])),
  country: param(z.union([z.literal(''), z.string().regex(/^[A-Za-z]{2}$/)])),
  minScore: param(z.union([z.literal(''), z.coerce.number().min(0).max(5)])),
  sort: param(z.union([z.literal(''), z.enum(SHORTLIST_SORTS)])),
  page: param(z.coerce.number().int().min(1).max(10_000)),
});

const SHORTLIST_FILTERS = Object.keys(shortlistQuery(true).shape);

/** `?ids=a,b&ids=c`: two to four distinct case ids. */
const compareQuery = z.object({
  ids: z.preprocess(
    (raw) => [...new Set((Array.isArray(raw) ? raw : [raw]).flatMap((v) => (typeof v === 'string' ? v.split(',') : [])).map((s) => s.trim()).filter(Boolean))],
    z.array(z.string().regex(ID_TEXT)).min(2).max(4),
  ),
});

const SCORES = ['1', '2', '3', '4', '5'] as const;

/**
 * The scorecard form of a call: one `score_<criterion>` per criterion of its scorecard ('' =
 * skipped, else 1–5), at least one scored, no field for a criterion it does not have, a
 * recommendation and an optional comment. Messages are i18n keys, every field's at once.
 */
function evaluationBody(scorecard: ReadonlyArray<{ key: string }>) {
  const fields = scorecard.map((c) => `score_${c.key}`);
  const score = z.union([z.literal(''), z.enum(SCORES)], { error: 'shortlists.errors.score' }).default('');
  return z
    .object({
      ...Object.fromEntries(fields.map((f) => [f, score])),
      recommendation: z.enum(RECOMMENDATIONS, { error: 'shortlists.errors.recommendation' }),
      comment: z.string({ error: 'shortlists.errors.comment' }).max(5000, { error: 'shortlists.errors.comment' }).refine(withoutHiddenCharacters, 'errors.hiddenCharacters').default(''),
    })
    .catchall(z.unknown())
    .superRefine(
      (body, check) => {
        const raw = body as Record<string, unknown>;
        // Refused, not silently dropped.
        const unknown = Object.keys(raw).filter((k) => k.startsWith('score_') && !fields.includes(k));
        // Said above the scores (the page has no field for a criterion it does not show): a form
        // opened before an administrator renamed or removed a criterion.
        if (unknown.length) check.addIssue({ code: 'custom', path: ['scores'], message: 'shortlists.errors.unknownCriterion' });
        const wellFormed = fields.every((f) => raw[f] === undefined || raw[f] === '' || (SCORES as readonly unknown[]).includes(raw[f]));
        const scored = fields.some((f) => (SCORES as readonly unknown[]).includes(raw[f]));
        if (fields.length > 0 && !scored && wellFormed && unknown.length === 0) check.addIssue({ code: 'custom', path: ['scores'], message: 'shortlists.errors.noScores' });
      },
      { when: () => true },
    )
    .transform(
      (body): EvaluationInput => ({
        scores: Object.fromEntries(scorecard.filter((c) => body[`score_${c.key}`] !== '').map((c) => [c.key, Number(body[`score_${c.key}`])])),
        recommendation: body.recommendation,
        comment: body.comment.trim(),
      }),
    );
}

/** Field → i18n key, the first message of each field. */
function fieldErrors(error: z.ZodError): FieldErrors {
  const out: FieldErrors = {};
  for (const issue of error.issues) out[String(issue.path[0] ?? 'form')] ??= issue.message;
  return out;
}

/** The decision and the case version the page showed: unreadable means a tampered or broken form (400). */
const decisionTarget = z.object({
  // No decision chosen is the user's to fix (422 beside the choice); an unknown one is a broken form.
  action: z.union([z.literal('').transform(() => undefined), z.enum(DECISIONS)]).optional(),
  // Digits only, as every form's version (a blank or "0x0" is no version, not 0).
  version: formVersion,
});

/** The reason in the leader's words, required (messages are i18n keys). */
const decisionReason = z.object({
  reason: z
    .string({ error: 'shortlists.decide.errors.reasonRequired' })
    .trim()
    // Counted in characters that show: twelve zero-width spaces are no reason.
    .refine(hasVisibleText(), { error: 'shortlists.decide.errors.reasonRequired' })
    .refine(hasVisibleText(REASON_MIN), { error: 'shortlists.decide.errors.reasonTooShort' })
    .max(REASON_MAX, { error: 'shortlists.decide.errors.reasonTooLong' })
    .refine(withoutHiddenCharacters, 'errors.hiddenCharacters'),
});

/** The same words, whatever line endings the browser sent (a textarea's CRLF, a hidden field's LF) and the spaces around them. */
function sameWords(a: string, b: string): boolean {
  const words = (s: string) => s.replace(/\r\n?/g, '\n').trim();
  return words(a) === words(b);
}

/**
 * The decisions whose candidate is told words written for them beside the internal reason: a
 * rejection, and a hold (walk s34: a leader's hold told the candidate the review date, never why).
 */
function toldFor(action: Decision | undefined): action is 'reject' | 'put_on_hold' | 'withdraw_offer' | 'reconsider' {
  // And a withdrawn offer, a rejection reconsidered (walk s37 #2, #3): the candidate is told what changed in the leader's words.
  return action === 'reject' || action === 'put_on_hold' || action === 'withdraw_offer' || action === 'reconsider';
}

/** What a rejected candidate is told (the confirmation page's field, prefilled), required. */
const toldReasonBody = z.object({
  toldReason: z
    .string({ error: 'shortlists.decide.errors.toldRequired' })
    .trim()
    .refine(hasVisibleText(), { error: 'shortlists.decide.errors.toldRequired' })
    .max(TOLD_REASON_MAX, { error: 'shortlists.decide.errors.toldTooLong' })
    .refine(withoutHiddenCharacters, 'errors.hiddenCharacters'),
});

const addMemberBody = z
  .object({ email: z.string().trim().toLowerCase().email().max(254).optional(), userId: z.string().regex(ID_TEXT).optional() })
  .refine((b) => b.email || b.userId);

const removeMemberBody = z.object({ userId: z.string().regex(ID_TEXT) });

export function shortlistsRoutes(app: AppContext): Router {
  const router = Router();
  answersItsOwnQuery(/^\/shortlists\/[^/]+\/?$/);
  const staff = allow('role.staff');

  // The addresses a refused form leaves in the address bar (POST-only actions): reopened, they are the decision page.
  for (const action of ['evaluation', 'conflict', 'decision', 'decision/confirm', 'close-scoring']) router.get(`/shortlists/:callId/cases/:caseId/${action}`, staff, reloadTo((p) => `/shortlists/${p.callId}/cases/${p.caseId}`));

  router.get('/shortlists', staff, async (req, res) => {
    const { ctx } = req;
    res.render('shortlists/index', shortlistIndexPage({ ctx, calls: await shortlistCalls({ ctx }) }));
  });

  router.get('/shortlists/:callId', staff, async (req, res) => {
    const { ctx } = req;
    const call = await findCall(req.params.callId);
    authorize(ctx.actor, 'shortlist.open', call, 'shortlists.errors.notYourCall');
    // A filter that cannot be read (an address edited by hand): the list with the others applied,
    // it as typed and what to fix beside it (422), not a bare 400 page that lost every filter.
    const rejected = canListRejected(ctx.actor, call);
    const read = readFilters(shortlistQuery(rejected), req.query, { fields: SHORTLIST_FILTERS, formError: 'shortlists.errors.badFilter' });
    const list = await loadShortlist({ ctx, call, query: read.data });
    const page = shortlistPage({ ctx, call, list, query: read.data, rejected, ways: hiddenRowWays({ ctx, call, list }) });
    if (!read.errors) {
      res.render('shortlists/call', page);
      return;
    }
    const t = tOf(ctx);
    const errors = Object.fromEntries(Object.entries(read.errors).map(([k, key]) => [k, t(k === 'form' ? key : `shortlists.errors.filter.${k}`)]));
    res.status(422).render('shortlists/call', { ...page, q: { ...page.q, ...read.typed }, errors });
  });

  router.get('/shortlists/:callId/compare', staff, async (req, res) => {
    const { ctx } = req;
    const call = await findCall(req.params.callId);
    authorize(ctx.actor, 'shortlist.open', call, 'shortlists.errors.notYourCall');
    const parsed = compareQuery.safeParse(req.query);
    if (!parsed.success) {
      res.status(400).render('shortlists/compare', comparePage({ ctx, call }));
      return;
    }
    const cases = await findComparedCases(ctx.actor, call, parsed.data.ids);
    res.render('shortlists/compare', comparePage({ ctx, call, columns: await compareCases({ ctx, call, cases }) }));
  });

  router.get('/shortlists/:callId/cases/:caseId', staff, async (req, res) => {
    const { ctx } = req;
    const call = await findCall(req.params.callId);
    authorize(ctx.actor, 'shortlist.open', call, 'shortlists.errors.notYourCall');
    const caseDoc = await findShortlistCase(ctx.actor, call, req.params.caseId, { pageStagesOnly: true });
    res.render('shortlists/case', shortlistCasePage({ ctx, call, view: await shortlistCase({ ctx, call, caseDoc }) }));
  });

  /** The case page again, with what was typed and what was wrong (422). */
  async function rerenderCase(req: Request, res: Response, form: CaseFormState, status = 422) {
    const { ctx } = req;
    const call = await findCall(req.params.callId);
    const caseDoc = await findShortlistCase(ctx.actor, call, req.params.caseId, { pageStagesOnly: true });
    res.status(status).render('shortlists/case', shortlistCasePage({ ctx, call, view: await shortlistCase({ ctx, call, caseDoc }), form }));
  }

  /** The call and case a panel member acts on: theirs to open and to score, or refused. */
  async function panelMemberCase(req: Request) {
    const call = await findCall(req.params.callId);
    authorize(req.ctx.actor, 'shortlist.open', call, 'shortlists.errors.notYourCall');
    authorize(req.ctx.actor, 'shortlist.evaluate', call, 'shortlists.errors.notEvaluator');
    return { call, caseDoc: await findShortlistCase(req.ctx.actor, call, req.params.caseId) };
  }

  router.post('/shortlists/:callId/cases/:caseId/evaluation', allow('role.evaluator'), async (req, res) => {
    const { ctx } = req;
    const { call, caseDoc } = await panelMemberCase(req);
    const body = (req.body ?? {}) as Record<string, unknown>;
    try {
      const parsed = evaluationBody(call.scorecard ?? []).safeParse(body);
      if (!parsed.success) throw new ValidationError(fieldErrors(parsed.error));
      await submitEvaluation({ ctx, caseId: String(caseDoc._id), callId: String(call._id), input: parsed.data });
    } catch (err) {
      if (err instanceof ValidationError) {
        await rerenderCase(req, res, { errors: err.fields, values: body });
        return;
      }
      // Scoring closed meanwhile (a decision) or a conflict declared in another tab: the page as it is
      // now, saying why nothing was saved, with the comment as typed (the error page lost both).
      if (err instanceof ConflictError) {
        await rerenderCase(req, res, { errors: { scores: err.messageKey }, values: body, scoringRefused: true }, 409);
        return;
      }
      throw err;
    }
    flash(req, 'success', 'shortlists.flash.evaluationSaved');
    res.redirect(303, `/shortlists/${call._id}/cases/${caseDoc._id}`);
  });

  /** A panel member declares a conflict of interest on the case: they stop scoring it (server/evaluations declareConflict). */
  router.post('/shortlists/:callId/cases/:caseId/conflict', allow('role.evaluator'), async (req, res) => {
    const { ctx } = req;
    const { call, caseDoc } = await panelMemberCase(req);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const typed = typeof body.conflictReason === 'string' ? body.conflictReason.slice(0, 5000) : '';
    try {
      const { created } = await declareConflict({ ctx, caseId: String(caseDoc._id), callId: String(call._id), reason: typed });
      flash(req, 'success', created ? 'shortlists.conflict.flash.declared' : 'shortlists.conflict.flash.already');
    } catch (err) {
      if (err instanceof ValidationError) {
        await rerenderCase(req, res, { conflictErrors: err.fields, conflictValues: { conflictReason: typed } });
        return;
      }
      if (err instanceof ConflictError) {
        await rerenderCase(req, res, { conflictErrors: { conflictReason: err.messageKey }, conflictValues: { conflictReason: typed } }, 409);
        return;
      }
      throw err;
    }
    res.redirect(303, `/shortlists/${call._id}/cases/${caseDoc._id}`);
  });

  /**
   * The decision and its case, read and checked the same way by both steps: the call, the case as
   * the actor may see it, the form (400 when tampered), the version (409 when stale) and the
   * decision being one the actor may take now.
   */
  async function decisionRequest(req: Request) {
    const { ctx } = req;
    const call = await findCall(req.params.callId);
    authorize(ctx.actor, 'shortlist.open', call, 'shortlists.errors.notYourCall');
    // A hold's review day is the form's one day field (typed day first: readDayFields).
    const body = readDayFields(req.body, ['reviewBy']);
    const target = decisionTarget.safeParse(body);
    if (!target.success) throw new BadRequestError('shortlists.errors.badDecision');
    const caseDoc = await findShortlistCase(ctx.actor, call, req.params.caseId);
    const view = await shortlistCase({ ctx, call, caseDoc });
    // "I decide without the panel's scores" (lead s35): ticked is exactly '1'; anything else (an array, an object) is not ticked.
    const typed = { action: target.data.action ?? '', reason: typeof body.reason === 'string' ? body.reason : '', ...(typeof body.toldReason === 'string' ? { toldReason: body.toldReason } : {}), ...(typeof body.reviewBy === 'string' ? { reviewBy: body.reviewBy.trim().slice(0, 40) } : {}), withoutScores: body.withoutScores === '1' };
    const { action, version } = target.data;
    return { ctx, call, caseDoc, view, typed, action, version };
  }

  /** A hold's review date as typed (the workflow checks it); none for the other decisions. */
  const holdDay = (d: { action?: string; typed: { reviewBy?: string } }) => (d.action === 'put_on_hold' ? { reviewBy: d.typed.reviewBy ?? '' } : {});

  /** The form was read before someone changed the case: it is shown again as it is now. */
  const STALE_DECISION: FieldErrors = { action: 'shortlists.decide.errors.stale' };
  type DecisionRequest = Awaited<ReturnType<typeof decisionRequest>>;

  /** The case's page again with the decision form as typed and, when given, what to fix; `view`: the case as read now. */
  function showDecisionForm(res: Response, d: DecisionRequest, status: number, decisionErrors?: FieldErrors, view = d.view, stale?: CaseFormState['stale']): void {
    res.status(status).render('shortlists/case', shortlistCasePage({ ctx: d.ctx, call: d.call, view, form: { ...(decisionErrors ? { decisionErrors } : {}), decisionValues: d.typed, ...(stale ? { stale } : {}) } }));
  }

  /**
   * Changed since the form was read (at either step): the case as it is now, who changed it, how and
   * when, and the reason as typed (in the form when a decision is still open, else to copy).
   */
  async function showStaleDecision(req: Request, res: Response, d: DecisionRequest, view?: ShortlistCase): Promise<void> {
    const now = view ?? (await shortlistCase({ ctx: d.ctx, call: d.call, caseDoc: await findShortlistCase(d.ctx.actor, d.call, req.params.caseId) }));
    showDecisionForm(res, d, 409, STALE_DECISION, now, { meanwhile: await decidedMeanwhile(now.caseDoc, d.version) });
  }

  /** Step 1: the reason is checked and the guard run; the confirmation page shows what the candidate will be told. */
  router.post('/shortlists/:callId/cases/:caseId/decision', allow('role.leaderOrAdmin'), async (req, res) => {
    // The confirmation page's "redraw the e-mail" button: its pending decision with the words as edited, shown again.
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (body.pending !== undefined) {
      const found = await pendingOf(req, body.pending);
      if (!found) return pendingGone(req, res);
      // Changed meanwhile: the case as it is now, the reason and the words as edited kept (409).
      if (found.stale) return showStaleDecision(req, res, { ...found.d, typed: { ...found.d.typed, ...(typeof body.toldReason === 'string' ? { toldReason: body.toldReason } : {}) } }, found.d.view);
      updatePending(req, found.p.id, { toldReason: typeof body.toldReason === 'string' ? body.toldReason : '', toldChanged: false });
      res.redirect(303, confirmUrl(found.p));
      return;
    }
    const d = await decisionRequest(req);
    const { view } = d;
    // A stale form: the case as it is now, with the reason as typed and why nothing was done (the
    // generic error page lost the reason and offered only the home page).
    if (view.caseDoc.version !== d.version) {
      await showStaleDecision(req, res, d, view);
      return;
    }
    if (d.action && !view.decisions.includes(d.action)) throw new BadRequestError('workflow.notAllowedNow');
    const reason = decisionReason.safeParse(d.typed);
    if ((req.body as Record<string, unknown>).edit === '1') {
      showDecisionForm(res, d, 200);
      return;
    }
    const errors: FieldErrors = reason.success ? {} : fieldErrors(reason.error);
    if (!d.action) errors.action = 'shortlists.decide.errors.actionRequired';
    // The scores are hidden from this leader: they decide only saying they decide without them (lead s35),
    // said with the form's other errors at once (previewDecision and decideCase check it again).
    // Not before the panel's minimum of scorecards is in: that guard speaks first (the form is closed until then).
    if (view.blind && !d.typed.withoutScores && view.panel.complete >= view.panel.required) errors.withoutScores = 'shortlists.decide.errors.blind';
    if (!reason.success || !d.action || errors.withoutScores) {
      showDecisionForm(res, d, 422, errors);
      return;
    }
    // A rejection's (or a hold's, walk s34) words for the candidate: the courteous default in their language at first, then as the leader edits them.
    // Checked as it will be taken, then kept server-side and shown by a GET (Post/Redirect/Get: Back
    // and Reload after confirming resend nothing).
    if (!(await decisionCheckable(req, res, d, reason.data.reason))) return;
    const id = keepPending(req, { userId: String(d.ctx.actor!._id), callId: String(d.call._id), caseId: String(view.caseDoc._id), version: d.version, action: d.action, reason: reason.data.reason, ...(toldFor(d.action) && d.typed.toldReason !== undefined ? { toldReason: d.typed.toldReason } : {}), ...(d.action === 'put_on_hold' && d.typed.reviewBy !== undefined ? { reviewBy: d.typed.reviewBy } : {}), withoutScores: d.typed.withoutScores });
    res.redirect(303, `/shortlists/${d.call._id}/cases/${view.caseDoc._id}/decision/confirm/${id}`);
  });

  const confirmUrl = (p: PendingDecision) => `/shortlists/${p.callId}/cases/${p.caseId}/decision/confirm/${p.id}`;

  /**
   * The pending decision an id names, with its call and case as they are now: undefined when the id is
   * not this user's for this call and case (server/http/pending-decision.ts readPending). Stale (the
   * case changed since it was checked, e.g. Back after confirming it): forgotten, and `stale` says so.
   */
  async function pendingOf(req: Request, id: unknown) {
    const { ctx } = req;
    const call = await findCall(req.params.callId);
    authorize(ctx.actor, 'shortlist.open', call, 'shortlists.errors.notYourCall');
    const caseDoc = await findShortlistCase(ctx.actor, call, req.params.caseId);
    const p = readPending(req, id, { userId: String(ctx.actor!._id), callId: String(call._id), caseId: String(caseDoc._id) });
    if (!p) return undefined;
    const stale = p.version !== caseDoc.version;
    if (stale) dropPending(req, p.id);
    const view = await shortlistCase({ ctx, call, caseDoc });
    const d: DecisionRequest = { ctx, call, caseDoc, view, typed: { action: p.action, reason: p.reason, ...(p.toldReason !== undefined ? { toldReason: p.toldReason } : {}), ...(p.reviewBy !== undefined ? { reviewBy: p.reviewBy } : {}), withoutScores: p.withoutScores }, action: p.action as Decision, version: p.version };
    return { p, d, stale };
  }

  /** A confirmation no longer open (taken, changed since, another's or unknown): nothing is done; the case as it is now. */
  function pendingGone(req: Request, res: Response): void {
    flash(req, 'info', 'shortlists.decide.pendingGone');
    res.redirect(303, `/shortlists/${encodeURIComponent(req.params.callId as string)}/cases/${encodeURIComponent(req.params.caseId as string)}`);
  }

  /** The confirmation page of a pending decision (step 1's redirect): Reload draws it again; Back after confirming finds it gone. */
  router.get('/shortlists/:callId/cases/:caseId/decision/confirm/:pending', allow('role.leaderOrAdmin'), async (req, res) => {
    const found = await pendingOf(req, req.params.pending);
    // Stale (Back after confirming it, or decided meanwhile): the case as it is now, nothing resent.
    if (!found || found.stale) return pendingGone(req, res);
    const { p, d } = found;
    const told = toldFor(d.action) ? (p.toldReason ?? (await toldReasonDefault(d.view.caseDoc, d.action))) : undefined;
    await showConfirmation(req, res, d, p.reason, told, p.toldChanged === true, p.id);
  });

  /**
   * Step 1's check: the decision previewed as it will be taken (panel scores, the workflow's guard).
   * False when it was answered here instead: the case's form with what to fix (422), or as it is now (409).
   */
  async function decisionCheckable(req: Request, res: Response, d: DecisionRequest, reason: string): Promise<boolean> {
    const action = d.action!;
    try {
      // Words for the candidate that are not acceptable are said on the confirmation page (422 there); the check uses the default.
      const typedTold = d.typed.toldReason !== undefined && toldReasonBody.safeParse({ toldReason: d.typed.toldReason }).success ? d.typed.toldReason : undefined;
      const toldReason = toldFor(action) ? (typedTold ?? (await toldReasonDefault(d.view.caseDoc, action))) : undefined;
      await previewDecision({ app, ctx: d.ctx, call: d.call, caseId: d.view.caseDoc._id, action, version: d.version, reason, toldReason, ...holdDay(d), withoutScores: d.typed.withoutScores });
      return true;
    } catch (err) {
      if (err instanceof ValidationError) showDecisionForm(res, d, 422, err.fields);
      else if (err instanceof ConflictError) await showStaleDecision(req, res, d);
      else throw err;
      return false;
    }
  }

  /**
   * The confirmation page: the decision checked as it will be taken (panel scores, the workflow's
   * guard) and the candidate's e-mail as it will be sent; a rejection's told reason editable beside
   * it (422 with what to fix when it is missing or too long: the e-mail then shows the default).
   */
  async function showConfirmation(req: Request, res: Response, d: DecisionRequest, reason: string, told: string | undefined, changed: boolean, pending: string): Promise<void> {
    const { ctx, call, view } = d;
    const action = d.action!;
    const toldChecked = told === undefined ? undefined : toldReasonBody.safeParse({ toldReason: told });
    const toldError = toldChecked && !toldChecked.success ? fieldErrors(toldChecked.error).toldReason : undefined;
    let preview: StepPreview;
    // The words the preview shows (the form carries them back: the confirm step takes only those).
    let toldReason: string | undefined;
    try {
      toldReason = toldChecked ? (toldChecked.success ? toldChecked.data.toldReason : await toldReasonDefault(view.caseDoc, toldFor(action) ? action : 'reject')) : undefined;
      preview = await previewDecision({ app, ctx, call, caseId: view.caseDoc._id, action, version: d.version, reason, toldReason, ...holdDay(d), withoutScores: d.typed.withoutScores });
    } catch (err) {
      if (err instanceof ValidationError) {
        showDecisionForm(res, d, 422, err.fields);
        return;
      }
      // Changed since its version was checked.
      if (err instanceof ConflictError) {
        await showStaleDecision(req, res, d);
        return;
      }
      throw err;
    }
    // Drawn by a GET (Post/Redirect/Get): a redrawn preview is the page as asked for, not a conflict.
    const status = toldError ? 422 : changed && req.method === 'POST' ? 409 : 200;
    res.status(status).render('shortlists/confirm', confirmDecisionPage({ ctx, call, caseDoc: view.caseDoc, action, reason, preview, ...holdDay(d), withoutScores: view.blind && d.typed.withoutScores, retentionDays: app.config.retentionDays, pending, told: told === undefined ? undefined : { value: told, error: toldError, previewed: toldReason ?? '', changed } }));
  }

  /** Step 2: the confirmed decision is taken (once: a second click lands on the same result). */
  router.post('/shortlists/:callId/cases/:caseId/decision/confirm', allow('role.leaderOrAdmin'), async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    // The confirmation page names its pending decision: that, checked against this user, case and
    // version, is what is taken; the candidate's words come from the page (editable there). A form
    // without one (posted by hand, or a page drawn before the pending store) is read as it comes and
    // checked the same way; its confirmation page, if shown again, gets a pending decision of its own.
    let pending: PendingDecision | undefined;
    let d: DecisionRequest;
    if (body.pending !== undefined) {
      const found = await pendingOf(req, body.pending);
      if (!found) return pendingGone(req, res);
      d = { ...found.d, typed: { ...found.d.typed, ...(typeof body.toldReason === 'string' ? { toldReason: body.toldReason } : {}) } };
      // Changed between the confirmation page and the click: the case as it is now, the reason and the words kept (409).
      if (found.stale) return showStaleDecision(req, res, d, d.view);
      pending = found.p;
    } else d = await decisionRequest(req);
    const { ctx, call, view } = d;
    const action = d.action;
    const pendingId = (told: string | undefined) => pending?.id ?? keepPending(req, { userId: String(ctx.actor!._id), callId: String(call._id), caseId: String(view.caseDoc._id), version: d.version, action: action!, reason: d.typed.reason, ...(told !== undefined ? { toldReason: told } : {}), ...(d.typed.reviewBy !== undefined ? { reviewBy: d.typed.reviewBy } : {}), withoutScores: d.typed.withoutScores });
    // The confirmation page always names the decision: without it the form is not that page's.
    if (!action) throw new BadRequestError('shortlists.errors.badDecision');
    try {
      const reason = decisionReason.safeParse(d.typed);
      if (!reason.success) throw new ValidationError(fieldErrors(reason.error));
      let toldReason: string | undefined;
      if (toldFor(action)) {
        const told = toldReasonBody.safeParse(d.typed);
        // The confirmation page again, the words as typed and what to fix beside them.
        if (!told.success) {
          await showConfirmation(req, res, d, reason.data.reason, d.typed.toldReason ?? '', false, pendingId(d.typed.toldReason ?? ''));
          return;
        }
        // Only the words the leader saw in the e-mail preview are sent: edited after it was drawn
        // (no script on the page to redraw it as they typed), the page again with the preview redrawn.
        const previewed = (req.body as Record<string, unknown>).previewedToldReason;
        if (typeof previewed !== 'string' || !sameWords(previewed, told.data.toldReason)) {
          // Its page again by a GET, the preview redrawn with the words as edited (said so there).
          if (pending) {
            updatePending(req, pending.id, { toldReason: told.data.toldReason, toldChanged: true });
            res.redirect(303, confirmUrl(pending));
          } else await showConfirmation(req, res, d, reason.data.reason, told.data.toldReason, true, pendingId(told.data.toldReason));
          return;
        }
        toldReason = told.data.toldReason;
      }
      await decideCase({ app, ctx, call, caseId: view.caseDoc._id, action, version: d.version, reason: reason.data.reason, toldReason, ...holdDay(d), withoutScores: d.typed.withoutScores });
      if (pending) dropPending(req, pending.id);
    } catch (err) {
      if (err instanceof ValidationError) {
        showDecisionForm(res, d, 422, err.fields);
        return;
      }
      if (err instanceof ConflictError) {
        // Changed between the confirmation page and the click.
        if (pending) dropPending(req, pending.id);
        await showStaleDecision(req, res, d);
        return;
      }
      throw err;
    }
    const decided = `/shortlists/${call._id}/cases/${view.caseDoc._id}`;
    // A rejected candidate leaves the shortlist's default view (panel stages): the message links
    // back to the decision the leader has just taken.
    if (action === 'reject') flash(req, 'success', 'shortlists.flash.decision.reject', undefined, { href: decided, key: 'shortlists.flash.viewDecision' });
    else flash(req, 'success', `shortlists.flash.decision.${action}`);
    res.redirect(303, action === 'reject' ? `/shortlists/${call._id}` : decided);
  });

  /**
   * A leader closes scoring on a case in evaluation (lead s35): it moves to shortlisted with their
   * reason, and the panel's scores show. Refused with what to fix (422: the reason; the panel's
   * minimum not met), or the case as it is now (409: changed meanwhile, scoring closed already).
   */
  router.post('/shortlists/:callId/cases/:caseId/close-scoring', allow('role.leaderOrAdmin'), async (req, res) => {
    const { ctx } = req;
    const call = await findCall(req.params.callId);
    authorize(ctx.actor, 'shortlist.open', call, 'shortlists.errors.notYourCall');
    const body = (req.body ?? {}) as Record<string, unknown>;
    const target = z.object({ version: formVersion }).safeParse(body);
    if (!target.success) throw new BadRequestError('shortlists.errors.badDecision');
    authorize(ctx.actor, 'shortlist.closeScoring', call, 'shortlists.closeScoring.errors.notLeader');
    const caseDoc = await findShortlistCase(ctx.actor, call, req.params.caseId);
    const typed = { closeReason: typeof body.closeReason === 'string' ? body.closeReason : '' };
    try {
      if (caseDoc.version !== target.data.version) throw new ConflictError('shortlists.decide.errors.stale');
      const reason = decisionReason.safeParse({ reason: typed.closeReason });
      if (!reason.success) throw new ValidationError({ closeReason: fieldErrors(reason.error).reason ?? 'shortlists.decide.errors.reasonRequired' });
      await closeScoring({ app, ctx, call, caseId: caseDoc._id, version: target.data.version, reason: reason.data.reason });
    } catch (err) {
      if (err instanceof ValidationError || err instanceof ConflictError) {
        const errors = err instanceof ValidationError ? err.fields : { closeReason: err.messageKey };
        await rerenderCase(req, res, { closeErrors: errors, closeValues: typed }, err instanceof ConflictError ? 409 : 422);
        return;
      }
      throw err;
    }
    flash(req, 'success', 'shortlists.closeScoring.flash');
    res.redirect(303, `/shortlists/${call._id}/cases/${caseDoc._id}`);
  });

  // ---- administrator: name the panel of a call (User.panelCalls is the one source) ----

  router.get('/admin/calls/:id/panel', allow('role.admin'), async (req, res) => {
    const { ctx } = req;
    res.render('shortlists/panel', panelPage({ ctx, panel: await panelOf({ callId: req.params.id }) }));
  });

  router.post('/admin/calls/:id/panel', allow('role.admin'), async (req, res) => {
    const { ctx } = req;
    const callId = req.params.id;
    try {
      const parsed = addMemberBody.safeParse(req.body);
      if (!parsed.success) throw new ValidationError({ email: 'shortlists.panel.errors.email' });
      await addPanelMember({ ctx, callId, ...parsed.data });
    } catch (err) {
      if (err instanceof ValidationError) {
        res.status(422).render('shortlists/panel', panelPage({ ctx, panel: await panelOf({ callId }), errors: err.fields, values: req.body as Record<string, unknown> }));
        return;
      }
      throw err;
    }
    flash(req, 'success', 'shortlists.panel.added');
    res.redirect(303, `/admin/calls/${objectIdOr404(callId)}/panel`);
  });

  router.post('/admin/calls/:id/panel/remove', allow('role.admin'), async (req, res) => {
    const { ctx } = req;
    const parsed = removeMemberBody.safeParse(req.body);
    if (!parsed.success) throw new NotFoundError();
    await removePanelMember({ ctx, callId: req.params.id, userId: objectIdOr404(parsed.data.userId) });
    flash(req, 'success', 'shortlists.panel.removed');
    res.redirect(303, `/admin/calls/${objectIdOr404(req.params.id)}/panel`);
  });

  return router;
}
