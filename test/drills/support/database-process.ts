// The embedded database run on its own (`npm run db`, a child process, on disk, with
// authentication), as a deployment with a separate database runs it: the app reaches it through
// MONGODB_URI, and a drill can SIGKILL, SIGSTOP or SIGCONT it under the running app.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { credentialsPath, readCredentialsFile } from '../../../embedded-mongo/src/auth/credentials-file.ts';
import { root, until } from './app-process.ts';

export interface DatabaseProcess {
  child: ChildProcess;
  /** The port it listens on (its own pick on a first start: see startDatabase). */
  port: number;
  exited: Promise<number | null>;
  /** Everything it wrote (its log lines: what it loaded at start, what it refused). */
  output(): string;
}

/**
 * `npm run db` on `dbPath`, resolved once it listens. Port 0 (the default) lets it bind a port the
 * OS gives it and read it from its "listening on" line: a port picked here and bound later could be
 * given to another process in between. A restart passes the port of the first start (the app's
 * MONGODB_URI names it).
 */
export async function startDatabase(dbPath: string, port = 0): Promise<DatabaseProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'embedded-mongo/src/cli.ts', '--port', String(port), '--dbpath', dbPath], { cwd: root, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const listening = /embedded-mongo listening on mongodb:\/\/(?:[^@\s]*@)?127\.0\.0\.1:(\d+)\//;
  await until('the database listening', 60_000, () => {
    if (child.exitCode !== null) throw new Error(`the database exited (${child.exitCode}):\n${out}`);
    return listening.test(out);
  });
  return { child, port: Number(listening.exec(out)![1]), exited, output: () => out };
}

/** The URI the app (and the drill's own checks) use for the database at `dbPath` on `port`. */
export async function databaseUri(dbPath: string, port: number): Promise<string> {
  const creds = await readCredentialsFile(credentialsPath(dbPath));
  if (!creds) throw new Error('no credentials file');
  return `mongodb://${encodeURIComponent(creds.username)}:${encodeURIComponent(creds.password)}@127.0.0.1:${port}/talent?authSource=${creds.authSource}`;
}

export interface ExternalDatabase {
  /** The drill's data folder (the app's DATA_DIR); the database's own files are in `external-db` under it. */
  readonly dataDir: string;
  /** MONGODB_URI for the app and the drill's checks. */
  readonly uri: string;
  process(): DatabaseProcess;
  /** SIGKILL, then reap it (its lock is free for the restart). */
  kill9(): Promise<void>;
  /** Starts it again on the same files and port. */
  restart(): Promise<void>;
  /** A driver connection of the drill's own, closed after the drill (or earlier by the caller). */
  connect(): Promise<MongoClient>;
}

/**
 * The database of a drill that runs it on its own: a data folder made, the database started on it
 * before the tests; after them the database resumed (a drill may have left it SIGSTOPped), its
 * connections closed, `beforeRemoval` (the drill stops its app), the database killed and the
 * folder removed.
 */
export function useExternalDatabase(label: string, opts: { beforeRemoval?: () => Promise<void> } = {}): ExternalDatabase {
  let dataDir = '';
  let dbPath = '';
  let uri = '';
  let database: DatabaseProcess | undefined;
  const clients: MongoClient[] = [];
  before(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), `talent-drill-${label}-`));
    dbPath = path.join(dataDir, 'external-db');
    database = await startDatabase(dbPath);
    uri = await databaseUri(dbPath, database.port);
  });
  after(async () => {
    const alive = database && database.child.exitCode === null && database.child.signalCode === null;
    // Resumed first: a connection to a paused server would not close.
    if (alive) database!.child.kill('SIGCONT');
    for (const c of clients) await c.close().catch(() => undefined);
    await opts.beforeRemoval?.();
    if (alive) database!.child.kill('SIGKILL');
    await database?.exited;
    rmSync(dataDir, { recursive: true, force: true });
  });
  const external: ExternalDatabase = {
    get dataDir() {
      return dataDir;
    },
    get uri() {
      return uri;
    },
    process: () => database!,
    async kill9() {
      database!.child.kill('SIGKILL');
      await database!.exited;
    },
    async restart() {
      database = await startDatabase(dbPath, database!.port);
    },
    async connect() {
      const client = await MongoClient.connect(uri, { serverSelectionTimeoutMS: 5000 });
      clients.push(client);
      return client;
    },
  };
  return external;
}
