// Session 31's changes as an attacker uses them (review of session 32): the embedded server's framing
// (framing.ts: sockets reading straight into each message's buffer; pieces before authentication),
// seen from a client without credentials. Real TCP against the embedded server with authentication on.
import { expect } from 'chai';
import net from 'node:net';
import { MongoClient } from 'mongodb';
import { MessageReader, PRE_AUTH_MAX_BYTES, PRE_AUTH_PIECE_BYTES, PRE_AUTH_SCRATCH_BYTES } from '../../embedded-mongo/src/framing.ts';
import { startEmbeddedMongo, type EmbeddedMongo } from '../../embedded-mongo/src/index.ts';
import { encodeMsg } from '../../embedded-mongo/src/wire.ts';

/** A frame of `length` bytes: its length, then `fill`. */
function frame(length: number, fill: number): Buffer {
  const b = Buffer.alloc(length, fill);
  b.writeInt32LE(length, 0);
  return b;
}

/** Resolves when the server has closed the socket (true), or false after `ms`. */
function closedWithin(socket: net.Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve(true);
    const timer = setTimeout(() => resolve(false), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

describe('security (s32): the embedded server to a client without credentials', () => {
  let server: EmbeddedMongo;
  const sockets: net.Socket[] = [];
  before(async () => {
    server = await startEmbeddedMongo({ port: 0, dbPath: null, auth: true });
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await server?.stop();
  });

  const connect = async (): Promise<net.Socket> => {
    const s = net.connect(server.port, '127.0.0.1');
    s.on('error', () => {});
    sockets.push(s);
    await new Promise((r) => s.once('connect', r));
    return s;
  };

  it('closes a connection without credentials that announces a message no handshake needs (48 MB, 1 MB, just over the bound)', async () => {
    for (const announced of [47_999_999, 48_000_000, 1_000_000, PRE_AUTH_MAX_BYTES + 1]) {
      // The announced length, then bytes that keep coming: the server must not keep reading them.
      const head = Buffer.alloc(4);
      head.writeInt32LE(announced, 0);
      const s = await connect();
      // The length and a few bytes alone first: a first read that fills the server's scratch took
      // another path (and the connection was closed by chance: a read into no bytes, ENOBUFS).
      s.write(Buffer.concat([head, Buffer.alloc(96, 1)]));
      await new Promise((r) => setTimeout(r, 30));
      for (let i = 0; i < 5 && !s.destroyed; i++) s.write(Buffer.alloc(60_000, 1));
      expect(await closedWithin(s, 3000), `announced ${announced}`).to.equal(true);
    }
    // Those who authenticate are served meanwhile, messages of any size.
    const client = new MongoClient(server.uri('s32', server.credentials!));
    await client.connect();
    try {
      const big = 'x'.repeat(5_000_000);
      await client.db('s32').collection('c').insertOne({ big });
      expect((await client.db('s32').collection('c').findOne({}))?.big).to.equal(big);
    } finally {
      await client.close();
    }
  });

  it('answers a handshake sent a byte at a time, and one of exactly the bound in one write', async () => {
    const hello = (pad: number) => encodeMsg(7, { hello: 1, $db: 'admin', ...(pad ? { pad: 'p'.repeat(pad) } : {}) });
    const answered = async (bytes: Buffer, step: number): Promise<boolean> => {
      const s = await connect();
      const got = new Promise<boolean>((resolve) => {
        s.once('data', () => resolve(true));
        s.once('close', () => resolve(false));
        setTimeout(() => resolve(false), 5000);
      });
      for (let off = 0; off < bytes.length; off += step) {
        s.write(bytes.subarray(off, off + step));
        if (step === 1 && off % 16 === 0) await new Promise((r) => setImmediate(r));
      }
      const ok = await got;
      s.destroy();
      return ok;
    };
    expect(await answered(hello(0), 1)).to.equal(true);
    // Padded to exactly the bound (the pad's string header is 15 bytes more).
    const base = hello(1).length - 1;
    const exact = hello(PRE_AUTH_MAX_BYTES - base);
    expect(exact.length).to.equal(PRE_AUTH_MAX_BYTES);
    expect(await answered(exact, exact.length)).to.equal(true);
    expect(await answered(hello(PRE_AUTH_MAX_BYTES - base + 1), 1 << 20)).to.equal(false);
  });
});

describe('security (s32): MessageReader before authentication', () => {
  it('sets aside a small scratch, refuses lengths past the bound, and widens once authenticated', () => {
    let authed = false;
    const reader = new MessageReader(
      () => (authed ? 48_000_000 : PRE_AUTH_MAX_BYTES),
      () => (authed ? 4 * 1024 * 1024 : PRE_AUTH_PIECE_BYTES),
      () => (authed ? 64 * 1024 : PRE_AUTH_SCRATCH_BYTES),
    );
    expect(reader.buffer().length).to.be.at.most(PRE_AUTH_SCRATCH_BYTES);
    const head = Buffer.alloc(4);
    head.writeInt32LE(PRE_AUTH_MAX_BYTES + 1, 0);
    head.copy(reader.buffer());
    expect(reader.read(4).invalidLength).to.equal(PRE_AUTH_MAX_BYTES + 1);

    const fresh = new MessageReader(
      () => (authed ? 48_000_000 : PRE_AUTH_MAX_BYTES),
      () => (authed ? 4 * 1024 * 1024 : PRE_AUTH_PIECE_BYTES),
      () => (authed ? 64 * 1024 : PRE_AUTH_SCRATCH_BYTES),
    );
    // A message up to the bound, in reads as large as each buffer offered: never a buffer of no bytes.
    const whole = frame(PRE_AUTH_MAX_BYTES, 3);
    const got: Buffer[] = [];
    for (let off = 0; off < whole.length; ) {
      const target = fresh.buffer();
      expect(target.length, `at ${off}`).to.be.greaterThan(0);
      const n = Math.min(target.length, whole.length - off);
      whole.copy(target, 0, off, off + n);
      off += n;
      got.push(...fresh.read(n).messages);
    }
    expect(got).to.have.length(1);
    expect(got[0]!.equals(whole)).to.equal(true);
    authed = true;
    expect(fresh.buffer().length).to.equal(64 * 1024);
  });

  it('never offers a buffer of no bytes when a read fills the first piece exactly (piece = scratch)', () => {
    const reader = new MessageReader(48_000_000, () => 64 * 1024);
    const whole = frame(100_000, 5);
    const got: Buffer[] = [];
    for (let off = 0; off < whole.length; ) {
      const target = reader.buffer();
      expect(target.length, `at ${off}`).to.be.greaterThan(0);
      const n = Math.min(target.length, whole.length - off);
      whole.copy(target, 0, off, off + n);
      off += n;
      got.push(...reader.read(n).messages);
    }
    expect(got).to.have.length(1);
    expect(got[0]!.equals(whole)).to.equal(true);
  });
});
