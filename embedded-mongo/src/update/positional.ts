// Positional update paths: `a.$.b` (the element the query matched), `a.$[].b` (every element) and
// `a.$[id].b` (the elements arrayFilters select) become concrete paths for one document.
import { matcher } from '../mingo.ts'; // BSON-aware numeric comparisons
import { CommandError } from '../errors.ts';
import { getOwn, isPlainObject, setOwn } from '../compare.ts';
import { getPath } from '../paths.ts';
import { guardFilter } from '../query-guard.ts';
import type { Doc } from './walker.ts';

export interface PositionalOptions {
  query?: Doc;
  arrayFilters?: Doc[];
  inserting?: boolean;
}

/** Turns `a.$.b`, `a.$[].b`, `a.$[x].b` into concrete paths for this document. */
export function expandPositional(doc: Doc, path: string, opts: PositionalOptions, original: Doc): string[] {
  const parts = path.split('.');
  const idx = parts.findIndex((p) => p.startsWith('$'));
  if (idx < 0) return [path];
  const prefix = parts.slice(0, idx).join('.');
  const rest = parts.slice(idx + 1).join('.');
  const seg = parts[idx]!;
  const arr = getPath(doc, prefix);
  const join = (i: number) => (rest ? `${prefix}.${i}.${rest}` : `${prefix}.${i}`);
  if (seg === '$') {
    if (opts.inserting) throw new CommandError('BadValue', `The positional operator did not find the match needed from the query.`);
    if (!Array.isArray(arr)) throw new CommandError('BadValue', 'The positional operator did not find the match needed from the query.');
    // The position comes from the query's match on the document as it was before this update:
    // earlier operators of the same update (e.g. $inc of a version in the filter) must not move it.
    const before = getPath(original, prefix);
    const i = Array.isArray(before) ? positionalIndex(original, prefix, before, opts.query ?? {}) : -1;
    if (i < 0) throw new CommandError('BadValue', 'The positional operator did not find the match needed from the query.');
    return expandPositional(doc, join(i), opts, original);
  }
  if (!Array.isArray(arr)) {
    if (arr === undefined) return [];
    throw new CommandError('BadValue', `The path '${prefix}' must exist in the document in order to apply array updates.`);
  }
  if (seg === '$[]') return arr.flatMap((_v, i) => expandPositional(doc, join(i), opts, original));
  const m = /^\$\[([a-z][a-zA-Z0-9]*)\]$/.exec(seg);
  if (!m) throw new CommandError('BadValue', `Unknown positional segment '${seg}' in '${path}'`);
  const id = m[1]!;
  const filter = arrayFilterFor(id, opts.arrayFilters ?? []);
  return arr.flatMap((el, i) => (filter(el) ? expandPositional(doc, join(i), opts, original) : []));
}

function queryPaths(query: Doc, out: string[] = []): string[] {
  for (const [k, v] of Object.entries(query)) {
    if ((k === '$and' || k === '$or' || k === '$nor') && Array.isArray(v)) {
      for (const sub of v) if (isPlainObject(sub)) queryPaths(sub, out);
    } else if (!k.startsWith('$')) out.push(k);
  }
  return out;
}

/** Index of the first element of `arr` (at `prefix` in `doc`) that the query's conditions match, or -1. */
export function positionalIndex(doc: Doc, prefix: string, arr: unknown[], query: Doc): number {
  // MongoDB takes the position from the query's match on this array; a query that does not
  // mention the array (e.g. only _id) leaves nothing to point at, and the update is refused.
  if (!queryPaths(query).some((p) => p === prefix || p.startsWith(prefix + '.'))) return -1;
  const test = matcher(query);
  for (let i = 0; i < arr.length; i++) {
    const probe = cloneShallowWith(doc, prefix, [arr[i]]);
    if (test(probe)) return i;
  }
  return -1;
}

function cloneShallowWith(doc: Doc, path: string, value: unknown): Doc {
  const parts = path.split('.');
  const root: Doc = { ...doc };
  let cur: Doc = root;
  for (let i = 0; i < parts.length - 1; i++) {
    const next = getOwn(cur, parts[i]!);
    const copy = Array.isArray(next) ? [...next] : isPlainObject(next) ? { ...next } : {};
    setOwn(cur, parts[i]!, copy);
    cur = copy as Doc;
  }
  setOwn(cur, parts[parts.length - 1]!, value);
  return root;
}

function arrayFilterFor(id: string, filters: Doc[]): (el: unknown) => boolean {
  const mine = filters.filter((f) => Object.keys(f).some((k) => k === id || k.startsWith(id + '.')));
  if (mine.length === 0) throw new CommandError('BadValue', `No array filter found for identifier '${id}'`);
  const tests = mine.map((f) => {
    const cond: Doc = {};
    for (const [k, v] of Object.entries(f)) cond[k === id ? '__v' : '__v' + k.slice(id.length)] = v;
    guardFilter(cond, 'find');
    const test = matcher(cond);
    return (el: unknown) => test({ __v: el });
  });
  return (el) => tests.every((t) => t(el));
}
