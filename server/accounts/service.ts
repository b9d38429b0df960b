// Account commands: registration and e-mail verification, password reset and change, the profile,
// and staff invitations (an administrator's decisions about an account are in decisions.ts and
// role-change.ts). Each takes one options object (the app's dependencies as `app` where it sends
// mail or counts attempts, the request's Context as `ctx`) and records its own audit event; the web
// layer only signs sessions in and out.
import type { Types } from 'mongoose';
import { actorOf, withActor, type Context } from '../context.ts';
import { User, type Role, type UserDoc } from '../../models/user.ts';
import { Institute } from '../../models/institute.ts';
import type { Locale } from '../i18n/index.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import { recordAudit } from '../audit/index.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import { consumeToken, findUsableToken, revokePasswordLinks } from './tokens.ts';
import { invitationMail, logOwedMail, oweNewInvitation, sendDisabledAccountMail, sendPasswordResetMail, sendVerificationMail, type MailDeps, type OwedMail, type PendingAccountMail } from './mail.ts';
import { throttles, type ThrottleDeps } from './throttles.ts';
import { normalizeEmail } from './forms.ts';
import { END_FEED, hasFeed } from '../calendar-feed/service.ts';
import { isId } from '../support/object-id.js';

type AccountDeps = MailDeps & ThrottleDeps;

/** Whether the per-address limit on e-mails sent on request let this one go (the page answers the same either way). */
export interface MailRequestResult {
  rateLimited: boolean;
  /** Refused for the network address's hourly allowance of new accounts (says nothing of any address). */
  networkLimited?: boolean;
  /**
   * The account e-mail to send once the answer is out (server/accounts/mail.ts sendAfterAnswer):
   * the time to answer must not tell whether the address has an account.
   */
  mail?: () => Promise<unknown>;
}

/** What an account e-mail on request needs of the account, read lean: hydrating the whole account only when it exists was time the answer would show. */
const ACCOUNT_MAIL_FIELDS = { email: 1, name: 1, locale: 1, emailVerifiedAt: 1, disabledAt: 1, passwordHash: 1, role: 1 } as const;

const userTarget = (user: { _id: unknown }) => ({ targetType: 'user', targetId: String(user._id) });

/** An account by id (for administrators' actions, after their policy check); NotFoundError otherwise. */
export async function findUser(opts: { userId: string }): Promise<UserDoc> {
  if (!isId(opts.userId)) throw new NotFoundError();
  const user = await User.findById(opts.userId);
  if (!user) throw new NotFoundError();
  return user as UserDoc;
}

// ---------------------------------------------------------------- registration and verification

/**
 * Creates an unverified applicant and e-mails the verification link. When the address already has
 * an account, nothing is created and that account's owner gets a password-reset e-mail instead,
 * so the page answers the same either way.
 */
export async function registerApplicant(opts: { app: AccountDeps; ctx: Context; name: string; email: string; password: string; locale: Locale }): Promise<MailRequestResult> {
  const { app, ctx } = opts;
  const email = normalizeEmail(opts.email);
  if (ctx.ip && !(await throttles(app).registrations.allow(ctx.ip))) return { rateLimited: true, networkLimited: true };
  if (!(await throttles(app).mail.allow(`register:${email}`))) return { rateLimited: true };
  // Hashed either way (and the e-mail sent after the answer either way, MailRequestResult.mail): the
  // time to answer must not tell whether the address has an account.
  const passwordHash = await hashPassword(opts.password);
  const existing = await User.findOne({ email });
  if (existing) {
    return { rateLimited: false, mail: existing.disabledAt ? undefined : () => sendPasswordResetMail({ app, ctx, user: existing as UserDoc, existingAccount: true }) };
  }
  let user: UserDoc;
  try {
    user = (await User.create({
      email,
      name: opts.name,
      role: 'applicant',
      locale: opts.locale,
      passwordHash,
      consents: [{ purpose: 'recruitment', granted: true, at: ctx.now }],
    })) as unknown as UserDoc;
  } catch (err) {
    if ((err as { code?: number }).code === 11000) return { rateLimited: false }; // registered at the same moment
    throw err;
  }
  await recordAudit(withActor(ctx, user), { action: 'user.registered', ...userTarget(user) });
  return { rateLimited: false, mail: () => sendVerificationMail({ app, ctx, user }) };
}

/** Sends a new link when the address belongs to an unverified, enabled account; silent otherwise. */
export async function resendVerification(opts: { app: AccountDeps; ctx: Context; email: string }): Promise<MailRequestResult> {
  const email = normalizeEmail(opts.email);
  if (!(await throttles(opts.app).mail.allow(`verify:${email}`))) return { rateLimited: true };
  const user = await User.findOne({ email }, ACCOUNT_MAIL_FIELDS).lean<UserDoc>();
  const sends = user && !user.emailVerifiedAt && !user.disabledAt && user.passwordHash;
  return { rateLimited: false, mail: sends ? () => sendVerificationMail({ app: opts.app, ctx: opts.ctx, user: user as UserDoc }) : undefined };
}

/** Uses the link; null when it was used, expired or never existed. Only the first verification counts. */
export async function verifyEmail(opts: { ctx: Context; token: string }): Promise<UserDoc | null> {
  const { ctx } = opts;
  const token = await consumeToken({ token: opts.token, purpose: 'verify_email', now: ctx.now });
  if (!token) return null;
  // null also matches a missing field
  await User.updateOne({ _id: token.user, emailVerifiedAt: null }, { $set: { emailVerifiedAt: ctx.now } });
  const user = (await User.findById(token.user)) as UserDoc | null;
  if (user) await recordAudit(withActor(ctx, user), { action: 'user.email_verified', ...userTarget(user) });
  return user;
}

// ---------------------------------------------------------------- password reset and change

/**
 * E-mails a reset link when an enabled account has this address, and a disabled account's owner
 * whom to write to instead (no link); the page answers the same regardless.
 */
export async function requestPasswordReset(opts: { app: AccountDeps; ctx: Context; email: string }): Promise<MailRequestResult> {
  const email = normalizeEmail(opts.email);
  if (!(await throttles(opts.app).mail.allow(`reset:${email}`))) return { rateLimited: true };
  const user = await User.findOne({ email }, ACCOUNT_MAIL_FIELDS).lean<UserDoc>();
  if (!user) return { rateLimited: false };
  if (user.disabledAt) return { rateLimited: false, mail: () => sendDisabledAccountMail({ app: opts.app, user: user as UserDoc }) };
  return { rateLimited: false, mail: () => sendPasswordResetMail({ app: opts.app, ctx: opts.ctx, user: user as UserDoc }) };
}

/** The account a usable reset link is for (the link is not used up), or null. */
export async function openResetLink(opts: { ctx: Context; token: string }): Promise<UserDoc | null> {
  const token = await findUsableToken({ token: opts.token, purpose: 'password_reset', now: opts.ctx.now });
  return token ? ((await User.findById(token.user)) as UserDoc | null) : null;
}

/** Whose password a reset link set, and whether that ended their calendar feed (the page says to make a new one). */
export interface ResetDone {
  userId: Types.ObjectId;
  feedEnded: boolean;
}

/**
 * Uses the reset link and sets the new password. Every session of the account ends (epoch bump), its
 * calendar feed ends (END_FEED, in the same write: its URL needs no session) and its other password
 * links go (an invitation not yet used); the address is now proven, so it also counts as verified;
 * failed sign-ins from here are forgiven, the account's own count included (server/accounts/limiter.ts).
 */
export async function resetPassword(opts: { app: ThrottleDeps; ctx: Context; token: string; password: string }): Promise<ResetDone | null> {
  const { ctx } = opts;
  const passwordHash = await hashPassword(opts.password);
  const token = await consumeToken({ token: opts.token, purpose: 'password_reset', now: ctx.now });
  if (!token) return null;
  // The account as it was (its feed, its verification): what changed is known, not read again.
  const before = (await User.findOneAndUpdate(
    { _id: token.user, disabledAt: null },
    { $set: { passwordHash }, $inc: END_SESSIONS, $unset: END_FEED },
    { returnDocument: 'before' },
  )) as UserDoc | null;
  if (!before) return null;
  await revokePasswordLinks({ userId: before._id });
  if (!before.emailVerifiedAt) await User.updateOne({ _id: before._id }, { $set: { emailVerifiedAt: ctx.now } });
  await throttles(opts.app).login.forgive(before.email, ctx.ip ?? 'unknown');
  const feedEnded = hasFeed(before);
  await recordAudit(withActor(ctx, before), { action: 'user.password_reset', ...userTarget(before), ...(feedEnded ? { summary: { calendarFeedEnded: true } } : {}) });
  return { userId: before._id, feedEnded };
}

export type ChangePasswordResult = { ok: true; user: UserDoc; feedEnded: boolean } | { ok: false; reason: 'wrongCurrent' };

/**
 * The actor's own password, given the current one. Bumps the epoch so every other session ends (the
 * caller re-signs this one), ends the calendar feed in the same write (its URL works without a
 * session, so whoever may have had the account may still have it), and drops unused reset and
 * invitation links: a link mailed before, maybe to someone who read the mailbox, must not set a
 * password over the one just chosen. `feedEnded`: there was a feed (the page says to make a new one).
 */
export async function changePassword(opts: { ctx: Context; currentPassword: string; newPassword: string }): Promise<ChangePasswordResult> {
  const { ctx } = opts;
  const me = actorOf(ctx);
  const fresh = await User.findById(me._id);
  if (!fresh || !(await verifyPassword(fresh.passwordHash, opts.currentPassword))) return { ok: false, reason: 'wrongCurrent' };
  const passwordHash = await hashPassword(opts.newPassword);
  const updated = await User.findOneAndUpdate({ _id: me._id }, { $set: { passwordHash }, $inc: END_SESSIONS, $unset: END_FEED }, { returnDocument: 'after' });
  if (!updated) throw new NotFoundError();
  await revokePasswordLinks({ userId: me._id });
  const feedEnded = hasFeed(fresh); // as read for the password check: the write ends any feed, this only says so
  await recordAudit(ctx, { action: 'user.password_changed', ...userTarget(me), ...(feedEnded ? { summary: { calendarFeedEnded: true } } : {}) });
  return { ok: true, user: updated as UserDoc, feedEnded };
}

/** The actor's name and language. */
export async function updateProfile(opts: { ctx: Context; name: string; locale: Locale }): Promise<void> {
  const { ctx } = opts;
  const me = actorOf(ctx);
  const before = { name: me.name, locale: me.locale };
  const after = { name: opts.name, locale: opts.locale };
  await User.updateOne({ _id: me._id }, { $set: after });
  await recordAudit(ctx, { action: 'user.profile_updated', ...userTarget(me), summary: { before, after } });
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

/** `errors`: field → message key, for the form to show again. `owed`: the invitation, for the route to send after its answer. */
export type InviteResult = { ok: true; user: UserDoc; owed: OwedMail } | { ok: false; errors: Record<string, string> };

/**
 * Creates the staff account without a password, its invitation (from the actor) owed in the same
 * write (`pendingMails`): sent after the answer, or by the account-mail job if this process stops first.
 */
export async function inviteStaff(opts: { app: MailDeps; ctx: Context } & InvitationInput): Promise<InviteResult> {
  const { app, ctx } = opts;
  const email = normalizeEmail(opts.email);
  const taken = { ok: false, errors: { email: 'accounts.errors.emailTaken' } } as const;
  if (await User.exists({ email })) return taken;
  let institute: { _id: Types.ObjectId; name?: { vi?: string; en?: string } | null } | null = null;
  if (opts.role === 'hr_officer' || opts.role === 'leader') {
    institute = opts.institute ? await Institute.findById(opts.institute).lean() : null;
    if (!institute) return { ok: false, errors: { institute: 'accounts.errors.instituteRequired' } };
  }
  let user: UserDoc;
  let mail: PendingAccountMail;
  try {
    user = new User({
      email,
      name: opts.name,
      role: opts.role,
      institute: institute?._id,
      isHrLead: opts.role === 'hr_officer' && opts.isHrLead,
      locale: opts.locale,
    }) as UserDoc;
    mail = await invitationMail({ ctx, user, instituteName: institute?.name ?? undefined });
    user.set('pendingMails', [mail]);
    await user.save();
  } catch (err) {
    if ((err as { code?: number }).code === 11000) return taken;
    throw err;
  }
  await recordAudit(ctx, {
    action: 'user.invited',
    ...userTarget(user),
    summary: { email: user.email, role: user.role, institute: user.institute ? String(user.institute) : undefined, isHrLead: user.isHrLead },
  });
  await logOwedMail(app, mail);
  return { ok: true, user, owed: { userId: user._id, mail, now: ctx.now } };
}

/**
 * A fresh invitation (its link made when it is sent) for an invited user who has not accepted yet,
 * owed on the account in place of one still waiting: the route sends it after its answer.
 */
export async function resendInvitation(opts: { app: MailDeps; ctx: Context; user: UserDoc }): Promise<OwedMail> {
  const { user } = opts;
  if (user.passwordHash) throw new ConflictError('accounts.errors.alreadyAccepted');
  // Only while still invited (a password set meanwhile: accepted); an earlier one still waiting goes.
  const mail = await oweNewInvitation({ app: opts.app, ctx: opts.ctx, user });
  if (!mail) throw new ConflictError('accounts.errors.alreadyAccepted');
  await recordAudit(opts.ctx, { action: 'user.invitation_resent', ...userTarget(user) });
  return { userId: user._id, mail, now: opts.ctx.now };
}

/**
 * The invited account a usable invitation link is for (the link is not used up), or null. An account
 * that already has a password (set through "forgot password", or before its links were dropped on
 * setting one) has accepted in all but name: its invitation would set a password without the current one.
 */
export async function openInvitation(opts: { ctx: Context; token: string }): Promise<UserDoc | null> {
  const token = await findUsableToken({ token: opts.token, purpose: 'invitation', now: opts.ctx.now });
  const invitee = token ? await User.findById(token.user) : null;
  return invitee && !invitee.disabledAt && !invitee.passwordHash ? (invitee as UserDoc) : null;
}

/** Sets the invitee's name and password (other reset links go); the address is proven by the link. */
export async function acceptInvitation(opts: { ctx: Context; token: string; name: string; password: string }): Promise<UserDoc | null> {
  const { ctx } = opts;
  const passwordHash = await hashPassword(opts.password);
  const token = await consumeToken({ token: opts.token, purpose: 'invitation', now: ctx.now });
  if (!token) return null;
  const user = (await User.findOneAndUpdate(
    // Only while no password is set (see openInvitation); null also matches a missing field.
    { _id: token.user, disabledAt: null, passwordHash: null },
    { $set: { name: opts.name, passwordHash, emailVerifiedAt: ctx.now }, $inc: { sessionEpoch: 1 } },
    { returnDocument: 'after' },
  )) as UserDoc | null;
  if (!user) return null;
  await revokePasswordLinks({ userId: user._id });
  await recordAudit(withActor(ctx, user), { action: 'user.invitation_accepted', ...userTarget(user) });
  return user;
}

// ---------------------------------------------------------------- sessions

/**
 * `$inc` this to end every session of the account at its next request: a session keeps the epoch
 * it was signed in with, and server/accounts/sign-in.ts `sessionUser` drops it once they differ.
 */
export const END_SESSIONS = { sessionEpoch: 1 } as const;
