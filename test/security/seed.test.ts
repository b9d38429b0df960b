// `npm run seed` writes like the app does (issue 10): stored files 0600 in 0700 folders, a fresh
// salt for every account's password hash, and TOTP secrets encrypted. Run as a real child process
// against a fresh database and a temporary data folder.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { testMongoUri } from '../support/mongo.ts';
import { isSealed } from '../../server/crypto/secrets.ts';

const root = path.resolve(import.meta.dirname, '../..');

function walk(dir: string, out: { path: string; dir: boolean; mode: number }[] = []) {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    const s = statSync(p);
    out.push({ path: p, dir: s.isDirectory(), mode: s.mode & 0o777 });
    if (s.isDirectory()) walk(p, out);
  }
  return out;
}

/** The salt of an argon2 PHC string: $argon2id$v=19$m=…,t=…,p=…$<salt>$<hash>. */
function phcSalt(hash: string): string {
  const m = /^\$argon2id\$v=\d+\$m=\d+,t=\d+,p=\d+\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/.exec(hash);
  if (!m) throw new Error(`not an argon2id PHC string: ${hash.slice(0, 30)}`);
  return m[1]!;
}

describe('security: npm run seed', function () {
  this.timeout(240_000);
  let dataDir: string;
  let uri: string;
  let out = '';
  let code: number | null = null;

  before(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'talent-seed-'));
    uri = await testMongoUri('seed');
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', MONGODB_URI: uri, DATA_DIR: dataDir, UPLOAD_DIR: path.join(dataDir, 'uploads'), LOG_LEVEL: 'warn' };
    await new Promise<void>((resolve) => {
      // The usual umask, so the modes asserted below are the seed's doing.
      const child = spawn('sh', ['-c', 'umask 022 && exec npm run --silent seed'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      child.once('exit', (c) => {
        code = c;
        resolve();
      });
    });
  });
  after(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('finishes and stores the demo documents', () => {
    expect(code, out).to.equal(0);
    const files = walk(path.join(dataDir, 'uploads')).filter((e) => !e.dir);
    expect(files.length, 'demo documents on disk').to.be.greaterThan(10);
  });

  it('writes every file 0600 and every folder 0700', () => {
    const entries = walk(dataDir);
    expect(entries.some((e) => e.path.endsWith('data-encryption.key'))).to.equal(true);
    const badFiles = entries.filter((e) => !e.dir && e.mode !== 0o600).map((e) => `${path.relative(dataDir, e.path)} ${e.mode.toString(8)}`);
    const badDirs = entries.filter((e) => e.dir && e.mode !== 0o700).map((e) => `${path.relative(dataDir, e.path)} ${e.mode.toString(8)}`);
    expect(badFiles, 'files not 0600').to.deep.equal([]);
    expect(badDirs, 'folders not 0700').to.deep.equal([]);
  });

  it("writes the demo cases in their applicant's language, and leaves the offers' salary to the letter (walk 28 #18)", async () => {
    const client = await MongoClient.connect(uri);
    try {
      const db = client.db();
      const users = new Map((await db.collection('users').find({}, { projection: { locale: 1 } }).toArray()).map((u) => [String(u._id), u.locale as string]));
      const cases = await db.collection('cases').find({}, { projection: { applicant: 1, offerTerms: 1, eligibility: 1, 'profile.currentPosition': 1 } }).toArray();
      const offers = cases.filter((c) => c.offerTerms);
      expect(offers.length).to.be.greaterThan(2);
      // An empty salary shows each reader "As in the letter" in their own language (no English text stored).
      for (const c of offers) expect(c.offerTerms.salary, String(c._id)).to.equal(undefined);
      const vi = cases.filter((c) => users.get(String(c.applicant)) === 'vi');
      expect(vi.length).to.be.greaterThan(3);
      for (const c of vi) {
        const stored = JSON.stringify([c.offerTerms?.position, c.offerTerms?.contractLength, c.eligibility, c.profile?.currentPosition]);
        expect(stored, String(c._id)).not.to.match(/See the CV|Senior researcher|Principal researcher|3 years|As in the letter/);
      }
      expect(JSON.stringify(vi.map((c) => c.offerTerms?.position))).to.include('Nghiên cứu viên chính');
      // The leader's internal reasons in the leader's (Vietnamese) words, on every case.
      const leaderNotes = (await db.collection('cases').find({}, { projection: { history: 1 } }).toArray()).flatMap((c) => (c.history as Array<{ action: string; note?: string }>).filter((h) => h.action === 'shortlist' || h.action === 'approve_offer').map((h) => h.note ?? ''));
      expect(leaderNotes.length).to.be.greaterThan(3);
      for (const n of leaderNotes) expect(n).to.match(/hội đồng|nghiên cứu/i);
    } finally {
      await client.close();
    }
  });

  it('gives every account its own salt, and stores TOTP secrets encrypted', async () => {
    const client = await MongoClient.connect(uri);
    try {
      const users = await client.db().collection('users').find({}, { projection: { email: 1, passwordHash: 1, totp: 1, role: 1 } }).toArray();
      expect(users.length).to.be.greaterThan(5);
      const salts = users.map((u) => phcSalt(String(u.passwordHash)));
      expect(new Set(salts).size, 'distinct salts').to.equal(users.length);
      expect(new Set(users.map((u) => u.passwordHash)).size, 'distinct hashes').to.equal(users.length);
      const staff = users.filter((u) => u.role !== 'applicant');
      expect(staff.length).to.be.greaterThan(2);
      for (const u of staff) expect(isSealed(u.totp?.secret), u.email).to.equal(true);
      // The demo prints each staff secret once, so the accounts can be used; it is not what is stored.
      const printed = /admin@demo\.talent\.local\s+TOTP secret ([A-Z2-7]+)/.exec(out)?.[1];
      expect(printed, out).to.be.a('string');
      expect(JSON.stringify(users)).not.to.include(printed!);
    } finally {
      await client.close();
    }
  });
});
