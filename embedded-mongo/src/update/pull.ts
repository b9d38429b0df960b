// $pull (a value, or a condition on the elements) and $pullAll (a list of values).
import { matcher } from '../mingo.ts'; // BSON-aware numeric comparisons
import { CommandError } from '../errors.ts';
import { bsonTypeName, isPlainObject, valuesEqual } from '../compare.ts';
import { locate } from './walker.ts';
import { guardFilter } from '../query-guard.ts';
import type { UpdateOperator } from './operator.ts';

const VALUE_OPERATORS = new Set([
  '$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin', '$all', '$elemMatch', '$exists', '$mod', '$not',
  '$regex', '$options', '$size', '$type', '$bitsAllSet', '$bitsAllClear', '$bitsAnySet', '$bitsAnyClear',
  '$geoWithin', '$geoIntersects', '$near', '$nearSphere', '$within',
]);

function pullWhere(op: string, remove: (arg: unknown) => (el: unknown) => boolean): UpdateOperator {
  return (doc, path, arg) => {
    const s = locate(doc, path, false);
    if (!s || !s.exists) return;
    if (!Array.isArray(s.value)) throw new CommandError('BadValue', `Cannot apply ${op} to a non-array value`);
    const test = remove(arg);
    const kept = s.value.filter((el) => !test(el));
    s.value.length = 0;
    s.value.push(...kept);
  };
}

export const $pull = pullWhere('$pull', (arg) => {
  if (!isPlainObject(arg)) return (el) => valuesEqual(el, arg);
  // As MongoDB decides: a condition whose first key is an operator that applies to a value
  // ({ $gte: 5 }, { $in: [...] }) tests each element; anything else ({ k: 1 }, { $or: [...] },
  // { $and: [...] }) is a query that each element must match as a document.
  const first = Object.keys(arg)[0];
  if (first !== undefined && VALUE_OPERATORS.has(first)) {
    const test = matcher({ __v: arg });
    return (el) => test({ __v: el });
  }
  guardFilter(arg, 'find');
  const test = matcher(arg);
  return (el) => isPlainObject(el) && test(el);
});

export const $pullAll = pullWhere('$pullAll', (arg) => {
  if (!Array.isArray(arg)) throw new CommandError('BadValue', `$pullAll requires an array argument but was given a ${bsonTypeName(arg)}`);
  return (el) => arg.some((x) => valuesEqual(x, el));
});
