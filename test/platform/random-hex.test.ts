// Random hex from a pooled CSPRNG (server/support/random-hex.ts): form keys and the page-pieces mark.
import { expect } from 'chai';
import { randomHex } from '../../server/support/random-hex.ts';
import { newFormKey, sentFormKey } from '../../server/http/form-key.ts';
import { newPagePieces } from '../../server/views/pieces.ts';

describe('platform: pooled random hex', () => {
  it('gives hex of the asked length, never the same twice across many refills of the pool', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 3000; i++) {
      const size = [8, 16, 13, 256][i % 4]!;
      const hex = randomHex(size);
      expect(hex).to.match(new RegExp(`^[0-9a-f]{${size * 2}}$`));
      seen.add(hex);
    }
    expect(seen.size).to.equal(3000);
    // Not a pool of zeros or a repeated block: every byte value turns up.
    const bytes = new Set(randomHex(256).match(/../g));
    for (let i = 0; i < 20; i++) for (const b of randomHex(256).match(/../g)!) bytes.add(b);
    expect(bytes.size).to.equal(256);
  });

  it('refuses sizes it does not give', () => {
    for (const n of [0, -1, 257, 1.5, Number.NaN]) expect(() => randomHex(n), String(n)).to.throw(RangeError);
  });

  it('makes form keys the forms send back and page marks of 16 hex digits, each its own', () => {
    const keys = Array.from({ length: 500 }, () => newFormKey());
    for (const k of keys) expect(sentFormKey({ formKey: k })).to.equal(k);
    expect(new Set(keys).size).to.equal(500);
    const marks = Array.from({ length: 500 }, () => newPagePieces().mark);
    for (const m of marks) expect(m).to.match(/^[0-9a-f]{16}$/);
    expect(new Set(marks).size).to.equal(500);
  });
});
