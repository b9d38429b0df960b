// Public interface of the embedded MongoDB-compatible server:
//   const server = await startEmbeddedMongo({ port: 0, dbPath: './data/db' });
//   const creds = await readCredentialsFile(server.credentialsFile!);
//   server.uri('mydb', creds)  → 'mongodb://USER:PASSWORD@127.0.0.1:PORT/mydb?authSource=admin'
//   await server.stop();
// dbPath null keeps everything in memory (tests), without authentication unless asked for.
import { Engine, type EngineLogger } from './engine.ts';
import { WireServer } from './server.ts';
import { AuthGate } from './auth/gate.ts';
import { preAuthLimits } from './pre-auth-limits.ts';
import { credentialsPath, generateCredentials, readCredentialsFile, writeCredentialsFile, type Credentials } from './auth/credentials-file.ts';
import { silent, plainUri, type EmbeddedMongo, type EmbeddedMongoOptions } from './options.ts';
import { MemoryStorage } from './storage/memory-storage.ts';
import { FileStorage } from './storage/file-storage.ts';
import type { Storage } from './storage/types.ts';
import { removePortFile, writePortFile } from './storage/port-file.ts';

/**
 * The first user, when there is none yet. On disk the credentials file is written before the user
 * is created: after a crash between the two, the next start finds the file and creates that user.
 */
async function ensureFirstUser(gate: AuthGate, dbPath: string | null, logger: EngineLogger): Promise<{ credentialsFile: string | null; credentials: Credentials | null }> {
  if (dbPath === null) {
    const credentials = generateCredentials();
    await gate.users.create({ user: credentials.username, db: credentials.authSource, pwd: credentials.password, roles: [{ role: 'root', db: 'admin' }] });
    return { credentialsFile: null, credentials };
  }
  const file = credentialsPath(dbPath);
  const warn = (msg: string) => logger.warn(msg);
  const existing = await readCredentialsFile(file, warn);
  if (!(await gate.users.any())) {
    const credentials = existing ?? generateCredentials();
    if (!existing) await writeCredentialsFile(file, credentials);
    await gate.users.create({ user: credentials.username, db: credentials.authSource, pwd: credentials.password, roles: [{ role: 'root', db: 'admin' }] });
    logger.info({ credentialsFile: file, user: credentials.username }, 'embedded-mongo: created the first user; its password is in the credentials file');
  } else if (!existing) {
    logger.warn({ credentialsFile: file }, 'embedded-mongo: authentication is on and the credentials file is missing: connect with a user you created');
  }
  return { credentialsFile: file, credentials: null };
}

export async function startEmbeddedMongo(opts: EmbeddedMongoOptions): Promise<EmbeddedMongo> {
  const logger = opts.logger ?? silent;
  const host = opts.host ?? '127.0.0.1';
  const auth = opts.auth ?? opts.dbPath !== null;
  const storage: Storage = opts.dbPath ? new FileStorage(opts.dbPath, { logger, rawDocuments: true, lazySectionBytes: opts.lazySectionBytes }) : new MemoryStorage();
  const engine = new Engine(storage, logger, { ttlIntervalMs: opts.ttlIntervalMs, compactMinBytes: opts.compactMinBytes, idleDecodeDelayMs: opts.idleDecodeDelayMs });
  await engine.open();
  const gate = new AuthGate(engine, { required: auth, logger, failureBound: preAuthLimits(opts.preAuth) });
  let port: number;
  let wire: WireServer;
  let first: { credentialsFile: string | null; credentials: Credentials | null } = { credentialsFile: null, credentials: null };
  try {
    if (auth) first = await ensureFirstUser(gate, opts.dbPath, logger);
    wire = new WireServer({ host, port: opts.port ?? 0, engine, gate, logger, preAuth: opts.preAuth });
    port = await wire.listen();
    if (opts.dbPath) await writePortFile(opts.dbPath, host, port);
  } catch (err) {
    await engine.close();
    throw err;
  }
  let stopping: Promise<void> | undefined;
  return {
    host,
    port,
    dbPath: opts.dbPath,
    auth,
    ...first,
    uri: (db = 'test', credentials) => plainUri(host, port, db, credentials),
    compact: () => engine.compact(),
    stats: () => engine.stats(),
    stop() {
      stopping ??= (async () => {
        await wire.close();
        if (opts.dbPath) await removePortFile(opts.dbPath);
        await engine.close();
      })();
      return stopping;
    },
  };
}

export { startEmbeddedMongoInWorker } from './in-worker.ts';
export type { EmbeddedMongo, EmbeddedMongoOptions } from './options.ts';
export { Engine } from './engine.ts';
export type { EngineLogger } from './engine.ts';
export { readCredentialsFile, CREDENTIALS_FILE, type Credentials } from './auth/credentials-file.ts';
