// Drill: an administrator's account actions while the mail server HANGS, and a crash before the send.
//
// The app runs as `npm start` does (a child process, embedded database on disk). Its SMTP_URL
// points at a TCP front in this process (support/smtp-front.ts):
//   A  silent: accepts the connection and never greets (a hung server). The administrator invites a
//      staff member, changes an HR officer's role and then disables that officer, through the real
//      pages: each page must answer in well under the SMTP timeout (the e-mail is sent after the
//      answer), and the mail log must show each e-mail as pending with the timeout as its error,
//      not as sent. Then the administrator enables the officer again and the process is SIGKILLed
//      right after the answer: that e-mail was written with the account, not yet sent.
//   B  forwarding to a real SMTP server (smtp-server + mailparser); the app starts again: the
//      account-mail job sends what is owed (the retries after their backoff, the crashed one once
//      its lease has passed).
// Each e-mail owed (its key, sent as the Message-ID) must arrive exactly once, and the invitation's
// link, made when it is sent, must open the invitation page.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { MongoClient } from 'mongodb';
import { WebClient, csrfIn, hiddenValue } from '../../scripts/support/web-client.ts';
import { messageIdFor } from '../../server/outbox/item.ts';
import { linkIn, startTestSmtp, type TestSmtp } from '../support/smtp.ts';
import { SmtpFront } from './support/smtp-front.ts';
import { connectToAppDatabase, drillEnv, runScript, startApp, until, waitReady, type AppProcess } from './support/app-process.ts';
import type { Seeded } from './support/seed.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SMTP_TIMEOUT_MS = 3000;
/** What "at once" means for the administrator's page: well under the SMTP timeout. */
const PAGE_LIMIT_MS = 2000;

interface LogRow {
  key: string;
  template: string;
  status: string;
  attempts?: number;
  lastError?: string;
}

describe('drill: account e-mails while the SMTP server hangs, and a crash before the send', function () {
  this.timeout(240_000);
  let dataDir: string;
  let smtp: TestSmtp;
  let front: SmtpFront;
  let app: AppProcess | undefined;
  let db: MongoClient | undefined;

  before(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'talent-drill-acctmail-'));
    smtp = await startTestSmtp();
    front = await new SmtpFront(smtp.port).start();
  });

  after(async () => {
    await db?.close().catch(() => undefined);
    await app?.kill9();
    await front?.stop();
    await smtp?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers each action at once, shows the e-mail pending, and delivers every owed e-mail once, the crashed one too', async () => {
    const env = drillEnv(dataDir, {
      SMTP_URL: `smtp://127.0.0.1:${front.port}`,
      DISPATCH_INTERVAL_MS: '200',
      SMTP_TIMEOUT_MS: String(SMTP_TIMEOUT_MS),
      // The lease the crashed send leaves: the least the configuration allows, so the drill waits seconds, not minutes.
      OUTBOX_LEASE_MS: String(4 * SMTP_TIMEOUT_MS),
      OUTBOX_RETRY_BASE_MS: '100',
      OUTBOX_RETRY_MAX_MS: '1000',
      OUTBOX_MAX_ATTEMPTS: '1000',
    });
    const seeded = JSON.parse((await runScript('test/drills/support/seed.ts', [JSON.stringify({ applicants: 1, stage: 'submitted' })], env)).trim().split('\n').at(-1)!) as Seeded;
    const boot = async () => {
      await db?.close().catch(() => undefined);
      app = startApp(env);
      await waitReady(app);
      db = await connectToAppDatabase(app, dataDir);
    };
    await boot();
    const users = () => db!.db().collection('users');
    const mailLog = async (): Promise<LogRow[]> => (await db!.db().collection('mail_log').find({ source: 'account' }).toArray()) as unknown as LogRow[];
    const officer = (await users().findOne({ email: seeded.hr.email.toLowerCase() }))!;
    const officerId = String(officer._id);
    const institute = String(officer.institute);
    const admin = new WebClient(() => app!.url, 60_000);
    await admin.signIn(seeded.admin.email, seeded.password, seeded.admin.totpSecret);

    /** One administrator's form, timed from its POST to the answer; the answer's message must say the e-mail is being sent, with a link to its row. */
    const timings: Record<string, number> = {};
    async function act(name: string, formPath: string, postPath: string, fields: (page: string) => Record<string, string>): Promise<void> {
      const page = await admin.get(formPath);
      expect(page.status, `${name}: its page`).to.equal(200);
      const started = Date.now();
      const r = await admin.postForm(postPath, csrfIn(page.text), fields(page.text));
      timings[name] = Date.now() - started;
      expect(r.status, `${name}: ${r.text.slice(0, 300)}`).to.equal(303);
      const next = await admin.get(r.location!);
      expect(next.text, `${name}: the message links to the e-mail in the mail log`).to.match(/id="flash-link"/);
      const link = /href="(\/mail-log\/[a-f0-9]{24})" id="flash-link"/.exec(next.text)?.[1];
      expect(link, `${name}: the mail-log link`).to.be.a('string');
      const entry = await admin.get(link!);
      expect(entry.status, `${name}: the mail-log entry`).to.equal(200);
      expect(entry.text, `${name}: not "sent" before it is`).to.match(/id="mail-status">(Pending|Đang chờ)</);
    }
    const seen = (html: string) => hiddenValue(html, 'seen')!;

    // A: silent. Each action is answered at once while its e-mail waits for a server that never greets.
    const invitee = `invitee-${Date.now()}@example.org`;
    await act('invite', '/admin/users/invite', '/admin/users/invite', () => ({ email: invitee, name: 'Invited Person', role: 'hr_officer', institute, locale: 'en' }));
    await act('role change', `/admin/users/${officerId}/role`, `/admin/users/${officerId}/role/confirm`, (html) => ({ role: 'leader', institute, reason: 'Leads the institute from this month.', seen: seen(html) }));
    await act('disable', `/admin/users/${officerId}/disable`, `/admin/users/${officerId}/disable`, (html) => ({ reason: 'Left the programme in the drill.', seen: seen(html) }));
    for (const [name, ms] of Object.entries(timings)) expect(ms, `${name} answered in`).to.be.below(PAGE_LIMIT_MS);
    expect(front.open.size + front.held.length, 'the e-mails were tried against the hung server').to.be.at.least(1);

    // Each first attempt times out and is kept to be tried again: the mail log says so, with the error.
    await until('every e-mail’s first attempt timed out', 60_000, async () => {
      const rows = await mailLog();
      return rows.length === 3 && rows.every((r) => r.status === 'pending' && (r.attempts ?? 0) >= 1);
    }).catch(async (err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(await mailLog())}`);
    });
    for (const r of await mailLog()) expect(r.lastError, `${r.template}'s error`).to.match(/greeting|timeout|timed out/i);
    expect(smtp.messages, 'nothing delivered while the server never greets').to.have.length(0);

    // The crash: enabling again, answered, then SIGKILL before its e-mail can have gone.
    await act('enable', `/admin/users/${officerId}/enable`, `/admin/users/${officerId}/enable`, (html) => ({ reason: 'Back in the programme in the drill.', seen: seen(html) }));
    expect(timings.enable, 'enable answered in').to.be.below(PAGE_LIMIT_MS);
    const owed = (await users().find({ 'pendingMails.0': { $exists: true } }, { projection: { pendingMails: 1 } }).toArray()).flatMap((u) => u.pendingMails as Array<{ key: string; template: string }>);
    await app!.kill9();
    expect(owed.map((m) => m.template).sort(), 'what is owed after the crash').to.deep.equal(['account_disabled', 'account_enabled', 'invitation', 'role_changed']);
    const expected = owed.map((m) => m.key);

    // B: a real server; the app starts again and its account-mail job sends what is owed.
    front.mode = 'forward';
    await boot();
    await until('every owed e-mail delivered', 90_000, () => expected.every((k) => smtp.messages.some((m) => m.messageId === messageIdFor(k)))).catch((err: Error) => {
      throw new Error(`${err.message}: received ${smtp.messages.map((m) => m.messageId).join(', ')}\n${app!.output().split('\n').filter((l) => /account|mail/i.test(l)).slice(-10).join('\n')}`);
    });
    await until('nothing left owed', 30_000, async () => (await users().countDocuments({ 'pendingMails.0': { $exists: true } })) === 0);
    await sleep(1500); // a duplicate, if any, would arrive now

    const received = new Map<string, number>();
    for (const m of smtp.messages) received.set(m.messageId, (received.get(m.messageId) ?? 0) + 1);
    expect([...received.keys()].sort(), 'the e-mails received').to.deep.equal(expected.map(messageIdFor).sort());
    const duplicated = [...received.values()].filter((n) => n > 1).length;
    expect(duplicated, 'e-mails received twice').to.equal(0);
    const rows = await mailLog();
    expect(rows.map((r) => r.status), 'each e-mail’s row in the mail log').to.deep.equal(['sent', 'sent', 'sent', 'sent']);

    // The invitation's link, made when it was sent, opens the invitation.
    const invitation = smtp.to(invitee)[0]!;
    const link = new URL(linkIn(invitation.text, '/invitations/'));
    expect((await new WebClient(app!.url).get(link.pathname)).status, 'the invitation link works').to.equal(200);

    const attempts = rows.reduce((n, r) => n + (r.attempts ?? 0), 0);
    process.stdout.write(
      `      drill figures: ${expected.length} account e-mails owed, ${received.size} delivered, ${duplicated} twice, ${attempts} attempts in all; ` +
        `pages answered in ${Object.entries(timings).map(([k, ms]) => `${k} ${ms} ms`).join(', ')} (SMTP_TIMEOUT_MS ${SMTP_TIMEOUT_MS}); ` +
        `silent connections given up after ${front.held.length ? `${Math.min(...front.held)}–${Math.max(...front.held)}` : '–'} ms\n`,
    );
  });
});
