// The HR side: the queue (filters, sorting, pagination, bulk assignment) and the case page
// (profile, timeline, notes, messages, actions, assignment, information request, support tracks,
// e-mails). Every handler: allow the staff area, load the case through the case policy and
// authorize the verb, parse the form (schemas below), call one service, render the presenter's page.
// Stage changes go through the workflow with the version the page was built for.
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { AppContext } from '../server/deps.ts';
import type { CaseDoc } from '../models/case.ts';
import type { UserDoc } from '../models/user.ts';
import { SUPPORT_KINDS, TRACKS } from '../models/constants.ts';
import { ConflictError, NotFoundError, ValidationError, type FieldErrors } from '../server/errors.ts';
import { authorize } from '../server/policies/index.ts';
import { allow } from '../server/http/allow.ts';
import { flash } from '../server/http/flash.ts';
import { safeNextPath } from '../server/http/safe-next.ts';
import { caseStyles } from '../server/http/styles.ts';
import { bodyText, formText, formVersion, readForm } from '../server/http/forms.ts';
import { isAction, transition, type Action } from '../server/workflow/index.ts';
import { PAGE_SIZES, QUEUE_STAGES, SORTS, loadQueue, parseQueueQuery, queueHref, queueOptions, type QueueQuery } from '../server/cases/queue.ts';
import { addNote, assignCase, bulkAssign, postMessage } from '../server/cases/commands.ts';
import { isSupportKind, supportUpdateSchema, updateSupportTrack } from '../server/cases/support.ts';
import { CaseConflictError, caseConflict } from '../server/cases/conflict.ts';
import { loadCasePage, staffCase } from '../server/cases/page.ts';
import { defaultInfoDue, canRequestInfo } from '../server/cases/request-info.ts';
import { casePage, conflictPage, requestInfoPage, stageBadge, stageLabel, type FormState } from '../server/cases/present.ts';

const STAFF = allow('role.staff');
const WORKERS = allow('role.caseWorker');

const caseParams = z.object({ id: z.string() });
const actionParams = z.object({ id: z.string(), action: z.string().refine(isAction) }).transform((p) => ({ id: p.id, action: p.action as Action }));
/** A workflow step from the case page: the version, and what the step's own form carries (the workflow checks it). */
const actionBody = z.object({ version: formVersion, reason: formText, note: formText, items: formText, dueAt: formText });
const requestInfoBody = z.object({ version: formVersion, items: formText, dueAt: formText });
const assignBody = z.object({ assignee: formText });
const bulkAssignBody = z.object({
  back: formText,
  assignee: formText,
  ids: z.preprocess((v) => (Array.isArray(v) ? v : v === undefined ? [] : [v]), z.array(z.unknown())).transform((a) => a.filter((v): v is string => typeof v === 'string').slice(0, 100)),
});
const text5000 = (required: string, tooLong: string) => formText.pipe(z.string().min(1, required).max(5000, tooLong));
const noteBody = z.object({ note: text5000('cases.errors.required', 'cases.errors.tooLong') });
const messageBody = z.object({ message: text5000('cases.errors.required', 'cases.errors.tooLong') });

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
      badge: stageBadge(r.stage),
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

function queryFromPath(path: string): Record<string, unknown> {
  const u = new URL(path, 'http://local');
  return Object.fromEntries(u.searchParams.entries());
}

/** Only what was set: the workflow's payload schemas treat an absent field and an empty one alike. */
function filled(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== ''));
}

export function casesRoutes(app: AppContext): Router {
  const router = Router();
  router.use(['/cases'], caseStyles);

  async function showCase(req: Request, res: Response, c: CaseDoc, state: FormState = {}, status = 200): Promise<void> {
    res.status(status).render('cases/show', casePage(req.ctx, await loadCasePage({ ctx: req.ctx, caseDoc: c }), state));
  }

  /** The case, if this staff member may see it, and may do `verb` on it. */
  async function caseFor(req: Request, verb: 'view' | 'work'): Promise<CaseDoc> {
    const { caseDoc, subject } = await staffCase({ ctx: req.ctx, caseId: caseParams.parse(req.params).id });
    authorize(req.ctx.actor, `case.${verb}`, subject, 'cases.errors.readOnly');
    return caseDoc;
  }

  /** A workflow step: a stale form is the 409 page, invalid input `onInvalid` (422). Answers whether it happened. */
  async function step(req: Request, res: Response, c: CaseDoc, action: Action, version: number, payload: Record<string, unknown>, onInvalid: (err: ValidationError) => Promise<void>): Promise<boolean> {
    try {
      await transition({ app, ctx: req.ctx, caseId: c._id, action, expectedVersion: version, payload });
      return true;
    } catch (err) {
      if (err instanceof CaseConflictError) res.status(409).render('cases/conflict', conflictPage(req.ctx, err, `/cases/${String(c._id)}`));
      else if (err instanceof ValidationError) await onInvalid(err);
      else throw err;
      return false;
    }
  }

  router.get('/cases', STAFF, async (req, res) => {
    await renderQueue(app, req, res, parseQueueQuery(req.query as Record<string, unknown>));
  });

  router.post('/cases/bulk-assign', WORKERS, async (req, res) => {
    const form = bulkAssignBody.parse(req.body ?? {});
    const back = safeNextPath(form.back, '/cases');
    try {
      const r = await bulkAssign({ ctx: req.ctx, caseIds: form.ids, assigneeId: form.assignee });
      flash(req, 'success', r.skipped ? 'cases.flash.bulkAssignedSome' : 'cases.flash.bulkAssigned', { count: r.assigned, skipped: r.skipped });
      res.redirect(303, back.startsWith('/cases') ? back : '/cases');
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      const q = parseQueueQuery(back.startsWith('/cases?') ? queryFromPath(back) : {});
      await renderQueue(app, req, res, q, { errors: err.fields, values: { ids: form.ids, assignee: form.assignee } }, 422);
    }
  });

  router.get('/cases/:id', STAFF, async (req, res) => {
    await showCase(req, res, await caseFor(req, 'view'));
  });

  router.post('/cases/:id/actions/:action', STAFF, async (req, res) => {
    const c = await caseFor(req, 'view');
    const params = actionParams.safeParse(req.params);
    if (!params.success) throw new NotFoundError();
    const { version, ...fields } = readForm(actionBody, req.body);
    const payload = filled(fields);
    const action = params.data.action;
    if (!(await step(req, res, c, action, version, payload, (err) => showCase(req, res, c, { errors: err.fields, values: { ...payload, action } }, 422)))) return;
    flash(req, 'success', 'cases.flash.actionDone');
    res.redirect(303, `/cases/${String(c._id)}`);
  });

  router.get('/cases/:id/request-info', WORKERS, async (req, res) => {
    const c = await caseFor(req, 'work');
    if (!canRequestInfo({ ctx: req.ctx, caseDoc: c })) {
      flash(req, 'info', 'cases.flash.notNow');
      res.redirect(303, `/cases/${String(c._id)}`);
      return;
    }
    res.render('cases/request-info', requestInfoPage(req.ctx, c, { values: { dueAt: await defaultInfoDue({ ctx: req.ctx }) } }));
  });

  router.post('/cases/:id/request-info', WORKERS, async (req, res) => {
    const c = await caseFor(req, 'work');
    const { version, ...values } = readForm(requestInfoBody, req.body);
    const ok = await step(req, res, c, 'request_info', version, values, async (err) => {
      res.status(422).render('cases/request-info', requestInfoPage(req.ctx, c, { errors: err.fields, values }));
    });
    if (!ok) return;
    flash(req, 'success', 'cases.flash.infoRequested');
    res.redirect(303, `/cases/${String(c._id)}`);
  });

  router.post('/cases/:id/assign', WORKERS, async (req, res) => {
    const c = await caseFor(req, 'work');
    const { assignee } = assignBody.parse(req.body ?? {});
    try {
      await assignCase({ ctx: req.ctx, caseDoc: c, assigneeId: assignee });
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      await showCase(req, res, c, { errors: err.fields, values: { assignee } }, 422);
      return;
    }
    flash(req, 'success', 'cases.flash.assigned');
    res.redirect(303, `/cases/${String(c._id)}`);
  });

  router.post('/cases/:id/notes', WORKERS, async (req, res) => {
    const c = await caseFor(req, 'work');
    const form = noteBody.safeParse(req.body ?? {});
    if (!form.success) {
      await showCase(req, res, c, { errors: { note: form.error.issues[0]!.message }, values: { note: bodyText(req.body, 'note') } }, 422);
      return;
    }
    await addNote({ ctx: req.ctx, caseDoc: c, text: form.data.note });
    flash(req, 'success', 'cases.flash.noteAdded');
    res.redirect(303, `/cases/${String(c._id)}#notes`);
  });

  router.post('/cases/:id/messages', WORKERS, async (req, res) => {
    const c = await caseFor(req, 'work');
    authorize(req.ctx.actor, 'case.message', c, 'cases.errors.readOnly');
    const form = messageBody.safeParse(req.body ?? {});
    if (!form.success) {
      await showCase(req, res, c, { errors: { message: form.error.issues[0]!.message }, values: { message: bodyText(req.body, 'message') } }, 422);
      return;
    }
    await postMessage({ app, ctx: req.ctx, caseDoc: c, text: form.data.message });
    flash(req, 'success', 'cases.flash.messageSent');
    res.redirect(303, `/cases/${String(c._id)}#messages`);
  });

  router.post('/cases/:id/support/:kind', WORKERS, async (req, res) => {
    const c = await caseFor(req, 'work');
    const kind = req.params.kind;
    if (!isSupportKind(kind)) throw new NotFoundError();
    const parsed = supportUpdateSchema.safeParse({ status: bodyText(req.body, 'status'), note: bodyText(req.body, 'note') || undefined, version: bodyText(req.body, 'version') });
    if (!parsed.success) {
      await showCase(req, res, c, { errors: { [`support_${kind}`]: 'cases.errors.supportStatus' } }, 422);
      return;
    }
    try {
      await updateSupportTrack(req, req.user!, c, kind, parsed.data, app.now(), req.locale);
    } catch (err) {
      if (err instanceof ConflictError) {
        const conflict = err instanceof CaseConflictError ? err : await caseConflict({ ctx: req.ctx, caseId: c._id });
        if (!(conflict instanceof CaseConflictError)) throw conflict;
        res.status(409).render('cases/conflict', conflictPage(req.ctx, conflict, `/cases/${String(c._id)}`));
        return;
      }
      if (err instanceof ValidationError) {
        await showCase(req, res, c, { errors: { [`support_${kind}`]: Object.values(err.fields)[0] ?? '' } }, 422);
        return;
      }
      throw err;
    }
    flash(req, 'success', 'cases.flash.supportUpdated');
    res.redirect(303, `/cases/${String(c._id)}#support`);
  });

  return router;
}
