// The accounts' throttles, one set per app instance (their counters live in the shared database):
// sign-in failures (also counted when a signed-in person re-types their password to delete the
// account), and e-mails sent on request (registration, verification, password reset).
import type { AppContext } from '../deps.ts';
import { createLoginLimiter, createMailLimiter, type LoginLimiter } from './limiter.ts';

export interface Throttles {
  login: LoginLimiter;
  mail: { allow(key: string): Promise<boolean> };
}

export type ThrottleDeps = Pick<AppContext, 'config' | 'db'>;

const perApp = new WeakMap<ThrottleDeps, Throttles>();

export function throttles(app: ThrottleDeps): Throttles {
  let t = perApp.get(app);
  if (!t) {
    t = { login: createLoginLimiter(app.db.connection, app.config.login), mail: createMailLimiter(app.db.connection) };
    perApp.set(app, t);
  }
  return t;
}
