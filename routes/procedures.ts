// Support procedures on the HR side: one procedure's page (its legal basis, deadline and every
// field HR records: status, office, filing date, the residence card's term, a message to the
// applicant, an internal note) and
// the form that changes it. The case page posts its quick status form to the same handler, at the
// URL it always had (/cases/:id/support/:kind). A refused form is shown again (422) on the
// procedure's page with what was typed; a stale one gets the 409 page saying what changed.
import { withoutHiddenCharacters } from '../server/support/hidden-characters.ts';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { AppContext } from '../server/deps.ts';
import { DOCUMENT_TYPES, SUPPORT_STATUSES, type SupportKind } from '../models/constants.ts';
import { Case } from '../models/case.ts';
import { BadRequestError, ConflictError, NotFoundError } from '../server/errors.ts';
import { allow } from '../server/http/allow.ts';
import { reloadTo } from '../server/http/reload.ts';
import { flash } from '../server/http/flash.ts';
import { keptValues, parseForm } from '../server/http/forms.ts';
import { caseStyles } from '../server/http/styles.ts';
import { CaseConflictError, caseConflict } from '../server/cases/conflict.ts';
import { conflictPage } from '../server/cases/present.ts';
import { setCalendarLogger } from '../server/calendar/index.ts';
import { isNewFiling, isSupportKind, trackStamp, updateProcedure } from '../server/procedures/service.ts';
import { actorOf } from '../server/context.ts';
import { findCaseFor } from '../server/cases/access.ts';
import { can } from '../server/policies/index.ts';
import { procedurePage, savedWarnings, sentFields, type FailedForm } from '../server/procedures/page.ts';
import { askMore, askReceived, type AskResult } from '../server/procedures/asks.ts';
import { calendarDayMessage, readDayFields, type DayFields } from '../server/support/calendar-day.ts';
import { PROCEDURE_RULES } from '../server/procedures/rules.ts';
import { isId } from '../server/support/object-id.js';
import { emailOfVersion } from '../server/outbox/item.ts';

const WORKERS = allow('role.caseWorker');

/** '' clears a date; 'YYYY-MM-DD' is that day in Vietnam (kept as its last instant, like other deadlines). */
const dateField = z
  .string()
  .trim()
  // What is wrong with the day typed: 2026-02-30 is written YYYY-MM-DD but is no day.
  .superRefine((v, ctx) => {
    const message = v === '' ? undefined : calendarDayMessage(v);
    if (message) ctx.addIssue({ code: 'custom', message });
  })
  .transform((v) => (v === '' ? null : new Date(`${v}T16:59:59.999Z`)))
  .optional();

const procedureBody = z.object({
  status: z.enum(SUPPORT_STATUSES, 'procedures.errors.status'),
  note: z.string().trim().max(2000, 'procedures.errors.tooLong').refine(withoutHiddenCharacters, 'errors.hiddenCharacters').optional(),
  message: z.string().trim().max(2000, 'procedures.errors.tooLong').refine(withoutHiddenCharacters, 'errors.hiddenCharacters').optional(),
  office: z.string().trim().max(200, 'procedures.errors.tooLong').refine(withoutHiddenCharacters, 'errors.hiddenCharacters').optional(),
  filedAt: dateField,
  decidedAt: dateField,
  targetAt: dateField,
  cardStartsAt: dateField,
  cardEndsAt: dateField,
  reasonsReceived: z.literal('yes', 'procedures.errors.invalid').optional(),
  reasonsMissing: z.literal('yes', 'procedures.errors.invalid').optional(),
  track: z.string().regex(/^(none|\d{1,15})$/, 'procedures.errors.invalid').optional(),
  version: z.string().regex(/^\d{1,9}$/, 'procedures.errors.version').transform(Number),
});
const FIELDS = ['status', 'note', 'message', 'office', 'filedAt', 'decidedAt', 'targetAt', 'cardStartsAt', 'cardEndsAt', 'reasonsReceived', 'reasonsMissing', 'track', 'version'] as const;

// The day fields each form declares (typed day first: readDayFields); no other field is read as a day.
const PROCEDURE_DAYS = ['filedAt', 'decidedAt', 'targetAt', 'cardStartsAt', 'cardEndsAt'] as const;
const ASK_DAYS = ['askDueAt'] as const;
const RECEIVED_DAYS = ['receivedOn'] as const;

/** Only the form's own fields, each as the one string it should be (a repeated field is refused), its days read as YYYY-MM-DD. */
function formFields(body: unknown, fields: readonly string[], days: DayFields): Record<string, unknown> {
  const src = readDayFields(body, days);
  const out: Record<string, unknown> = {};
  for (const f of fields) if (Object.prototype.hasOwnProperty.call(src, f)) out[f] = src[f];
  return out;
}

const trackField = z.string().regex(/^(none|\d{1,15})$/, 'procedures.errors.invalid').optional();
const versionField = z.string().regex(/^\d{1,9}$/, 'procedures.errors.version').transform(Number);

/** "More is asked" (server/procedures/asks.ts): what, by when, which document slot, whether the authority's clock stops. */
const askBody = z.object({
  askText: z.string('procedures.ask.errors.textRequired').trim().min(1, 'procedures.ask.errors.textRequired').max(2000, 'procedures.errors.tooLong').refine(withoutHiddenCharacters, 'errors.hiddenCharacters'),
  askDueAt: dateField,
  askDocument: z.union([z.literal(''), z.enum(DOCUMENT_TYPES)], 'procedures.ask.errors.documentType').optional(),
  askStopClock: z.literal('yes', 'procedures.errors.invalid').optional(),
  track: trackField,
  version: versionField,
});
const ASK_FIELDS = ['askText', 'askDueAt', 'askDocument', 'askStopClock', 'track', 'version'] as const;

const receivedBody = z.object({ receivedOn: dateField, track: trackField, version: versionField });
const RECEIVED_FIELDS = ['receivedOn', 'track', 'version'] as const;

/** The procedure's status as stored (undefined: none yet, or no such case; the page then answers as it does). */
async function trackStatus(caseId: string, kind: string): Promise<string | undefined> {
  if (!isId(caseId)) return undefined;
  const c = await Case.findById(caseId, { supportTracks: 1 }).lean();
  return c?.supportTracks?.find((t) => t.kind === kind)?.status;
}

async function showProcedure(app: AppContext, req: Request, res: Response, status: number, failed?: FailedForm): Promise<void> {
  if (failed) {
    const stale = await refusedButStale(req, String(req.params.kind) as SupportKind, failed.values);
    if (stale) {
      res.status(409).render('cases/conflict', conflictPage(req.ctx, stale, `/cases/${String(req.params.id)}/procedures/${String(req.params.kind)}`, req.body, sentFields(req.ctx, String(req.params.kind) as SupportKind, failed.values)));
      return;
    }
  }
  const model = await procedurePage({ ctx: req.ctx, caseId: String(req.params.id), kind: String(req.params.kind), ...(failed ? { failed } : {}) });
  res.status(status).render('procedures/edit', model);
}

export function proceduresRoutes(app: AppContext): Router {
  setCalendarLogger(app.logger);
  const router = Router();
  router.use(['/cases/:id/procedures', '/cases/:id/support'], caseStyles);

  // The address a refused update from the case page leaves in the address bar: reopened, it is the case's procedures.
  router.get('/cases/:id/support/:kind', WORKERS, reloadTo((p) => `/cases/${p.id}#support`));

  router.get('/cases/:id/procedures/:kind', WORKERS, async (req, res) => {
    if (!isSupportKind(req.params.kind)) throw new NotFoundError();
    await showProcedure(app, req, res, 200);
  });

  const save = async (req: Request, res: Response, from: 'page' | 'case' = 'page') => {
    const kind = String(req.params.kind);
    if (!isSupportKind(kind)) throw new NotFoundError();
    const id = String(req.params.id);
    const fields = formFields(req.body, FIELDS, PROCEDURE_DAYS);
    const values = keptValues(fields);
    const form = parseForm(procedureBody, fields, 'procedures.errors.invalid');
    if (!form.ok) {
      if (form.errors.version) throw new BadRequestError('cases.errors.version');
      await showProcedure(app, req, res, 422, { errors: form.errors, values });
      return;
    }
    const { version, reasonsReceived, reasonsMissing, track, ...input } = form.data;
    // Filing from the case page's quick form (status only): the legal clock runs from the filing
    // date, and the procedure's page is where it is typed, checked against the decree's window and
    // against the documents still missing. So a new filing (the service's rule: the first, or one
    // after a refusal) opens there with the status chosen and the date to type.
    if (from === 'case' && !input.filedAt && isNewFiling(await trackStatus(id, kind), input.status)) {
      // Worded for what the procedure is: the decree's window only where there is one (rules.ts), no
      // law at all for the institute's own service (housing).
      const rule = PROCEDURE_RULES[kind];
      const key = rule.internal ? 'procedures.errors.filedAtFromCaseInternal' : rule.fileBeforeStartDays ? 'procedures.errors.filedAtFromCase' : 'procedures.errors.filedAtFromCaseNoWindow';
      await showProcedure(app, req, res, 422, { errors: { filedAt: key }, values });
      return;
    }
    let result;
    try {
      result = await updateProcedure({ app, ctx: req.ctx, caseId: id, kind, ...input, reasonsReceived: reasonsReceived === 'yes', reasonsMissing: reasonsMissing === 'yes', expectedVersion: version, ...(track ? { trackStamp: track } : {}) });
    } catch (err) {
      if (err instanceof ConflictError) {
        // The conflict is described once (server/cases/conflict.ts): who changed what since the form was loaded.
        await conflict(req, res, err, id, `/cases/${id}#support`, kind, values);
        return;
      }
      throw err;
    }
    if (!result.ok) {
      await showProcedure(app, req, res, 422, { errors: result.errors, values });
      return;
    }
    const warnings = savedWarnings(req.ctx, result);
    // Who is e-mailed, as a workflow step's flash says it: the officer otherwise learnt it only from the case's e-mail table.
    const mail = result.unchanged ? undefined : emailOfVersion(result.caseDoc);
    if (result.unchanged) flash(req, 'info', 'procedures.flash.unchanged');
    else if (warnings.length) flash(req, 'warning', mail ? 'procedures.flash.updatedToldWithWarnings' : 'procedures.flash.updatedWithWarnings', { warnings: warnings.join(' '), to: mail?.to });
    else flash(req, 'success', mail ? 'procedures.flash.updatedTold' : 'procedures.flash.updated', { to: mail?.to });
    res.redirect(303, `/cases/${id}#support`);
  };
  /** A stale form: the 409 page saying who changed what since it was loaded (server/cases/conflict.ts). */
  async function conflict(req: Request, res: Response, err: ConflictError, id: string, back: string, kind: SupportKind, values: Record<string, string>): Promise<void> {
    const found = err instanceof CaseConflictError ? err : await caseConflict({ ctx: req.ctx, caseId: id });
    if (!(found instanceof CaseConflictError)) throw found;
    // Every field the form sent, labelled (not only the texts): the status, office and dates chosen too.
    res.status(409).render('cases/conflict', conflictPage(req.ctx, found, back, req.body, sentFields(req.ctx, kind, values)));
  }

  /** Runs a request's service; a stale form is answered with the 409 page (undefined returned). */
  async function attempt(req: Request, res: Response, id: string, back: string, kind: SupportKind, values: Record<string, string>, run: () => Promise<AskResult>): Promise<AskResult | undefined> {
    try {
      return await run();
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      await conflict(req, res, err, id, back, kind, values);
      return undefined;
    }
  }

  // HR asks the applicant for more within the procedure.
  router.post('/cases/:id/procedures/:kind/asks', WORKERS, async (req, res) => {
    const kind = String(req.params.kind);
    if (!isSupportKind(kind)) throw new NotFoundError();
    const id = String(req.params.id);
    const fields = formFields(req.body, ASK_FIELDS, ASK_DAYS);
    const values = keptValues(fields);
    const form = parseForm(askBody, fields, 'procedures.errors.invalid');
    if (!form.ok) {
      if (form.errors.version) throw new BadRequestError('cases.errors.version');
      await showProcedure(app, req, res, 422, { form: 'ask', errors: form.errors, values });
      return;
    }
    const { version, track, askText, askDueAt, askDocument, askStopClock } = form.data;
    const back = `/cases/${id}/procedures/${kind}`;
    const result = await attempt(req, res, id, back, kind, values, () =>
      askMore({ app, ctx: req.ctx, caseId: id, kind, text: askText, dueAt: askDueAt ?? null, ...(askDocument ? { documentType: askDocument } : {}), stopClock: askStopClock === 'yes', expectedVersion: version, ...(track ? { trackStamp: track } : {}) }),
    );
    if (!result) return;
    if (!result.ok) {
      await showProcedure(app, req, res, 422, { form: 'ask', errors: result.errors, values });
      return;
    }
    flash(req, 'success', result.mailedTo ? 'procedures.ask.flash.asked' : 'procedures.ask.flash.askedNoMail', { to: result.mailedTo });
    res.redirect(303, `${back}#asks`);
  });

  // HR records what was asked as received: a stopped decision clock counts again from that day.
  router.post('/cases/:id/procedures/:kind/asks/:askId/received', WORKERS, async (req, res) => {
    const kind = String(req.params.kind);
    const askId = String(req.params.askId);
    if (!isSupportKind(kind) || !isId(askId)) throw new NotFoundError();
    const id = String(req.params.id);
    const fields = formFields(req.body, RECEIVED_FIELDS, RECEIVED_DAYS);
    const values = keptValues(fields);
    const form = parseForm(receivedBody, fields, 'procedures.errors.invalid');
    if (!form.ok) {
      if (form.errors.version) throw new BadRequestError('cases.errors.version');
      await showProcedure(app, req, res, 422, { form: 'received', askId, errors: form.errors, values });
      return;
    }
    const back = `/cases/${id}/procedures/${kind}`;
    const { version, track, receivedOn } = form.data;
    const result = await attempt(req, res, id, back, kind, values, () => askReceived({ app, ctx: req.ctx, caseId: id, kind, askId, receivedOn: receivedOn ?? null, expectedVersion: version, ...(track ? { trackStamp: track } : {}) }));
    if (!result) return;
    if (!result.ok) {
      await showProcedure(app, req, res, 422, { form: 'received', askId, errors: result.errors, values });
      return;
    }
    const warnings = savedWarnings(req.ctx, result);
    if (result.closed) flash(req, 'info', 'procedures.ask.flash.closed');
    else if (warnings.length) flash(req, 'warning', result.mailedTo ? 'procedures.ask.flash.receivedWithWarnings' : 'procedures.ask.flash.receivedNoMailWithWarnings', { to: result.mailedTo, warnings: warnings.join(' ') });
    else flash(req, 'success', result.repeated ? 'procedures.ask.flash.alreadyReceived' : result.mailedTo ? 'procedures.ask.flash.received' : 'procedures.ask.flash.receivedNoMail', { to: result.mailedTo });
    res.redirect(303, `${back}#asks`);
  });
  // The addresses a refused request form leaves in the address bar: reopened, they are the procedure's page.
  router.get(['/cases/:id/procedures/:kind/asks', '/cases/:id/procedures/:kind/asks/:askId/received'], WORKERS, reloadTo((p) => `/cases/${p.id}/procedures/${p.kind}`));

  // The case page's quick form keeps its old address; the procedure's page posts to its own.
  router.post('/cases/:id/procedures/:kind', WORKERS, (req, res) => save(req, res, 'page'));
  router.post('/cases/:id/support/:kind', WORKERS, (req, res) => save(req, res, 'case'));
  return router;
}

/**
 * A refused form that was stale too: its procedure changed since the form was loaded (the case's
 * version and the procedure's stamp both differ from what the form carries). Shown again with its
 * errors, the page would carry today's version, so its next save would go through over the
 * colleague's change unseen (a status replaced, the applicant e-mailed): the 409 page says what
 * changed instead. Read as the page reads the case (who may see and work on it).
 */
async function refusedButStale(req: Request, kind: SupportKind, values: Record<string, string>): Promise<CaseConflictError | undefined> {
  if (!/^\d{1,9}$/.test(values.version ?? '') || !isSupportKind(kind)) return undefined;
  const actor = actorOf(req.ctx);
  const { caseDoc } = await findCaseFor(actor, String(req.params.id));
  if (!(actor.role === 'admin' || can(actor, 'case.work', caseDoc))) return undefined;
  if (caseDoc.version === Number(values.version)) return undefined;
  if (values.track && values.track === trackStamp((caseDoc.supportTracks ?? []).find((t) => t.kind === kind))) return undefined;
  const found = await caseConflict({ ctx: req.ctx, caseId: caseDoc._id });
  return found instanceof CaseConflictError ? found : undefined;
}
