// Documents: upload against the checklist (multipart, applicant), authorized download, and HR
// verification. The CSRF token of a multipart upload travels in the x-csrf-token header (the page's
// script: checked by the pipeline) or as the form's `_csrf` field before its files (checked by
// receiveUploads as the first file part begins, before any byte of it is written: server/http/csrf.ts).
import { readDayFields } from '../server/support/calendar-day.ts';
import { hasVisibleText, withoutHiddenCharacters } from '../server/support/hidden-characters.ts';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { AppContext } from '../server/deps.ts';
import { AppError, BadRequestError, ConflictError, RateLimitedError, ValidationError } from '../server/errors.ts';
import { securityEvent } from '../server/audit/index.ts';
import type { Logger } from '../server/logger.ts';
import { authorize } from '../server/policies/index.ts';
import { flash } from '../server/http/flash.ts';
import { wantsHtml } from '../server/http/wants-html.ts';
import { safeNextPath } from '../server/http/safe-next.ts';
import { receiveUploads, uploadRateLimit } from '../server/http/uploads.ts';
import { uploadStaging } from '../server/documents/stores.ts';
import { sendAttachment } from '../server/http/download.ts';
import { documentSubject, loadDocumentFor, loadDocumentWithCall, loadUploadTarget } from '../server/documents/access.ts';
import { UploadError } from '../server/documents/errors.ts';
import { uploadLimits } from '../server/documents/rules.ts';
import { uploadTempDir } from '../server/documents/storage.ts';
import { commitUploads, requireConfirmedEmail } from '../server/documents/upload.ts';
import { openDocument } from '../server/documents/download.ts';
import { verifyDocument } from '../server/documents/verify.ts';
import { documentJson, markVerifyFailed, renewalPage, uploadPage, uploadRefusal } from '../server/documents/present.ts';
import { loadCasePage } from '../server/cases/page.ts';
import { casePage as casePageView } from '../server/cases/present.ts';
import { tOf } from '../server/context.ts';
import { renewable, renewalTellsApplicant, renewDocument } from '../server/documents/renewal.ts';
import { tellOfficerOfUploads } from '../server/procedures/asks.ts';
import { withAskedPapers } from '../server/documents/asked-papers.ts';

/** A date typed beside a file: `<file field>_issuedAt` or `<file field>_expiresAt` (its rule is the service's). */
const DATE_FIELD = /^[a-z_]{1,40}(?:--\d{1,3})?_(?:issuedAt|expiresAt)$/;

/** The text fields of an upload form (the files are multer's): where to go back, and the typed dates. */
const uploadBody = z
  .custom<Record<string, unknown>>((v) => typeof v === 'object' && v !== null)
  .transform((body) => ({
    returnTo: Object.hasOwn(body, 'returnTo') ? body.returnTo : undefined,
    // The form's day fields, one per document (typed day first: readDayFields).
    dates: Object.fromEntries(Object.entries(readDayFields(body, [DATE_FIELD])).filter(([k]) => DATE_FIELD.test(k))),
  }));

const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
const reviewedFrom = z.enum(['pending', 'accepted', 'rejected']).default('pending');
const verifyBody = z.discriminatedUnion('decision', [
  z.object({ decision: z.literal('accept'), reason: z.preprocess(text, z.string().trim().max(2000).refine(withoutHiddenCharacters, 'errors.hiddenCharacters').optional()), from: reviewedFrom }),
  z.object({ decision: z.literal('reject'), reason: z.preprocess(text, z.string().trim().refine(hasVisibleText()).max(2000).refine(withoutHiddenCharacters, 'errors.hiddenCharacters')), from: reviewedFrom }),
]);

/** Refusals the upload page answers in place (a sign-in, a refusal of the case or a fault is the error handler's). */
function answeredInPlace(err: unknown): err is AppError {
  return err instanceof UploadError || (err instanceof AppError && err.status !== 401 && err.status !== 403 && err.status < 500);
}

/**
 * A refused upload (bad file, too large, rate limit, stale form…): rethrows what the error pipeline
 * answers, answers a JSON client at once (undefined), else gives the refusal for the page again.
 */
function refuseUpload(logger: Logger, req: Request, res: Response, err: unknown): ReturnType<typeof uploadRefusal> | undefined {
  if (!answeredInPlace(err)) throw err;
  if (err instanceof UploadError) req.log?.info({ upload: err.code, params: err.params }, 'upload refused');
  // Answered in place, so the error handler's security line is written here.
  if (err instanceof BadRequestError && err.messageKey === 'errors.unsafeInput') securityEvent(logger, req, 'input.refused');
  if (err instanceof RateLimitedError) res.setHeader('Retry-After', String(err.retryAfterSeconds));
  const refusal = uploadRefusal(req.ctx, err);
  if (!wantsHtml(req)) {
    // A refusal that took the request's other files down names them in the message, flagged `notSaved` for the script.
    const message = refusal.notSavedText ? `${refusal.message} ${refusal.notSavedText}` : refusal.message;
    res.status(refusal.status).json({ error: { code: refusal.code, message, ...(refusal.field ? { field: refusal.field } : {}), ...(refusal.notSavedText ? { notSaved: true } : {}) } });
    return undefined;
  }
  return refusal;
}


/**
 * An upload sent by the page's own script (public/js/upload.js), which shows the progress and then
 * opens the page it is told to: that page shows the confirmation, as after the plain form. Other
 * JSON clients get none (nothing would show it, and it would wait in their session).
 */
function fromUploadScript(req: Request): boolean {
  return req.get('x-requested-with') === 'upload-form';
}

export function documentsRoutes(app: AppContext): Router {
  const router = Router();
  const limitUploads = uploadRateLimit(app);
  /**
   * Counts the upload against the user's hourly allowance while the case is read (one database
   * round trip fewer before the file's bytes are read); the route awaits it, and so throws its
   * refusal, only once it has authorized the upload. Refused attempts count too.
   */
  const countUpload = (req: Request): Promise<void> => {
    const counted = limitUploads(req);
    counted.catch(() => undefined); // not awaited when the case is refused first
    return counted;
  };
  const tempDir = uploadTempDir(app.config);

  function backUrl(returnTo: unknown, caseId: string, role: string | undefined): string {
    return safeNextPath(returnTo, '') || (role === 'applicant' ? `/applications/${caseId}#documents` : `/cases/${caseId}#documents`);
  }

  router.post('/cases/:id/documents', async (req, res) => {
    const { ctx } = req;
    const limited = countUpload(req);
    const target = await loadUploadTarget(ctx.actor, String(req.params.id));
    authorize(ctx.actor, 'document.upload', documentSubject(target));
    const { caseDoc, call } = target;
    const caseId = String(caseDoc._id);
    try {
      await limited;
      requireConfirmedEmail(ctx);
      const files = await receiveUploads(req, res, { tempDir, stage: uploadStaging(app), ...uploadLimits(withAskedPapers(call.checklist, caseDoc), app.config.upload.maxBytes) });
      const body = uploadBody.parse(req.body ?? {});
      // A file answering a request of a procedure tells the officer, once the files are recorded (beside
      // their audit events: it reads and writes the case only). The files are kept whatever happens to
      // that e-mail: its failure is logged (the queue's row and home page still show it).
      const tellOfficer = (documents: ReadonlyArray<{ type: string }>) =>
        tellOfficerOfUploads({ app, ctx, caseId: caseDoc._id, documents }).catch((err: unknown) => req.log?.error({ err, case: caseId }, 'upload answering a request: officer not e-mailed'));
      const docs = await commitUploads({ app, ctx, caseDoc, call, files, dates: body.dates, afterRecorded: tellOfficer });
      const next = backUrl(body.returnTo, caseId, ctx.actor?.role);
      if (!wantsHtml(req)) {
        // The page's own script goes to `redirect` next: the confirmation waits there for it.
        if (fromUploadScript(req)) flash(req, 'success', 'documents.uploadedFlash');
        res.status(201).json({ documents: docs.map(documentJson), redirect: next });
        return;
      }
      flash(req, 'success', 'documents.uploadedFlash');
      res.redirect(303, next);
    } catch (err) {
      const refusal = refuseUpload(app.logger, req, res, err);
      if (!refusal) return;
      // What multer read before the refusal (possibly nothing) is what the page can give back.
      const typed = uploadBody.safeParse(req.body ?? {});
      const body = typed.success ? typed.data : { returnTo: undefined, dates: {} };
      const page = await uploadPage({
        ctx,
        caseDoc,
        call,
        defaultMaxBytes: app.config.upload.maxBytes,
        message: refusal.message,
        field: refusal.field,
        dates: body.dates,
        backUrl: backUrl(body.returnTo, caseId, ctx.actor?.role),
      });
      res.status(refusal.status).render('documents/upload', page);
    }
  });

  router.get('/documents/:id/download', async (req, res) => {
    const { ctx } = req;
    const loaded = await loadDocumentFor(ctx.actor, String(req.params.id));
    authorize(ctx.actor, 'document.download', documentSubject(loaded));
    const file = await openDocument({ app, ctx, doc: loaded.doc, caseDoc: loaded.caseDoc });
    await sendAttachment(req, res, file);
  });

  // The address a refused decision leaves in the address bar (the case page was the POST's answer):
  // opened again, it is the case's documents, for whoever may decide on the file; others get the
  // same 404 or 403 as the decision itself.
  router.get('/documents/:id/verify', async (req, res) => {
    const loaded = await loadDocumentFor(req.ctx.actor, String(req.params.id));
    authorize(req.ctx.actor, 'document.verify', documentSubject(loaded));
    res.redirect(303, `/cases/${String(loaded.caseDoc._id)}#documents`);
  });

  router.post('/documents/:id/verify', async (req, res) => {
    const { ctx } = req;
    const loaded = await loadDocumentFor(ctx.actor, String(req.params.id));
    authorize(ctx.actor, 'document.verify', documentSubject(loaded));
    const casePage = `/cases/${String(loaded.caseDoc._id)}#documents`;
    try {
      const parsed = verifyBody.safeParse(req.body ?? {});
      if (!parsed.success) {
        const onReason = parsed.error.issues.find((i) => i.path[0] === 'reason');
        const changing = typeof (req.body as Record<string, unknown>)?.from === 'string' && (req.body as Record<string, unknown>).from !== 'pending';
        const key = onReason ? (onReason.message === 'errors.hiddenCharacters' ? 'errors.hiddenCharacters' : changing ? 'documents.errors.changeReasonRequired' : 'documents.errors.reasonRequired') : 'documents.errors.badDecision';
        throw new ValidationError(onReason ? { reason: key } : { decision: key }, key);
      }
      const { decision } = await verifyDocument({ app, ctx, doc: loaded.doc, caseDoc: loaded.caseDoc, ...parsed.data });
      if (!wantsHtml(req)) {
        res.json({ ok: true, decision });
        return;
      }
      flash(req, 'success', decision === 'accept' ? 'documents.acceptedFlash' : 'documents.rejectedFlash');
      // Back at the paper just decided (its checklist item), not the list's top: the keyboard carries
      // on to the next paper from there, not past every one already checked (walk s38).
      res.redirect(303, `/cases/${String(loaded.caseDoc._id)}#doc-${encodeURIComponent(loaded.doc.type)}`);
    } catch (err) {
      // A refused decision comes back on the case page with the file's form open, the reason as
      // typed and what to fix beside it; a stale one (someone decided first) goes back to the page.
      if (wantsHtml(req) && err instanceof ValidationError) {
        const data = await loadCasePage({ ctx, caseDoc: loaded.caseDoc, uploadMaxBytes: app.config.upload.maxBytes });
        const typed = (req.body as Record<string, unknown> | undefined)?.reason;
        markVerifyFailed(data.checklist, String(loaded.doc._id), { error: tOf(ctx)(err.messageKey), reason: typeof typed === 'string' ? typed : '' });
        res.status(422).render('cases/show', casePageView(ctx, data, { errors: { verify: err.messageKey } }));
        return;
      }
      if (wantsHtml(req) && err instanceof ConflictError) {
        // The same decision already saved (sent twice) is news, not a fault: nothing is to be fixed.
        flash(req, err.messageKey === 'documents.errors.sameDecisionSaved' ? 'info' : 'error', err.messageKey, err.params);
        res.redirect(303, casePage);
        return;
      }
      throw err;
    }
  });

  // Upload a renewal (a newer passport or certificate) of an accepted document, on a page of its own
  // (the checklist is already one form): by the applicant, or by HR on the applicant's behalf (who
  // is then e-mailed). The renewal waits for a check; until then the accepted version stays current
  // (server/documents/renewal.ts).
  router.get('/documents/:id/renew', async (req, res) => {
    const { ctx } = req;
    const loaded = await loadDocumentWithCall(ctx.actor, String(req.params.id));
    authorize(ctx.actor, 'document.renew', documentSubject(loaded));
    const ok = renewable(loaded.doc);
    const applicantEmailable = await renewalTellsApplicant(ctx, loaded.caseDoc);
    const page = renewalPage({ ctx, ...loaded, defaultMaxBytes: app.config.upload.maxBytes, renewable: ok, applicantEmailable, message: ok ? undefined : uploadRefusal(ctx, new ConflictError('documents.errors.notRenewable')).message });
    res.status(ok ? 200 : 409).render('documents/renew', page);
  });

  router.post('/documents/:id/renew', async (req, res) => {
    const { ctx } = req;
    const limited = countUpload(req);
    const loaded = await loadDocumentWithCall(ctx.actor, String(req.params.id));
    authorize(ctx.actor, 'document.renew', documentSubject(loaded));
    const caseId = String(loaded.caseDoc._id);
    try {
      await limited;
      requireConfirmedEmail(ctx);
      const files = await receiveUploads(req, res, { tempDir, stage: uploadStaging(app), ...uploadLimits(loaded.call.checklist, app.config.upload.maxBytes) });
      const body = uploadBody.parse(req.body ?? {});
      const { doc, onBehalf, applicantTold } = await renewDocument({ app, ctx, doc: loaded.doc, caseDoc: loaded.caseDoc, files, dates: body.dates });
      const next = backUrl(body.returnTo, caseId, ctx.actor?.role);
      const confirmation = !onBehalf ? 'documents.renewal.uploadedFlash' : applicantTold ? 'documents.renewal.uploadedForFlash' : 'documents.renewal.uploadedForUntoldFlash';
      if (!wantsHtml(req)) {
        if (fromUploadScript(req)) flash(req, 'success', confirmation);
        res.status(201).json({ document: documentJson(doc), redirect: next });
        return;
      }
      flash(req, 'success', confirmation);
      res.redirect(303, next);
    } catch (err) {
      const refusal = refuseUpload(app.logger, req, res, err);
      if (!refusal) return;
      const typed = uploadBody.safeParse(req.body ?? {});
      const applicantEmailable = await renewalTellsApplicant(ctx, loaded.caseDoc);
      const page = renewalPage({ ctx, ...loaded, defaultMaxBytes: app.config.upload.maxBytes, renewable: renewable(loaded.doc), applicantEmailable, message: refusal.message, field: refusal.field, dates: typed.success ? typed.data.dates : {} });
      res.status(refusal.status).render('documents/renew', page);
    }
  });

  return router;
}
