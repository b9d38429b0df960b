// compareValues on ObjectIds (embedded-mongo/src/compare.ts): read from bson's internal numbers for
// speed, the order must stay MongoDB's, which is the order of the 12 bytes (of the hex strings).
import { expect } from 'chai';
import { ObjectId } from 'bson';
import { compareValues } from '../../embedded-mongo/src/compare.ts';

describe('embedded-mongo: ObjectId order', () => {
  it('is the order of their bytes, edge bytes included, and equal ids compare equal', () => {
    const hex = (bytes: number[]) => bytes.map((b) => b.toString(16).padStart(2, '0')).join('');
    const edges = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff];
    const ids: ObjectId[] = [];
    // Every byte position at each edge value over a base, and random ids.
    for (let pos = 0; pos < 12; pos++) for (const e of edges) ids.push(new ObjectId(hex(Array.from({ length: 12 }, (_, i) => (i === pos ? e : 0x80)))));
    for (let i = 0; i < 200; i++) ids.push(new ObjectId(hex(Array.from({ length: 12 }, () => Math.floor(Math.random() * 256)))));
    let checked = 0;
    for (const a of ids) {
      for (const b of ids) {
        const byBytes = a.toHexString() < b.toHexString() ? -1 : a.toHexString() > b.toHexString() ? 1 : 0;
        expect(Math.sign(compareValues(a, b)), `${a} vs ${b}`).to.equal(byBytes);
        expect(Math.sign(compareValues(a, new ObjectId(b.toHexString()))), 'a copy compares the same').to.equal(byBytes);
        checked++;
      }
    }
    expect(checked).to.equal(ids.length ** 2);
  });
});
