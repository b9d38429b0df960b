// Fuzzing the embedded server's wire protocol over raw TCP: truncated, undersized, oversized and
// random frames, garbage bodies, bad OP_MSG sections, and random command documents from a seeded
// PRNG. After every case the server must have answered with a well-formed reply or closed THAT
// socket, and a separate healthy client must still be served correctly. Embedded-only by nature.
// A case may send several frames on its new connection: the probe waits for a reply to every frame
// the server must answer, so the frames after an answered bad one (invalid BSON, an unknown or
// failing command) are parsed and answered too, in order. A second run fuzzes a server that
// requires authentication: random SASL conversations never sign a connection in.
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
function probe(port: number, bytes: Buffer, complete: boolean, expect = 1): Promise<Outcome> {
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
      // every frame that must be answered has been: the server kept up with all of them
      if (complete && parseReplies(Buffer.concat(chunks)).length >= expect) finish(false);
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

/**
 * frames: how many frames `bytes` holds. replies: exactly how many replies the server owes (unset:
 * one reply or a close); closes: and then it closes the connection; lastOk: the last reply is
 * { ok: 1 }; lastCodes: the last reply is an error with one of these codes.
 */
type Case = { name: string; bytes: Buffer; complete: boolean; frames: number; replies?: number; closes?: boolean; lastOk?: boolean; lastCodes?: number[] };

/** A well-framed OP_MSG whose body is a valid BSON envelope with a broken element inside (answered with 22 InvalidBSON). */
function invalidBsonMsg(rnd: () => number): Buffer {
  const doc = Buffer.from(serialize({ ping: 1, $db: 'admin', s: 'abcdef' }));
  // the string element "s": type 0x02, "s\0", int32 length, bytes, NUL
  const at = doc.indexOf(Buffer.from([0x02, 0x73, 0x00])) + 3;
  const variant = Math.floor(rnd() * 3);
  if (variant === 0) doc.writeInt32LE(1_000_000 + Math.floor(rnd() * 1e6), at); // string runs past the document
  else if (variant === 1) doc.writeInt32LE(0, at); // a string length of 0 (must be at least 1)
  else doc[at - 3] = 0x20 + Math.floor(rnd() * 0x50); // an unknown element type
  return opMsg(doc);
}

function cases(seed: number, count: number): Case[] {
  const rnd = prng(seed);
  const out: Case[] = [];
  const ping = opMsg({ ping: 1, $db: 'admin' });
  for (let i = 0; i < count; i++) {
    const kind = Math.min(i % 14, 10); // two in seven cases are random commands
    switch (kind) {
      case 0: { // a valid message cut short
        const full = opMsg(randomCommand(rnd));
        out.push({ name: 'truncated', bytes: full.subarray(0, Math.floor(rnd() * (full.length - 1))), complete: false, frames: 1 });
        break;
      }
      case 1: { // length field below the header size
        const b = Buffer.from(ping);
        b.writeInt32LE(Math.floor(rnd() * 16) - (rnd() < 0.3 ? 1_000_000 : 0), 0);
        out.push({ name: 'length<16', bytes: b, complete: true, frames: 1 });
        break;
      }
      case 2: { // length field above the maximum message size
        const b = Buffer.from(ping);
        b.writeInt32LE(MAX_MESSAGE + 1 + Math.floor(rnd() * 1e9), 0);
        out.push({ name: 'length>max', bytes: b, complete: true, frames: 1 });
        break;
      }
      case 3: { // random bytes
        const n = Math.floor(rnd() * 300);
        const b = Buffer.alloc(n);
        for (let j = 0; j < n; j++) b[j] = Math.floor(rnd() * 256);
        out.push({ name: 'random bytes', bytes: b, complete: false, frames: 1 });
        break;
      }
      case 4: { // valid header, garbage body, for each opcode we know and some we don't
        const n = 1 + Math.floor(rnd() * 200);
        const body = Buffer.alloc(n);
        for (let j = 0; j < n; j++) body[j] = Math.floor(rnd() * 256);
        const op = [OP_MSG, OP_QUERY, 2012, 1, 2001, 0, 424242][Math.floor(rnd() * 7)]!;
        out.push({ name: `garbage body op ${op}`, bytes: Buffer.concat([header(16 + n, 3, op), body]), complete: true, frames: 1 });
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
        out.push({ name: `bad OP_MSG sections (${variant})`, bytes, complete: true, frames: 1 });
        break;
      }
      case 6: { // a body whose declared BSON length lies
        const doc = Buffer.from(serialize(randomCommand(rnd)));
        doc.writeInt32LE(doc.length + 1 + Math.floor(rnd() * 50), 0);
        out.push({ name: 'lying BSON length', bytes: opMsg(doc), complete: true, frames: 1 });
        break;
      }
      case 7: // OP_QUERY handshake variants with random commands
        out.push({ name: 'OP_QUERY random', bytes: opQuery(rnd() < 0.8 ? 'admin.$cmd' : 'x.y', randomCommand(rnd)), complete: true, frames: 1 });
        break;
      case 8: { // an answered bad frame (invalid BSON, unknown or failing command), then more frames on the same connection
        const first = rnd() < 0.5 ? invalidBsonMsg(rnd) : opMsg(rnd() < 0.5 ? { [`nonsense${Math.floor(rnd() * 9)}`]: 1, $db: 'fuzzdb' } : randomCommand(rnd));
        const middle = Array.from({ length: Math.floor(rnd() * 3) }, () => (rnd() < 0.3 ? invalidBsonMsg(rnd) : opMsg(randomCommand(rnd))));
        const frames = [first, ...middle, opMsg({ ping: 1, $db: 'admin' })];
        out.push({ name: 'bad frame, then more', bytes: Buffer.concat(frames), complete: true, frames: frames.length, replies: frames.length, lastOk: true });
        break;
      }
      case 9: { // answered frames, then one that must close the connection: those before it are answered, nothing after it
        const before = Array.from({ length: 1 + Math.floor(rnd() * 2) }, () => opMsg(randomCommand(rnd)));
        let closing: Buffer;
        if (rnd() < 0.5) {
          const lying = Buffer.from(serialize({ ping: 1, $db: 'admin' }));
          lying.writeInt32LE(lying.length + 5, 0);
          closing = opMsg(lying);
        } else {
          closing = Buffer.from(opMsg({ ping: 1, $db: 'admin' }));
          closing.writeInt32LE(rnd() < 0.5 ? 7 : MAX_MESSAGE + 1, 0);
        }
        const frames = [...before, closing, opMsg({ ping: 1, $db: 'admin' })];
        out.push({ name: 'answered, then a closing frame', bytes: Buffer.concat(frames), complete: true, frames: frames.length, replies: before.length, closes: true });
        break;
      }
      default: { // random command documents, sometimes several frames on one socket
        const frames = Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => opMsg(randomCommand(rnd)));
        out.push({ name: 'random command', bytes: Buffer.concat(frames), complete: true, frames: frames.length, replies: frames.length });
      }
    }
  }
  return out;
}

function checkOutcome(c: Case, outcome: Outcome): void {
  expect(outcome.replies.length > 0 || outcome.closed, c.name).to.equal(true);
  for (const r of outcome.replies) expect(r.ok, `${c.name}: reply without ok`).to.be.oneOf([0, 1]);
  if (c.replies === undefined) return;
  expect(outcome.replies.length, `${c.name}: replies`).to.equal(c.replies);
  if (c.closes) expect(outcome.closed, `${c.name}: closed`).to.equal(true);
  const last = outcome.replies[outcome.replies.length - 1];
  if (c.lastOk) expect(last, `${c.name}: last reply`).to.deep.include({ ok: 1 });
  if (c.lastCodes !== undefined) expect(last?.code, `${c.name}: last reply's code`).to.be.oneOf(c.lastCodes);
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
    let framesSent = 0;
    let repliesParsed = 0;
    const worker = async () => {
      while (next < all.length) {
        const c = all[next++]!;
        let outcome: Outcome;
        try {
          outcome = await probe(server.port, c.bytes, c.complete, c.closes ? Infinity : (c.replies ?? 1));
        } catch (err) {
          throw new Error(`case "${c.name}" (seed ${seed}): ${(err as Error).message}`);
        }
        checkOutcome(c, outcome);
        framesSent += c.frames;
        repliesParsed += outcome.replies.length;
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
    // random commands get replies (errors mostly), not disconnects; so do the frames after an answered bad one
    expect(tally.get('random command')!.closed).to.equal(0);
    expect(tally.get('bad frame, then more')!.closed).to.equal(0);
    expect(tally.get('answered, then a closing frame')!.answered).to.be.greaterThan(0);
    // several frames per connection: far more frames sent and replies parsed than connections
    expect(framesSent).to.be.greaterThan(all.length * 1.3);
    const answeredCases = [...tally.values()].reduce((n, t) => n + t.answered, 0);
    expect(repliesParsed).to.be.greaterThan(answeredCases * 1.3);
    const elapsed = Date.now() - started;
    if (process.env.FUZZ_VERBOSE) console.log(`fuzz: ${all.length} cases, ${framesSent} frames, ${repliesParsed} replies in ${elapsed} ms`, Object.fromEntries(tally));
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

// ------------------------------------------------------------------ with authentication required

/** What an unauthenticated connection may run (mongod's requiresAuth() false); anything else gets 13. */
const PRE_AUTH = new Set(['hello', 'isMaster', 'ismaster', 'ping', 'buildInfo', 'buildinfo', 'saslStart', 'saslContinue', 'authenticate', 'logout', 'connectionStatus']);

function randomSasl(rnd: () => number, user: string): Document {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const junk = () => {
    const b = Buffer.alloc(Math.floor(rnd() * 80));
    for (let j = 0; j < b.length; j++) b[j] = Math.floor(rnd() * 256);
    return b;
  };
  const nonce = Buffer.from(junk()).toString('base64').replace(/,/g, '') || 'nonce1234';
  const clientFirst = pick([`n,,n=${user},r=${nonce}`, `n,,n=nobody,r=${nonce}`, `y,,n=${user},r=${nonce}`, `p=tls-unique,,n=${user},r=${nonce}`,
    `n,a=other,n=${user},r=${nonce}`, `n,,m=ext,n=${user},r=${nonce}`, `n,,n=${user}=ZZ,r=${nonce}`, `n,,r=${nonce}`, '', 'n,,']);
  const payload = () => pick<unknown>([new Binary(Buffer.from(clientFirst)), new Binary(junk()), Buffer.from(clientFirst).toString('base64'),
    new Binary(Buffer.from(`c=biws,r=${nonce},p=${junk().toString('base64')}`)), new Binary(Buffer.alloc(0)), 42, null, undefined]);
  const db = pick(['admin', 'admin', 'fuzzdb', '', '$bad']);
  switch (Math.floor(rnd() * 5)) {
    case 0:
      return { saslStart: pick([1, 0, 'x']), mechanism: pick(['SCRAM-SHA-256', 'SCRAM-SHA-1', 'PLAIN', 'MONGODB-X509', '', 7]), payload: payload(), ...(rnd() < 0.5 ? { options: { skipEmptyExchange: rnd() < 0.5 } } : {}), $db: db };
    case 1:
      return { saslContinue: 1, conversationId: pick<unknown>([1, 1, 0, 2, 'x', new Int32(1), Long.fromNumber(1), null]), payload: payload(), $db: db };
    case 2:
      return {
        [pick(['hello', 'isMaster'])]: 1,
        saslSupportedMechs: pick<unknown>([`admin.${user}`, 'admin.nobody', '', '.', 'a.', 42]),
        speculativeAuthenticate: pick<unknown>([{ saslStart: 1, mechanism: pick(['SCRAM-SHA-256', 'SCRAM-SHA-1', 'PLAIN']), payload: payload(), db: pick<unknown>(['admin', 'x', 5]) }, randomDoc(rnd, 2), 'x']),
        $db: 'admin',
      };
    case 3:
      return { [pick(['logout', 'authenticate', 'connectionStatus', 'usersInfo', 'createUser', 'dropUser', 'updateUser'])]: pick<unknown>([1, user, 'x']), pwd: 'p', roles: [], mechanism: 'SCRAM-SHA-256', $db: db };
    default:
      return randomCommand(rnd);
  }
}

function authCases(seed: number, count: number, user: string): Case[] {
  const rnd = prng(seed);
  const out: Case[] = [];
  for (let i = 0; i < count; i++) {
    if (i % 3 === 0) {
      // any command: refused with 13 unless mongod lets it run before authentication
      const cmd = randomCommand(rnd);
      const name = Object.keys(cmd)[0]!;
      out.push({ name: 'random command before authentication', bytes: opMsg(cmd), complete: true, frames: 1, replies: 1, ...(PRE_AUTH.has(name) ? {} : { lastCodes: [13, 22] }) }); // 22: BSON the server cannot read, refused before the gate
    } else {
      // a random SASL conversation, then a find on the same connection: still not signed in
      const frames = Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => opMsg(randomSasl(rnd, user)));
      frames.push(opMsg({ find: 'state', $db: 'health' }));
      out.push({ name: 'random SASL, then find', bytes: Buffer.concat(frames), complete: true, frames: frames.length, replies: frames.length, lastCodes: [13] });
    }
  }
  return out;
}

describe('embedded-mongo fuzz with authentication required (raw TCP)', function () {
  this.timeout(120_000);
  let server: EmbeddedMongo;
  let healthy: MongoClient;
  const processErrors: unknown[] = [];
  const onError = (err: unknown) => processErrors.push(err);

  before(async () => {
    process.on('uncaughtException', onError);
    process.on('unhandledRejection', onError);
    server = await startEmbeddedMongo({ port: 0, dbPath: null, auth: true });
    healthy = new MongoClient(server.uri('health', server.credentials!), { maxPoolSize: 2, serverSelectionTimeoutMS: 3000 });
    await healthy.connect();
    await healthy.db().collection<{ _id: string; n: number }>('state').insertOne({ _id: 'h', n: 42 });
  });
  after(async () => {
    process.off('uncaughtException', onError);
    process.off('unhandledRejection', onError);
    await healthy?.close();
    await server?.stop();
  });

  it('no random SASL conversation or command signs a connection in or gets past the gate; the signed-in client is served throughout', async () => {
    const seed = Number(process.env.FUZZ_SEED ?? 20240611) + 1;
    const all = authCases(seed, Number(process.env.FUZZ_AUTH_CASES ?? 3000), server.credentials!.username);
    let next = 0;
    let frames = 0;
    let refused = 0;
    const worker = async () => {
      while (next < all.length) {
        const c = all[next++]!;
        let outcome: Outcome;
        try {
          outcome = await probe(server.port, c.bytes, c.complete, c.replies);
        } catch (err) {
          throw new Error(`case "${c.name}" (seed ${seed}): ${(err as Error).message}`);
        }
        checkOutcome(c, outcome);
        frames += c.frames;
        refused += outcome.replies.filter((r) => r.code === 13).length;
        if (next % 250 === 0) {
          const doc = await healthy.db().collection<{ _id: string; n: number }>('state').findOne({ _id: 'h' });
          expect(doc).to.deep.equal({ _id: 'h', n: 42 });
        }
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    expect(processErrors, 'uncaught errors in the server process').to.deep.equal([]);
    expect(refused).to.be.greaterThan(all.length / 2);
    expect(await healthy.db().collection('state').countDocuments()).to.equal(1);
    if (process.env.FUZZ_VERBOSE) console.log(`auth fuzz: ${all.length} cases, ${frames} frames, ${refused} refused with 13`);
  });
});
