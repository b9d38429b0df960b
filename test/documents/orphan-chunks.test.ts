// The running app's sweep of GridFS chunks left by uploads cut short (server/documents/orphan-chunks.ts),
// against the real database: after a web process's death it waits the grace, then removes the chunks
// of uploads begun in its window that have no files document, and logs them; it keeps the chunks of
// stored files and of uploads begun within the grace (still under way), which are stored whole after.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { ObjectId, type Db } from 'mongodb';
import type { AppContext } from '../../server/deps.ts';
import type { Config } from '../../server/config.ts';
import { createLogger } from '../../server/logger.ts';
import { GridFsStorage, GRIDFS_CHUNK_BYTES, newStorageKey } from '../../server/documents/storage.ts';
import { AFTER_DEATH_MARGIN_MS, orphanChunkService } from '../../server/documents/orphan-chunks.ts';
import { testDatabase } from '../support/app.ts';
import { storageRefusal, UploadError } from '../../server/documents/errors.ts';
import { translate } from '../../server/i18n/index.ts';
import { sha256, waitFor } from './support.ts';

const GRACE_MS = 1500;

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

describe('documents: GridFS chunks of uploads cut short, removed while the app runs', function () {
  this.timeout(30_000);

  it('after a web process dies and the grace passes: removes the window’s orphan chunks and logs them; keeps stored files, uploads under way and what the start-up sweep owns', async () => {
    const conn = (await testDatabase()).connection.useDb(`orphan_chunks_${process.pid}`);
    const db = conn.db as unknown as Db;
    const chunks = db.collection('documents.chunks');
    const store = new GridFsStorage(() => db);
    const lines: string[] = [];
    const logger = createLogger('debug', new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString()), cb()) }) as never);
    const config = { upload: { storage: 'gridfs', dir: path.join(tmpdir(), 'unused'), gridfsGraceMs: GRACE_MS, gridfsSweepIntervalMs: 3_600_000 } } as Config;
    const service = orphanChunkService({ config, logger, db: { connection: conn } } as unknown as AppContext);

    const stage = async (bytes: Buffer, tag: string) => {
      const tempPath = path.join(tmpdir(), `orphan-${process.pid}-${tag}.part`);
      const s = store.stage(tempPath) as ReturnType<GridFsStorage['stage']> & { id: ObjectId };
      await s.write(bytes);
      return { s, tempPath };
    };
    // A stored file (its files document written by `put`).
    const storedBytes = randomBytes(2 * GRIDFS_CHUNK_BYTES + 1000);
    const stored = await stage(storedBytes, 'stored');
    await stored.s.finish();
    const storedKey = newStorageKey();
    await store.put(stored.tempPath, storedKey, { contentType: 'application/pdf', sha256: sha256(storedBytes) });
    // The upload of a process that died: chunks in, never `put`.
    const cut = await stage(randomBytes(2 * GRIDFS_CHUNK_BYTES + 5), 'cut');
    await cut.s.finish();
    const cutChunks = await chunks.countDocuments({ files_id: cut.s.id });
    expect(cutChunks, 'the cut-short upload’s chunks').to.equal(3);
    // Chunks from before this process started: the start-up sweep's, not read by the running one's window.
    const ancient = ObjectId.createFromTime(Math.floor(Date.now() / 1000) - 7200);
    await chunks.insertOne({ files_id: ancient, n: 0, data: Buffer.from('before the start') });

    service.start();
    const diedAt = Date.now();
    service.webProcessDied?.();
    expect(lines.join('')).to.include('a web process died');
    // An upload begun after the death, under way when the run comes (begun less than the grace before it).
    await new Promise((r) => setTimeout(r, GRACE_MS + AFTER_DEATH_MARGIN_MS - 700));
    const liveFirst = randomBytes(GRIDFS_CHUNK_BYTES * 2);
    const live = await stage(liveFirst, 'live');
    await waitFor(async () => (await chunks.countDocuments({ files_id: live.s.id })) === 2, 5000, 'the live upload’s first chunks');
    expect(await chunks.countDocuments({ files_id: cut.s.id }), 'nothing removed before the grace has passed').to.equal(cutChunks);

    await waitFor(async () => lines.some((l) => l.includes('GridFS chunks of uploads cut short removed')), 10_000, 'the sweep’s log line');
    expect(Date.now() - diedAt, 'not before the grace').to.be.at.least(GRACE_MS + AFTER_DEATH_MARGIN_MS - 50);
    const line = JSON.parse(lines.find((l) => l.includes('GridFS chunks of uploads cut short removed'))!) as { chunks: number; uploads: Array<{ filesId: string; chunks: number }> };
    expect(line.chunks).to.equal(cutChunks);
    expect(line.uploads.map((u) => [u.filesId, u.chunks])).to.deep.equal([[cut.s.id.toHexString(), cutChunks]]);
    expect(await chunks.countDocuments({ files_id: cut.s.id }), 'the cut-short upload’s chunks').to.equal(0);
    expect(await chunks.countDocuments({ files_id: ancient }), 'older than the window: the start-up sweep’s').to.equal(1);
    expect(await chunks.countDocuments({ files_id: live.s.id }), 'the upload under way keeps its chunks').to.equal(2);

    // The upload under way finishes and is stored whole; the stored file reads whole.
    const liveRest = randomBytes(GRIDFS_CHUNK_BYTES + 77);
    await live.s.write(liveRest);
    await live.s.finish();
    const liveKey = newStorageKey();
    const liveBytes = Buffer.concat([liveFirst, liveRest]);
    await store.put(live.tempPath, liveKey, { contentType: 'application/pdf', sha256: sha256(liveBytes) });
    expect(sha256(await readAll(await store.openRead(liveKey)))).to.equal(sha256(liveBytes));
    expect(sha256(await readAll(await store.openRead(storedKey)))).to.equal(sha256(storedBytes));

    await service.stop();
    await db.dropDatabase();
  });

  it('periodically (here each second): removes an orphan once older than the grace, each run reading on from the previous run’s cut-off', async () => {
    const conn = (await testDatabase()).connection.useDb(`orphan_chunks_period_${process.pid}`);
    const db = conn.db as unknown as Db;
    const chunks = db.collection('documents.chunks');
    const lines: string[] = [];
    const logger = createLogger('debug', new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString()), cb()) }) as never);
    const config = { upload: { storage: 'gridfs', dir: path.join(tmpdir(), 'unused'), gridfsGraceMs: 1000, gridfsSweepIntervalMs: 1000 } } as Config;
    const service = orphanChunkService({ config, logger, db: { connection: conn } } as unknown as AppContext);
    const orphan = new ObjectId();
    await chunks.insertMany([0, 1].map((n) => ({ files_id: orphan, n, data: Buffer.from('cut short') })));
    service.start();
    await waitFor(async () => (await chunks.countDocuments({ files_id: orphan })) === 0, 10_000, 'the orphan removed');
    await waitFor(async () => lines.filter((l) => l.includes('GridFS orphan chunks: none')).length >= 2, 10_000, 'two runs after');
    await service.stop();
    const runs = lines.filter((l) => /GridFS (orphan chunks: none|chunks of uploads cut short removed)/.test(l)).map((l) => JSON.parse(l) as { since: string; before: string });
    expect(JSON.parse(lines.find((l) => l.includes('cut short removed'))!).uploads[0].filesId).to.equal(orphan.toHexString());
    for (let i = 1; i < runs.length; i++) {
      // From the previous cut-off less the minute's overlap: no gap, and not the whole bucket again.
      expect(Date.parse(runs[i]!.since)).to.equal(Date.parse(runs[i - 1]!.before) - 60_000);
    }
    await db.dropDatabase();
  });

  it('an upload whose chunks a sweep took while it ran (past the grace, or an instance whose clock is behind) fails at `put`, not stored broken', async () => {
    const conn = (await testDatabase()).connection.useDb(`orphan_chunks_taken_${process.pid}`);
    const db = conn.db as unknown as Db;
    const store = new GridFsStorage(() => db);
    const tempPath = path.join(tmpdir(), `orphan-${process.pid}-taken.part`);
    const s = store.stage(tempPath) as ReturnType<GridFsStorage['stage']> & { id: ObjectId };
    const first = randomBytes(2 * GRIDFS_CHUNK_BYTES);
    await s.write(first);
    await waitFor(async () => (await db.collection('documents.chunks').countDocuments({ files_id: s.id })) === 2, 5000, 'the first chunks');
    // The sweep of an instance for which this upload began more than the grace ago.
    const swept = await store.removeOrphanChunks(new Date(Date.now() + 2000), new Date(Date.now() - 60_000));
    expect(swept.chunks).to.equal(2);
    const rest = randomBytes(GRIDFS_CHUNK_BYTES + 5);
    await s.write(rest);
    await s.finish();
    const key = newStorageKey();
    let failed: unknown;
    await store.put(tempPath, key, { contentType: 'application/pdf', sha256: sha256(Buffer.concat([first, rest])) }).catch((err: unknown) => (failed = err));
    expect(String(failed)).to.match(/lost chunks/);
    expect(await store.exists(key), 'no file stored that cannot be read whole').to.equal(false);
    // The person is told what happened and what to do (a 503 naming the file, en and vi), not a bare server error.
    const told = storageRefusal(failed, 'passport.pdf') as UploadError;
    expect(told).to.be.instanceOf(UploadError);
    expect([told.status, told.code]).to.deep.equal([503, 'not_stored_whole']);
    for (const [lang, words] of [['en', '“passport.pdf” could not be stored whole'], ['vi', 'Chưa lưu được trọn vẹn “passport.pdf”']] as const) {
      expect(translate(lang, told.message, told.params)).to.include(words).and.include(lang === 'en' ? 'send it again' : 'gửi lại');
    }
    await db.dropDatabase();
  });

  it('a death on an instance that stores on disk schedules nothing', async () => {
    const conn = (await testDatabase()).connection.useDb(`orphan_chunks_disk_${process.pid}`);
    const lines: string[] = [];
    const logger = createLogger('debug', new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString()), cb()) }) as never);
    const config = { upload: { storage: 'disk', dir: path.join(tmpdir(), 'unused'), gridfsGraceMs: 1000, gridfsSweepIntervalMs: 1000 } } as Config;
    const service = orphanChunkService({ config, logger, db: { connection: conn } } as unknown as AppContext);
    service.start();
    service.webProcessDied?.();
    await new Promise((r) => setTimeout(r, 1000 + AFTER_DEATH_MARGIN_MS + 300));
    await service.stop();
    expect(lines.join('')).not.to.match(/GridFS orphan chunks|web process died/);
  });
});
