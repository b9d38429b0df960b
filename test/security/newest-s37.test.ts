// Security review s37 of session 36's code (backup and restore, the panel's daily e-mail, outside
// reviewers, the leader's confirm step, the file transport, the failure bound). Findings, each
// failing before its fix:
// 1. (medium) The panel's daily e-mail of a member on the panels of two institutes' calls listed
//    both institutes' candidates and was carried by one case: that institute's HR read the other's
//    candidates (names, references) in the mail log. Now one e-mail per institute, carried by its case.
// 2. (medium) backupSnapshot was open to every signed-in user (roles are not enforced): a user made
//    to read one database copied every one, admin.system.users included, and could hold the 4
//    snapshots a server keeps. Now root or backup on admin only (embedded-mongo/src/auth/gate.ts).
// 3. (low) A killed server's port.json was read while its successor held the lock but listened
//    nowhere yet: a backup would sign in wherever the stale port now is (a SCRAM relay to the real
//    server is a signed-in connection). Now removed once the lock is taken, read only when it names
//    the lock holder's pid, replaced rather than rewritten.
// 4. (low) The embedded database's folder and files were made 0755/0644 under the usual umask:
//    every document readable by any local account. Now 0700/0600 (new folders and files).
// 5. (low) A backup's file that is a link (or lies in a linked folder) was verified and restored by
//    what it points to (a file of the host put among the applicants' uploads). Now refused.
// 6. (low) The file transport's temporary name is fixed (a Message-ID's): a link planted there had
//    the message written wherever it pointed, a link under the final name had it taken as written;
//    files 0640 in a folder of the umask's mode. Now never opened through a link, 0600 in 0700.
// 7. (low) An outside reviewer downloaded by id an earlier CV or an evaluation document HR rejected
//    (a passport sent as a CV), which the shortlist's page does not list. Now only what it lists.
// 8. (low) The failure bound kept up to 10,000 user names of up to 16 kB each (160 MB): long names
//    are kept as their hash.
// 9. (low) With EMBEDDED_DB_PORT set and the app stopped, the backup signed in to whatever listened
//    on that port. Now the folder is opened first; the port is used only when the app holds it.
// Held: the pending decision is bound to its user, call, case and version (another leader's id, a
// replay after the decision, a POST without the CSRF token change nothing).
import { expect } from 'chai';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import { MongoClient } from 'mongodb';
import { startEmbeddedMongo, readCredentialsFile, type EmbeddedMongo } from '../../embedded-mongo/src/index.ts';
import { PORT_FILE, readPortFile } from '../../embedded-mongo/src/storage/port-file.ts';
import { AuthFailureBound, boundedKey } from '../../embedded-mongo/src/auth/failure-bound.ts';
import { FORMAT, FORMAT_VERSION, sha256Hex, uploadPath, verifyBackup, writeManifest, type Manifest } from '../../server/backup/manifest.ts';
import { createMailer } from '../../server/mail/mailer.ts';
import { loadConfig } from '../../server/config.ts';
import { takeBackup } from '../../server/backup/backup.ts';
import { TEST_DATA_ENCRYPTION_KEY } from '../support/keys.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent, csrfFrom, submitForm } from '../support/http.ts';
import { createInstitute, createUser, signIn } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { makeWorld, applicantCase, type World } from '../leaders/context.ts';
import { workflowContext, type WorkflowTestContext } from '../workflow/context.ts';
import { runReminders } from '../../server/reminders/index.ts';
import { dispatchOnce } from '../../server/outbox/index.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { CaseDocument } from '../../models/document.ts';
import { Evaluation } from '../../models/evaluation.ts';
import { MailLog } from '../../models/mail-log.ts';
import { createStorage, newStorageKey } from '../../server/documents/storage.ts';

const vn = (s: string) => new Date(`${s}+07:00`);
const PDF = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');

describe('security s37: the embedded database\'s backupSnapshot, port.json and file modes', function () {
  this.timeout(60_000);
  let dir: string;
  let server: EmbeddedMongo | undefined;
  let root: MongoClient | undefined;
  let umask: number;

  before(async () => {
    dir = path.join(mkdtempSync(path.join(tmpdir(), 'talent-sec37-db-')), 'db');
    // A permissive umask: the modes must not come from it.
    umask = process.umask(0);
    server = await startEmbeddedMongo({ dbPath: dir, port: 0 });
    root = await MongoClient.connect(server.uri('talent', (await readCredentialsFile(server.credentialsFile!))!));
    await root.db('talent').collection('cases').insertOne({ reference: 'HN-2026-0001', dateOfBirth: '1984-03-17' });
  });
  after(async () => {
    process.umask(umask);
    await root?.close();
    await server?.stop();
    rmSync(path.dirname(dir), { recursive: true, force: true });
  });

  it('refuses backupSnapshot to a signed-in user without root or backup on admin (13), not to the root user', async () => {
    await root!.db('talent').command({ createUser: 'reporting', pwd: 'a-reporting-password-9f3', roles: [{ role: 'read', db: 'talent' }] });
    const reader = await MongoClient.connect(`mongodb://reporting:a-reporting-password-9f3@127.0.0.1:${server!.port}/talent?authSource=talent`);
    try {
      expect((await reader.db('talent').collection('cases').countDocuments()), 'the reader reads its database').to.equal(1);
      let code: unknown;
      await reader.db('admin').command({ backupSnapshot: 1 }).catch((err: { code?: number }) => (code = err.code));
      expect(code, 'a read-only user takes no snapshot of every database').to.equal(13);
      await reader.db('admin').command({ backupSnapshot: 1, snapshotId: '0'.repeat(32), db: 'admin', coll: 'system.users', from: 0 }).catch((err: { code?: number }) => (code = err.code));
      expect(code, 'nor reads one').to.equal(13);
    } finally {
      await reader.close();
    }
    const taken = await root!.db('admin').command({ backupSnapshot: 1 });
    expect(taken.snapshotId).to.match(/^[0-9a-f]{32}$/);
    await root!.db('admin').command({ backupSnapshot: 1, snapshotId: taken.snapshotId, release: true });
  });

  it('makes its folder 0700 and its files 0600 under a permissive umask', () => {
    expect(statSync(dir).mode & 0o777, 'the folder').to.equal(0o700);
    const files = readdirSync(dir).filter((f) => /^(journal-|snapshot-|port\.json|credentials)/.test(f));
    expect(files.some((f) => f.startsWith('journal-')), files.join(', ')).to.equal(true);
    for (const f of files) expect(statSync(path.join(dir, f)).mode & 0o777, f).to.equal(0o600);
  });

  it('closes a folder made before (0755) when it opens it: no other account reaches its files', async () => {
    const older = path.join(path.dirname(dir), 'older-db');
    mkdirSync(older, { mode: 0o755 });
    chmodSync(older, 0o755);
    const other = await startEmbeddedMongo({ dbPath: older, port: 0 });
    try {
      expect(statSync(older).mode & 0o777).to.equal(0o700);
    } finally {
      await other.stop();
    }
  });

  it('reads port.json only when it names the process holding the lock, and a restart removes a killed server\'s', async () => {
    expect(await readPortFile(dir)).to.deep.equal({ host: '127.0.0.1', port: server!.port });
    // Planted (or left by a server killed in a container whose next one has not listened yet): another pid, another port.
    const mine = readFileSync(path.join(dir, PORT_FILE), 'utf8');
    writeFileSync(path.join(dir, PORT_FILE), JSON.stringify({ host: '127.0.0.1', port: 1, pid: 999_999_999 }));
    expect(await readPortFile(dir), 'a file naming another process').to.equal(null);
    writeFileSync(path.join(dir, PORT_FILE), mine);
    // A kill leaves it: what the next server finds until it listens is no address at all.
    await root!.close();
    await server!.stop();
    writeFileSync(path.join(dir, PORT_FILE), JSON.stringify({ host: '127.0.0.1', port: 1, pid: process.pid }), { mode: 0o644 });
    server = await startEmbeddedMongo({ dbPath: dir, port: 0 });
    root = await MongoClient.connect(server.uri('talent', (await readCredentialsFile(server.credentialsFile!))!));
    expect(await readPortFile(dir)).to.deep.equal({ host: '127.0.0.1', port: server.port });
    expect(statSync(path.join(dir, PORT_FILE)).mode & 0o777, 'written anew, 0600').to.equal(0o600);
  });
});

describe('security s37: a backup with EMBEDDED_DB_PORT set while the app is stopped', function () {
  this.timeout(60_000);
  it('opens the data folder itself, sending nothing to whoever listens on that port', async () => {
    const data = mkdtempSync(path.join(tmpdir(), 'talent-sec37-port-'));
    const seen: string[] = [];
    // Anyone on the host, on the port the app listens on when it runs.
    const squatter = net.createServer((socket) => {
      seen.push('connected');
      socket.destroy();
    });
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const port = (squatter.address() as net.AddressInfo).port;
    try {
      const server = await startEmbeddedMongo({ dbPath: path.join(data, 'db'), port: 0 });
      const c = await MongoClient.connect(server.uri('talent', (await readCredentialsFile(server.credentialsFile!))!));
      await c.db('talent').collection('cases').insertOne({ reference: 'TA-2026-000001' });
      await c.close();
      await server.stop();
      const config = loadConfig({ DATA_DIR: data, UPLOAD_DIR: path.join(data, 'uploads'), DATA_ENCRYPTION_KEY: TEST_DATA_ENCRYPTION_KEY, EMBEDDED_DB_PORT: String(port) });
      const taken = await takeBackup({ config, out: path.join(data, 'backup') });
      expect(taken.manifest.counts.documents).to.be.above(0);
      expect(seen, 'the squatter was sent nothing').to.deep.equal([]);
    } finally {
      squatter.close();
      rmSync(data, { recursive: true, force: true });
    }
  });
});

describe('security s37: the failure bound keeps long user names as their hash', () => {
  it('bounds each key, and still counts a 16 kB name\'s failures as that name\'s alone', () => {
    const long = `talent\0${'ạ'.repeat(8_000)}`;
    expect(boundedKey(long).length).to.be.below(80);
    expect(boundedKey('talent\0admin-1234')).to.equal('talent\0admin-1234');
    const bound = new AuthFailureBound({ failureWindowMs: 60_000, failuresPerUser: 3, failuresPerAddress: 100 });
    for (let i = 0; i < 3; i++) bound.failed(`203.0.113.${i}`, long);
    expect(bound.refuses('198.51.100.7', false, long), 'the guessed name refused from anywhere').to.equal(true);
    expect(bound.refuses('198.51.100.7', false, `${long}x`), 'another long name sharing its start').to.equal(false);
  });
});

describe('security s37: a backup\'s links are refused, not followed', () => {
  let dir: string;
  let outside: string;
  const KEY = 'cd'.repeat(16);
  const SECRET = Buffer.from('root:$6$not-a-real-hash:19000:0:99999:7:::\n');
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'talent-sec37-backup-'));
    outside = mkdtempSync(path.join(tmpdir(), 'talent-sec37-outside-'));
    writeFileSync(path.join(outside, 'shadow'), SECRET);
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  /** A manifest whose own hash matches: written by whoever could write the backup. */
  const manifest = (): Manifest => ({
    format: FORMAT,
    version: FORMAT_VERSION,
    createdAt: new Date().toISOString(),
    database: { source: 'embedded', consistency: 'point-in-time', takenAt: new Date().toISOString(), appDatabase: 'talent' },
    uploads: { storage: 'disk' },
    encryption: { keyIds: [] },
    counts: { collections: 0, documents: 0, files: 1, bytes: SECRET.length },
    entries: [{ kind: 'upload', path: uploadPath(KEY), key: KEY, bytes: SECRET.length, sha256: sha256Hex(SECRET) }],
  });

  it('refuses an uploaded file that is a link to a file of the host', async () => {
    mkdirSync(path.join(dir, 'db'));
    mkdirSync(path.join(dir, 'files', KEY.slice(0, 2)), { recursive: true });
    symlinkSync(path.join(outside, 'shadow'), path.join(dir, uploadPath(KEY)));
    await writeManifest(dir, manifest());
    const v = await verifyBackup(dir);
    expect(v.ok).to.equal(false);
    expect(v.ok ? [] : v.problems).to.deep.equal([`refused: ${uploadPath(KEY)} is a link, or lies in a linked folder, not a file of the backup`]);
  });

  it('refuses a file in a folder of the backup that is a link', async () => {
    mkdirSync(path.join(dir, 'files'), { recursive: true });
    writeFileSync(path.join(outside, KEY), SECRET);
    symlinkSync(outside, path.join(dir, 'files', KEY.slice(0, 2)));
    await writeManifest(dir, manifest());
    const v = await verifyBackup(dir);
    expect(v.ok ? [] : v.problems).to.deep.equal([`refused: ${uploadPath(KEY)} is a link, or lies in a linked folder, not a file of the backup`]);
  });

  it('still verifies the same backup with the file itself in it', async () => {
    mkdirSync(path.join(dir, 'files', KEY.slice(0, 2)), { recursive: true });
    writeFileSync(path.join(dir, uploadPath(KEY)), SECRET);
    await writeManifest(dir, manifest());
    expect((await verifyBackup(dir)).ok).to.equal(true);
  });
});

describe('security s37: the file transport never writes through a link', () => {
  let dir: string;
  let umask: number;
  const mail = { to: 'someone@example.test', subject: 'Đặt lại mật khẩu', text: 'https://talent.test/password/reset/secret-token', html: '<p>reset</p>', language: 'vi' as const, messageId: 'account-reset-42' };
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'talent-sec37-mail-'));
    umask = process.umask(0);
  });
  afterEach(() => {
    process.umask(umask);
    rmSync(dir, { recursive: true, force: true });
  });

  it('replaces a link planted under the temporary or the final name, writes 0600 into a 0700 folder, leaves the link\'s target untouched', async () => {
    const mailDir = path.join(dir, 'mail');
    const victim = path.join(dir, 'victim.txt');
    writeFileSync(victim, 'untouched\n', { mode: 0o666 });
    const name = 'account-reset-42@talent.local.eml';
    // The folder made by another account beforehand is not ours to test; ours is made by the send.
    const first = await createMailer({ mailDir, from: 'Talent <noreply@talent.local>' }).send({ ...mail, messageId: 'warm-up' });
    expect(statSync(mailDir).mode & 0o777, 'the mail folder').to.equal(0o700);
    expect(statSync(first.file!).mode & 0o777, 'a message').to.equal(0o600);
    symlinkSync(victim, path.join(mailDir, `${name}.tmp`));
    const sent = await createMailer({ mailDir, from: 'Talent <noreply@talent.local>' }).send(mail);
    expect(readFileSync(victim, 'utf8'), 'the temporary name\'s link target').to.equal('untouched\n');
    expect(lstatSync(sent.file!).isFile()).to.equal(true);
    expect(readFileSync(sent.file!, 'utf8')).to.include('secret-token');
    expect(statSync(sent.file!).mode & 0o777).to.equal(0o600);
    // A link under the final name is not a written message.
    const other = 'account-reset-43@talent.local.eml';
    symlinkSync(victim, path.join(mailDir, other));
    const again = await createMailer({ mailDir, from: 'Talent <noreply@talent.local>' }).send({ ...mail, messageId: 'account-reset-43' });
    expect(lstatSync(again.file!).isFile(), 'written, not taken as sent').to.equal(true);
    expect(readFileSync(victim, 'utf8')).to.equal('untouched\n');
    expect(existsSync(path.join(mailDir, `${name}.tmp`))).to.equal(false);
  });
});

describe('security s37: outside reviewers and the leader\'s pending decision, over HTTP', function () {
  this.timeout(120_000);
  let t: TestApp;
  let w: World;
  let uploadDir: string;

  async function storeDocument(c: CaseDoc, type: 'cv' | 'degree', over: Record<string, unknown>): Promise<string> {
    const tmp = path.join(uploadDir, '.tmp', randomBytes(8).toString('hex'));
    await mkdir(path.dirname(tmp), { recursive: true });
    await writeFile(tmp, PDF, { mode: 0o600 });
    const key = newStorageKey();
    const sha256 = createHash('sha256').update(PDF).digest('hex');
    await createStorage(t.config).put(tmp, key, { contentType: 'application/pdf', sha256 });
    const d = await CaseDocument.create({ case: c._id, type, slot: 0, version: 1, current: true, storage: 'disk', storageKey: key, originalName: `${type}.pdf`, mimeType: 'application/pdf', size: PDF.length, sha256, uploadedBy: c.applicant, status: 'accepted', ...over });
    return String(d._id);
  }

  before(async () => {
    uploadDir = path.resolve(`data/test/uploads-sec37-${process.pid}`);
    t = await startTestApp({ env: { UPLOAD_DIR: uploadDir } });
    w = await makeWorld();
  });
  after(async () => {
    await t?.close();
    await rm(uploadDir, { recursive: true, force: true });
  });

  it('gives an outside reviewer the evaluation documents the shortlist lists, not an earlier CV nor a rejected file, by their ids', async () => {
    const { kase } = await applicantCase(w.call, 'evaluation');
    const earlier = await storeDocument(kase, 'cv', { version: 1, current: false });
    const current = await storeDocument(kase, 'cv', { version: 2 });
    const rejected = await storeDocument(kase, 'degree', { status: 'rejected', rejectionReason: 'This is a passport, not a degree.' });
    const outside = agent(t.app);
    await signIn(outside, await createUser({ role: 'hr_officer', institute: w.otherInstituteId, panelCalls: [w.call._id] }));
    const page = await outside.get(`/shortlists/${w.call._id}/cases/${kase._id}`).set('Accept', 'text/html');
    expect(page.text).to.include(`/documents/${current}/download`).and.not.include(earlier).and.not.include(rejected);
    expect((await outside.get(`/documents/${current}/download`)).status, 'the current CV').to.equal(200);
    expect((await outside.get(`/documents/${earlier}/download`)).status, 'an earlier CV').to.equal(404);
    expect((await outside.get(`/documents/${rejected}/download`)).status, 'a rejected file').to.equal(404);
    const hr = agent(t.app);
    await signIn(hr, await createUser({ role: 'hr_officer', institute: w.instituteId }));
    for (const id of [earlier, current, rejected]) expect((await hr.get(`/documents/${id}/download`)).status, `HR: ${id}`).to.equal(200);
  });

  it('takes a pending decision only from its leader, once, with the CSRF token', async () => {
    const { kase } = await applicantCase(w.call, 'evaluation');
    await Evaluation.create({ case: kase._id, call: w.call._id, member: w.member._id, scores: { research: 4, fit: 3 }, recommendation: 'yes', submittedAt: new Date() });
    const caseUrl = `/shortlists/${w.call._id}/cases/${kase._id}`;
    const leader = agent(t.app);
    await signIn(leader, w.leader);
    const step1 = await submitForm(leader, caseUrl, { withoutScores: '1', action: 'shortlist', version: String(kase.version), reason: 'Strong publication record and a clear research plan.' }, `${caseUrl}/decision`);
    expect(step1.status, step1.text.slice(0, 300)).to.equal(303);
    const confirmUrl = String(step1.headers.location);
    const pending = /\/decision\/confirm\/([0-9a-f]{32})$/.exec(confirmUrl)![1]!;
    // Another leader of the institute, with the id (a shared link, a shoulder): nothing to confirm.
    const colleague = agent(t.app);
    await signIn(colleague, await createUser({ role: 'leader', institute: w.instituteId }));
    const seen = await colleague.get(confirmUrl).set('Accept', 'text/html');
    expect([seen.status, seen.headers.location], 'another leader\'s pending id').to.deep.equal([303, caseUrl]);
    const token = csrfFrom((await colleague.get(caseUrl).set('Accept', 'text/html')).text);
    const taken = await colleague.post(`${caseUrl}/decision/confirm`).type('form').set('Accept', 'text/html').send({ _csrf: token, pending });
    expect([taken.status, taken.headers.location]).to.deep.equal([303, caseUrl]);
    expect((await Case.findById(kase._id).lean())!.stage).to.equal('evaluation');
    // Without the token: refused whoever posts it.
    expect((await leader.post(`${caseUrl}/decision/confirm`).type('form').set('Accept', 'text/html').send({ pending })).status).to.equal(403);
    expect((await Case.findById(kase._id).lean())!.stage).to.equal('evaluation');
    // Its leader confirms; the same POST again is the case as it is, no second decision.
    const mine = csrfFrom((await leader.get(confirmUrl).set('Accept', 'text/html')).text);
    const done = await leader.post(`${caseUrl}/decision/confirm`).type('form').set('Accept', 'text/html').send({ _csrf: mine, pending });
    expect(done.status, done.text.slice(0, 300)).to.equal(303);
    const after = (await Case.findById(kase._id).lean())!;
    expect(after.stage).to.equal('shortlisted');
    const replay = await leader.post(`${caseUrl}/decision/confirm`).type('form').set('Accept', 'text/html').send({ _csrf: mine, pending });
    expect([replay.status, replay.headers.location]).to.deep.equal([303, caseUrl]);
    expect((await Case.findById(kase._id).lean())!.history.length, 'no second decision').to.equal(after.history.length);
  });
});

describe('security s37: the panel\'s daily e-mail, per institute, over real SMTP', function () {
  this.timeout(60_000);
  let w: WorkflowTestContext;
  before(async () => {
    // Monday 7 December 2026, 08:00 in Vietnam: the previous working day is Friday 4 December.
    w = await workflowContext(vn('2026-12-07T08:00:00'));
  });
  after(async () => {
    await w?.close();
  });

  it('e-mails a member on two institutes\' panels once for each, each carried by and listing only that institute\'s cases, names escaped', async () => {
    const [one, two, own] = [await createInstitute(), await createInstitute(), await createInstitute()];
    const callOne = await createCall({ institute: one, checklist: [], title: { vi: 'Hóa học xanh', en: 'Green chemistry' } });
    const callTwo = await createCall({ institute: two, checklist: [], title: { vi: 'Vật liệu pin', en: 'Battery materials' } });
    const reviewer = await createUser({ role: 'hr_officer', institute: own, locale: 'en', name: 'Dr. Ingrid Hale', panelCalls: [callOne._id, callTwo._id] });
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const hostile = '<img src=x onerror=alert(1)> Mallory';
    const a = await createCase({ applicant, call: callOne, stage: 'evaluation', stageEnteredAt: vn('2026-12-04T10:00:00'), profile: { fullName: hostile } });
    const b = await createCase({ applicant, call: callTwo, stage: 'evaluation', stageEnteredAt: vn('2026-12-04T11:00:00'), profile: { fullName: 'Bettina Second-Institute' } });
    const r = await runReminders(w.ctx, w.clock.now);
    expect(r.panelDigests).to.equal(2);
    expect((await runReminders(w.ctx, new Date(w.clock.now.getTime() + 3_600_000))).panelDigests, 'once a day each').to.equal(0);
    await dispatchOnce(w.ctx, { owner: 'test', caseIds: [a._id, b._id] });
    await w.smtp.waitFor((m) => w.smtp.to(reviewer.email).length >= 2 && !!m);
    const mails = w.smtp.to(reviewer.email);
    expect(mails).to.have.length(2);
    const ofOne = mails.find((m) => m.text.includes(a.reference))!;
    const ofTwo = mails.find((m) => m.text.includes(b.reference))!;
    expect(ofOne.text).not.to.include(b.reference).and.not.include('Bettina');
    expect(ofTwo.text).not.to.include(a.reference).and.not.include('Mallory');
    expect(ofOne.html).not.to.include('<img src=x').and.include('&lt;img src=x');
    expect(ofOne.subject).to.equal('1 new candidate waits for your scorecard');
    // Carried by a case of the institute whose candidates it lists: that institute's HR reads it in the mail log.
    for (const [c, other] of [[a, b], [b, a]] as const) {
      const carried = (await Case.findById(c._id).lean())!.outbox ?? [];
      const digest = carried.filter((o) => String(o.key).startsWith('panel-digest.'));
      expect(digest, c.reference).to.have.length(1);
      expect(JSON.stringify(digest[0]), c.reference).not.to.include(other.reference);
    }
    // The mail log's rows (what each institute's HR reads): each the carrier's institute's, naming only its candidates.
    const rows = await MailLog.find({ template: 'panel_digest', to: reviewer.email.toLowerCase() }).select('+sentText').lean();
    expect(rows).to.have.length(2);
    for (const row of rows) {
      const [mine, theirs] = String(row.institute) === String(one._id) ? [a, b] : [b, a];
      expect(String(row.institute), mine.reference).to.equal(String(mine.institute));
      expect(String(row.sentText), mine.reference).to.include(mine.reference).and.not.include(theirs.reference);
    }
  });
});
