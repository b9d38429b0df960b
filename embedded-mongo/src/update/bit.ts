// $bit: and/or/xor on an integer (Long stays Long).
import { Long } from 'bson';
import { CommandError } from '../errors.ts';
import { bsonTypeName, isNumeric, isPlainObject, toNumber } from '../compare.ts';
import { describe, locate, write } from './walker.ts';
import type { UpdateOperator } from './operator.ts';

function unknownBitOp(k: string): never {
  throw new CommandError('BadValue', `The $bit modifier only supports 'and', 'or', and 'xor', not '${k}'`);
}

export const $bit: UpdateOperator = (doc, path, arg, { original }) => {
  if (!isPlainObject(arg)) throw new CommandError('BadValue', '$bit needs an object of and/or/xor');
  const s = locate(doc, path, true)!;
  let v: unknown = s.exists ? s.value : 0;
  if (!isNumeric(v)) throw new CommandError('BadValue', `Cannot apply $bit to a value of non-integral type. ${describe(original)} has the field ${path} of non-integer type ${bsonTypeName(v)}`);
  for (const [k, operand] of Object.entries(arg)) {
    if (v instanceof Long || operand instanceof Long) {
      const a = v instanceof Long ? v : Long.fromNumber(toNumber(v));
      const b = operand instanceof Long ? operand : Long.fromNumber(toNumber(operand));
      v = k === 'and' ? a.and(b) : k === 'or' ? a.or(b) : k === 'xor' ? a.xor(b) : unknownBitOp(k);
    } else {
      const a = toNumber(v) | 0;
      const b = toNumber(operand) | 0;
      v = k === 'and' ? a & b : k === 'or' ? a | b : k === 'xor' ? a ^ b : unknownBitOp(k);
    }
  }
  write(s, v);
};
