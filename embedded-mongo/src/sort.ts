// MongoDB's sort order for documents: BSON order per key (strings by the collation, if any); an
// array field sorts by its smallest element ascending and its largest descending.
import { compareValues, isPlainObject } from './compare.ts';
import { CommandError } from './errors.ts';
import { valuesAtPath } from './paths.ts';
import type { Collation } from './collation.ts';

type Doc = Record<string, unknown>;

/** MongoDB sort: BSON order; an array field sorts by its smallest (asc) or largest (desc) element. */
export function sortComparator(sort: Doc, collation?: Collation, textScore?: (d: Doc) => number): (a: Doc, b: Doc) => number {
  const cmp = collation ? collation.compare : compareValues;
  const entries = Object.entries(sort).map(([k, d]) => {
    if (isPlainObject(d) && d.$meta === 'textScore') {
      if (!textScore) throw new CommandError('Location40218', 'query requires text score metadata, but it is not available');
      return [k, 0] as const; // 0: by text score, highest first
    }
    return [k, typeof d === 'number' && d < 0 ? -1 : 1] as const;
  });
  const keyOf = (doc: Doc, path: string, dir: number): unknown => {
    const vals = valuesAtPath(doc, path).flatMap((v) => (Array.isArray(v) ? (v.length ? v : [undefined]) : [v]));
    if (vals.length === 1) return vals[0];
    let best = vals[0];
    for (const v of vals) if (cmp(v, best) * dir < 0) best = v;
    return best;
  };
  // Each document's keys are read once per sort, not at every comparison (n log n path walks and
  // arrays: the largest cost of sorting a search's candidates in memory).
  const cache = new Map<Doc, unknown[]>();
  const keysOf = (doc: Doc): unknown[] => {
    let keys = cache.get(doc);
    if (!keys) {
      keys = entries.map(([path, dir]) => (dir === 0 ? undefined : keyOf(doc, path, dir)));
      cache.set(doc, keys);
    }
    return keys;
  };
  return (a, b) => {
    const ka = keysOf(a);
    const kb = keysOf(b);
    for (let i = 0; i < entries.length; i++) {
      const dir = entries[i]![1];
      if (dir === 0) {
        const c = textScore!(b) - textScore!(a);
        if (c) return c;
        continue;
      }
      const c = cmp(ka[i], kb[i]);
      if (c) return c * dir;
    }
    return 0;
  };
}
