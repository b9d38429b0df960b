// backupSnapshot (embedded-mongo/src/commands/backup.ts): every collection at one moment, read in
// pages while clients go on writing. On a data directory reopened from its snapshot file (documents
// still as bytes, a large collection not even read yet), through a signed-in driver client.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EJSON, Int32, Long } from 'bson';
import { MongoClient, type Collection, type Document } from 'mongodb';
import { startEmbeddedMongo, readCredentialsFile, type EmbeddedMongo } from '../../embedded-mongo/src/index.ts';

const EXACT = { promoteLongs: false, promoteValues: false } as const;
/** Collections keyed by numbers and strings, as the test's documents are. */
const coll = (c: MongoClient, db: string, name: string) => c.db(db).collection(name) as unknown as Collection<{ _id: number | string; [k: string]: unknown }>;
const canonical = (docs: Document[]) => docs.map((d) => EJSON.stringify(d, { relaxed: false })).sort();

describe('embedded-mongo: backupSnapshot', function () {
  this.timeout(60_000);
  let dir: string;
  let server: EmbeddedMongo | undefined;
  let client: MongoClient | undefined;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'talent-backup-snapshot-'));
    const first = await startEmbeddedMongo({ dbPath: dir, port: 0 });
    const creds = (await readCredentialsFile(first.credentialsFile!))!;
    const c = await MongoClient.connect(first.uri('talent', creds));
    // 12 documents of ~1 MB: more than one reply's 8 MB. Exact types: Int32, a Long past 2^53.
    await coll(c, 'talent', 'big').insertMany(Array.from({ length: 12 }, (_, i) => ({ _id: i, n: new Int32(i), l: Long.fromString('9007199254740993').add(i), pad: 'x'.repeat(1_000_000) })));
    await coll(c, 'talent', 'small').insertMany([{ _id: 'a', v: 1 }, { _id: 'b', v: 2 }]);
    await c.db('other').collection('things').createIndex({ v: 1 }, { unique: true, name: 'v_unique' });
    await c.close();
    await first.compact();
    await first.stop();
    // Reopened: 'big' stays in the snapshot file (a section over 1 MB), 'small' as undecoded bytes.
    server = await startEmbeddedMongo({ dbPath: dir, port: 0, lazySectionBytes: 1_000_000, idleDecodeDelayMs: 60_000 });
    client = await MongoClient.connect(server.uri('talent', creds));
  });

  after(async () => {
    await client?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function readAll(snapshotId: string, db: string, coll: string): Promise<{ docs: Document[]; pages: number }> {
    const docs: Document[] = [];
    let pages = 0;
    let from: number | null = 0;
    while (from !== null) {
      const page = await client!.db('admin').command({ backupSnapshot: 1, snapshotId, db, coll, from }, EXACT);
      pages += 1;
      docs.push(...(page.docs as Document[]));
      from = page.next === null ? null : Number(page.next);
    }
    return { docs, pages };
  }

  it('gives every collection as it was when taken, in pages, however it is written to meanwhile', async () => {
    const admin = client!.db('admin');
    const talent = client!.db('talent');
    const before = { big: await talent.collection('big').find({}, EXACT).toArray(), small: await talent.collection('small').find({}, EXACT).toArray() };
    const taken = await admin.command({ backupSnapshot: 1 });
    const listed = (taken.collections as Array<{ db: string; coll: string; count: number; indexes: Document[] }>).map((c) => `${c.db}.${c.coll}:${c.count}`);
    expect(listed).to.include.members(['talent.big:12', 'talent.small:2', 'other.things:0', 'admin.system.users:1']);
    const things = (taken.collections as Array<{ coll: string; indexes: Document[] }>).find((c) => c.coll === 'things')!;
    expect(things.indexes.map((i) => i.name)).to.deep.equal(['v_unique']);

    // Writes after the moment: none of them is in the snapshot.
    await coll(client!, 'talent', 'big').updateOne({ _id: 3 }, { $set: { pad: 'changed' } });
    await coll(client!, 'talent', 'big').deleteOne({ _id: 4 });
    await coll(client!, 'talent', 'big').insertOne({ _id: 99, pad: 'new' });
    await talent.collection('small').updateMany({}, { $inc: { v: 10 } });
    await coll(client!, 'talent', 'later').insertOne({ _id: 1 });

    const big = await readAll(String(taken.snapshotId), 'talent', 'big');
    expect(big.pages, 'more than one reply').to.be.greaterThan(1);
    expect(canonical(big.docs)).to.deep.equal(canonical(before.big));
    expect(big.docs[0]!.n).to.be.instanceOf(Int32);
    expect(big.docs[0]!.l).to.be.instanceOf(Long);
    expect(canonical((await readAll(String(taken.snapshotId), 'talent', 'small')).docs)).to.deep.equal(canonical(before.small));
    expect(await coll(client!, 'talent', 'small').findOne({ _id: 'a' })).to.deep.include({ v: 11 });
    try {
      await admin.command({ backupSnapshot: 1, snapshotId: taken.snapshotId, db: 'talent', coll: 'later', from: 0 });
      expect.fail('a collection made after the moment');
    } catch (err) {
      expect((err as { codeName?: string }).codeName).to.equal('NamespaceNotFound');
    }

    await admin.command({ backupSnapshot: 1, snapshotId: taken.snapshotId, release: true });
    try {
      await admin.command({ backupSnapshot: 1, snapshotId: taken.snapshotId, db: 'talent', coll: 'big', from: 0 });
      expect.fail('released');
    } catch (err) {
      expect((err as { codeName?: string }).codeName).to.equal('CursorNotFound');
    }
  });

  it('answers on the admin database only, and refuses arguments of the wrong type', async () => {
    for (const [db, cmd] of [
      ['talent', { backupSnapshot: 1 }],
      ['admin', { backupSnapshot: 1, snapshotId: { $gt: '' }, db: 'talent', coll: 'big' }],
      ['admin', { backupSnapshot: 1, snapshotId: 'x'.repeat(300), db: 'talent', coll: 'big' }],
    ] as Array<[string, Document]>) {
      try {
        await client!.db(db).command(cmd);
        expect.fail(`${db} ${JSON.stringify(cmd)}`);
      } catch (err) {
        expect((err as { codeName?: string }).codeName, JSON.stringify(cmd)).to.be.oneOf(['Unauthorized', 'BadValue']);
      }
    }
    const taken = await client!.db('admin').command({ backupSnapshot: 1 });
    try {
      await client!.db('admin').command({ backupSnapshot: 1, snapshotId: taken.snapshotId, db: 'talent', coll: 'big', from: -1 });
      expect.fail('negative from');
    } catch (err) {
      expect((err as { codeName?: string }).codeName).to.equal('BadValue');
    }
    await client!.db('admin').command({ backupSnapshot: 1, snapshotId: taken.snapshotId, release: true });
  });
});
