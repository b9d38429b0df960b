// GridFS uploads are copied into the store while they are received (server/documents/storage.ts,
// StagedUpload; the engine tees the bytes beside the temporary file): `put` then writes only the
// files document. The stored file must be the one the driver would have written (same files
// document, chunks, bytes), chunks of a file that is dropped must go, and chunks a stopped process
// left without a files document are the sweep's.
import { expect } from 'chai';
import { mkdtemp, rm, writeFile, access } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { MongoClient, type Db } from 'mongodb';
import { GRIDFS_CHUNK_BYTES, GridFsStorage, discardReceived, newStorageKey, stagingHeld, sweepUploads } from '../../server/documents/storage.ts';
import { referencedKeys } from '../../server/documents/sweep.ts';
import { testDatabase } from '../support/app.ts';
import { sha256 } from './support.ts';

const CHUNK = GRIDFS_CHUNK_BYTES;

/** Whether the promise fails (chai here has no promise assertions). */
const fails = (p: Promise<unknown>): Promise<boolean> => p.then(() => false, () => true);

describe('documents: GridFS files staged while they are received', function () {
  this.timeout(30_000);
  let dir: string;
  let db: Db;
  let store: GridFsStorage;

  before(async () => {
    const conn = (await testDatabase()).connection.useDb(`staging_${process.pid}`);
    db = conn.db as unknown as Db;
    store = new GridFsStorage(() => db);
    dir = await mkdtemp(path.join(tmpdir(), 'talent-staging-'));
  });
  after(async () => {
    await db?.dropDatabase();
    await rm(dir, { recursive: true, force: true });
  });

  /** Stages `bytes` as the engine does (pieces of uneven sizes, the temporary file beside), finished. */
  async function staged(bytes: Buffer, piece = 65_536 + 17) {
    const tempPath = path.join(dir, `${newStorageKey()}.part`);
    await writeFile(tempPath, bytes);
    const s = store.stage(tempPath);
    for (let off = 0; off < bytes.length; off += piece) await s.write(bytes.subarray(off, off + piece));
    return { tempPath, s };
  }

  const chunksOf = (filesId: unknown) => db.collection('documents.chunks').countDocuments({ files_id: filesId });
  const allChunks = () => db.collection('documents.chunks').countDocuments({});

  async function readBack(key: string): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const c of await store.openRead(key)) parts.push(c as Buffer);
    return Buffer.concat(parts);
  }

  it('stores byte for byte what the driver stores: the same files document and chunks, read back by the driver', async () => {
    // Random bytes over 23 chunks, the last one short, fed in pieces that straddle chunk boundaries.
    const bytes = randomBytes(22 * CHUNK + 4_321);
    const { tempPath, s } = await staged(bytes);
    await s.finish();
    const key = newStorageKey();
    await store.put(tempPath, key, { contentType: 'application/pdf', sha256: sha256(bytes) });

    const viaDriver = newStorageKey();
    const driverTemp = path.join(dir, 'driver.part');
    await writeFile(driverTemp, bytes);
    await store.put(driverTemp, viaDriver, { contentType: 'application/pdf', sha256: sha256(bytes) });

    const [mine, theirs] = await Promise.all([key, viaDriver].map((filename) => db.collection('documents.files').findOne({ filename })));
    const shape = (f: typeof mine) => ({ ...f, _id: undefined, filename: undefined, uploadDate: f?.uploadDate instanceof Date });
    expect(shape(mine)).to.deep.equal(shape(theirs));
    expect(mine).to.include({ length: bytes.length, chunkSize: CHUNK });
    expect(mine!.metadata).to.deep.equal({ contentType: 'application/pdf', sha256: sha256(bytes) });
    expect(await chunksOf(mine!._id)).to.equal(23);
    const ns = (await db.collection('documents.chunks').find({ files_id: mine!._id }, { projection: { n: 1 } }).sort({ n: 1 }).toArray()).map((c) => c.n);
    expect(ns).to.deep.equal([...Array(23).keys()]);
    expect((await readBack(key)).equals(bytes)).to.equal(true);
    expect(sha256(await readBack(key))).to.equal(sha256(await readBack(viaDriver)));
    // The temporary file is gone once stored, as with the copy.
    expect(await fails(access(tempPath)), 'temporary file gone').to.equal(true);
  });

  it('files staged at once and one after another (chunk buffers taken again once their insert settled) each keep their own bytes', async () => {
    // Three at once, then three more: the later ones fill buffers the earlier ones' inserts gave back.
    for (let round = 0; round < 2; round++) {
      const files = [randomBytes(9 * CHUNK + 1), randomBytes(5 * CHUNK), randomBytes(CHUNK - 3)];
      const keys = await Promise.all(
        files.map(async (bytes, i) => {
          const { tempPath, s } = await staged(bytes, 40_000 + i * 9_999);
          await s.finish();
          const key = newStorageKey();
          await store.put(tempPath, key, { contentType: 'application/pdf', sha256: sha256(bytes) });
          return key;
        }),
      );
      for (const [i, key] of keys.entries()) expect((await readBack(key)).equals(files[i]!), `round ${round}, file ${i}`).to.equal(true);
    }
  });

  it('a staged file dropped before it is stored (a refusal after the body was read) leaves no chunk', async () => {
    const before = await allChunks();
    const { tempPath, s } = await staged(randomBytes(5 * CHUNK + 10));
    await s.finish();
    expect(await allChunks()).to.equal(before + 6);
    await discardReceived(tempPath);
    expect(await allChunks()).to.equal(before);
    expect(await fails(access(tempPath)), 'temporary file gone').to.equal(true);
  });

  it('a staging aborted midway (a refusal or a cut connection while receiving) leaves no chunk, even with inserts in flight', async () => {
    const before = await allChunks();
    const tempPath = path.join(dir, `${newStorageKey()}.part`);
    const s = store.stage(tempPath);
    // Not awaited between pieces: inserts are in flight when the abort comes.
    const writes = [0, 1, 2, 3, 4, 5, 6, 7].map(() => s.write(randomBytes(CHUNK)).catch(() => undefined));
    await s.abort();
    await Promise.all(writes);
    expect(await allChunks()).to.equal(before);
    expect(await fails(s.write(randomBytes(10))), 'no write after the abort').to.equal(true);
  });

  it('a chunk the database refuses (a write error in an insert it answers ok) fails the staging, which then leaves no chunk', async () => {
    const before = await allChunks();
    const tempPath = path.join(dir, `${newStorageKey()}.part`);
    const s = store.stage(tempPath);
    const filesId = (s as unknown as { id: unknown }).id;
    // Chunk 1 of this file is there already: the unique (files_id, n) index refuses the staging's own.
    await db.collection('documents.chunks').insertOne({ files_id: filesId, n: 1, data: Buffer.alloc(1) });
    let refused: unknown;
    for (let i = 0; i < 4 && !refused; i++) await s.write(randomBytes(CHUNK)).catch((err: unknown) => (refused = err));
    if (!refused) await s.finish().catch((err: unknown) => (refused = err));
    expect((refused as { code?: number } | undefined)?.code, 'the duplicate key is said').to.equal(11000);
    expect(stagingHeld(tempPath)).to.equal(false);
    await s.abort();
    expect(await allChunks()).to.equal(before);
  });

  it('sends the connection string\'s write concern with its chunks: acknowledged (majority, journal) and unacknowledged (w=0) both store the file', async () => {
    const { uri } = await testDatabase();
    for (const [options, sent] of [['w=majority&journal=true', { w: 'majority', j: true }], ['w=0', { w: 0 }]] as const) {
      const url = new URL(uri);
      url.pathname = `/staging_wc_${process.pid}`;
      url.search = url.search ? `${url.search}&${options}` : `?${options}`;
      const client = await MongoClient.connect(url.href, { monitorCommands: true });
      const concerns: unknown[] = [];
      client.on('commandStarted', (e) => {
        if (e.commandName === 'insert' && e.command.insert === 'documents.chunks') concerns.push(e.command.writeConcern);
      });
      try {
        const wcDb = client.db();
        const wcStore = new GridFsStorage(() => wcDb);
        const bytes = randomBytes(2 * CHUNK + 99);
        const tempPath = path.join(dir, `${newStorageKey()}.part`);
        await writeFile(tempPath, bytes);
        const s = wcStore.stage(tempPath);
        await s.write(bytes);
        await s.finish();
        const filesId = (s as unknown as { id: unknown }).id;
        // w=0 is answered before the server has the chunks: wait for them (checked by the default, acknowledged client).
        for (let i = 0; i < 100 && (await db.client.db(wcDb.databaseName).collection('documents.chunks').countDocuments({ files_id: filesId })) < 3; i++) await new Promise((r) => setTimeout(r, 20));
        expect(await db.client.db(wcDb.databaseName).collection('documents.chunks').countDocuments({ files_id: filesId }), options).to.equal(3);
        expect(concerns, options).to.deep.equal([sent, sent]);
        await discardReceived(tempPath);
        await db.client.db(wcDb.databaseName).dropDatabase();
      } finally {
        await client.close();
      }
    }
  });

  it('chunks staged by a process that stopped before storing them are removed by the sweep once past the cut-off, not before', async () => {
    const { s } = await staged(randomBytes(2 * CHUNK + 1));
    await s.finish();
    const filesId = (s as unknown as { id: unknown }).id;
    expect(await chunksOf(filesId)).to.equal(3);
    // An upload of the running process (begun after the cut-off) is not touched.
    const early = await sweepUploads(store, { before: new Date(Date.now() - 60_000), referenced: referencedKeys });
    expect(early.chunks).to.equal(0);
    expect(await chunksOf(filesId)).to.equal(3);
    const later = await sweepUploads(store, { before: new Date(Date.now() + 2_000), referenced: referencedKeys });
    expect(later.chunks).to.equal(3);
    expect(await chunksOf(filesId)).to.equal(0);
  });

  it('put of a temporary file that was never staged copies it as before', async () => {
    const bytes = randomBytes(CHUNK + 5);
    const tempPath = path.join(dir, 'plain.part');
    await writeFile(tempPath, bytes);
    const key = newStorageKey();
    await store.put(tempPath, key, { contentType: 'image/png', sha256: sha256(bytes) });
    expect((await readBack(key)).equals(bytes)).to.equal(true);
  });
});
