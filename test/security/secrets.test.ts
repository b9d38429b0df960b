// Secrets at rest (issue 10): whoever reads the database (a dump, a backup) must not be able to
// produce a second-factor code. TOTP secrets are encrypted with AES-256-GCM, bound to their account;
// plain secrets left by an earlier version are encrypted at start; `npm run rotate-key` re-encrypts.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { MongoClient, ObjectId, type Db } from 'mongodb';
import { authenticator } from 'otplib';
import { startTestApp, testDatabase, type TestApp } from '../support/app.ts';
import { testMongoUri } from '../support/mongo.ts';
import { agent, csrfFrom, type Agent } from '../support/http.ts';
import { createUser, plainTotpSecret, TEST_PASSWORD } from '../support/factories.ts';
import { isSignedIn, postForm } from '../accounts/helpers.ts';
import { startCommand } from '../../scripts/support/start-flags.ts';
import { runningAt } from '../support/running-at.ts';
import { hashPassword } from '../../server/accounts/passwords.ts';
import { newTotpSecret, totpNow } from '../../server/accounts/totp.ts';
import { ConfigError, loadConfig } from '../../server/config.ts';
import { keyId, keyringFromKeys, readKeyFile } from '../../server/crypto/keyring.ts';
import { isSealed, openSecret, sealSecret, sealedKeyId, SecretError } from '../../server/crypto/secrets.ts';
import { TOTP_SECRET, ownerOf } from '../../server/crypto/sealed-fields.ts';

const root = path.resolve(import.meta.dirname, '../..');

/** Every string anywhere in a document (a raw dump, as an attacker would read it). */
function strings(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) for (const x of v) strings(x, out);
  else if (v && typeof v === 'object' && !(v instanceof ObjectId) && !(v instanceof Date) && !Buffer.isBuffer(v)) for (const x of Object.values(v)) strings(x, out);
  return out;
}

/**
 * Could this string, used as a TOTP secret (as otplib reads it), stand for `secret`? Its codes must
 * agree at three time steps: any string gives one given code by chance about once in 10^6 (an
 * applicant's e-mail address once did, among the thousands of strings of a shared test database).
 */
function producesCodes(candidate: string, secret: string): boolean {
  const variants = new Set([candidate, candidate.toUpperCase().replace(/[^A-Z2-7]/g, '')]);
  const steps = [0, 7, 13].map((n) => authenticator.clone({ epoch: Date.now() + n * 30_000 }));
  for (const c of variants) {
    if (!c) continue;
    try {
      if (steps.every((at) => at.generate(c) === at.generate(secret))) return true;
    } catch {
      // not a usable secret
    }
  }
  return false;
}

async function dump(db: Db, collection: string): Promise<string[]> {
  return strings(await db.collection(collection).find({}).toArray());
}

describe('security: second-factor secrets at rest', function () {
  this.timeout(60_000);
  let t: TestApp;
  let raw: Db;
  before(async () => {
    t = await startTestApp();
    raw = (await testDatabase()).connection.db as unknown as Db;
  });
  after(async () => {
    await t?.close();
  });

  it('keeps no secret in the users or sessions collections that produces the code the app accepts, during and after enrolment', async () => {
    const admin = await createUser({ role: 'admin', totp: false });
    const a = agent(t.app);
    await postForm(a, '/signin', '/signin', { email: admin.email, password: TEST_PASSWORD });
    const enrol = await a.get('/account/second-factor').set('Accept', 'text/html');
    const secret = /data-secret="([A-Z2-7]+)"/.exec(enrol.text)![1]!;
    const pendingCode = totpNow(secret);
    // While enrolling, the pending secret sits in the session: encrypted there too.
    for (const coll of ['users', 'sessions']) {
      const found = (await dump(raw, coll)).filter((s) => s.includes(secret) || producesCodes(s, secret));
      expect(found, `${coll} during enrolment`).to.deep.equal([]);
    }
    const done = await a.post('/account/second-factor').type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(enrol.text), code: pendingCode });
    expect(done.status).to.equal(200);

    const stored = (await raw.collection('users').findOne({ _id: admin._id }))!;
    expect(isSealed(stored.totp.secret)).to.equal(true);
    expect(stored.totp.secret).to.match(/^v1:[A-Za-z0-9_-]{8}:/);
    // Signing in needs the code the app accepts now; no string in either dump produces it.
    await raw.collection('users').updateOne({ _id: admin._id }, { $unset: { 'totp.lastUsedStep': 1 } });
    const code = totpNow(secret);
    for (const coll of ['users', 'sessions']) {
      const found = (await dump(raw, coll)).filter((s) => s.includes(secret) || producesCodes(s, secret));
      expect(found, coll).to.deep.equal([]);
    }
    // ...and the app does accept it: sign-in with TOTP still works.
    const b = agent(t.app);
    await postForm(b, '/signin', '/signin', { email: admin.email, password: TEST_PASSWORD });
    const ok = await postForm(b, '/signin/second-factor', '/signin/second-factor', { code });
    expect(ok.status).to.equal(303);
    expect(await isSignedIn(b)).to.equal(true);
  });

  it('binds a secret to its account: copied onto another account in the database, it accepts no code', async () => {
    const victim = await createUser({ role: 'admin' });
    const attacker = await createUser({ role: 'hr_officer' });
    // The attacker knows their own secret and copies their ciphertext onto the victim's account.
    const mine = (await raw.collection('users').findOne({ _id: attacker._id }))!.totp.secret as string;
    await raw.collection('users').updateOne({ _id: victim._id }, { $set: { 'totp.secret': mine }, $unset: { 'totp.lastUsedStep': 1 } });
    const a = agent(t.app);
    await postForm(a, '/signin', '/signin', { email: victim.email, password: TEST_PASSWORD });
    const res = await postForm(a, '/signin/second-factor', '/signin/second-factor', { code: totpNow(plainTotpSecret({ _id: attacker._id, totp: { secret: mine } })) });
    expect(res.status).to.equal(401);
    expect(await isSignedIn(a)).to.equal(false);
    // A plain secret written straight into the database is not accepted either (only the start-up migration seals those).
    const plain = newTotpSecret();
    await raw.collection('users').updateOne({ _id: victim._id }, { $set: { 'totp.secret': plain } });
    const b = agent(t.app);
    await postForm(b, '/signin', '/signin', { email: victim.email, password: TEST_PASSWORD });
    expect((await postForm(b, '/signin/second-factor', '/signin/second-factor', { code: totpNow(plain) })).status).to.equal(401);
  });

  it('encrypted values are authenticated: a changed byte, another field name or another owner fails', () => {
    const ring = keyringFromKeys(Buffer.alloc(32, 1));
    const id = new ObjectId();
    const sealed = sealSecret(ring, 'JBSWY3DPEHPK3PXP', ownerOf(TOTP_SECRET, id));
    expect(sealed).not.to.include('JBSWY3DPEHPK3PXP');
    expect(openSecret(ring, sealed, ownerOf(TOTP_SECRET, id))).to.equal('JBSWY3DPEHPK3PXP');
    expect(sealSecret(ring, 'JBSWY3DPEHPK3PXP', ownerOf(TOTP_SECRET, id)), 'a fresh IV every time').not.to.equal(sealed);
    const parts = sealed.split(':');
    const ct = Buffer.from(parts[4]!, 'base64url');
    ct[0] = ct[0]! ^ 1;
    const flipped = [...parts.slice(0, 4), ct.toString('base64url')].join(':');
    expect(() => openSecret(ring, flipped, ownerOf(TOTP_SECRET, id))).to.throw(SecretError);
    expect(() => openSecret(ring, sealed, { owner: String(id), field: 'something.else' })).to.throw(SecretError);
    expect(() => openSecret(ring, sealed, ownerOf(TOTP_SECRET, new ObjectId()))).to.throw(SecretError);
    expect(() => openSecret(keyringFromKeys(Buffer.alloc(32, 2)), sealed, ownerOf(TOTP_SECRET, id))).to.throw(SecretError, /no data-encryption key/);
    expect(() => openSecret(ring, 'JBSWY3DPEHPK3PXP', ownerOf(TOTP_SECRET, id))).to.throw(SecretError);
  });

  it('validates DATA_ENCRYPTION_KEY and requires it in production', () => {
    const base = { SESSION_SECRET: 'x'.repeat(40) };
    expect(() => loadConfig({ ...base, NODE_ENV: 'production' })).to.throw(ConfigError, /DATA_ENCRYPTION_KEY: required in production/);
    expect(() => loadConfig({ ...base, DATA_ENCRYPTION_KEY: 'too-short' })).to.throw(ConfigError, /DATA_ENCRYPTION_KEY: must be 32 bytes/);
    expect(() => loadConfig({ ...base, DATA_ENCRYPTION_KEY: 'ab'.repeat(31) })).to.throw(ConfigError, /DATA_ENCRYPTION_KEY/);
    const hex = loadConfig({ ...base, NODE_ENV: 'production', DATA_ENCRYPTION_KEY: 'ab'.repeat(32) });
    expect(hex.dataEncryption.key).to.deep.equal(Buffer.alloc(32, 0xab));
    const b64 = loadConfig({ ...base, NODE_ENV: 'production', DATA_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64') });
    expect(b64.dataEncryption.key).to.deep.equal(Buffer.alloc(32, 7));
    expect(() => loadConfig({ ...base, DATA_ENCRYPTION_KEY: 'ab'.repeat(32), DATA_ENCRYPTION_PREVIOUS_KEYS: 'nope' })).to.throw(ConfigError, /DATA_ENCRYPTION_PREVIOUS_KEYS/);
  });
});

// ------------------------------------------------------------------ at start, and rotation

interface Server {
  child: ChildProcess;
  url: string;
  output: () => string;
  stop(): Promise<void>;
}

async function startServer(env: Record<string, string>): Promise<Server> {
  // Port 0: the port it binds is read from its banner (test/support/running-at.ts).
  const child = spawn(process.execPath, startCommand(root), {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '0', LOG_LEVEL: 'info', DISPATCH_INTERVAL_MS: '60000', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const until = Date.now() + 60_000;
  let url: string | undefined;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited early:\n${out}`);
    if (Date.now() > until) throw new Error(`server not ready:\n${out}`);
    url = runningAt(out);
    try {
      if (url && (await fetch(`${url}/readyz`)).status === 200) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    child,
    url: url!,
    output: () => out,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

function run(cmd: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => resolve({ code, out, err }));
  });
}

/** Password, then the TOTP code, against a running server; the status of the second-factor step. */
async function signInOver(url: string, email: string, code: string): Promise<{ a: Agent; secondFactor: number }> {
  const a = request.agent(url) as unknown as Agent;
  const page = await a.get('/signin').set('Accept', 'text/html');
  const pw = await a.post('/signin').type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(page.text), email, password: TEST_PASSWORD });
  expect(pw.status, pw.text.slice(0, 200)).to.equal(303);
  expect(pw.headers.location).to.match(/^\/signin\/second-factor/);
  const sf = await a.get('/signin/second-factor').set('Accept', 'text/html');
  const res = await a.post('/signin/second-factor').type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(sf.text), code });
  return { a, secondFactor: res.status };
}

describe('security: plain secrets migrated at start, and npm run rotate-key', function () {
  this.timeout(180_000);
  let dataDir: string;
  let uri: string;
  let client: MongoClient;
  let db: Db;
  const servers: Server[] = [];
  const plain = newTotpSecret();
  let userId: ObjectId;
  const email = `legacy-admin-${Date.now()}@example.test`;

  before(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'talent-keys-'));
    uri = await testMongoUri('secrets');
    client = await MongoClient.connect(uri);
    db = client.db();
    // An account as an earlier version stored it: the TOTP secret in plain text.
    userId = new ObjectId();
    await db.collection('users').insertOne({
      _id: userId,
      email,
      name: 'Legacy Admin',
      role: 'admin',
      locale: 'en',
      passwordHash: await hashPassword(TEST_PASSWORD),
      emailVerifiedAt: new Date(),
      sessionEpoch: 0,
      panelCalls: [],
      consents: [],
      totp: { secret: plain, enabledAt: new Date(), recoveryCodeHashes: [] },
    });
  });
  after(async () => {
    for (const s of servers) await s.stop();
    await client?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const env = () => ({ MONGODB_URI: uri, DATA_DIR: dataDir, SESSION_SECRET: 'rotation-test-session-secret-0123456789' });
  const freshStep = () => db.collection('users').updateOne({ _id: userId }, { $unset: { 'totp.lastUsedStep': 1 } });
  const storedSecret = async () => (await db.collection('users').findOne({ _id: userId }))!.totp.secret as string;

  it('encrypts a plain secret at start with a key generated once into the data folder (mode 0600), and sign-in still works', async () => {
    const s = await startServer(env());
    servers.push(s);
    const keyFile = path.join(dataDir, 'data-encryption.key');
    expect(statSync(keyFile).mode & 0o777).to.equal(0o600);
    const [key] = readKeyFile(keyFile);
    const sealed = await storedSecret();
    expect(isSealed(sealed)).to.equal(true);
    expect(sealedKeyId(sealed)).to.equal(keyId(key!));
    expect(sealed).not.to.include(plain);
    expect(s.output()).to.include('secrets found in plain text were encrypted');
    expect(s.output(), 'the key is never logged').not.to.include(key!.toString('hex'));
    const { a, secondFactor } = await signInOver(s.url, email, totpNow(plain));
    expect(secondFactor).to.equal(303);
    expect(await isSignedIn(a)).to.equal(true);
    await s.stop();
  });

  it('re-encrypts under a new key: codes work with the new key, not with the old key alone', async () => {
    const keyFile = path.join(dataDir, 'data-encryption.key');
    const [oldKey] = readKeyFile(keyFile);
    const before = await storedSecret();
    const r = await run('npm', ['run', '--silent', 'rotate-key'], env());
    expect(r.code, r.out + r.err).to.equal(0);
    const keys = readKeyFile(keyFile);
    expect(keys, 'only the new key is left in the file').to.have.length(1);
    const newKey = keys[0]!;
    expect(newKey.equals(oldKey!)).to.equal(false);
    expect(statSync(keyFile).mode & 0o777).to.equal(0o600);
    expect(r.out).to.include(`Re-encrypted 1 secret(s) under key ${keyId(newKey)}`);
    expect(r.out + r.err, 'keys are never printed').not.to.include(newKey.toString('hex'));

    const after = await storedSecret();
    expect(after).not.to.equal(before);
    expect(sealedKeyId(after)).to.equal(keyId(newKey));
    expect(openSecret(keyringFromKeys(newKey), after, ownerOf(TOTP_SECRET, userId))).to.equal(plain);
    expect(() => openSecret(keyringFromKeys(oldKey!), after, ownerOf(TOTP_SECRET, userId))).to.throw(SecretError);

    // The app on the new key file accepts the code...
    await freshStep();
    const s = await startServer(env());
    servers.push(s);
    expect((await signInOver(s.url, email, totpNow(plain))).secondFactor).to.equal(303);
    await s.stop();
    // ...and an app holding only the old key does not.
    await freshStep();
    const old = await startServer({ ...env(), DATA_ENCRYPTION_KEY: oldKey!.toString('hex') });
    servers.push(old);
    expect((await signInOver(old.url, email, totpNow(plain))).secondFactor).to.equal(401);
    await old.stop();
  });

  it('rotates configured keys: DATA_ENCRYPTION_KEY is the new key, DATA_ENCRYPTION_PREVIOUS_KEYS the old ones', async () => {
    const [fileKey] = readKeyFile(path.join(dataDir, 'data-encryption.key'));
    const target = Buffer.alloc(32, 0x5a);
    const r = await run('npm', ['run', '--silent', 'rotate-key'], { ...env(), DATA_ENCRYPTION_KEY: target.toString('base64'), DATA_ENCRYPTION_PREVIOUS_KEYS: fileKey!.toString('hex') });
    expect(r.code, r.out + r.err).to.equal(0);
    expect(r.out).to.include(`under key ${keyId(target)}`);
    expect(r.out).to.include('remove DATA_ENCRYPTION_PREVIOUS_KEYS');
    const after = await storedSecret();
    expect(sealedKeyId(after)).to.equal(keyId(target));
    expect(openSecret(keyringFromKeys(target), after, ownerOf(TOTP_SECRET, userId))).to.equal(plain);
    // The key file is not touched when the key is configured.
    expect(readKeyFile(path.join(dataDir, 'data-encryption.key'))[0]!.equals(fileKey!)).to.equal(true);
    expect(readFileSync(path.join(dataDir, 'data-encryption.key'), 'utf8')).not.to.include(target.toString('hex'));
  });
});
