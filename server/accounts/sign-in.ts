// Signing in: the password (under the sign-in throttle), then, for an account with a second factor,
// a code from the authenticator or a recovery code. Answers never tell whether an account exists:
// a missing account costs the same time as a wrong password and counts against the same throttle.
// Keeping the result in the session is the web layer's part (server/http/session.ts).
import { Types } from 'mongoose';
import type { AppContext } from '../deps.ts';
import { withActor, type Context } from '../context.ts';
import { User, type UserRecord } from '../../models/user.ts';
import { recordAudit } from '../audit/index.ts';
import { verifyPassword } from './passwords.ts';
import { hasSecondFactor } from './totp.ts';
import { claimTotpCode, useRecoveryCode } from './second-factor.ts';
import { throttles, type ThrottleDeps } from './throttles.ts';
import type { LockState } from './limiter.ts';
import { normalizeEmail } from './forms.ts';
import { isId } from '../support/object-id.js';

/** How long the second-factor step stays open after the password was accepted. */
export const SECOND_FACTOR_WINDOW_MS = 10 * 60_000;

/** The password step's result, kept in the session until the second factor is checked. */
export interface SecondFactorStep {
  userId: string;
  /** The account's session epoch when the password was accepted: a password change since voids the step. */
  epoch: number;
  /** When the password was accepted (app clock, ms). */
  at: number;
}

/** What a lock holds back (server/accounts/limiter.ts): this e-mail from this address, or from every address. */
export type LockScope = NonNullable<LockState['scope']>;

export type SignInOutcome =
  | { kind: 'locked'; retryAfterSeconds: number; scope: LockScope }
  | { kind: 'failed' }
  /** The right password for a disabled account: it may be told so, and whom to write to (nothing leaks: the password was right). */
  | { kind: 'disabled'; contactEmail?: string }
  /** Password accepted; the account is not signed in until the second factor is checked. */
  | { kind: 'second_factor'; user: UserRecord; step: SecondFactorStep }
  | { kind: 'signed_in'; user: UserRecord };

export type SecondFactorOutcome =
  | { kind: 'locked'; retryAfterSeconds: number; scope: LockScope }
  | { kind: 'wrong_code'; locked: boolean; retryAfterSeconds: number; scope: LockScope }
  /** `recoveryLeft` when a recovery code was used (how many remain). */
  | { kind: 'signed_in'; user: UserRecord; recoveryLeft?: number };

type SignInDeps = ThrottleDeps & Pick<AppContext, 'config'>;

const ipOf = (ctx: Context) => ctx.ip ?? 'unknown';
const scopeOf = (lock: LockState): LockScope => lock.scope ?? 'address';

/** The account a stored session (or a second-factor step) names, while enabled and on the same epoch. */
export async function sessionUser(opts: { userId: string; epoch: number }): Promise<UserRecord | null> {
  if (!isId(opts.userId)) return null;
  // Read on every request and never written through: straight from the collection, as stored.
  // A Mongoose document for it was about 4 % of a page, and a Mongoose query about 5 % of a bare one.
  const user = await User.collection.findOne<UserRecord>({ _id: new Types.ObjectId(opts.userId) });
  if (!user || user.disabledAt || (user.sessionEpoch ?? 0) !== opts.epoch) return null;
  return user;
}

async function markSignedIn(ctx: Context, user: UserRecord): Promise<void> {
  await User.updateOne({ _id: user._id }, { $set: { lastSignInAt: ctx.now } });
}

export async function signIn(opts: { app: SignInDeps; ctx: Context; email: string; password: string }): Promise<SignInOutcome> {
  const { ctx, email } = opts;
  const limits = throttles(opts.app).login;
  const lock = await limits.check(email, ipOf(ctx));
  if (lock.locked) return { kind: 'locked', retryAfterSeconds: lock.retryAfterSeconds, scope: scopeOf(lock) };

  const user = await User.findOne({ email: normalizeEmail(email) });
  const passwordOk = await verifyPassword(user?.passwordHash, opts.password);
  if (!user || !passwordOk || user.disabledAt) {
    // A disabled account counts against the throttle as a failure, right password or not: the same
    // path for all three, so only someone holding the password learns more than "not correct".
    const after = await limits.fail(email, ipOf(ctx));
    if (after.locked) return { kind: 'locked', retryAfterSeconds: after.retryAfterSeconds, scope: scopeOf(after) };
    // The page names only the configured contact (ADMIN_CONTACT_EMAIL): whoever types the password
    // may not be the owner (an account is disabled when it was taken), and an administrator's own
    // name and address are for the owner's mailbox (the account_disabled e-mails), not for them.
    if (user && passwordOk && user.disabledAt) return { kind: 'disabled', contactEmail: opts.app.config.adminContactEmail };
    return { kind: 'failed' };
  }
  if (hasSecondFactor(user)) {
    return { kind: 'second_factor', user: user as UserRecord, step: { userId: String(user._id), epoch: user.sessionEpoch ?? 0, at: ctx.now.getTime() } };
  }
  await limits.succeed(email, ipOf(ctx));
  await markSignedIn(ctx, user as UserRecord);
  return { kind: 'signed_in', user: user as UserRecord };
}

/** The user half-way through sign-in, or null when the step expired or the account changed since. */
export async function secondFactorUser(opts: { ctx: Context; step: SecondFactorStep | undefined }): Promise<UserRecord | null> {
  const { step } = opts;
  if (!step || opts.ctx.now.getTime() - step.at > SECOND_FACTOR_WINDOW_MS) return null;
  return sessionUser({ userId: step.userId, epoch: step.epoch });
}

/** Checks a six-digit code from the authenticator, or else a recovery code (used up). */
export async function completeSecondFactor(opts: { app: SignInDeps; ctx: Context; user: UserRecord; code: string }): Promise<SecondFactorOutcome> {
  const { app, ctx, user } = opts;
  const limits = throttles(app).login;
  const lock = await limits.check(user.email, ipOf(ctx));
  if (lock.locked) return { kind: 'locked', retryAfterSeconds: lock.retryAfterSeconds, scope: scopeOf(lock) };

  const code = opts.code.replace(/\s+/g, '');
  let ok: boolean;
  let recoveryLeft: number | undefined;
  if (/^\d{6}$/.test(code)) ok = await claimTotpCode({ app, user, code });
  else {
    const r = await useRecoveryCode({ userId: user._id, code });
    ok = r.ok;
    if (ok) recoveryLeft = r.left;
  }
  if (!ok) {
    const after = await limits.fail(user.email, ipOf(ctx));
    return { kind: 'wrong_code', locked: after.locked, retryAfterSeconds: after.retryAfterSeconds, scope: scopeOf(after) };
  }
  await limits.succeed(user.email, ipOf(ctx));
  await markSignedIn(ctx, user);
  if (recoveryLeft !== undefined) {
    await recordAudit(withActor(ctx, user), { action: 'user.recovery_code_used', targetType: 'user', targetId: String(user._id), summary: { left: recoveryLeft } });
  }
  return { kind: 'signed_in', user, recoveryLeft };
}
