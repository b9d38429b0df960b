// The embedded server's options and handle, shared by the in-process and worker-thread starts
// (kept apart from the engine so a process that only starts the worker does not load the engine).
import type { EngineLogger } from './engine.ts';
import { uriWithCredentials, type Credentials } from './auth/credentials-file.ts';
import type { PreAuthLimits } from './pre-auth-limits.ts';

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
  /** Journal size that triggers compaction (default 64 MB, or half the last snapshot if larger). */
  compactMinBytes?: number;
  /** Wait before documents left as bytes at start are decoded in idle time (default 0; a command needing them does it first). */
  idleDecodeDelayMs?: number;
  /** Snapshot sections (one per collection) of at least this many bytes are read when first used, not at start (default 4 MB). */
  lazySectionBytes?: number;
  /**
   * Require authentication (SCRAM). Default: on for a data directory, off in memory. On a data
   * directory without users, the start creates one with a random password and writes it to
   * `<dbPath>/credentials.json` (mode 0600); in memory it is returned in `credentials`.
   */
  auth?: boolean;
  /** Bounds on connections that have not authenticated (pre-auth-limits.ts); its defaults unless set. */
  preAuth?: Partial<PreAuthLimits>;
  /**
   * On a worker thread (in-worker.ts): the process's RSS above which the thread collects its garbage
   * even while busy (reclaim.ts budgetBytes). Unset or 0: only in quiet moments.
   */
  memoryBudgetBytes?: number;
}

export interface EmbeddedMongo {
  host: string;
  port: number;
  dbPath: string | null;
  /** Whether commands require authentication. */
  auth: boolean;
  /** `<dbPath>/credentials.json` when authentication is on for a data directory, else null. */
  credentialsFile: string | null;
  /** The generated user of an in-memory server with authentication (nothing is written anywhere), else null. */
  credentials: Credentials | null;
  /** A URI for database `db`; with `credentials`, one that signs in (authSource included). */
  uri(db?: string, credentials?: Credentials): string;
  /** Writes a snapshot and starts a new journal; returns disk bytes before and after. */
  compact(): Promise<{ before: number; after: number }>;
  stats(): { journalBytes: number; diskBytes: number; collections: number; documents: number };
  stop(): Promise<void>;
}

export const silent: EngineLogger = { info() {}, warn() {}, error() {} };

export function plainUri(host: string, port: number, db: string, credentials?: Credentials): string {
  return credentials ? uriWithCredentials(host, port, db, credentials) : `mongodb://${host.includes(':') ? `[${host}]` : host}:${port}/${db}`;
}
