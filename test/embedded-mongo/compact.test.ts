// Stored documents are kept in a compact form (embedded-mongo/src/compact.ts): equal Dates shared,
// exact arrays, fast-property objects, interned short strings. The form must change nothing a
// client can see: every value, its BSON type, field order and field names such as __proto__.
import { expect } from 'chai';
import { Binary, Decimal128, Double, EJSON, Int32, Long, ObjectId, Timestamp, deserialize, serialize } from 'bson';
import type { Document } from 'mongodb';
import { compactDocument } from '../../embedded-mongo/src/compact.ts';
import { decodeRaw } from '../../embedded-mongo/src/storage/raw-doc.ts';
import { collName, useDatabase, type AnyDoc } from './conformance-support.ts';

const canonical = (d: unknown): string => EJSON.stringify(d as Document, { relaxed: false });

/** A document of every kind the compaction treats differently (JSON.parse gives an own "__proto__"). */
function sample(): Document {
  const at = new Date('2026-08-22T02:00:00.000Z');
  const doc: Document = {
    _id: new ObjectId('6b114c2fe954259588e7c5e6'),
    stage: 'evaluation',
    stageEnteredAt: new Date(at),
    history: [{ at: new Date(at), action: 'evaluation' }, { at: new Date('2026-08-02T00:00:00.000Z') }],
    stays: [{ leftAt: new Date(at), hours: 432 }],
    searchTerms: ['vietnam', 'viet', 'nam'],
    nested: [[1, 2], [], [[new Date(at)]]],
    types: { i: new Int32(1), l: Long.fromNumber(2 ** 40), d: new Double(1.5), dec: Decimal128.fromString('1.5'), ts: new Timestamp({ t: 1, i: 2 }), bin: new Binary(Buffer.from('ab')), none: null },
    ...JSON.parse('{"__proto__": {"x": 1}, "constructor": "c"}'),
  };
  // More fields than V8 keeps fast when they are added one by one (the decoder's way).
  for (let i = 0; i < 30; i++) doc[`field${i}`] = i % 2 ? `value ${i}` : i;
  return doc;
}

describe('embedded-mongo: compact stored documents', () => {
  it('keeps every value, type and field order, __proto__ as a field, and shares equal Dates within the document', () => {
    const bytes = serialize(sample());
    const doc = decodeRaw(bytes);
    expect(canonical(doc)).to.equal(canonical(sample()));
    expect(Object.keys(doc)).to.deep.equal(Object.keys(deserialize(bytes)));
    expect(Object.getPrototypeOf(doc)).to.equal(Object.prototype);
    expect(Object.prototype.hasOwnProperty.call(doc, '__proto__')).to.equal(true);
    expect(({} as Record<string, unknown>).x).to.equal(undefined);
    // One Date object for one instant inside the document; a different instant stays apart.
    const history = doc.history as Array<{ at: Date }>;
    expect(history[0]!.at).to.equal(doc.stageEnteredAt);
    expect((doc.stays as Array<{ leftAt: Date }>)[0]!.leftAt).to.equal(doc.stageEnteredAt);
    expect(((doc.nested as unknown[][])[2]![0] as Date[])[0]).to.equal(doc.stageEnteredAt);
    expect(history[1]!.at).to.not.equal(doc.stageEnteredAt);
    // BSON values are kept as the same classes.
    const types = doc.types as Record<string, unknown>;
    expect(types.l).to.be.instanceOf(Long);
    expect(types.dec).to.be.instanceOf(Decimal128);
    expect(types.bin).to.be.instanceOf(Binary);
  });

  it('does not share Dates between documents, keeps an invalid Date and a null-prototype object', () => {
    const at = new Date('2026-01-01T00:00:00Z');
    const a = compactDocument({ at: new Date(at) });
    const b = compactDocument({ at: new Date(at) });
    expect(a.at).to.not.equal(b.at);
    const invalid = compactDocument({ a: new Date(Number.NaN), b: new Date(Number.NaN) });
    expect(Number.isNaN((invalid.a as Date).getTime())).to.equal(true);
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { a: [1], b: 'x' });
    const out = compactDocument({ bare });
    expect(Object.getPrototypeOf(out.bare)).to.equal(null);
    expect(canonical(out)).to.equal(canonical({ bare: { a: [1], b: 'x' } }));
  });

  describe('through the server', function () {
    this.timeout(30_000);
    const t = useDatabase('compact_docs');

    it('an insert, an update of a shared Date and a read give back exactly what was written', async () => {
      const c = t.db.collection<AnyDoc>(collName('c'));
      const doc = sample();
      await c.insertOne(doc as AnyDoc);
      expect(canonical(await c.findOne({ _id: doc._id }))).to.equal(canonical(doc));
      // Changing one of the instants the stored document shares changes that field only.
      const later = new Date('2026-09-01T00:00:00.000Z');
      await c.updateOne({ _id: doc._id }, { $set: { 'history.0.at': later }, $inc: { 'stays.0.hours': 1 } });
      const read = (await c.findOne({ _id: doc._id }))!;
      expect((read.history as Array<{ at: Date }>)[0]!.at.toISOString()).to.equal(later.toISOString());
      expect((read.stageEnteredAt as Date).toISOString()).to.equal('2026-08-22T02:00:00.000Z');
      expect((read.stays as Array<{ leftAt: Date; hours: number }>)[0]!.leftAt.toISOString()).to.equal('2026-08-22T02:00:00.000Z');
      expect((read.stays as Array<{ hours: number }>)[0]!.hours).to.equal(433);
      expect(Object.keys(read)).to.deep.equal(Object.keys(doc));
      // Found by its fields through an index built over compacted documents.
      await c.createIndex({ searchTerms: 1, stageEnteredAt: 1 });
      expect(await c.countDocuments({ searchTerms: 'viet', stageEnteredAt: new Date('2026-08-22T02:00:00.000Z') })).to.equal(1);
      expect(await c.countDocuments({ '__proto__.x': 1 })).to.equal(1);
    });
  });
});

