// Secondary indexes: a B+tree per index over (key values…, document id), kept in step with every
// write. Used for uniqueness (no scan), equality/range lookups and ordered scans for sorts.
import * as btree from 'sorted-btree';
import { MinKey, MaxKey, ObjectId } from 'bson';
import { matcher } from './mingo.ts'; // BSON-aware numeric comparisons
import { compareValues, toNumber } from './compare.ts';
import { valuesAtPath, type PathWalk } from './paths.ts';
import { CommandError } from './errors.ts';
import { idKey } from './storage/id-key.ts';
import { collationFor, type Collation } from './collation.ts';
import { termsOf, textSpecOf, type TextSpec } from './text.ts';

/** Reused by keysOf (one walk at a time: keysOf is synchronous). */
const walk: PathWalk = { crossedArray: false };

type Doc = Record<string, unknown>;
// sorted-btree is CommonJS with a default export.
// Node's ESM view of this CommonJS package nests the class one level deeper than its types say.
const BTree = ((btree.default as unknown as { default?: unknown }).default ?? btree.default) as unknown as new <K, V>(entries: undefined, compare: (a: K, b: K) => number) => btree.default<K, V>;

export interface IndexSpec {
  v?: number;
  key: Record<string, number | string>;
  name: string;
  unique?: boolean;
  sparse?: boolean;
  partialFilterExpression?: Doc;
  expireAfterSeconds?: number;
  [k: string]: unknown;
}

/**
 * An index entry: the key's values, one per field (k0, k1, k2, then `more`), and the document's id
 * key (which orders equal keys). An object with its fields in itself: at 100,000 cases the indexes
 * hold 2.4 M entries, and an exact-size array per entry (a JSArray and its elements store) took
 * 24 bytes more each (~58 MB of the database's heap); an object with a separate array of values,
 * grown by spreading, took ~300 bytes.
 */
export interface Entry {
  k0: unknown;
  k1?: unknown;
  k2?: unknown;
  /** Values past the third (indexes over more than three fields). */
  more?: unknown[];
  id: string;
}

/** The entry for key values `vals` of the document with id key `id` (one object layout per count of fields). */
function entryOf(vals: unknown[], id: string): Entry {
  switch (vals.length) {
    case 0:
    case 1:
      return { k0: vals[0], id };
    case 2:
      return { k0: vals[0], k1: vals[1], id };
    case 3:
      return { k0: vals[0], k1: vals[1], k2: vals[2], id };
    default:
      return { k0: vals[0], k1: vals[1], k2: vals[2], more: vals.slice(3), id };
  }
}

/** The entry's value of field `i`. */
export function keyAt(e: Entry, i: number): unknown {
  return i === 0 ? e.k0 : i === 1 ? e.k1 : i === 2 ? e.k2 : e.more?.[i - 3];
}

/** The entry's first `n` values. */
function valsOf(e: Entry, n: number): unknown[] {
  const out = new Array<unknown>(n);
  for (let i = 0; i < n; i++) out[i] = keyAt(e, i);
  return out;
}

function compareIds(a: Entry, b: Entry): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * Entry order from field `from` on (each field in its direction), then the id: written out for one
 * to three fields, as the B+tree calls it on every step of every search.
 */
function entryComparator(dirs: Array<1 | -1>, cmp: (a: unknown, b: unknown) => number, from = 0): (a: Entry, b: Entry) => number {
  const n = dirs.length;
  const [d0, d1, d2] = dirs;
  if (from === 0 && n === 1) return (a, b) => cmp(a.k0, b.k0) * d0! || compareIds(a, b);
  if (from === 0 && n === 2) return (a, b) => cmp(a.k0, b.k0) * d0! || cmp(a.k1, b.k1) * d1! || compareIds(a, b);
  if (from === 0 && n === 3) return (a, b) => cmp(a.k0, b.k0) * d0! || cmp(a.k1, b.k1) * d1! || cmp(a.k2, b.k2) * d2! || compareIds(a, b);
  return (a, b) => {
    for (let i = from; i < n; i++) {
      const c = cmp(keyAt(a, i), keyAt(b, i));
      if (c) return c * dirs[i]!;
    }
    return compareIds(a, b);
  };
}

const MIN = new MinKey();
const MAX = new MaxKey();
const MAX_MULTIKEY = 1000;

export function indexNameFor(key: Record<string, unknown>): string {
  return Object.entries(key).map(([k, v]) => `${k}_${v}`).join('_');
}

export class Index {
  readonly spec: IndexSpec;
  readonly fields: Array<[string, 1 | -1]>;
  private tree: btree.default<Entry, Doc>;
  private partial?: (doc: unknown) => boolean;
  /** The index's collation (its keys are ordered and compared by it); undefined when simple. */
  readonly collation: Collation | undefined;
  private readonly cmp: (a: unknown, b: unknown) => number;
  private _multikey = false;
  /** Documents to build from on first use (an index loaded at start is built lazily). */
  private pending?: () => ReadonlyMap<string, Doc>;
  /** A text index's fields and weights (its keys are the documents' terms). */
  readonly text: TextSpec | undefined;
  /** Bumped by every change of the entries: the remembered counts below hold for one version. */
  private version = 0;
  private counts = new Map<string, number>();
  private countsVersion = 0;

  constructor(spec: IndexSpec) {
    this.spec = spec;
    this.text = spec.key._fts === 'text' ? textSpecOf(spec) : undefined;
    this.fields = this.text ? [['_fts', 1]] : Object.entries(spec.key).map(([k, v]) => {
      if (typeof v === 'string') {
        // text/2dsphere/hashed indexes are accepted as plain ascending indexes on the field
        return [k, 1];
      }
      return [k, toNumber(v) < 0 ? -1 : 1];
    });
    const dirs = this.fields.map((f) => f[1]);
    this.collation = collationFor(spec.collation);
    const cmp = this.collation ? this.collation.compare : compareValues;
    this.cmp = cmp;
    this.tree = new BTree<Entry, Doc>(undefined, entryComparator(dirs, cmp));
    if (spec.partialFilterExpression) this.partial = matcher(spec.partialFilterExpression);
  }

  /** Does some document have an array on one of the fields (several keys per document)? */
  get multikey(): boolean {
    this.ready();
    return this._multikey;
  }
  set multikey(v: boolean) {
    this._multikey = v;
  }

  /** Builds the index from `source` (id keys and documents) on its first use instead of now (documents known valid). */
  defer(source: () => ReadonlyMap<string, Doc>): void {
    this.version++;
    this.tree.clear();
    this.pending = source;
  }

  /** True while a deferred build has not run. */
  get deferred(): boolean {
    return this.pending !== undefined;
  }

  /** Runs a deferred build (every use of the tree comes through here first). */
  ready(): void {
    const source = this.pending;
    if (!source) return;
    this.pending = undefined;
    this.build(source());
  }

  get name(): string {
    return this.spec.name;
  }
  get unique(): boolean {
    return this.spec.unique === true || this.spec.name === '_id_';
  }
  get size(): number {
    this.ready();
    return this.tree.size;
  }

  /** Index keys of a document (several for arrays); empty when sparse/partial exclude it. */
  keysOf(doc: Doc): unknown[][] {
    if (this.partial && !this.partial(doc)) return [];
    if (this.text) {
      this._multikey = true;
      return termsOf(doc, this.text).map((t) => [t]);
    }
    const perField = this.fields.map(([path]) => {
      // A dotted path through an array of sub-documents gives one value per element: multikey too
      // (duplicates possible, no index-only counts), though none of the values is an array itself.
      walk.crossedArray = false;
      const vals = valuesAtPath(doc, path, walk);
      if (walk.crossedArray) this._multikey = true;
      const out: unknown[] = [];
      for (const v of vals) {
        if (Array.isArray(v)) {
          this._multikey = true;
          if (v.length === 0) out.push(undefined);
          else out.push(...v);
        } else out.push(v);
      }
      return out.length ? out : [undefined];
    });
    if (this.spec.sparse && perField.every((vals) => vals.every((v) => v === undefined))) return [];
    let keys: unknown[][] = [[]];
    for (const vals of perField) {
      const uniq = dedupe(vals.map((v) => (v === undefined ? null : v)), this.cmp);
      const next: unknown[][] = [];
      // Short-lived: an entry stores a copy of exact size (entryOf).
      for (const k of keys) for (const v of uniq) next.push([...k, v]);
      keys = next;
      if (keys.length > MAX_MULTIKEY) throw new CommandError('BadValue', `too many index keys for a document in index ${this.name}`);
    }
    return keys;
  }

  /** The first key of `doc` that another document already holds in this unique index. */
  conflict(doc: Doc, selfId: string): unknown[] | undefined {
    if (!this.unique) return undefined;
    this.ready();
    for (const vals of this.keysOf(doc)) {
      const hit = this.tree.nextHigherPair(entryOf(vals, ''));
      // nextHigherPair is strictly higher; '' is below every id, so it finds the first of this key.
      if (hit) {
        const e = hit[0];
        if (e.id !== selfId && entryHasVals(e, vals, this.cmp)) return vals;
        if (e.id === selfId) {
          const after = this.tree.nextHigherPair(e);
          if (after && entryHasVals(after[0], vals, this.cmp) && after[0].id !== selfId) return vals;
        }
      }
    }
    return undefined;
  }

  /**
   * Fills an empty index from many documents at once: entries are sorted first and inserted in
   * order (far cheaper for the B+tree than random inserts), and uniqueness is checked between
   * neighbours. Returns the first duplicate key, leaving the index empty, or undefined.
   */
  build(docs: ReadonlyMap<string, Doc>): unknown[] | undefined {
    this.version++;
    // Only the entries are sorted; each one's document is looked up by its id afterwards. Sorting
    // [entry, document] pairs left a pair per entry (3.3 M at 100,000 cases) to the old generation.
    const entries: Entry[] = [];
    for (const [id, doc] of docs) {
      for (const vals of this.keysOf(doc)) entries.push(entryOf(vals, id));
    }
    entries.sort(this.tree._compare);
    const n = this.fields.length;
    if (this.unique) {
      for (let i = 1; i < entries.length; i++) {
        const a = entries[i - 1]!;
        const b = entries[i]!;
        if (a.id !== b.id && sameEntryVals(a, b, n, this.cmp)) return valsOf(b, n);
      }
    }
    for (const e of entries) this.tree.set(e, docs.get(e.id)!);
    return undefined;
  }

  /** Adds the entries of `doc` (`id`: its id key, shared by the entries of every index). */
  add(doc: Doc, id = idKey(doc._id)): void {
    this.ready();
    this.version++;
    for (const vals of this.keysOf(doc)) this.tree.set(entryOf(vals, id), doc);
  }

  /** Replaces `oldDoc` by `newDoc` (same _id): entries kept in place when the keys did not change. */
  move(oldDoc: Doc, newDoc: Doc, id = idKey(oldDoc._id)): void {
    this.ready();
    const before = this.keysOf(oldDoc);
    const after = this.keysOf(newDoc);
    if (before.length === after.length && before.every((vals, i) => sameVals(vals, after[i]!, this.cmp))) {
      for (const vals of after) this.tree.set(entryOf(vals, id), newDoc, true);
      return;
    }
    this.version++;
    for (const vals of before) this.tree.delete(entryOf(vals, id));
    for (const vals of after) this.tree.set(entryOf(vals, id), newDoc);
  }

  remove(doc: Doc, id = idKey(doc._id)): void {
    this.ready();
    this.version++;
    for (const vals of this.keysOf(doc)) this.tree.delete(entryOf(vals, id));
  }

  /** The lowest and highest entries of per-field [lo, hi] bounds (inclusive). */
  private edges(bounds: Array<{ lo: unknown; hi: unknown }>): [Entry, Entry] {
    this.ready();
    const lo: unknown[] = [];
    const hi: unknown[] = [];
    this.fields.forEach(([, dir], i) => {
      const b = bounds[i] ?? { lo: MIN, hi: MAX };
      if (dir === 1) { lo.push(b.lo); hi.push(b.hi); } else { lo.push(b.hi); hi.push(b.lo); }
    });
    return [entryOf(lo, ''), entryOf(hi, '\uffff')];
  }

  /** How many entries lie within the bounds (no document is read). */
  countRange(bounds: Array<{ lo: unknown; hi: unknown }>): number {
    const [loE, hiE] = this.edges(bounds);
    return this.tree.forRange(loE, hiE, true);
  }

  /**
   * How many documents have an entry within one of the bounds that `accept` takes (each counted
   * once, however many of its entries are in range), counting no further than `cap`.
   */
  countDocumentsUpTo(boundsList: Array<Array<{ lo: unknown; hi: unknown }>>, accept: (e: Entry) => boolean, cap: number, acceptKey?: string): number {
    const parts = acceptKey === undefined ? undefined : boundsList.map((bounds) => keyOfBounds(bounds, ''));
    const key = parts && !parts.includes(undefined) ? `d${cap}:${acceptKey}#${parts.join('#')}` : undefined;
    return this.remembered(key, () => this.countDocumentsUncached(boundsList, accept, cap));
  }

  private countDocumentsUncached(boundsList: Array<Array<{ lo: unknown; hi: unknown }>>, accept: (e: Entry) => boolean, cap: number): number {
    const ids = new Set<string>();
    for (const bounds of boundsList) {
      const [loE, hiE] = this.edges(bounds);
      const visit = (k: Entry): { break?: number } | void => {
        if (!accept(k)) return;
        ids.add(k.id);
        if (ids.size >= cap) return { break: ids.size };
      };
      this.tree.forRange(loE, hiE, true, visit as (k: Entry, v: Doc, counter: number) => void);
      if (ids.size >= cap) break;
    }
    return ids.size;
  }

  /** How many entries lie within the bounds, counting no further than `cap` (to compare ranges without walking a large one). */
  countRangeUpTo(bounds: Array<{ lo: unknown; hi: unknown }>, cap: number): number {
    return this.remembered(keyOfBounds(bounds, `r${cap}`), () => this.countRangeUncached(bounds, cap));
  }

  /**
   * A count the planner asks for on every query of a shape (how many entries a search word's range
   * holds, up to a cap), remembered until the entries change: a search read the same two ranges of
   * up to 1,000 entries for its count, its page and its rest, a fifth of the database's time.
   */
  private remembered(key: string | undefined, count: () => number): number {
    this.ready();
    if (key === undefined) return count();
    if (this.countsVersion !== this.version || this.counts.size >= MAX_REMEMBERED_COUNTS) {
      this.counts.clear();
      this.countsVersion = this.version;
    }
    let n = this.counts.get(key);
    if (n === undefined) {
      n = count();
      this.counts.set(key, n);
    }
    return n;
  }

  private countRangeUncached(bounds: Array<{ lo: unknown; hi: unknown }>, cap: number): number {
    const [loE, hiE] = this.edges(bounds);
    type Stop = (k: Entry, v: Doc, counter: number) => { break?: number } | void;
    const stop: Stop = (_k, _v, counter) => (counter + 1 >= cap ? { break: cap } : undefined);
    return this.tree.forRange(loE, hiE, true, stop as (k: Entry, v: Doc, counter: number) => void);
  }

  /**
   * Documents of several bounds (equal on the first `from` fields within each), merged in the
   * order of the fields from `from` on and then the id: each range is already in that order.
   */
  *mergeRanges(list: Array<Array<{ lo: unknown; hi: unknown }>>, from: number, reverse = false): Generator<Doc> {
    const order = entryComparator(this.fields.map((f) => f[1]), this.cmp, from);
    const heads: Array<{ it: Iterator<[Entry, Doc]>; cur: [Entry, Doc] }> = [];
    for (const bounds of list) {
      const it = this.entriesIn(bounds, reverse);
      const first = it.next();
      if (!first.done) heads.push({ it, cur: first.value });
    }
    while (heads.length > 0) {
      let best = 0;
      for (let i = 1; i < heads.length; i++) {
        const c = order(heads[i]!.cur[0], heads[best]!.cur[0]);
        if (reverse ? c > 0 : c < 0) best = i;
      }
      const h = heads[best]!;
      yield h.cur[1];
      const next = h.it.next();
      if (next.done) heads.splice(best, 1);
      else h.cur = next.value;
    }
  }

  private *entriesIn(bounds: Array<{ lo: unknown; hi: unknown }>, reverse: boolean): Generator<[Entry, Doc]> {
    const [loE, hiE] = this.edges(bounds);
    const cmp = this.tree._compare;
    if (!reverse) {
      for (const pair of this.tree.entries(loE)) {
        if (cmp(pair[0], hiE) > 0) return;
        yield [pair[0], pair[1]];
      }
    } else {
      for (const pair of this.tree.entriesReversed(hiE)) {
        if (cmp(pair[0], loE) < 0) return;
        yield [pair[0], pair[1]];
      }
    }
  }

  /** Documents whose key lies within per-field [lo, hi] bounds (inclusive), in index order. */
  *range(bounds: Array<{ lo: unknown; hi: unknown }>, reverse = false): Generator<Doc> {
    const [loE, hiE] = this.edges(bounds);
    const cmp = this.tree._compare;
    if (!reverse) {
      for (const [k, doc] of this.tree.entries(loE)) {
        if (cmp(k, hiE) > 0) return;
        yield doc;
      }
    } else {
      for (const [k, doc] of this.tree.entriesReversed(hiE)) {
        if (cmp(k, loE) < 0) return;
        yield doc;
      }
    }
  }

  clear(): void {
    this.version++;
    this.pending = undefined;
    this.tree.clear();
  }
}

const MAX_REMEMBERED_COUNTS = 1000;

/** A bound value as text, distinct per type and value; undefined for a type not worth remembering by. */
function keyOfValue(v: unknown): string | undefined {
  if (typeof v === 'string') return `s${v.length}:${v}`;
  if (typeof v === 'number') return `n${v}`;
  if (typeof v === 'boolean') return v ? 'T' : 'F';
  if (v === null) return 'z';
  if (v === undefined) return 'u';
  if (v instanceof ObjectId) return `o${v.toHexString()}`;
  if (v instanceof Date) return `d${v.getTime()}`;
  if (v instanceof MinKey) return 'm';
  if (v instanceof MaxKey) return 'M';
  return undefined;
}

function keyOfBounds(bounds: Array<{ lo: unknown; hi: unknown }>, head: string): string | undefined {
  let key = head;
  for (const b of bounds) {
    const lo = keyOfValue(b.lo);
    const hi = keyOfValue(b.hi);
    if (lo === undefined || hi === undefined) return undefined;
    key += `|${lo}|${hi}`;
  }
  return key;
}

/** Are two documents' key values (one per field) equal? */
function sameVals(a: unknown[], b: unknown[], cmp: (a: unknown, b: unknown) => number): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < b.length; i++) if (cmp(a[i], b[i]) !== 0) return false;
  return true;
}

/** Does entry `e` hold the key values `vals` (one per field of its index)? */
function entryHasVals(e: Entry, vals: unknown[], cmp: (a: unknown, b: unknown) => number): boolean {
  for (let i = 0; i < vals.length; i++) if (cmp(keyAt(e, i), vals[i]) !== 0) return false;
  return true;
}

/** Are the first `n` values of entries `a` and `b` equal? */
function sameEntryVals(a: Entry, b: Entry, n: number, cmp: (a: unknown, b: unknown) => number): boolean {
  for (let i = 0; i < n; i++) if (cmp(keyAt(a, i), keyAt(b, i)) !== 0) return false;
  return true;
}

function dedupe(vals: unknown[], cmp: (a: unknown, b: unknown) => number): unknown[] {
  const out: unknown[] = [];
  for (const v of vals) if (!out.some((x) => cmp(x, v) === 0)) out.push(v);
  return out;
}

