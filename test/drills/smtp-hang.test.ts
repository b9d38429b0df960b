// Drill: the outbox when the mail server HANGS rather than refuses.
//
// The app runs as `npm start` does (a child process, embedded database on disk). Its SMTP_URL
// points at a TCP front in this process whose behaviour changes by phase:
//   A  silent: accepts the connection and never greets (a hung server)  → HR moves 2 cases; each
//      e-mail's attempt must time out (SMTP_TIMEOUT_MS), be retried with backoff, and the pages
//      HR uses answer while a stalled connection is held, not after it
//   B  forwarding to a real SMTP server (smtp-server + mailparser) that hangs after receiving the
//      DATA of one recipient's e-mail and never answers it                → HR moves 2 more cases;
//      the other e-mails are delivered while the hung one keeps timing out
//   C  forwarding, nothing hangs                                           → everything settles
// Each e-mail owed (the outbox key, sent as the Message-ID) must arrive exactly once.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { MongoClient } from 'mongodb';
import { WebClient, csrfIn, hiddenValue } from '../../scripts/support/web-client.ts';
import { messageIdFor } from '../../server/outbox/item.ts';
import { startTestSmtp, type TestSmtp } from '../support/smtp.ts';
import { SmtpFront } from './support/smtp-front.ts';
import { connectToAppDatabase, drillEnv, runScript, startApp, until, waitReady, type AppProcess } from './support/app-process.ts';
import type { Seeded } from './support/seed.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SMTP_TIMEOUT_MS = 3000;

interface OutboxRow {
  key: string;
  status: string;
  attempts?: number;
  lastError?: string;
}

describe('drill: the outbox when the SMTP server hangs (never greets, or stalls mid-DATA)', function () {
  this.timeout(240_000);
  let dataDir: string;
  let smtp: TestSmtp;
  let front: SmtpFront;
  let app: AppProcess | undefined;
  let db: MongoClient | undefined;

  before(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'talent-drill-smtphang-'));
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

  it('times out hung attempts, retries them, keeps pages fast and other e-mails flowing, and delivers each e-mail once', async () => {
    const env = drillEnv(dataDir, {
      SMTP_URL: `smtp://127.0.0.1:${front.port}`,
      DISPATCH_INTERVAL_MS: '50',
      SMTP_TIMEOUT_MS: String(SMTP_TIMEOUT_MS),
      OUTBOX_LEASE_MS: String(4 * SMTP_TIMEOUT_MS),
      OUTBOX_RETRY_BASE_MS: '100',
      OUTBOX_RETRY_MAX_MS: '1000',
      OUTBOX_MAX_ATTEMPTS: '1000',
    });
    const seeded = JSON.parse((await runScript('test/drills/support/seed.ts', [JSON.stringify({ applicants: 4, stage: 'submitted', prefixes: ['stuck'] })], env)).trim().split('\n').at(-1)!) as Seeded;
    const caseIds = seeded.applicants.map((a) => a.caseId);
    const stuck = seeded.applicants[0]!.email.toLowerCase();
    app = startApp(env);
    await waitReady(app);
    db = await connectToAppDatabase(app, dataDir);
    const { ObjectId } = await import('mongodb');
    const outbox = async (): Promise<OutboxRow[]> =>
      (await db!.db().collection('cases').find({ _id: { $in: caseIds.map((id) => new ObjectId(id)) } }, { projection: { outbox: 1 } }).toArray()).flatMap((c) => (c.outbox ?? []) as OutboxRow[]);
    const hr = new WebClient(app.url, 60_000);
    await hr.signIn(seeded.hr.email, seeded.password, seeded.hr.totpSecret);

    const expected: string[] = [];
    /** HR moves the case through its page; returns how long the page and the form took. */
    async function act(caseId: string): Promise<number> {
      const started = Date.now();
      const page = await hr.get(`/cases/${caseId}`);
      expect(page.status).to.equal(200);
      const version = Number(hiddenValue(page.text, 'version'));
      const r = await hr.postForm(`/cases/${caseId}/actions/start_screening`, csrfIn(page.text), { version: String(version) });
      expect(r.status, r.text.slice(0, 300)).to.equal(303);
      expected.push(`${caseId}.${version + 1}.screening_started`);
      return Date.now() - started;
    }
    /** A stalled connection opened within the last `ms`: a page timed from now overlaps it. */
    const freshStall = (ms: number) => [...front.open].find((e) => Date.now() - e.openedAt < ms);

    // A: silent. The first e-mail's attempt hangs; HR's next moves and the queue are timed while
    // that very connection is held, and must be answered before it is given up.
    await act(caseIds[0]!);
    const pageTimes: number[] = [];
    await until('a fresh stalled SMTP connection', 60_000, () => Boolean(freshStall(300)));
    const stall = freshStall(300)!;
    pageTimes.push(await act(caseIds[1]!));
    const started = Date.now();
    expect((await hr.get('/cases')).status).to.equal(200);
    pageTimes.push(Date.now() - started);
    expect(front.open.has(stall), 'HR’s pages answered while the stalled SMTP connection was still held').to.equal(true);
    await until('every phase-A e-mail timed out once', 60_000, async () => {
      const items = await outbox();
      return items.length === 2 && items.every((i) => (i.attempts ?? 0) >= 1 && i.status === 'pending');
    }).catch(async (err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(await outbox())}; held ${front.held.join(',')}; open ${front.open.size}\n${app!.output().split('\n').filter((l) => l.includes('outbox')).slice(-10).join('\n')}`);
    });
    const phaseA = await outbox();
    for (const i of phaseA) expect(i.lastError, `${i.key}'s error`).to.match(/greeting|timeout|timed out/i);
    expect(smtp.messages, 'nothing delivered while the server never greets').to.have.length(0);

    // B: a real server that hangs after the stuck recipient's DATA; the others go through.
    front.mode = 'forward';
    smtp.hangAfterData = (to) => to.includes(stuck);
    for (const id of caseIds.slice(2)) await act(id);
    const others = expected.filter((k) => !k.startsWith(caseIds[0]!));
    await until('the other e-mails delivered past the hung one', 60_000, () => others.every((k) => smtp.messages.some((m) => m.messageId === messageIdFor(k))));
    await until('the stuck e-mail hung mid-DATA twice', 60_000, () => smtp.hungData >= 2);
    const stuckItem = (await outbox()).find((i) => i.key.startsWith(caseIds[0]!))!;
    expect(stuckItem.status).to.equal('pending');
    expect(stuckItem.lastError).to.match(/timeout|timed out/i);

    // C: nothing hangs.
    smtp.hangAfterData = undefined;
    await until('every e-mail sent', 60_000, async () => (await outbox()).every((i) => i.status === 'sent'));
    await sleep(1000); // a duplicate, if any, would arrive now

    const items = await outbox();
    expect(items.map((i) => i.key).sort()).to.deep.equal([...expected].sort());
    const received = new Map<string, number>();
    for (const m of smtp.messages) received.set(m.messageId, (received.get(m.messageId) ?? 0) + 1);
    expect([...received.keys()].sort(), 'the e-mails received').to.deep.equal(expected.map(messageIdFor).sort());
    const duplicated = [...received.values()].filter((n) => n > 1).length;
    expect(duplicated, 'e-mails received twice').to.equal(0);
    // The app gave up each silent connection after about one SMTP timeout (greeting), never holding it.
    const longestHold = Math.max(...front.held);
    expect(longestHold, 'longest silent connection held').to.be.below(4 * SMTP_TIMEOUT_MS);
    expect(Math.max(...pageTimes), 'slowest page during the stall').to.be.below(SMTP_TIMEOUT_MS);
    const attempts = items.reduce((n, i) => n + (i.attempts ?? 0), 0);
    process.stdout.write(
      `      drill figures: ${expected.length} e-mails owed, ${received.size} delivered, ${duplicated} twice; ${front.held.length} silent connections given up after ` +
        `${Math.min(...front.held)}–${longestHold} ms (SMTP_TIMEOUT_MS ${SMTP_TIMEOUT_MS}); ${smtp.hungData} DATA stages left unanswered; ${attempts} attempts in all; ` +
        `HR's pages during the stall ${Math.min(...pageTimes)}–${Math.max(...pageTimes)} ms\n`,
    );
  });
});
