// $pull (a value, or a condition on the elements) and $pullAll (a list of values).
import { Query } from '../mingo.ts'; // BSON-aware numeric comparisons
import { CommandError } from '../errors.ts';
import { bsonTypeName, isPlainObject, valuesEqual } from '../compare.ts';
import { locate } from './walker.ts';
import type { UpdateOperator } from './operator.ts';

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
  const keys = Object.keys(arg);
  const operatorOnly = keys.length > 0 && keys.every((k) => k.startsWith('$'));
  if (operatorOnly) {
    const q = new Query({ __v: arg } as never);
    return (el) => q.test({ __v: el });
  }
  const q = new Query(arg as never);
  return (el) => isPlainObject(el) && q.test(el);
});

export const $pullAll = pullWhere('$pullAll', (arg) => {
  if (!Array.isArray(arg)) throw new CommandError('BadValue', `$pullAll requires an array argument but was given a ${bsonTypeName(arg)}`);
  return (el) => arg.some((x) => valuesEqual(x, el));
});
