import { expect } from 'chai';
import { Types } from 'mongoose';
import { isId, isIdText } from '../../server/support/object-id.ts';

describe('platform: the one test of an id', () => {
  const real = new Types.ObjectId();

  it('takes 24 hexadecimal digits (either case) and, for isId, an ObjectId', () => {
    for (const v of [String(real), String(real).toUpperCase(), '0'.repeat(24)]) {
      expect(isIdText(v), v).to.equal(true);
      expect(isId(v), v).to.equal(true);
    }
    expect(isId(real)).to.equal(true);
    expect(isIdText(real)).to.equal(false);
  });

  it('refuses twelve characters, 12-byte buffers (ObjectId.isValid takes them) and whatever else a form or URL can carry', () => {
    expect(Types.ObjectId.isValid(Buffer.alloc(12))).to.equal(true); // one reason for this module
    const hostile: unknown[] = ['aaaaaaaaaaaa', '__proto__', 'constructor', `${String(real)} `, `${String(real)}\n`, `${String(real)}\u0000`, 'g'.repeat(24), '0'.repeat(25), '', { $gt: '' }, [String(real)], 12, null, undefined, { toString: () => String(real) }, Buffer.alloc(12), new Uint8Array(12)];
    for (const v of hostile) {
      expect(isIdText(v), JSON.stringify(v)).to.equal(false);
      expect(isId(v), JSON.stringify(v)).to.equal(false);
    }
  });
});
