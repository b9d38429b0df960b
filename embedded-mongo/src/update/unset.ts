// $unset: removes a field; an array element becomes null.
import { locate, remove } from './walker.ts';
import type { UpdateOperator } from './operator.ts';

export const $unset: UpdateOperator = (doc, path) => {
  const s = locate(doc, path, false);
  if (s && s.exists) remove(s);
};
