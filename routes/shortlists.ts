// Ranked shortlists per call, side-by-side comparison, the scorecard form and the leader's
// decisions (each a workflow transition), and the administrator's panel page for a call.
import { Router, type Request, type Response } from 'express';
import { Types } from 'mongoose';
import { z } from 'zod';
import type { AppContext } from '../server/deps.ts';
import { Call, type CallDoc } from '../models/call.ts';
import { Case } from '../models/case.ts';
import { User, type UserDoc } from '../models/user.ts';
import { RECOMMENDATIONS } from '../models/constants.ts';
import { allow } from '../server/http/allow.ts';
import { canViewShortlist, canEvaluateCall, shortlistCallFilter, isInstituteLeader } from '../server/policies/shortlist.ts';
import { findCaseFor, mayViewCase } from '../server/cases/access.ts';
import { BadRequestError, ForbiddenError, NotFoundError, ValidationError } from '../server/errors.ts';
import { flash } from '../server/http/flash.ts';
import { recordAudit } from '../server/audit/index.ts';
import { applyTransition, availableActions } from '../server/workflow/index.ts';
import { parseEvaluationForm, submitEvaluation, evaluationsForViewer, EVALUATION_STAGE } from '../server/evaluations/index.ts';
import { loadShortlist, invalidateShortlist, parseShortlistQuery, documentCompleteness, SHORTLIST_STAGES, SHORTLIST_SORTS } from '../server/evaluations/shortlist.ts';
import { countryName, formatScore } from '../server/evaluations/present.ts';
import { invalidateDashboard } from '../server/dashboard/index.ts';
import { TRACKS, type Stage } from '../models/constants.ts';

const DECISIONS = ['shortlist', 'reject', 'approve_offer'] as const;
/** Stages in which a case may have reached the panel (its shortlist page can exist); who may open it is the case policy's. */
const CASE_PAGE_STAGES: Stage[] = [...SHORTLIST_STAGES, 'rejected', 'withdrawn', 'on_hold'];

function objectId(v: unknown): Types.ObjectId {
  if (typeof v !== 'string' || !Types.ObjectId.isValid(v) || !/^[a-f0-9]{24}$/i.test(v)) throw new NotFoundError();
  return new Types.ObjectId(v);
}

async function callFor(req: Request): Promise<CallDoc> {
  const call = await Call.findById(objectId(req.params.callId));
  if (!call) throw new NotFoundError();
  if (!canViewShortlist(req.user!, call)) throw new ForbiddenError('shortlists.errors.notYourCall');
  return call;
}

function localeOf(res: Response): 'vi' | 'en' {
  return res.locals.locale === 'en' ? 'en' : 'vi';
}

async function casePage(req: Request, res: Response, call: CallDoc, extra: { errors?: Record<string, string>; values?: Record<string, unknown>; decisionErrors?: Record<string, string>; decisionValues?: Record<string, unknown>; status?: number } = {}) {
  const user = req.user!;
  const { caseDoc } = await findCaseFor(user, objectId(req.params.caseId), { call: call._id, stage: { $in: CASE_PAGE_STAGES } });
  const locale = localeOf(res);
  const [evals, docs] = await Promise.all([evaluationsForViewer(caseDoc._id, call, user), documentCompleteness([caseDoc._id], call)]);
  const decisions = availableActions(caseDoc, user).filter((a) => (DECISIONS as readonly string[]).includes(a));
  const own = evals.own;
  const values = extra.values ?? (own ? Object.fromEntries([...own.scores.map((s) => [`score_${s.key}`, s.score === null ? '' : String(s.score)]), ['recommendation', own.recommendation], ['comment', own.comment ?? '']]) : {});
  const criteria = (call.scorecard ?? []).map((c) => ({
    key: c.key,
    label: c.label,
    weight: c.weight,
    field: `score_${c.key}`,
    value: values[`score_${c.key}`] ?? '',
    error: extra.errors?.[`score_${c.key}`],
  }));
  const c = caseDoc.toObject();
  res.status(extra.status ?? 200).render('shortlists/case', {
    title: c.profile?.fullName || c.reference,
    call: call.toObject(),
    kase: c,
    caseId: String(c._id),
    callId: String(call._id),
    country: countryName(c.profile?.countryOfResidence, locale),
    nationality: countryName(c.profile?.nationality, locale),
    score: evals.othersHidden && evals.canEvaluate ? null : formatScore(c.score),
    scoreHidden: evals.othersHidden && evals.canEvaluate,
    evals,
    documents: docs.get(String(c._id)),
    canScore: evals.canEvaluate && c.stage === EVALUATION_STAGE,
    criteria,
    recommendations: RECOMMENDATIONS,
    values,
    errors: extra.errors,
    decisions,
    canShortlist: decisions.includes('shortlist'),
    canApprove: decisions.includes('approve_offer'),
    canReject: decisions.includes('reject'),
    decisionErrors: extra.decisionErrors,
    decisionValues: extra.decisionValues ?? {},
    scripts: [],
  });
}

function translateErrors(res: Response, fields: Record<string, string>): Record<string, string> {
  const t = res.locals.t as (k: string) => string;
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, /^[a-z]+\.[A-Za-z.]+$/.test(v) ? t(v) : v]));
}

export function shortlistsRoutes(ctx: AppContext): Router {
  const router = Router();
  const staff = allow('role.staff');

  router.get('/shortlists', staff, async (req, res) => {
    const user = req.user!;
    const calls = await Call.find(shortlistCallFilter(user), { title: 1, code: 1, track: 1, field: 1, status: 1, closesAt: 1, institute: 1 }).sort({ closesAt: -1 }).limit(500).lean();
    const counts = await Case.aggregate<{ _id: { call: Types.ObjectId; stage: string }; n: number }>([
      { $match: { call: { $in: calls.map((c) => c._id) }, stage: { $in: [...SHORTLIST_STAGES] } } },
      { $group: { _id: { call: '$call', stage: '$stage' }, n: { $sum: 1 } } },
    ]);
    const byCall = new Map<string, { evaluation: number; total: number }>();
    for (const c of counts) {
      const k = String(c._id.call);
      const row = byCall.get(k) ?? { evaluation: 0, total: 0 };
      row.total += c.n;
      if (c._id.stage === 'evaluation') row.evaluation += c.n;
      byCall.set(k, row);
    }
    res.render('shortlists/index', {
      title: res.locals.t('shortlists.indexTitle'),
      calls: calls.map((c) => ({ ...c, id: String(c._id), counts: byCall.get(String(c._id)) ?? { evaluation: 0, total: 0 }, onPanel: (user.panelCalls ?? []).some((p) => String(p) === String(c._id)), leader: isInstituteLeader(user, c) })),
    });
  });

  router.get('/shortlists/:callId', staff, async (req, res) => {
    const call = await callFor(req);
    const q = parseShortlistQuery(req.query as Record<string, unknown>);
    const list = await loadShortlist(call, req.user!, q);
    const locale = localeOf(res);
    const t = res.locals.t as (k: string, o?: Record<string, unknown>) => string;
    const params = (page: number) => {
      const p = new URLSearchParams();
      for (const [k, v] of Object.entries(q)) if (k !== 'page' && v !== undefined && v !== '') p.set(k, String(v));
      if (page > 1) p.set('page', String(page));
      const s = p.toString();
      return s ? `?${s}` : '';
    };
    res.render('shortlists/call', {
      title: res.locals.t('shortlists.callTitle'),
      call: call.toObject(),
      callId: String(call._id),
      canEvaluate: canEvaluateCall(req.user!, call),
      // Labels resolved here once per row (cheaper than a helper call per cell on a long list).
      rows: list.rows.map((r) => ({
        ...r,
        countryName: countryName(r.country, locale),
        scoreText: formatScore(r.score),
        stageLabel: t(`workflow.stages.${r.stage}`),
        trackLabel: t(`dashboard.tracks.${r.track}`),
        degreeLabel: r.degree ? t(`shortlists.degrees.${r.degree}`) : '',
        recommendations: r.recommendations.map((x) => ({ ...x, label: t(`shortlists.recommendationValues.${x.recommendation}`) })),
      })),
      labels: { hidden: t('shortlists.scoreHidden'), notScored: t('shortlists.notScored'), publications: t('shortlists.publications'), patents: t('shortlists.patents'), complete: t('shortlists.documentsComplete') },
      total: list.total,
      page: list.page,
      pages: list.pages,
      prevUrl: list.page > 1 ? `/shortlists/${call._id}${params(list.page - 1)}` : undefined,
      nextUrl: list.page < list.pages ? `/shortlists/${call._id}${params(list.page + 1)}` : undefined,
      q,
      stages: SHORTLIST_STAGES,
      tracks: TRACKS,
      sorts: SHORTLIST_SORTS,
    });
  });

  router.get('/shortlists/:callId/compare', staff, async (req, res) => {
    const call = await callFor(req);
    const raw = req.query.ids;
    const parts = (Array.isArray(raw) ? raw : [raw]).flatMap((v) => (typeof v === 'string' ? v.split(',') : [])).map((s) => s.trim()).filter(Boolean);
    const ids = [...new Set(parts)];
    if (ids.length < 2 || ids.length > 4 || !ids.every((id) => /^[a-f0-9]{24}$/i.test(id))) {
      res.status(400).render('shortlists/compare', { title: res.locals.t('shortlists.compareTitle'), call: call.toObject(), callId: String(call._id), invalid: true });
      return;
    }
    const cases = await Case.find({ _id: { $in: ids.map((id) => new Types.ObjectId(id)) }, call: call._id, stage: { $in: CASE_PAGE_STAGES } }).lean();
    if (cases.length !== ids.length) throw new NotFoundError();
    for (const c of cases) if (!(await mayViewCase(req.user!, c)).ok) throw new NotFoundError();
    const locale = localeOf(res);
    const docs = await documentCompleteness(cases.map((c) => c._id), call);
    const columns = await Promise.all(
      ids.map(async (id) => {
        const c = cases.find((x) => String(x._id) === id)!;
        const evals = await evaluationsForViewer(c._id, call, req.user!);
        const hidden = evals.othersHidden && evals.canEvaluate;
        return {
          id,
          kase: c,
          country: countryName(c.profile?.countryOfResidence, locale),
          nationality: countryName(c.profile?.nationality, locale),
          score: hidden ? null : formatScore(c.score),
          hidden,
          evals,
          means: (evals.means ?? []).map((m) => ({ ...m, meanText: m.mean === null ? '' : m.mean.toFixed(2) })),
          documents: docs.get(id),
        };
      }),
    );
    res.render('shortlists/compare', {
      title: res.locals.t('shortlists.compareTitle'),
      call: call.toObject(),
      callId: String(call._id),
      columns,
      criteria: call.toObject().scorecard ?? [],
    });
  });

  router.get('/shortlists/:callId/cases/:caseId', staff, async (req, res) => {
    const call = await callFor(req);
    await casePage(req, res, call);
  });

  router.post('/shortlists/:callId/cases/:caseId/evaluation', allow('role.evaluator'), async (req, res) => {
    const call = await callFor(req);
    if (!canEvaluateCall(req.user!, call)) throw new ForbiddenError('shortlists.errors.notEvaluator');
    await findCaseFor(req.user!, objectId(req.params.caseId), { call: call._id });
    const body = req.body as Record<string, unknown>;
    try {
      const input = parseEvaluationForm(call.scorecard ?? [], body);
      await submitEvaluation({ caseId: String(req.params.caseId), callId: String(call._id), member: req.user!, input, now: ctx.now(), req });
    } catch (err) {
      if (err instanceof ValidationError) {
        await casePage(req, res, call, { errors: translateErrors(res, err.fields), values: body, status: 422 });
        return;
      }
      throw err;
    }
    flash(req, 'success', 'shortlists.flash.evaluationSaved');
    res.redirect(303, `/shortlists/${call._id}/cases/${req.params.caseId}`);
  });

  const decisionSchema = z.object({ action: z.enum(DECISIONS), version: z.coerce.number().int().min(0), reason: z.string().max(5000).optional(), note: z.string().max(2000).optional() });

  router.post('/shortlists/:callId/cases/:caseId/decision', allow('role.leaderOrAdmin'), async (req, res) => {
    const call = await callFor(req);
    const parsed = decisionSchema.safeParse(req.body);
    if (!parsed.success) throw new BadRequestError('shortlists.errors.badDecision');
    const { action, version, reason, note } = parsed.data;
    const caseId = objectId(req.params.caseId);
    await findCaseFor(req.user!, caseId, { call: call._id });
    try {
      await applyTransition(ctx, {
        caseId,
        action,
        actor: req.user!,
        expectedVersion: version,
        payload: action === 'reject' ? { reason: reason ?? '' } : { note: note ?? '' },
        requestId: String(req.id),
        ip: req.ip,
      });
      // The leader's own decision shows at once on the shortlist and the dashboard.
      invalidateShortlist(call._id);
      invalidateDashboard(call.institute);
    } catch (err) {
      if (err instanceof ValidationError) {
        await casePage(req, res, call, { decisionErrors: translateErrors(res, err.fields), decisionValues: { reason, action }, status: 422 });
        return;
      }
      throw err;
    }
    flash(req, 'success', `shortlists.flash.decision.${action}`);
    res.redirect(303, action === 'reject' ? `/shortlists/${call._id}` : `/shortlists/${call._id}/cases/${caseId}`);
  });

  // ---- administrator: name the panel of a call (User.panelCalls is the one source) ----

  async function panelPage(req: Request, res: Response, extra: { errors?: Record<string, string>; values?: Record<string, unknown>; status?: number } = {}) {
    const call = await Call.findById(objectId(req.params.id)).lean();
    if (!call) throw new NotFoundError();
    const [members, leaders, candidates] = await Promise.all([
      User.find({ panelCalls: call._id }, { name: 1, email: 1, role: 1, institute: 1 }).sort({ name: 1 }).lean(),
      User.find({ role: 'leader', institute: call.institute, disabledAt: null }, { name: 1, email: 1 }).sort({ name: 1 }).lean(),
      User.find({ role: { $in: ['leader', 'hr_officer'] }, institute: call.institute, panelCalls: { $ne: call._id }, disabledAt: null }, { name: 1, email: 1, role: 1 }).sort({ name: 1 }).limit(200).lean(),
    ]);
    res.status(extra.status ?? 200).render('shortlists/panel', {
      title: res.locals.t('shortlists.panel.title'),
      call,
      callId: String(call._id),
      members: members.map((m) => ({ ...m, id: String(m._id), external: String(m.institute ?? '') !== String(call.institute) })),
      leaders,
      candidates: candidates.map((c) => ({ ...c, id: String(c._id) })),
      errors: extra.errors,
      values: extra.values ?? {},
    });
  }

  router.get('/admin/calls/:id/panel', allow('role.admin'), async (req, res) => {
    await panelPage(req, res);
  });

  const addSchema = z.object({ email: z.string().trim().toLowerCase().email().max(254).optional(), userId: z.string().regex(/^[a-f0-9]{24}$/i).optional() });

  router.post('/admin/calls/:id/panel', allow('role.admin'), async (req, res) => {
    const call = await Call.findById(objectId(req.params.id)).lean();
    if (!call) throw new NotFoundError();
    const parsed = addSchema.safeParse(req.body);
    const t = res.locals.t as (k: string) => string;
    if (!parsed.success || (!parsed.data.email && !parsed.data.userId)) {
      await panelPage(req, res, { errors: { email: t('shortlists.panel.errors.email') }, values: req.body as Record<string, unknown>, status: 422 });
      return;
    }
    const member = await User.findOne(parsed.data.userId ? { _id: parsed.data.userId } : { email: parsed.data.email });
    // Panel members are staff who can sign in with a second factor: the institute's leaders and
    // HR officers, or staff of another institute acting as external reviewers. Never applicants.
    if (!member || !['leader', 'hr_officer'].includes(member.role) || member.disabledAt) {
      await panelPage(req, res, { errors: { email: t('shortlists.panel.errors.notStaff') }, values: req.body as Record<string, unknown>, status: 422 });
      return;
    }
    await User.updateOne({ _id: member._id }, { $addToSet: { panelCalls: call._id } });
    await recordAudit(req, { action: 'panel.add', targetType: 'call', targetId: String(call._id), summary: { member: String(member._id), email: member.email } });
    flash(req, 'success', 'shortlists.panel.added');
    res.redirect(303, `/admin/calls/${call._id}/panel`);
  });

  router.post('/admin/calls/:id/panel/remove', allow('role.admin'), async (req, res) => {
    const call = await Call.findById(objectId(req.params.id)).lean();
    if (!call) throw new NotFoundError();
    const userId = (req.body as Record<string, unknown>).userId;
    const member = await User.findById(objectId(userId));
    if (!member) throw new NotFoundError();
    await User.updateOne({ _id: member._id }, { $pull: { panelCalls: call._id } });
    await recordAudit(req, { action: 'panel.remove', targetType: 'call', targetId: String(call._id), summary: { member: String(member._id), email: member.email } });
    flash(req, 'success', 'shortlists.panel.removed');
    res.redirect(303, `/admin/calls/${call._id}/panel`);
  });

  return router;
}

export type { UserDoc };
