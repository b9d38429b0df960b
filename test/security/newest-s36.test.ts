// Security review s36 of session 35's code, as an attacker, an insider and a privacy officer (the
// embedded server's part is in test/embedded-mongo/auth-bound-s36.test.ts). Each test's name says
// what was tried and what was found; FIXED ones fail before their fix, the others say why they held.
// - the upload's hash tail (server/http/upload-engine.ts: the hash thread told every 1 MB within 5 MB
//   of the request's declared end): a chunked body (no length), a length beside chunked encoding, a
//   length longer than the body sent. Sound: the declared length only sets how often the thread is
//   told (one message a MB of the file at most, the file bounded by its item's limit); the digest is
//   read from the bytes on disk (progress(out.bytesWritten)); Node's parser refuses a body whose
//   framing disagrees; a cut-short request leaves nothing on disk or in GridFS;
// - the HR queue sorted by score placed rows by the score it hid (FIXED): a panel member who had not
//   scored read the panel's ranking, and bounds ("above the 3.90 I gave");
// - a declared conflict's reason was read by panel members of other institutes (FIXED: readReasons);
// - the case and compare pages counted out a removed member's conflict twice in "N of M" (FIXED, wording);
// - erasure: a colleague's @mention kept 400 characters of the internal note about the applicant
//   (FIXED), and the events a case itself still carried went with it (FIXED, as for its documents);
// - the steering report's counts of blind decisions and closed scorings: scoped by the dashboard's
//   filter (a leader's own institute whatever is asked; another institute's call 403), the period read
//   by the dashboard's own schema (hostile values refused or ignored). Sound.
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent, type Agent } from '../support/http.ts';
import { createInstitute, createUser, signIn, uniqueSuffix } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { CaseDocument } from '../../models/document.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import { Mention } from '../../models/mention.ts';
import { MailLog } from '../../models/mail-log.ts';
import { Evaluation } from '../../models/evaluation.ts';
import { PanelConflict } from '../../models/panel-conflict.ts';
import { User, type UserDoc } from '../../models/user.ts';
import { createStorage } from '../../server/documents/storage.ts';
import { runRetention } from '../../server/privacy/index.ts';
import { caseAudit } from '../../server/cases/pending-audit.ts';
import { systemContext } from '../../server/context.ts';
import { cookieHeader, filesUnder, gridFsCounts, makePdf, receiving, sha256, tokenOf, waitFor } from '../documents/support.ts';
import { signedIn, page, post } from '../applications/support.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const kind of ['disk', 'gridfs'] as const) {
  describe(`security s36: the upload's hash tail against the request's declared length (${kind})`, function () {
    this.timeout(60_000);
    let t: TestApp;
    let uploadDir: string;
    let caseDoc: CaseDoc;
    let a: Agent;
    let token: string;

    before(async () => {
      uploadDir = path.resolve(`data/test/uploads-sec36-${kind}-${process.pid}`);
      await rm(uploadDir, { recursive: true, force: true });
      t = await startTestApp({ env: { UPLOAD_STORAGE: kind, UPLOAD_DIR: uploadDir, UPLOAD_RATE_PER_HOUR: '1000' } });
      const institute = await createInstitute();
      const call = await createCall({ institute, checklist: [{ type: 'recommendation_letter', phase: 'application', required: false, multiple: true }] as never });
      const applicant = await createUser({ role: 'applicant', locale: 'en' });
      caseDoc = await createCase({ applicant, call, stage: 'screening' });
      a = agent(t.app);
      await signIn(a, applicant);
      token = await tokenOf(a);
    });
    after(async () => {
      await t?.close();
      await rm(uploadDir, { recursive: true, force: true });
    });

    const url = () => new URL(`${t.baseUrl}/cases/${caseDoc._id}/documents`);
    function multipart(file: Buffer, boundary = `----s36${Date.now()}`) {
      const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${token}\r\n--${boundary}\r\nContent-Disposition: form-data; name="recommendation_letter"; filename="letter.pdf"\r\nContent-Type: application/pdf\r\n\r\n`);
      return { boundary, body: Buffer.concat([head, file, Buffer.from(`\r\n--${boundary}--\r\n`)]) };
    }
    async function snapshot() {
      return { files: (await filesUnder(uploadDir)).sort(), docs: await CaseDocument.countDocuments({ case: caseDoc._id }), grid: await gridFsCounts() };
    }
    async function readStored(key: string): Promise<Buffer> {
      const chunks: Buffer[] = [];
      for await (const c of await createStorage(t.config).openRead(key)) chunks.push(c as Buffer);
      return Buffer.concat(chunks);
    }

    it('a chunked body (no Content-Length, every 4 MB then) is hashed byte for byte: record, audit event and stored bytes agree', async () => {
      const file = Buffer.concat([await makePdf('Chunked'), randomBytes(6_700_000)]);
      const { boundary, body } = multipart(file);
      const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.request(url(), { method: 'POST', headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}`, Cookie: cookieHeader(a), Accept: 'application/json' } });
        req.on('error', reject);
        req.on('response', (r) => {
          let text = '';
          r.on('data', (d: Buffer) => (text += d));
          r.on('end', () => resolve({ status: r.statusCode!, body: text }));
        });
        // Uneven pieces, sent as chunks (no length declared).
        for (let at = 0; at < body.length; ) {
          const n = 1 + Math.floor(Math.random() * 700_000);
          req.write(body.subarray(at, at + n));
          at += n;
        }
        req.end();
      });
      expect(res.status, res.body.slice(0, 300)).to.equal(201);
      const id = JSON.parse(res.body).documents[0].id as string;
      const d = (await CaseDocument.findById(id).lean())!;
      expect(d.sha256).to.equal(sha256(file));
      expect(d.size).to.equal(file.length);
      expect(sha256(await readStored(d.storageKey))).to.equal(sha256(file));
      const event = (await AuditEvent.findOne({ action: 'document.upload', targetId: id }).lean())!;
      expect((event.summary as { sha256: string }).sha256).to.equal(sha256(file));
      expect((await filesUnder(uploadDir)).some((f) => f.startsWith('.tmp')), 'no temporary file left').to.equal(false);
    });

    it('a Content-Length beside chunked encoding (a body longer than declared) is refused by the parser: 400, nothing kept', async () => {
      const before = await snapshot();
      const { boundary, body } = multipart(Buffer.concat([await makePdf('Smuggled'), randomBytes(2_000_000)]));
      const socket = net.connect({ host: '127.0.0.1', port: Number(url().port) });
      socket.on('error', () => undefined);
      let answer = '';
      socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
      await new Promise<void>((r) => socket.once('connect', () => r()));
      socket.write(`POST ${url().pathname} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ${cookieHeader(a)}\r\nAccept: application/json\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: 10\r\nTransfer-Encoding: chunked\r\n\r\n`);
      socket.write(`${body.length.toString(16)}\r\n`);
      socket.write(body);
      socket.write('\r\n0\r\n\r\n');
      await waitFor(async () => /^HTTP\/1\.1 \d{3}/.test(answer), 5000, 'an answer');
      socket.destroy();
      expect(answer.slice(0, 12)).to.equal('HTTP/1.1 400');
      await sleep(300);
      expect(await snapshot()).to.deep.equal(before);
    });

    it('a Content-Length longer than the body (the whole form sent, then silence, then gone): the file is not kept, in no store, no temporary file', async () => {
      const before = await snapshot();
      const file = Buffer.concat([await makePdf('Longer than sent'), randomBytes(3_000_000)]);
      const { boundary, body } = multipart(file);
      const req = http.request(url(), { method: 'POST', headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': String(body.length + 5_000_000), Cookie: cookieHeader(a), Accept: 'application/json' } });
      req.on('error', () => undefined);
      let status: number | undefined;
      req.on('response', (r) => ((status = r.statusCode), r.resume()));
      req.write(body);
      // The closing boundary is in: the part is written and hashed whole (the tail's 1 MB steps, all of it within 5 MB of the declared end)...
      // (Its temporary file; on GridFS with no scanner, its staging: no temporary file is written.)
      const inProgress = async () => {
        const r = await receiving(t.ctx, uploadDir);
        return r.tempFiles + r.stagings;
      };
      await waitFor(async () => (await inProgress()) > 0, 5000, 'the upload to be received');
      await sleep(500);
      expect(status, 'no answer before the declared body is in').to.equal(undefined);
      // ...and the client goes away before the declared length arrives.
      req.destroy();
      await waitFor(async () => (await inProgress()) === 0, 5000, 'the received file to be dropped');
      await sleep(300);
      expect(await snapshot()).to.deep.equal(before);
    });
  });
}

describe('security s36: erasure leaves no words about the applicant behind', function () {
  this.timeout(60_000);
  let t: TestApp;
  const S = uniqueSuffix().replace(/[^a-z0-9]/gi, '');

  before(async () => {
    t = await startTestApp({ env: { RETENTION_DAYS: '30' } });
  });
  after(async () => {
    await t?.close();
  });

  it("FIXED: a colleague's @mention kept 400 characters of the internal note (words about the applicant) after the case was erased; now erased with it", async () => {
    const institute = await createInstitute();
    const writer = await createUser({ role: 'hr_officer', institute, name: `Writer S36${S}`, locale: 'en' });
    await createUser({ role: 'hr_officer', institute, name: `Colleague S36${S}`, locale: 'en' });
    const call = await createCall({ institute, checklist: [] });
    const kase = await createCase({ applicant: await createUser({ role: 'applicant' }), call, stage: 'screening' });
    const words = 'Her divorce papers from Da Nang mention a second surname, Nguyen Thi Bich.';
    const w = await signedIn(t, writer);
    const p = await page(w, `/cases/${kase._id}`);
    expect((await post(w, p.text, `/cases/${kase._id}/notes`, { note: `${words} @Colleague S36${S} please check.` })).status).to.equal(303);
    const kept = await Mention.find({ case: kase._id }).lean();
    expect(kept, 'the mention was written, with its excerpt').to.have.length(1);
    expect(kept[0]!.excerpt).to.include('divorce');

    // Rejected long ago, no consent to keep: due for erasure.
    const now = new Date();
    await Case.updateOne({ _id: kase._id }, { $set: { stage: 'rejected', stageEnteredAt: new Date(now.getTime() - 60 * 86_400_000) } });
    await runRetention({ app: t.ctx, now });
    expect(await Case.exists({ _id: kase._id })).to.equal(null);
    expect(await Mention.countDocuments({ case: kase._id }), 'the mention went with the case').to.equal(0);
    expect(await Mention.countDocuments({ excerpt: /divorce/ })).to.equal(0);
    expect(await MailLog.countDocuments({ case: kase._id })).to.equal(0);
  });
});

describe('security s36: a case erased keeps the fact of its last change', function () {
  this.timeout(60_000);
  let t: TestApp;

  before(async () => {
    t = await startTestApp({ env: { RETENTION_DAYS: '30' } });
  });
  after(async () => {
    await t?.close();
  });

  it('FIXED: the events a case still carried (a change that stopped within the grace) went with it at erasure; now recorded first, as its documents\' and conflicts\' are, once', async () => {
    const institute = await createInstitute();
    const call = await createCall({ institute, checklist: [] });
    const now = new Date();
    const kase = await createCase({ applicant: await createUser({ role: 'applicant' }), call, stage: 'rejected', stageEnteredAt: new Date(now.getTime() - 60 * 86_400_000) });
    const event = caseAudit(systemContext({ now }), { action: 'case.transition', summary: { action: 'note', from: 'rejected', to: 'rejected' } });
    await Case.collection.updateOne({ _id: kase._id }, { $set: { pendingAudits: [event] } });
    await runRetention({ app: t.ctx, now });
    expect(await Case.exists({ _id: kase._id })).to.equal(null);
    const recorded = await AuditEvent.find({ _id: event.eventId }).lean();
    expect(recorded).to.have.length(1);
    expect(recorded[0]!.summary).to.include({ recordedBeforeErasure: true, to: 'rejected' });
    await runRetention({ app: t.ctx, now });
    expect(await AuditEvent.countDocuments({ _id: event.eventId })).to.equal(1);
  });
});

describe("security s36: the steering report's counts of blind decisions and closed scorings", function () {
  this.timeout(60_000);
  let t: TestApp;
  let leaderA: UserDoc;
  let admin: UserDoc;
  let instA: Awaited<ReturnType<typeof createInstitute>>;
  let instB: Awaited<ReturnType<typeof createInstitute>>;
  let callB: Awaited<ReturnType<typeof createCall>>;

  before(async () => {
    t = await startTestApp();
    instA = await createInstitute();
    instB = await createInstitute();
    const callA = await createCall({ institute: instA });
    callB = await createCall({ institute: instB });
    leaderA = await createUser({ role: 'leader', institute: instA });
    admin = await createUser({ role: 'admin' });
    const at = new Date('2026-03-10T05:00:00Z');
    const event = (inst: unknown, call: unknown, marks: Record<string, boolean>) => ({ at, action: 'case.decision', targetType: 'case', targetId: String(randomBytes(12).toString('hex')), summary: { decision: 'shortlist', reason: 'x', institute: String(inst), call: String(call), ...marks } });
    // A: 1 blind, 2 closed; B: 4 blind, 3 closed.
    await AuditEvent.insertMany([
      event(instA._id, callA._id, { blind: true }),
      event(instA._id, callA._id, { closedScoring: true }),
      event(instA._id, callA._id, { closedScoring: true }),
      ...Array.from({ length: 4 }, () => event(instB._id, callB._id, { blind: true })),
      ...Array.from({ length: 3 }, () => event(instB._id, callB._id, { closedScoring: true })),
    ]);
  });
  after(async () => {
    await t?.close();
  });

  const counts = (csv: string) => ({
    blind: /Leaders' decisions taken without the panel's scores[^,\r\n]*,(\d+)/.exec(csv)?.[1],
    closed: /Scorings closed by a leader[^\r\n]*?,(\d+)\r?\n/.exec(csv)?.[1],
  });

  it("a leader reads their own institute's counts only, whatever institute they ask for; another institute's call is refused (403)", async () => {
    const l = await signedIn(t, leaderA);
    const own = await l.get('/reports/steering.csv?lang=en&from=2026-03-01&to=2026-03-31');
    expect(own.status).to.equal(200);
    expect(counts(own.text)).to.deep.equal({ blind: '1', closed: '2' });
    const asked = await l.get(`/reports/steering.csv?lang=en&institute=${instB._id}`);
    expect(counts(asked.text), 'the institute parameter is an administrator\'s').to.deep.equal({ blind: '1', closed: '2' });
    expect((await l.get(`/reports/steering.csv?lang=en&call=${callB._id}`).set('Accept', 'application/json')).status).to.equal(403);
    const ad = await signedIn(t, admin);
    expect(counts((await ad.get(`/reports/steering.csv?lang=en&institute=${instB._id}`)).text)).to.deep.equal({ blind: '4', closed: '3' });
  });

  it('hostile period parameters (lists, operators, prototype keys, days the calendar lacks, huge texts) are refused or ignored: never a 500, never widened', async () => {
    const l = await signedIn(t, leaderA);
    const hostile = ['from[$gt]=', 'from[]=2026-01-01&from[]=2027-01-01', 'from[__proto__][x]=1', '__proto__[from]=2026-01-01', 'constructor[prototype][to]=1', 'from=2026-02-31', 'from=0000-01-01', `to=${'9'.repeat(20_000)}`, 'from=2026-03-31&to=2026-03-01', 'to=2026-03-01T00:00:00Z', `institute=${instB._id}&institute=${instB._id}`];
    for (const q of hostile) {
      const res = await l.get(`/reports/steering.csv?lang=en&${q}`).set('Accept', 'text/csv');
      expect(res.status, q).to.be.oneOf([200, 400, 413, 414, 422, 431]);
      if (res.status === 200) {
        const c = counts(res.text);
        expect(Number(c.blind), q).to.be.at.most(1);
        expect(Number(c.closed), q).to.be.at.most(2);
      }
    }
    // A period without the events counts none.
    expect(counts((await l.get('/reports/steering.csv?lang=en&from=2026-04-01&to=2026-04-30')).text)).to.deep.equal({ blind: '0', closed: '0' });
  });
});

describe('security s36: the HR queue sorted by score under the hidden-scores rule', function () {
  this.timeout(60_000);
  let t: TestApp;

  before(async () => {
    t = await startTestApp();
  });
  after(async () => {
    await t?.close();
  });

  /** The cases' ids in the order the page lists them. */
  const order = (html: string) => [...html.matchAll(/<tr data-case="([a-f0-9]{24})"/g)].map((m) => m[1]!);

  it('FIXED: a member who has not scored read the panel\'s ranking from the order of hidden rows (sort=score placed them by the score it hid); now they come after the rows they may rank, in reference order', async () => {
    const institute = await createInstitute();
    const call = await createCall({ institute, checklist: [] });
    const leader = await createUser({ role: 'leader', institute });
    const outsider = await createUser({ role: 'hr_officer', panelCalls: [call._id] });
    const hr = await createUser({ role: 'hr_officer', institute });
    const applicant = await createUser({ role: 'applicant' });
    // Created in this order (references ascending); scores deliberately out of that order.
    const scores = [1.25, 4.75, 2.5, 3.9, 0.5];
    const cases: CaseDoc[] = [];
    for (const score of scores) cases.push(await createCase({ applicant, call, stage: 'evaluation', score } as never));
    const byReference = [...cases].sort((x, y) => (x.reference < y.reference ? -1 : 1)).map((c) => String(c._id));
    const byScore = [...cases].sort((x, y) => (y.score as number) - (x.score as number)).map((c) => String(c._id));
    expect(byReference).not.to.deep.equal(byScore);
    const url = `/cases?call=${String(call._id)}&sort=score&size=100`;

    expect(order((await page(await signedIn(t, leader), url)).text)).to.deep.equal(byReference);
    // An outside reviewer (another institute's staff on the panel) is not shown HR's queue at all
    // (walkfix s36): the shortlist is where they score.
    expect(order((await page(await signedIn(t, outsider), url)).text)).to.deep.equal([]);
    // An HR officer who does not score sees the scores, and the ranking.
    expect(order((await page(await signedIn(t, hr), url)).text)).to.deep.equal(byScore);

    // The leader scores one (3.9): it is ranked; the rest stay after it, in reference order.
    const scored = cases[3]!;
    await Evaluation.create({ case: scored._id, call: call._id, member: leader._id, scores: {}, recommendation: 'yes', submittedAt: new Date() });
    const rest = byReference.filter((id) => id !== String(scored._id));
    expect(order((await page(await signedIn(t, leader), url)).text)).to.deep.equal([String(scored._id), ...rest]);
  });

  it('across pages: the ranked rows, then the hidden ones, each once; a case past the panel or held after it is ranked as before', async () => {
    const institute = await createInstitute();
    const call = await createCall({ institute, checklist: [] });
    const leader = await createUser({ role: 'leader', institute });
    const applicant = await createUser({ role: 'applicant' });
    const cases: CaseDoc[] = [];
    for (let i = 0; i < 28; i++) cases.push(await createCase({ applicant, call, stage: 'evaluation', score: ((i * 7) % 50) / 10 } as never));
    const shortlisted = await createCase({ applicant, call, stage: 'shortlisted', score: 4.95 } as never);
    const heldAfter = await createCase({ applicant, call, stage: 'on_hold', resumeStage: 'shortlisted', score: 0.05 } as never);
    const heldFrom = await createCase({ applicant, call, stage: 'on_hold', resumeStage: 'evaluation', score: 4.99 } as never);
    // Held after reaching the panel (`reached` is derived from the history, which these cases do not carry).
    await Case.collection.updateMany({ _id: { $in: [heldAfter._id, heldFrom._id] } }, { $set: { reached: ['submitted', 'screening', 'evaluation'] } });
    for (const c of [cases[5]!, cases[17]!]) await Evaluation.create({ case: c._id, call: call._id, member: leader._id, scores: {}, recommendation: 'yes', submittedAt: new Date() });
    const ranked = [shortlisted, cases[5]!, cases[17]!, heldAfter].sort((x, y) => (y.score as number) - (x.score as number)).map((c) => String(c._id));
    const hidden = [...cases.filter((c) => c !== cases[5] && c !== cases[17]), heldFrom].sort((x, y) => (x.reference < y.reference ? -1 : 1)).map((c) => String(c._id));
    const l = await signedIn(t, leader);
    const url = (n: number) => `/cases?call=${String(call._id)}&sort=score&size=25&page=${n}`;
    const paged = [...order((await page(l, url(1))).text), ...order((await page(l, url(2))).text)];
    expect(paged).to.deep.equal([...ranked, ...hidden]);
  });
});

describe("security s36: a declared conflict's reason on the panel's case page", function () {
  this.timeout(60_000);
  let t: TestApp;

  before(async () => {
    t = await startTestApp();
  });
  after(async () => {
    await t?.close();
  });

  it("FIXED: a panel member from another institute read a leader's words about their tie to the candidate; now who declared and when, not why (the institute's staff, and the author, still read it)", async () => {
    const institute = await createInstitute();
    const call = await createCall({ institute, checklist: [] });
    const leader = await createUser({ role: 'leader', institute, name: `Leader S36 ${uniqueSuffix()}` });
    const outsider = await createUser({ role: 'hr_officer', panelCalls: [call._id], name: `Outside Reviewer ${uniqueSuffix()}` });
    const insider = await createUser({ role: 'hr_officer', institute, panelCalls: [call._id] });
    const kase = await createCase({ applicant: await createUser({ role: 'applicant' }), call, stage: 'evaluation' });
    const leaderWords = 'She is the daughter of my late brother-in-law in Hai Phong.';
    const outsiderWords = 'I examined her master thesis at Hanoi University of Science.';
    await PanelConflict.create({ case: kase._id, call: call._id, member: leader._id, reason: leaderWords, declaredAt: new Date() });
    await PanelConflict.create({ case: kase._id, call: call._id, member: outsider._id, reason: outsiderWords, declaredAt: new Date() });
    const url = `/shortlists/${String(call._id)}/cases/${String(kase._id)}`;
    const conflictsOn = async (u: UserDoc) => {
      const res = await page(await signedIn(t, u), url);
      expect(res.status, u.role).to.equal(200);
      return /<div id="panel-conflicts">([\s\S]*?)<\/div>/.exec(res.text)?.[1] ?? '';
    };
    const outside = await conflictsOn(outsider);
    expect(outside).to.include(leader.name).and.include('2 panel members declared');
    expect(outside, "another's words").not.to.include('brother-in-law');
    expect(outside, 'their own words').to.include('master thesis');
    for (const u of [insider, leader]) {
      const inside = await conflictsOn(u);
      expect(inside).to.include('brother-in-law').and.include('master thesis');
    }
  });
});

describe("security s36: 'N of M panel members' on every page alike, with a conflicted member gone from the panel", function () {
  this.timeout(60_000);
  let t: TestApp;

  before(async () => {
    t = await startTestApp();
  });
  after(async () => {
    await t?.close();
  });

  it("FIXED: the case page and the compare page counted out the conflict of a member no longer on the panel (\"1 of 1\" where the shortlist, the queue and the minimum say \"1 of 2\")", async () => {
    const institute = await createInstitute();
    const leader = await createUser({ role: 'leader', institute });
    const call = await createCall({ institute, minScorecards: 3 });
    const a = await createUser({ role: 'hr_officer', institute, panelCalls: [call._id] });
    const b = await createUser({ role: 'hr_officer', institute, panelCalls: [call._id] });
    const applicant = await createUser({ role: 'applicant' });
    const kase = await createCase({ applicant, call, stage: 'evaluation', score: 4 } as never);
    const other = await createCase({ applicant, call, stage: 'evaluation' });
    await PanelConflict.create({ case: kase._id, call: call._id, member: a._id, reason: 'My former doctoral student.', declaredAt: new Date() });
    // The conflicted member leaves the panel: the leader and b can score it.
    await User.updateOne({ _id: a._id }, { $pull: { panelCalls: call._id } });
    await Evaluation.create({ case: kase._id, call: call._id, member: leader._id, scores: {}, recommendation: 'yes', submittedAt: new Date() });
    const bAgent = await signedIn(t, b);
    const words = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
    const caseText = words((await page(bAgent, `/shortlists/${String(call._id)}/cases/${String(kase._id)}`)).text);
    const compareText = words((await page(bAgent, `/shortlists/${String(call._id)}/compare?ids=${String(kase._id)},${String(other._id)}`)).text);
    const listText = words((await page(bAgent, `/shortlists/${String(call._id)}`)).text);
    const queueText = words((await page(bAgent, `/cases?call=${String(call._id)}`)).text);
    expect(listText).to.include('1 of 2 panel members have scored');
    expect(queueText).to.include('1 of 2 panel members have scored');
    expect(caseText).to.include('1 of 2 panel members have scored');
    expect(compareText).to.include('1 of 2 panel members have scored');
  });
});
