// Account commands: registration and e-mail verification, password reset and change, staff
// invitations, enabling/disabling accounts, and the TOTP second factor. Routes stay thin and call these.
import type { Types } from 'mongoose';
import type { AppContext } from '../deps.ts';
import { User, type Role, type UserDoc, isStaff } from '../../models/user.ts';
import { Institute } from '../../models/institute.ts';
import { renderEmail } from '../mail/render.ts';
import { DEFAULT_LOCALE, isLocale, translator, type Locale } from '../i18n/index.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import { consumeToken, issueToken, TOKEN_TTL_MS } from './tokens.ts';
import { findRecoveryCode, hashRecoveryCode, newRecoveryCodes, totpStep } from './totp.ts';
import { openTotpSecret, sealTotpSecret } from './totp-secret.ts';

type Ctx = Pick<AppContext, 'config' | 'logger' | 'mailer' | 'now'>;

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

function localeOf(user: { locale?: string | null }): Locale {
  return isLocale(user.locale) ? user.locale : DEFAULT_LOCALE;
}

/** Renders and sends an account e-mail in the recipient's language. Account e-mails are not case e-mails, so no outbox. */
export async function sendAccountMail(
  ctx: Ctx,
  template: 'verify_email' | 'password_reset' | 'invitation',
  user: { email: string; name: string; locale?: string | null },
  data: Record<string, unknown>,
): Promise<boolean> {
  try {
    const rendered = await renderEmail(template, localeOf(user), { name: user.name, ...data });
    await ctx.mailer.send({ to: user.email, ...rendered });
    return true;
  } catch (err) {
    ctx.logger.error({ err, template }, 'account e-mail could not be sent');
    return false;
  }
}

// ---------------------------------------------------------------- registration and verification

export interface RegistrationInput {
  name: string;
  email: string;
  password: string;
  locale: Locale;
}

/**
 * Creates an unverified applicant and e-mails the verification link. When the address already has
 * an account, nothing is created and that account's owner gets a password-reset e-mail instead,
 * so the page answers the same either way.
 */
export async function registerApplicant(ctx: Ctx, input: RegistrationInput): Promise<{ user?: UserDoc }> {
  const email = normalizeEmail(input.email);
  const now = ctx.now();
  const existing = await User.findOne({ email });
  if (existing) {
    if (!existing.disabledAt) await sendPasswordResetMail(ctx, existing, { existingAccount: true });
    return {};
  }
  let user: UserDoc;
  try {
    user = (await User.create({
      email,
      name: input.name,
      role: 'applicant',
      locale: input.locale,
      passwordHash: await hashPassword(input.password),
      consents: [{ purpose: 'recruitment', granted: true, at: now }],
    })) as unknown as UserDoc;
  } catch (err) {
    if ((err as { code?: number }).code === 11000) return {}; // registered at the same moment
    throw err;
  }
  await sendVerificationMail(ctx, user);
  return { user };
}

export async function sendVerificationMail(ctx: Ctx, user: UserDoc): Promise<boolean> {
  const token = await issueToken('verify_email', user._id, ctx.now());
  return sendAccountMail(ctx, 'verify_email', user, {
    link: `${ctx.config.appUrl}/verify-email/${token}`,
    hours: TOKEN_TTL_MS.verify_email / 3_600_000,
  });
}

/** Sends a new link when the address belongs to an unverified, enabled account; silent otherwise. */
export async function resendVerification(ctx: Ctx, email: string): Promise<void> {
  const user = await User.findOne({ email: normalizeEmail(email) });
  if (user && !user.emailVerifiedAt && !user.disabledAt && user.passwordHash) await sendVerificationMail(ctx, user);
}

export async function verifyEmail(ctx: Ctx, rawToken: string): Promise<UserDoc | null> {
  const now = ctx.now();
  const token = await consumeToken(rawToken, 'verify_email', now);
  if (!token) return null;
  // Only the first verification counts (null also matches a missing field).
  await User.updateOne({ _id: token.user, emailVerifiedAt: null }, { $set: { emailVerifiedAt: now } });
  return (await User.findById(token.user)) as UserDoc | null;
}

// ---------------------------------------------------------------- password reset and change

async function sendPasswordResetMail(ctx: Ctx, user: UserDoc, extra: Record<string, unknown> = {}): Promise<boolean> {
  const token = await issueToken('password_reset', user._id, ctx.now());
  return sendAccountMail(ctx, 'password_reset', user, {
    link: `${ctx.config.appUrl}/password/reset/${token}`,
    minutes: TOKEN_TTL_MS.password_reset / 60_000,
    ...extra,
  });
}

/** E-mails a reset link when an enabled account has this address; the caller answers the same regardless. */
export async function requestPasswordReset(ctx: Ctx, email: string): Promise<UserDoc | null> {
  const user = await User.findOne({ email: normalizeEmail(email) });
  if (!user || user.disabledAt) return null;
  await sendPasswordResetMail(ctx, user);
  return user;
}

/**
 * Uses the reset token and sets the new password. Every session of the account ends (epoch bump);
 * the address is now proven, so it also counts as verified.
 */
export async function resetPassword(ctx: Ctx, rawToken: string, password: string): Promise<UserDoc | null> {
  const now = ctx.now();
  const passwordHash = await hashPassword(password);
  const token = await consumeToken(rawToken, 'password_reset', now);
  if (!token) return null;
  const user = await User.findOneAndUpdate({ _id: token.user, disabledAt: null }, { $set: { passwordHash }, $inc: { sessionEpoch: 1 } }, { returnDocument: 'after' });
  if (user && !user.emailVerifiedAt) await User.updateOne({ _id: user._id }, { $set: { emailVerifiedAt: now } });
  return user as UserDoc | null;
}

export type ChangePasswordResult = { ok: true; user: UserDoc } | { ok: false; reason: 'wrongCurrent' };

/** Needs the current password. Bumps the epoch so every other session ends; the caller re-logs this one. */
export async function changePassword(user: UserDoc, current: string, next: string): Promise<ChangePasswordResult> {
  const fresh = await User.findById(user._id);
  if (!fresh || !(await verifyPassword(fresh.passwordHash, current))) return { ok: false, reason: 'wrongCurrent' };
  const passwordHash = await hashPassword(next);
  const updated = await User.findOneAndUpdate({ _id: user._id }, { $set: { passwordHash }, $inc: { sessionEpoch: 1 } }, { returnDocument: 'after' });
  if (!updated) throw new NotFoundError();
  return { ok: true, user: updated as UserDoc };
}

// ---------------------------------------------------------------- staff invitations

export interface InvitationInput {
  email: string;
  name: string;
  role: Exclude<Role, 'applicant'>;
  institute?: string;
  isHrLead: boolean;
  locale: Locale;
}

export type InviteResult = { ok: true; user: UserDoc; sent: boolean } | { ok: false; field: 'email' | 'institute'; key: string };

export async function inviteStaff(ctx: Ctx, inviter: UserDoc, input: InvitationInput): Promise<InviteResult> {
  const email = normalizeEmail(input.email);
  if (await User.exists({ email })) return { ok: false, field: 'email', key: 'accounts.errors.emailTaken' };
  const needsInstitute = input.role === 'hr_officer' || input.role === 'leader';
  let institute: { _id: Types.ObjectId; name?: { vi?: string; en?: string } | null } | null = null;
  if (needsInstitute) {
    institute = input.institute ? await Institute.findById(input.institute).lean() : null;
    if (!institute) return { ok: false, field: 'institute', key: 'accounts.errors.instituteRequired' };
  }
  let user: UserDoc;
  try {
    user = (await User.create({
      email,
      name: input.name,
      role: input.role,
      institute: institute?._id,
      isHrLead: input.role === 'hr_officer' && input.isHrLead,
      locale: input.locale,
    })) as unknown as UserDoc;
  } catch (err) {
    if ((err as { code?: number }).code === 11000) return { ok: false, field: 'email', key: 'accounts.errors.emailTaken' };
    throw err;
  }
  const sent = await sendInvitationMail(ctx, user, inviter, institute?.name ?? undefined);
  return { ok: true, user, sent };
}

export async function sendInvitationMail(ctx: Ctx, user: UserDoc, inviter: { name: string }, instituteName?: { vi?: string; en?: string }): Promise<boolean> {
  const locale = localeOf(user);
  let name = instituteName;
  if (!name && user.institute) name = (await Institute.findById(user.institute).lean())?.name ?? undefined;
  const token = await issueToken('invitation', user._id, ctx.now());
  return sendAccountMail(ctx, 'invitation', user, {
    link: `${ctx.config.appUrl}/invitations/${token}`,
    days: TOKEN_TTL_MS.invitation / 86_400_000,
    inviterName: inviter.name,
    roleName: translator(locale)(`accounts.roles.${user.role}`),
    instituteName: name ? name[locale] || name.en || name.vi : undefined,
  });
}

/** Sends a fresh invitation link to an invited user who has not accepted yet. */
export async function resendInvitation(ctx: Ctx, inviter: UserDoc, userId: string): Promise<boolean> {
  const user = await User.findById(userId);
  if (!user) throw new NotFoundError();
  if (user.passwordHash) throw new ConflictError('accounts.errors.alreadyAccepted');
  return sendInvitationMail(ctx, user as UserDoc, inviter);
}

/** Sets the invitee's name and password; the address is proven by the link. */
export async function acceptInvitation(ctx: Ctx, rawToken: string, input: { name: string; password: string }): Promise<UserDoc | null> {
  const now = ctx.now();
  const passwordHash = await hashPassword(input.password);
  const token = await consumeToken(rawToken, 'invitation', now);
  if (!token) return null;
  const user = await User.findOneAndUpdate(
    { _id: token.user, disabledAt: null },
    { $set: { name: input.name, passwordHash, emailVerifiedAt: now }, $inc: { sessionEpoch: 1 } },
    { returnDocument: 'after' },
  );
  return user as UserDoc | null;
}

// ---------------------------------------------------------------- enabling and disabling

/** Disabling bumps the epoch, so the account's sessions end at their next request. */
export async function setDisabled(ctx: Ctx, userId: string, disabled: boolean): Promise<UserDoc> {
  const update = disabled ? { $set: { disabledAt: ctx.now() }, $inc: { sessionEpoch: 1 } } : { $unset: { disabledAt: 1 } };
  const user = await User.findOneAndUpdate({ _id: userId }, update, { returnDocument: 'after' });
  if (!user) throw new NotFoundError();
  return user as UserDoc;
}

// ---------------------------------------------------------------- second factor

export function requiresSecondFactor(user: { role: string; totp?: { enabledAt?: Date | null } | null }): boolean {
  return isStaff(user) || Boolean(user.totp?.enabledAt);
}

export function needsTotpEnrolment(user: { role: string; totp?: { enabledAt?: Date | null; secret?: string | null } | null } | undefined): boolean {
  return !!user && isStaff(user) && !(user.totp?.enabledAt && user.totp?.secret);
}

/** Saves a confirmed secret (encrypted) and a fresh set of recovery codes; returns the codes (shown once). */
export async function enableTotp(ctx: Ctx, userId: unknown, secret: string): Promise<string[]> {
  const codes = newRecoveryCodes();
  await User.updateOne(
    { _id: userId },
    { $set: { 'totp.secret': sealTotpSecret(ctx.config, userId, secret), 'totp.enabledAt': ctx.now(), 'totp.recoveryCodeHashes': codes.map(hashRecoveryCode) } },
  );
  return codes;
}

export async function regenerateRecoveryCodes(userId: unknown): Promise<string[]> {
  const codes = newRecoveryCodes();
  await User.updateOne({ _id: userId }, { $set: { 'totp.recoveryCodeHashes': codes.map(hashRecoveryCode) } });
  return codes;
}

/** Uses one recovery code: removed by an atomic $pull on its hash, so it cannot be used twice. */
export async function useRecoveryCode(userId: unknown, code: string): Promise<{ ok: boolean; left: number }> {
  const user = await User.findById(userId).lean();
  const hashes = user?.totp?.recoveryCodeHashes ?? [];
  const i = findRecoveryCode(hashes, code);
  if (i < 0) return { ok: false, left: hashes.length };
  const hash = hashes[i]!;
  const res = await User.updateOne({ _id: userId, 'totp.recoveryCodeHashes': hash }, { $pull: { 'totp.recoveryCodeHashes': hash } });
  return { ok: res.modifiedCount === 1, left: hashes.length - 1 };
}

/**
 * Accepts a TOTP code at most once: the code's time step must be later than the last one accepted,
 * checked and recorded in one atomic update (two requests with the same code: one wins). The secret
 * is decrypted from the account; one that cannot be decrypted accepts no code.
 */
export async function claimTotpCode(ctx: Pick<Ctx, 'config'>, user: { _id: unknown; totp?: { secret?: string | null } | null }, code: string, nowMs = Date.now()): Promise<boolean> {
  const step = totpStep(openTotpSecret(ctx.config, user), code, nowMs);
  if (step === null) return false;
  const res = await User.updateOne(
    { _id: user._id, $or: [{ 'totp.lastUsedStep': null }, { 'totp.lastUsedStep': { $lt: step } }] },
    { $set: { 'totp.lastUsedStep': step } },
  );
  return res.modifiedCount === 1;
}
