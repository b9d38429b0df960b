// Why an e-mail failed, in words an administrator can act on, and the account e-mails that failed
// and were not sent since: the case outbox's counts (server/outbox) know nothing of these, which
// live on the account until sent or given up (server/accounts/mail.ts) and then only in the mail log.
import { MailLog } from '../../models/mail-log.ts';
import { givesUpAround, isTransientSmtpError } from '../outbox/index.ts';

/**
 * What kind of failure a logged error is, from the text the sender recorded
 * (`<responseCode> <code> <message>`, server/outbox describeSmtpError, for case and account e-mails alike):
 * - refused: the receiving server refused the address (5xx on the recipient; EENVELOPE);
 * - temporary: a 4xx answer, a timeout or a dropped connection: tried again;
 * - config: our SMTP server refused our login, or could not be reached at all;
 * - withdrawn: not sent on purpose (replaced, account disabled, invitation accepted): not a failure;
 * - template: the template did not render;
 * - mailFolder: the file transport (no SMTP_URL) could not write the message into its folder (disk
 *   full, read-only, not writable): this server's fault, not the address's nor a mail server's;
 * - unknown: anything else.
 */
export type FailureKind = 'refused' | 'temporary' | 'config' | 'withdrawn' | 'template' | 'mailFolder' | 'unknown';

export function failureKind(lastError: string | null | undefined): FailureKind | undefined {
  const e = (lastError ?? '').trim();
  if (!e) return undefined;
  if (/^not sent:/i.test(e)) return 'withdrawn';
  if (/^render:/i.test(e)) return 'template';
  // server/mail/mailer.ts names the folder in the file transport's errors.
  if (/\bmail folder\b/i.test(e) && /\b(ENOSPC|EDQUOT|EROFS|EACCES|EPERM|ENOTDIR|EISDIR|EIO)\b/.test(e)) return 'mailFolder';
  const code = Number(/^(\d{3})\b/.exec(e)?.[1]);
  if (/\bEAUTH\b|\bECONNREFUSED\b|\bEDNS\b|\bETLS\b|\bENOTFOUND\b/.test(e) || code === 530 || code === 534 || code === 535) return 'config';
  // The sender's own rule of what is worth retrying (server/outbox), read back from the recorded text.
  const smtpCode = /\b(E[A-Z]{3,})\b/.exec(e)?.[1];
  if (!(code >= 500) && isTransientSmtpError({ ...(code ? { responseCode: code } : {}), ...(smtpCode ? { code: smtpCode } : {}), message: e })) return 'temporary';
  if (code >= 500 || /\bEENVELOPE\b|recipients? (were|was)? ?rejected/i.test(e)) return 'refused';
  return 'unknown';
}

/** Enough to count what an administrator must look at; more than this reads "100 or more". */
const FAILED_SCAN = 100;

/**
 * Account e-mails that failed for good and were not sent since (no later sent e-mail of the same
 * kind to the same address): what the administration's index and delivery page count. Withdrawn
 * ones (replaced, disabled, accepted) are not failures.
 */
export async function failedAccountMails(): Promise<{ count: number; more: boolean }> {
  const dead = await MailLog.find({ status: 'dead', source: 'account' }, { to: 1, template: 1, at: 1, lastError: 1 })
    .sort({ at: -1 })
    .limit(FAILED_SCAN + 1)
    .lean();
  const failed = dead.filter((d) => failureKind(d.lastError) !== 'withdrawn');
  if (!failed.length) return { count: 0, more: false };
  const sent = await MailLog.find({ source: 'account', status: 'sent', to: { $in: [...new Set(failed.map((d) => d.to))] } }, { to: 1, template: 1, at: 1 }).lean();
  const still = failed.filter((d) => !sent.some((s) => s.to === d.to && s.template === d.template && s.at > d.at));
  return { count: Math.min(still.length, FAILED_SCAN), more: still.length > FAILED_SCAN };
}

/**
 * For invited accounts' addresses: the mail-log id of the newest invitation when it failed (not
 * withdrawn), so the user list can say "invitation not delivered" beside "send again".
 */
export async function undeliveredInvitations(emails: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (!emails.length) return out;
  const rows = await MailLog.find({ source: 'account', template: 'invitation', to: { $in: emails.map((e) => e.toLowerCase()) } }, { to: 1, status: 1, at: 1, lastError: 1 })
    .sort({ at: -1, _id: -1 })
    .lean();
  const seen = new Set<string>();
  for (const r of rows) {
    // Withdrawn rows (replaced by the newer one) are skipped: the newest real attempt decides.
    if (seen.has(r.to) || failureKind(r.lastError) === 'withdrawn') continue;
    seen.add(r.to);
    if (r.status === 'dead') out.set(r.to, String(r._id));
  }
  return out;
}

type T = (key: string, opts?: Record<string, unknown>) => string;

/**
 * The failure of a logged e-mail in the page's language, with what to do; the raw text stays for a
 * "details" line. Undefined when the e-mail has no error. `formatTime` formats the give-up time.
 */
export function explainFailure(
  t: T,
  e: { status: string; lastError?: string | null; attempts?: number | null; at: Date; retryUntil?: Date | null },
  formatTime: (d: Date) => string,
): { kind: FailureKind; advice: string } | undefined {
  const kind = failureKind(e.lastError);
  if (!kind) return undefined;
  if (kind === 'withdrawn') {
    const why = /disabled/i.test(e.lastError ?? '') ? 'Disabled' : /accepted/i.test(e.lastError ?? '') ? 'Accepted' : /replaced/i.test(e.lastError ?? '') ? 'Replaced' : '';
    return { kind, advice: t(`mailLog.failure.withdrawn${why}`) };
  }
  // Still pending after a failed try: the sender retries by itself (a temporary or unknown failure).
  if (e.status === 'pending') return { kind, advice: t(kind === 'mailFolder' ? 'mailLog.failure.mailFolderRetrying' : 'mailLog.failure.retrying', { until: formatTime(e.retryUntil ?? givesUpAround(e.at, e.attempts ?? 1)) }) };
  return { kind, advice: t(`mailLog.failure.${kind}`) };
}
