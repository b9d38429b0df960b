// Writes the mail log (models/mail-log.ts). Case e-mails: the outbox dispatcher calls
// logCaseMail with each outcome (retry, sent, dead) just before it records that outcome on the
// case, so a crash between the two leaves the log ahead by one status, never behind: a row that
// says sent keeps the item from being sent again (server/outbox alreadySent: the case is brought
// level); any other is updated in place by the next attempt (one row per case and key). Account e-mails:
// logAccountMail after the mailer answered; those an administrator's action owes, logOwedAccountMail
// as queued with the action, then with each attempt's outcome (one row per e-mail and key). A
// failure to log is reported, never thrown (the e-mail matters more than its log line).
import { randomUUID } from 'node:crypto';
import { Types } from 'mongoose';
import type { Logger } from '../logger.ts';
import { KEPT_HTML_MAX, KEPT_TEXT_MAX, MailLog } from '../../models/mail-log.ts';

export { KEPT_HTML_MAX, KEPT_TEXT_MAX };

export interface CaseMailOutcome {
  caseId: unknown;
  reference?: string;
  institute?: unknown;
  key: string;
  template: string;
  to: string;
  locale: string;
  queuedAt?: Date;
  status: 'pending' | 'sent' | 'dead';
  attempts: number;
  at: Date;
  sentAt?: Date;
  lastError?: string;
  /** Pending after a failed try: about when the sender gives up (server/outbox givesUpAround). */
  retryUntil?: Date;
  messageId?: string;
  subject?: string;
  templateVersion?: number;
  /** Sent to an administrator as the HR office's fallback (models/mail-log.ts toAdmins). */
  toAdmins?: boolean;
  /** The parts this attempt sent (or tried): kept on the row, bounded (models/mail-log.ts sentText). */
  sent?: { text: string; html: string };
}

/** The sent parts as the row keeps them: the text cut to its bound, the HTML only within its own. */
function keptParts(sent: { text: string; html: string }): { $set: Record<string, unknown>; $unset: Record<string, 1> } {
  const htmlKept = sent.html.length <= KEPT_HTML_MAX;
  const cut = sent.text.length > KEPT_TEXT_MAX || !htmlKept;
  return {
    $set: { sentText: sent.text.slice(0, KEPT_TEXT_MAX), ...(htmlKept ? { sentHtml: sent.html } : {}), ...(cut ? { sentCut: true } : {}) },
    $unset: { ...(htmlKept ? {} : { sentHtml: 1 as const }), ...(cut ? {} : { sentCut: 1 as const }) },
  };
}

export async function logCaseMail(logger: Pick<Logger, 'error'>, o: CaseMailOutcome): Promise<void> {
  try {
    const $set: Record<string, unknown> = {
      reference: o.reference,
      institute: o.institute,
      template: o.template,
      to: o.to.toLowerCase(),
      locale: o.locale === 'en' ? 'en' : 'vi',
      status: o.status,
      attempts: o.attempts,
      at: o.at,
    };
    if (o.queuedAt) $set.queuedAt = o.queuedAt;
    if (o.sentAt) $set.sentAt = o.sentAt;
    if (o.lastError !== undefined) $set.lastError = o.lastError.slice(0, 1000);
    // Only a pending row after a failure has one; any other outcome clears the last one.
    if (o.status === 'pending' && o.retryUntil) $set.retryUntil = o.retryUntil;
    if (o.messageId) $set.messageId = o.messageId;
    if (o.subject !== undefined) $set.subject = o.subject.slice(0, 1000);
    if (o.templateVersion !== undefined) $set.templateVersion = o.templateVersion;
    // A digest is addressed again at each attempt (server/cases/message-digest.ts): the row follows its last reader.
    if (o.toAdmins) $set.toAdmins = true;
    // What this attempt sent replaces what an earlier one tried (a template edited in between).
    const parts = o.sent ? keptParts(o.sent) : undefined;
    if (parts) Object.assign($set, parts.$set);
    const $unset = { ...($set.retryUntil ? {} : { retryUntil: 1 }), ...(o.toAdmins ? {} : { toAdmins: 1 }), ...parts?.$unset };
    await MailLog.updateOne({ source: 'case', case: o.caseId as never, key: o.key }, { $set, ...(Object.keys($unset).length ? { $unset } : {}) }, { upsert: true });
  } catch (err) {
    logger.error({ err, key: o.key }, 'mail log: could not record a case e-mail');
  }
}

/** A dead case e-mail put back in the queue: its row says pending again, with no attempt yet. */
export async function logRequeued(caseId: unknown, key: string, at: Date): Promise<void> {
  await MailLog.updateOne({ source: 'case', case: caseId as never, key }, { $set: { status: 'pending', attempts: 0, at } });
}

export interface AccountMailOutcome {
  template: string;
  to: string;
  locale: string;
  ok: boolean;
  at: Date;
  subject?: string;
  error?: string;
  templateVersion?: number;
  /** What it was rendered from: only for an e-mail with no one-time link or token (server/accounts/mail.ts). */
  data?: Record<string, unknown>;
}

/**
 * An account e-mail an administrator's action owes (server/accounts/mail.ts sendPendingAccountMail):
 * one row per e-mail (its key, the Message-ID), written as queued with the action (`queued`: only
 * if there is none yet, so a quicker attempt's outcome is never overwritten), then with each
 * attempt's outcome: pending (to be tried again, with the error), sent, or dead (with the error).
 */
export interface OwedAccountMailOutcome {
  key: string;
  /** The row's id, known before it is written: the administrator's page links to it. */
  logId?: string;
  template: string;
  to: string;
  locale: string;
  status: 'pending' | 'sent' | 'dead';
  attempts: number;
  at: Date;
  queuedAt: Date;
  sentAt?: Date;
  error?: string;
  /** Pending after a failed try: about when the sender gives up (server/outbox givesUpAround). */
  retryUntil?: Date;
  messageId?: string;
  subject?: string;
  templateVersion?: number;
  data?: Record<string, unknown>;
  queued?: boolean;
}

export async function logOwedAccountMail(logger: Pick<Logger, 'error'>, o: OwedAccountMailOutcome): Promise<void> {
  try {
    const fixed: Record<string, unknown> = { template: o.template, to: o.to.toLowerCase(), locale: o.locale === 'en' ? 'en' : 'vi', queuedAt: o.queuedAt };
    if (o.data) fixed.data = o.data;
    const state: Record<string, unknown> = { status: o.status, attempts: o.attempts, at: o.at };
    if (o.sentAt) state.sentAt = o.sentAt;
    if (o.error !== undefined) state.lastError = o.error.slice(0, 1000);
    if (o.status === 'pending' && o.retryUntil) state.retryUntil = o.retryUntil;
    if (o.messageId) state.messageId = o.messageId;
    if (o.subject !== undefined) state.subject = o.subject.slice(0, 1000);
    if (o.templateVersion !== undefined) state.templateVersion = o.templateVersion;
    const onInsert = { ...(o.logId ? { _id: new Types.ObjectId(o.logId) } : {}), ...(o.queued ? { ...fixed, ...state } : {}) };
    const update = o.queued
      ? { $setOnInsert: onInsert }
      : { $set: { ...fixed, ...state }, ...(state.retryUntil ? {} : { $unset: { retryUntil: 1 } }), ...(o.logId ? { $setOnInsert: onInsert } : {}) };
    await MailLog.updateOne({ source: 'account', key: o.key }, update as never, { upsert: true });
  } catch (err) {
    logger.error({ err, key: o.key }, 'mail log: could not record an account e-mail');
  }
}

export async function logAccountMail(logger: Pick<Logger, 'error'>, o: AccountMailOutcome): Promise<void> {
  try {
    await MailLog.create({
      source: 'account',
      key: `account.${randomUUID()}`,
      template: o.template,
      to: o.to.toLowerCase(),
      locale: o.locale === 'en' ? 'en' : 'vi',
      status: o.ok ? 'sent' : 'dead',
      attempts: 1,
      queuedAt: o.at,
      at: o.at,
      sentAt: o.ok ? o.at : undefined,
      lastError: o.error?.slice(0, 1000),
      subject: o.subject?.slice(0, 1000),
      templateVersion: o.templateVersion ?? 0,
      data: o.data,
    });
  } catch (err) {
    logger.error({ err, template: o.template }, 'mail log: could not record an account e-mail');
  }
}
