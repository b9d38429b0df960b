// Conformance through the official driver: aggregation stages, $lookup across collections, and
// aggregation never changing what is stored.
import { expect } from 'chai';
import { collName, useDatabase, type AnyDoc } from './conformance-support.ts';

describe('embedded-mongo conformance: aggregation', function () {
  this.timeout(30_000);
  const t = useDatabase('conf_agg');
  let orders: string;
  let customers: string;

  before(async () => {
    orders = collName('orders');
    customers = collName('customers');
    await t.db.collection<AnyDoc>(customers).insertMany([
      { _id: 'c1', name: 'Ann', city: 'Hanoi' },
      { _id: 'c2', name: 'Binh', city: 'Hue' },
      { _id: 'c3', name: 'Chi', city: 'Hanoi' },
    ]);
    await t.db.collection<AnyDoc>(orders).insertMany([
      { _id: 1, customer: 'c1', total: 10, items: [{ sku: 'a', qty: 1 }, { sku: 'b', qty: 2 }], status: 'paid' },
      { _id: 2, customer: 'c1', total: 25, items: [{ sku: 'b', qty: 5 }], status: 'paid' },
      { _id: 3, customer: 'c2', total: 7, items: [], status: 'open' },
      { _id: 4, customer: 'c3', total: 40, items: [{ sku: 'c', qty: 1 }], status: 'paid' },
      { _id: 5, customer: 'c9', total: 1, items: [{ sku: 'a', qty: 3 }], status: 'open' },
    ]);
  });

  it('$match, $group with accumulators, $sort', async () => {
    const r = await t.db.collection(orders).aggregate([
      { $match: { status: 'paid' } },
      { $group: { _id: '$customer', sum: { $sum: '$total' }, n: { $sum: 1 }, max: { $max: '$total' }, avg: { $avg: '$total' }, ids: { $push: '$_id' } } },
      { $sort: { sum: -1 } },
    ]).toArray();
    expect(r).to.deep.equal([
      { _id: 'c3', sum: 40, n: 1, max: 40, avg: 40, ids: [4] },
      { _id: 'c1', sum: 35, n: 2, max: 25, avg: 17.5, ids: [1, 2] },
    ]);
    const all = await t.db.collection(orders).aggregate([{ $group: { _id: null, total: { $sum: '$total' } } }]).toArray();
    expect(all).to.deep.equal([{ _id: null, total: 83 }]);
  });

  it('$project, $addFields, $unwind, $skip, $limit, $count', async () => {
    const c = t.db.collection(orders);
    const unwound = await c.aggregate([
      { $unwind: '$items' },
      { $project: { _id: 0, order: '$_id', sku: '$items.sku', qty: '$items.qty' } },
      { $addFields: { double: { $multiply: ['$qty', 2] } } },
      { $sort: { order: 1, sku: 1 } },
      { $skip: 1 },
      { $limit: 3 },
    ]).toArray();
    expect(unwound).to.deep.equal([
      { order: 1, sku: 'b', qty: 2, double: 4 },
      { order: 2, sku: 'b', qty: 5, double: 10 },
      { order: 4, sku: 'c', qty: 1, double: 2 },
    ]);
    const keepEmpty = await c.aggregate([{ $unwind: { path: '$items', preserveNullAndEmptyArrays: true } }, { $count: 'rows' }]).toArray();
    expect(keepEmpty).to.deep.equal([{ rows: 6 }]);
    const none = await c.aggregate([{ $match: { status: 'nothing' } }, { $count: 'rows' }]).toArray();
    expect(none).to.deep.equal([]);
  });

  it('$lookup across collections (and the pipeline form)', async () => {
    const r = await t.db.collection(orders).aggregate([
      { $match: { _id: { $in: [1, 3, 5] } } },
      { $lookup: { from: customers, localField: 'customer', foreignField: '_id', as: 'who' } },
      { $project: { who: '$who.name' } },
      { $sort: { _id: 1 } },
    ]).toArray();
    expect(r).to.deep.equal([{ _id: 1, who: ['Ann'] }, { _id: 3, who: ['Binh'] }, { _id: 5, who: [] }]);
    const reverse = await t.db.collection(customers).aggregate([
      { $lookup: { from: orders, let: { cid: '$_id' }, pipeline: [{ $match: { $expr: { $eq: ['$customer', '$$cid'] } } }, { $project: { total: 1, _id: 0 } }], as: 'orders' } },
      { $project: { name: 1, spent: { $sum: '$orders.total' } } },
      { $sort: { spent: -1 } },
    ]).toArray();
    expect(reverse).to.deep.equal([{ _id: 'c3', name: 'Chi', spent: 40 }, { _id: 'c1', name: 'Ann', spent: 35 }, { _id: 'c2', name: 'Binh', spent: 7 }]);
  });

  it('$facet runs sub-pipelines over the same input', async () => {
    const [r] = await t.db.collection(orders).aggregate([
      { $facet: {
        byStatus: [{ $group: { _id: '$status', n: { $sum: 1 } } }, { $sort: { _id: 1 } }],
        top: [{ $sort: { total: -1 } }, { $limit: 1 }, { $project: { _id: 1 } }],
        count: [{ $count: 'n' }],
      } },
    ]).toArray();
    expect(r).to.deep.equal({ byStatus: [{ _id: 'open', n: 2 }, { _id: 'paid', n: 3 }], top: [{ _id: 4 }], count: [{ n: 5 }] });
  });

  it('does not change stored documents ($addFields/$set on nested paths, $unwind, $project)', async () => {
    const c = t.db.collection<AnyDoc>(collName('pure'));
    await c.insertMany([{ _id: 1, a: { b: 1, c: [1, 2] }, list: [{ x: 1 }, { x: 2 }] }, { _id: 2, a: { b: 2, c: [] }, list: [] }]);
    const before = await c.find().sort({ _id: 1 }).toArray();
    await c.aggregate([
      { $addFields: { 'a.b': 99, 'a.new': 'x', 'list.x': 0 } },
      { $set: { 'a.c': { $concatArrays: ['$a.c', [3]] } } },
      { $unwind: '$list' },
      { $project: { 'a.c': 0 } },
    ]).toArray();
    await c.aggregate([{ $match: { _id: 1 } }, { $addFields: { 'a.b': 'changed' } }]).toArray();
    await c.aggregate([{ $sort: { _id: 1 } }, { $replaceRoot: { newRoot: '$a' } }, { $addFields: { b: -1 } }]).toArray();
    expect(await c.find().sort({ _id: 1 }).toArray()).to.deep.equal(before);
  });

  it('sorts mixed types in BSON order, first stage or later', async () => {
    const c = t.db.collection<AnyDoc>(collName('mixed'));
    await c.insertMany([{ k: 'x', v: 1 }, { k: 'y', v: 'str' }, { k: 'z', v: null }, { k: 'w', v: 2.5 }]);
    const r = await c.aggregate([{ $sort: { v: -1 } }, { $project: { _id: 0, k: 1 } }]).toArray();
    expect(r.map((d) => d.k)).to.deep.equal(['y', 'w', 'x', 'z']);
    const later = await c.aggregate([{ $project: { _id: 0, k: 1, v: 1 } }, { $sort: { v: 1 } }]).toArray();
    expect(later.map((d) => d.k)).to.deep.equal(['z', 'x', 'w', 'y']);
  });
});
