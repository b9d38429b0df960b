// mingo with BSON-aware comparison query operators. mingo compares values only when their JS types
// match, so a Long beyond 2^53 or a Decimal128 never equals/exceeds a plain number (and two
// Decimal128s compare as strings). MongoDB compares every numeric type by value: $eq, $ne, $gt,
// $gte, $lt, $lte, $in and $nin are wrapped here to do that, $type knows BSON types, and
// everything else is mingo's own.
import { Context, ProcessingMode } from 'mingo';
import { evalExpr } from 'mingo/core';
import { Query as BaseQuery } from 'mingo/query';
import { Aggregator as BaseAggregator } from 'mingo/aggregator';
import * as queryOps from 'mingo/operators/query';
import * as projectionOps from 'mingo/operators/projection';
import * as pipelineOps from 'mingo/operators/pipeline';
import * as expressionOps from 'mingo/operators/expression';
import * as accumulatorOps from 'mingo/operators/accumulator';
import * as windowOps from 'mingo/operators/window';
import { resolve } from 'mingo/util';
import { bsonTypeName, compareValues, isNumeric, isPlainObject, toNumber } from './compare.ts';
import { CommandError } from './errors.ts';
import { guardFilter } from './query-guard.ts';
import { collationFor, type Collation } from './collation.ts';
import { sortComparator } from './sort.ts';
import { Lazy } from 'mingo/lazy';
import { compileProjection } from './projection.ts';

type Op = (selector: string, value: unknown, options: unknown) => (o: unknown) => boolean;
type AnyOpts = Record<string, unknown>;

/** Numeric leaves at `selector` (array elements included, nested arrays flattened). */
function numericLeaves(o: unknown, selector: string, out: unknown[] = []): unknown[] {
  const walk = (v: unknown) => {
    if (Array.isArray(v)) for (const x of v) walk(x);
    else if (isNumeric(v)) out.push(v);
  };
  walk(resolve(o as never, selector, { unwrapArray: true } as never));
  return out;
}

function collationOf(options: unknown): Collation | undefined {
  const spec = (options as { collation?: unknown } | undefined)?.collation;
  return spec ? collationFor(spec) : undefined;
}

function hasString(v: unknown): boolean {
  if (typeof v === 'string') return true;
  if (Array.isArray(v)) return v.some(hasString);
  if (isPlainObject(v)) return Object.keys(v).some((k) => hasString(v[k]));
  return false;
}

/** Values a predicate on `selector` is tested against: the value, and array elements (two levels). */
function candidates(o: unknown, selector: string): unknown[] {
  const v = resolve(o as never, selector, { unwrapArray: true } as never);
  if (!Array.isArray(v)) return [v];
  const out: unknown[] = [v];
  for (const el of v) {
    out.push(el);
    if (Array.isArray(el)) out.push(...el);
  }
  return out;
}

function numericComparison(orig: Op, test: (c: number) => boolean): Op {
  return (selector, value, options) => {
    const collation = collationOf(options);
    // Under a collation strings compare by it (and only with strings, as in MongoDB's type brackets).
    if (collation && typeof value === 'string') {
      return (o) => candidates(o, selector).some((v) => typeof v === 'string' && test(collation.compareStrings(v, value)));
    }
    if (!isNumeric(value)) return orig(selector, value, options);
    return (o) => numericLeaves(o, selector).some((v) => test(compareValues(v, value)));
  };
}

function numericEquality(orig: Op): Op {
  return (selector, value, options) => {
    const collation = collationOf(options);
    if (collation && hasString(value)) return (o) => candidates(o, selector).some((v) => collation.compare(v, value) === 0);
    const base = orig(selector, value, options);
    if (!isNumeric(value)) return base;
    return (o) => base(o) || numericLeaves(o, selector).some((v) => compareValues(v, value) === 0);
  };
}

function numericIn(orig: Op): Op {
  return (selector, value, options) => {
    const base = orig(selector, value, options);
    const collation = collationOf(options);
    if (collation && Array.isArray(value) && value.some(hasString)) {
      const plain = value.filter((v) => !(v instanceof RegExp));
      return (o) => base(o) || candidates(o, selector).some((c) => plain.some((v) => collation.compare(c, v) === 0));
    }
    const nums = Array.isArray(value) ? value.filter(isNumeric) : [];
    if (nums.length === 0) return base;
    return (o) => base(o) || numericLeaves(o, selector).some((v) => nums.some((n) => compareValues(v, n) === 0));
  };
}

// $type by BSON type name or number; mingo knows only JS types (a Long is not 'long' to it).
const TYPE_CODES: Record<number, string> = {
  1: 'double', 2: 'string', 3: 'object', 4: 'array', 5: 'binData', 6: 'undefined', 7: 'objectId', 8: 'bool', 9: 'date',
  10: 'null', 11: 'regex', 13: 'javascript', 16: 'int', 17: 'timestamp', 18: 'long', 19: 'decimal', [-1]: 'minKey', 127: 'maxKey',
};
const $type: Op = (selector, value) => {
  const wanted = (Array.isArray(value) ? value : [value]).map((t) => (isNumeric(t) ? TYPE_CODES[toNumber(t)] ?? String(t) : String(t)));
  const test = (v: unknown) => wanted.some((w) => (w === 'number' ? isNumeric(v) : bsonTypeName(v) === w));
  return (o) => {
    const lhs = resolve(o as never, selector, { unwrapArray: true } as never);
    if (lhs === undefined) return false;
    return test(lhs) || (Array.isArray(lhs) && lhs.some(test));
  };
};

const q = queryOps as unknown as Record<string, Op>;
const $eq = numericEquality(q.$eq!);
const $in = numericIn(q.$in!);

// MongoDB's $all is an $and of equalities ({ $elemMatch } entries aside), so `{ f: { $all: [v] } }`
// matches a scalar f equal to v as well as an array holding v; mingo's matches arrays only.
const $all: Op = (selector, value, options) => {
  if (!Array.isArray(value)) throw new CommandError('BadValue', '$all needs an array');
  if (value.length === 0) return () => false;
  const tests = value.map((v) => {
    if (v instanceof RegExp) return q.$regex!(selector, v, options);
    if (isPlainObject(v) && Object.keys(v)[0] === '$elemMatch') return q.$elemMatch!(selector, v.$elemMatch, options);
    return $eq(selector, v, options);
  });
  return (o) => tests.every((t) => t(o));
};

// MongoDB's $count emits nothing for empty input (mingo emits { name: 0 }).
const pl = pipelineOps as unknown as Record<string, (coll: { size(): number }, expr: unknown, options: unknown) => unknown>;
// $sort in BSON order (mingo's own order is JavaScript's), by the pipeline's collation.
function $sort(coll: { transform(f: (items: unknown[]) => unknown): unknown }, spec: unknown, options: unknown): unknown {
  if (!isPlainObject(spec) || Object.keys(spec).length === 0) throw new CommandError('Location15976', '$sort stage must have at least one sort key');
  const cmp = sortComparator(spec, collationOf(options));
  return coll.transform((items) => Lazy((items as Record<string, unknown>[]).sort(cmp)));
}

// mingo groups by its own hashing: exact equality. Under a non-simple collation the groups the
// native $group (fast-pipeline.ts) cannot form are refused rather than grouped wrongly.
function $group(coll: unknown, expr: unknown, options: unknown): unknown {
  if (collationOf(options)) throw new CommandError('NotImplemented', '$group under a non-simple collation is supported only with field-path keys and $sum/$avg/$min/$max/$first/$last/$push/$addToSet (embedded-mongo)');
  return pl.$group!(coll as never, expr, options);
}

// A $project of only inclusions/exclusions runs as find's projection (projection.ts), which keeps
// a field named __proto__ as data (mingo's copies assign it, replacing the output's prototype).
function $project(coll: { map(f: (d: unknown) => unknown): unknown }, expr: unknown, options: unknown): unknown {
  if (isPlainObject(expr) && Object.keys(expr).length > 0 && Object.keys(expr).every((k) => { const v = expr[k]; return typeof v === 'boolean' || (typeof v === 'number' && (v === 0 || v === 1)); })) {
    const project = compileProjection(expr);
    return coll.map((d) => project(d as Record<string, unknown>));
  }
  return pl.$project!(coll as never, expr, options);
}

// Later $match stages refuse what a find refuses, with the aggregation's own messages.
function $match(coll: { size(): number }, expr: unknown, options: unknown): unknown {
  if (!isPlainObject(expr)) return pl.$match!(coll, expr, options);
  guardFilter(expr, 'match');
  // mingo's own $match keeps the pipeline's variables ($lookup's `let`); a filter through a
  // __proto__ field needs the aliasing matcher.
  if (!mentionsProto(expr)) return pl.$match!(coll, expr, options);
  const test = matcher(expr, { collation: (options as { collation?: unknown } | undefined)?.collation });
  return (coll as unknown as { filter(f: (d: unknown) => boolean): unknown }).filter(test);
}

function $count(coll: { size(): number }, expr: unknown, options: unknown): unknown {
  const out = pl.$count!(coll, expr, options) as { filter(f: (r: Record<string, number>) => boolean): unknown };
  return out.filter((r) => r[expr as string]! > 0);
}

const CONTEXT = Context.init({
  query: {
    ...queryOps,
    $eq,
    $ne: ((s, v, opts) => { const f = $eq(s, v, opts); return (o: unknown) => !f(o); }) as Op,
    $in,
    $nin: ((s, v, opts) => { const f = $in(s, v, opts); return (o: unknown) => !f(o); }) as Op,
    $gt: numericComparison(q.$gt!, (c) => c > 0),
    $gte: numericComparison(q.$gte!, (c) => c >= 0),
    $lt: numericComparison(q.$lt!, (c) => c < 0),
    $lte: numericComparison(q.$lte!, (c) => c <= 0),
    $type,
    $all,
  },
  projection: projectionOps,
  pipeline: { ...pipelineOps, $count, $match, $sort, $group, $project },
  expression: expressionOps,
  accumulator: accumulatorOps,
  window: windowOps,
} as never);

const withContext = (options?: AnyOpts): AnyOpts => ({ ...options, context: CONTEXT });

export class Query extends BaseQuery {
  constructor(condition: unknown, options?: AnyOpts) {
    super(condition as never, withContext(options) as never);
  }
}

export class Aggregator extends BaseAggregator {
  constructor(pipeline: unknown, options?: AnyOpts) {
    super(pipeline as never, withContext(options) as never);
  }
}

export { ProcessingMode };

// mingo refuses (or mis-reads) a selector through a field named __proto__. When a filter names
// one, the filter and each document it tests are read with that name replaced by an alias no BSON
// field can have (it holds a NUL), so mingo sees an ordinary field and never a prototype.
const PROTO_ALIAS = '\u0000__proto__';

function aliasKey(k: string): string {
  return k === '__proto__' ? PROTO_ALIAS : k.includes('__proto__') ? k.split('.').map((s) => (s === '__proto__' ? PROTO_ALIAS : s)).join('.') : k;
}

function mentionsProto(v: unknown): boolean {
  if (Array.isArray(v)) return v.some(mentionsProto);
  if (!isPlainObject(v)) return false;
  return Object.keys(v).some((k) => aliasKey(k) !== k || mentionsProto(v[k]));
}

function aliased(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(aliased);
  if (!isPlainObject(v)) return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) out[aliasKey(k)] = aliased(v[k]);
  return out;
}

/** A predicate for `filter` (mingo's query language with this module's operators). */
export function matcher(filter: unknown, options?: AnyOpts): (doc: unknown) => boolean {
  if (mentionsProto(filter)) {
    const q = new Query(aliased(filter), options);
    return (d) => q.test(aliased(d) as never);
  }
  const q = new Query(filter, options);
  return (d) => q.test(d as never);
}

/** Evaluates an aggregation expression against one document (find projections' computed fields). */
export function evaluate(doc: unknown, expr: unknown): unknown {
  return evalExpr(doc as never, expr as never, withContext() as never);
}
