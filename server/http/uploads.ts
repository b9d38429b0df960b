// The HTTP side of a document upload: the per-user rate limit, and reading the multipart body with
// multer through the sniffing storage engine (upload-engine.ts), so that what reaches the documents
// service is a list of complete temporary files (server/documents/upload.ts, ReceivedFile).
import type { Request, Response } from 'express';
import multer from 'multer';
import { RateLimiterRes, type RateLimiterMongo } from 'rate-limiter-flexible';
import type { AppContext } from '../deps.ts';
import { AppError, BadRequestError, RateLimitedError } from '../errors.ts';
import { hasUnsafeKey } from './input-guard.ts';
import { securityEvent } from '../audit/index.ts';
import { checkUploadCsrf } from './csrf.ts';
import { isNoSpace, refused, UploadError } from '../documents/errors.ts';
import { MAX_FIELDS, MAX_FIELD_BYTES, MAX_FILES } from '../documents/rules.ts';
import type { ReceivedFile } from '../documents/upload.ts';
import { mongoRateLimiter } from './rate-limiter.ts';
import { SniffingTempStorage, noRoomRefusal, settleUploads, type LimitFor, type StageFor, type TempFile } from './upload-engine.ts';
import { access } from 'node:fs/promises';
import { discardReceived, stagingHeld } from '../documents/storage.ts';

/** Uploads per user and hour (UPLOAD_RATE_PER_HOUR): throws RateLimitedError past the limit. */
export function uploadRateLimit(app: Pick<AppContext, 'config' | 'db' | 'logger'>): (req: Request) => Promise<void> {
  let limiter: RateLimiterMongo | undefined;
  return async (req) => {
    limiter ??= mongoRateLimiter({ storeClient: app.db.connection, tableName: 'upload_limits', keyPrefix: 'upload', points: app.config.upload.ratePerHour, duration: 3600 });
    try {
      await limiter.consume(String(req.ctx.actor?._id));
    } catch (r) {
      if (r instanceof RateLimiterRes) {
        securityEvent(app.logger, req, 'rate_limited', { limiter: 'upload' });
        throw new RateLimitedError(Math.max(1, Math.ceil(r.msBeforeNext / 1000)), 'documents.errors.rateLimited');
      }
      throw r;
    }
  };
}

function multerError(err: unknown, maxBytes: number): AppError {
  if (err instanceof AppError) return err;
  const code = (err as { code?: string }).code;
  switch (code) {
    case 'LIMIT_FILE_COUNT':
      return refused.tooMany(MAX_FILES);
    case 'LIMIT_FILE_SIZE':
      return refused.tooLarge(String((err as { filename?: string }).filename ?? (err as { field?: string }).field ?? ''), Math.round(maxBytes / (1024 * 1024))).about(String((err as { field?: string }).field ?? ''));
    case 'LIMIT_FIELD_VALUE':
    case 'LIMIT_FIELD_KEY':
      return new UploadError(413, 'field_too_large', 'documents.errors.fieldTooLarge');
    case 'LIMIT_FIELD_COUNT':
    case 'LIMIT_PART_COUNT':
      return new UploadError(413, 'too_many_fields', 'documents.errors.tooManyFields');
    // A bracketed field name (fieldNestingDepth below), like the other names no form here sends.
    case 'LIMIT_FIELD_NESTING':
    case 'LIMIT_FIELD_ARRAY_INDEX':
    case 'INVALID_FIELD_NAME':
      return new BadRequestError('errors.unsafeInput');
    default:
      // A full disk the engine did not see (its folder's creation): the file is not known by name.
      return isNoSpace(err) ? refused.storageFull('') : refused.badUpload();
  }
}

export interface ReceiveOptions {
  /** Where the temporary files go (uploadTempDir). */
  tempDir: string;
  /** The byte limit of a file field; throws an UploadError for a field that is no checklist item. */
  limitFor: LimitFor;
  /** The largest of them (multer's own ceiling). */
  largest: number;
  /** Copies each file into its store as it arrives (GridFS: server/documents/stores.ts uploadStaging); none on disk. */
  stage?: StageFor;
}

/**
 * Reads the multipart body: the files as complete temporary files, the text fields into req.body.
 * Every temporary file this request started is written or removed before it returns or throws.
 * A token sent in the body (the form's `_csrf` field, before its files) is checked as the first file
 * part begins, before any of its bytes is written, or once the body is read (csrf.ts): CsrfError.
 */
export async function receiveUploads(req: Request, res: Response, limits: ReceiveOptions): Promise<ReceivedFile[]> {
  const upload = multer({
    fileFilter: (_req, _file, accept) => {
      try {
        checkUploadCsrf(req);
        accept(null, true);
      } catch (err) {
        accept(err as Error);
      }
    },
    // No streamHandler joining the request's 64 kB reads into 256 kB or 1 MB before busboy (306 -> 20
    // chunks a 20 MB file): GridFS CPU 196 against 201 and 208 against 202 ms, B/A time 1.15 and 1.33
    // (the join is a copy, and parsing waits for a full buffer); highWaterMark and fileHwm 1 MB: CPU
    // 206 against 207, B/A 1.10 (bench/upload-ab.ts, load 7-14).
    storage: new SniffingTempStorage(limits.tempDir, limits.limitFor, limits.stage),
    preservePath: true, // so that a name carrying a path is seen, and refused
    defParamCharset: 'utf8',
    // fieldNestingDepth 0: a text field's name is one name, as in the url-encoded forms. Multer would
    // read a[b] as an object and a[99999999] as a list of that length, which the key check below
    // then walked place by place (seconds of a blocked server for one field; a[4294967294]: minutes).
    limits: { files: MAX_FILES, fileSize: limits.largest, fields: MAX_FIELDS, fieldSize: MAX_FIELD_BYTES, fieldNameSize: 100, parts: MAX_FILES + MAX_FIELDS, fieldNestingDepth: 0 },
  }).any();
  try {
    await new Promise<void>((resolve, reject) => upload(req, res, (err?: unknown) => (err ? reject(err) : resolve())));
    // A body without a file part: its token is known only now.
    checkUploadCsrf(req);
  } catch (err) {
    // A body refused before its token was seen (too many fields…) is refused for the token first.
    checkUploadCsrf(req);
    // A full disk reaches multer as the write's own ENOSPC (the pipeline destroys busboy's file stream
    // with it) before the engine's refusal naming the file: the refusal is looked up by that error.
    const refusal = noRoomRefusal(err) ?? err;
    // The operator's problem, not the sender's: said at error level (the sender is told to try later).
    if (refusal instanceof UploadError && refusal.code === 'storage_full') req.log?.error({ dir: limits.tempDir, field: refusal.field }, 'upload refused: no space left on the uploads disk');
    throw multerError(refusal, limits.largest);
  } finally {
    await settleUploads(req);
  }
  const stored = (Array.isArray(req.files) ? req.files : []) as unknown as TempFile[];
  discardForgottenAtEnd(req, res, stored);
  // The text fields of a multipart body are read here, after the app's input guard ran on an empty
  // body: the same refusal of operator, dotted and prototype keys applies, and nothing is kept.
  if (hasUnsafeKey(req.body)) {
    await Promise.all(stored.map((f) => (f.path ? discardReceived(f.path) : undefined)));
    throw new BadRequestError('errors.unsafeInput');
  }
  // Named on the error page if what follows fails with the database gone (503): a file cannot be
  // shown back as a typed text is, so the page says which ones were not saved (error-handler.ts).
  res.locals.receivedFiles = stored.filter((f) => !f.refusal).map((f) => f.displayName);
  return stored.map((f): ReceivedFile => (f.refusal ? { field: f.fieldname, name: f.displayName, refusal: f.refusal } : { field: f.fieldname, name: f.displayName, tempPath: f.path, size: f.size, sha256: f.sha256, mimeType: f.mimeType }));
}

/**
 * The safety net of a route that receives files: once its handler has ended the response (or the
 * error handler destroyed it), every file of the request still neither stored nor discarded (its
 * staging still held, or its temporary file still there) is discarded. A route that forgot one would
 * otherwise hold a GridFS staging slot (STAGINGS_MAX) and its chunks, and the temporary file, until
 * the next start's sweep. On the handler's end, not the connection's 'close': a client gone after
 * sending its body closes the connection while the handler is still storing the files.
 */
function discardForgottenAtEnd(req: Request, res: Response, files: TempFile[]): void {
  const paths = files.flatMap((f) => (f.path ? [f.path] : []));
  if (paths.length === 0) return;
  let done = false;
  const sweep = () => {
    if (done) return;
    done = true;
    void (async () => {
      const left: string[] = [];
      for (const p of paths) {
        if (stagingHeld(p) || (await access(p).then(() => true, () => false))) left.push(p);
      }
      if (left.length === 0) return;
      req.log?.warn({ route: req.route?.path ?? req.path, files: left.length }, 'received files neither stored nor discarded by the route: discarded as the response ended');
      await Promise.all(left.map((p) => discardReceived(p)));
    })().catch((err: unknown) => req.log?.error({ err }, 'received files left by the route: discarding them failed'));
  };
  // Wrapped as server/http/in-flight.ts wraps them: the handler has ended the response, or the error handler cut it off.
  for (const name of ['end', 'destroy'] as const) {
    const original = res[name] as (...a: unknown[]) => Response;
    (res as unknown as Record<string, unknown>)[name] = function (this: Response, ...args: unknown[]) {
      const r = original.apply(this, args);
      sweep();
      return r;
    };
  }
}
