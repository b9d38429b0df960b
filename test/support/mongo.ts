// The one place every test gets its database from:
// MONGODB_URI if set, else a `mongod` found on PATH (temporary dbpath), else the embedded server in memory.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { freePort } from '../../scripts/support/free-port.ts';

export type TestMongoKind = 'uri' | 'mongod' | 'embedded';

interface TestMongo {
  kind: TestMongoKind;
  /** Base URI without a database name, e.g. mongodb://127.0.0.1:1234 */
  baseUri: string;
  stop(): Promise<void>;
}

let started: Promise<TestMongo> | undefined;


function mongodOnPath(): string | undefined {
  const r = spawnSync('sh', ['-c', 'command -v mongod'], { encoding: 'utf8' });
  const p = r.stdout.trim();
  return r.status === 0 && p ? p : undefined;
}

async function waitForPort(port: number, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`mongod did not listen on ${port} within ${ms} ms`);
}

async function startTestMongo(): Promise<TestMongo> {
  const fromEnv = process.env.MONGODB_URI;
  if (fromEnv) {
    const u = new URL(fromEnv);
    u.pathname = '/';
    return { kind: 'uri', baseUri: u.toString().replace(/\/$/, ''), stop: async () => {} };
  }
  const mongod = mongodOnPath();
  if (mongod) {
    const dbpath = mkdtempSync(path.join(tmpdir(), 'test-mongod-'));
    // mongod cannot be asked for port 0 and say which it got: a port picked here may be taken
    // before it binds it, and then it exits (address in use); it is started again on another.
    let port = 0;
    let child: ChildProcess | undefined;
    for (let attempt = 1; !child; attempt += 1) {
      port = await freePort();
      const c: ChildProcess = spawn(mongod, ['--port', String(port), '--bind_ip', '127.0.0.1', '--dbpath', dbpath, '--quiet'], { stdio: 'ignore' });
      const exited = new Promise<'exited'>((resolve) => c.once('exit', () => resolve('exited')));
      const up = await Promise.race([waitForPort(port, 30_000).then(() => 'up' as const), exited]);
      if (up === 'up' && c.exitCode === null) child = c;
      else if (attempt >= 5) throw new Error(`mongod exited at start ${attempt} times (port ${port} last)`);
    }
    return {
      kind: 'mongod',
      baseUri: `mongodb://127.0.0.1:${port}`,
      stop: async () => {
        child!.kill('SIGTERM');
        await new Promise((r) => child!.once('exit', r));
        rmSync(dbpath, { recursive: true, force: true });
      },
    };
  }
  // Imported lazily so tests that need no database never load the server.
  const { startEmbeddedMongo } = await import('../../embedded-mongo/src/index.ts');
  const server = await startEmbeddedMongo({ port: 0, dbPath: null });
  return { kind: 'embedded', baseUri: `mongodb://127.0.0.1:${server.port}`, stop: () => server.stop() };
}

function testMongo(): Promise<TestMongo> {
  started ??= startTestMongo();
  return started;
}

let dbCounter = 0;
/** A URI for a database of its own (unique per call), so test files never see each other's data. */
export async function testMongoUri(label = 'test'): Promise<string> {
  const m = await testMongo();
  dbCounter += 1;
  const name = `${label.replace(/[^a-zA-Z0-9_]/g, '_')}_${process.pid}_${dbCounter}`.slice(0, 60);
  return `${m.baseUri}/${name}`;
}

export async function testMongoKind(): Promise<TestMongoKind> {
  return (await testMongo()).kind;
}

/** Called once by the root hooks after all tests. */
export async function stopTestMongo(): Promise<void> {
  if (!started) return;
  const pending = started;
  started = undefined;
  const m = await pending.catch(() => undefined); // a failed start was already reported by the tests that needed it
  await m?.stop();
}
