// Security review s35 of the embedded server's bound on failed authentications (server.ts settle):
// the connection was closed after 5 failures only while it had no credentials. A client holding one
// account's password (the app's, a read-only user's) authenticated first, then guessed another
// account's password (the administrator's) on the same connection without end: a failed saslStart
// does not log the connection out, so the bound never applied.
// Also: a limit given as `undefined` or NaN (spread over the defaults) compared false against every
// count and silently took that bound away (no cap per address, no close after failed logins).
// And: the app's own host was held, past the total, to one address's reserve of ITS OWN count, while
// each app process holds two connections that never authenticate (the driver's monitor and RTT
// pinger): with 8 processes or more (WEB_WORKERS 7+) a flood refused every new pool connection.
import { expect } from 'chai';
import { BSON, MongoClient } from 'mongodb';
import { startEmbeddedMongo, type EmbeddedMongo } from '../../embedded-mongo/src/index.ts';
import { DEFAULT_PRE_AUTH_LIMITS, PreAuthCounter, preAuthLimits } from '../../embedded-mongo/src/pre-auth-limits.ts';
import net from 'node:net';
import { opMsg } from './support/op-msg.ts';

describe('embedded-mongo: failed authentications on an authenticated connection, security review s35', function () {
  this.timeout(30_000);
  let server: EmbeddedMongo;
  const logger = { info() {}, error() {}, warn() {} };

  beforeEach(async () => {
    server = await startEmbeddedMongo({ port: 0, dbPath: null, auth: true, logger });
  });
  afterEach(async () => {
    await server.stop();
  });

  it('closes an authenticated connection too after 5 failed authentications (no endless guessing behind a valid login)', async () => {
    const client = new MongoClient(server.uri('admin', server.credentials!), { maxPoolSize: 1, minPoolSize: 0, serverSelectionTimeoutMS: 4000, retryReads: false, retryWrites: false });
    const closed: string[] = [];
    client.on('connectionClosed', (e) => closed.push(e.reason));
    try {
      await client.db('admin').command({ ping: 1 });
      const answers: unknown[] = [];
      for (let i = 0; i < 8; i++) {
        try {
          const r = await client.db('admin').command({ saslStart: 1, mechanism: 'SCRAM-SHA-256' });
          answers.push(r.ok);
        } catch (err) {
          answers.push((err as { code?: number; name?: string }).code ?? (err as Error).name);
        }
        if (closed.length) break;
      }
      // Each guess is refused (18, AuthenticationFailed) and the fifth closes the connection: the
      // driver sees the pool's connection go (a new one must authenticate again, from the start).
      expect(answers.slice(0, 5), JSON.stringify(answers)).to.deep.equal([18, 18, 18, 18, 18]);
      for (let i = 0; i < 20 && !closed.length; i++) await new Promise((r) => setTimeout(r, 50));
      expect(closed, 'the connection was closed after the fifth failure').to.have.length.greaterThan(0);
      // The client itself goes on working on a new, authenticated connection.
      expect((await client.db('admin').command({ ping: 1 })).ok).to.equal(1);
    } finally {
      await client.close();
    }
  });
});

describe('embedded-mongo: a limit given without a usable number keeps its default, security review s35', function () {
  this.timeout(30_000);

  it('reads undefined, NaN, negative, fractional and zero limits as the defaults (a reserve may be 0)', () => {
    const given = { perAddress: undefined, total: Number.NaN, firstMessageMs: -1, messageMs: 0.5, authFailures: 0, reservedPerAddress: 0, reservedTotal: 0 };
    expect(preAuthLimits(given as never)).to.deep.equal({ ...DEFAULT_PRE_AUTH_LIMITS, reservedPerAddress: 0, reservedTotal: 0 });
    expect(preAuthLimits({ perAddress: 3 }).perAddress).to.equal(3);
    // A counter built from them still caps an address.
    const counter = new PreAuthCounter(preAuthLimits({ perAddress: undefined }));
    let admitted = 0;
    for (let i = 0; i < DEFAULT_PRE_AUTH_LIMITS.perAddress + 5; i++) if (counter.admit('10.0.0.1')) admitted++;
    expect(admitted).to.equal(DEFAULT_PRE_AUTH_LIMITS.perAddress);
  });

  it('a server started with authFailures: undefined still closes a guessing connection after 5 failures', async () => {
    const server = await startEmbeddedMongo({ port: 0, dbPath: null, auth: true, logger: { info() {}, error() {}, warn() {} }, preAuth: { authFailures: undefined } });
    const socket = net.connect({ host: '127.0.0.1', port: server.port });
    socket.on('error', () => {});
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('error', reject);
      });
      let closed = false;
      socket.once('close', () => (closed = true));
      let replies = 0;
      socket.on('data', (d: Buffer) => {
        for (let at = 0; at + 4 <= d.length; ) {
          const len = d.readInt32LE(at);
          if (BSON.deserialize(d.subarray(at + 21, at + len)).code === 18) replies++;
          at += len;
        }
      });
      for (let i = 0; i < 8 && !closed; i++) {
        socket.write(opMsg({ saslStart: 1, mechanism: 'SCRAM-SHA-256', $db: 'admin' }, i + 1));
        await new Promise((r) => setTimeout(r, 100));
      }
      for (let i = 0; i < 30 && !closed; i++) await new Promise((r) => setTimeout(r, 50));
      expect(replies, 'five refusals answered').to.equal(5);
      expect(closed, 'then closed').to.equal(true);
    } finally {
      socket.destroy();
      await server.stop();
    }
  });
});

describe("embedded-mongo: the own host's reserve during a flood, whatever its monitors hold, security review s35", function () {
  this.timeout(30_000);

  it("admits the app's new connections past the total although its idle monitors already hold more than one address's reserve; still bounded", () => {
    const counter = new PreAuthCounter(preAuthLimits({ perAddress: 40, total: 12, reservedPerAddress: 4, reservedTotal: 4 }));
    // 3 app processes at rest: a monitor and an RTT pinger each (6, over the reserve of 4), admitted before the flood.
    for (let i = 0; i < 6; i++) expect(counter.admit('127.0.0.1', true)).to.equal(true);
    // Others fill the total, then the shared reserve.
    for (let i = 0; i < 6; i++) expect(counter.admit('10.0.0.1')).to.equal(true);
    for (let i = 0; i < 4; i++) expect(counter.admit(`10.0.0.${i + 2}`)).to.equal(true);
    expect(counter.admit('10.0.0.9'), 'full for others').to.equal(false);
    // The app's next pool connections (a restart, a new worker, the pool growing): its own 4, no more.
    const next = Array.from({ length: 6 }, () => counter.admit('127.0.0.1', true));
    expect(next.filter(Boolean)).to.have.length(4);
    expect(counter.admit('10.0.0.10')).to.equal(false);
    expect(counter.total).to.equal(20);
  });
});
