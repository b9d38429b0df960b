// Document renewal history (issue 14): an accepted passport is renewed through "upload a renewal"
// (a real multipart request); until HR accepts the renewal the accepted version stays current (the
// workflow guard and the validity rules use it); once accepted, the renewal is current, the earlier
// version stays with its file on disk, its dates and who checked it, listed on the case page and
// downloadable by staff. Refusals (not accepted yet, a renewal already waiting, a missing date, a
// leader, another institute) in Vietnamese and English. HR uploads a renewal on the applicant's
// behalf; the applicant is told by e-mail (received on the in-process SMTP server).
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent, type Agent } from '../support/http.ts';
import { createInstitute, createUser, signIn } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { CaseDocument } from '../../models/document.ts';
import type { CaseDoc } from '../../models/case.ts';
import type { CallDoc } from '../../models/call.ts';
import type { UserDoc } from '../../models/user.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import { Case } from '../../models/case.ts';
import { User } from '../../models/user.ts';
import { requiredDocumentsAccepted, currentDocuments } from '../../server/documents/index.ts';
import { runDocumentExpiryReminders } from '../../server/documents/reminders.ts';
import { dispatchOnce } from '../../server/outbox/index.ts';
import { download, makePdf, sha256, tokenOf } from './support.ts';
import { text } from '../applications/support.ts';

const DAY = 86_400_000;
const iso = (d: Date) => d.toISOString().slice(0, 10);
const daysAhead = (n: number) => new Date(Date.now() + n * DAY);

describe('documents: renewal history', function () {
  this.timeout(60_000);
  let t: TestApp;
  let uploadDir: string;
  let call: CallDoc;
  let applicant: UserDoc;
  let hr: UserDoc;
  let caseDoc: CaseDoc;
  let a: Agent;
  let h: Agent;
  let token: string;
  let hrToken: string;
  let oldPdf: Buffer;
  let newPdf: Buffer;
  let oldId: string;
  let renewalId: string;

  const onDisk = (key: string) => readFile(path.join(uploadDir, key.slice(0, 2), key));

  before(async () => {
    uploadDir = path.resolve(`data/test/uploads-renewal-${process.pid}`);
    t = await startTestApp({ env: { UPLOAD_DIR: uploadDir, UPLOAD_RATE_PER_HOUR: '1000' } });
    const institute = await createInstitute();
    call = await createCall({ institute, checklist: [{ type: 'passport', phase: 'application', required: true }, { type: 'cv', phase: 'application', required: true }] as never });
    applicant = await createUser({ role: 'applicant', locale: 'en', name: 'Renewing Applicant' });
    hr = await createUser({ role: 'hr_officer', institute, name: 'Checking Officer', locale: 'en' });
    caseDoc = await createCase({ applicant, call, stage: 'offer', profile: { fullName: 'Renewing Applicant', plannedArrival: daysAhead(30) } as never, supportTracks: [{ kind: 'visa', status: 'preparing' }] });
    a = agent(t.app);
    await signIn(a, applicant);
    token = await tokenOf(a);
    h = agent(t.app);
    await signIn(h, hr);
    hrToken = await tokenOf(h);
    oldPdf = await makePdf('Old passport');
    newPdf = await makePdf('Renewed passport');
  });
  after(async () => {
    await t?.close();
    await rm(uploadDir, { recursive: true, force: true });
  });

  const verify = (id: string, body: Record<string, string>) => h.post(`/documents/${id}/verify`).set('Accept', 'application/json').type('form').send({ _csrf: hrToken, ...body });
  const renew = (ag: Agent, tok: string, id: string) => ag.post(`/documents/${id}/renew`).field('_csrf', tok).set('Accept', 'text/html');

  it('keeps the accepted passport current while its renewal waits, then makes the accepted renewal current and keeps both', async () => {
    // An old passport, expiring soon (within the 30-day warning), accepted by HR.
    const up = await a.post(`/cases/${caseDoc._id}/documents`).field('_csrf', token).set('Accept', 'application/json').field('passport_expiresAt', iso(daysAhead(20))).attach('passport', oldPdf, 'old-passport.pdf').attach('cv', await makePdf('CV'), 'cv.pdf');
    expect(up.status, up.text).to.equal(201);
    const docs = up.body.documents as Array<{ type: string; id: string }>;
    oldId = docs.find((d) => d.type === 'passport')!.id;
    for (const d of docs) expect((await verify(d.id, { decision: 'accept' })).status).to.equal(200);

    // Renewal refused in place while something is wrong: no date (422, page in English, nothing kept).
    // Too short for the planned residence card: the workflow guard refuses it.
    expect(await requiredDocumentsAccepted(caseDoc, call, 'application')).to.equal(false);
    const before = await CaseDocument.countDocuments({ case: caseDoc._id });
    const noDate = await renew(a, token, oldId).attach(`passport--0`, newPdf, 'new-passport.pdf');
    expect(noDate.status).to.equal(422);
    expect(text(noDate.text)).to.include('expiry date');
    expect(await CaseDocument.countDocuments({ case: caseDoc._id })).to.equal(before);

    // The applicant's page offers "Upload a renewal" on the accepted passport; the renewal page has the form.
    const appPage = await a.get(`/applications/${caseDoc._id}`).set('Accept', 'text/html');
    expect(appPage.text).to.include(`href="/documents/${oldId}/renew" data-renew-link>Upload a renewal</a>`);
    const form = await a.get(`/documents/${oldId}/renew`).set('Accept', 'text/html');
    expect(form.status).to.equal(200);
    expect(form.text).to.include('name="passport--0_expiresAt"');
    expect(text(form.text)).to.include('Upload a renewal: Passport');
    // A CV does not run out: the same step is "a newer version" of it, not a renewal.
    const cvId = docs.find((d) => d.type === 'cv')!.id;
    expect(appPage.text).to.include(`href="/documents/${cvId}/renew" data-renew-link>Upload a newer version</a>`);
    const cvForm = text((await a.get(`/documents/${cvId}/renew`).set('Accept', 'text/html')).text);
    expect(cvForm).to.include('Upload a newer version: Curriculum vitae');
    expect(cvForm).to.include('Upload the newer version</button>');
    expect(cvForm).to.not.match(/Upload (a|the) renewal/);

    const res = await renew(a, token, oldId).field('passport--0_expiresAt', iso(daysAhead(3650))).attach('passport--0', newPdf, 'new-passport.pdf');
    expect(res.status, res.text.slice(0, 400)).to.equal(303);
    const renewal = (await CaseDocument.findOne({ case: caseDoc._id, type: 'passport', renewalOf: oldId }).lean())!;
    renewalId = String(renewal._id);
    expect(renewal.status).to.equal('pending');
    expect(renewal.current).to.equal(false);
    expect(renewal.version).to.equal(2);
    expect(renewal.sha256).to.equal(sha256(newPdf));
    expect((await onDisk(renewal.storageKey)).equals(newPdf)).to.equal(true);
    expect(await AuditEvent.countDocuments({ action: 'document.renewal_upload', targetId: renewalId })).to.equal(1);

    // Until HR checks it, the accepted passport is the current one: the guard still judges the old one.
    const current = await currentDocuments([caseDoc._id]);
    expect(current.find((d) => d.type === 'passport')!.id).to.equal(oldId);
    expect(await requiredDocumentsAccepted(caseDoc, call, 'application')).to.equal(false);
    // No expiry reminder for a passport whose renewal is waiting.
    await runDocumentExpiryReminders(t.ctx);
    expect((await CaseDocument.findById(oldId).lean())!.expiryReminderSentAt).to.equal(undefined);

    // A second renewal while one waits is refused (409), with the reason in English.
    const twice = await renew(a, token, oldId).field('passport--0_expiresAt', iso(daysAhead(3000))).attach('passport--0', newPdf, 'again.pdf');
    expect(twice.status).to.equal(409);
    expect(text(twice.text)).to.include('A renewal of “Passport” is already waiting for HR’s check.');

    // HR sees the waiting renewal with accept/reject forms, and accepts it.
    const casePage = await h.get(`/cases/${caseDoc._id}`).set('Accept', 'text/html');
    expect(casePage.text).to.include(`data-renewal-id="${renewalId}"`);
    expect(casePage.text).to.include(`action="/documents/${renewalId}/verify"`);
    // Its buttons look as a version's do (walk s38): an accept button, and a refusal marked as one.
    const renewalItem = casePage.text.slice(casePage.text.indexOf(`data-renewal-id="${renewalId}"`));
    expect(renewalItem).to.match(/<button type="submit" class="button button-accept">/).and.match(/<button type="submit" class="button danger button-reject">/);
    expect((await verify(renewalId, { decision: 'accept' })).status).to.equal(200);

    const [oldDoc, newDoc] = await Promise.all([CaseDocument.findById(oldId).lean(), CaseDocument.findById(renewalId).lean()]);
    expect(newDoc!.current).to.equal(true);
    expect(newDoc!.status).to.equal('accepted');
    expect(String(newDoc!.reviewedBy)).to.equal(String(hr._id));
    expect(oldDoc!.current).to.equal(false);
    expect(oldDoc!.status).to.equal('accepted');
    expect(String(oldDoc!.reviewedBy)).to.equal(String(hr._id));
    expect(iso(oldDoc!.expiresAt!)).to.equal(iso(daysAhead(20)));
    expect((await currentDocuments([caseDoc._id])).find((d) => d.type === 'passport')!.id).to.equal(renewalId);
    // The validity rules now use the renewed passport: the guard passes.
    expect(await requiredDocumentsAccepted(caseDoc, call, 'application')).to.equal(true);
    // Both files on disk, each as sent.
    expect((await onDisk(oldDoc!.storageKey)).equals(oldPdf)).to.equal(true);
    expect((await onDisk(newDoc!.storageKey)).equals(newPdf)).to.equal(true);

    // The history on the case page: the earlier version with its expiry and who checked it; downloadable by staff.
    const after = text((await h.get(`/cases/${caseDoc._id}`).set('Accept', 'text/html')).text);
    expect(after).to.include('old-passport.pdf');
    expect(after).to.include('new-passport.pdf');
    expect(after).to.match(/expires \d/);
    expect(after).to.include('checked by Checking Officer');
    const dl = await download(h, `/documents/${oldId}/download`);
    expect(dl.status).to.equal(200);
    expect((dl.body as Buffer).equals(oldPdf)).to.equal(true);
  });

  it('the renewal\'s date is the day field of every form: typed day first, its order in the label, its refusal beside it with what was typed (en, vi)', async () => {
    const dayFirstOf = (d: Date) => `${iso(d).slice(8)}/${iso(d).slice(5, 7)}/${iso(d).slice(0, 4)}`;
    for (const [locale, label, order, noSuchDay] of [
      ['en', 'Expiry date', '(day/month/year)', 'is not a day on the calendar'],
      ['vi', 'Ngày hết hạn', '(ngày/tháng/năm)', 'không có trên lịch'],
    ] as const) {
      const who = await createUser({ role: 'applicant', locale });
      const c = await createCase({ applicant: who, call, stage: 'offer', profile: { fullName: 'Day Field Renewal' } as never });
      const ag = agent(t.app);
      await signIn(ag, who);
      const tok = await tokenOf(ag);
      const up = await ag.post(`/cases/${c._id}/documents`).field('_csrf', tok).set('Accept', 'application/json').field('passport_expiresAt', iso(daysAhead(20))).attach('passport', oldPdf, 'old.pdf');
      expect(up.status, up.text).to.equal(201);
      const id = (up.body.documents as Array<{ type: string; id: string }>).find((d) => d.type === 'passport')!.id;
      expect((await verify(id, { decision: 'accept' })).status).to.equal(200);

      const form = await ag.get(`/documents/${id}/renew`).set('Accept', 'text/html');
      expect(form.status).to.equal(200);
      const input = /<input[^>]* name="passport--0_expiresAt"[^>]*>/.exec(form.text)![0];
      expect(input, locale).to.include('type="text"').and.include('inputmode="numeric"').and.include('data-day').and.not.include('type="date"');
      expect(text(/<label for="f-passport--0_expiresAt">[\s\S]*?<\/label>/.exec(form.text)![0]), locale).to.include(label).and.include(order);

      // No such day: refused beside the field in the person's language, the day shown as typed, nothing kept.
      const before = await CaseDocument.countDocuments({ case: c._id });
      const bad = await renew(ag, tok, id).field('passport--0_expiresAt', '31/02/2035').attach('passport--0', newPdf, 'new.pdf');
      expect(bad.status, locale).to.equal(422);
      expect(bad.text, locale).to.match(/<input[^>]* name="passport--0_expiresAt"[^>]* value="31\/02\/2035"[^>]*aria-invalid="true"[^>]*aria-describedby="f-passport--0_expiresAt-error"/);
      expect(text(/<p class="field-error" id="f-passport--0_expiresAt-error">([^<]+)<\/p>/.exec(bad.text)![1]!), locale).to.include(noSuchDay);
      expect(await CaseDocument.countDocuments({ case: c._id })).to.equal(before);

      // Typed day first, read as that day.
      const later = daysAhead(3650);
      const ok = await renew(ag, tok, id).field('passport--0_expiresAt', dayFirstOf(later)).attach('passport--0', newPdf, 'new.pdf');
      expect(ok.status, ok.text.slice(0, 300)).to.equal(303);
      const renewal = (await CaseDocument.findOne({ case: c._id, type: 'passport', renewalOf: id }).lean())!;
      expect(iso(renewal.expiresAt!), locale).to.equal(iso(later));
    }
  });

  it('HR uploads a renewal on the applicant’s behalf: it waits for a check, and the applicant is told by e-mail in Vietnamese', async () => {
    const vi = await createUser({ role: 'applicant', locale: 'vi', name: 'Trần Thị Hoa' });
    const c = await createCase({ applicant: vi, call, stage: 'offer', profile: { fullName: 'Trần Thị Hoa' } as never });
    const av = agent(t.app);
    await signIn(av, vi);
    const tv = await tokenOf(av);
    const up = await av.post(`/cases/${c._id}/documents`).field('_csrf', tv).set('Accept', 'application/json').field('passport_expiresAt', iso(daysAhead(20))).attach('passport', oldPdf, 'ho-chieu-cu.pdf').attach('cv', await makePdf('CV'), 'cv.pdf');
    expect(up.status, up.text).to.equal(201);
    const passportId = (up.body.documents as Array<{ type: string; id: string }>).find((d) => d.type === 'passport')!.id;
    expect((await verify(passportId, { decision: 'accept' })).status).to.equal(200);

    // The case page offers HR the renewal; its page says for whom the file is uploaded and leads back to the case.
    const casePage = await h.get(`/cases/${c._id}`).set('Accept', 'text/html');
    expect(casePage.text).to.include(`href="/documents/${passportId}/renew"`);
    const form = await h.get(`/documents/${passportId}/renew`).set('Accept', 'text/html');
    expect(form.status).to.equal(200);
    expect(text(form.text)).to.include('You are uploading for Trần Thị Hoa, the applicant.');
    expect(form.text).to.include(`href="/cases/${c._id}#documents"`);

    // A missing expiry date is refused in the officer's language, nothing kept and nothing e-mailed.
    const before = await CaseDocument.countDocuments({ case: c._id });
    const noDate = await renew(h, hrToken, passportId).attach('passport--0', newPdf, 'ho-chieu-moi.pdf');
    expect(noDate.status).to.equal(422);
    expect(text(noDate.text)).to.include('expiry date');
    expect(await CaseDocument.countDocuments({ case: c._id })).to.equal(before);
    expect((await Case.findById(c._id).lean())!.outbox.some((o) => o.template === 'document_renewal_added')).to.equal(false);

    const res = await renew(h, hrToken, passportId).field('passport--0_expiresAt', iso(daysAhead(3650))).attach('passport--0', newPdf, 'ho-chieu-moi.pdf');
    expect(res.status, res.text.slice(0, 400)).to.equal(303);
    expect(res.headers.location).to.equal(`/cases/${c._id}#documents`);
    const renewal = (await CaseDocument.findOne({ case: c._id, type: 'passport', renewalOf: passportId }).lean())!;
    expect(renewal.status).to.equal('pending');
    expect(renewal.current).to.equal(false);
    expect(String(renewal.uploadedBy)).to.equal(String(hr._id));
    expect((await onDisk(renewal.storageKey)).equals(newPdf)).to.equal(true);
    const audit = (await AuditEvent.findOne({ action: 'document.renewal_upload', targetId: String(renewal._id) }).lean())!;
    expect(String(audit.actor)).to.equal(String(hr._id));
    expect((audit.summary as { onBehalf?: boolean }).onBehalf).to.equal(true);
    // Until checked, the accepted passport stays current.
    expect((await currentDocuments([c._id])).find((d) => d.type === 'passport')!.id).to.equal(passportId);

    // The applicant is told, in Vietnamese, on the real SMTP server: who added what, valid until when.
    await dispatchOnce(t.ctx, { owner: 'test', caseIds: [c._id] });
    const mail = await t.smtp.waitForTo(vi.email, /Bộ phận nhân sự đã thêm Hộ chiếu gia hạn/);
    expect(mail.text).to.include('đã thay Ông/Bà tải lên');
    expect(mail.subject).to.include(c.reference);
    expect(mail.text).to.include('Checking Officer');
    expect(mail.text).to.include('ho-chieu-moi.pdf');
    expect(mail.text).to.include(`/applications/${c._id}`);
    // The applicant sees the renewal waiting on their own page.
    const mine = await av.get(`/applications/${c._id}`).set('Accept', 'text/html');
    expect(mine.text).to.include(`data-renewal-id="${String(renewal._id)}"`);
    // The applicant's own renewal sends no such e-mail (the first test's renewal was the applicant's).
    const own = await Case.findById(caseDoc._id).lean();
    expect(own!.outbox.some((o) => o.template === 'document_renewal_added')).to.equal(false);
  });

  it('says so when the applicant on whose behalf HR uploads cannot be e-mailed (account disabled), and sends nothing', async () => {
    const gone = await createUser({ role: 'applicant', locale: 'en', name: 'Disabled Applicant' });
    const c = await createCase({ applicant: gone, call, stage: 'offer' });
    const ag = agent(t.app);
    await signIn(ag, gone);
    const tg = await tokenOf(ag);
    const up = await ag.post(`/cases/${c._id}/documents`).field('_csrf', tg).set('Accept', 'application/json').attach('cv', await makePdf('CV'), 'cv.pdf');
    expect(up.status, up.text).to.equal(201);
    const cvId = (up.body.documents as Array<{ id: string }>)[0]!.id;
    expect((await verify(cvId, { decision: 'accept' })).status).to.equal(200);
    await User.updateOne({ _id: gone._id }, { $set: { disabledAt: new Date() } });

    // The renewal page says before the upload that no e-mail will go, not that they will be told.
    const form = text((await h.get(`/documents/${cvId}/renew`).set('Accept', 'text/html')).text);
    expect(form).to.include('Their account is disabled, so no e-mail will be sent');
    expect(form).to.not.include('They will be told by e-mail');

    const res = await renew(h, hrToken, cvId).attach('cv--0', await makePdf('CV 2'), 'cv-2.pdf');
    expect(res.status, res.text.slice(0, 400)).to.equal(303);
    const page = text((await h.get(res.headers.location!).set('Accept', 'text/html')).text);
    expect(page).to.include('No e-mail was sent: their account is disabled.');
    expect((await Case.findById(c._id).lean())!.outbox.some((o) => o.template === 'document_renewal_added')).to.equal(false);
    expect(await CaseDocument.countDocuments({ case: c._id, renewalOf: cvId, status: 'pending' })).to.equal(1);
  });

  it('refuses a renewal of what is not accepted, and refuses leaders and other institutes, in Vietnamese and English', async () => {
    const vi = await createUser({ role: 'applicant', locale: 'vi' });
    const c = await createCase({ applicant: vi, call, stage: 'screening' });
    const av = agent(t.app);
    await signIn(av, vi);
    const tv = await tokenOf(av);
    const up = await av.post(`/cases/${c._id}/documents`).field('_csrf', tv).set('Accept', 'application/json').attach('cv', await makePdf('CV'), 'cv.pdf');
    const cvId = (up.body.documents as Array<{ id: string }>)[0]!.id;
    // Pending, not accepted: nothing to renew (409), said in Vietnamese.
    const page = await av.get(`/documents/${cvId}/renew`).set('Accept', 'text/html');
    expect(page.status).to.equal(409);
    expect(text(page.text)).to.include('Chỉ gia hạn được “');
    const posted = await renew(av, tv, cvId).attach('cv--0', await makePdf('CV 2'), 'cv2.pdf');
    expect(posted.status).to.equal(409);
    expect(text(posted.text)).to.include('Chỉ gia hạn được “');
    // Same refusal in English for the English applicant (the new passport is already current; the CV is accepted, so check a pending one).
    const c2 = await createCase({ applicant, call, stage: 'screening' });
    const up2 = await a.post(`/cases/${c2._id}/documents`).field('_csrf', token).set('Accept', 'application/json').attach('cv', await makePdf('CV'), 'cv.pdf');
    const pendingCv = (up2.body.documents as Array<{ id: string }>)[0]!.id;
    const en = await renew(a, token, pendingCv).attach('cv--0', await makePdf('CV 2'), 'cv2.pdf');
    expect(en.status).to.equal(409);
    expect(text(en.text), /id="form-errors"[\s\S]{0,400}/.exec(en.text)?.[0]).to.include('Only an accepted, current “Curriculum vitae” can be renewed.');
    // A leader may not upload a renewal (403); an officer of another institute does not see it (404).
    const leader = agent(t.app);
    await signIn(leader, await createUser({ role: 'leader', institute: call.institute as never }));
    expect((await renew(leader, await tokenOf(leader), renewalId).attach('passport--0', newPdf, 'p.pdf')).status).to.equal(403);
    const other = agent(t.app);
    await signIn(other, await createUser({ role: 'hr_officer', institute: await createInstitute() }));
    expect((await other.get(`/documents/${renewalId}/renew`).set('Accept', 'text/html')).status).to.equal(404);
  });
});
