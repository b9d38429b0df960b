// $addToSet (with $each): appends the values not already present (BSON equality).
import { CommandError } from '../errors.ts';
import { bsonTypeName, cloneDeep, isPlainObject, valuesEqual } from '../compare.ts';
import { arrayAt } from './push.ts';
import type { UpdateOperator } from './operator.ts';

export const $addToSet: UpdateOperator = (doc, path, arg, ctx) => {
  const arr = arrayAt('$addToSet', doc, path, ctx);
  let items: unknown[];
  if (isPlainObject(arg) && '$each' in arg) {
    for (const k of Object.keys(arg)) if (k !== '$each') throw new CommandError('BadValue', `Unrecognized clause in $addToSet: ${k}`);
    if (!Array.isArray(arg.$each)) throw new CommandError('BadValue', `The argument to $each in $addToSet must be an array but it was of type: ${bsonTypeName(arg.$each)}`);
    items = arg.$each.map(cloneDeep);
  } else items = [cloneDeep(arg)];
  for (const it of items) if (!arr.some((e) => valuesEqual(e, it))) arr.push(it);
};
