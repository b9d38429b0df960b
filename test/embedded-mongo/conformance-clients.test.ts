// Conformance through the official driver: a GridFS round trip of a 20 MB file, and many clients
// writing at once (exact $inc totals, exactly one winner per unique key).
import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GridFSBucket, MongoClient, MongoServerError, type ObjectId } from 'mongodb';
import { collName, useDatabase, type AnyDoc } from './conformance-support.ts';

describe('embedded-mongo conformance: GridFS and concurrent clients', function () {
  this.timeout(120_000);
  const t = useDatabase('conf_clients');

  it('GridFS: a 20 MB file uploads through a stream and downloads with the same sha256', async () => {
    const data = randomBytes(20 * 1024 * 1024);
    const sha = createHash('sha256').update(data).digest('hex');
    const bucket = new GridFSBucket(t.db, { bucketName: 'files' });
    const upload = bucket.openUploadStream('big.bin', { metadata: { owner: 'test' } });
    // feed it in uneven pieces, as a real upload would arrive
    const pieces = (function* () {
      for (let at = 0; at < data.length; ) {
        const n = 100_000 + ((at / 7) % 300_000);
        yield data.subarray(at, at + n);
        at += n;
      }
    })();
    await pipeline(Readable.from(pieces), upload);
    const id = upload.id as ObjectId;
    const files = await bucket.find({ _id: id }).toArray();
    expect(files).to.have.length(1);
    expect(files[0]!.length).to.equal(data.length);
    expect(files[0]!.metadata).to.deep.equal({ owner: 'test' });
    const chunks = await t.db.collection('files.chunks').countDocuments({ files_id: id });
    expect(chunks).to.equal(Math.ceil(data.length / (255 * 1024)));

    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of bucket.openDownloadStream(id)) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    expect(size).to.equal(data.length);
    expect(hash.digest('hex')).to.equal(sha);

    // a ranged read returns exactly the requested bytes
    const parts: Buffer[] = [];
    for await (const chunk of bucket.openDownloadStream(id, { start: 1_000_000, end: 1_000_100 })) parts.push(chunk as Buffer);
    expect(Buffer.concat(parts).equals(data.subarray(1_000_000, 1_000_100))).to.equal(true);

    await bucket.delete(id);
    expect(await bucket.find({ _id: id }).toArray()).to.deep.equal([]);
    expect(await t.db.collection('files.chunks').countDocuments({ files_id: id })).to.equal(0);
  });

  describe('16 clients at once', () => {
    const clients: MongoClient[] = [];
    before(async () => {
      for (let i = 0; i < 16; i++) {
        const c = new MongoClient(t.uri, { maxPoolSize: 4 });
        await c.connect();
        clients.push(c);
      }
    });
    after(async () => {
      await Promise.all(clients.map((c) => c.close()));
    });

    it('$inc on one document 100 times from each client gives the exact total', async () => {
      const name = collName('counter');
      await t.db.collection<AnyDoc>(name).insertOne({ _id: 'c', n: 0, byClient: {} });
      await Promise.all(clients.map(async (client, k) => {
        const coll = client.db().collection<AnyDoc>(name);
        for (let i = 0; i < 100; i++) await coll.updateOne({ _id: 'c' }, { $inc: { n: 1, [`byClient.c${k}`]: 1 } });
      }));
      const doc = await t.db.collection<AnyDoc>(name).findOne({ _id: 'c' });
      expect(doc!.n).to.equal(1600);
      expect(Object.values(doc!.byClient as Record<string, number>)).to.deep.equal(Array(16).fill(100));
    });

    it('inserts racing on a unique index: exactly one winner per key', async () => {
      const name = collName('race');
      await t.db.collection(name).createIndex({ key: 1 }, { unique: true });
      const keys = 50;
      const results = await Promise.all(clients.map(async (client, k) => {
        const coll = client.db().collection<AnyDoc>(name);
        const won: number[] = [];
        // each client walks the keys in its own order so the collisions interleave
        for (let j = 0; j < keys; j++) {
          const key = (j * 7 + k * 3) % keys;
          try {
            await coll.insertOne({ key, client: k });
            won.push(key);
          } catch (err) {
            expect((err as MongoServerError).code).to.equal(11000);
          }
        }
        return won;
      }));
      const allWins = results.flat().sort((a, b) => a - b);
      expect(allWins).to.deep.equal(Array.from({ length: keys }, (_, i) => i));
      const stored = await t.db.collection<AnyDoc>(name).find().toArray();
      expect(stored).to.have.length(keys);
      for (const d of stored) expect(results[d.client as number]).to.include(d.key);
    });

    it('concurrent findOneAndUpdate hands out every sequence number exactly once', async () => {
      const name = collName('seq');
      await t.db.collection<AnyDoc>(name).insertOne({ _id: 'seq', v: 0 });
      const got = await Promise.all(clients.map(async (client) => {
        const coll = client.db().collection<AnyDoc>(name);
        const mine: number[] = [];
        for (let i = 0; i < 25; i++) {
          const r = await coll.findOneAndUpdate({ _id: 'seq' }, { $inc: { v: 1 } }, { returnDocument: 'after' });
          mine.push(r!.v as number);
        }
        return mine;
      }));
      expect(got.flat().sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 400 }, (_, i) => i + 1));
    });
  });
});
