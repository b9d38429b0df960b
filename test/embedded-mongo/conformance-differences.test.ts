// MongoDB behaviour the embedded server does not reproduce (its README's "known differences").
// Each test asserts what MongoDB does; it runs against a real MongoDB and is pending on the
// embedded server, so the list stays honest in both directions.
import { expect } from 'chai';
import { Decimal128, Double, Int32, Long } from 'mongodb';
import { collName, useDatabase, type AnyDoc } from './conformance-support.ts';

describe('embedded-mongo conformance: known differences (pending on the embedded server)', function () {
  this.timeout(30_000);
  const t = useDatabase('conf_diff');
  const embeddedSkips = function (this: Mocha.Context) {
    if (t.kind === 'embedded') this.skip();
  };

  it('keeps the numeric BSON subtype of stored values (Double 2.0 stays a double, Long 5 a long)', async function () {
    embeddedSkips.call(this);
    // The embedded server promotes Int32/Double/small Long to JS numbers when it reads a message,
    // so an integral double or a small long comes back as an int32.
    const c = t.db.collection<AnyDoc>(collName('subtype'));
    await c.insertOne({ _id: 1, d: new Double(2), l: Long.fromNumber(5), i: new Int32(3) });
    const doc = await c.findOne({ _id: 1 }, { promoteValues: false, promoteLongs: false });
    expect(doc!.d).to.be.instanceOf(Double);
    expect(doc!.l).to.be.instanceOf(Long);
    expect(doc!.i).to.be.instanceOf(Int32);
    expect(await c.countDocuments({ d: { $type: 'double' } })).to.equal(1);
  });

  it('compares Long and Decimal128 by value inside aggregation expressions ($expr, $group, $sum)', async function () {
    embeddedSkips.call(this);
    // Query operators are BSON-aware in the embedded server; aggregation expressions are mingo's,
    // which compares and adds only JS numbers.
    const c = t.db.collection<AnyDoc>(collName('exprnum'));
    await c.insertMany([{ _id: 1, v: Long.fromString('9007199254740993') }, { _id: 2, v: Decimal128.fromString('1') }, { _id: 3, v: 1 }]);
    expect(await c.countDocuments({ $expr: { $gt: ['$v', 4] } })).to.equal(1);
    const groups = await c.aggregate([{ $group: { _id: '$v', n: { $sum: 1 } } }]).toArray();
    expect(groups).to.have.length(2);
    const [sum] = await c.aggregate([{ $group: { _id: null, t: { $sum: '$v' } } }]).toArray();
    expect(sum!.t).to.be.instanceOf(Decimal128);
  });

  it('distinct treats numerically equal values of different types as one', async function () {
    embeddedSkips.call(this);
    const c = t.db.collection<AnyDoc>(collName('distinct'));
    await c.insertMany([{ v: 1 }, { v: Decimal128.fromString('1') }, { v: 2 }]);
    expect(await c.distinct('v')).to.have.length(2);
  });

  // Closed differences (issue 9): these two now run on the embedded server as well.
  it('honours collation (case-insensitive match with strength 2)', async function () {
    const c = t.db.collection<AnyDoc>(collName('collation'));
    await c.insertMany([{ s: 'a' }, { s: 'A' }, { s: 'b' }]);
    expect(await c.countDocuments({ s: 'a' }, { collation: { locale: 'en', strength: 2 } })).to.equal(2);
  });

  it('supports text indexes and $text search', async function () {
    const c = t.db.collection<AnyDoc>(collName('text'));
    await c.createIndex({ body: 'text' });
    await c.insertMany([{ body: 'the quick brown fox' }, { body: 'lazy dogs' }]);
    expect(await c.countDocuments({ $text: { $search: 'fox' } })).to.equal(1);
  });

  it('stems $text terms by the index language (english: "foxes" finds "fox")', async function () {
    embeddedSkips.call(this);
    // The embedded server's text search has no stemming or stop words (MongoDB's language 'none').
    const c = t.db.collection<AnyDoc>(collName('stem'));
    await c.createIndex({ body: 'text' });
    await c.insertMany([{ body: 'one fox' }, { body: 'the end' }]);
    expect(await c.countDocuments({ $text: { $search: 'foxes' } })).to.equal(1);
    expect(await c.countDocuments({ $text: { $search: 'the' } })).to.equal(0);
  });
});
