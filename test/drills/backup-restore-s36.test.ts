// Drill: a backup an administrator can trust. The app runs as `npm start` does (embedded database on
// disk, uploads on disk, e-mail through a real SMTP server in this process) while applicants upload
// PDFs (multipart) and HR puts cases on hold, resumes them (each an e-mail) and writes notes;
// `npm run backup` runs in the middle of it, reaching the app's database with the app's own
// configuration (its credentials file and EMBEDDED_DB_PORT). Then the app is SIGKILLed, the backup
// restored into a new folder with `npm run restore`, and the app started on that folder:
//   - the backup: folder 0700, files 0600; neither the data-encryption key nor the database's
//     credentials in it; the TOTP secrets sealed (v1:…), not in plain text;
//   - one moment: every upload answered before the backup began is in it; every upload audit event
//     in it has its version in it; every version's file is in it with its record's hash;
//   - the restored app: every case, version and audit event of the backup is there, each version's
//     file on disk with its hash and downloadable by its applicant, the e-mail log too; applicants,
//     the administrator and the leader (second factor: the key is given apart) sign in;
//   - refused, with nothing written: a backup with one byte changed, one with a file missing, one
//     without its manifest; a restore into a folder that is not empty.
// TEST_UPLOAD_STORAGE=gridfs runs it with the files in GridFS (in the database, and its one moment).
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, unlinkSync, writeFileSync, cpSync } from 'node:fs';
import path from 'node:path';
import { ObjectId, type MongoClient } from 'mongodb';
import { WebClient, csrfIn, hiddenValue } from '../../scripts/support/web-client.ts';
import { holdReviewDay } from '../support/hold.ts';
import { TEST_DATA_ENCRYPTION_KEY } from '../support/keys.ts';
import { bsonDocuments, type Manifest } from '../../server/backup/manifest.ts';
import { connectToAppDatabase, drillEnv, runScriptToEnd, startApp, waitReady, type AppProcess } from './support/app-process.ts';
import { useDrillSmtp } from './support/crash-drill.ts';
import { useDrill } from './support/drill.ts';

/** A small valid PDF of `size` bytes whose body says `mark` (each upload its own bytes). */
function pdf(size: number, mark: string): Buffer {
  const head = Buffer.from(`%PDF-1.4\n% ${mark}\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n`);
  const tail = Buffer.from('\ntrailer<</Root 1 0 R>>\n%%EOF\n');
  return Buffer.concat([head, Buffer.alloc(Math.max(0, size - head.length - tail.length), 0x30), tail]);
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
type Doc = Record<string, unknown>;

/** The backup's dump of one collection of the app's database, decoded. */
function dumped(dir: string, manifest: Manifest, collection: string): Doc[] {
  const e = manifest.entries.find((x) => x.kind === 'collection' && x.db === 'talent' && x.collection === collection);
  return e ? [...bsonDocuments(readFileSync(path.join(dir, e.path)))] : [];
}

describe('drill: backup while the app writes, SIGKILL, restore into a new folder, start on it', function () {
  this.timeout(300_000);
  const drill = useDrill('backup-s36');
  const smtp = useDrillSmtp();
  let restoredApp: AppProcess | undefined;
  let restoredDb: MongoClient | undefined;
  after(async () => {
    await restoredDb?.close().catch(() => undefined);
    await restoredApp?.kill9();
  });

  it('restores every case, version (file by hash), audit event, e-mail and sign-in of one moment; refuses damaged backups', async () => {
    // TEST_UPLOAD_STORAGE=gridfs: the files live in the database and come with its one moment.
    const storage = process.env.TEST_UPLOAD_STORAGE === 'gridfs' ? 'gridfs' : 'disk';
    const env = drill.env({ SMTP_URL: `smtp://127.0.0.1:${smtp().port}`, DISPATCH_INTERVAL_MS: '200', UPLOAD_RATE_PER_HOUR: '1000000', UPLOAD_STORAGE: storage });
    const checklist = [
      { type: 'cv', phase: 'application', required: true },
      { type: 'recommendation_letter', phase: 'application', required: false, multiple: true },
    ];
    const seeded = await drill.seed(env, { applicants: 3, stage: 'screening', checklist });
    await drill.boot(env);
    const app = drill.app();
    const hr = new WebClient(() => app.url, 20_000);
    await hr.signIn(seeded.hr.email, seeded.password, seeded.hr.totpSecret);
    const applicants = await Promise.all(
      seeded.applicants.map(async (a) => {
        const client = new WebClient(() => app.url, 20_000);
        await client.signIn(a.email, seeded.password);
        return { ...a, client };
      }),
    );

    // The writers: until told to stop, each answered write noted with when its answer came.
    let stop = false;
    let n = 0;
    const uploads: Array<{ name: string; at: number }> = [];
    const changes: number[] = [];
    const uploader = async (a: (typeof applicants)[number]) => {
      while (!stop) {
        const page = await a.client.get(`/applications/${a.caseId}`);
        expect(page.status, 'application page').to.equal(200);
        const name = `drill-${(n += 1)}.pdf`;
        const form = new FormData();
        form.append(n % 3 ? 'recommendation_letter' : 'cv', new Blob([pdf(2_000 + (n % 7) * 40_000, name)], { type: 'application/pdf' }), name);
        const r = await a.client.postMultipart(`/cases/${a.caseId}/documents`, csrfIn(page.text), form);
        expect(r.status, `upload ${name}: ${r.text.slice(0, 200)}`).to.equal(303);
        uploads.push({ name, at: Date.now() });
      }
    };
    const officer = async () => {
      let i = 0;
      while (!stop) {
        const caseId = seeded.applicants[(i += 1) % seeded.applicants.length]!.caseId;
        const page = await hr.get(`/cases/${caseId}`);
        expect(page.status, 'case page').to.equal(200);
        const csrf = csrfIn(page.text);
        if (i % 3 === 0) {
          const r = await hr.postForm(`/cases/${caseId}/notes`, csrf, { note: `drill note ${i}` });
          expect(r.status, 'note').to.equal(303);
        } else {
          const action = /<button[^>]*data-action="resume"/.test(page.text) ? 'resume' : 'put_on_hold';
          const r = await hr.postForm(`/cases/${caseId}/actions/${action}${action === 'put_on_hold' ? '/confirm' : ''}`, csrf, { version: hiddenValue(page.text, 'version') ?? '', reason: 'drill', reviewBy: holdReviewDay() });
          expect([303, 409], `${action} answered ${r.status}`).to.include(r.status);
        }
        changes.push(Date.now());
      }
    };
    const writers = Promise.all([...applicants.map(uploader), officer()]);
    try {
      const until = Date.now() + 60_000;
      while ((uploads.length < 6 || changes.length < 4 || smtp().messages.length < 1) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      expect(smtp().messages.length, 'an e-mail went out before the backup').to.be.greaterThan(0);

      const backupDir = path.join(drill.dir, 'backup');
      const began = Date.now();
      const run = await runScriptToEnd('scripts/backup.ts', ['--out', backupDir], { ...env, EMBEDDED_DB_PORT: String(app.dbPort()) });
      const ended = Date.now();
      expect(run.code, `backup: ${run.err}\n${run.out}`).to.equal(0);
      const during = uploads.filter((u) => u.at > began && u.at < ended).length + changes.filter((t) => t > began && t < ended).length;
      expect(during, 'writes answered while the backup ran').to.be.greaterThan(0);
      process.stdout.write(`      backup: ${run.out.trim().split('\n')[0]}; ${during} writes answered while it ran\n`);
      stop = true;
      await writers;
      await app.kill9();

      // The backup itself: private, no secret, sealed fields sealed.
      const manifest = JSON.parse(readFileSync(path.join(backupDir, 'manifest.json'), 'utf8')) as Manifest;
      expect(manifest.database).to.include({ source: 'embedded', consistency: 'point-in-time' });
      expect(statSync(backupDir).mode & 0o777, 'the backup folder').to.equal(0o700);
      const all = readdirSync(backupDir, { recursive: true, withFileTypes: true });
      for (const e of all) expect(statSync(path.join(e.parentPath, e.name)).mode & 0o777, e.name).to.equal(e.isDirectory() ? 0o700 : 0o600);
      const names = all.map((e) => e.name);
      expect(names).not.to.include.members(['data-encryption.key', 'credentials.json']);
      const bytes = Buffer.concat(all.filter((e) => e.isFile()).map((e) => readFileSync(path.join(e.parentPath, e.name))));
      for (const secret of [TEST_DATA_ENCRYPTION_KEY, seeded.hr.totpSecret!, seeded.admin.totpSecret!]) expect(bytes.includes(secret), 'no key, no plain TOTP secret').to.equal(false);
      const users = dumped(backupDir, manifest, 'users');
      const hrUser = users.find((u) => u.email === seeded.hr.email)!;
      expect(String((hrUser.totp as Doc).secret)).to.match(/^v1:/);

      // One moment: what was answered before it began is in it; audit events come with their change.
      const docs = dumped(backupDir, manifest, 'documents');
      const docNames = new Set(docs.map((d) => String(d.originalName)));
      for (const u of uploads.filter((x) => x.at < began)) expect(docNames.has(u.name), `${u.name}, answered before the backup began`).to.equal(true);
      const docIds = new Set(docs.map((d) => String(d._id)));
      const audits = dumped(backupDir, manifest, 'auditevents');
      for (const e of audits.filter((x) => x.action === 'document.upload')) expect(docIds.has(String(e.targetId)), `the version of upload event ${String(e._id)}`).to.equal(true);
      const files = new Map(manifest.entries.flatMap((e) => (e.kind === 'upload' ? [[e.key, e] as const] : [])));
      for (const d of docs) expect(String(d.storage), String(d.originalName)).to.equal(storage);
      if (storage === 'disk') for (const d of docs) expect(files.get(String(d.storageKey))?.sha256, `the file of ${String(d.originalName)}`).to.equal(String(d.sha256));
      const cases = dumped(backupDir, manifest, 'cases');
      const mails = dumped(backupDir, manifest, 'mail_log');
      expect(mails.some((m) => m.status === 'sent'), 'the e-mail log is in it').to.equal(true);

      // Restore into a new folder and start the app there (the key given apart, as production does).
      const restored = path.join(drill.dir, 'restored');
      const env2 = drillEnv(restored, { SMTP_URL: `smtp://127.0.0.1:${smtp().port}`, DISPATCH_INTERVAL_MS: '200', UPLOAD_STORAGE: storage });
      const r = await runScriptToEnd('scripts/restore.ts', ['--from', backupDir], env2);
      expect(r.code, `restore: ${r.err}\n${r.out}`).to.equal(0);
      restoredApp = startApp(env2);
      await waitReady(restoredApp);
      restoredDb = await connectToAppDatabase(restoredApp, restored);
      const db = restoredDb.db();
      const ids = async (coll: string) => new Set((await db.collection(coll).find({}, { projection: { _id: 1 } }).toArray()).map((x) => String(x._id)));
      expect(await ids('cases'), 'every case').to.deep.equal(new Set(cases.map((c) => String(c._id))));
      expect(await ids('documents'), 'every version').to.deep.equal(docIds);
      const restoredAudits = await ids('auditevents');
      for (const e of audits) expect(restoredAudits.has(String(e._id)), `audit event ${String(e._id)}`).to.equal(true);
      const restoredMails = await ids('mail_log');
      for (const m of mails) expect(restoredMails.has(String(m._id)), `mail-log row ${String(m._id)}`).to.equal(true);
      for (const d of storage === 'disk' ? await db.collection('documents').find({}).toArray() : []) {
        const file = path.join(restored, 'uploads', d.storageKey.slice(0, 2), d.storageKey);
        expect(sha256(readFileSync(file)), `${d.originalName} on disk`).to.equal(d.sha256);
      }

      // Everyone signs in; each applicant downloads every version of their own, byte for byte.
      const base = () => restoredApp!.url;
      let downloaded = 0;
      for (const a of seeded.applicants) {
        const c = new WebClient(base, 20_000);
        await c.signIn(a.email, seeded.password);
        for (const mine of docs.filter((d) => String(d.case) === a.caseId)) {
          const res = await fetch(`${base()}/documents/${String(mine._id)}/download`, { headers: { cookie: c.cookieHeader() } });
          expect(res.status, `download of ${String(mine.originalName)}`).to.equal(200);
          expect(sha256(Buffer.from(await res.arrayBuffer())), `${String(mine.originalName)} downloaded`).to.equal(String(mine.sha256));
          downloaded += 1;
        }
      }
      expect(downloaded, 'every version downloaded').to.equal(docs.length);
      for (const staff of [seeded.admin, seeded.leader]) await new WebClient(base, 20_000).signIn(staff.email, seeded.password, staff.totpSecret);
      expect(users.length, 'every account').to.equal(await db.collection('users').countDocuments({ _id: { $in: users.map((u) => u._id as ObjectId) } }));

      // Refused before anything is written: one byte changed, a file missing, no manifest; a folder in use.
      const refuse = async (label: string, damage: (dir: string) => void, expected: RegExp) => {
        const copy = path.join(drill.dir, `damaged-${label}`);
        cpSync(backupDir, copy, { recursive: true });
        damage(copy);
        const target = path.join(drill.dir, `target-${label}`);
        const out = await runScriptToEnd('scripts/restore.ts', ['--from', copy], drillEnv(target, {}));
        expect(out.code, `${label}: ${out.err}`).to.equal(3);
        expect(out.err, label).to.match(expected);
        expect(existsSync(target), `${label}: nothing written`).to.equal(false);
      };
      // On GridFS the files are in the database's dumps: damage the largest one (the chunks) instead.
      const aFile = manifest.entries.find((e) => e.kind === 'upload') ?? [...manifest.entries].sort((a, b) => b.bytes - a.bytes)[0]!;
      const casesDump = manifest.entries.find((e) => e.kind === 'collection' && e.collection === 'cases')!;
      await refuse('byte', (dir) => {
        const f = path.join(dir, aFile.path);
        const b = readFileSync(f);
        b[Math.floor(b.length / 2)] ^= 0x01;
        writeFileSync(f, b);
      }, new RegExp(`damaged: ${aFile.path.replace(/\//g, '\\/')} `));
      await refuse('missing', (dir) => unlinkSync(path.join(dir, casesDump.path)), /missing: db\/\d{4}\.bson \(talent\.cases\)/);
      await refuse('manifest', (dir) => unlinkSync(path.join(dir, 'manifest.json')), /holds no complete backup/);
      const busy = path.join(drill.dir, 'busy');
      mkdirSync(busy);
      writeFileSync(path.join(busy, 'something'), 'live data');
      const intoBusy = await runScriptToEnd('scripts/restore.ts', ['--from', backupDir], drillEnv(busy, {}));
      expect(intoBusy.code).to.not.equal(0);
      expect(intoBusy.err).to.match(/is not empty/);
      expect(readdirSync(busy)).to.deep.equal(['something']);
      process.stdout.write(`      restored ${cases.length} cases, ${docs.length} versions (${files.size} files), ${audits.length} audit events, ${mails.length} mail-log rows, ${users.length} accounts\n`);
    } finally {
      stop = true;
      await writers.catch(() => undefined);
      // Before the drill's folder is removed (its own after hook runs first).
      await restoredDb?.close().catch(() => undefined);
      await restoredApp?.kill9();
    }
  });
});
