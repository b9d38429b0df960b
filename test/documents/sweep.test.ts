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
import { referencedKeys, sweepAnswerFiles } from '../../server/documents/sweep.ts';
import { Case } from '../../models/case.ts';
import type { Config } from '../../server/config.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
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

  it('answers’ files: removes the marked ones no answer names (record, file; the version one replaced current again), unmarks a named one, leaves later ones', async () => {
    const db = await testDatabase();
    const store = new DiskStorage(path.join(dir, 'answers'));
    const app = { config: { upload: { dir: path.join(dir, 'answers'), storage: 'disk' } } as Config, db };
    const institute = await createInstitute();
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await createCase({ applicant, call: await createCall({ institute, checklist: [] }), stage: 'awaiting_applicant' });
    const put = async (version: number, fields: Record<string, unknown>) => {
      const key = newStorageKey();
      const tmp = path.join(dir, `${key}.part`);
      await writeFile(tmp, PDF);
      await store.put(tmp, key);
      return CaseDocument.create({
        case: c._id, type: 'degree', slot: 0, version, storage: 'disk', storageKey: key, originalName: 'degree.pdf', mimeType: 'application/pdf',
        size: PDF.length, sha256: sha256(PDF), uploadedBy: applicant._id, status: 'pending', ...fields,
      });
    };
    // v1 the applicant's own; v2 an answer's file that replaced it, its answer killed before the case's update;
    // v3 in another slot, named by the answer, its mark not cleared; v4 written after the cut-off.
    const v1 = await put(1, { current: false });
    const lost = await put(2, { current: true, answerPending: true });
    const named = await put(1, { slot: 1, current: true, answerPending: true });
    await Case.updateOne({ _id: c._id }, { $set: { 'infoRequest.answerDocuments': [named._id] } });
    const cutOff = new Date(Date.now() + 50);
    await new Promise((r) => setTimeout(r, 100));
    const later = await put(1, { slot: 2, current: true, answerPending: true });

    expect(await sweepAnswerFiles(app, cutOff)).to.deep.equal({ removed: 1, kept: 1 });
    expect(await CaseDocument.exists({ _id: lost._id }), 'the lost answer’s record').to.equal(null);
    expect(await store.exists(lost.storageKey), 'its file').to.equal(false);
    expect((await CaseDocument.findById(v1._id).lean())!.current, 'the version it replaced is current again').to.equal(true);
    expect((await CaseDocument.findById(named._id).lean())!.answerPending, 'the named one unmarked').to.equal(undefined);
    expect((await CaseDocument.findById(later._id).lean())!.answerPending, 'the later one untouched').to.equal(true);
    expect((await Case.findById(c._id).lean())!.version, 'the case claimed once').to.equal(c.version + 1);
  });
});
