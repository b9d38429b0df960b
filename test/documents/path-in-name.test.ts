// A file name carrying a folder path is refused, and the refusal quotes the name as it was sent,
// whole: not only its last part (which hid the '../../' the applicant must take out), bounded (a long
// name keeps its beginning and its end), its control and direction characters shown as visible marks
// rather than acted on, and escaped on the page. The quote unit first, then the upload over HTTP.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent, type Agent } from '../support/http.ts';
import { createInstitute, createUser, signIn } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { CaseDocument } from '../../models/document.ts';
import { quotedFileName } from '../../server/http/upload-engine.ts';
import { filesUnder, makePdf, tokenOf } from './support.ts';

describe('documents: a file name with a folder path is quoted whole in its refusal', function () {
  this.timeout(60_000);

  describe('quotedFileName', () => {
    it('keeps the whole name, folders included', () => {
      expect(quotedFileName('../../etc/passwd.pdf')).to.equal('../../etc/passwd.pdf');
      expect(quotedFileName('C:\\Users\\an\\cv.pdf')).to.equal('C:\\Users\\an\\cv.pdf');
      expect(quotedFileName('thư mục/Hồ sơ.pdf')).to.equal('thư mục/Hồ sơ.pdf');
    });

    it('shows control characters as visible marks, and direction or invisible characters by their code', () => {
      expect(quotedFileName('a\u0000b\nc\u001b[31m\u007f/x.pdf')).to.equal('a\u2400b\u240Ac\u241B[31m\u2421/x.pdf');
      // U+202E (right-to-left override) would turn the rest of the quote around: named, not applied.
      expect(quotedFileName('../invoice\u202Efdp.exe')).to.equal('../invoice[U+202E]fdp.exe');
      expect(quotedFileName('a\u200Bb\u0085c/d.pdf')).to.equal('a[U+200B]b[U+0085]c/d.pdf');
    });

    it('is bounded: a long name keeps its beginning and its end, cut between them', () => {
      const long = `../${'d/'.repeat(400)}cv.pdf`;
      const q = quotedFileName(long);
      expect(q.length).to.be.at.most(200);
      expect(q.startsWith('../d/d/')).to.equal(true);
      expect(q.endsWith('d/cv.pdf')).to.equal(true);
      expect(q).to.include('…');
      // Cut on whole characters: an emoji is never split into half a surrogate pair.
      const emoji = quotedFileName(`../${'😀'.repeat(300)}.pdf`);
      expect(emoji).to.not.match(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
    });
  });

  describe('over HTTP', () => {
    let t: TestApp;
    let uploadDir: string;
    let a: Agent;
    let token: string;
    let caseId: string;

    before(async () => {
      uploadDir = path.resolve(`data/test/uploads-path-name-${process.pid}`);
      t = await startTestApp({ env: { UPLOAD_DIR: uploadDir, UPLOAD_RATE_PER_HOUR: '1000' } });
      const institute = await createInstitute();
      const call = await createCall({ institute, checklist: [{ type: 'cv', phase: 'application', required: true }] as never });
      const applicant = await createUser({ role: 'applicant', locale: 'en' });
      caseId = String((await createCase({ applicant, call, stage: 'draft' }))._id);
      a = agent(t.app);
      await signIn(a, applicant);
      token = await tokenOf(a);
    });
    after(async () => {
      await t?.close();
      await rm(uploadDir, { recursive: true, force: true });
    });

    const hostile = '../../<b>secret</b>/cv\u202Efdp.pdf';

    it('JSON: the message quotes the name whole, the override named; nothing stored', async () => {
      const res = await a.post(`/cases/${caseId}/documents`).field('_csrf', token).set('Accept', 'application/json').attach('cv', await makePdf('CV'), { filepath: hostile, contentType: 'application/pdf' } as never);
      expect(res.status, res.text).to.equal(422);
      expect(res.body.error.code).to.equal('path_in_name');
      expect(res.body.error.message).to.equal('“../../<b>secret</b>/cv[U+202E]fdp.pdf” has a folder path in its name; rename the file and upload it again.');
      expect(await CaseDocument.countDocuments({ case: caseId })).to.equal(0);
      expect((await filesUnder(uploadDir)).filter((f) => !f.startsWith('.tmp'))).to.deep.equal([]);
    });

    it('HTML: the same quote, escaped', async () => {
      const res = await a.post(`/cases/${caseId}/documents`).field('_csrf', token).set('Accept', 'text/html').attach('cv', await makePdf('CV'), { filepath: hostile, contentType: 'application/pdf' } as never);
      expect(res.status).to.equal(422);
      expect(res.text).to.include('“../../&lt;b&gt;secret&lt;/b&gt;/cv[U+202E]fdp.pdf” has a folder path in its name');
      expect(res.text).to.not.include('<b>secret</b>');
      expect(res.text).to.not.include('\u202E');
    });
  });
});
