// MongoDB behaviour the embedded server used to get wrong (issue 9): projections with $slice and
// $elemMatch, $pull with conditions on subdocuments, $all on scalars, create's options, collation,
// $text, $where and geospatial queries. Each test asserts what MongoDB documents; where the embedded
// server deliberately refuses (JavaScript, geospatial), it asserts MongoDB's error for that case.
import { expect } from 'chai';
import type { Document } from 'mongodb';
import { collName, expectCode, useDatabase, type AnyDoc } from './conformance-support.ts';

describe('embedded-mongo conformance: semantics closed from the known differences', function () {
  this.timeout(30_000);
  const t = useDatabase('conf_semantics');

  async function seeded(docs: Document[]) {
    const c = t.db.collection<AnyDoc>(collName('s'));
    await c.insertMany(docs as AnyDoc[]);
    return c;
  }

  describe('projections', () => {
    it('a projection with only $slice returns every other field', async () => {
      const c = await seeded([{ _id: 1, a: 1, arr: [1, 2, 3, 4], nested: { x: 1 } }]);
      expect(await c.findOne({ _id: 1 } as Document, { projection: { arr: { $slice: 2 } } })).to.deep.equal({ _id: 1, a: 1, arr: [1, 2], nested: { x: 1 } });
      expect(await c.findOne({ _id: 1 } as Document, { projection: { arr: { $slice: [1, 2] } } })).to.deep.equal({ _id: 1, a: 1, arr: [2, 3], nested: { x: 1 } });
      expect(await c.findOne({ _id: 1 } as Document, { projection: { arr: { $slice: -1 }, a: 1 } })).to.deep.equal({ _id: 1, a: 1, arr: [4] });
    });

    it('$elemMatch projections take query operators ($gte, $in) and return the first match', async () => {
      const c = await seeded([{ _id: 1, school: 'x', scores: [55, 81, 92], items: [{ k: 'a', n: 1 }, { k: 'b', n: 2 }, { k: 'c', n: 3 }] }]);
      expect(await c.findOne({ _id: 1 } as Document, { projection: { scores: { $elemMatch: { $gte: 80 } } } })).to.deep.equal({ _id: 1, scores: [81] });
      expect(await c.findOne({ _id: 1 } as Document, { projection: { items: { $elemMatch: { k: { $in: ['c', 'b'] } } }, _id: 0 } })).to.deep.equal({ items: [{ k: 'b', n: 2 }] });
      // no element matches: the field is left out
      expect(await c.findOne({ _id: 1 } as Document, { projection: { scores: { $elemMatch: { $gt: 100 } } } })).to.deep.equal({ _id: 1 });
    });

    it('inclusion and exclusion cannot be mixed (31254 / 31253), except for _id', async () => {
      const c = await seeded([{ _id: 1, a: 1, b: 2 }]);
      await expectCode(() => c.findOne({ _id: 1 } as Document, { projection: { a: 1, b: 0 } }), 31254);
      await expectCode(() => c.findOne({ _id: 1 } as Document, { projection: { a: 0, b: 1 } }), 31253);
      expect(await c.findOne({ _id: 1 } as Document, { projection: { a: 1, _id: 0 } })).to.deep.equal({ a: 1 });
    });
  });

  it('$pull with a condition on subdocuments ({ $or: [...] }) removes the matching elements', async () => {
    const c = await seeded([{ _id: 1, items: [{ k: 1, v: 'x' }, { k: 2, v: 'y' }, { k: 3, v: 'z' }, 4] }]);
    await c.updateOne({ _id: 1 } as Document, { $pull: { items: { $or: [{ k: 1 }, { v: 'z' }] } } } as Document);
    expect(await c.findOne({ _id: 1 } as Document)).to.deep.equal({ _id: 1, items: [{ k: 2, v: 'y' }, 4] });
    await c.updateOne({ _id: 1 } as Document, { $pull: { items: { k: { $gte: 2 } } } } as Document);
    expect(await c.findOne({ _id: 1 } as Document)).to.deep.equal({ _id: 1, items: [4] });
  });

  it('$all on a scalar field matches when the field equals the value', async () => {
    const c = await seeded([{ _id: 'a', tags: 'x' }, { _id: 'b', tags: ['x', 'y'] }, { _id: 'c', tags: 'y' }]);
    expect(await c.countDocuments({ _id: { $all: ['a'] } } as Document)).to.equal(1);
    expect((await c.find({ tags: { $all: ['x'] } }).sort({ _id: 1 }).toArray()).map((d) => d._id)).to.deep.equal(['a', 'b']);
    expect(await c.countDocuments({ tags: { $all: [] } })).to.equal(0);
  });

  describe('create options', () => {
    it("refuses capped without size and size without capped (72), and unknown options (40415)", async () => {
      await expectCode(() => t.db.createCollection(collName('capped'), { capped: true }), 72);
      await expectCode(() => t.db.command({ create: collName('capped'), size: 4096 }), 72);
      await expectCode(() => t.db.command({ create: collName('capped'), frobnicate: 1 }), 40415);
    });

    it('a capped collection keeps only its newest `max` documents, in insertion order', async () => {
      const c = await t.db.createCollection<AnyDoc>(collName('capped'), { capped: true, size: 100_000, max: 3 });
      for (let i = 1; i <= 5; i++) await c.insertOne({ _id: i } as Document);
      expect((await c.find().toArray()).map((d) => d._id)).to.deep.equal([3, 4, 5]);
    });
  });

  describe('collation', () => {
    it('strength 1 ignores case and accents, strength 2 only case, for find, count and distinct', async () => {
      const c = await seeded([{ _id: 1, s: 'cafe' }, { _id: 2, s: 'Cafe' }, { _id: 3, s: 'café' }, { _id: 4, s: 'tea' }]);
      const s1 = { locale: 'en', strength: 1 };
      const s2 = { locale: 'en', strength: 2 };
      expect(await c.countDocuments({ s: 'cafe' }, { collation: s1 })).to.equal(3);
      expect(await c.countDocuments({ s: 'cafe' }, { collation: s2 })).to.equal(2);
      expect(await c.countDocuments({ s: 'cafe' })).to.equal(1);
      expect((await c.find({ s: { $in: ['CAFE'] } }, { collation: s2 }).sort({ _id: 1 }).toArray()).map((d) => d._id)).to.deep.equal([1, 2]);
      expect((await c.find({ s: { $gt: 'CAFÉ' } }, { collation: s1 }).toArray()).map((d) => d._id)).to.deep.equal([4]);
      expect(await c.distinct('s', {}, { collation: s1 })).to.have.length(2);
      expect(await c.distinct('s', {}, { collation: s2 })).to.have.length(3);
    });

    it('sorts by the locale: ä is a letter after z in Swedish, beside a in German', async () => {
      const c = await seeded([{ _id: 1, s: 'z' }, { _id: 2, s: 'ä' }, { _id: 3, s: 'a' }, { _id: 4, s: 'b' }]);
      const order = async (locale: string) => (await c.find({}, { collation: { locale } }).sort({ s: 1 }).toArray()).map((d) => d.s);
      expect(await order('sv')).to.deep.equal(['a', 'b', 'z', 'ä']);
      expect(await order('de')).to.deep.equal(['a', 'ä', 'b', 'z']);
    });

    it('aggregate: $match, $group and $sort follow the collation', async () => {
      const c = await seeded([{ s: 'Apple' }, { s: 'apple' }, { s: 'banana' }, { s: 'APPLE' }]);
      const groups = await c.aggregate([{ $match: { s: 'apple' } }, { $group: { _id: '$s', n: { $sum: 1 } } }], { collation: { locale: 'en', strength: 2 } }).toArray();
      expect(groups).to.have.length(1);
      expect(groups[0]!.n).to.equal(3);
    });

    it("a collection's default collation applies to queries and to its unique indexes", async () => {
      const name = collName('coll');
      const c = await t.db.createCollection<AnyDoc>(name, { collation: { locale: 'en', strength: 2 } });
      await c.createIndex({ email: 1 }, { unique: true });
      await c.insertOne({ email: 'ann@example.org' });
      await expectCode(() => c.insertOne({ email: 'ANN@example.org' }), 11000);
      expect(await c.countDocuments({ email: 'Ann@Example.org' })).to.equal(1);
      // a query with the simple collation compares code points
      expect(await c.countDocuments({ email: 'Ann@Example.org' }, { collation: { locale: 'simple' } })).to.equal(0);
      const [info] = await t.db.listCollections({ name }).toArray();
      expect((info as Document).options.collation).to.include({ locale: 'en', strength: 2 });
    });

    it('refuses an invalid collation (unknown locale 2, missing locale 40414)', async () => {
      const c = await seeded([{ s: 'a' }]);
      await expectCode(() => c.find({}, { collation: { locale: 'xx_NOPE' } }).toArray(), 2);
      await expectCode(() => c.find({}, { collation: { strength: 2 } as never }).toArray(), 40414);
    });
  });

  describe('$text', () => {
    it('searches a text index: terms OR-ed, phrases and negations, textScore projection and sort', async () => {
      const c = await seeded([
        { _id: 1, title: 'fox', body: 'the quick brown fox jumps' },
        { _id: 2, body: 'a lazy dog sleeps' },
        { _id: 3, body: 'brown bears and a brown dog' },
      ]);
      await c.createIndex({ title: 'text', body: 'text' });
      const ids = async (search: string) => (await c.find({ $text: { $search: search } }).sort({ _id: 1 }).toArray()).map((d) => d._id);
      expect(await ids('fox')).to.deep.equal([1]);
      expect(await ids('fox dog')).to.deep.equal([1, 2, 3]);
      expect(await ids('"brown fox"')).to.deep.equal([1]);
      expect(await ids('brown -fox')).to.deep.equal([3]);
      expect(await ids('FOX')).to.deep.equal([1]);
      const scored = await c.find({ $text: { $search: 'brown' } }, { projection: { score: { $meta: 'textScore' } } }).sort({ score: { $meta: 'textScore' } }).toArray();
      expect(scored.map((d) => d._id)).to.deep.equal([3, 1]);
      expect(scored[0]!.score).to.be.greaterThan(scored[1]!.score as number);
      const agg = await c.aggregate([{ $match: { $text: { $search: 'dog' } } }, { $sort: { s: { $meta: 'textScore' } } }, { $project: { s: { $meta: 'textScore' } } }]).toArray();
      expect(agg.map((d) => d._id).sort()).to.deep.equal([2, 3]);
      expect(agg.every((d) => typeof d.s === 'number' && d.s > 0)).to.equal(true);
      expect(await c.countDocuments({ $text: { $search: 'brown' } })).to.equal(2);
    });

    it('$text without a text index fails with 27 (IndexNotFound)', async () => {
      const c = await seeded([{ body: 'fox' }]);
      const e = await expectCode(() => c.find({ $text: { $search: 'fox' } }).toArray(), 27);
      expect(e.message).to.contain('text index required for $text query');
    });
  });

  it('$where: the embedded server answers as a mongod with JavaScript disabled', async () => {
    const c = await seeded([{ a: 1 }]);
    if (t.kind === 'embedded') {
      const e = await expectCode(() => c.find({ $where: 'this.a == 1' }).toArray(), 6108304);
      expect(e.message).to.contain('no globalScriptEngine in $where parsing');
    } else {
      // a real mongod runs it, unless started with --noscripting (then the error above)
      const r = await c.find({ $where: 'this.a == 1' }).toArray().catch((e: { code?: number }) => e.code);
      expect(Array.isArray(r) ? r.length : r).to.be.oneOf([1, 6108304, 2]);
    }
  });

  it('geospatial: $near without a geospatial index fails (291); the embedded server refuses 2dsphere indexes (67)', async () => {
    const c = await seeded([{ loc: { type: 'Point', coordinates: [105.85, 21.03] } }]);
    await expectCode(() => c.find({ loc: { $near: { $geometry: { type: 'Point', coordinates: [105.8, 21] } } } }).toArray(), 291);
    if (t.kind === 'embedded') {
      await expectCode(() => c.createIndex({ loc: '2dsphere' }), 67);
      await expectCode(() => c.find({ loc: { $geoWithin: { $centerSphere: [[105.8, 21], 0.01] } } }).toArray(), 238);
    } else {
      await c.createIndex({ loc: '2dsphere' });
      expect(await c.countDocuments({ loc: { $geoWithin: { $centerSphere: [[105.85, 21.03], 0.01] } } })).to.equal(1);
    }
  });
});
