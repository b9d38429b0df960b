// The applicant's pages: my applications, one application (timeline, information request, offer,
// withdraw, messages), and the multi-step form of a draft. Every handler: allow the applicant area,
// load their own case and authorize it, parse the form (schemas below), call one service, render.
import { readDayFields } from '../server/support/calendar-day.ts';
import { hasVisibleText, withoutHiddenCharacters } from '../server/support/hidden-characters.ts';
import { Router, type Request, type Response } from 'express';
import { sentFormKey } from '../server/http/form-key.ts';
import { z } from 'zod';
import type { AppContext } from '../server/deps.ts';
import type { CaseDoc } from '../models/case.ts';
import { AppError, NotFoundError, RateLimitedError, ValidationError } from '../server/errors.ts';
import { receiveUploads, uploadRateLimit } from '../server/http/uploads.ts';
import { uploadStaging } from '../server/documents/stores.ts';
import { UploadError } from '../server/documents/errors.ts';
import { uploadLimits } from '../server/documents/rules.ts';
import { uploadTempDir } from '../server/documents/storage.ts';
import { uploadRefusal } from '../server/documents/present.ts';
import type { ReceivedFile } from '../server/documents/upload.ts';
import { answerChecklist, answerWithFiles, askedDocument, discard } from '../server/applications/answer.ts';
import { authorize } from '../server/policies/index.ts';
import { allow } from '../server/http/allow.ts';
import { reloadTo } from '../server/http/reload.ts';
import { requireVerifiedEmail } from '../server/http/account-gate.ts';
import { flash } from '../server/http/flash.ts';
import { caseStyles } from '../server/http/styles.ts';
import { bodyText, formText, formVersion, issueKey, readForm, repeatedFields, typedValues } from '../server/http/forms.ts';
import { CaseConflictError } from '../server/cases/conflict.ts';
import { conflictPage, type FormState } from '../server/cases/present.ts';
import { messageCapReached, postMessage } from '../server/cases/commands.ts';
import { hrContactFor } from '../server/institutes/contact.ts';
import {
  applicantAction,
  canEditStep,
  editableSteps,
  listApplications,
  loadApplication,
  loadStep,
  ownCase,
  saveStep,
  submitApplication,
  type ApplicantAction,
  type StepInput,
} from '../server/applications/service.ts';
import { applicationPage, applicationsList, offerConfirmPage, stepPage, withdrawPage } from '../server/applications/present.ts';
import { OFFER_ACTION, answerOffer, isOfferAnswer, type OfferAnswer } from '../server/applications/offer.ts';
import { isStep, nextStep, STEP_DAY_FIELDS, type Step } from '../server/applications/steps.ts';
import type { MissingPart } from '../server/applications/completeness.ts';
import { availableActions, offerReady } from '../server/workflow/index.ts';
import { isTicked } from '../server/privacy/consent.ts';
import { askReply } from '../server/procedures/asks.ts';
import { isSupportKind } from '../server/procedures/service.ts';
import { ConflictError } from '../server/errors.ts';
import { caseConflict } from '../server/cases/conflict.ts';
import { APPLICANT_MESSAGES_PER_HOUR, applicantMessageLimit } from '../server/http/message-limit.ts';
import { formatDateTime } from '../server/views/time.ts';
import { keyWith } from '../server/support/field-errors.ts';
import { isId } from '../server/support/object-id.js';

const caseParams = z.object({ id: z.string() });
const stepParams = z.object({ id: z.string(), step: z.string().refine(isStep) }).transform((p) => ({ id: p.id, step: p.step as Step }));
/** A step's fields are read by the step's own parser (server/applications/steps.ts); `go` says where to next. */
const stepBody = z.record(z.string(), z.unknown());
const submitBody = z.object({ version: formVersion, keepDataConsent: z.unknown().optional().transform(isTicked) });
const answerBody = z.object({ version: formVersion, answer: formText });
/** A date typed beside the answer's file (`<type>_issuedAt`, `<type>_expiresAt`), as on the upload form. */
const DATE_FIELD = /^[a-z_]{1,40}_(?:issuedAt|expiresAt)$/;
// The day fields each form declares (typed day first: readDayFields); no other field is read as a day.
const ANSWER_DAYS = [DATE_FIELD];
const offerBody = z.object({ decision: z.enum(['accept', 'decline'], { error: 'applications.errors.choice' }) });
const versionBody = z.object({ version: formVersion });
/** The applicant's "done" to a request within a procedure (server/procedures/asks.ts), with a few words if they like. */
const askDoneBody = z.object({
  version: formVersion,
  track: z.string().regex(/^(none|\d{1,15})$/).optional().catch(undefined),
  reply: z.string('procedures.errors.invalid').trim().max(2000, 'applications.errors.tooLong').refine(withoutHiddenCharacters, 'errors.hiddenCharacters').optional(),
  // Confirmed on the page askReply showed when the paper asked for was not uploaded.
  withoutUpload: z.unknown().optional().transform(isTicked),
});
const messageBody = z.object({ text: formText.pipe(z.string().refine(hasVisibleText(), 'applications.errors.messageRequired').max(5000, 'applications.errors.tooLong').refine(withoutHiddenCharacters, 'errors.hiddenCharacters')) });

export function applicationsRoutes(app: AppContext): Router {
  const router = Router();
  router.use(['/applications'], caseStyles);
  const applicant = allow('role.applicant');
  const limitUploads = uploadRateLimit(app);
  const limitMessages = applicantMessageLimit(app);
  const tempDir = uploadTempDir(app.config);
  // The addresses a refused form leaves in the address bar (POST-only actions): reopened, they are the application.
  for (const action of ['submit', 'answer', 'offer', 'messages']) router.get(`/applications/:id/${action}`, applicant, reloadTo((p) => `/applications/${p.id}`));

  /** The applicant's own case, authorized for their steps (anyone else's is "not found"). */
  async function myCase(req: Request): Promise<CaseDoc> {
    const caseDoc = await ownCase({ ctx: req.ctx, caseId: caseParams.parse(req.params).id });
    authorize(req.ctx.actor, 'case.apply', caseDoc);
    return caseDoc;
  }

  async function showApplication(req: Request, res: Response, caseDoc: CaseDoc, state: FormState = {}, status = 200): Promise<void> {
    const data = await loadApplication({ ctx: req.ctx, caseDoc, uploadMaxBytes: app.config.upload.maxBytes });
    res.status(status).render('applications/show', applicationPage(req.ctx, data, app.config.retentionDays, state));
  }

  async function showStep(req: Request, res: Response, caseDoc: CaseDoc, step: Step, state: StepInput & { errors?: Record<string, string>; missing?: MissingPart[]; submitErrors?: string[]; notSubmitted?: boolean } = {}, status = 200): Promise<void> {
    const data = await loadStep({ ctx: req.ctx, caseDoc, step, missing: state.missing });
    res.status(status).render('applications/edit', stepPage(req.ctx, data, app.config.retentionDays, state));
  }

  /** A workflow step of the applicant's: a stale form is the 409 page, invalid input the page again (422). */
  async function act(req: Request, res: Response, caseDoc: CaseDoc, action: ApplicantAction, version: number, payload: Record<string, unknown> | undefined, values: Record<string, unknown> = {}): Promise<boolean> {
    try {
      await applicantAction({ app, ctx: req.ctx, caseDoc, action, expectedVersion: version, payload });
      return true;
    } catch (err) {
      if (err instanceof CaseConflictError) res.status(409).render('cases/conflict', conflictPage(req.ctx, err, `/applications/${String(caseDoc._id)}`, req.body));
      else if (err instanceof ValidationError) await showApplication(req, res, caseDoc, { errors: err.fields, values }, 422);
      else throw err;
      return false;
    }
  }

  router.get('/applications', applicant, async (req, res) => {
    res.render('applications/index', applicationsList(req.ctx, await listApplications({ ctx: req.ctx })));
  });

  router.get('/applications/:id', applicant, async (req, res) => {
    await showApplication(req, res, await myCase(req));
  });

  router.get('/applications/:id/edit', applicant, async (req, res) => {
    const caseDoc = await myCase(req);
    const first = editableSteps(caseDoc.stage)[0];
    res.redirect(303, first ? `/applications/${String(caseDoc._id)}/edit/${first}` : `/applications/${String(caseDoc._id)}`);
  });

  router.get('/applications/:id/edit/:step', applicant, async (req, res) => {
    const caseDoc = await myCase(req);
    const params = stepParams.safeParse(req.params);
    if (!params.success) throw new NotFoundError();
    if (!canEditStep(caseDoc.stage, params.data.step)) {
      flash(req, 'info', 'applications.flash.notEditable');
      res.redirect(303, `/applications/${String(caseDoc._id)}`);
      return;
    }
    await showStep(req, res, caseDoc, params.data.step);
  });

  router.post('/applications/:id/edit/:step', applicant, async (req, res) => {
    const caseDoc = await myCase(req);
    const params = stepParams.safeParse(req.params);
    if (!params.success || params.data.step === 'review') throw new NotFoundError();
    const step = params.data.step;
    const body = stepBody.parse(readDayFields(req.body, STEP_DAY_FIELDS));
    const saved = await saveStep({ ctx: req.ctx, caseDoc, step, body });
    if (!saved.ok) {
      await showStep(req, res, caseDoc, step, saved, 422);
      return;
    }
    flash(req, 'success', 'applications.flash.saved');
    const target = bodyText(body, 'go') === 'next' && canEditStep(saved.caseDoc.stage, nextStep(step)) ? nextStep(step) : step;
    res.redirect(303, `/applications/${String(saved.caseDoc._id)}/edit/${target}`);
  });

  // An application goes to staff only from an address the applicant has proved is theirs.
  router.post('/applications/:id/submit', applicant, requireVerifiedEmail, async (req, res) => {
    const caseDoc = await myCase(req);
    const form = readForm(submitBody, req.body);
    const back = `/applications/${String(caseDoc._id)}`;
    try {
      const r = await submitApplication({ app, ctx: req.ctx, caseDoc, expectedVersion: form.version, keepDataConsent: form.keepDataConsent });
      if (r.outcome === 'incomplete') {
        await showStep(req, res, caseDoc, 'review', { missing: r.missing, submitErrors: r.errors ? Object.values(r.errors) : undefined, notSubmitted: true }, 422);
        return;
      }
    } catch (err) {
      if (!(err instanceof CaseConflictError)) throw err;
      res.status(409).render('cases/conflict', conflictPage(req.ctx, err, back));
      return;
    }
    // Submitted now, or by the same click sent twice: either way the application is in.
    flash(req, 'success', 'applications.flash.submitted');
    res.redirect(303, back);
  });

  // The answer to an information request: its text, and, when the request names a paper, the file
  // beside it (a multipart form, its CSRF token read with the body as on the documents' upload route).
  router.post('/applications/:id/answer', applicant, async (req, res) => {
    const caseDoc = await myCase(req);
    let files: ReceivedFile[] = [];
    /** A refused file (or too many uploads this hour): said beside the file input, the text kept, nothing stored. */
    const refusedUpload = async (err: unknown) => {
      if (!(err instanceof UploadError || (err instanceof AppError && err.status !== 401 && err.status !== 403 && err.status < 500))) throw err;
      if (err instanceof RateLimitedError) res.setHeader('Retry-After', String(err.retryAfterSeconds));
      const refusal = uploadRefusal(req.ctx, err);
      const typed = typeof req.body?.answer === 'string' ? req.body.answer : '';
      // The answer left empty is said too (the form's text comes before its file, so it was read): one send, every fault.
      const blank: Record<string, string> = typeof req.body?.answer === 'string' && !typed.trim() ? { answer: 'applications.errors.answerRequired' } : {};
      // Beside the file input, or (a refusal of the whole form: field names not allowed, too many
      // uploads) beside the file input the form has, else the answer: never under a name no input shows.
      await showApplication(req, res, caseDoc, { errors: { ...blank, [refusal.field ?? askedDocument(caseDoc) ?? 'answer']: refusal.message }, values: { answer: typed } }, refusal.status);
    };
    if (req.is('multipart/form-data')) {
      try {
        await limitUploads(req);
        // The form's one upload place: a file under any other name (or with no paper asked) is refused before a byte is kept.
        files = await receiveUploads(req, res, { tempDir, stage: uploadStaging(app), ...uploadLimits(await answerChecklist(caseDoc), app.config.upload.maxBytes) });
      } catch (err) {
        await refusedUpload(err);
        return;
      }
    }
    // A text sent twice (the answer, a date beside the file) is refused beside its box, as on the
    // url-encoded forms: 422, the first value shown again, the file not kept (said beside its input).
    const body = readDayFields(req.body, ANSWER_DAYS);
    const texts = ['answer', ...Object.keys(body).filter((k) => DATE_FIELD.test(k))];
    const repeated = repeatedFields(body, texts);
    if (repeated) {
      const good = files.find((f) => !f.refusal && f.field === askedDocument(caseDoc));
      await discard(files);
      const notKept = good && !repeated[good.field] ? { [good.field]: keyWith('applications.errors.answerFileNotKept', { name: good.name }) } : {};
      await showApplication(req, res, caseDoc, { errors: { ...repeated, ...notKept }, values: typedValues(body, texts) }, 422);
      return;
    }
    // A form refused after its file was received (a bad version field): the file and its staged chunks go too.
    let form: z.output<typeof answerBody>;
    try {
      form = readForm(answerBody, body);
    } catch (err) {
      await discard(files);
      throw err;
    }
    const { version, answer } = form;
    if (!answer) {
      // A file refused by its name or bytes (not a PDF, JPEG or PNG; empty) is said beside its input
      // too: sent again with only the text, it would be refused then.
      const bad = files.find((f) => f.refusal);
      const fileRefusal = bad?.refusal ? uploadRefusal(req.ctx, bad.refusal.about(bad.field)) : undefined;
      const fileField = fileRefusal ? (fileRefusal.field ?? askedDocument(caseDoc)) : undefined;
      // A good file sent with an empty answer is not kept either: said beside its input, so the
      // applicant knows to choose it again (a browser never keeps a chosen file across pages).
      const good = !fileRefusal ? files.find((f) => !f.refusal && f.field === askedDocument(caseDoc)) : undefined;
      await discard(files);
      const fileError = fileField && fileField !== 'answer' ? { [fileField]: fileRefusal!.message } : good ? { [good.field]: keyWith('applications.errors.answerFileNotKept', { name: good.name }) } : {};
      await showApplication(req, res, caseDoc, { errors: { answer: 'applications.errors.answerRequired', ...fileError }, values: { answer } }, 422);
      return;
    }
    try {
      const dates = Object.fromEntries(Object.entries(body).filter(([k]) => DATE_FIELD.test(k)));
      await answerWithFiles({ app, ctx: req.ctx, caseDoc, expectedVersion: version, answer, files, dates });
    } catch (err) {
      if (err instanceof CaseConflictError) res.status(409).render('cases/conflict', conflictPage(req.ctx, err, `/applications/${String(caseDoc._id)}`, req.body));
      else if (err instanceof ValidationError) await showApplication(req, res, caseDoc, { errors: err.fields, values: { answer } }, 422);
      else await refusedUpload(err);
      return;
    }
    // Recorded now, or by the same tap sent twice: either way the answer is in.
    flash(req, 'success', 'applications.flash.answered');
    res.redirect(303, `/applications/${String(caseDoc._id)}`);
  });

  // The applicant says what HR asked for within a procedure is done; HR records it received.
  router.post('/applications/:id/procedures/:kind/asks/:askId/done', applicant, async (req, res) => {
    const caseDoc = await myCase(req);
    const kind = String(req.params.kind);
    const askId = String(req.params.askId);
    if (!isSupportKind(kind) || !isId(askId)) throw new NotFoundError();
    const body = (req.body ?? {}) as Record<string, unknown>;
    const version = readForm(versionBody, body).version;
    const form = askDoneBody.safeParse({ version: body.version, track: body.track, reply: body.reply, withoutUpload: body.withoutUpload });
    if (!form.success) {
      const issue = form.error.issues.find((i) => i.path[0] === 'reply') ?? form.error.issues[0]!;
      await showApplication(req, res, caseDoc, { errors: { reply: issueKey(issue, 'procedures.errors.invalid') }, values: { reply: typeof body.reply === 'string' ? body.reply : '', askId } }, 422);
      return;
    }
    const back = `/applications/${String(caseDoc._id)}`;
    try {
      const { track, reply, withoutUpload } = form.data;
      const done = await askReply({ app, ctx: req.ctx, caseId: caseDoc._id, kind, askId, ...(reply ? { reply } : {}), withoutUpload, expectedVersion: version, ...(track ? { trackStamp: track } : {}) });
      // The paper asked for is not uploaded: the page asks first (upload it, or say done all the same), keeping their words.
      if (!done.ok && done.notUploaded) {
        await showApplication(req, res, caseDoc, { values: { reply: reply ?? '', askId, notUploaded: true } });
        return;
      }
      if (!done.ok) {
        await showApplication(req, res, caseDoc, { errors: done.errors as Record<string, string>, values: { reply: reply ?? '', askId } }, 422);
        return;
      }
      if (done.closed) {
        flash(req, 'info', 'procedures.ask.flash.closed');
        res.redirect(303, back);
        return;
      }
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      const found = err instanceof CaseConflictError ? err : await caseConflict({ ctx: req.ctx, caseId: caseDoc._id });
      if (!(found instanceof CaseConflictError)) throw found;
      res.status(409).render('cases/conflict', conflictPage(req.ctx, found, back, req.body));
      return;
    }
    flash(req, 'success', 'procedures.ask.flash.replied');
    res.redirect(303, `${back}#asks`);
  });
  router.get('/applications/:id/procedures/:kind/asks/:askId/done', applicant, reloadTo((p) => `/applications/${p.id}#asks`));

  // Answering the offer is confirmed first, as a withdrawal: the panel links to the answer's page,
  // whose form takes the step (server/applications/offer.ts).
  async function showOfferConfirm(req: Request, res: Response, caseDoc: CaseDoc, answer: OfferAnswer, state: FormState = {}, status = 200): Promise<void> {
    if (!availableActions(caseDoc, req.ctx.actor).includes(OFFER_ACTION[answer])) {
      flash(req, 'info', 'applications.flash.offerClosed');
      res.redirect(303, `/applications/${String(caseDoc._id)}`);
      return;
    }
    // Nothing to accept before HR attached the offer's terms and letter (offerReady): their page says so,
    // with the workflow's refusal when it was tried (a page left open, a hand-made POST).
    if (answer === 'accept' && !offerReady(caseDoc)) {
      if (state.errors) return showApplication(req, res, caseDoc, { errors: state.errors }, status);
      flash(req, 'info', 'applications.flash.offerNotReady');
      res.redirect(303, `/applications/${String(caseDoc._id)}#offer`);
      return;
    }
    res.status(status).render('applications/offer-confirm', offerConfirmPage(req.ctx, await loadApplication({ ctx: req.ctx, caseDoc, uploadMaxBytes: app.config.upload.maxBytes }), answer, state));
  }

  // The one-tap form of earlier pages (a page left open, a hand-made POST): its answer's confirmation, nothing taken.
  router.post('/applications/:id/offer', applicant, async (req, res) => {
    const caseDoc = await myCase(req);
    const choice = offerBody.safeParse(req.body);
    if (!choice.success) throw new ValidationError({ decision: res.locals.t('applications.errors.choice') });
    await showOfferConfirm(req, res, caseDoc, choice.data.decision);
  });

  router.get('/applications/:id/offer/:answer', applicant, async (req, res) => {
    const caseDoc = await myCase(req);
    const answer = req.params.answer;
    if (!isOfferAnswer(answer)) throw new NotFoundError();
    await showOfferConfirm(req, res, caseDoc, answer);
  });

  router.post('/applications/:id/offer/:answer', applicant, async (req, res) => {
    const caseDoc = await myCase(req);
    const answer = req.params.answer;
    if (!isOfferAnswer(answer)) throw new NotFoundError();
    const { version } = readForm(versionBody, req.body);
    // Read as typed (a non-text value is no reason); the workflow checks its length and characters.
    const typed = (req.body as Record<string, unknown> | undefined)?.reason;
    const reason = answer === 'decline' && typeof typed === 'string' ? typed : undefined;
    const back = `/applications/${String(caseDoc._id)}`;
    try {
      await answerOffer({ app, ctx: req.ctx, caseDoc, answer, expectedVersion: version, reason });
    } catch (err) {
      if (err instanceof CaseConflictError) res.status(409).render('cases/conflict', conflictPage(req.ctx, err, back, req.body));
      else if (err instanceof ValidationError) await showOfferConfirm(req, res, caseDoc, answer, { errors: err.fields, values: { reason } }, 422);
      else throw err;
      return;
    }
    // Taken now, or by the same confirmation sent twice: either way the answer is recorded once.
    flash(req, 'success', answer === 'accept' ? 'applications.flash.offerAccepted' : 'applications.flash.offerDeclined');
    res.redirect(303, back);
  });

  router.get('/applications/:id/withdraw', applicant, async (req, res) => {
    const caseDoc = await myCase(req);
    if (!availableActions(caseDoc, req.ctx.actor).includes('withdraw')) {
      flash(req, 'info', 'applications.flash.cannotWithdraw');
      res.redirect(303, `/applications/${String(caseDoc._id)}`);
      return;
    }
    res.render('applications/withdraw', withdrawPage(req.ctx, await loadApplication({ ctx: req.ctx, caseDoc, uploadMaxBytes: app.config.upload.maxBytes })));
  });

  router.post('/applications/:id/withdraw', applicant, async (req, res) => {
    const caseDoc = await myCase(req);
    const { version } = readForm(versionBody, req.body);
    if (!(await act(req, res, caseDoc, 'withdraw', version, undefined))) return;
    flash(req, 'success', 'applications.flash.withdrawn');
    res.redirect(303, `/applications/${String(caseDoc._id)}`);
  });

  router.post('/applications/:id/messages', applicant, async (req, res) => {
    const caseDoc = await myCase(req);
    authorize(req.ctx.actor, 'case.message', caseDoc);
    const form = messageBody.safeParse(req.body);
    if (!form.success) {
      await showApplication(req, res, caseDoc, { errors: { text: issueKey(form.error.issues[0]!) }, values: { text: bodyText(req.body, 'text') } }, 422);
      return;
    }
    // The case keeps so many messages (server/cases/commands.ts): past them, the HR office's e-mail
    // instead, the text kept; checked first, so a refused message uses none of the hourly limit.
    if (messageCapReached(caseDoc, true, sentFormKey(req.body))) {
      const email = (await hrContactFor(caseDoc.institute))?.email;
      const error = email ? keyWith('applications.errors.messageCapReachedEmail', { email }) : 'applications.errors.messageCapReached';
      await showApplication(req, res, caseDoc, { errors: { text: error }, values: { text: form.data.text } }, 409);
      return;
    }
    // Each message is e-mailed to HR: past the hourly limit it is refused, its text kept in the form.
    const waitMinutes = await limitMessages(req);
    if (waitMinutes !== undefined) {
      // The limit and the moment they may write again, not only "many". Rendered with the text kept, as
      // the form's other refusals are (a reload asks before sending again).
      const again = formatDateTime(new Date(req.ctx.now.getTime() + waitMinutes * 60_000), req.ctx.locale);
      await showApplication(req, res, caseDoc, { errors: { text: keyWith('applications.errors.messageRateLimited', { count: waitMinutes, limit: APPLICANT_MESSAGES_PER_HOUR, again }) }, values: { text: form.data.text } }, 429);
      return;
    }
    const { toldTo, gathered } = await postMessage({ app, ctx: req.ctx, caseDoc, text: form.data.text, formKey: sentFormKey(req.body) });
    // Where the message went, so the applicant knows someone will read it (there is no set reply time),
    // and, when it waits for the e-mail gathering their recent messages, by when HR hears of it.
    const sentKey = toldTo === 'hrOffice' ? 'applications.flash.messageSentHrOffice' : 'applications.flash.messageSent';
    if (toldTo === 'nobody') flash(req, 'warning', 'applications.flash.messageSentNobody');
    else if (gathered) flash(req, 'success', `${sentKey}Gathered`, { count: Math.round(app.config.messageDigestMs / 60_000) });
    else flash(req, 'success', sentKey);
    res.redirect(303, `/applications/${String(caseDoc._id)}#messages`);
  });

  return router;
}
