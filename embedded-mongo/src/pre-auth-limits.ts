// Bounds on connections that have not authenticated (security review s33): without them a flood of
// idle sockets could take all of the server's 10,000 connection slots and lock the app out.
//
// What a bound must not do: cut the driver's own monitoring connections. They never authenticate
// (the MongoDB handshake/SDAM specs, DRIVERS-466: "monitoring-only sockets must not authenticate")
// and sit idle between heartbeats (heartbeatFrequencyMS, 10 s by default, any length configured);
// a monitor whose connection is cut marks the server Unknown and the driver clears its pool.
// So an unauthenticated connection is never closed for being idle between messages, and never
// evicted to make room: beyond a cap, NEW ones are refused. Only a connection that has sent no
// complete message at all within a generous deadline (a driver sends its hello at once) or stays
// inside one message that long (a driver writes a message whole; before authentication they are
// at most 16 kB, framing.ts PRE_AUTH_MAX_BYTES) is closed.
//
// A total cap alone would let a flood from other addresses refuse the app's NEW connections (a
// restart, a web worker, the pool growing: each is unauthenticated for its handshake). So each
// address keeps a few slots of its own past the total (`reservedPerAddress`, a pool's handshakes
// and its monitor), themselves capped (`reservedTotal`) so that many addresses cannot take the
// whole server that way. That shared cap alone let 16 addresses at their cap take every reserve:
// the server's own host (sameHost: the app beside it) keeps its reserve past `reservedTotal` (s34).
//
// Known limit: a cap per remote address cannot tell the app from another local process on the
// same address (the server binds loopback by default: 127.0.0.1 for both). Such a process can hold
// that address's slots and have the app's NEW connections refused; the app's open pool and monitor
// keep working, and every other address keeps its own slots.

import type { AuthFailureBoundLimits } from './auth/failure-bound.ts';

export interface PreAuthLimits extends AuthFailureBoundLimits {
  /** Unauthenticated connections at once from one address (an IPv6 /64 counts as one). */
  perAddress: number;
  /** Unauthenticated connections at once, from all addresses, past which only an address's reserve is admitted. */
  total: number;
  /** Slots each address still gets once `total` is reached (counted within `perAddress`). */
  reservedPerAddress: number;
  /** Connections admitted past `total` from reserves, at most. */
  reservedTotal: number;
  /** A connection that has completed no message this long after it opened is closed. */
  firstMessageMs: number;
  /** A message begun before authentication and not complete this long after its first byte closes its connection. */
  messageMs: number;
  /**
   * A connection whose authentication failed this many times is closed after the last answer: guesses
   * on one connection were unbounded (security review s34). Drivers open a new connection after one
   * failure; mongosh's db.auth() retried by hand stays far below.
   */
  authFailures: number;
}

export const DEFAULT_PRE_AUTH_LIMITS: PreAuthLimits = {
  // An app process holds one monitor and at most a couple of connections mid-handshake (the pool's
  // maxConnecting is 2); a few web workers, scripts and mongosh stay far below 128.
  perAddress: 128,
  // Well under the 10,000 connections allowed: authenticated ones keep most of the slots.
  total: 1024,
  // The app's address needs a monitor per process (the one that opened the database and up to 32
  // web workers; 4 by default) and each pool's two handshakes at once (maxConnecting): a restart
  // or a new worker mid-flood. 4 was too few for the drill (3 processes' monitors and a new client).
  reservedPerAddress: 16,
  reservedTotal: 1024,
  // The app's connect timeout is 10 s by default; a driver sends its hello as soon as it connects.
  firstMessageMs: 30_000,
  messageMs: 30_000,
  authFailures: 5,
  // Across connections (auth/failure-bound.ts): 20 guesses per 10 minutes at one user name from
  // other hosts, and from one address; a person mistyping a password stays far below.
  failureWindowMs: 600_000,
  failuresPerUser: 20,
  failuresPerAddress: 20,
};

/**
 * The limits `given` asks for, each of the defaults where it gives no usable number: an explicit
 * `undefined` or NaN spread over the defaults compared false against every count and took the bound
 * away (security review s35); a reserve may be 0 (none), every other limit is at least 1.
 */
export function preAuthLimits(given: Partial<PreAuthLimits> = {}): PreAuthLimits {
  const out = { ...DEFAULT_PRE_AUTH_LIMITS };
  for (const key of Object.keys(DEFAULT_PRE_AUTH_LIMITS) as Array<keyof PreAuthLimits>) {
    const v = given[key];
    const least = key === 'reservedPerAddress' || key === 'reservedTotal' ? 0 : 1;
    if (typeof v === 'number' && Number.isInteger(v) && v >= least) out[key] = v;
  }
  return out;
}

/** The key a remote address is counted under: IPv4 (also IPv4-mapped IPv6) as is, IPv6 by its /64. */
export function addressKey(address: string | undefined): string {
  if (!address) return '?';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!address.includes(':')) return address;
  const [head = '', tail = ''] = address.split('%')[0]!.toLowerCase().split('::');
  const front = head ? head.split(':') : [];
  const back = address.includes('::') && tail ? tail.split(':') : [];
  const groups = [...front, ...Array<string>(Math.max(0, 8 - front.length - back.length)).fill('0'), ...back];
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

/**
 * Whether a connection comes from the server's own host: its remote address is the local address
 * it reached (a client on this host that did not pick its source address, as the app connecting to
 * 127.0.0.1). Another host cannot present it (TCP's handshake); another local process can (the known
 * limit above). IPv4-mapped IPv6 is read as its IPv4.
 */
export function sameHost(remote: string | undefined, local: string | undefined): boolean {
  const plain = (a: string) => a.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '').toLowerCase();
  return !!remote && !!local && plain(remote) === plain(local);
}

/** Counts unauthenticated connections by address; `admit` refuses one past a cap. */
export class PreAuthCounter {
  private byAddress = new Map<string, number>();
  private count = 0;

  constructor(readonly limits: PreAuthLimits) {}

  get total(): number {
    return this.count;
  }

  /**
   * Counts a new connection from `key`, or answers false (counted nowhere) past a cap. `own`: it
   * comes from the server's own host (sameHost), whose reserve others cannot use up: with
   * `reservedTotal` shared, 16 addresses (127.0.0.2-17, or an IPv6 /60) at 128 each filled the
   * total and every reserve, and the app's next connection (a restart, a worker) was refused
   * (security review s34).
   */
  admit(key: string, own = false): boolean {
    const n = this.byAddress.get(key) ?? 0;
    const { perAddress, total, reservedPerAddress, reservedTotal } = this.limits;
    if (n >= perAddress) return false;
    // The own host's allowance past the shared reserves is one address's reserve in all: a server bound
    // to every interface sees 127.0.0.5 to 127.0.0.5 as its own host too, and many such would be unbounded.
    // Past the total, the own host is not held to one address's reserve of its own count (security
    // review s35): at rest it already holds two connections that never authenticate per process (a
    // driver's monitor and its RTT pinger), 66 with 32 web workers, so `n >= reservedPerAddress` refused
    // every new pool connection of the app during a flood; its allowance past the shared reserves bounds it.
    if (this.count >= total && (own ? this.count >= total + reservedTotal + reservedPerAddress : n >= reservedPerAddress || this.count >= total + reservedTotal)) return false;
    this.byAddress.set(key, n + 1);
    this.count++;
    return true;
  }

  release(key: string): void {
    const n = this.byAddress.get(key) ?? 0;
    if (n <= 1) this.byAddress.delete(key);
    else this.byAddress.set(key, n - 1);
    this.count--;
  }
}
