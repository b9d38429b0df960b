// The outbox dispatcher (DESIGN.md §6–§7). E-mails owed by case changes sit in Case.outbox,
// written atomically with the change. A dispatcher claims ONE item at a time with a lease (an
// atomic findOneAndUpdate on the array element), renders it, sends it with the item's key as the
// Message-ID, then records the outcome: sent, retry later (exponential backoff) or dead. Several
// app instances never send the same item while its lease runs; an instance that crashes mid-send
// leaves a lease that expires, and the item is claimed again: sent again with the same Message-ID,
// unless the mail log already says it was sent (the crash came after the SMTP server accepted it:
// alreadySent), when that is recorded on the case without a second send.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import mongoose from 'mongoose';
import type { AppContext } from '../deps.ts';
import type { PendingAudit } from '../audit/index.ts';
import type { BackgroundService } from '../services.ts';
import { Case } from '../../models/case.ts';
import { User } from '../../models/user.ts';
import { MailLog } from '../../models/mail-log.ts';
import { renderEmail } from '../mail/render.ts';
import { isLocale, DEFAULT_LOCALE } from '../i18n/index.ts';
import { messageIdFor } from './item.ts';
import { logCaseMail, type CaseMailOutcome } from '../mail-log/record.ts';
import { addressDigest, needsAddressing } from '../cases/message-digest.ts';
import { isId } from '../support/object-id.js';

export { caseEmail, messageIdFor, outboxKey, type OutboxItem, type Recipient } from './item.ts';

export interface DispatchOptions {
  /** Who holds the lease (an instance name); each claim adds a unique token to it. */
  owner: string;
  now?: Date;
  /** How long a claim keeps other dispatchers away; longer than one SMTP attempt can take. */
  leaseMs?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  maxAttempts?: number;
  /** At most this many items per run (the loop comes back for the rest). */
  limit?: number;
  /** Only these cases (tests that share a database with other test files). */
  caseIds?: unknown[];
  /** True once the dispatcher is asked to stop: a sent e-mail's record is then tried no more (see recordSent). */
  stopping?: () => boolean;
}

export const OUTBOX_DEFAULTS = {
  leaseMs: 120_000,
  baseDelayMs: 30_000,
  maxDelayMs: 3_600_000,
  maxAttempts: 8,
  limit: 100,
};

export interface DispatchResult {
  sent: number;
  retried: number;
  dead: number;
}

export type FailureKind = 'retry' | 'permanent';

const TRANSIENT_CODES = new Set(['ECONNECTION', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ESOCKET', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'EDNS', 'EPROTOCOL']);

/**
 * SMTP 4xx replies, refused or dropped connections and timeouts are worth retrying; 5xx replies
 * and authentication failures will not get better by themselves.
 */
export function classifySmtpError(err: unknown): FailureKind {
  const e = (err ?? {}) as { responseCode?: number; code?: string; message?: string };
  if (e.code === 'EAUTH' || e.responseCode === 535 || e.responseCode === 534 || e.responseCode === 530) return 'permanent';
  if (typeof e.responseCode === 'number' && e.responseCode >= 500) return 'permanent';
  if (isTransientSmtpError(e)) return 'retry';
  if (e.code === 'EENVELOPE' || e.code === 'EMESSAGE') return 'permanent';
  // Unknown errors are retried: the attempt limit still bounds them, and nothing is lost.
  return 'retry';
}

/**
 * A 4xx reply, a refused or dropped connection, a timeout: worth trying again. Also what the mail
 * log reads back from a recorded error's text (server/mail-log/failures.ts).
 */
export function isTransientSmtpError(e: { responseCode?: number; code?: string; message?: string }): boolean {
  if (typeof e.responseCode === 'number' && e.responseCode >= 400 && e.responseCode < 500) return true;
  if (e.code && TRANSIENT_CODES.has(e.code)) return true;
  return /ECONNREFUSED|ECONNRESET|ETIMEDOUT|timed? ?out|closed unexpectedly|socket hang up/i.test(String(e.message ?? ''));
}

export function backoffMs(attemptsSoFar: number, base = OUTBOX_DEFAULTS.baseDelayMs, cap = OUTBOX_DEFAULTS.maxDelayMs): number {
  return Math.min(cap, base * 2 ** Math.max(0, attemptsSoFar - 1));
}

/**
 * About when the sender gives up on an e-mail that failed its `attempts`-th try at `at`, with the
 * backoff and attempt limit it actually runs with (a deployment's OUTBOX_* settings): the mail log
 * keeps it on the row, so the page's "tried again until about…" is the sender's, not a guess.
 */
export function givesUpAround(at: Date, attempts: number, o: { baseDelayMs?: number; maxDelayMs?: number; maxAttempts?: number } = {}): Date {
  let ms = at.getTime();
  for (let k = Math.max(1, attempts); k < (o.maxAttempts ?? OUTBOX_DEFAULTS.maxAttempts); k++) ms += backoffMs(k, o.baseDelayMs, o.maxDelayMs);
  return new Date(ms);
}

/** A send's error as the mail log keeps it: `<responseCode> <code> <message>` (read back by server/mail-log/failures.ts). */
export function describeSmtpError(err: unknown): string {
  const e = err as { responseCode?: number; code?: string; message?: string };
  return [e?.responseCode, e?.code, e?.message].filter((x) => x !== undefined && x !== '').join(' ').slice(0, 500) || 'unknown error';
}

interface ClaimedItem {
  caseId: mongoose.Types.ObjectId;
  reference?: string;
  institute?: unknown;
  createdAt?: Date;
  key: string;
  token: string;
  template: string;
  to: string;
  locale: string;
  data: Record<string, unknown>;
  attempts: number;
}

/**
 * Claims one due item (pending, due, no live lease) for `token`, or returns null. The claim is one
 * atomic update of the matching array element; the claimed item is then read back by its token.
 * (Two steps rather than findOneAndUpdate: the embedded server answers null to a
 * findOneAndUpdate whose update makes the $elemMatch stop matching, as the lease does here.)
 */
async function claimOne(token: string, now: Date, leaseMs: number, caseIds?: unknown[]): Promise<ClaimedItem | null> {
  const res = await Case.updateOne(
    {
      ...(caseIds ? { _id: { $in: caseIds } } : {}),
      outbox: {
        $elemMatch: {
          status: 'pending',
          nextAttemptAt: { $lte: now },
          $or: [{ leaseUntil: null }, { leaseUntil: { $lte: now } }],
        },
      },
    },
    // leaseUntil (a matched field) is written last; see record().
    { $set: { 'outbox.$.leaseOwner': token, 'outbox.$.leaseUntil': new Date(now.getTime() + leaseMs) } },
    { timestamps: false },
  );
  if (res.modifiedCount !== 1) return null;
  // The claimed item is still pending: that condition lets { outbox.status, outbox.nextAttemptAt } serve the read.
  const doc = await Case.findOne({ outbox: { $elemMatch: { status: 'pending', leaseOwner: token } } }, { outbox: 1, reference: 1, institute: 1 }).lean();
  const item = doc?.outbox.find((i) => i.leaseOwner === token);
  if (!doc || !item) return null;
  return {
    caseId: doc._id,
    reference: doc.reference,
    institute: doc.institute,
    createdAt: item.createdAt,
    key: item.key,
    token,
    template: item.template,
    to: item.to,
    locale: item.locale,
    data: (item.data ?? {}) as Record<string, unknown>,
    attempts: item.attempts ?? 0,
  };
}

/** Records the outcome only if we still hold the lease (another dispatcher may have taken over). */
async function record(item: ClaimedItem, set: Record<string, unknown>, releaseLease = true): Promise<boolean> {
  const $set: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(set)) $set[`outbox.$.${k}`] = v;
  // The lease is released in the same $set, the matched field (leaseOwner) LAST: the embedded
  // server resolves the positional `$` again for each path, against the document as modified so far.
  if (releaseLease) Object.assign($set, { 'outbox.$.leaseUntil': null, 'outbox.$.leaseOwner': null });
  const res = await Case.updateOne({ _id: item.caseId, outbox: { $elemMatch: { key: item.key, leaseOwner: item.token } } }, { $set }, { timestamps: false });
  return res.modifiedCount === 1;
}

/**
 * Records a sent e-mail, trying again while the database does not answer (paused, failing over),
 * until the claim's lease (`until`, by the real clock) ends: given up sooner, the lease would run
 * out and the e-mail be sent a second time once the database is back
 * (test/drills/database-pause.test.ts). A stop request ends the tries too: a shutdown does not wait
 * out a lease (a supervisor would kill it first). The mail log's row, written before the first try
 * and perhaps lost with it, is written again once recorded.
 */
async function recordSent(ctx: AppContext, item: ClaimedItem, set: Record<string, unknown>, until: number, stopping: () => boolean, logAgain: () => Promise<void>): Promise<void> {
  for (let tries = 1; ; tries++) {
    try {
      await record(item, set);
      if (tries > 1) {
        await logAgain();
        ctx.logger.info({ key: item.key, tries }, 'outbox: sent e-mail recorded once the database answered');
      }
      return;
    } catch (err) {
      if (Date.now() >= until || stopping()) {
        ctx.logger.error({ err, key: item.key }, 'outbox: e-mail sent but not recorded before its lease ended; it will be sent again with the same Message-ID');
        throw err;
      }
      ctx.logger.warn({ err, key: item.key, tries }, 'outbox: e-mail sent but not recorded yet (database not answering); trying again');
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/**
 * The mail log's record of this item sent (written once the SMTP server accepted it, just before the
 * case records it): a process killed in between left the item pending with a lease, and claimed
 * again after the lease it would be sent a second time (test/drills/planned-start-crash.test.ts
 * phase 3). Only a kill between the server's acceptance and this row's write still sends it twice,
 * with the same Message-ID.
 */
async function alreadySent(item: ClaimedItem): Promise<{ attempts?: number | null; at?: Date | null; sentAt?: Date | null; messageId?: string | null } | null> {
  return MailLog.findOne({ source: 'case', case: item.caseId, key: item.key, status: 'sent' }, { attempts: 1, at: 1, sentAt: 1, messageId: 1 }).lean();
}

/** Sends every due item once (up to `limit`), one claim at a time. */
export async function dispatchOnce(ctx: AppContext, opts: DispatchOptions): Promise<DispatchResult> {
  const o = { ...OUTBOX_DEFAULTS, ...opts };
  const result: DispatchResult = { sent: 0, retried: 0, dead: 0 };
  for (let i = 0; i < o.limit; i++) {
    const now = opts.now ?? ctx.now();
    const token = `${o.owner}#${randomUUID()}`;
    const claimedAt = Date.now();
    const item = await claimOne(token, now, o.leaseMs, opts.caseIds);
    if (!item) break;
    const attempts = item.attempts + 1;
    const sentBefore = await alreadySent(item);
    if (sentBefore) {
      const at = sentBefore.sentAt ?? sentBefore.at ?? now;
      await recordSent(ctx, item, { status: 'sent', attempts: sentBefore.attempts ?? attempts, lastAttemptAt: sentBefore.at ?? at, sentAt: at, messageId: sentBefore.messageId ?? messageIdFor(item.key) }, claimedAt + o.leaseMs, opts.stopping ?? (() => false), async () => undefined);
      ctx.logger.warn({ key: item.key }, 'outbox: e-mail sent by a stopped process before it was recorded: recorded now, not sent again');
      continue;
    }
    // A digest of the applicant's messages goes to whoever is to be told now, not when it was opened.
    const addressed = needsAddressing(item) ? await addressDigest(item, now) : undefined;
    if (addressed === 'lost') continue;
    if (addressed && addressed !== 'nobody' && addressed !== 'covered') Object.assign(item, addressed);
    // The mail log's row for this outcome, written just before the outcome is recorded on the case.
    const log = (o: Partial<CaseMailOutcome> & Pick<CaseMailOutcome, 'status'>) =>
      logCaseMail(ctx.logger, {
        caseId: item.caseId,
        reference: item.reference,
        institute: item.institute,
        key: item.key,
        template: item.template,
        to: item.to,
        locale: item.locale,
        queuedAt: item.createdAt,
        attempts,
        at: now,
        ...(item.data.toAdmins === true ? { toAdmins: true } : {}),
        ...o,
      });
    if (addressed === 'covered') {
      // A retry finds every reader with their own copy of these messages (the one it was addressed to
      // is no longer to be told): sending it would tell someone a second time.
      const lastError = 'not sent: every HR reader to be told has these messages in their own e-mail';
      await log({ status: 'dead', lastError });
      await record(item, { status: 'dead', attempts: item.attempts, lastAttemptAt: now, lastError });
      result.dead += 1;
      continue;
    }
    if (addressed === 'nobody') {
      const lastError = 'no one in HR to tell (no officer, HR lead, HR e-mail or administrator)';
      await log({ status: 'dead', lastError });
      await record(item, { status: 'dead', attempts, lastAttemptAt: now, lastError });
      result.dead += 1;
      continue;
    }
    // A staff member disabled after the e-mail was queued (a panel digest, a reminder): not sent. Queued
    // while SMTP was down, it could otherwise reach someone who has left, hours later, with the names
    // of candidates (security review s37). Applicants' e-mails are settled when queued, as before.
    if (await User.exists({ email: item.to.toLowerCase(), role: { $ne: 'applicant' }, disabledAt: { $ne: null } })) {
      const lastError = 'not sent: the recipient\'s account was disabled after the e-mail was queued';
      await log({ status: 'dead', lastError });
      await record(item, { status: 'dead', attempts, lastAttemptAt: now, lastError });
      result.dead += 1;
      continue;
    }
    const language = isLocale(item.locale) ? item.locale : DEFAULT_LOCALE;
    let rendered;
    try {
      rendered = await renderEmail(item.template, language, item.data);
      if (rendered.fellBack) ctx.logger.error({ key: item.key, template: item.template, error: rendered.fellBack }, 'outbox: the edited template failed on this e-mail; the built-in one was sent');
    } catch (err) {
      // A template that cannot render will not render on a retry either.
      ctx.logger.error({ err, key: item.key, template: item.template }, 'outbox: cannot render e-mail');
      const lastError = `render: ${describeSmtpError(err)}`;
      await log({ status: 'dead', lastError });
      await record(item, { status: 'dead', attempts, lastAttemptAt: now, lastError });
      result.dead += 1;
      continue;
    }
    const messageId = messageIdFor(item.key);
    // What the recipient gets, kept on the mail log's row with the outcome (the log shows it, never a render of today).
    const shown = { subject: rendered.subject, templateVersion: rendered.version, sent: { text: rendered.text, html: rendered.html } };
    let sent: { messageId: string };
    try {
      sent = await ctx.mailer.send({ to: item.to, subject: rendered.subject, text: rendered.text, html: rendered.html, messageId, language });
    } catch (err) {
      const kind = classifySmtpError(err);
      const lastError = describeSmtpError(err);
      if (kind === 'permanent' || attempts >= o.maxAttempts) {
        await log({ ...shown, status: 'dead', lastError });
        await record(item, { status: 'dead', attempts, lastAttemptAt: now, lastError });
        ctx.logger.warn({ key: item.key, to: item.to, attempts, lastError }, 'outbox: e-mail is dead');
        result.dead += 1;
      } else {
        const nextAttemptAt = new Date(now.getTime() + backoffMs(attempts, o.baseDelayMs, o.maxDelayMs));
        await log({ ...shown, status: 'pending', lastError, retryUntil: givesUpAround(now, attempts, o) });
        await record(item, { attempts, lastAttemptAt: now, lastError, nextAttemptAt });
        ctx.logger.info({ key: item.key, attempts, nextAttemptAt, lastError }, 'outbox: e-mail will be retried');
        result.retried += 1;
      }
      continue;
    }
    // Sent: from here a failure is the database's, never the e-mail's (it must not count as a failed send).
    const sentAt = opts.now ?? ctx.now();
    const outcome = { ...shown, status: 'sent' as const, sentAt, messageId: sent.messageId || messageId };
    await log(outcome);
    await recordSent(ctx, item, { status: 'sent', attempts, lastAttemptAt: now, sentAt, messageId: outcome.messageId }, claimedAt + o.leaseMs, opts.stopping ?? (() => false), () => log(outcome));
    result.sent += 1;
  }
  return result;
}

/** Puts a dead e-mail back in the queue (administrator action). True when one was requeued. */
export async function requeueDead(caseId: unknown, key: string, now: Date = new Date(), audit?: PendingAudit): Promise<boolean> {
  if (!isId(caseId)) return false;
  const res = await Case.updateOne(
    { _id: caseId, outbox: { $elemMatch: { key, status: 'dead' } } },
    // status (a matched field) is written last; see record(). The requeue's audit event, when given,
    // goes with it (server/cases/pending-audit.ts).
    { $set: { 'outbox.$.attempts': 0, 'outbox.$.nextAttemptAt': now, 'outbox.$.leaseOwner': null, 'outbox.$.leaseUntil': null, 'outbox.$.status': 'pending' }, ...(audit ? { $push: { pendingAudits: audit } } : {}) },
    { timestamps: false },
  );
  return res.modifiedCount === 1;
}

export interface DeadMessage {
  caseId: string;
  reference: string;
  institute: string;
  key: string;
  template: string;
  to: string;
  locale: string;
  attempts: number;
  lastError?: string;
  lastAttemptAt?: Date;
  createdAt: Date;
}

/** Dead e-mails across every case, newest first (admin page). */
export async function deadMessages(limit = 200): Promise<DeadMessage[]> {
  const cases = await Case.find({ 'outbox.status': 'dead' }, { reference: 1, institute: 1, outbox: 1 }).limit(limit).lean();
  const out: DeadMessage[] = [];
  for (const c of cases) {
    for (const i of c.outbox) {
      if (i.status !== 'dead') continue;
      out.push({
        caseId: String(c._id),
        reference: c.reference,
        institute: String(c.institute),
        key: i.key,
        template: i.template,
        to: i.to,
        locale: i.locale,
        attempts: i.attempts ?? 0,
        lastError: i.lastError ?? undefined,
        lastAttemptAt: i.lastAttemptAt ?? undefined,
        createdAt: i.createdAt,
      });
    }
  }
  return out.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime()).slice(0, limit);
}

/**
 * Counts by status across every case (admin overview). Pending and dead items are few and found
 * through the index on outbox.status (only the cases holding one are unwound); sent e-mails are
 * counted in the mail log (its status index), never by unwinding every case's outbox.
 */
export async function outboxCounts(): Promise<Record<'pending' | 'sent' | 'dead', number>> {
  const inOutbox = async (status: 'pending' | 'dead') => {
    const rows = await Case.aggregate<{ n: number }>([
      { $match: { 'outbox.status': status } },
      { $unwind: '$outbox' },
      { $match: { 'outbox.status': status } },
      { $group: { _id: null, n: { $sum: 1 } } },
    ]);
    return rows[0]?.n ?? 0;
  };
  const [pending, dead, sent] = await Promise.all([inOutbox('pending'), inOutbox('dead'), MailLog.countDocuments({ source: 'case', status: 'sent' })]);
  return { pending, sent, dead };
}

export function instanceName(): string {
  return `${hostname()}-${process.pid}`;
}

/** The dispatcher as a background service: runs every config.dispatchIntervalMs with config.outbox's lease and backoff (not started). */
export function dispatcherService(ctx: AppContext, options: Partial<DispatchOptions> = {}): BackgroundService {
  const { leaseMs, retryBaseMs, retryMaxMs, maxAttempts } = ctx.config.outbox;
  const opts: Partial<DispatchOptions> = { leaseMs, baseDelayMs: retryBaseMs, maxDelayMs: retryMaxMs, ...(maxAttempts ? { maxAttempts } : {}), ...options };
  const owner = opts.owner ?? `${instanceName()}-${randomUUID().slice(0, 8)}`;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let stopped = true;
  const tick = () => {
    running = dispatchOnce(ctx, { ...opts, owner, stopping: () => stopped })
      .catch((err: unknown) => ctx.logger.error({ err }, 'outbox: dispatch run failed'))
      .finally(() => {
        running = undefined;
        if (!stopped) timer = setTimeout(tick, ctx.config.dispatchIntervalMs);
      });
  };
  return {
    name: 'outbox-dispatcher',
    start() {
      if (!stopped) return;
      stopped = false;
      timer = setTimeout(tick, 0);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}

/** Starts a dispatcher loop now (tests and scripts); main.ts runs it through server/services.ts. */
export function startDispatcher(ctx: AppContext, opts: Partial<DispatchOptions> = {}): BackgroundService {
  const s = dispatcherService(ctx, opts);
  s.start();
  return s;
}
