// Security review s35 of the memory budget (embedded-mongo/src/reclaim.ts, MEMORY_BUDGET_MB): a
// process over its budget because its live data is large (no garbage to speak of) is not collected
// again and again (a CPU burn a client could keep up by keeping the database busy): a collection
// over the budget needs the heap grown by 64 MB (or a tenth of what lived after the last one), at
// most one per tick. The configured value cannot switch that bound off (server/config.ts).
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Reclaimed } from '../../embedded-mongo/src/reclaim.ts';
import { loadConfig } from '../../server/config.ts';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const child = path.join(import.meta.dirname, 'fixtures/reclaim-live-child.ts');

describe('embedded-mongo: the memory budget does not collect in a loop, security review s35', function () {
  this.timeout(40_000);

  it('over its budget with a mostly live heap and a busy thread: no collection every tick (60 ticks, none or one)', async () => {
    const { stdout } = await run(process.execPath, ['--expose-gc', '--import', 'tsx', child, '64'], { cwd: root, timeout: 30_000 });
    const r = JSON.parse(stdout.trim().split('\n').pop()!) as { started: boolean; reclaims: Reclaimed[]; turns: number };
    expect(r.started).to.equal(true);
    expect(r.turns, 'the thread was busy').to.be.greaterThan(50);
    expect(r.reclaims.length, JSON.stringify(r.reclaims)).to.be.at.most(1);
  });

  it('refuses a budget that would make every process over it at rest, or a value that is no number', () => {
    for (const bad of ['1', '255', '-1', 'NaN', 'Infinity', '1e9', '300.5']) {
      expect(() => loadConfig({ ...process.env, NODE_ENV: 'test', MEMORY_BUDGET_MB: bad }), bad).to.throw();
    }
    expect(loadConfig({ ...process.env, NODE_ENV: 'test', MEMORY_BUDGET_MB: '0' }).memoryBudgetBytes).to.equal(0);
    expect(loadConfig({ ...process.env, NODE_ENV: 'test', MEMORY_BUDGET_MB: '1200' }).memoryBudgetBytes).to.equal(1200 * 1024 * 1024);
  });
});
