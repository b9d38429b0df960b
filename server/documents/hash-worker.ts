// The SHA-256 of an upload, worked out on a thread of its own from the temporary file as it is
// written, not on the web thread from each chunk as it arrives.
//
// Why: hashing 20 MB takes ~12 ms of the web thread, and while it hashes the thread does not read
// the socket, so the client's sends stall on a full receive window: with the hash taken out, the
// upload benchmark's 20 MB PDF went in at 0.39-0.58 of a direct write instead of 0.34-0.36
// (`npm run bench:upload -- 10 disk`, three runs each). The thread reads back what the write stream
// has already written (from the page cache) into one buffer it reuses, so no memory changes hands.
//
// If the thread cannot be started, fails or ends, the hash is taken from the finished file on the
// web thread instead: slower, never wrong, and the next upload starts a new thread.
import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Worker } from 'node:worker_threads';

/** What the upload engine tells the hasher about one temporary file. */
export interface FileHash {
  /** Bytes 0..written of the file are on disk (the write stream's bytesWritten). */
  progress(written: number): void;
  /** The file is complete at `size` bytes: its SHA-256, hex. */
  end(size: number): Promise<string>;
  /** The file is refused or failed: stop reading it (it is about to be removed). */
  abort(): void;
}

// Plain JavaScript run with `eval`, so the same code serves the TypeScript sources (tests, tsx) and
// the bundle `npm start` runs, with no file to find beside either.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { openSync, readSync, closeSync } = require('node:fs');
const { createHash } = require('node:crypto');
const buf = Buffer.allocUnsafe(1024 * 1024);
const jobs = new Map();
function advance(job, upTo) {
  if (job.pos >= upTo) return;
  // Opened at the first bytes written: the write stream creates the file after the job starts.
  if (job.fd === undefined) job.fd = openSync(job.path, 'r');
  while (job.pos < upTo) {
    const n = readSync(job.fd, buf, 0, Math.min(buf.length, upTo - job.pos), job.pos);
    if (n === 0) throw new Error('the file ended at ' + job.pos + ' bytes, before ' + upTo);
    job.hash.update(buf.subarray(0, n));
    job.pos += n;
  }
}
function drop(id) {
  const job = jobs.get(id);
  jobs.delete(id);
  if (job && job.fd !== undefined) { try { closeSync(job.fd); } catch {} }
}
parentPort.on('message', (m) => {
  if (m.type === 'start') { jobs.set(m.id, { path: m.path, fd: undefined, hash: createHash('sha256'), pos: 0, failed: undefined }); return; }
  const job = jobs.get(m.id);
  if (!job) {
    if (m.type === 'end') parentPort.postMessage({ id: m.id, error: 'no such job' });
    return;
  }
  if (m.type === 'abort') { drop(m.id); return; }
  try {
    if (!job.failed) advance(job, m.type === 'end' ? m.size : m.upTo);
  } catch (err) {
    job.failed = String((err && err.message) || err);
  }
  if (m.type === 'end') {
    drop(m.id);
    parentPort.postMessage(job.failed ? { id: m.id, error: job.failed } : { id: m.id, sha256: job.hash.digest('hex') });
  }
});
`;

type Reply = { id: number; sha256?: string; error?: string };

let worker: Worker | undefined;
let nextId = 1;
/** Digests waited for, by job id. */
const waiting = new Map<number, (r: Reply) => void>();
/** Jobs started and not yet ended or aborted: the thread keeps the process alive only while there are some. */
let open = 0;

function thread(): Worker | undefined {
  if (worker) return worker;
  let w: Worker;
  try {
    w = new Worker(WORKER_SOURCE, { eval: true });
  } catch {
    return undefined;
  }
  w.unref();
  w.on('message', (r: Reply) => {
    const done = waiting.get(r.id);
    waiting.delete(r.id);
    done?.(r);
  });
  const lost = (why: string) => {
    if (worker !== w) return;
    worker = undefined;
    open = 0;
    // Every digest waited for is worked out from its file instead.
    for (const [id, done] of waiting) done({ id, error: why });
    waiting.clear();
  };
  w.on('error', (err) => lost(err.message));
  w.on('exit', (code) => lost(`hash thread exited with code ${code}`));
  worker = w;
  return w;
}

function hold(w: Worker): void {
  if (open++ === 0) w.ref();
}

function release(w: Worker): void {
  if (open > 0 && --open === 0) w.unref();
}

/** The SHA-256 of a finished file, read on this thread (the fallback). */
export async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path, { highWaterMark: 1024 * 1024 }), hash);
  return hash.digest('hex');
}

/** Starts hashing the temporary file at `path`, which the caller is about to write. */
export function hashWhileWriting(path: string): FileHash {
  const w = thread();
  if (!w) return { progress: () => undefined, end: () => hashFile(path), abort: () => undefined };
  const id = nextId++;
  let settled = false;
  w.postMessage({ type: 'start', id, path });
  hold(w);
  const finish = () => {
    if (settled) return false;
    settled = true;
    if (worker === w) release(w);
    return true;
  };
  return {
    progress(written) {
      if (!settled && worker === w) w.postMessage({ type: 'progress', id, upTo: written });
    },
    async end(size) {
      if (settled || worker !== w) {
        finish();
        return hashFile(path);
      }
      const reply = await new Promise<Reply>((resolve) => {
        waiting.set(id, resolve);
        w.postMessage({ type: 'end', id, size });
      });
      finish();
      return reply.sha256 ?? hashFile(path);
    },
    abort() {
      if (!finish()) return;
      if (worker === w) w.postMessage({ type: 'abort', id });
    },
  };
}

/**
 * Where the bytes of an upload staged into GridFS with no scanner to read a file go instead of a
 * temporary file (upload-engine.ts): hashed here, on the web thread, as each piece passes, and
 * dropped. The thread and the file were the better way on disk (this file's head); with GridFS, the
 * file's writes and its read back cost more than the hash: bench/upload.ts 20 gridfs with and without it,
 * 3 pairs alternating (load ~1.8), ratio 0.31 / 0.31 / 0.32 against 0.25 / 0.27 / 0.26 with the file.
 */
export function hashingSink(): { stream: Writable; hash: FileHash } {
  const hash = createHash('sha256');
  let bytes = 0;
  let dropped = false;
  const stream = new Writable({
    highWaterMark: 1024 * 1024,
    write(chunk: Buffer, _enc, done) {
      if (!dropped) hash.update(chunk);
      bytes += chunk.length;
      done();
    },
  });
  return {
    stream,
    hash: {
      progress: () => undefined,
      end: async (size) => {
        if (dropped) throw new Error('hash of a dropped upload');
        // The engine counts what it passed on; a sink that saw other bytes would give another file's hash.
        if (bytes !== size) throw new Error(`the upload's hash saw ${bytes} bytes, not ${size}`);
        dropped = true;
        return hash.digest('hex');
      },
      abort: () => {
        dropped = true;
      },
    },
  };
}

/** Ends the hash thread (at shutdown; tests use it to check the fallback). Digests waited for fall back. */
export async function stopHashWorker(): Promise<void> {
  const w = worker;
  if (w) await w.terminate();
}
