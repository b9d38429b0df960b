// Dotted-path access over documents, with MongoDB's array traversal for reads.
import { hasOwn, isPlainObject } from './compare.ts';

/** Set by valuesAtPath when it expanded an array before the path's end (the values are per element). */
export interface PathWalk {
  crossedArray: boolean;
}

/** Values at `path` as MongoDB sees them for indexing/sorting: arrays on the way are expanded. */
export function valuesAtPath(doc: unknown, path: string, walk?: PathWalk): unknown[] {
  const out: unknown[] = [];
  // A top-level field that is not an array (the common case): no split, no walk.
  if (!path.includes('.') && isPlainObject(doc)) {
    const v = hasOwn(doc, path) ? doc[path] : undefined;
    if (!Array.isArray(v)) {
      out.push(v);
      return out;
    }
  }
  walkPath(doc, path.split('.'), 0, out, walk);
  return out;
}

// A module-level function rather than a closure per call: the closure (and tsx's name helper
// around it) showed in the profile of index builds and matching.
function walkPath(v: unknown, parts: string[], i: number, out: unknown[], walk?: PathWalk): void {
  if (i === parts.length) {
    out.push(v);
    return;
  }
  const key = parts[i]!;
  if (Array.isArray(v)) {
    if (/^\d+$/.test(key)) {
      walkPath(v[Number(key)], parts, i + 1, out, walk);
      return;
    }
    if (walk) walk.crossedArray = true;
    for (const el of v) if (isPlainObject(el) || Array.isArray(el)) walkPath(el, parts, i, out, walk);
    return;
  }
  if (isPlainObject(v)) {
    if (hasOwn(v, key)) walkPath(v[key], parts, i + 1, out, walk);
    else out.push(undefined);
    return;
  }
  out.push(undefined);
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
