// Random hex for what each page render needs a few of (form keys, the page-pieces mark): taken from
// a pool filled 4 KB at a time from the system's CSPRNG, each byte handed out once. A randomBytes
// call of 8 or 16 bytes cost ~15 µs of the web thread here (three per case page: ~1 % of it, profile
// at 100,000 cases); the pool's refill costs about the same, once per 256 keys.
import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
/** Bytes of the pool already handed out: all of them at first, so the first call fills it (in the process that uses it). */
let used = POOL_BYTES;

/** `bytes` random bytes (at most 256) as lowercase hex. */
export function randomHex(bytes: number): string {
  if (!Number.isInteger(bytes) || bytes < 1 || bytes > 256) throw new RangeError(`randomHex: ${bytes} bytes`);
  if (used + bytes > POOL_BYTES) {
    randomFillSync(pool);
    used = 0;
  }
  const out = pool.toString('hex', used, used + bytes);
  used += bytes;
  return out;
}
