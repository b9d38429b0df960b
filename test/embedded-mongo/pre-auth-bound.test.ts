// The embedded server's bound on connections without credentials (embedded-mongo/src/pre-auth-limits.ts,
// security review s33): past a cap per address and in total, NEW ones are refused and none already
// open is evicted; a connection that sends nothing, or stays inside one message, past the handshake
// deadline is closed; one idle between complete messages (the driver's monitor between heartbeats)
// is never closed; an authenticated connection frees its slot. Raw sockets from other loopback
// addresses (127.0.0.x) stand for other hosts; the driver under a flood keeps its monitor and pool.
import { expect } from 'chai';
import net from 'node:net';
import { MongoClient } from 'mongodb';
import { startEmbeddedMongo, type EmbeddedMongo } from '../../embedded-mongo/src/index.ts';
import { addressKey } from '../../embedded-mongo/src/pre-auth-limits.ts';
import { opMsg } from './support/op-msg.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An OP_MSG hello, as a driver's monitor sends it. */
const hello = (requestId = 1): Buffer => opMsg({ hello: 1, $db: 'admin' }, requestId);

interface Raw {
  socket: net.Socket;
  closed: Promise<void>;
  isClosed(): boolean;
  /** Sends a hello and resolves whether an answer came within `ms`. */
  hello(ms?: number): Promise<boolean>;
}

async function raw(port: number, localAddress = '127.0.0.1'): Promise<Raw> {
  const socket = net.connect({ host: '127.0.0.1', port, localAddress });
  socket.on('error', () => {});
  let isClosed = false;
  const closed = new Promise<void>((r) => socket.once('close', () => ((isClosed = true), r())));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let got = 0;
  socket.on('data', (d: Buffer) => (got += d.length));
  return {
    socket,
    closed,
    isClosed: () => isClosed,
    async hello(ms = 2000) {
      const before = got;
      if (!isClosed) socket.write(hello());
      for (let t = 0; t < ms && !isClosed; t += 10) {
        if (got > before) return true;
        await sleep(10);
      }
      return got > before;
    },
  };
}

/** Whether `r` closes within `ms`. */
async function closesWithin(r: Raw, ms: number): Promise<boolean> {
  return Promise.race([r.closed.then(() => true), sleep(ms).then(() => false)]);
}

describe('embedded-mongo: connections without credentials are bounded (s33)', function () {
  this.timeout(60_000);
  let server: EmbeddedMongo;
  const warnings: Array<{ fields: Record<string, unknown>; msg: string }> = [];
  const logger = { info() {}, error() {}, warn: (fields: Record<string, unknown>, msg: string) => warnings.push({ fields, msg }) };
  const opened: Raw[] = [];
  const open = async (addr?: string) => {
    const r = await raw(server.port, addr);
    opened.push(r);
    return r;
  };
  before(async () => {
    server = await startEmbeddedMongo({ port: 0, dbPath: null, auth: true, logger, preAuth: { perAddress: 6, total: 10, reservedPerAddress: 2, reservedTotal: 3, firstMessageMs: 800, messageMs: 800 } });
  });
  afterEach(() => {
    for (const r of opened.splice(0)) r.socket.destroy();
  });
  after(async () => {
    await server.stop();
  });

  it('counts an address by itself, an IPv4-mapped IPv6 as its IPv4, an IPv6 by its /64', () => {
    expect(addressKey('127.0.0.2')).to.equal('127.0.0.2');
    expect(addressKey('::ffff:127.0.0.2')).to.equal('127.0.0.2');
    expect(addressKey('2001:db8:1:2:aaaa::1')).to.equal(addressKey('2001:0db8:0001:0002:ffff:1:2:3'));
    expect(addressKey('2001:db8:1:2::1')).to.not.equal(addressKey('2001:db8:1:3::1'));
    expect(addressKey('::1')).to.equal('0:0:0:0::/64');
    expect(addressKey(undefined)).to.equal('?');
  });

  it('refuses a NEW connection past the cap of its address, keeps the open ones (also idle past the deadline), and another address still connects', async () => {
    const held: Raw[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await open('127.0.0.2');
      expect(await r.hello(), `connection ${i + 1} answered`).to.equal(true);
      held.push(r);
    }
    const seventh = await open('127.0.0.2');
    expect(await closesWithin(seventh, 2000), 'the 7th from the same address closed').to.equal(true);
    // Logged as a count (at most one line per 10 s in a flood), with the limits.
    const refusal = warnings.find((w) => /refused past the cap/.test(w.msg));
    expect(refusal?.fields).to.include({ refused: 1, perAddress: 6, total: 10 });
    const other = await open('127.0.0.3');
    expect(await other.hello(), 'another address answered').to.equal(true);
    // Idle between messages longer than both deadlines: kept (a monitor between heartbeats).
    await sleep(1500);
    for (const r of held) expect(await r.hello(), 'an open one kept').to.equal(true);
    expect(await other.hello()).to.equal(true);
  });

  it("past the total, admits only an address's reserve (itself capped): a flood from others cannot refuse the app's next connections", async () => {
    for (const addr of ['127.0.0.4', '127.0.0.5']) {
      for (let i = 0; i < 5; i++) expect(await (await open(addr)).hello()).to.equal(true);
    }
    // Total reached: the flooding addresses get no more.
    expect(await closesWithin(await open('127.0.0.4'), 2000), 'a flooding address past the total').to.equal(true);
    // Another address: its reserve of two.
    expect(await (await open('127.0.0.6')).hello(), 'reserve 1').to.equal(true);
    expect(await (await open('127.0.0.6')).hello(), 'reserve 2').to.equal(true);
    expect(await closesWithin(await open('127.0.0.6'), 2000), 'past its reserve').to.equal(true);
    // The reserves are capped in all: a third slot for .7, none for .8.
    expect(await (await open('127.0.0.7')).hello(), 'the last reserved slot').to.equal(true);
    const eleventh = await open('127.0.0.8');
    expect(await closesWithin(eleventh, 2000), 'past the reserves').to.equal(true);
    for (const r of opened.splice(0)) r.socket.destroy();
    await sleep(200);
    // Their slots are back once they close.
    for (let i = 0; i < 6; i++) expect(await (await open('127.0.0.8')).hello()).to.equal(true);
  });

  it('closes a connection that sends nothing, or stays inside one message, past the deadline (not sooner); bytes do not extend it', async () => {
    const silent = await open('127.0.0.7');
    expect(await closesWithin(silent, 400), 'not before the deadline').to.equal(false);
    expect(await closesWithin(silent, 3000), 'silent one closed').to.equal(true);

    const stalled = await open('127.0.0.7');
    expect(await stalled.hello()).to.equal(true);
    stalled.socket.write(hello().subarray(0, 10));
    expect(await closesWithin(stalled, 3000), 'stalled inside a message').to.equal(true);

    // One byte of a message every 200 ms: the deadline runs from its first byte.
    const dripping = await open('127.0.0.7');
    expect(await dripping.hello()).to.equal(true);
    const frame = hello();
    const started = Date.now();
    for (let i = 0; i < frame.length - 1 && !dripping.isClosed(); i++) {
      dripping.socket.write(frame.subarray(i, i + 1));
      await sleep(200);
    }
    expect(dripping.isClosed(), 'dripping one closed').to.equal(true);
    expect(Date.now() - started).to.be.below(3000);

    // Before a first message, the deadline is from the open, bytes or not.
    const slow = await open('127.0.0.7');
    for (let i = 0; i < 20 && !slow.isClosed(); i++) {
      slow.socket.write(frame.subarray(i, i + 1));
      await sleep(100);
    }
    expect(slow.isClosed(), 'a first message not complete in time').to.equal(true);
  });

  it('frees the slot of a connection once it authenticates: a pool of 12 from one address (cap 6), then raw ones still admitted', async () => {
    const client = new MongoClient(server.uri('admin', server.credentials!), { minPoolSize: 12, maxPoolSize: 12 });
    let ready = 0;
    client.on('connectionReady', () => ready++);
    try {
      await client.db('bound').collection('t').insertOne({ a: 1 });
      for (let i = 0; i < 300 && ready < 12; i++) await sleep(20);
      expect(ready, 'pool connections authenticated').to.equal(12);
      for (let i = 0; i < 5; i++) expect(await (await open('127.0.0.1')).hello(), `raw ${i + 1} beside the pool`).to.equal(true);
    } finally {
      await client.close();
    }
  });

  it('a driver keeps its monitor and pool while other addresses flood: no failed heartbeat, no pool cleared, every operation served', async () => {
    const client = new MongoClient(server.uri('admin', server.credentials!), { heartbeatFrequencyMS: 500, maxPoolSize: 8 });
    const events: string[] = [];
    client.on('serverHeartbeatFailed', (e) => events.push(`heartbeat failed: ${e.failure?.message}`));
    client.on('connectionPoolCleared', () => events.push('pool cleared'));
    client.on('serverDescriptionChanged', (e) => e.newDescription.type === 'Unknown' && events.push('server Unknown'));
    let heartbeats = 0;
    client.on('serverHeartbeatSucceeded', () => heartbeats++);
    try {
      const coll = client.db('bound').collection('flood');
      await coll.insertOne({ n: -1 });
      let flooding = true;
      let refused = 0;
      const flood = (async () => {
        // Rounds of 200 sockets over four addresses: most refused, some admitted and silent (closed
        // at the deadline), the rest sending hello and idling.
        for (let round = 0; flooding; round++) {
          const batch = await Promise.all(
            Array.from({ length: 200 }, (_, i) =>
              raw(server.port, `127.0.0.${10 + (i % 4)}`).then(
                (r) => {
                  if (i % 2) r.socket.write(hello());
                  return r;
                },
                () => undefined,
              ),
            ),
          );
          await sleep(300);
          for (const r of batch) if (r?.isClosed()) refused++;
          opened.push(...batch.filter((r): r is Raw => r !== undefined));
          if (round % 5 === 4) for (const r of opened.splice(0, 600)) r.socket.destroy();
        }
      })();
      const until = Date.now() + 6000;
      let ops = 0;
      while (Date.now() < until) {
        await coll.insertOne({ n: ops });
        expect(await coll.countDocuments({ n: ops })).to.equal(1);
        ops++;
        await sleep(20);
      }
      flooding = false;
      await flood;
      expect(refused, 'the flood was refused').to.be.above(100);
      expect(heartbeats, 'heartbeats during the flood').to.be.at.least(8);
      expect(ops).to.be.above(50);
      expect(events).to.deep.equal([]);
    } finally {
      await client.close();
    }
  });
});
