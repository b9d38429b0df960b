// A document as stored (its BSON bytes), kept undecoded after a snapshot is read at start: the core
// decodes a collection's documents when it is first used or in idle time (Collection), so start-up
// does not pay for decoding every document before serving. Only the _id is read here, for the key.
import { deserialize, ObjectId, type Document } from 'bson';
import { idKey } from './id-key.ts';
import { compactDocument } from '../compact.ts';

/** Options every stored document is decoded with (Longs stay Longs: 64-bit values are kept exact). */
export const STORAGE_DESERIALIZE_OPTIONS = { promoteLongs: false } as const;

/** Is this value a stored document's raw bytes (rather than a decoded document)? */
export function isRaw(v: unknown): v is Uint8Array {
  return v instanceof Uint8Array;
}

/** A stored document decoded, in the compact form documents are kept in (compact.ts). */
export function decodeRaw(raw: Uint8Array): Document {
  return compactDocument(deserialize(raw, STORAGE_DESERIALIZE_OPTIONS));
}

/**
 * The idKey of a raw BSON document, reading only its top-level `_id` element when it is an ObjectId,
 * a string or a 32-bit integer; other _id types (and anything unexpected) decode the document.
 */
export function rawIdKey(buf: Buffer): string {
  let off = 4;
  const end = buf.length - 1;
  while (off < end) {
    const type = buf[off]!;
    const nameStart = off + 1;
    const nameEnd = buf.indexOf(0, nameStart);
    if (nameEnd < 0 || nameEnd >= end) break;
    const isId = nameEnd - nameStart === 3 && buf[nameStart] === 0x5f && buf[nameStart + 1] === 0x69 && buf[nameStart + 2] === 0x64;
    const v = nameEnd + 1;
    if (isId) {
      if (type === 0x07) return idKey(new ObjectId(buf.subarray(v, v + 12)));
      if (type === 0x02) return idKey(buf.toString('utf8', v + 4, v + 4 + buf.readInt32LE(v) - 1));
      if (type === 0x10) return idKey(buf.readInt32LE(v));
      break;
    }
    const size = elementSize(buf, type, v);
    if (size < 0) break;
    off = v + size;
  }
  return idKey(deserialize(buf, STORAGE_DESERIALIZE_OPTIONS)._id);
}

/** Bytes of an element's value of BSON `type` starting at `v`; -1 for a type this reader skips. */
function elementSize(buf: Buffer, type: number, v: number): number {
  switch (type) {
    case 0x01: case 0x09: case 0x11: case 0x12: return 8; // double, date, timestamp, int64
    case 0x02: case 0x0d: case 0x0e: return 4 + buf.readInt32LE(v); // string, code, symbol
    case 0x03: case 0x04: case 0x0f: return buf.readInt32LE(v); // document, array, code_w_s
    case 0x05: return 5 + buf.readInt32LE(v); // binary
    case 0x06: case 0x0a: case 0x7f: case 0xff: return 0; // undefined, null, maxKey, minKey
    case 0x07: return 12;
    case 0x08: return 1;
    case 0x10: return 4;
    case 0x13: return 16;
    default: return -1;
  }
}
