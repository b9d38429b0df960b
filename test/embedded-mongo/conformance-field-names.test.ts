// Field names are data: '__proto__', 'constructor' and 'prototype' are ordinary keys for every
// update operator, projection, index and query, as in MongoDB; none of them may reach an object
// prototype of the server (the embedded server runs in this process, so a pollution would show
// here, and would break projections on every other database).
import { expect } from 'chai';
import { MongoClient, type Document } from 'mongodb';
import { collName, expectCode, useDatabase, type AnyDoc } from './conformance-support.ts';
import { testMongoUri } from '../support/mongo.ts';

const KEYS = ['__proto__', 'constructor', 'prototype'] as const;
// JSON.parse makes own properties, even for "__proto__" (an object literal would set the prototype).
const J = (s: string): Document => JSON.parse(s) as Document;
// JSON.stringify shows own keys in order, "__proto__" included.
const S = (d: unknown): string => JSON.stringify(d);

describe('embedded-mongo conformance: field names are data (__proto__, constructor, prototype)', function () {
  this.timeout(30_000);
  const t = useDatabase('conf_fieldnames');

  async function after(doc: string, update: Document, options: Document = {}): Promise<string> {
    const c = t.db.collection<AnyDoc>(collName('f'));
    await c.insertOne({ _id: 1, ...J(doc) } as Document);
    await c.updateOne({ _id: 1 } as Document, update, options);
    return S(await c.findOne({ _id: 1 } as Document, { projection: { _id: 0 } }));
  }

  for (const K of KEYS) {
    describe(`key '${K}'`, () => {
      it('$set, $setOnInsert and $unset on the key and through it', async () => {
        expect(await after('{"a":1}', { $set: { [`${K}.x`]: 1 } })).to.equal(`{"a":1,"${K}":{"x":1}}`);
        expect(await after('{}', { $set: J(`{"${K}":{"y":2}}`) })).to.equal(`{"${K}":{"y":2}}`);
        expect(await after(`{"${K}":{"x":1,"y":2}}`, { $unset: { [`${K}.x`]: '' } })).to.equal(`{"${K}":{"y":2}}`);
        expect(await after(`{"${K}":3,"a":1}`, { $unset: J(`{"${K}":""}`) })).to.equal('{"a":1}');
        // a missing key is missing: nothing inherited is found, removed or modified
        expect(await after('{"a":1}', { $unset: { [`${K}.x`]: '' } })).to.equal('{"a":1}');
        const c = t.db.collection<AnyDoc>(collName('soi'));
        await c.updateOne({ _id: 2 } as Document, { $setOnInsert: { [`${K}.z`]: 1 } }, { upsert: true });
        expect(S(await c.findOne({ _id: 2 } as Document))).to.equal(`{"_id":2,"${K}":{"z":1}}`);
      });

      it('$inc, $mul, $min, $max, $bit and $currentDate through the key', async () => {
        expect(await after('{}', { $inc: { [`${K}.n`]: 2 } })).to.equal(`{"${K}":{"n":2}}`);
        expect(await after(`{"${K}":{"n":3}}`, { $mul: { [`${K}.n`]: 2 } })).to.equal(`{"${K}":{"n":6}}`);
        expect(await after(`{"${K}":{"m":5}}`, { $min: { [`${K}.m`]: 3 } })).to.equal(`{"${K}":{"m":3}}`);
        expect(await after(`{"${K}":{"m":5}}`, { $max: { [`${K}.m`]: 9 } })).to.equal(`{"${K}":{"m":9}}`);
        expect(await after(`{"${K}":{"b":5}}`, { $bit: { [`${K}.b`]: { and: 1 } } })).to.equal(`{"${K}":{"b":1}}`);
        const d = J(await after('{}', { $currentDate: { [`${K}.at`]: true } }));
        expect(Object.getOwnPropertyDescriptor(d, K)?.value).to.have.property('at');
      });

      it('$rename to and from the key keeps the value', async () => {
        expect(await after('{"a":1}', { $rename: { a: `${K}.polluted` } })).to.equal(`{"${K}":{"polluted":1}}`);
        expect(await after(`{"${K}":7}`, { $rename: { [K]: 'b' } })).to.equal('{"b":7}');
        expect(await after(`{"${K}":{"p":1}}`, { $rename: { [`${K}.p`]: `${K}.q` } })).to.equal(`{"${K}":{"q":1}}`);
      });

      it('$push, $addToSet, $pop, $pull, $pullAll and $[] through the key', async () => {
        expect(await after('{}', { $push: { [`${K}.arr`]: 1 } })).to.equal(`{"${K}":{"arr":[1]}}`);
        expect(await after(`{"${K}":{"arr":[1]}}`, { $addToSet: { [`${K}.arr`]: { $each: [1, 2] } } })).to.equal(`{"${K}":{"arr":[1,2]}}`);
        expect(await after(`{"${K}":{"arr":[1,2]}}`, { $pop: { [`${K}.arr`]: 1 } })).to.equal(`{"${K}":{"arr":[1]}}`);
        expect(await after(`{"${K}":{"arr":[1,2,3]}}`, { $pull: { [`${K}.arr`]: { $gte: 2 } } })).to.equal(`{"${K}":{"arr":[1]}}`);
        expect(await after(`{"${K}":{"arr":[1,2,3]}}`, { $pullAll: { [`${K}.arr`]: [1, 3] } })).to.equal(`{"${K}":{"arr":[2]}}`);
        expect(await after(`{"items":[{"${K}":1},{"${K}":2}]}`, { $inc: { [`items.$[].${K}`]: 10 } })).to.equal(`{"items":[{"${K}":11},{"${K}":12}]}`);
        expect(await after(`{"items":[{"${K}":1},{"${K}":2}]}`, { $set: { [`items.$[e].${K}`]: 0 } }, { arrayFilters: [{ [`e.${K}`]: { $gt: 1 } }] })).to.equal(`{"items":[{"${K}":1},{"${K}":0}]}`);
        expect(await after(`{"items":[{"${K}":1,"v":1},{"${K}":2,"v":2}]}`, { $pull: { items: { [K]: { $lt: 2 } } } })).to.equal(`{"items":[{"${K}":2,"v":2}]}`);
      });

      it('replacement, insert, equality query and a sparse unique index on the key', async () => {
        const c = t.db.collection<AnyDoc>(collName('doc'));
        await c.insertOne({ _id: 1, ...J(`{"${K}":{"x":1,"y":[1,2,3]}}`) } as Document);
        await c.replaceOne({ _id: 1 } as Document, J(`{"${K}":{"x":2,"y":[1,2,3]},"z":1}`));
        expect(S(await c.findOne({ _id: 1 } as Document))).to.equal(`{"_id":1,"${K}":{"x":2,"y":[1,2,3]},"z":1}`);
        expect(await c.countDocuments({ [`${K}.x`]: 2 })).to.equal(1);
        expect(await c.countDocuments({ [`${K}.x`]: { $gt: 1 }, [`${K}.y`]: { $all: [2] } })).to.equal(1);
        expect(await c.countDocuments({ $or: [{ [`${K}.x`]: { $in: [2] } }, { z: 9 }] })).to.equal(1);
        // no document without the field matches it: nothing is read from a prototype
        await c.insertOne({ _id: 2, z: 1 } as Document);
        expect(await c.countDocuments({ [`${K}.x`]: 2 })).to.equal(1);
        await c.createIndex({ [`${K}.x`]: 1 }, { unique: true, sparse: true });
        await c.insertOne({ _id: 3, z: 2 } as Document); // no key: not in the sparse index
        await expectCode(() => c.insertOne({ _id: 4, ...J(`{"${K}":{"x":2}}`) } as Document), 11000);
      });

      it('projections: inclusion, exclusion, $slice and $elemMatch on the key', async () => {
        const c = t.db.collection<AnyDoc>(collName('proj'));
        await c.insertOne({ _id: 1, ...J(`{"a":1,"${K}":{"x":1,"y":2,"arr":[1,2,3]},"list":[{"${K}":1},{"${K}":2}]}`) } as Document);
        const find = async (projection: Document) => S(await c.findOne({ _id: 1 } as Document, { projection }));
        expect(await find({ [`${K}.x`]: 1, _id: 0 })).to.equal(`{"${K}":{"x":1}}`);
        expect(await find({ [K]: 1 })).to.equal(`{"_id":1,"${K}":{"x":1,"y":2,"arr":[1,2,3]}}`);
        expect(await find({ [`${K}.y`]: 0, [`${K}.arr`]: 0, list: 0, a: 0 })).to.equal(`{"_id":1,"${K}":{"x":1}}`);
        expect(await find({ [`${K}.arr`]: { $slice: -1 }, list: 0, _id: 0 })).to.equal(`{"a":1,"${K}":{"x":1,"y":2,"arr":[3]}}`);
        expect(await find({ list: { $elemMatch: { [K]: { $gte: 2 } } }, _id: 0 })).to.equal(`{"list":[{"${K}":2}]}`);
        expect(await find({ [`list.${K}`]: 1, _id: 0 })).to.equal(`{"list":[{"${K}":1},{"${K}":2}]}`);
        const [agg] = await c.aggregate([{ $match: { _id: 1 } }, { $project: { list: 0, a: 0 } }]).toArray();
        expect(S(agg)).to.equal(`{"_id":1,"${K}":{"x":1,"y":2,"arr":[1,2,3]}}`);
      });
    });
  }

  it('after all of the above, no prototype was written and projections work on another database', async () => {
    expect(Object.keys(Object.prototype)).to.deep.equal([]);
    expect(({} as Record<string, unknown>).x).to.equal(undefined);
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
    const other = new MongoClient(await testMongoUri('conf_fieldnames_other'));
    await other.connect();
    try {
      const c = other.db().collection<AnyDoc>('files');
      await c.insertMany([{ _id: 1, name: 'a.pdf', size: 10, meta: { owner: 'x' } }, { _id: 2, name: 'b.pdf', size: 20, meta: { owner: 'y' } }] as Document[]);
      expect(await c.find({}, { projection: { name: 1, 'meta.owner': 1, _id: 0 } }).sort({ _id: 1 }).toArray()).to.deep.equal([
        { name: 'a.pdf', meta: { owner: 'x' } },
        { name: 'b.pdf', meta: { owner: 'y' } },
      ]);
      expect(await c.findOne({ _id: 2 } as Document, { projection: { size: 0 } })).to.deep.equal({ _id: 2, name: 'b.pdf', meta: { owner: 'y' } });
      await other.db().dropDatabase();
    } finally {
      await other.close();
    }
  });

  it('a command named __proto__ or constructor is unknown (59)', async () => {
    await expectCode(() => t.db.command(J('{"__proto__":1}')), 59);
    await expectCode(() => t.db.command({ constructor: 1 } as Document), 59);
  });
});
