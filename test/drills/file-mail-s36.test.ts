// Drill: the file transport (no SMTP_URL, the default: each e-mail an .eml file under DATA_DIR/mail)
// under faults of its folder. The real app (`npm start`, a child process); HR puts a case on hold,
// which owes its applicant an e-mail through the case's outbox:
//   A. the app SIGKILLed half-way through writing the mail file (support/mail-kill-hook.mjs): the
//      e-mail is not recorded as sent, no half message under an .eml name; after the restart the
//      claim's lease runs out and the e-mail is written again: one whole file (parsed back: its
//      Message-ID, recipient, subject), recorded sent once, no temporary file left;
//   B. the mail folder read-only (a tmpfs mounted ro over it): no file, not recorded as sent, the
//      outbox retries; HR's mail log says the server could not write into its mail folder (not that
//      a mailbox is full), in HR's language; the folder writable again: sent, one whole file;
//   C. the mail folder's disk full (a small tmpfs, filled): the same, and no temporary file left by
//      the failed writes; the space freed: sent, one whole file.
// B and C are skipped, saying why, where a tmpfs cannot be mounted.
import { expect } from 'chai';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { simpleParser } from 'mailparser';
import { ObjectId, type MongoClient } from 'mongodb';
import { WebClient, csrfIn, hiddenValue } from '../../scripts/support/web-client.ts';
import { holdReviewDay } from '../support/hold.ts';
import { connectToAppDatabase, drillEnv, runScript, startApp, until, waitReady, type AppProcess } from './support/app-process.ts';
import { fillDisk, freeDisk, mountSmallDisk, unmountSmallDisk } from './support/small-disk.ts';
import type { Seeded } from './support/seed.ts';

interface OutboxRow {
  key: string;
  status: string;
  attempts?: number;
  lastError?: string;
  messageId?: string;
  leaseOwner?: string | null;
}

describe('drill: e-mails written as files while the process dies, the folder is read-only or its disk full (s36)', function () {
  this.timeout(300_000);
  let dataDir = '';
  let mailDir = '';
  let app: AppProcess | undefined;
  let client: MongoClient | undefined;
  let mounted = false;

  before(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'talent-drill-file-mail-'));
    mailDir = path.join(dataDir, 'mail');
  });

  after(async () => {
    await client?.close().catch(() => undefined);
    await app?.kill9();
    if (mounted) unmountSmallDisk(mailDir);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('records no e-mail as sent that is not on disk whole, retries, and tells HR why', async () => {
    const env = drillEnv(dataDir, {
      // Fast: a run every 100 ms, retries 200 ms doubling to 1 s, a killed send's claim free after 4 s.
      DISPATCH_INTERVAL_MS: '100',
      SMTP_TIMEOUT_MS: '1000',
      OUTBOX_LEASE_MS: '4000',
      OUTBOX_RETRY_BASE_MS: '200',
      OUTBOX_RETRY_MAX_MS: '1000',
      OUTBOX_MAX_ATTEMPTS: '10000',
    });
    const seeded = JSON.parse((await runScript('test/drills/support/seed.ts', [JSON.stringify({ applicants: 3, stage: 'screening', locale: 'vi' })], env)).trim().split('\n').pop()!) as Seeded;
    const boot = async (extra: Record<string, string> = {}) => {
      await client?.close().catch(() => undefined);
      app = startApp({ ...env, ...extra });
      await waitReady(app);
      client = await connectToAppDatabase(app, dataDir);
    };
    const outbox = async (caseId: string) => ((await client!.db().collection('cases').findOne({ _id: new ObjectId(caseId) }, { projection: { outbox: 1 } }))?.outbox ?? []) as OutboxRow[];
    const sentLogs = (key: string) => client!.db().collection('mail_log').countDocuments({ key, status: 'sent' });
    const hr = new WebClient(() => app!.url, 30_000);
    let signedIn = false;
    /** HR puts the case on hold; `dying`: the app may be killed (by the dispatcher's write) before the answer is out. */
    const hold = async (caseId: string, dying = false) => {
      if (!signedIn) await hr.signIn(seeded.hr.email, seeded.password, seeded.hr.totpSecret);
      signedIn = true;
      const page = await hr.get(`/cases/${caseId}`);
      expect(page.status).to.equal(200);
      const sent = hr.postForm(`/cases/${caseId}/actions/put_on_hold/confirm`, csrfIn(page.text), { version: hiddenValue(page.text, 'version')!, reason: 'Chờ quyết định ngân sách.', reviewBy: holdReviewDay() });
      if (dying) {
        await sent.catch(() => undefined);
        return '';
      }
      const r = await sent;
      expect(r.status, r.text.slice(0, 300)).to.equal(303);
      const [item] = await outbox(caseId);
      expect(item, 'the hold owes the applicant an e-mail').to.not.equal(undefined);
      return item!.key;
    };
    const listed = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);
    /** The .eml files whose Message-ID is the outbox key's, parsed. */
    const filesOf = async (dir: string, key: string) => {
      const out = [];
      for (const name of listed(dir).filter((n) => n.endsWith('.eml'))) {
        const parsed = await simpleParser(readFileSync(path.join(dir, name)));
        if (parsed.messageId === `<${key}@talent.local>`) out.push({ name, parsed });
      }
      return out;
    };
    const expectOneWholeFile = async (dir: string, key: string, to: string) => {
      const files = await filesOf(dir, key);
      expect(files.map((f) => f.name), 'one file for the e-mail').to.have.length(1);
      const { parsed } = files[0]!;
      expect(parsed.to && !Array.isArray(parsed.to) ? parsed.to.text : '').to.equal(to);
      expect(parsed.subject, 'its subject').to.be.a('string').and.not.equal('');
      expect(parsed.html, 'its HTML part, to the end').to.match(/<\/html>\s*$/i);
      expect(parsed.text, 'its text part').to.be.a('string').and.not.equal('');
      expect(listed(dir).filter((n) => n.endsWith('.tmp')), 'no temporary file left').to.deep.equal([]);
    };
    const figures: string[] = [];
    const [a, b, c] = seeded.applicants;

    // A. Killed half-way through the mail file.
    const hook = pathToFileURL(path.join(import.meta.dirname, 'support', 'mail-kill-hook.mjs')).href;
    await boot({ NODE_OPTIONS: `--import ${hook}`, DRILL_MAIL_KILL: 'half' });
    await hold(a!.caseId, true);
    expect(await app!.exited, 'the app was killed').to.equal(null);
    expect(app!.output()).to.match(/killed writing mail file: \S+\.eml\.tmp \(\d+ of \d+ bytes\)/);
    expect(listed(mailDir).filter((n) => n.endsWith('.eml')), 'A: no message under an .eml name').to.deep.equal([]);
    expect(listed(mailDir).filter((n) => n.endsWith('.eml.tmp')), 'A: the half file the kill left').to.have.length(1);
    const killedAt = Date.now();
    await boot();
    const [pendingA] = await outbox(a!.caseId);
    expect(pendingA!.status, 'A: not recorded as sent').to.equal('pending');
    const keyA = pendingA!.key;
    expect(await sentLogs(keyA), 'A: not logged as sent').to.equal(0);
    await until('A: the e-mail written again once the lease ran out', 60_000, async () => (await outbox(a!.caseId))[0]!.status === 'sent');
    figures.push(`A: sent ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill (lease 4 s, restart included)`);
    await expectOneWholeFile(mailDir, keyA, a!.email);
    expect(await sentLogs(keyA), 'A: logged sent once').to.equal(1);

    const why = mountSmallDisk(path.join(dataDir, 'probe'), 1024 * 1024);
    if (why) {
      process.stdout.write(`      B and C skipped: cannot mount a tmpfs (${why})\n`);
      process.stdout.write(`      drill figures: ${figures.join('; ')}\n`);
      return;
    }
    unmountSmallDisk(path.join(dataDir, 'probe'));

    /** HR's mail log shows the e-mail as not sent yet, because this server could not write it into its mail folder. */
    const hrSeesMailFolderFault = async (to: string) => {
      const page = await hr.get('/mail-log');
      expect(page.status).to.equal(200);
      const row = page.text.slice(page.text.indexOf('<tbody')).split('<tr').find((r) => r.includes(to));
      expect(row, 'the e-mail’s row').to.be.a('string');
      expect(row, 'HR is told the server could not write it into its mail folder').to.include('could not write the e-mail into its mail folder');
      expect(row, 'and that it is tried again').to.include('tries again by itself');
    };

    // B. The mail folder read-only.
    expect(mountSmallDisk(mailDir, 1024 * 1024, { readOnly: true })).to.equal(undefined);
    mounted = true;
    const keyB = await hold(b!.caseId);
    await until('B: the write refused twice', 30_000, async () => ((await outbox(b!.caseId))[0]!.attempts ?? 0) >= 2);
    const [failingB] = await outbox(b!.caseId);
    expect(failingB!.status, 'B: still to send').to.equal('pending');
    expect(failingB!.lastError).to.match(/EROFS/);
    expect(await sentLogs(keyB)).to.equal(0);
    await hrSeesMailFolderFault(b!.email);
    unmountSmallDisk(mailDir);
    mounted = false;
    const writableAt = Date.now();
    await until('B: sent once the folder is writable', 30_000, async () => (await outbox(b!.caseId))[0]!.status === 'sent');
    figures.push(`B: sent ${Date.now() - writableAt} ms after the folder was writable again`);
    await expectOneWholeFile(mailDir, keyB, b!.email);
    expect(await sentLogs(keyB)).to.equal(1);

    // C. The mail folder's disk full.
    expect(mountSmallDisk(mailDir, 1024 * 1024)).to.equal(undefined);
    mounted = true;
    const filler = fillDisk(mailDir, 0);
    const keyC = await hold(c!.caseId);
    await until('C: the write refused twice', 30_000, async () => ((await outbox(c!.caseId))[0]!.attempts ?? 0) >= 2);
    const [failingC] = await outbox(c!.caseId);
    expect(failingC!.status).to.equal('pending');
    expect(failingC!.lastError).to.match(/ENOSPC/);
    expect(await sentLogs(keyC)).to.equal(0);
    expect(listed(mailDir).filter((n) => n.endsWith('.tmp')), 'C: no temporary file left by the failed writes').to.deep.equal([]);
    await hrSeesMailFolderFault(c!.email);
    freeDisk(filler);
    const freedAt = Date.now();
    await until('C: sent once there is room', 30_000, async () => (await outbox(c!.caseId))[0]!.status === 'sent');
    figures.push(`C: sent ${Date.now() - freedAt} ms after the space was freed`);
    await expectOneWholeFile(mailDir, keyC, c!.email);
    expect(await sentLogs(keyC)).to.equal(1);
    unmountSmallDisk(mailDir);
    mounted = false;
    expect(app!.output(), 'no unhandled error').not.to.match(/"msg":"unhandled error"/);
    process.stdout.write(`      drill figures: ${figures.join('; ')}\n`);
  });
});
