// Start-up on a data directory keeps snapshot and journal documents as their BSON bytes and decodes
// them (and builds the indexes) after the server serves: nothing a client can observe changes.
// Every document comes back identical after restarts (from a snapshot, from a journal, from a
// snapshot written while documents were still undecoded), with every _id type and BSON type, and
// queries that use indexes give the same results as before the restart. Embedded-only by nature.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { serialize } from 'bson';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Binary, Decimal128, Double, Int32, Long, MongoClient, ObjectId, type Document } from 'mongodb';
import { startEmbeddedMongo, readCredentialsFile, type EmbeddedMongo } from '../../embedded-mongo/src/index.ts';
import type { AnyDoc } from './conformance-support.ts';

function docs(n: number, from = 0): AnyDoc[] {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    const kind = i % 5;
    const _id = kind === 0 ? new ObjectId() : kind === 1 ? `s-${i}` : kind === 2 ? i : kind === 3 ? { a: i, b: 'x' } : new ObjectId();
    return {
      _id,
      g: i % 7,
      due: i % 11 === 0 ? null : new Date(Date.UTC(2026, 0, 1 + (i % 30))),
      name: `Name ${i} ✓`,
      nested: { list: [i, `v${i}`, { deep: i % 3 }], long: Long.fromString(`${9_000_000_000_000 + i}`), dec: Decimal128.fromString(`${i}.5`) },
      bin: new Binary(Buffer.from([i % 256, 1, 2])),
      d: new Double(i + 0.25),
      i32: new Int32(i),
      ['__proto__']: `field-${i}`,
    } as AnyDoc;
  });
}

describe('embedded-mongo: documents decoded after start (raw snapshot and journal documents)', function () {
  this.timeout(120_000);
  let dir: string;
  let server: EmbeddedMongo | undefined;
  let client: MongoClient | undefined;

  const open = async (opts: { idleDecodeDelayMs?: number; lazySectionBytes?: number } = {}) => {
    server = await startEmbeddedMongo({ port: 0, dbPath: dir, ...opts });
    client = new MongoClient(server.uri('lazy', await readCredentialsFile(server.credentialsFile!)));
    await client.connect();
    return client.db().collection<AnyDoc>('c');
  };
  const close = async () => {
    await client?.close();
    await server?.stop();
    client = undefined;
    server = undefined;
  };

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'em-lazy-'));
  });
  afterEach(async () => {
    await close();
    rmSync(dir, { recursive: true, force: true });
  });

  const all = async (c: Awaited<ReturnType<typeof open>>): Promise<Document[]> => c.find({}, { promoteLongs: false }).toArray();
  const queries = async (c: Awaited<ReturnType<typeof open>>) => ({
    byGroup: (await c.find({ g: { $in: [1, 3] } }).sort({ due: 1, _id: 1 }).limit(15).toArray()).map((d) => d.name),
    count: await c.countDocuments({ g: 2 }),
    byName: (await c.findOne({ name: 'Name 42 ✓' }))?.g,
    byId: (await c.findOne({ _id: 's-6' }))?.name,
  });

  it('restarts from a journal, from a snapshot, and from a snapshot written before decoding, with identical documents and query results', async () => {
    let c = await open();
    await c.createIndex({ g: 1, due: 1 });
    await c.createIndex({ name: 1 }, { unique: true });
    await c.insertMany(docs(400));
    await c.updateOne({ _id: 's-1' }, { $set: { name: 'changed' } });
    // Replaced documents with every kind of _id (int, embedded document, ObjectId) come back from the journal as bytes too.
    await c.updateOne({ _id: 7 }, { $set: { name: 'seven' } });
    await c.updateOne({ _id: { a: 8, b: 'x' } }, { $set: { name: 'eight' }, $unset: { bin: '' } });
    await c.updateOne({ g: 0, name: 'Name 0 ✓' }, { $set: { name: 'zero' } });
    await c.deleteOne({ _id: 2 });
    const expected = await all(c);
    const expectedQueries = await queries(c);
    expect(expected).to.have.length(399);

    // 1. from the journal alone
    await close();
    c = await open();
    expect(await all(c)).to.deep.equal(expected);
    expect(await queries(c)).to.deep.equal(expectedQueries);

    // 2. from a snapshot (compaction of a decoded state), plus journal records after it
    await server!.compact();
    await c.insertMany(docs(50, 1000));
    await c.updateOne({ _id: 'bogus' }, { $set: { x: 1 } }, { upsert: true });
    const expected2 = await all(c);
    const expectedQueries2 = await queries(c);
    await close();
    c = await open();
    expect(await all(c)).to.deep.equal(expected2);
    expect(await queries(c)).to.deep.equal(expectedQueries2);

    // 3. compaction right after start, while documents may still be bytes, then a restart
    await close();
    server = await startEmbeddedMongo({ port: 0, dbPath: dir });
    await server.compact();
    await server.stop();
    server = undefined;
    c = await open();
    expect(await all(c)).to.deep.equal(expected2);
    expect(await queries(c)).to.deep.equal(expectedQueries2);
    // the unique index still refuses a duplicate after a lazy load
    const dup = await c.insertOne({ name: 'Name 42 ✓' }).then(() => null, (e: { code?: number }) => e.code);
    expect(dup).to.equal(11000);
  });

  it('answers a ping and a small collection while a large one is still being prepared for a query', async () => {
    let c = await open();
    await c.createIndex({ g: 1, due: 1 });
    for (let i = 0; i < 6; i++) await c.insertMany(docs(5000, i * 5000));
    await client!.db().collection('small').insertOne({ _id: 'one', v: 1 } as never);
    await server!.compact(); // a snapshot: the next start keeps the 30,000 documents as bytes
    await close();
    // Idle-time decoding held back: only the query's own preparation decodes.
    c = await open({ idleDecodeDelayMs: 60_000 });
    const done: string[] = [];
    const big = c.find({ g: 3 }).sort({ due: 1 }).toArray().then((r) => {
      done.push('big');
      return r.length;
    });
    const ping = client!.db().admin().command({ ping: 1 }).then(() => done.push('ping'));
    const small = client!.db().collection('small').findOne({ _id: 'one' } as never).then(() => done.push('small'));
    const [n] = await Promise.all([big, ping, small]);
    expect(n).to.equal(Math.ceil(30_000 / 7) - (30_000 % 7 > 3 ? 0 : 1));
    // Sent after the big query, answered before it (in either order): the big collection is read,
    // checked and decoded a slice at a time.
    expect(done.at(-1)).to.equal('big');
    expect([...done].sort()).to.deep.equal(['big', 'ping', 'small']);
  });

  const snapshotFile = () => path.join(dir, readdirSync(dir).find((n) => /^snapshot-\d+\.bson$/.test(n))!);

  it('keeps a large collection in the snapshot file until first used, with the journal written after the snapshot applied when it is read', async () => {
    let c = await open();
    await c.createIndex({ g: 1, due: 1 });
    await c.insertMany(docs(3000));
    const other = client!.db().collection<AnyDoc>('other');
    await other.insertMany(docs(300, 5000));
    await client!.db().collection('gone').insertOne({ _id: 'x' } as never);
    await server!.compact();
    // After the snapshot: inserts, replaces and deletes on the collections, a drop and a rename.
    await c.insertMany(docs(20, 9000));
    await c.updateOne({ _id: 's-11' }, { $set: { name: 'renamed eleven' } });
    await c.deleteMany({ g: 5 });
    await other.updateMany({ g: 1 }, { $set: { touched: true } });
    await client!.db().collection('gone').drop();
    await other.rename('other2');
    const expected = await all(c);
    const expectedQueries = await queries(c);
    const expectedOther = await client!.db().collection('other2').find({}, { promoteLongs: false }).toArray();
    await close();

    // Every non-empty section read on first use; idle-time reading held back.
    c = await open({ lazySectionBytes: 1, idleDecodeDelayMs: 60_000 });
    expect(await queries(c)).to.deep.equal(expectedQueries);
    expect(await all(c)).to.deep.equal(expected);
    expect(await client!.db().collection('other2').find({}, { promoteLongs: false }).toArray()).to.deep.equal(expectedOther);
    expect((await client!.db().listCollections().toArray()).map((x) => x.name).sort()).to.deep.equal(['c', 'other2']);
    // Written while read lazily, compacted (the sections not read yet are read for it), restarted.
    await c.insertOne({ _id: 'after', g: 1, name: 'after' });
    await server!.compact();
    await close();
    c = await open({ lazySectionBytes: 1 });
    expect((await c.findOne({ _id: 'after' }))?.name).to.equal('after');
    expect(await c.countDocuments({})).to.equal(expected.length + 1);
  });

  it('a section that fails its checksum when first read is refused for that collection only (DataCorruptionDetected); the others are served', async () => {
    const c = await open();
    await c.insertMany(docs(2000));
    await client!.db().collection('small').insertOne({ _id: 'one', v: 1 } as never);
    await server!.compact();
    await close();
    // One byte inside a document of `c` (its name), not in any header: open cannot notice it.
    const file = snapshotFile();
    const buf = readFileSync(file);
    const at = buf.indexOf(Buffer.from('Name 1000 ✓'));
    expect(at).to.be.greaterThan(0);
    buf[at + 5] = buf[at + 5]! ^ 0x01;
    writeFileSync(file, buf);

    const c2 = await open({ lazySectionBytes: 1, idleDecodeDelayMs: 60_000 });
    expect((await client!.db().admin().command({ ping: 1 })).ok).to.equal(1);
    expect(await client!.db().collection('small').findOne({ _id: 'one' } as never)).to.deep.equal({ _id: 'one', v: 1 });
    const err = await c2.findOne({ g: 1 }).then(() => null, (e: { code?: number; message: string }) => e);
    expect(err?.code).to.equal(12);
    expect(err?.message).to.match(/checksum/);
    // Writes are refused too (nothing half-applied), and stay refused.
    const w = await c2.insertOne({ _id: 'new', g: 1 }).then(() => null, (e: { code?: number }) => e.code);
    expect(w).to.equal(12);
    await close();
    // Read at open (the default for small sections), the same file is set aside and an empty state used.
    const c3 = await open({ lazySectionBytes: Infinity });
    expect(await c3.countDocuments({})).to.equal(0);
    expect(readdirSync(dir).some((n) => n.includes('.corrupt-'))).to.equal(true);
  });

  it('still reads a version-1 snapshot (one crc over the whole file, no footer)', async () => {
    const c0 = await open(); // creates the directory, its credentials and first user
    await close();
    void c0;
    // The users collection comes from the journal written by that start; the snapshot adds `lazy.c`.
    const marker = '$snapshot';
    const parts: Buffer[] = [];
    let crc = 0;
    const push = (d: Document, counted = true) => {
      const b = Buffer.from(serialize(d));
      if (counted) crc = crc32(b, crc);
      parts.push(b);
    };
    const list = docs(50);
    push({ [marker]: 'header', format: 'embedded-mongo-snapshot', version: 1, gen: 0, createdAt: new Date() });
    push({ [marker]: 'collection', db: 'lazy', coll: 'c', options: {}, indexes: 1 });
    push({ v: 2, key: { g: 1 }, name: 'g_1' });
    for (const d of list) push(d);
    push({ [marker]: 'end', docs: list.length });
    push({ [marker]: 'trailer', collections: 1, docs: list.length, crc32: crc }, false);
    writeFileSync(path.join(dir, 'snapshot-0.bson'), Buffer.concat(parts));
    const c = await open();
    expect(await c.countDocuments({})).to.equal(50);
    expect((await c.findOne({ _id: 's-6' }))?.name).to.equal('Name 6 ✓');
    expect((await c.indexes()).map((i) => i.name)).to.include('g_1');
  });
});
