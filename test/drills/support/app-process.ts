// The real app as `npm start` runs it (`node [its flags] dist/server/main.js`, built from the sources
// once per test run), in a child process on a data folder of the drill's own (embedded database on
// disk), so a drill can SIGKILL it and start it again on the same data. Also runs one-off scripts
// (the drill's seed step) the same way.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { credentialsPath, readCredentialsFile } from '../../../embedded-mongo/src/auth/credentials-file.ts';
import { TEST_DATA_ENCRYPTION_KEY } from '../../support/keys.ts';
import { RUNNING_AT, runningAt } from '../../support/running-at.ts';
import { startCommand } from '../../../scripts/support/start-flags.ts';

export const root = path.resolve(import.meta.dirname, '../../..');

export interface AppProcess {
  child: ChildProcess;
  /** http://127.0.0.1:<port>, the port the app bound itself (its banner); throws before the banner is out (waitReady waits for it). */
  readonly url: string;
  /** Everything the process wrote (pino JSON lines and the banner). */
  output(): string;
  /** Resolves with the exit code (null after a signal). */
  exited: Promise<number | null>;
  /** The embedded database's port, from the log line that announces it. */
  dbPort(): number;
  /** Resolves when a log line matches (searched from the start of the output). */
  waitForLog(re: RegExp, ms?: number): Promise<string>;
  /** SIGKILL, then reap it, so a restart never races a dying process for the database lock. */
  kill9(): Promise<void>;
  /** SIGTERM and wait for the clean exit. */
  stop(): Promise<number | null>;
}

/** The environment of every run: nothing from the test process leaks in (no MONGODB_URI) but WEB_WORKERS. */
export function drillEnv(dataDir: string, extra: Record<string, string>): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    DATA_DIR: dataDir,
    UPLOAD_DIR: path.join(dataDir, 'uploads'),
    SESSION_SECRET: 'drill-session-secret-that-is-long-enough-0123',
    // The seed stores TOTP secrets sealed with the test key, as the app must read them.
    DATA_ENCRYPTION_KEY: TEST_DATA_ENCRYPTION_KEY,
    LOG_LEVEL: 'info',
    // `WEB_WORKERS=2 npx mocha test/drills` runs every drill with web processes (the default, auto, depends on the machine's cores).
    ...(process.env.WEB_WORKERS ? { WEB_WORKERS: process.env.WEB_WORKERS } : {}),
    ...extra,
  };
}

/**
 * Starts the app with PORT=0: it binds a port the OS gives it and says which in its banner. A port
 * chosen here and bound later by the child was free only until then: the embedded database (port 0
 * too) could be given it first (a CI flake: the app's HTTP requests read by the database as
 * messages, then EADDRINUSE). So every start, a restart too, gets a port of its own: read `url`
 * after waitReady, again after each restart. APP_URL is left unset: the links an e-mail carries name
 * the port bound by the process that wrote them (server/config.ts listeningOn), so a link written
 * before a restart names the earlier port (drills open those by their path).
 */
export function startApp(env: Record<string, string>): AppProcess {
  const child = spawn(process.execPath, startCommand(root), {
    cwd: root,
    env: { ...env, PORT: '0', HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const l of listeners) l();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const app: AppProcess = {
    child,
    get url() {
      const url = runningAt(out);
      if (!url) throw new Error(`the app has not said where it listens yet:\n${out.slice(-3000)}`);
      return url;
    },
    output: () => out,
    exited,
    dbPort() {
      const m = /"port":(\d+),"msg":"embedded database started"/.exec(out);
      if (!m) throw new Error(`no embedded database port in the output:\n${out.slice(-3000)}`);
      return Number(m[1]);
    },
    waitForLog(re, ms = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = re.exec(out);
          if (m) {
            done();
            resolve(m[0]);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            done();
            reject(new Error(`the app exited before logging ${re}:\n${out.slice(-3000)}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no log line ${re} within ${ms} ms:\n${out.slice(-3000)}`));
        }, ms);
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
    async kill9() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      return exited;
    },
  };
  return app;
}

/** Waits for the banner (the port bound), then until /readyz answers 200 (database open, server listening). */
export async function waitReady(app: AppProcess, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  await app.waitForLog(RUNNING_AT, ms);
  while (Date.now() < until) {
    if (app.child.exitCode !== null) throw new Error(`the app exited early (${app.child.exitCode}):\n${app.output().slice(-3000)}`);
    try {
      const r = await fetch(`${app.url}/readyz`, { signal: AbortSignal.timeout(2000) });
      if (r.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not ready within ${ms} ms:\n${app.output().slice(-3000)}`);
}

/** Polls `cond` every 50 ms until it holds; throws naming `what` after `ms`. */
export async function until(what: string, ms: number, cond: () => Promise<boolean> | boolean): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`drill: ${what} did not happen within ${ms} ms`);
}

/** Runs a script until it ends (`node --import tsx <file> ...args`), however it ends: a drill's crash step kills itself. */
export async function runScriptToEnd(file: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  // 'close': after the exit and the last of its output.
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  return { code, signal, out, err };
}

/** Runs a script to completion (`node --import tsx <file> ...args`); resolves with its stdout. */
export async function runScript(file: string, args: string[], env: Record<string, string>): Promise<string> {
  const { code, out, err } = await runScriptToEnd(file, args, env);
  if (code !== 0) throw new Error(`${file} exited with ${code}:\n${err}\n${out}`);
  return out;
}

/** A driver connection to the running app's embedded database (the drills check invariants with it). */
export async function connectToAppDatabase(app: AppProcess, dataDir: string): Promise<MongoClient> {
  // The embedded database requires the credentials generated at its first start, as any client does.
  // The line naming its port may come after /readyz answers (the log is written asynchronously).
  await app.waitForLog(/"msg":"embedded database started"/);
  const creds = await readCredentialsFile(credentialsPath(path.join(dataDir, 'db')));
  if (!creds) throw new Error(`no database credentials under ${dataDir}`);
  const auth = `${encodeURIComponent(creds.username)}:${encodeURIComponent(creds.password)}@`;
  return MongoClient.connect(`mongodb://${auth}127.0.0.1:${app.dbPort()}/talent?authSource=${creds.authSource}`, { serverSelectionTimeoutMS: 5000 });
}
