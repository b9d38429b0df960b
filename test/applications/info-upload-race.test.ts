// An answer to an information request that carries a file, and loses the case's version race after
// the file was stored (an officer changed the case between the applicant's page and the answer's
// write): the applicant sees the conflict page with their text to copy, and the stored file is taken
// back (server/applications/answer.ts, server/documents/upload.ts withdrawUploads), on disk and in
// GridFS, with the version it replaced current again. The race is forced for real: the virus
// scanner the upload runs (CLAMDSCAN_PATH) is a script that, when told to, waits while the test
// writes the case, so the answer's version is stale by the time its file is stored.
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import type { TestApp } from '../support/app.ts';
import { useUploadTestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case } from '../../models/case.ts';
import { CaseDocument } from '../../models/document.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { loadCalendar, seedHolidays, vnDateKey } from '../../server/calendar/index.ts';
import { signedIn, page, post, versionIn } from './support.ts';
import { filesUnder, gridFsCounts, makePdf, waitFor } from '../documents/support.ts';
import { csrfFrom, type Agent } from '../support/http.ts';

/** A scanner that says "clean" at once, unless `hold` exists: then it says it started and waits for `go`. */
function holdingScanner(label: string): { dir: string; script: string } {
  const dir = path.resolve(`data/test/scan-hold-${label}-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const script = path.join(dir, 'scan.sh');
  writeFileSync(script, `#!/bin/sh\nif [ -f "${dir}/hold" ]; then\n  touch "${dir}/started"\n  while [ ! -f "${dir}/go" ]; do sleep 0.05; done\nfi\nexit 0\n`, { mode: 0o755 });
  return { dir, script };
}

for (const storage of ['disk', 'gridfs'] as const) {
  describe(`information request: a file sent with an answer that loses the version race (${storage})`, function () {
    this.timeout(60_000);
    const scanner = holdingScanner(storage);
    let t!: TestApp;
    let uploadDir = '';
    useUploadTestApp(`info-race-${storage}`, (app, dir) => {
      t = app;
      uploadDir = dir;
    }, { CLAMDSCAN_PATH: scanner.script, UPLOAD_STORAGE: storage });
    let hr: UserDoc;
    let call: CallDoc;
    let pdf: Buffer;

    before(async () => {
      await seedHolidays();
      const institute = await createInstitute();
      hr = await createUser({ role: 'hr_officer', institute, locale: 'en' });
      call = await createCall({ institute, checklist: [{ type: 'cv', phase: 'application', required: true }] as never });
      pdf = await makePdf('Curriculum vitae, second edition');
    });
    after(async () => {
      await rm(scanner.dir, { recursive: true, force: true });
    });

    async function ask(caseId: unknown, documentType: string) {
      const a = await signedIn(t, hr);
      const url = `/cases/${String(caseId)}/request-info`;
      const form = await page(a, url);
      const due = vnDateKey((await loadCalendar()).addWorkingDays(new Date(), 10));
      const res = await post(a, form.text, url, { version: versionIn(form.text, url), items: 'Your CV, updated', dueAt: due, documentType });
      expect(res.status, res.text.slice(0, 300)).to.equal(303);
    }

    function answer(ap: Agent, html: string, caseId: unknown, typed: string) {
      const action = `/applications/${String(caseId)}/answer`;
      return ap.post(action).set('Accept', 'text/html').field('_csrf', csrfFrom(html)).field('version', versionIn(html, action)).field('answer', typed).attach('cv', pdf, { filename: 'cv.pdf', contentType: 'application/pdf' });
    }

    /** What is stored: document records of the case, and files in the store (the disk's, or GridFS's). */
    const kept = async (caseId: unknown) => ({
      docs: await CaseDocument.countDocuments({ case: caseId as never }),
      files: storage === 'disk' ? (await filesUnder(uploadDir)).filter((f) => !f.includes('.tmp')).length : (await gridFsCounts()).files,
    });

    it('shows the conflict page with the text typed, and keeps no file, no record, and the earlier version current', async () => {
      const applicant = await createUser({ role: 'applicant', locale: 'en' });
      const c = await createCase({ applicant, call, stage: 'screening' });
      const ap = await signedIn(t, applicant);
      // A first request for the CV, answered with its file: version 1 of the slot, current.
      await ask(c._id, 'cv');
      const first = await answer(ap, (await page(ap, `/applications/${c._id}`)).text, c._id, 'My CV.');
      expect(first.status, first.text.slice(0, 300)).to.equal(303);
      const v1 = (await CaseDocument.findOne({ case: c._id, type: 'cv' }).lean())!;
      expect([v1.version, v1.current]).to.deep.equal([1, true]);

      // Asked again; the applicant's page read, then the officer writes the case while the file is scanned.
      await ask(c._id, 'cv');
      const before = await kept(c._id);
      const mine = await page(ap, `/applications/${c._id}`);
      await writeFile(path.join(scanner.dir, 'hold'), '');
      const sent = answer(ap, mine.text, c._id, 'Here is my updated CV, typed once.').then((r) => r);
      await waitFor(async () => existsSync(path.join(scanner.dir, 'started')), 10_000, 'the scanner to start');
      await Case.updateOne({ _id: c._id }, { $inc: { version: 1 }, $set: { assignee: hr._id } });
      await writeFile(path.join(scanner.dir, 'go'), '');
      const res = await sent;
      await Promise.all(['hold', 'started', 'go'].map((f) => rm(path.join(scanner.dir, f), { force: true })));

      expect(res.status, res.text.slice(0, 300)).to.equal(409);
      expect(res.text).to.include('Here is my updated CV, typed once.');
      const after = (await Case.findById(c._id).lean())!;
      expect(after.stage).to.equal('awaiting_applicant');
      expect(after.infoRequest?.answeredAt).to.equal(undefined);
      // Nothing left behind: the case's documents and the store are as before the answer.
      expect(await kept(c._id)).to.deep.equal(before);
      const cvs = await CaseDocument.find({ case: c._id, type: 'cv' }).lean();
      expect(cvs.map((d) => [d.version, d.current])).to.deep.equal([[1, true]]);
      const withdrawn = await AuditEvent.find({ action: 'document.upload_withdrawn', 'summary.case': String(c._id) }).lean();
      expect(withdrawn.map((e) => (e.summary as { reason?: string }).reason)).to.deep.equal(['answer_conflict']);

      // Sent again from a fresh page, it is taken with its file.
      const again = await answer(ap, (await page(ap, `/applications/${c._id}`)).text, c._id, 'Here is my updated CV, typed once.');
      expect(again.status, again.text.slice(0, 300)).to.equal(303);
      expect(await kept(c._id)).to.deep.equal({ docs: before.docs + 1, files: before.files + 1 });
      expect((await CaseDocument.find({ case: c._id, type: 'cv' }).sort({ version: 1 }).lean()).map((d) => [d.version, d.current])).to.deep.equal([
        [1, false],
        [2, true],
      ]);
    });
  });
}
