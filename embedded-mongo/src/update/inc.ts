// $inc and $mul, keeping the numeric type: Long stays Long (exact), Decimal128 stays Decimal128.
import { Long, Decimal128 } from 'bson';
import { CommandError } from '../errors.ts';
import { bsonTypeName, isNumeric, toNumber } from '../compare.ts';
import { describe, locate, write } from './walker.ts';
import type { UpdateOperator } from './operator.ts';

function arith(op: '$inc' | '$mul', a: unknown, b: unknown): unknown {
  if (a instanceof Decimal128 || b instanceof Decimal128) {
    const r = op === '$inc' ? toNumber(a) + toNumber(b) : toNumber(a) * toNumber(b);
    return Decimal128.fromString(String(r));
  }
  const aLong = a instanceof Long || typeof a === 'bigint';
  const bLong = b instanceof Long || typeof b === 'bigint';
  const aInt = aLong || (typeof a === 'number' && Number.isInteger(a));
  const bInt = bLong || (typeof b === 'number' && Number.isInteger(b));
  if ((aLong || bLong) && aInt && bInt) {
    const x = a instanceof Long ? a : Long.fromBigInt(BigInt(a as number | bigint));
    const y = b instanceof Long ? b : Long.fromBigInt(BigInt(b as number | bigint));
    return op === '$inc' ? x.add(y) : x.multiply(y);
  }
  return op === '$inc' ? toNumber(a) + toNumber(b) : toNumber(a) * toNumber(b);
}

function arithmetic(op: '$inc' | '$mul'): UpdateOperator {
  return (doc, path, arg, { original }) => {
    if (!isNumeric(arg)) throw new CommandError('TypeMismatch', `Cannot ${op === '$inc' ? 'increment' : 'multiply'} with non-numeric argument: ${JSON.stringify(arg)}`);
    const s = locate(doc, path, true)!;
    if (!s.exists || s.value === undefined) {
      write(s, op === '$inc' ? arg : arith('$mul', 0, arg));
      return;
    }
    if (!isNumeric(s.value)) {
      throw new CommandError('TypeMismatch', `Cannot apply ${op} to a value of non-numeric type. ${describe(original)} has the field '${s.key}' of non-numeric type ${bsonTypeName(s.value)}`);
    }
    write(s, arith(op, s.value, arg));
  };
}

export const $inc = arithmetic('$inc');
export const $mul = arithmetic('$mul');
