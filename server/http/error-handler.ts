// The one place errors become responses: typed AppErrors keep their status and message key;
// anything else is a 500 whose details go to the log, never to the page.
import type { ErrorRequestHandler, RequestHandler } from 'express';
import mongoose from 'mongoose';
import { ZodError } from 'zod';
import type { Logger } from '../logger.ts';
import { databaseFull, databaseUnreachable } from '../support/database-errors.ts';
import {
  AppError,
  AuthenticationRequiredError,
  BadRequestError,
  CsrfError,
  ForbiddenError,
  NotFoundError,
  PayloadTooLargeError,
  RateLimitedError,
  ServiceUnavailableError,
} from '../errors.ts';
import { securityEvent } from '../audit/index.ts';
import { translator, isLocale, DEFAULT_LOCALE } from '../i18n/index.ts';
import { wantsHtml } from './wants-html.ts';
import { safeNextPath, sameSiteReferrer } from './safe-next.ts';
import { typedTexts } from './forms.ts';
import { isPublic } from './public-routes.ts';

export const notFoundHandler: RequestHandler = (_req, _res, next) => next(new NotFoundError());

function normalize(err: unknown): AppError | undefined {
  if (err instanceof AppError) return err;
  const e = err as { type?: string; status?: number; code?: string } | undefined;
  if (e?.code === 'EBADCSRFTOKEN' || (e?.status === 403 && /csrf/i.test(String((err as Error)?.message)))) return new CsrfError();
  if (e?.type === 'entity.too.large') return new PayloadTooLargeError('errors.tooLarge');
  if (e?.type === 'entity.parse.failed' || e?.type === 'parameters.too.many') return new BadRequestError('errors.badRequest');
  if (err instanceof mongoose.Error.CastError) return new NotFoundError();
  // A path that is not valid percent-encoding (/cases/%FF): the router's decoding refuses it.
  if (err instanceof URIError) return new NotFoundError();
  // A request a route's schema refused without answering it in place (a missing or malformed
  // field where no form is shown again): the request was wrong, not the server.
  if (err instanceof ZodError) return new BadRequestError('errors.badRequest');
  if (databaseUnreachable(err)) return new ServiceUnavailableError('errors.databaseUnavailable');
  if (databaseFull(err)) return new ServiceUnavailableError('errors.databaseFull');
  return undefined;
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    if (res.headersSent) {
      // Too late for an error page: the response has started (or ended, and an after-response step
      // such as the session's save failed; at shutdown, the database client closing under it).
      // Logged here as JSON, not by Express's default handler (console.error of the raw error); an
      // unfinished response is cut off so the client sees it failed, as Express would.
      logger.error({ err, reqId: req.id, responseEnded: res.writableEnded }, 'error after the response started');
      if (!res.writableEnded) res.destroy();
      return;
    }
    const appErr = normalize(err);
    const status = appErr?.status ?? 500;
    if (!appErr) {
      logger.error({ err, reqId: req.id }, 'unhandled error');
    } else if (err instanceof ZodError) {
      logger.warn({ issues: err.issues.map((i) => ({ path: i.path.map(String).join('.'), code: i.code })), reqId: req.id }, 'request refused by a schema');
    } else if (appErr instanceof CsrfError) {
      securityEvent(logger, req, 'csrf.failed');
    } else if (appErr instanceof ForbiddenError) {
      securityEvent(logger, req, 'authz.refused', { reason: appErr.messageKey });
    } else if (appErr instanceof AuthenticationRequiredError) {
      securityEvent(logger, req, 'authn.required');
    } else if (appErr instanceof BadRequestError && appErr.messageKey === 'errors.unsafeInput') {
      securityEvent(logger, req, 'input.refused');
    }
    if (appErr instanceof RateLimitedError) res.setHeader('Retry-After', String(appErr.retryAfterSeconds));

    const locale = isLocale(req.locale) ? req.locale : DEFAULT_LOCALE;
    const t = translator(locale);
    const message = t(appErr?.messageKey ?? 'errors.internal', appErr?.params ?? {});

    if (!wantsHtml(req)) {
      res.status(status).json({ error: { code: appErr?.code ?? 'internal_error', message } });
      return;
    }
    if (appErr instanceof AuthenticationRequiredError && (req.method === 'GET' || req.method === 'HEAD')) {
      res.redirect(303, `/signin?next=${encodeURIComponent(req.originalUrl)}`);
      return;
    }
    if (appErr instanceof CsrfError) {
      res.status(status).render('errors/expired', expiredPage(req, t, locale));
      return;
    }
    res.status(status).render('errors/error', {
      title: t(`errors.titles.${status}`, { defaultValue: t('errors.titles.default') }),
      status,
      message,
      // A form sent while the database did not answer was not saved: what was typed is shown back to
      // copy, and the way back is its page, to send it again (a reason typed on the planned-start or
      // a leader's decision form was otherwise lost with the page: test/drills/database-restart-forms).
      kept: status === 503 && req.method === 'POST' ? keptTexts(req, t) : [],
      // The files an upload had received when the database failed under it: none of them was kept.
      filesNotSaved: status === 503 && req.method === 'POST' ? filesNotSaved(res.locals.receivedFiles) : '',
      code: appErr?.code ?? 'internal_error',
      requestId: String(req.id ?? ''),
      // The pipeline may have failed before it set the page's language (the database down).
      locale,
      backUrl: sameSiteReferrer(req.get('referer'), req.get('host')),
    });
  };
}

/** The received files' names (receiveUploads), at most ten, as one line ('' when none). */
function filesNotSaved(names: unknown): string {
  if (!Array.isArray(names)) return '';
  const shown = names.filter((n): n is string => typeof n === 'string' && n !== '').slice(0, 10);
  return shown.join(', ') + (names.length > shown.length ? ', …' : '');
}

/** The fields whose label the expired page knows; any other text is shown under a generic label. */
const TYPED_LABELS = new Set(['answer', 'text', 'message', 'reply', 'note', 'reason', 'items', 'extendReason', 'office', 'askText', 'fullName', 'plannedStartReason', 'plannedStartTold']);

/**
 * Whether the refused form came from one of this site's own pages. A page on another site can post
 * a form here with texts of its choosing; shown back under this site's name they would be its words
 * (a phishing line), so they are not. Browsers say where a form came from (Sec-Fetch-Site, Origin);
 * a client saying neither (an older browser) is taken at its word, as its own form.
 */
function fromOwnPage(req: Parameters<ErrorRequestHandler>[1]): boolean {
  const site = req.get('sec-fetch-site');
  if (site && site !== 'same-origin' && site !== 'none') return false;
  const origin = req.get('origin');
  if (!origin) return true;
  try {
    return new URL(origin).host === req.get('host');
  } catch {
    // "null" (a sandboxed or privacy-sensitive context) or garbage: not one of our pages.
    return false;
  }
}

/** The texts a refused form carried, labelled, when it came from one of this site's pages (fromOwnPage). */
function keptTexts(req: Parameters<ErrorRequestHandler>[1], t: (k: string, o?: Record<string, unknown>) => string): Array<{ field: string; text: string; label: string }> {
  return (fromOwnPage(req) ? typedTexts(req.body) : []).map(({ field, text }) => ({
    field,
    text,
    label: TYPED_LABELS.has(field) ? t(`errors.expired.fields.${field}`) : t('errors.expired.fields.other'),
  }));
}

/**
 * The refused form's page (an ended session, or a token from an older page): nothing was applied
 * (CSRF is not relaxed), but what the person typed is shown back to copy, with a way to sign in
 * again that returns to the page the form was on (a same-site path only).
 */
function expiredPage(req: Parameters<ErrorRequestHandler>[1], t: (k: string, o?: Record<string, unknown>) => string, locale: string) {
  // Signed out on a page only a signed-in person can send: the session ended (idle, or its lifetime).
  // Otherwise (signed in, or a public form such as registration) the page was older than the token.
  const sessionEnded = !req.user && !isPublic(req.method, req.path);
  const from = safeNextPath(sameSiteReferrer(req.get('referer'), req.get('host')), '');
  const kept = keptTexts(req, t);
  return {
    title: t(sessionEnded ? 'errors.expired.titleSession' : 'errors.expired.titleForm'),
    status: 403,
    message: t(sessionEnded ? 'errors.expired.leadSession' : 'errors.expired.leadForm'),
    code: 'csrf_failed',
    requestId: String(req.id ?? ''),
    locale,
    sessionEnded,
    kept,
    // Back to the form's page: reloaded, it has a fresh token; signed out, sign-in returns there.
    reloadUrl: from || '/',
    signInUrl: `/signin${from ? `?next=${encodeURIComponent(from)}` : ''}`,
  };
}
