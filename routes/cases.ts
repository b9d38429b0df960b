// The HR side: the queue (filters, sorting, pagination, bulk assignment) and the case page
// (profile, timeline, notes, messages, actions, assignment, information request, support tracks,
// e-mails). Every handler: allow the staff area, load the case through the case policy and
// authorize the verb, parse the form (schemas below), call one service, render the presenter's page.
// Stage changes go through the workflow with the version the page was built for.
import { hasVisibleText, withoutHiddenCharacters } from '../server/support/hidden-characters.ts';
import { Router, type Request, type Response } from 'express';
import { sentFormKey } from '../server/http/form-key.ts';
import { z } from 'zod';
import type { AppContext } from '../server/deps.ts';
import { tOf } from '../server/context.ts';
import { loadCalendar } from '../server/calendar/index.ts';
import { formatDay } from '../server/views/time.ts';
import type { CaseDoc, CaseRecord } from '../models/case.ts';
import { AppError, BadRequestError, NotFoundError, RateLimitedError, ValidationError, type FieldErrors } from '../server/errors.ts';
import { authorize } from '../server/policies/index.ts';
import { allow } from '../server/http/allow.ts';
import { flash } from '../server/http/flash.ts';
import { safeNextPath } from '../server/http/safe-next.ts';
import { reloadTo } from '../server/http/reload.ts';
import { caseStyles } from '../server/http/styles.ts';
import { readDayFields } from '../server/support/calendar-day.ts';
import { bodyText, formFields, formText, formVersion, issueKey, readForm, repeatedFields, typedValues } from '../server/http/forms.ts';
import { isAction, isConfirmedAction, needsConfirmation, offerReady, transition, type Action } from '../server/workflow/index.ts';
import { previewHrDecision, takeHrDecision } from '../server/cases/decision.ts';
import { parseQueueQuery, type QueueQuery } from '../server/cases/queue.ts';
import { queueModel } from '../server/cases/queue-present.ts';
import { canonicalQuery, deleteSavedFilter, saveFilter } from '../server/cases/saved-filters.ts';
import { addNote, assignCase, bulkAssign, messageCapReached, postMessage } from '../server/cases/commands.ts';
import { CaseConflictError } from '../server/cases/conflict.ts';
import { loadCasePage, staffCase, staffCaseRecord } from '../server/cases/page.ts';
import { applicantLocale, defaultInfoDue, canRequestInfo, canExtendInfo, extendInfoRequest, requestableDocuments } from '../server/cases/request-info.ts';
import { changePlannedStart, keptTargetText } from '../server/cases/planned-start.ts';
import { deadlineLeft as procedureLeft } from '../server/procedures/service.ts';
import { changeOfferTerms, OFFER_LETTER_FIELD } from '../server/cases/offer-terms.ts';
import { receiveUploads, uploadRateLimit } from '../server/http/uploads.ts';
import { uploadStaging } from '../server/documents/stores.ts';
import { refused, UploadError } from '../server/documents/errors.ts';
import { uploadTempDir, discardReceived } from '../server/documents/storage.ts';
import { uploadRefusal } from '../server/documents/present.ts';
import type { ReceivedFile } from '../server/documents/upload.ts';
import { assignFlash, bulkAssignFlash, casePage, confirmDecisionPage, conflictPage, extendSentFields, offerTermsSentFields, plannedStartSentFields, requestInfoPage, stageLabel, type FormState } from '../server/cases/present.ts';
import { mentionFlash } from '../server/mentions/present.ts';
import { emailOfVersion } from '../server/outbox/item.ts';

const STAFF = allow('role.staff');
const WORKERS = allow('role.caseWorker');

const caseParams = z.object({ id: z.string() });
const actionParams = z.object({ id: z.string(), action: z.string().refine(isAction) }).transform((p) => ({ id: p.id, action: p.action as Action }));
/** A workflow step from the case page: the version, and what the step's own form carries (the workflow checks it). */
const actionBody = z.object({ version: formVersion, reason: formText, note: formText, items: formText, dueAt: formText, arrivedOn: formText, reviewBy: formText, receivedVia: formText, receivedOn: formText });
const ACTION_TEXTS = formFields(actionBody.omit({ version: true }));
const requestInfoBody = z.object({ version: formVersion, items: formText, dueAt: formText, documentType: formText });
const extendInfoBody = z.object({ version: formVersion, extendDueAt: formText, extendReason: formText });
const plannedStartBody = z.object({ version: formVersion, plannedStart: formText, plannedStartReason: formText, plannedStartTold: formText, plannedStartTargets: formText });
// The texts of those forms: one sent twice is refused beside its box (the form shown again, 422).
const REQUEST_INFO_TEXTS = formFields(requestInfoBody.omit({ version: true }));
const EXTEND_INFO_TEXTS = formFields(extendInfoBody.omit({ version: true }));
const PLANNED_START_TEXTS = formFields(plannedStartBody.omit({ version: true }));
/** The offer's terms (the letter is the multipart body's file): any other field sent is ignored. */
const offerTermsBody = z.object({ version: formVersion, offerPosition: formText, offerStart: formText, offerSalary: formText, offerContractLength: formText });
const OFFER_TERMS_TEXTS = formFields(offerTermsBody.omit({ version: true }));
// The day fields each of those forms declares (typed day first: readDayFields); no other field is read as a day.
const ACTION_DAYS = ['dueAt', 'arrivedOn', 'reviewBy', 'receivedOn'] as const;
const REQUEST_INFO_DAYS = ['dueAt'] as const;
const EXTEND_INFO_DAYS = ['extendDueAt'] as const;
const PLANNED_START_DAYS = ['plannedStart'] as const;
const OFFER_TERMS_DAYS = ['offerStart'] as const;
const assignBody = z.object({ assignee: formText });
const bulkAssignBody = z.object({
  back: formText,
  assignee: formText,
  ids: z.preprocess((v) => (Array.isArray(v) ? v : v === undefined ? [] : [v]), z.array(z.unknown())).transform((a) => a.filter((v): v is string => typeof v === 'string').slice(0, 100)),
});
const text5000 = (required: string, tooLong: string) => formText.pipe(z.string().refine(hasVisibleText(), required).max(5000, tooLong).refine(withoutHiddenCharacters, 'errors.hiddenCharacters'));
const noteBody = z.object({ note: text5000('cases.errors.required', 'cases.errors.tooLong') });
const messageBody = z.object({ message: text5000('cases.errors.required', 'cases.errors.tooLong') });

interface CaseState {
  errors?: FieldErrors;
  values?: Record<string, unknown>;
}

async function renderQueue(_app: AppContext, req: Request, res: Response, q: QueueQuery, state: CaseState = {}, status = 200): Promise<void> {
  res.status(status).render('cases/index', await queueModel({ ctx: req.ctx, q, values: state.values, errors: state.errors }));
}

function queryFromPath(path: string): Record<string, unknown> {
  const u = new URL(path, 'http://local');
  return Object.fromEntries(u.searchParams.entries());
}

/** The e-mail a workflow step wrote to the case's outbox (its key carries the step's version), if any. */
/** Only what was set: the workflow's payload schemas treat an absent field and an empty one alike. */
function filled(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== ''));
}

export function casesRoutes(app: AppContext): Router {
  const router = Router();
  router.use(['/cases'], caseStyles);

  async function showCase(req: Request, res: Response, c: CaseDoc | CaseRecord, state: FormState = {}, status = 200): Promise<void> {
    res.status(status).render('cases/show', casePage(req.ctx, await loadCasePage({ ctx: req.ctx, caseDoc: c, uploadMaxBytes: app.config.upload.maxBytes }), state));
  }

  /** The case, if this staff member may see it, and may do `verb` on it. */
  async function caseFor(req: Request, verb: 'view' | 'work'): Promise<CaseDoc> {
    const { caseDoc, subject } = await staffCase({ ctx: req.ctx, caseId: caseParams.parse(req.params).id });
    authorize(req.ctx.actor, `case.${verb}`, subject, 'cases.errors.readOnly');
    return caseDoc;
  }

  /** A workflow step: a stale form is the 409 page, invalid input `onInvalid` (422). Answers whether it happened. */
  /** The case after the step, or undefined when the step was refused (the answer is already sent). */
  async function step(req: Request, res: Response, c: CaseDoc, action: Action, version: number, payload: Record<string, unknown>, onInvalid: (err: ValidationError) => Promise<void>): Promise<CaseDoc | undefined> {
    try {
      return await transition({ app, ctx: req.ctx, caseId: c._id, action, expectedVersion: version, payload });
    } catch (err) {
      if (err instanceof CaseConflictError) res.status(409).render('cases/conflict', conflictPage(req.ctx, err, `/cases/${String(c._id)}`, req.body));
      else if (err instanceof ValidationError) await onInvalid(err);
      else throw err;
      return undefined;
    }
  }

  router.get('/cases', STAFF, async (req, res) => {
    await renderQueue(app, req, res, parseQueueQuery(req.query as Record<string, unknown>));
  });

  // Saved filters: the current filter under a name (422 with the queue and a message when refused),
  // and deleting one. Both come back to the queue of the filter concerned.
  // The address a refused save leaves in the address bar: opened again (a reload, a bookmark) it is the queue, not "not found".
  router.get('/cases/filters', STAFF, (_req, res) => {
    res.redirect(303, '/cases');
  });

  router.post('/cases/filters', STAFF, async (req, res) => {
    const body = req.body as Record<string, unknown>;
    const saved = await saveFilter({ ctx: req.ctx, body });
    const query = typeof body.query === 'string' ? canonicalQuery(body.query) : '/cases';
    if (!saved.ok) {
      const q = parseQueueQuery(queryFromPath(query));
      await renderQueue(app, req, res, q, { errors: saved.errors, values: { name: typeof body.name === 'string' ? body.name.slice(0, 200) : '' } }, 422);
      return;
    }
    flash(req, 'success', 'queue.savedFilters.saved');
    res.redirect(303, saved.href);
  });

  router.post('/cases/filters/:id/delete', STAFF, async (req, res) => {
    await deleteSavedFilter({ ctx: req.ctx, id: String(req.params.id) });
    flash(req, 'success', 'queue.savedFilters.deleted');
    const back = safeNextPath(bodyText(req.body, 'back'), '/cases');
    res.redirect(303, back.startsWith('/cases') ? canonicalQuery(back) : '/cases');
  });

  // The addresses a refused form leaves in the address bar (POST-only actions): reopened, they are the queue or the case.
  router.get('/cases/bulk-assign', STAFF, reloadTo(() => '/cases'));
  for (const action of ['actions/:action', 'actions/:action/confirm', 'assign', 'notes', 'messages', 'request-info/extend', 'planned-start', 'offer-terms']) router.get(`/cases/:id/${action}`, STAFF, reloadTo((p) => `/cases/${p.id}`));

  router.post('/cases/bulk-assign', WORKERS, async (req, res) => {
    const form = bulkAssignBody.parse(req.body ?? {});
    const back = safeNextPath(form.back, '/cases');
    try {
      const r = await bulkAssign({ ctx: req.ctx, caseIds: form.ids, assigneeId: form.assignee });
      // None assigned is not a success: the officer would believe their institute's cases were handed out.
      const told = bulkAssignFlash(req.ctx, r);
      flash(req, told.kind, told.key, told.params);
      res.redirect(303, back.startsWith('/cases') ? back : '/cases');
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      const q = parseQueueQuery(back.startsWith('/cases?') ? queryFromPath(back) : {});
      await renderQueue(app, req, res, q, { errors: err.fields, values: { ids: form.ids, assignee: form.assignee } }, 422);
    }
  });

  router.get('/cases/:id', STAFF, async (req, res) => {
    const { caseRecord, subject } = await staffCaseRecord({ ctx: req.ctx, caseId: caseParams.parse(req.params).id });
    authorize(req.ctx.actor, 'case.view', subject, 'cases.errors.readOnly');
    await showCase(req, res, caseRecord);
  });

  /** The step a form asks for: the case (if this staff member may see it), the action, the version and what its form carries. */
  async function actionRequest(req: Request) {
    const c = await caseFor(req, 'view');
    const params = actionParams.safeParse(req.params);
    if (!params.success) throw new NotFoundError();
    // A text sent twice is refused beside its box (the form shown again, 422), never read as its first value.
    const body = readDayFields(req.body, ACTION_DAYS);
    const repeated = repeatedFields(body, ACTION_TEXTS);
    if (repeated) return { c, action: params.data.action, version: Number.NaN, payload: filled(typedValues(body, ACTION_TEXTS)), repeated };
    const { version, ...fields } = readForm(actionBody, body);
    return { c, action: params.data.action, version, payload: filled(fields) };
  }

  /** Where the case is now, and whether the step wrote an e-mail to the applicant. */
  function stepDone(req: Request, res: Response, c: CaseDoc, updated: CaseDoc): void {
    // The step's e-mails carry its version in their key: written, not delivered, so the words stay true whatever the mail server does.
    const mail = emailOfVersion(updated);
    flash(req, 'success', mail ? 'cases.flash.stepDoneTold' : 'cases.flash.stepDone', { stage: stageLabel(tOf(req.ctx), updated.stage), to: mail?.to });
    res.redirect(303, `/cases/${String(c._id)}`);
  }

  router.post('/cases/:id/actions/:action', STAFF, async (req, res) => {
    const { c, action, version, payload, repeated } = await actionRequest(req);
    const invalid = (err: ValidationError) => showCase(req, res, c, { errors: err.fields, values: { ...payload, action } }, 422);
    if (repeated) return invalid(new ValidationError(repeated));
    if (needsConfirmation(action, c.stage)) {
      // "Cancel" on the confirmation page: the case again, the reason as typed, nothing done.
      if (bodyText(req.body, 'edit') === '1') {
        await showCase(req, res, c, { values: { ...payload, action } });
        return;
      }
      // A decision that ends or pauses the case: checked as it will be taken, then shown before it is (step 2: …/confirm).
      try {
        const preview = await previewHrDecision({ app, ctx: req.ctx, caseDoc: c, action, version, payload });
        res.render('cases/confirm', confirmDecisionPage(req.ctx, preview, action, typeof payload.reason === 'string' ? payload.reason : '', payload));
      } catch (err) {
        if (err instanceof CaseConflictError) res.status(409).render('cases/conflict', conflictPage(req.ctx, err, `/cases/${String(c._id)}`, req.body));
        else if (err instanceof ValidationError) await invalid(err);
        else throw err;
      }
      return;
    }
    const updated = await step(req, res, c, action, version, payload, invalid);
    if (updated) stepDone(req, res, c, updated);
  });

  /** Step 2 of a decision that ends or pauses the case: taken once (a second click lands on the same result). */
  router.post('/cases/:id/actions/:action/confirm', STAFF, async (req, res) => {
    const { c, action, version, payload, repeated } = await actionRequest(req);
    // Only a step that has a confirmation page is confirmed (a hand-made POST for a routine one is
    // refused); whether it is allowed at the case's stage and version now is the workflow's to say (409 when stale).
    if (!isConfirmedAction(action)) throw new BadRequestError('workflow.notAllowedNow');
    if (repeated) return showCase(req, res, c, { errors: repeated, values: { ...payload, action } }, 422);
    try {
      const done = await takeHrDecision({ app, ctx: req.ctx, caseDoc: c, action, version, payload });
      if (done.caseDoc) stepDone(req, res, c, done.caseDoc);
      else {
        flash(req, 'info', 'cases.flash.alreadyDone', { stage: stageLabel(tOf(req.ctx), done.stage) });
        res.redirect(303, `/cases/${String(c._id)}`);
      }
    } catch (err) {
      if (err instanceof CaseConflictError) res.status(409).render('cases/conflict', conflictPage(req.ctx, err, `/cases/${String(c._id)}`, req.body));
      else if (err instanceof ValidationError) await showCase(req, res, c, { errors: err.fields, values: { ...payload, action } }, 422);
      else throw err;
    }
  });

  router.get('/cases/:id/request-info', WORKERS, async (req, res) => {
    const c = await caseFor(req, 'work');
    if (!canRequestInfo({ ctx: req.ctx, caseDoc: c })) {
      flash(req, 'info', 'cases.flash.notNow');
      res.redirect(303, `/cases/${String(c._id)}`);
      return;
    }
    res.render('cases/request-info', requestInfoPage(req.ctx, c, await applicantLocale({ caseDoc: c }), await requestableDocuments(c.call), { values: { dueAt: await defaultInfoDue({ ctx: req.ctx }) } }));
  });

  router.post('/cases/:id/request-info', WORKERS, async (req, res) => {
    const c = await caseFor(req, 'work');
    const shown = async (errors: FieldErrors, values: Record<string, string>) =>
      res.status(422).render('cases/request-info', requestInfoPage(req.ctx, c, await applicantLocale({ caseDoc: c }), await requestableDocuments(c.call), { errors, values }));
    const body = readDayFields(req.body, REQUEST_INFO_DAYS);
    const repeated = repeatedFields(body, REQUEST_INFO_TEXTS);
    if (repeated) return shown(repeated, typedValues(body, REQUEST_INFO_TEXTS));
    const { version, ...values } = readForm(requestInfoBody, body);
    const ok = await step(req, res, c, 'request_info', version, values, (err) => shown(err.fields, values));
    if (!ok) return;
    const mail = emailOfVersion(ok);
    flash(req, 'success', mail ? 'cases.flash.infoRequested' : 'cases.flash.infoRequestedNoMail', { to: mail?.to });
    res.redirect(303, `/cases/${String(c._id)}`);
  });

  // A later date for the open request: the stage stays; the applicant is e-mailed the new date.
  router.post('/cases/:id/request-info/extend', WORKERS, async (req, res) => {
    const c = await caseFor(req, 'work');
    if (!canExtendInfo({ ctx: req.ctx, caseDoc: c })) {
      flash(req, 'info', 'cases.flash.notNow');
      res.redirect(303, `/cases/${String(c._id)}`);
      return;
    }
    const body = readDayFields(req.body, EXTEND_INFO_DAYS);
    const repeated = repeatedFields(body, EXTEND_INFO_TEXTS);
    if (repeated) return showCase(req, res, c, { errors: repeated, values: { ...typedValues(body, EXTEND_INFO_TEXTS), action: 'extend_info' } }, 422);
    const { version, ...values } = readForm(extendInfoBody, body);
    try {
      const { mailedTo, repeated } = await extendInfoRequest({ app, ctx: req.ctx, caseDoc: c, version, form: values });
      if (repeated) flash(req, 'info', 'cases.flash.infoExtendedAlready', { date: formatDay(c.infoRequest?.dueAt, req.ctx.locale) });
      else flash(req, 'success', mailedTo ? 'cases.flash.infoExtended' : 'cases.flash.infoExtendedNoMail', { to: mailedTo });
      res.redirect(303, `/cases/${String(c._id)}#info-request`);
    } catch (err) {
      // A really stale form: what it sent (the date too, not only the reason), nothing of it saved.
      if (err instanceof CaseConflictError) res.status(409).render('cases/conflict', { ...conflictPage(req.ctx, err, `/cases/${String(c._id)}`, req.body, extendSentFields(req.ctx, values)), sentLead: tOf(req.ctx)('cases.conflict.sentLeadCase') });
      else if (err instanceof ValidationError) await showCase(req, res, c, { errors: err.fields, values: { ...values, action: 'extend_info' } }, 422);
      else throw err;
    }
  });

  // A new planned start of work (the expert's word): onboarding's deadline and the procedures' targets follow it; the applicant is e-mailed it.
  router.post('/cases/:id/planned-start', WORKERS, async (req, res) => {
    const c = await caseFor(req, 'work');
    const body = readDayFields(req.body, PLANNED_START_DAYS);
    const repeated = repeatedFields(body, PLANNED_START_TEXTS);
    if (repeated) return showCase(req, res, c, { errors: repeated, values: { ...typedValues(body, PLANNED_START_TEXTS), action: 'plan_start' } }, 422);
    const { version, ...values } = readForm(plannedStartBody, body);
    try {
      const { caseDoc, unchanged, mailedTo, typedMoved, kept } = await changePlannedStart({ app, ctx: req.ctx, caseDoc: c, version, form: values });
      const date = formatDay(caseDoc.profile?.plannedArrival, req.ctx.locale);
      // After the move, what became of the targets HR typed: each moved one with its new day and the
      // working days left, each kept one the new start makes wrong as a warning (walk32 #1).
      const t = tOf(req.ctx);
      const calendar = typedMoved?.length ? await loadCalendar() : undefined;
      const targets = [
        ...(typedMoved ?? []).map((m) => t('cases.plannedStart.typed.moved', { procedure: t(`procedures.kinds.${m.kind}`), from: formatDay(m.from, req.ctx.locale), to: formatDay(m.to, req.ctx.locale), left: procedureLeft(t, calendar!, req.ctx.now, m.to).text })),
        ...(kept ?? []).map((k) => keptTargetText(t, req.ctx.locale, k)),
      ].join(' ');
      const kind = kept?.length ? 'warning' : 'success';
      // The flash says whether the applicant was e-mailed (an account disabled, or no address, is not).
      if (unchanged) flash(req, 'info', 'cases.flash.plannedStartAlready', { date });
      else if (caseDoc.stage === 'onboarding') flash(req, kind, mailedTo ? 'cases.flash.plannedStartChangedDueTold' : 'cases.flash.plannedStartChangedDue', { date, due: formatDay(caseDoc.stageDueAt, req.ctx.locale), to: mailedTo, targets });
      else flash(req, kind, mailedTo ? 'cases.flash.plannedStartChangedTold' : 'cases.flash.plannedStartChanged', { date, to: mailedTo, targets });
      res.redirect(303, `/cases/${String(c._id)}#profile`);
    } catch (err) {
      if (err instanceof CaseConflictError) res.status(409).render('cases/conflict', { ...conflictPage(req.ctx, err, `/cases/${String(c._id)}`, req.body, plannedStartSentFields(req.ctx, values)), sentLead: tOf(req.ctx)('cases.conflict.sentLeadCase') });
      else if (err instanceof ValidationError) await showCase(req, res, c, { errors: err.fields, values: { ...values, action: 'plan_start' } }, 422);
      else throw err;
    }
  });

  // The offer's terms and letter (multipart: the letter is a PDF, read through the documents' upload
  // machinery, server/http/uploads.ts). At `offer` the applicant is e-mailed once per change.
  const limitUploads = uploadRateLimit(app);
  const tempDir = uploadTempDir(app.config);
  router.post('/cases/:id/offer-terms', WORKERS, async (req, res) => {
    const { caseDoc: c, subject } = await staffCase({ ctx: req.ctx, caseId: caseParams.parse(req.params).id });
    authorize(req.ctx.actor, 'case.work', subject, 'cases.errors.readOnly');
    authorize(req.ctx.actor, 'document.attachOffer', subject, 'cases.offerTerms.errors.notNow');
    const maxBytes = app.config.upload.maxBytes;
    // Only the letter's input takes a file: any other file field is refused before a byte of it is kept.
    const limitFor = (field: string): number => {
      if (field !== OFFER_LETTER_FIELD) throw refused.unknownField(field);
      return maxBytes;
    };
    let files: ReceivedFile[] = [];
    try {
      await limitUploads(req);
      files = await receiveUploads(req, res, { tempDir, stage: uploadStaging(app), limitFor, largest: maxBytes });
      // A term sent twice is refused beside its box, as on the url-encoded forms (422, the terms kept; the letter goes below).
      const body = readDayFields(req.body, OFFER_TERMS_DAYS);
      const repeated = repeatedFields(body, OFFER_TERMS_TEXTS);
      if (repeated) throw new ValidationError(repeated);
      const { version, ...values } = readForm(offerTermsBody, body);
      const { caseDoc, unchanged, mailedTo } = await changeOfferTerms({ app, ctx: req.ctx, caseDoc: c, version, form: values, files });
      if (unchanged) flash(req, 'info', 'cases.flash.offerTermsAlready');
      // At `offer`, an offer still without its position or letter is not e-mailed yet (server/cases/offer-terms.ts).
      else flash(req, 'success', mailedTo ? 'cases.flash.offerTermsTold' : caseDoc.stage !== 'offer' ? 'cases.flash.offerTermsSaved' : offerReady(caseDoc) ? 'cases.flash.offerTermsNoMail' : 'cases.flash.offerTermsIncomplete', { to: mailedTo });
      res.redirect(303, `/cases/${String(c._id)}#offer-terms`);
    } catch (err) {
      // A form refused before the service took its file (a bad version field): the temporary file goes too.
      await Promise.all(files.map((f) => (f.refusal ? undefined : discardReceived(f.tempPath))));
      // What multer read before a refusal (the text fields come before the file): the page gives it back (a repeated term: its first value).
      const values = typedValues(req.body, OFFER_TERMS_TEXTS);
      if (err instanceof CaseConflictError) {
        res.status(409).render('cases/conflict', { ...conflictPage(req.ctx, err, `/cases/${String(c._id)}`, req.body, offerTermsSentFields(req.ctx, values, files.find((f) => !f.refusal)?.name)), sentLead: tOf(req.ctx)('cases.conflict.sentLeadCase') });
      } else if (err instanceof ValidationError) {
        // The terms are given back as typed, but a browser cannot refill a file input and nothing of
        // the letter was kept: the page says so beside it, or it would be silently gone (walk 28 #10).
        const letter = files.find((f) => !f.refusal)?.name;
        const errors = letter && !err.fields[OFFER_LETTER_FIELD] ? { ...err.fields, [OFFER_LETTER_FIELD]: tOf(req.ctx)('cases.offerTerms.errors.letterChooseAgain', { name: letter.slice(0, 255) }) } : err.fields;
        await showCase(req, res, c, { errors, values: { ...values, action: 'offer_terms' } }, 422);
      } else if (err instanceof UploadError || (err instanceof AppError && err.status < 500 && err.status !== 401 && err.status !== 403 && !(err instanceof BadRequestError))) {
        // A refused file (not a PDF, too large, rate limit): said beside the file input, nothing stored, the terms as typed.
        const refusal = uploadRefusal(req.ctx, err as AppError);
        if (err instanceof RateLimitedError) res.setHeader('Retry-After', String(err.retryAfterSeconds));
        await showCase(req, res, c, { errors: { [OFFER_LETTER_FIELD]: refusal.message }, values: { ...values, action: 'offer_terms' } }, refusal.status);
      } else throw err;
    }
  });

  router.post('/cases/:id/assign', WORKERS, async (req, res) => {
    const c = await caseFor(req, 'work');
    const { assignee } = assignBody.parse(req.body ?? {});
    try {
      const told = assignFlash(req.ctx, await assignCase({ ctx: req.ctx, caseDoc: c, assigneeId: assignee }));
      flash(req, told.kind, told.key, told.params);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      await showCase(req, res, c, { errors: err.fields, values: { assignee } }, 422);
      return;
    }
    res.redirect(303, `/cases/${String(c._id)}`);
  });

  router.post('/cases/:id/notes', WORKERS, async (req, res) => {
    const c = await caseFor(req, 'work');
    const form = noteBody.safeParse(req.body ?? {});
    if (!form.success) {
      await showCase(req, res, c, { errors: { note: issueKey(form.error.issues[0]!) }, values: { note: bodyText(req.body, 'note') } }, 422);
      return;
    }
    const mentioned = mentionFlash(req.ctx, await addNote({ app, ctx: req.ctx, caseDoc: c, text: form.data.note, formKey: sentFormKey(req.body) }));
    flash(req, mentioned?.kind ?? 'success', mentioned?.key ?? 'cases.flash.noteAdded', mentioned?.params);
    res.redirect(303, `/cases/${String(c._id)}#notes`);
  });

  router.post('/cases/:id/messages', WORKERS, async (req, res) => {
    const c = await caseFor(req, 'work');
    authorize(req.ctx.actor, 'case.message', c, 'cases.errors.readOnly');
    const form = messageBody.safeParse(req.body ?? {});
    if (!form.success) {
      await showCase(req, res, c, { errors: { message: issueKey(form.error.issues[0]!) }, values: { message: bodyText(req.body, 'message') } }, 422);
      return;
    }
    // The case keeps so many messages (server/cases/commands.ts): past them, refused with the text kept.
    if (messageCapReached(c, false, sentFormKey(req.body))) {
      await showCase(req, res, c, { errors: { message: 'cases.conflict.messagesFull' }, values: { message: form.data.message } }, 409);
      return;
    }
    // The newest message the officer's page showed: what their reply answers (a stale or hostile value drops nothing).
    const sent = await postMessage({ app, ctx: req.ctx, caseDoc: c, text: form.data.message, formKey: sentFormKey(req.body), seenMessage: (req.body as Record<string, unknown> | undefined)?.seenMessage });
    flash(req, 'success', sent.mailedTo ? 'cases.flash.messageSent' : 'cases.flash.messageSentNoMail', { to: sent.mailedTo });
    res.redirect(303, `/cases/${String(c._id)}#messages`);
  });

  return router;
}
