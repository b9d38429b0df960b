// Drill: a process SIGKILLed while it stages a GridFS upload (chunks inserted as the bytes arrive,
// server/documents/storage.ts StagedUpload) leaves chunks that no files document names, so no file
// anyone can read and no document record; the start-up sweep removes them once they are older than
// its cut-off (GridFS: GRIDFS_GRACE_MS before the start, server/documents/sweep.ts), not before.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { tmpdir } from 'node:os';
import { expect } from 'chai';
import { MongoClient, ObjectId } from 'mongodb';
import { GridFsStorage, sweepUploads } from '../../server/documents/storage.ts';
import { testMongoUri } from '../support/mongo.ts';
import { root } from './support/app-process.ts';

describe('drill: a process killed while staging a GridFS upload', function () {
  this.timeout(60_000);

  it('leaves only chunks without a files document, which the sweep removes past its cut-off', async () => {
    const uri = await testMongoUri('staging_kill');
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'test/drills/support/stage-and-hang.ts'), uri, path.join(tmpdir(), `staging-kill-${process.pid}.part`)], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((r) => child.once('exit', r));
    const line = await createInterface({ input: child.stdout! })[Symbol.asyncIterator]().next();
    child.kill('SIGKILL');
    await exited;
    expect(line.done, 'the staging process reported its chunks').to.equal(false);
    const [, hex, count] = String(line.value).split(' ');
    const filesId = new ObjectId(hex);
    expect(Number(count)).to.be.at.least(8);

    const client = await MongoClient.connect(uri);
    try {
      const db = client.db();
      const store = new GridFsStorage(() => db);
      const left = await db.collection('documents.chunks').countDocuments({ files_id: filesId });
      expect(left, 'chunks inserted before the kill').to.be.at.least(Number(count));
      expect(await db.collection('documents.files').countDocuments({}), 'no files document: nothing readable').to.equal(0);
      expect(await store.keys()).to.deep.equal([]);
      // A sweep whose cut-off is before the upload began (another instance's start within the grace) leaves it.
      const early = await sweepUploads(store, { before: new Date(filesId.getTimestamp().getTime() - 1000), referenced: async () => new Set() });
      expect(early.chunks).to.equal(0);
      // Past the cut-off: every chunk goes.
      const later = await sweepUploads(store, { before: new Date(Date.now() + 2000), referenced: async () => new Set() });
      expect(later.chunks).to.equal(left);
      expect(await db.collection('documents.chunks').countDocuments({})).to.equal(0);
      await db.dropDatabase();
    } finally {
      await client.close();
    }
  });
});
