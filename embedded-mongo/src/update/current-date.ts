// $currentDate: a Date, or a Timestamp with { $type: 'timestamp' }.
import { Timestamp } from 'bson';
import { CommandError } from '../errors.ts';
import { isPlainObject } from '../compare.ts';
import { locate, write } from './walker.ts';
import type { UpdateOperator } from './operator.ts';

export const $currentDate: UpdateOperator = (doc, path, arg, ctx) => {
  const now = ctx.now ?? new Date();
  let v: unknown = now;
  if (isPlainObject(arg)) {
    if (arg.$type === 'timestamp') v = new Timestamp({ t: Math.floor(now.getTime() / 1000), i: 1 });
    else if (arg.$type !== 'date') throw new CommandError('BadValue', "The '$type' string field is required to be 'date' or 'timestamp'");
  } else if (arg !== true && arg !== false) throw new CommandError('BadValue', `${path} is not valid type for $currentDate. Please use a boolean ('true') or a $type expression ({$type: 'timestamp/date'}).`);
  write(locate(doc, path, true)!, v);
};
