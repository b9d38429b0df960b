// Native execution of the stages that dominate reporting pipelines — inclusion $project, $unwind,
// $match and a $group with field-path keys and simple accumulators — without mingo's general
// expression machinery. Stages it does not recognise (or values it would have to interpret, such as
// arrays on a group-key path) are left to mingo: runFastPrefix reports how many stages it ran.
import { compareValues, getOwn, isNumeric, isPlainObject, setOwn, toNumber } from './compare.ts';
import { compileFilter, type Doc } from './collection.ts';
import { idKey } from './storage/id-key.ts';
import { CollatedKeys, type Collation } from './collation.ts';

class Unsupported extends Error {}

type Getter = (doc: Doc) => unknown;

function fieldPath(v: unknown): string[] | undefined {
  if (typeof v !== 'string' || !v.startsWith('$') || v.startsWith('$$') || v.length < 2) return undefined;
  const parts = v.slice(1).split('.');
  return parts.every((p) => p.length > 0 && !p.startsWith('$')) ? parts : undefined;
}

/** Value at a path; an array on the way would need MongoDB's array semantics, so it is refused. */
function getter(parts: string[]): Getter {
  return (doc) => {
    let v: unknown = doc;
    for (const p of parts) {
      if (Array.isArray(v)) throw new Unsupported();
      if (!isPlainObject(v)) return undefined;
      v = getOwn(v, p);
    }
    return v;
  };
}

function constantOrPath(v: unknown): Getter | undefined {
  const path = fieldPath(v);
  if (path) return getter(path);
  if (v === null || typeof v === 'number' || typeof v === 'boolean' || (typeof v === 'string' && !v.startsWith('$'))) return () => v;
  return undefined;
}

function projectStage(spec: unknown): ((docs: Doc[]) => Doc[]) | undefined {
  if (!isPlainObject(spec)) return undefined;
  const keep: string[] = [];
  let includeId = true;
  for (const [k, v] of Object.entries(spec)) {
    if (k.includes('.') || k.startsWith('$')) return undefined;
    if (k === '_id' && (v === 0 || v === false)) { includeId = false; continue; }
    if (v === 1 || v === true) keep.push(k);
    else return undefined;
  }
  if (keep.length === 0) return undefined;
  const wanted = new Set(keep);
  // Fields come out in the document's order, as MongoDB's inclusion projection does.
  return (docs) =>
    docs.map((d) => {
      const out: Doc = {};
      if (includeId && d._id !== undefined) out._id = d._id;
      for (const k of Object.keys(d)) if (wanted.has(k) && d[k] !== undefined) setOwn(out, k, d[k]);
      return out;
    });
}

function unwindStage(spec: unknown): ((docs: Doc[]) => Doc[]) | undefined {
  let pathSpec: unknown = spec;
  let preserve = false;
  if (isPlainObject(spec)) {
    const keys = Object.keys(spec);
    if (keys.some((k) => k !== 'path' && k !== 'preserveNullAndEmptyArrays')) return undefined;
    pathSpec = spec.path;
    preserve = spec.preserveNullAndEmptyArrays === true;
  }
  const path = fieldPath(pathSpec);
  if (!path || path.length !== 1) return undefined;
  const field = path[0]!;
  return (docs) => {
    const out: Doc[] = [];
    for (const d of docs) {
      const v = getOwn(d, field);
      if (Array.isArray(v)) {
        if (v.length === 0) {
          if (preserve) { const copy = { ...d }; delete copy[field]; out.push(copy); }
          continue;
        }
        for (const el of v) { const copy = { ...d }; setOwn(copy, field, el); out.push(copy); }
      } else if (v === undefined || v === null) {
        if (preserve) out.push(d);
      } else out.push(d);
    }
    return out;
  };
}

interface Acc {
  init(): unknown;
  add(state: unknown, doc: Doc): unknown;
  result(state: unknown): unknown;
}

function accumulator(spec: unknown): Acc | undefined {
  if (!isPlainObject(spec) || Object.keys(spec).length !== 1) return undefined;
  const [op, arg] = Object.entries(spec)[0]!;
  if (op === '$sum') {
    if (typeof arg === 'number') return { init: () => 0, add: (s) => (s as number) + arg, result: (s) => s };
    const g = constantOrPath(arg);
    if (!g) return undefined;
    return { init: () => 0, add: (s, d) => { const v = g(d); return isNumeric(v) ? (s as number) + toNumber(v) : s; }, result: (s) => s };
  }
  const g = constantOrPath(arg);
  if (!g) return undefined;
  switch (op) {
    case '$avg':
      return {
        init: () => ({ sum: 0, n: 0 }),
        add: (s, d) => { const v = g(d); const st = s as { sum: number; n: number }; if (isNumeric(v)) { st.sum += toNumber(v); st.n++; } return st; },
        result: (s) => { const st = s as { sum: number; n: number }; return st.n ? st.sum / st.n : null; },
      };
    case '$min':
    case '$max':
      return {
        init: () => undefined,
        add: (s, d) => { const v = g(d); if (v === undefined || v === null) return s; if (s === undefined) return v; const c = compareValues(v, s); return (op === '$min' ? c < 0 : c > 0) ? v : s; },
        result: (s) => (s === undefined ? null : s),
      };
    case '$first':
      return { init: () => ({ set: false, v: null }), add: (s, d) => { const st = s as { set: boolean; v: unknown }; if (!st.set) { st.set = true; st.v = g(d) ?? null; } return st; }, result: (s) => (s as { v: unknown }).v };
    case '$last':
      return { init: () => null, add: (_s, d) => g(d) ?? null, result: (s) => s };
    case '$push':
      return { init: () => [], add: (s, d) => { const v = g(d); if (v !== undefined) (s as unknown[]).push(v); return s; }, result: (s) => s };
    case '$addToSet':
      return {
        init: () => new Map<string, unknown>(),
        add: (s, d) => { const v = g(d); if (v !== undefined) (s as Map<string, unknown>).set(idKey(v), v); return s; },
        result: (s) => [...(s as Map<string, unknown>).values()],
      };
    default:
      return undefined;
  }
}

function groupStage(spec: unknown, collation?: Collation): ((docs: Doc[]) => Doc[]) | undefined {
  if (!isPlainObject(spec) || !('_id' in spec)) return undefined;
  const idSpec = spec._id;
  let keyOf: (d: Doc) => unknown;
  let keyString: (id: unknown) => string = idKey;
  const single = constantOrPath(idSpec);
  if (single) keyOf = (d) => { const v = single(d); return v === undefined ? null : v; };
  else if (isPlainObject(idSpec) && Object.keys(idSpec).length > 0 && Object.keys(idSpec).every((k) => !k.startsWith('$'))) {
    const parts = Object.entries(idSpec).map(([k, v]) => [k, constantOrPath(v)] as const);
    if (parts.some(([, g]) => !g)) return undefined;
    keyOf = (d) => {
      const o: Doc = {};
      for (const [k, g] of parts) { const v = g!(d); if (v !== undefined) setOwn(o, k, v); }
      return o;
    };
    // Compound keys: one string from the parts' own keys (cheaper than serializing the object).
    keyString = (id) => {
      const o = id as Doc;
      let k = '';
      for (const [name] of parts) {
        const v = getOwn(o, name);
        k += v === undefined ? '\u0001' : idKey(v) + '\u0002';
      }
      return k;
    };
  } else return undefined;
  const accs: Array<[string, Acc]> = [];
  for (const [k, v] of Object.entries(spec)) {
    if (k === '_id') continue;
    const acc = accumulator(v);
    if (!acc) return undefined;
    accs.push([k, acc]);
  }
  return (docs) => {
    const groups = new Map<string, { id: unknown; states: unknown[] }>();
    // Under a collation, keys equal by it share a group: each key maps to its group's first key.
    const canonical = collation ? new CollatedKeys(collation) : undefined;
    for (const d of docs) {
      const id = keyOf(d);
      if (Array.isArray(id)) throw new Unsupported();
      const k = canonical ? canonical.key(id) : keyString(id);
      let g = groups.get(k);
      if (!g) {
        g = { id, states: accs.map(([, a]) => a.init()) };
        groups.set(k, g);
      }
      for (let i = 0; i < accs.length; i++) g.states[i] = accs[i]![1].add(g.states[i], d);
    }
    return [...groups.values()].map((g) => {
      const out: Doc = { _id: g.id };
      accs.forEach(([name, a], i) => { setOwn(out, name, a.result(g.states[i])); });
      return out;
    });
  };
}

function compileStage(stage: Doc, collation?: Collation): ((docs: Doc[]) => Doc[]) | undefined {
  const keys = Object.keys(stage);
  if (keys.length !== 1) return undefined;
  const [name] = keys;
  const spec = stage[name!];
  switch (name) {
    case '$project':
      return projectStage(spec);
    case '$unwind':
      return unwindStage(spec);
    case '$match': {
      if (!isPlainObject(spec)) return undefined;
      const test = compileFilter(spec, collation);
      return (docs) => docs.filter(test);
    }
    case '$group':
      return groupStage(spec, collation);
    default:
      return undefined;
  }
}

/**
 * Runs the leading stages it supports natively. Returns the documents after them and how many
 * stages ran; when a value needs semantics it doesn't implement, nothing runs (consumed 0).
 */
export function runFastPrefix(docs: Doc[], pipeline: Doc[], collation?: Collation): { docs: Doc[]; consumed: number } {
  const compiled: Array<(docs: Doc[]) => Doc[]> = [];
  for (const stage of pipeline) {
    const fn = isPlainObject(stage) ? compileStage(stage, collation) : undefined;
    if (!fn) break;
    compiled.push(fn);
  }
  // Worth it when a $group is among them, or when they are the whole pipeline.
  let last = compiled.length === pipeline.length ? compiled.length - 1 : -1;
  pipeline.slice(0, compiled.length).forEach((st, i) => { if ('$group' in st) last = Math.max(last, i); });
  if (last < 0) return { docs, consumed: 0 };
  try {
    let out = docs;
    for (let i = 0; i <= last; i++) out = compiled[i]!(out);
    return { docs: out, consumed: last + 1 };
  } catch (err) {
    if (err instanceof Unsupported) return { docs, consumed: 0 };
    throw err;
  }
}
