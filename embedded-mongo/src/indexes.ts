// Secondary indexes: a B+tree per index over (key values…, document id), kept in step with every
// write. Used for uniqueness (no scan), equality/range lookups and ordered scans for sorts.
import * as btree from 'sorted-btree';
import { MinKey, MaxKey } from 'bson';
import { matcher } from './mingo.ts'; // BSON-aware numeric comparisons
import { compareValues, toNumber } from './compare.ts';
import { valuesAtPath } from './paths.ts';
import { CommandError } from './errors.ts';
import { idKey } from './storage/id-key.ts';
import { collationFor, type Collation } from './collation.ts';
import { termsOf, textSpecOf, type TextSpec } from './text.ts';

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

interface Entry {
  vals: unknown[];
  id: string;
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
  multikey = false;
  /** A text index's fields and weights (its keys are the documents' terms). */
  readonly text: TextSpec | undefined;

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
    this.tree = new BTree<Entry, Doc>(undefined, (a: Entry, b: Entry) => {
      for (let i = 0; i < dirs.length; i++) {
        const c = cmp(a.vals[i], b.vals[i]);
        if (c) return c * dirs[i]!;
      }
      return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
    });
    if (spec.partialFilterExpression) this.partial = matcher(spec.partialFilterExpression);
  }

  get name(): string {
    return this.spec.name;
  }
  get unique(): boolean {
    return this.spec.unique === true || this.spec.name === '_id_';
  }
  get size(): number {
    return this.tree.size;
  }

  /** Index keys of a document (several for arrays); empty when sparse/partial exclude it. */
  keysOf(doc: Doc): unknown[][] {
    if (this.partial && !this.partial(doc)) return [];
    if (this.text) {
      this.multikey = true;
      return termsOf(doc, this.text).map((t) => [t]);
    }
    const perField = this.fields.map(([path]) => {
      const vals = valuesAtPath(doc, path);
      const out: unknown[] = [];
      for (const v of vals) {
        if (Array.isArray(v)) {
          this.multikey = true;
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
      for (const k of keys) for (const v of uniq) next.push([...k, v]);
      keys = next;
      if (keys.length > MAX_MULTIKEY) throw new CommandError('BadValue', `too many index keys for a document in index ${this.name}`);
    }
    return keys;
  }

  /** The first key of `doc` that another document already holds in this unique index. */
  conflict(doc: Doc, selfId: string): unknown[] | undefined {
    if (!this.unique) return undefined;
    for (const vals of this.keysOf(doc)) {
      const low: Entry = { vals, id: '' };
      const hit = this.tree.nextHigherPair(low as Entry);
      // nextHigherPair is strictly higher; '' is below every id, so it finds the first of this key.
      if (hit) {
        const e = hit[0];
        if (e.id !== selfId && sameVals(e.vals, vals, this.cmp)) return vals;
        if (e.id === selfId) {
          const after = this.tree.nextHigherPair(e);
          if (after && sameVals(after[0].vals, vals, this.cmp) && after[0].id !== selfId) return vals;
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
  build(docs: Iterable<Doc>): unknown[] | undefined {
    const entries: Array<[Entry, Doc]> = [];
    for (const doc of docs) {
      const id = idKey(doc._id);
      for (const vals of this.keysOf(doc)) entries.push([{ vals, id }, doc]);
    }
    const cmp = this.tree._compare;
    entries.sort((a, b) => cmp(a[0], b[0]));
    if (this.unique) {
      for (let i = 1; i < entries.length; i++) {
        const [a] = entries[i - 1]!;
        const [b] = entries[i]!;
        if (a.id !== b.id && sameVals(a.vals, b.vals, this.cmp)) return b.vals;
      }
    }
    for (const [e, doc] of entries) this.tree.set(e, doc);
    return undefined;
  }

  add(doc: Doc): void {
    const id = idKey(doc._id);
    for (const vals of this.keysOf(doc)) this.tree.set({ vals, id }, doc);
  }

  remove(doc: Doc): void {
    const id = idKey(doc._id);
    for (const vals of this.keysOf(doc)) this.tree.delete({ vals, id });
  }

  /** Documents whose key lies within per-field [lo, hi] bounds (inclusive), in index order. */
  *range(bounds: Array<{ lo: unknown; hi: unknown }>, reverse = false): Generator<Doc> {
    const lo: unknown[] = [];
    const hi: unknown[] = [];
    this.fields.forEach(([, dir], i) => {
      const b = bounds[i] ?? { lo: MIN, hi: MAX };
      if (dir === 1) { lo.push(b.lo); hi.push(b.hi); } else { lo.push(b.hi); hi.push(b.lo); }
    });
    const loE: Entry = { vals: lo, id: '' };
    const hiE: Entry = { vals: hi, id: '\uffff' };
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
    this.tree.clear();
  }
}

function sameVals(a: unknown[], b: unknown[], cmp: (a: unknown, b: unknown) => number): boolean {
  return a.length === b.length && a.every((v, i) => cmp(v, b[i]) === 0);
}

function dedupe(vals: unknown[], cmp: (a: unknown, b: unknown) => number): unknown[] {
  const out: unknown[] = [];
  for (const v of vals) if (!out.some((x) => cmp(x, v) === 0)) out.push(v);
  return out;
}

