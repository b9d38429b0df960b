// One collection: documents by _id in insertion order, its indexes, and the query planner that
// picks an index for equality/range predicates or for the sort order.
// BSON-aware numeric comparisons (see mingo.ts)
import { matcher } from './mingo.ts';
import { BSONRegExp, MinKey, MaxKey, ObjectId, calculateObjectSize } from 'bson';
import { compareValues, getOwn, setOwn, isPlainObject, isNumeric, toNumber } from './compare.ts';
import { Index, keyAt, type IndexSpec } from './indexes.ts';
import { CommandError } from './errors.ts';
import { idKey } from './storage/id-key.ts';
import { compactDocument } from './compact.ts';
import { decodeRaw, isRaw, rawIdKey } from './storage/raw-doc.ts';
import type { DeferredDocs } from './storage/types.ts';
import { valuesAtPath } from './paths.ts';
import { guardFilter } from './query-guard.ts';
import { fastMatcher } from './fast-match.ts';
import { literalRegexPrefix, regexPrefix } from './regex-prefix.ts';
import { sortComparator } from './sort.ts';
import { extractText, parseTextQuery, textScore, tokens } from './text.ts';
import { collationFor, type Collation } from './collation.ts';

export type Doc = Record<string, unknown>;

export interface Plan {
  /** 'COLLSCAN' or 'IXSCAN' */
  stage: 'COLLSCAN' | 'IXSCAN' | 'IDHACK';
  index?: string;
  /** True when documents come out already in the requested sort order. */
  sorted: boolean;
  docsExamined: number;
}

interface FieldPred {
  eq?: unknown[];
  lo?: unknown;
  hi?: unknown;
  /** The lower (upper) bound is a condition's ($gt/$gte, $lt/$lte), not its type's floor (ceiling). */
  loGiven?: boolean;
  hiGiven?: boolean;
  /**
   * The bounds come from separate conditions, which different elements of an array may meet:
   * { a: ['a', 'z'] } matches { a: { $gte: 'x', $lt: 'y' } }. Only $elemMatch's bounds hold for one element.
   */
  anyElement?: boolean;
  /** The bounds are an anchored regex's prefix: binary string order, so no index with a collation. */
  fromRegex?: boolean;
  /**
   * Several anchored regexes on the field (`$and: [{ a: /^x/ }, { a: /^y/ }]`): each one's range
   * holds every match, so the scan reads whichever has the fewest index entries (chosen at planning,
   * as MongoDB's planner tries the candidate plans).
   */
  choices?: Array<{ lo: unknown; hi: unknown }>;
}

/**
 * An anchored regex's prefix bounds the strings that can match (/^ngu/: from 'ngu' up to 'ngv'), as
 * in MongoDB's planner; one condition, so one element meets both bounds. A field already bounded by
 * a $gt/$lt keeps those bounds (a superset either way); another regex is one more choice.
 */
function regexBounds(p: FieldPred, re: { pattern: string; flags: string } | undefined): void {
  const prefix = re && regexPrefix(re.pattern, re.flags);
  const ceiling = prefix && prefixCeiling(prefix);
  if (!prefix || !ceiling) return;
  if (!p.loGiven && !p.hiGiven) {
    p.lo = prefix;
    p.hi = ceiling;
    p.loGiven = p.hiGiven = true;
    p.fromRegex = true;
    p.choices = [{ lo: prefix, hi: ceiling }];
  } else p.choices?.push({ lo: prefix, hi: ceiling });
}

/** Index entries counted per choice of range, at most: enough to tell a rare prefix from a common one. */
const CHOICE_PROBE = 1000;

/** The least string above every string that starts with `prefix` (its last code unit raised by one). */
function prefixCeiling(prefix: string): string | undefined {
  for (let end = prefix.length; end > 0; end--) {
    const last = prefix.charCodeAt(end - 1);
    if (last < 0xffff) return prefix.slice(0, end - 1) + String.fromCharCode(last + 1);
  }
  return undefined;
}

/** The $regex condition's pattern and flags (a RegExp, a BSON regular expression, or a string with $options). */
function regexOf(arg: unknown, options: unknown): { pattern: string; flags: string } | undefined {
  if (arg instanceof RegExp) return { pattern: arg.source, flags: arg.flags + (typeof options === 'string' ? options : '') };
  if (arg instanceof BSONRegExp) return { pattern: arg.pattern, flags: arg.options + (typeof options === 'string' ? options : '') };
  if (typeof arg === 'string') return { pattern: arg, flags: typeof options === 'string' ? options : '' };
  return undefined;
}

/**
 * The range of an index scan for predicate `p`. On a multikey index, bounds that different elements
 * may meet are not intersected (MongoDB's multikey bounds): the scan keeps the lower one (up to its
 * type's ceiling), or the upper one, and the filter decides; $elemMatch's bounds are intersected.
 */
function scanRange(p: FieldPred, multikey: boolean): { lo: unknown; hi: unknown } {
  const lo = p.lo ?? MIN;
  const hi = p.hi ?? MAX;
  if (!multikey || !p.anyElement || !(p.loGiven && p.hiGiven)) return { lo, hi };
  return { lo, hi: typeCeil(lo) };
}

/** Does the predicate exclude documents where the field is missing (so a sparse index holds every match)? */
function requiresValue(p: FieldPred | undefined): boolean {
  if (!p) return false;
  const bound = (v: unknown) => v !== undefined && v !== null && !(v instanceof MinKey) && !(v instanceof MaxKey);
  if (p.eq) return p.eq.length > 0 && p.eq.every((v) => v !== null && v !== undefined);
  return bound(p.lo) || bound(p.hi);
}

const MIN = new MinKey();
/** Documents decoded per turn of the event loop by prepare() (a few milliseconds of work). */
const PREPARE_SLICE = 1000;
const MAX = new MaxKey();

export class Collection {
  readonly db: string;
  name: string;
  options: Doc;
  private readonly _docs = new Map<string, Doc>();
  /** Documents loaded at start still as their BSON bytes (in order), decoded on first use. */
  private raw: Map<string, Doc | Uint8Array> | undefined;
  private rawIt: Iterator<[string, Doc | Uint8Array]> | undefined;

  /** Documents still in the snapshot file (a large section, read when first needed). */
  private onDisk: DeferredDocs | undefined;

  /** Documents by id key, in insertion order (decoding what a lazy load left undecoded). */
  get docs(): Map<string, Doc> {
    if (this.onDisk) this.readSync();
    if (this.raw) this.decodeSome(Infinity);
    return this._docs;
  }

  /** True while documents loaded at start are not all decoded yet (or not even read). */
  get undecoded(): boolean {
    return this.raw !== undefined || this.onDisk !== undefined;
  }

  /** True while the documents are still in the snapshot file. */
  get unread(): boolean {
    return this.onDisk !== undefined;
  }

  private corrupt(err: unknown): CommandError {
    return new CommandError('DataCorruptionDetected', `${this.ns}: ${(err as Error).message}`);
  }

  /** Reads the documents from the snapshot file, off the event loop (a command's or idle time's first use). */
  async read(): Promise<void> {
    const source = this.onDisk;
    if (!source) return;
    const docs = await source.load().catch((err: unknown) => {
      throw this.corrupt(err);
    });
    // A synchronous read (readSync) may have taken the same documents meanwhile.
    if (this.onDisk === source) this.adopt(docs as Map<string, Doc | Uint8Array>);
  }

  /** The same, blocking: for paths that need the documents synchronously (an index build, a snapshot). */
  private readSync(): void {
    const source = this.onDisk!;
    let docs: Map<string, Doc | Uint8Array>;
    try {
      docs = source.loadSync() as Map<string, Doc | Uint8Array>;
    } catch (err) {
      throw this.corrupt(err);
    }
    this.adopt(docs);
  }

  /** Takes documents read from storage (some still BSON bytes), in order. */
  private adopt(docs: Map<string, Doc | Uint8Array>): void {
    this.onDisk = undefined;
    let anyRaw = false;
    for (const [id, doc] of docs) {
      if (id[0] !== 'o') this.nonObjectIds++;
      if (isRaw(doc)) anyRaw = true;
    }
    if (anyRaw) {
      this.raw = docs;
      this.rawIt = undefined;
    } else for (const [id, doc] of docs) this._docs.set(id, compactDocument(doc as Doc));
  }

  private preparing: Promise<void> | undefined;

  /**
   * Decodes what a lazy load left as bytes, a slice per turn of the event loop, so that commands
   * on other collections (a ping, a session read) are answered meanwhile; with `indexes` (a write,
   * which maintains every index), also builds the deferred indexes, one per turn. Undefined when
   * there is nothing to do. A read builds only the index it uses, on first use (Index.ready):
   * building every index of a large collection first would keep it waiting for indexes it does not use.
   */
  prepare(indexes = false): Promise<void> | undefined {
    const deferred = () => [...this.indexes.values()].some((i) => i.deferred);
    if (!this.undecoded && !(indexes && deferred())) return undefined;
    const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
    const run = async (previous: Promise<void> | undefined) => {
      await previous;
      await this.read();
      while (this.decodeSome(PREPARE_SLICE)) await turn();
      if (!indexes) return;
      for (const index of this.indexes.values()) {
        if (!index.deferred) continue;
        index.ready();
        await turn();
      }
    };
    // A write arriving while a read's preparation runs waits for it, then builds the indexes.
    const p: Promise<void> = run(this.preparing).finally(() => {
      if (this.preparing === p) this.preparing = undefined;
    });
    this.preparing = p;
    return p;
  }

  /** Decodes up to `n` of the documents a lazy load left as bytes; false once none is left. */
  decodeSome(n: number): boolean {
    if (this.onDisk) this.readSync();
    const raw = this.raw;
    if (!raw) return false;
    const it = (this.rawIt ??= raw.entries());
    for (let i = 0; i < n; i++) {
      const next = it.next();
      if (next.done) {
        this.raw = undefined;
        this.rawIt = undefined;
        return false;
      }
      const [id, v] = next.value;
      this._docs.set(id, isRaw(v) ? (decodeRaw(v) as Doc) : compactDocument(v));
    }
    return true;
  }

  /** The documents for a snapshot: still-undecoded ones as their bytes (written as they are). */
  *snapshotDocs(): Generator<Doc | Uint8Array> {
    if (this.onDisk) this.readSync();
    if (!this.raw) {
      yield* this._docs.values();
      return;
    }
    // Decoded so far (in order), then the rest as bytes.
    yield* this._docs.values();
    const it = this.rawIt;
    if (!it) {
      yield* this.raw.values();
      return;
    }
    // What decodeSome has not reached yet; kept in a fresh map it starts over from.
    const rest = new Map<string, Doc | Uint8Array>();
    for (let next = it.next(); !next.done; next = it.next()) rest.set(next.value[0], next.value[1]);
    this.raw = rest;
    this.rawIt = undefined;
    yield* rest.values();
  }
  readonly indexes = new Map<string, Index>();
  /** How many documents ever stored had an _id other than an ObjectId (never decremented). */
  nonObjectIds = 0;

  constructor(db: string, name: string, options: Doc = {}) {
    this.db = db;
    this.name = name;
    this.options = options;
    this.indexes.set('_id_', new Index(this.idIndexSpec()));
  }

  /** The collection's default collation (undefined when simple). */
  get collation(): Collation | undefined {
    return collationFor(this.options.collation);
  }

  /** The _id index has the collection's default collation, as in MongoDB. */
  private idIndexSpec(): IndexSpec {
    const spec: IndexSpec = { v: 2, key: { _id: 1 }, name: '_id_' };
    if (this.collation) spec.collation = this.options.collation;
    return spec;
  }

  get ns(): string {
    return `${this.db}.${this.name}`;
  }

  private duplicate(index: Index, vals: unknown[]): CommandError {
    const keyPattern: Doc = {};
    const keyValue: Doc = {};
    index.fields.forEach(([f], i) => {
      setOwn(keyPattern, f, index.spec.key[f]);
      setOwn(keyValue, f, vals[i]);
    });
    const shown = Object.entries(keyValue).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(', ');
    return new CommandError('DuplicateKey', `E11000 duplicate key error collection: ${this.ns} index: ${index.name} dup key: { ${shown} }`, { keyPattern, keyValue });
  }

  /** Throws DuplicateKey when `doc` would violate a unique index (ignoring the document itself). */
  checkUnique(doc: Doc, selfId: string): void {
    for (const index of this.indexes.values()) {
      if (!index.unique) continue;
      const vals = index.conflict(doc, selfId);
      if (vals) throw this.duplicate(index, vals);
    }
  }

  insert(doc: Doc): void {
    if (doc._id === undefined) doc._id = new ObjectId();
    if (Array.isArray(doc._id)) throw new CommandError('InvalidIdField', 'The _id field cannot be an array');
    const id = idKey(doc._id);
    if (this.docs.has(id)) throw this.duplicate(this.indexes.get('_id_')!, [doc._id]);
    if (id[0] !== 'o') this.nonObjectIds++;
    this.checkUnique(doc, id);
    const stored = compactDocument(doc);
    for (const index of this.indexes.values()) index.add(stored, id);
    this.docs.set(id, stored);
  }

  replace(oldDoc: Doc, newDoc: Doc): void {
    const id = idKey(oldDoc._id);
    this.checkUnique(newDoc, id);
    const stored = compactDocument(newDoc);
    // An update changes few indexed fields: an index whose keys are the same only has its entries
    // pointed at the new document (no delete, insert and rebalancing).
    for (const index of this.indexes.values()) index.move(oldDoc, stored, id);
    this.docs.set(id, stored);
  }

  /**
   * A capped collection's oldest documents beyond its `max` count or `size` bytes (MongoDB rounds
   * the size up to a multiple of 256, at least 4096); removed here, returned for the journal.
   */
  trimCapped(): Doc[] {
    if (this.options.capped !== true && !(isNumeric(this.options.capped) && toNumber(this.options.capped) !== 0)) return [];
    const max = isNumeric(this.options.max) ? toNumber(this.options.max) : 0;
    const size = Math.max(4096, Math.ceil(toNumber(this.options.size) / 256) * 256);
    const sizes: Array<[Doc, number]> = [];
    let bytes = 0;
    for (const d of this.docs.values()) {
      const n = calculateObjectSize(d);
      sizes.push([d, n]);
      bytes += n;
    }
    const removed: Doc[] = [];
    let count = sizes.length;
    for (const [d, n] of sizes) {
      if (count <= 1 || ((max <= 0 || count <= max) && bytes <= size)) break;
      this.remove(d);
      removed.push(d);
      count--;
      bytes -= n;
    }
    return removed;
  }

  remove(doc: Doc): void {
    const id = idKey(doc._id);
    for (const index of this.indexes.values()) index.remove(doc, id);
    this.docs.delete(id);
  }

  /** Builds one index left for later by a lazy load; false when none is left. */
  buildDeferredIndex(): boolean {
    for (const index of this.indexes.values()) {
      if (index.deferred) {
        index.ready();
        return true;
      }
    }
    return false;
  }

  /** Builds an index over the existing documents; refuses when existing data violates uniqueness. */
  addIndex(spec: IndexSpec): Index {
    const index = new Index(spec);
    const duplicate = index.build(this.docs);
    if (duplicate) {
      index.clear();
      throw this.duplicate(index, duplicate);
    }
    this.indexes.set(spec.name, index);
    return index;
  }

  /**
   * Loads documents known to be valid (recovery at start). With `lazy`, the indexes are built on
   * their first use (or by buildDeferredIndex in idle time), not before the server starts serving.
   */
  load(docs: Iterable<Doc>, specs: IndexSpec[], lazy = false, deferred?: DeferredDocs): void {
    if (lazy) {
      // Documents still as bytes (from a snapshot) stay so until first use; the rest are set now;
      // a section still on disk is read when first needed (read(), readSync()).
      if (deferred) this.onDisk = deferred;
      else {
        const raw = new Map<string, Doc | Uint8Array>();
        for (const doc of docs as Iterable<Doc | Uint8Array>) raw.set(isRaw(doc) ? rawIdKey(Buffer.from(doc.buffer, doc.byteOffset, doc.byteLength)) : idKey(doc._id), doc);
        this.adopt(raw);
      }
      const source = () => this.docs;
      for (const spec of [this.idIndexSpec(), ...specs.filter((x) => x.name !== '_id_')]) {
        const index = new Index(spec);
        index.defer(source);
        this.indexes.set(spec.name, index);
      }
      return;
    }
    for (const doc of docs) {
      const id = idKey(doc._id);
      if (id[0] !== 'o') this.nonObjectIds++;
      this.docs.set(id, doc);
    }
    const idIndex = new Index(this.idIndexSpec());
    idIndex.build(this.docs);
    this.indexes.set('_id_', idIndex);
    for (const spec of specs) if (spec.name !== '_id_') this.addIndex(spec);
  }

  /** Candidate documents for `filter` (a superset; callers still match) and how they were found. */
  plan(filter: Doc, sort?: Doc, collation?: Collation): { docs: Iterable<Doc>; plan: Plan } {
    return this.planWith(filter, sort, collation);
  }

  /**
   * The plan, and with `count` set, the number of matching documents when the index alone answers
   * it: then `counted` is set and no document is read. That is when every predicate of the filter is
   * an equality or $in on the index's leading fields (the index not multikey), or those and, on the
   * next field, one anchored regex that is all literal (/^ngu/: the strings in its range are exactly
   * its matches; each document counted once, multikey or not). `countCap`: counting may stop there.
   */
  private planWith(filter: Doc, sort?: Doc, collation?: Collation, count = false, countCap = Infinity): { docs: Iterable<Doc>; plan: Plan; counted?: number } {
    // $or branches that cannot match ({ f: { $in: [] } }) are dropped and a single remaining branch
    // joins the surrounding $and, so its predicates can use an index (a scope filter such as
    // { $or: [{ institute: X }, { call: { $in: [] } }] } is { institute: X }).
    filter = simplifyFilter(filter);
    const preds = extractPredicates(filter);
    // An index orders strings by its own collation: with another one it serves only predicates
    // on other types, and never a sort.
    const sameCollation = (index: Index) => (index.collation?.key ?? '') === (collation?.key ?? '');
    const usable = (index: Index, p: FieldPred) =>
      (sameCollation(index) || ![...(p.eq ?? []), p.lo, p.hi].some((v) => typeof v === 'string')) && !(p.fromRegex && index.collation);
    // _id equality: direct lookup (binary equality: only when the query's collation is simple or no value is a string)
    const idPred = preds.get('_id');
    if (idPred?.eq && idPred.eq.length <= 100 && (!collation || !idPred.eq.some((v) => typeof v === 'string'))) {
      const out: Doc[] = [];
      for (const v of idPred.eq) {
        const d = this.docs.get(idKey(v));
        if (d) out.push(d);
      }
      return { docs: out, plan: { stage: 'IDHACK', index: '_id_', sorted: out.length <= 1, docsExamined: out.length } };
    }

    let best: { index: Index; score: number; eqCount: number } | undefined;
    for (const index of this.indexes.values()) {
      if (index.spec.partialFilterExpression) continue; // it omits documents
      // A sparse index omits documents that have none of its fields: usable only when the filter
      // requires a value (not null) on one of them, as MongoDB's planner decides.
      if (index.spec.sparse && !index.fields.some(([path]) => requiresValue(preds.get(path)))) continue;
      let score = 0;
      let eqCount = 0;
      for (const [path] of index.fields) {
        const p = preds.get(path);
        if (p && !usable(index, p)) break;
        if (p?.eq) { score += 2; eqCount++; continue; }
        if (p && (p.lo !== undefined || p.hi !== undefined)) score += 1;
        break;
      }
      if (score > 0 && (!best || score > best.score || (score === best.score && index.fields.length < best.index.fields.length))) {
        best = { index, score, eqCount };
      }
    }

    const sortEntries = sort ? Object.entries(sort) : [];
    const sortable = (index: Index, from: number): 'fwd' | 'rev' | undefined => {
      if (sortEntries.length === 0 || index.multikey || !sameCollation(index)) return undefined;
      // Entries with equal keys are ordered by the document's id (ascending): with ObjectId _ids
      // only, that is the order of `_id`, so a trailing { _id: ±1 } is served too.
      const idTail = from + sortEntries.length === index.fields.length + 1 && sortEntries[sortEntries.length - 1]![0] === '_id' && this.nonObjectIds === 0;
      if (from + sortEntries.length > index.fields.length && !idTail) return undefined;
      let dir: 'fwd' | 'rev' | undefined;
      for (let i = 0; i < sortEntries.length; i++) {
        const [path, d] = sortEntries[i]!;
        if (typeof d !== 'number') return undefined;
        const field = index.fields[from + i];
        if (!field) {
          const here = d < 0 ? 'rev' : 'fwd';
          if (dir && dir !== here) return undefined;
          return here;
        }
        const [ipath, idir] = field;
        if (path !== ipath) return undefined;
        const here = (d < 0 ? -1 : 1) === idir ? 'fwd' : 'rev';
        if (dir && dir !== here) return undefined;
        dir = here;
      }
      return dir;
    };

    if (best) {
      const { index, eqCount } = best;
      // Point lookups: cartesian product of the equality values, capped.
      let prefixes: unknown[][] = [[]];
      for (let i = 0; i < eqCount; i++) {
        const vals = preds.get(index.fields[i]![0])!.eq!;
        const next: unknown[][] = [];
        for (const p of prefixes) for (const v of vals) next.push([...p, v]);
        prefixes = next;
        if (prefixes.length > 500) break;
      }
      if (prefixes.length <= 500) {
        const rangeField = index.fields[eqCount];
        const rp = rangeField ? preds.get(rangeField[0]) : undefined;
        const points = (prefix: unknown[]) => prefix.map((v) => ({ lo: v, hi: v }));
        let range = rp && !rp.eq ? scanRange(rp, index.multikey) : undefined;
        if (rp?.choices && rp.choices.length > 1 && !rp.anyElement) {
          // The regex whose range holds the fewest entries (over every equality prefix).
          let fewest = Infinity;
          for (const choice of rp.choices) {
            let n = 0;
            for (const prefix of prefixes) {
              n += index.countRangeUpTo([...points(prefix), choice], CHOICE_PROBE - n);
              if (n >= CHOICE_PROBE) break;
            }
            if (n < fewest) {
              fewest = n;
              range = choice;
            }
          }
        }
        const boundsOf = (prefix: unknown[]) => (range ? [...points(prefix), range] : points(prefix));
        if (count && !index.multikey && coveredByPrefix(filter, index, eqCount)) {
          let n = 0;
          for (const prefix of prefixes) n += index.countRange(boundsOf(prefix));
          return { docs: [], plan: { stage: 'IXSCAN', index: index.name, sorted: true, docsExamined: 0 }, counted: n };
        }
        const literal = count && rangeField && range ? coveredByPrefixAndRegex(filter, index, eqCount) : undefined;
        if (literal !== undefined && range && (range as { lo: unknown }).lo === literal) {
          const at = eqCount;
          const counted = index.countDocumentsUpTo(prefixes.map(boundsOf), (e) => { const v = keyAt(e, at); return typeof v === 'string' && v.startsWith(literal); }, countCap, `${at}:${literal}`);
          return { docs: [], plan: { stage: 'IXSCAN', index: index.name, sorted: true, docsExamined: 0 }, counted };
        }
        const order = sortable(index, eqCount);
        if (order && prefixes.length > 1) {
          // Several equality prefixes ($in), each range already in sort order: merged, so the
          // documents come out sorted and a limit stops the scan early.
          const docs = index.mergeRanges(prefixes.map(boundsOf), eqCount, order === 'rev');
          return { docs, plan: { stage: 'IXSCAN', index: index.name, sorted: true, docsExamined: 0 } };
        }
        const docs = (function* () {
          const seen = index.multikey ? new Set<string>() : undefined;
          for (const prefix of prefixes) {
            for (const d of index.range(boundsOf(prefix), order === 'rev')) {
              if (seen) {
                const k = idKey(d._id);
                if (seen.has(k)) continue;
                seen.add(k);
              }
              yield d;
            }
          }
        })();
        return { docs, plan: { stage: 'IXSCAN', index: index.name, sorted: order !== undefined && prefixes.length === 1, docsExamined: 0 } };
      }
    }

    // No selective index: an index that yields the sort order still avoids an in-memory sort.
    if (sortEntries.length) {
      for (const index of this.indexes.values()) {
        if (index.spec.partialFilterExpression || index.spec.sparse) continue;
        const order = sortable(index, 0);
        if (order) {
          return { docs: index.range([], order === 'rev'), plan: { stage: 'IXSCAN', index: index.name, sorted: true, docsExamined: 0 } };
        }
      }
    }
    return { docs: this.docs.values(), plan: { stage: 'COLLSCAN', sorted: sortEntries.length === 0, docsExamined: 0 } };
  }

  /** $text through the collection's text index: candidates by term, then scored and filtered. */
  private textFind(arg: unknown, rest: Doc, opts: FindOptions): FindResult {
    const index = [...this.indexes.values()].find((i) => i.text);
    if (!index) throw new CommandError('IndexNotFound', 'text index required for $text query');
    const q = parseTextQuery(arg);
    const matcher = compileFilter(rest, opts.collation);
    const seen = new Set<Doc>();
    const scores = new Map<Doc, number>();
    for (const term of q.terms) {
      for (const key of tokens(term)) {
        for (const d of index.range([{ lo: key, hi: key }])) {
          if (seen.has(d)) continue;
          seen.add(d);
          const s = textScore(d, index.text!, q);
          if (s !== undefined && matcher(d)) scores.set(d, s);
        }
      }
    }
    let docs = [...scores.keys()];
    if (opts.sort && Object.keys(opts.sort).length) docs.sort(sortComparator(opts.sort, opts.collation, (d) => scores.get(d) ?? 0));
    const skip = opts.skip ?? 0;
    docs = docs.slice(skip, opts.limit && opts.limit > 0 ? skip + opts.limit : undefined);
    return { docs, plan: { stage: 'IXSCAN', index: index.name, sorted: true, docsExamined: seen.size }, scores };
  }

  /**
   * The number of documents matching `filter`, past the first `skip` and at most `limit` (0: no
   * limit), as the count command and countDocuments answer: from the index alone when it covers
   * the filter, else matching stops at skip + limit documents.
   */
  count(filter: Doc, collation?: Collation, skip = 0, limit = 0): number {
    let n: number | undefined;
    if (Object.keys(filter).length === 0) n = this.docs.size;
    else if (!extractText(filter)) n = this.planWith(filter, undefined, collation, true, limit > 0 ? skip + limit : Infinity).counted;
    n ??= this.find(filter, { collation, limit: limit > 0 ? skip + limit : undefined }).docs.length;
    n = Math.max(0, n - skip);
    return limit > 0 ? Math.min(n, limit) : n;
  }

  /** Matching documents, sorted, skipped and limited. */
  find(filter: Doc, opts: FindOptions = {}): FindResult {
    const text = extractText(filter);
    if (text) return this.textFind(text.text, text.rest, opts);
    const matcher = compileFilter(filter, opts.collation);
    const { docs, plan } = this.plan(filter, opts.sort, opts.collation);
    const out: Doc[] = [];
    const skip = opts.skip ?? 0;
    const limit = opts.limit && opts.limit > 0 ? opts.limit : Infinity;
    const sorted = plan.sorted || !opts.sort || Object.keys(opts.sort).length === 0;
    let examined = 0;
    let skipped = 0;
    for (const d of docs) {
      examined++;
      if (!matcher(d)) continue;
      if (sorted) {
        if (skipped < skip) { skipped++; continue; }
        out.push(d);
        if (out.length >= limit) break;
      } else out.push(d);
    }
    plan.docsExamined = examined;
    if (sorted) return { docs: out, plan };
    out.sort(sortComparator(opts.sort!, opts.collation));
    return { docs: out.slice(skip, limit === Infinity ? undefined : skip + limit), plan };
  }
}


/**
 * $or branches that cannot match anything (a field `{ $in: [] }`) are removed; an $or left with one
 * branch becomes part of the enclosing $and. Nested $and are kept (extractPredicates walks them).
 * The result matches exactly the same documents; it is used for planning only.
 */
export function simplifyFilter(filter: Doc): Doc {
  let changed = false;
  const and: Doc[] = [];
  const out: Doc = {};
  for (const k of Object.keys(filter)) {
    const v = filter[k];
    if (k === '$and' && Array.isArray(v) && v.every(isPlainObject)) {
      const subs = (v as Doc[]).map((x) => simplifyFilter(x));
      if (subs.some((x, i) => x !== v[i])) changed = true;
      setOwn(out, k, subs);
      continue;
    }
    if (k === '$or' && Array.isArray(v) && v.length > 0 && v.every(isPlainObject)) {
      const branches = (v as Doc[]).map((x) => simplifyFilter(x)).filter((b) => !unsatisfiable(b));
      if (branches.length === 1) {
        and.push(branches[0]!);
        changed = true;
        continue;
      }
      if (branches.length > 0 && branches.length < v.length) {
        setOwn(out, k, branches);
        changed = true;
        continue;
      }
    }
    setOwn(out, k, v);
  }
  if (!changed) return filter;
  if (and.length === 0) return out;
  const existing = Array.isArray(out.$and) ? (out.$and as Doc[]) : [];
  const rest: Doc = {};
  for (const k of Object.keys(out)) if (k !== '$and') setOwn(rest, k, out[k]);
  return { $and: [rest, ...existing, ...and] };
}

/** A filter no document can match: a field `{ $in: [] }` at its top level or in its $and. */
function unsatisfiable(f: Doc): boolean {
  for (const k of Object.keys(f)) {
    const v = f[k];
    if (k === '$and' && Array.isArray(v)) {
      if (v.some((x) => isPlainObject(x) && unsatisfiable(x))) return true;
      continue;
    }
    if (k.startsWith('$')) continue;
    if (isPlainObject(v) && Object.keys(v).length === 1 && Array.isArray(v.$in) && v.$in.length === 0) return true;
  }
  return false;
}

/**
 * Does the index's range over its first `eqCount` fields hold exactly the documents matching
 * `filter`? True when every condition of the filter (top level and $and) is an equality on a scalar,
 * `$eq` or `$in` of scalars, each on one of those fields and each field named once.
 */
function coveredByPrefix(filter: Doc, index: Index, eqCount: number): boolean {
  return coveredFilter(filter, index, eqCount, false) !== undefined;
}

/**
 * The literal prefix of the anchored regex when the filter is exactly those equalities and one
 * anchored regex that is all literal (no pattern after its prefix; flags that keep it a prefix) on
 * the next field. Undefined otherwise.
 */
function coveredByPrefixAndRegex(filter: Doc, index: Index, eqCount: number): string | undefined {
  if (index.collation) return undefined;
  return coveredFilter(filter, index, eqCount, true)?.literal;
}

/** The two checks above: undefined when not covered; `literal` set when `withRegex` found the regex. */
function coveredFilter(filter: Doc, index: Index, eqCount: number, withRegex: boolean): { literal?: string } | undefined {
  const eqFields = new Set(index.fields.slice(0, eqCount).map(([f]) => f));
  const regexPath = withRegex ? index.fields[eqCount]?.[0] : undefined;
  if (withRegex && regexPath === undefined) return undefined;
  const seen = new Set<string>();
  let literal: string | undefined;
  const visit = (f: Doc): boolean => {
    for (const k of Object.keys(f)) {
      const v = f[k];
      if (k === '$and') {
        if (!Array.isArray(v) || !v.every((x) => isPlainObject(x) && visit(x))) return false;
        continue;
      }
      if (k.startsWith('$') || seen.has(k)) return false;
      seen.add(k);
      if (k === regexPath) {
        const re = v instanceof RegExp || v instanceof BSONRegExp ? regexOf(v, undefined) : isOperatorObject(v) && Object.keys(v).every((o) => o === '$regex' || o === '$options') ? regexOf(v.$regex, v.$options) : undefined;
        const prefix = re && literalRegexPrefix(re.pattern, re.flags);
        if (!prefix) return false;
        literal = prefix;
        continue;
      }
      if (!eqFields.has(k)) return false;
      if (scalar(v)) continue;
      if (!isOperatorObject(v) || Object.keys(v).length !== 1) return false;
      if ('$eq' in v && scalar(v.$eq)) continue;
      if (Array.isArray(v.$in) && v.$in.length > 0 && v.$in.every(scalar)) continue;
      return false;
    }
    return true;
  };
  if (!visit(filter)) return undefined;
  if (withRegex) return literal !== undefined && seen.size === eqFields.size + 1 ? { literal } : undefined;
  return seen.size === eqFields.size ? {} : undefined;
}

/**
 * Fast matcher for the most common filters: only plain-path equalities with a string, number,
 * boolean, ObjectId or Date value ({ _id }, { email }, { case, status }). Building a mingo Query
 * copies mingo's whole operator context, which dominated the cost (and garbage) of point lookups.
 * Semantics as MongoDB's: a value at the path, or an element of an array there, equals the value.
 */
function simpleEquality(filter: Doc): ((d: Doc) => boolean) | undefined {
  const entries = Object.entries(filter);
  for (const [k, v] of entries) {
    if (k.startsWith('$') || k.includes('$')) return undefined;
    const ok = typeof v === 'string' || (typeof v === 'number' && !Number.isNaN(v)) || typeof v === 'boolean' || v instanceof ObjectId || v instanceof Date;
    if (!ok) return undefined;
  }
  const eq = (x: unknown, v: unknown) => x === v || (typeof x === 'object' && x !== null && compareValues(x, v) === 0);
  // Only names an object inherits (constructor, __proto__, toString, …) need the own-field check.
  const inherited = entries.map(([k]) => k in Object.prototype);
  return (d) => {
    for (let i = 0; i < entries.length; i++) {
      const [k, v] = entries[i]!;
      const top = k.includes('.') ? undefined : inherited[i] ? getOwn(d, k) : d[k];
      if (top !== undefined && !Array.isArray(top)) {
        if (!eq(top, v)) return false;
        continue;
      }
      const hit = valuesAtPath(d, k).some((x) => eq(x, v) || (Array.isArray(x) && x.some((y) => eq(y, v))));
      if (!hit) return false;
    }
    return true;
  };
}

export function compileFilter(filter: Doc | undefined, collation?: Collation): (d: Doc) => boolean {
  if (!filter || Object.keys(filter).length === 0) return () => true;
  const fast = collation ? undefined : simpleEquality(filter);
  if (fast) return fast;
  guardFilter(filter, 'find', false);
  if (collation) return matcher(filter, { collation: collation.spec });
  // mingo only for the filters, and the documents, the compiled matcher cannot decide (fast-match.ts).
  return fastMatcher(filter, () => matcher(filter)) ?? matcher(filter);
}

function isOperatorObject(v: unknown): v is Doc {
  return isPlainObject(v) && Object.keys(v).length > 0 && Object.keys(v).every((k) => k.startsWith('$'));
}

function scalar(v: unknown): boolean {
  return !(Array.isArray(v) || isPlainObject(v) || v instanceof RegExp || v === null || v === undefined);
}

function typeFloor(v: unknown): unknown {
  if (isNumeric(v)) return -Infinity;
  if (v instanceof Date) return new Date(-8.64e15);
  if (typeof v === 'string') return '';
  return MIN;
}
function typeCeil(v: unknown): unknown {
  if (isNumeric(v)) return Infinity;
  if (v instanceof Date) return new Date(8.64e15);
  return MAX;
}

/**
 * Per-field equality and range predicates an index can serve (top level, $and, and the fields of an
 * $elemMatch as dotted paths: a document matching `{ a: { $elemMatch: { b: 1 } } }` has 1 among its
 * `a.b` values, so the `a.b` index range holds it, as MongoDB's multikey bounds do).
 */
export function extractPredicates(filter: Doc): Map<string, FieldPred> {
  const preds = new Map<string, FieldPred>();
  // `element`: inside an $elemMatch on the elements themselves, where one element meets every bound.
  const visit = (f: Doc, prefix: string, element = false) => {
    for (const [key, v] of Object.entries(f)) {
      if (key === '$and' && Array.isArray(v)) {
        for (const sub of v) if (isPlainObject(sub)) visit(sub, prefix);
        continue;
      }
      if (key.startsWith('$')) continue;
      const k = prefix + key;
      const p: FieldPred = preds.get(k) ?? {};
      if (scalar(v)) p.eq = [v];
      else if (v instanceof RegExp || v instanceof BSONRegExp) regexBounds(p, regexOf(v, undefined));
      else if (isOperatorObject(v)) {
        for (const [op, arg] of Object.entries(v)) {
          if (op === '$eq' && scalar(arg)) p.eq = [arg];
          else if (op === '$in' && Array.isArray(arg) && arg.length > 0 && arg.every(scalar)) p.eq = [...arg].sort(compareValues);
          else if ((op === '$gt' || op === '$gte') && scalar(arg)) {
            p.lo = arg;
            p.loGiven = true;
            p.choices = undefined;
            if (!p.hiGiven) p.hi = typeCeil(arg);
            if (!element) p.anyElement = true;
          } else if ((op === '$lt' || op === '$lte') && scalar(arg)) {
            p.hi = arg;
            p.hiGiven = true;
            p.choices = undefined;
            if (!p.loGiven) p.lo = typeFloor(arg);
            if (!element) p.anyElement = true;
          } else if (op === '$regex') {
            regexBounds(p, regexOf(arg, v.$options));
          } else if (op === '$elemMatch' && isPlainObject(arg)) {
            // Operators on the elements themselves ({ $gte: 1 }) bound the path, for one element;
            // fields bound its sub-paths (kept apart: a sub-path may hold arrays of its own).
            if (isOperatorObject(arg)) visit({ [key]: arg }, prefix, true);
            else visit(arg, `${k}.`);
          }
        }
      }
      if (p.eq || p.lo !== undefined || p.hi !== undefined) preds.set(k, p);
    }
  };
  visit(filter, '');
  return preds;
}

export { sortComparator };

export interface FindOptions {
  sort?: Doc;
  skip?: number;
  limit?: number;
  collation?: Collation;
}

export interface FindResult {
  docs: Doc[];
  plan: Plan;
  /** Text scores of the documents, when the filter has $text. */
  scores?: Map<Doc, number>;
}

