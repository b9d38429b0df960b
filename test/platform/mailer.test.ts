// The SMTP mailer's per-attempt limits (SMTP_TIMEOUT_MS) hold against a server that hangs: one
// that accepts the connection and never greets, and one that takes a message's DATA and never
// answers it. (Given beside the URL as createTransport's second argument they were ignored, and
// nodemailer's own 30 s and 10 min applied.)
import { expect } from 'chai';
import net from 'node:net';
import { createMailer } from '../../server/mail/mailer.ts';
import { startTestSmtp } from '../support/smtp.ts';

const mail = { to: 'someone@example.test', subject: 'Hello', text: 'Hello', html: '<p>Hello</p>', language: 'en' as const };

async function timedFailure(p: Promise<unknown>): Promise<{ err: { code?: string; message?: string }; ms: number }> {
  const started = Date.now();
  try {
    await p;
  } catch (err) {
    return { err: err as { code?: string }, ms: Date.now() - started };
  }
  throw new Error('the send did not fail');
}

describe('platform: SMTP timeouts against a hung server', () => {
  it('gives up on a server that never greets after about SMTP_TIMEOUT_MS', async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((s) => {
      sockets.add(s);
      s.resume();
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const port = (silent.address() as net.AddressInfo).port;
      const mailer = createMailer({ smtpUrl: `smtp://127.0.0.1:${port}`, mailDir: '/nonexistent', from: 'a@talent.local', timeoutMs: 400 });
      const { err, ms } = await timedFailure(mailer.send(mail));
      expect(err.code).to.equal('ETIMEDOUT');
      expect(ms).to.be.within(300, 5000);
      await mailer.close();
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });

  it('gives up on a server that takes the DATA and never answers it, and delivers nothing', async () => {
    const smtp = await startTestSmtp();
    smtp.hangAfterData = () => true;
    try {
      const mailer = createMailer({ smtpUrl: smtp.url, mailDir: '/nonexistent', from: 'a@talent.local', timeoutMs: 400 });
      const { err, ms } = await timedFailure(mailer.send(mail));
      expect(err.code).to.equal('ETIMEDOUT');
      expect(ms).to.be.within(300, 5000);
      expect(smtp.hungData).to.equal(1);
      expect(smtp.messages).to.have.length(0);
      await mailer.close();
    } finally {
      await smtp.stop();
    }
  });
});
