// Session 30's changes as an attacker uses them (review of session 31): the reads moved onto the
// driver (the case page's case, documents and people; the queue's rows), whose filters Mongoose no
// longer casts or sanitizes; GridFS staging of uploads (refused, cut-short and hostile uploads leave
// no chunks); the i18next formatted-text memo (bounded, never one user's text for another's); the
// pooled CSPRNG (each byte once). Real database, HTTP, multipart and SMTP.
import { expect } from 'chai';
import http from 'node:http';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { Types } from 'mongoose';
import type { TestApp } from '../support/app.ts';
import { useTestApp, useUploadTestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { csrfFrom, type Agent } from '../support/http.ts';
import { signedIn, page, post, versionIn } from '../applications/support.ts';
import { cookieHeader, gridFsCounts, makePdf, tokenOf, waitFor } from '../documents/support.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { CaseDocument } from '../../models/document.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import type { InstituteDoc } from '../../models/institute.ts';
import { loadCalendar, seedHolidays, vnDateKey } from '../../server/calendar/index.ts';
import { storedId } from '../../server/support/lean-read.ts';
import { GRIDFS_CHUNK_BYTES, STAGINGS_MAX } from '../../server/documents/storage.ts';
import { QUERY_KEYS, SORTS, leadingSearchWord, parseQueueQuery, queueFilter, queueScope, searchInstitutes } from '../../server/cases/queue.ts';
import { caseDocumentVersions } from '../../server/documents/present.ts';
import { caseNamesAndApplicant } from '../../server/cases/people.ts';
import { findCaseRecordFor } from '../../server/cases/access.ts';
import { rememberedSizes, translate } from '../../server/i18n/index.ts';
import { randomHex } from '../../server/support/random-hex.ts';
import { dispatchOnce } from '../../server/outbox/index.ts';
import { transition } from '../../server/workflow/index.ts';
import { actorContext } from '../workflow/context.ts';
import { ConfigError, loadConfig } from '../../server/config.ts';

const run = promisify(execFile);

/** The temporary upload files left under the app's upload folder. */
async function tempFiles(uploadDir: string): Promise<string[]> {
  return (await readdir(path.join(uploadDir, '.tmp')).catch(() => [] as string[])).filter((f) => f.endsWith('.part'));
}

describe('security: GridFS staging of uploads (session 30) as an attacker uses it', function () {
  this.timeout(120_000);
  let t!: TestApp;
  let uploadDir = '';
  useUploadTestApp('s31-gridfs', (app, dir) => {
    t = app;
    uploadDir = dir;
  }, { UPLOAD_STORAGE: 'gridfs' });
  let institute: InstituteDoc;
  let hr: UserDoc;
  let call: CallDoc;
  let pdf: Buffer;

  before(async () => {
    await seedHolidays();
    institute = await createInstitute();
    hr = await createUser({ role: 'hr_officer', institute, locale: 'en' });
    call = await createCall({ institute, checklist: [{ type: 'cv', phase: 'application', required: true }] as never });
    // Over two chunks, so that chunks are in the store before the form is judged.
    pdf = await makePdf('Curriculum vitae, staged', { padTo: 700_000 });
  });

  async function askForCv(caseId: unknown) {
    const a = await signedIn(t, hr);
    const url = `/cases/${String(caseId)}/request-info`;
    const form = await page(a, url);
    const due = vnDateKey((await loadCalendar()).addWorkingDays(new Date(), 10));
    const res = await post(a, form.text, url, { version: versionIn(form.text, url), items: 'Your CV, updated', dueAt: due, documentType: 'cv' });
    expect(res.status, res.text.slice(0, 300)).to.equal(303);
  }

  it("an information request's answer refused for its form after its file was received (bad, listed or operator version) leaves no chunk, temporary file or record", async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await createCase({ applicant, call, stage: 'screening' });
    await askForCv(c._id);
    const ap = await signedIn(t, applicant);
    const html = (await page(ap, `/applications/${c._id}`)).text;
    const action = `/applications/${String(c._id)}/answer`;
    const before = await gridFsCounts();
    for (const version of ['not-a-number', '-1', '1e400', '$gt']) {
      const res = await ap.post(action).set('Accept', 'text/html').field('_csrf', csrfFrom(html)).field('version', version).field('answer', 'My CV.').attach('cv', pdf, { filename: 'cv.pdf', contentType: 'application/pdf' });
      expect(res.status, `${version}: ${res.text.slice(0, 200)}`).to.be.within(400, 499);
    }
    // The version sent twice (a list where one value is expected).
    const listed = await ap.post(action).set('Accept', 'text/html').field('_csrf', csrfFrom(html)).field('version', versionIn(html, action)).field('version', versionIn(html, action)).field('answer', 'My CV.').attach('cv', pdf, { filename: 'cv.pdf', contentType: 'application/pdf' });
    expect(listed.status, listed.text.slice(0, 200)).to.be.within(400, 499);
    await waitFor(async () => (await gridFsCounts()).chunks === before.chunks, 5_000, 'the staged chunks to go').catch(() => undefined);
    expect(await gridFsCounts()).to.deep.equal(before);
    expect(await tempFiles(uploadDir)).to.deep.equal([]);
    expect(await CaseDocument.countDocuments({ case: c._id })).to.equal(0);
  });

  it('an answer with a file from an applicant whose e-mail is unconfirmed is refused with nothing kept', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en', verified: false });
    const c = await createCase({ applicant, call, stage: 'screening' });
    await askForCv(c._id);
    const ap = await signedIn(t, applicant);
    const html = (await page(ap, `/applications/${c._id}`)).text;
    const action = `/applications/${String(c._id)}/answer`;
    const before = await gridFsCounts();
    const res = await ap.post(action).set('Accept', 'text/html').field('_csrf', csrfFrom(html)).field('version', versionIn(html, action)).field('answer', 'My CV.').attach('cv', pdf, { filename: 'cv.pdf', contentType: 'application/pdf' });
    expect(res.status, res.text.slice(0, 200)).to.be.within(400, 499);
    expect(await gridFsCounts()).to.deep.equal(before);
    expect(await tempFiles(uploadDir)).to.deep.equal([]);
    expect(await CaseDocument.countDocuments({ case: c._id })).to.equal(0);
  });

  /**
   * A raw multipart upload to the documents route that sends the first `sendBytes` of the file (the
   * headers say more), then holds (`hold` ms, a slow body) and cuts the connection, or (`finish`)
   * sends the rest: the answer's status then.
   */
  function rawUpload(a: Agent, caseId: unknown, token: string, body: Buffer, sendBytes: number, opts: { hold?: number; finish?: Promise<unknown> } = {}): Promise<number | undefined> {
    const boundary = `----s31${Math.random().toString(16).slice(2)}`;
    const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${token}\r\n--${boundary}\r\nContent-Disposition: form-data; name="cv"; filename="cv.pdf"\r\nContent-Type: application/pdf\r\n\r\n`);
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const url = new URL(`${t.baseUrl}/cases/${String(caseId)}/documents`);
    return new Promise((resolve) => {
      const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { cookie: cookieHeader(a), 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(head.length + body.length + tail.length), accept: 'application/json' } });
      req.on('error', () => resolve(undefined));
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.write(head);
      req.write(body.subarray(0, sendBytes));
      if (opts.finish) {
        void opts.finish.then(() => req.end(Buffer.concat([body.subarray(sendBytes), tail])));
        return;
      }
      setTimeout(() => {
        req.destroy();
        resolve(undefined);
      }, (opts.hold ?? 0) + 300);
    });
  }
  const cutUpload = (a: Agent, caseId: unknown, token: string, body: Buffer, sendBytes: number, hold = 0) => rawUpload(a, caseId, token, body, sendBytes, { hold }).then(() => undefined);

  it(`many uploads held open at once stage at most ${STAGINGS_MAX} files' chunks in the database; the others are copied when stored, and every one is stored whole`, async () => {
    // Three chunks of GRIDFS_CHUNK_BYTES: held back by its last bytes, the two full ones are sent (one batch of two).
    const big = await makePdf('Curriculum vitae, held open', { padTo: 3_000_000 });
    const perFile = Math.ceil(big.length / GRIDFS_CHUNK_BYTES);
    const sentWhileHeld = Math.floor((big.length - 10) / GRIDFS_CHUNK_BYTES);
    const uploaders = await Promise.all([...Array(STAGINGS_MAX + 6).keys()].map(async () => {
      const applicant = await createUser({ role: 'applicant', locale: 'en' });
      const c = await createCase({ applicant, call, stage: 'screening' });
      const ap = await signedIn(t, applicant);
      return { c, ap, token: await tokenOf(ap) };
    }));
    const before = await gridFsCounts();
    let go!: () => void;
    const finish = new Promise<void>((resolve) => (go = resolve));
    // Each sends all but the last bytes of its file, then waits.
    const sent = uploaders.map((u) => rawUpload(u.ap, u.c._id, u.token, big, big.length - 10, { finish }));
    await waitFor(async () => (await gridFsCounts()).chunks - before.chunks >= STAGINGS_MAX * sentWhileHeld, 20_000, 'the first uploads staged');
    await new Promise((r) => setTimeout(r, 500));
    const held = (await gridFsCounts()).chunks - before.chunks;
    expect(held, 'chunks staged while the uploads are held').to.be.at.most(STAGINGS_MAX * perFile);
    go();
    expect(await Promise.all(sent)).to.deep.equal(uploaders.map(() => 201));
    // Every file is stored whole, staged or copied.
    for (const u of uploaders) {
      const doc = (await CaseDocument.findOne({ case: u.c._id }).lean())!;
      expect(doc.size).to.equal(big.length);
      const got = await u.ap.get(`/documents/${String(doc._id)}/download`).buffer(true).parse((res, cb) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () => cb(null, Buffer.concat(parts)));
      });
      expect((got.body as Buffer).equals(big)).to.equal(true);
    }
    expect((await gridFsCounts()).files).to.equal(before.files + uploaders.length);
    expect(await tempFiles(uploadDir)).to.deep.equal([]);
  });

  it('uploads cut short, many at once and slow ones among them, leave no chunk, temporary file or record once their connections close', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await createCase({ applicant, call, stage: 'screening' });
    const ap = await signedIn(t, applicant);
    const token = await tokenOf(ap);
    const big = await makePdf('Curriculum vitae, cut short', { padTo: 3_000_000 });
    const before = await gridFsCounts();
    // Four held a while with most of the file sent (its full chunks staged),
    // then eight more at once, cut at different points (mid-chunk, past several chunks).
    const held = Promise.all([...Array(4).keys()].map((i) => cutUpload(ap, c._id, token, big, 2_800_000 - i * 100_000, 1_500)));
    await new Promise((r) => setTimeout(r, 200));
    const cut = Promise.all([held, ...[...Array(8).keys()].map((i) => cutUpload(ap, c._id, token, big, 300_000 + i * 300_000))]);
    // While the slow ones hold, their received bytes are staged (so the test sees chunks go, not never come).
    await waitFor(async () => (await gridFsCounts()).chunks > before.chunks, 1_500, 'chunks staged while receiving');
    await cut;
    await waitFor(async () => (await gridFsCounts()).chunks === before.chunks && (await tempFiles(uploadDir)).length === 0, 10_000, 'the cut uploads to be cleared').catch(() => undefined);
    expect(await gridFsCounts()).to.deep.equal(before);
    expect(await tempFiles(uploadDir)).to.deep.equal([]);
    expect(await CaseDocument.countDocuments({ case: c._id })).to.equal(0);
    // The case still takes a whole upload afterwards.
    const ok = await ap.post(`/cases/${String(c._id)}/documents`).set('Accept', 'application/json').field('_csrf', await tokenOf(ap)).attach('cv', pdf, 'cv.pdf');
    expect(ok.status, ok.text.slice(0, 200)).to.equal(201);
    expect((await gridFsCounts()).files).to.equal(before.files + 1);
  });

  it('the offer letter sent twice at once with SMTP down: one letter in GridFS (the other\'s chunks gone), a 409 for the second, and one e-mail once SMTP is back', async () => {
    const leader = await createUser({ role: 'leader', institute });
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const made = await createCase({ applicant, call, stage: 'shortlisted', assignee: hr, offerTerms: null });
    const c = await transition({ app: t.ctx, ctx: actorContext(t.ctx, leader), caseId: made._id, action: 'approve_offer', expectedVersion: made.version, payload: { note: 'Ranked first.' }, asDecision: true });
    const h = await signedIn(t, hr);
    const url = `/cases/${String(c._id)}/offer-terms`;
    const shown = await page(h, `/cases/${String(c._id)}`);
    const version = versionIn(shown.text, url);
    const letter = await makePdf('Offer letter S31', { padTo: 800_000 });
    const send = async () =>
      h.post(url).set('Accept', 'text/html').field('_csrf', await tokenOf(h)).field('version', version).field('offerPosition', 'Senior researcher S31').field('offerStart', '2027-03-01').field('offerSalary', '45,000,000 VND').field('offerContractLength', '2 years').attach('offer_letter', letter, 'letter.pdf');
    const before = await gridFsCounts();
    t.smtp.mode = 'tempfail';
    try {
      const [one, two] = await Promise.all([send(), send()]);
      expect([one.status, two.status].sort()).to.deep.equal([303, 409]);
      // SMTP refuses: the e-mail waits in the outbox, the letter is kept.
      await dispatchOnce(t.ctx, { owner: 'test', caseIds: [c._id] });
      const waiting = (await Case.findById(c._id).lean())!.outbox.filter((o) => o.template === 'offer_letter_ready');
      expect(waiting.map((o) => [o.status, o.attempts])).to.deep.equal([['pending', 1]]);
    } finally {
      t.smtp.mode = 'accept';
    }
    const letters = await CaseDocument.find({ case: c._id, type: 'offer_letter' }).lean();
    expect(letters.map((d) => [d.version, d.current, d.storage])).to.deep.equal([[1, true, 'gridfs']]);
    expect(await gridFsCounts()).to.deep.equal({ files: before.files + 1, chunks: before.chunks + Math.ceil(letter.length / GRIDFS_CHUNK_BYTES) });
    expect(await tempFiles(uploadDir)).to.deep.equal([]);
    // Back: the retry (past its backoff) sends it once, and again nothing.
    const later = new Date(Date.now() + 3_600_000);
    await dispatchOnce(t.ctx, { owner: 'test', caseIds: [c._id], now: later });
    await dispatchOnce(t.ctx, { owner: 'test', caseIds: [c._id], now: later });
    await t.smtp.waitForTo(applicant.email, /offer letter is ready/);
    expect(t.smtp.messages.filter((m) => m.to.includes(applicant.email) && m.messageId.includes('offer_letter_ready'))).to.have.length(1);
    expect((await Case.findById(c._id).lean())!.outbox.filter((o) => o.template === 'offer_letter_ready').map((o) => o.status)).to.deep.equal(['sent']);
  });

  it("the case→call cache of uploads (documents/access.ts) opens no case to another user: once the owner uploaded, another applicant's upload to it is not found, with nothing kept", async () => {
    const owner = await createUser({ role: 'applicant', locale: 'en' });
    const c = await createCase({ applicant: owner, call, stage: 'screening' });
    const o = await signedIn(t, owner);
    const first = await o.post(`/cases/${String(c._id)}/documents`).set('Accept', 'application/json').field('_csrf', await tokenOf(o)).attach('cv', pdf, 'cv.pdf');
    expect(first.status, first.text.slice(0, 200)).to.equal(201);
    const before = await gridFsCounts();
    const other = await signedIn(t, await createUser({ role: 'applicant', locale: 'en' }));
    for (const id of [String(c._id), String(c._id).toUpperCase()]) {
      const res = await other.post(`/cases/${id}/documents`).set('Accept', 'application/json').field('_csrf', await tokenOf(other)).attach('cv', pdf, 'cv.pdf');
      expect(res.status, `${id}: ${res.text.slice(0, 200)}`).to.equal(404);
    }
    expect(await gridFsCounts()).to.deep.equal(before);
    expect(await tempFiles(uploadDir)).to.deep.equal([]);
    expect(await CaseDocument.countDocuments({ case: c._id })).to.equal(1);
  });

  it('hostile multipart names (operator, prototype, dotted, bracketed field names; bidi, hidden and 5,000-character file names) keep nothing or keep the file under a clean name', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await createCase({ applicant, call, stage: 'screening' });
    const ap = await signedIn(t, applicant);
    const url = `/cases/${String(c._id)}/documents`;
    const before = await gridFsCounts();
    // File parts under names no checklist item has: refused before a byte is kept.
    for (const field of ['__proto__', 'constructor', '$where', 'cv.$gt', 'cv[0]', 'toString', 'hasOwnProperty']) {
      const res = await ap.post(url).set('Accept', 'application/json').field('_csrf', await tokenOf(ap)).attach(field, pdf, 'cv.pdf');
      expect(res.status, `${field}: ${res.text.slice(0, 200)}`).to.be.within(400, 499);
    }
    // Text fields with such names beside a good file: the whole upload refused, its file's chunks gone.
    for (const field of ['__proto__', '$set', 'a.b', 'constructor[prototype]', 'x[__proto__]']) {
      const res = await ap.post(url).set('Accept', 'application/json').field('_csrf', await tokenOf(ap)).field(field, 'x').attach('cv', pdf, 'cv.pdf');
      expect(res.status, `${field}: ${res.text.slice(0, 200)}`).to.be.within(400, 499);
    }
    expect(await gridFsCounts()).to.deep.equal(before);
    expect(await tempFiles(uploadDir)).to.deep.equal([]);
    expect(await CaseDocument.countDocuments({ case: c._id })).to.equal(0);
    // Hidden, direction-changing and over-long names are kept as clean display text, never as the storage key.
    const res = await ap.post(url).set('Accept', 'application/json').field('_csrf', await tokenOf(ap)).attach('cv', pdf, `${'\u202e'}fdp.${'A'.repeat(5_000)}\u200b.pdf`);
    expect(res.status, res.text.slice(0, 200)).to.equal(201);
    const doc = (await CaseDocument.findOne({ case: c._id }).lean())!;
    expect(doc.originalName).to.not.match(/[\u202e\u200b]/);
    expect(doc.originalName!.length).to.be.at.most(200);
    expect(doc.originalName!.endsWith('.pdf')).to.equal(true);
    expect(doc.storageKey).to.match(/^[a-f0-9]{32}$/);
    expect((await gridFsCounts()).files).to.equal(before.files + 1);
  });
});

/** Every operator the queue's filter is built with (server/cases/queue.ts queueFilter and the case policy's scope). */
const QUEUE_OPERATORS = new Set(['$and', '$or', '$in', '$nin', '$elemMatch', '$lt', '$gte', '$exists', '$ne', '$regex']);

/** Where a driver filter holds something not built by the code: an unknown operator, a path the case schema lacks, an untyped value. */
function untypedIn(filter: unknown, where = ''): string[] {
  const out: string[] = [];
  const leaf = (v: unknown, at: string) => {
    if (v === null || typeof v === 'boolean' || typeof v === 'number' || v instanceof Date || v instanceof Types.ObjectId) return;
    if (typeof v === 'string') {
      if (v.startsWith('$') || v.length > 100) out.push(`${at}: string ${JSON.stringify(v.slice(0, 40))}`);
      return;
    }
    // A search word: an anchored prefix of letters and digits only (escaped by queryWords' split).
    if (v instanceof RegExp) {
      if (!/^\^[\p{L}\p{N}]{1,40}$/u.test(v.source) || v.flags !== '') out.push(`${at}: regex /${v.source}/${v.flags}`);
      return;
    }
    out.push(`${at}: ${Object.prototype.toString.call(v)}`);
  };
  const walk = (node: unknown, at: string) => {
    if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${at}[${i}]`));
    if (!node || typeof node !== 'object' || node instanceof Date || node instanceof RegExp || node instanceof Types.ObjectId) return leaf(node, at);
    if (Object.getPrototypeOf(node) !== Object.prototype) return out.push(`${at}: prototype ${Object.prototype.toString.call(node)}`);
    for (const [k, v] of Object.entries(node)) {
      if (k.startsWith('$')) {
        if (!QUEUE_OPERATORS.has(k)) out.push(`${at}.${k}: operator`);
      } else {
        // A schema path (an array's position, `overdueProcedures.0`, names its array).
        const p = k.replace(/\.\d+$/, '');
        if (!Case.schema.path(p) && Case.schema.pathType(p) === 'adhocOrUndefined' && !/^supportTracks\./.test(p)) out.push(`${at}.${k}: not a case path`);
      }
      walk(v, `${at}.${k}`);
    }
  };
  walk(filter, where);
  return out;
}

describe('security: reads moved onto the driver (session 30) take typed values only', function () {
  this.timeout(120_000);
  let t!: TestApp;
  useTestApp((app) => (t = app));
  let instA: InstituteDoc;
  let instB: InstituteDoc;
  let hrA: UserDoc;
  let caseA: CaseDoc;
  let caseB: CaseDoc;

  before(async () => {
    await seedHolidays();
    instA = await createInstitute();
    instB = await createInstitute();
    hrA = await createUser({ role: 'hr_officer', institute: instA, locale: 'en' });
    const callA = await createCall({ institute: instA, checklist: [] });
    const callB = await createCall({ institute: instB, checklist: [] });
    caseA = await createCase({ applicant: await createUser({ role: 'applicant' }), call: callA, stage: 'screening' });
    caseB = await createCase({ applicant: await createUser({ role: 'applicant' }), call: callB, stage: 'screening' });
  });

  it("the queue's driver filter, sort and projection hold only what the code builds, whatever each query parameter holds", async () => {
    const hostile: unknown[] = [
      '$gt', '$where', '__proto__', 'constructor', 'toString', { $ne: 1 }, { $regex: '.*' }, ['screening', 'offer'], [{ $gt: '' }], '.*', '^(a+)+$', '(?:)', '\\',
      'a'.repeat(200_000), '\u202Ezelda\u200B', '1e3', '0x19', 'NaN', 'Infinity', '-1', '99999999999', '25.5', 'aaaaaaaaaaaa', 'AAAAAAAAAAAAAAAAAAAAAAAA', null, true, 42,
      `${'a '.repeat(200)}`, 'zelda (a+)+$ [x] {1} $t(x) {{x}}',
    ];
    // The check itself finds what it looks for.
    expect(untypedIn({ $and: [{ stage: { $where: 'x' } }, { 'profile.$x': 1 }, { searchTerms: /.*/ }, { call: { toString: 'x' } }, { nope: 1 }] })).to.have.length(5);
    const now = new Date();
    for (const key of QUERY_KEYS) {
      for (const v of hostile) {
        const q = parseQueueQuery(Object.assign(Object.create(null), { [key]: v }) as Record<string, unknown>);
        // What parsing keeps is of the parameter's own kind.
        expect(SORTS, `${key}=${String(v).slice(0, 20)}`).to.include(q.sort);
        expect([25, 50, 100]).to.include(q.size);
        expect(Number.isInteger(q.page) && q.page >= 1 && q.page <= 100_000).to.equal(true);
        for (const [k, kept] of Object.entries(q)) if (kept !== undefined) expect(typeof kept, `${key} → ${k}`).to.be.oneOf(['string', 'number']);
        if (q.q !== undefined) expect(q.q.length).to.be.at.most(100);
        const filter = queueFilter(hrA, q, now, await queueScope(hrA), q.q ? await leadingSearchWord(hrA, q.q) : undefined, q.q ? await searchInstitutes(hrA) : undefined);
        expect(untypedIn(filter), `${key}=${JSON.stringify(v)?.slice(0, 40)}`).to.deep.equal([]);
      }
    }
    // The same through the route: each answers, and never with another institute's case.
    const a = await signedIn(t, hrA);
    for (const key of QUERY_KEYS) {
      for (const v of ['$gt', '__proto__', '.*', 'a'.repeat(6_000), 'aaaaaaaaaaaa', String(caseB.call)]) {
        const res = await page(a, `/cases?${key}=${encodeURIComponent(v)}&${key}=${encodeURIComponent(v)}x`);
        expect(res.status, `${key}=${v.slice(0, 20)}`).to.be.oneOf([200, 400]);
        expect(res.text).not.to.include(caseB.reference);
      }
    }
    expect((await page(a, '/cases')).text).to.include(caseA.reference);
  });

  it("the case page's driver reads (case, documents, people) answer a hostile or foreign id with not found, never another case", async () => {
    const a = await signedIn(t, hrA);
    const ids = [
      String(caseB._id), // another institute's case: its id is no key to it
      String(caseB._id).toUpperCase(),
      'aaaaaaaaaaaa', // twelve characters: an ObjectId to the driver's constructor, never to storedId
      '__proto__', 'constructor', '%24gt', '%7B%22%24ne%22%3A1%7D', `${String(caseA._id)}%00`, `${String(caseA._id)}x`, 'g'.repeat(24), '0'.repeat(24),
    ];
    for (const id of ids) {
      const res = await page(a, `/cases/${id}`);
      expect(res.status, id).to.be.oneOf([400, 404]);
      expect(res.text, id).not.to.include(caseB.reference);
    }
    expect((await page(a, `/cases/${String(caseA._id)}`)).status).to.equal(200);
    // storedId: an ObjectId or its 24-hex text, nothing else (arrays, objects, 12-byte strings, numbers).
    for (const v of ['aaaaaaaaaaaa', [String(caseA._id)], { $ne: null }, { toHexString: () => String(caseA._id) }, 1, null, undefined, `${String(caseA._id)} `]) expect(storedId(v), JSON.stringify(v)).to.equal(undefined);
    expect(String(storedId(String(caseA._id)))).to.equal(String(caseA._id));
    expect(await caseDocumentVersions({ $ne: null })).to.deep.equal([]);
    expect(await caseDocumentVersions([caseA._id])).to.deep.equal([]);
    // People's names: ids the case holds (ObjectIds); a stored value that is not one is skipped, never a filter.
    const { names, applicant } = await caseNamesAndApplicant([{ $ne: null }, '$gt', 'aaaaaaaaaaaa', hrA._id], { $exists: true });
    expect([...names.keys()]).to.deep.equal([String(hrA._id)]);
    expect(applicant).to.equal(null);
  });

  it("the driver reads give what Mongoose's lean read gave, never a path the schema hides (select: false: the pending audit events)", async () => {
    const c = await createCase({ applicant: await createUser({ role: 'applicant' }), call: await createCall({ institute: instA, checklist: [] }), stage: 'screening' });
    await Case.collection.updateOne({ _id: c._id }, { $set: { pendingAudits: [{ eventId: 'S31-HIDDEN', action: 'case.secret', decidedAt: new Date() }] } });
    await CaseDocument.collection.insertOne({ case: c._id, type: 'cv', slot: 0, version: 1, current: true, storage: 'disk', storageKey: 'a'.repeat(32), originalName: 'cv.pdf', mimeType: 'application/pdf', size: 1, sha256: 'b'.repeat(64), status: 'pending', uploadedBy: hrA._id, pendingAudits: [{ eventId: 'S31-HIDDEN-DOC' }], createdAt: new Date(), updatedAt: new Date() });
    const viaDriver = await findCaseRecordFor(hrA, String(c._id));
    const viaMongoose = await Case.findById(c._id).lean();
    expect(JSON.stringify(viaDriver.caseRecord)).to.equal(JSON.stringify(viaMongoose));
    expect(JSON.stringify(viaDriver.caseRecord)).not.to.include('S31-HIDDEN');
    const docs = await caseDocumentVersions(c._id);
    expect(JSON.stringify(docs)).to.equal(JSON.stringify(await CaseDocument.find({ case: c._id }).sort({ type: 1, slot: 1, version: -1 }).lean()));
    expect(docs).to.have.length(1);
    expect(JSON.stringify(docs)).not.to.include('S31-HIDDEN');
    // Both ways, the hidden paths are there to be read on purpose only.
    expect(JSON.stringify(await Case.findById(c._id).select('+pendingAudits').lean())).to.include('S31-HIDDEN');
    // Not left for the repair job of the tests after this one.
    await Case.collection.updateOne({ _id: c._id }, { $unset: { pendingAudits: '' } });
    await CaseDocument.collection.deleteOne({ case: c._id, storageKey: 'a'.repeat(32) });
  });
});

describe("security: i18next's remembered texts (session 30) as an attacker feeds them", () => {
  it('stay bounded whatever text reaches a key, a default or a value (long, many, hostile), and each answer is its own values', () => {
    const start = rememberedSizes();
    for (const locale of ['en', 'vi'] as const) {
      // Keys and defaults built from long stored or typed text: answered, never remembered.
      for (let i = 0; i < 300; i++) {
        const long = `${i}${'x'.repeat(50_000)}`;
        expect(translate(locale, `cases.events.${long}`, { defaultValue: long })).to.equal(long);
        expect(translate(locale, `documents.types.${long}`)).to.include(long);
      }
      // Many short distinct values of a formatted text: remembered up to the table's bound only.
      for (let i = 0; i < 25_000; i++) translate(locale, 'common.charCount', { used: i, max: 1000 + (i % 7) });
    }
    const end = rememberedSizes();
    // 4 tables × 2 locales × 20,000 entries of at most 256 characters (and their short answers).
    expect(end.entries).to.be.at.most(4 * 2 * 20_000);
    expect(end.chars - start.chars, 'characters remembered').to.be.below(4 * 2 * 20_000 * 400);
    // Not one of the long texts is held.
    expect(end.chars - start.chars).to.be.below(300 * 50_000);
    // Each answer is its caller's: values that look like the memo's separators are not another's text.
    const a = translate('en', 'common.charCount', { used: 'a\u0000max\u0000number\u00001', max: 2 });
    const b = translate('en', 'common.charCount', { used: 'a', max: 1 });
    expect(a).to.not.equal(b);
    expect(b).to.match(/^a of 1 characters used\.$/);
    expect(translate('en', 'common.charCount', { used: '<b>Nguyễn</b>', max: 5 })).to.include('<b>Nguyễn</b>');
    expect(translate('vi', 'common.charCount', { used: 'x', max: 5 })).to.not.equal(translate('en', 'common.charCount', { used: 'x', max: 5 }));
  });
});

describe('security: the pooled CSPRNG (session 30) hands out each byte once', () => {
  it('never repeats a key across pool refills, after a refused call, or between web worker processes (each its own pool)', async () => {
    const seen = new Set<string>();
    // 2,000 form keys of 16 bytes: eight refills of the 4 KB pool, with page marks of 8 bytes between.
    for (let i = 0; i < 2_000; i++) {
      for (const k of [randomHex(16), randomHex(8)]) {
        expect(seen.has(k), 'a key handed out twice').to.equal(false);
        seen.add(k);
      }
      // A refused size takes nothing and breaks nothing.
      if (i % 97 === 0) for (const bad of [0, -1, 257, 1.5, Number.NaN]) expect(() => randomHex(bad)).to.throw(RangeError);
    }
    for (const k of seen) expect(k).to.match(/^([a-f0-9]{32}|[a-f0-9]{16})$/);
    // Uniform enough to be random bytes, not a counter or a repeated pool: every hex digit about 1/16.
    const digits = [...seen].join('');
    for (const d of '0123456789abcdef') expect(digits.split(d).length - 1).to.be.within(digits.length / 16 * 0.9, digits.length / 16 * 1.1);
    // Web worker processes (node:cluster, server/web-workers.ts: started anew, not memory copies) each load their own module and fill their own pool.
    const script = `import { randomHex } from ${JSON.stringify(new URL('../../server/support/random-hex.ts', import.meta.url).href)}; console.log(JSON.stringify(Array.from({ length: 300 }, () => randomHex(16))));`;
    const fromWorkers = await Promise.all([0, 1].map(async () => JSON.parse((await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script])).stdout) as string[]));
    const all = [...seen, ...fromWorkers.flat()];
    expect(fromWorkers.flat()).to.have.length(600);
    expect(new Set(all).size, 'no key shared between threads').to.equal(all.length);
  });
});

describe('security: numbers in the environment (session 30 envNumber) are decimal digits only', () => {
  it('refuses signs, separators, other scripts\' digits, hex, exponents and overflowing lengths at boot, naming the variable', () => {
    for (const v of ['+5', '1_000', '1,000', '٥', '５', '0x10', '1e3', '5 5', '5\u0000', '\u202e5', '9'.repeat(400), '-0', '.5', '5.']) {
      expect(() => loadConfig({ UPLOAD_MAX_MB: v }), `UPLOAD_MAX_MB=${JSON.stringify(v).slice(0, 20)}`).to.throw(ConfigError, /UPLOAD_MAX_MB/);
    }
    // Surrounding white space (a line end in an env file) is the number.
    expect(loadConfig({ UPLOAD_MAX_MB: ' 7\n' }).upload.maxBytes).to.equal(7 * 1024 * 1024);
  });
});
