// The reclaimer (embedded-mongo/src/reclaim.ts) in a real node process: with --expose-gc (as npm
// start runs) it collects the garbage of a burst once the thread is quiet, and only once; without
// the flag it does nothing.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { startFlags } from '../../scripts/support/start-flags.ts';
import type { Reclaimed } from '../../embedded-mongo/src/reclaim.ts';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const child = path.join(import.meta.dirname, 'fixtures/reclaim-child.ts');

async function report(flags: string[]): Promise<{ started: boolean; usedBefore: number; usedAfter: number; reclaims: Reclaimed[] }> {
  const { stdout } = await run(process.execPath, [...flags, '--import', 'tsx', child], { cwd: root, timeout: 30_000 });
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

describe('embedded-mongo: reclaiming memory in a quiet moment', function () {
  this.timeout(40_000);

  it('npm start passes --expose-gc, which the reclaimer needs', () => {
    expect(startFlags(root)).to.include('--expose-gc');
  });

  it('collects a burst of garbage once the thread is quiet, once', async () => {
    const r = await report(['--expose-gc']);
    expect(r.started).to.equal(true);
    expect(r.reclaims).to.have.length(1);
    const [once] = r.reclaims;
    expect(once!.heapBeforeMb - once!.heapAfterMb, 'MB collected').to.be.greaterThan(64);
    expect(r.usedAfter).to.be.lessThan(r.usedBefore - 64 * 1024 * 1024);
  });

  it('does nothing without an exposed gc()', async () => {
    const r = await report([]);
    expect(r.started).to.equal(false);
  });
});
