// Sending a failed ("dead") account e-mail again, from the mail log (administrators only). Only the
// e-mails an administrator's action owes (mail.ts pendingMails), and only while what they say is
// still true:
// - a decision's news (role change, disabling, enabling, second-factor reset) goes again as it was
//   composed (its data is kept in the log: KEPT_ACCOUNT_TEMPLATES), under the same key, so the same
//   Message-ID: a copy that did arrive is the same message. Not once a later decision of its kind
//   was e-mailed (it would be out of date), nor once the account is disabled (bar the disabling's own);
// - an invitation goes as a new one (new key, new link valid 7 days from now; older links stop), as
//   "send the invitation again" does: the old one's link may have expired (its token is made once,
//   tokens.ts issueKnownToken, and keeps its first expiry). Not for an accepted or disabled account,
//   nor when a newer invitation was owed since (it is the one that counts).
// The e-mails a person asks for themselves (e-mail check, password reset, a disabled account's
// "forgot password") are not: their links are secrets never kept, expire within hours, and the
// person asks again from the sign-in page. Each requeue is an audit event on the account.
import { Types } from 'mongoose';
import type { Context } from '../context.ts';
import { MailLog } from '../../models/mail-log.ts';
import { User } from '../../models/user.ts';
import { recordAudit } from '../audit/index.ts';
import { isLocale, DEFAULT_LOCALE } from '../i18n/index.ts';
import { oweNewInvitation, type MailDeps, type OwedMail, type PendingAccountMail } from './mail.ts';
import { isIdText } from '../support/object-id.js';

/** The account e-mails an administrator's action owes: the only ones a requeue sends again. */
export const REQUEUEABLE_ACCOUNT_TEMPLATES: ReadonlySet<string> = new Set(['invitation', 'role_changed', 'account_disabled', 'account_enabled', 'second_factor_reset']);

/** Later e-mails that make one out of date: of the same kind (a disabling and an enabling are one kind). */
const SUPERSEDED_BY: Record<string, string[]> = {
  invitation: ['invitation'],
  role_changed: ['role_changed'],
  account_disabled: ['account_disabled', 'account_enabled'],
  account_enabled: ['account_disabled', 'account_enabled'],
  second_factor_reset: ['second_factor_reset'],
};

interface LoggedAccountMail {
  _id: unknown;
  source: string;
  key: string;
  template: string;
  to: string;
  locale: string;
  status: string;
  queuedAt?: Date | null;
  at: Date;
  data?: unknown;
}

/** The account an owed e-mail's key names (mail.ts composed: account.<user id>.<template>.<id>). */
function accountIdOf(key: string): string | undefined {
  const id = key.split('.')[1];
  return id && isIdText(id) ? id : undefined;
}

/** Why this dead account e-mail cannot be sent again (a message key under mailLog.accountRequeue), or undefined when it can. */
export async function accountRequeueRefusal(entry: LoggedAccountMail): Promise<string | undefined> {
  if (!REQUEUEABLE_ACCOUNT_TEMPLATES.has(entry.template)) return 'mailLog.accountRequeue.askAgain';
  const userId = accountIdOf(entry.key);
  const user = userId ? await User.findById(userId, { disabledAt: 1, passwordHash: 1 }).lean() : null;
  if (!user) return 'mailLog.accountRequeue.noAccount';
  const later = await MailLog.exists({
    source: 'account',
    key: { $regex: `^account\\.${userId}\\.` },
    template: { $in: SUPERSEDED_BY[entry.template] ?? [] },
    _id: { $ne: entry._id as never },
    queuedAt: { $gt: entry.queuedAt ?? entry.at },
  });
  if (entry.template === 'invitation') {
    if (user.disabledAt) return 'mailLog.accountRequeue.invitationDisabled';
    if (user.passwordHash) return 'mailLog.accountRequeue.invitationAccepted';
    if (later) return 'mailLog.accountRequeue.newerInvitation';
    return undefined;
  }
  if (!entry.data || typeof entry.data !== 'object' || !(entry.data as { name?: unknown }).name) return 'mailLog.accountRequeue.notKept';
  if (later) return 'mailLog.accountRequeue.outOfDate';
  // Disabled since (or, for the disabling's own news, enabled since): what it says is no longer so.
  if (entry.template === 'account_disabled' ? !user.disabledAt : !!user.disabledAt) return 'mailLog.accountRequeue.outOfDate';
  return undefined;
}

export type AccountRequeueResult = { ok: true; owed: OwedMail; renewed: boolean } | { ok: false; reason: string };

/**
 * Puts a dead account e-mail back on its account (the route sends it after its answer; the
 * account-mail job if this process stops first). The log's row goes from dead to pending in one
 * conditional write first, so two administrators clicking at once requeue it once.
 */
export async function requeueAccountMail(opts: { app: MailDeps; ctx: Context; entry: LoggedAccountMail }): Promise<AccountRequeueResult> {
  const { app, ctx, entry } = opts;
  if (entry.source !== 'account' || entry.status !== 'dead') return { ok: false, reason: 'mailLog.notRequeued' };
  const reason = await accountRequeueRefusal(entry);
  if (reason) return { ok: false, reason };
  const userId = accountIdOf(entry.key)!;
  const now = ctx.now;
  if (entry.template === 'invitation') {
    const user = await User.findById(userId);
    if (!user) return { ok: false, reason: 'mailLog.accountRequeue.noAccount' };
    // Only while still invited and enabled (accepted or disabled meanwhile: not owed).
    const mail = await oweNewInvitation({ app, ctx, user: user as never, still: { disabledAt: null } });
    if (!mail) return { ok: false, reason: 'mailLog.accountRequeue.invitationAccepted' };
    await recordAudit(ctx, { action: 'email.requeue', targetType: 'user', targetId: userId, summary: { key: entry.key, template: entry.template, from: 'mail_log', renewedAs: mail.key } });
    return { ok: true, owed: { userId: new Types.ObjectId(userId), mail, now }, renewed: true };
  }
  const { name, ...data } = entry.data as Record<string, unknown>;
  const claimed = await MailLog.updateOne({ _id: entry._id as never, status: 'dead' }, { $set: { status: 'pending', attempts: 0, at: now } });
  if (claimed.modifiedCount !== 1) return { ok: false, reason: 'mailLog.notRequeued' };
  const user = await User.findById(userId, { email: 1 }).lean();
  const mail: PendingAccountMail = {
    key: entry.key,
    template: entry.template as PendingAccountMail['template'],
    // The account's address now (an administrator may have corrected it since).
    to: user?.email ?? entry.to,
    name: String(name),
    locale: isLocale(entry.locale) ? entry.locale : DEFAULT_LOCALE,
    data,
    at: entry.queuedAt ?? entry.at,
    leaseUntil: null,
    attempts: 0,
    nextAttemptAt: now,
    logId: String(entry._id),
  };
  const pushed = await User.updateOne({ _id: userId, 'pendingMails.key': { $ne: entry.key } }, { $push: { pendingMails: mail } }, { timestamps: false });
  if (pushed.modifiedCount !== 1) {
    await MailLog.updateOne({ _id: entry._id as never, status: 'pending', attempts: 0 }, { $set: { status: 'dead', at: now } });
    return { ok: false, reason: 'mailLog.notRequeued' };
  }
  await recordAudit(ctx, { action: 'email.requeue', targetType: 'user', targetId: userId, summary: { key: entry.key, template: entry.template, from: 'mail_log' } });
  return { ok: true, owed: { userId: new Types.ObjectId(userId), mail, now }, renewed: false };
}
