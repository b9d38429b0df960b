// Query features this server refuses, each with the error MongoDB gives: $where as a mongod with
// JavaScript disabled answers; $near/$nearSphere as a mongod without a geospatial index (this server
// builds none); $geoWithin/$geoIntersects as not implemented; $text anywhere but the top level.
import { CommandError } from './errors.ts';
import { isPlainObject } from './compare.ts';

type Doc = Record<string, unknown>;

export type QueryContext = 'find' | 'match';

const GEO_NEAR = new Set(['$near', '$nearSphere']);
const GEO_OTHER = new Set(['$geoWithin', '$geoIntersects', '$within']);

/** True when a filter has $where at its top level or inside $and/$or/$nor. */
export function hasWhere(filter: Doc): boolean {
  return Object.keys(filter).some((k) => k === '$where' || ((k === '$and' || k === '$or' || k === '$nor') && Array.isArray(filter[k]) && (filter[k] as unknown[]).some((s) => isPlainObject(s) && hasWhere(s))));
}

/** Throws for the refused operators; `$text` is allowed only where `allowText` (top level). */
export function guardFilter(filter: Doc, where: QueryContext, allowText = false): void {
  for (const key of Object.keys(filter)) {
    const v = filter[key];
    if (key === '$where') {
      if (where === 'match') throw new CommandError('BadValue', '$where is not allowed in this context');
      throw new CommandError('Location6108304', 'no globalScriptEngine in $where parsing');
    }
    if (key === '$text') {
      if (!allowText) throw new CommandError('BadValue', where === 'match' ? '$match with $text is only allowed as the first pipeline stage' : '$text is only allowed at the top level of a query or inside a top-level $and');
      continue;
    }
    if (key === '$and' && Array.isArray(v)) {
      for (const sub of v) if (isPlainObject(sub)) guardFilter(sub, where, allowText);
      continue;
    }
    if ((key === '$or' || key === '$nor') && Array.isArray(v)) {
      for (const sub of v) if (isPlainObject(sub)) guardFilter(sub, where, false);
      continue;
    }
    if (key.startsWith('$')) continue;
    if (isPlainObject(v)) guardValue(v, where);
  }
}

function guardValue(v: Doc, where: QueryContext): void {
  for (const op of Object.keys(v)) {
    if (GEO_NEAR.has(op)) {
      throw new CommandError('NoQueryExecutionPlans', `error processing query: planner returned error :: caused by :: unable to find index for $geoNear query (this server builds no geospatial index)`);
    }
    if (GEO_OTHER.has(op)) throw new CommandError('NotImplemented', `${op} is not supported by this server (embedded-mongo has no geospatial queries)`);
    const arg = v[op];
    if (op === '$elemMatch' && isPlainObject(arg)) {
      if (Object.keys(arg).some((k) => !k.startsWith('$') || k === '$and' || k === '$or' || k === '$nor' || k === '$where')) guardFilter(arg, where);
      else guardValue(arg, where);
    } else if (op === '$not' && isPlainObject(arg)) guardValue(arg, where);
  }
}
