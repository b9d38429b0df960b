// The one path walker every update operator uses: finds the container and key a dotted path names,
// creating intermediate objects (and padding arrays) when asked, with MongoDB's PathNotViable refusals.
import { CommandError } from '../errors.ts';
import { bsonTypeName, hasOwn, isPlainObject, setOwn } from '../compare.ts';

export type Doc = Record<string, unknown>;

export interface Slot {
  parent: Doc | unknown[];
  key: string;
  exists: boolean;
  value: unknown;
}

/** Finds (creating intermediate objects when `create`) the parent container of `path`. */
export function locate(doc: Doc, path: string, create: boolean): Slot | undefined {
  const parts = path.split('.');
  let cur: unknown = doc;
  for (let i = 0; i < parts.length - 1; i++) {
    const key = parts[i]!;
    let next: unknown;
    if (Array.isArray(cur)) {
      if (!/^\d+$/.test(key)) {
        throw new CommandError('PathNotViable', `Cannot create field '${key}' in element {${parts.slice(0, i).join('.')}: ${bsonTypeName(cur)}}`);
      }
      next = cur[Number(key)];
    } else next = hasOwn(cur as Doc, key) ? (cur as Doc)[key] : undefined;
    if (next === undefined || next === null) {
      if (!create) return undefined;
      if (next === null) throw new CommandError('PathNotViable', `Cannot create field '${parts[i + 1]}' in element {${key}: null}`);
      next = {};
      if (Array.isArray(cur)) {
        const idx = Number(key);
        while (cur.length < idx) cur.push(null);
        cur[idx] = next;
      } else setOwn(cur as Doc, key, next);
    } else if (!isPlainObject(next) && !Array.isArray(next)) {
      if (!create) return undefined;
      throw new CommandError('PathNotViable', `Cannot create field '${parts[i + 1]}' in element {${key}: ${JSON.stringify(next)}}`);
    }
    cur = next;
  }
  const last = parts[parts.length - 1]!;
  if (Array.isArray(cur)) {
    if (!/^\d+$/.test(last)) {
      if (!create) return undefined;
      throw new CommandError('PathNotViable', `Cannot create field '${last}' in an array`);
    }
    const i = Number(last);
    return { parent: cur, key: last, exists: i < cur.length, value: cur[i] };
  }
  const o = cur as Doc;
  const exists = hasOwn(o, last);
  return { parent: o, key: last, exists, value: exists ? o[last] : undefined };
}

/** Stores `value` in the slot (an array is padded with nulls up to the index). */
export function write(slot: Slot, value: unknown): void {
  if (Array.isArray(slot.parent)) {
    const i = Number(slot.key);
    while (slot.parent.length < i) slot.parent.push(null);
    slot.parent[i] = value;
  } else setOwn(slot.parent, slot.key, value);
}

/** Removes the field the slot names (an array element becomes null, as $unset does in MongoDB). */
export function remove(slot: Slot): void {
  if (Array.isArray(slot.parent)) slot.parent[Number(slot.key)] = null;
  else delete slot.parent[slot.key];
}

/** `{ _id: … }` of a document, for error messages. */
export function describe(doc: Doc): string {
  try {
    return `{ _id: ${JSON.stringify(doc._id)} }`;
  } catch {
    return '{ _id: ? }';
  }
}
