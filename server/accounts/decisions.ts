// An administrator's decisions about someone's account besides its role (server/accounts/role-change.ts):
// disabling it, enabling it again, resetting its second factor. Each is taken on a page that says what it will do, with a reason
// in the administrator's words (the role change's rules: forms.ts decisionReason), and written only
// on the account as that page showed it (its updatedAt, as the role change: any write to the account
// since, another administrator's or the person's own sign-in, makes the form stale). Each is audited
// with its reason, the event written with the account (pending-audit.ts) so that no crash leaves the
// decision unaudited, and the person is e-mailed in their language (without the reason: mail.ts),
// the e-mail too written with the account and sent after the answer (mail.ts), so that no crash
// leaves it unsent and no hung SMTP server keeps the administrator waiting.
import type { Context } from '../context.ts';
import { actorOf } from '../context.ts';
import { User, type UserDoc } from '../../models/user.ts';
import { ConflictError, ForbiddenError, NotFoundError } from '../errors.ts';
import { authorize } from '../policies/index.ts';
import { pendingAudit } from '../audit/index.ts';
import { settleAccountAudit } from './pending-audit.ts';
import type { FieldErrorKeys, FormResult } from '../http/forms.ts';
import { END_SESSIONS, findUser } from './service.ts';
import { otherAdministrator, seenOf } from './role-change.ts';
import { revokePasswordLinks } from './tokens.ts';
import { accountDisabledMail, accountEnabledMail, logOwedMail, secondFactorResetMail, withdrawOwedMails, type MailDeps, type OwedMail, type PendingAccountMail } from './mail.ts';
import { hasSecondFactor } from './totp.ts';
import { countCasesLeaving, returnCasesToQueue } from '../cases/commands.ts';
import { END_FEED, hasFeed } from '../calendar-feed/service.ts';

export type AccountDecision = 'disable' | 'enable' | 'resetSecondFactor';

/** Who may take it (the policy's verb) and, refused for their own account, the message saying so. */
const RULES: Record<AccountDecision, { ability: 'user.disable' | 'user.enable' | 'user.resetSecondFactor'; self?: string; already: string }> = {
  disable: { ability: 'user.disable', self: 'accounts.admin.cannotDisableSelf', already: 'accounts.disable.already' },
  enable: { ability: 'user.enable', already: 'accounts.enable.already' },
  resetSecondFactor: { ability: 'user.resetSecondFactor', self: 'accounts.admin.cannotResetSelf', already: 'accounts.resetSecondFactor.already' },
};

/** The account as a decision's page shows it. */
export interface DecisionSubject {
  id: string;
  name: string;
  email: string;
  locale: string;
  role: string;
  disabledAt?: Date;
  /** Invited, never accepted (no password): enabled again, they need a new invitation. */
  invited: boolean;
  seen: number;
}

/** What the decision will do, counted on the account as it is now. */
export interface DecisionEffects {
  /** Open cases assigned to them that go back to the queue. */
  casesToQueue: number;
  /** They have a calendar feed, which ends. */
  calendarFeedEnds: boolean;
}

export interface DecisionPage {
  decision: AccountDecision;
  subject: DecisionSubject;
  effects: DecisionEffects;
  /** What the decision would do is already so (disabled already): the page says it, and offers nothing to confirm. */
  already: boolean;
}

/** What was sent: the reason as the form's schema read it, and the version of the account the page was built on. */
export interface DecisionRequest {
  form: FormResult<{ reason: string }>;
  seen: number;
}

/** A decision the form can fix (the reason): shown again with these errors, beside the account as it is. */
export type DecisionRefused = { ok: false; page: DecisionPage; errors: FieldErrorKeys };

function subjectOf(u: UserDoc): DecisionSubject {
  return { id: String(u._id), name: u.name, email: u.email, locale: u.locale ?? 'vi', role: u.role, disabledAt: u.disabledAt ?? undefined, invited: !u.passwordHash, seen: seenOf(u) };
}

function isAlready(decision: AccountDecision, u: UserDoc): boolean {
  switch (decision) {
    case 'disable':
      return !!u.disabledAt;
    case 'enable':
      return !u.disabledAt;
    case 'resetSecondFactor':
      return !hasSecondFactor(u);
  }
}

async function pageOf(decision: AccountDecision, user: UserDoc): Promise<DecisionPage> {
  const already = isAlready(decision, user);
  const effects: DecisionEffects = { casesToQueue: 0, calendarFeedEnds: false };
  if (!already && decision === 'disable') effects.casesToQueue = await countCasesLeaving({ assignee: user._id });
  if (!already && decision !== 'enable') effects.calendarFeedEnds = hasFeed(user);
  return { decision, subject: subjectOf(user), effects, already };
}

/** Refused with the reason in words: one's own account. */
function authorizeDecision(ctx: Context, decision: AccountDecision, user: UserDoc): void {
  const { ability, self } = RULES[decision];
  if (self) authorize(actorOf(ctx), ability, user, self);
  else authorize(actorOf(ctx), ability, user);
}

/** The decision's page (its form and what it will do): only when the actor may take it. */
export async function openDecision(opts: { ctx: Context; decision: AccountDecision; userId: string }): Promise<DecisionPage> {
  const user = await findUser({ userId: opts.userId });
  authorizeDecision(opts.ctx, opts.decision, user);
  return pageOf(opts.decision, user);
}

/** The page as it is now, for a refused form shown again (administrators see every account). */
export async function decisionPage(opts: { ctx: Context; decision: AccountDecision; userId: string }): Promise<DecisionPage> {
  const user = await findUser({ userId: opts.userId });
  authorize(actorOf(opts.ctx), 'user.view', user);
  return pageOf(opts.decision, user);
}

/**
 * Every rule, on the account as read now, in the order an administrator would fix them: whose
 * account it is, already so, a stale form (thrown: the form cannot fix them), then the reason, then
 * the last administrator (thrown).
 */
async function check(ctx: Context, decision: AccountDecision, user: UserDoc, request: DecisionRequest): Promise<{ ok: true; reason: string } | DecisionRefused> {
  authorizeDecision(ctx, decision, user);
  // Before the version: the same form sent twice (a double click) says what is now true.
  if (isAlready(decision, user)) throw new ConflictError(RULES[decision].already);
  if (seenOf(user) !== request.seen) throw new ConflictError('accounts.decision.stale');
  if (!request.form.ok) return { ok: false, page: await pageOf(decision, user), errors: request.form.errors };
  if (decision === 'disable' && user.role === 'admin' && !(await otherAdministrator(user._id))) throw new ForbiddenError('accounts.disable.lastAdmin');
  return { ok: true, reason: request.form.data.reason };
}

/** Why a conditional write matched nothing: the decision was taken meanwhile, or the account changed. */
async function conflictNow(decision: AccountDecision, userId: unknown): Promise<ConflictError> {
  const current = (await User.findById(userId)) as UserDoc | null;
  if (!current) throw new NotFoundError();
  return new ConflictError(isAlready(decision, current) ? RULES[decision].already : 'accounts.decision.stale');
}

/**
 * Disables the account, with the administrator's reason, if it is still as the page showed it. The
 * write bumps the epoch (the sessions end at their next request) and ends the calendar feed; then
 * the unused reset and invitation links go, so that enabling it again brings none of them back (a
 * feed is made again by its owner), and the open cases assigned to it go back to the queue,
 * unassigned (as a role change does): nobody who can no longer sign in keeps a case. Audited with
 * the reason; the e-mail telling the person is owed (`owed`), sent after the answer.
 */
export async function disableAccount(
  opts: { app: MailDeps; ctx: Context; userId: string } & DecisionRequest,
): Promise<{ ok: true; subject: DecisionSubject; casesToQueue: number; owed: OwedMail } | DecisionRefused> {
  const { ctx } = opts;
  const user = await findUser({ userId: opts.userId });
  const checked = await check(ctx, 'disable', user, opts);
  if (!checked.ok) return checked;
  const calendarFeedEnded = hasFeed(user); // as read: the write is conditional on its version
  const audit = pendingAudit(ctx, { action: 'user.disabled', summary: { reason: checked.reason, ...(calendarFeedEnded ? { calendarFeedEnded } : {}) } });
  const mail = accountDisabledMail({ app: opts.app, ctx, user, calendarFeedEnded });
  // Only from the state and the version the page showed, in the write itself: two requests at once
  // cannot both pass a check made before it. The audit event and the e-mail go in the same write.
  const updated = (await User.findOneAndUpdate(
    { _id: user._id, disabledAt: null, updatedAt: user.updatedAt ?? { $exists: false } },
    { $set: { disabledAt: ctx.now, pendingAudit: audit }, $push: { pendingMails: mail }, $inc: END_SESSIONS, $unset: END_FEED },
    { returnDocument: 'after' },
  )) as UserDoc | null;
  if (!updated) throw await conflictNow('disable', user._id);
  // Two administrators disabling each other at the same moment both passed the check; the one who
  // looks last finds no administrator left and enables this account again (as a role change does),
  // with no event to record.
  if (user.role === 'admin' && !(await otherAdministrator(user._id))) {
    await User.updateOne({ _id: user._id, 'pendingAudit.eventId': audit.eventId }, { $unset: { disabledAt: 1, pendingAudit: 1 }, $pull: { pendingMails: { key: mail.key } } });
    throw new ForbiddenError('accounts.disable.lastAdmin');
  }
  const passwordLinksRevoked = await revokePasswordLinks({ userId: user._id });
  // An invitation still waiting for the SMTP server goes with its link (its sender checks too).
  const invitations = ((updated.pendingMails ?? []) as unknown as PendingAccountMail[]).filter((m) => m.template === 'invitation');
  await withdrawOwedMails(opts.app, user._id, invitations, 'not sent: the account was disabled', ctx.now);
  // After the account is disabled, not before: assigning a case takes only an enabled officer
  // (server/cases/commands.ts), so none is given to them after this runs. No transaction makes the
  // two writes one: an assignment that checked them just before the disabling and lands just after,
  // or a crash before this line, leaves cases with them, which the repair job returns
  // (server/cases/stranded.ts); the disabling's event is then recorded by pending-audit.ts.
  const casesToQueue = await returnCasesToQueue({ ctx, assignee: user._id, reason: 'account_disabled', name: user.name });
  await settleAccountAudit({ userId: user._id, pending: audit, more: { casesToQueue, ...(passwordLinksRevoked ? { passwordLinksRevoked } : {}) } });
  await logOwedMail(opts.app, mail);
  return { ok: true, subject: subjectOf(updated), casesToQueue, owed: { userId: user._id, mail, now: ctx.now } };
}

/**
 * Enables the account again, with the administrator's reason, if it is still as the page showed
 * it. What disabling ended stays ended (the sessions, the feed, the links, the cases given back to
 * the queue): they sign in again with their password (and second factor), or, never having accepted
 * their invitation, need a new one. Audited with the reason, and the person is told by e-mail (owed).
 */
export async function enableAccount(opts: { app: MailDeps; ctx: Context; userId: string } & DecisionRequest): Promise<{ ok: true; subject: DecisionSubject; owed: OwedMail } | DecisionRefused> {
  const { ctx } = opts;
  const user = await findUser({ userId: opts.userId });
  const checked = await check(ctx, 'enable', user, opts);
  if (!checked.ok) return checked;
  const audit = pendingAudit(ctx, { action: 'user.enabled', summary: { reason: checked.reason } });
  const mail = accountEnabledMail({ app: opts.app, ctx, user });
  const updated = (await User.findOneAndUpdate(
    { _id: user._id, disabledAt: { $ne: null }, updatedAt: user.updatedAt ?? { $exists: false } },
    { $unset: { disabledAt: 1 }, $set: { pendingAudit: audit }, $push: { pendingMails: mail } },
    { returnDocument: 'after' },
  )) as UserDoc | null;
  if (!updated) throw await conflictNow('enable', user._id);
  await settleAccountAudit({ userId: user._id, pending: audit });
  await logOwedMail(opts.app, mail);
  return { ok: true, subject: subjectOf(updated), owed: { userId: user._id, mail, now: ctx.now } };
}

/**
 * Removes the account's second factor (for someone who lost both their authenticator and their
 * recovery codes), with the administrator's reason, if the account is still as the page showed it.
 * The same write ends their sessions and their calendar feed, as a password reset does: whoever
 * asked for this may not be the owner (the feed's URL works without a session, and the e-mail
 * telling the owner is how they would find out). At their next sign-in, after the password, they
 * must enrol again. Audited with the reason, and the person is told by e-mail (owed).
 */
export async function resetSecondFactor(opts: { app: MailDeps; ctx: Context; userId: string } & DecisionRequest): Promise<{ ok: true; subject: DecisionSubject; owed: OwedMail } | DecisionRefused> {
  const { ctx } = opts;
  const user = await findUser({ userId: opts.userId });
  const checked = await check(ctx, 'resetSecondFactor', user, opts);
  if (!checked.ok) return checked;
  const calendarFeedEnded = hasFeed(user);
  const audit = pendingAudit(ctx, { action: 'user.second_factor_reset', summary: { reason: checked.reason, ...(calendarFeedEnded ? { calendarFeedEnded } : {}) } });
  const mail = secondFactorResetMail({ app: opts.app, ctx, user, calendarFeedEnded });
  const updated = (await User.findOneAndUpdate(
    { _id: user._id, updatedAt: user.updatedAt ?? { $exists: false } },
    { $unset: { totp: 1, ...END_FEED }, $set: { pendingAudit: audit }, $push: { pendingMails: mail }, $inc: END_SESSIONS },
    { returnDocument: 'after' },
  )) as UserDoc | null;
  if (!updated) throw await conflictNow('resetSecondFactor', user._id);
  await settleAccountAudit({ userId: user._id, pending: audit });
  await logOwedMail(opts.app, mail);
  return { ok: true, subject: subjectOf(updated), owed: { userId: user._id, mail, now: ctx.now } };
}
