// A compiled matcher for the filters applications send most: $and/$or/$nor over field conditions
// that are equalities with a scalar or null, $ne, $in/$nin of scalars, $gt/$gte/$lt/$lte on a
// string, number, date or ObjectId, and regexes. mingo (mingo.ts) interprets a filter anew for each
// document, 12-20 µs a document for the HR queue's search, which tests hundreds of candidates per
// request; this is a tree of closures built once per query.
//
// It is exact or it abstains. A filter it does not know compiles to undefined (mingo matches it),
// and a document holding a value it does not model (a Long, a Decimal128, binary, nested arrays, a
// path that crosses an array) makes it answer UNSURE, and mingo decides that document. So the two
// can differ only where this follows MongoDB more closely: strings in ranges compare by code point
// (compare.ts compareStrings, as MongoDB compares UTF-8 bytes), where mingo compares UTF-16 units.
// test/embedded-mongo/fast-match.test.ts checks it against mingo on generated filters and documents.
import { ObjectId } from 'bson';
import { compareStrings, hasOwn, isPlainObject } from './compare.ts';
import { valuesAtPath, type PathWalk } from './paths.ts';
import { literalRegexPrefix } from './regex-prefix.ts';

type Doc = Record<string, unknown>;

export const NO = 0;
export const YES = 1;
/** The document holds something this matcher does not model: ask mingo. */
export const UNSURE = 2;
export type Tri = typeof NO | typeof YES | typeof UNSURE;

type DocTest = (d: Doc) => Tri;
/** A test of one value at the path (an array's element, or the value itself when not an array). */
type ValueTest = (x: unknown) => Tri;

const FIELD_OPS = new Set(['$eq', '$ne', '$in', '$nin', '$regex', '$options', '$gt', '$gte', '$lt', '$lte']);
/** JavaScript flags that mean the same as MongoDB's options of the same letter. */
const REGEX_FLAGS = /^[ims]*$/;

/** A value this matcher can compare: string, finite number, boolean, ObjectId, valid Date. */
function isScalar(v: unknown): boolean {
  return typeof v === 'string' || (typeof v === 'number' && !Number.isNaN(v)) || typeof v === 'boolean' || v instanceof ObjectId || (v instanceof Date && !Number.isNaN(v.getTime()));
}

/** A stored value whose comparisons this matcher models (anything else makes it UNSURE). */
function isModelled(x: unknown): boolean {
  if (x === null || x === undefined) return true;
  const t = typeof x;
  if (t === 'string' || t === 'number' || t === 'boolean') return true;
  return x instanceof Date || x instanceof ObjectId || isPlainObject(x);
}

/** Dotted paths of plain field names (no array index, no operator, no `__proto__`: mingo's aliasing handles that one). */
function plainPath(path: string): boolean {
  if (path.length === 0 || path.includes('$') || path.includes('\u0000')) return false;
  return path.split('.').every((s) => s.length > 0 && !/^\d+$/.test(s) && s !== '__proto__');
}

function scalarEquals(value: unknown): ValueTest {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    return (x) => (x === value ? YES : isModelled(x) ? NO : UNSURE);
  }
  if (value instanceof Date) {
    const t = value.getTime();
    return (x) => (x instanceof Date ? (x.getTime() === t ? YES : NO) : isModelled(x) ? NO : UNSURE);
  }
  const id = value as ObjectId;
  return (x) => (x instanceof ObjectId ? (x.equals(id) ? YES : NO) : isModelled(x) ? NO : UNSURE);
}

const nullEquals: ValueTest = (x) => (x === null || x === undefined ? YES : isModelled(x) ? NO : UNSURE);

function inList(list: unknown[]): ValueTest | undefined {
  if (!list.every((v) => v === null || isScalar(v))) return undefined;
  const strings = new Set(list.filter((v): v is string => typeof v === 'string'));
  const numbers = new Set(list.filter((v): v is number => typeof v === 'number'));
  const booleans = new Set(list.filter((v): v is boolean => typeof v === 'boolean'));
  const others = list.filter((v) => v instanceof ObjectId || v instanceof Date).map(scalarEquals);
  const withNull = list.includes(null);
  return (x) => {
    if (typeof x === 'string') return strings.has(x) ? YES : NO;
    if (typeof x === 'number') return numbers.has(x) ? YES : NO;
    if (typeof x === 'boolean') return booleans.has(x) ? YES : NO;
    if (x === null || x === undefined) return withNull ? YES : NO;
    if (!isModelled(x)) return UNSURE;
    for (const t of others) if (t(x) === YES) return YES;
    return NO;
  };
}

/** MongoDB compares only within a type's bracket: a date with dates, a string with strings. */
function range(op: string, value: unknown): ValueTest | undefined {
  const holds = op === '$gt' ? (c: number) => c > 0 : op === '$gte' ? (c: number) => c >= 0 : op === '$lt' ? (c: number) => c < 0 : (c: number) => c <= 0;
  if (typeof value === 'string') return (x) => (typeof x === 'string' ? (holds(compareStrings(x, value)) ? YES : NO) : isModelled(x) ? NO : UNSURE);
  if (typeof value === 'number' && !Number.isNaN(value)) {
    return (x) => (typeof x === 'number' ? (Number.isNaN(x) ? UNSURE : holds(x < value ? -1 : x > value ? 1 : 0) ? YES : NO) : isModelled(x) ? NO : UNSURE);
  }
  if (value instanceof Date && !Number.isNaN(value.getTime())) {
    const t = value.getTime();
    return (x) => (x instanceof Date ? (holds(x.getTime() - t) ? YES : NO) : isModelled(x) ? NO : UNSURE);
  }
  if (value instanceof ObjectId) {
    const hex = value.toHexString();
    return (x) => (x instanceof ObjectId ? (holds(compareStrings(x.toHexString(), hex)) ? YES : NO) : isModelled(x) ? NO : UNSURE);
  }
  return undefined;
}

function regexTest(re: RegExp): ValueTest | undefined {
  if (!REGEX_FLAGS.test(re.flags)) return undefined;
  // A search word (/^nguyen/): a prefix test, no regex run.
  const prefix = literalRegexPrefix(re.source, re.flags);
  if (prefix !== undefined) return (x) => (typeof x === 'string' ? (x.startsWith(prefix) ? YES : NO) : isModelled(x) ? NO : UNSURE);
  return (x) => (typeof x === 'string' ? (re.test(x) ? YES : NO) : isModelled(x) ? NO : UNSURE);
}

function regexOf(spec: Doc): RegExp | undefined {
  const source = spec.$regex;
  const options = spec.$options;
  if (options !== undefined && (typeof options !== 'string' || !REGEX_FLAGS.test(options))) return undefined;
  if (source instanceof RegExp) return options === undefined ? source : undefined;
  if (typeof source !== 'string') return undefined;
  try {
    return new RegExp(source, options ?? '');
  } catch {
    return undefined; // mingo (and MongoDB) report the bad pattern
  }
}

/**
 * YES when `test` passes some item; else UNSURE when it was unsure of some; else NO. `arg` goes to
 * every test, so a caller needs no closure per document (one made the queue search's filter 30 % slower).
 */
function some<T, A = undefined>(items: readonly T[], test: (x: T, arg: A) => Tri, arg?: A): Tri {
  let unsure = false;
  for (let i = 0; i < items.length; i++) {
    const r = test(items[i]!, arg as A);
    if (r === YES) return YES;
    if (r === UNSURE) unsure = true;
  }
  return unsure ? UNSURE : NO;
}

/** YES and NO swapped; UNSURE stays. */
const flip = (r: Tri): Tri => (r === UNSURE ? UNSURE : r === YES ? NO : YES);

/** YES when some value at the path passes: the value, or an element of an array there. */
function anyAtPath(path: string, test: ValueTest): DocTest {
  // Nested arrays: mingo's numeric wrappers look inside them, MongoDB does not; leave it to mingo.
  const element = (el: unknown): Tri => (Array.isArray(el) ? UNSURE : test(el));
  const anyIn = (v: unknown): Tri => (Array.isArray(v) ? some(v, element) : test(v));
  if (!path.includes('.')) return (d) => anyIn(hasOwn(d, path) ? d[path] : undefined);
  return (d) => {
    const walk: PathWalk = { crossedArray: false };
    // Without an array on the way there is one value (undefined when a field is missing).
    const [value] = valuesAtPath(d, path, walk);
    // Through an array of subdocuments MongoDB's rules for missing fields and nulls are subtle.
    return walk.crossedArray ? UNSURE : anyIn(value);
  };
}

const not =
  (t: DocTest): DocTest =>
  (d) =>
    flip(t(d));

const runOn = (t: DocTest, d: Doc): Tri => t(d);
const failsOn = (t: DocTest, d: Doc): Tri => flip(t(d));

/** YES when every test passes: none fails. */
function all(tests: DocTest[]): DocTest {
  if (tests.length === 1) return tests[0]!;
  return (d) => flip(some(tests, failsOn, d));
}

function any(tests: DocTest[]): DocTest {
  return (d) => some(tests, runOn, d);
}

function equality(path: string, value: unknown): DocTest | undefined {
  if (value === null) return anyAtPath(path, nullEquals);
  if (isScalar(value)) return anyAtPath(path, scalarEquals(value));
  return undefined;
}

function fieldCondition(path: string, cond: unknown): DocTest | undefined {
  if (cond instanceof RegExp) {
    const t = regexTest(cond);
    return t && anyAtPath(path, t);
  }
  if (!isPlainObject(cond)) return equality(path, cond);
  const ops = Object.keys(cond);
  // An embedded document to equal, or a mix of fields and operators (an error MongoDB reports).
  if (ops.length === 0 || !ops.every((op) => FIELD_OPS.has(op))) return undefined;
  if (ops.includes('$options') && !ops.includes('$regex')) return undefined;
  const tests: DocTest[] = [];
  for (const op of ops) {
    const arg = cond[op];
    let t: DocTest | undefined;
    if (op === '$options') continue;
    if (op === '$eq') t = equality(path, arg);
    else if (op === '$ne') {
      const eq = equality(path, arg);
      t = eq && not(eq);
    } else if (op === '$in' || op === '$nin') {
      const test = Array.isArray(arg) ? inList(arg) : undefined;
      t = test && (op === '$in' ? anyAtPath(path, test) : not(anyAtPath(path, test)));
    } else if (op === '$regex') {
      const re = regexOf(cond);
      const test = re && regexTest(re);
      t = test && anyAtPath(path, test);
    } else {
      const test = range(op, arg);
      t = test && anyAtPath(path, test);
    }
    if (!t) return undefined;
    tests.push(t);
  }
  return all(tests);
}

function compileObject(filter: Doc): DocTest | undefined {
  const tests: DocTest[] = [];
  for (const key of Object.keys(filter)) {
    const v = filter[key];
    if (key === '$and' || key === '$or' || key === '$nor') {
      if (!Array.isArray(v) || v.length === 0 || !v.every(isPlainObject)) return undefined;
      const subs: DocTest[] = [];
      for (const sub of v as Doc[]) {
        const t = compileObject(sub);
        if (!t) return undefined;
        subs.push(t);
      }
      tests.push(key === '$and' ? all(subs) : key === '$or' ? any(subs) : not(any(subs)));
      continue;
    }
    if (!plainPath(key)) return undefined;
    const t = fieldCondition(key, v);
    if (!t) return undefined;
    tests.push(t);
  }
  return tests.length === 0 ? () => YES : all(tests);
}

/**
 * The compiled test of `filter` (YES, NO or UNSURE per document), or undefined when the filter uses
 * anything beyond the subset above. The caller has refused what the server refuses (guardFilter).
 */
export function compileFastFilter(filter: Doc): DocTest | undefined {
  return compileObject(filter);
}

/**
 * The compiled test of `filter` with `fallback` (mingo's) deciding the documents it cannot, or
 * undefined when the filter does not compile. The fallback is built on first need only.
 */
export function fastMatcher(filter: Doc, fallback: () => (d: Doc) => boolean): ((d: Doc) => boolean) | undefined {
  const compiled = compileObject(filter);
  if (!compiled) return undefined;
  let slow: ((d: Doc) => boolean) | undefined;
  return (d) => {
    const r = compiled(d);
    if (r !== UNSURE) return r === YES;
    slow ??= fallback();
    return slow(d);
  };
}
