// Builds the transport-free Context (server/context.ts) once per request, after passport and the
// locale are known; routes pass `req.ctx` to services. Sign-in and sign-out change who acts within a
// request: refreshContext() rebuilds it then.
import type { Request, RequestHandler } from 'express';
import type { Context } from '../context.ts';
import { DEFAULT_LOCALE, isLocale } from '../i18n/index.ts';

export function contextFromRequest(req: Request, now: () => Date): Context {
  return {
    actor: req.user ?? undefined,
    ip: req.ip,
    requestId: req.id !== undefined ? String(req.id) : undefined,
    locale: isLocale(req.locale) ? req.locale : DEFAULT_LOCALE,
    now: now(),
  };
}

export function contextMiddleware(now: () => Date): RequestHandler {
  return (req, _res, next) => {
    req.ctx = contextFromRequest(req, now);
    next();
  };
}

/** After req.login/req.logout within a request: the same request, the new actor. */
export function refreshContext(req: Request): Context {
  req.ctx = { ...req.ctx, actor: req.user ?? undefined, locale: isLocale(req.locale) ? req.locale : req.ctx.locale };
  return req.ctx;
}
