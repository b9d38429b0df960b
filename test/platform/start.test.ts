// `npm start` as a newcomer runs it: no database or mail server, a fresh data folder. The product
// must serve the sign-in page on its embedded database (which requires authentication: the app
// connects with the credentials its first start generated), stop cleanly on SIGTERM, and find its
// data again at the next start.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MongoClient, MongoServerError } from 'mongodb';
import { startCommand } from '../../scripts/support/start-flags.ts';
import { runningAt } from '../support/running-at.ts';

const root = path.resolve(import.meta.dirname, '../..');

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** `npm start` on port 0: the port it binds is read from its banner (test/support/running-at.ts). */
function start(dataDir: string): Started {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'info' };
  const child = spawn(process.execPath, startCommand(root), { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

/** Resolves with the app's URL once /readyz answers 200. */
async function waitReady(s: Started, ms = 60_000): Promise<string> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (s.child.exitCode !== null) throw new Error(`npm start exited early:\n${s.output()}`);
    const url = runningAt(s.output());
    try {
      if (url && (await fetch(`${url}/readyz`)).status === 200) return url;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`not ready within ${ms} ms:\n${s.output()}`);
}

describe('platform: npm start on a fresh machine', function () {
  this.timeout(120_000);
  let dataDir: string;
  let running: Started | undefined;

  before(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'talent-start-'));
  });
  after(async () => {
    if (running && running.child.exitCode === null) {
      running.child.kill('SIGKILL');
      await running.exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves the sign-in page on its embedded database, says how to sign in, and stops cleanly on SIGTERM', async () => {
    running = start(dataDir);
    const url = await waitReady(running);
    expect(new URL(url).port, 'the port it bound, not the 0 it was given').to.match(/^[1-9]\d*$/);
    const page = await fetch(`${url}/signin`);
    expect(page.status).to.equal(200);
    expect(await page.text()).to.include('name="password"');
    expect(running.output()).to.include(url);
    expect(running.output()).to.include('create-admin');
    // the generated database credentials: a file only its owner can read, named in the log, the password in no log line
    const credentialsFile = path.join(dataDir, 'db', 'credentials.json');
    expect(statSync(credentialsFile).mode & 0o777, 'credentials file mode').to.equal(0o600);
    const credentials = JSON.parse(readFileSync(credentialsFile, 'utf8')) as { username: string; password: string; authSource: string };
    expect(credentials.password).to.have.length.greaterThan(20);
    expect(credentials.authSource).to.equal('admin');
    expect(running.output()).to.include(credentialsFile);
    expect(running.output()).to.not.include(credentials.password);
    running.child.kill('SIGTERM');
    expect(await running.exited).to.equal(0);
    expect(running.output()).to.include('"msg":"stopped"');
    expect(readdirSync(path.join(dataDir, 'db')).some((f) => f.startsWith('journal-'))).to.equal(true);
    expect(existsSync(path.join(dataDir, 'db', 'mongod.lock')), 'lock released').to.equal(false);
  });

  it('finds its data again after a restart', async () => {
    running = start(dataDir);
    await waitReady(running);
    // The holiday calendar seeded at the first start is still there (read through the app's own embedded server).
    const dbPort = /"port":(\d+),"msg":"embedded database started"/.exec(running.output())?.[1];
    expect(dbPort, running.output()).to.be.a('string');
    const credentials = JSON.parse(readFileSync(path.join(dataDir, 'db', 'credentials.json'), 'utf8')) as { username: string; password: string };
    const signedIn = (password: string) =>
      `mongodb://${credentials.username}:${encodeURIComponent(password)}@127.0.0.1:${dbPort}/talent?authSource=admin`;
    const client = await MongoClient.connect(signedIn(credentials.password));
    try {
      expect(await client.db().collection('holidays').countDocuments()).to.be.greaterThan(10);
    } finally {
      await client.close();
    }
    // without credentials: refused (13), as is a wrong password (18)
    const anonymous = await MongoClient.connect(`mongodb://127.0.0.1:${dbPort}/talent`);
    try {
      const err = await anonymous.db().collection('users').findOne({}).then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(MongoServerError);
      expect((err as MongoServerError).code).to.equal(13);
    } finally {
      await anonymous.close();
    }
    const wrong = await MongoClient.connect(signedIn(`${credentials.password}x`), { serverSelectionTimeoutMS: 3000 }).then(
      (c) => c.close().then(() => undefined),
      (e: unknown) => e,
    );
    expect((wrong as MongoServerError | undefined)?.code, 'wrong password').to.equal(18);
    running.child.kill('SIGTERM');
    expect(await running.exited).to.equal(0);
  });

  it('with its credentials file gone, stops at start and names the file (the data stays locked to the users it has)', async () => {
    const file = path.join(dataDir, 'db', 'credentials.json');
    const saved = readFileSync(file);
    rmSync(file);
    try {
      running = start(dataDir);
      const code = await running.exited;
      expect(code, running.output()).to.not.equal(0);
      expect(running.output()).to.include(file);
    } finally {
      writeFileSync(file, saved, { mode: 0o600 });
    }
  });
});
