// What the accounts pages keep in the session, and signing in and out on it. Sign-in always starts a
// new session id (passport's req.login regenerates it); after it, and after sign-out, the request's
// Context is rebuilt so services see the new actor.
import { randomBytes } from 'node:crypto';
import type { Request } from 'express';
import type { UserRecord } from '../../models/user.ts';
import type { Config } from '../config.ts';
import { newTotpSecret } from '../accounts/totp.ts';
import { openPendingTotpSecret, sealPendingTotpSecret } from '../accounts/totp-secret.ts';
import { dropAnonymousCsrf } from './visitor-state.ts';
import { refreshContext } from './context.ts';
import type { SecondFactorStep } from '../accounts/sign-in.ts';

type KeyConfig = Pick<Config, 'dataEncryption'>;

/**
 * Signs the user in on a fresh session id (the first stored session of an anonymous visitor), with
 * its CSRF token already in it: otherwise two pages opened at once right after sign-in would each
 * store a token of their own, and the forms of the page whose token lost would be refused (403).
 */
export function logIn(req: Request, user: UserRecord): Promise<void> {
  return new Promise((resolve, reject) => {
    req.login(user as Express.User, (err?: unknown) => {
      if (err) {
        reject(err);
        return;
      }
      dropAnonymousCsrf(req);
      req.session.csrfToken = randomBytes(64).toString('hex');
      refreshContext(req);
      resolve();
    });
  });
}

export function logOut(req: Request): Promise<void> {
  return new Promise((resolve, reject) => {
    req.logout((err?: unknown) => {
      if (err) {
        reject(err);
        return;
      }
      refreshContext(req);
      resolve();
    });
  });
}

// ---------------------------------------------------------------- between the password and the second factor

/** The password was accepted: a new session id holding only the marker (the account is not signed in yet). */
export function awaitSecondFactor(req: Request, pending: SecondFactorStep): Promise<void> {
  return new Promise((resolve, reject) => {
    req.session.regenerate((err?: unknown) => {
      if (err) {
        reject(err);
        return;
      }
      req.session.pendingSecondFactor = pending;
      resolve();
    });
  });
}

export function pendingSecondFactor(req: Request): SecondFactorStep | undefined {
  return req.session.pendingSecondFactor;
}

export function endSecondFactor(req: Request): void {
  delete req.session.pendingSecondFactor;
}

// ---------------------------------------------------------------- enrolling a second factor

/** The secret being enrolled, kept encrypted in the session; null when none (or unreadable after a key rotation). */
export function enrolmentSecret(req: Request, config: KeyConfig, userId: unknown): string | null {
  return openPendingTotpSecret(config, userId, req.session.pendingTotpSecret);
}

/** The secret being enrolled, or a new one kept (encrypted) in the session. */
export function enrolmentSecretOrNew(req: Request, config: KeyConfig, userId: unknown): string {
  const open = enrolmentSecret(req, config, userId);
  if (open) return open;
  const secret = newTotpSecret();
  req.session.pendingTotpSecret = sealPendingTotpSecret(config, userId, secret);
  return secret;
}

export function endEnrolment(req: Request): void {
  delete req.session.pendingTotpSecret;
}
