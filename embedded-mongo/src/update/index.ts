// Updates with MongoDB's semantics (not mingo's): operator updates from a table of small operators
// sharing one path walker (walker.ts), $setOnInsert, refusals instead of silent no-ops, immutable
// _id, conflicting paths, positional operators and arrayFilters; replacement and pipeline updates.
import { Aggregator } from '../mingo.ts'; // BSON-aware numeric comparisons
import { CommandError } from '../errors.ts';
import { isPlainObject, cloneDeep, bsonTypeName, valuesEqual, hasOwn, setOwn } from '../compare.ts';
import { expandPositional } from './positional.ts';
import { locate, write, type Doc } from './walker.ts';
import type { UpdateOperator } from './operator.ts';
import { $set } from './set.ts';
import { $unset } from './unset.ts';
import { $inc, $mul } from './inc.ts';
import { $min, $max } from './min-max.ts';
import { $currentDate } from './current-date.ts';
import { $rename } from './rename.ts';
import { $push } from './push.ts';
import { $addToSet } from './add-to-set.ts';
import { $pop } from './pop.ts';
import { $pull, $pullAll } from './pull.ts';
import { $bit } from './bit.ts';

export interface UpdateOptions {
  /** The query that selected the document (for the positional `$`). */
  query?: Doc;
  arrayFilters?: Doc[];
  /** True when the update is applied to a document being created by an upsert. */
  inserting?: boolean;
  now?: Date;
}

/** The operators, by name (a Map: an update key is client data, never a property lookup). */
export const OPERATORS: ReadonlyMap<string, UpdateOperator> = new Map([
  ['$set', $set],
  ['$setOnInsert', $set],
  ['$unset', $unset],
  ['$inc', $inc],
  ['$mul', $mul],
  ['$min', $min],
  ['$max', $max],
  ['$rename', $rename],
  ['$currentDate', $currentDate],
  ['$push', $push],
  ['$addToSet', $addToSet],
  ['$pop', $pop],
  ['$pull', $pull],
  ['$pullAll', $pullAll],
  ['$bit', $bit],
]);

export function isOperatorUpdate(update: Doc): boolean {
  const keys = Object.keys(update);
  const ops = keys.filter((k) => k.startsWith('$'));
  if (ops.length > 0 && ops.length !== keys.length) {
    throw new CommandError('FailedToParse', 'The update document mixes update operators and plain fields');
  }
  return ops.length > 0;
}

/** Replacement update: keeps _id, refuses a different one and operator keys. */
export function applyReplacement(oldDoc: Doc, replacement: Doc): Doc {
  for (const k of Object.keys(replacement)) {
    if (k.startsWith('$')) throw new CommandError('FailedToParse', `The dollar ($) prefixed field '${k}' is not allowed in a replacement document`);
  }
  if (hasOwn(replacement, '_id') && oldDoc._id !== undefined && !valuesEqual(replacement._id, oldDoc._id)) {
    throw new CommandError('ImmutableField', "After applying the update, the (immutable) field '_id' was found to have been altered to _id: " + JSON.stringify(replacement._id));
  }
  const out: Doc = { _id: oldDoc._id };
  for (const [k, v] of Object.entries(replacement)) if (k !== '_id') setOwn(out, k, cloneDeep(v));
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
  const steps: Array<[string, UpdateOperator, Doc]> = [];
  for (const [op, spec] of Object.entries(update)) {
    const fn = OPERATORS.get(op);
    if (!fn) {
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
    if (op !== '$setOnInsert' || opts.inserting) steps.push([op, fn, spec]);
  }
  checkConflicts(targets);

  const ctx = { original: oldDoc, now: opts.now };
  for (const [, fn, spec] of steps) {
    for (const [rawPath, arg] of Object.entries(spec)) {
      for (const path of expandPositional(doc, rawPath, opts, oldDoc)) fn(doc, path, arg, ctx);
    }
  }
  if (!valuesEqual(doc._id, oldDoc._id) && !(opts.inserting && oldDoc._id === undefined)) {
    throw new CommandError('ImmutableField', "Performing an update on the path '_id' would modify the immutable field '_id'");
  }
  return doc;
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
      write(locate(out, k, true)!, cloneDeep(value));
    }
  };
  visit(query);
  return out;
}
