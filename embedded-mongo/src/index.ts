// Public interface of the embedded MongoDB-compatible server:
//   const server = await startEmbeddedMongo({ port: 0, dbPath: './data/db' });
//   server.uri('mydb')  → 'mongodb://127.0.0.1:PORT/mydb'
//   await server.stop();
// dbPath null keeps everything in memory (tests).
import { Engine, type EngineLogger } from './engine.ts';
import { WireServer } from './server.ts';
import { MemoryStorage } from './storage/memory-storage.ts';
import { FileStorage } from './storage/file-storage.ts';
import type { Storage } from './storage/types.ts';

export interface EmbeddedMongoOptions {
  /** TCP port; 0 picks a free one. */
  port?: number;
  /** Interface to bind; loopback unless set on purpose. */
  host?: string;
  /** Data directory (journal + snapshots); null for in-memory. */
  dbPath: string | null;
  logger?: EngineLogger;
  /** How often expired TTL documents are removed (default 5 s; MongoDB's is 60 s). */
  ttlIntervalMs?: number;
  /** Journal size that triggers compaction (default 64 MB, or twice the last snapshot). */
  compactMinBytes?: number;
}

export interface EmbeddedMongo {
  host: string;
  port: number;
  dbPath: string | null;
  uri(db?: string): string;
  /** Writes a snapshot and starts a new journal; returns disk bytes before and after. */
  compact(): Promise<{ before: number; after: number }>;
  stats(): { journalBytes: number; diskBytes: number; collections: number; documents: number };
  stop(): Promise<void>;
}

const silent: EngineLogger = { info() {}, warn() {}, error() {} };

export async function startEmbeddedMongo(opts: EmbeddedMongoOptions): Promise<EmbeddedMongo> {
  const logger = opts.logger ?? silent;
  const host = opts.host ?? '127.0.0.1';
  const storage: Storage = opts.dbPath ? new FileStorage(opts.dbPath, { logger }) : new MemoryStorage();
  const engine = new Engine(storage, logger, { ttlIntervalMs: opts.ttlIntervalMs, compactMinBytes: opts.compactMinBytes });
  await engine.open();
  const wire = new WireServer({ host, port: opts.port ?? 0, engine, logger });
  let port: number;
  try {
    port = await wire.listen();
  } catch (err) {
    await engine.close();
    throw err;
  }
  let stopping: Promise<void> | undefined;
  return {
    host,
    port,
    dbPath: opts.dbPath,
    uri: (db = 'test') => `mongodb://${host.includes(':') ? `[${host}]` : host}:${port}/${db}`,
    compact: () => engine.compact(),
    stats: () => engine.stats(),
    stop() {
      stopping ??= (async () => {
        await wire.close();
        await engine.close();
      })();
      return stopping;
    },
  };
}

export { Engine } from './engine.ts';
export type { EngineLogger } from './engine.ts';
