// Account e-mails (verification, password reset, invitation, each with a fresh one-time link; a
// changed role or institute; an administrator's decision about the account), in the recipient's language. They are not case e-mails, so they go straight to the mailer, not
// through a case's outbox; a failure is logged and reported, never thrown. What an administrator's
// action owes (an invitation, a decision's news) is composed with the action and kept on the account,
// written in the action's own update (`pendingMails`), and sent after the answer: the administrator
// never waits for the SMTP server (its timeout is 15 s). A process that dies in between, or a
// transient SMTP failure, leaves it to the account-mail job (pending-audit.ts), which sends it once,
// under the same Message-ID, with the outbox's backoff; a permanent failure stays in the mail log.
import type { AppContext } from '../deps.ts';
import type { Context } from '../context.ts';
import type { UserDoc } from '../../models/user.ts';
import { createHmac } from 'node:crypto';
import { Types } from 'mongoose';
import { Institute } from '../../models/institute.ts';
import { renderEmail } from '../mail/render.ts';
import { logAccountMail, logOwedAccountMail } from '../mail-log/record.ts';
import { DEFAULT_LOCALE, isLocale, translator, type Locale } from '../i18n/index.ts';
import { messageIdFor, outboxKey } from '../outbox/item.ts';
import { backoffMs, classifySmtpError, describeSmtpError, givesUpAround, OUTBOX_DEFAULTS } from '../outbox/index.ts';
import { User, isStaff } from '../../models/user.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import { issueKnownToken, issueToken, TOKEN_TTL_MS } from './tokens.ts';
import { FEED_ROLES } from '../calendar-feed/service.ts';

export type MailDeps = Pick<AppContext, 'config' | 'logger' | 'mailer'>;

type Recipient = { email: string; name: string; locale?: string | null; role?: string | null };

function localeOf(user: { locale?: string | null }): Locale {
  return isLocale(user.locale) ? user.locale : DEFAULT_LOCALE;
}

/**
 * How an account e-mail calls its reader (`{{you}}` in the templates): in Vietnamese, applicants
 * (scientists) formally "Ông/Bà"; staff "Anh/Chị", as the workflow e-mails to staff do. E-mails
 * composed before the variable existed said "Ông/Bà" to everyone (server/mail/render.ts LEGACY_DATA).
 */
export function youFor(role: string | null | undefined, locale: Locale): string {
  if (locale !== 'vi') return 'you';
  return isStaff(role ? { role } : undefined) ? 'Anh/Chị' : 'Ông/Bà';
}

/** The account e-mails (views/emails/<template>); the mail log lists them as such (server/mail-log/present.ts). */
export const ACCOUNT_TEMPLATES = ['verify_email', 'password_reset', 'invitation', 'role_changed', 'account_disabled', 'account_enabled', 'second_factor_reset', 'account_disabled_reset'] as const;
type AccountTemplate = (typeof ACCOUNT_TEMPLATES)[number];

/**
 * The account e-mails whose content the mail log keeps (and shows): those with no one-time link or
 * token. Kept: role_changed, account_disabled, account_enabled and second_factor_reset (their only
 * links are the sign-in and calendar pages, open to anyone) and account_disabled_reset (a disabled
 * account's "forgot password": no link at all). Not kept: verify_email, password_reset and
 * invitation, whose links are secrets the database keeps only hashed (server/accounts/tokens.ts).
 */
export const KEPT_ACCOUNT_TEMPLATES: ReadonlySet<string> = new Set<AccountTemplate>(['role_changed', 'account_disabled', 'account_enabled', 'second_factor_reset', 'account_disabled_reset']);

async function sendAccountMail(opts: { app: MailDeps; template: AccountTemplate; to: Recipient; data: Record<string, unknown>; messageId?: string }): Promise<boolean> {
  const { app, template, to } = opts;
  // The mail log keeps who was sent what and when; what it was rendered from only when that holds no one-time link.
  const data = { name: to.name, ...(to.role ? { you: youFor(to.role, localeOf(to)) } : {}), ...opts.data };
  const log = { template, to: to.email, locale: localeOf(to), at: new Date(), data: KEPT_ACCOUNT_TEMPLATES.has(template) ? data : undefined };
  let subject: string | undefined;
  try {
    const rendered = await renderEmail(template, localeOf(to), data);
    subject = rendered.subject;
    await app.mailer.send({ to: to.email, subject: rendered.subject, text: rendered.text, html: rendered.html, language: localeOf(to), messageId: opts.messageId });
    await logAccountMail(app.logger, { ...log, ok: true, subject, templateVersion: rendered.version });
    return true;
  } catch (err) {
    app.logger.error({ err, template }, 'account e-mail could not be sent');
    await logAccountMail(app.logger, { ...log, ok: false, subject, error: String((err as Error)?.message ?? err) });
    return false;
  }
}

/** Account e-mails sent after the answer (sendInBackground), until they are sent or have failed. */
const pending = new Set<Promise<unknown>>();

/**
 * Sends an account e-mail once the answer has gone out ('close': sent, or the client left). Used
 * where the answer must not depend on whether an account exists (registration, "forgot password",
 * "send the link again"): awaiting the token and the SMTP exchange only for a known address made
 * it ~10 times slower to answer (178 against 17 ms), and even started alongside the answer they
 * delayed it by ~3 ms. A failure is logged (sendAccountMail), never thrown.
 */
export function sendAfterAnswer(res: { once(event: 'close', listener: () => void): unknown }, app: MailDeps, send: (() => Promise<unknown>) | undefined): void {
  if (!send) return;
  res.once('close', () => sendInBackground(app, send));
}

function sendInBackground(app: MailDeps, send: () => Promise<unknown>): void {
  const work = send()
    .catch((err: unknown) => app.logger.error({ err }, 'account e-mail could not be sent'))
    .finally(() => pending.delete(work));
  pending.add(work);
}

/** Resolves once every account e-mail started in the background is sent or has failed (shutdown). */
export async function settleAccountMail(): Promise<void> {
  await Promise.allSettled([...pending]);
}

export async function sendVerificationMail(opts: { app: MailDeps; ctx: Context; user: UserDoc }): Promise<boolean> {
  const token = await issueToken({ purpose: 'verify_email', userId: opts.user._id, now: opts.ctx.now });
  return sendAccountMail({
    app: opts.app,
    template: 'verify_email',
    to: opts.user,
    data: { link: `${opts.app.config.appUrl}/verify-email/${token}`, hours: TOKEN_TTL_MS.verify_email / 3_600_000 },
  });
}

/** `existingAccount`: sent instead of a verification when someone registers an address that has an account. */
export async function sendPasswordResetMail(opts: { app: MailDeps; ctx: Context; user: UserDoc; existingAccount?: boolean }): Promise<boolean> {
  const token = await issueToken({ purpose: 'password_reset', userId: opts.user._id, now: opts.ctx.now });
  return sendAccountMail({
    app: opts.app,
    template: 'password_reset',
    to: opts.user,
    data: {
      link: `${opts.app.config.appUrl}/password/reset/${token}`,
      minutes: TOKEN_TTL_MS.password_reset / 60_000,
      ...(opts.existingAccount ? { existingAccount: true } : {}),
    },
  });
}

/** Where a staff member stands, as the role-change e-mail names it (server/accounts/role-change.ts). */
interface MailedPlacement {
  role: string;
  institute?: string;
  isHrLead: boolean;
}

/** An e-mail an administrator's action owes, as composed with it, kept on the account until sent or failed for good (models/user.ts pendingMails). */
export interface PendingAccountMail {
  /** Its idempotency key: the Message-ID it is sent with, every time (messageIdFor). */
  key: string;
  template: OwedTemplate;
  to: string;
  name: string;
  locale: Locale;
  data: Record<string, unknown>;
  /** When the action was taken, by the app's clock: the job leaves a first attempt to its request for a grace. */
  at: Date;
  /** Someone is sending it until then (the request, or the job after it): no one else does meanwhile. */
  leaseUntil?: Date | null;
  /** Failed attempts so far; the next one is not before nextAttemptAt (the outbox's backoff). */
  attempts?: number;
  nextAttemptAt?: Date;
  lastError?: string;
  /** Its row in the mail log, written as queued with the action: the administrator's page links to it. */
  logId?: string;
}

type DecisionTemplate = 'role_changed' | 'account_disabled' | 'account_enabled' | 'second_factor_reset';
type OwedTemplate = DecisionTemplate | 'invitation';

/**
 * How long a sender keeps the e-mail to itself unless configured (OUTBOX_LEASE_MS, as the case
 * outbox's): far more than one SMTP exchange (the configuration asks for 4 × SMTP_TIMEOUT_MS at
 * least), so only a sender that died lets it go to the next one.
 */
export const PENDING_MAIL_LEASE_MS = 120_000;

function composed(opts: { ctx: Context; user: UserDoc }, template: OwedTemplate, data: Record<string, unknown>): PendingAccountMail {
  const { user } = opts;
  return {
    key: outboxKey('account', String(user._id), template, new Types.ObjectId().toHexString()),
    template,
    to: user.email,
    name: user.name,
    locale: localeOf(user),
    data: { you: youFor(user.role, localeOf(user)), ...data },
    at: opts.ctx.now,
    attempts: 0,
    nextAttemptAt: opts.ctx.now,
    logId: new Types.ObjectId().toHexString(),
  };
}

/**
 * The invitation's link, derived from the e-mail's key with the app's secret: every attempt at the
 * same e-mail carries the same link (a copy the SMTP server took just before a crash still works),
 * and the database keeps only its hash (tokens.ts issueKnownToken), never the link itself.
 */
function linkTokenFor(app: Pick<AppContext, 'config'>, mail: PendingAccountMail): string {
  return createHmac('sha256', app.config.sessionSecret).update(`account-mail-link:${mail.key}`).digest('base64url');
}

/**
 * The invitation, from the inviter (the context's actor), naming the role and the institute in the
 * invitee's language: composed with the account (or with the "send again"), sent after the answer.
 * Its one-time link is made when it is sent (linkTokenFor), so it is never stored.
 */
export async function invitationMail(opts: { ctx: Context; user: UserDoc; instituteName?: { vi?: string; en?: string } }): Promise<PendingAccountMail> {
  const { user } = opts;
  const locale = localeOf(user);
  let name = opts.instituteName;
  if (!name && user.institute) name = (await Institute.findById(user.institute).lean())?.name ?? undefined;
  return composed(opts, 'invitation', {
    days: TOKEN_TTL_MS.invitation / 86_400_000,
    inviterName: opts.ctx.actor?.name,
    roleName: translator(locale)(`accounts.roles.${user.role}`),
    instituteName: name ? name[locale] || name.en || name.vi : undefined,
  });
}

/**
 * The mail log's row for an e-mail just owed (queued): what the administrator's page links to, and
 * where they see it sent or failed. Written after the account's write; a row already there (the
 * job was quicker) is left as it is.
 */
export async function logOwedMail(app: MailDeps, mail: PendingAccountMail): Promise<void> {
  await logOwedAccountMail(app.logger, { ...owedLogFields(mail), status: 'pending', attempts: 0, at: mail.at, queued: true });
}

function owedLogFields(mail: PendingAccountMail) {
  // As sendAccountMail keeps it: what it was rendered from, only when that holds no one-time link.
  return { key: mail.key, logId: mail.logId, template: mail.template, to: mail.to, locale: mail.locale, queuedAt: mail.at, data: KEPT_ACCOUNT_TEMPLATES.has(mail.template) ? { name: mail.name, ...mail.data } : undefined };
}

/**
 * A new invitation owed to an account still invited (no password; `still`: what else it must still
 * be): pushed on the account, an older one still waiting withdrawn (its link is replaced), and its
 * mail-log row written as queued. Null when the account no longer matches (accepted meanwhile).
 * "Send the invitation again" (service.ts) and a requeue from the mail log (requeue.ts) both owe one so.
 */
export async function oweNewInvitation(opts: { app: MailDeps; ctx: Context; user: UserDoc; still?: Record<string, unknown> }): Promise<PendingAccountMail | null> {
  const { app, ctx, user } = opts;
  const mail = await invitationMail({ ctx, user });
  const owed = (await User.findOneAndUpdate({ _id: user._id, passwordHash: null, ...opts.still }, { $push: { pendingMails: mail } }, { timestamps: false, returnDocument: 'after' }).lean()) as { pendingMails?: PendingAccountMail[] } | null;
  if (!owed) return null;
  const replaced = (owed.pendingMails ?? []).filter((m) => m.template === 'invitation' && m.key !== mail.key);
  await withdrawOwedMails(app, user._id, replaced, 'not sent: replaced by a newer invitation', ctx.now);
  await logOwedMail(app, mail);
  return mail;
}

/**
 * E-mails owed no more (an invitation replaced by a newer one, or whose account was disabled): taken
 * off the account, and their mail-log rows say why they were not sent, rather than pending forever.
 */
export async function withdrawOwedMails(app: MailDeps, userId: unknown, mails: PendingAccountMail[], reason: string, now: Date): Promise<void> {
  if (!mails.length) return;
  await User.updateOne({ _id: userId }, { $pull: { pendingMails: { key: { $in: mails.map((m) => m.key) } } } }, { timestamps: false });
  for (const mail of mails) await logOwedAccountMail(app.logger, { ...owedLogFields(mail), status: 'dead', attempts: mail.attempts ?? 0, at: now, error: reason });
}

/** What became of one try at an owed e-mail: sent, to be tried again, failed for good, or someone else's (held, or gone). */
export type PendingMailOutcome = 'sent' | 'retry' | 'dead' | 'held';

/**
 * Sends an e-mail kept on the account (`userId`) if it is due and no one else is sending it. Sent:
 * removed from the account. A transient failure (a hung or refusing server: classifySmtpError) is
 * kept with the outbox's backoff for the account-mail job, up to the outbox's attempts; a permanent
 * one is removed. Either way the mail log's row says so, with the error: where the administrator
 * looks. A process that dies after the SMTP server took it and before removing it leaves it to be
 * sent again when the lease ends, with the same Message-ID, as the case outbox does. None of these
 * writes is a change of the account: a form built on its version stays good.
 */
export async function sendPendingAccountMail(opts: { app: MailDeps; userId: unknown; mail: PendingAccountMail; now: Date }): Promise<PendingMailOutcome> {
  const { app, now } = opts;
  const key = opts.mail.key;
  const claimed = await User.updateOne(
    { _id: opts.userId, pendingMails: { $elemMatch: { key, $and: [{ $or: [{ leaseUntil: null }, { leaseUntil: { $lte: now } }] }, { $or: [{ nextAttemptAt: null }, { nextAttemptAt: { $lte: now } }] }] } } },
    { $set: { 'pendingMails.$.leaseUntil': new Date(now.getTime() + (app.config.outbox?.leaseMs ?? PENDING_MAIL_LEASE_MS)) } },
    { timestamps: false },
  );
  if (claimed.modifiedCount !== 1) return 'held';
  // As stored now (its attempts), and whether an invitation is still owed.
  const account = await User.findById(opts.userId, { pendingMails: 1, disabledAt: 1, passwordHash: 1 }).lean();
  const mail = (account?.pendingMails as unknown as PendingAccountMail[] | undefined)?.find((m) => m.key === key);
  if (!account || !mail) return 'held';
  const attempts = (mail.attempts ?? 0) + 1;
  const done = () => User.updateOne({ _id: opts.userId }, { $pull: { pendingMails: { key } } }, { timestamps: false });
  const log = (o: { status: 'pending' | 'sent' | 'dead'; error?: string; subject?: string; templateVersion?: number; messageId?: string; retryUntil?: Date }) =>
    logOwedAccountMail(app.logger, { ...owedLogFields(mail), ...o, attempts, at: now, ...(o.status === 'sent' ? { sentAt: now } : {}) });

  let data = mail.data;
  if (mail.template === 'invitation') {
    // Disabled since (its links went), or a password set since: the invitation is owed no more.
    if (account.disabledAt || account.passwordHash) {
      await log({ status: 'dead', error: account.disabledAt ? 'not sent: the account was disabled' : 'not sent: the invitation was already accepted' });
      await done();
      return 'dead';
    }
    const raw = linkTokenFor(app, mail);
    await issueKnownToken({ purpose: 'invitation', userId: opts.userId as string, raw, now });
    data = { ...data, link: `${app.config.appUrl}/invitations/${raw}` };
  }
  let rendered: Awaited<ReturnType<typeof renderEmail>> | undefined;
  try {
    rendered = await renderEmail(mail.template, mail.locale, { name: mail.name, ...data });
    await app.mailer.send({ to: mail.to, subject: rendered.subject, text: rendered.text, html: rendered.html, language: mail.locale, messageId: messageIdFor(key) });
  } catch (err) {
    const error = describeSmtpError(err);
    // A template that does not render will not render next time either.
    const permanent = !rendered || classifySmtpError(err) === 'permanent' || attempts >= maxAttempts(app);
    app.logger.error({ err, template: mail.template, key, attempts, permanent }, 'account e-mail could not be sent');
    const retryUntil = permanent ? undefined : givesUpAround(now, attempts, { baseDelayMs: app.config.outbox?.retryBaseMs, maxDelayMs: app.config.outbox?.retryMaxMs, maxAttempts: maxAttempts(app) });
    await log({ status: permanent ? 'dead' : 'pending', error: rendered ? error : `render: ${error}`, subject: rendered?.subject, templateVersion: rendered?.version, ...(retryUntil ? { retryUntil } : {}) });
    if (permanent) await done();
    else {
      const nextAttemptAt = new Date(now.getTime() + backoffMs(attempts, app.config.outbox?.retryBaseMs, app.config.outbox?.retryMaxMs));
      await User.updateOne(
        { _id: opts.userId, 'pendingMails.key': key },
        { $set: { 'pendingMails.$.attempts': attempts, 'pendingMails.$.nextAttemptAt': nextAttemptAt, 'pendingMails.$.lastError': error, 'pendingMails.$.leaseUntil': null } },
        { timestamps: false },
      );
    }
    return permanent ? 'dead' : 'retry';
  }
  await log({ status: 'sent', subject: rendered.subject, templateVersion: rendered.version, messageId: messageIdFor(key) });
  await done();
  return 'sent';
}

function maxAttempts(app: MailDeps): number {
  return app.config.outbox?.maxAttempts ?? OUTBOX_DEFAULTS.maxAttempts;
}

/**
 * An e-mail an administrator's action owes, written with it: the route sends it after its answer
 * (sendOwedAfterAnswer), and the administrator's message links to its mail-log row (`mail.logId`).
 */
export interface OwedMail {
  userId: unknown;
  mail: PendingAccountMail;
  /** The action's time (the app's clock): the e-mail is due from then. */
  now: Date;
}

/** Sends an owed e-mail once the answer has gone out: the administrator's page never waits for the SMTP server. */
export function sendOwedAfterAnswer(res: { once(event: 'close', listener: () => void): unknown }, app: MailDeps & { now?: () => Date }, owed: OwedMail): void {
  // The app's clock when it is sent (a retry's backoff counts from the attempt), never before the action's.
  const now = () => new Date(Math.max(owed.now.getTime(), app.now?.().getTime() ?? 0));
  sendAfterAnswer(res, app, () => sendPendingAccountMail({ app, userId: owed.userId, mail: owed.mail, now: now() }));
}

/**
 * What an administrator (the context's actor) changed and from when, in the recipient's language:
 * their role and institute before and now. The reason is not in it: it is written for the audit
 * log, by and for administrators.
 */
export async function roleChangedMail(opts: {
  app: Pick<AppContext, 'config'>;
  ctx: Context;
  user: UserDoc;
  before: MailedPlacement;
  after: MailedPlacement;
  panelsLeft: number;
  /** The change ended their calendar feed: the e-mail says to make a new one. */
  calendarFeedEnded?: boolean;
}): Promise<PendingAccountMail> {
  const { user, before, after } = opts;
  const locale = localeOf(user);
  const t = translator(locale);
  const ids = [before.institute, after.institute].filter((id): id is string => !!id);
  const institutes = ids.length ? await Institute.find({ _id: { $in: ids } }, { name: 1 }).lean() : [];
  const instituteName = (id?: string) => {
    const name = id ? institutes.find((i) => String(i._id) === id)?.name : undefined;
    return name ? name[locale] || name.en || name.vi || undefined : undefined;
  };
  const roleName = (p: MailedPlacement) => (p.isHrLead ? t('accounts.roleChange.roleWithLead', { role: t(`accounts.roles.${p.role}`) }) : t(`accounts.roles.${p.role}`));
  return composed(opts, 'role_changed', {
    changedByName: opts.ctx.actor?.name,
    changedAt: opts.ctx.now,
    oldRoleName: roleName(before),
    oldInstituteName: instituteName(before.institute),
    roleName: roleName(after),
    instituteName: instituteName(after.institute),
    // The evaluation panels they were taken off (their scorecards stay): as the confirmation page and the flash say it.
    panelsLeft: opts.panelsLeft,
    link: `${opts.app.config.appUrl}/signin`,
    calendarFeedEnded: opts.calendarFeedEnded === true,
    // Only where the new role may have a feed (an administrator has none).
    calendarLink: (FEED_ROLES as readonly string[]).includes(after.role) ? `${opts.app.config.appUrl}/account/calendar` : undefined,
  });
}

/**
 * Whom the person is told to write to about an administrator's decision on their account: the
 * address configured for it (ADMIN_CONTACT_EMAIL), else the administrator who decided (named in
 * the e-mail anyway, and the one who can answer for it). Not the institute: an institute has no
 * contact address of its own (models/institute.ts), and only an administrator can undo the decision.
 */
export function accountContact(app: Pick<AppContext, 'config'>, ctx: Context): { email?: string; name?: string } {
  if (app.config.adminContactEmail) return { email: app.config.adminContactEmail };
  return { email: ctx.actor?.email, name: ctx.actor?.name };
}

/**
 * An administrator's decision about the account, e-mailed to its owner: who decided, when, and whom
 * to write to, with what the template adds. The reason is never in it, on purpose: it is written for
 * the audit log, by and for administrators, and may quote internal notes or what a colleague
 * reported; the person asks the contact, who can say what may be said.
 */
function accountDecisionMail(opts: { app: Pick<AppContext, 'config'>; ctx: Context; user: UserDoc }, template: 'account_disabled' | 'account_enabled' | 'second_factor_reset', data: Record<string, unknown>): PendingAccountMail {
  const contact = accountContact(opts.app, opts.ctx);
  return composed(opts, template, { decidedByName: opts.ctx.actor?.name, decidedAt: opts.ctx.now, contactEmail: contact.email, contactName: contact.name, ...data });
}

/** The account was disabled: from when, and what stopped with it. */
export function accountDisabledMail(opts: { app: Pick<AppContext, 'config'>; ctx: Context; user: UserDoc; calendarFeedEnded: boolean }): PendingAccountMail {
  return accountDecisionMail(opts, 'account_disabled', { calendarFeedEnded: opts.calendarFeedEnded });
}

/**
 * The account was enabled again: they can sign in (or, invited and never signed in, need a new
 * invitation: the old link went with the disabling).
 */
export function accountEnabledMail(opts: { app: Pick<AppContext, 'config'>; ctx: Context; user: UserDoc }): PendingAccountMail {
  return accountDecisionMail(opts, 'account_enabled', { invited: !opts.user.passwordHash, link: `${opts.app.config.appUrl}/signin` });
}

/**
 * The account's second factor was reset: they set up an authenticator again after their password,
 * their sessions ended, and (if they had one) their calendar address stopped. If they did not ask
 * for it, whoever did may be trying to take the account: the e-mail says whom to tell at once.
 */
export function secondFactorResetMail(opts: { app: Pick<AppContext, 'config'>; ctx: Context; user: UserDoc; calendarFeedEnded: boolean }): PendingAccountMail {
  return accountDecisionMail(opts, 'second_factor_reset', {
    link: `${opts.app.config.appUrl}/signin`,
    calendarFeedEnded: opts.calendarFeedEnded,
    calendarLink: (FEED_ROLES as readonly string[]).includes(opts.user.role) ? `${opts.app.config.appUrl}/account/calendar` : undefined,
  });
}

/**
 * Whom a disabled account's owner is told to write to when they come back (sign-in with the right
 * password, "forgot password"): the same contact as the account_disabled e-mail named, the address
 * configured for it (ADMIN_CONTACT_EMAIL), else the administrator who disabled the account (from the
 * audit event of the decision), while that administrator's own account is enabled. Empty otherwise:
 * the texts then say "an administrator of the programme".
 */
export async function disabledAccountContact(app: Pick<AppContext, 'config'>, userId: unknown): Promise<{ email?: string; name?: string }> {
  if (app.config.adminContactEmail) return { email: app.config.adminContactEmail };
  const decision = await AuditEvent.findOne({ targetType: 'user', targetId: String(userId), action: 'user.disabled' }, { actor: 1 }).sort({ at: -1 }).lean();
  const admin = decision?.actor ? await User.findById(decision.actor, { email: 1, name: 1, role: 1, disabledAt: 1 }).lean() : null;
  return admin && admin.role === 'admin' && !admin.disabledAt ? { email: admin.email, name: admin.name } : {};
}

/**
 * "Forgot password" for a disabled account: no link (a reset would not let them in), but what they
 * need instead: the account is disabled, since when, and whom to write to. Sent after the answer,
 * as a reset e-mail is, so the page and its timing are the same for every address.
 */
export async function sendDisabledAccountMail(opts: { app: MailDeps; user: UserDoc }): Promise<boolean> {
  const contact = await disabledAccountContact(opts.app, opts.user._id);
  return sendAccountMail({ app: opts.app, template: 'account_disabled_reset', to: opts.user, data: { disabledAt: opts.user.disabledAt, contactEmail: contact.email, contactName: contact.name } });
}
