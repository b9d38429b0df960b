// An information request that names a paper gives it an upload place beside the answer: HR picks
// a document type (the call's checklist or another paper), the applicant's answer form offers that
// file (real multipart requests), the file lands in the case's documents and on disk, and HR sees
// it with the answer. A text answer alone still works; a disguised file, a file under another name
// or an answer without text keeps nothing.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
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
import { signedIn, page, post, versionIn, deliver, text } from './support.ts';
import { filesUnder, makePdf, sha256 } from '../documents/support.ts';
import { csrfFrom, type Agent } from '../support/http.ts';

describe('information request: a paper uploaded with the answer', function () {
  this.timeout(60_000);
  let t!: TestApp;
  let uploadDir = '';
  useUploadTestApp('info-answer', (app, dir) => {
    t = app;
    uploadDir = dir;
  });
  let hr: UserDoc;
  let call: CallDoc;
  let pdf: Buffer;
  const exe = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(62), Buffer.from('PE\0\0'), Buffer.alloc(400, 0x90)]);

  before(async () => {
    await seedHolidays();
    const institute = await createInstitute();
    hr = await createUser({ role: 'hr_officer', institute, locale: 'en' });
    call = await createCall({ institute, checklist: [{ type: 'cv', phase: 'application', required: true }] as never });
    pdf = await makePdf('Certified translation of the PhD diploma');
  });

  /** HR asks, through the real form, for `items` with an upload place of `documentType` ('' for none). */
  async function ask(applicant: UserDoc, documentType: string) {
    const c = await createCase({ applicant, call, stage: 'screening' });
    const a = await signedIn(t, hr);
    const form = await page(a, `/cases/${c._id}/request-info`);
    const due = vnDateKey((await loadCalendar()).addWorkingDays(new Date(), 10));
    const res = await post(a, form.text, `/cases/${c._id}/request-info`, { version: versionIn(form.text, `/cases/${c._id}/request-info`), items: 'Certified translation of your PhD diploma', dueAt: due, documentType });
    expect(res.status, res.text.slice(0, 300)).to.equal(303);
    return c;
  }

  /** The applicant's answer form sent as the browser sends it: _csrf first, then the fields, then the file. */
  async function answer(ap: Agent, caseId: unknown, fields: Record<string, string>, file?: { field: string; body: Buffer; name: string }) {
    const mine = await page(ap, `/applications/${String(caseId)}`);
    let req = ap.post(`/applications/${String(caseId)}/answer`).set('Accept', 'text/html').field('_csrf', csrfFrom(mine.text)).field('version', versionIn(mine.text, `/applications/${String(caseId)}/answer`));
    for (const [k, v] of Object.entries(fields)) req = req.field(k, v);
    if (file) req = req.attach(file.field, file.body, { filename: file.name, contentType: 'application/pdf' });
    return req;
  }

  const stored = async (caseId: unknown) => ({ docs: await CaseDocument.countDocuments({ case: caseId as never }), files: (await filesUnder(uploadDir)).filter((f) => !f.includes('.tmp')).length, stage: (await Case.findById(caseId).lean())!.stage });

  it('lets HR name a paper from the checklist or another kind, and tells the applicant where it goes', async () => {
    const a = await signedIn(t, hr);
    const c = await createCase({ applicant: await createUser({ role: 'applicant', locale: 'en' }), call, stage: 'screening' });
    const form = await page(a, `/cases/${c._id}/request-info`);
    expect(form.text).to.include('<optgroup label="On the call&#x27;s checklist"><option value="cv">');
    expect(form.text).to.include('<option value="degree_translation">Degree translations (certified)</option>');
    // The signed offer is the offer's own step; a name the form did not offer is refused, what was typed kept.
    expect(form.text).not.to.include('value="signed_offer"');
    const bad = await post(a, form.text, `/cases/${c._id}/request-info`, { version: versionIn(form.text, `/cases/${c._id}/request-info`), items: 'A translation', dueAt: vnDateKey((await loadCalendar()).addWorkingDays(new Date(), 10)), documentType: 'signed_offer' });
    expect(bad.status).to.equal(422);
    expect(bad.text).to.match(/id="f-documentType-error">This value is not valid\.</);
    expect(bad.text).to.include('A translation</textarea>');
    expect((await Case.findById(c._id).lean())!.stage).to.equal('screening');

    for (const [locale, line] of [
      ['en', 'Upload it as "Degree translations (certified)" with your answer on your application page.'],
      ['vi', 'Vui lòng tải lên mục "'],
    ] as const) {
      const applicant = await createUser({ role: 'applicant', locale });
      const asked = await ask(applicant, 'degree_translation');
      expect((await Case.findById(asked._id).lean())!.infoRequest?.documentType).to.equal('degree_translation');
      await deliver(t, asked._id);
      const mail = await t.smtp.waitForTo(applicant.email, locale === 'en' ? /More information needed/ : /Cần bổ sung thông tin/);
      expect(mail.text).to.include(line);
    }
  });

  it('takes the answer with its file: stored in the case documents and on disk, shown to HR with the answer', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await ask(applicant, 'degree_translation');
    // The officer assigned is e-mailed the answer, with the file named.
    await Case.updateOne({ _id: c._id }, { $set: { assignee: hr._id } });
    const ap = await signedIn(t, applicant);
    const mine = await page(ap, `/applications/${c._id}`);
    expect(mine.text).to.include(`<form method="post" action="/applications/${c._id}/answer" enctype="multipart/form-data" novalidate>`);
    expect(mine.text).to.match(/<input id="f-answer-file" type="file" name="degree_translation"/);
    expect(text(mine.text)).to.include('Upload the paper asked for: Degree translations (certified)');
    expect(text(mine.text)).to.include('If you cannot send it now, or send it by post, say so in your answer.');

    const res = await answer(ap, c._id, { answer: 'Here is the certified translation.' }, { field: 'degree_translation', body: pdf, name: 'translation.pdf' });
    expect(res.status, res.text.slice(0, 500)).to.equal(303);
    const after = (await Case.findById(c._id).lean())!;
    expect(after.stage).to.equal('screening');
    expect(after.infoRequest?.answer).to.equal('Here is the certified translation.');
    expect(after.infoRequest?.answerDocuments).to.have.length(1);
    const doc = (await CaseDocument.findById(after.infoRequest!.answerDocuments![0]).lean())!;
    expect(doc.type).to.equal('degree_translation');
    expect(doc.originalName).to.equal('translation.pdf');
    expect(String(doc.case)).to.equal(String(c._id));
    // On disk, byte for byte, under its generated storage name.
    const onDisk = (await filesUnder(uploadDir)).filter((f) => path.basename(f) === doc.storageKey);
    expect(onDisk).to.have.length(1);
    expect(sha256(await readFile(path.join(uploadDir, onDisk[0]!)))).to.equal(sha256(pdf));

    const hrPage = await page(await signedIn(t, hr), `/cases/${c._id}`);
    const box = text(hrPage.text.slice(hrPage.text.indexOf('id="info-request"')));
    expect(box).to.include('Upload asked for: Degree translations (certified)');
    expect(box).to.include('Here is the certified translation.');
    expect(box).to.include(`<a href="/documents/${doc._id}/download">translation.pdf</a>`);
    await deliver(t, c._id);
    const told = await t.smtp.waitFor((m) => m.to.includes(hr.email.toLowerCase()) && m.text.includes(c.reference) && m.text.includes('has answered the request'));
    expect(told.text).to.include("With the answer: 1 file (Degree translations (certified)), in the case's documents.");
  });

  it('still takes a text answer without a file', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await ask(applicant, 'degree_translation');
    const ap = await signedIn(t, applicant);
    const res = await answer(ap, c._id, { answer: 'I will bring it to the HR office on Monday.' });
    expect(res.status).to.equal(303);
    const after = (await Case.findById(c._id).lean())!;
    expect(after.stage).to.equal('screening');
    expect(after.infoRequest?.answer).to.equal('I will bring it to the HR office on Monday.');
    expect(after.infoRequest?.answerDocuments ?? []).to.have.length(0);
    expect(await CaseDocument.countDocuments({ case: c._id })).to.equal(0);
    // A request naming no paper: the plain form, as before.
    const plain = await ask(applicant, '');
    const mine = await page(ap, `/applications/${plain._id}`);
    expect(mine.text).to.include(`<form method="post" action="/applications/${plain._id}/answer" novalidate>`);
    expect(mine.text).not.to.include('id="f-answer-file"');
    const done = await post(ap, mine.text, `/applications/${plain._id}/answer`, { version: versionIn(mine.text, `/applications/${plain._id}/answer`), answer: 'Sent by post.' });
    expect(done.status).to.equal(303);
    expect((await Case.findById(plain._id).lean())!.stage).to.equal('screening');
  });

  it('refuses a disguised file, a file under another name and an answer without text, keeping nothing and what was typed', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await ask(applicant, 'degree_translation');
    const ap = await signedIn(t, applicant);
    const before = await stored(c._id);
    expect(before.stage).to.equal('awaiting_applicant');

    const disguised = await answer(ap, c._id, { answer: 'My translation, attached.' }, { field: 'degree_translation', body: exe, name: 'translation.pdf' });
    expect(disguised.status).to.equal(415);
    expect(text(disguised.text)).to.match(/id="f-answer-file-error">“translation\.pdf” is not a PDF, JPEG or PNG file/);
    expect(disguised.text).to.include('My translation, attached.</textarea>');
    expect(await stored(c._id)).to.deep.equal(before);

    const otherSlot = await answer(ap, c._id, { answer: 'My CV instead.' }, { field: 'cv', body: pdf, name: 'cv.pdf' });
    expect(otherSlot.status).to.equal(422);
    expect(await stored(c._id)).to.deep.equal(before);

    const noText = await answer(ap, c._id, { answer: '' }, { field: 'degree_translation', body: pdf, name: 'translation.pdf' });
    expect(noText.status).to.equal(422);
    expect(noText.text).to.match(/id="f-answer-error"/);
    expect(await stored(c._id)).to.deep.equal(before);
    expect((await Case.findById(c._id).lean())!.infoRequest?.answeredAt).to.equal(undefined);
  });

  it('an empty answer with a disguised file: both said at once, beside the answer and beside the file; nothing kept', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await ask(applicant, 'degree_translation');
    const ap = await signedIn(t, applicant);
    const before = await stored(c._id);
    const both = await answer(ap, c._id, { answer: '  ' }, { field: 'degree_translation', body: exe, name: 'translation.pdf' });
    // The file's refusal decides the status (415, as alone); the missing text is said beside it all the same.
    expect(both.status).to.equal(415);
    const shown = text(both.text);
    expect(shown).to.match(/id="f-answer-error">Write your answer\./);
    expect(shown).to.match(/id="f-answer-file-error">“translation\.pdf” is not a PDF, JPEG or PNG file/);
    expect(await stored(c._id)).to.deep.equal(before);
  });

  // Walk: a good file sent with an empty answer was dropped with only "Write your answer." shown.
  for (const [locale, said] of [
    ['en', /id="f-answer-file-error">“translation\.pdf” was not kept, as the answer was empty: write your answer, then choose the file again\./],
    ['vi', /id="f-answer-file-error">Tệp “translation\.pdf” chưa được lưu vì câu trả lời còn trống: vui lòng viết câu trả lời rồi chọn lại tệp\./],
  ] as const) {
    it(`${locale}: an empty answer with a good file says, beside the file, that it was not kept and is to be chosen again`, async () => {
      const applicant = await createUser({ role: 'applicant', locale });
      const c = await ask(applicant, 'degree_translation');
      const ap = await signedIn(t, applicant);
      const before = await stored(c._id);
      const res = await answer(ap, c._id, { answer: '   ' }, { field: 'degree_translation', body: pdf, name: 'translation.pdf' });
      expect(res.status).to.equal(422);
      const shown = text(res.text);
      expect(shown).to.match(/id="f-answer-error">/);
      expect(shown).to.match(said);
      expect(shown).to.not.match(/\bbạn\b/);
      expect(await stored(c._id)).to.deep.equal(before);
    });
  }
});
