// Dotted-path access over documents, with MongoDB's array traversal for reads.
import { hasOwn, isPlainObject } from './compare.ts';

/** Values at `path` as MongoDB sees them for indexing/sorting: arrays on the way are expanded. */
export function valuesAtPath(doc: unknown, path: string): unknown[] {
  const parts = path.split('.');
  const out: unknown[] = [];
  const walk = (v: unknown, i: number): void => {
    if (i === parts.length) {
      out.push(v);
      return;
    }
    const key = parts[i]!;
    if (Array.isArray(v)) {
      if (/^\d+$/.test(key)) {
        walk(v[Number(key)], i + 1);
        return;
      }
      for (const el of v) if (isPlainObject(el) || Array.isArray(el)) walk(el, i);
      return;
    }
    if (isPlainObject(v)) {
      if (hasOwn(v, key)) walk(v[key], i + 1);
      else out.push(undefined);
      return;
    }
    out.push(undefined);
  };
  walk(doc, 0);
  return out;
}

/** The single value at a path without array expansion (undefined when absent). */
export function getPath(doc: unknown, path: string): unknown {
  let v: unknown = doc;
  for (const key of path.split('.')) {
    if (Array.isArray(v) && /^\d+$/.test(key)) v = v[Number(key)];
    else if (isPlainObject(v)) v = hasOwn(v, key) ? v[key] : undefined;
    else return undefined;
  }
  return v;
}
