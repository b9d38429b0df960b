// Document renewal history (issue 14): an accepted passport is renewed through "upload a renewal"
// (a real multipart request); until HR accepts the renewal the accepted version stays current (the
// workflow guard and the validity rules use it); once accepted, the renewal is current, the earlier
// version stays with its file on disk, its dates and who checked it, listed on the case page and
// downloadable by staff. Refusals (not accepted yet, a renewal already waiting, a missing date, a
// leader, another institute) in Vietnamese and English.
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
import { requiredDocumentsAccepted, currentDocuments } from '../../server/documents/index.ts';
import { runDocumentExpiryReminders } from '../../server/documents/reminders.ts';
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
  const renew = (ag: Agent, tok: string, id: string) => ag.post(`/documents/${id}/renew?_csrf=${tok}`).set('Accept', 'text/html');

  it('keeps the accepted passport current while its renewal waits, then makes the accepted renewal current and keeps both', async () => {
    // An old passport, expiring soon (within the 30-day warning), accepted by HR.
    const up = await a.post(`/cases/${caseDoc._id}/documents?_csrf=${token}`).set('Accept', 'application/json').field('passport_expiresAt', iso(daysAhead(20))).attach('passport', oldPdf, 'old-passport.pdf').attach('cv', await makePdf('CV'), 'cv.pdf');
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
    expect(appPage.text).to.include(`href="/documents/${oldId}/renew"`);
    const form = await a.get(`/documents/${oldId}/renew`).set('Accept', 'text/html');
    expect(form.status).to.equal(200);
    expect(form.text).to.include('name="passport--0_expiresAt"');

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

  it('refuses a renewal of what is not accepted, and refuses staff and other institutes, in Vietnamese and English', async () => {
    const vi = await createUser({ role: 'applicant', locale: 'vi' });
    const c = await createCase({ applicant: vi, call, stage: 'screening' });
    const av = agent(t.app);
    await signIn(av, vi);
    const tv = await tokenOf(av);
    const up = await av.post(`/cases/${c._id}/documents?_csrf=${tv}`).set('Accept', 'application/json').attach('cv', await makePdf('CV'), 'cv.pdf');
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
    const up2 = await a.post(`/cases/${c2._id}/documents?_csrf=${token}`).set('Accept', 'application/json').attach('cv', await makePdf('CV'), 'cv.pdf');
    const pendingCv = (up2.body.documents as Array<{ id: string }>)[0]!.id;
    const en = await renew(a, token, pendingCv).attach('cv--0', await makePdf('CV 2'), 'cv2.pdf');
    expect(en.status).to.equal(409);
    expect(text(en.text), /id="upload-errors"[\s\S]{0,400}/.exec(en.text)?.[0]).to.include('Only an accepted, current “Curriculum vitae” can be renewed.');
    // HR may not upload a renewal for the applicant (403); an officer of another institute does not see it (404).
    expect((await renew(h, hrToken, renewalId).attach('passport--0', newPdf, 'p.pdf')).status).to.equal(403);
    const other = agent(t.app);
    await signIn(other, await createUser({ role: 'hr_officer', institute: await createInstitute() }));
    expect((await other.get(`/documents/${renewalId}/renew`).set('Accept', 'text/html')).status).to.equal(404);
  });
});
