// Canonical string key for an _id value, so documents can live in a Map<string, Document>.
// Values MongoDB treats as equal _ids get the same key: 1, Int32(1), Double(1.0) and Long(1) are one
// key ('n1'), as they are one _id to the server.
import { EJSON, Double, Int32, Long, type Document } from 'bson';

type Tagged = { _bsontype?: unknown };

function bsonType(v: unknown): string | undefined {
  if (v === null || typeof v !== 'object') return undefined;
  const t = (v as Tagged)._bsontype;
  return typeof t === 'string' ? t : undefined;
}

export function idKey(id: unknown): string {
  if (typeof id === 'string') return 's' + id;
  if (typeof id === 'number') return 'n' + String(id);
  if (id instanceof Date) return 'd' + String(id.getTime());
  // _bsontype rather than instanceof: a value may come from another copy of the bson package.
  switch (bsonType(id)) {
    case 'ObjectId':
      return 'o' + (id as { toHexString(): string }).toHexString();
    case 'Int32':
    case 'Double':
      return 'n' + String((id as { value: number }).value);
    case 'Long':
      return 'n' + (id as Long).toString();
  }
  return 'x' + EJSON.stringify(canonical(id) as Document, { relaxed: false });
}

/** Numbers nested in a compound _id are normalized the same way, so {a: 1} and {a: Long(1)} match. */
function canonical(v: unknown): unknown {
  if (typeof v === 'number') return numberValue(v);
  if (v === null || typeof v !== 'object' || v instanceof Date) return v;
  switch (bsonType(v)) {
    case 'Int32':
    case 'Double':
      return numberValue((v as { value: number }).value);
    case 'Long': {
      const l = v as Long;
      return l.greaterThanOrEqual(Long.fromInt(-0x80000000)) && l.lessThanOrEqual(Long.fromInt(0x7fffffff))
        ? new Int32(l.toInt())
        : l;
    }
    case undefined:
      break;
    default:
      return v;
  }
  if (Array.isArray(v)) return v.map(canonical);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = canonical(x);
  return out;
}

function numberValue(n: number): Int32 | Long | Double {
  if (Number.isInteger(n)) {
    if (n >= -0x80000000 && n <= 0x7fffffff) return new Int32(n);
    if (Number.isSafeInteger(n)) return Long.fromNumber(n);
  }
  return new Double(n);
}
