// $pop: removes the last (1) or first (-1) element.
import { CommandError } from '../errors.ts';
import { bsonTypeName, toNumber } from '../compare.ts';
import { locate } from './walker.ts';
import type { UpdateOperator } from './operator.ts';

export const $pop: UpdateOperator = (doc, path, arg) => {
  const s = locate(doc, path, false);
  if (!s || !s.exists) return;
  if (!Array.isArray(s.value)) throw new CommandError('TypeMismatch', `Path '${path}' contains an element of non-array type '${bsonTypeName(s.value)}'`);
  const n = toNumber(arg);
  if (n !== 1 && n !== -1) throw new CommandError('FailedToParse', `$pop expects 1 or -1, found: ${JSON.stringify(arg)}`);
  if (n === 1) s.value.pop();
  else s.value.shift();
};
