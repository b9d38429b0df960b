// Runs the server on a worker thread: a heavy query or aggregation then blocks only the database's
// event loop, never the web server's. Talks to the parent through messages (ready, log, stop, compact).
import { parentPort, workerData } from 'node:worker_threads';
import { startEmbeddedMongo, type EmbeddedMongoOptions } from './index.ts';
import { startReclaimer } from './reclaim.ts';

const port = parentPort!;

function cloneable(obj: unknown): unknown {
  try {
    return structuredClone(obj);
  } catch {
    return JSON.parse(JSON.stringify(obj, (_k, v) => (v instanceof Error ? { message: v.message, stack: v.stack } : v)));
  }
}

const log = (level: 'info' | 'warn' | 'error') => (obj: unknown, msg?: string) => port.postMessage({ type: 'log', level, obj: cloneable(obj), msg });

try {
  const opts = workerData as Omit<EmbeddedMongoOptions, 'logger'>;
  const server = await startEmbeddedMongo({ ...opts, logger: { info: log('info'), warn: log('warn'), error: log('error') } });
  // The idle-time build and the start-time jobs' reads leave the old generation full of garbage.
  const reclaimer = startReclaimer({
    growthBytes: 64 * 1024 * 1024,
    budgetBytes: opts.memoryBudgetBytes,
    onReclaim: (r) => log('info')(r, r.reason === 'quiet' ? 'embedded-mongo: memory reclaimed in a quiet moment' : 'embedded-mongo: memory reclaimed: the process was over its memory budget'),
  });
  port.on('message', (m: { type: string; id?: number }) => {
    if (m.type === 'stop') {
      reclaimer?.stop();
      void server.stop().then(() => port.postMessage({ type: 'stopped' }));
    } else if (m.type === 'compact') {
      server.compact().then(
        (r) => port.postMessage({ type: 'compacted', id: m.id, result: r }),
        (err: Error) => port.postMessage({ type: 'compacted', id: m.id, error: err.message }),
      );
    } else if (m.type === 'stats') {
      port.postMessage({ type: 'stats', id: m.id, result: server.stats() });
    }
  });
  port.postMessage({ type: 'ready', port: server.port, host: server.host, auth: server.auth, credentialsFile: server.credentialsFile, credentials: server.credentials });
} catch (err) {
  port.postMessage({ type: 'failed', message: (err as Error).message, code: (err as { code?: string }).code });
}
