import { expect } from 'chai';
import { loadResources } from '../../server/i18n/index.ts';

function keys(obj: unknown, prefix = ''): string[] {
  if (!obj || typeof obj !== 'object') return [prefix];
  return Object.entries(obj as Record<string, unknown>).flatMap(([k, v]) => keys(v, prefix ? `${prefix}.${k}` : k));
}

describe('platform: translations', () => {
  const res = loadResources();

  it('has the same keys in Vietnamese and English', () => {
    const vi = new Set(keys(res.vi));
    const en = new Set(keys(res.en));
    expect([...en].filter((k) => !vi.has(k)), 'missing in vi').to.deep.equal([]);
    expect([...vi].filter((k) => !en.has(k)), 'missing in en').to.deep.equal([]);
  });

  it('has no empty strings', () => {
    for (const lng of ['vi', 'en'] as const) {
      const empty = keys(res[lng]).filter((k) => {
        const v = k.split('.').reduce<unknown>((o, p) => (o as Record<string, unknown>)?.[p], res[lng]);
        return typeof v === 'string' && v.trim() === '';
      });
      expect(empty, lng).to.deep.equal([]);
    }
  });
});
