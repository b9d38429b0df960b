// $rename: moves a field to another path (never out of or into an array element).
import { CommandError } from '../errors.ts';
import { describe, locate, write } from './walker.ts';
import type { UpdateOperator } from './operator.ts';

export const $rename: UpdateOperator = (doc, path, arg, { original }) => {
  const from = locate(doc, path, false);
  if (!from || !from.exists) return;
  if (Array.isArray(from.parent)) throw new CommandError('BadValue', `The source field cannot be an array element, '${path}' in doc with ${describe(original)} has an array field called '${path.split('.')[0]}'`);
  const v = from.value;
  delete from.parent[from.key];
  write(locate(doc, String(arg), true)!, v);
};
