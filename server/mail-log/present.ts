// Page models of the mail log: rows with their status in the page's language, the filters as
// typed, the link to the next page, and one message with its rendered parts.
import type { Context } from '../context.ts';
import { tOf } from '../context.ts';
import { can } from '../policies/index.ts';
import { listTemplateNames } from '../mail/templates.ts';
import type { MailLogEntry, MailLogFilters, ShownMessage, listMailLog } from './service.ts';
import { ACCOUNT_TEMPLATES as ACCOUNT_TEMPLATE_NAMES } from '../accounts/mail.ts';
import { explainFailure } from './failures.ts';
import { KEPT_TEXT_MAX } from '../../models/mail-log.ts';
import { formatDateTime } from '../views/time.ts';
import { REQUEUEABLE_ACCOUNT_TEMPLATES } from '../accounts/requeue.ts';
import { TOKEN_TTL_MS } from '../accounts/tokens.ts';

const ACCOUNT_TEMPLATES: ReadonlySet<string> = new Set(ACCOUNT_TEMPLATE_NAMES);

function templateLabel(t: ReturnType<typeof tOf>, template: string): string {
  return t(`workflow.templates.${template}`, { defaultValue: template });
}

function row(ctx: Context, t: ReturnType<typeof tOf>, e: MailLogEntry) {
  // An administrator told as the HR office's fallback: HR officers read the role, not the address.
  const to = can(ctx.actor, 'mail.readRecipient', { source: e.source, institute: e.institute ?? undefined, toAdmins: e.toAdmins }) ? e.to : t('mailLog.toAdmins');
  return {
    id: String(e._id),
    key: e.key,
    source: e.source,
    caseId: e.case ? String(e.case) : undefined,
    reference: e.reference,
    to,
    template: e.template,
    templateLabel: templateLabel(t, e.template),
    locale: e.locale,
    status: e.status,
    statusLabel: t(`mailLog.status.${e.status}`),
    statusClass: e.status === 'sent' ? 'ok' : e.status === 'dead' ? 'err' : 'warn',
    attempts: e.attempts ?? 0,
    at: e.at,
    sentAt: e.sentAt,
    queuedAt: e.queuedAt,
    lastError: e.lastError,
    // The error in words with what to do (the raw text above stays as its details), and for an
    // account e-mail the account, where it is sent again.
    failure: explainFailure(t, e, (d) => formatDateTime(d, ctx.locale)),
    accountHref: e.source === 'account' && ctx.actor?.role === 'admin' ? `/admin/users?q=${encodeURIComponent(to)}` : undefined,
    subject: e.subject,
    templateVersion: e.templateVersion ?? 0,
    // An account e-mail a person asks for themselves is not sent again (server/accounts/requeue.ts): the row says why instead.
    canRequeue: e.status === 'dead' && can(ctx.actor, 'mail.requeue', { source: e.source, institute: e.institute ?? undefined }) && (e.source === 'case' || REQUEUEABLE_ACCOUNT_TEMPLATES.has(e.template)),
    requeueNote: e.status === 'dead' && e.source === 'account' && !REQUEUEABLE_ACCOUNT_TEMPLATES.has(e.template) ? t('mailLog.accountRequeue.askAgainShort') : undefined,
  };
}

export function presentMailLog(ctx: Context, input: { listing: Awaited<ReturnType<typeof listMailLog>>; filters: MailLogFilters; values: Record<string, string> }) {
  const t = tOf(ctx);
  const { listing, values } = input;
  const query = (extra: Record<string, string>) => {
    const q = new URLSearchParams();
    for (const k of ['to', 'reference', 'template', 'status'] as const) if (input.filters[k]) q.set(k, String(input.filters[k]));
    for (const [k, v] of Object.entries(extra)) q.set(k, v);
    const s = q.toString();
    return `/mail-log${s ? `?${s}` : ''}`;
  };
  return {
    title: t('mailLog.title'),
    styles: ['/static/css/mail.css'],
    isAdmin: ctx.actor?.role === 'admin',
    rows: listing.rows.map((e) => row(ctx, t, e)),
    values,
    // Account e-mails are listed to administrators only (server/mail-log/service.ts): offered as a filter to them alone.
    templates: listTemplateNames()
      .filter((name) => ctx.actor?.role === 'admin' || !ACCOUNT_TEMPLATES.has(name))
      .map((name) => ({ name, label: templateLabel(t, name), selected: name === input.filters.template })),
    statuses: (['pending', 'sent', 'dead'] as const).map((s) => ({ value: s, label: t(`mailLog.status.${s}`), selected: s === input.filters.status })),
    nextUrl: listing.next ? query({ before: listing.next }) : undefined,
    firstUrl: listing.first ? undefined : query({}),
  };
}

function messageSource(t: ReturnType<typeof tOf>, locale: string, entry: MailLogEntry, m: ShownMessage): { text: string; cut?: string; id: string } {
  if (m.from === 'rendered') return entry.source === 'account' ? { text: t('mailLog.renderedAgain'), id: 'mail-rerendered' } : { text: t('mailLog.renderedToday'), id: 'mail-rerendered' };
  return {
    text: t(entry.status === 'sent' ? 'mailLog.asSent' : 'mailLog.asTried'),
    id: 'mail-as-sent',
    ...(m.cut ? { cut: t('mailLog.keptCut', { max: KEPT_TEXT_MAX.toLocaleString(locale === 'vi' ? 'vi' : 'en') }) } : {}),
  };
}

/** `requeueRefusal`: why a dead account e-mail is not sent again (server/accounts/requeue.ts), shown instead of the button. */
export function presentMailLogEntry(ctx: Context, input: { entry: MailLogEntry; message: ShownMessage | undefined; requeueRefusal?: string }) {
  const t = tOf(ctx);
  const r = row(ctx, t, input.entry);
  const account = r.source === 'account';
  return {
    title: t('mailLog.entryTitle', { to: r.to }),
    styles: ['/static/css/mail.css'],
    entry: { ...r, canRequeue: r.canRequeue && !input.requeueRefusal },
    requeueRefusal: input.requeueRefusal ? t(input.requeueRefusal) : undefined,
    // What the button will do, for an account e-mail: the same message again, or a new invitation.
    requeueHint: account && r.canRequeue && !input.requeueRefusal ? (r.template === 'invitation' ? t('mailLog.accountRequeue.hintInvitation', { days: TOKEN_TTL_MS.invitation / 86_400_000 }) : t('mailLog.accountRequeue.hintDecision')) : undefined,
    message: input.message,
    // Where the message shown comes from, said above it: the copy sent (or last tried), or a render of today.
    messageSource: input.message ? messageSource(t, ctx.locale, input.entry, input.message) : undefined,
    accountMail: input.entry.source === 'account',
  };
}
