// Conformance through the official driver: every update operator, the updates MongoDB refuses
// (with its error codes), positional updates, replacement and pipeline updates, upserts.
import { expect } from 'chai';
import { Decimal128, Long, Timestamp, type Collection, type Document } from 'mongodb';
import { collName, expectCode, useDatabase, type AnyDoc } from './conformance-support.ts';

describe('embedded-mongo conformance: update operators', function () {
  this.timeout(30_000);
  const t = useDatabase('conf_update');

  /** A fresh collection holding `doc` (with _id 1); returns the document after `update`. */
  async function after(doc: Document, update: Document | Document[], options: Document = {}): Promise<Document | null> {
    const c = t.db.collection<AnyDoc>(collName('u'));
    await c.insertOne({ _id: 1, ...doc } as Document);
    await c.updateOne({ _id: 1 } as Document, update, options);
    return c.findOne({ _id: 1 } as Document, { projection: { _id: 0 } });
  }

  async function seeded(doc: Document): Promise<Collection<AnyDoc>> {
    const c = t.db.collection<AnyDoc>(collName('u'));
    await c.insertOne({ _id: 1, ...doc } as Document);
    return c;
  }

  it('$set and $unset, including nested paths and array indexes', async () => {
    expect(await after({ a: 1 }, { $set: { a: 2, 'b.c.d': 'x' } })).to.deep.equal({ a: 2, b: { c: { d: 'x' } } });
    expect(await after({ a: [1, 2, 3] }, { $set: { 'a.1': 20 } })).to.deep.equal({ a: [1, 20, 3] });
    expect(await after({ a: [1] }, { $set: { 'a.3': 4 } })).to.deep.equal({ a: [1, null, null, 4] });
    expect(await after({ a: 1, b: { c: 1, d: 2 } }, { $unset: { a: '', 'b.c': 1, nothing: 1 } })).to.deep.equal({ b: { d: 2 } });
    expect(await after({ a: [1, 2, 3] }, { $unset: { 'a.1': '' } })).to.deep.equal({ a: [1, null, 3] });
  });

  it('$inc and $mul keep the numeric type (Int32, Long, Double, Decimal128)', async () => {
    expect(await after({ n: 1 }, { $inc: { n: 2, m: 5 } })).to.deep.equal({ n: 3, m: 5 });
    expect(await after({ n: 1.5 }, { $inc: { n: -0.5 } })).to.deep.equal({ n: 1 });
    expect(await after({ n: 3 }, { $mul: { n: 4, absent: 2 } })).to.deep.equal({ n: 12, absent: 0 });
    const c = await seeded({ big: Long.fromString('9007199254740993') });
    await c.updateOne({ _id: 1 } as Document, { $inc: { big: Long.fromNumber(2) } });
    const big = await c.findOne({ _id: 1 } as Document, { promoteLongs: false });
    expect((big!.big as Long).toString()).to.equal('9007199254740995');
    const d = await after({ d: Decimal128.fromString('1.5') }, { $inc: { d: 1 } });
    expect(d!.d).to.be.instanceOf(Decimal128);
    expect(Number(d!.d.toString())).to.equal(2.5);
  });

  it('$min and $max compare in BSON order', async () => {
    expect(await after({ lo: 5, hi: 5 }, { $min: { lo: 3, hi: 9 }, $max: { hi: 9 } }).catch((e) => e.code)).to.equal(40);
    expect(await after({ lo: 5, hi: 5 }, { $min: { lo: 3, new: 1 }, $max: { hi: 9 } })).to.deep.equal({ lo: 3, hi: 9, new: 1 });
    expect(await after({ lo: 5, hi: 5 }, { $min: { lo: 7 }, $max: { hi: 1 } })).to.deep.equal({ lo: 5, hi: 5 });
    const d1 = new Date('2020-01-01');
    const d2 = new Date('2021-01-01');
    expect(await after({ at: d2 }, { $min: { at: d1 } })).to.deep.equal({ at: d1 });
    // a string is above any number in BSON order
    expect(await after({ v: 'a' }, { $min: { v: 100 } })).to.deep.equal({ v: 100 });
  });

  it('$rename moves fields, including into nested paths', async () => {
    expect(await after({ a: 1, b: { c: 2 } }, { $rename: { a: 'z', 'b.c': 'b.d', missing: 'y' } })).to.deep.equal({ b: { d: 2 }, z: 1 });
  });

  it('$currentDate sets a Date or a Timestamp', async () => {
    const before = Date.now();
    const doc = await after({}, { $currentDate: { d: true, ts: { $type: 'timestamp' }, d2: { $type: 'date' } } });
    expect(doc!.d).to.be.instanceOf(Date);
    expect((doc!.d as Date).getTime()).to.be.at.least(before - 5000);
    expect(doc!.d2).to.be.instanceOf(Date);
    expect(doc!.ts).to.be.instanceOf(Timestamp);
  });

  it('$bit and/or/xor', async () => {
    expect(await after({ n: 13 }, { $bit: { n: { and: 10 } } })).to.deep.equal({ n: 8 });
    expect(await after({ n: 3 }, { $bit: { n: { or: 5 } } })).to.deep.equal({ n: 7 });
    expect(await after({ n: 1 }, { $bit: { n: { xor: 5 } } })).to.deep.equal({ n: 4 });
  });

  it('$push with $each, $position, $slice and $sort', async () => {
    expect(await after({ a: [1] }, { $push: { a: 2 } })).to.deep.equal({ a: [1, 2] });
    expect(await after({}, { $push: { a: 'x' } })).to.deep.equal({ a: ['x'] });
    expect(await after({ a: [1, 2] }, { $push: { a: { $each: [3, 4] } } })).to.deep.equal({ a: [1, 2, 3, 4] });
    expect(await after({ a: [1, 2] }, { $push: { a: { $each: [9], $position: 0 } } })).to.deep.equal({ a: [9, 1, 2] });
    expect(await after({ a: [1, 2, 3] }, { $push: { a: { $each: [9], $position: -1 } } })).to.deep.equal({ a: [1, 2, 9, 3] });
    expect(await after({ a: [5, 1] }, { $push: { a: { $each: [3], $sort: 1 } } })).to.deep.equal({ a: [1, 3, 5] });
    expect(await after({ a: [5, 1] }, { $push: { a: { $each: [3, 7], $sort: -1, $slice: 2 } } })).to.deep.equal({ a: [7, 5] });
    expect(await after({ a: [1, 2, 3] }, { $push: { a: { $each: [4], $slice: -2 } } })).to.deep.equal({ a: [3, 4] });
    expect(await after({ a: [{ s: 2 }, { s: 1 }] }, { $push: { a: { $each: [{ s: 3 }], $sort: { s: 1 } } } })).to.deep.equal({ a: [{ s: 1 }, { s: 2 }, { s: 3 }] });
    expect(await after({ a: [1] }, { $push: { a: { $each: [], $slice: 0 } } })).to.deep.equal({ a: [] });
  });

  it('$addToSet (with $each), $pop, $pull (value and condition), $pullAll', async () => {
    expect(await after({ a: [1, 2] }, { $addToSet: { a: 2 } })).to.deep.equal({ a: [1, 2] });
    expect(await after({ a: [1, 2] }, { $addToSet: { a: { $each: [2, 3, 3] } } })).to.deep.equal({ a: [1, 2, 3] });
    expect(await after({ a: [{ x: 1 }] }, { $addToSet: { a: { x: 1 } } })).to.deep.equal({ a: [{ x: 1 }] });
    expect(await after({ a: [1, 2, 3] }, { $pop: { a: 1 } })).to.deep.equal({ a: [1, 2] });
    expect(await after({ a: [1, 2, 3] }, { $pop: { a: -1 } })).to.deep.equal({ a: [2, 3] });
    expect(await after({ a: [1, 2, 3, 2] }, { $pull: { a: 2 } })).to.deep.equal({ a: [1, 3] });
    expect(await after({ a: [1, 5, 8, 3] }, { $pull: { a: { $gte: 5 } } })).to.deep.equal({ a: [1, 3] });
    expect(await after({ a: [{ k: 1, v: 'x' }, { k: 2, v: 'y' }] }, { $pull: { a: { k: 2 } } })).to.deep.equal({ a: [{ k: 1, v: 'x' }] });
    expect(await after({ a: [1, 2, 3, 1] }, { $pullAll: { a: [1, 3] } })).to.deep.equal({ a: [2] });
  });

  it('positional $, $[] and $[id] with arrayFilters', async () => {
    const c = await seeded({ grades: [80, 85, 90], items: [{ k: 'a', n: 1 }, { k: 'b', n: 2 }, { k: 'c', n: 3 }] });
    await c.updateOne({ _id: 1, grades: 85 } as Document, { $set: { 'grades.$': 86 } });
    await c.updateOne({ _id: 1, 'items.k': 'b' } as Document, { $inc: { 'items.$.n': 10 } });
    await c.updateOne({ _id: 1 } as Document, { $inc: { 'items.$[].n': 100 } });
    await c.updateOne({ _id: 1 } as Document, { $set: { 'items.$[el].big': true } }, { arrayFilters: [{ 'el.n': { $gt: 110 } }] });
    await c.updateOne({ _id: 1 } as Document, { $mul: { 'grades.$[g]': 2 } }, { arrayFilters: [{ g: { $gte: 90 } }] });
    expect(await c.findOne({ _id: 1 } as Document, { projection: { _id: 0 } })).to.deep.equal({
      grades: [80, 86, 180],
      items: [{ k: 'a', n: 101 }, { k: 'b', n: 112, big: true }, { k: 'c', n: 103 }],
    });
    // the positional operator without a matching array in the query is refused (2)
    await expectCode(() => c.updateOne({ _id: 1 } as Document, { $set: { 'grades.$': 0 } }), 2);
    // an identifier without a filter is refused (2)
    await expectCode(() => c.updateOne({ _id: 1 } as Document, { $set: { 'grades.$[nope]': 0 } }), 2);
  });

  it('updateMany modifies every match and reports matched/modified counts', async () => {
    const c = t.db.collection<AnyDoc>(collName('many'));
    await c.insertMany([{ k: 1, v: 0 }, { k: 1, v: 5 }, { k: 2, v: 0 }]);
    const r = await c.updateMany({ k: 1 }, { $set: { v: 5 } });
    expect(r.matchedCount).to.equal(2);
    expect(r.modifiedCount).to.equal(1);
    const none = await c.updateMany({ k: 9 }, { $set: { v: 1 } });
    expect(none.matchedCount).to.equal(0);
  });

  describe('refused updates, with MongoDB codes', () => {
    it('$inc on a string → 14 (TypeMismatch), document unchanged', async () => {
      const c = await seeded({ s: 'text' });
      await expectCode(() => c.updateOne({ _id: 1 } as Document, { $inc: { s: 1 } }), 14);
      await expectCode(() => c.updateOne({ _id: 1 } as Document, { $inc: { n: "x" } } as Document), 14);
      expect(await c.findOne({ _id: 1 } as Document)).to.deep.equal({ _id: 1, s: 'text' });
    });

    it('$push / $addToSet on a non-array → 2 (BadValue)', async () => {
      const c = await seeded({ s: 'text' });
      await expectCode(() => c.updateOne({ _id: 1 } as Document, { $push: { s: 1 } } as Document), 2);
      await expectCode(() => c.updateOne({ _id: 1 } as Document, { $addToSet: { s: 1 } }), 2);
      expect(await c.findOne({ _id: 1 } as Document)).to.deep.equal({ _id: 1, s: 'text' });
    });

    it('conflicting paths → 40 (ConflictingUpdateOperators)', async () => {
      const c = await seeded({ a: { b: 1 } });
      await expectCode(() => c.updateOne({ _id: 1 } as Document, { $set: { a: 1 }, $inc: { a: 1 } }), 40);
      await expectCode(() => c.updateOne({ _id: 1 } as Document, { $set: { 'a.b': 1 }, $unset: { a: '' } }), 40);
      expect(await c.findOne({ _id: 1 } as Document)).to.deep.equal({ _id: 1, a: { b: 1 } });
    });

    it('changing _id → 66 (ImmutableField), by $set, replacement or pipeline', async () => {
      const c = await seeded({ a: 1 });
      await expectCode(() => c.updateOne({ _id: 1 } as Document, { $set: { _id: 2 } }), 66);
      await expectCode(() => c.replaceOne({ _id: 1 } as Document, { _id: 2, a: 1 }), 66);
      await expectCode(() => c.updateOne({ _id: 1 } as Document, [{ $set: { _id: 3 } }]), 66);
      // setting _id to its own value is allowed
      await c.updateOne({ _id: 1 } as Document, { $set: { _id: 1, a: 2 } });
      expect(await c.findOne({ _id: 1 } as Document)).to.deep.equal({ _id: 1, a: 2 });
    });

    it('an unknown modifier → 9 (FailedToParse)', async () => {
      const c = await seeded({ a: 1 });
      const r = await t.db.command({ update: c.collectionName, updates: [{ q: { _id: 1 }, u: { $frobnicate: { a: 1 } } }] });
      expect(r.writeErrors?.[0]?.code ?? r.code).to.equal(9);
      await expectCode(() => c.updateOne({ _id: 1 } as Document, { $frobnicate: { a: 1 } } as Document), 9);
    });

    it('a field path through a scalar → 28 (PathNotViable)', async () => {
      const c = await seeded({ a: 5 });
      await expectCode(() => c.updateOne({ _id: 1 } as Document, { $set: { 'a.b': 1 } }), 28);
    });
  });

  describe('replacement and pipeline updates', () => {
    it('replaces the whole document except _id', async () => {
      expect(await after({ a: 1, b: 2 }, { c: 3 }, {}).catch(() => 'driver refuses replacement in updateOne')).to.equal('driver refuses replacement in updateOne');
      const c = await seeded({ a: 1, b: 2 });
      await c.replaceOne({ _id: 1 } as Document, { c: 3 });
      expect(await c.findOne({ _id: 1 } as Document)).to.deep.equal({ _id: 1, c: 3 });
    });

    it('pipeline updates compute from the document ($set, $unset, $replaceWith)', async () => {
      expect(await after({ a: 2, b: 3 }, [{ $set: { sum: { $add: ['$a', '$b'] } } }, { $unset: 'b' }])).to.deep.equal({ a: 2, sum: 5 });
      expect(await after({ a: 2, inner: { x: 1 } }, [{ $replaceWith: { $mergeObjects: [{ _id: '$_id' }, '$inner'] } }])).to.deep.equal({ x: 1 });
      expect(await after({ tags: ['a'] }, [{ $set: { tags: { $concatArrays: ['$tags', ['b']] }, n: { $size: '$tags' } } }])).to.deep.equal({ tags: ['a', 'b'], n: 1 });
    });
  });

  describe('upserts', () => {
    it('seeds from equality fields and applies $setOnInsert only on insert', async () => {
      const c = t.db.collection<AnyDoc>(collName('ups'));
      const r = await c.updateOne(
        { email: 'a@example.org', 'profile.kind': 'x', n: { $gt: 5 } },
        { $set: { seen: 1 }, $setOnInsert: { createdAt: 'first' }, $inc: { visits: 1 } },
        { upsert: true },
      );
      expect(r.upsertedCount).to.equal(1);
      const doc = await c.findOne({ _id: r.upsertedId! }, { projection: { _id: 0 } });
      expect(doc).to.deep.equal({ email: 'a@example.org', profile: { kind: 'x' }, seen: 1, createdAt: 'first', visits: 1 });
      await c.updateOne({ email: 'a@example.org' }, { $set: { seen: 2 }, $setOnInsert: { createdAt: 'second' }, $inc: { visits: 1 } }, { upsert: true });
      const again = await c.findOne({ email: 'a@example.org' }, { projection: { _id: 0 } });
      expect(again).to.deep.equal({ email: 'a@example.org', profile: { kind: 'x' }, seen: 2, createdAt: 'first', visits: 2 });
      expect(await c.countDocuments()).to.equal(1);
    });

    it('takes _id from the query, from $and and $eq, and from $setOnInsert', async () => {
      const c = t.db.collection<AnyDoc>(collName('ups'));
      await c.updateOne({ _id: 'fixed' } as Document, { $set: { a: 1 } }, { upsert: true });
      await c.updateOne({ $and: [{ k: 1 }, { j: { $eq: 2 } }] }, { $set: { a: 2 } }, { upsert: true });
      const r = await c.updateOne({ k: 'x' }, { $setOnInsert: { _id: 'from-soi' } }, { upsert: true });
      expect(r.upsertedId).to.equal('from-soi');
      expect(await c.findOne({ _id: 'fixed' } as Document)).to.deep.equal({ _id: 'fixed', a: 1 });
      expect(await c.findOne({ k: 1 }, { projection: { _id: 0 } })).to.deep.equal({ k: 1, j: 2, a: 2 });
    });

    it('bulkWrite mixes operations and reports every count', async () => {
      const c = t.db.collection<AnyDoc>(collName('bulk'));
      await c.insertMany([{ _id: 1, v: 1 }, { _id: 2, v: 2 }] as Document[]);
      const r = await c.bulkWrite([
        { insertOne: { document: { _id: 3, v: 3 } } },
        { updateOne: { filter: { _id: 1 }, update: { $inc: { v: 10 } } } },
        { updateOne: { filter: { _id: 9 }, update: { $set: { v: 9 } }, upsert: true } },
        { deleteOne: { filter: { _id: 2 } } },
        { replaceOne: { filter: { _id: 3 }, replacement: { v: 33 } } },
      ] as never);
      expect(r.insertedCount).to.equal(1);
      expect(r.matchedCount).to.equal(2);
      expect(r.modifiedCount).to.equal(2);
      expect(r.upsertedCount).to.equal(1);
      expect(r.deletedCount).to.equal(1);
      expect((await c.find().sort({ _id: 1 }).toArray()).map((d) => d.v)).to.deep.equal([11, 33, 9]);
    });
  });
});
