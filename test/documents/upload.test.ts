// Uploads with real multipart requests against the real app, once per storage (disk, GridFS):
// allowed types stored byte for byte, every kind of bad file refused with a clear message and
// nothing left behind, an interrupted upload cleaned up, downloads only for the right people.
import http from 'node:http';
import { watch } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { expect } from 'chai';
import request from 'supertest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent, type Agent } from '../support/http.ts';
import { createInstitute, createUser, signIn } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { CaseDocument } from '../../models/document.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import type { CaseDoc } from '../../models/case.ts';
import type { UserDoc } from '../../models/user.ts';
import { GRIDFS_CHUNK_BYTES, createStorage } from '../../server/documents/storage.ts';
import { checklistForCase } from '../../server/documents/present.ts';
import { cookieHeader, download, filesUnder, gridFsCounts, makeJpeg, makePdf, makePng, receiving, sha256, tokenOf, waitFor } from './support.ts';

for (const kind of ['disk', 'gridfs'] as const) {
  describe(`documents: upload and download (${kind} storage)`, function () {
    this.timeout(60_000);
    let t: TestApp;
    let uploadDir: string;
    let applicant: UserDoc;
    let caseDoc: CaseDoc;
    let a: Agent;
    let token: string;
    let pdf: Buffer;
    let hr: UserDoc;
    let otherHr: UserDoc;
    let otherApplicant: UserDoc;
    let admin: UserDoc;

    before(async () => {
      uploadDir = path.resolve(`data/test/uploads-${kind}-${process.pid}`);
      await rm(uploadDir, { recursive: true, force: true });
      t = await startTestApp({ env: { UPLOAD_STORAGE: kind, UPLOAD_DIR: uploadDir, UPLOAD_RATE_PER_HOUR: '1000' } });
      const institute = await createInstitute();
      const call = await createCall({
        institute,
        checklist: [
          { type: 'cv', phase: 'application', required: true, maxMb: 1 },
          { type: 'photo', phase: 'application', required: true },
          { type: 'publications_list', phase: 'application', required: true },
          { type: 'recommendation_letter', phase: 'application', required: false, multiple: true },
          { type: 'passport', phase: 'application', required: true },
        ] as never,
      });
      applicant = await createUser({ role: 'applicant', locale: 'en' });
      otherApplicant = await createUser({ role: 'applicant', locale: 'en' });
      hr = await createUser({ role: 'hr_officer', institute });
      otherHr = await createUser({ role: 'hr_officer' });
      admin = await createUser({ role: 'admin' });
      caseDoc = await createCase({ applicant, call, stage: 'screening' });
      a = agent(t.app);
      await signIn(a, applicant);
      token = await tokenOf(a);
      pdf = await makePdf('Curriculum vitae of Nguyễn Văn An');
    });
    after(async () => {
      await t?.close();
      await rm(uploadDir, { recursive: true, force: true });
    });

    const upload = () => a.post(`/cases/${caseDoc._id}/documents`).field('_csrf', token).set('Accept', 'application/json');

    async function snapshot() {
      return {
        files: await filesUnder(uploadDir),
        docs: await CaseDocument.countDocuments({ case: caseDoc._id }),
        grid: await gridFsCounts(),
      };
    }

    async function readStored(key: string): Promise<Buffer> {
      const stream = await createStorage(t.config).openRead(key);
      const chunks: Buffer[] = [];
      for await (const c of stream) chunks.push(c as Buffer);
      return Buffer.concat(chunks);
    }

    it('names the document each file field is for, to screen readers too (not five identical "Choose a file")', async () => {
      const page = await a.get(`/applications/${caseDoc._id}`).set('Accept', 'text/html');
      expect(page.text).to.match(/<label for="f-passport">[^<]*<span class="visually-hidden">: Passport<\/span><\/label>/);
    });

    it('refuses operator, dotted and prototype keys among the form fields of an upload (400), keeping nothing', async () => {
      const before = await snapshot();
      for (const field of ['$where', 'a.b', 'constructor']) {
        const res = await upload().field(field, '1').attach('cv', pdf, 'cv.pdf');
        expect(res.status, field).to.equal(400);
      }
      expect(await snapshot()).to.deep.equal(before);
    });

    it('accepts a PDF, a JPEG and a PNG in one request and stores each byte for byte', async () => {
      const jpeg = makeJpeg();
      const png = makePng();
      const res = await upload().attach('cv', pdf, 'cv.pdf').attach('photo', jpeg, 'photo.jpg').attach('publications_list', png, 'publications.png');
      expect(res.status, res.text).to.equal(201);
      expect(res.body.documents).to.have.length(3);
      const byType = Object.fromEntries((res.body.documents as Array<{ type: string }>).map((d) => [d.type, d])) as unknown as Record<string, { id: string; mimeType: string; sha256: string; size: number; originalName: string; version: number }>;
      expect(byType.cv!.mimeType).to.equal('application/pdf');
      expect(byType.photo!.mimeType).to.equal('image/jpeg');
      expect(byType.publications_list!.mimeType).to.equal('image/png');
      for (const [type, buf] of [['cv', pdf], ['photo', jpeg], ['publications_list', png]] as const) {
        const d = await CaseDocument.findById(byType[type]!.id);
        expect(d!.sha256).to.equal(sha256(buf));
        expect(d!.size).to.equal(buf.length);
        expect(d!.storage).to.equal(kind);
        expect(d!.storageKey).to.match(/^[a-f0-9]{32}$/);
        expect(d!.version).to.equal(1);
        expect(d!.current).to.equal(true);
        expect(sha256(await readStored(d!.storageKey))).to.equal(sha256(buf));
      }
      expect(byType.cv!.originalName).to.equal('cv.pdf');
      const onDisk = await filesUnder(uploadDir);
      if (kind === 'disk') {
        expect(onDisk.filter((f) => !f.startsWith('.tmp'))).to.have.length(3);
        // Storage names are generated, never the client's.
        for (const f of onDisk) expect(path.basename(f)).to.match(/^[a-f0-9]{32}$/);
      } else {
        expect(onDisk, 'GridFS keeps nothing on local disk').to.deep.equal([]);
      }
      expect(onDisk.some((f) => f.startsWith('.tmp')), 'no temporary file left').to.equal(false);
      const audits = await AuditEvent.countDocuments({ action: 'document.upload', targetId: { $in: Object.values(byType).map((d) => d.id) } });
      expect(audits).to.equal(3);
    });

    it('stores a file of several GridFS chunks byte for byte (1 MB chunks, the last one short)', async () => {
      const letter = await makePdf('Letter spanning several chunks', { padTo: 3 * GRIDFS_CHUNK_BYTES + 12_345 });
      const res = await upload().attach('recommendation_letter', letter, 'letter.pdf');
      expect(res.status, res.text).to.equal(201);
      const d = await CaseDocument.findById(res.body.documents[0].id);
      expect(d!.size).to.equal(letter.length);
      expect((await readStored(d!.storageKey)).equals(letter)).to.equal(true);
      if (kind === 'gridfs') {
        const db = CaseDocument.db.db!;
        const file = await db.collection('documents.files').findOne({ filename: d!.storageKey });
        expect(file!.chunkSize).to.equal(GRIDFS_CHUNK_BYTES);
        expect(await db.collection('documents.chunks').countDocuments({ files_id: file!._id })).to.equal(4);
      }
    });

    // 3.5 MB: told every 1 MB throughout (within 5 MB of the request's end); 9.5 MB: every 4 MB, then every 1 MB.
    for (const extra of [3_500_000, 9_500_000]) {
      it(`hashes a file of ${(extra / 1e6).toFixed(1)} MB as it is written (on the hash thread), byte for byte`, async () => {
        // Random bytes after the PDF: a hash taken from misplaced or repeated pieces would differ.
        const big = Buffer.concat([await makePdf('Several megabytes'), randomBytes(extra)]);
        const res = await upload().attach('recommendation_letter', big, 'big.pdf');
        expect(res.status, res.text).to.equal(201);
        const d = await CaseDocument.findById(res.body.documents[0].id);
        expect(d!.sha256).to.equal(sha256(big));
        expect(sha256(await readStored(d!.storageKey))).to.equal(sha256(big));
      });
    }

    it("confirms an upload sent by the page's script on the page it opens next, and keeps no confirmation for other JSON clients", async () => {
      const res = await upload().set('X-Requested-With', 'upload-form').attach('recommendation_letter', pdf, 'letter.pdf');
      expect(res.status, res.text).to.equal(201);
      const next = await a.get(res.body.redirect as string).set('Accept', 'text/html');
      expect(next.text).to.include('Your documents were uploaded.');
      const plain = await upload().attach('recommendation_letter', pdf, 'letter.pdf');
      expect(plain.status).to.equal(201);
      expect((await a.get(plain.body.redirect as string).set('Accept', 'text/html')).text).to.not.include('Your documents were uploaded.');
    });

    it('judges a file by its bytes and its name, never by the type the client claims', async () => {
      const res = await upload().attach('recommendation_letter', pdf, { filename: 'letter.pdf', contentType: 'image/png' });
      expect(res.status, res.text).to.equal(201);
      expect(res.body.documents[0].mimeType).to.equal('application/pdf');
      // A name that says another type than the bytes is refused (test/documents/extensions.test.ts).
      const renamed = await upload().attach('recommendation_letter', pdf, { filename: 'letter.png', contentType: 'image/png' });
      expect(renamed.status, renamed.text).to.equal(415);
      expect(renamed.body.error.code).to.equal('extension_mismatch');
    });

    describe('refusals: a clear message, and nothing left on disk, in GridFS or in the database', () => {
      const html = Buffer.from('<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>');
      const exe = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(62), Buffer.from('PE\0\0'), Buffer.alloc(400, 0x90)]);
      const cases: Array<{ name: string; send: (r: request.Test) => Promise<request.Response> | request.Test; status: number; message: RegExp }> = [
        { name: 'an executable renamed .pdf', send: (r) => r.attach('cv', exe, { filename: 'cv.pdf', contentType: 'application/pdf' }), status: 415, message: /“cv\.pdf” is not a PDF, JPEG or PNG file/ },
        { name: 'an HTML page renamed .pdf', send: (r) => r.attach('cv', html, { filename: 'cv.pdf', contentType: 'application/pdf' }), status: 415, message: /is not a PDF, JPEG or PNG/ },
        {
          name: 'a polyglot (PDF magic, HTML inside the first KB)',
          send: async (r) => r.attach('cv', Buffer.concat([Buffer.from('%PDF-1.4\n<html><script>alert(1)</script></html>\n'), await makePdf('x')]), 'cv.pdf'),
          status: 415,
          message: /contains web page or script content/,
        },
        { name: 'a file over the item limit (1 MB)', send: async (r) => r.attach('cv', await makePdf('big', { padTo: 1_300_000 }), 'big.pdf'), status: 413, message: /“big\.pdf” is larger than 1 MB\. Make it smaller, then upload it again: scan it at a lower resolution/ },
        { name: 'an empty file', send: (r) => r.attach('cv', Buffer.alloc(0), 'empty.pdf'), status: 422, message: /“empty\.pdf” is empty/ },
        { name: 'a path in the file name (../../x.pdf)', send: (r) => r.attach('cv', pdf, { filepath: '../../x.pdf', contentType: 'application/pdf' } as never), status: 422, message: /folder path in its name/ },
        {
          name: 'too many files (11)',
          send: (r) => {
            for (let i = 0; i < 11; i++) r.attach('recommendation_letter', pdf, `letter-${i}.pdf`);
            return r;
          },
          status: 413,
          message: /at most 10/,
        },
        { name: 'a field that is not on the checklist', send: (r) => r.attach('diploma_of_wizardry', pdf, 'x.pdf'), status: 422, message: /not a document on this checklist/ },
        { name: 'a request without files', send: (r) => r.field('note', 'x'), status: 422, message: /Choose at least one file/ },
        {
          name: 'a good file sent with a bad one (the whole request is refused)',
          send: (r) => r.attach('photo', makePng(), 'ok.png').attach('cv', html, 'cv.pdf'),
          status: 415,
          message: /is not a PDF, JPEG or PNG/,
        },
        {
          name: 'a good file sent with a passport without its expiry date (named: the page’s script shows only this message)',
          send: (r) => r.attach('photo', makePng(), 'ok.png').attach('passport', pdf, 'passport.pdf'),
          status: 422,
          message: /expiry.* The other file of this upload \(Photo[^)]*\) was not saved either: an upload is saved only when every file in it is accepted\./,
        },
      ];
      for (const c of cases) {
        it(`refuses ${c.name}`, async () => {
          const before = await snapshot();
          const res = await c.send(upload());
          expect(res.status, res.text).to.equal(c.status);
          expect(res.body.error.message).to.match(c.message);
          await waitFor(async () => JSON.stringify(await snapshot()) === JSON.stringify(before), 3000, 'storage to be back as it was').catch(() => undefined);
          expect(await snapshot()).to.deep.equal(before);
        });
      }

      it('shows the refusal on the page, with the checklist to try again, for a plain form', async () => {
        const res = await a.post(`/cases/${caseDoc._id}/documents`).field('_csrf', token).set('Accept', 'text/html').attach('cv', html, 'cv.pdf');
        expect(res.status).to.equal(415);
        expect(res.text).to.include('is not a PDF, JPEG or PNG file');
        // One bad file refuses the request: the page says the others chosen with it were not kept.
        expect(res.text).to.include('Nothing from this upload was kept, including the other files chosen with it');
        expect(res.text).to.include('enctype="multipart/form-data"');
        // The form to try again posts to the same address, its token a field (never in the address).
        expect(res.text).to.include(`action="/cases/${caseDoc._id}/documents"`);
        expect(res.text).to.not.include('_csrf=');
      });
    });

    it('redirects a plain form back to the application page after a successful upload', async () => {
      const res = await a
        .post(`/cases/${caseDoc._id}/documents`)
        .field('_csrf', token)
        .set('Accept', 'text/html')
        .field('passport_expiresAt', '2040-01-01')
        .attach('passport', makePng(), 'passport.png');
      expect(res.status, res.text.slice(0, 500)).to.equal(303);
      expect(res.headers.location).to.equal(`/applications/${caseDoc._id}#documents`);
      const d = await CaseDocument.findOne({ case: caseDoc._id, type: 'passport' });
      expect(d!.expiresAt!.toISOString().slice(0, 10)).to.equal('2040-01-01');
    });

    it('refuses an upload without a CSRF token (more in upload-csrf.test.ts)', async () => {
      const res = await a.post(`/cases/${caseDoc._id}/documents`).set('Accept', 'application/json').attach('cv', pdf, 'cv.pdf');
      expect(res.status).to.equal(403);
    });

    it('keeps earlier versions when a file is uploaded again (staff see them, the applicant sees the current one)', async () => {
      const v2 = await makePdf('Curriculum vitae, version 2');
      const res = await upload().attach('cv', v2, 'cv-v2.pdf');
      expect(res.status, res.text).to.equal(201);
      const versions = await CaseDocument.find({ case: caseDoc._id, type: 'cv' }).sort({ version: 1 });
      expect(versions.map((v) => [v.version, v.current])).to.deep.equal([
        [1, false],
        [2, true],
      ]);
      const staffView = await checklistForCase(caseDoc, { checklist: [{ type: 'cv' }] }, hr);
      expect(staffView.items[0]!.current.map((d) => d.version)).to.deep.equal([2]);
      expect(staffView.items[0]!.versions.map((d) => d.version)).to.deep.equal([1]);
      const applicantView = await checklistForCase(caseDoc, { checklist: [{ type: 'cv' }] }, applicant);
      expect(applicantView.items[0]!.versions).to.deep.equal([]);
      expect(applicantView.items[0]!.uploadField).to.equal('cv');
    });

    it('adds a new entry of a list in the next slot, a new version to a numbered one, and refuses a number that does not exist', async () => {
      const letters = () => CaseDocument.find({ case: caseDoc._id, type: 'recommendation_letter' }).sort({ slot: 1, version: 1 }).lean();
      const before = await letters();
      const top = Math.max(0, ...before.map((d) => d.slot));
      const added = await upload().attach('recommendation_letter', pdf, 'letter-new.pdf');
      expect(added.status, added.text).to.equal(201);
      const revised = await upload().attach(`recommendation_letter--${top + 1}`, pdf, 'letter-new-v2.pdf');
      expect(revised.status, revised.text).to.equal(201);
      const after = (await letters()).filter((d) => d.slot === top + 1);
      expect(after.map((d) => [d.version, d.current, d.originalName])).to.deep.equal([
        [1, false, 'letter-new.pdf'],
        [2, true, 'letter-new-v2.pdf'],
      ]);
      for (const field of [`recommendation_letter--${top + 2}`, 'recommendation_letter--0', 'cv--1']) {
        const res = await upload().attach(field, pdf, 'letter.pdf');
        expect(res.status, `${field}: ${res.text}`).to.equal(422);
        expect(res.body.error.message, field).to.match(/does not exist/);
      }
      expect((await letters()).length).to.equal(before.length + 2);
    });

    it('keeps both of two uploads sent at the same moment: two versions of one file, two entries of a list', async () => {
      const versionsBefore = await CaseDocument.countDocuments({ case: caseDoc._id, type: 'publications_list' });
      const [one, two] = await Promise.all([upload().attach('publications_list', pdf, 'pubs-a.pdf'), upload().attach('publications_list', pdf, 'pubs-b.pdf')]);
      expect([one.status, two.status], `${one.text} ${two.text}`).to.deep.equal([201, 201]);
      const pubs = await CaseDocument.find({ case: caseDoc._id, type: 'publications_list' }).sort({ version: 1 }).lean();
      expect(pubs.map((d) => d.version)).to.deep.equal(Array.from({ length: versionsBefore + 2 }, (_, i) => i + 1));
      expect(pubs.filter((d) => d.current).map((d) => d.version)).to.deep.equal([versionsBefore + 2]);

      const entriesBefore = await CaseDocument.find({ case: caseDoc._id, type: 'recommendation_letter', current: true }).lean();
      const sent = await Promise.all(['letter-x.pdf', 'letter-y.pdf', 'letter-z.pdf'].map((name) => upload().attach('recommendation_letter', pdf, name)));
      expect(sent.map((r) => r.status), sent.map((r) => r.text).join(' ')).to.deep.equal([201, 201, 201]);
      const entries = await CaseDocument.find({ case: caseDoc._id, type: 'recommendation_letter', current: true }).lean();
      expect(entries.length, 'each upload is an entry of its own, none replaced another').to.equal(entriesBefore.length + 3);
      expect(new Set(entries.map((d) => d.slot)).size).to.equal(entries.length);
      expect(entries.map((d) => d.originalName)).to.include.members(['letter-x.pdf', 'letter-y.pdf', 'letter-z.pdf']);
    });

    it(kind === 'gridfs' ? 'writes no temporary file when no scanner reads one: the bytes go to GridFS only, hashed as they pass' : 'receives the file into a temporary file, renamed into place', async () => {
      const tmp = path.join(uploadDir, '.tmp');
      await mkdir(tmp, { recursive: true });
      const seen: string[] = [];
      const watcher = watch(tmp, (_event, name) => name && seen.push(String(name)));
      // Over a few chunks, with an uneven tail: every chunk's bytes and their order are in the hash.
      const file = Buffer.concat([await makePdf('No temporary file'), randomBytes(GRIDFS_CHUNK_BYTES * 2 + 12_345)]);
      let res: request.Response;
      try {
        res = await upload().attach('recommendation_letter', file, 'letter.pdf');
        await new Promise((r) => setTimeout(r, 150)); // inotify's events come on the next turns of the loop
      } finally {
        watcher.close();
      }
      expect(res.status, res.text).to.equal(201);
      if (kind === 'gridfs') expect(seen, 'no temporary file created, even for a moment').to.deep.equal([]);
      else expect(seen.some((n) => n.endsWith('.part')), 'the temporary file the watch saw').to.equal(true);
      const d = (await CaseDocument.findById(res.body.documents[0].id).lean())!;
      expect(d.sha256).to.equal(sha256(file));
      expect(d.size).to.equal(file.length);
      expect(sha256(await readStored(d.storageKey))).to.equal(sha256(file));
      expect(await filesUnder(tmp)).to.deep.equal([]);
    });

    it('leaves no file and no record when the connection drops halfway through an upload', async () => {
      const before = await snapshot();
      const big = await makePdf('interrupted', { padTo: 900_000 });
      const boundary = '----interrupted' + Date.now();
      const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${token}\r\n--${boundary}\r\nContent-Disposition: form-data; name="cv"; filename="cv.pdf"\r\nContent-Type: application/pdf\r\n\r\n`);
      const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
      const body = Buffer.concat([head, big, tail]);
      const url = new URL(`${t.baseUrl}/cases/${caseDoc._id}/documents`);
      const req = http.request(url, {
        method: 'POST',
        headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': String(body.length), Cookie: cookieHeader(a), Accept: 'application/json' },
      });
      req.on('error', () => undefined);
      req.write(body.subarray(0, Math.floor(body.length / 2)));
      // The server has started receiving the file (its temporary file; on GridFS with no scanner, its staging)...
      await waitFor(async () => {
        const r = await receiving(t.ctx, uploadDir);
        return r.tempFiles + r.stagings > 0;
      }, 5000, 'the upload to be received');
      // ...when the client goes away.
      req.destroy();
      await waitFor(async () => {
        const r = await receiving(t.ctx, uploadDir);
        return r.tempFiles + r.stagings === 0;
      }, 5000, 'the received file to be dropped');
      await new Promise((r) => setTimeout(r, 200));
      expect(await snapshot()).to.deep.equal(before);
    });

    describe('download', () => {
      let docId: string;
      let bytes: Buffer;
      before(async () => {
        bytes = await makePdf('Publication list ✓ – Nguyễn');
        const res = await upload().attach('recommendation_letter', bytes, 'Thư giới thiệu "số 1".pdf');
        expect(res.status, res.text).to.equal(201);
        docId = res.body.documents[0].id;
      });

      it('refuses an anonymous request', async () => {
        const res = await request(t.app).get(`/documents/${docId}/download`).set('Accept', 'application/json');
        expect(res.status).to.equal(401);
      });

      it('refuses another applicant and HR staff of another institute (404: they may not learn it exists)', async () => {
        for (const u of [otherApplicant, otherHr]) {
          const other = agent(t.app);
          await signIn(other, u);
          const res = await other.get(`/documents/${docId}/download`).set('Accept', 'application/json');
          expect(res.status, u.role).to.equal(404);
          expect(res.body).not.to.be.instanceOf(Buffer);
        }
      });

      it('gives the applicant, HR of the institute and an administrator the exact bytes, as an attachment', async () => {
        for (const u of [applicant, hr, admin]) {
          const who = u === applicant ? a : agent(t.app);
          if (u !== applicant) await signIn(who, u);
          const res = await download(who, `/documents/${docId}/download`);
          expect(res.status, u.role).to.equal(200);
          expect(sha256(res.body as Buffer), u.role).to.equal(sha256(bytes));
          expect(res.headers['content-type']).to.equal('application/pdf');
          expect(res.headers['x-content-type-options']).to.equal('nosniff');
          expect(res.headers['content-disposition']).to.match(/^attachment; filename="[^"]+"; filename\*=UTF-8''/);
          expect(res.headers['content-disposition']).to.include(encodeURIComponent('Thư giới thiệu'));
          expect(res.headers['content-disposition']).not.to.match(/filename="[^"]*"[^;]*"/);
          expect(res.headers['cache-control']).to.include('no-store');
        }
        const audits = await AuditEvent.countDocuments({ action: 'document.download', targetId: docId });
        expect(audits).to.equal(3);
      });

      it('answers 404 for an unknown or malformed id', async () => {
        expect((await a.get('/documents/000000000000000000000000/download').set('Accept', 'application/json')).status).to.equal(404);
        expect((await a.get('/documents/..%2F..%2Fetc%2Fpasswd/download').set('Accept', 'application/json')).status).to.equal(404);
      });

      it('is never reachable as a static file', async () => {
        const d = await CaseDocument.findById(docId);
        for (const p of [`/static/${d!.storageKey}`, `/uploads/${d!.storageKey}`, `/static/../uploads/${d!.storageKey.slice(0, 2)}/${d!.storageKey}`]) {
          const res = await a.get(p).set('Accept', 'application/json');
          expect(res.status, p).to.be.oneOf([400, 404]);
        }
      });
    });
  });
}
