// Sends a rendered message: through SMTP when SMTP_URL is set, else as an .eml file under
// DATA_DIR/mail (written to a temporary name, flushed to disk, then renamed, so neither a reader nor
// a crash ever finds half a file under the final name).
import { lstat, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { createHash, randomUUID } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';
import { parseConnectionUrl } from 'nodemailer/lib/shared/index.js';
import type { Locale } from '../i18n/index.ts';
import { removeStaleTemporaryFiles, writeFileDurably } from '../support/durable-write.ts';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** Stable per logical message (the idempotency key), so a retry is recognisably the same e-mail. */
  messageId?: string;
  headers?: Record<string, string>;
  /** The language it is written in: sent as Content-Language, so mail clients read it (aloud, or offering a translation) as that language. */
  language: Locale;
}

/** The message's own headers, with its language. */
function headersOf(mail: OutgoingMail): Record<string, string> {
  return { ...mail.headers, 'Content-Language': mail.language };
}

export interface SentMail {
  messageId: string;
  /** Where a file-transport message was written. */
  file?: string;
}

export interface Mailer {
  readonly kind: 'smtp' | 'file';
  send(mail: OutgoingMail): Promise<SentMail>;
  close(): Promise<void>;
}

export interface MailerOptions {
  smtpUrl?: string;
  mailDir: string;
  from: string;
  /** Per-attempt limits so a hung server fails an attempt instead of holding it forever. */
  timeoutMs?: number;
}

function normalizeMessageId(id: string | undefined, from: string): string {
  const domain = /@([^>\s]+)>?\s*$/.exec(from)?.[1] ?? 'talent.local';
  const raw = id ?? randomUUID();
  return raw.startsWith('<') ? raw : `<${raw.replace(/[^A-Za-z0-9._-]/g, '-')}@${domain}>`;
}

export function createMailer(opts: MailerOptions): Mailer {
  const timeout = opts.timeoutMs ?? 15_000;
  if (opts.smtpUrl) {
    // The limits go with the URL's own options: createTransport(url, second) takes `second` as the
    // messages' defaults, so given that way they were ignored and nodemailer's own applied (a server
    // that never greets held each attempt 30 s, one that stalls mid-DATA 10 minutes: test/drills/smtp-hang.test.ts).
    const transport: Transporter = nodemailer.createTransport({
      ...parseConnectionUrl(opts.smtpUrl),
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
    });
    return {
      kind: 'smtp',
      async send(mail) {
        const messageId = normalizeMessageId(mail.messageId, opts.from);
        const info = await transport.sendMail({ from: opts.from, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html, messageId, headers: headersOf(mail) });
        return { messageId: info.messageId ?? messageId };
      },
      async close() {
        transport.close();
      },
    };
  }
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  let swept = false;
  return {
    kind: 'file',
    async send(mail) {
      const messageId = normalizeMessageId(mail.messageId, opts.from);
      const info = await transport.sendMail({ from: opts.from, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html, messageId, headers: headersOf(mail) });
      try {
        // Messages carry personal data and sign-in links: the folder and its files are the app's user's alone.
        await mkdir(opts.mailDir, { recursive: true, mode: 0o700 });
        if (!swept) {
          swept = true;
          // Temporary files of writes a crash cut short, older than a minute (never one being written now).
          await removeStaleTemporaryFiles(opts.mailDir, (name) => name.endsWith('.eml.tmp'));
        }
        return { messageId, file: await writeMailFile(opts.mailDir, messageId, info.message as Buffer) };
      } catch (err) {
        // Said as the mail folder's fault (the mail log explains it so: server/mail-log/failures.ts),
        // its code kept (ENOSPC, EROFS, EACCES…): the outbox tries again later, as with a mail server down.
        const e = err as NodeJS.ErrnoException;
        throw Object.assign(new Error(`mail folder ${opts.mailDir}: ${e.message}`), { code: e.code });
      }
    },
    async close() {},
  };
}

/**
 * One message's file, named by its Message-ID (the outbox's key: a retry is the same message), so a
 * send repeated after a crash between the write and its record finds the file there, whole (only a
 * complete, flushed file is ever renamed to that name), and writes no second copy. The temporary
 * file of a write cut short (a crash, a full disk) has a fixed name too: a retry overwrites it, and
 * a failed write removes it, so no half message stays on the disk.
 */
async function writeMailFile(dir: string, messageId: string, message: Buffer): Promise<string> {
  // The Message-ID itself when it is a safe, short name; else a safe prefix and a hash of the whole id,
  // so two long ids sharing their first 120 characters never share a file (the second would be taken as sent).
  const bare = messageId.replace(/^<|>$/g, '');
  const clean = bare.replace(/[^A-Za-z0-9._@-]/g, '');
  const name = clean === bare && clean.length <= 120 ? clean : `${clean.slice(0, 100)}-${createHash('sha256').update(messageId).digest('hex').slice(0, 16)}`;
  const file = path.join(dir, `${name}.eml`);
  // Not followed (security review s37): a link planted under the message's name would have it taken
  // as written; the temporary file is created anew, never through a link (writeFileDurably).
  if (await lstat(file).then((st) => st.isFile(), () => false)) return file;
  // Its temporary file named after it: a retry replaces a half file a crash left.
  await writeFileDurably(file, message, { mode: 0o600, temp: `${file}.tmp` });
  return file;
}

