// $min and $max: replace the value when the argument is lower/higher in BSON order.
import { cloneDeep, compareValues } from '../compare.ts';
import { locate, write } from './walker.ts';
import type { UpdateOperator } from './operator.ts';

function bound(keepLower: boolean): UpdateOperator {
  return (doc, path, arg) => {
    const s = locate(doc, path, true)!;
    if (!s.exists) { write(s, cloneDeep(arg)); return; }
    const c = compareValues(arg, s.value);
    if ((keepLower && c < 0) || (!keepLower && c > 0)) write(s, cloneDeep(arg));
  };
}

export const $min = bound(true);
export const $max = bound(false);
