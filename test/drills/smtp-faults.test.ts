// Drill: the outbox under SMTP faults, with the app SIGKILLed while retries are pending.
//
// The real app runs as `npm start` does, in a child process on a data folder of its own (embedded
// database on disk), sending to a real SMTP server in this process whose answers change by phase:
//   A  4xx for everyone                  → HR moves 6 cases (6 e-mails); app SIGKILLed once every
//                                          e-mail has been refused at least twice; restarted
//   B  5xx for one recipient, others OK  → batch A delivered, the bounced one dead
//   C  connections dropped               → HR puts the 6 cases on hold (6 e-mails); SIGKILLed again
//                                          with those retries pending; restarted
//   D  recovered                         → HR resumes 3 cases (3 e-mails); everything settles
// Expected e-mails are what HR's successful actions over HTTP owe (case id, new version, template:
// the outbox's key, sent as the Message-ID). Each must arrive exactly once (Message-IDs counted
// at the SMTP server) or be dead with its error on HR's case page and the admin's outbox page.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { MongoClient } from 'mongodb';
import { startTestSmtp, type SmtpMode, type TestSmtp } from '../support/smtp.ts';
import { WebClient, csrfIn, hiddenValue } from '../../scripts/support/web-client.ts';
import { messageIdFor } from '../../server/outbox/item.ts';
import { holdReviewDay } from '../support/hold.ts';
import { connectToAppDatabase, drillEnv, runScript, startApp, until, waitReady, type AppProcess } from './support/app-process.ts';
import type { Seeded } from './support/seed.ts';

type Phase = 'A' | 'B' | 'C' | 'D';

interface Expected {
  key: string;
  caseId: string;
  to: string;
  phase: Phase;
}

interface OutboxRow {
  key: string;
  status: string;
  lastError?: string;
  attempts?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('drill: outbox under SMTP faults, app SIGKILLed with retries pending', function () {
  // Generous: on a loaded machine (load average 20 on 2 cores was seen) a phase takes 50 s rather than
  // 5 s; the waits below end on signals, so a slow run is only slower, never a different result.
  this.timeout(480_000);
  let dataDir: string;
  let smtp: TestSmtp;
  let app: AppProcess | undefined;
  let db: MongoClient | undefined;
  let env: Record<string, string>;

  before(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'talent-drill-smtp-'));
    smtp = await startTestSmtp();
    env = drillEnv(dataDir, {
      SMTP_URL: smtp.url,
      // Fast retries so the drill takes seconds: a run every 50 ms, backoff 100 ms doubling to 1 s,
      // and a lease (what a SIGKILLed send leaves behind) of 8 s. The phases switch on signals (every
      // e-mail refused twice, everything settled), never on time, so no e-mail may run out of
      // attempts while the drill waits for a signal: with the default 8 attempts a phase-A e-mail
      // died with 451 after 4.5 s whenever HR's six actions took longer on a loaded machine. 1,000
      // attempts at 1 s are far beyond the drill's timeout; the only e-mail that must die is the
      // one the server refuses with a 5xx (permanent, whatever the attempts left).
      // SMTP limits of 2 s (a loaded machine parsing a message must not time an accepted one out
      // into a second delivery), so a lease of 8 s (at least four of them).
      DISPATCH_INTERVAL_MS: '50',
      SMTP_TIMEOUT_MS: '2000',
      OUTBOX_LEASE_MS: '8000',
      OUTBOX_RETRY_BASE_MS: '100',
      OUTBOX_RETRY_MAX_MS: '1000',
      OUTBOX_MAX_ATTEMPTS: '1000',
    });
  });

  after(async () => {
    await db?.close().catch(() => undefined);
    await app?.kill9();
    await smtp?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function boot(): Promise<void> {
    await db?.close().catch(() => undefined);
    app = startApp(env);
    await waitReady(app);
    db = await connectToAppDatabase(app, dataDir);
  }

  async function outbox(caseIds: string[]): Promise<OutboxRow[]> {
    const { ObjectId } = await import('mongodb');
    const cases = await db!.db().collection('cases').find({ _id: { $in: caseIds.map((id) => new ObjectId(id)) } }, { projection: { outbox: 1 } }).toArray();
    return cases.flatMap((c) => (c.outbox ?? []) as OutboxRow[]);
  }

  it('delivers every e-mail exactly once or shows it dead to HR; none lost, none sent twice', async () => {
    const seeded = JSON.parse(
      (await runScript('test/drills/support/seed.ts', [JSON.stringify({ applicants: 6, stage: 'submitted', prefixes: ['bounce'] })], env)).trim().split('\n').pop()!,
    ) as Seeded;
    const bounce = seeded.applicants[0]!.email;
    const caseIds = seeded.applicants.map((a) => a.caseId);
    const emailOf = new Map(seeded.applicants.map((a) => [a.caseId, a.email]));

    // The SMTP server's behaviour by phase; refusals counted per recipient.
    let phase: Phase = 'A';
    const refused = new Map<string, number>();
    smtp.decide = (address) => {
      const answer: SmtpMode = phase === 'A' ? 'tempfail' : phase === 'B' ? (address === bounce ? 'permfail' : 'accept') : phase === 'C' ? 'drop' : 'accept';
      if (answer !== 'accept') refused.set(`${phase}:${address}`, (refused.get(`${phase}:${address}`) ?? 0) + 1);
      return answer;
    };
    const refusedAtLeast = (p: Phase, addresses: string[], n: number) => addresses.every((a) => (refused.get(`${p}:${a}`) ?? 0) >= n);

    await boot();
    const hr = new WebClient(() => app!.url);
    await hr.signIn(seeded.hr.email, seeded.password, seeded.hr.totpSecret);

    const expected: Expected[] = [];
    /** HR takes `action` on the case through its page; the e-mail it owes is recorded as expected. */
    async function act(caseId: string, action: string, template: string): Promise<void> {
      const page = await hr.get(`/cases/${caseId}`);
      expect(page.status, `GET /cases/${caseId}`).to.equal(200);
      const version = Number(hiddenValue(page.text, 'version'));
      // Putting a case on hold needs a reason (the applicant is told it), and is taken by its confirming POST.
      const r = await hr.postForm(`/cases/${caseId}/actions/${action}${action === 'put_on_hold' ? '/confirm' : ''}`, csrfIn(page.text), { version: String(version), ...(action === 'put_on_hold' ? { reason: 'Waiting for the budget decision.', reviewBy: holdReviewDay() } : {}) });
      expect(r.status, `${action} on ${caseId}: ${r.text.slice(0, 300)}`).to.equal(303);
      expected.push({ key: `${caseId}.${version + 1}.${template}`, caseId, to: emailOf.get(caseId)!, phase });
    }

    // A: 4xx for everyone.
    for (const id of caseIds) await act(id, 'start_screening', 'screening_started');
    await until('every phase-A e-mail refused twice', 90_000, () => refusedAtLeast('A', [...emailOf.values()], 2));
    const pendingAtKill1 = (await outbox(caseIds)).filter((i) => i.status === 'pending' && (i.attempts ?? 0) > 0).length;
    await app!.kill9();

    // B: the bounce recipient gets a 5xx, everyone else is accepted.
    phase = 'B';
    await boot();
    await until('phase-A e-mails settled (sent or dead)', 90_000, async () => (await outbox(caseIds)).every((i) => i.status !== 'pending'));

    // C: connections dropped.
    phase = 'C';
    for (const id of caseIds) await act(id, 'put_on_hold', 'on_hold');
    await until('every phase-C e-mail dropped twice', 90_000, () => refusedAtLeast('C', [...emailOf.values()], 2));
    const pendingAtKill2 = (await outbox(caseIds)).filter((i) => i.status === 'pending' && (i.attempts ?? 0) > 0).length;
    await app!.kill9();
    await boot();

    // D: recovered; more mail while the backlog drains.
    phase = 'D';
    for (const id of caseIds.slice(0, 3)) await act(id, 'resume', 'resumed');
    await until('every e-mail settled (sent or dead)', 90_000, async () => (await outbox(caseIds)).every((i) => i.status !== 'pending'));
    await sleep(300); // a duplicate, if any, would arrive now

    // What the app recorded: exactly the expected e-mails, none extra, none missing.
    const items = await outbox(caseIds);
    expect(items.map((i) => i.key).sort()).to.deep.equal(expected.map((e) => e.key).sort());
    const byKey = new Map(items.map((i) => [i.key, i]));

    // What arrived, counted by Message-ID.
    const received = new Map<string, number>();
    for (const m of smtp.messages) received.set(m.messageId, (received.get(m.messageId) ?? 0) + 1);
    const expectedIds = new Set(expected.map((e) => messageIdFor(e.key)));
    const strays = [...received.keys()].filter((id) => !expectedIds.has(id));
    expect(strays, 'messages nobody owed').to.deep.equal([]);

    let delivered = 0;
    let dead = 0;
    let duplicated = 0;
    const deadOnes: Expected[] = [];
    for (const e of expected) {
      const n = received.get(messageIdFor(e.key)) ?? 0;
      const item = byKey.get(e.key)!;
      if (n > 1) duplicated += 1;
      if (item.status === 'sent') {
        expect(n, `${e.key} sent`).to.equal(1);
        delivered += 1;
      } else {
        expect(item.status, `${e.key}`).to.equal('dead');
        expect(n, `${e.key} dead yet delivered`).to.equal(0);
        expect(item.lastError, `${e.key} dead without an error`).to.be.a('string').and.not.equal('');
        dead += 1;
        deadOnes.push(e);
      }
    }
    // The bounce recipient's phase-A e-mail is the one that had to die, with the server's 5xx.
    const bounced = expected.find((e) => e.phase === 'A' && e.to === bounce)!;
    expect(byKey.get(bounced.key)!.status).to.equal('dead');
    expect(byKey.get(bounced.key)!.lastError).to.match(/550/);

    // Dead e-mails and their errors as HR sees them (the case page) and as the admin sees them.
    for (const e of deadOnes) {
      const page = await hr.get(`/cases/${e.caseId}`);
      const emails = page.text.slice(page.text.indexOf('id="emails"'));
      const row = emails.split('<tr>').find((r) => r.includes(e.to) && r.includes('badge err'));
      expect(row, `HR sees the dead e-mail to ${e.to}`).to.be.a('string');
      expect(row).to.include(escapeHtml(byKey.get(e.key)!.lastError!));
    }
    const admin = new WebClient(app!.url);
    await admin.signIn(seeded.admin.email, seeded.password, seeded.admin.totpSecret);
    const outboxPage = await admin.get('/admin/outbox');
    expect(outboxPage.status).to.equal(200);
    for (const e of deadOnes) {
      const row = new RegExp(`<tr data-key="${e.key.replace(/\./g, '\\.')}">([\\s\\S]*?)</tr>`).exec(outboxPage.text)?.[1];
      expect(row, `admin sees ${e.key}`).to.be.a('string');
      expect(row).to.include(escapeHtml(byKey.get(e.key)!.lastError!));
    }

    // The mail log (written by the dispatcher with each outcome) agrees with the outboxes, across
    // both SIGKILLs: one row per expected e-mail, with its final status, and the dead ones' errors
    // on the mail log's page.
    const logRows = await db!.db().collection('mail_log').find({ source: 'case', key: { $in: expected.map((e) => e.key) } }).toArray();
    expect(logRows.map((r) => r.key as string).sort(), 'one mail log row per e-mail').to.deep.equal(expected.map((e) => e.key).sort());
    for (const r of logRows) expect(r.status, `mail log of ${r.key}`).to.equal(byKey.get(r.key as string)!.status);
    for (const e of deadOnes) {
      const logPage = await admin.get(`/mail-log?to=${encodeURIComponent(e.to)}&status=dead`);
      expect(logPage.status).to.equal(200);
      const row = new RegExp(`data-key="${e.key.replace(/\./g, '\\.')}">([\\s\\S]*?)</tr>`).exec(logPage.text)?.[1];
      expect(row, `mail log shows ${e.key}`).to.be.a('string');
      expect(row).to.include(escapeHtml(byKey.get(e.key)!.lastError!));
    }

    expect(pendingAtKill1, 'retries pending at the first SIGKILL').to.be.greaterThan(0);
    expect(pendingAtKill2, 'retries pending at the second SIGKILL').to.be.greaterThan(0);
    process.stdout.write(
      `      drill figures: ${expected.length} e-mails expected, ${delivered} delivered once, ${dead} dead (error shown to HR and admin), ` +
        `${duplicated} duplicated, ${expected.length - delivered - dead} lost; ${smtp.attempts} SMTP attempts; ` +
        `retries pending at the SIGKILLs: ${pendingAtKill1} and ${pendingAtKill2}\n`,
    );
    expect(delivered + dead).to.equal(expected.length);
    expect(duplicated).to.equal(0);
  });
});

/** As Handlebars escapes text. */
function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#x27;').replace(/`/g, '&#x60;').replace(/=/g, '&#x3D;');
}
