// Security review s36 of the embedded server's authentication bounds:
// - a connection that logged out was counted again without a cap and under no deadline: a client
//   with one login could log out as many connections as it liked and hold every slot kept for
//   connections without credentials, or sit forever without a word; now it is admitted again as a
//   new connection would be (refused past the cap) and is under the first-message deadline again;
// - failed authentications were bounded per connection only: a client opening new connections kept
//   guessing. Now per user name and per address across connections in a window: other hosts are
//   refused past either budget (even with the right password); the server's own host (the app) never.
// Other loopback addresses (127.0.0.x) stand for other hosts; 127.0.0.1 to 127.0.0.1 is the own host.
import { expect } from 'chai';
import net from 'node:net';
import { MongoClient, MongoServerError } from 'mongodb';
import { startEmbeddedMongo, type EmbeddedMongo } from '../../embedded-mongo/src/index.ts';
import { AuthFailureBound } from '../../embedded-mongo/src/auth/failure-bound.ts';
import type { PreAuthLimits } from '../../embedded-mongo/src/pre-auth-limits.ts';
import type { Credentials } from '../../embedded-mongo/src/auth/credentials-file.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const logger = { info() {}, error() {}, warn() {} };

function client(server: EmbeddedMongo, creds: Credentials, localAddress: string): MongoClient {
  return new MongoClient(server.uri('admin', creds), {
    localAddress,
    maxPoolSize: 1,
    minPoolSize: 0,
    serverSelectionTimeoutMS: 3000,
    connectTimeoutMS: 3000,
    retryReads: false,
    retryWrites: false,
  } as never);
}

/** 'ok' when `creds` authenticate from `localAddress`, else the error code (18: authentication failed). */
async function signIn(server: EmbeddedMongo, creds: Credentials, localAddress: string): Promise<'ok' | number | string> {
  const c = client(server, creds, localAddress);
  try {
    await c.db('admin').command({ ping: 1 });
    return 'ok';
  } catch (err) {
    return err instanceof MongoServerError ? Number(err.code) : (err as Error).name;
  } finally {
    await c.close();
  }
}

async function start(preAuth: Partial<PreAuthLimits>): Promise<EmbeddedMongo> {
  return startEmbeddedMongo({ port: 0, dbPath: null, auth: true, logger, preAuth });
}

/** Idle raw connections from `localAddress` until one is refused (closed at once): the address's slots are full. */
async function fillSlots(port: number, localAddress: string): Promise<net.Socket[]> {
  const held: net.Socket[] = [];
  for (let i = 0; i < 50; i++) {
    const s = net.connect({ host: '127.0.0.1', port, localAddress });
    s.on('error', () => {});
    held.push(s);
    const closed = await new Promise<boolean>((resolve) => {
      s.once('close', () => resolve(true));
      setTimeout(() => resolve(false), 150);
    });
    if (closed) return held;
  }
  throw new Error('never refused');
}

describe('embedded-mongo: a connection that logs out is without credentials again, security review s36', function () {
  this.timeout(30_000);
  let server: EmbeddedMongo;
  afterEach(async () => server?.stop());

  it('is under the first-message deadline again after logout (an authenticated idle one is not)', async () => {
    server = await start({ firstMessageMs: 600 });
    const c = client(server, server.credentials!, '127.0.0.2');
    const closed: string[] = [];
    c.on('connectionClosed', (e) => closed.push(String(e.connectionId)));
    try {
      await c.db('admin').command({ ping: 1 });
      await sleep(1200);
      expect(closed, 'an authenticated idle connection stays open').to.deep.equal([]);
      expect((await c.db('admin').command({ logout: 1 })).ok).to.equal(1);
      for (let i = 0; i < 40 && !closed.length; i++) await sleep(50);
      expect(closed, 'logged out and silent past firstMessageMs: closed').to.have.length(1);
    } finally {
      await c.close();
    }
  });

  it('a logged-out connection speaking again within the deadline stays open (the rules of a new connection, no harsher)', async () => {
    server = await start({ firstMessageMs: 600 });
    const c = client(server, server.credentials!, '127.0.0.2');
    const closed: string[] = [];
    c.on('connectionClosed', (e) => closed.push(String(e.connectionId)));
    try {
      await c.db('admin').command({ ping: 1 });
      await c.db('admin').command({ logout: 1 });
      const status = await c.db('admin').command({ connectionStatus: 1 });
      expect(status.authInfo.authenticatedUsers).to.deep.equal([]);
      await sleep(1200);
      expect(closed, 'spoke within the deadline: idle afterwards is allowed, as for a monitor').to.deep.equal([]);
    } finally {
      await c.close();
    }
  });

  it('is refused past the cap per address when it logs out (was counted again without a cap)', async () => {
    server = await start({ perAddress: 4 });
    const c = client(server, server.credentials!, '127.0.0.3');
    const closed: string[] = [];
    try {
      await c.db('admin').command({ ping: 1 });
      c.on('connectionClosed', (e) => closed.push(String(e.connectionId)));
      // The client's monitor(s) hold some of 127.0.0.3's four slots; raw sockets take the rest.
      const held = await fillSlots(server.port, '127.0.0.3');
      try {
        const reply = await c.db('admin').command({ logout: 1 });
        expect(reply.ok, 'the logout itself is answered').to.equal(1);
        for (let i = 0; i < 40 && !closed.length; i++) await sleep(50);
        expect(closed, 'then closed: no slot was left for it').to.have.length(1);
      } finally {
        for (const s of held) s.destroy();
      }
    } finally {
      await c.close();
    }
  });
});

describe('embedded-mongo: failed authentications bounded across connections, security review s36', function () {
  this.timeout(60_000);
  let server: EmbeddedMongo;
  afterEach(async () => server?.stop());

  it('refuses a user name guessed past its budget from other hosts, even with the right password, until the window ends; the own host still signs in', async () => {
    server = await start({ failuresPerUser: 3, failuresPerAddress: 100, failureWindowMs: 2500 });
    const right = server.credentials!;
    const wrong = { ...right, password: 'not-the-password' };
    // New connections each time (a new client): the bound per connection never applies.
    for (let i = 0; i < 3; i++) expect(await signIn(server, wrong, `127.0.0.${10 + i}`)).to.equal(18);
    expect(await signIn(server, right, '127.0.0.20'), 'another host, the right password: refused').to.equal(18);
    expect(await signIn(server, right, '127.0.0.1'), "the app's own host is never refused").to.equal('ok');
    await sleep(2600);
    expect(await signIn(server, right, '127.0.0.20'), 'after the window').to.equal('ok');
  });

  it('refuses an address that used up its budget on many user names; other addresses still sign in', async () => {
    server = await start({ failuresPerUser: 100, failuresPerAddress: 3, failureWindowMs: 60_000 });
    const right = server.credentials!;
    for (let i = 0; i < 3; i++) expect(await signIn(server, { ...right, username: `guess${i}`, password: 'x' }, '127.0.0.30')).to.equal(18);
    expect(await signIn(server, right, '127.0.0.30'), 'that address, the right password: refused').to.equal(18);
    expect(await signIn(server, right, '127.0.0.31'), 'another address').to.equal('ok');
  });

  it("guesses from the own host count for the user name but never lock the own host out", async () => {
    server = await start({ failuresPerUser: 3, failuresPerAddress: 3, failureWindowMs: 60_000 });
    const right = server.credentials!;
    for (let i = 0; i < 6; i++) expect(await signIn(server, { ...right, password: 'x' }, '127.0.0.1')).to.equal(18);
    expect(await signIn(server, right, '127.0.0.1')).to.equal('ok');
    expect(await signIn(server, right, '127.0.0.40'), 'other hosts are refused that user name').to.equal(18);
  });

  it("a SCRAM-SHA-1 user's connections from another host are not counted as guesses (the driver's speculative SCRAM-SHA-256 start fails at each)", async () => {
    server = await start({ failuresPerUser: 2, failuresPerAddress: 2, failureWindowMs: 60_000 });
    const admin = client(server, server.credentials!, '127.0.0.1');
    try {
      await admin.db('admin').command({ createUser: 'old-client', pwd: 'sha1-only-password', roles: ['root'], mechanisms: ['SCRAM-SHA-1'] });
    } finally {
      await admin.close();
    }
    const old = { username: 'old-client', password: 'sha1-only-password', authSource: 'admin' } as Credentials;
    for (let i = 0; i < 5; i++) expect(await signIn(server, old, '127.0.0.50'), `connection ${i + 1}`).to.equal('ok');
  });

  it('pipelined proofs: conversations started under the budget are refused at the proof once it is used up', () => {
    let now = 0;
    const bound = new AuthFailureBound({ failureWindowMs: 1000, failuresPerUser: 2, failuresPerAddress: 50 }, () => now);
    expect(bound.refuses('10.0.0.1', false, 'admin\0u')).to.equal(false);
    bound.failed('10.0.0.1', 'admin\0u');
    bound.failed('10.0.0.2', 'admin\0u');
    expect(bound.refuses('10.0.0.3', false, 'admin\0u')).to.equal(true);
    expect(bound.refuses('10.0.0.3', false, 'admin\0other')).to.equal(false);
    expect(bound.refuses('10.0.0.3', true, 'admin\0u'), 'own host').to.equal(false);
    now = 1000;
    expect(bound.refuses('10.0.0.3', false, 'admin\0u'), 'window over').to.equal(false);
  });

  it('keeps a bounded number of keys under a flood of user names, and the newest still count', () => {
    const bound = new AuthFailureBound({ failureWindowMs: 60_000, failuresPerUser: 1, failuresPerAddress: 1_000_000 });
    for (let i = 0; i < 25_000; i++) bound.failed('10.0.0.1', `admin\0n${i}`);
    const users = (bound as unknown as { users: { counts: Map<string, unknown> } }).users.counts;
    expect(users.size).to.be.at.most(10_000);
    expect(bound.refuses('10.0.0.9', false, 'admin\0n24999')).to.equal(true);
  });
});
