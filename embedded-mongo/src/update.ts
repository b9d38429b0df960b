// Update operators with MongoDB's semantics (not mingo's): $setOnInsert, refusals instead of silent
// no-ops, immutable _id, conflicting paths, positional operators and arrayFilters, Long arithmetic.
import { Long, Timestamp, Decimal128 } from 'bson';
import { Aggregator, Query } from './mingo.ts'; // BSON-aware numeric comparisons
import { CommandError } from './errors.ts';
import { isPlainObject, isNumeric, toNumber, compareValues, cloneDeep, bsonTypeName, valuesEqual } from './compare.ts';
import { getPath } from './paths.ts';

type Doc = Record<string, unknown>;

export interface UpdateOptions {
  /** The query that selected the document (for the positional `$`). */
  query?: Doc;
  arrayFilters?: Doc[];
  /** True when the update is applied to a document being created by an upsert. */
  inserting?: boolean;
  now?: Date;
}

export const MODIFIERS = new Set([
  '$set', '$unset', '$inc', '$mul', '$min', '$max', '$rename', '$setOnInsert', '$push', '$addToSet',
  '$pop', '$pull', '$pullAll', '$currentDate', '$bit',
]);

export function isOperatorUpdate(update: Doc): boolean {
  const keys = Object.keys(update);
  const ops = keys.filter((k) => k.startsWith('$'));
  if (ops.length > 0 && ops.length !== keys.length) {
    throw new CommandError('FailedToParse', 'The update document mixes update operators and plain fields');
  }
  return ops.length > 0;
}

function describe(doc: Doc): string {
  try {
    return `{ _id: ${JSON.stringify(doc._id)} }`;
  } catch {
    return '{ _id: ? }';
  }
}

/** Replacement update: keeps _id, refuses a different one and operator keys. */
export function applyReplacement(oldDoc: Doc, replacement: Doc): Doc {
  for (const k of Object.keys(replacement)) {
    if (k.startsWith('$')) throw new CommandError('FailedToParse', `The dollar ($) prefixed field '${k}' is not allowed in a replacement document`);
  }
  if ('_id' in replacement && oldDoc._id !== undefined && !valuesEqual(replacement._id, oldDoc._id)) {
    throw new CommandError('ImmutableField', "After applying the update, the (immutable) field '_id' was found to have been altered to _id: " + JSON.stringify(replacement._id));
  }
  const out: Doc = { _id: oldDoc._id };
  for (const [k, v] of Object.entries(replacement)) if (k !== '_id') out[k] = cloneDeep(v);
  if (out._id === undefined) delete out._id;
  return out;
}

/** Pipeline-style update ([{ $set: ... }, ...]). */
export function applyPipelineUpdate(oldDoc: Doc, pipeline: Doc[], now = new Date()): Doc {
  const allowed = new Set(['$addFields', '$set', '$project', '$unset', '$replaceRoot', '$replaceWith']);
  for (const stage of pipeline) {
    const name = Object.keys(stage)[0] ?? '';
    if (!allowed.has(name)) throw new CommandError('InvalidOptions', `${name} is not allowed to be used within an update`);
  }
  const [out] = new Aggregator(pipeline as never, { now } as never).run([cloneDeep(oldDoc)]) as Doc[];
  if (!out) throw new CommandError('BadValue', 'pipeline update produced no document');
  if (!valuesEqual(out._id, oldDoc._id)) {
    throw new CommandError('ImmutableField', "Performing an update on the path '_id' would modify the immutable field '_id'");
  }
  return out;
}

function checkConflicts(paths: string[]): void {
  const norm = paths.map((p) => p.split('.').map((s) => (s.startsWith('$') ? '$' : s)));
  for (let i = 0; i < norm.length; i++) {
    for (let j = i + 1; j < norm.length; j++) {
      const a = norm[i]!;
      const b = norm[j]!;
      const n = Math.min(a.length, b.length);
      let prefix = true;
      for (let k = 0; k < n; k++) if (a[k] !== b[k]) { prefix = false; break; }
      if (prefix) {
        const shorter = a.length <= b.length ? paths[i]! : paths[j]!;
        const longer = a.length <= b.length ? paths[j]! : paths[i]!;
        throw new CommandError('ConflictingUpdateOperators', `Updating the path '${longer}' would create a conflict at '${shorter}'`);
      }
    }
  }
}

/** Applies an operator update; returns a new document (the input is not changed). */
export function applyOperatorUpdate(oldDoc: Doc, update: Doc, opts: UpdateOptions = {}): Doc {
  const doc = cloneDeep(oldDoc);
  const targets: string[] = [];
  for (const [op, spec] of Object.entries(update)) {
    if (!MODIFIERS.has(op)) {
      throw new CommandError('FailedToParse', `Unknown modifier: ${op}. Expected a valid update modifier or pipeline-style update specified as an array`);
    }
    if (!isPlainObject(spec)) throw new CommandError('FailedToParse', `Modifiers operate on fields but we found type ${bsonTypeName(spec)} instead. For example: {$mod: {<field>: ...}} not {${op}: ${JSON.stringify(spec)}}`);
    for (const path of Object.keys(spec)) {
      if (path === '' || path.startsWith('.') || path.endsWith('.') || path.includes('..')) {
        throw new CommandError('BadValue', `An update path '${path}' contains an empty field name, which is not allowed.`);
      }
      targets.push(path);
      if (op === '$rename') {
        const to = spec[path];
        if (typeof to !== 'string') throw new CommandError('BadValue', `The 'to' field for $rename must be a string: ${path}: ${JSON.stringify(to)}`);
        if (to === path) throw new CommandError('BadValue', `The source and target field for $rename must differ: ${path}: "${to}"`);
        targets.push(to);
      }
    }
  }
  checkConflicts(targets);

  for (const [op, spec] of Object.entries(update) as Array<[string, Doc]>) {
    if (op === '$setOnInsert' && !opts.inserting) continue;
    for (const [rawPath, arg] of Object.entries(spec)) {
      for (const path of expandPositional(doc, rawPath, opts, oldDoc)) applyOne(doc, op, path, arg, opts, oldDoc);
    }
  }
  if (!valuesEqual(doc._id, oldDoc._id) && !(opts.inserting && oldDoc._id === undefined)) {
    throw new CommandError('ImmutableField', "Performing an update on the path '_id' would modify the immutable field '_id'");
  }
  return doc;
}

/** Turns `a.$.b`, `a.$[].b`, `a.$[x].b` into concrete paths for this document. */
function expandPositional(doc: Doc, path: string, opts: UpdateOptions, original: Doc): string[] {
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

function positionalIndex(doc: Doc, prefix: string, arr: unknown[], query: Doc): number {
  // MongoDB takes the position from the query's match on this array; a query that does not
  // mention the array (e.g. only _id) leaves nothing to point at, and the update is refused.
  if (!queryPaths(query).some((p) => p === prefix || p.startsWith(prefix + '.'))) return -1;
  const q = new Query(query as never);
  for (let i = 0; i < arr.length; i++) {
    const probe = cloneShallowWith(doc, prefix, [arr[i]]);
    if (q.test(probe)) return i;
  }
  return -1;
}

function cloneShallowWith(doc: Doc, path: string, value: unknown): Doc {
  const parts = path.split('.');
  const root: Doc = { ...doc };
  let cur: Doc = root;
  for (let i = 0; i < parts.length - 1; i++) {
    const next = cur[parts[i]!];
    const copy = Array.isArray(next) ? [...next] : isPlainObject(next) ? { ...next } : {};
    cur[parts[i]!] = copy;
    cur = copy as Doc;
  }
  cur[parts[parts.length - 1]!] = value;
  return root;
}

function arrayFilterFor(id: string, filters: Doc[]): (el: unknown) => boolean {
  const mine = filters.filter((f) => Object.keys(f).some((k) => k === id || k.startsWith(id + '.')));
  if (mine.length === 0) throw new CommandError('BadValue', `No array filter found for identifier '${id}'`);
  const tests = mine.map((f) => {
    const cond: Doc = {};
    for (const [k, v] of Object.entries(f)) cond[k === id ? '__v' : '__v' + k.slice(id.length)] = v;
    const q = new Query(cond as never);
    return (el: unknown) => q.test({ __v: el });
  });
  return (el) => tests.every((t) => t(el));
}

function numericArg(op: string, v: unknown): void {
  if (!isNumeric(v)) throw new CommandError('TypeMismatch', `Cannot ${op === '$inc' ? 'increment' : 'multiply'} with non-numeric argument: ${JSON.stringify(v)}`);
}

function arith(op: '$inc' | '$mul', a: unknown, b: unknown): unknown {
  if (a instanceof Decimal128 || b instanceof Decimal128) {
    const r = op === '$inc' ? toNumber(a) + toNumber(b) : toNumber(a) * toNumber(b);
    return Decimal128.fromString(String(r));
  }
  const aLong = a instanceof Long || typeof a === 'bigint';
  const bLong = b instanceof Long || typeof b === 'bigint';
  const aInt = aLong || (typeof a === 'number' && Number.isInteger(a));
  const bInt = bLong || (typeof b === 'number' && Number.isInteger(b));
  if ((aLong || bLong) && aInt && bInt) {
    const x = a instanceof Long ? a : Long.fromBigInt(BigInt(a as number | bigint));
    const y = b instanceof Long ? b : Long.fromBigInt(BigInt(b as number | bigint));
    return op === '$inc' ? x.add(y) : x.multiply(y);
  }
  const r = op === '$inc' ? toNumber(a) + toNumber(b) : toNumber(a) * toNumber(b);
  return r;
}

interface Slot {
  parent: Doc | unknown[];
  key: string;
  exists: boolean;
  value: unknown;
}

/** Finds (creating intermediate objects when `create`) the parent container of `path`. */
function locate(doc: Doc, path: string, create: boolean): Slot | undefined {
  const parts = path.split('.');
  let cur: unknown = doc;
  for (let i = 0; i < parts.length - 1; i++) {
    const key = parts[i]!;
    let next: unknown;
    if (Array.isArray(cur)) {
      if (!/^\d+$/.test(key)) {
        throw new CommandError('PathNotViable', `Cannot create field '${key}' in element {${parts.slice(0, i).join('.')}: ${bsonTypeName(cur)}}`);
      }
      next = cur[Number(key)];
    } else next = (cur as Doc)[key];
    if (next === undefined || next === null) {
      if (!create) return undefined;
      if (next === null) throw new CommandError('PathNotViable', `Cannot create field '${parts[i + 1]}' in element {${key}: null}`);
      next = {};
      if (Array.isArray(cur)) {
        const idx = Number(key);
        while (cur.length < idx) cur.push(null);
        cur[idx] = next;
      } else (cur as Doc)[key] = next;
    } else if (!isPlainObject(next) && !Array.isArray(next)) {
      if (!create) return undefined;
      throw new CommandError('PathNotViable', `Cannot create field '${parts[i + 1]}' in element {${key}: ${JSON.stringify(next)}}`);
    }
    cur = next;
  }
  const last = parts[parts.length - 1]!;
  if (Array.isArray(cur)) {
    if (!/^\d+$/.test(last)) {
      if (!create) return undefined;
      throw new CommandError('PathNotViable', `Cannot create field '${last}' in an array`);
    }
    const i = Number(last);
    return { parent: cur, key: last, exists: i < cur.length, value: cur[i] };
  }
  const o = cur as Doc;
  return { parent: o, key: last, exists: Object.prototype.hasOwnProperty.call(o, last), value: o[last] };
}

function write(slot: Slot, value: unknown): void {
  if (Array.isArray(slot.parent)) {
    const i = Number(slot.key);
    while (slot.parent.length < i) slot.parent.push(null);
    slot.parent[i] = value;
  } else slot.parent[slot.key] = value;
}

function applyOne(doc: Doc, op: string, path: string, arg: unknown, opts: UpdateOptions, original: Doc): void {
  switch (op) {
    case '$set':
    case '$setOnInsert':
      write(locate(doc, path, true)!, cloneDeep(arg));
      return;
    case '$unset': {
      const s = locate(doc, path, false);
      if (!s || !s.exists) return;
      if (Array.isArray(s.parent)) s.parent[Number(s.key)] = null;
      else delete s.parent[s.key];
      return;
    }
    case '$inc':
    case '$mul': {
      numericArg(op, arg);
      const s = locate(doc, path, true)!;
      if (!s.exists || s.value === undefined) {
        write(s, op === '$inc' ? arg : arith('$mul', 0, arg));
        return;
      }
      if (!isNumeric(s.value)) {
        throw new CommandError('TypeMismatch', `Cannot apply ${op} to a value of non-numeric type. ${describe(original)} has the field '${s.key}' of non-numeric type ${bsonTypeName(s.value)}`);
      }
      write(s, arith(op, s.value, arg));
      return;
    }
    case '$min':
    case '$max': {
      const s = locate(doc, path, true)!;
      if (!s.exists) { write(s, cloneDeep(arg)); return; }
      const c = compareValues(arg, s.value);
      if ((op === '$min' && c < 0) || (op === '$max' && c > 0)) write(s, cloneDeep(arg));
      return;
    }
    case '$currentDate': {
      const now = opts.now ?? new Date();
      let v: unknown = now;
      if (isPlainObject(arg)) {
        if (arg.$type === 'timestamp') v = new Timestamp({ t: Math.floor(now.getTime() / 1000), i: 1 });
        else if (arg.$type !== 'date') throw new CommandError('BadValue', "The '$type' string field is required to be 'date' or 'timestamp'");
      } else if (arg !== true && arg !== false) throw new CommandError('BadValue', `${path} is not valid type for $currentDate. Please use a boolean ('true') or a $type expression ({$type: 'timestamp/date'}).`);
      write(locate(doc, path, true)!, v);
      return;
    }
    case '$rename': {
      const from = locate(doc, path, false);
      if (!from || !from.exists) return;
      if (Array.isArray(from.parent)) throw new CommandError('BadValue', `The source field cannot be an array element, '${path}' in doc with ${describe(original)} has an array field called '${path.split('.')[0]}'`);
      const v = from.value;
      delete from.parent[from.key];
      write(locate(doc, String(arg), true)!, v);
      return;
    }
    case '$push':
    case '$addToSet': {
      const s = locate(doc, path, true)!;
      if (s.exists && !Array.isArray(s.value)) {
        throw new CommandError(op === '$push' ? 'BadValue' : 'BadValue', `The field '${path}' must be an array but is of type ${bsonTypeName(s.value)} in document ${describe(original)}`);
      }
      const arr = s.exists ? (s.value as unknown[]) : [];
      if (!s.exists) write(s, arr);
      const hasEach = isPlainObject(arg) && '$each' in arg;
      if (hasEach) {
        const spec = arg as Doc;
        for (const k of Object.keys(spec)) {
          if (!['$each', '$slice', '$sort', '$position'].includes(k) || (op === '$addToSet' && k !== '$each')) {
            throw new CommandError('BadValue', `Unrecognized clause in ${op}: ${k}`);
          }
        }
        if (!Array.isArray(spec.$each)) throw new CommandError('BadValue', `The argument to $each in ${op} must be an array but it was of type: ${bsonTypeName(spec.$each)}`);
        const items = (spec.$each as unknown[]).map(cloneDeep);
        if (op === '$addToSet') {
          for (const it of items) if (!arr.some((e) => valuesEqual(e, it))) arr.push(it);
          return;
        }
        let pos = arr.length;
        if (spec.$position !== undefined) {
          if (!isNumeric(spec.$position)) throw new CommandError('BadValue', 'The value for $position must be an integer value');
          const p = toNumber(spec.$position);
          pos = p < 0 ? Math.max(0, arr.length + p) : Math.min(p, arr.length);
        }
        arr.splice(pos, 0, ...items);
        if (spec.$sort !== undefined) {
          const sortSpec = spec.$sort;
          if (isPlainObject(sortSpec)) {
            const keys = Object.entries(sortSpec);
            arr.sort((a, b) => {
              for (const [k, dir] of keys) {
                const c = compareValues(getPath(a, k), getPath(b, k));
                if (c) return c * (toNumber(dir) < 0 ? -1 : 1);
              }
              return 0;
            });
          } else {
            const dir = toNumber(sortSpec) < 0 ? -1 : 1;
            arr.sort((a, b) => compareValues(a, b) * dir);
          }
        }
        if (spec.$slice !== undefined) {
          if (!isNumeric(spec.$slice)) throw new CommandError('BadValue', 'The value for $slice must be an integer value');
          const n = toNumber(spec.$slice);
          const kept = n >= 0 ? arr.slice(0, n) : arr.slice(Math.max(0, arr.length + n));
          arr.length = 0;
          arr.push(...kept);
        }
        return;
      }
      const item = cloneDeep(arg);
      if (op === '$addToSet') {
        if (!arr.some((e) => valuesEqual(e, item))) arr.push(item);
      } else arr.push(item);
      return;
    }
    case '$pop': {
      const s = locate(doc, path, false);
      if (!s || !s.exists) return;
      if (!Array.isArray(s.value)) throw new CommandError('TypeMismatch', `Path '${path}' contains an element of non-array type '${bsonTypeName(s.value)}'`);
      const n = toNumber(arg);
      if (n !== 1 && n !== -1) throw new CommandError('FailedToParse', `$pop expects 1 or -1, found: ${JSON.stringify(arg)}`);
      if (n === 1) s.value.pop();
      else s.value.shift();
      return;
    }
    case '$pull':
    case '$pullAll': {
      const s = locate(doc, path, false);
      if (!s || !s.exists) return;
      if (!Array.isArray(s.value)) throw new CommandError('BadValue', `Cannot apply ${op} to a non-array value`);
      let remove: (el: unknown) => boolean;
      if (op === '$pullAll') {
        if (!Array.isArray(arg)) throw new CommandError('BadValue', `$pullAll requires an array argument but was given a ${bsonTypeName(arg)}`);
        remove = (el) => arg.some((x) => valuesEqual(x, el));
      } else if (isPlainObject(arg)) {
        const keys = Object.keys(arg);
        const operatorOnly = keys.length > 0 && keys.every((k) => k.startsWith('$'));
        if (operatorOnly) {
          const q = new Query({ __v: arg } as never);
          remove = (el) => q.test({ __v: el });
        } else {
          const q = new Query(arg as never);
          remove = (el) => isPlainObject(el) && q.test(el);
        }
      } else remove = (el) => valuesEqual(el, arg);
      const kept = s.value.filter((el) => !remove(el));
      s.value.length = 0;
      s.value.push(...kept);
      return;
    }
    case '$bit': {
      if (!isPlainObject(arg)) throw new CommandError('BadValue', '$bit needs an object of and/or/xor');
      const s = locate(doc, path, true)!;
      let v: unknown = s.exists ? s.value : 0;
      if (!isNumeric(v)) throw new CommandError('BadValue', `Cannot apply $bit to a value of non-integral type. ${describe(original)} has the field ${path} of non-integer type ${bsonTypeName(v)}`);
      for (const [k, operand] of Object.entries(arg)) {
        const useLong = v instanceof Long || operand instanceof Long;
        if (useLong) {
          const a = v instanceof Long ? v : Long.fromNumber(toNumber(v));
          const b = operand instanceof Long ? operand : Long.fromNumber(toNumber(operand));
          v = k === 'and' ? a.and(b) : k === 'or' ? a.or(b) : k === 'xor' ? a.xor(b) : (() => { throw new CommandError('BadValue', `The $bit modifier only supports 'and', 'or', and 'xor', not '${k}'`); })();
        } else {
          const a = toNumber(v) | 0;
          const b = toNumber(operand) | 0;
          v = k === 'and' ? a & b : k === 'or' ? a | b : k === 'xor' ? a ^ b : (() => { throw new CommandError('BadValue', `The $bit modifier only supports 'and', 'or', and 'xor', not '${k}'`); })();
        }
      }
      write(s, v);
      return;
    }
  }
}

/** Fields an upsert copies from the query: top-level equalities and $and of them. */
export function seedFromQuery(query: Doc): Doc {
  const out: Doc = {};
  const visit = (q: Doc) => {
    for (const [k, v] of Object.entries(q)) {
      if (k === '$and' && Array.isArray(v)) {
        for (const sub of v) if (isPlainObject(sub)) visit(sub);
        continue;
      }
      if (k.startsWith('$')) continue;
      let value: unknown = v;
      if (isPlainObject(v)) {
        const keys = Object.keys(v);
        if (keys.length > 0 && keys.every((x) => x.startsWith('$'))) {
          if (keys.length === 1 && keys[0] === '$eq') value = v.$eq;
          else continue;
        }
      }
      if (value instanceof RegExp) continue;
      const s = locate(out, k, true)!;
      write(s, cloneDeep(value));
    }
  };
  visit(query);
  return out;
}
