// The dashboard and report filters as the routes read them (server/dashboard/filter.ts): every
// unreadable id is refused with the one "bad filter" message (a key the page translates), a day
// with "bad day", a period that ends before it starts with its own, and a parameter given twice is ignored.
import { expect } from 'chai';
import { z } from 'zod';
import { filterQueryFields, PERIOD_ERROR, validPeriod } from '../../server/dashboard/filter.ts';

const filters = z.object(filterQueryFields).refine(validPeriod, PERIOD_ERROR);

function messages(query: Record<string, unknown>): string[] {
  const r = filters.safeParse(query);
  return r.success ? [] : [...new Set(r.error.issues.map((i) => i.message))];
}

describe('leaders: dashboard and report filters', () => {
  it('refuses unreadable ids with the bad-filter key', () => {
    for (const q of [{ call: 'zz' }, { institute: 'x'.repeat(24) }, { call: '$ne' }]) {
      expect(messages(q), JSON.stringify(q)).to.deep.equal(['dashboard.errors.badFilter']);
    }
  });

  it('refuses days not written YYYY-MM-DD with the bad-day key', () => {
    for (const q of [{ from: 'bad' }, { to: '2026-1-1' }, { from: '2026-13-45' }]) {
      expect(messages(q), JSON.stringify(q)).to.deep.equal(['dashboard.errors.badDay']);
    }
  });

  it('refuses a period that ends before it starts with the bad-period key', () => {
    expect(messages({ from: '2026-02-01', to: '2026-01-31' })).to.deep.equal(['dashboard.errors.badPeriod']);
    expect(messages({ from: '2026-02-01', to: '2026-02-01' })).to.deep.equal([]);
  });

  it('takes empty filters as "any" and ignores a parameter given twice', () => {
    const twice = filters.parse({ call: ['a', 'b'], from: '2026-01-01', to: '' });
    expect(twice).to.include({ from: '2026-01-01', to: '' });
    expect(twice.call).to.equal(undefined);
    expect(Object.values(filters.parse({})).filter((v) => v !== undefined)).to.deep.equal([]);
  });
});
