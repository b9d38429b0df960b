// Sends a rendered message: through SMTP when SMTP_URL is set, else as an .eml file under
// DATA_DIR/mail (written to a temporary name, then renamed, so a reader never sees half a file).
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';
import { parseConnectionUrl } from 'nodemailer/lib/shared/index.js';
import type { Locale } from '../i18n/index.ts';

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
  return {
    kind: 'file',
    async send(mail) {
      const messageId = normalizeMessageId(mail.messageId, opts.from);
      const info = await transport.sendMail({ from: opts.from, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html, messageId, headers: headersOf(mail) });
      await mkdir(opts.mailDir, { recursive: true });
      const base = `${new Date().toISOString().replace(/[:.]/g, '-')}-${messageId.replace(/[^A-Za-z0-9._-]/g, '').slice(0, 80)}`;
      const file = path.join(opts.mailDir, `${base}.eml`);
      const tmp = `${file}.tmp`;
      await writeFile(tmp, info.message as Buffer);
      await rename(tmp, file);
      return { messageId, file };
    },
    async close() {},
  };
}
