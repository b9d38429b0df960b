// Database reads kept in memory for a few seconds, per key, for data that changes rarely and is
// read on many pages (the holiday calendar, an institute's officers, its calls). Concurrent
// callers share one read. `forget()` (called on the model's writes given as `forgetOn`,
// models/watch-writes.ts) drops everything at once, and a read that was in flight when it was called is not kept, so a write
// in this process, or in another web process of this app (the write is announced: server/web-workers.ts),
// is seen by the next request; another app instance on the same database sees it within `ttlMs`.
// Kept values are shared between requests: callers must not change them.

const everyKeptRead = new Set<{ forget(): void; readonly size: number; readonly bound: number }>();

/** Forgets every kept read (a test emptied the database behind the models' backs). */
export function forgetKeptReads(): void {
  for (const kept of everyKeptRead) kept.forget();
}

/** Each kept read's number of values and its bound (maxKeys): a test's check that no stream of hostile keys grows one past it. */
export function keptReadSizes(): Array<{ size: number; bound: number }> {
  return [...everyKeptRead].map((k) => ({ size: k.size, bound: k.bound }));
}

export class KeptReads<V> {
  private readonly kept = new Map<string, { value: V; readAt: number }>();
  private readonly reading = new Map<string, { promise: Promise<V>; startedAt: number }>();
  /** Moves on each forget(), so a read that began before it is not kept. */
  private generation = 0;

  private readonly maxKeys: number;

  /** `forgetOn`: a model's write listener (`onCallWrite`…): every write through it forgets all kept values. */
  constructor(
    private ttlMs: number,
    opts: { maxKeys?: number; forgetOn?: (listener: () => void) => void } = {},
  ) {
    this.maxKeys = opts.maxKeys ?? 1000;
    opts.forgetOn?.(() => this.forget());
    everyKeptRead.add(this);
  }

  /** Values kept now (reads in flight aside). */
  get size(): number {
    return this.kept.size;
  }

  get bound(): number {
    return this.maxKeys;
  }

  get(key: string, read: () => Promise<V>): Promise<V> {
    const hit = this.kept.get(key);
    if (hit && Date.now() - hit.readAt < this.ttlMs) return Promise.resolve(hit.value);
    // A read still unanswered after ttlMs is not waited on by newcomers: one stuck read must not
    // hold every later page that needs the same value.
    const inFlight = this.reading.get(key);
    if (inFlight && Date.now() - inFlight.startedAt < this.ttlMs) return inFlight.promise;
    const generation = this.generation;
    const p = read()
      .then((value) => {
        if (generation === this.generation) {
          this.kept.delete(key); // re-inserted last: the oldest key is dropped first
          this.kept.set(key, { value, readAt: Date.now() });
          if (this.kept.size > this.maxKeys) this.kept.delete(this.kept.keys().next().value!);
        }
        return value;
      })
      .finally(() => {
        if (this.reading.get(key)?.promise === p) this.reading.delete(key);
      });
    this.reading.set(key, { promise: p, startedAt: Date.now() });
    return p;
  }

  /** How long values are kept from now on (0: not kept, nor shared while read); forgets what is kept. */
  keepFor(ttlMs: number): void {
    this.ttlMs = ttlMs;
    this.forget();
  }

  forget(): void {
    this.generation += 1;
    this.kept.clear();
    this.reading.clear();
  }
}
