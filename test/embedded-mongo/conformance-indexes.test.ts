// Conformance through the official driver: every index kind (unique, compound, sparse, partial,
// multikey, TTL), index management and conflicts, catalog commands, explain.
import { expect } from 'chai';
import { MongoServerError, type Document } from 'mongodb';
import { collName, expectCode, useDatabase, type AnyDoc } from './conformance-support.ts';

/** Every `stage` named anywhere in an explain tree (classic and SBE layouts differ). */
function stages(plan: unknown, out: string[] = []): string[] {
  if (Array.isArray(plan)) for (const p of plan) stages(p, out);
  else if (plan && typeof plan === 'object') {
    for (const [k, v] of Object.entries(plan)) {
      if (k === 'stage' && typeof v === 'string') out.push(v);
      else if (k !== 'rejectedPlans') stages(v, out);
    }
  }
  return out;
}

describe('embedded-mongo conformance: indexes and catalog', function () {
  this.timeout(30_000);
  const t = useDatabase('conf_idx');

  describe('unique indexes', () => {
    it('refuses a duplicate with 11000 and keyPattern/keyValue inside writeErrors of an ok:1 reply', async () => {
      const c = t.db.collection<AnyDoc>(collName('uniq'));
      await c.createIndex({ email: 1 }, { unique: true });
      await c.insertOne({ email: 'a@x.org' });
      const e = await expectCode(() => c.insertOne({ email: 'a@x.org' }), 11000);
      expect(e.keyPattern).to.deep.equal({ email: 1 });
      expect(e.keyValue).to.deep.equal({ email: 'a@x.org' });
      expect(e.message).to.match(/E11000 duplicate key error/);
      const raw = await t.db.command({ insert: c.collectionName, documents: [{ email: 'a@x.org' }] });
      expect(raw.ok).to.equal(1);
      expect(raw.n).to.equal(0);
      expect(raw.writeErrors).to.have.length(1);
      expect(raw.writeErrors[0]).to.include({ index: 0, code: 11000 });
      expect(raw.writeErrors[0].keyPattern).to.deep.equal({ email: 1 });
      expect(raw.writeErrors[0].keyValue).to.deep.equal({ email: 'a@x.org' });
      expect(await c.countDocuments()).to.equal(1);
    });

    it('refuses an update that would duplicate, and an upsert through findOneAndUpdate (E11000)', async () => {
      const c = t.db.collection<AnyDoc>(collName('uniq'));
      await c.createIndex({ email: 1 }, { unique: true });
      await c.insertMany([{ _id: 1, email: 'a' }, { _id: 2, email: 'b' }]);
      await expectCode(() => c.updateOne({ _id: 2 }, { $set: { email: 'a' } }), 11000);
      const e = await expectCode(() => c.findOneAndUpdate({ _id: 3 }, { $set: { email: 'b' } }, { upsert: true }), 11000);
      expect(e.message).to.match(/E11000/);
      // updating a document to its own key is not a conflict
      await c.updateOne({ _id: 1 }, { $set: { email: 'a', other: 1 } });
      expect(await c.find().sort({ _id: 1 }).toArray()).to.deep.equal([{ _id: 1, email: 'a', other: 1 }, { _id: 2, email: 'b' }]);
    });

    it('refuses to build a unique index over existing duplicates', async () => {
      const c = t.db.collection<AnyDoc>(collName('uniq'));
      await c.insertMany([{ k: 1 }, { k: 1 }]);
      await expectCode(() => c.createIndex({ k: 1 }, { unique: true }), 11000);
      const names = (await c.listIndexes().toArray()).map((i) => i.name);
      expect(names).to.deep.equal(['_id_']);
    });

    it('an index over more than three fields: unique on all of them, built over existing data, ranges and order on the fourth and fifth', async () => {
      const c = t.db.collection<AnyDoc>(collName('wide'));
      const docs = [];
      for (let i = 0; i < 40; i++) docs.push({ _id: i, a: i % 2, b: 'x', c: i % 3, d: i % 5, e: i });
      await c.insertMany(docs);
      await c.insertOne({ _id: 100, a: 0, b: 'x', c: 0, d: 0, e: 1000 }); // as _id 0 on a–d, not on e
      await c.createIndex({ a: 1, b: 1, c: 1, d: -1, e: 1 }, { unique: true });
      await expectCode(() => c.insertOne({ a: 1, b: 'x', c: 1, d: 3, e: 13 }), 11000); // _id 13 has it
      await c.insertOne({ _id: 101, a: 1, b: 'x', c: 1, d: 3, e: 14 });
      const r = await c.find({ a: 0, b: 'x', c: 0, d: { $gte: 2 } }).sort({ d: -1, e: 1 }).toArray();
      expect(r.map((x) => [x.d, x.e])).to.deep.equal([[4, 24], [3, 18], [2, 12]]);
      const plan = JSON.stringify(await c.find({ a: 0, b: 'x', c: 0, d: { $gte: 2 } }).sort({ d: -1, e: 1 }).explain());
      expect(plan).to.include('a_1_b_1_c_1_d_-1_e_1');
      const dup = t.db.collection<AnyDoc>(collName('wide-dup'));
      await dup.insertMany([{ a: 1, b: 2, c: 3, d: 4, e: 5 }, { a: 1, b: 2, c: 3, d: 4, e: 5 }]);
      await expectCode(() => dup.createIndex({ a: 1, b: 1, c: 1, d: 1, e: 1 }, { unique: true }), 11000);
    });

    it('compound unique: the combination must be unique; missing fields count as null', async () => {
      const c = t.db.collection<AnyDoc>(collName('compound'));
      await c.createIndex({ a: 1, b: -1 }, { unique: true });
      await c.insertMany([{ a: 1, b: 1 }, { a: 1, b: 2 }, { a: 2, b: 1 }, { a: 3 }]);
      const e = await expectCode(() => c.insertOne({ a: 1, b: 2 }), 11000);
      expect(e.keyValue).to.deep.equal({ a: 1, b: 2 });
      await expectCode(() => c.insertOne({ a: 3, b: null }), 11000);
      const r = await c.find({ a: 1 }).sort({ b: -1 }).toArray();
      expect(r.map((d) => d.b)).to.deep.equal([2, 1]);
    });

    it('sparse unique allows many documents without the field', async () => {
      const c = t.db.collection<AnyDoc>(collName('sparse'));
      await c.createIndex({ code: 1 }, { unique: true, sparse: true });
      await c.insertMany([{ x: 1 }, { x: 2 }, { code: 'A' }]);
      await expectCode(() => c.insertOne({ code: 'A' }), 11000);
      expect(await c.countDocuments()).to.equal(3);
      // a query on the sparse field still finds everything it should (documents without it included for null)
      expect(await c.countDocuments({ code: null })).to.equal(2);
    });

    it('partial unique applies only to documents matching partialFilterExpression', async () => {
      const c = t.db.collection<AnyDoc>(collName('partial'));
      await c.createIndex({ email: 1 }, { unique: true, partialFilterExpression: { active: true } });
      await c.insertMany([{ email: 'a', active: false }, { email: 'a', active: false }, { email: 'a', active: true }]);
      await expectCode(() => c.insertOne({ email: 'a', active: true }), 11000);
      await expectCode(() => c.updateOne({ active: false }, { $set: { active: true } }), 11000);
      expect(await c.countDocuments({ email: 'a' })).to.equal(3);
      const spec = (await c.listIndexes().toArray()).find((i) => i.name === 'email_1');
      expect(spec!.partialFilterExpression).to.deep.equal({ active: true });
    });

    it('multikey unique: array elements are keys; repeating a value inside one document is fine', async () => {
      const c = t.db.collection<AnyDoc>(collName('multikey'));
      await c.createIndex({ tags: 1 }, { unique: true });
      await c.insertOne({ _id: 1, tags: ['a', 'b', 'b'] });
      const e = await expectCode(() => c.insertOne({ _id: 2, tags: ['c', 'b'] }), 11000);
      expect(e.keyValue).to.deep.equal({ tags: 'b' });
      await c.insertOne({ _id: 3, tags: ['c', 'd'] });
      expect((await c.find({ tags: 'd' }).toArray()).map((d) => d._id)).to.deep.equal([3]);
      expect((await c.find({ tags: { $in: ['a', 'c'] } }).sort({ _id: 1 }).toArray()).map((d) => d._id)).to.deep.equal([1, 3]);
    });
  });

  describe('TTL', () => {
    it('removes documents whose date is older than expireAfterSeconds', async function () {
      const kind = t.kind;
      // MongoDB's TTL monitor runs every 60 s; the embedded server's test instance sweeps every 5 s.
      this.timeout(kind === 'embedded' ? 30_000 : 90_000);
      const c = t.db.collection<AnyDoc>(collName('ttl'));
      await c.createIndex({ at: 1 }, { expireAfterSeconds: 1 });
      const old = new Date(Date.now() - 60_000);
      await c.insertMany([
        { _id: 'old', at: old },
        { _id: 'oldArray', at: [new Date(Date.now() + 3_600_000), old] },
        { _id: 'future', at: new Date(Date.now() + 3_600_000) },
        { _id: 'notADate', at: 'yesterday' },
        { _id: 'missing' },
      ]);
      // a partial TTL index expires only the documents its filter covers
      const p = t.db.collection<AnyDoc>(collName('ttlpartial'));
      await p.createIndex({ at: 1 }, { expireAfterSeconds: 1, partialFilterExpression: { kind: 'temp' } });
      await p.insertMany([{ _id: 'temp', kind: 'temp', at: old }, { _id: 'keep', kind: 'keep', at: old }]);
      const limit = Date.now() + (kind === 'embedded' ? 15_000 : 75_000);
      let left: unknown[] = [];
      let leftPartial: unknown[] = [];
      while (Date.now() < limit) {
        left = (await c.find().sort({ _id: 1 }).toArray()).map((d) => d._id);
        leftPartial = (await p.find().sort({ _id: 1 }).toArray()).map((d) => d._id);
        if (!left.includes('old') && !left.includes('oldArray') && !leftPartial.includes('temp')) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(left).to.deep.equal(['future', 'missing', 'notADate']);
      expect(leftPartial).to.deep.equal(['keep']);
      const spec = (await c.listIndexes().toArray()).find((i) => i.name === 'at_1');
      expect(spec!.expireAfterSeconds).to.equal(1);
    });
  });

  describe('index management', () => {
    it('listIndexes, dropIndex by name and by key, dropIndexes', async () => {
      const c = t.db.collection<AnyDoc>(collName('mgmt'));
      await c.insertOne({ a: 1, b: 2 });
      const created = await c.createIndexes([{ key: { a: 1 } }, { key: { b: -1 }, name: 'by_b', unique: true }, { key: { a: 1, b: 1 } }]);
      expect(created).to.deep.equal(['a_1', 'by_b', 'a_1_b_1']);
      const list = await c.listIndexes().toArray();
      expect(list.map((i) => i.name)).to.deep.equal(['_id_', 'a_1', 'by_b', 'a_1_b_1']);
      expect(list.find((i) => i.name === 'by_b')).to.include({ unique: true });
      expect(list.find((i) => i.name === 'by_b')!.key).to.deep.equal({ b: -1 });
      expect(await c.indexExists('a_1')).to.equal(true);
      await c.dropIndex('a_1');
      await t.db.command({ dropIndexes: c.collectionName, index: { a: 1, b: 1 } });
      expect((await c.listIndexes().toArray()).map((i) => i.name)).to.deep.equal(['_id_', 'by_b']);
      await expectCode(() => c.dropIndex('nope'), 27);
      await expectCode(() => c.dropIndex('_id_'), 72);
      await c.dropIndexes();
      expect((await c.listIndexes().toArray()).map((i) => i.name)).to.deep.equal(['_id_']);
      // creating an identical index again is a no-op
      await c.createIndex({ a: 1 });
      expect(await c.createIndex({ a: 1 })).to.equal('a_1');
      await expectCode(() => t.db.collection(collName('nothing')).listIndexes().toArray(), 26);
    });

    it('index conflicts: same name other key → 86, same key other name → 85, same name other options → 85', async () => {
      const c = t.db.collection<AnyDoc>(collName('conflict'));
      await c.createIndex({ a: 1 }, { name: 'idx' });
      await expectCode(() => c.createIndex({ b: 1 }, { name: 'idx' }), 86);
      await expectCode(() => c.createIndex({ a: 1 }, { name: 'other' }), 85);
      await expectCode(() => c.createIndex({ a: 1 }, { name: 'idx', unique: true }), 85);
      await c.createIndex({ t: 1 }, { expireAfterSeconds: 100 });
      await expectCode(() => c.createIndex({ t: 1 }, { expireAfterSeconds: 200 }), 85);
    });

    it('queries use the indexes for equality, ranges and sorts, with the same results as a scan', async () => {
      const c = t.db.collection<AnyDoc>(collName('planner'));
      await c.insertMany(Array.from({ length: 300 }, (_, i) => ({ i, g: i % 7, s: `k${i % 13}`, arr: [i % 5, (i % 5) + 10] })));
      const queries: Array<[Document, Document | undefined]> = [
        [{ g: 3 }, { i: 1 }],
        [{ g: { $in: [1, 2] }, i: { $gte: 100, $lt: 150 } }, { i: -1 }],
        [{ i: { $gt: 250 } }, { g: 1, i: 1 }],
        [{ s: { $gte: 'k10', $lte: 'k12' } }, { i: 1 }],
        [{ arr: 12 }, { i: 1 }],
        [{ arr: { $gt: 13 } }, { i: -1 }],
        [{}, { g: -1, i: -1 }],
        [{ g: 4, s: 'k4' }, undefined],
      ];
      const before = await Promise.all(queries.map(([q, s]) => c.find(q, { sort: s }).toArray()));
      await c.createIndexes([{ key: { g: 1, i: 1 } }, { key: { i: -1 } }, { key: { s: 1 } }, { key: { arr: 1 } }]);
      for (let k = 0; k < queries.length; k++) {
        const [q, s] = queries[k]!;
        const after = await c.find(q, { sort: s }).toArray();
        if (s) expect(after, JSON.stringify(q)).to.deep.equal(before[k]);
        else expect(after, JSON.stringify(q)).to.have.deep.members(before[k]!);
      }
    });
  });

  describe('explain', () => {
    it('shows IXSCAN for an indexed equality and COLLSCAN otherwise', async () => {
      const c = t.db.collection<AnyDoc>(collName('explain'));
      await c.insertMany(Array.from({ length: 500 }, (_, i) => ({ k: `key${i}`, v: i })));
      await c.createIndex({ k: 1 });
      const indexed = await c.find({ k: 'key42' }).explain('executionStats');
      expect(stages(indexed.queryPlanner)).to.include('IXSCAN');
      const scan = await c.find({ v: 42 }).explain('executionStats');
      expect(stages(scan.queryPlanner)).to.include('COLLSCAN');
      expect(stages(scan.queryPlanner)).to.not.include('IXSCAN');
      if (t.kind === 'embedded') {
        expect(indexed.executionStats.totalDocsExamined).to.be.at.most(1);
        expect(scan.executionStats.totalDocsExamined).to.equal(500);
      }
    });
  });

  describe('catalog commands', () => {
    it('createCollection refuses an existing name with NamespaceExists (48)', async () => {
      const name = collName('cat');
      await t.db.createCollection(name);
      await expectCode(() => t.db.createCollection(name), 48);
      const infos = await t.db.listCollections({ name }).toArray();
      expect(infos).to.have.length(1);
      expect(infos[0]).to.include({ name, type: 'collection' });
    });

    it('drop of a missing collection: ok as in MongoDB 7.0 (NamespaceNotFound 26 before 7.0)', async () => {
      const r = await t.db.command({ drop: collName('never') }).then(() => 'ok', (e: MongoServerError) => e.code);
      if (t.kind === 'embedded') expect(r).to.equal('ok');
      else expect([26, 'ok']).to.include(r);
      // the driver's drop() swallows it
      expect(await t.db.collection(collName('never')).drop().catch(() => false)).to.be.oneOf([true, false]);
      const name = collName('dropme');
      await t.db.collection(name).insertOne({ a: 1 });
      expect(await t.db.collection(name).drop()).to.equal(true);
      expect(await t.db.listCollections({ name }).toArray()).to.deep.equal([]);
    });

    it('renameCollection keeps documents and indexes; an existing target needs dropTarget', async () => {
      const from = collName('from');
      const to = collName('to');
      const other = collName('other');
      await t.db.collection<AnyDoc>(from).insertMany([{ _id: 1, u: 'a' }, { _id: 2, u: 'b' }]);
      await t.db.collection(from).createIndex({ u: 1 }, { unique: true });
      await t.db.collection(other).insertOne({ x: 1 });
      await t.db.renameCollection(from, to);
      expect(await t.db.listCollections({ name: from }).toArray()).to.deep.equal([]);
      expect(await t.db.collection(to).countDocuments()).to.equal(2);
      expect((await t.db.collection(to).listIndexes().toArray()).map((i) => i.name)).to.deep.equal(['_id_', 'u_1']);
      await expectCode(() => t.db.collection<AnyDoc>(to).insertOne({ _id: 3, u: 'a' }), 11000);
      await expectCode(() => t.db.renameCollection(to, other), 48);
      await t.db.renameCollection(to, other, { dropTarget: true });
      expect(await t.db.collection(other).countDocuments()).to.equal(2);
      await expectCode(() => t.db.renameCollection(collName('absent'), collName('x')), 26);
    });

    it('listCollections (nameOnly, filter), listDatabases, dbStats and collStats', async () => {
      const a = collName('lc');
      const b = collName('lc');
      await t.db.collection(a).insertMany([{ x: 1 }, { x: 2 }, { x: 3 }]);
      await t.db.createCollection(b);
      const names = (await t.db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
      expect(names).to.include.members([a, b]);
      const dbs = await t.client.db('admin').admin().listDatabases();
      expect(dbs.databases.map((d) => d.name)).to.include(t.db.databaseName);
      const stats = await t.db.stats();
      expect(stats.db).to.equal(t.db.databaseName);
      expect(stats.collections).to.be.at.least(2);
      expect(stats.objects).to.be.at.least(3);
      const cs = await t.db.command({ collStats: a });
      expect(cs.count).to.equal(3);
      expect(cs.nindexes).to.equal(1);
      expect(cs.size).to.be.greaterThan(0);
      const agg = await t.db.collection(a).aggregate([{ $group: { _id: null, n: { $sum: 1 } } }]).toArray();
      expect(agg[0]!.n).to.equal(3);
    });

    it('dropDatabase removes every collection of that database only', async () => {
      const other = t.client.db(`${t.db.databaseName}_x`.slice(0, 60));
      await other.collection('c').insertOne({ a: 1 });
      await other.dropDatabase();
      expect(await other.listCollections().toArray()).to.deep.equal([]);
      expect((await t.db.listCollections().toArray()).length).to.be.greaterThan(0);
    });
  });
});
