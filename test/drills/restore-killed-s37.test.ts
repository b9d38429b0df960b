// Drill s37: a backup or a restore SIGKILLed midway (./support/backup-kill-hook.mjs), as a power cut
// or the OOM killer would stop it.
//   - a restore killed after some of its files were moved into place, in the middle of rebuilding
//     the database, and just before the rebuilt database is moved in: restore-in-progress.json is in
//     the data and upload folders; the app refuses to start there (exit 2, saying what to run, and
//     no empty database made); another backup is refused there; the same restore run again clears
//     what the first left and finishes; the app then starts with every version and its file;
//   - a backup killed in the middle of copying the files: the folder has no manifest; a restore from
//     it is refused (exit 3) naming what is missing, nothing written; a backup into it is refused
//     saying it did not finish.
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { MongoClient } from 'mongodb';
import { WebClient, csrfIn } from '../../scripts/support/web-client.ts';
import { RESTORE_MARKER } from '../../server/backup/restore-marker.ts';
import type { Manifest } from '../../server/backup/manifest.ts';
import { connectToAppDatabase, drillEnv, runScriptToEnd, startApp, waitReady, type AppProcess } from './support/app-process.ts';
import { useDrillSmtp } from './support/crash-drill.ts';
import { useDrill } from './support/drill.ts';

const HOOK = pathToFileURL(path.join(import.meta.dirname, 'support', 'backup-kill-hook.mjs')).href;
const killEnv = (env: Record<string, string>, point: string) => ({ ...env, NODE_OPTIONS: `--import ${HOOK}`, DRILL_BACKUP_KILL: point });
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function pdf(size: number, mark: string): Buffer {
  const head = Buffer.from(`%PDF-1.4\n% ${mark}\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n`);
  const tail = Buffer.from('\ntrailer<</Root 1 0 R>>\n%%EOF\n');
  return Buffer.concat([head, Buffer.alloc(Math.max(0, size - head.length - tail.length), 0x30), tail]);
}

describe('drill s37: backup and restore SIGKILLed midway', function () {
  this.timeout(600_000);
  const drill = useDrill('restore-kill-s37');
  const smtp = useDrillSmtp();
  let app2: AppProcess | undefined;
  let db2: MongoClient | undefined;
  after(async () => {
    await db2?.close().catch(() => undefined);
    await app2?.kill9();
  });

  it('a killed restore leaves its mark: the app will not start there, the same restore finishes, another is refused; a killed backup is never taken for one', async () => {
    const env = drill.env({ SMTP_URL: `smtp://127.0.0.1:${smtp().port}`, UPLOAD_RATE_PER_HOUR: '1000000' });
    const seeded = await drill.seed(env, { applicants: 2, stage: 'screening', checklist: [{ type: 'recommendation_letter', phase: 'application', required: false, multiple: true }] });
    await drill.boot(env);
    const app = drill.app();
    let n = 0;
    const upload = async (count: number) => {
      for (const a of seeded.applicants) {
        const c = new WebClient(() => app.url, 20_000);
        await c.signIn(a.email, seeded.password);
        for (let i = 0; i < count; i++) {
          const page = await c.get(`/applications/${a.caseId}`);
          const name = `s37-${(n += 1)}.pdf`;
          const form = new FormData();
          form.append('recommendation_letter', new Blob([pdf(3_000 + n * 5_000, name)], { type: 'application/pdf' }), name);
          const r = await c.postMultipart(`/cases/${a.caseId}/documents`, csrfIn(page.text), form);
          expect(r.status, `upload ${name}`).to.equal(303);
        }
      }
    };
    await upload(3);
    const backupEnv = { ...env, EMBEDDED_DB_PORT: String(app.dbPort()) };
    const backupDir = path.join(drill.dir, 'backup');
    const b1 = await runScriptToEnd('scripts/backup.ts', ['--out', backupDir], backupEnv);
    expect(b1.code, b1.err).to.equal(0);
    await upload(1);
    const otherBackup = path.join(drill.dir, 'backup-later');
    expect((await runScriptToEnd('scripts/backup.ts', ['--out', otherBackup], backupEnv)).code).to.equal(0);

    // The backup killed while copying the files (the third of eight).
    const partial = path.join(drill.dir, 'backup-killed');
    const killedBackup = await runScriptToEnd('scripts/backup.ts', ['--out', partial], killEnv(backupEnv, 'copy:3'));
    expect(killedBackup.signal, killedBackup.err).to.equal('SIGKILL');
    expect(killedBackup.err).to.include('killed at copy:3');
    expect(existsSync(path.join(partial, 'files')), 'a partial folder was left').to.equal(true);
    await app.stop();

    const fromPartial = await runScriptToEnd('scripts/restore.ts', ['--from', partial], drillEnv(path.join(drill.dir, 'from-partial'), {}));
    expect(fromPartial.code, fromPartial.err).to.equal(3);
    expect(fromPartial.err).to.match(/holds no complete backup: manifest\.json and manifest\.sha256 missing \(a backup that did not finish/);
    expect(existsSync(path.join(drill.dir, 'from-partial')), 'nothing written').to.equal(false);
    const intoPartial = await runScriptToEnd('scripts/backup.ts', ['--out', partial], backupEnv);
    expect(intoPartial.code).to.not.equal(0);
    expect(intoPartial.err).to.match(/holds a backup that did not finish \(no manifest/);
    process.stdout.write(`      backup killed at copy:3: refused as a source (${fromPartial.err.trim().split('\n').slice(-1)[0]!.slice(0, 120)}…)\n`);

    const manifest = JSON.parse(readFileSync(path.join(backupDir, 'manifest.json'), 'utf8')) as Manifest;
    const uploads = manifest.entries.filter((e) => e.kind === 'upload');
    expect(uploads.length, 'files in the backup').to.equal(6);
    for (const [i, point] of ['file:3', 'insert:4', 'db-rename'].entries()) {
      const target = path.join(drill.dir, `target-${i}`);
      const env2 = drillEnv(target, { SMTP_URL: `smtp://127.0.0.1:${smtp().port}` });
      let t = Date.now();
      const killed = await runScriptToEnd('scripts/restore.ts', ['--from', backupDir], killEnv(env2, point));
      const killedMs = Date.now() - t;
      expect(killed.signal, `${point}: ${killed.err}`).to.equal('SIGKILL');
      expect(killed.err).to.include(`killed at ${point}`);
      for (const dir of [target, path.join(target, 'uploads')]) expect(existsSync(path.join(dir, RESTORE_MARKER)), `${point}: the mark in ${dir}`).to.equal(true);
      const hadDb = existsSync(path.join(target, 'db'));
      expect(hadDb, `${point}: no database moved in yet`).to.equal(false);

      // The app does not start on it, says what to run, and makes no empty database there.
      t = Date.now();
      const refused = startApp(env2);
      const code = await refused.exited;
      expect(code, refused.output()).to.equal(2);
      expect(refused.output()).to.match(/holds a restore that did not finish/);
      expect(refused.output()).to.include(`npm run restore -- --from ${backupDir}`);
      expect(existsSync(path.join(target, 'db')), `${point}: the app made no database`).to.equal(false);
      const refusedMs = Date.now() - t;

      if (i === 0) {
        const other = await runScriptToEnd('scripts/restore.ts', ['--from', otherBackup], env2);
        expect(other.code, other.err).to.equal(1);
        expect(other.err).to.match(/refusing to restore .*holds a restore that did not finish \(of the backup .*backup,/);
        expect(other.err).to.include('--force');
      }

      t = Date.now();
      const again = await runScriptToEnd('scripts/restore.ts', ['--from', backupDir], env2);
      const againMs = Date.now() - t;
      expect(again.code, `${point}, again: ${again.err}`).to.equal(0);
      expect(again.out).to.match(/an unfinished restore of this backup was there: cleared and done again/);
      for (const dir of [target, path.join(target, 'uploads')]) expect(existsSync(path.join(dir, RESTORE_MARKER)), `${point}: the mark removed`).to.equal(false);

      t = Date.now();
      app2 = startApp(env2);
      await waitReady(app2);
      const startMs = Date.now() - t;
      db2 = await connectToAppDatabase(app2, target);
      const versions = await db2.db().collection('documents').find({}).toArray();
      expect(versions.length, `${point}: every version`).to.equal(6);
      for (const v of versions) {
        const file = path.join(target, 'uploads', String(v.storageKey).slice(0, 2), String(v.storageKey));
        expect(sha256(readFileSync(file)), `${point}: ${String(v.originalName)}`).to.equal(String(v.sha256));
      }
      const counts = manifest.entries.filter((e) => e.kind === 'collection' && e.db === 'talent');
      for (const e of counts) if (e.kind === 'collection' && ['cases', 'users', 'auditevents'].includes(e.collection)) expect(await db2.db().collection(e.collection).countDocuments(), `${point}: ${e.collection}`).to.equal(e.documents);
      await db2.close();
      db2 = undefined;
      expect(await app2.stop()).to.equal(0);
      app2 = undefined;
      process.stdout.write(`      restore killed at ${point} after ${killedMs} ms: app refused in ${refusedMs} ms; restore again ${againMs} ms; app ready on it in ${startMs} ms\n`);
    }
  });
});
