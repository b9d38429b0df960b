// The embedded server on a worker thread, as the application starts it. This module loads no
// engine code: the worker loads it on its own thread while the application loads its modules.
import { silent, plainUri, type EmbeddedMongo, type EmbeddedMongoOptions } from './options.ts';
import type { Credentials } from './auth/credentials-file.ts';

/**
 * The same server on a worker thread (what the application uses), so a heavy query never stalls
 * the web server's event loop. Same interface; stats() answers from the last known figures.
 */
export async function startEmbeddedMongoInWorker(
  opts: EmbeddedMongoOptions & {
    /** Called when the worker ends without stop() (a crash): the owner should fail fast, not serve without a database. */
    onUnexpectedExit?: (code: number, error?: Error) => void;
  },
): Promise<EmbeddedMongo> {
  const { Worker } = await import('node:worker_threads');
  const logger = opts.logger ?? silent;
  const { logger: _omit, onUnexpectedExit, ...data } = opts;
  void _omit;
  // A larger young generation than the default: loading and querying allocate many short-lived
  // objects, and with the default size the garbage collector took about a third of a large start.
  // 128 MB, not 256: since documents are kept compact (compact.ts) the larger one only cost memory
  // (npm run bench, 100,000 cases: RSS after the run 1,567 → 1,401 MB, idle-time build 35.6 → 36.5 s,
  // queue and search pages within their run-to-run range). 96 MB, not 128, once the pages got faster
  // and the highest RSS sampled reached 1,519 and 1,539 MB (target < 1,536): 1,455 MB with 96, every
  // page and the durable inserts in their range; 64 MB cost the case and search pages a quarter of
  // their throughput and the inserts their target.
  // From the TypeScript sources (tests, scripts) the thread needs tsx registered first; from the
  // bundle `npm start` runs (scripts/build.mjs) its compiled entry, worker.js, sits beside this code.
  const entry = import.meta.url.endsWith('.ts') ? './worker-entry.mjs' : './worker.js';
  const worker = new Worker(new URL(entry, import.meta.url), { workerData: data, resourceLimits: { maxYoungGenerationSizeMb: 96 } });
  let nextId = 1;
  const pending = new Map<number, (m: { result?: unknown; error?: string }) => void>();
  let lastStats = { journalBytes: 0, diskBytes: 0, collections: 0, documents: 0 };
  type Ready = { port: number; host: string; auth: boolean; credentialsFile: string | null; credentials: Credentials | null };
  const ready = await new Promise<Ready>((resolve, reject) => {
    worker.on('message', (m: { type: string; [k: string]: unknown }) => {
      if (m.type === 'ready') resolve(m as unknown as Ready);
      else if (m.type === 'failed') reject(Object.assign(new Error(String(m.message)), { code: m.code }));
      else if (m.type === 'log') logger[m.level as 'info' | 'warn' | 'error'](m.obj, m.msg as string | undefined);
      else if (m.type === 'compacted' || m.type === 'stats') {
        const cb = pending.get(m.id as number);
        pending.delete(m.id as number);
        if (m.type === 'stats') lastStats = m.result as typeof lastStats;
        cb?.(m as { result?: unknown; error?: string });
      }
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`embedded-mongo worker exited with code ${code}`)));
  });
  const call = (type: string) =>
    new Promise<{ result?: unknown; error?: string }>((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      worker.postMessage({ type, id });
    });
  let stopping: Promise<void> | undefined;
  let lastError: Error | undefined;
  worker.on('error', (err) => {
    lastError = err;
    logger.error({ err }, 'embedded-mongo worker failed');
  });
  worker.on('exit', (code) => {
    if (!stopping) onUnexpectedExit?.(code, lastError);
  });
  return {
    host: ready.host,
    port: ready.port,
    dbPath: opts.dbPath,
    auth: ready.auth,
    credentialsFile: ready.credentialsFile,
    credentials: ready.credentials,
    uri: (db = 'test', credentials) => plainUri(ready.host, ready.port, db, credentials),
    async compact() {
      const r = await call('compact');
      if (r.error) throw new Error(r.error);
      return r.result as { before: number; after: number };
    },
    stats() {
      void call('stats');
      return lastStats;
    },
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        worker.once('exit', () => resolve());
        worker.on('message', (m: { type: string }) => {
          if (m.type === 'stopped') void worker.terminate();
        });
        worker.postMessage({ type: 'stop' });
      });
      return stopping;
    },
  };
}

export { readCredentialsFile, CREDENTIALS_FILE, type Credentials } from './auth/credentials-file.ts';
export type { EmbeddedMongo, EmbeddedMongoOptions } from './options.ts';
