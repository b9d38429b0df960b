// An administrator's decision about an account (a role change, a disabling, an enabling, a second
// factor reset) is audited with its reason, but the account's write and the audit event are two
// writes with no transaction between them, and a role change or a disabling returns the person's
// cases in between. So the event, with the reason and what changed, is part of the account's own
// write (`pendingAudit`, captured with pendingAudit() from server/audit); settleAccountAudit records
// it once the rest is done and clears it. A process that dies before that leaves the event on the
// account, and recordPendingAccountAudits (a background job, first run soon after start) records it
// as it was captured (with `recordedByRepair`: what only the request would have added is missing,
// such as the count of cases the repair of stranded cases returned and audits itself). The e-mail
// telling the person is kept on the account the same way (`pendingMails`, mail.ts, as is an
// invitation); the request sends it after its answer, and the account-mail job (job.ts) sends one
// left behind or due again after a transient failure (sendPendingAccountMails). The grace is counted
// on the app's clock (its `now`, a test's when set) from the decision's time on that clock.
import type { Types } from 'mongoose';
import { User } from '../../models/user.ts';
import { recordPendingAudit, type PendingAudit } from '../audit/index.ts';
import { PENDING_AUDIT_GRACE_MS, type PendingAuditRepair } from '../audit/pending-carrier.ts';
import type { Logger } from '../logger.ts';
import { sendPendingAccountMail, type MailDeps, type PendingAccountMail } from './mail.ts';

// The grace (a request's few writes; ten seconds is far beyond one still running) is the cases' and documents' too.
export { PENDING_AUDIT_GRACE_MS, type PendingAuditRepair };

/** Records the decision's event with what was learnt after the write (`more`), then clears it from the account. */
export async function settleAccountAudit(opts: { userId: Types.ObjectId; pending: PendingAudit; more?: Record<string, unknown> }): Promise<void> {
  await recordPendingAudit(opts.pending, { targetType: 'user', targetId: String(opts.userId) }, opts.more);
  // Clearing is bookkeeping, not a change of the account: a form built on its version stays good.
  await User.updateOne({ _id: opts.userId, 'pendingAudit.eventId': opts.pending.eventId }, { $unset: { pendingAudit: 1 } }, { timestamps: false });
}

/**
 * Records the decisions left unaudited by a process that stopped after the account's write (older
 * than `olderThanMs`, so a request still running elsewhere finishes its own), and clears them. Safe
 * twice or on two instances at once: an event is stored under its own id, once.
 */
export async function recordPendingAccountAudits(opts: { now: Date; olderThanMs?: number; logger?: Logger }): Promise<PendingAuditRepair> {
  const cutoff = new Date(opts.now.getTime() - (opts.olderThanMs ?? PENDING_AUDIT_GRACE_MS));
  // An event written before decidedAt existed has only its real time: the same in production.
  const left = await User.find({ $or: [{ 'pendingAudit.decidedAt': { $lt: cutoff } }, { 'pendingAudit.decidedAt': null, 'pendingAudit.at': { $lt: cutoff } }] }, { pendingAudit: 1 }).lean();
  const result: PendingAuditRepair = { recorded: 0, cleared: 0 };
  for (const u of left) {
    const pending = u.pendingAudit as unknown as PendingAudit | undefined;
    if (!pending) continue;
    const recorded = await recordPendingAudit(pending, { targetType: 'user', targetId: String(u._id) }, { recordedByRepair: true });
    await User.updateOne({ _id: u._id, 'pendingAudit.eventId': pending.eventId }, { $unset: { pendingAudit: 1 } }, { timestamps: false });
    if (recorded) result.recorded += 1;
    else result.cleared += 1;
  }
  if (result.recorded) opts.logger?.warn({ ...result }, 'account decisions left unaudited by a stopped process recorded');
  return result;
}

/**
 * Sends the e-mails administrators' actions owe that are due: left unsent by a process that stopped
 * after the account's write (a first attempt older than `olderThanMs` on the app's clock, so a
 * request still sending its own after its answer is left to it), or due again after a transient
 * failure (their backoff has passed). Each is claimed before it is sent (sendPendingAccountMail), so
 * two runs at once, or a run and a slow request, send it once. Returns how many went.
 */
export async function sendPendingAccountMails(opts: { app: MailDeps; now: Date; olderThanMs?: number; userIds?: unknown[] }): Promise<number> {
  // Only these accounts: tests that share a database with other test files.
  const only = opts.userIds ? { _id: { $in: opts.userIds } } : {};
  await adoptLegacyPendingMails(opts.now, only);
  const cutoff = new Date(opts.now.getTime() - (opts.olderThanMs ?? PENDING_AUDIT_GRACE_MS));
  const due = (m: PendingAccountMail) => (m.nextAttemptAt ?? m.at) <= opts.now && ((m.attempts ?? 0) > 0 || m.at < cutoff);
  // The dotted condition, implied by the $elemMatch, names the sparse index that serves the read.
  const left = await User.find({ ...only, 'pendingMails.nextAttemptAt': { $lte: opts.now }, pendingMails: { $elemMatch: { nextAttemptAt: { $lte: opts.now }, $or: [{ attempts: { $gt: 0 } }, { at: { $lt: cutoff } }] } } }, { pendingMails: 1 }).lean();
  let sent = 0;
  let leftBehind = 0;
  for (const u of left) {
    for (const mail of (u.pendingMails ?? []) as unknown as PendingAccountMail[]) {
      if (!due(mail)) continue;
      const outcome = await sendPendingAccountMail({ app: opts.app, userId: u._id, mail, now: opts.now });
      if (outcome !== 'sent') continue;
      sent += 1;
      if (!mail.attempts) leftBehind += 1;
    }
  }
  if (leftBehind) opts.app.logger.warn({ sent: leftBehind }, 'account decision e-mails left unsent by a stopped process sent');
  if (sent > leftBehind) opts.app.logger.info({ sent: sent - leftBehind }, 'account e-mails sent on a later attempt');
  return sent;
}

/**
 * An e-mail left by a version that kept one at a time (`pendingMail`) joins the list, with its key
 * (its Message-ID) and its lease: sent as any other, once.
 */
async function adoptLegacyPendingMails(now: Date, only: Record<string, unknown>): Promise<void> {
  const legacy = await User.find({ ...only, 'pendingMail.at': { $lte: now } }, { pendingMail: 1 }).lean();
  for (const u of legacy) {
    const mail = u.pendingMail as unknown as PendingAccountMail | undefined;
    if (!mail) continue;
    await User.updateOne(
      { _id: u._id, 'pendingMail.key': mail.key },
      { $unset: { pendingMail: 1 }, $push: { pendingMails: { ...mail, attempts: 0, nextAttemptAt: mail.at } } },
      { timestamps: false },
    );
  }
}
