// The upload hash thread (server/documents/hash-worker.ts): real files written in pieces while the
// thread reads them back; the digest must be the file's, whatever happens to the thread.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { hashFile, hashWhileWriting, stopHashWorker } from '../../server/documents/hash-worker.ts';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('documents: the upload hash thread', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'hash-worker-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Writes `bytes` to a new file in pieces of `piece`, telling the hasher after each, as the upload engine does. */
  async function writeInPieces(file: string, bytes: Buffer, piece: number, onWritten?: (n: number) => void): Promise<void> {
    const fh = await open(file, 'wx');
    try {
      for (let at = 0; at < bytes.length; at += piece) {
        const { bytesWritten } = await fh.write(bytes, at, Math.min(piece, bytes.length - at), at);
        onWritten?.(at + bytesWritten);
      }
    } finally {
      await fh.close();
    }
  }

  it('gives the SHA-256 of a file written in pieces while it reads them, for several files at once', async () => {
    const files = [5_000_000, 1, 1_048_576, 3_333_333].map((n, i) => ({ file: path.join(dir, `a${i}`), bytes: randomBytes(n) }));
    const digests = await Promise.all(
      files.map(async ({ file, bytes }) => {
        const hash = hashWhileWriting(file);
        await writeInPieces(file, bytes, 300_000, (n) => hash.progress(n));
        return hash.end(bytes.length);
      }),
    );
    expect(digests).to.deep.equal(files.map((f) => sha256(f.bytes)));
  });

  it('reads what was not reported as written yet when the file ends, and an empty file', async () => {
    const bytes = randomBytes(2_500_000);
    const file = path.join(dir, 'b');
    const hash = hashWhileWriting(file);
    await writeInPieces(file, bytes, 1_000_000); // no progress at all
    expect(await hash.end(bytes.length)).to.equal(sha256(bytes));

    const empty = path.join(dir, 'empty');
    const none = hashWhileWriting(empty);
    await writeFile(empty, '');
    expect(await none.end(0)).to.equal(sha256(Buffer.alloc(0)));
  });

  it('falls back to hashing the finished file when the thread ends mid-file, and starts a new thread for the next', async () => {
    const bytes = randomBytes(3_000_000);
    const file = path.join(dir, 'c');
    const hash = hashWhileWriting(file);
    await writeInPieces(file, bytes, 500_000, (n) => {
      hash.progress(n);
      if (n >= 1_000_000 && n < 1_500_000) void stopHashWorker();
    });
    expect(await hash.end(bytes.length)).to.equal(sha256(bytes));

    const next = randomBytes(1_500_000);
    const file2 = path.join(dir, 'd');
    const hash2 = hashWhileWriting(file2);
    await writeInPieces(file2, next, 400_000, (n) => hash2.progress(n));
    expect(await hash2.end(next.length)).to.equal(sha256(next));
  });

  it('answers from the file itself when the thread could not read it (a file shorter than reported)', async () => {
    const bytes = randomBytes(200_000);
    const file = path.join(dir, 'e');
    const hash = hashWhileWriting(file);
    await writeFile(file, bytes);
    // Reported past its end: the thread fails on it, the digest still comes from the real bytes.
    hash.progress(400_000);
    expect(await hash.end(bytes.length)).to.equal(sha256(bytes));
  });

  it('forgets an aborted file (removed meanwhile) and goes on with the next', async () => {
    const file = path.join(dir, 'f');
    const hash = hashWhileWriting(file);
    await writeInPieces(file, randomBytes(1_200_000), 600_000, (n) => hash.progress(n));
    hash.abort();
    await rm(file);
    const bytes = randomBytes(700_000);
    const file2 = path.join(dir, 'g');
    const hash2 = hashWhileWriting(file2);
    await writeInPieces(file2, bytes, 100_000, (n) => hash2.progress(n));
    expect(await hash2.end(bytes.length)).to.equal(sha256(bytes));
    expect(await hashFile(file2)).to.equal(sha256(bytes));
  });
});
