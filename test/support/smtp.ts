// A real SMTP server in the test process: messages arrive over the wire, are parsed with
// mailparser, and tests wait for the one they expect. Its answers can be switched to 4xx/5xx.
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import type { AddressInfo } from 'node:net';

export type SmtpMode = 'accept' | 'tempfail' | 'permfail' | 'drop';

export interface ReceivedMail {
  to: string[];
  from: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
  raw: ParsedMail;
}

export class TestSmtp {
  readonly messages: ReceivedMail[] = [];
  mode: SmtpMode = 'accept';
  /** Per-recipient answer, asked before `mode` at RCPT TO (drills switch behaviour by phase). */
  decide?: (address: string) => SmtpMode | undefined;
  /** Attempts seen by the server, including refused ones. */
  attempts = 0;
  /** While set, every RCPT TO waits for it before being answered (a slow mail server). */
  held?: Promise<void>;
  /** Messages whose DATA, once fully received, is never answered when this says so (a server hung mid-DATA); not delivered. */
  hangAfterData?: (to: string[]) => boolean;
  /** DATA stages left unanswered by hangAfterData. */
  hungData = 0;
  /**
   * The answer to a message's DATA once fully received, by its recipients (the RCPT TO was accepted):
   * 'tempfail' 451, 'permfail' 554, 'drop' the connection closed with no answer; not delivered.
   */
  failAfterData?: (to: string[]) => Exclude<SmtpMode, 'accept'> | undefined;
  /** DATA stages refused or dropped by failAfterData, by recipient. */
  readonly failedData = new Map<string, number>();
  private server: SMTPServer;
  private waiters: Array<{ pred: (m: ReceivedMail) => boolean; resolve: (m: ReceivedMail) => void }> = [];
  port = 0;

  constructor() {
    this.server = new SMTPServer({
      secure: false,
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      size: 30 * 1024 * 1024,
      onRcptTo: (addr, session, cb) => {
        const answer = () => this.answer(session, cb, this.decide?.(addr.address.toLowerCase()) ?? this.mode);
        if (this.held) void this.held.then(answer);
        else answer();
      },
      onData: (stream: SMTPServerDataStream, session: SMTPServerSession, cb) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          if (this.hangAfterData?.(session.envelope.rcptTo.map((r) => r.address.toLowerCase()))) {
            this.hungData += 1;
            return;
          }
          const rcpt = session.envelope.rcptTo.map((r) => r.address.toLowerCase());
          const after = this.failAfterData?.(rcpt);
          if (after) {
            for (const a of rcpt) this.failedData.set(a, (this.failedData.get(a) ?? 0) + 1);
            if (after === 'drop') {
              (session as unknown as { _socket?: { destroy(): void } })._socket?.destroy?.();
              cb(Object.assign(new Error('dropped'), { responseCode: 421 }));
            } else cb(Object.assign(new Error(after === 'tempfail' ? 'Requested action aborted: local error in processing' : 'Transaction failed'), { responseCode: after === 'tempfail' ? 451 : 554 }));
            return;
          }
          if (this.mode !== 'accept') {
            this.answer(session, cb);
            return;
          }
          simpleParser(Buffer.concat(chunks))
            .then((parsed) => {
              const mail: ReceivedMail = {
                to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
                from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
                subject: parsed.subject ?? '',
                text: parsed.text ?? '',
                html: typeof parsed.html === 'string' ? parsed.html : '',
                messageId: parsed.messageId ?? '',
                raw: parsed,
              };
              this.messages.push(mail);
              this.waiters = this.waiters.filter((w) => {
                if (w.pred(mail)) {
                  w.resolve(mail);
                  return false;
                }
                return true;
              });
              cb();
            })
            .catch((err: Error) => cb(err));
        });
      },
    });
  }

  private answer(session: SMTPServerSession, cb: (err?: Error | null) => void, mode: SmtpMode = this.mode): void {
    this.attempts += 1;
    if (mode === 'tempfail') {
      const err = Object.assign(new Error('Service temporarily unavailable, try again later'), { responseCode: 451 });
      cb(err);
    } else if (mode === 'permfail') {
      const err = Object.assign(new Error('Mailbox unavailable'), { responseCode: 550 });
      cb(err);
    } else if (mode === 'drop') {
      (session as unknown as { _socket?: { destroy(): void } })._socket?.destroy?.();
      cb(Object.assign(new Error('dropped'), { responseCode: 421 }));
    } else cb();
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.server.address() as AddressInfo).port;
    return this;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  /** Resolves with the first message (already received or arriving) that matches. */
  waitFor(pred: (m: ReceivedMail) => boolean, timeoutMs = 10_000): Promise<ReceivedMail> {
    const found = this.messages.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const waiter = { pred, resolve: (m: ReceivedMail) => { clearTimeout(timer); resolve(m); } };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no matching e-mail within ${timeoutMs} ms; received: ${this.messages.map((m) => `${m.to.join(',')} "${m.subject}"`).join('; ') || 'none'}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Waits for a message to this address (optionally one whose subject matches). */
  waitForTo(address: string, subject?: RegExp, timeoutMs?: number): Promise<ReceivedMail> {
    const a = address.toLowerCase();
    return this.waitFor((m) => m.to.includes(a) && (!subject || subject.test(m.subject)), timeoutMs);
  }

  to(address: string): ReceivedMail[] {
    const a = address.toLowerCase();
    return this.messages.filter((m) => m.to.includes(a));
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export async function startTestSmtp(): Promise<TestSmtp> {
  return new TestSmtp().start();
}

/** First http(s) link in a text body that contains `fragment`. */
export function linkIn(text: string, fragment: string): string {
  const m = text.match(/https?:\/\/[^\s<>"')]+/g)?.find((u) => u.includes(fragment));
  if (!m) throw new Error(`no link containing "${fragment}" in:\n${text}`);
  return m;
}
