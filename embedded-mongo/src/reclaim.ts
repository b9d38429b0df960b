// Gives memory back after bulk work, in a quiet moment. V8 collects the old generation only when it
// nears a limit it sets from the last collection, and node never tells it that the thread is idle:
// after the idle-time build (every document decoded, every index built) and the start-time jobs,
// a server on 100,000 cases sat at 1,537 MB RSS with no traffic, of which about 500 MB was garbage
// (full collections every 10 s brought it to 1,013 MB). Measured with the benchmark's data.
//
// Under load there is no quiet moment, and V8 let the garbage of a busy minute grow until the process
// passed its memory target (highest RSS sampled by npm run bench: 1,540 MB, target < 1,536, with
// about 1,000 MB live): with a budget, a thread also collects while busy once the process's RSS
// is over it and the thread's own heap has grown enough since its last collection to be worth one.
//
// It needs V8's gc() (node --expose-gc: `npm start` passes it; elsewhere this does nothing) and asks
// for an incremental collection (execution: 'async'): on the database thread, with 820 MB live, a
// blocking gc() stalled every command for 1.1 s, the incremental one for at most 3 ms.
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';

type AsyncGc = (options: { type: 'major'; execution: 'async' }) => Promise<void> | void;

/** One collection, as both threads log it. */
export interface Reclaimed {
  heapBeforeMb: number;
  heapAfterMb: number;
  ms: number;
  /** Why: the thread was quiet, or the process was over its memory budget (busy or not). */
  reason: 'quiet' | 'budget';
  /** The process's RSS in MB when the collection started. */
  rssMb: number;
  /** After the collection, per heap space with 1 MB or more in memory: "name physical/used" in MB. */
  spaces: string;
}

const MB = 1024 * 1024;

function spacesNow(): string {
  return getHeapSpaceStatistics()
    .filter((s) => s.physical_space_size >= MB)
    .map((s) => `${s.space_name.replace(/_space$/, '')} ${Math.round(s.physical_space_size / MB)}/${Math.round(s.space_used_size / MB)}`)
    .join(', ');
}

export interface ReclaimerOptions {
  /** How often the heap and the thread's load are looked at. */
  everyMs?: number;
  /** Collect once the heap holds this much more than its lowest size since the last collection. */
  growthBytes?: number;
  /** …and the thread was busy less than this share of the last interval (a quiet moment). */
  maxUtilization?: number;
  /**
   * The process's RSS above which the thread collects even while busy (no quiet moment needed),
   * once its heap has grown by `pressureGrowthBytes` since its last collection. Unset or 0: off.
   */
  budgetBytes?: number;
  /** Growth that earns a collection over the budget (default: the larger of 64 MB and a tenth of the heap used after the last one). */
  pressureGrowthBytes?: number;
  onReclaim?: (r: Reclaimed) => void;
}

function exposedGc(): AsyncGc | undefined {
  const gc = (globalThis as { gc?: unknown }).gc;
  return typeof gc === 'function' ? (gc as AsyncGc) : undefined;
}

/** Starts an incremental major collection; undefined (nothing done) when node runs without --expose-gc. */
export function collectIncrementally(): Promise<void> | undefined {
  const gc = exposedGc();
  return gc && Promise.resolve(gc({ type: 'major', execution: 'async' }));
}

/**
 * Starts watching this thread's heap (each thread has its own); undefined without an exposed gc().
 * Collects when the heap's used or committed size has grown by `growthBytes` since the last
 * collection (or the lowest seen since: V8's own collections lower the used size but keep the
 * pages committed, and the pages are what the process's RSS counts).
 */
export function startReclaimer(opts: ReclaimerOptions = {}): { stop(): void } | undefined {
  if (!exposedGc()) return undefined;
  const growth = opts.growthBytes ?? 128 * MB;
  const maxUtilization = opts.maxUtilization ?? 0.1;
  const budget = opts.budgetBytes ?? 0;
  let { used_heap_size: usedFloor, total_physical_size: committedFloor } = getHeapStatistics();
  let elu: EventLoopUtilization = performance.eventLoopUtilization();
  let running = false;
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const recent = performance.eventLoopUtilization(now, elu).utilization;
    elu = now;
    if (running) return;
    const { used_heap_size: used, total_physical_size: committed } = getHeapStatistics();
    usedFloor = Math.min(usedFloor, used);
    committedFloor = Math.min(committedFloor, committed);
    const quiet = (used - usedFloor >= growth || committed - committedFloor >= growth) && recent <= maxUtilization;
    // Over budget: each thread collects once its own garbage is worth a collection, so a thread whose
    // heap is mostly live (the database's documents) is not collected again and again for nothing.
    const rss = budget ? process.memoryUsage.rss() : 0;
    const pressed = !quiet && budget > 0 && rss > budget && used - usedFloor >= (opts.pressureGrowthBytes ?? Math.max(64 * MB, usedFloor / 10));
    if (!quiet && !pressed) return;
    running = true;
    const started = performance.now();
    const done = () => {
      running = false;
      ({ used_heap_size: usedFloor, total_physical_size: committedFloor } = getHeapStatistics());
      opts.onReclaim?.({ heapBeforeMb: Math.round(used / MB), heapAfterMb: Math.round(usedFloor / MB), ms: Math.round(performance.now() - started), reason: quiet ? 'quiet' : 'budget', rssMb: Math.round((rss || process.memoryUsage.rss()) / MB), spaces: spacesNow() });
    };
    collectIncrementally()!.then(done, done);
  }, opts.everyMs ?? 2000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
