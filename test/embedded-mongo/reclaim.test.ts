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

const busyChild = path.join(import.meta.dirname, 'fixtures/reclaim-busy-child.ts');

async function report(flags: string[], file = child, args: string[] = []): Promise<{ started: boolean; usedBefore: number; usedAfter: number; reclaims: Reclaimed[] }> {
  const { stdout } = await run(process.execPath, [...flags, '--import', 'tsx', file, ...args], { cwd: root, timeout: 30_000 });
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
    expect(once!.reason).to.equal('quiet');
    expect(r.usedAfter).to.be.lessThan(r.usedBefore - 64 * 1024 * 1024);
  });

  // A process over its memory budget cannot wait for a quiet moment that a busy minute never gives.
  it('collects a busy thread over the memory budget, and leaves it to V8 without one', async () => {
    // 64 MB: over it once the garbage has piled up a little (node itself holds ~50 MB at rest).
    const over = await report(['--expose-gc', '--max-semi-space-size=32'], busyChild, ['64']);
    expect(over.started).to.equal(true);
    const byBudget = over.reclaims.filter((r) => r.reason === 'budget');
    expect(byBudget.length, JSON.stringify(over.reclaims)).to.be.greaterThan(0);
    // Each started over the budget, with the heap grown by the growth asked (what it frees is not
    // read here: the thread keeps allocating while the collection runs incrementally).
    for (const r of byBudget) {
      expect(r.rssMb).to.be.greaterThan(64);
      expect(r.heapBeforeMb).to.be.at.least(32);
    }
    expect(over.reclaims.filter((r) => r.reason === 'quiet'), 'never quiet').to.have.length(0);
    const without = await report(['--expose-gc', '--max-semi-space-size=32'], busyChild, ['0']);
    expect(without.started).to.equal(true);
    expect(without.reclaims, 'no quiet moment, no budget: no collection of ours').to.have.length(0);
  });

  it('does nothing without an exposed gc()', async () => {
    const r = await report([]);
    expect(r.started).to.equal(false);
  });
});
