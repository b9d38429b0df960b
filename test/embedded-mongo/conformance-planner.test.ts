// The query planner's choices change how documents are found, never which: every query below runs
// on a collection with indexes and on a copy without any (a collection scan), and the results must
// be identical, in order, skip and limit included. Covers what the HR queue sends: a scope filter
// with an $or whose other branch cannot match (`{ call: { $in: [] } }`), a stage `$in`, the sort
// { due: 1, _id: 1 } served by merging the per-stage ranges of { institute, stage, due }, and
// countDocuments answered from the index alone. explain shows the index and the documents read.
import { expect } from 'chai';
import { ObjectId, type Collection, type Document } from 'mongodb';
import { collName, useDatabase, type AnyDoc } from './conformance-support.ts';
import { prng } from '../../scripts/support/prng.ts';

const INSTITUTES = [new ObjectId('650000000000000000000001'), new ObjectId('650000000000000000000002'), new ObjectId('650000000000000000000003')];
const CALLS = [new ObjectId('660000000000000000000001'), new ObjectId('660000000000000000000002'), new ObjectId('660000000000000000000003')];
const STAGES = ['submitted', 'screening', 'evaluation', 'offer', 'closed', 'rejected'];
const DAY = 86_400_000;

function makeDocs(n: number, ids: 'objectid' | 'number', seed = 7): AnyDoc[] {
  const r = prng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  return Array.from({ length: n }, (_, i) => {
    const x = r();
    // Few distinct due dates, so ties are common and the _id tie-break matters; some missing or null.
    const due = x < 0.1 ? undefined : x < 0.15 ? null : new Date(Date.UTC(2026, 0, 1) + Math.floor(r() * 20) * DAY);
    const d: AnyDoc = {
      _id: ids === 'objectid' ? new ObjectId(Math.floor(1_700_000_000 + r() * 1e6).toString(16).padStart(8, '0') + i.toString(16).padStart(16, '0')) : Math.floor(r() * 1e9) * 1000 + i,
      institute: pick(INSTITUTES),
      call: pick(CALLS),
      stage: pick(STAGES),
      n: Math.floor(r() * 5),
    };
    if (due !== undefined) d.due = due;
    return d;
  });
}

describe('embedded-mongo conformance: planner (indexed results equal a collection scan)', function () {
  this.timeout(60_000);
  const t = useDatabase('conf_planner');

  async function pair(docs: AnyDoc[], indexes: Document[]): Promise<{ indexed: Collection<AnyDoc>; plain: Collection<AnyDoc> }> {
    const indexed = t.db.collection<AnyDoc>(collName('ix'));
    const plain = t.db.collection<AnyDoc>(collName('scan'));
    for (const key of indexes) await indexed.createIndex(key);
    await indexed.insertMany(docs.map((d) => ({ ...d })));
    await plain.insertMany(docs.map((d) => ({ ...d })));
    return { indexed, plain };
  }

  const scope = (inst: ObjectId) => ({ $or: [{ institute: inst }, { $and: [{ call: { $in: [] } }, { $or: [{ stage: { $in: ['evaluation'] } }, { _id: { $in: [] } }] }] }] });
  const filters: Array<[string, Document]> = [
    ['queue scope, every stage', { $and: [scope(INSTITUTES[0]!), { stage: { $in: STAGES } }] }],
    ['queue scope, some stages', { $and: [scope(INSTITUTES[1]!), { stage: { $in: ['screening', 'offer', 'closed'] } }] }],
    ['queue scope, one stage', { $and: [scope(INSTITUTES[2]!), { stage: 'evaluation' }] }],
    ['plain equality and $in', { institute: INSTITUTES[0], stage: { $in: ['submitted', 'rejected'] } }],
    ['with a range on due', { institute: INSTITUTES[0], stage: { $in: ['submitted', 'offer'] }, due: { $gte: new Date(Date.UTC(2026, 0, 5)) } }],
    ['an $or with two live branches', { $or: [{ institute: INSTITUTES[0] }, { call: CALLS[1] }], stage: { $in: ['screening', 'evaluation'] } }],
    ['an $or with every branch dead', { $or: [{ call: { $in: [] } }, { _id: { $in: [] } }], stage: 'offer' }],
    ['an extra non-index predicate', { institute: INSTITUTES[1], stage: { $in: STAGES }, n: { $gt: 2 } }],
    ['an equality on null', { institute: INSTITUTES[1], stage: { $in: STAGES }, due: null }],
  ];
  const sorts: Document[] = [{ due: 1, _id: 1 }, { due: -1, _id: -1 }, { due: 1, _id: -1 }, { stage: 1, due: 1, _id: 1 }, { _id: -1 }];
  const windows: Array<[number, number]> = [[0, 0], [0, 10], [25, 50], [0, 1]];

  for (const ids of ['objectid', 'number'] as const) {
    it(`finds, sorts, skips, limits and counts exactly as a scan (${ids} _ids)`, async () => {
      const docs = makeDocs(900, ids);
      const { indexed, plain } = await pair(docs, [{ institute: 1, stage: 1, due: 1 }, { stage: 1, n: 1 }, { call: 1, stage: 1, due: -1 }]);
      for (const [label, f] of filters) {
        expect(await indexed.countDocuments(f), `count: ${label}`).to.equal(await plain.countDocuments(f));
        expect(await indexed.countDocuments(f, { skip: 3, limit: 40 }), `count window: ${label}`).to.equal(await plain.countDocuments(f, { skip: 3, limit: 40 }));
        for (const sort of sorts) {
          for (const [skip, limit] of windows) {
            const a = await indexed.find(f).sort(sort).skip(skip).limit(limit).toArray();
            const b = await plain.find(f).sort(sort).skip(skip).limit(limit).toArray();
            expect(a.map((d) => String(d._id)), `${label} ${JSON.stringify(sort)} skip ${skip} limit ${limit}`).to.deep.equal(b.map((d) => String(d._id)));
          }
        }
      }
    });
  }

  it('a multikey index is still counted and sorted exactly (one document, several keys)', async () => {
    const docs = makeDocs(300, 'objectid', 11).map((d, i) => (i % 3 === 0 ? { ...d, stage: [d.stage, 'offer'] } : d));
    const { indexed, plain } = await pair(docs, [{ institute: 1, stage: 1, due: 1 }]);
    for (const [label, f] of filters) {
      expect(await indexed.countDocuments(f), `count: ${label}`).to.equal(await plain.countDocuments(f));
      const a = await indexed.find(f).sort({ due: 1, _id: 1 }).limit(20).toArray();
      const b = await plain.find(f).sort({ due: 1, _id: 1 }).limit(20).toArray();
      expect(a.map((d) => String(d._id)), label).to.deep.equal(b.map((d) => String(d._id)));
    }
  });

  it('a two-sided range on an array field matches as a scan: separate bounds may be met by different elements, $elemMatch by one', async () => {
    // Terms as the queue's search words: { terms: ['a', 'z'] } matches { $gte: 'x', $lt: 'y' } ('z' ≥ 'x', 'a' < 'y').
    const r = prng(17);
    const words = ['a', 'b', 'nguyen', 'nguy', 'x', 'x1', 'xa', 'x.y', 'y', 'z', '12', '120', '2024'];
    const docs = Array.from({ length: 400 }, (_, i) => ({
      _id: i,
      institute: INSTITUTES[i % 2],
      terms: Array.from({ length: 1 + Math.floor(r() * 4) }, () => words[Math.floor(r() * words.length)]!),
      n: i % 2 ? [Math.floor(r() * 10), Math.floor(r() * 10)] : Math.floor(r() * 10),
    }));
    const { indexed, plain } = await pair(docs, [{ institute: 1, terms: 1 }, { terms: 1 }, { n: 1 }]);
    const cases: Array<[string, Document]> = [
      ['$gte and $lt', { terms: { $gte: 'x', $lt: 'y' } }],
      ['a prefix range', { institute: INSTITUTES[0], terms: { $gte: 'nguy', $lt: 'nguy\uffff' } }],
      ['bounds from separate $and clauses', { $and: [{ terms: { $gt: 'b' } }, { terms: { $lte: 'nguyen' } }] }],
      ['numbers, arrays in some documents', { n: { $gt: 6, $lt: 3 } }],
      ['$elemMatch: one element in the range', { terms: { $elemMatch: { $gte: 'x', $lt: 'y' } } }],
      ['$elemMatch with an institute', { institute: INSTITUTES[1], terms: { $elemMatch: { $gte: '12', $lt: '12\uffff' } } }],
      ['$elemMatch and a separate bound', { terms: { $elemMatch: { $gte: 'x', $lt: 'y' }, $lt: 'b' } }],
      // Anchored regexes bound the scan by their prefix (one condition: one element).
      ['an anchored regex', { institute: INSTITUTES[0], terms: /^nguy/ }],
      ['two anchored regexes on different words', { $and: [{ terms: /^x/ }, { terms: /^12/ }] }],
      ['a regex string with $options', { terms: { $regex: '^x', $options: 's' } }],
      ['a last character that may be absent', { terms: /^xa?/ }],
      ['an escaped dot and a class', { terms: { $regex: '^1\\d' } }],
      ['an alternation is not a prefix', { terms: /^z|^a/ }],
      ['case-insensitive is not a prefix', { terms: /^X/i }],
      ['a regex and a range from another condition', { $and: [{ terms: /^n/ }, { terms: { $lt: 'b' } }] }],
      // Counted from the index alone (a literal prefix, each document once although 'x', 'x1' and 'xa' share it).
      ['a literal prefix within an institute', { institute: INSTITUTES[1], terms: { $regex: '^x' } }],
      ['a literal prefix, $in institutes', { institute: { $in: INSTITUTES }, terms: /^x/ }],
      ['a prefix with an escaped dot', { terms: /^x\./ }],
    ];
    for (const [label, f] of cases) {
      const a = await indexed.find(f).sort({ _id: 1 }).toArray();
      const b = await plain.find(f).sort({ _id: 1 }).toArray();
      expect(b.length, `${label}: the case must match something`).to.be.greaterThan(0);
      expect(a.map((d) => d._id), label).to.deep.equal(b.map((d) => d._id));
      expect(await indexed.countDocuments(f), `count: ${label}`).to.equal(b.length);
      expect(await indexed.countDocuments(f, { limit: 3 }), `capped count: ${label}`).to.equal(Math.min(3, b.length));
      expect(await indexed.countDocuments(f, { skip: 2, limit: 5 }), `count window: ${label}`).to.equal(Math.max(0, Math.min(5, b.length - 2)));
    }
  });

  it('of several anchored regexes on an array field, the scan reads the range with the fewest entries, wherever it is in the filter', async function () {
    if (t.kind !== 'embedded') this.skip(); // explain's figures are this server's
    const inst = INSTITUTES[0]!;
    const docs = Array.from({ length: 3000 }, (_, i) => ({ _id: i, institute: inst, terms: ['ta', '2026', String(i).padStart(6, '0'), 'candidate'] }));
    const { indexed, plain } = await pair(docs, [{ institute: 1, terms: 1 }]);
    for (const f of [
      { $and: [{ terms: /^2026/ }, { terms: /^ta/ }], institute: inst, terms: /^001234/ },
      { institute: inst, $and: [{ terms: /^candidate/ }, { terms: /^00123/ }] },
    ] as Document[]) {
      const ex = await indexed.find(f).explain('executionStats');
      expect(ex.executionStats.totalDocsExamined, JSON.stringify(ex.queryPlanner.winningPlan)).to.be.at.most(10);
      expect((await indexed.find(f).sort({ _id: 1 }).toArray()).map((d) => d._id)).to.deep.equal((await plain.find(f).sort({ _id: 1 }).toArray()).map((d) => d._id));
    }
  });

  it('the count command agrees with a scan, with query, skip and limit', async () => {
    const { indexed, plain } = await pair(makeDocs(400, 'objectid', 5), [{ institute: 1, stage: 1, due: 1 }]);
    for (const [label, f] of filters) {
      for (const extra of [{}, { skip: 5 }, { limit: 7 }]) {
        const a = await t.db.command({ count: indexed.collectionName, query: f, ...extra });
        const b = await t.db.command({ count: plain.collectionName, query: f, ...extra });
        expect(a.n, `${label} ${JSON.stringify(extra)}`).to.equal(b.n);
      }
    }
  });

  it('the queue query reads only the page: the scope $or and the stage $in use { institute, stage, due }', async function () {
    if (t.kind !== 'embedded') this.skip(); // explain's figures are this server's
    const { indexed } = await pair(makeDocs(2000, 'objectid', 3), [{ stage: 1, n: 1 }, { institute: 1, stage: 1, due: 1 }]);
    const f = filters[0]![1];
    const ex = await indexed.find(f).sort({ due: 1, _id: 1 }).limit(10).explain('executionStats');
    expect(JSON.stringify(ex.queryPlanner.winningPlan)).to.contain('institute_1_stage_1_due_1');
    expect(ex.executionStats.totalDocsExamined).to.equal(10);
    const page3 = await indexed.find(f).sort({ due: 1, _id: 1 }).skip(20).limit(10).explain('executionStats');
    expect(page3.executionStats.totalDocsExamined).to.equal(30);
  });

  it('a sparse compound index serves filters that require one of its fields, with the same results as a scan', async function () {
    const docs = makeDocs(1500, 'objectid', 11);
    const indexed = t.db.collection<AnyDoc>(collName('sparse'));
    const plain = t.db.collection<AnyDoc>(collName('sparse-scan'));
    await indexed.createIndex({ institute: 1, due: 1 }, { sparse: true });
    // Some documents have neither field (not in the sparse index at all).
    const bare = docs.slice(0, 100).map(({ institute: _i, due: _d, ...rest }) => rest as AnyDoc);
    const all = [...bare, ...docs.slice(100)];
    await indexed.insertMany(all.map((d) => ({ ...d })));
    await plain.insertMany(all.map((d) => ({ ...d })));
    const cases: Document[] = [
      { institute: INSTITUTES[0], due: { $gte: new Date(-8.64e15) } },
      { institute: INSTITUTES[1] },
      { due: { $lt: new Date(Date.UTC(2026, 0, 8)) } },
      { institute: INSTITUTES[2], due: null }, // null matches missing: the index holds them (institute set)
      { due: null }, // may match documents with neither field: not from the sparse index
      { due: { $exists: false } },
    ];
    for (const f of cases) {
      const a = await indexed.find(f).sort({ _id: 1 }).toArray();
      const b = await plain.find(f).sort({ _id: 1 }).toArray();
      expect(a, JSON.stringify(f)).to.deep.equal(b);
    }
    if (t.kind === 'embedded') {
      const ex = await indexed.find(cases[0]!).explain('executionStats');
      expect(JSON.stringify(ex.queryPlanner.winningPlan), 'sparse index used').to.contain('institute_1_due_1');
      const scan = await indexed.find({ due: null }).explain('executionStats');
      expect(JSON.stringify(scan.queryPlanner.winningPlan), 'not for null').not.to.contain('institute_1_due_1');
    }
  });

  it('$elemMatch fields bound a multikey index over the array (the outbox claim), with the same results as a scan', async function () {
    const r = prng(21);
    const T0 = Date.UTC(2026, 0, 1);
    const STATUSES = ['pending', 'sent', 'dead'];
    const docs: AnyDoc[] = Array.from({ length: 1200 }, (_, i) => {
      const d: AnyDoc = { _id: i, tags: Array.from({ length: Math.floor(r() * 3) }, () => Math.floor(r() * 10)) };
      // Some documents have no outbox, some an empty one, most a few items in mixed states.
      const x = r();
      if (x < 0.1) return d;
      d.outbox = Array.from({ length: x < 0.2 ? 0 : 1 + Math.floor(r() * 3) }, (_, k) => {
        const item: AnyDoc = { key: `k${i}-${k}`, status: STATUSES[Math.floor(r() * 3)], nextAttemptAt: new Date(T0 + Math.floor(r() * 10) * DAY) };
        const y = r();
        if (y < 0.3) item.leaseUntil = new Date(T0 + Math.floor(r() * 10) * DAY);
        else if (y < 0.5) item.leaseUntil = null;
        if (y < 0.2) item.leaseOwner = `owner-${i % 7}`;
        return item;
      });
      return d;
    });
    const indexed = t.db.collection<AnyDoc>(collName('elem'));
    const plain = t.db.collection<AnyDoc>(collName('elem-scan'));
    await indexed.createIndex({ 'outbox.status': 1, 'outbox.nextAttemptAt': 1 }, { sparse: true });
    await indexed.createIndex({ tags: 1 });
    await indexed.insertMany(docs.map((d) => ({ ...d })));
    await plain.insertMany(docs.map((d) => ({ ...d })));
    const now = new Date(T0 + 4 * DAY);
    const claim = { outbox: { $elemMatch: { status: 'pending', nextAttemptAt: { $lte: now }, $or: [{ leaseUntil: null }, { leaseUntil: { $lte: now } }] } } };
    const cases: Document[] = [
      claim,
      { outbox: { $elemMatch: { status: 'pending', leaseOwner: 'owner-3' } } },
      { outbox: { $elemMatch: { status: { $in: ['sent', 'dead'] } } } },
      { outbox: { $elemMatch: { nextAttemptAt: { $gt: now } } } },
      { outbox: { $elemMatch: { status: 'pending' } }, 'outbox.status': 'sent' }, // different elements may satisfy each
      { tags: { $elemMatch: { $gte: 3, $lt: 5 } } },
      { outbox: { $elemMatch: { status: null } } }, // null is not a bound: a scan
    ];
    for (const f of cases) {
      const a = await indexed.find(f).sort({ _id: 1 }).toArray();
      const b = await plain.find(f).sort({ _id: 1 }).toArray();
      expect(a, JSON.stringify(f)).to.deep.equal(b);
      expect(await indexed.countDocuments(f), JSON.stringify(f)).to.equal(b.length);
    }
    if (t.kind === 'embedded') {
      const ex = await indexed.find(claim).limit(1).explain('executionStats');
      expect(JSON.stringify(ex.queryPlanner.winningPlan)).to.contain('outbox.status_1_outbox.nextAttemptAt_1');
      const pending = docs.filter((d) => (d.outbox as AnyDoc[] | undefined)?.some((i) => i.status === 'pending')).length;
      expect(ex.executionStats.totalDocsExamined).to.be.at.most(pending);
      const tags = await indexed.find(cases[5]!).explain('executionStats');
      expect(JSON.stringify(tags.queryPlanner.winningPlan)).to.contain('tags_1');
    }
  });
});

describe('embedded-mongo planner: counts it remembers', function () {
  this.timeout(60_000);
  const t = useDatabase('conf_planner_counts');

  it('a count from the index, and the choice of the rarest word, follow every insert, update and delete', async () => {
    const c = t.db.collection<AnyDoc>(collName('counts'));
    await c.createIndex({ institute: 1, terms: 1 });
    const inst = INSTITUTES[0]!;
    await c.insertMany(Array.from({ length: 30 }, (_, i) => ({ _id: i, institute: inst, terms: i < 10 ? ['alpha', 'beta'] : ['alpha'] })));
    const beta = { institute: inst, terms: /^beta/ };
    const both = { $and: [{ institute: inst }, { terms: /^alpha/ }, { terms: /^beta/ }] };
    const scanned = async () => (await c.find(both).explain('executionStats')).executionStats.totalDocsExamined as number;
    // Asked twice each: the second answer comes from what the first one counted.
    for (let i = 0; i < 2; i++) {
      expect(await c.countDocuments(beta)).to.equal(10);
      expect(await scanned(), 'reads the range of beta, the rarer word').to.equal(10);
    }
    await c.insertMany(Array.from({ length: 40 }, (_, i) => ({ _id: 100 + i, institute: inst, terms: ['beta'] })));
    expect(await c.countDocuments(beta), 'after an insert').to.equal(50);
    expect(await scanned(), 'alpha is now the rarer word').to.equal(30);
    await c.updateMany({ _id: { $gte: 100, $lt: 120 } }, { $set: { terms: ['gamma'] } });
    expect(await c.countDocuments(beta), 'after an update').to.equal(30);
    await c.deleteMany({ _id: { $gte: 120 } });
    expect(await c.countDocuments(beta), 'after a delete').to.equal(10);
    expect(await scanned(), 'beta is the rarer word again').to.equal(10);
    expect(await c.countDocuments(both)).to.equal(10);
  });
});

describe('embedded-mongo planner: the prefix of an anchored regex', () => {
  it('is the literal text after ^, up to what may vary, and nothing when unanchored, an alternation or under i, m or x', async () => {
    const { regexPrefix } = await import('../../embedded-mongo/src/regex-prefix.ts');
    expect(regexPrefix('^nguyen', '')).to.equal('nguyen');
    expect(regexPrefix('^a\\.b', '')).to.equal('a.b');
    expect(regexPrefix('^ab?', '')).to.equal('a');
    expect(regexPrefix('^ab*c', '')).to.equal('a');
    expect(regexPrefix('^ab{2}', '')).to.equal('a');
    expect(regexPrefix('^ab+', '')).to.equal('ab');
    expect(regexPrefix('^1\\d', '')).to.equal('1');
    expect(regexPrefix('^(ab)', '')).to.equal(undefined);
    expect(regexPrefix('^a?', '')).to.equal(undefined);
    expect(regexPrefix('nguyen', '')).to.equal(undefined);
    expect(regexPrefix('^a|b', '')).to.equal(undefined);
    expect(regexPrefix('^a', 'i')).to.equal(undefined);
    expect(regexPrefix('^a', 'm')).to.equal(undefined);
    expect(regexPrefix('^a', 'x')).to.equal(undefined);
    expect(regexPrefix('^a', 's')).to.equal('a');
  });
});
