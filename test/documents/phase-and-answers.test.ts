// Documents asked at the right time and visible once sent (browser walk of the applicant's journey):
// the signed offer and the before-arrival certificates open only once the offer is accepted (a real
// multipart upload before that keeps nothing); the "sign the letter" guide goes once the signed copy
// is in; a paper sent with an answer to HR's request is listed in both document lists and on both
// timelines, with HR's accept/reject controls; the certificate panel says "Valid" only once HR
// accepted the certificate, and before the offer says when certificates will be planned; a document
// sent back names the day it is needed by on the page, as its e-mail does. Real database, real
// multipart requests, files checked on disk.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { Types } from 'mongoose';
import type { TestApp } from '../support/app.ts';
import { useUploadTestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case } from '../../models/case.ts';
import { CaseDocument } from '../../models/document.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { loadCalendar, seedHolidays, vnDateKey } from '../../server/calendar/index.ts';
import { formatDay } from '../../server/views/time.ts';
import { transition } from '../../server/workflow/index.ts';
import { actorContext } from '../workflow/context.ts';
import { signedIn, page, post, versionIn, text } from '../applications/support.ts';
import { filesUnder, makePdf, sha256, tokenOf } from './support.ts';
import { csrfFrom, type Agent } from '../support/http.ts';

describe('documents: asked at the right time, and visible once sent', function () {
  this.timeout(90_000);
  let t!: TestApp;
  let uploadDir = '';
  useUploadTestApp('docs-phase', (app, dir) => {
    t = app;
    uploadDir = dir;
  });
  let hr: UserDoc;
  let call: CallDoc;
  let pdf: Buffer;
  const DAY = 86_400_000;

  before(async () => {
    await seedHolidays();
    const institute = await createInstitute();
    hr = await createUser({ role: 'hr_officer', institute, locale: 'en', name: 'Officer Lan' });
    call = await createCall({
      institute,
      checklist: [
        { type: 'cv', phase: 'application', required: true },
        { type: 'signed_offer', phase: 'offer', required: true },
        { type: 'health_certificate', phase: 'onboarding', required: true },
      ] as never,
    });
    pdf = await makePdf('Signed offer letter');
  });

  const upload = async (a: Agent, caseId: unknown, field: string, extra: Record<string, string> = {}) => {
    let req = a.post(`/cases/${String(caseId)}/documents`).field('_csrf', await tokenOf(a)).set('Accept', 'application/json');
    for (const [k, v] of Object.entries(extra)) req = req.field(k, v);
    return req.attach(field, pdf, { filename: `${field}.pdf`, contentType: 'application/pdf' });
  };
  const kept = async (caseId: unknown) => ({ docs: await CaseDocument.countDocuments({ case: caseId as never }), files: (await filesUnder(uploadDir)).filter((f) => !f.includes('.tmp')).length });
  const verify = async (a: Agent, id: unknown, decision: 'accept' | 'reject', reason = '') => a.post(`/documents/${String(id)}/verify`).set('Accept', 'application/json').type('form').send({ _csrf: await tokenOf(a), decision, ...(reason ? { reason } : {}) });
  const itemOf = (html: string, type: string) => {
    const at = html.indexOf(`id="doc-${type}"`);
    return at < 0 ? '' : html.slice(at, html.indexOf('<li class="checklist-item', at + 10) > 0 ? html.indexOf('<li class="checklist-item', at + 10) : undefined);
  };

  it('keeps the signed offer and the certificates closed until the offer is accepted, then takes them; the guide goes once the signed copy is in', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    // The offer made, its position typed, no letter yet.
    const c = await createCase({ applicant, call, stage: 'offer', assignee: hr, offerTerms: { position: 'Senior researcher' } });
    const ap = await signedIn(t, applicant);
    const before = await page(ap, `/applications/${c._id}`);
    expect(before.text).not.to.match(/name="signed_offer"|name="health_certificate"/);
    expect(itemOf(before.text, 'signed_offer')).to.include('data-item-later');
    expect(itemOf(before.text, 'signed_offer')).not.to.include('data-guide');
    // The terms HR left blank are not "as in the letter" while there is no letter.
    const terms = text(before.text.slice(before.text.indexOf('id="offer-terms"'), before.text.indexOf('</dl>', before.text.indexOf('id="offer-terms"'))));
    expect(terms).to.include('Senior researcher');
    expect(terms).to.include('Being prepared by the HR office');
    expect(terms).not.to.include('As in the letter');

    // A hand-made upload is refused, and nothing is kept: no record, no file on disk.
    const empty = await kept(c._id);
    for (const field of ['signed_offer', 'health_certificate']) {
      const res = await upload(ap, c._id, field, field === 'health_certificate' ? { health_certificate_issuedAt: vnDateKey(new Date(Date.now() - 10 * DAY)) } : {});
      expect(res.status, field).to.equal(422);
      expect(JSON.stringify(res.body), field).to.include('cannot be uploaded at this stage');
      expect(await kept(c._id), field).to.deep.equal(empty);
    }

    // With the letter attached, the offer is accepted: the slots open.
    await Case.updateOne({ _id: c._id }, { $set: { 'offerTerms.letter': new Types.ObjectId() } });
    const fresh = (await Case.findById(c._id))!;
    await transition({ app: t.ctx, ctx: actorContext(t.ctx, applicant), caseId: c._id, action: 'accept_offer', expectedVersion: fresh.version });
    const open = await page(ap, `/applications/${c._id}`);
    expect(open.text).to.match(/name="signed_offer"/);
    expect(itemOf(open.text, 'signed_offer')).to.include('Sign the offer letter above and upload it here.');

    const res = await upload(ap, c._id, 'signed_offer');
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    const doc = (await CaseDocument.findOne({ case: c._id, type: 'signed_offer' }).lean())!;
    const onDisk = (await filesUnder(uploadDir)).filter((f) => path.basename(f) === doc.storageKey);
    expect(onDisk).to.have.length(1);
    expect(sha256(await readFile(path.join(uploadDir, onDisk[0]!)))).to.equal(sha256(pdf));
    // Sent: HR checks it; the page no longer tells them to sign and upload it.
    expect(itemOf((await page(ap, `/applications/${c._id}`)).text, 'signed_offer')).not.to.include('data-guide');
    expect((await verify(await signedIn(t, hr), doc._id, 'accept')).status).to.equal(200);
    const done = await page(ap, `/applications/${c._id}`);
    expect(itemOf(done.text, 'signed_offer')).to.include('data-item-state="accepted"');
    expect(done.text).not.to.include('Sign the offer letter');
  });

  it('lists a paper sent with an answer in both document lists and timelines, with HR’s controls (en and vi)', async () => {
    for (const locale of ['en', 'vi'] as const) {
      const applicant = await createUser({ role: 'applicant', locale });
      const officer = locale === 'en' ? hr : await createUser({ role: 'hr_officer', institute: call.institute as never, locale: 'vi' });
      const c = await createCase({ applicant, call, stage: 'screening' });
      const a = await signedIn(t, officer);
      const form = await page(a, `/cases/${c._id}/request-info`);
      const due = vnDateKey((await loadCalendar()).addWorkingDays(new Date(), 10));
      expect((await post(a, form.text, `/cases/${c._id}/request-info`, { version: versionIn(form.text, `/cases/${c._id}/request-info`), items: 'A certified translation of your diploma', dueAt: due, documentType: 'degree_translation' })).status).to.equal(303);

      const ap = await signedIn(t, applicant);
      const mine = await page(ap, `/applications/${c._id}`);
      const res = await ap.post(`/applications/${c._id}/answer`).set('Accept', 'text/html').field('_csrf', csrfFrom(mine.text)).field('version', versionIn(mine.text, `/applications/${c._id}/answer`)).field('answer', 'The translation is attached.').attach('degree_translation', pdf, { filename: 'translation.pdf', contentType: 'application/pdf' });
      expect(res.status, res.text.slice(0, 300)).to.equal(303);
      const doc = (await CaseDocument.findOne({ case: c._id, type: 'degree_translation' }).lean())!;
      expect((await filesUnder(uploadDir)).some((f) => path.basename(f) === doc.storageKey)).to.equal(true);

      const words =
        locale === 'en'
          ? { phase: 'Sent with an answer to a request', timeline: 'Sent with it: 1 file (Degree translations (certified)), listed under Documents.' }
          : { phase: 'Gửi kèm câu trả lời cho yêu cầu bổ sung', timeline: 'Gửi kèm: 1 tệp (' };
      // The applicant's documents list and timeline.
      const after = await page(ap, `/applications/${c._id}`);
      const item = itemOf(after.text, 'degree_translation');
      expect(item, locale).to.include(`href="/documents/${doc._id}/download"`);
      expect(item, locale).to.include(words.phase);
      expect(item, locale).to.include('data-item-state="uploaded"');
      expect(item, locale).not.to.include('/verify');
      const timeline = text(after.text.slice(after.text.indexOf('id="timeline"'), after.text.indexOf('id="messages"')));
      expect(timeline, locale).to.include(words.timeline);

      // HR's documents list: the file with its accept/reject forms, as any document; and the timeline.
      const hrPage = await page(a, `/cases/${c._id}`);
      const hrItem = itemOf(hrPage.text, 'degree_translation');
      expect(hrItem, locale).to.include(`action="/documents/${doc._id}/verify"`);
      expect(hrItem, locale).to.include('name="decision" value="reject"');
      expect(text(hrPage.text.slice(hrPage.text.indexOf('id="timeline"')))).to.include(words.timeline);
      // Accepted by HR like any other file.
      expect((await verify(a, doc._id, 'accept')).status).to.equal(200);
      expect(itemOf((await page(ap, `/applications/${c._id}`)).text, 'degree_translation'), locale).to.include('data-item-state="accepted"');
    }
  });

  it('says "Valid" for a certificate only once HR accepted it, and before the offer says when certificates are planned', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await createCase({ applicant, call, stage: 'onboarding', stageEnteredAt: new Date(Date.now() - 5 * DAY), profile: { fullName: 'Ada Park', plannedArrival: new Date(Date.now() + 120 * DAY) } });
    const ap = await signedIn(t, applicant);
    const res = await upload(ap, c._id, 'health_certificate', { health_certificate_issuedAt: vnDateKey(new Date(Date.now() - 10 * DAY)) });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    const row = (html: string) => text(html.slice(html.indexOf('data-window="health_certificate"'), html.indexOf('</li>', html.indexOf('data-window="health_certificate"'))));
    const waiting = row((await page(ap, `/applications/${c._id}`)).text);
    expect(waiting).to.include('Being checked');
    expect(waiting).to.include("Health certificate: uploaded, waiting for the HR office's check");
    expect(waiting).not.to.include('Valid');
    const doc = (await CaseDocument.findOne({ case: c._id, type: 'health_certificate' }).lean())!;
    expect((await verify(await signedIn(t, hr), doc._id, 'accept')).status).to.equal(200);
    expect(row((await page(ap, `/applications/${c._id}`)).text)).to.include('Valid');

    // Before the offer: no "no certificate is needed" above a checklist that lists some; the start of work, in the page's words.
    for (const locale of ['en', 'vi'] as const) {
      const early = await createUser({ role: 'applicant', locale });
      const s = await createCase({ applicant: early, call, stage: 'screening', stageEnteredAt: new Date(), profile: { fullName: 'Bao Tran', plannedArrival: new Date(Date.now() + 200 * DAY) } });
      const html = text((await page(await signedIn(t, early), `/applications/${s._id}`)).text);
      const panel = html.slice(html.indexOf('id="planner"'), html.indexOf('</section>', html.indexOf('id="planner"')));
      expect(panel, locale).to.include('data-planner-before-offer');
      expect(panel, locale).to.include(locale === 'en' ? 'is shown here once you receive an offer' : 'khi Ông/Bà nhận được lời mời làm việc');
      expect(panel, locale).not.to.include(locale === 'en' ? 'No dated certificate is needed' : 'không cần giấy tờ có thời hạn');
      // No date before an offer (walk s36: the plan assumed the visa filed today): said when it comes.
      expect(panel, locale).to.include(locale === 'en' ? 'Your expected start of work is worked out once you have accepted an offer' : 'Ngày dự kiến bắt đầu làm việc sẽ được tính khi Ông/Bà đã chấp nhận đề nghị');
      expect(panel, locale).not.to.match(/\d{1,2}[ /](\d{1,2}|[A-Z][a-z]{2})[ /]20\d\d/);
      const hrHtml = text((await page(await signedIn(t, hr), `/cases/${s._id}`)).text);
      expect(hrHtml).to.include('Certificate windows are planned once an offer is made');
    }
    // The offer made: the date, said to hold if they accept; accepted (onboarding): the date, plainly.
    const offered = await createUser({ role: 'applicant', locale: 'vi' });
    const o = await createCase({ applicant: offered, call, stage: 'offer', stageEnteredAt: new Date(), profile: { fullName: 'Trần Bảo', plannedArrival: new Date(Date.now() + 200 * DAY) } });
    const offerPage = text((await page(await signedIn(t, offered), `/applications/${o._id}`)).text);
    expect(offerPage).to.match(/Dự kiến ngày bắt đầu làm việc nếu Ông\/Bà chấp nhận đề nghị: <strong>\d{1,2}\/\d{1,2}\/20\d\d/);
    expect(text((await page(ap, `/applications/${c._id}`)).text)).to.match(/Expected start of work: <strong>\d{1,2} [A-Z][a-z]{2} 20\d\d/);
  });

  it('names the day a document sent back is needed by on the page, as its e-mail does (en "by", vi "chậm nhất ngày")', async () => {
    for (const locale of ['en', 'vi'] as const) {
      const applicant = await createUser({ role: 'applicant', locale });
      const dueAt = (await loadCalendar()).addWorkingDays(new Date(), 8);
      const c = await createCase({ applicant, call, stage: 'screening', stageDueAt: dueAt });
      const ap = await signedIn(t, applicant);
      expect((await upload(ap, c._id, 'cv')).status).to.equal(201);
      const doc = (await CaseDocument.findOne({ case: c._id, type: 'cv' }).lean())!;
      expect((await verify(await signedIn(t, hr), doc._id, 'reject', 'The scan is cut off at page 2.')).status).to.equal(200);
      const todo = text((await page(ap, `/applications/${c._id}`)).text.match(/data-next-action><strong>([^<]*)</)?.[1] ?? '');
      const day = formatDay(dueAt, locale);
      expect(todo, locale).to.include(locale === 'en' ? `Action needed: send a new version of Curriculum vitae by ${day} (` : `chậm nhất ngày ${day} (`);
      expect(todo, locale).to.match(locale === 'en' ? /working days? left\)/ : /ngày làm việc/);
    }
  });
});
