// Drill: the embedded database's data directory on a small disk that fills under the running app.
// The database runs on its own (`npm run db`, support/database-process.ts) with its files on a tmpfs
// of its own; the app (`npm start`) reaches it through MONGODB_URI. The disk filled (a filler file)
// until less than the database's reserve is free (embedded-mongo journal.ts RESERVE_BYTES):
//   1. HR's write (a case put on hold): a 503 page in HR's language saying nothing was saved, the
//      reason typed given back; the applicant's upload (in Vietnamese, formal): the same, the file
//      named as not saved, no record and no file kept; the app stays up;
//   2. reads still work: the case pages answer 200 and show the state the disk holds (the refused
//      hold is nowhere: the write was refused before it changed anything);
//   3. the space freed: the next write is taken without a restart (the time it took is printed);
//   4. the database SIGKILLed and restarted: every acknowledged write is there, nothing of the
//      refused ones, and it loads without a torn or corrupt record.
// Skipped, saying why, where a tmpfs cannot be mounted.
import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ObjectId, type MongoClient } from 'mongodb';
import { WebClient, csrfIn, hiddenValue } from '../../scripts/support/web-client.ts';
import { holdReviewDay } from '../support/hold.ts';
import { makePdf } from '../documents/support.ts';
import { drillEnv, runScript, startApp, until, waitReady, type AppProcess } from './support/app-process.ts';
import { storedFiles } from './support/crash-drill.ts';
import { databaseUri, startDatabase, type DatabaseProcess } from './support/database-process.ts';
import { fillDisk, freeBytes, freeDisk, mountSmallDisk, unmountSmallDisk } from './support/small-disk.ts';
import type { Seeded } from './support/seed.ts';

const DISK_BYTES = 48 * 1024 * 1024;

describe('drill: the embedded database’s disk fills under the app (s36)', function () {
  this.timeout(300_000);
  let dataDir = '';
  let diskDir = '';
  let database: DatabaseProcess | undefined;
  let app: AppProcess | undefined;
  const clients: MongoClient[] = [];

  before(function () {
    dataDir = mkdtempSync(path.join(tmpdir(), 'talent-drill-db-disk-full-'));
    diskDir = path.join(dataDir, 'db-disk');
    const why = mountSmallDisk(diskDir, DISK_BYTES);
    if (why) {
      process.stdout.write(`      skipped: cannot mount a tmpfs for the database's files (${why})\n`);
      rmSync(dataDir, { recursive: true, force: true });
      dataDir = '';
      this.skip();
    }
  });

  after(async () => {
    for (const c of clients) await c.close().catch(() => undefined);
    await app?.kill9();
    if (database && database.child.exitCode === null && database.child.signalCode === null) {
      database.child.kill('SIGKILL');
      await database.exited;
    }
    if (!dataDir) return;
    unmountSmallDisk(diskDir);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses writes with a 503 in the user’s language, keeps serving reads, and takes writes again once there is room', async () => {
    const dbPath = path.join(diskDir, 'db');
    database = await startDatabase(dbPath);
    const uri = await databaseUri(dbPath, database.port);
    const env = drillEnv(dataDir, { MONGODB_URI: uri, UPLOAD_RATE_PER_HOUR: '1000', DISPATCH_INTERVAL_MS: '60000' });
    const checklist = [{ type: 'cv', phase: 'application', required: true }];
    const seeded = JSON.parse((await runScript('test/drills/support/seed.ts', [JSON.stringify({ applicants: 2, stage: 'screening', checklist, locale: 'vi' })], env)).trim().split('\n').pop()!) as Seeded;
    const [first, second] = seeded.applicants;
    app = startApp(env);
    await waitReady(app);
    const connect = async () => {
      const { MongoClient: Client } = await import('mongodb');
      const c = await Client.connect(uri, { serverSelectionTimeoutMS: 5000 });
      clients.push(c);
      return c.db();
    };
    let db = await connect();
    const theCase = async (id: string) => (await db.collection('cases').findOne({ _id: new ObjectId(id) }))!;
    const hr = new WebClient(() => app!.url, 30_000);
    await hr.signIn(seeded.hr.email, seeded.password, seeded.hr.totpSecret);
    const applicant = new WebClient(() => app!.url, 30_000);
    await applicant.signIn(second!.email, seeded.password);
    const hold = async (caseId: string) => {
      const page = await hr.get(`/cases/${caseId}`);
      expect(page.status).to.equal(200);
      return hr.postForm(`/cases/${caseId}/actions/put_on_hold/confirm`, csrfIn(page.text), { version: hiddenValue(page.text, 'version')!, reason: 'Waiting for the budget decision.', reviewBy: holdReviewDay() });
    };
    const upload = async () => {
      const page = await applicant.get(`/applications/${second!.caseId}`);
      expect(page.status).to.equal(200);
      const form = new FormData();
      form.append('cv', new Blob([await makePdf('Sơ yếu lý lịch', { padTo: 300_000 })], { type: 'application/pdf' }), 'so-yeu-ly-lich.pdf');
      return applicant.postMultipart(`/cases/${second!.caseId}/documents`, csrfIn(page.text), form);
    };

    // An acknowledged write while there is room.
    const held = await hold(first!.caseId);
    expect(held.status, held.text.slice(0, 300)).to.equal(303);
    const firstHeld = await theCase(first!.caseId);
    expect(firstHeld.stage).to.equal('on_hold');
    const secondBefore = await theCase(second!.caseId);

    // 1. The disk nearly full: writes refused.
    const filler = fillDisk(diskDir, 4 * 1024 * 1024);
    const refused = await hold(second!.caseId);
    expect(refused.status, refused.text.slice(0, 300)).to.equal(503);
    expect(refused.text).to.match(/<html lang="en"/);
    expect(refused.text).to.include('The database has no room left to save changes right now, so nothing was saved.');
    expect(refused.text, 'the reason typed, given back to copy').to.include('Waiting for the budget decision.');
    const refusedUpload = await upload();
    expect(refusedUpload.status, refusedUpload.text.slice(0, 300)).to.equal(503);
    expect(refusedUpload.text).to.match(/<html lang="vi"/);
    expect(refusedUpload.text).to.include('Cơ sở dữ liệu hiện không còn chỗ để lưu thay đổi nên chưa có gì được lưu.');
    expect(refusedUpload.text, 'formal').not.to.match(/\bbạn\b/i);
    expect(app.child.exitCode, 'the app stays up').to.equal(null);
    expect(database.output()).to.match(/the data disk is almost full; writes refused until space is freed/);

    // 2. Reads still work, and show what the disk holds.
    const page1 = await hr.get(`/cases/${first!.caseId}`);
    expect(page1.status, 'a case page is read').to.equal(200);
    const page2 = await hr.get(`/cases/${second!.caseId}`);
    expect(page2.status).to.equal(200);
    const secondNow = await theCase(second!.caseId);
    expect(secondNow.stage, 'the refused hold is nowhere').to.equal(secondBefore.stage);
    expect(secondNow.version).to.equal(secondBefore.version);
    expect(await db.collection('documents').countDocuments({ case: new ObjectId(second!.caseId) }), 'no record of the refused upload').to.equal(0);
    expect(existsSync(env.UPLOAD_DIR!) ? storedFiles(env.UPLOAD_DIR!) : [], 'nor its file').to.deep.equal([]);

    // 3. Room again: writes taken without a restart.
    freeDisk(filler);
    const freedAt = Date.now();
    const heldAgain = await hold(second!.caseId);
    const recoveredMs = Date.now() - freedAt;
    expect(heldAgain.status, heldAgain.text.slice(0, 300)).to.equal(303);
    const stored = await upload();
    expect(stored.status, stored.text.slice(0, 300)).to.equal(303);
    expect(database.output()).to.match(/the data disk has room again; writes taken/);
    const acknowledged = { first: await theCase(first!.caseId), second: await theCase(second!.caseId), documents: await db.collection('documents').countDocuments({ case: new ObjectId(second!.caseId) }) };
    expect(acknowledged.second.stage).to.equal('on_hold');
    expect(acknowledged.documents).to.equal(1);

    // 4. The database killed and restarted: every acknowledged write there, nothing torn.
    database.child.kill('SIGKILL');
    await database.exited;
    const restartAt = Date.now();
    database = await startDatabase(dbPath, database.port);
    db = await connect();
    const restartMs = Date.now() - restartAt;
    expect(database.output(), 'no torn or corrupt record').to.match(/"tornTailBytes":0/);
    const after = { first: await theCase(first!.caseId), second: await theCase(second!.caseId) };
    expect(after.first.version).to.equal(acknowledged.first.version);
    expect(after.second.version).to.equal(acknowledged.second.version);
    expect(after.second.stage).to.equal('on_hold');
    expect(await db.collection('documents').countDocuments({ case: new ObjectId(second!.caseId) })).to.equal(1);
    await until('the app answers again after the database restart', 60_000, async () => (await hr.get(`/cases/${second!.caseId}`).catch(() => ({ status: 0 }))).status === 200);
    expect(app.output(), 'no unhandled error page').not.to.match(/"msg":"unhandled error"/);
    process.stdout.write(`      drill figures: first write taken ${recoveredMs} ms after the space was freed (no restart); database restart ${restartMs} ms; free at the end ${Math.round(freeBytes(diskDir) / 1024 / 1024)} MB\n`);
  });
});
