// $push, with the $each, $position, $sort and $slice modifiers.
import { CommandError } from '../errors.ts';
import { bsonTypeName, cloneDeep, compareValues, isNumeric, isPlainObject, toNumber } from '../compare.ts';
import { getPath } from '../paths.ts';
import { describe, locate, write, type Doc } from './walker.ts';
import type { UpdateOperator, OperatorContext } from './operator.ts';

/** The array at `path`, created empty when missing; refused (BadValue) when the field is not an array. */
export function arrayAt(op: string, doc: Doc, path: string, ctx: OperatorContext): unknown[] {
  const s = locate(doc, path, true)!;
  if (s.exists && !Array.isArray(s.value)) {
    throw new CommandError('BadValue', `The field '${path}' must be an array but is of type ${bsonTypeName(s.value)} in document ${describe(ctx.original)}`);
  }
  const arr = s.exists ? (s.value as unknown[]) : [];
  if (!s.exists) write(s, arr);
  return arr;
}

function sortItems(arr: unknown[], sortSpec: unknown): void {
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

export const $push: UpdateOperator = (doc, path, arg, ctx) => {
  const arr = arrayAt('$push', doc, path, ctx);
  if (!(isPlainObject(arg) && '$each' in arg)) {
    arr.push(cloneDeep(arg));
    return;
  }
  const spec = arg as Doc;
  for (const k of Object.keys(spec)) {
    if (!['$each', '$slice', '$sort', '$position'].includes(k)) throw new CommandError('BadValue', `Unrecognized clause in $push: ${k}`);
  }
  if (!Array.isArray(spec.$each)) throw new CommandError('BadValue', `The argument to $each in $push must be an array but it was of type: ${bsonTypeName(spec.$each)}`);
  const items = (spec.$each as unknown[]).map(cloneDeep);
  let pos = arr.length;
  if (spec.$position !== undefined) {
    if (!isNumeric(spec.$position)) throw new CommandError('BadValue', 'The value for $position must be an integer value');
    const p = toNumber(spec.$position);
    pos = p < 0 ? Math.max(0, arr.length + p) : Math.min(p, arr.length);
  }
  arr.splice(pos, 0, ...items);
  if (spec.$sort !== undefined) sortItems(arr, spec.$sort);
  if (spec.$slice !== undefined) {
    if (!isNumeric(spec.$slice)) throw new CommandError('BadValue', 'The value for $slice must be an integer value');
    const n = toNumber(spec.$slice);
    const kept = n >= 0 ? arr.slice(0, n) : arr.slice(Math.max(0, arr.length + n));
    arr.length = 0;
    arr.push(...kept);
  }
};
