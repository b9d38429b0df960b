// Page models for the accounts pages (sign-in, registration, links from e-mails) and the signed-in
// user's own account. Form errors arrive as message keys and leave in the page's language.
import { actorOf, tOf, type Context } from '../context.ts';
import { isStaff, type UserRecord } from '../../models/user.ts';
import { translateErrors, type FieldErrorKeys } from '../http/forms.ts';
import { hasSecondFactor, totpQrDataUrl } from './totp.ts';

/**
 * Where each role lands after signing in. HR officers and leaders land on the home page: their day's
 * work as counts linking to the queue or shortlists, and the mentions of them, which no other page
 * lists (landing on the queue or dashboard, they never saw it). The queue is one click from there.
 */
export function landingPath(user: { role: string }): string {
  switch (user.role) {
    case 'applicant':
      return '/applications';
    case 'hr_officer':
    case 'leader':
      return '/';
    case 'admin':
      return '/admin';
    default:
      return '/';
  }
}

const TITLES = {
  signin: 'accounts.signin.title',
  'second-factor': 'accounts.secondFactor.title',
  register: 'accounts.register.title',
  resend: 'accounts.resend.title',
  forgot: 'accounts.forgot.title',
  reset: 'accounts.reset.title',
  invitation: 'accounts.invitation.title',
  'check-email': 'accounts.checkEmail.title',
  'link-invalid': 'accounts.linkInvalid.title',
} as const;

export type AccountsPage = keyof typeof TITLES;

export interface AccountsPageInput {
  values?: Record<string, unknown>;
  errors?: FieldErrorKeys;
  /** A message above the form (a key and its parameters), and a page of this site it points to. */
  message?: { key: string; params?: Record<string, unknown>; link?: { href: string; key: string } };
  [more: string]: unknown;
}

/** The model of one of the pages under views/accounts/ (all of them forms or notices). */
export function presentAccountsPage(ctx: Context, page: AccountsPage, input: AccountsPageInput = {}) {
  const t = tOf(ctx);
  const { errors, message, ...rest } = input;
  return {
    title: t(TITLES[page]),
    ...rest,
    errors: translateErrors(t, errors),
    message: message ? t(message.key, message.params) : undefined,
    messageLink: message?.link ? { href: message.link.href, text: t(message.link.key) } : undefined,
  };
}

/**
 * The lockout notice of the sign-in page. An account's pause (sign-in for the e-mail from every
 * address) says so, and points to the way in that still works: a password reset by e-mail.
 */
export function lockedMessage(retryAfterSeconds: number, scope: 'address' | 'account' = 'address') {
  const params = { count: Math.ceil(retryAfterSeconds / 60) };
  return scope === 'account'
    ? { key: 'accounts.signin.accountPaused', params, link: { href: '/password/forgot', key: 'accounts.signin.resetInstead' } }
    : { key: 'accounts.signin.locked', params };
}

// ---------------------------------------------------------------- the signed-in user's own account

const recoveryLeft = (user: UserRecord) => user.totp?.recoveryCodeHashes?.length ?? 0;

export function presentAccount(
  ctx: Context,
  input: { retentionDays: number; profile?: Record<string, unknown>; profileErrors?: FieldErrorKeys; passwordErrors?: FieldErrorKeys },
) {
  const t = tOf(ctx);
  const user = actorOf(ctx);
  return {
    title: t('accounts.account.title'),
    profile: input.profile ?? { name: user.name, locale: user.locale },
    profileErrors: translateErrors(t, input.profileErrors),
    passwordErrors: translateErrors(t, input.passwordErrors),
    totpEnabled: hasSecondFactor(user),
    recoveryLeft: recoveryLeft(user),
    staff: isStaff(user),
    retentionDays: input.retentionDays,
  };
}

/** The second factor once enrolled: how many recovery codes are left, and the form to get new ones. */
export function presentSecondFactor(ctx: Context, input: { errors?: FieldErrorKeys } = {}) {
  const t = tOf(ctx);
  return { title: t('accounts.totp.title'), enrolling: false, recoveryLeft: recoveryLeft(actorOf(ctx)), errors: translateErrors(t, input.errors) };
}

/** Enrolling: the secret as a QR code and as text (grouped by four), and the form for a code from it. */
export async function presentEnrolment(ctx: Context, input: { secret: string; errors?: FieldErrorKeys }) {
  const t = tOf(ctx);
  const user = actorOf(ctx);
  return {
    title: t('accounts.totp.title'),
    enrolling: true,
    mustEnrol: isStaff(user),
    secret: input.secret,
    secretGrouped: input.secret.replace(/(.{4})/g, '$1 ').trim(),
    qr: await totpQrDataUrl(input.secret, user.email),
    errors: translateErrors(t, input.errors),
  };
}

/** New recovery codes, shown once. */
export function presentRecoveryCodes(ctx: Context, input: { codes: string[]; justEnabled: boolean }) {
  return { title: tOf(ctx)('accounts.totp.codesTitle'), codes: input.codes, justEnabled: input.justEnabled };
}
