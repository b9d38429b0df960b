// The HR side: the queue (filters, sorting, pagination, bulk assignment) and the case page
// (profile, timeline, notes, messages, actions, assignment, information request, support tracks,
// e-mails). Every route loads the case through the case policy; stage changes go through the
// workflow with the version the page was built for.
import { Router, type Request, type Response } from 'express';
import type { AppContext } from '../server/deps.ts';
import { withStyles } from '../server/cases/http.ts';
import type { CaseDoc } from '../models/case.ts';
import { Call } from '../models/call.ts';
import { User, type UserDoc } from '../models/user.ts';
import { STAGES, SUPPORT_KINDS, SUPPORT_STATUSES, TRACKS } from '../models/constants.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError, type FieldErrors } from '../server/errors.ts';
import { allow } from '../server/http/allow.ts';
import { findCaseFor, accessFacts } from '../server/cases/access.ts';
import { flash } from '../server/http/flash.ts';
import { safeNextPath } from '../server/http/safe-next.ts';
import { applyTransition, availableActions, isAction, type Action } from '../server/workflow/index.ts';
import { loadCalendar, vnDateKey } from '../server/calendar/index.ts';
import { PAGE_SIZES, QUEUE_STAGES, SORTS, loadQueue, parseQueueQuery, queueHref, queueOptions, type QueueQuery } from '../server/cases/queue.ts';
import { addNote, assignCase, bulkAssign, canStaffWork, postMessage } from '../server/cases/commands.ts';
import { isSupportKind, supportUpdateSchema, updateSupportTrack } from '../server/cases/support.ts';
import { documentsChecklist, emailsView, messagesView, stageLabel, supportTracksView, timeline } from '../server/cases/present.ts';
import { bodyText, formVersion, renderConflict } from '../server/cases/http.ts';
import { peopleNames } from '../server/applications/service.ts';
import { criteriaFor } from '../server/applications/tracks.ts';
import { countryName } from '../server/applications/countries.ts';
import { SUPPORT_FIELDS } from '../server/applications/steps.ts';
import { badgeClass } from './applications.ts';
import { mentionFlash } from '../server/mentions/present.ts';

const STAFF = allow('role.staff');
const WORKERS = allow('role.caseWorker');

/** Actions that need more than a click: their own form or a reason. */
const FORM_ACTIONS: ReadonlySet<Action> = new Set(['request_info']);
const REASON_ACTIONS: ReadonlySet<Action> = new Set(['reject', 'put_on_hold']);
const DANGER_ACTIONS: ReadonlySet<Action> = new Set(['reject', 'put_on_hold']);

/** The case, if this staff member may see it (server/cases/access.ts); otherwise "not found" (existence is not revealed). */
async function staffCase(user: UserDoc | undefined, id: string): Promise<CaseDoc> {
  return (await findCaseFor(user, id)).caseDoc;
}

function requireWork(user: UserDoc | undefined, c: CaseDoc): void {
  if (!canStaffWork(user, c)) throw new ForbiddenError('cases.errors.readOnly');
}

interface CaseState {
  errors?: FieldErrors;
  values?: Record<string, unknown>;
}

async function renderQueue(ctx: AppContext, req: Request, res: Response, q: QueueQuery, state: CaseState = {}, status = 200): Promise<void> {
  const t = res.locals.t;
  const user = req.user as UserDoc;
  const now = ctx.now();
  const [page, options] = await Promise.all([loadQueue(user, q, now), queueOptions(user)]);
  const canAssign = user.role === 'hr_officer' || user.role === 'admin';
  const here = queueHref(q, {});
  res.status(status).render('cases/index', {
    title: t('cases.queue.title'),
    q,
    here,
    rows: page.rows.map((r) => ({
      ...r,
      stageLabel: stageLabel(t, r.stage),
      badge: badgeClass(r.stage),
      trackLabel: t(`calls.tracks.${r.track}`),
      supportOverdueLabels: r.supportOverdue.map((k) => t(`cases.supportKinds.${k}`)),
      activeSupportLabels: r.activeSupport.map((k) => t(`cases.supportKinds.${k}`)),
      checked: Array.isArray(state.values?.ids) && (state.values.ids as string[]).includes(r.id),
    })),
    total: page.total,
    page: page.page,
    pages: page.pages,
    prevHref: page.page > 1 ? queueHref(q, { page: page.page - 1 }) : undefined,
    nextHref: page.page < page.pages ? queueHref(q, { page: page.page + 1 }) : undefined,
    sorts: SORTS.map((s) => ({ value: s, label: t(`cases.queue.sort.${s}`), href: queueHref(q, { sort: s, page: 1 }), current: q.sort === s })),
    sizes: PAGE_SIZES.map((n) => ({ value: n, selected: q.size === n })),
    stages: QUEUE_STAGES.map((s) => ({ value: s, label: stageLabel(t, s), selected: q.stage === s })),
    tracks: TRACKS.map((s) => ({ value: s, label: t(`calls.tracks.${s}`), selected: q.track === s })),
    supportKinds: SUPPORT_KINDS.map((s) => ({ value: s, label: t(`cases.supportKinds.${s}`), selected: q.support === s })),
    calls: options.calls.map((c) => ({ ...c, selected: q.call === c.id })),
    assignees: [
      { value: 'me', label: t('cases.queue.assigneeMe'), selected: q.assignee === 'me' },
      { value: 'unassigned', label: t('cases.queue.unassigned'), selected: q.assignee === 'unassigned' },
      ...options.officers.map((o) => ({ value: o.id, label: o.name, selected: q.assignee === o.id })),
    ],
    officers: options.officers.map((o) => ({ ...o, selected: state.values?.assignee === o.id })),
    canAssign,
    errors: state.errors && Object.keys(state.errors).length ? state.errors : undefined,
    scripts: canAssign ? ['/static/js/cases.js'] : [],
  });
}

async function renderCase(ctx: AppContext, req: Request, res: Response, c: CaseDoc, state: CaseState = {}, status = 200): Promise<void> {
  const t = res.locals.t;
  const user = req.user as UserDoc;
  const locale = req.locale;
  const now = ctx.now();
  const canWork = canStaffWork(user, c);
  const [call, applicant, officers] = await Promise.all([
    Call.findById(c.call).lean(),
    User.findById(c.applicant, { name: 1, email: 1, locale: 1 }).lean(),
    canWork ? User.find({ role: 'hr_officer', institute: c.institute, disabledAt: null }, { name: 1 }).sort({ name: 1 }).limit(500).lean() : Promise.resolve([]),
  ]);
  const names = await peopleNames([
    ...(c.history ?? []).map((h) => h.actor),
    ...(c.notes ?? []).map((n) => n.author),
    ...(c.messages ?? []).map((m) => m.author),
    c.assignee,
  ]);
  const actions = availableActions(c, user).map((a) => ({
    action: a,
    label: t(`cases.actions.${a}`),
    form: FORM_ACTIONS.has(a),
    needsReason: REASON_ACTIONS.has(a),
    reasonRequired: a === 'reject',
    danger: DANGER_ACTIONS.has(a),
    href: a === 'request_info' ? `/cases/${String(c._id)}/request-info` : undefined,
  }));
  const p = (c.profile ?? {}) as Record<string, unknown>;
  const eligibility = new Map((c.eligibility ?? []).map((e) => [e.key, e]));
  const id = String(c._id);
  // Plain objects for the template (Handlebars refuses to read Mongoose getters).
  const o = c.toObject();
  res.status(status).render('cases/show', {
    title: `${c.reference} · ${String(p.fullName ?? '')}`,
    caseId: id,
    c: o,
    version: c.version,
    stageLabel: stageLabel(t, c.stage),
    badge: badgeClass(c.stage),
    overdue: !!c.stageDueAt && c.stageDueAt.getTime() < now.getTime(),
    trackLabel: t(`calls.tracks.${c.track}`),
    call,
    applicant,
    assigneeName: c.assignee ? names.get(String(c.assignee))?.name : undefined,
    profile: {
      ...p,
      nationalityName: countryName(p.nationality, locale),
      residenceName: countryName(p.countryOfResidence, locale),
      degreeLabel: p.highestDegree ? t(`applications.degrees.${String(p.highestDegree)}`) : '',
      overseas: p.overseasVietnamese === true ? t('common.yes') : p.overseasVietnamese === false ? t('common.no') : '',
    },
    eligibility: criteriaFor(c.track).map((crit) => {
      const e = eligibility.get(crit.key);
      return { label: crit.label[locale] ?? crit.label.en, answered: !!e, met: e?.met === true, evidence: e?.evidence };
    }),
    achievements: o.achievements,
    dependants: (o.dependants ?? []).map((d) => ({ ...d, relationshipLabel: d.relationship ? t(`applications.relationships.${d.relationship}`) : '', nationalityName: countryName(d.nationality, locale) })),
    supportRequested: SUPPORT_FIELDS.filter((f) => c.supportRequested?.[f]).map((f) => t(`applications.support.${f}`)),
    infoRequest: o.infoRequest?.requestedAt ? o.infoRequest : undefined,
    decision: o.decision?.decidedAt ? o.decision : undefined,
    timeline: timeline(c.history ?? [], names, t, { applicantId: c.applicant, forApplicant: false }),
    notes: [...(c.notes ?? [])].reverse().map((n) => ({ at: n.at, text: n.text, who: names.get(String(n.author))?.name ?? '' })),
    messages: messagesView(c.messages ?? [], names, t, false),
    canMessage: canWork && !['closed', 'rejected', 'withdrawn'].includes(c.stage),
    actions,
    canWork,
    officers: officers.map((o) => ({ id: String(o._id), name: o.name, selected: String(o._id) === String(c.assignee ?? '') })),
    supportTracks: supportTracksView(c.supportTracks ?? [], t, now).map((s) => ({
      ...s,
      statuses: SUPPORT_STATUSES.map((st) => ({ value: st, label: t(`cases.supportStatuses.${st}`), selected: st === s.status })),
    })),
    supportEditable: canWork && ['offer', 'onboarding', 'arrived', 'on_hold'].includes(c.stage),
    emails: emailsView((c.outbox ?? []) as never, t),
    checklist: await documentsChecklist(c, call, user, await accessFacts(user, c)),
    errors: state.errors && Object.keys(state.errors).length ? state.errors : undefined,
    values: state.values ?? {},
    stages: STAGES,
  });
}

/** Applies a staff action; a stale version renders the 409 page, invalid input `onInvalid`. */
async function staffTransition(
  ctx: AppContext,
  req: Request,
  res: Response,
  c: CaseDoc,
  action: Action,
  version: number,
  payload: Record<string, unknown>,
  onInvalid: (err: ValidationError) => Promise<void>,
): Promise<boolean> {
  try {
    await applyTransition(ctx, { caseId: c._id, action, actor: req.user as UserDoc, expectedVersion: version, payload, requestId: String(req.id ?? ''), ip: req.ip });
    return true;
  } catch (err) {
    if (err instanceof ConflictError) {
      await renderConflict(res, c._id, req.user!, `/cases/${String(c._id)}`);
      return false;
    }
    if (err instanceof ValidationError) {
      await onInvalid(err);
      return false;
    }
    throw err;
  }
}

function queryFromPath(path: string): Record<string, unknown> {
  const u = new URL(path, 'http://local');
  return Object.fromEntries(u.searchParams.entries());
}

export function casesRoutes(ctx: AppContext): Router {
  const router = Router();
  router.use(['/cases'], withStyles);

  router.get('/cases', STAFF, async (req, res) => {
    await renderQueue(ctx, req, res, parseQueueQuery(req.query as Record<string, unknown>));
  });

  router.post('/cases/bulk-assign', WORKERS, async (req, res) => {
    const body = req.body as Record<string, unknown>;
    const back = safeNextPath(bodyText(body, 'back'), '/cases');
    const raw = body.ids;
    const ids = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).filter((v): v is string => typeof v === 'string').slice(0, 100);
    const assignee = bodyText(body, 'assignee');
    try {
      const r = await bulkAssign(req, req.user!, ids, assignee, ctx.now(), req.locale);
      flash(req, 'success', r.skipped ? 'cases.flash.bulkAssignedSome' : 'cases.flash.bulkAssigned', { count: r.assigned, skipped: r.skipped });
      res.redirect(303, back.startsWith('/cases') ? back : '/cases');
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      const q = parseQueueQuery(back.startsWith('/cases?') ? queryFromPath(back) : {});
      await renderQueue(ctx, req, res, q, { errors: err.fields, values: { ids, assignee } }, 422);
    }
  });

  router.get('/cases/:id', STAFF, async (req, res) => {
    const c = await staffCase(req.user, String(req.params.id));
    await renderCase(ctx, req, res, c);
  });

  router.post('/cases/:id/actions/:action', STAFF, async (req, res) => {
    const c = await staffCase(req.user, String(req.params.id));
    const action = req.params.action;
    if (!isAction(action)) throw new NotFoundError();
    const version = formVersion(req.body);
    const payload: Record<string, unknown> = {};
    for (const k of ['reason', 'note', 'items', 'dueAt']) {
      const v = bodyText(req.body, k);
      if (v) payload[k] = v;
    }
    const ok = await staffTransition(ctx, req, res, c, action, version, payload, (err) =>
      renderCase(ctx, req, res, c, { errors: err.fields, values: { ...payload, action } }, 422),
    );
    if (!ok) return;
    flash(req, 'success', 'cases.flash.actionDone');
    res.redirect(303, `/cases/${String(c._id)}`);
  });

  router.get('/cases/:id/request-info', WORKERS, async (req, res) => {
    const c = await staffCase(req.user, String(req.params.id));
    requireWork(req.user, c);
    if (!availableActions(c, req.user).includes('request_info')) {
      flash(req, 'info', 'cases.flash.notNow');
      res.redirect(303, `/cases/${String(c._id)}`);
      return;
    }
    const due = (await loadCalendar()).addWorkingDays(ctx.now(), 10);
    await renderRequestInfo(req, res, c, { values: { dueAt: vnDateKey(due) } });
  });

  router.post('/cases/:id/request-info', WORKERS, async (req, res) => {
    const c = await staffCase(req.user, String(req.params.id));
    requireWork(req.user, c);
    const version = formVersion(req.body);
    const values = { items: bodyText(req.body, 'items'), dueAt: bodyText(req.body, 'dueAt') };
    const ok = await staffTransition(ctx, req, res, c, 'request_info', version, values, (err) => renderRequestInfo(req, res, c, { errors: err.fields, values }, 422));
    if (!ok) return;
    flash(req, 'success', 'cases.flash.infoRequested');
    res.redirect(303, `/cases/${String(c._id)}`);
  });

  router.post('/cases/:id/assign', WORKERS, async (req, res) => {
    const c = await staffCase(req.user, String(req.params.id));
    requireWork(req.user, c);
    const assignee = bodyText(req.body, 'assignee');
    try {
      await assignCase(req, req.user!, c, assignee, ctx.now(), req.locale);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      await renderCase(ctx, req, res, c, { errors: err.fields, values: { assignee } }, 422);
      return;
    }
    flash(req, 'success', 'cases.flash.assigned');
    res.redirect(303, `/cases/${String(c._id)}`);
  });

  router.post('/cases/:id/notes', WORKERS, async (req, res) => {
    const c = await staffCase(req.user, String(req.params.id));
    requireWork(req.user, c);
    const note = bodyText(req.body, 'note');
    if (!note || note.length > 5000) {
      await renderCase(ctx, req, res, c, { errors: { note: res.locals.t(note ? 'cases.errors.tooLong' : 'cases.errors.required') }, values: { note } }, 422);
      return;
    }
    const mentioned = mentionFlash(req.ctx, await addNote(req, req.user!, c, note, ctx.now(), ctx));
    flash(req, mentioned?.kind ?? 'success', mentioned?.key ?? 'cases.flash.noteAdded', mentioned?.params);
    res.redirect(303, `/cases/${String(c._id)}#notes`);
  });

  router.post('/cases/:id/messages', WORKERS, async (req, res) => {
    const c = await staffCase(req.user, String(req.params.id));
    requireWork(req.user, c);
    const message = bodyText(req.body, 'message');
    if (!message || message.length > 5000) {
      await renderCase(ctx, req, res, c, { errors: { message: res.locals.t(message ? 'cases.errors.tooLong' : 'cases.errors.required') }, values: { message } }, 422);
      return;
    }
    await postMessage(ctx, req, req.user!, c, message, ctx.now());
    flash(req, 'success', 'cases.flash.messageSent');
    res.redirect(303, `/cases/${String(c._id)}#messages`);
  });

  router.post('/cases/:id/support/:kind', WORKERS, async (req, res) => {
    const c = await staffCase(req.user, String(req.params.id));
    requireWork(req.user, c);
    const kind = req.params.kind;
    if (!isSupportKind(kind)) throw new NotFoundError();
    const parsed = supportUpdateSchema.safeParse({ status: bodyText(req.body, 'status'), note: bodyText(req.body, 'note') || undefined, version: bodyText(req.body, 'version') });
    if (!parsed.success) {
      await renderCase(ctx, req, res, c, { errors: { [`support_${kind}`]: res.locals.t('cases.errors.supportStatus') } }, 422);
      return;
    }
    try {
      await updateSupportTrack(req, req.user!, c, kind, parsed.data, ctx.now(), req.locale);
    } catch (err) {
      if (err instanceof ConflictError) {
        await renderConflict(res, c._id, req.user!, `/cases/${String(c._id)}`);
        return;
      }
      if (err instanceof ValidationError) {
        await renderCase(ctx, req, res, c, { errors: { [`support_${kind}`]: Object.values(err.fields)[0] ?? '' } }, 422);
        return;
      }
      throw err;
    }
    flash(req, 'success', 'cases.flash.supportUpdated');
    res.redirect(303, `/cases/${String(c._id)}#support`);
  });

  return router;
}

async function renderRequestInfo(req: Request, res: Response, c: CaseDoc, state: CaseState, status = 200): Promise<void> {
  const t = res.locals.t;
  res.status(status).render('cases/request-info', {
    title: `${t('cases.requestInfo.title')} · ${c.reference}`,
    caseId: String(c._id),
    reference: c.reference,
    fullName: c.profile?.fullName,
    version: c.version,
    values: state.values ?? {},
    errors: state.errors && Object.keys(state.errors).length ? state.errors : undefined,
  });
}
