// A bound on failed authentications across connections (security review s36). The bound per
// connection (PreAuthLimits.authFailures, server.ts) closes a guessing connection after a few
// failures, but a client opening new connections kept guessing without end. Here failures are
// counted per user name (`db.user`) and per remote address (pre-auth-limits.ts addressKey) in a
// fixed window; past either budget, authentication is refused — before the proof is checked, so
// a right guess is refused too and the answer tells nothing — until the window ends.
//
// Not locking the app out: the app connects from the server's own host (sameHost) with the right
// password, and the own host is never refused. Its failures are counted (a local guesser uses up
// the user name's budget for other hosts) but the app's next connection still authenticates while
// another host guesses its user name, or its address, away. Known limit, as for connection slots:
// another process on the server's host is bounded only per connection (and by the slots per
// address and the client-side cost of SCRAM's salted hash), not by this window.

import { createHash } from 'node:crypto';

export interface AuthFailureBoundLimits {
  /** Length of the window failures are counted in. */
  failureWindowMs: number;
  /** Failed authentications for one user name, from all addresses, in a window, past which other hosts are refused. */
  failuresPerUser: number;
  /** Failed authentications from one address, for any user names, in a window, past which it is refused. */
  failuresPerAddress: number;
}

/** Keys kept at most: a guesser sending a new user name each time must not grow memory without end. */
const MAX_KEYS = 10_000;
/**
 * A longer key is kept as its SHA-256 (security review s37): a user name may fill a message without
 * credentials (16 kB), and 10,000 of those were 160 MB held for the window.
 */
const MAX_KEY_CHARS = 64;

export function boundedKey(key: string): string {
  return key.length <= MAX_KEY_CHARS ? key : `sha256:${createHash('sha256').update(key).digest('base64')}`;
}

class WindowCounts {
  private counts = new Map<string, { n: number; until: number }>();

  constructor(private readonly windowMs: number) {}

  count(key: string, now: number): number {
    const c = this.counts.get(boundedKey(key));
    return c && c.until > now ? c.n : 0;
  }

  add(name: string, now: number): void {
    const key = boundedKey(name);
    const c = this.counts.get(key);
    if (c && c.until > now) {
      c.n++;
      return;
    }
    this.counts.delete(key);
    if (this.counts.size >= MAX_KEYS) this.prune(now);
    this.counts.set(key, { n: 1, until: now + this.windowMs });
  }

  private prune(now: number): void {
    for (const [k, c] of this.counts) if (c.until <= now) this.counts.delete(k);
    // Still full: the oldest go first (insertion order); a flood of names then forgets old ones,
    // and the budget per address bounds how fast one host can flood.
    for (const k of this.counts.keys()) {
      if (this.counts.size < MAX_KEYS) break;
      this.counts.delete(k);
    }
  }
}

export class AuthFailureBound {
  private users: WindowCounts;
  private addresses: WindowCounts;

  constructor(
    private readonly limits: AuthFailureBoundLimits,
    private readonly now: () => number = Date.now,
  ) {
    this.users = new WindowCounts(limits.failureWindowMs);
    this.addresses = new WindowCounts(limits.failureWindowMs);
  }

  /** Whether an authentication from `address` (for `user`, when known yet) is refused now. The own host never is. */
  refuses(address: string, ownHost: boolean, user?: string): boolean {
    if (ownHost) return false;
    const now = this.now();
    if (this.addresses.count(address, now) >= this.limits.failuresPerAddress) return true;
    return user !== undefined && this.users.count(user, now) >= this.limits.failuresPerUser;
  }

  /** Counts a failed authentication (not a refusal: refused attempts guess nothing). */
  failed(address: string, user?: string): void {
    const now = this.now();
    this.addresses.add(address, now);
    if (user !== undefined) this.users.add(user, now);
  }
}
