// $project / $unwind / $match / $group as reporting pipelines use them (the embedded server runs
// these natively): accumulators, compound keys, missing values, and values its fast path leaves to
// the general engine (arrays on a key path).
import { expect } from 'chai';
import { collName, useDatabase, type AnyDoc } from './conformance-support.ts';

const byId = (a: AnyDoc, b: AnyDoc) => (JSON.stringify(a._id) < JSON.stringify(b._id) ? -1 : 1);

describe('embedded-mongo conformance: $unwind and $group for reports', () => {
  const m = useDatabase('conf_group');
  let name: string;

  before(async () => {
    name = collName('grp');
    await m.db.collection<AnyDoc>(name).insertMany([
      { _id: 1, kind: 'a', n: 2, tags: ['x', 'y'], stays: [{ s: 'p', h: 3 }, { s: 'q', h: 5 }] },
      { _id: 2, kind: 'a', n: 4, tags: ['x'], stays: [{ s: 'p', h: 3 }] },
      { _id: 3, kind: 'b', n: 'not a number', tags: [], stays: [] },
      { _id: 4, kind: 'b', tags: null },
      { _id: 5, n: 7, tags: 'z' },
    ]);
  });

  it('groups with $sum, $avg, $min, $max, $first, $last, $push and $addToSet', async () => {
    const rows = await m.db.collection<AnyDoc>(name).aggregate([
      { $sort: { _id: 1 } },
      { $group: { _id: '$kind', c: { $sum: 1 }, total: { $sum: '$n' }, avg: { $avg: '$n' }, lo: { $min: '$n' }, hi: { $max: '$n' }, first: { $first: '$n' }, last: { $last: '$n' }, all: { $push: '$_id' }, ids: { $addToSet: '$_id' } } },
    ]).toArray();
    rows.sort(byId);
    for (const r of rows) (r.ids as number[]).sort();
    expect(rows).to.deep.equal([
      { _id: 'a', c: 2, total: 6, avg: 3, lo: 2, hi: 4, first: 2, last: 4, all: [1, 2], ids: [1, 2] },
      { _id: 'b', c: 2, total: 0, avg: null, lo: 'not a number', hi: 'not a number', first: 'not a number', last: null, all: [3, 4], ids: [3, 4] },
      { _id: null, c: 1, total: 7, avg: 7, lo: 7, hi: 7, first: 7, last: 7, all: [5], ids: [5] },
    ]);
  });

  it('unwinds arrays (dropping empty, missing and null unless asked) and groups by compound keys', async () => {
    const c = m.db.collection<AnyDoc>(name);
    const tags = await c.aggregate([{ $project: { tags: 1 } }, { $unwind: '$tags' }, { $group: { _id: '$tags', n: { $sum: 1 } } }]).toArray();
    expect(tags.sort(byId)).to.deep.equal([{ _id: 'x', n: 2 }, { _id: 'y', n: 1 }, { _id: 'z', n: 1 }]);
    const kept = await c.aggregate([{ $unwind: { path: '$tags', preserveNullAndEmptyArrays: true } }, { $group: { _id: null, n: { $sum: 1 } } }]).toArray();
    expect(kept).to.deep.equal([{ _id: null, n: 6 }]);
    const stays = await c.aggregate([{ $project: { stays: 1 } }, { $unwind: '$stays' }, { $match: { 'stays.h': { $gte: 3 } } }, { $group: { _id: { s: '$stays.s', h: '$stays.h' }, n: { $sum: 1 } } }]).toArray();
    expect(stays.sort(byId)).to.deep.equal([{ _id: { s: 'p', h: 3 }, n: 2 }, { _id: { s: 'q', h: 5 }, n: 1 }]);
  });

  it('groups by an array value as a whole, and keeps document field order in an inclusion $project', async () => {
    const c = m.db.collection<AnyDoc>(name);
    const byTags = await c.aggregate([{ $match: { _id: { $in: [1, 2] } } }, { $group: { _id: '$tags', n: { $sum: 1 } } }]).toArray();
    expect(byTags.sort(byId)).to.deep.equal([{ _id: ['x', 'y'], n: 1 }, { _id: ['x'], n: 1 }]);
    const [projected] = await c.aggregate([{ $match: { _id: 1 } }, { $project: { tags: 1, kind: 1 } }]).toArray();
    expect(Object.keys(projected!)).to.deep.equal(['_id', 'kind', 'tags']);
  });
});
