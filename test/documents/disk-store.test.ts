// The disk store's `put` (server/documents/storage.ts DiskStorage): the shard folder is made once per
// process and then an upload is a rename alone; a folder removed since (a store wiped by hand) is
// made again, and a missing temporary file is still an error.
import { expect } from 'chai';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DiskStorage, newStorageKey } from '../../server/documents/storage.ts';

describe('documents: the disk store puts files into shard folders it makes once', function () {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'talent-disk-store-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const temp = async (text: string) => {
    const p = path.join(dir, `${newStorageKey()}.part`);
    await writeFile(p, text);
    return p;
  };
  /** Two keys of one shard folder (the key's first two characters). */
  const sameShard = () => {
    const a = newStorageKey();
    return [a, `${a.slice(0, 2)}${newStorageKey().slice(2)}`] as const;
  };

  it('stores a second file of a known folder, and makes a folder removed since again', async () => {
    const store = new DiskStorage(path.join(dir, 'store'));
    const [a, b] = sameShard();
    await store.put(await temp('first'), a);
    expect(await readFile(store.pathOf(a), 'utf8')).to.equal('first');
    expect((await stat(path.dirname(store.pathOf(a)))).mode & 0o777, 'the folder is private').to.equal(0o700);

    await store.put(await temp('second'), b);
    expect(await readFile(store.pathOf(b), 'utf8')).to.equal('second');

    // The whole store wiped behind the process's back: the next put into that folder still lands.
    await rm(path.join(dir, 'store'), { recursive: true, force: true });
    const c = `${a.slice(0, 2)}${newStorageKey().slice(2)}`;
    await store.put(await temp('third'), c);
    expect(await readFile(store.pathOf(c), 'utf8')).to.equal('third');
  });

  it('refuses a temporary file that is gone, in a known folder as in a new one', async () => {
    const store = new DiskStorage(path.join(dir, 'store'));
    const [a, b] = sameShard();
    await store.put(await temp('first'), a);
    let err: NodeJS.ErrnoException | undefined;
    await store.put(path.join(dir, 'missing.part'), b).catch((e: NodeJS.ErrnoException) => (err = e));
    expect(err?.code).to.equal('ENOENT');
    expect(await store.exists(b)).to.equal(false);
  });
});
