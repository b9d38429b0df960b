// One durable write (server/support/durable-write.ts) for the file mail transport, the backup's files
// and the data-encryption key file: a temporary file, flushed, renamed over the file, the folder
// flushed; its mode whatever the umask; a failed write leaves the old file and no temporary file; a
// fixed temporary name is overwritten by the next write (a crash's half file goes); stale temporary
// files of crashed writes are swept, never one being written now. Real files in a folder of its own.
import { mkdtemp, mkdir, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { removeStaleTemporaryFiles, writeFileDurably } from '../../server/support/durable-write.ts';
import { readKeyFile, writeKeyFile } from '../../server/crypto/keyring.ts';

describe('platform: one durable write', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'talent-durable-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the whole file with its mode whatever the umask, over an earlier one, leaving no temporary file', async () => {
    const file = path.join(dir, 'a.json');
    const umask = process.umask(0o077);
    try {
      await writeFileDurably(file, 'one', { mode: 0o640 });
    } finally {
      process.umask(umask);
    }
    expect((await stat(file)).mode & 0o777).to.equal(0o640);
    await writeFileDurably(file, Buffer.from('two'), { mode: 0o600 });
    expect(await readFile(file, 'utf8')).to.equal('two');
    expect((await stat(file)).mode & 0o777).to.equal(0o600);
    expect(await readdir(dir)).to.deep.equal(['a.json']);
  });

  it('a fixed temporary name: the half file a crash left is overwritten by the next write', async () => {
    const file = path.join(dir, 'm.eml');
    await writeFile(`${file}.tmp`, 'half a mess');
    await writeFileDurably(file, 'the whole message', { mode: 0o640, temp: `${file}.tmp` });
    expect(await readFile(file, 'utf8')).to.equal('the whole message');
    expect(await readdir(dir)).to.deep.equal(['m.eml']);
  });

  it('a failed write keeps the old file and removes its temporary file; an exclusive one refuses a temporary file already there and leaves it', async () => {
    // The rename fails: a non-empty folder has the file's name.
    const taken = path.join(dir, 'taken');
    await mkdir(taken);
    await writeFile(path.join(taken, 'x'), 'x');
    let failed: NodeJS.ErrnoException | undefined;
    await writeFileDurably(taken, 'data', { mode: 0o600, temp: `${taken}.tmp` }).catch((e: NodeJS.ErrnoException) => (failed = e));
    expect(failed?.code).to.be.oneOf(['EISDIR', 'ENOTEMPTY', 'EEXIST', 'EPERM']);
    expect((await readdir(dir)).sort()).to.deep.equal(['taken']);

    const file = path.join(dir, 'manifest.json');
    await writeFile(`${file}.writing`, 'another writer');
    const refused = await writeFileDurably(file, 'data', { mode: 0o600, temp: `${file}.writing`, exclusive: true }).then(() => undefined, (e: NodeJS.ErrnoException) => e.code);
    expect(refused).to.equal('EEXIST');
    expect(await readFile(`${file}.writing`, 'utf8')).to.equal('another writer');
  });

  it('sweeps the temporary files of crashed writes older than a minute, never a fresh one or another file', async () => {
    const old = new Date(Date.now() - 5 * 60_000);
    for (const n of ['a.eml.tmp', 'b.eml.tmp', 'c.eml', 'd.tmp']) await writeFile(path.join(dir, n), n);
    for (const n of ['a.eml.tmp', 'c.eml', 'd.tmp']) await utimes(path.join(dir, n), old, old);
    await removeStaleTemporaryFiles(dir, (n) => n.endsWith('.eml.tmp'));
    expect((await readdir(dir)).sort()).to.deep.equal(['b.eml.tmp', 'c.eml', 'd.tmp']);
    await removeStaleTemporaryFiles(path.join(dir, 'missing'), () => true);
  });

  it('the key file: written 0600 in a folder made 0700, read back, nothing else left', async () => {
    const file = path.join(dir, 'keys', 'data-keys');
    const keys = [Buffer.alloc(32, 1), Buffer.alloc(32, 2)];
    await writeKeyFile(file, keys);
    expect((await stat(file)).mode & 0o777).to.equal(0o600);
    expect((await stat(path.dirname(file))).mode & 0o777).to.equal(0o700);
    expect(readKeyFile(file).map((k) => k.toString('hex'))).to.deep.equal(keys.map((k) => k.toString('hex')));
    await writeKeyFile(file, [keys[1]!]);
    expect(readKeyFile(file)).to.have.length(1);
    expect(await readdir(path.dirname(file))).to.deep.equal(['data-keys']);
  });
});
