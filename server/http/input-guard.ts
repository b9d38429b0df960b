// Refuses MongoDB operators (a "$" anywhere in a key, which also covers bracket forms such as
// "email[$ne]") and dotted keys in any field name of the body or query, so that
// nothing a person types can become part of a query or an update path. A body is a form's shape
// whatever its type: each field a text (or number, yes/no) or a list of them. A JSON body holding an
// object where a field's value goes ({"recommendation": {"toString": "x"}}) is refused here, once,
// instead of reaching a String() or Number() in some route or view that trusts the form's shape.
import type { RequestHandler } from 'express';
import { AppError, BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../errors.ts';

function hasUnsafeKey(value: unknown, depth = 0): boolean {
  if (depth > 20) return true;
  if (Array.isArray(value)) return value.some((v) => hasUnsafeKey(v, depth + 1));
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k.includes('$') || k.includes('.') || k === '__proto__' || k === 'constructor' || k === 'prototype') return true;
      if (hasUnsafeKey(v, depth + 1)) return true;
    }
  }
  return false;
}

type Scalar = string | number | boolean | null;
/**
 * A lone UTF-16 surrogate: no text, and only a JSON body's "\ud800" can carry one (url-encoded and
 * multipart bodies are read as UTF-8). Stored, it silently became U+FFFD; put in an address
 * (encodeURIComponent) it threw, so a staff sign-in with such a `next` was "page not found" after
 * the password was taken.
 */
const LONE_SURROGATE = /\p{Cs}/u;
const isText = (s: string) => !LONE_SURROGATE.test(s);
const isScalar = (v: unknown): v is Scalar => v === null || (typeof v === 'string' && isText(v)) || typeof v === 'number' || typeof v === 'boolean';

/** Whether every field is a scalar or a list of scalars (what an HTML form can send), names and texts being Unicode text. */
export function isFormShaped(body: Record<string, unknown>): boolean {
  return Object.entries(body).every(([k, v]) => isText(k) && (isScalar(v) || (Array.isArray(v) && v.every(isScalar))));
}

/**
 * Filter pages (GET) that read their query with readFilters (server/support/filter-query.ts), which
 * takes only its own plain names and says an operator or bracketed name above the page's filter
 * form (422): `?minScore[$gt]=` there keeps the page and its form instead of a bare 400 page.
 */
const ownQueryPaths: RegExp[] = [];
export function answersItsOwnQuery(path: RegExp): void {
  if (!ownQueryPaths.some((p) => String(p) === String(path))) ownQueryPaths.push(path);
}
function answersOwnQuery(req: Parameters<RequestHandler>[0]): boolean {
  return (req.method === 'GET' || req.method === 'HEAD') && ownQueryPaths.some((p) => p.test(req.path));
}

/** Why the request's input is refused, or undefined. */
function refusal(req: Parameters<RequestHandler>[0]): BadRequestError | undefined {
  // Routes read fields of a plain object: no body (or one in a type not parsed here) is an empty
  // form; a JSON array or scalar is refused.
  if (req.body === undefined || req.body === null) req.body = {};
  else if (typeof req.body !== 'object' || Array.isArray(req.body)) return new BadRequestError('errors.badRequest');
  if (hasUnsafeKey(req.body) || (hasUnsafeKey(req.query) && !answersOwnQuery(req))) return new BadRequestError('errors.unsafeInput');
  if (!isFormShaped(req.body as Record<string, unknown>)) return new BadRequestError('errors.badRequest');
  return undefined;
}

/**
 * Checks the input as soon as it is parsed. A refused body is dropped at once; the refusal itself
 * is answered by refuseHeldInput, after the session and the language are known, so the 400 page is
 * in the person's language with their own header (it was always Vietnamese and signed out). The
 * steps in between (session, sign-in, language) read neither the body nor the query.
 */
export const inputGuard: RequestHandler = (req, res, next) => {
  const refused = refusal(req);
  if (refused) {
    req.body = {};
    res.locals.refusedInput = refused;
  }
  next();
};

/**
 * What a body parser's refusal says to the person: too large, sent in a charset or compression not
 * read here (body-parser answered those with a 500), or not readable at all.
 */
function bodyRefusal(err: { type?: unknown }): AppError {
  if (err.type === 'entity.too.large') return new PayloadTooLargeError('errors.tooLarge');
  if (err.type === 'charset.unsupported' || err.type === 'encoding.unsupported') return new UnsupportedMediaTypeError('errors.unreadableEncoding');
  return new BadRequestError('errors.badRequest');
}

/**
 * A body parser whose refusal is held like inputGuard's, and answered by refuseHeldInput in the
 * person's language with their header (before, it went straight to the error page: Vietnamese and
 * signed out for everyone). The parser's own failures (a 5xx) still go to the error handler.
 */
export function holdingBodyRefusals(parser: RequestHandler): RequestHandler {
  return (req, res, next) => {
    parser(req, res, (err?: unknown) => {
      const status = (err as { status?: unknown } | undefined)?.status;
      if (!err || !(typeof status === 'number' && status >= 400 && status < 500)) {
        next(err);
        return;
      }
      req.body = {};
      res.locals.refusedInput = bodyRefusal(err as { type?: unknown });
      next();
    });
  };
}

/** Answers a request a body parser or inputGuard refused (placed before any route). */
export const refuseHeldInput: RequestHandler = (_req, res, next) => {
  const refused = res.locals.refusedInput as AppError | undefined;
  next(refused);
};

export { hasUnsafeKey };
