// Opens the database: MONGODB_URI when configured, else the embedded MongoDB-compatible server
// started in this process with its data under DATA_DIR/db. Either way the app talks to it through
// the official driver over the wire, so nothing else changes between the two. The embedded server
// requires authentication: its first start writes a generated user and password to
// DATA_DIR/db/credentials.json (mode 0600), which the app reads to connect.
import path from 'node:path';
import mongoose, { type ConnectOptions, type Connection } from 'mongoose';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';

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
 */
export async function openDatabase(config: Config, logger: Logger, opts: { modelsLoaded?: Promise<unknown> } = {}): Promise<Database> {
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
  await mongoose.connect(uri, databaseOptions(config.db));
  await opts.modelsLoaded;
  await syncIndexes(logger);
  return databaseOf(mongoose.connection, uri, { embedded: Boolean(stopEmbedded), compact, stopEmbedded });
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
