// Conformance through the official driver: CRUD, query semantics, BSON order, find-and-modify,
// counts, distinct and cursors. Runs against whatever test/support/mongo.ts picks (real MongoDB included).
import { expect } from 'chai';
import {
  BSONRegExp, Binary, Decimal128, Double, Int32, Long, MaxKey, MinKey, MongoBulkWriteError, ObjectId, Timestamp,
  type Document,
} from 'mongodb';
import { collName, expectCode, useDatabase, type AnyDoc } from './conformance-support.ts';

describe('embedded-mongo conformance: CRUD', function () {
  this.timeout(30_000);
  const t = useDatabase('conf_crud');

  describe('insert', () => {
    it('insertOne generates an ObjectId _id and stores _id first', async () => {
      const c = t.db.collection<AnyDoc>(collName('ins'));
      const r = await c.insertOne({ a: 1, b: { c: 'x' } });
      expect(r.acknowledged).to.equal(true);
      expect(r.insertedId).to.be.instanceOf(ObjectId);
      const doc = await c.findOne({ _id: r.insertedId });
      expect(Object.keys(doc!)).to.deep.equal(['_id', 'a', 'b']);
      expect(doc!.b).to.deep.equal({ c: 'x' });
    });

    it('insertMany ordered stops at the first duplicate key', async () => {
      const c = t.db.collection<AnyDoc>(collName('ins'));
      let err: MongoBulkWriteError | undefined;
      try {
        await c.insertMany([{ _id: 1 }, { _id: 2 }, { _id: 1 }, { _id: 3 }] as Document[]);
      } catch (e) {
        err = e as MongoBulkWriteError;
      }
      expect(err).to.be.instanceOf(MongoBulkWriteError);
      expect(err!.code).to.equal(11000);
      expect(err!.insertedCount).to.equal(2);
      const we = err!.writeErrors as unknown as Array<{ index: number; code: number }>;
      const list = Array.isArray(we) ? we : [we];
      expect(list.map((w) => w.index)).to.deep.equal([2]);
      expect((await c.find().sort({ _id: 1 }).toArray()).map((d) => d._id)).to.deep.equal([1, 2]);
    });

    it('insertMany unordered inserts everything else and reports every failure', async () => {
      const c = t.db.collection<AnyDoc>(collName('ins'));
      let err: MongoBulkWriteError | undefined;
      try {
        await c.insertMany([{ _id: 1 }, { _id: 1 }, { _id: 2 }, { _id: 2 }, { _id: 3 }] as Document[], { ordered: false });
      } catch (e) {
        err = e as MongoBulkWriteError;
      }
      expect(err).to.be.instanceOf(MongoBulkWriteError);
      expect(err!.insertedCount).to.equal(3);
      const we = err!.writeErrors as unknown as Array<{ index: number; code: number }>;
      const list = Array.isArray(we) ? we : [we];
      expect(list.map((w) => w.index)).to.deep.equal([1, 3]);
      expect(list.every((w) => w.code === 11000)).to.equal(true);
      expect(await c.countDocuments()).to.equal(3);
    });

    it('refuses $-prefixed top-level field names and arrays as _id', async () => {
      const c = t.db.collection<AnyDoc>(collName('ins'));
      await c.insertOne({ ok: true });
      let failed = false;
      try {
        await c.insertOne({ _id: [1, 2] } as Document);
      } catch {
        failed = true;
      }
      expect(failed).to.equal(true);
      expect(await c.countDocuments()).to.equal(1);
    });
  });

  describe('find', () => {
    let name: string;
    before(async () => {
      name = collName('find');
      const docs = Array.from({ length: 20 }, (_, i) => ({
        _id: i,
        n: i,
        group: i % 3,
        name: `item-${String(i).padStart(2, '0')}`,
        nested: { level: i % 5, deep: { tag: i % 2 ? 'odd' : 'even', v: i } },
        tags: i % 4 === 0 ? ['four', 'even'] : i % 2 === 0 ? ['even'] : ['odd'],
        items: [{ k: 'a', q: i }, { k: 'b', q: i * 2 }],
      }));
      await t.db.collection<AnyDoc>(name).insertMany(docs);
    });

    it('filters with comparison, logical, element, array and regex operators', async () => {
      const c = t.db.collection<AnyDoc>(name);
      const ids = async (f: Document) => (await c.find(f).sort({ _id: 1 }).toArray()).map((d) => d._id);
      expect(await ids({ n: { $gte: 5, $lt: 8 } })).to.deep.equal([5, 6, 7]);
      expect(await ids({ $or: [{ n: 1 }, { n: 19 }] })).to.deep.equal([1, 19]);
      expect(await ids({ n: { $in: [3, 4, 99] } })).to.deep.equal([3, 4]);
      expect(await ids({ n: { $nin: [0, 1, 2], $lt: 5 } })).to.deep.equal([3, 4]);
      expect(await ids({ 'nested.deep.tag': 'odd', 'nested.level': 3 })).to.deep.equal([3, 13]);
      expect(await ids({ tags: 'four' })).to.deep.equal([0, 4, 8, 12, 16]);
      expect(await ids({ tags: { $all: ['four', 'even'] }, n: { $gt: 10 } })).to.deep.equal([12, 16]);
      expect(await ids({ items: { $elemMatch: { k: 'b', q: { $gt: 34 } } } })).to.deep.equal([18, 19]);
      expect(await ids({ 'items.q': 38 })).to.deep.equal([19]);
      expect(await ids({ name: /item-1[78]/ })).to.deep.equal([17, 18]);
      expect(await ids({ missing: { $exists: true } })).to.deep.equal([]);
      expect(await ids({ n: { $type: 'int' }, group: 0, nested: { $exists: true }, _id: { $lt: 7 } })).to.deep.equal([0, 3, 6]);
      expect(await ids({ $nor: [{ n: { $lt: 18 } }] })).to.deep.equal([18, 19]);
      expect(await ids({ n: { $not: { $lt: 18 } } })).to.deep.equal([18, 19]);
      expect(await ids({ tags: { $size: 2 }, n: { $lt: 5 } })).to.deep.equal([0, 4]);
    });

    it('sorts on several keys, skips and limits', async () => {
      const c = t.db.collection<AnyDoc>(name);
      const docs = await c.find({}, { sort: { group: -1, n: 1 }, skip: 2, limit: 4 }).toArray();
      expect(docs.map((d) => d._id)).to.deep.equal([8, 11, 14, 17]);
      const byNested = await c.find({ n: { $lt: 10 } }).sort({ 'nested.level': 1, _id: -1 }).limit(3).toArray();
      expect(byNested.map((d) => d._id)).to.deep.equal([5, 0, 6]);
    });

    it('projects inclusions, exclusions and nested paths', async () => {
      const c = t.db.collection<AnyDoc>(name);
      const inc = await c.findOne({ _id: 3 }, { projection: { 'nested.deep.tag': 1, n: 1 } });
      expect(inc).to.deep.equal({ _id: 3, n: 3, nested: { deep: { tag: 'odd' } } });
      const noId = await c.findOne({ _id: 3 }, { projection: { _id: 0, 'nested.level': 1 } });
      expect(noId).to.deep.equal({ nested: { level: 3 } });
      const exc = await c.findOne({ _id: 3 }, { projection: { nested: 0, items: 0, tags: 0, 'name': 0 } });
      expect(exc).to.deep.equal({ _id: 3, n: 3, group: 0 });
      const excNested = await c.findOne({ _id: 3 }, { projection: { 'nested.deep': 0, items: 0, tags: 0 } });
      expect(excNested).to.deep.equal({ _id: 3, n: 3, group: 0, name: 'item-03', nested: { level: 3 } });
      const arr = await c.findOne({ _id: 3 }, { projection: { 'items.q': 1, _id: 0 } });
      expect(arr).to.deep.equal({ items: [{ q: 3 }, { q: 6 }] });
      const slice = await c.findOne({ _id: 4 }, { projection: { tags: { $slice: 1 }, _id: 0, n: 1 } });
      expect(slice).to.deep.equal({ n: 4, tags: ['four'] });
      const elem = await c.findOne({ _id: 4 }, { projection: { items: { $elemMatch: { k: 'b' } }, _id: 0 } });
      expect(elem).to.deep.equal({ items: [{ k: 'b', q: 8 }] });
    });

    it('the first query filter does not see later changes to returned documents', async () => {
      const c = t.db.collection<AnyDoc>(name);
      const doc = await c.findOne({ _id: 0 });
      doc!.n = 1000;
      expect((await c.findOne({ _id: 0 }))!.n).to.equal(0);
    });
  });

  describe('BSON order', () => {
    it('sorts mixed types in BSON type order', async () => {
      const c = t.db.collection<AnyDoc>(collName('order'));
      const values: Array<[string, unknown]> = [
        ['maxkey', new MaxKey()],
        ['regex', new BSONRegExp('abc', 'i')],
        ['timestamp', new Timestamp({ t: 1, i: 1 })],
        ['date', new Date('2020-01-01')],
        ['bool', true],
        ['objectid', new ObjectId('000000000000000000000001')],
        ['bindata', new Binary(Buffer.from([1, 2, 3]))],
        ['object', { a: 1 }],
        ['string', 'abc'],
        ['number', 42],
        ['null', null],
        ['minkey', new MinKey()],
      ];
      await c.insertMany(values.map(([kind, v], i) => ({ _id: i, kind, v })));
      const asc = await c.find({}, { projection: { kind: 1 } }).sort({ v: 1 }).toArray();
      expect(asc.map((d) => d.kind)).to.deep.equal(values.map(([k]) => k).reverse());
      const desc = await c.find({}, { projection: { kind: 1 } }).sort({ v: -1 }).toArray();
      expect(desc.map((d) => d.kind)).to.deep.equal(values.map(([k]) => k));
      // bool: false < true; comparisons stay within a type
      const bools = t.db.collection<AnyDoc>(collName('bools'));
      await bools.insertMany([{ _id: 1, v: true }, { _id: 2, v: false }, { _id: 3, v: 5 }]);
      expect((await bools.find({ v: { $gte: false } }).sort({ v: 1 }).toArray()).map((d) => d._id)).to.deep.equal([2, 1]);
    });

    it('compares Int32, Long, Double and Decimal128 as numbers', async () => {
      const c = t.db.collection<AnyDoc>(collName('nums'));
      await c.insertMany([
        { _id: 'int', v: new Int32(5) },
        { _id: 'long', v: Long.fromNumber(3) },
        { _id: 'double', v: new Double(4.5) },
        { _id: 'decimal', v: Decimal128.fromString('2.5') },
        { _id: 'ten', v: new Double(10) },
        { _id: 'bigLong', v: Long.fromString('9007199254740993') },
        { _id: 'negative', v: new Int32(-7) },
      ]);
      const sorted = await c.find().sort({ v: 1 }).toArray();
      expect(sorted.map((d) => d._id)).to.deep.equal(['negative', 'decimal', 'long', 'double', 'int', 'ten', 'bigLong']);
      const gt4 = await c.find({ v: { $gt: 4 } }).sort({ v: 1 }).toArray();
      expect(gt4.map((d) => d._id)).to.deep.equal(['double', 'int', 'ten', 'bigLong']);
      expect((await c.findOne({ v: new Double(3) }))!._id).to.equal('long');
      expect((await c.findOne({ v: Long.fromNumber(5) }))!._id).to.equal('int');
      expect((await c.findOne({ v: { $lt: Decimal128.fromString('3') } }, { sort: { v: -1 } }))!._id).to.equal('decimal');
      // a Long beyond 2^53 keeps its exact value
      const big = await c.findOne({ _id: 'bigLong' }, { promoteLongs: false });
      expect((big!.v as Long).toString()).to.equal('9007199254740993');
    });

    it('orders ObjectIds by their bytes (creation time first) and Dates by time', async () => {
      const c = t.db.collection<AnyDoc>(collName('oid'));
      const ids = [
        new ObjectId('5f0000000000000000000003'),
        new ObjectId('5e0000000000000000000009'),
        new ObjectId('5f0000000000000000000001'),
        ObjectId.createFromTime(1_000),
      ];
      const dates = [new Date('2024-03-01'), new Date('1969-12-31T23:59:59Z'), new Date('2030-01-01'), new Date('2000-01-01')];
      await c.insertMany(ids.map((id, i) => ({ _id: id, at: dates[i] })));
      const byId = (await c.find().sort({ _id: 1 }).toArray()).map((d) => (d._id as ObjectId).toHexString());
      expect(byId).to.deep.equal([ids[3]!, ids[1]!, ids[2]!, ids[0]!].map((i) => i.toHexString()));
      const byDate = (await c.find().sort({ at: 1 }).toArray()).map((d) => (d.at as Date).toISOString());
      expect(byDate).to.deep.equal([...dates].sort((a, b) => a.getTime() - b.getTime()).map((d) => d.toISOString()));
      const after = await c.find({ at: { $gt: new Date('2010-01-01') } }).sort({ at: -1 }).toArray();
      expect(after.map((d) => (d.at as Date).getUTCFullYear())).to.deep.equal([2030, 2024]);
      const idRange = await c.find({ _id: { $gt: new ObjectId('5e0000000000000000000009') } }).toArray();
      expect(idRange).to.have.length(2);
    });

    it('orders strings by code point (UTF-8 bytes), astral characters last', async () => {
      const c = t.db.collection<AnyDoc>(collName('strings'));
      await c.insertMany([{ _id: 1, s: '\u{1F600}' }, { _id: 2, s: '\uFFFD' }, { _id: 3, s: 'a' }, { _id: 4, s: '\uE000' }, { _id: 5, s: 'ab' }]);
      expect((await c.find().sort({ s: 1 }).toArray()).map((d) => d._id)).to.deep.equal([3, 5, 4, 2, 1]);
      await c.createIndex({ s: 1 });
      expect((await c.find().sort({ s: -1 }).toArray()).map((d) => d._id)).to.deep.equal([1, 2, 4, 5, 3]);
    });

    it('$type matches BSON types by name and number', async () => {
      const c = t.db.collection<AnyDoc>(collName('types'));
      await c.insertMany([
        { _id: 'long', v: Long.fromString('9007199254740993') },
        { _id: 'dec', v: Decimal128.fromString('1.5') },
        { _id: 'str', v: 's' },
        { _id: 'arr', v: ['s', 1] },
        { _id: 'null', v: null },
        { _id: 'ts', v: new Timestamp({ t: 5, i: 1 }) },
        { _id: 'date', v: new Date(0) },
        { _id: 'int', v: 5 },
        { _id: 'dbl', v: 2.5 },
        { _id: 'none' },
      ]);
      const ids = async (type: unknown) => (await c.find({ v: { $type: type } } as Document).sort({ _id: 1 }).toArray()).map((d) => d._id);
      expect(await ids('long')).to.deep.equal(['long']);
      expect(await ids(18)).to.deep.equal(['long']);
      expect(await ids('decimal')).to.deep.equal(['dec']);
      expect(await ids('string')).to.deep.equal(['arr', 'str']);
      expect(await ids('array')).to.deep.equal(['arr']);
      expect(await ids('null')).to.deep.equal(['null']);
      expect(await ids('timestamp')).to.deep.equal(['ts']);
      expect(await ids('date')).to.deep.equal(['date']);
      expect(await ids('double')).to.deep.equal(['dbl']);
      expect(await ids('int')).to.deep.equal(['arr', 'int']);
      expect(await ids('number')).to.deep.equal(['arr', 'dbl', 'dec', 'int', 'long']);
      expect(await ids(['bool', 'date'])).to.deep.equal(['date']);
    });

    it('sorts an array field by its smallest element ascending and largest descending', async () => {
      const c = t.db.collection<AnyDoc>(collName('arrsort'));
      await c.insertMany([{ _id: 'a', v: [5, 1] }, { _id: 'b', v: [3] }, { _id: 'c', v: [2, 9] }]);
      expect((await c.find().sort({ v: 1 }).toArray()).map((d) => d._id)).to.deep.equal(['a', 'c', 'b']);
      expect((await c.find().sort({ v: -1 }).toArray()).map((d) => d._id)).to.deep.equal(['c', 'a', 'b']);
    });
  });

  describe('delete, replace, find-and-modify', () => {
    it('deleteOne and deleteMany', async () => {
      const c = t.db.collection<AnyDoc>(collName('del'));
      await c.insertMany(Array.from({ length: 10 }, (_, i) => ({ i, even: i % 2 === 0 })));
      expect((await c.deleteOne({ even: true })).deletedCount).to.equal(1);
      expect((await c.deleteMany({ even: true })).deletedCount).to.equal(4);
      expect((await c.deleteMany({ nothing: 1 })).deletedCount).to.equal(0);
      expect(await c.countDocuments()).to.equal(5);
    });

    it('countDocuments and count with skip and limit: capped counts, on a multikey range and on a scan', async () => {
      const c = t.db.collection<AnyDoc>(collName('cnt'));
      await c.createIndex({ g: 1, words: 1 });
      // Every document has two words in the range ['ng', 'nh'): a multikey range counts documents, not keys.
      await c.insertMany(Array.from({ length: 30 }, (_, i) => ({ g: i % 2, words: ['nguyen', 'ngoc', `w${i}`], n: i })));
      const range = { g: 0, words: { $gte: 'ng', $lt: 'nh' } };
      expect(await c.countDocuments(range)).to.equal(15);
      expect(await c.countDocuments(range, { limit: 10 })).to.equal(10);
      expect(await c.countDocuments(range, { limit: 100 })).to.equal(15);
      expect(await c.countDocuments(range, { skip: 12 })).to.equal(3);
      expect(await c.countDocuments(range, { skip: 12, limit: 2 })).to.equal(2);
      expect(await c.countDocuments(range, { skip: 14, limit: 5 })).to.equal(1);
      expect(await c.countDocuments(range, { skip: 20, limit: 5 })).to.equal(0);
      // An unindexed filter (a scan) is capped the same way.
      expect(await c.countDocuments({ n: { $gte: 3 } }, { limit: 7 })).to.equal(7);
      expect(await c.countDocuments({ n: { $gte: 3 } }, { skip: 25, limit: 7 })).to.equal(2);
      // The count command (collection.count in older drivers) too.
      expect((await t.db.command({ count: c.collectionName, query: range, limit: 4 })).n).to.equal(4);
      expect((await t.db.command({ count: c.collectionName, query: range, skip: 13, limit: 4 })).n).to.equal(2);
      expect((await t.db.command({ count: c.collectionName, query: { n: { $lt: 10 } }, limit: -3 })).n).to.equal(3);
    });

    it('replaceOne keeps _id and refuses to change it (66)', async () => {
      const c = t.db.collection<AnyDoc>(collName('rep'));
      await c.insertOne({ _id: 1, a: 1, b: 2 } as Document);
      const r = await c.replaceOne({ _id: 1 }, { c: 3 });
      expect(r.modifiedCount).to.equal(1);
      expect(await c.findOne({ _id: 1 } as Document)).to.deep.equal({ _id: 1, c: 3 });
      await expectCode(() => c.replaceOne({ _id: 1 }, { _id: 2, c: 4 }), 66);
      const up = await c.replaceOne({ _id: 5 }, { z: 1 }, { upsert: true });
      expect(up.upsertedId).to.equal(5);
      expect(await c.findOne({ _id: 5 } as Document)).to.deep.equal({ _id: 5, z: 1 });
    });

    it('findOneAndUpdate returns the document before or after, honours sort and projection', async () => {
      const c = t.db.collection<AnyDoc>(collName('fam'));
      await c.insertMany([{ _id: 1, q: 'x', n: 1 }, { _id: 2, q: 'x', n: 2 }, { _id: 3, q: 'x', n: 3 }] as Document[]);
      const before = await c.findOneAndUpdate({ q: 'x' }, { $inc: { n: 10 } }, { sort: { n: -1 }, returnDocument: 'before' });
      expect(before).to.deep.equal({ _id: 3, q: 'x', n: 3 });
      const after = await c.findOneAndUpdate({ q: 'x' }, { $inc: { n: 100 } }, { sort: { n: 1 }, returnDocument: 'after', projection: { n: 1, _id: 0 } });
      expect(after).to.deep.equal({ n: 101 });
      const none = await c.findOneAndUpdate({ q: 'nope' }, { $set: { n: 0 } });
      expect(none).to.equal(null);
      const meta = await c.findOneAndUpdate({ _id: 2 } as Document, { $set: { y: 1 } }, { includeResultMetadata: true, returnDocument: 'after' });
      expect(meta.ok).to.equal(1);
      expect(meta.lastErrorObject).to.include({ n: 1, updatedExisting: true });
      expect(meta.value).to.deep.equal({ _id: 2, q: 'x', n: 2, y: 1 });
      const upserted = await c.findOneAndUpdate({ _id: 9 } as Document, { $set: { q: 'new' } }, { upsert: true, returnDocument: 'after' });
      expect(upserted).to.deep.equal({ _id: 9, q: 'new' });
      const upsertBefore = await c.findOneAndUpdate({ _id: 10 } as Document, { $set: { q: 'new' } }, { upsert: true, returnDocument: 'before' });
      expect(upsertBefore).to.equal(null);
      expect(await c.countDocuments({ q: 'new' })).to.equal(2);
    });

    it('findOneAndReplace and findOneAndDelete', async () => {
      const c = t.db.collection<AnyDoc>(collName('fam'));
      await c.insertMany([{ _id: 1, k: 'a', v: 1 }, { _id: 2, k: 'a', v: 2 }] as Document[]);
      const replaced = await c.findOneAndReplace({ k: 'a' }, { k: 'b', v: 9 }, { sort: { v: -1 }, returnDocument: 'after' });
      expect(replaced).to.deep.equal({ _id: 2, k: 'b', v: 9 });
      const deleted = await c.findOneAndDelete({ k: { $in: ['a', 'b'] } }, { sort: { v: -1 }, projection: { v: 1 } });
      expect(deleted).to.deep.equal({ _id: 2, v: 9 });
      expect(await c.findOneAndDelete({ k: 'zzz' })).to.equal(null);
      expect(await c.countDocuments()).to.equal(1);
    });
  });

  describe('counts and distinct', () => {
    it('countDocuments, estimatedDocumentCount and distinct (arrays unwound, nested paths)', async () => {
      const c = t.db.collection<AnyDoc>(collName('cnt'));
      await c.insertMany([
        { k: 'a', tags: ['x', 'y'], n: { v: 1 } },
        { k: 'b', tags: ['y'], n: { v: 2 } },
        { k: 'a', tags: [], n: { v: 1 } },
        { k: 'c', n: { v: Long.fromNumber(2) } },
      ]);
      expect(await c.countDocuments()).to.equal(4);
      expect(await c.countDocuments({ k: 'a' })).to.equal(2);
      expect(await c.countDocuments({}, { skip: 1, limit: 2 })).to.equal(2);
      expect(await c.estimatedDocumentCount()).to.equal(4);
      expect((await c.distinct('k')).sort()).to.deep.equal(['a', 'b', 'c']);
      expect((await c.distinct('tags')).sort()).to.deep.equal(['x', 'y']);
      expect((await c.distinct('n.v')).sort()).to.deep.equal([1, 2]);
      expect(await c.distinct('k', { 'n.v': 2 })).to.have.members(['b', 'c']);
      expect(await t.db.collection<AnyDoc>(collName('empty')).countDocuments()).to.equal(0);
      expect(await t.db.collection<AnyDoc>(collName('empty')).distinct('x')).to.deep.equal([]);
    });
  });

  describe('cursors', () => {
    it('returns 1000 documents in batches of 10 through getMore, in order', async () => {
      const c = t.db.collection<AnyDoc>(collName('cur'));
      await c.insertMany(Array.from({ length: 1000 }, (_, i) => ({ i })));
      const cursor = c.find({}, { batchSize: 10 }).sort({ i: 1 });
      let expected = 0;
      for await (const d of cursor) {
        expect(d.i).to.equal(expected);
        expected++;
      }
      expect(expected).to.equal(1000);
      // aggregate cursors page the same way
      const agg = await c.aggregate([{ $match: { i: { $gte: 500 } } }, { $sort: { i: -1 } }], { batchSize: 7 }).toArray();
      expect(agg).to.have.length(500);
      expect(agg[0]!.i).to.equal(999);
    });

    it('getMore on a killed cursor fails with CursorNotFound (43)', async () => {
      const c = t.db.collection<AnyDoc>(collName('cur'));
      await c.insertMany(Array.from({ length: 50 }, (_, i) => ({ i })));
      const cursor = c.find({}, { batchSize: 5 });
      const first = await cursor.next();
      expect(first).to.not.equal(null);
      const id = cursor.id!;
      expect(id.isZero()).to.equal(false);
      await cursor.close();
      const r = await t.db.command({ getMore: id, collection: c.collectionName }).catch((e) => e);
      expect(r.code).to.equal(43);
      // killCursors on an unknown id reports it as not found
      const k = await t.db.command({ killCursors: c.collectionName, cursors: [Long.fromNumber(123456789)] });
      expect(k.cursorsNotFound.map(String)).to.deep.equal(['123456789']);
    });

    it('a limit smaller than the batch closes the cursor in the first batch', async () => {
      const c = t.db.collection<AnyDoc>(collName('cur'));
      await c.insertMany(Array.from({ length: 30 }, (_, i) => ({ i })));
      const r = await t.db.command({ find: c.collectionName, filter: {}, limit: 5 });
      expect(r.cursor.firstBatch).to.have.length(5);
      expect(Number(r.cursor.id)).to.equal(0);
      const r2 = await t.db.command({ find: c.collectionName, filter: {}, batchSize: 4 });
      expect(r2.cursor.firstBatch).to.have.length(4);
      expect(Number(r2.cursor.id)).to.not.equal(0);
      const more = await t.db.command({ getMore: r2.cursor.id, collection: c.collectionName, batchSize: 100 });
      expect(more.cursor.nextBatch).to.have.length(26);
      expect(Number(more.cursor.id)).to.equal(0);
    });
  });
});
