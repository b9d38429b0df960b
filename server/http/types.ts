import type { Locale } from '../i18n/index.ts';
import type { UserRecord } from '../../models/user.ts';
import type { Context } from '../context.ts';
import type { SecondFactorStep } from '../accounts/sign-in.ts';

declare module 'express-session' {
  interface SessionData {
    /** When the session was first created (absolute lifetime). */
    createdAt?: number;
    /** Last request time by the app clock (idle timeout checked with the injectable clock). */
    lastSeenAt?: number;
    /** Set after the password step for staff accounts until their second factor is checked. */
    pendingSecondFactor?: SecondFactorStep;
    /** TOTP secret being enrolled, encrypted (server/accounts/totp-secret.ts): saved on the account only once a code from it is confirmed. */
    pendingTotpSecret?: string;
    /** Flash message shown once on the next page (an i18n key and its params). */
    flash?: { kind: 'success' | 'error' | 'info' | 'warning'; key: string; params?: Record<string, unknown> };
    /** The CSRF secret of a stored session (csrf-sync); anonymous visitors keep theirs in a signed cookie. */
    csrfToken?: string | null;
    /** The pages' language chosen with the switcher while signed in (server/http/locale.ts): this session only; the account's language (e-mails) stays. */
    pageLocale?: string;
  }
}

declare global {
  // Passport attaches the signed-in user here.
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface User extends UserRecord {}
    interface Request {
      id: string | number | object;
      locale: Locale;
      /** Who acts, from where, in which language, at what time (server/http/context.ts). */
      ctx: Context;
    }
  }
}

export {};
