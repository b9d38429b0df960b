// The accounts' throttles, one set per app instance (their counters live in the shared database):
// sign-in failures, per address and per account (also counted when a signed-in person re-types their
// password to delete the account), e-mails sent on request (registration, verification, password
// reset), and new accounts per network address.
import type { AppContext } from '../deps.ts';
import { createLoginLimiter, createMailLimiter, type LoginLimiter } from './limiter.ts';

export interface Throttles {
  login: LoginLimiter;
  mail: { allow(key: string): Promise<boolean> };
  /** New applicant accounts per network address and hour (a throwaway address costs nothing; a network does). */
  registrations: { allow(ip: string): Promise<boolean> };
}

export type ThrottleDeps = Pick<AppContext, 'config' | 'db'>;

const perApp = new WeakMap<ThrottleDeps, Throttles>();

export function throttles(app: ThrottleDeps): Throttles {
  let t = perApp.get(app);
  if (!t) {
    t = {
      login: createLoginLimiter(app.db.connection, app.config.login, app.config.loginAccount),
      mail: createMailLimiter(app.db.connection),
      registrations: createMailLimiter(app.db.connection, { keyPrefix: 'registration_ip', points: app.config.registrationsPerIpHour }),
    };
    perApp.set(app, t);
  }
  return t;
}
