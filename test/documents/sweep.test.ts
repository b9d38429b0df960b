// The start-up sweep (server/documents/storage.ts sweepUploads): what a crash leaves behind is
// removed — temporary upload files, stored files no record names, GridFS chunks without a file —
// and nothing written after the cut-off (an upload of the running process) is touched.
import { expect } from 'chai';
import { mkdtemp, mkdir, rm, utimes, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Types } from 'mongoose';
import { ObjectId, type Db } from 'mongodb';
import { CaseDocument } from '../../models/document.ts';
import { DiskStorage, GridFsStorage, newStorageKey, sweepUploads } from '../../server/documents/storage.ts';
import { referencedKeys } from '../../server/documents/sweep.ts';
import { testDatabase } from '../support/app.ts';
import { sha256 } from './support.ts';

const PDF = Buffer.from('%PDF-1.4\n%%EOF\n');

async function record(kind: 'disk' | 'gridfs', key: string): Promise<void> {
  await CaseDocument.create({
    case: new Types.ObjectId(), type: 'cv', slot: 0, version: 1, current: true, storage: kind, storageKey: key,
    originalName: 'cv.pdf', mimeType: 'application/pdf', size: PDF.length, sha256: sha256(PDF), uploadedBy: new Types.ObjectId(), status: 'pending',
  });
}

describe('documents: start-up sweep of uploads left by a crash', function () {
  this.timeout(20_000);
  let dir: string;

  before(async () => {
    await testDatabase();
    dir = await mkdtemp(path.join(tmpdir(), 'talent-sweep-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('on disk: removes old temporary files and old unrecorded files; keeps recorded and newer ones', async () => {
    const store = new DiskStorage(path.join(dir, 'store'));
    const tempDir = path.join(dir, 'store', '.tmp');
    await mkdir(tempDir, { recursive: true });
    // File times are set explicitly: the kernel stamps them with a coarse clock, a few ms behind.
    const cutOff = new Date();
    const old = new Date(cutOff.getTime() - 60_000);
    const recent = new Date(cutOff.getTime() + 60_000);
    const put = async (key: string, mtime?: Date) => {
      const tmp = path.join(tempDir, `${key}.part`);
      await writeFile(tmp, PDF);
      await store.put(tmp, key);
      if (mtime) await utimes(store.pathOf(key), mtime, mtime);
    };
    const [recorded, orphan, fresh] = [newStorageKey(), newStorageKey(), newStorageKey()];
    await put(recorded, old);
    await record('disk', recorded);
    await put(orphan, old);
    await put(fresh, recent); // written after the cut-off: an upload in progress may be about to record it
    await writeFile(path.join(tempDir, 'left.part'), 'half an upload');
    await utimes(path.join(tempDir, 'left.part'), old, old);
    await writeFile(path.join(tempDir, 'live.part'), 'an upload in progress');
    await utimes(path.join(tempDir, 'live.part'), recent, recent);

    const r = await sweepUploads(store, { before: cutOff, referenced: referencedKeys, tempDir });
    expect(r).to.deep.equal({ tempFiles: 1, storedFiles: 1, chunks: 0 });
    expect((await store.keys()).sort()).to.deep.equal([recorded, fresh].sort());
    expect(await readdir(tempDir)).to.deep.equal(['live.part']);
  });

  it('in GridFS: removes unrecorded files and chunks without a file from before the cut-off only', async () => {
    const conn = (await testDatabase()).connection.useDb(`sweep_${process.pid}`);
    const db = conn.db as unknown as Db;
    const store = new GridFsStorage(() => db);
    const put = async (key: string) => {
      const tmp = path.join(dir, `${key}.part`);
      await writeFile(tmp, PDF);
      await store.put(tmp, key, { contentType: 'application/pdf', sha256: sha256(PDF) });
    };
    const [recorded, orphan, fresh] = [newStorageKey(), newStorageKey(), newStorageKey()];
    await put(recorded);
    await record('gridfs', recorded);
    await put(orphan);
    await new Promise((r) => setTimeout(r, 20));
    const cutOff = new Date();
    await new Promise((r) => setTimeout(r, 20));
    await put(fresh);
    const now = Math.floor(Date.now() / 1000);
    const oldChunks = ObjectId.createFromTime(now - 3600);
    const liveChunks = ObjectId.createFromTime(now + 3600);
    await db.collection('documents.chunks').insertMany([
      { files_id: oldChunks, n: 0, data: Buffer.from('cut short') },
      { files_id: liveChunks, n: 0, data: Buffer.from('being written') },
    ]);

    const r = await sweepUploads(store, { before: cutOff, referenced: referencedKeys });
    expect(r).to.deep.equal({ tempFiles: 0, storedFiles: 1, chunks: 1 });
    expect((await store.keys()).sort()).to.deep.equal([recorded, fresh].sort());
    expect(await db.collection('documents.chunks').countDocuments({ files_id: { $in: [oldChunks, liveChunks] } })).to.equal(1);
    await db.dropDatabase();
  });
});
