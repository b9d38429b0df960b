// Step 8 of the pipeline (app.ts): CSRF on every state-changing request, with csrf-sync's
// synchronizer token. The token travels as the form's `_csrf` field or in the `x-csrf-token` header
// (a page's script), never in the address: the address bar, the history, a Referer and the access
// log would keep it. The secret is kept in the stored session, or (no stored session: an anonymous
// visitor) in a signed cookie (visitor-state.ts).
//
// A multipart body is parsed only by an upload route's multer (uploads.ts), after this step. On the
// upload routes, a multipart request without the header has its `_csrf` field checked there, as the
// body is read: when its first file part begins (busboy gives the parts in the order they were
// sent, and the upload forms put `_csrf` before their file inputs), so that not a byte of a file is
// written before it passed; or once the body is read, when it has no file part. Any other multipart
// request is checked here, where its body is not read yet: only the header can carry its token.
import { csrfSync } from 'csrf-sync';
import type { Request, RequestHandler } from 'express';
import { CsrfError } from '../errors.ts';
import { csrfTokenFromState, storeCsrfToken } from './visitor-state.ts';

/**
 * The routes that read their multipart body with receiveUploads (uploads.ts), which checks the
 * token: exactly those (test/platform/route-inventory.test.ts), as any other would go unchecked.
 */
const UPLOAD_ROUTES: readonly RegExp[] = [/^\/cases\/[^/]+\/documents$/, /^\/documents\/[^/]+\/renew$/, /^\/cases\/[^/]+\/offer-terms$/, /^\/applications\/[^/]+\/answer$/];

export function isUploadRoute(method: string, path: string): boolean {
  return method === 'POST' && UPLOAD_ROUTES.some((route) => route.test(path));
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

interface Deferred {
  check: () => boolean;
  /** The answer, once asked: the first file part decides, whatever fields come after it. */
  passed?: boolean;
}
const DEFERRED = Symbol('csrfDeferred');
type WithDeferred = Request & { [DEFERRED]?: Deferred };

function defersToBody(req: Request): boolean {
  return isUploadRoute(req.method, req.path) && !req.get('x-csrf-token') && Boolean(req.is('multipart/form-data'));
}

/** The pipeline's CSRF step: gives every page its token (`csrfToken`), and refuses a request without the right one. */
export function csrfProtection(): RequestHandler {
  const csrf = csrfSync({
    getTokenFromState: csrfTokenFromState,
    storeTokenInState: storeCsrfToken,
    getTokenFromRequest: (req) => {
      const fromBody = (req.body as Record<string, unknown> | undefined)?._csrf;
      if (typeof fromBody === 'string') return fromBody;
      return req.get('x-csrf-token') || undefined;
    },
  });
  return (req, res, next) => {
    res.locals.csrfToken = csrf.generateToken(req);
    if (SAFE_METHODS.has(req.method)) {
      next();
      return;
    }
    if (defersToBody(req)) {
      (req as WithDeferred)[DEFERRED] = { check: () => csrf.isRequestValid(req) };
      next();
      return;
    }
    if (!csrf.isRequestValid(req)) {
      next(new CsrfError());
      return;
    }
    next();
  };
}

/**
 * For an upload whose token is in its body (see above): throws CsrfError unless the `_csrf` field
 * read so far is right. Called by receiveUploads as each file part begins and once the body is read;
 * any other request was checked by the pipeline already.
 */
export function checkUploadCsrf(req: Request): void {
  const deferred = (req as WithDeferred)[DEFERRED];
  if (!deferred) return;
  deferred.passed ??= deferred.check();
  if (!deferred.passed) throw new CsrfError();
}
