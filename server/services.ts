// Background services (outbox dispatcher, reminders, retention...). Each has an explicit start and
// stop so main.ts can start them after the database and stop them before it closes. They get the
// app's dependencies (`app`); each run builds its own Context (systemContext) for the services it calls.
import type { AppContext } from './deps.ts';

export interface BackgroundService {
  name: string;
  start(): void;
  stop(): Promise<void>;
  /** Told when a web process died unexpectedly (server/web-workers.ts): for services that clear up what such a death leaves. */
  webProcessDied?(): void;
}

type ServiceFactory = (app: AppContext) => BackgroundService;

const factories: ServiceFactory[] = [];

/** Features register their background services here at import time. */
export function registerService(factory: ServiceFactory): void {
  factories.push(factory);
}

export function startServices(app: AppContext): { stop(): Promise<void>; services: BackgroundService[]; webProcessDied(): void } {
  const services = factories.map((f) => f(app));
  for (const s of services) {
    s.start();
    app.logger.info({ service: s.name }, 'service started');
  }
  return {
    services,
    webProcessDied() {
      for (const s of services) s.webProcessDied?.();
    },
    async stop() {
      await Promise.allSettled(services.map((s) => s.stop()));
    },
  };
}

/** Each start-time job's first run, by name: settled once it has run (or the job stopped). */
const firstRuns = new Map<string, Promise<void>>();

/**
 * A periodic job whose first run comes later than this after start is upkeep, not start-time work:
 * nothing waits for it. The dashboards' warming waited for the 6-hourly repair of the documents-to-
 * check flag (first run 6 h after start), so it began only at its 10-minute cap: its first run took
 * over 300 s at 100,000 cases however fast its computations (bench/start-ab.ts --jobs).
 */
export const START_TIME_JOB_MS = 5 * 60_000;

/** The first runs of the other start-time jobs (a job that should follow the start-time work waits for them). */
export function firstRunsOfOthers(name: string): Promise<void>[] {
  return [...firstRuns].filter(([n]) => n !== name).map(([, p]) => p);
}

/**
 * A job run every `intervalMs` (first after `firstDelayMs`), never overlapping itself; a failed run
 * is logged and the next one goes ahead. stop() waits for a run in progress. `runIn(ms)` asks for a
 * run besides the period (after a web process died: orphan-chunks.ts); one asked for while a run is
 * in progress follows it, not dropped as a period's tick then is.
 */
export function periodicService(
  app: AppContext,
  opts: { name: string; intervalMs: number; firstDelayMs: number; run: (isStopping: () => boolean) => Promise<void> },
): BackgroundService & { runIn(ms: number): void } {
  let timer: NodeJS.Timeout | undefined;
  let first: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let stopping = false;
  let runs = 0;
  let firstRunDone = () => {};
  const asked = new Set<NodeJS.Timeout>();
  let again = false;
  const tick = (follow = false) => {
    if (stopping) return;
    if (running) {
      again ||= follow;
      return;
    }
    const started = performance.now();
    const firstRun = runs++ === 0;
    running = opts
      .run(() => stopping)
      // Each run's duration: at info for the first run after start and for runs of a second or more
      // (what to look at when a job competes with serving; benchmarks wait for the first runs), else debug.
      .then(() => {
        const ms = Math.round(performance.now() - started);
        app.logger[firstRun || ms >= 1000 ? 'info' : 'debug']({ service: opts.name, ms, first: firstRun }, 'background run finished');
      })
      .catch((err: unknown) => app.logger.error({ err, service: opts.name }, 'background run failed'))
      .finally(() => {
        running = undefined;
        if (firstRun) firstRunDone();
        if (again) {
          again = false;
          tick(true);
        }
      });
  };
  return {
    name: opts.name,
    start() {
      if (opts.firstDelayMs <= START_TIME_JOB_MS) firstRuns.set(opts.name, new Promise<void>((resolve) => (firstRunDone = resolve)));
      first = setTimeout(tick, opts.firstDelayMs);
      first.unref();
      timer = setInterval(tick, opts.intervalMs);
      timer.unref();
    },
    runIn(ms) {
      if (stopping) return;
      const t = setTimeout(() => {
        asked.delete(t);
        tick(true);
      }, ms);
      t.unref();
      asked.add(t);
    },
    async stop() {
      stopping = true;
      clearTimeout(first);
      clearInterval(timer);
      for (const t of asked) clearTimeout(t);
      asked.clear();
      firstRunDone();
      await running;
    },
  };
}
