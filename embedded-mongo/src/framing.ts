// Cuts a connection's bytes into wire messages, with the socket reading straight into the buffers
// (net.Socket's `onread`): a message longer than what one read brings gets one buffer of its
// announced length, which the next reads fill, instead of the socket's 64 kB read buffers joined
// once it is complete. For a 1 MB GridFS insert that is one copy and one buffer fewer, and half the
// short-lived external memory that made V8 collect at every upload (`external memory pressure`).
// Messages that arrive whole in the scratch buffer are copied out of it (most are a few hundred
// bytes): the scratch is read into again at once.
import type net from 'node:net';

/** What one read brought: the complete messages, in order, or the length that refuses the next one. */
export interface ReadResult {
  messages: Buffer[];
  /** Set when a message announced a length outside [16, max]: nothing after it is to be read. */
  invalidLength?: number;
}

export const SCRATCH_BYTES = 64 * 1024;
/**
 * A message up to this long gets its whole buffer once its length is known; a longer one (up to the
 * server's 48 MB) is read into pieces this long and joined, so that a client announcing a huge
 * message holds no more memory than it sent plus one piece.
 */
export const DIRECT_BYTES = 4 * 1024 * 1024;
/**
 * The piece size for a connection that has not authenticated (server.ts): its announced length alone
 * must not make the server set aside megabytes (hello and the SASL steps are a few hundred bytes).
 */
export const PRE_AUTH_PIECE_BYTES = SCRATCH_BYTES;
/**
 * The longest message a connection that has not authenticated may announce (server.ts): the handshake
 * and the SASL steps are well under 2 kB (a driver's hello metadata is at most 512 bytes). Past it the
 * connection is closed at the length: without it, each connection without credentials could make the
 * server keep everything it sent of a 48 MB message (security review s32: 200 such connections held
 * 224 MB after 1 MB each), up to the 10,000 connections allowed. A client that pipelines a large
 * command behind its last SASL step before the answer would be refused; drivers wait for the answer.
 */
export const PRE_AUTH_MAX_BYTES = 16 * 1024;
/**
 * The scratch of a connection that has not authenticated: a connection opened and left idle holds
 * this, not the 64 kB that authenticated connections read into (10,000 idle connections: 40 MB, not 655 MB).
 */
export const PRE_AUTH_SCRATCH_BYTES = 4 * 1024;

export class MessageReader {
  private scratch: Buffer;
  /** Bytes at the start of the scratch that begin a message whose length is not yet known (< 4). */
  private carry = 0;
  /** A message being filled: its length, its pieces so far (one when it fits DIRECT_BYTES), and the bytes in the last. */
  private message?: { length: number; pieces: Buffer[]; received: number };
  private filled = 0;

  /**
   * `maxLength`: the longest message accepted, asked at each length read (smaller before authentication);
   * `pieceBytes`: the largest buffer to set aside for a message, asked when one is needed;
   * `scratchBytes`: the size of the buffer reads go into between messages, asked before each such read.
   */
  constructor(
    private readonly maxLength: number | (() => number),
    private readonly pieceBytes: () => number = () => DIRECT_BYTES,
    private readonly scratchBytes: () => number = () => SCRATCH_BYTES,
  ) {
    this.scratch = Buffer.allocUnsafeSlow(scratchBytes());
  }

  /** Whether a message has begun and is not complete (its length's first bytes, or its body). */
  get inMessage(): boolean {
    return this.carry > 0 || this.message !== undefined;
  }

  /** Where the next read goes (never past the end of the message being filled, never empty). */
  buffer(): Buffer {
    if (!this.message) {
      const size = this.scratchBytes();
      if (size !== this.scratch.length && size > this.carry) {
        // Widened once authenticated: the few bytes of a length not yet whole go along.
        const next = Buffer.allocUnsafeSlow(size);
        this.scratch.copy(next, 0, 0, this.carry);
        this.scratch = next;
      }
      return this.scratch.subarray(this.carry);
    }
    return this.message.pieces.at(-1)!.subarray(this.filled);
  }

  /** Takes the `nread` bytes just read into `buffer()`'s answer. */
  read(nread: number): ReadResult {
    const messages: Buffer[] = [];
    const m = this.message;
    if (m) {
      this.filled += nread;
      m.received += nread;
      if (m.received === m.length) {
        messages.push(m.pieces.length === 1 ? m.pieces[0]! : Buffer.concat(m.pieces, m.length));
        this.message = undefined;
        this.filled = 0;
      } else if (this.filled === m.pieces.at(-1)!.length) {
        m.pieces.push(Buffer.allocUnsafe(Math.min(this.pieceBytes(), m.length - m.received)));
        this.filled = 0;
      }
      return { messages };
    }
    const total = this.carry + nread;
    const data = this.scratch;
    let at = 0;
    const max = typeof this.maxLength === 'number' ? this.maxLength : this.maxLength();
    while (total - at >= 4) {
      const length = data.readInt32LE(at);
      if (length < 16 || length > max) {
        this.carry = 0;
        return { messages, invalidLength: length };
      }
      if (total - at < length) {
        // The rest of this message goes straight into a buffer of its own (or pieces: DIRECT_BYTES).
        const first = Buffer.allocUnsafe(Math.min(length, this.pieceBytes()));
        this.filled = data.copy(first, 0, at, total);
        this.message = { length, pieces: [first], received: this.filled };
        // The read filled the first piece (a piece no longer than the scratch): the next read needs
        // the next piece, not the empty rest of this one (a read into no bytes fails: ENOBUFS).
        if (this.filled === first.length) {
          this.message.pieces.push(Buffer.allocUnsafe(Math.min(this.pieceBytes(), length - this.filled)));
          this.filled = 0;
        }
        at = total;
        break;
      }
      messages.push(Buffer.from(data.subarray(at, at + length)));
      at += length;
    }
    this.carry = total - at;
    if (this.carry) data.copyWithin(0, at, total);
    return { messages };
  }

  /** Feeds bytes a socket read into a buffer of its own (the fallback without `onread`). */
  push(data: Buffer): ReadResult {
    const out: ReadResult = { messages: [] };
    for (let off = 0; off < data.length; ) {
      const n = data.copy(this.buffer(), 0, off);
      off += n;
      const r = this.read(n);
      out.messages.push(...r.messages);
      if (r.invalidLength !== undefined) return { messages: out.messages, invalidLength: r.invalidLength };
    }
    return out;
  }
}

/**
 * Makes a socket accepted paused (`pauseOnConnect`) read into `reader`'s buffers and hand each read
 * to `onRead` (which answers false to stop reading). Uses net.Socket's onread machinery, which a
 * server's accepted sockets do not offer as an option: the socket's own fields (found by their
 * symbols' names) are set as the option sets them. Returns false when this Node.js has not those
 * fields, and the caller reads 'data' events instead.
 */
export function readInto(socket: net.Socket, reader: MessageReader, onRead: (nread: number) => boolean): boolean {
  const symbols = new Map(Object.getOwnPropertySymbols(socket).map((s) => [s.description, s]));
  const kBuffer = symbols.get('kBuffer');
  const kBufferCb = symbols.get('kBufferCb');
  const kBufferGen = symbols.get('kBufferGen');
  const handle = (socket as unknown as { _handle?: { useUserBuffer?: (b: Uint8Array) => void; reading?: boolean } })._handle;
  if (!kBuffer || !kBufferCb || !kBufferGen || typeof handle?.useUserBuffer !== 'function' || handle.reading) return false;
  const fields = socket as unknown as Record<symbol, unknown>;
  // As net.Socket's constructor does for `onread: { buffer: fn, callback }`, and initSocketHandle after it.
  const first = reader.buffer();
  fields[kBuffer] = first;
  fields[kBufferGen] = () => reader.buffer();
  fields[kBufferCb] = (nread: number) => onRead(nread);
  handle.useUserBuffer(first);
  return true;
}
