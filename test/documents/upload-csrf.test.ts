// The CSRF token of an upload travels in the form's `_csrf` field, before its files, or in the
// x-csrf-token header (the page's script); never in the address, where the address bar, the
// history, a Referer and the access log would keep it. Real multipart requests, once per storage
// (disk, GridFS): an upload without the right token before its first file is refused 403 in the
// user's language, and not a byte of a file is written, even for a moment (the upload folder is
// watched while the request runs), nor anything stored.
import { watch, type FSWatcher } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import type request from 'supertest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent, type Agent } from '../support/http.ts';
import { createInstitute, createUser, signIn } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { CaseDocument } from '../../models/document.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import { User, type UserDoc } from '../../models/user.ts';
import type { CaseDoc } from '../../models/case.ts';
import type { CallDoc } from '../../models/call.ts';
import { filesUnder, gridFsCounts, makePdf, tokenOf } from './support.ts';

const CSRF_EN = 'This form has expired or was sent from another page. Please reload the page and send it again.';
// The page (signed in, a token from an older page) says so in its title (server/http/error-handler.ts expiredPage).
const CSRF_PAGE_EN = 'This page was open too long';
const CSRF_PAGE_VI = 'Trang này đã mở quá lâu';

for (const kind of ['disk', 'gridfs'] as const) {
  describe(`documents: the CSRF token of an upload (${kind} storage)`, function () {
    this.timeout(60_000);
    let t: TestApp;
    let uploadDir: string;
    let applicant: UserDoc;
    let call: CallDoc;
    let caseDoc: CaseDoc;
    let a: Agent;
    let token: string;
    let otherToken: string;
    let pdf: Buffer;
    let scanner: string;

    before(async () => {
      uploadDir = path.resolve(`data/test/uploads-csrf-${kind}-${process.pid}`);
      await rm(uploadDir, { recursive: true, force: true });
      // On GridFS a temporary file is written only for a scanner to read (server/http/upload-engine.ts):
      // one that passes every file, so that the watch below has a file to see on both stores.
      scanner = path.join(uploadDir, '..', `pass-scanner-${kind}-${process.pid}.sh`);
      await mkdir(path.dirname(scanner), { recursive: true });
      await writeFile(scanner, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
      t = await startTestApp({ env: { UPLOAD_STORAGE: kind, UPLOAD_DIR: uploadDir, UPLOAD_RATE_PER_HOUR: '1000', ...(kind === 'gridfs' ? { CLAMDSCAN_PATH: scanner } : {}) } });
      const institute = await createInstitute();
      call = await createCall({
        institute,
        checklist: [
          { type: 'cv', phase: 'application', required: true },
          { type: 'passport', phase: 'application', required: true },
        ] as never,
      });
      applicant = await createUser({ role: 'applicant', locale: 'en' });
      caseDoc = await createCase({ applicant, call, stage: 'screening' });
      a = agent(t.app);
      await signIn(a, applicant);
      token = await tokenOf(a);
      // A real token, of someone else's session: what a forged form would carry.
      const other = agent(t.app);
      await signIn(other, await createUser({ role: 'applicant', locale: 'en' }));
      otherToken = await tokenOf(other);
      pdf = await makePdf('Curriculum vitae');
    });
    after(async () => {
      await t?.close();
      await rm(uploadDir, { recursive: true, force: true });
      await rm(scanner, { force: true });
    });

    const post = (who: Agent = a, c: CaseDoc = caseDoc) => who.post(`/cases/${c._id}/documents`).set('Accept', 'application/json');

    /** An accepted passport on a case of its own: it can be renewed. */
    async function acceptedPassport(): Promise<{ c: CaseDoc; id: string }> {
      const c = await createCase({ applicant, call, stage: 'screening' });
      const up = await post(a, c).field('_csrf', token).field('passport_expiresAt', '2040-01-01').attach('passport', pdf, 'passport.pdf');
      expect(up.status, up.text).to.equal(201);
      const id = (up.body.documents as Array<{ id: string }>)[0]!.id;
      await CaseDocument.updateOne({ _id: id }, { $set: { status: 'accepted' } });
      return { c, id };
    }

    async function stored(c: CaseDoc = caseDoc) {
      return {
        files: await filesUnder(uploadDir),
        grid: await gridFsCounts(),
        docs: await CaseDocument.countDocuments({ case: c._id }),
        audits: await AuditEvent.countDocuments({ action: /^document\./ }),
      };
    }

    /**
     * Runs a request while the upload folder and its temporary folder are watched: the names of
     * every file created there, even one removed at once, with what the request stored.
     */
    async function watched(send: () => Promise<request.Response> | request.Test, c: CaseDoc = caseDoc) {
      const tmp = path.join(uploadDir, '.tmp');
      await mkdir(tmp, { recursive: true });
      const seen: string[] = [];
      const watchers: FSWatcher[] = [uploadDir, tmp].map((dir) => watch(dir, (_event, name) => name && seen.push(String(name))));
      const before = await stored(c);
      try {
        const res = await send();
        // inotify's events come on the next turns of the loop.
        await new Promise((r) => setTimeout(r, 150));
        return { res, seen: seen.filter((n) => n !== '.tmp'), before, after: await stored(c) };
      } finally {
        for (const w of watchers) w.close();
      }
    }

    it('accepts the right token sent before the file, and the watch sees the file written (the check below is real)', async () => {
      const { res, seen, before, after } = await watched(() => post().field('_csrf', token).attach('cv', pdf, 'cv.pdf'));
      expect(res.status, res.text).to.equal(201);
      expect(seen.some((n) => n.endsWith('.part')), 'a temporary file was written').to.equal(true);
      expect(after.docs).to.equal(before.docs + 1);
    });

    const refusals: Array<{ name: string; send: () => request.Test }> = [
      { name: 'no token at all', send: () => post().attach('cv', pdf, 'cv.pdf') },
      { name: "a wrong token (another session's)", send: () => post().field('_csrf', otherToken).attach('cv', pdf, 'cv.pdf') },
      { name: 'a token that is not one', send: () => post().field('_csrf', 'x'.repeat(256)).attach('cv', pdf, 'cv.pdf') },
      { name: 'the right token only in the query string', send: () => a.post(`/cases/${caseDoc._id}/documents?_csrf=${token}`).set('Accept', 'application/json').attach('cv', pdf, 'cv.pdf') },
      { name: 'the right token placed after the file', send: () => post().attach('cv', pdf, 'cv.pdf').field('_csrf', token) },
      { name: 'the right token after the first of two files', send: () => post().attach('cv', pdf, 'cv.pdf').field('_csrf', token).attach('passport', pdf, 'passport.pdf') },
      { name: 'the right token twice (two fields, no single answer)', send: () => post().field('_csrf', token).field('_csrf', token).attach('cv', pdf, 'cv.pdf') },
      { name: 'a wrong token and no file part', send: () => post().field('_csrf', otherToken).field('passport_expiresAt', '2040-01-01') },
      { name: 'no token and no file part', send: () => post().field('passport_expiresAt', '2040-01-01') },
      { name: 'a wrong token in the header, the right one in the body', send: () => post().set('x-csrf-token', otherToken).field('_csrf', token).attach('cv', pdf, 'cv.pdf') },
    ];
    for (const r of refusals) {
      it(`refuses ${r.name}: 403, no byte of a file written, nothing stored`, async () => {
        const { res, seen, before, after } = await watched(r.send);
        expect(res.status, res.text).to.equal(403);
        expect(res.body.error).to.deep.equal({ code: 'csrf_failed', message: CSRF_EN });
        expect(seen, 'files created while the request ran').to.deep.equal([]);
        expect(after).to.deep.equal(before);
      });
    }

    it('accepts the right token in the x-csrf-token header (the page\'s script), whatever the body carries', async () => {
      const { res, after, before } = await watched(() => post().set('x-csrf-token', token).set('X-Requested-With', 'upload-form').attach('cv', pdf, 'cv.pdf'));
      expect(res.status, res.text).to.equal(201);
      expect(after.docs).to.equal(before.docs + 1);
    });

    it('checks the token of a body without a file once it is read: the right one reaches the form\'s own message', async () => {
      const res = await post().field('_csrf', token).field('passport_expiresAt', '2040-01-01');
      expect(res.status, res.text).to.equal(422);
      expect(res.body.error.message).to.match(/Choose at least one file/);
    });

    it('answers a plain form (no JavaScript) with the 403 page in the user\'s language, at an address without a token', async () => {
      const en = await a.post(`/cases/${caseDoc._id}/documents`).set('Accept', 'text/html').field('_csrf', otherToken).attach('cv', pdf, 'cv.pdf');
      expect(en.status).to.equal(403);
      expect(en.text).to.include(CSRF_PAGE_EN);

      const viApplicant = await createUser({ role: 'applicant', locale: 'vi' });
      const viCase = await createCase({ applicant: viApplicant, call, stage: 'screening' });
      const vi = agent(t.app);
      await signIn(vi, viApplicant);
      const { res, seen, before, after } = await watched(() => vi.post(`/cases/${viCase._id}/documents`).set('Accept', 'text/html').attach('cv', pdf, 'cv.pdf').field('_csrf', token), viCase);
      expect(res.status).to.equal(403);
      expect(res.text).to.include(CSRF_PAGE_VI);
      expect(seen).to.deep.equal([]);
      expect(after).to.deep.equal(before);
    });

    it('renders the upload forms with the token as their first field, and never in an address', async () => {
      const forms: string[] = [];
      const page = await a.get(`/applications/${caseDoc._id}`).set('Accept', 'text/html');
      expect(page.status).to.equal(200);
      forms.push(page.text);
      // The page shown again after a refused plain-form upload.
      const refused = await a.post(`/cases/${caseDoc._id}/documents`).set('Accept', 'text/html').field('_csrf', token).attach('cv', Buffer.from('not a pdf'), 'cv.pdf');
      expect(refused.status).to.equal(415);
      forms.push(refused.text);
      // The renewal page of an accepted passport.
      const { id } = await acceptedPassport();
      const renew = await a.get(`/documents/${id}/renew`).set('Accept', 'text/html');
      expect(renew.status, renew.text.slice(0, 300)).to.equal(200);
      forms.push(renew.text);

      for (const html of forms) {
        const form = /<form [^>]*enctype="multipart\/form-data"[^>]*>([\s\S]*?)<\/form>/.exec(html);
        expect(form, 'an upload form').to.not.equal(null);
        expect(form![0]).to.match(/^<form method="post" action="\/(?:cases\/[a-f0-9]{24}\/documents|documents\/[a-f0-9]{24}\/renew)" /);
        expect(html).to.not.match(/_csrf=/);
        const fields = [...form![1]!.matchAll(/<input [^>]*name="([^"]+)"/g)].map((m) => m[1]);
        expect(fields[0], 'the first field of the form').to.equal('_csrf');
        expect(form![1]).to.match(/type="file"/);
      }
    });

    it('refuses a renewal whose token comes after its file, keeping the accepted version as it was', async () => {
      const { c, id } = await acceptedPassport();
      const renew = (send: (r: request.Test) => request.Test) => watched(() => send(a.post(`/documents/${id}/renew`).set('Accept', 'text/html')), c);
      const late = await renew((r) => r.field('passport--0_expiresAt', '2050-01-01').attach('passport--0', pdf, 'new.pdf').field('_csrf', token));
      expect(late.res.status).to.equal(403);
      expect(late.res.text).to.include(CSRF_PAGE_EN);
      expect(late.seen).to.deep.equal([]);
      expect(late.after).to.deep.equal(late.before);
      const ok = await renew((r) => r.field('_csrf', token).field('passport--0_expiresAt', '2050-01-01').attach('passport--0', pdf, 'new.pdf'));
      expect(ok.res.status, ok.res.text.slice(0, 300)).to.equal(303);
      expect(ok.after.docs).to.equal(ok.before.docs + 1);
    });

    it('refuses a multipart body sent to any other form (its token is not read there), changing nothing', async () => {
      const res = await a.post('/account').set('Accept', 'text/html').field('_csrf', token).field('name', 'Changed by a multipart form').field('locale', 'en');
      expect(res.status).to.equal(403);
      expect((await User.findById(applicant._id).lean())!.name).to.equal(applicant.name);
    });
  });
}
