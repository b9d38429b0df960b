// The embedded server's framing (embedded-mongo/src/framing.ts): messages cut from reads of any size,
// split anywhere, into their own buffers (pieces joined past DIRECT_BYTES); a bad length stops the
// reading. Then over TCP: the server's sockets read straight into those buffers (readInto), and large
// binary inserts, split by the client into small writes, come back byte for byte.
import { expect } from 'chai';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { Binary, BSON, MongoClient, ObjectId } from 'mongodb';
import { DIRECT_BYTES, MessageReader, PRE_AUTH_PIECE_BYTES, readInto } from '../../embedded-mongo/src/framing.ts';
import { startEmbeddedMongo, type EmbeddedMongo } from '../../embedded-mongo/src/index.ts';
import { prng } from '../../scripts/support/prng.ts';

/** A frame of `length` bytes: its length, then bytes that say which frame it is. */
function frame(length: number, fill: number): Buffer {
  const b = Buffer.alloc(length, fill);
  b.writeInt32LE(length, 0);
  return b;
}

/** Feeds `bytes` to a reader in reads of the sizes `sizes` gives, as a socket with onread would. */
function readAll(reader: MessageReader, bytes: Buffer, size: () => number) {
  const messages: Buffer[] = [];
  for (let off = 0; off < bytes.length; ) {
    const target = reader.buffer();
    const n = Math.min(target.length, size(), bytes.length - off);
    bytes.copy(target, 0, off, off + n);
    off += n;
    const r = reader.read(n);
    messages.push(...r.messages);
    if (r.invalidLength !== undefined) return { messages, invalidLength: r.invalidLength };
  }
  return { messages, invalidLength: undefined };
}

describe('embedded-mongo framing: MessageReader', () => {
  it('cuts frames of every size out of reads split anywhere, each in a buffer of its own', () => {
    const rnd = prng(13);
    const lengths = [16, 17, 300, 4099, 65_535, 65_536, 70_000, 1_044_000, DIRECT_BYTES, DIRECT_BYTES + 1, 2 * DIRECT_BYTES + 7];
    for (const readSize of [1, 3, 4, 5, 1000, 65_536, 1 << 20]) {
      // reads of a few bytes over the frames up to 70 kB only (millions of reads otherwise)
      const these = readSize < 1000 ? lengths.filter((l) => l <= 70_000) : lengths;
      const frames = these.map((l, i) => frame(l, i + 1));
      const bytes = Buffer.concat(frames);
      const reader = new MessageReader(48_000_000);
      const r = readAll(reader, bytes, () => 1 + Math.floor(rnd() * readSize));
      expect(r.invalidLength).to.equal(undefined);
      expect(r.messages.map((m) => m.length), `reads up to ${readSize}`).to.deep.equal(these);
      // Frames are never views of a buffer read into again: more reads leave them as they were.
      readAll(reader, Buffer.concat(Array.from({ length: 40 }, () => frame(3000, 0xee))), () => 65_536);
      r.messages.forEach((m, i) => expect(m.equals(frames[i]!), `frame ${i}`).to.equal(true));
    }
  });

  it('stops at a length outside [16, max], after the frames before it', () => {
    for (const bad of [0, 15, -1, 48_000_001]) {
      const bytes = Buffer.concat([frame(20, 1), frame(30, 2), Buffer.from([bad & 0xff, (bad >> 8) & 0xff, (bad >> 16) & 0xff, (bad >>> 24) & 0xff]), frame(20, 3)]);
      const r = readAll(new MessageReader(48_000_000), bytes, () => 7);
      expect(r.messages.map((m) => m.length)).to.deep.equal([20, 30]);
      expect(r.invalidLength).to.equal(bad);
    }
  });

  it('sets aside no more than the piece size it is given for an announced length (a connection not yet authenticated), and still reads the whole message', () => {
    let pieceBytes = PRE_AUTH_PIECE_BYTES;
    const reader = new MessageReader(48_000_000, () => pieceBytes);
    // 40 MB announced, 100 bytes sent: the buffer waiting for the rest is one small piece.
    const head = frame(40_000_000, 7).subarray(0, 100);
    head.copy(reader.buffer());
    expect(reader.read(100).messages).to.deep.equal([]);
    expect(reader.buffer().length).to.be.at.most(PRE_AUTH_PIECE_BYTES);
    // Authenticated later (the next piece asked is bigger), the same message completes byte for byte.
    const whole = frame(3_000_000, 9);
    const fresh = new MessageReader(48_000_000, () => pieceBytes);
    const sizes: number[] = [];
    const got: Buffer[] = [];
    for (let off = 0; off < whole.length; ) {
      const target = fresh.buffer();
      sizes.push(target.length);
      const n = Math.min(target.length, whole.length - off);
      whole.copy(target, 0, off, off + n);
      off += n;
      got.push(...fresh.read(n).messages);
      if (off > 1_000_000) pieceBytes = DIRECT_BYTES;
    }
    expect(got.length).to.equal(1);
    expect(got[0]!.equals(whole)).to.equal(true);
    expect(Math.max(...sizes.slice(0, 10))).to.be.at.most(PRE_AUTH_PIECE_BYTES);
  });

  it('push() (a socket without onread) cuts the same frames from data of its own', () => {
    const frames = [frame(40, 1), frame(200_000, 2), frame(16, 3)];
    const bytes = Buffer.concat(frames);
    const reader = new MessageReader(48_000_000);
    const out: Buffer[] = [];
    for (let off = 0; off < bytes.length; off += 50_001) out.push(...reader.push(bytes.subarray(off, off + 50_001)).messages);
    expect(out.map((m) => m.length)).to.deep.equal([40, 200_000, 16]);
    out.forEach((m, i) => expect(m.equals(frames[i]!)).to.equal(true));
  });
});

describe('embedded-mongo framing: over TCP', () => {
  let server: EmbeddedMongo;
  before(async () => {
    server = await startEmbeddedMongo({ port: 0, dbPath: null });
  });
  after(async () => {
    await server.stop();
  });

  it('reads into its own buffers on this Node.js (readInto is not the fallback)', async () => {
    const s = new net.Server({ pauseOnConnect: true });
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as net.AddressInfo).port;
    const got: Buffer[] = [];
    const accepted = new Promise<boolean>((resolve) =>
      s.once('connection', (socket: net.Socket) => {
        const reader = new MessageReader(1000);
        const ok = readInto(socket, reader, (n) => {
          got.push(...reader.read(n).messages);
          return true;
        });
        socket.resume();
        resolve(ok);
      }),
    );
    const c = net.connect(port, '127.0.0.1');
    expect(await accepted).to.equal(true);
    c.write(frame(20, 5).subarray(0, 3));
    await new Promise((r) => setTimeout(r, 20));
    c.write(Buffer.concat([frame(20, 5).subarray(3), frame(600, 6)]));
    for (let i = 0; i < 100 && got.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    c.destroy();
    s.close();
    expect(got.map((m) => m.length)).to.deep.equal([20, 600]);
    expect(got[1]!.equals(frame(600, 6))).to.equal(true);
  });

  it('stores 255 kB chunks sent four to a message, and larger batches, byte for byte', async () => {
    const client = new MongoClient(server.uri('framing'));
    await client.connect();
    try {
      const chunks = client.db().collection('fs.chunks');
      const files_id = new ObjectId();
      const datas = Array.from({ length: 24 }, () => randomBytes(255 * 1024));
      // four at a time (the app's GridFS staging), then one batch of 20 MB (pieces past DIRECT_BYTES)
      for (let i = 0; i < 8; i += 4) await chunks.insertMany(datas.slice(i, i + 4).map((data, k) => ({ files_id, n: i + k, data })));
      await chunks.insertMany(datas.slice(8).map((data, k) => ({ files_id, n: 8 + k, data })));
      const big = randomBytes(12 * 1024 * 1024);
      await chunks.insertOne({ files_id, n: 99, data: big });
      const back = await chunks.find({ files_id }).sort({ n: 1 }).toArray();
      expect(back.map((d) => d.n)).to.deep.equal([...datas.keys(), 99]);
      back.slice(0, 24).forEach((d, i) => expect(Buffer.from((d.data as Binary).buffer).equals(datas[i]!), `chunk ${i}`).to.equal(true));
      expect(Buffer.from((back[24]!.data as Binary).buffer).equals(big)).to.equal(true);
      // the connection still answers small commands after the large ones
      expect((await client.db().command({ ping: 1 })).ok).to.equal(1);
      expect(BSON.calculateObjectSize(back[0]!)).to.be.greaterThan(255 * 1024);
    } finally {
      await client.close();
    }
  });
});
