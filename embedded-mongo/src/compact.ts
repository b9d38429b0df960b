// Stored documents in V8's compact forms. A case decoded by the BSON decoder took 8.7 kB of heap
// for 2.2 kB of BSON (npm run bench's 100,000 cases: 850 MB of the database's heap), because:
// - the decoder adds fields by keyed stores, and V8 keeps an object given more than ~16 fields that
//   way in dictionary mode (a hash table: 1.6 kB for a case's 31 top-level fields); a spread copy
//   of it has fast properties (~0.3 kB), its layout shared by every document of the same shape;
// - arrays it fills grow with spare capacity; copies are exact;
// - every Date is an object of ~110 bytes, and a case repeats the same instants (a stage entered is
//   also a history entry's time and a stay's end): equal Dates within one document are one object;
// - short strings repeat across documents (a stage, a role, a country, a search word): they are
//   interned in a bounded table.
// Measured on 20,000 cases of the benchmark's data: 8.7 kB → 4.0 kB a case, decoding no slower; on
// all of its 100,000 cases and other collections, the database's heap for documents 894 → 503 MB.
// Sharing is safe because stored documents are never changed in place: an update builds a new
// document (update/index.ts clones), and readers only serialise or match them.
import { setOwn } from './compare.ts';

type Doc = Record<string, unknown>;

/** V8 leaves fast properties for dictionary mode past this many fields added by keyed stores. */
const KEYED_FAST_FIELDS = 16;
/** Strings up to this length are interned (longer ones are rarely repeated: names, notes). */
const INTERN_MAX_LENGTH = 32;
/** The intern table starts over past this many strings, so it never holds more than a few MB. */
const INTERN_MAX_ENTRIES = 200_000;

let interned = new Map<string, string>();

function intern(s: string): string {
  if (s.length > INTERN_MAX_LENGTH) return s;
  const known = interned.get(s);
  if (known !== undefined) return known;
  if (interned.size >= INTERN_MAX_ENTRIES) interned = new Map();
  interned.set(s, s);
  return s;
}

/**
 * The document in compact form (equal in every field, order and BSON type): its own objects and
 * arrays may be changed or replaced, so pass a document nothing else holds yet (just decoded or built).
 */
export function compactDocument<T extends Doc>(doc: T): T {
  return compactValue(doc, new Map()) as T;
}

function compactValue(v: unknown, dates: Map<number, Date>): unknown {
  if (typeof v === 'string') return intern(v);
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) {
    const out = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = compactValue(v[i], dates);
    return out;
  }
  if (v instanceof Date) {
    const t = v.getTime();
    // An invalid Date (NaN) is kept as it is: NaN is no key.
    if (Number.isNaN(t)) return v;
    const same = dates.get(t);
    if (same) return same;
    dates.set(t, v);
    return v;
  }
  const proto = Object.getPrototypeOf(v);
  // BSON values (ObjectId, Long, Binary…) are kept; plain objects (and null-prototype ones) compacted.
  if (proto !== Object.prototype && proto !== null) return v;
  const obj = v as Doc;
  const keys = Object.keys(obj);
  for (const k of keys) {
    const x = obj[k];
    const c = compactValue(x, dates);
    if (c !== x) setOwn(obj, k, c);
  }
  // A spread copy defines own fields (a `__proto__` field stays a field) in the same order.
  return keys.length > KEYED_FAST_FIELDS && proto === Object.prototype ? { ...obj } : obj;
}
