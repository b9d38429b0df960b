// The compiled matcher (embedded-mongo/src/fast-match.ts) against mingo's (mingo.ts), the one the
// server used for every filter before: generated filters over generated documents, each document a
// BSON round trip as the server stores it. Where the compiled one abstains (UNSURE), the combined
// matcher (fastMatcher, as collection.ts uses it) asks mingo, so the two must agree on every document; and the compiled
// one must decide the documents it models (the queue's filters among them), or it gains nothing.
import { expect } from 'chai';
import { BSON, Binary, Decimal128, Long, ObjectId } from 'bson';
import { compileFastFilter, fastMatcher, UNSURE } from '../../embedded-mongo/src/fast-match.ts';
import { compileFilter, type Doc } from '../../embedded-mongo/src/collection.ts';
import { matcher } from '../../embedded-mongo/src/mingo.ts';
import { prng } from '../../scripts/support/prng.ts';

const rnd = prng(Number(process.env.FAST_MATCH_SEED ?? 20261203));
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
const chance = (p: number) => rnd() < p;

const DATES = [new Date('2026-01-01T00:00:00Z'), new Date('2026-06-30T12:00:00Z'), new Date('2027-03-01T00:00:00Z')];
const IDS = [new ObjectId('6650a0000000000000000001'), new ObjectId('6650a0000000000000000002'), new ObjectId('7650a0000000000000000000')];
// Strings of the Basic Multilingual Plane: ranges over astral characters are where the compiled
// matcher follows MongoDB (code points) and mingo does not (UTF-16 units); checked on its own below.
const STRINGS = ['', 'a', 'ab', 'abc', 'a.b', 'axb', 'b', 'B', 'candidate', 'cand', '12', '120', '2', 'é', 'nguyễn', 'Z'];
const NUMBERS = [0, -1, 1, 2.5, 3, 12, -0, Number.NaN];

function scalar(): unknown {
  switch (Math.floor(rnd() * 5)) {
    case 0:
      return pick(STRINGS);
    case 1:
      return pick(NUMBERS);
    case 2:
      return pick(DATES);
    case 3:
      return pick(IDS);
    default:
      return pick([true, false, null]);
  }
}

/** A stored value: scalars, arrays of them, subdocuments, and types the compiled matcher leaves to mingo. */
function storedValue(depth = 0): unknown {
  const r = rnd();
  if (r < 0.45) return scalar();
  if (r < 0.65) return Array.from({ length: Math.floor(rnd() * 4) }, () => (chance(0.1) && depth < 1 ? storedValue(depth + 1) : scalar()));
  if (r < 0.8 && depth < 1) return { c: storedValue(depth + 1), ...(chance(0.3) ? { e: scalar() } : {}) };
  if (r < 0.88 && depth < 1) return [{ c: scalar() }, {}, ...(chance(0.5) ? [{ c: storedValue(depth + 1) }] : [])];
  return pick([Long.fromNumber(3), Long.fromString('9007199254740993'), Decimal128.fromString('2.5'), new Binary(Buffer.from('ab')), /ab/, [[1, 'a']]]);
}

const FIELDS = ['a', 'tags', 'b', 'b.c', 'b.e', 'n', 'missing', 'constructor', 'toString'];

function storedDoc(i: number): Doc {
  const d: Doc = { _id: i };
  for (const f of ['a', 'tags', 'b', 'n']) if (chance(0.85)) d[f] = f === 'tags' && chance(0.7) ? Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => pick(STRINGS)) : storedValue();
  if (chance(0.05)) Object.assign(d, { constructor: scalar() });
  // As the server keeps it: decoded from BSON, with the wire's options.
  return BSON.deserialize(BSON.serialize(d), { promoteLongs: true, promoteValues: true, promoteBuffers: false, bsonRegExp: false }) as Doc;
}

function regex(): RegExp {
  // Literal prefixes (a prefix test, no regex run), an escaped dot (still literal) and a bare one (a regex).
  const word = pick(['a', 'ab', 'cand', '12', 'B', 'é', 'nguy', 'a\\.', 'a.', '']);
  const re = new RegExp(`${chance(0.7) ? '^' : ''}${word}`, chance(0.25) ? 'i' : '');
  return re;
}

function condition(): unknown {
  switch (Math.floor(rnd() * 12)) {
    case 0:
      return scalar();
    case 1:
      return { $eq: scalar() };
    case 2:
      return { $ne: scalar() };
    case 3:
      return { $in: Array.from({ length: Math.floor(rnd() * 4) }, scalar) };
    case 4:
      return { $nin: Array.from({ length: Math.floor(rnd() * 4) }, scalar) };
    case 5:
    case 6: {
      const v = scalar();
      return { [pick(['$gt', '$gte', '$lt', '$lte'])]: v === null || typeof v === 'boolean' ? pick(DATES) : v, ...(chance(0.4) ? { [pick(['$lt', '$lte'])]: scalar() } : {}) };
    }
    case 7:
      return regex();
    case 8:
      return chance(0.5) ? { $regex: regex().source, $options: pick(['', 'i', 'm']) } : { $regex: regex() };
    case 9:
      return { $nin: [pick(STRINGS), pick(STRINGS)], ...(chance(0.5) ? { $ne: null } : {}) };
    case 10:
      return null;
    default:
      return { $gte: pick(DATES) };
  }
}

function filter(depth = 0): Doc {
  const f: Doc = {};
  const n = 1 + Math.floor(rnd() * 3);
  for (let i = 0; i < n; i++) {
    if (depth < 2 && chance(0.2)) {
      f[pick(['$and', '$or', '$nor'])] = Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => filter(depth + 1));
    } else f[pick(FIELDS)] = condition();
  }
  return f;
}

describe('embedded-mongo: compiled matcher against mingo', function () {
  this.timeout(60_000);

  it('agrees with mingo on 3,000 generated filters over 300 generated documents, and decides most of them itself', () => {
    const docs = Array.from({ length: 300 }, (_, i) => storedDoc(i));
    let compiled = 0;
    let decided = 0;
    let tested = 0;
    let matched = 0;
    for (let k = 0; k < 3000; k++) {
      const f = filter();
      let expected: (d: Doc) => boolean;
      try {
        const m = matcher(f);
        m(docs[0]!);
        expected = m;
      } catch {
        continue; // a filter mingo refuses (a bad regex) is not this test's concern
      }
      const fast = compileFastFilter(f);
      const combined = fastMatcher(f, () => expected) ?? expected;
      if (fast) compiled++;
      for (const d of docs) {
        const want = expected(d);
        const got = combined(d);
        if (got !== want) throw new Error(`filter ${JSON.stringify(f)} on ${JSON.stringify(d)}: compiled ${got}, mingo ${want}`);
        tested++;
        if (want) matched++;
        if (fast && fast(d) !== UNSURE) decided++;
      }
    }
    if (process.env.FAST_MATCH_STATS) console.log({ compiled, decided, tested, matched });
    // Not a vacuous agreement: filters compile, documents get decided, and some match.
    expect(compiled, 'filters compiled').to.be.greaterThan(2500);
    expect(decided / tested, 'share of documents decided without mingo').to.be.greaterThan(0.6);
    expect(matched, 'matches').to.be.greaterThan(tested / 20);
  });

  it('compiles and decides the HR queue search as the app sends it', () => {
    const institute = new ObjectId();
    const f: Doc = {
      $and: [
        { institute, stage: { $nin: ['draft', 'closed', 'rejected', 'withdrawn'] }, searchTerms: { $regex: /^12/ } },
        { searchTerms: { $regex: /^candidate/ } },
        { stageDueAt: { $gte: new Date(0) } },
      ],
    };
    const fast = compileFastFilter(f)!;
    expect(fast).to.be.a('function');
    const hit = { _id: 1, institute, stage: 'screening', searchTerms: ['candidate', '12', 'ta'], stageDueAt: new Date() };
    const others = [
      { ...hit, institute: new ObjectId() },
      { ...hit, stage: 'closed' },
      { ...hit, searchTerms: ['candidate', '21'] },
      { ...hit, stageDueAt: null },
      { ...hit, stageDueAt: undefined },
    ];
    expect(fast(hit)).to.equal(1);
    for (const d of others) expect(fast(d as Doc), JSON.stringify(d)).to.equal(0);
  });

  it('leaves what it does not model to mingo: unknown operators, collations, embedded documents, array indexes', () => {
    for (const f of [{ a: { $elemMatch: { c: 1 } } }, { a: { $exists: true } }, { a: { c: 1 } }, { 'a.0': 1 }, { $expr: { $eq: ['$a', 1] } }, { a: { $in: [/a/] } }, { a: { $regex: 'a', $options: 'x' } }, { __proto__x: 1, 'b.__proto__': 1 }]) {
      expect(compileFastFilter(f as Doc), JSON.stringify(f)).to.equal(undefined);
    }
  });

  it('reads only a document’s own fields: constructor and toString are missing unless stored', () => {
    const f = compileFilter({ constructor: null, toString: { $exists: false } });
    expect(f({ _id: 1 })).to.equal(true);
    expect(compileFastFilter({ constructor: null })!({ _id: 1 })).to.equal(1);
    expect(compileFastFilter({ constructor: 'x' })!({ _id: 1, constructor: 'x' } as Doc)).to.equal(1);
  });

  it('orders strings in ranges by code point, as MongoDB compares UTF-8 bytes', () => {
    // U+1F600 (a surrogate pair in UTF-16) is above U+FF5E in code points, below it in UTF-16 units.
    const f = compileFastFilter({ s: { $gt: '\uff5e' } })!;
    expect(f({ s: '\u{1f600}' })).to.equal(1);
  });
});
