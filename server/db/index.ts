// Opens the database: MONGODB_URI when configured, else the embedded MongoDB-compatible server
// started in this process with its data under DATA_DIR/db. Either way the app talks to it through
// the official driver over the wire, so nothing else changes between the two. The embedded server
// requires authentication: its first start writes a generated user and password to
// DATA_DIR/db/credentials.json (mode 0600), which the app reads to connect.
import path from 'node:path';
import mongoose, { type ConnectOptions, type Connection } from 'mongoose';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { watchDriverTrouble } from './driver-trouble.ts';

// Operator injection is stopped at the edge (server/http/input-guard.ts refuses $-keys and every
// route validates its input to plain strings), so code may build operator filters freely.
mongoose.set('strictQuery', true);

export interface Database {
  connection: Connection;
  /** The connection string; for the embedded server it carries the password: never log it. */
  uri: string;
  embedded: boolean;
  /** Is the database answering? Used by /readyz. */
  ping(): Promise<boolean>;
  /** The embedded server only: writes a snapshot and starts a new journal (bulk loads end with it). */
  compact?(): Promise<{ before: number; after: number }>;
  /**
   * Opened with `indexesAfterReady`: builds the indexes left for after start (those only reads
   * need) and drops those no schema declares; each failure is logged and the app goes on. Once.
   */
  syncIndexesAfterReady?(): Promise<IndexSync>;
  close(): Promise<void>;
}

/**
 * The driver's timeouts. A database that stops answering without closing its connections (paused,
 * hung, a network that drops packets) is noticed by the driver's monitor within a heartbeat and a
 * connect timeout; it then fails the operations in flight (network errors, answered 503 by
 * server/http/error-handler.ts), and later ones wait one server selection. The driver's own
 * defaults (a 30 s connect timeout, no socket timeout) held pages for ~42 s
 * (test/drills/database-pause.test.ts).
 */
export function databaseOptions(db: Config['db']): ConnectOptions {
  return {
    serverSelectionTimeoutMS: db.serverSelectionTimeoutMs,
    connectTimeoutMS: db.connectTimeoutMs,
    heartbeatFrequencyMS: db.heartbeatMs,
    socketTimeoutMS: db.socketTimeoutMs,
  };
}

/**
 * `modelsLoaded`: the caller may load its modules (and so register its models) while the database
 * starts; their indexes are synced once it resolves.
 *
 * `indexesAfterReady` (the server, server/main.ts): only the indexes correctness needs are built
 * before this resolves (indexesBeforeReady); the rest, and the drops, wait for the caller's
 * `syncIndexesAfterReady()` once it serves. On data stored before an upgrade added an index, its
 * build (reading every document of the collection) delayed /readyz from 0.95 s to 6.75 s at
 * 100,000 cases. Without it (scripts, tests, bulk loads), every index is synced before it resolves.
 */
export async function openDatabase(config: Config, logger: Logger, opts: { modelsLoaded?: Promise<unknown>; indexesAfterReady?: boolean } = {}): Promise<Database> {
  let stopEmbedded: (() => Promise<void>) | undefined;
  let compact: Database['compact'];
  let uri: string;
  if (config.mongodbUri) {
    uri = config.mongodbUri;
  } else {
    // On its own thread, so a heavy aggregation never stalls the web server's requests.
    const { startEmbeddedMongoInWorker, readCredentialsFile } = await import('../../embedded-mongo/src/in-worker.ts');
    const dbPath = path.join(config.dataDir, 'db');
    const server = await startEmbeddedMongoInWorker({
      port: config.embeddedDbPort,
      dbPath,
      logger: logger.child({ component: 'embedded-mongo' }),
      memoryBudgetBytes: config.memoryBudgetBytes,
      // Without its database the app can only fail requests: stop, so a supervisor restarts it.
      onUnexpectedExit: (code, err) => {
        logger.fatal({ code, err }, 'embedded database stopped unexpectedly; exiting');
        process.exit(1);
      },
    });
    stopEmbedded = () => server.stop();
    compact = () => server.compact();
    const credentials = server.credentialsFile ? await readCredentialsFile(server.credentialsFile) : undefined;
    if (!credentials) {
      await server.stop();
      throw new Error(
        `the embedded database requires authentication and ${server.credentialsFile} is missing: ` +
          'restore it ({"username", "password", "authSource"} of a user of the database), or set MONGODB_URI',
      );
    }
    uri = server.uri('talent', credentials);
    logger.info({ dbPath, credentialsFile: server.credentialsFile, port: server.port }, 'embedded database started');
  }
  // Indexes left for after ready are not built behind our back either: Mongoose builds every
  // schema index of each model as it is registered unless autoIndex is off.
  await mongoose.connect(uri, { ...databaseOptions(config.db), ...(opts.indexesAfterReady ? { autoIndex: false } : {}) });
  // Read by the drill of a flood of connections without credentials (test/drills/pre-auth-flood.test.ts).
  watchDriverTrouble(mongoose.connection.getClient(), logger);
  await opts.modelsLoaded;
  const db = databaseOf(mongoose.connection, uri, { embedded: Boolean(stopEmbedded), compact, stopEmbedded });
  if (!opts.indexesAfterReady) {
    await syncIndexes(logger);
    return db;
  }
  const before = await indexesBeforeReady(logger);
  if (before.built.length || before.dropped.length) logger.info(before, 'unique indexes synced before ready');
  let after: Promise<IndexSync> | undefined;
  db.syncIndexesAfterReady = () => (after ??= indexesAfterReady(logger));
  return db;
}

/**
 * Builds every model's indexes, each model on its own: an index the stored data breaks (a unique
 * one over duplicates stored before it, e.g. calls' codes) is logged and the app starts without it,
 * and the models after it still get theirs (Mongoose stops at the first failure unless told to go
 * on). The page concerned names the data to fix (the calls list, server/admin/calls.ts).
 */
export async function syncIndexes(logger: Pick<Logger, 'warn'>): Promise<string[]> {
  const failed: string[] = [];
  try {
    const results = (await mongoose.syncIndexes({ continueOnError: true })) as Record<string, unknown>;
    for (const [model, result] of Object.entries(results)) {
      if (result instanceof Error) {
        failed.push(model);
        logger.warn({ err: result, model }, 'index sync failed for a model; it runs without the missing index until its data is fixed');
      }
    }
  } catch (err) {
    logger.warn({ err }, 'index sync failed');
  }
  return failed;
}

/** What an index sync did: indexes built and dropped ("Model.name"), and the models with a failure. */
export interface IndexSync {
  built: string[];
  dropped: string[];
  failed: string[];
  ms: number;
}

type IndexOptions = { unique?: boolean; name?: string; [k: string]: unknown };
type IndexToCreate = [Record<string, unknown>, IndexOptions];

/**
 * Must an index exist before the first request? Unique ones (partial ones included) must: the code
 * relies on them to refuse a duplicate (an account's e-mail, a case reference, a mail-log key that
 * keeps an e-mail from being sent twice, a dashboard figure's lease, a saved filter's name), and
 * a write accepted without one cannot be taken back. Every other index only makes reads faster:
 * the TTL ones too (tokens and e-mail previews are read with `expiresAt > now`, so one expired a few
 * seconds longer is never used), and connect-mongo builds the sessions' TTL index itself.
 */
export function neededBeforeReady(options: IndexOptions | undefined): boolean {
  return Boolean(options?.unique);
}

/** The server's default name of an index (what a spec without `name` is called). */
function nameOf([key, options]: IndexToCreate): string {
  return options.name ?? Object.entries(key).map(([k, v]) => `${k}_${String(v)}`).join('_');
}

function sameKey(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const ea = Object.entries(a);
  const eb = Object.entries(b);
  return ea.length === eb.length && ea.every(([k, v], i) => eb[i]![0] === k && String(eb[i]![1]) === String(v));
}

type Diff = { toDrop: string[]; toCreate: IndexToCreate[] };
type StoredIndex = { name: string; key: Record<string, unknown>; unique?: boolean };

/**
 * Each model on its own, as syncIndexes (a failure is logged and the others still get theirs), and
 * each index on its own (one that fails leaves the next built): its collection, then of the schema's
 * difference with the database what `pick` keeps, drops first.
 */
async function syncEachModel(logger: Pick<Logger, 'warn'>, pick: (diff: Diff, indexes: () => Promise<StoredIndex[]>) => Promise<Diff>): Promise<IndexSync> {
  const started = performance.now();
  const result: IndexSync = { built: [], dropped: [], failed: [], ms: 0 };
  const fail = (model: string, err: unknown, index?: string) => {
    if (!result.failed.includes(model)) result.failed.push(model);
    logger.warn({ err, model, index }, 'index sync failed for a model; it runs without the missing index until its data is fixed');
  };
  for (const name of mongoose.modelNames()) {
    const model = mongoose.model(name);
    try {
      await model.createCollection().catch((err: { code?: number }) => {
        if (err?.code !== 48) throw err; // NamespaceExists
      });
      const { toDrop, toCreate } = await pick((await model.diffIndexes({ indexOptionsToCreate: true })) as unknown as Diff, () => model.listIndexes() as Promise<StoredIndex[]>);
      if (toDrop.length) {
        await model.cleanIndexes({ toDrop });
        result.dropped.push(...toDrop.map((i) => `${name}.${i}`));
      }
      for (const spec of toCreate) {
        await model.createIndexes({ toCreate: [spec] } as never).then(
          () => result.built.push(`${name}.${nameOf(spec)}`),
          (err: unknown) => fail(name, err, nameOf(spec)),
        );
      }
    } catch (err) {
      fail(name, err);
    }
  }
  result.ms = Math.round(performance.now() - started);
  return result;
}

/**
 * Before serving: each model's collection and its missing unique indexes (neededBeforeReady), and
 * the drops that must come first: an old index a new one replaces (same name or keys), and a unique
 * index no schema declares any more (it would refuse writes the code now makes).
 */
export function indexesBeforeReady(logger: Pick<Logger, 'warn'>): Promise<IndexSync> {
  return syncEachModel(logger, async (diff, indexes) => {
    const toCreate = diff.toCreate.filter(([, o]) => neededBeforeReady(o));
    const existing = diff.toDrop.length ? await indexes() : [];
    const toDrop = diff.toDrop.filter((dropped) => {
      const index = existing.find((i) => i.name === dropped);
      return Boolean(index?.unique) || toCreate.some((c) => nameOf(c) === dropped || (index !== undefined && sameKey(index.key, c[0])));
    });
    return { toDrop, toCreate };
  });
}

/**
 * After ready, in the background: the rest of what syncIndexes does (drop the indexes no schema
 * declares, build the missing ones). Logged: what it built and dropped, and how long it took.
 */
export async function indexesAfterReady(logger: Pick<Logger, 'warn' | 'info'>): Promise<IndexSync> {
  const result = await syncEachModel(logger, async (diff) => diff);
  if (result.built.length || result.dropped.length || result.failed.length) logger.info(result, 'indexes synced after start');
  return result;
}

/**
 * A web process beside the one that opened the database (server/web-workers.ts): connects to the
 * same server, and neither builds indexes (the opening process synced them) nor creates
 * collections, so several processes starting together do not repeat that work.
 */
export async function connectDatabase(uri: string, opts: { embedded: boolean; timeouts: Config['db'] }): Promise<Database> {
  mongoose.set('autoIndex', false);
  mongoose.set('autoCreate', false);
  await mongoose.connect(uri, databaseOptions(opts.timeouts));
  return databaseOf(mongoose.connection, uri, { embedded: opts.embedded });
}

function databaseOf(connection: Connection, uri: string, opts: { embedded: boolean; compact?: Database['compact']; stopEmbedded?: () => Promise<void> }): Database {
  return {
    connection,
    uri,
    embedded: opts.embedded,
    compact: opts.compact,
    async ping() {
      try {
        await connection.db!.admin().command({ ping: 1 });
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      await mongoose.disconnect();
      await opts.stopEmbedded?.();
    },
  };
}
