// The accounts' form fields (zod), from which the routes declare each form's schema. Messages are
// i18n keys; the presenters translate them.
import { z } from 'zod';
import { LOCALES } from '../i18n/index.ts';
import { formText } from '../http/forms.ts';
import { hasVisibleText, withoutHiddenCharacters } from '../support/hidden-characters.ts';
import { passwordProblem, PASSWORD_MAX } from './passwords.ts';

/** What parseForm answers for a message zod words itself. */
export const INVALID = 'accounts.errors.invalid';
const required = 'accounts.errors.required';

export const email = z
  .string({ error: required })
  .trim()
  .toLowerCase()
  .min(1, required)
  .max(254, 'accounts.errors.email')
  .pipe(z.email({ error: 'accounts.errors.email' }));
/** As typed at sign-in: no format check, so a mistyped address is "wrong e-mail or password" like any other. */
export const signInEmail = z.string({ error: required }).trim().toLowerCase().min(1, required).max(254, 'accounts.errors.email');
export const name = z
  .string({ error: required })
  .trim()
  .min(1, required)
  .max(200, 'accounts.errors.nameTooLong')
  // Control and format characters (NUL, bidirectional overrides) would hide or reorder what staff read.
  .refine((s) => !/[\p{Cc}\p{Cf}]/u.test(s), 'accounts.errors.nameCharacters');
export const locale = z.enum(LOCALES, { error: 'accounts.errors.locale' });
// Passwords are taken as typed (no trimming): spaces are allowed characters.
export const password = z.string({ error: required }).min(1, required);
export const signInPassword = password.max(PASSWORD_MAX * 4, 'accounts.errors.password.tooLong');
// A new password is checked on its own (so its error shows even when other fields are wrong), and
// against the account's e-mail once the whole form is otherwise valid (checkNewPassword).
export const newPassword = password.superRefine((pw, ctx) => {
  const problem = passwordProblem(pw);
  if (problem) ctx.addIssue({ code: 'custom', message: `accounts.errors.password.${problem}` });
});
/** A six-digit code from the authenticator (spaces as grouped by the app are dropped). */
export const totpCode = z
  .string({ error: required })
  .trim()
  .transform((s) => s.replace(/\s+/g, ''))
  .pipe(z.string().regex(/^\d{6}$/, 'accounts.errors.code'));
/** At sign-in: a code from the authenticator or a recovery code. */
export const secondFactorCode = z.string({ error: required }).trim().min(1, required).max(40, 'accounts.errors.code');
/** Where to go after signing in (checked by safeNextPath). */
export const nextPath = z.string().optional();

/** The refinement that checks the new password in `field` against the account's e-mail address. */
export function checkNewPassword<T extends Record<string, unknown>>(field: keyof T & string, emailOf: (v: T) => unknown) {
  return (v: T, ctx: z.RefinementCtx) => {
    const pw = v[field];
    if (typeof pw !== 'string' || pw.length === 0) return;
    const address = emailOf(v);
    const problem = passwordProblem(pw, typeof address === 'string' ? address : undefined);
    if (problem) ctx.addIssue({ code: 'custom', path: [field], message: `accounts.errors.password.${problem}` });
  };
}

/**
 * An administrator's reason for a decision about someone's account (a role change, a disabling, an
 * enabling, a second factor reset), in their own words: counted in characters that show, as a
 * leader's decision is. `errors`: where the decision's messages are (`<errors>.reasonRequired`,
 * `.reasonTooShort`, `.reasonTooLong`).
 */
export const DECISION_REASON_MIN = 10;
export const DECISION_REASON_MAX = 2000;

export function decisionReason(errors: string) {
  return formText.pipe(
    z
      .string()
      .refine(hasVisibleText(), `${errors}.reasonRequired`)
      .refine(hasVisibleText(DECISION_REASON_MIN), `${errors}.reasonTooShort`)
      .max(DECISION_REASON_MAX, `${errors}.reasonTooLong`)
      .refine(withoutHiddenCharacters, 'errors.hiddenCharacters'),
  );
}

export function normalizeEmail(address: string): string {
  return address.trim().toLowerCase();
}
