// Session helpers around passport: sign-in always starts a new session id (passport's req.login
// regenerates it), and what the accounts pages keep in the session is declared here.
import { randomBytes } from 'node:crypto';
import type { Request } from 'express';
import type { UserDoc } from '../../models/user.ts';
import { dropAnonymousCsrf } from '../http/visitor-state.ts';

declare module 'express-session' {
  interface SessionData {
    /** TOTP secret being enrolled, encrypted (server/accounts/totp-secret.ts): saved on the account only once a code from it is confirmed. */
    pendingTotpSecret?: string;
    /** Last request time by the app clock (idle timeout checked with the injectable clock). */
    lastSeenAt?: number;
    /** Where csrf-sync keeps the session's CSRF token (server/http/app.ts). */
    csrfToken?: string | null;
  }
}

/**
 * Signs the user in on a fresh session id (the first stored session of an anonymous visitor), with
 * its CSRF token already in it: otherwise two pages opened at once right after sign-in would each
 * store a token of their own, and the forms of the page whose token lost would be refused (403).
 */
export function logIn(req: Request, user: UserDoc): Promise<void> {
  return new Promise((resolve, reject) => {
    req.login(user as Express.User, (err?: unknown) => {
      if (err) {
        reject(err);
        return;
      }
      dropAnonymousCsrf(req);
      req.session.csrfToken = randomBytes(64).toString('hex');
      resolve();
    });
  });
}

export function logOut(req: Request): Promise<void> {
  return new Promise((resolve, reject) => {
    req.logout((err?: unknown) => (err ? reject(err) : resolve()));
  });
}

/** A new session id with nothing from the old session (used between the password and the second factor). */
export function regenerateSession(req: Request): Promise<void> {
  return new Promise((resolve, reject) => {
    req.session.regenerate((err?: unknown) => (err ? reject(err) : resolve()));
  });
}

export function saveSession(req: Request): Promise<void> {
  return new Promise((resolve, reject) => {
    req.session.save((err?: unknown) => (err ? reject(err) : resolve()));
  });
}
