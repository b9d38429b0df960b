// The embedded server on a disk that fills: below the reserve of free space (journal.ts
// RESERVE_BYTES) a write command is refused with MongoDB's OutOfDiskSpace before it changes anything
// (a commit refused after the change would leave it readable until a restart); reads are served;
// writes are taken again once space is freed. The storage is the in-memory one with a free-space
// figure the test sets (its disk); the drill on a real full tmpfs is
// test/drills/database-disk-full-s36.test.ts.
import { expect } from 'chai';
import { Engine } from '../../embedded-mongo/src/engine.ts';
import { RESERVE_BYTES } from '../../embedded-mongo/src/journal.ts';
import { MemoryStorage } from '../../embedded-mongo/src/storage/memory-storage.ts';

class DiskOfSize extends MemoryStorage {
  free = 1024 * 1024 * 1024;
  freeBytes(): number {
    return this.free;
  }
}

describe('embedded-mongo: writes on a disk short of space', () => {
  it('refuses them before they change anything, serves reads, and takes them again once there is room', async () => {
    const disk = new DiskOfSize();
    const lines: string[] = [];
    const log = (m: unknown, msg?: string) => lines.push(String(msg ?? m));
    const engine = new Engine(disk, { info: log, warn: log, error: log }, { ttlIntervalMs: 60_000 });
    await engine.open();
    const conn = { id: 1, remote: 'test' };
    expect(await engine.run('db', { insert: 'cases', documents: [{ _id: 1, stage: 'screening' }] }, conn)).to.include({ ok: 1, n: 1 });

    disk.free = RESERVE_BYTES - 1;
    // Once within 4 reserves of full the figure is read at every write; the first read after this may be a second old.
    await new Promise((r) => setTimeout(r, 1100));
    const refused = await engine.run('db', { update: 'cases', updates: [{ q: { _id: 1 }, u: { $set: { stage: 'on_hold' } } }] }, conn);
    expect(refused).to.include({ ok: 0, code: 14031, codeName: 'OutOfDiskSpace' });
    expect(await engine.run('db', { insert: 'cases', documents: [{ _id: 2 }] }, conn)).to.include({ ok: 0, code: 14031 });
    const read = (await engine.run('db', { find: 'cases', filter: {} }, conn)) as { ok: number; cursor: { firstBatch: unknown[] } };
    expect(read.ok, 'reads are served').to.equal(1);
    expect(read.cursor.firstBatch, 'nothing of the refused writes').to.deep.equal([{ _id: 1, stage: 'screening' }]);
    expect(lines.filter((l) => /almost full/.test(l)), 'said once').to.have.length(1);

    disk.free = 4 * RESERVE_BYTES;
    expect(await engine.run('db', { update: 'cases', updates: [{ q: { _id: 1 }, u: { $set: { stage: 'on_hold' } } }] }, conn)).to.include({ ok: 1, nModified: 1 });
    expect(lines.some((l) => /room again/.test(l))).to.equal(true);
    await engine.close();
  });
});
