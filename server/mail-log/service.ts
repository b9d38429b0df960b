// The mail log: every e-mail the app tried to send, for administrators (all) and HR officers
// (their institute's case e-mails). One indexed query on the mail_log collection per page, newest
// first, paged by a cursor (time and id of the last row shown) rather than by skipping rows.
import type { Context } from '../context.ts';
import { actorOf } from '../context.ts';
import { NotFoundError } from '../errors.ts';
import { authorize, can } from '../policies/index.ts';
import { caseAudit, settleCaseAudits } from '../cases/pending-audit.ts';
import { MailLog } from '../../models/mail-log.ts';
import { Case } from '../../models/case.ts';
import { User } from '../../models/user.ts';
import { requeueDead } from '../outbox/index.ts';
import { renderEmail } from '../mail/render.ts';
import { isLocale, DEFAULT_LOCALE } from '../i18n/index.ts';
import { logRequeued } from './record.ts';
import { KEPT_ACCOUNT_TEMPLATES, type MailDeps, type OwedMail } from '../accounts/mail.ts';
import { accountRequeueRefusal, requeueAccountMail } from '../accounts/requeue.ts';
import { cursorPage, NEWEST_FIRST } from '../support/cursor-page.ts';
import { isId } from '../support/object-id.js';

export const PAGE_SIZE = 50;

export interface MailLogFilters {
  to?: string;
  reference?: string;
  template?: string;
  status?: 'pending' | 'sent' | 'dead';
  /** Cursor: rows older than this one (`<ms>_<id>`). */
  before?: string;
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export type MailLogRow = Awaited<ReturnType<typeof listMailLog>>['rows'][number];

/** One page of the log in the actor's scope, newest first; `next` is the cursor of the page after. */
export async function listMailLog(opts: { ctx: Context; filters: MailLogFilters }) {
  const actor = actorOf(opts.ctx);
  authorize(actor, 'mail.list');
  const f = opts.filters;
  const and: Record<string, unknown>[] = [];
  // HR: their institute's case e-mails only (the institute index serves it).
  if (actor.role !== 'admin') and.push({ source: 'case', institute: actor.institute });
  if (f.to) {
    const to = f.to.toLowerCase();
    // A whole address is an exact match; a part is a prefix (anchored: the index on `to` serves it).
    const match = to.includes('@') && /\.[a-z]{2,}$/.test(to) ? to : { $regex: `^${escapeRegex(to)}` };
    and.push({ to: match });
    // HR officers cannot find an administrator's address by searching for it (trust-fix #4).
    if (actor.role !== 'admin') and.push({ toAdmins: { $ne: true } }, { to: { $nin: await adminAddresses({ email: match }) } });
  }
  if (f.reference) {
    const ref = f.reference.toUpperCase();
    and.push({ reference: /^TA-\d{4}-\d{6}$/.test(ref) ? ref : { $regex: `^${escapeRegex(ref)}` } });
  }
  if (f.template) and.push({ template: f.template });
  if (f.status) and.push({ status: f.status });
  const listing = await cursorPage({
    before: f.before,
    size: PAGE_SIZE,
    read: (olderThan, limit) => {
      if (olderThan) and.push(olderThan);
      return MailLog.find((and.length ? { $and: and } : {}) as never).sort(NEWEST_FIRST).limit(limit).lean();
    },
  });
  if (actor.role !== 'admin') await markAdminRecipients(listing.rows);
  return listing;
}

/** Administrators' addresses (of those matching `filter`). */
async function adminAddresses(filter: Record<string, unknown> = {}): Promise<string[]> {
  return (await User.find({ role: 'admin', ...filter }, { email: 1 }).limit(1000).lean()).map((u) => u.email);
}

/**
 * Rows written before the log kept `toAdmins` (or by a path that did not set it): a case e-mail to
 * an administrator's address was the HR office's fallback (administrators are no case's officer),
 * and reads as such to HR officers (server/policies/mail.ts readRecipient).
 */
async function markAdminRecipients(rows: Array<{ to: string; toAdmins?: boolean | null; source: string }>): Promise<void> {
  const unknown = [...new Set(rows.filter((r) => r.source === 'case' && r.toAdmins !== true).map((r) => r.to))];
  if (unknown.length === 0) return;
  const admins = new Set(await adminAddresses({ email: { $in: unknown } }));
  for (const r of rows) if (r.source === 'case' && admins.has(r.to)) r.toAdmins = true;
}

async function loadEntry(id: string) {
  if (!isId(id)) throw new NotFoundError();
  const entry = await MailLog.findById(id).lean();
  if (!entry) throw new NotFoundError();
  return entry;
}

export type MailLogEntry = Awaited<ReturnType<typeof loadEntry>>;

/** One logged e-mail the actor may see (404 otherwise). */
export async function findMailLogEntry(opts: { ctx: Context; id: string }) {
  const entry = await loadEntry(opts.id);
  authorize(actorOf(opts.ctx), 'mail.view', { source: entry.source, institute: entry.institute ?? undefined });
  if (actorOf(opts.ctx).role !== 'admin') await markAdminRecipients([entry]);
  return entry;
}

export interface ShownMessage {
  subject: string;
  text: string;
  /** Absent when the sent HTML was too long to keep (models/mail-log.ts KEPT_HTML_MAX). */
  html?: string;
  version: number;
  /**
   * 'sent': the copy the dispatcher kept when it sent (or last tried) it; 'rendered': rendered again
   * today (a case row recorded before copies were kept, or an account e-mail from its kept data).
   */
  from: 'sent' | 'rendered';
  /** The kept text was cut, or the HTML not kept, for its length. */
  cut?: boolean;
}

/**
 * The message as it was sent: a case e-mail's copy kept by the dispatcher with the outcome (the
 * subject, text and HTML it sent). A case row recorded before copies were kept is rendered again
 * from its outbox item's data with the template version recorded then, and with today's template
 * files (which may have changed since: the page says so); an account e-mail likewise from the data
 * kept with its log entry. Undefined for an account e-mail with a one-time link (its data is not
 * kept: server/accounts/mail.ts KEPT_ACCOUNT_TEMPLATES) or when the case or its item is gone (erased).
 */
export async function loggedMessage(opts: { entry: MailLogEntry }): Promise<ShownMessage | undefined> {
  const { entry } = opts;
  if (entry.source === 'account') return accountMessage(entry);
  if (entry.source !== 'case' || !entry.case) return undefined;
  // The copy is left out of every other read of the log (select: false): asked for here only.
  const copy = await MailLog.findById(entry._id, { subject: 1, templateVersion: 1, sentText: 1, sentHtml: 1, sentCut: 1 }).lean();
  if (copy?.sentText !== undefined && copy.sentText !== null) {
    return { subject: copy.subject ?? '', text: copy.sentText, ...(copy.sentHtml ? { html: copy.sentHtml } : {}), version: copy.templateVersion ?? 0, from: 'sent', ...(copy.sentCut ? { cut: true } : {}) };
  }
  const c = await Case.findById(entry.case, { outbox: 1 }).lean();
  const item = c?.outbox.find((i) => i.key === entry.key);
  if (!item) return undefined;
  const locale = isLocale(item.locale) ? item.locale : DEFAULT_LOCALE;
  try {
    const r = await renderEmail(item.template, locale, (item.data ?? {}) as Record<string, unknown>, { version: entry.templateVersion ?? 0 });
    return { subject: r.subject, text: r.text, html: r.html, version: r.version, from: 'rendered' };
  } catch {
    return undefined;
  }
}

async function accountMessage(entry: MailLogEntry): Promise<ShownMessage | undefined> {
  if (!KEPT_ACCOUNT_TEMPLATES.has(entry.template) || !entry.data || typeof entry.data !== 'object') return undefined;
  const locale = isLocale(entry.locale) ? entry.locale : DEFAULT_LOCALE;
  try {
    const r = await renderEmail(entry.template, locale, entry.data as Record<string, unknown>, { version: entry.templateVersion ?? 0 });
    return { subject: r.subject, text: r.text, html: r.html, version: r.version, from: 'rendered' };
  } catch {
    return undefined;
  }
}

/** What a requeue from the log did: the flash to show, the row to show it on, and an account e-mail to send after the answer. */
export interface RequeueOutcome {
  ok: boolean;
  /** The flash's message key. */
  message: string;
  /** The row to go back to (a renewed invitation has a row of its own). */
  logId: string;
  owed?: OwedMail;
}

/**
 * A dead e-mail back in the queue, from the log: a case e-mail into its case's outbox; an account
 * e-mail an administrator's action owes back on its account, when what it says still holds
 * (server/accounts/requeue.ts). Not ok when it is not dead (any more) or cannot be sent again (why).
 */
export async function requeueLoggedMail(opts: { app: MailDeps; ctx: Context; id: string }): Promise<RequeueOutcome> {
  const { ctx } = opts;
  const entry = await loadEntry(opts.id);
  const subject = { source: entry.source, institute: entry.institute ?? undefined };
  authorize(actorOf(ctx), 'mail.requeue', subject, 'mailLog.cannotRequeue');
  const refused = { ok: false, message: 'mailLog.notRequeued', logId: opts.id };
  if (entry.source === 'account') {
    const done = await requeueAccountMail({ app: opts.app, ctx, entry });
    if (!done.ok) return { ...refused, message: done.reason };
    return { ok: true, message: done.renewed ? 'mailLog.invitationRenewed' : 'mailLog.requeued', logId: done.owed.mail.logId ?? opts.id, owed: done.owed };
  }
  if (entry.source !== 'case' || !entry.case) return refused;
  // The audit event goes with the requeue's own update (server/cases/pending-audit.ts).
  const audit = caseAudit(ctx, { action: 'email.requeue', summary: { key: entry.key, template: entry.template, from: 'mail_log' } });
  if (!(await requeueDead(entry.case, entry.key, ctx.now, audit))) return refused;
  await logRequeued(entry.case, entry.key, ctx.now);
  await settleCaseAudits(entry.case, [audit]);
  return { ok: true, message: 'mailLog.requeued', logId: opts.id };
}

/** Why the entry's Requeue button is not offered (a message key), for a dead account e-mail an administrator sees. */
export async function requeueRefusalFor(opts: { ctx: Context; entry: MailLogEntry }): Promise<string | undefined> {
  const { entry } = opts;
  if (entry.source !== 'account' || entry.status !== 'dead' || !can(opts.ctx.actor, 'mail.requeue', { source: entry.source })) return undefined;
  return accountRequeueRefusal(entry);
}
