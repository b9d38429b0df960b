// mingo with BSON-aware comparison query operators. mingo compares values only when their JS types
// match, so a Long beyond 2^53 or a Decimal128 never equals/exceeds a plain number (and two
// Decimal128s compare as strings). MongoDB compares every numeric type by value: $eq, $ne, $gt,
// $gte, $lt, $lte, $in and $nin are wrapped here to do that, $type knows BSON types, and
// everything else is mingo's own.
import { Context, ProcessingMode } from 'mingo';
import { Query as BaseQuery } from 'mingo/query';
import { Aggregator as BaseAggregator } from 'mingo/aggregator';
import * as queryOps from 'mingo/operators/query';
import * as projectionOps from 'mingo/operators/projection';
import * as pipelineOps from 'mingo/operators/pipeline';
import * as expressionOps from 'mingo/operators/expression';
import * as accumulatorOps from 'mingo/operators/accumulator';
import * as windowOps from 'mingo/operators/window';
import { resolve } from 'mingo/util';
import { bsonTypeName, compareValues, isNumeric, toNumber } from './compare.ts';

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

function numericComparison(orig: Op, test: (c: number) => boolean): Op {
  return (selector, value, options) => {
    if (!isNumeric(value)) return orig(selector, value, options);
    return (o) => numericLeaves(o, selector).some((v) => test(compareValues(v, value)));
  };
}

function numericEquality(orig: Op): Op {
  return (selector, value, options) => {
    const base = orig(selector, value, options);
    if (!isNumeric(value)) return base;
    return (o) => base(o) || numericLeaves(o, selector).some((v) => compareValues(v, value) === 0);
  };
}

function numericIn(orig: Op): Op {
  return (selector, value, options) => {
    const base = orig(selector, value, options);
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

// MongoDB's $count emits nothing for empty input (mingo emits { name: 0 }).
const pl = pipelineOps as unknown as Record<string, (coll: { size(): number }, expr: unknown, options: unknown) => unknown>;
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
  },
  projection: projectionOps,
  pipeline: { ...pipelineOps, $count },
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
