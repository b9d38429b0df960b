// Builds the outbox items a case change owes; they are pushed in the same atomic update as the
// change itself (server/workflow), so an e-mail exists if and only if the change happened.
import type { Locale } from '../i18n/index.ts';
import { isLocale, DEFAULT_LOCALE } from '../i18n/index.ts';

export interface OutboxItem {
  key: string;
  template: string;
  to: string;
  locale: Locale;
  data: Record<string, unknown>;
  createdAt: Date;
  attempts: number;
  nextAttemptAt: Date;
  status: 'pending' | 'sent' | 'dead';
}

export interface Recipient {
  email: string;
  locale?: string | null;
}

/** The Message-ID an item is always sent with, so a retry is recognisably the same e-mail. */
export function messageIdFor(key: string): string {
  return `<${key}@talent.local>`;
}

/** Idempotency keys go into a Message-ID: keep them to letters, digits, dot, dash, underscore. */
export function outboxKey(...parts: Array<string | number>): string {
  return parts.map((p) => String(p).replace(/[^A-Za-z0-9._-]/g, '-')).join('.');
}

/**
 * The e-mail a case change wrote (its key carries the version the change made: caseId.version.…), if
 * any: the page that made the change says who is being e-mailed, whatever the mail server does.
 */
export function emailOfVersion(c: { _id: unknown; version: number; outbox?: ReadonlyArray<{ key: string; to: string }> | null }): { to: string } | undefined {
  const item = (c.outbox ?? []).find((o) => o.key.startsWith(`${String(c._id)}.${c.version}.`));
  return item ? { to: item.to } : undefined;
}

/** The language a recipient is written to: theirs, else the default. */
export function recipientLocale(to: Recipient): Locale {
  return isLocale(to.locale) ? to.locale : DEFAULT_LOCALE;
}

/**
 * An outbox item for one e-mail. `key` must be unique per case event (e.g. caseId.version.template);
 * the dispatcher uses it as the Message-ID.
 */
export function caseEmail(to: Recipient, template: string, data: Record<string, unknown>, key: string, now: Date = new Date()): OutboxItem {
  return {
    key,
    template,
    to: to.email.toLowerCase(),
    locale: recipientLocale(to),
    data,
    createdAt: now,
    attempts: 0,
    nextAttemptAt: now,
    status: 'pending',
  };
}
