// After a restart, the start-up sweep takes back an answer's file that no answer names (a process
// killed inside the answer: server/documents/sweep.ts), and claims the case by moving its version so
// that an answer still under way elsewhere is refused. The applicant's page open from before the
// restart must not answer "someone changed the case" for that claim alone: their next submit (with a
// file or without) is taken. A real change since (HR's) still answers the conflict page. Real
// database, real multipart uploads, files on disk.
import path from 'node:path';
import type { Types } from 'mongoose';
import { mkdir, writeFile } from 'node:fs/promises';
import { expect } from 'chai';
import type { TestApp } from '../support/app.ts';
import { useUploadTestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case } from '../../models/case.ts';
import { CaseDocument } from '../../models/document.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { loadCalendar, seedHolidays, vnDateKey } from '../../server/calendar/index.ts';
import { sweepAnswerFiles } from '../../server/documents/sweep.ts';
import { DiskStorage, newStorageKey } from '../../server/documents/storage.ts';
import { signedIn, page, post, versionIn } from './support.ts';
import { makePdf, sha256 } from '../documents/support.ts';
import { csrfFrom, type Agent } from '../support/http.ts';

describe('information request: the answer page open across a restart and its sweep', function () {
  this.timeout(60_000);
  let t!: TestApp;
  let uploadDir = '';
  useUploadTestApp('answer-sweep', (app, dir) => {
    t = app;
    uploadDir = dir;
  });
  let hr: UserDoc;
  let call: CallDoc;
  let pdf: Buffer;

  before(async () => {
    await seedHolidays();
    const institute = await createInstitute();
    hr = await createUser({ role: 'hr_officer', institute, locale: 'en' });
    call = await createCall({ institute, checklist: [{ type: 'cv', phase: 'application', required: true }] as never });
    pdf = await makePdf('Certified translation of the PhD diploma');
  });

  /** HR asks, through the real form, for a paper of `documentType`. */
  async function ask(applicant: UserDoc) {
    const c = await createCase({ applicant, call, stage: 'screening' });
    const a = await signedIn(t, hr);
    const form = await page(a, `/cases/${c._id}/request-info`);
    const due = vnDateKey((await loadCalendar()).addWorkingDays(new Date(), 10));
    const res = await post(a, form.text, `/cases/${c._id}/request-info`, { version: versionIn(form.text, `/cases/${c._id}/request-info`), items: 'Certified translation of your PhD diploma', dueAt: due, documentType: 'degree_translation' });
    expect(res.status, res.text.slice(0, 300)).to.equal(303);
    return c;
  }

  /** The lost answer's file, as a process killed before the case's update leaves it: record and file, marked. */
  async function lostAnswerFile(caseId: Types.ObjectId, applicant: UserDoc) {
    const key = newStorageKey();
    await mkdir(uploadDir, { recursive: true });
    const tmp = path.join(uploadDir, `${key}.part`);
    await writeFile(tmp, pdf);
    await new DiskStorage(uploadDir).put(tmp, key);
    return CaseDocument.create({
      case: caseId, type: 'degree_translation', slot: 0, version: 1, current: true, storage: 'disk', storageKey: key, originalName: 'lost.pdf', mimeType: 'application/pdf',
      size: pdf.length, sha256: sha256(pdf), uploadedBy: applicant._id, status: 'pending', answerPending: true,
    });
  }

  /** The restart's sweep (its cut-off: now). */
  async function restartSweep() {
    await new Promise((r) => setTimeout(r, 20));
    return sweepAnswerFiles(t.ctx, new Date());
  }

  /** The answer form of a page read earlier, sent as the browser sends it. */
  function send(ap: Agent, caseId: unknown, pageHtml: string, answer: string, withFile: boolean) {
    let req = ap.post(`/applications/${String(caseId)}/answer`).set('Accept', 'text/html').field('_csrf', csrfFrom(pageHtml)).field('version', versionIn(pageHtml, `/applications/${String(caseId)}/answer`)).field('answer', answer);
    if (withFile) req = req.attach('degree_translation', pdf, { filename: 'translation.pdf', contentType: 'application/pdf' });
    return req;
  }

  for (const withFile of [true, false]) {
    it(`takes the answer ${withFile ? 'with its file' : 'as text'} sent from a page read before the sweep claimed the case`, async () => {
      const applicant = await createUser({ role: 'applicant', locale: 'en' });
      const c = await ask(applicant);
      const ap = await signedIn(t, applicant);
      const before = await page(ap, `/applications/${c._id}`);
      const seen = (await Case.findById(c._id).lean())!.version;
      const lost = await lostAnswerFile(c._id, applicant);
      expect((await restartSweep()).removed, 'this case’s lost file at least (other tests’ records may be swept too)').to.be.at.least(1);
      expect(await CaseDocument.exists({ _id: lost._id }), 'the lost file taken back').to.equal(null);
      expect((await Case.findById(c._id).lean())!.version, 'the sweep claimed the case').to.equal(seen + 1);

      const res = await send(ap, c._id, before.text, 'Here is the certified translation.', withFile);
      expect(res.status, res.text.slice(0, 400)).to.equal(303);
      expect(res.headers.location).to.equal(`/applications/${c._id}`);
      const after = (await Case.findById(c._id).lean())!;
      expect(after.stage).to.equal('screening');
      expect(after.infoRequest?.answer).to.equal('Here is the certified translation.');
      expect(after.infoRequest?.answerDocuments ?? []).to.have.length(withFile ? 1 : 0);
      expect(after.version).to.equal(seen + 2);
    });
  }

  it('still answers the conflict page when HR changed the case after the sweep, and keeps nothing of the file', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await ask(applicant);
    const ap = await signedIn(t, applicant);
    const before = await page(ap, `/applications/${c._id}`);
    await lostAnswerFile(c._id, applicant);
    expect((await restartSweep()).removed).to.be.at.least(1);
    // HR extends the request meanwhile: a real change, which the applicant's page did not show.
    const a = await signedIn(t, hr);
    const hrPage = await page(a, `/cases/${c._id}`);
    const later = vnDateKey((await loadCalendar()).addWorkingDays(new Date(), 15));
    const done = await post(a, hrPage.text, `/cases/${c._id}/request-info/extend`, { version: versionIn(hrPage.text, `/cases/${c._id}/request-info/extend`), extendDueAt: later, extendReason: 'The registry is closed this week.' });
    expect(done.status, done.text.slice(0, 300)).to.equal(303);
    const res = await send(ap, c._id, before.text, 'Here it is.', true);
    expect(res.status).to.equal(409);
    expect(await CaseDocument.countDocuments({ case: c._id, type: 'degree_translation' }), 'no file kept').to.equal(0);
  });
});
