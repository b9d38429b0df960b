// Documents: upload against the checklist (multipart, applicant), authorized download, and HR
// verification. The CSRF token of a multipart upload travels in `?_csrf=` or the x-csrf-token
// header (checked by the pipeline before multer parses anything).
import { Router, type Request, type Response } from 'express';
import { pipeline } from 'node:stream/promises';
import multer from 'multer';
import { Types } from 'mongoose';
import { RateLimiterMongo, RateLimiterRes } from 'rate-limiter-flexible';
import { mongoRateLimiter } from '../server/http/rate-limiter.ts';
import type { AppContext } from '../server/deps.ts';
import type { CaseDoc } from '../models/case.ts';
import { Call, type CallDoc } from '../models/call.ts';
import type { DocumentDoc } from '../models/document.ts';
import type { UserDoc } from '../models/user.ts';
import { AppError, ConflictError, ForbiddenError, NotFoundError, RateLimitedError, ValidationError } from '../server/errors.ts';
import { findCaseFor } from '../server/cases/access.ts';
import { canUploadDocument } from '../server/policies/document.ts';
import { recordAudit, securityEvent } from '../server/audit/index.ts';
import { flash } from '../server/http/flash.ts';
import { wantsHtml } from '../server/http/wants-html.ts';
import { safeNextPath } from '../server/http/safe-next.ts';
import { DiskStorage, createStorage, uploadTempDir, type DocumentStorage } from '../server/documents/storage.ts';
import { SniffingTempStorage, settleUploads, type TempFile } from '../server/documents/upload-engine.ts';
import { MAX_FIELDS, MAX_FIELD_BYTES, MAX_FILES, maxBytesFor, parseFileField } from '../server/documents/rules.ts';
import { refused, UploadError } from '../server/documents/errors.ts';
import { commitUploads } from '../server/documents/upload.ts';
import { checklistForCase } from '../server/documents/presenter.ts';
import { loadDocumentForUser, verifyDocument } from '../server/documents/verify.ts';

/** RFC 6266 / 5987: an ASCII fallback plus the exact UTF-8 name. */
export function contentDisposition(name: string): string {
  const ascii = name.normalize('NFKD').replace(/[^\x20-\x7e]/g, '_').replace(/["\\;]/g, '_') || 'document';
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

function documentJson(d: DocumentDoc) {
  return {
    id: String(d._id),
    type: d.type,
    slot: d.slot,
    version: d.version,
    originalName: d.originalName,
    mimeType: d.mimeType,
    size: d.size,
    sha256: d.sha256,
    status: d.status,
    downloadUrl: `/documents/${String(d._id)}/download`,
  };
}

function multerError(err: unknown, maxBytes: number): AppError {
  if (err instanceof AppError) return err;
  const code = (err as { code?: string }).code;
  switch (code) {
    case 'LIMIT_FILE_COUNT':
      return refused.tooMany(MAX_FILES);
    case 'LIMIT_FILE_SIZE':
      return refused.tooLarge(String((err as { filename?: string }).filename ?? (err as { field?: string }).field ?? ''), Math.round(maxBytes / (1024 * 1024)));
    case 'LIMIT_FIELD_VALUE':
    case 'LIMIT_FIELD_KEY':
      return new UploadError(413, 'field_too_large', 'documents.errors.fieldTooLarge');
    case 'LIMIT_FIELD_COUNT':
    case 'LIMIT_PART_COUNT':
      return new UploadError(413, 'too_many_fields', 'documents.errors.tooManyFields');
    default:
      return refused.badUpload();
  }
}

/** The dates typed beside the files (`<field>_issuedAt` / `<field>_expiresAt`), to fill the form in again after a refusal. */
function typedDates(body: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((body ?? {}) as Record<string, unknown>)) {
    if (/^[a-z_]{1,40}(?:--\d{1,3})?_(?:issuedAt|expiresAt)$/.test(k) && typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v)) out[k] = v;
  }
  return out;
}

export function documentsRoutes(ctx: AppContext): Router {
  const router = Router();
  const storage = createStorage(ctx.config, ctx.db.connection);
  // A file is read from the store it was written to, whatever the current setting says.
  const stores: Record<'disk' | 'gridfs', DocumentStorage> = {
    disk: storage.kind === 'disk' ? storage : new DiskStorage(ctx.config.upload.dir),
    gridfs: storage.kind === 'gridfs' ? storage : createStorage({ upload: { ...ctx.config.upload, storage: 'gridfs' } }, ctx.db.connection),
  };
  const tempDir = uploadTempDir(ctx.config);
  let limiter: RateLimiterMongo | undefined;
  const uploadLimiter = () => {
    if (!limiter) {
      limiter = mongoRateLimiter({ storeClient: ctx.db.connection, tableName: 'upload_limits', keyPrefix: 'upload', points: ctx.config.upload.ratePerHour, duration: 3600 });
    }
    return limiter;
  };

  function backUrl(req: Request, caseId: string, user: UserDoc): string {
    const given = safeNextPath((req.body as Record<string, unknown> | undefined)?.returnTo, '');
    return given || (user.role === 'applicant' ? `/applications/${caseId}#documents` : `/cases/${caseId}#documents`);
  }

  async function renderUploadError(req: Request, res: Response, err: AppError, caseDoc: CaseDoc, call: CallDoc | null): Promise<void> {
    const message = res.locals.t(err.messageKey, err.params) as string;
    if (err instanceof RateLimitedError) res.setHeader('Retry-After', String(err.retryAfterSeconds));
    if (!wantsHtml(req)) {
      res.status(err.status).json({ error: { code: err.code, message } });
      return;
    }
    const checklist = call ? await checklistForCase(caseDoc, call, req.user as UserDoc, { now: ctx.now(), defaultMaxBytes: ctx.config.upload.maxBytes }) : undefined;
    if (checklist) checklist.values = typedDates(req.body);
    res.status(err.status).render('documents/upload', {
      title: res.locals.t('documents.uploadPageTitle'),
      reference: caseDoc.reference,
      uploadErrors: [message],
      checklist,
      backUrl: backUrl(req, String(caseDoc._id), req.user as UserDoc).replace(/#.*$/, ''),
    });
  }

  router.post('/cases/:id/documents', async (req, res) => {
    const user = req.user as UserDoc;
    const { caseDoc } = await findCaseFor(user, String(req.params.id));
    if (!canUploadDocument(user, caseDoc)) throw new ForbiddenError();
    const call = await Call.findById(caseDoc.call);
    if (!call) throw new NotFoundError();

    const itemFor = (field: string) => {
      const f = parseFileField(field);
      return f ? call.checklist.find((i) => i.type === f.type) : undefined;
    };
    const largest = Math.max(ctx.config.upload.maxBytes, ...call.checklist.map((i) => maxBytesFor(i, ctx.config.upload.maxBytes)));
    let files: TempFile[] = [];
    try {
      try {
        await uploadLimiter().consume(String(user._id));
      } catch (r) {
        if (r instanceof RateLimiterRes) {
          securityEvent(ctx.logger, req, 'rate_limited', { limiter: 'upload' });
          throw new RateLimitedError(Math.max(1, Math.ceil(r.msBeforeNext / 1000)), 'documents.errors.rateLimited');
        }
        throw r;
      }
      const upload = multer({
        storage: new SniffingTempStorage(tempDir, (field) => {
          const item = itemFor(field);
          if (!item) throw refused.unknownField(field);
          return maxBytesFor(item, ctx.config.upload.maxBytes);
        }),
        preservePath: true, // so that a name carrying a path is seen, and refused
        defParamCharset: 'utf8',
        limits: { files: MAX_FILES, fileSize: largest, fields: MAX_FIELDS, fieldSize: MAX_FIELD_BYTES, fieldNameSize: 100, parts: MAX_FILES + MAX_FIELDS },
      }).any();
      try {
        await new Promise<void>((resolve, reject) => upload(req, res, (err?: unknown) => (err ? reject(err) : resolve())));
      } catch (err) {
        throw multerError(err, largest);
      } finally {
        // Every temporary file this request started is written or removed before we answer.
        await settleUploads(req);
      }
      files = (Array.isArray(req.files) ? req.files : []) as unknown as TempFile[];
      const docs = await commitUploads(ctx, stores[storage.kind], { caseDoc, call, user, files, body: (req.body ?? {}) as Record<string, unknown>, req }, res.locals.t);
      const next = backUrl(req, String(caseDoc._id), user);
      if (!wantsHtml(req)) {
        res.status(201).json({ documents: docs.map(documentJson), redirect: next });
        return;
      }
      flash(req, 'success', 'documents.uploadedFlash');
      res.redirect(303, next);
    } catch (err) {
      if ((err instanceof AppError && err.status !== 401 && err.status !== 403 && err.status < 500) || err instanceof UploadError) {
        if (err instanceof UploadError) req.log?.info({ upload: err.code, params: err.params }, 'upload refused');
        await renderUploadError(req, res, err as AppError, caseDoc, call);
        return;
      }
      throw err;
    }
  });

  router.get('/documents/:id/download', async (req, res) => {
    const { doc, caseDoc } = await loadDocumentForUser(String(req.params.id), req.user as UserDoc | undefined);
    const store = stores[doc.storage];
    const stream = await store.openRead(doc.storageKey);
    await recordAudit(req, {
      action: 'document.download',
      targetType: 'document',
      targetId: String(doc._id),
      summary: { case: String(caseDoc._id), type: doc.type, version: doc.version, storage: doc.storage },
    });
    res.status(200);
    res.setHeader('Content-Type', doc.mimeType);
    res.setHeader('Content-Length', String(doc.size));
    res.setHeader('Content-Disposition', contentDisposition(doc.originalName));
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'private, no-store');
    res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
    res.setHeader('ETag', `"${doc.sha256}"`);
    if (req.method === 'HEAD') {
      stream.destroy();
      res.end();
      return;
    }
    try {
      await pipeline(stream, res);
    } catch (err) {
      // The client went away or the store failed mid-file: nothing more can be sent.
      req.log?.warn({ err, document: String(doc._id) }, 'download interrupted');
      res.destroy();
    }
  });

  router.post('/documents/:id/verify', async (req, res) => {
    const user = req.user as UserDoc;
    const id = String(req.params.id);
    try {
      const { caseDoc, decision } = await verifyDocument(ctx, { id, user, body: (req.body ?? {}) as Record<string, unknown>, req });
      if (!wantsHtml(req)) {
        res.json({ ok: true, decision });
        return;
      }
      flash(req, 'success', decision === 'accept' ? 'documents.acceptedFlash' : 'documents.rejectedFlash');
      res.redirect(303, `/cases/${String(caseDoc._id)}#documents`);
    } catch (err) {
      if (wantsHtml(req) && (err instanceof ValidationError || err instanceof ConflictError) && Types.ObjectId.isValid(id)) {
        const { caseDoc } = await loadDocumentForUser(id, user);
        flash(req, 'error', err.messageKey);
        res.redirect(303, `/cases/${String(caseDoc._id)}#documents`);
        return;
      }
      throw err;
    }
  });

  return router;
}
