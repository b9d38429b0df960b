// Security review s34 of the pre-authentication bound (embedded-mongo/src/pre-auth-limits.ts):
// - the reserve past the total was shared: 16 addresses (here 3) at their cap filled the total and
//   every reserve, and the app's next connection from the server's own host was refused;
// - one connection could guess passwords without end, each failure a log line;
// - a client reconnecting to send a bad frame wrote a log line a connection;
// - the counts go back down whatever way a connection ends (no slot leaks).
// Raw sockets from other loopback addresses (127.0.0.x) stand for other hosts; 127.0.0.1 to 127.0.0.1
// is the server's own host (its remote address is the address it reached).
import { expect } from 'chai';
import net from 'node:net';
import { BSON, MongoClient } from 'mongodb';
import { startEmbeddedMongo, type EmbeddedMongo } from '../../embedded-mongo/src/index.ts';
import { DEFAULT_PRE_AUTH_LIMITS, PreAuthCounter, sameHost } from '../../embedded-mongo/src/pre-auth-limits.ts';
import { opMsg } from './support/op-msg.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


interface Raw {
  socket: net.Socket;
  closed: Promise<void>;
  isClosed(): boolean;
  /** Sends `cmd` and resolves its reply (undefined when none came within 2 s or the connection closed). */
  command(cmd: Record<string, unknown>): Promise<Record<string, unknown> | undefined>;
}

async function raw(port: number, localAddress: string): Promise<Raw> {
  const socket = net.connect({ host: '127.0.0.1', port, localAddress });
  socket.on('error', () => {});
  let isClosed = false;
  const closed = new Promise<void>((r) => socket.once('close', () => ((isClosed = true), r())));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let buf = Buffer.alloc(0);
  const replies: Array<Record<string, unknown>> = [];
  socket.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 4 && buf.length >= buf.readInt32LE(0)) {
      const len = buf.readInt32LE(0);
      replies.push(BSON.deserialize(buf.subarray(21, len)));
      buf = buf.subarray(len);
    }
  });
  let id = 1;
  return {
    socket,
    closed,
    isClosed: () => isClosed,
    async command(cmd) {
      const before = replies.length;
      if (!isClosed) socket.write(opMsg(cmd, id++));
      for (let t = 0; t < 2000 && replies.length === before && !isClosed; t += 10) await sleep(10);
      await sleep(20);
      return replies[before];
    },
  };
}

async function closesWithin(r: Raw, ms: number): Promise<boolean> {
  return Promise.race([r.closed.then(() => true), sleep(ms).then(() => false)]);
}

describe('embedded-mongo: the pre-authentication bound, security review s34', function () {
  this.timeout(60_000);
  let server: EmbeddedMongo;
  const warnings: Array<{ fields: Record<string, unknown>; msg: string }> = [];
  const logger = { info() {}, error() {}, warn: (fields: Record<string, unknown>, msg: string) => warnings.push({ fields, msg }) };
  const opened: Raw[] = [];
  const open = async (addr: string) => {
    const r = await raw(server.port, addr);
    opened.push(r);
    return r;
  };
  const admitted = async (r: Raw) => (await r.command({ hello: 1, $db: 'admin' }))?.ok === 1;

  beforeEach(async () => {
    warnings.length = 0;
    server = await startEmbeddedMongo({ port: 0, dbPath: null, auth: true, logger, preAuth: { perAddress: 6, total: 12, reservedPerAddress: 4, reservedTotal: 4, firstMessageMs: 20_000, messageMs: 20_000 } });
  });
  afterEach(async () => {
    for (const r of opened.splice(0)) r.socket.destroy();
    await server.stop();
  });

  it('tells the server\'s own host by its address: the same address (IPv4-mapped read as IPv4), never another', () => {
    expect(sameHost('127.0.0.1', '127.0.0.1')).to.equal(true);
    expect(sameHost('::ffff:127.0.0.1', '127.0.0.1')).to.equal(true);
    expect(sameHost('::ffff:10.0.0.5', '::FFFF:10.0.0.5')).to.equal(true);
    expect(sameHost('127.0.0.2', '127.0.0.1')).to.equal(false);
    expect(sameHost('2001:db8::1', '2001:db8::2'), 'the same /64 is not the same host').to.equal(false);
    expect(sameHost(undefined, '127.0.0.1')).to.equal(false);
  });

  it("the own host's allowance past the shared reserves is one address's reserve in all, however many own addresses (a server bound to every interface)", () => {
    const counter = new PreAuthCounter({ ...DEFAULT_PRE_AUTH_LIMITS, perAddress: 6, total: 12, reservedPerAddress: 4, reservedTotal: 4 });
    for (const key of ['10.0.0.1', '10.0.0.2']) for (let i = 0; i < 6; i++) expect(counter.admit(key)).to.equal(true);
    for (let i = 0; i < 4; i++) expect(counter.admit('10.0.0.3')).to.equal(true);
    expect(counter.admit('10.0.0.4'), 'full for others').to.equal(false);
    const own = Array.from({ length: 10 }, (_, i) => counter.admit(`127.0.0.${i + 1}`, true));
    expect(own.filter(Boolean), 'four own connections past the shared reserves, not four each').to.have.length(4);
    expect(counter.total).to.equal(20);
  });

  it("a flood from other addresses that fills the total and every reserve does not refuse the app's next connections from the server's own host", async () => {
    // 127.0.0.2 and .3 fill the total (6 + 6), 127.0.0.4 takes the shared reserve (4): the server is full for others.
    for (const addr of ['127.0.0.2', '127.0.0.3']) for (let i = 0; i < 6; i++) expect(await admitted(await open(addr)), `${addr} #${i + 1}`).to.equal(true);
    for (let i = 0; i < 4; i++) expect(await admitted(await open('127.0.0.4')), `reserve #${i + 1}`).to.equal(true);
    const other = await open('127.0.0.5');
    expect(await closesWithin(other, 1000), 'another address past the total and the shared reserve: refused').to.equal(true);

    // The app (a restart, a new worker) from the server's own host: its monitor, its RTT pinger and its pool connect.
    const client = new MongoClient(server.uri('admin', server.credentials!), { serverSelectionTimeoutMS: 4000, maxPoolSize: 1 });
    try {
      await client.db('s34').collection('t').insertOne({ a: 1 });
      expect(await client.db('s34').collection('t').countDocuments()).to.equal(1);
    } finally {
      await client.close();
    }
    // Its own reserve is still capped per address: past 4 at once, refused.
    const own: Raw[] = [];
    for (let i = 0; i < 5; i++) own.push(await open('127.0.0.1'));
    const answered = await Promise.all(own.map((r) => admitted(r)));
    expect(answered.filter(Boolean)).to.have.length(4);
  });

  it('closes a connection after 5 failed authentications (the answers reach it first), and logs the failures as one line per window', async () => {
    const guesser = await open('127.0.0.6');
    const codes: unknown[] = [];
    for (let i = 0; i < 5; i++) codes.push((await guesser.command({ saslStart: 1, mechanism: 'SCRAM-SHA-256', $db: 'admin' }))?.code);
    expect(codes).to.deep.equal([18, 18, 18, 18, 18]);
    expect(await closesWithin(guesser, 2000), 'closed after the fifth').to.equal(true);

    // Twenty more from other connections: still one line so far (the rest are counted into the next).
    for (let i = 0; i < 20; i++) {
      const r = await open('127.0.0.7');
      expect((await r.command({ saslStart: 1, mechanism: 'SCRAM-SHA-1', $db: 'admin' }))?.code).to.equal(18);
      r.socket.destroy();
    }
    const lines = warnings.filter((w) => w.msg === 'embedded-mongo: authentication failed');
    expect(lines, 'one line, not 25').to.have.length(1);
    expect(lines[0]!.fields).to.include({ failures: 1, reason: 'no payload' });
    // A connection that authenticates is not closed by failures before (the driver's speculative start may fail once).
    const good = await open('127.0.0.8');
    for (let i = 0; i < 4; i++) expect((await good.command({ saslStart: 1, mechanism: 'SCRAM-SHA-256', $db: 'admin' }))?.code).to.equal(18);
    expect(good.isClosed()).to.equal(false);
  });

  it('a client sending a bad frame on each new connection is counted into the rate-limited line, not logged once a connection', async () => {
    for (let i = 0; i < 20; i++) {
      const r = await open('127.0.0.9');
      const bad = Buffer.alloc(16);
      bad.writeInt32LE(64 * 1024 * 1024, 0); // announces 64 MB before authentication
      r.socket.write(bad);
      expect(await closesWithin(r, 2000), `bad frame ${i + 1} closes its connection`).to.equal(true);
    }
    expect(warnings.filter((w) => w.msg === 'embedded-mongo: closing connection'), 'no line per connection').to.have.length(0);
    const summary = warnings.filter((w) => /refused past the cap/.test(w.msg));
    expect(summary, 'one line in the window').to.have.length(1);
    expect(summary[0]!.fields).to.include({ dropped: 1 });
  });

  it('gives every slot back whatever way a connection ends: bad frames, bad BSON, failed logins, resets mid-message, plain closes', async () => {
    const ends: Array<(r: Raw) => Promise<void>> = [
      async (r) => void r.socket.write(Buffer.from([8, 0, 0, 0, 0, 0, 0, 0])), // a length under 16
      async (r) => {
        const m = opMsg({ hello: 1, $db: 'admin' });
        m.writeInt32LE(9999, 21); // the document's own length lies
        r.socket.write(m);
      },
      async (r) => {
        for (let i = 0; i < 5; i++) await r.command({ saslStart: 1, mechanism: 'SCRAM-SHA-256', $db: 'admin' });
      },
      async (r) => {
        r.socket.write(opMsg({ hello: 1, $db: 'admin' }).subarray(0, 12));
        await sleep(20);
        r.socket.resetAndDestroy();
      },
      async (r) => {
        await r.command({ hello: 1, $db: 'admin' });
        r.socket.end();
      },
    ];
    for (let round = 0; round < 3; round++) {
      for (const end of ends) {
        const r = await open('127.0.0.10');
        await end(r);
        await Promise.race([r.closed, sleep(2500)]);
        r.socket.destroy();
        await r.closed;
      }
    }
    // A connection the server closed lingers up to 1 s (server.ts drop: its last replies still reach the client).
    await sleep(1500);
    // 15 connections ended: the address's 6 slots are all free again.
    const next: Raw[] = [];
    for (let i = 0; i < 6; i++) next.push(await open('127.0.0.10'));
    expect(await Promise.all(next.map((r) => admitted(r))), 'the 6 slots are free').to.deep.equal([true, true, true, true, true, true]);
  });
});
