// Find projections with MongoDB's semantics: inclusion or exclusion (never both, except _id),
// nested paths through arrays, $slice (which by itself keeps every other field), $elemMatch with
// any query operator, the positional `a.$`, computed fields and { $meta: 'textScore' }.
// Output objects are built from own fields only, and a field named __proto__ is stored as data.
import { CommandError } from './errors.ts';
import { getOwn, isNumeric, isPlainObject, setOwn, toNumber } from './compare.ts';
import { matcher, evaluate } from './mingo.ts';
import { getPath } from './paths.ts';
import { positionalIndex } from './update/positional.ts';
import { guardFilter } from './query-guard.ts';

type Doc = Record<string, unknown>;

interface Tree {
  /** 'leaf' = the whole field (included or excluded); otherwise the sub-paths below it. */
  children: Map<string, Tree | 'leaf'>;
}

type Special =
  | { kind: 'slice'; parts: string[]; skip: number | undefined; limit: number }
  | { kind: 'elemMatch'; field: string; test: (doc: unknown) => boolean }
  | { kind: 'positional'; prefix: string }
  | { kind: 'computed'; parts: string[]; expr: unknown }
  | { kind: 'meta'; parts: string[] };

export interface ProjectionOptions {
  /** The find filter (for the positional `$`). */
  filter?: Doc;
  /** The $text score of a document, when the query has $text. */
  textScore?: (doc: Doc) => number;
}

export type Projector = (doc: Doc) => Doc;

function addPath(tree: Tree, parts: string[], path: string): void {
  let node = tree;
  for (let i = 0; i < parts.length; i++) {
    const key = parts[i]!;
    const existing = node.children.get(key);
    if (i === parts.length - 1) {
      if (existing !== undefined) throw new CommandError('Location31249', `Path collision at ${path}`);
      node.children.set(key, 'leaf');
      return;
    }
    if (existing === 'leaf') throw new CommandError('Location31249', `Path collision at ${path} remaining portion ${parts.slice(i + 1).join('.')}`);
    let next = existing;
    if (!next) {
      next = { children: new Map() };
      node.children.set(key, next);
    }
    node = next;
  }
}

function isOperatorObject(v: unknown): v is Doc {
  return isPlainObject(v) && Object.keys(v).length > 0 && Object.keys(v)[0]!.startsWith('$');
}

/** Flattens { a: { b: 1 } } into [['a.b', 1]]: a nested projection document means dotted paths. */
function entries(spec: Doc, prefix = ''): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [];
  for (const key of Object.keys(spec)) {
    const v = spec[key];
    const path = prefix ? `${prefix}.${key}` : key;
    if (isPlainObject(v) && !isOperatorObject(v) && Object.keys(v).length > 0) out.push(...entries(v, path));
    else out.push([path, v]);
  }
  return out;
}

export function compileProjection(spec: Doc, opts: ProjectionOptions = {}): Projector {
  const tree: Tree = { children: new Map() };
  const specials: Special[] = [];
  let mode: 'include' | 'exclude' | undefined;
  let idExcluded = false;
  let idIncluded = false;
  let positionals = 0;
  const setMode = (want: 'include' | 'exclude', path: string) => {
    if (mode === undefined) mode = want;
    else if (mode !== want) {
      if (want === 'exclude') throw new CommandError('Location31254', `Cannot do exclusion on field ${path} in inclusion projection`);
      throw new CommandError('Location31253', `Cannot do inclusion on field ${path} in exclusion projection`);
    }
  };
  const included: string[] = [];
  const excluded: string[] = [];

  for (const [path, v] of entries(spec)) {
    if (path.endsWith('.$')) {
      if (++positionals > 1) throw new CommandError('Location31276', 'Cannot specify more than one positional projection per query.');
      setMode('include', path);
      const prefix = path.slice(0, -2);
      included.push(prefix);
      specials.push({ kind: 'positional', prefix });
      continue;
    }
    if (path.split('.').some((p) => p.startsWith('$'))) throw new CommandError('Location31249', `FieldPath field names may not start with '$'. Consider using $getField or $setField.`);
    if (typeof v === 'number' || typeof v === 'boolean' || isNumeric(v)) {
      const on = typeof v === 'boolean' ? v : toNumber(v) !== 0;
      if (path === '_id') {
        if (on) idIncluded = true;
        else idExcluded = true;
        continue;
      }
      setMode(on ? 'include' : 'exclude', path);
      (on ? included : excluded).push(path);
      continue;
    }
    if (isOperatorObject(v) && Object.keys(v).length === 1) {
      const op = Object.keys(v)[0]!;
      const arg = v[op];
      if (op === '$slice' && (isNumeric(arg) || (Array.isArray(arg) && arg.length === 2 && arg.every(isNumeric)))) {
        const [skip, limit] = Array.isArray(arg) ? [toNumber(arg[0]), toNumber(arg[1])] : [undefined, toNumber(arg)];
        if (Array.isArray(arg) && limit <= 0) throw new CommandError('Location31308', `Invalid $slice syntax. The given syntax did not match the find() syntax because :: Location31308: $slice limit must be positive`);
        specials.push({ kind: 'slice', parts: path.split('.'), skip, limit });
        continue;
      }
      if (op === '$elemMatch') {
        if (path.includes('.')) throw new CommandError('Location31275', 'Cannot use $elemMatch projection on a nested field.');
        if (!isPlainObject(arg)) throw new CommandError('BadValue', '$elemMatch needs an Object');
        guardFilter({ v: { $elemMatch: arg } }, 'find');
        specials.push({ kind: 'elemMatch', field: path, test: matcher({ v: { $elemMatch: arg } }) });
        continue;
      }
      if (op === '$meta') {
        if (arg !== 'textScore') throw new CommandError('NotImplemented', `$meta '${String(arg)}' is not supported by this server in a find projection`);
        if (!opts.textScore) throw new CommandError('Location40218', 'query requires text score metadata, but it is not available');
        specials.push({ kind: 'meta', parts: path.split('.') });
        continue;
      }
    }
    // Anything else is an aggregation expression (a literal, '$field', { $concat: … }).
    if (path === '_id') idIncluded = true;
    else setMode('include', path);
    specials.push({ kind: 'computed', parts: path.split('.'), expr: v });
  }
  // $slice and $meta alone keep every field; $elemMatch alone is an inclusion.
  // { _id: 1 } alone is an inclusion of _id only.
  if (mode === undefined && (idIncluded || specials.some((s) => s.kind === 'elemMatch' || s.kind === 'positional'))) mode = 'include';
  if (mode === 'include') {
    for (const s of specials) if (s.kind === 'slice') included.push(s.parts.join('.'));
    for (const p of new Set(included)) addPath(tree, p.split('.'), p);
    if (!idExcluded && !tree.children.has('_id')) tree.children.set('_id', 'leaf');
  } else {
    for (const p of excluded) addPath(tree, p.split('.'), p);
    if (idExcluded) tree.children.set('_id', 'leaf');
  }
  const inclusion = mode === 'include';

  return (doc) => {
    let out = inclusion ? include(doc, tree) : exclude(doc, tree);
    for (const s of specials) {
      switch (s.kind) {
        case 'slice':
          out = sliceAt(out, s.parts, 0, s.skip, s.limit) as Doc;
          break;
        case 'positional': {
          const arr = getPath(doc, s.prefix);
          const i = Array.isArray(arr) ? positionalIndex(doc, s.prefix, arr, opts.filter ?? {}) : -1;
          if (i < 0) throw new CommandError('Location51246', "Executor error during find command :: caused by :: positional operator '.$' couldn't find a matching element in the array");
          out = replaceAt(out, s.prefix.split('.'), 0, [(arr as unknown[])[i]]) as Doc;
          break;
        }
        case 'elemMatch': {
          const arr = getOwn(doc, s.field);
          const copy: Doc = {};
          for (const k of Object.keys(out)) if (k !== s.field) setOwn(copy, k, out[k]);
          if (Array.isArray(arr)) {
            const hit = arr.find((el) => s.test({ v: [el] }));
            if (hit !== undefined) setOwn(copy, s.field, [hit]);
          }
          out = copy;
          break;
        }
        case 'computed':
          out = setAt(out, s.parts, evaluate(doc, s.expr));
          break;
        case 'meta':
          out = setAt(out, s.parts, opts.textScore!(doc));
          break;
      }
    }
    return out;
  };
}

function include(obj: Doc, tree: Tree): Doc {
  const out: Doc = {};
  for (const key of Object.keys(obj)) {
    const node = tree.children.get(key);
    if (node === undefined) continue;
    const v = obj[key];
    if (node === 'leaf') setOwn(out, key, v);
    else if (isPlainObject(v)) setOwn(out, key, include(v, node));
    else if (Array.isArray(v)) setOwn(out, key, includeArray(v, node));
  }
  return out;
}

function includeArray(arr: unknown[], tree: Tree): unknown[] {
  const out: unknown[] = [];
  for (const el of arr) {
    if (isPlainObject(el)) out.push(include(el, tree));
    else if (Array.isArray(el)) out.push(includeArray(el, tree));
  }
  return out;
}

function exclude(obj: Doc, tree: Tree): Doc {
  const out: Doc = {};
  for (const key of Object.keys(obj)) {
    const node = tree.children.get(key);
    const v = obj[key];
    if (node === undefined) setOwn(out, key, v);
    else if (node === 'leaf') continue;
    else if (isPlainObject(v)) setOwn(out, key, exclude(v, node));
    else if (Array.isArray(v)) setOwn(out, key, excludeArray(v, node));
    else setOwn(out, key, v);
  }
  return out;
}

function excludeArray(arr: unknown[], tree: Tree): unknown[] {
  return arr.map((el) => (isPlainObject(el) ? exclude(el, tree) : Array.isArray(el) ? excludeArray(el, tree) : el));
}

/** A copy of `value` with the array at `parts` sliced (through arrays of documents); never mutates. */
function sliceAt(value: unknown, parts: string[], i: number, skip: number | undefined, limit: number): unknown {
  if (Array.isArray(value)) {
    if (i === parts.length) {
      if (skip === undefined) return limit >= 0 ? value.slice(0, limit) : value.slice(Math.max(0, value.length + limit));
      const from = skip >= 0 ? Math.min(skip, value.length) : Math.max(0, value.length + skip);
      return value.slice(from, from + limit);
    }
    return value.map((el) => (isPlainObject(el) ? sliceAt(el, parts, i, skip, limit) : el));
  }
  if (!isPlainObject(value) || i === parts.length) return value;
  const key = parts[i]!;
  const child = getOwn(value, key);
  if (child === undefined) return value;
  const copy: Doc = { ...value };
  setOwn(copy, key, sliceAt(child, parts, i + 1, skip, limit));
  return copy;
}

/** A copy of `obj` with `parts` (through documents only) set to `v`. */
function replaceAt(obj: unknown, parts: string[], i: number, v: unknown): unknown {
  if (!isPlainObject(obj)) return obj;
  const key = parts[i]!;
  const copy: Doc = { ...obj };
  setOwn(copy, key, i === parts.length - 1 ? v : replaceAt(getOwn(obj, key), parts, i + 1, v));
  return copy;
}

/** A copy of `obj` with `parts` set to `v`, creating documents on the way (computed fields). */
function setAt(obj: Doc, parts: string[], v: unknown): Doc {
  const copy: Doc = { ...obj };
  const key = parts[0]!;
  if (parts.length === 1) {
    if (v !== undefined) setOwn(copy, key, v);
    return copy;
  }
  const child = getOwn(obj, key);
  setOwn(copy, key, setAt(isPlainObject(child) ? child : {}, parts.slice(1), v));
  return copy;
}
