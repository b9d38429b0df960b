// Session 31's changes as an attacker uses them (review of session 32): the embedded server's framing
// (framing.ts: sockets reading straight into each message's buffer; pieces before authentication),
// seen from a client without credentials. Real TCP against the embedded server with authentication on.
import { expect } from 'chai';
import net from 'node:net';
import { MongoClient } from 'mongodb';
import { MessageReader, PRE_AUTH_MAX_BYTES, PRE_AUTH_PIECE_BYTES, PRE_AUTH_SCRATCH_BYTES } from '../../embedded-mongo/src/framing.ts';
import { startEmbeddedMongo, type EmbeddedMongo } from '../../embedded-mongo/src/index.ts';
import { encodeMsg } from '../../embedded-mongo/src/wire.ts';
import http from 'node:http';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import mongoose from 'mongoose';
import type { TestApp } from '../support/app.ts';
import { useTestApp, useUploadTestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import type { Agent } from '../support/http.ts';
import { signedIn, page, post, versionIn } from '../applications/support.ts';
import { onboardingCase, procedureWorld, snapshot, vn } from '../procedures/support.ts';
import type { UserDoc } from '../../models/user.ts';
import { Case } from '../../models/case.ts';
import { Evaluation } from '../../models/evaluation.ts';
import { transition } from '../../server/workflow/index.ts';
import { actorContext } from '../workflow/context.ts';
import { addNote, postMessage } from '../../server/cases/commands.ts';
import { createFeedToken } from '../../server/calendar-feed/service.ts';
import { cookieHeader, download, gridFsCounts, makePdf, sha256, tokenOf, waitFor } from '../documents/support.ts';
import { CaseDocument } from '../../models/document.ts';
import type { CallDoc } from '../../models/call.ts';
import type { InstituteDoc } from '../../models/institute.ts';
import { seedHolidays, vnEndOfDay } from '../../server/calendar/index.ts';
import { documentStores } from '../../server/documents/stores.ts';
import type { GridFsStorage } from '../../server/documents/storage.ts';

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

describe('security (s32): GridFS staging slots and reused chunk buffers under concurrent and refused uploads', function () {
  this.timeout(180_000);
  let t!: TestApp;
  let uploadDir = '';
  useUploadTestApp('s32-gridfs', (app, dir) => {
    t = app;
    uploadDir = dir;
  }, { UPLOAD_STORAGE: 'gridfs' });
  let institute: InstituteDoc;
  let call: CallDoc;

  before(async () => {
    await seedHolidays();
    institute = await createInstitute();
    call = await createCall({ institute, checklist: [{ type: 'cv', phase: 'application', required: true, multiple: true, maxMb: 2 }] as never });
  });

  const store = () => documentStores(t.ctx).current as GridFsStorage;
  const tempFiles = async () => (await readdir(path.join(uploadDir, '.tmp')).catch(() => [] as string[])).filter((f) => f.endsWith('.part'));

  /** A PDF whose every byte past its header is `fill`: a chunk of another file inside it shows. */
  async function filledPdf(fill: number, size: number): Promise<Buffer> {
    const head = await makePdf(`Curriculum vitae ${fill}`);
    const pad = Buffer.alloc(size - head.length, fill);
    pad[0] = 0x25; // '%': a comment after %%EOF
    pad[pad.length - 1] = 0x0a;
    return Buffer.concat([head, pad]);
  }

  /**
   * Sends a multipart body by hand: `parts` in order, the bytes written in pieces of `step` with a pause
   * of `pauseMs` between them, cut (the connection destroyed) after `cutAt` bytes if given.
   */
  function send(a: Agent, caseId: unknown, parts: Array<{ name: string; filename?: string; body: Buffer | string }>, opts: { step?: number; pauseMs?: number; cutAt?: number } = {}): Promise<{ status?: number; body: string }> {
    const boundary = `----s32${Math.random().toString(16).slice(2)}`;
    const bytes = Buffer.concat([
      ...parts.flatMap((p) => [
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"${p.filename ? `; filename="${p.filename}"\r\nContent-Type: application/pdf` : ''}\r\n\r\n`),
        Buffer.isBuffer(p.body) ? p.body : Buffer.from(p.body),
        Buffer.from('\r\n'),
      ]),
      Buffer.from(`--${boundary}--\r\n`),
    ]);
    const url = new URL(`${t.baseUrl}/cases/${String(caseId)}/documents`);
    return new Promise((resolve) => {
      const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { cookie: cookieHeader(a), 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(bytes.length), accept: 'application/json' } });
      req.on('error', () => resolve({ body: '' }));
      req.on('response', (res) => {
        const got: Buffer[] = [];
        res.on('data', (d: Buffer) => got.push(d));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(got).toString('utf8') }));
      });
      const end = opts.cutAt ?? bytes.length;
      const step = opts.step ?? bytes.length;
      let off = 0;
      const next = () => {
        if (off >= end) {
          if (opts.cutAt !== undefined) setTimeout(() => req.destroy(), 100);
          else req.end();
          return;
        }
        const n = Math.min(step, end - off);
        const ok = req.write(bytes.subarray(off, off + n));
        off += n;
        const go = () => setTimeout(next, opts.pauseMs ?? 0);
        if (ok) go();
        else req.once('drain', go);
      };
      next();
    });
  }

  async function applicantWithCase() {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await createCase({ applicant, call, stage: 'screening' });
    const ap = await signedIn(t, applicant);
    return { c, ap, token: await tokenOf(ap) };
  }

  it("concurrent uploads of different applicants, fast, slow and cut among them, each store exactly their own bytes (sha256 of the download and of every stored chunk)", async () => {
    const people = await Promise.all([...Array(14).keys()].map(() => applicantWithCase()));
    const files = await Promise.all(people.map((_, i) => filledPdf(0x41 + i, 800_000 + i * 97_003)));
    const before = await gridFsCounts();
    // Twelve stored (a third slow, in small pieces), two cut mid-body while the others run: the cut
    // ones' chunk buffers are dropped while the others' inserts are in flight.
    // The live stagings sampled meanwhile: the count read below is the app's own store's (it was not: s33).
    let mostLive = 0;
    const sampler = setInterval(() => (mostLive = Math.max(mostLive, store().stagingsLive)), 5);
    const results = await Promise.all(
      people.map((p, i) =>
        send(p.ap, p.c._id, [{ name: '_csrf', body: p.token }, { name: 'cv', filename: `cv-${i}.pdf`, body: files[i]! }], i >= 12 ? { step: 64_000, pauseMs: 2, cutAt: 900_000 } : i % 3 === 0 ? { step: 40_000, pauseMs: 3 } : {}),
      ),
    );
    clearInterval(sampler);
    expect(results.slice(0, 12).map((r) => r.status), results.map((r) => r.body.slice(0, 120)).join('\n')).to.deep.equal(people.slice(0, 12).map(() => 201));
    expect(mostLive, 'uploads staged in the store this test reads').to.be.greaterThan(1);
    const db = mongoose.connection.db!;
    for (const [i, p] of people.slice(0, 12).entries()) {
      const doc = (await CaseDocument.findOne({ case: p.c._id }).lean())!;
      expect(doc.sha256, `applicant ${i}`).to.equal(sha256(files[i]!));
      const got = await download(p.ap, `/documents/${String(doc._id)}/download`);
      expect(sha256(got.body as Buffer), `download ${i}`).to.equal(sha256(files[i]!));
      // The chunks themselves, in order: each the bytes of this file at its place, nothing else.
      const meta = (await db.collection('documents.files').findOne({ filename: doc.storageKey }))!;
      const chunks = await db.collection('documents.chunks').find({ files_id: meta._id }).sort({ n: 1 }).toArray();
      const joined = Buffer.concat(chunks.map((c) => Buffer.from((c.data as { buffer: Uint8Array }).buffer)));
      expect(sha256(joined), `chunks of ${i}`).to.equal(sha256(files[i]!));
    }
    await waitFor(async () => store().stagingsLive === 0 && (await tempFiles()).length === 0, 10_000, 'stagings settled').catch(() => undefined);
    expect(store().stagingsLive, 'live stagings once every request ended').to.equal(0);
    expect(await tempFiles()).to.deep.equal([]);
    expect((await gridFsCounts()).files).to.equal(before.files + 12);
  });

  it('every refused upload gives its staging slot back: too many files, a field too long or hostile after the file, a file too large, a refused type after a good file, a cut body', async () => {
    const { c, ap, token } = await applicantWithCase();
    const good = await filledPdf(0x61, 800_000);
    const before = await gridFsCounts();
    const tries: Array<{ what: string; parts: Array<{ name: string; filename?: string; body: Buffer | string }>; cutAt?: number }> = [
      { what: 'too many files', parts: [{ name: '_csrf', body: token }, ...[...Array(11).keys()].map((i) => ({ name: 'cv', filename: `cv${i}.pdf`, body: good }))] },
      { what: 'field too long after the file', parts: [{ name: '_csrf', body: token }, { name: 'cv', filename: 'cv.pdf', body: good }, { name: 'returnTo', body: 'x'.repeat(5000) }] },
      { what: 'operator field after the file', parts: [{ name: '_csrf', body: token }, { name: 'cv', filename: 'cv.pdf', body: good }, { name: '$where', body: '1' }] },
      { what: 'prototype field after the file', parts: [{ name: '_csrf', body: token }, { name: 'cv', filename: 'cv.pdf', body: good }, { name: '__proto__', body: '1' }] },
      { what: 'unknown file field after a good file', parts: [{ name: '_csrf', body: token }, { name: 'cv', filename: 'cv.pdf', body: good }, { name: 'passport', filename: 'p.pdf', body: good }] },
      { what: 'a refused type after a good file', parts: [{ name: '_csrf', body: token }, { name: 'cv', filename: 'cv.pdf', body: good }, { name: 'cv', filename: 'cv2.pdf', body: Buffer.from('<html><script>alert(1)</script></html>'.repeat(200)) }] },
      { what: 'a file too large after a good one', parts: [{ name: '_csrf', body: token }, { name: 'cv', filename: 'cv.pdf', body: good }, { name: 'cv', filename: 'big.pdf', body: await filledPdf(0x62, 2_500_000) }] },
      { what: 'too many fields after the file', parts: [{ name: '_csrf', body: token }, { name: 'cv', filename: 'cv.pdf', body: good }, ...[...Array(70).keys()].map((i) => ({ name: `f${i}`, body: 'x' }))] },
      { what: 'a body cut after a whole file', parts: [{ name: '_csrf', body: token }, { name: 'cv', filename: 'cv.pdf', body: good }, { name: 'cv', filename: 'cv2.pdf', body: good }], cutAt: 1_200_000 },
    ];
    const statuses: Record<string, number | undefined> = {};
    // Each kind more times than there are slots: a slot kept by any of them would run the store out.
    for (let round = 0; round < 2; round++) {
      for (const x of tries) {
        const r = await send(ap, c._id, x.parts, x.cutAt ? { cutAt: x.cutAt, step: 100_000, pauseMs: 2 } : {});
        statuses[x.what] = r.status;
      }
    }
    expect(statuses).to.deep.equal({
      'too many files': 413,
      'field too long after the file': 413,
      'operator field after the file': 400,
      'prototype field after the file': 400,
      'unknown file field after a good file': 422,
      'a refused type after a good file': 415,
      'a file too large after a good one': 413,
      'too many fields after the file': 413,
      'a body cut after a whole file': undefined,
    });
    await waitFor(async () => store().stagingsLive === 0 && (await gridFsCounts()).chunks === before.chunks && (await tempFiles()).length === 0, 10_000, 'slots back').catch(() => undefined);
    expect(store().stagingsLive, JSON.stringify(statuses)).to.equal(0);
    expect(await gridFsCounts()).to.deep.equal(before);
    expect(await tempFiles()).to.deep.equal([]);
    expect(await CaseDocument.countDocuments({ case: c._id })).to.equal(0);
  });
});

// trust-fix #1 as an outside panel member meets it: every page and file they may open, with HR's
// notes, HR's messages to the applicant, HR's own reasons and the leaders' reasons and told words on
// the case. Real accounts (a leader and an HR officer of another institute on the call's panel).
describe('security (s32): no written reason or HR text reaches a panel member from another institute', function () {
  this.timeout(120_000);
  let t!: TestApp;
  useTestApp((app) => (t = app));

  it('case page (HTML and JSON), shortlist, its case and compare pages, queue search, dashboard, home, reports (HTML, CSV), calendar feed, mail log, audit log: none says them', async () => {
    await seedHolidays();
    const institute = await createInstitute();
    const hr = await createUser({ role: 'hr_officer', institute, name: 'Home Officer', locale: 'en' });
    const leader = await createUser({ role: 'leader', institute, name: 'Home Leader', locale: 'en' });
    const call = await createCall({ institute, checklist: [] });
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const other = await createUser({ role: 'applicant', locale: 'en' });
    let c = (await Case.findById((await createCase({ applicant, call, stage: 'screening', assignee: hr }))._id))!;
    const c2 = await createCase({ applicant: other, call, stage: 'evaluation' });
    const hrCtx = actorContext(t.ctx, hr);
    await addNote({ app: t.ctx, ctx: hrCtx, caseDoc: c, text: 'HRNOTESECRET salary band above the grid.' });
    c = (await Case.findById(c._id))!;
    await postMessage({ app: t.ctx, ctx: hrCtx, caseDoc: c, text: 'HRMESSAGESECRET we can raise the offer.' });
    c = (await Case.findById(c._id))!;
    c = await transition({ app: t.ctx, ctx: hrCtx, caseId: c._id, action: 'send_to_evaluation', expectedVersion: c.version, payload: { note: 'HRSENDNOTESECRET strong file.' } });
    const outsideLeader = await createUser({ role: 'leader', locale: 'en', name: 'Visiting Leader', panelCalls: [call._id] });
    const outsideHr = await createUser({ role: 'hr_officer', locale: 'vi', name: 'Visiting Officer', panelCalls: [call._id] });
    for (const m of [outsideLeader, outsideHr]) await Evaluation.create({ case: c._id, call: call._id, member: m._id, recommendation: 'yes', comment: 'My own comment.', submittedAt: new Date() });
    c = await transition({ app: t.ctx, ctx: actorContext(t.ctx, leader), caseId: c._id, action: 'shortlist', expectedVersion: c.version, payload: { note: 'LEADERSHORTLISTSECRET lab plan.' }, asDecision: true });
    c = await transition({ app: t.ctx, ctx: actorContext(t.ctx, leader), caseId: c._id, action: 'reject', expectedVersion: c.version, payload: { reason: 'LEADERREJECTSECRET one post only.', toldReason: 'LEADERTOLDSECRET another candidate.' }, asDecision: true });
    const secrets = ['HRNOTESECRET', 'HRMESSAGESECRET', 'HRSENDNOTESECRET', 'LEADERSHORTLISTSECRET', 'LEADERREJECTSECRET', 'LEADERTOLDSECRET'];
    const tails = ['salary band above the grid', 'we can raise the offer', 'strong file', 'lab plan', 'one post only', 'another candidate'];
    // The home institute's officer reads them (so the pages below are the ones that would show them).
    const home = await page(await signedIn(t, hr), `/cases/${c._id}`);
    for (const s of secrets) expect(home.text, `HR reads ${s}`).to.include(s);

    for (const who of [outsideLeader, outsideHr]) {
      const a = await signedIn(t, who);
      const feed = await createFeedToken({ ctx: actorContext(t.ctx, who) });
      const urls = [
        `/cases/${c._id}`,
        `/shortlists`,
        `/shortlists/${call._id}`,
        `/shortlists/${call._id}?status=rejected`,
        `/shortlists/${call._id}/cases/${c._id}`,
        `/shortlists/${call._id}/compare?ids=${c._id},${c2._id}`,
        `/cases`,
        ...secrets.map((s) => `/cases?q=${s}`),
        `/dashboard`,
        `/`,
        `/reports/steering`,
        `/reports/steering.csv`,
        feed.path,
        `/mail-log`,
        `/admin/audit`,
      ];
      const seen: string[] = [];
      for (const url of urls) {
        for (const accept of ['text/html', 'application/json']) {
          const res = await a.get(url).set('Accept', accept).buffer(true).parse((r, cb) => {
            const parts: Buffer[] = [];
            r.on('data', (d: Buffer) => parts.push(d));
            r.on('end', () => cb(null, Buffer.concat(parts).toString('utf8')));
          });
          const body = String(res.body ?? '');
          seen.push(`${res.status} ${url} ${accept}`);
          // A search page says back what was searched: there the words after each secret, and the
          // case itself (found by hidden text, it would be an oracle), must not show.
          const searched = /[?&]q=/.test(url);
          for (const s of searched ? tails : secrets) expect(body, `${who.name} ${url} (${accept}) reads ${s}`).not.to.include(s);
          if (searched) expect(body, `${who.name} ${url}: the case found by hidden text`).not.to.include(c.reference);
        }
      }
      // HR's case file is not theirs at all (walk s36); the shortlist's pages below were really theirs to read.
      expect(seen, seen.join('\n')).to.include(`404 /cases/${c._id} text/html`);
      for (const url of [`/shortlists/${call._id}/cases/${c._id}`, `/shortlists/${call._id}/compare?ids=${c._id},${c2._id}`, `/reports/steering.csv`, feed.path, `/cases?q=${secrets[0]}`]) expect(seen).to.include(`200 ${url} text/html`);
    }
  });
});

// Walk-proc's forms (s31): the planned start's too-soon refusal and the offer's start day, fed
// hostile days and keys, and sent twice at once. Today is Saturday 5 Dec 2026 in Vietnam.
describe('security (s32): hostile days and double submits on the planned start and the offer start', function () {
  this.timeout(90_000);
  let t!: TestApp;
  let hrEn!: UserDoc;
  let call!: CallDoc;
  const clock = vn('2026-12-05');
  before(async () => {
    ({ t, hrEn, call } = await procedureWorld(() => clock));
  });
  after(async () => {
    await t?.close();
  });
  const NO_SUPPORT = { workPermit: false, visa: false, residenceCard: false, housing: false, citizenship: false, family: false };
  const HOSTILE_DAYS = ['2026-02-30', '2027-02-29', '+275760-09-13', '275760-09-13', '-000001-01-01', '2027-1-5', '２０２７-01-05', '2027-01-05T00:00', ' ', 'null', 'undefined', '__proto__', 'constructor', '$gt', '9'.repeat(5000), '2027-13-01', '2027-00-10', '0000-01-01'];

  it('the planned start: every hostile day is refused beside the field with nothing written; $ and prototype keys are refused; two sends at once write once', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await onboardingCase({ applicant, call, assignee: hrEn, fullName: 'Hostile Start', nationality: 'AU', start: '2027-03-01', entered: '2026-12-04', due: '2027-02-01', tracks: [{ kind: 'work_permit', status: 'requested', dueAt: vnEndOfDay(vn('2027-01-20')), updatedAt: vn('2026-12-04') }] });
    const a = await signedIn(t, hrEn);
    const url = `/cases/${c._id}/planned-start`;
    const before = await snapshot(c);
    for (const day of HOSTILE_DAYS) {
      const p = await page(a, `/cases/${c._id}`);
      const res = await post(a, p.text, url, { version: versionIn(p.text, url), plannedStart: day, plannedStartReason: 'Moved.', plannedStartTold: '' });
      expect(res.status, `day ${day.slice(0, 20)}`).to.equal(422);
      expect(await snapshot(c), `day ${day.slice(0, 20)}`).to.deep.equal(before);
    }
    // Keys: an operator, a prototype key, an array (its first value is the day read).
    for (const body of [{ 'plannedStart[$gt]': '' }, { __proto__x: '1', ['__proto__[polluted]']: '1' }, { 'constructor[prototype][x]': '1' }]) {
      const p = await page(a, `/cases/${c._id}`);
      const res = await a.post(url).type('form').set('Accept', 'text/html').send({ _csrf: /name="_csrf" value="([^"]+)"/.exec(p.text)![1]!, version: versionIn(p.text, url), plannedStartReason: 'Moved.', ...body });
      expect(res.status, JSON.stringify(body)).to.be.within(400, 499);
      expect(await snapshot(c)).to.deep.equal(before);
    }
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
    // The same form twice at once: one change, the other a conflict.
    const p = await page(a, `/cases/${c._id}`);
    const form = { version: versionIn(p.text, url), plannedStart: '2027-03-15', plannedStartReason: 'The lab opens later.', plannedStartTold: '' };
    const both = await Promise.all([post(a, p.text, url, form), post(a, p.text, url, form)]);
    expect(both.map((r) => r.status).sort()).to.deep.equal([303, 409]);
    const after = (await Case.findById(c._id).lean())!;
    expect(after.profile!.plannedArrival!.toISOString()).to.equal('2027-03-15T00:00:00.000Z');
    expect(after.version).to.equal(before.version + 1);
    expect(after.history.length).to.equal(before.history + 1);
  });

  it("the offer's start: every hostile day is refused with nothing written; a repeated field is refused; two sends at once write once", async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const offer = await createCase({ applicant, call, stage: 'offer', assignee: hrEn._id, stageDueAt: vn('2026-12-18'), profile: { fullName: 'Hostile Offer', nationality: 'DE' } as never, supportRequested: { ...NO_SUPPORT, workPermit: true } });
    const a = await signedIn(t, hrEn);
    const u = `/cases/${offer._id}/offer-terms`;
    const send = async (days: string[], version?: string, p?: { text: string }) => {
      p ??= await page(a, `/cases/${offer._id}`);
      let req = a.post(u).set('Accept', 'text/html').field('_csrf', /name="_csrf" value="([^"]+)"/.exec(p.text)![1]!).field('version', version ?? versionIn(p.text, u)).field('offerPosition', 'Senior researcher');
      for (const d of days) req = req.field('offerStart', d);
      return req.field('offerSalary', '').field('offerContractLength', '');
    };
    const before = await snapshot(offer);
    // (An offer may leave its start empty: a blank one is no hostile day there.)
    for (const day of HOSTILE_DAYS.filter((d) => d.trim())) {
      const res = await send([day]);
      // A multipart field past 2,000 bytes is refused whole (MAX_FIELD_BYTES): 413.
      expect(res.status, `day ${day.slice(0, 20)}`).to.equal(day.length > 2000 ? 413 : 422);
      expect(await snapshot(offer), `day ${day.slice(0, 20)}`).to.deep.equal(before);
    }
    // Sent twice (too soon first, a good day after it): a field that holds one value is refused beside
    // its box (422, the form kept, as the url-encoded forms), never read as its first.
    expect((await send(['2026-12-08', '2027-01-11'])).status).to.equal(422);
    expect(await snapshot(offer)).to.deep.equal(before);
    const p = await page(a, `/cases/${offer._id}`);
    const both = await Promise.all([send(['2027-01-11'], undefined, p), send(['2027-01-11'], undefined, p)]);
    expect(both.map((r) => r.status).sort(), both.map((r) => r.text.slice(0, 200)).join('\n')).to.deep.equal([303, 409]);
    const after = (await Case.findById(offer._id).lean())!;
    expect(after.offerTerms!.startOn!.toISOString()).to.equal('2027-01-11T00:00:00.000Z');
    expect(after.version).to.equal(before.version + 1);
  });
});
