// Small helpers shared by the accounts routes: translating form errors, where each role lands
// after signing in, and the sign-in throttles (one set per app, counters in MongoDB).
import type { Request, Response } from 'express';
import type { AppContext } from '../deps.ts';
import { createLoginLimiter, createMailLimiter, type LoginLimiter } from './limiter.ts';

export function translateErrors(res: Response, errors: Record<string, string>): Record<string, string> {
  const t = res.locals.t as (k: string, o?: Record<string, unknown>) => string;
  return Object.fromEntries(Object.entries(errors).map(([k, v]) => [k, t(v)]));
}

export function landingPath(user: { role: string }): string {
  switch (user.role) {
    case 'applicant':
      return '/applications';
    case 'hr_officer':
      return '/cases';
    case 'leader':
      return '/dashboard';
    case 'admin':
      return '/admin';
    default:
      return '/';
  }
}

export function clientIp(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}

export interface Throttles {
  login: LoginLimiter;
  mail: { allow(key: string): Promise<boolean> };
}

const perContext = new WeakMap<AppContext, Throttles>();

/** One set of limiters per app instance; their counters live in the shared database. */
export function throttles(ctx: AppContext): Throttles {
  let t = perContext.get(ctx);
  if (!t) {
    t = { login: createLoginLimiter(ctx.db.connection, ctx.config.login), mail: createMailLimiter(ctx.db.connection) };
    perContext.set(ctx, t);
  }
  return t;
}
