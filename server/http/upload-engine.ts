// A Multer storage engine that streams each file to a temporary name while it is hashed (SHA-256,
// on a thread of its own: server/documents/hash-worker.ts),
// counting its size against the limit of its checklist item, and sniffing its first bytes: only
// PDF, JPEG and PNG by magic bytes, whatever the client's MIME type says, and only under a name
// whose extension is on the allow-list and agrees with the sniffed type. A refused or interrupted
// file is deleted here; nothing is kept in memory beyond the first 4100 bytes. With a store that
// stages (GridFS: ReceiveOptions.stage), the bytes the checks let through go into it as they arrive,
// beside the temporary file, and a refused or cut-short file's staged bytes are removed with it.
//
// A name refused for its extension does not end the request at once: the part is read to its end
// (within the size limit) and comes back marked `refusal`, so the rest of the form (dates typed
// beside the file) is parsed and the page that names the allowed types can keep what was typed.
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Transform } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import type { Request } from 'express';
import type multer from 'multer';
import { ALLOWED_MIME, ALLOWED_TYPES_TEXT, extensionOf, typeForExtension, typeForMime, type AllowedMime } from '../documents/rules.ts';
import { aboutField, isNoSpace, storageRefusal, refused, UploadError } from '../documents/errors.ts';
import { hashingSink, hashWhileWriting } from '../documents/hash-worker.ts';
import { discardReceived, type StagedUpload } from '../documents/storage.ts';
import { nameWithoutHiddenCharacters } from '../support/hidden-characters.ts';
import { shownText } from '../support/shown-text.ts';

const SNIFF_BYTES = 4100;
/**
 * How often the hash thread is told how far the file is written (server/documents/hash-worker.ts).
 * Each message wakes the thread, which on a busy 2-core machine takes the web thread's core: every
 * 4 MB, not every 1 MB (GridFS 20 MB, bench/upload-ab.ts, 3 runs: app + database CPU 10-17 ms less an
 * upload in the two quieter ones; B/A time 0.83, 1.08, 0.90). Every 8 MB: CPU 197 against 203, B/A 0.95
 * (one run): not kept, as the thread then has up to 8 MB left to read when the file ends.
 */
const HASH_STEP_BYTES = 4 * 1024 * 1024;
/**
 * Within this much of the request's declared end, the thread is told every 1 MB instead: at the
 * body's end it had up to 4 MB + the write stream's 1 MB left to read and hash (2.6-3.8 ms of a 20 MB
 * disk upload's ~16 ms after the body, bench/upload-trips.ts), now up to 2 MB: median 2.8-3.3 → 1.3-1.4 ms
 * (12 uploads × 2 runs each, pipeline end → digest, load ~10). A declared length
 * that lies changes only how often it is told (at most one message a MB of the file).
 */
const HASH_TAIL_BYTES = 5 * 1024 * 1024;
const HASH_TAIL_STEP_BYTES = 1024 * 1024;
// Not shown (s33): the digest left to finish beside commitUploads' checks (~3 ms of the disk 20 MB request after the body): upload-ab disk 16 rounds B/A 1.26, swapped 1.24 (the A side ran ~25 % faster whichever checkout, load 13).
/** Markup in the first KB makes a file a polyglot that a browser might render: refused. */
const MARKUP_BYTES = 1024;
const MARKUP = /<\s*(?:html|script|body|head|iframe|svg|object|embed|meta|!doctype\s+html)\b/i;

export interface TempFile {
  fieldname: string;
  /** Display text only (basename, no hidden characters: nameWithoutHiddenCharacters, at most 200 characters). */
  displayName: string;
  path: string;
  size: number;
  sha256: string;
  mimeType: AllowedMime;
  /** Set when the file was refused for its name (no file kept: path is ''). */
  refusal?: UploadError;
}

/** Refuses a name without an extension, or with one not on the allow-list (before reading any byte). */
export function extensionRefusal(name: string): UploadError | undefined {
  const ext = extensionOf(name);
  if (!ext || ext === '.') return refused.noExtension(name, ALLOWED_TYPES_TEXT);
  if (!typeForExtension(ext)) return refused.badExtension(name, ALLOWED_TYPES_TEXT);
  return undefined;
}

/** Refuses a name whose extension says another type than the bytes do (a PDF named passport.jpg). */
export function mismatchRefusal(name: string, mime: AllowedMime): UploadError | undefined {
  const named = typeForExtension(extensionOf(name));
  const actual = typeForMime(mime);
  if (named && actual && named.mime !== actual.mime) return refused.extensionMismatch(name, named.label, actual.label, ALLOWED_TYPES_TEXT);
  return undefined;
}

/** Returns the byte limit for a file field, or throws an UploadError for an unknown field. */
export type LimitFor = (fieldname: string) => number;

/** Starts copying the file about to be written at `tempPath` into its store as it arrives (GridFS: storage.ts, StagedUpload); undefined when the store takes no more stagings now (the file is copied at `put`). */
export type StageFor = (tempPath: string) => StagedUpload | undefined;

/** Names are shown to people, never used as paths. A name carrying a path is refused outright. */
export function displayName(raw: string | undefined): string {
  // Invisible and direction-changing characters could disguise an extension or the name itself.
  const cleaned = nameWithoutHiddenCharacters(raw ?? '').normalize('NFC').trim();
  const base = cleaned.split(/[\\/]/).pop() ?? '';
  const name = base === '.' || base === '..' ? '' : base;
  if (name.length <= 200) return name || 'document';
  const ext = path.extname(name).slice(0, 10);
  return name.slice(0, 200 - ext.length) + ext;
}

/**
 * A refused name (one carrying a folder path) quoted as it was sent: whole, so that the applicant
 * sees the folders to take out, not only the name's last part; control characters shown as marks
 * (␀, ␊, ␛) and direction or invisible characters by their code ([U+202E]), never acted on; at most
 * 200 characters, beginning and end kept (shownText). Escaped by the view as any text.
 */
export function quotedFileName(raw: string): string {
  return shownText(raw);
}

export function hasPath(raw: string | undefined): boolean {
  return !!raw && (/[\\/]/.test(raw) || raw === '..' || raw === '.');
}

/** Decides a file's type from its first bytes; undefined when it is not allowed. */
export async function sniff(head: Buffer): Promise<{ mime: AllowedMime } | { refusal: 'badType' | 'disguised' }> {
  // Loaded on first upload, not at start (file-type and its tokenizer take ~80 ms to load).
  const { fileTypeFromBuffer } = await import('file-type');
  const ft = await fileTypeFromBuffer(head);
  if (!ft || !(ALLOWED_MIME as readonly string[]).includes(ft.mime)) return { refusal: 'badType' };
  if (MARKUP.test(head.subarray(0, MARKUP_BYTES).toString('latin1'))) return { refusal: 'disguised' };
  return { mime: ft.mime as AllowedMime };
}

interface Pending {
  cleanups: Set<Promise<unknown>>;
}
const PENDING = Symbol('documentUploadCleanups');

/** Resolves when every temporary file this request started has been written or removed. */
export async function settleUploads(req: Request): Promise<void> {
  const p = (req as unknown as Record<symbol, Pending | undefined>)[PENDING];
  if (p) await Promise.allSettled([...p.cleanups]);
}

function track(req: Request, work: Promise<unknown>): void {
  const r = req as unknown as Record<symbol, Pending | undefined>;
  const p = (r[PENDING] ??= { cleanups: new Set() });
  p.cleanups.add(work);
  void work.finally(() => p.cleanups.delete(work)).catch(() => undefined);
}

function refusedFile(fieldname: string, name: string, refusal: UploadError): TempFile {
  return { fieldname, displayName: name, path: '', size: 0, sha256: '', mimeType: 'application/pdf', refusal: refusal.about(fieldname) };
}

/** A disk-full write error (as multer got it first) → the refusal naming the file it cut short. */
const noRoom = new WeakMap<object, UploadError>();

/** The refusal for a full disk that `err` (multer's error) stands for, if it is one (uploads.ts). */
export function noRoomRefusal(err: unknown): UploadError | undefined {
  return typeof err === 'object' && err !== null ? noRoom.get(err) : undefined;
}

export class SniffingTempStorage implements multer.StorageEngine {
  constructor(
    private readonly tempDir: string,
    private readonly limitFor: LimitFor,
    private readonly stageFor?: StageFor,
  ) {}

  _handleFile(req: Request, file: Express.Multer.File, cb: (error?: unknown, info?: Partial<Express.Multer.File> & Partial<TempFile>) => void): void {
    const declared = Number(req.headers['content-length']);
    const work = this.handle(file, Number.isSafeInteger(declared) && declared > 0 ? declared : undefined).then(
      (info) => cb(null, info),
      (err: unknown) => cb(err),
    );
    track(req, work);
  }

  /** `requestBytes`: the request's declared length, if any (the file ends before it). */
  private async handle(file: Express.Multer.File, requestBytes?: number): Promise<Partial<Express.Multer.File> & TempFile> {
    const stream = file.stream;
    const raw = file.originalname;
    try {
      if (hasPath(raw)) throw refused.pathInName(quotedFileName(raw!));
      const name = displayName(raw);
      const limit = this.limitFor(file.fieldname);
      const badName = extensionRefusal(name);
      if (badName) {
        stream.resume();
        await finished(stream);
        return refusedFile(file.fieldname, name, badName);
      }
      await mkdir(this.tempDir, { recursive: true, mode: 0o700 });
      const tempPath = path.join(this.tempDir, `${randomBytes(16).toString('hex')}.part`);
      // The bytes go to the store too while they arrive, once the inspector has let them through.
      const staged = this.stageFor?.(tempPath);
      // Staged with no scanner to read a file, the bytes are hashed and dropped: `tempPath` then only
      // names the staging (storage.ts, `put` and `discardReceived` find it by that name).
      const sink = staged?.withoutTempFile ? hashingSink() : undefined;
      // Corking it to write 1 MB at a time (fewer fs calls) would hang: write() answers false once the
      // corked bytes reach the highWaterMark, and the 'drain' pipeline then waits for never comes.
      const out = sink?.stream ?? createWriteStream(tempPath, { flags: 'wx', mode: 0o600, highWaterMark: 1024 * 1024 });
      // Known as the write fails, before the pipeline passes its error to busboy's stream and so to
      // multer, which answers with the first error it sees (uploads.ts looks the refusal up by it).
      out.once('error', (e: Error) => {
        if (isNoSpace(e)) noRoom.set(e, refused.storageFull(name).about(file.fieldname));
      });
      const hash = sink?.hash ?? hashWhileWriting(tempPath);
      const forward = (chunk: Buffer, done: (err?: Error | null, chunk?: Buffer) => void) => {
        if (!staged) done(null, chunk);
        else staged.write(chunk).then(() => done(null, chunk), done);
      };
      let hashedTo = 0;
      let size = 0;
      let head: Buffer[] = [];
      let headLen = 0;
      let mime: AllowedMime | undefined;
      let mismatch: UploadError | undefined;

      const check = async (buf: Buffer) => {
        const r = await sniff(buf);
        if ('refusal' in r) throw r.refusal === 'badType' ? refused.badType(name) : refused.disguised(name);
        mime = r.mime;
        mismatch = mismatchRefusal(name, r.mime);
      };
      const inspector = new Transform({
        transform(chunk: Buffer, _enc, done) {
          size += chunk.length;
          if (size > limit) {
            done(refused.tooLarge(name, Math.round(limit / (1024 * 1024))));
            return;
          }
          const step = requestBytes !== undefined && requestBytes - size <= HASH_TAIL_BYTES ? HASH_TAIL_STEP_BYTES : HASH_STEP_BYTES;
          // The hash thread reads the temporary file back up to what is written; a sink hashes as it takes.
          if (!sink && size - hashedTo >= step) {
            hashedTo = size;
            hash.progress((out as ReturnType<typeof createWriteStream>).bytesWritten);
          }
          if (mime) {
            forward(chunk, done);
            return;
          }
          head.push(chunk);
          headLen += chunk.length;
          if (headLen < SNIFF_BYTES) {
            forward(chunk, done);
            return;
          }
          const buf = Buffer.concat(head);
          head = [];
          check(buf).then(() => forward(chunk, done), done);
        },
        flush(done) {
          if (size === 0) {
            done(refused.empty(name));
            return;
          }
          if (mime) {
            done();
            return;
          }
          check(Buffer.concat(head)).then(() => done(), done);
        },
      });
      try {
        await pipeline(stream, inspector, out);
      } catch (err) {
        hash.abort();
        // A refusal on the first chunk can come while the file is still being opened: removing it
        // before the stream has closed would leave the .part file created just after.
        if (!out.closed) await new Promise<void>((resolve) => out.once('close', () => resolve()));
        await Promise.all([rm(tempPath, { force: true }), staged?.abort()]);
        throw err;
      }
      if (mismatch) {
        hash.abort();
        await Promise.all([rm(tempPath, { force: true }), staged?.abort()]);
        return refusedFile(file.fieldname, name, mismatch);
      }
      let sha256: string;
      try {
        [sha256] = await Promise.all([hash.end(size), staged?.finish()]);
      } catch (err) {
        await Promise.all([discardReceived(tempPath), staged?.abort()]);
        throw err;
      }
      return { fieldname: file.fieldname, displayName: name, path: tempPath, size, sha256, mimeType: mime! };
    } catch (err) {
      // Let busboy carry on past this part, so multer can answer the request.
      if (!stream.destroyed) stream.resume();
      // The temporary file's disk full (its folder, its open, a write): the sender is told the server
      // has no room, not that their upload was unreadable (test/drills/disk-full-upload-s36.test.ts).
      const refusal = storageRefusal(err, displayName(raw));
      if (refusal !== err && typeof err === 'object' && err !== null) noRoom.set(err, refusal as UploadError);
      throw aboutField(refusal, file.fieldname);
    }
  }

  _removeFile(_req: Request, file: Express.Multer.File, cb: (error: Error | null) => void): void {
    if (!file.path) {
      cb(null);
      return;
    }
    discardReceived(file.path).then(
      () => cb(null),
      (err: Error) => cb(err),
    );
  }
}
