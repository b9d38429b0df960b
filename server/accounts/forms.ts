// Form validation for the accounts pages (zod). Messages are i18n keys; the route translates them.
import { z } from 'zod';
import { LOCALES } from '../i18n/index.ts';
import { passwordProblem, PASSWORD_MAX } from './passwords.ts';

const required = 'accounts.errors.required';

const email = z
  .string({ error: required })
  .trim()
  .toLowerCase()
  .min(1, required)
  .max(254, 'accounts.errors.email')
  .pipe(z.email({ error: 'accounts.errors.email' }));
const name = z.string({ error: required }).trim().min(1, required).max(200, 'accounts.errors.nameTooLong');
const locale = z.enum(LOCALES, { error: 'accounts.errors.locale' });
// Passwords are taken as typed (no trimming): spaces are allowed characters.
const password = z.string({ error: required }).min(1, required);
// A new password is checked on its own (so its error shows even when other fields are wrong), and
// against the account's e-mail once the whole form is otherwise valid.
const newPassword = password.superRefine((pw, ctx) => {
  const problem = passwordProblem(pw);
  if (problem) ctx.addIssue({ code: 'custom', message: `accounts.errors.password.${problem}` });
});

function checkNewPassword(field: string, emailField?: string) {
  return (v: Record<string, unknown>, ctx: z.RefinementCtx) => {
    const pw = v[field];
    if (typeof pw !== 'string' || pw.length === 0) return;
    const problem = passwordProblem(pw, typeof v[emailField ?? ''] === 'string' ? (v[emailField ?? ''] as string) : undefined);
    if (problem) ctx.addIssue({ code: 'custom', path: [field], message: `accounts.errors.password.${problem}` });
  };
}

export const signInForm = z.object({
  email: z.string({ error: required }).trim().toLowerCase().min(1, required).max(254, 'accounts.errors.email'),
  password: z.string({ error: required }).min(1, required).max(PASSWORD_MAX * 4, 'accounts.errors.password.tooLong'),
  next: z.string().optional(),
});

export const secondFactorForm = z.object({
  code: z.string({ error: required }).trim().min(1, required).max(40, 'accounts.errors.code'),
  next: z.string().optional(),
});

export const registerForm = z
  .object({
    name,
    email,
    password: newPassword,
    locale,
    consent: z.literal('yes', { error: 'accounts.errors.consent' }),
  })
  .superRefine(checkNewPassword('password', 'email'));

export const emailOnlyForm = z.object({ email });

export const newPasswordForm = (accountEmail: string) =>
  z.object({ password: newPassword }).superRefine((v, ctx) => checkNewPassword('password', 'email')({ ...v, email: accountEmail }, ctx));

export const invitationAcceptForm = (accountEmail: string) =>
  z.object({ name, password: newPassword }).superRefine((v, ctx) => checkNewPassword('password', 'email')({ ...v, email: accountEmail }, ctx));

export const profileForm = z.object({ name, locale });

export const changePasswordForm = (accountEmail: string) =>
  z
    .object({ currentPassword: password, newPassword })
    .superRefine((v, ctx) => checkNewPassword('newPassword', 'email')({ ...v, email: accountEmail }, ctx));

export const totpCodeForm = z.object({
  code: z
    .string({ error: required })
    .trim()
    .transform((s) => s.replace(/\s+/g, ''))
    .pipe(z.string().regex(/^\d{6}$/, 'accounts.errors.code')),
});

export const STAFF_ROLE_VALUES = ['hr_officer', 'leader', 'admin'] as const;

export const inviteForm = z
  .object({
    email,
    name,
    role: z.enum(STAFF_ROLE_VALUES, { error: 'accounts.errors.role' }),
    institute: z
      .string()
      .trim()
      .optional()
      .transform((v) => (v ? v : undefined))
      .pipe(z.string().regex(/^[a-f0-9]{24}$/, 'accounts.errors.instituteRequired').optional()),
    isHrLead: z
      .string()
      .optional()
      .transform((v) => v === 'yes'),
    locale,
  })
  .superRefine((v, ctx) => {
    if ((v.role === 'hr_officer' || v.role === 'leader') && !v.institute)
      ctx.addIssue({ code: 'custom', path: ['institute'], message: 'accounts.errors.instituteRequired' });
  });

export const userFilterForm = z.object({
  role: z.enum(['applicant', ...STAFF_ROLE_VALUES]).optional().catch(undefined),
  institute: z.string().regex(/^[a-f0-9]{24}$/).optional().catch(undefined),
  q: z.string().trim().max(100).optional().catch(undefined),
  page: z.coerce.number().int().min(1).max(10_000).optional().catch(undefined),
});

export type FormResult<T> = { ok: true; data: T } | { ok: false; errors: Record<string, string> };

/** Validates a body; on failure returns the first message key per field. */
export function parseForm<S extends z.ZodType>(schema: S, body: unknown): FormResult<z.output<S>> {
  const r = schema.safeParse(body ?? {});
  if (r.success) return { ok: true, data: r.data };
  const errors: Record<string, string> = {};
  for (const issue of r.error.issues) {
    const field = String(issue.path[0] ?? '_form');
    errors[field] ??= issue.message.startsWith('accounts.') ? issue.message : 'accounts.errors.invalid';
  }
  return { ok: false, errors };
}

/** Values to show again in a re-rendered form: what was typed, never the passwords. */
export function keptValues(body: unknown, ...omit: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  if (!body || typeof body !== 'object') return out;
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    if (typeof v === 'string' && k !== '_csrf' && !/password/i.test(k) && !omit.includes(k)) out[k] = v;
  }
  return out;
}
