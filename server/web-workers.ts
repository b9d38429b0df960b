// Web processes (node:cluster): the process `npm start` runs opens the database (the embedded
// server's thread lives in it), runs the background jobs, and forks WEB_WORKERS processes that
// serve the pages on the one port, connections shared out by the primary in turn. A page's work
// (routing, the driver, templates) then uses every core; the database and the jobs stay in one place.
//
// What the processes share goes through the database already: sessions, rate limits and sign-in
// lockouts, the outbox's leases. What each keeps in memory for a few seconds (server/support/
// kept-reads.ts) follows the writes of the others: a write through a watched model
// (models/watch-writes.ts) is announced to the primary, which tells every other process.
//
// The primary restarts a web process that dies (after 1 s, doubling to 30 s while they die young);
// web processes exit when the primary does (node:cluster ends a worker whose channel closes).
import cluster, { type Worker } from 'node:cluster';
import { z } from 'zod';
import type { Logger } from './logger.ts';
import { announceWrites, writtenElsewhere } from '../models/watch-writes.ts';

/** What a web process needs from the primary besides the environment both read. */
export interface WebWorkerSetup {
  /** The database's connection string (the embedded server's carries its password: sent over the IPC channel, never in the environment). */
  dbUri: string;
  embedded: boolean;
  /** The primary's session secret: in development without SESSION_SECRET it is made per process, and every web process must sign cookies alike. */
  sessionSecret: string;
}

// The messages each side accepts, checked with zod before use: the channel is ours, but a message
// is still data (unknown keys are dropped).
const modelNames = z.array(z.string().max(64)).max(32);
const toWorkerMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('setup'), dbUri: z.string(), embedded: z.boolean(), sessionSecret: z.string() }),
  z.object({ type: z.literal('written'), models: modelNames }),
  z.object({ type: z.literal('shutdown') }),
]);
const fromWorkerMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('setup-wanted') }),
  z.object({ type: z.literal('serving'), port: z.number().int() }),
  z.object({ type: z.literal('written'), models: modelNames }),
  z.object({ type: z.literal('failed'), message: z.string().transform((m) => m.slice(0, 2000)) }),
]);
type ToWorker = z.infer<typeof toWorkerMessage>;
type FromWorker = z.input<typeof fromWorkerMessage>;

const toWorker = (raw: unknown) => toWorkerMessage.safeParse(raw).data;
const fromWorker = (raw: unknown) => fromWorkerMessage.safeParse(raw).data;

/** Collects the names announced in one turn of the event loop and sends them as one message (a bulk job writes thousands of times). */
function batchedAnnouncer(send: (models: string[]) => void): (name: string) => void {
  const pending = new Set<string>();
  return (name) => {
    if (pending.size === 0) {
      setImmediate(() => {
        const models = [...pending];
        pending.clear();
        send(models);
      });
    }
    pending.add(name);
  };
}

// ---------------------------------------------------------------------------------------------
// The primary's side

export interface WebWorkers {
  /** Resolves with the port once every web process serves; rejects with the reason when one cannot start. */
  serving: Promise<number>;
  /** The web processes' ids (logged once they serve). */
  pids(): number[];
  /** Each web process stops serving, finishes its requests and exits; killed after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<void>;
}

const RESPAWN_FIRST_MS = 1_000;
const RESPAWN_MAX_MS = 30_000;
/** A web process that lived this long before dying restarts after RESPAWN_FIRST_MS again. */
const LIVED_LONG_MS = 60_000;

/**
 * Forks the web processes. `setup` may resolve later: they are forked first, so loading their code
 * overlaps the database's start in this process; each waits for it before connecting.
 */
export function startWebWorkers(opts: {
  count: number;
  setup: Promise<WebWorkerSetup>;
  logger: Logger;
  /** A web process that served died unexpectedly (what it was doing is cut short: its uploads' GridFS chunks stay, server/documents/orphan-chunks.ts). */
  onDeath?: () => void;
}): WebWorkers {
  const { logger } = opts;
  const workers = new Set<Worker>();
  let stopping = false;
  let allServing = false;
  let youngDeaths = 0;
  const respawns = new Set<NodeJS.Timeout>();
  let resolveServing!: (port: number) => void;
  let rejectServing!: (err: Error) => void;
  const serving = new Promise<number>((resolve, reject) => {
    resolveServing = resolve;
    rejectServing = reject;
  });
  serving.catch(() => undefined); // the caller awaits it; a rejection is not unhandled meanwhile
  let servingCount = 0;

  const tell = (m: ToWorker, except?: Worker) => {
    for (const w of workers) if (w !== except && w.isConnected()) w.send(m);
  };
  // The primary's own writes (background jobs) reach every web process.
  announceWrites(batchedAnnouncer((models) => tell({ type: 'written', models })));

  const fork = () => {
    const worker = cluster.fork();
    const forkedAt = Date.now();
    let served = false;
    let failure: string | undefined;
    workers.add(worker);
    worker.on('message', (raw: unknown) => {
      const m = fromWorker(raw);
      if (!m) return;
      // Asked for, not sent at fork: a message that reaches a process before it listens is lost.
      if (m.type === 'setup-wanted') {
        void opts.setup.then(
          (setup) => worker.isConnected() && !stopping && worker.send({ type: 'setup', ...setup } satisfies ToWorker),
          () => undefined, // the primary reports its own failure and stops the web processes
        );
      } else if (m.type === 'written') {
        for (const name of m.models) writtenElsewhere(name);
        tell(m, worker);
      } else if (m.type === 'serving') {
        served = true;
        if (allServing) logger.info({ pid: worker.process.pid }, 'a new web process is serving');
        else if (++servingCount === opts.count) {
          allServing = true;
          resolveServing(m.port);
        }
      } else {
        failure = m.message;
      }
    });
    worker.on('exit', (code, signal) => {
      workers.delete(worker);
      if (stopping) return;
      if (!allServing) {
        rejectServing(new Error(failure ?? `a web process exited before serving (${signal ?? `code ${code}`})`));
        return;
      }
      const lived = Date.now() - forkedAt;
      youngDeaths = served && lived >= LIVED_LONG_MS ? 0 : youngDeaths + 1;
      const delay = Math.min(RESPAWN_MAX_MS, RESPAWN_FIRST_MS * 2 ** Math.max(0, youngDeaths - 1));
      logger.error({ pid: worker.process.pid, code, signal, failure, restartInMs: delay }, 'a web process stopped unexpectedly; starting another');
      try {
        opts.onDeath?.();
      } catch (err) {
        logger.error({ err }, 'clearing up after a web process that died failed');
      }
      const t = setTimeout(() => {
        respawns.delete(t);
        if (!stopping) fork();
      }, delay);
      respawns.add(t);
    });
  };
  for (let i = 0; i < opts.count; i++) fork();
  // A web process that fails to start fails the start; the others are not left running.
  serving.catch(() => void stop(5_000));

  async function stop(timeoutMs = 25_000): Promise<void> {
    stopping = true;
    announceWrites(undefined);
    for (const t of respawns) clearTimeout(t);
    respawns.clear();
    const exits = [...workers].map((w) => new Promise<void>((resolve) => (w.isDead() ? resolve() : w.once('exit', () => resolve()))));
    tell({ type: 'shutdown' });
    const kill = setTimeout(() => {
      for (const w of workers) {
        logger.warn({ pid: w.process.pid }, `a web process did not stop in ${timeoutMs} ms; killing it`);
        w.process.kill('SIGKILL');
      }
    }, timeoutMs);
    kill.unref();
    await Promise.all(exits);
    clearTimeout(kill);
  }

  return {
    serving,
    pids: () => [...workers].map((w) => w.process.pid).filter((p): p is number => p !== undefined),
    stop,
  };
}

// ---------------------------------------------------------------------------------------------
// A web process's side

/** Runs in a forked web process: waits for the primary's setup, connects, serves, and stops when told (or on a signal). */
export async function runWebWorker(): Promise<void> {
  let stopServingHere: (() => Promise<void>) | undefined;
  let shuttingDown = false;
  const shutdown = async () => {
    if (shuttingDown) return;
    shuttingDown = true;
    announceWrites(undefined);
    // Before serving there is nothing to finish (and nothing written).
    await stopServingHere?.();
    process.exit(0);
  };
  // Listening before anything is awaited; the setup is asked for (a message sent before a process listens is lost).
  const setupReceived = new Promise<WebWorkerSetup>((resolve) => {
    process.on('message', (raw: unknown) => {
      const m = toWorker(raw);
      if (m?.type === 'setup') resolve(m);
      else if (m?.type === 'written') for (const name of m.models) writtenElsewhere(name);
      else if (m?.type === 'shutdown') void shutdown();
    });
    process.send!({ type: 'setup-wanted' } satisfies FromWorker);
  });
  // Ctrl-C reaches every process of the terminal's group; SIGTERM from a supervisor that signals them all.
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());
  // The code is loaded while the primary opens the database.
  const [{ listeningOn, loadConfigOrExit }, { createLogger }, { connectDatabase }, { createMailer }, { createApp }, { inFlightRequests, stopServing }, { startReclaimer }] = await Promise.all([
    import('./config.ts'),
    import('./logger.ts'),
    import('./db/index.ts'),
    import('./mail/mailer.ts'),
    import('./http/app.ts'),
    import('./http/in-flight.ts'),
    import('../embedded-mongo/src/reclaim.ts'),
  ]);
  const setup = await setupReceived;
  const config = { ...loadConfigOrExit(), sessionSecret: setup.sessionSecret };
  const logger = createLogger(config.logLevel).child({ web: cluster.worker?.id });
  const db = await connectDatabase(setup.dbUri, { embedded: setup.embedded, timeouts: config.db });
  const mailer = createMailer({ smtpUrl: config.smtpUrl, mailDir: config.mailDir, from: config.mailFrom, timeoutMs: config.smtpTimeoutMs });
  const inFlight = inFlightRequests();
  const app = createApp({ config, logger, db, mailer, now: () => new Date() }, { inFlight });

  announceWrites(batchedAnnouncer((models) => process.connected && process.send!({ type: 'written', models } satisfies FromWorker)));
  const server = app.listen(config.port, config.host);
  // Says why it collected, as the primary's does (server/main.ts): the pages' garbage is here, and
  // without it a budget's collections in the web processes went unseen (drill memory-budget-database-kill-s35).
  const reclaimer = startReclaimer({
    growthBytes: 32 * 1024 * 1024,
    budgetBytes: config.memoryBudgetBytes,
    // A quiet moment's collection is routine (debug); one forced by the memory budget says the process runs near its bound (info, as the database's).
    onReclaim: (r) => (r.reason === 'quiet' ? logger.debug(r, 'memory reclaimed in a quiet moment') : logger.info(r, 'memory reclaimed: the process was over its memory budget')),
  });
  stopServingHere = async () => {
    reclaimer?.stop();
    await stopServing(server, inFlight, logger);
    await (await import('./accounts/mail.ts')).settleAccountMail();
    await mailer.close();
    await db.close();
  };
  server.once('listening', () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    // PORT=0: this process's links name the port its server shares with the others.
    listeningOn(config, port);
    process.send!({ type: 'serving', port } satisfies FromWorker);
  });
  server.once('error', (err) => {
    process.send!({ type: 'failed', message: err.message } satisfies FromWorker, () => process.exit(1));
  });
}
