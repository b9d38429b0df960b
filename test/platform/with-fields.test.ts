// The row copies of the list presenters (server/support/with-fields.ts) equal an object spread.
import { expect } from 'chai';
import { withFields } from '../../server/support/with-fields.ts';

describe('platform: withFields, a row with its labels', () => {
  it('copies the row and adds the fields, later winning, without touching the row', () => {
    const row = { id: 'a', stage: 'offer', when: new Date(0), tags: ['x'] };
    const copy = withFields(row, { stageLabel: 'Offer', stage: 'shown' });
    expect(copy).to.deep.equal({ ...row, ...{ stageLabel: 'Offer', stage: 'shown' } });
    expect(copy).to.not.equal(row);
    expect(row).to.deep.equal({ id: 'a', stage: 'offer', when: new Date(0), tags: ['x'] });
    expect(copy.tags).to.equal(row.tags); // shallow, as a spread
  });

  it('keeps an own "__proto__" key a field, as a spread does, instead of a prototype', () => {
    const hostile = JSON.parse('{"__proto__": {"polluted": true}, "id": "b"}') as { id: string };
    const copy = withFields(hostile, { label: 'B' }) as Record<string, unknown>;
    expect(Object.getPrototypeOf(copy)).to.equal(Object.prototype);
    expect(copy.polluted).to.equal(undefined);
    expect(Object.hasOwn(copy, '__proto__')).to.equal(true);
    expect(copy.label).to.equal('B');
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
  });
});
