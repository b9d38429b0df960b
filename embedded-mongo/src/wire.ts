// MongoDB wire protocol framing: OP_QUERY (only for the legacy handshake), OP_REPLY, OP_MSG.
import { serialize, deserialize, type Document } from 'bson';

export const OP_REPLY = 1;
export const OP_QUERY = 2004;
export const OP_COMPRESSED = 2012;
export const OP_MSG = 2013;

export const MSG_CHECKSUM_PRESENT = 1 << 0;
export const MSG_MORE_TO_COME = 1 << 1;
export const MSG_EXHAUST_ALLOWED = 1 << 16;

export class ProtocolError extends Error {}

export interface Header {
  length: number;
  requestId: number;
  responseTo: number;
  opCode: number;
}

export interface Request {
  header: Header;
  kind: 'query' | 'msg';
  /** Database the command runs against. */
  db: string;
  command: Document;
  moreToCome: boolean;
}

const DESERIALIZE = { promoteLongs: true, promoteValues: true, promoteBuffers: false, bsonRegExp: false } as const;

export function readHeader(buf: Buffer): Header {
  return { length: buf.readInt32LE(0), requestId: buf.readInt32LE(4), responseTo: buf.readInt32LE(8), opCode: buf.readInt32LE(12) };
}

function readCString(buf: Buffer, at: number): { value: string; next: number } {
  const end = buf.indexOf(0, at);
  if (end < 0) throw new ProtocolError('unterminated string');
  return { value: buf.toString('utf8', at, end), next: end + 1 };
}

function readDoc(buf: Buffer, at: number, limit: number): { doc: Document; next: number } {
  if (at + 5 > limit) throw new ProtocolError('truncated document');
  const size = buf.readInt32LE(at);
  if (size < 5 || at + size > limit) throw new ProtocolError('invalid document length');
  const doc = deserialize(buf.subarray(at, at + size), DESERIALIZE);
  return { doc, next: at + size };
}

/** Parses one complete message (header included). Throws ProtocolError on malformed input. */
export function parseMessage(buf: Buffer): Request {
  const header = readHeader(buf);
  if (header.opCode === OP_QUERY) {
    let at = 16 + 4; // flags
    const { value: fullName, next } = readCString(buf, at);
    at = next + 8; // numberToSkip, numberToReturn
    const { doc } = readDoc(buf, at, buf.length);
    if (!fullName.endsWith('.$cmd')) throw new ProtocolError('OP_QUERY is only supported for commands');
    const db = fullName.slice(0, -'.$cmd'.length);
    const command = doc.$query && typeof doc.$query === 'object' ? (doc.$query as Document) : doc;
    return { header, kind: 'query', db, command, moreToCome: false };
  }
  if (header.opCode === OP_MSG) {
    const flags = buf.readUInt32LE(16);
    // bits 0-15 other than checksum/moreToCome are "required" and unknown to us
    if (flags & 0xfffc) throw new ProtocolError(`unsupported OP_MSG flags ${flags}`);
    const end = flags & MSG_CHECKSUM_PRESENT ? buf.length - 4 : buf.length;
    let at = 20;
    let body: Document | undefined;
    const sequences: Array<[string, Document[]]> = [];
    while (at < end) {
      const kind = buf.readUInt8(at);
      at += 1;
      if (kind === 0) {
        if (body) throw new ProtocolError('more than one body section');
        const r = readDoc(buf, at, end);
        body = r.doc;
        at = r.next;
      } else if (kind === 1) {
        if (at + 4 > end) throw new ProtocolError('truncated section');
        const size = buf.readInt32LE(at);
        const secEnd = at + size;
        if (size < 5 || secEnd > end) throw new ProtocolError('invalid section length');
        const { value: id, next } = readCString(buf, at + 4);
        let p = next;
        const docs: Document[] = [];
        while (p < secEnd) {
          const r = readDoc(buf, p, secEnd);
          docs.push(r.doc);
          p = r.next;
        }
        sequences.push([id, docs]);
        at = secEnd;
      } else throw new ProtocolError(`unknown section kind ${kind}`);
    }
    if (!body) throw new ProtocolError('OP_MSG without a body');
    for (const [id, docs] of sequences) body[id] = docs;
    const db = typeof body.$db === 'string' ? body.$db : 'admin';
    return { header, kind: 'msg', db, command: body, moreToCome: Boolean(flags & MSG_MORE_TO_COME) };
  }
  throw new ProtocolError(`unsupported opCode ${header.opCode}`);
}

let nextRequestId = 1;

function frame(opCode: number, responseTo: number, payload: Buffer[]): Buffer {
  const length = 16 + payload.reduce((n, b) => n + b.length, 0);
  const header = Buffer.alloc(16);
  header.writeInt32LE(length, 0);
  header.writeInt32LE(nextRequestId++ & 0x7fffffff, 4);
  header.writeInt32LE(responseTo, 8);
  header.writeInt32LE(opCode, 12);
  return Buffer.concat([header, ...payload], length);
}

export function encodeReply(responseTo: number, doc: Document): Buffer {
  const body = serialize(doc);
  const fixed = Buffer.alloc(20);
  fixed.writeInt32LE(0, 0); // responseFlags
  fixed.writeBigInt64LE(0n, 4); // cursorID
  fixed.writeInt32LE(0, 12); // startingFrom
  fixed.writeInt32LE(1, 16); // numberReturned
  return frame(OP_REPLY, responseTo, [fixed, Buffer.from(body.buffer, body.byteOffset, body.byteLength)]);
}

export function encodeMsg(responseTo: number, doc: Document): Buffer {
  const body = serialize(doc);
  const flags = Buffer.alloc(5);
  flags.writeUInt32LE(0, 0);
  flags.writeUInt8(0, 4); // section kind 0
  return frame(OP_MSG, responseTo, [flags, Buffer.from(body.buffer, body.byteOffset, body.byteLength)]);
}
