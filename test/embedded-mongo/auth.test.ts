// Authentication of the embedded server, through the official driver and on the wire:
// SCRAM-SHA-256 and SCRAM-SHA-1 sign-in, the 13 Unauthorized gate before it, 18 for a wrong password
// or an unknown user, speculative authentication inside hello, user management, and the first start
// of a data directory (a generated user in credentials.json, mode 0600, the password in no log line).
// Embedded-only by nature: each test starts its own server.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BSON, Binary, MongoClient, MongoServerError, type Document } from 'mongodb';
import { startEmbeddedMongo, startEmbeddedMongoInWorker, type EmbeddedMongo } from '../../embedded-mongo/src/index.ts';

const { serialize, deserialize } = BSON;
const ROOT = path.resolve(import.meta.dirname, '../..');

// ------------------------------------------------------------------ a raw wire client

/** One socket speaking OP_MSG (and OP_QUERY for the legacy handshake), one request at a time. */
class RawClient {
  private buf = Buffer.alloc(0);
  private waiting: ((d: Document) => void) | undefined;
  private requestId = 1;
  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      if (this.buf.length >= 4 && this.buf.length >= this.buf.readInt32LE(0)) {
        const len = this.buf.readInt32LE(0);
        const frame = this.buf.subarray(0, len);
        this.buf = this.buf.subarray(len);
        const opCode = frame.readInt32LE(12);
        const doc = deserialize(opCode === 1 ? frame.subarray(36) : frame.subarray(21), { promoteBuffers: false });
        const w = this.waiting;
        this.waiting = undefined;
        w?.(doc);
      }
    });
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  command(doc: Document, opts: { legacy?: boolean } = {}): Promise<Document> {
    const body = Buffer.from(serialize(doc));
    let payload: Buffer;
    let opCode: number;
    if (opts.legacy) {
      opCode = 2004;
      payload = Buffer.concat([Buffer.alloc(4), Buffer.from('admin.$cmd\0'), Buffer.alloc(8), body]);
    } else {
      opCode = 2013;
      payload = Buffer.concat([Buffer.alloc(5), body]);
    }
    const header = Buffer.alloc(16);
    header.writeInt32LE(16 + payload.length, 0);
    header.writeInt32LE(this.requestId++, 4);
    header.writeInt32LE(opCode, 12);
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.socket.write(Buffer.concat([header, payload]));
    });
  }

  /** Raw bytes, for a frame no reply comes to. */
  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** The client's side of SCRAM, written here from RFC 5802 (independent of the server's code). */
function scramClient(mechanism: 'SCRAM-SHA-1' | 'SCRAM-SHA-256', user: string, password: string) {
  const hash = mechanism === 'SCRAM-SHA-1' ? 'sha1' : 'sha256';
  const nonce = randomBytes(24).toString('base64');
  const first = `n=${user},r=${nonce}`;
  return {
    nonce,
    clientFirst: `n,,${first}`,
    final(serverFirst: string) {
      const attrs = Object.fromEntries(serverFirst.split(',').map((p) => [p[0], p.slice(2)]));
      const secret = mechanism === 'SCRAM-SHA-1' ? createHash('md5').update(`${user}:mongo:${password}`).digest('hex') : password;
      const salted = pbkdf2Sync(secret, Buffer.from(attrs.s!, 'base64'), Number(attrs.i), hash === 'sha1' ? 20 : 32, hash);
      const clientKey = createHmac(hash, salted).update('Client Key').digest();
      const storedKey = createHash(hash).update(clientKey).digest();
      const withoutProof = `c=biws,r=${attrs.r}`;
      const authMessage = `${first},${serverFirst},${withoutProof}`;
      const signature = createHmac(hash, storedKey).update(authMessage).digest();
      const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]!));
      const serverSignature = createHmac(hash, createHmac(hash, salted).update('Server Key').digest()).update(authMessage).digest('base64');
      return { clientFinal: `${withoutProof},p=${proof.toString('base64')}`, serverFinal: `v=${serverSignature}`, iterations: Number(attrs.i), serverNonce: attrs.r! };
    },
  };
}

const text = (b: unknown): string => Buffer.from((b as Binary).buffer.subarray(0, (b as Binary).position)).toString('utf8');
const bin = (s: string): Binary => new Binary(Buffer.from(s, 'utf8'));

async function errorOf(p: Promise<unknown>): Promise<MongoServerError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e, 'expected a server error').to.be.instanceOf(MongoServerError);
  return e as MongoServerError;
}

describe('embedded-mongo authentication', function () {
  this.timeout(60_000);
  let server: EmbeddedMongo;
  const clients: MongoClient[] = [];
  const dirs: string[] = [];
  const client = async (uri: string) => {
    const c = new MongoClient(uri, { serverSelectionTimeoutMS: 3000 });
    clients.push(c);
    await c.connect();
    return c;
  };
  const tempDir = () => {
    const d = mkdtempSync(path.join(tmpdir(), 'emb-auth-'));
    dirs.push(d);
    return d;
  };

  before(async () => {
    server = await startEmbeddedMongo({ port: 0, dbPath: null, auth: true });
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
    await server?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  describe('through the driver', () => {
    it('refuses every command before authentication with 13 Unauthorized, but answers the handshake, ping and buildInfo', async () => {
      const anon = await client(server.uri('authdb'));
      const refused = await errorOf(anon.db().collection('c').findOne({}));
      expect(refused.code).to.equal(13);
      expect(refused.codeName).to.equal('Unauthorized');
      expect(refused.message).to.equal('Command find requires authentication');
      for (const cmd of [{ insert: 'c', documents: [{ a: 1 }] }, { listDatabases: 1 }, { serverStatus: 1 }, { endSessions: [] }, { usersInfo: 1 }, { createUser: 'x', pwd: 'y', roles: [] }, { nonsense: 1 }]) {
        const e = await errorOf(anon.db('admin').command(cmd));
        expect(e.code, Object.keys(cmd)[0]).to.equal(13);
      }
      expect((await anon.db('admin').command({ ping: 1 })).ok).to.equal(1);
      expect((await anon.db('admin').command({ buildInfo: 1 })).version).to.be.a('string');
      expect((await anon.db('admin').command({ hello: 1 })).isWritablePrimary).to.equal(true);
      expect((await anon.db('admin').command({ connectionStatus: 1 })).authInfo.authenticatedUsers).to.deep.equal([]);
    });

    it('serves a client that signs in (default mechanism, SCRAM-SHA-256, SCRAM-SHA-1)', async () => {
      const creds = server.credentials!;
      for (const mechanism of [undefined, 'SCRAM-SHA-256', 'SCRAM-SHA-1']) {
        const c = await client(server.uri('authdb', creds) + (mechanism ? `&authMechanism=${mechanism}` : ''));
        await c.db().collection('signed').insertOne({ mechanism: mechanism ?? 'default' });
        expect(await c.db().collection('signed').countDocuments({ mechanism: mechanism ?? 'default' })).to.equal(1);
        const status = await c.db('admin').command({ connectionStatus: 1 });
        expect(status.authInfo.authenticatedUsers).to.deep.equal([{ user: creds.username, db: 'admin' }]);
        expect(status.authInfo.authenticatedUserRoles).to.deep.equal([{ role: 'root', db: 'admin' }]);
      }
    });

    it('refuses a wrong password and an unknown user alike: 18 "Authentication failed."', async () => {
      const creds = server.credentials!;
      for (const [label, bad] of [
        ['wrong password', { ...creds, password: `${creds.password}x` }],
        ['unknown user', { ...creds, username: 'nobody' }],
        ['wrong authSource', { ...creds, authSource: 'authdb' }],
      ] as const) {
        for (const mechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-1']) {
          const c = new MongoClient(`${server.uri('authdb', bad)}&authMechanism=${mechanism}`, { serverSelectionTimeoutMS: 3000 });
          const e = await errorOf(c.connect());
          expect(e.code, `${label} ${mechanism}`).to.equal(18);
          expect(e.message).to.equal('Authentication failed.');
          await c.close();
        }
      }
    });

    it('manages users: createUser, usersInfo (salted keys only), updateUser, dropUser', async () => {
      const admin = await client(server.uri('admin', server.credentials!));
      const appDb = admin.db('appdb');
      await appDb.command({ createUser: 'app', pwd: 'first-Secret', roles: ['readWrite'] });
      const dup = await errorOf(appDb.command({ createUser: 'app', pwd: 'x', roles: [] }));
      expect(dup.code).to.equal(51003);
      expect((await errorOf(appDb.command({ createUser: 'noroles', pwd: 'x' }))).code).to.equal(2);
      expect((await errorOf(appDb.command({ createUser: 'nopwd', roles: [] }))).code).to.equal(2);

      const info = await appDb.command({ usersInfo: 'app' });
      expect(info.users).to.have.length(1);
      expect(info.users[0]).to.deep.include({ _id: 'appdb.app', user: 'app', db: 'appdb', roles: [{ role: 'readWrite', db: 'appdb' }], mechanisms: ['SCRAM-SHA-1', 'SCRAM-SHA-256'] });
      expect(info.users[0].credentials, 'credentials only with showCredentials').to.equal(undefined);
      const all = await admin.db('admin').command({ usersInfo: { forAllDBs: true } });
      expect(all.users.map((u: Document) => u._id)).to.include.members(['appdb.app', `admin.${server.credentials!.username}`]);

      // stored as MongoDB stores it: salt, iteration count and keys, never the password
      const stored = await admin.db('admin').collection('system.users').findOne({ _id: 'appdb.app' } as Document);
      expect(Object.keys(stored!.credentials).sort()).to.deep.equal(['SCRAM-SHA-1', 'SCRAM-SHA-256']);
      expect(stored!.credentials['SCRAM-SHA-256']).to.have.all.keys('iterationCount', 'salt', 'storedKey', 'serverKey');
      expect(stored!.credentials['SCRAM-SHA-256'].iterationCount).to.equal(15000);
      expect(stored!.credentials['SCRAM-SHA-1'].iterationCount).to.equal(10000);
      expect(JSON.stringify(stored)).to.not.include('first-Secret');

      const app = await client(`mongodb://app:first-Secret@127.0.0.1:${server.port}/appdb?authSource=appdb`);
      await app.db().collection('x').insertOne({ ok: true });

      await appDb.command({ updateUser: 'app', pwd: 'second-Secret' });
      const old = new MongoClient(`mongodb://app:first-Secret@127.0.0.1:${server.port}/appdb?authSource=appdb`, { serverSelectionTimeoutMS: 3000 });
      expect((await errorOf(old.connect())).code).to.equal(18);
      await old.close();
      await client(`mongodb://app:second-Secret@127.0.0.1:${server.port}/appdb?authSource=appdb`);

      await appDb.command({ dropUser: 'app' });
      expect((await errorOf(appDb.command({ dropUser: 'app' }))).code).to.equal(11);
      const dropped = new MongoClient(`mongodb://app:second-Secret@127.0.0.1:${server.port}/appdb?authSource=appdb`, { serverSelectionTimeoutMS: 3000 });
      expect((await errorOf(dropped.connect())).code).to.equal(18);
      await dropped.close();
    });

    it('SCRAM-SHA-256 prepares passwords with SASLprep; SCRAM-SHA-1 uses the MD5 digest; a SHA-1-only user is offered SHA-1', async () => {
      const admin = await client(server.uri('admin', server.credentials!));
      // U+00AD (soft hyphen) is mapped to nothing by SASLprep: "I\u00ADX" and "IX" are one password for SHA-256
      await admin.db('admin').command({ createUser: 'prep', pwd: 'I\u00ADX-pässwörd', roles: [], mechanisms: ['SCRAM-SHA-256'] });
      await client(`mongodb://prep:${encodeURIComponent('IX-pässwörd')}@127.0.0.1:${server.port}/x?authSource=admin&authMechanism=SCRAM-SHA-256`);
      // a client-digested password (mongosh's passwordDigestor: "client") makes SCRAM-SHA-1 credentials only
      const digest = createHash('md5').update('legacy:mongo:old-school').digest('hex');
      await admin.db('admin').command({ createUser: 'legacy', pwd: digest, digestPassword: false, roles: [] });
      const info = await admin.db('admin').command({ usersInfo: 'legacy' });
      expect(info.users[0].mechanisms).to.deep.equal(['SCRAM-SHA-1']);
      // the driver's default mechanism follows saslSupportedMechs from hello
      await client(`mongodb://legacy:old-school@127.0.0.1:${server.port}/x?authSource=admin`);
      const raw = await RawClient.connect(server.port);
      expect((await raw.command({ hello: 1, saslSupportedMechs: 'admin.legacy', $db: 'admin' })).saslSupportedMechs).to.deep.equal(['SCRAM-SHA-1']);
      // an unknown name is offered both, so hello does not tell which users exist
      expect((await raw.command({ hello: 1, saslSupportedMechs: 'admin.nobody', $db: 'admin' })).saslSupportedMechs).to.deep.equal(['SCRAM-SHA-1', 'SCRAM-SHA-256']);
      raw.close();
    });
  });

  describe('on the wire', () => {
    it('answers speculativeAuthenticate inside hello (OP_QUERY and OP_MSG) and completes in one saslContinue', async () => {
      const { username, password } = server.credentials!;
      for (const legacy of [true, false]) {
        const raw = await RawClient.connect(server.port);
        const scram = scramClient('SCRAM-SHA-256', username, password);
        const hello = await raw.command({
          [legacy ? 'isMaster' : 'hello']: 1,
          helloOk: true,
          saslSupportedMechs: `admin.${username}`,
          speculativeAuthenticate: { saslStart: 1, mechanism: 'SCRAM-SHA-256', payload: bin(scram.clientFirst), autoAuthorize: 1, options: { skipEmptyExchange: true }, db: 'admin' },
          ...(legacy ? {} : { $db: 'admin' }),
        }, { legacy });
        expect(hello.ok).to.equal(1);
        expect(hello.saslSupportedMechs).to.deep.equal(['SCRAM-SHA-1', 'SCRAM-SHA-256']);
        const spec = hello.speculativeAuthenticate as Document;
        expect(spec).to.include({ conversationId: 1, done: false });
        expect(spec.payload).to.be.instanceOf(Binary);
        const serverFirst = text(spec.payload);
        expect(serverFirst).to.match(new RegExp(`^r=${scram.nonce.replace(/[+/]/g, '\\$&')}[A-Za-z0-9+/=]{32},s=[A-Za-z0-9+/=]+,i=15000$`));
        const expected = scram.final(serverFirst);
        expect((await raw.command({ find: 'c', $db: 'authdb' })).code, 'still unauthenticated').to.equal(13);
        const done = await raw.command({ saslContinue: 1, conversationId: spec.conversationId, payload: bin(expected.clientFinal), $db: 'admin' });
        expect(done).to.include({ ok: 1, conversationId: 1, done: true });
        expect(text(done.payload)).to.equal(expected.serverFinal);
        expect((await raw.command({ find: 'c', $db: 'authdb' })).ok).to.equal(1);
        raw.close();
      }
    });

    it('saslStart/saslContinue with SCRAM-SHA-1 and without skipEmptyExchange (one more, empty round trip); logout ends it', async () => {
      const { username, password } = server.credentials!;
      const raw = await RawClient.connect(server.port);
      const scram = scramClient('SCRAM-SHA-1', username, password);
      const first = await raw.command({ saslStart: 1, mechanism: 'SCRAM-SHA-1', payload: bin(scram.clientFirst), $db: 'admin' });
      expect(first).to.include({ ok: 1, conversationId: 1, done: false });
      const expected = scram.final(text(first.payload));
      expect(expected.iterations).to.equal(10000);
      const second = await raw.command({ saslContinue: 1, conversationId: 1, payload: bin(expected.clientFinal), $db: 'admin' });
      expect(second).to.include({ ok: 1, done: false });
      expect(text(second.payload)).to.equal(expected.serverFinal);
      expect((await raw.command({ find: 'c', $db: 'authdb' })).code, 'not before the last step').to.equal(13);
      const third = await raw.command({ saslContinue: 1, conversationId: 1, payload: bin(''), $db: 'admin' });
      expect(third).to.include({ ok: 1, done: true });
      expect((await raw.command({ find: 'c', $db: 'authdb' })).ok).to.equal(1);
      expect((await raw.command({ logout: 1, $db: 'admin' })).ok).to.equal(1);
      expect((await raw.command({ find: 'c', $db: 'authdb' })).code, 'after logout').to.equal(13);
      raw.close();
    });

    it('an unacknowledged (moreToCome) write before authentication is dropped too', async () => {
      const raw = await RawClient.connect(server.port);
      const body = Buffer.from(serialize({ insert: 'unack', documents: [{ _id: 'sneaky' }], writeConcern: { w: 0 }, $db: 'authdb' }));
      const flags = Buffer.alloc(5);
      flags.writeUInt32LE(1 << 1, 0); // moreToCome: no reply is sent
      const header = Buffer.alloc(16);
      header.writeInt32LE(16 + flags.length + body.length, 0);
      header.writeInt32LE(999, 4);
      header.writeInt32LE(2013, 12);
      raw.write(Buffer.concat([header, flags, body]));
      expect((await raw.command({ ping: 1, $db: 'admin' })).ok, 'the connection goes on').to.equal(1);
      raw.close();
      const admin = await client(server.uri('authdb', server.credentials!));
      expect(await admin.db().collection('unack').countDocuments({ _id: 'sneaky' } as Document)).to.equal(0);
    });

    it('refuses a bad proof, a replayed nonce, an unknown mechanism, a continue without a start, and channel binding', async () => {
      const { username, password } = server.credentials!;
      const raw = await RawClient.connect(server.port);
      const scram = scramClient('SCRAM-SHA-256', username, password);
      const first = await raw.command({ saslStart: 1, mechanism: 'SCRAM-SHA-256', payload: bin(scram.clientFirst), $db: 'admin' });
      const good = scram.final(text(first.payload));
      const tampered = good.clientFinal.replace(/p=(.)/, (_m, c: string) => `p=${c === 'A' ? 'B' : 'A'}`);
      const bad = await raw.command({ saslContinue: 1, conversationId: 1, payload: bin(tampered), $db: 'admin' });
      expect(bad).to.include({ ok: 0, code: 18, codeName: 'AuthenticationFailed', errmsg: 'Authentication failed.' });
      // the conversation is over: the right proof now is a continue without a start
      const late = await raw.command({ saslContinue: 1, conversationId: 1, payload: bin(good.clientFinal), $db: 'admin' });
      expect(late).to.include({ ok: 0, code: 17 });
      expect((await raw.command({ find: 'c', $db: 'authdb' })).code).to.equal(13);

      // a proof from another conversation (a replay) does not sign in
      const again = await raw.command({ saslStart: 1, mechanism: 'SCRAM-SHA-256', payload: bin(scram.clientFirst), $db: 'admin' });
      expect(text(again.payload)).to.not.equal(text(first.payload));
      const replay = await raw.command({ saslContinue: 1, conversationId: 1, payload: bin(good.clientFinal), $db: 'admin' });
      expect(replay).to.include({ ok: 0, code: 18 });

      const plain = await raw.command({ saslStart: 1, mechanism: 'PLAIN', payload: bin(`\0${username}\0${password}`), $db: 'admin' });
      expect(plain).to.include({ ok: 0, code: 334, codeName: 'MechanismUnavailable' });
      const cb = await raw.command({ saslStart: 1, mechanism: 'SCRAM-SHA-256', payload: bin(`p=tls-unique,,n=${username},r=abcdefghijkl`), $db: 'admin' });
      expect(cb).to.include({ ok: 0, code: 18 });
      expect((await raw.command({ find: 'c', $db: 'authdb' })).code).to.equal(13);
      raw.close();
    });
  });

  describe('on a data directory', () => {
    it('the first start writes a generated user to credentials.json (0600); later starts reuse it; the password is in no log line', async () => {
      const dbPath = tempDir();
      const logged: string[] = [];
      const logger = { info: (o: unknown, m?: string) => logged.push(JSON.stringify([o, m])), warn: (o: unknown, m?: string) => logged.push(JSON.stringify([o, m])), error: (o: unknown, m?: string) => logged.push(JSON.stringify([o, m])) };
      let s = await startEmbeddedMongo({ port: 0, dbPath, logger });
      expect(s.auth).to.equal(true);
      expect(s.credentials, 'the password is not handed out, it is in the file').to.equal(null);
      expect(s.credentialsFile).to.equal(path.join(dbPath, 'credentials.json'));
      expect(statSync(s.credentialsFile!).mode & 0o777).to.equal(0o600);
      const creds = JSON.parse(readFileSync(s.credentialsFile!, 'utf8')) as { username: string; password: string; authSource: string };
      expect(creds.authSource).to.equal('admin');
      expect(creds.password).to.match(/^[A-Za-z0-9_-]{32}$/);
      const c = await client(s.uri('persist', creds));
      await c.db().collection('d').insertOne({ kept: true });
      await c.close();
      expect((await errorOf((await client(s.uri('persist'))).db().collection('d').findOne({}))).code).to.equal(13);
      await s.stop();

      const fileBefore = readFileSync(path.join(dbPath, 'credentials.json'), 'utf8');
      s = await startEmbeddedMongo({ port: 0, dbPath, logger });
      expect(readFileSync(path.join(dbPath, 'credentials.json'), 'utf8'), 'not regenerated').to.equal(fileBefore);
      const c2 = await client(s.uri('persist', creds));
      expect(await c2.db().collection('d').countDocuments({ kept: true })).to.equal(1);
      expect((await c2.db('admin').command({ usersInfo: 1 })).users).to.have.length(1);
      await c2.close();
      await s.stop();
      expect(logged.join('\n')).to.include(creds.username);
      expect(logged.join('\n')).to.not.include(creds.password);
    });

    it('a credentials file found with no user yet (a crash between writing it and creating the user) gives that user', async () => {
      const dbPath = tempDir();
      writeFileSync(path.join(dbPath, 'credentials.json'), JSON.stringify({ username: 'chosen', password: 'chosen-password-123', authSource: 'admin' }), { mode: 0o644 });
      const s = await startEmbeddedMongo({ port: 0, dbPath });
      expect(statSync(path.join(dbPath, 'credentials.json')).mode & 0o777, 'tightened to 0600').to.equal(0o600);
      const c = await client(`mongodb://chosen:chosen-password-123@127.0.0.1:${s.port}/x?authSource=admin`);
      expect((await c.db().command({ ping: 1 })).ok).to.equal(1);
      await c.close();
      await s.stop();
    });

    it('in a worker thread (what the app runs): the same file, and the server refuses the unauthenticated', async () => {
      const dbPath = tempDir();
      const s = await startEmbeddedMongoInWorker({ port: 0, dbPath });
      try {
        expect(s.credentialsFile).to.equal(path.join(dbPath, 'credentials.json'));
        const creds = JSON.parse(readFileSync(s.credentialsFile!, 'utf8')) as { username: string; password: string; authSource: string };
        const c = await client(s.uri('w', creds));
        await c.db().collection('d').insertOne({ a: 1 });
        await c.close();
        expect((await errorOf((await client(s.uri('w'))).db().collection('d').findOne({}))).code).to.equal(13);
      } finally {
        await s.stop();
      }
    });

    it('`npm run db` prints the credentials file and a mongosh URI (its password only to a terminal), and refuses --no-auth on disk', async () => {
      const dbPath = tempDir();
      const run = (args: string[]) => {
        const p = spawn(process.execPath, ['--import', 'tsx', 'embedded-mongo/src/cli.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        p.stdout.on('data', (d: Buffer) => (out += d.toString()));
        p.stderr.on('data', (d: Buffer) => (out += d.toString()));
        return { p, out: () => out, exited: new Promise<number | null>((r) => p.once('exit', (code) => r(code))) };
      };
      const refused = run(['--no-auth', '--dbpath', dbPath]);
      expect(await refused.exited).to.equal(2);
      expect(refused.out()).to.include('--no-auth');

      const cli = run(['--port', '0', '--dbpath', dbPath]);
      try {
        const until = Date.now() + 30_000;
        while (!/connect with: mongosh/.test(cli.out()) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
        const creds = JSON.parse(readFileSync(path.join(dbPath, 'credentials.json'), 'utf8')) as { username: string; password: string };
        expect(cli.out()).to.include(`credentials: ${path.join(dbPath, 'credentials.json')}`);
        const uri = /mongosh "([^"]+)"/.exec(cli.out())![1]!;
        expect(uri).to.include(`mongodb://${creds.username}:<password from the credentials file>@127.0.0.1:`);
        expect(cli.out(), 'stdout is not a terminal here').to.not.include(creds.password);
        const c = await client(uri.replace('<password from the credentials file>', creds.password));
        expect((await c.db().command({ ping: 1 })).ok).to.equal(1);
        await c.close();
      } finally {
        cli.p.kill('SIGTERM');
        expect(await cli.exited).to.equal(0);
      }
    });
  });
});
