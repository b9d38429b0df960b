// $set and $setOnInsert (the latter only runs when an upsert inserts).
import { cloneDeep } from '../compare.ts';
import { locate, write } from './walker.ts';
import type { UpdateOperator } from './operator.ts';

export const $set: UpdateOperator = (doc, path, arg) => {
  write(locate(doc, path, true)!, cloneDeep(arg));
};
