// The data directory's lock dies with its owner. A process killed with SIGKILL whose parent has not
// reaped it yet is a zombie: `process.kill(pid, 0)` still succeeds for it, and a lock that relied on
// that refused the immediate restart a supervisor does. Both lock modes are checked against a real
// zombie (the holder runs under `sh -c '… & exec sleep'`, and sleep never reaps its children).
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { acquireDirLock, DbPathLockedError, defaultLockMode, LOCK_FILE, ownerState, type LockMode } from '../../embedded-mongo/src/storage/dir-lock.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const DIR_LOCK_URL = pathToFileURL(path.join(ROOT, 'embedded-mongo/src/storage/dir-lock.ts')).href;

const dirs: string[] = [];
const procs: ChildProcess[] = [];
function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'emb-lock-'));
  dirs.push(d);
  return d;
}

function recording() {
  const warnings: string[] = [];
  return { warnings, logger: { warn: (m: string) => warnings.push(m) } };
}

function procState(pid: number): string | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

async function waitFor<T>(get: () => T | undefined, ms: number, what: string): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Starts a process that takes the lock and prints its pid, as the child of a `sleep` that never
 * reaps it: once killed, it stays a zombie until the sleep ends.
 */
async function holderUnderSleep(dir: string, mode: LockMode): Promise<{ pid: number; sleeper: ChildProcess }> {
  const code = `const { acquireDirLock } = await import(${JSON.stringify(DIR_LOCK_URL)});
    await acquireDirLock(${JSON.stringify(dir)}, { mode: ${JSON.stringify(mode)}, logger: { warn() {} } });
    console.log('LOCKED ' + process.pid);
    setInterval(() => {}, 1000);`;
  const sleeper = spawn('sh', ['-c', '"$0" --import tsx --input-type=module -e "$1" & exec sleep 120', process.execPath, code], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  procs.push(sleeper);
  let out = '';
  let err = '';
  sleeper.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  sleeper.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const pid = await waitFor(() => {
    const m = /LOCKED (\d+)/.exec(out);
    return m ? Number(m[1]) : undefined;
  }, 20_000, `the holder to take the lock (${err})`);
  return { pid, sleeper };
}

describe('embedded-mongo data directory lock', function () {
  this.timeout(60_000);

  after(() => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('uses the OS advisory lock on this machine', () => {
    expect(defaultLockMode()).to.equal('os');
  });

  for (const mode of ['os', 'pid'] as const) {
    describe(`${mode} mode`, () => {
      it('refuses a live holder in another process, and opens at once after SIGKILL while the holder is an unreaped zombie', async () => {
        const dir = tempDir();
        const { pid } = await holderUnderSleep(dir, mode);
        const refused = await acquireDirLock(dir, { mode, logger: recording().logger }).then(() => null, (e: unknown) => e);
        expect(refused).to.be.instanceOf(DbPathLockedError);
        expect((refused as Error).message).to.include(`process ${pid}`);

        process.kill(pid, 'SIGKILL');
        await waitFor(() => (procState(pid) === 'Z' ? true : undefined), 5000, `process ${pid} to be a zombie`);
        // process.kill(pid, 0) still succeeds for it: the check the old lock relied on
        expect(() => process.kill(pid, 0)).to.not.throw();

        const rec = recording();
        const lock = await acquireDirLock(dir, { mode, logger: rec.logger });
        expect(procState(pid), 'still a zombie while we took over').to.equal('Z');
        expect(readFileSync(path.join(dir, LOCK_FILE), 'utf8').split('\n')[0]).to.equal(String(process.pid));
        expect(rec.warnings.join('\n')).to.match(new RegExp(`stale lock .*process ${pid} is not running`));
        await lock.release();
        expect(existsSync(path.join(dir, LOCK_FILE)), 'lock file removed at release').to.equal(false);
      });

      it('refuses a second holder in this process until the first releases', async () => {
        const dir = tempDir();
        const first = await acquireDirLock(dir, { mode, logger: recording().logger });
        const err = await acquireDirLock(dir, { mode, logger: recording().logger }).then(() => null, (e: unknown) => e);
        expect((err as DbPathLockedError).code).to.equal('DBPATH_LOCKED');
        await first.release();
        const second = await acquireDirLock(dir, { mode, logger: recording().logger });
        await second.release();
      });
    });
  }

  it('os mode: a lock file that is only left behind (no lock held) is taken over, whatever pid it names', async () => {
    const dir = tempDir();
    // the pid of a live process: with the OS lock only the kernel's lock counts
    const live = spawn('sleep', ['30']);
    procs.push(live);
    writeFileSync(path.join(dir, LOCK_FILE), `${live.pid}\n`);
    const lock = await acquireDirLock(dir, { mode: 'os', logger: recording().logger });
    await lock.release();
    live.kill('SIGKILL');
  });

  it('pid mode: a live pid with the start time it had when it wrote the file keeps the lock; with another start time it is a recycled pid', async () => {
    const live = spawn('sleep', ['30']);
    procs.push(live);
    const pid = live.pid!;
    await waitFor(() => procState(pid), 5000, 'sleep to start');
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const startTicks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    expect(ownerState(pid, startTicks)).to.equal('alive');
    expect(ownerState(pid), 'no start time recorded').to.equal('alive');
    expect(ownerState(pid, startTicks + 1), 'recycled pid').to.equal('gone');

    const dir = tempDir();
    writeFileSync(path.join(dir, LOCK_FILE), `${pid}\n${startTicks}\n`);
    const refused = await acquireDirLock(dir, { mode: 'pid', logger: recording().logger }).then(() => null, (e: unknown) => e);
    expect((refused as DbPathLockedError).code).to.equal('DBPATH_LOCKED');
    writeFileSync(path.join(dir, LOCK_FILE), `${pid}\n${startTicks + 12345}\n`);
    const lock = await acquireDirLock(dir, { mode: 'pid', logger: recording().logger });
    await lock.release();

    live.kill('SIGKILL');
    await new Promise((r) => live.once('exit', r));
    expect(ownerState(pid, startTicks), 'a reaped process').to.equal('gone');
  });
});
