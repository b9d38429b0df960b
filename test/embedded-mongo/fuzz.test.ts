// Fuzzing the embedded server's wire protocol over raw TCP: truncated, undersized, oversized and
// random frames, garbage bodies, bad OP_MSG sections, and random command documents from a seeded
// PRNG. After every case the server must have answered with a well-formed reply or closed THAT
// socket, and a separate healthy client must still be served correctly. Embedded-only by nature.
import { expect } from 'chai';
import net from 'node:net';
import {
  BSON, Binary, BSONRegExp, Decimal128, Double, Int32, Long, MaxKey, MinKey, MongoClient, ObjectId, Timestamp,
  type Document,
} from 'mongodb';
import { startEmbeddedMongo, type EmbeddedMongo } from '../../embedded-mongo/src/index.ts';
import { prng } from '../../scripts/support/prng.ts';

const { serialize, deserialize } = BSON;
const MAX_MESSAGE = 48_000_000;
const OP_QUERY = 2004;
const OP_MSG = 2013;


function header(length: number, requestId: number, opCode: number): Buffer {
  const h = Buffer.alloc(16);
  h.writeInt32LE(length, 0);
  h.writeInt32LE(requestId, 4);
  h.writeInt32LE(0, 8);
  h.writeInt32LE(opCode, 12);
  return h;
}

function opMsg(body: Buffer | Document, flags = 0, extraSections: Buffer[] = []): Buffer {
  const b = Buffer.isBuffer(body) ? body : Buffer.from(serialize(body));
  const f = Buffer.alloc(4);
  f.writeUInt32LE(flags >>> 0, 0);
  const payload = Buffer.concat([f, Buffer.from([0]), b, ...extraSections]);
  return Buffer.concat([header(16 + payload.length, 7, OP_MSG), payload]);
}

function opQuery(ns: string, doc: Document): Buffer {
  const payload = Buffer.concat([Buffer.alloc(4), Buffer.from(ns + '\0'), Buffer.alloc(8), Buffer.from(serialize(doc))]);
  return Buffer.concat([header(16 + payload.length, 9, OP_QUERY), payload]);
}

/** Parses every complete reply frame in `buf`; throws when a frame is malformed. */
function parseReplies(buf: Buffer): Document[] {
  const out: Document[] = [];
  let at = 0;
  while (at + 16 <= buf.length) {
    const len = buf.readInt32LE(at);
    const opCode = buf.readInt32LE(at + 12);
    if (len < 16 || at + len > buf.length) break;
    const frame = buf.subarray(at, at + len);
    if (opCode === OP_MSG) {
      expect(frame[20], 'section kind of a reply').to.equal(0);
      out.push(deserialize(frame.subarray(21)));
    } else if (opCode === 1) {
      out.push(deserialize(frame.subarray(36)));
    } else throw new Error(`reply with unexpected opCode ${opCode}`);
    at += len;
  }
  return out;
}

interface Outcome {
  replies: Document[];
  closed: boolean;
}

/**
 * Sends `bytes` on a new socket. A complete frame must be answered (or the socket closed) by the
 * server on its own; for an incomplete one we half-close after a short wait and expect the close.
 */
function probe(port: number, bytes: Buffer, complete: boolean): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (closed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(nudge);
      clearTimeout(deadline);
      s.destroy();
      try {
        resolve({ replies: parseReplies(Buffer.concat(chunks)), closed });
      } catch (err) {
        reject(err);
      }
    };
    const nudge = setTimeout(() => { if (!complete) s.end(); }, 150);
    const deadline = setTimeout(() => {
      if (settled) return;
      settled = true;
      s.destroy();
      reject(new Error(`no reply and no close within 5 s for ${bytes.length} bytes starting ${bytes.subarray(0, 24).toString('hex')}`));
    }, 5_000);
    s.on('data', (d) => {
      chunks.push(d);
      // one complete reply is enough: the server answered this frame
      if (complete && parseReplies(Buffer.concat(chunks)).length > 0) finish(false);
    });
    s.on('error', () => {});
    s.on('close', () => finish(true));
    s.write(bytes);
  });
}

// ------------------------------------------------------------------ random BSON values

const COMMANDS = [
  'insert', 'find', 'update', 'delete', 'aggregate', 'count', 'distinct', 'findAndModify', 'getMore', 'killCursors',
  'createIndexes', 'listIndexes', 'dropIndexes', 'create', 'drop', 'listCollections', 'renameCollection', 'collStats',
  'dbStats', 'explain', 'hello', 'isMaster', 'ping', 'buildInfo', 'endSessions', 'listDatabases', 'serverStatus',
  'nonsense', '', '$cmd', 'dropDatabase',
];
const OPERATORS = [
  '$set', '$inc', '$unset', '$push', '$each', '$gt', '$in', '$regex', '$match', '$group', '$sort', '$lookup', '$unwind',
  '$project', '$expr', '$and', '$or', '$elemMatch', '$size', '$slice', '$facet', '$count', '$limit', '$skip', '$sum',
  '$addFields', '$replaceRoot', '$[]', '$', '$bit', '$mul', '$rename', '$setOnInsert', '$exists', '$type', '$not',
];
const FIELDS = ['a', 'b', 'a.b', 'x.0.y', '_id', 'q', 'u', 'filter', 'sort', 'pipeline', 'documents', 'updates', 'deletes', 'key', 'indexes', 'cursor', 'batchSize', 'limit', 'skip', 'query', 'multi', 'upsert', 'name', 'to', ''];

function randomValue(rnd: () => number, depth: number): unknown {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const k = Math.floor(rnd() * (depth > 3 ? 14 : 18));
  switch (k) {
    case 0: return rnd() * 1e6 - 5e5;
    case 1: return Math.floor(rnd() * 200) - 100;
    case 2: return new Int32(Math.floor(rnd() * 2 ** 31));
    case 3: return Long.fromBits(Math.floor(rnd() * 2 ** 32), Math.floor(rnd() * 2 ** 32) | 0);
    case 4: return pick(['', 'fuzz', 'a.b', '$x', 'coll', '\u0000?', 'Ωmega', 'x'.repeat(Math.floor(rnd() * 300))]);
    case 5: return rnd() < 0.5;
    case 6: return null;
    case 7: return new Date(Math.floor(rnd() * 4e12) - 1e12);
    case 8: return new ObjectId();
    case 9: return new Binary(Buffer.from([Math.floor(rnd() * 256), 1, 2]));
    case 10: return Decimal128.fromString(String(Math.floor(rnd() * 1e6) / 100));
    case 11: return pick([new MinKey(), new MaxKey(), new Timestamp({ t: 1, i: 2 }), new Double(-0), new Double(NaN), new Double(Infinity)]);
    case 12: return new BSONRegExp(pick(['a.*', '^x', '[', '(a|b)+$']), pick(['', 'i', 'm']));
    case 13: return Math.floor(rnd() * 3) - 1;
    case 14:
    case 15: {
      const n = Math.floor(rnd() * 4);
      return Array.from({ length: n }, () => randomValue(rnd, depth + 1));
    }
    default: return randomDoc(rnd, depth + 1);
  }
}

function randomDoc(rnd: () => number, depth: number): Document {
  const doc: Document = {};
  const n = Math.floor(rnd() * 5);
  for (let i = 0; i < n; i++) {
    const key = rnd() < 0.4 ? OPERATORS[Math.floor(rnd() * OPERATORS.length)]! : FIELDS[Math.floor(rnd() * FIELDS.length)]!;
    doc[key] = randomValue(rnd, depth);
  }
  return doc;
}

function randomCommand(rnd: () => number): Document {
  const name = COMMANDS[Math.floor(rnd() * COMMANDS.length)]!;
  const cmd: Document = { [name]: rnd() < 0.6 ? 'fuzzcoll' : randomValue(rnd, 2) };
  Object.assign(cmd, randomDoc(rnd, 1));
  // realistic argument shapes now and then, so the handlers get past their first checks
  if (rnd() < 0.5) {
    if (name === 'insert') cmd.documents = Array.from({ length: Math.floor(rnd() * 4) }, () => randomDoc(rnd, 1));
    if (name === 'update') cmd.updates = [{ q: randomDoc(rnd, 2), u: rnd() < 0.5 ? randomDoc(rnd, 2) : [randomDoc(rnd, 2)], upsert: rnd() < 0.5, multi: rnd() < 0.3 }];
    if (name === 'delete') cmd.deletes = [{ q: randomDoc(rnd, 2), limit: Math.floor(rnd() * 3) }];
    if (name === 'find') { cmd.filter = randomDoc(rnd, 2); cmd.sort = randomDoc(rnd, 3); cmd.projection = randomDoc(rnd, 3); }
    if (name === 'aggregate') { cmd.pipeline = Array.from({ length: Math.floor(rnd() * 4) }, () => randomDoc(rnd, 2)); cmd.cursor = {}; }
    if (name === 'createIndexes') cmd.indexes = [{ key: randomDoc(rnd, 3), name: `i${Math.floor(rnd() * 5)}` }];
    if (name === 'findAndModify') { cmd.query = randomDoc(rnd, 2); cmd.update = randomDoc(rnd, 2); cmd.upsert = rnd() < 0.5; }
  }
  // the healthy client's database is never a target
  cmd.$db = ['fuzzdb', 'admin', 'fuzz2', '', 'a.b', '$bad'][Math.floor(rnd() * 6)]!;
  return cmd;
}

// ------------------------------------------------------------------ the cases

type Case = { name: string; bytes: Buffer; complete: boolean };

function cases(seed: number, count: number): Case[] {
  const rnd = prng(seed);
  const out: Case[] = [];
  const ping = opMsg({ ping: 1, $db: 'admin' });
  for (let i = 0; i < count; i++) {
    const kind = Math.min(i % 12, 8); // a third of the cases are random commands
    switch (kind) {
      case 0: { // a valid message cut short
        const full = opMsg(randomCommand(rnd));
        out.push({ name: 'truncated', bytes: full.subarray(0, Math.floor(rnd() * (full.length - 1))), complete: false });
        break;
      }
      case 1: { // length field below the header size
        const b = Buffer.from(ping);
        b.writeInt32LE(Math.floor(rnd() * 16) - (rnd() < 0.3 ? 1_000_000 : 0), 0);
        out.push({ name: 'length<16', bytes: b, complete: true });
        break;
      }
      case 2: { // length field above the maximum message size
        const b = Buffer.from(ping);
        b.writeInt32LE(MAX_MESSAGE + 1 + Math.floor(rnd() * 1e9), 0);
        out.push({ name: 'length>max', bytes: b, complete: true });
        break;
      }
      case 3: { // random bytes
        const n = Math.floor(rnd() * 300);
        const b = Buffer.alloc(n);
        for (let j = 0; j < n; j++) b[j] = Math.floor(rnd() * 256);
        out.push({ name: 'random bytes', bytes: b, complete: false });
        break;
      }
      case 4: { // valid header, garbage body, for each opcode we know and some we don't
        const n = 1 + Math.floor(rnd() * 200);
        const body = Buffer.alloc(n);
        for (let j = 0; j < n; j++) body[j] = Math.floor(rnd() * 256);
        const op = [OP_MSG, OP_QUERY, 2012, 1, 2001, 0, 424242][Math.floor(rnd() * 7)]!;
        out.push({ name: `garbage body op ${op}`, bytes: Buffer.concat([header(16 + n, 3, op), body]), complete: true });
        break;
      }
      case 5: { // OP_MSG with a bad section kind, bad flags, or a bad document sequence
        const body = Buffer.from(serialize({ insert: 'fuzzcoll', $db: 'fuzzdb' }));
        const variant = Math.floor(rnd() * 4);
        let bytes: Buffer;
        if (variant === 0) {
          const sec = Buffer.concat([Buffer.from([2 + Math.floor(rnd() * 254)]), Buffer.from(serialize({ a: 1 }))]);
          bytes = opMsg(body, 0, [sec]);
        } else if (variant === 1) {
          bytes = opMsg(body, (1 << (2 + Math.floor(rnd() * 14))) >>> 0);
        } else if (variant === 2) {
          const seqDoc = Buffer.from(serialize({ x: 1 }));
          const size = Buffer.alloc(4);
          size.writeInt32LE(Math.floor(rnd() * 1e6) - 100, 0);
          bytes = opMsg(body, 0, [Buffer.concat([Buffer.from([1]), size, Buffer.from('documents\0'), seqDoc])]);
        } else {
          // two body sections
          bytes = opMsg(body, 0, [Buffer.concat([Buffer.from([0]), body])]);
        }
        out.push({ name: `bad OP_MSG sections (${variant})`, bytes, complete: true });
        break;
      }
      case 6: { // a body whose declared BSON length lies
        const doc = Buffer.from(serialize(randomCommand(rnd)));
        doc.writeInt32LE(doc.length + 1 + Math.floor(rnd() * 50), 0);
        out.push({ name: 'lying BSON length', bytes: opMsg(doc), complete: true });
        break;
      }
      case 7: // OP_QUERY handshake variants with random commands
        out.push({ name: 'OP_QUERY random', bytes: opQuery(rnd() < 0.8 ? 'admin.$cmd' : 'x.y', randomCommand(rnd)), complete: true });
        break;
      default: { // random command documents, sometimes several frames on one socket
        const frames = Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => opMsg(randomCommand(rnd)));
        out.push({ name: 'random command', bytes: Buffer.concat(frames), complete: true });
      }
    }
  }
  return out;
}

describe('embedded-mongo fuzz (raw TCP)', function () {
  this.timeout(120_000);
  let server: EmbeddedMongo;
  let healthy: MongoClient;
  const processErrors: unknown[] = [];
  const onError = (err: unknown) => processErrors.push(err);

  before(async () => {
    process.on('uncaughtException', onError);
    process.on('unhandledRejection', onError);
    server = await startEmbeddedMongo({ port: 0, dbPath: null });
    healthy = new MongoClient(server.uri('health'), { maxPoolSize: 2, serverSelectionTimeoutMS: 3000 });
    await healthy.connect();
    await healthy.db().collection<{ _id: string; n: number }>('state').insertOne({ _id: 'h', n: 42 });
  });
  after(async () => {
    process.off('uncaughtException', onError);
    process.off('unhandledRejection', onError);
    await healthy?.close();
    await server?.stop();
  });

  async function assertHealthy(label: string): Promise<void> {
    const ping = await healthy.db('admin').command({ ping: 1 });
    expect(ping.ok, label).to.equal(1);
    const doc = await healthy.db().collection<{ _id: string; n: number }>('state').findOne({ _id: 'h' });
    expect(doc, label).to.deep.equal({ _id: 'h', n: 42 });
  }

  it('answers or disconnects every malformed or random frame, and keeps serving a healthy client', async () => {
    const seed = Number(process.env.FUZZ_SEED ?? 20240611);
    const all = cases(seed, Number(process.env.FUZZ_CASES ?? 9000));
    const started = Date.now();
    const tally = new Map<string, { answered: number; closed: number }>();
    const concurrency = 32;
    let next = 0;
    let sinceCheck = 0;
    const worker = async () => {
      while (next < all.length) {
        const c = all[next++]!;
        let outcome: Outcome;
        try {
          outcome = await probe(server.port, c.bytes, c.complete);
        } catch (err) {
          throw new Error(`case "${c.name}" (seed ${seed}): ${(err as Error).message}`);
        }
        expect(outcome.replies.length > 0 || outcome.closed, c.name).to.equal(true);
        for (const r of outcome.replies) expect(r.ok, `${c.name}: reply without ok`).to.be.oneOf([0, 1]);
        const t = tally.get(c.name) ?? { answered: 0, closed: 0 };
        if (outcome.replies.length) t.answered++;
        else t.closed++;
        tally.set(c.name, t);
        if (++sinceCheck >= 250) {
          sinceCheck = 0;
          await assertHealthy(`after ${next} cases`);
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    await assertHealthy('at the end');
    expect(processErrors, 'uncaught errors in the server process').to.deep.equal([]);
    // oversized and undersized frames are never answered, only disconnected
    expect(tally.get('length>max')!.answered).to.equal(0);
    expect(tally.get('length<16')!.answered).to.equal(0);
    // random commands get replies (errors mostly), not disconnects
    expect(tally.get('random command')!.answered).to.be.greaterThan(tally.get('random command')!.closed);
    const elapsed = Date.now() - started;
    if (process.env.FUZZ_VERBOSE) console.log(`fuzz: ${all.length} cases in ${elapsed} ms`, Object.fromEntries(tally));
    expect(server.stats().collections).to.be.a('number');
  });

  it('a well-formed frame on a socket after garbage on another still works on a fresh socket', async () => {
    const bad = await probe(server.port, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), false);
    expect(bad.closed).to.equal(true);
    const good = await probe(server.port, opMsg({ ping: 1, $db: 'admin' }), true);
    expect(good.replies[0]).to.deep.include({ ok: 1 });
    const hello = await probe(server.port, opQuery('admin.$cmd', { isMaster: 1 }), true);
    expect(hello.replies[0]!.ismaster).to.equal(true);
    expect(hello.replies[0]!.maxWireVersion).to.equal(21);
  });

  it('moreToCome (unacknowledged) messages get no reply, and the next request on the socket is answered', async () => {
    const unack = opMsg({ insert: 'unack', documents: [{ _id: 1 }], writeConcern: { w: 0 }, $db: 'fuzzdb' }, 1 << 1);
    const ping = opMsg({ ping: 1, $db: 'admin' });
    const r = await probe(server.port, Buffer.concat([unack, ping]), true);
    expect(r.replies).to.have.length(1);
    expect(r.replies[0]!.ok).to.equal(1);
    const count = await healthy.db('fuzzdb').collection('unack').countDocuments({ _id: 1 } as Document);
    expect(count).to.equal(1);
  });
});
