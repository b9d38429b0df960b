// After a restart, the start-up sweep takes back a lost answer's file or offer letter and claims the
// case by moving its version (models/case.ts sweptClaim; server/documents/sweep.ts). HR's forms open
// from before the restart on that same request or offer (extending the answer date, the offer's terms
// with a new letter, the planned start) must not answer "someone changed the case" for that claim
// alone, losing what was typed and the letter uploaded; a real change since still does. Real
// database, real multipart uploads, files on disk.
import path from 'node:path';
import type { Types } from 'mongoose';
import { mkdir, writeFile } from 'node:fs/promises';
import { expect } from 'chai';
import type { TestApp } from '../support/app.ts';
import { useUploadTestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { CaseDocument } from '../../models/document.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { loadCalendar, seedHolidays, vnDateKey } from '../../server/calendar/index.ts';
import { sweepAnswerFiles, sweepOfferLetters } from '../../server/documents/sweep.ts';
import { DiskStorage, newStorageKey } from '../../server/documents/storage.ts';
import { transition } from '../../server/workflow/index.ts';
import { actorContext } from '../workflow/context.ts';
import { signedIn, page, post, versionIn } from '../applications/support.ts';
import { makePdf, sha256, tokenOf } from '../documents/support.ts';

describe('HR forms open across a restart and its sweep of lost files', function () {
  this.timeout(60_000);
  let t!: TestApp;
  let uploadDir = '';
  useUploadTestApp('forms-sweep', (app, dir) => {
    t = app;
    uploadDir = dir;
  });
  let hr: UserDoc;
  let leader: UserDoc;
  let call: CallDoc;
  let pdf: Buffer;

  before(async () => {
    await seedHolidays();
    const institute = await createInstitute();
    hr = await createUser({ role: 'hr_officer', institute, locale: 'en' });
    leader = await createUser({ role: 'leader', institute });
    call = await createCall({ institute, checklist: [{ type: 'cv', phase: 'application', required: true }] as never });
    pdf = await makePdf('Offer letter, second draft');
  });

  /** A lost file as a process killed before the case's update leaves it: record and file, marked. */
  async function lostFile(caseId: Types.ObjectId, who: UserDoc, kind: 'answer' | 'letter') {
    const key = newStorageKey();
    await mkdir(uploadDir, { recursive: true });
    const tmp = path.join(uploadDir, `${key}.part`);
    await writeFile(tmp, pdf);
    await new DiskStorage(uploadDir).put(tmp, key);
    return CaseDocument.create({
      case: caseId, type: kind === 'answer' ? 'degree_translation' : 'offer_letter', slot: 0, version: 1, current: true, storage: 'disk', storageKey: key, originalName: 'lost.pdf', mimeType: 'application/pdf',
      size: pdf.length, sha256: sha256(pdf), uploadedBy: who._id, status: kind === 'answer' ? 'pending' : 'accepted', ...(kind === 'answer' ? { answerPending: true } : { offerPending: true }),
    });
  }

  /** The restart's sweep of this kind, its cut-off after the lost file (the grace is the sweep's caller's). */
  async function restartSweep(kind: 'answer' | 'letter', caseId: unknown, seen: number) {
    await new Promise((r) => setTimeout(r, 20));
    const r = kind === 'answer' ? await sweepAnswerFiles(t.ctx, new Date()) : await sweepOfferLetters(t.ctx, new Date());
    expect(r.removed).to.be.at.least(1);
    expect((await Case.findById(caseId).lean())!.version, 'the sweep claimed the case').to.equal(seen + 1);
  }

  async function awaitingAnswer(applicant: UserDoc): Promise<CaseDoc> {
    const c = await createCase({ applicant, call, stage: 'screening' });
    const a = await signedIn(t, hr);
    const form = await page(a, `/cases/${c._id}/request-info`);
    const due = vnDateKey((await loadCalendar()).addWorkingDays(new Date(), 10));
    const res = await post(a, form.text, `/cases/${c._id}/request-info`, { version: versionIn(form.text, `/cases/${c._id}/request-info`), items: 'Certified translation of your PhD diploma', dueAt: due, documentType: 'degree_translation' });
    expect(res.status, res.text.slice(0, 300)).to.equal(303);
    return (await Case.findById(c._id))!;
  }

  async function offered(applicant: UserDoc): Promise<CaseDoc> {
    const c = await createCase({ applicant, call, stage: 'shortlisted', assignee: hr });
    return transition({ app: t.ctx, ctx: actorContext(t.ctx, leader), caseId: c._id, action: 'approve_offer', expectedVersion: c.version, payload: { note: 'Ranked first.' }, asDecision: true });
  }

  it('extends the answer date from the case page read before the sweep took a lost answer file back', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await awaitingAnswer(applicant);
    const a = await signedIn(t, hr);
    const before = await page(a, `/cases/${c._id}`);
    await lostFile(c._id as Types.ObjectId, applicant, 'answer');
    await restartSweep('answer', c._id, c.version);
    const later = vnDateKey((await loadCalendar()).addWorkingDays(new Date(), 15));
    const action = `/cases/${c._id}/request-info/extend`;
    const res = await post(a, before.text, action, { version: versionIn(before.text, action), extendDueAt: later, extendReason: 'The registry is closed this week.' });
    expect(res.status, res.text.slice(0, 300)).to.equal(303);
    expect(vnDateKey((await Case.findById(c._id).lean())!.infoRequest!.dueAt!)).to.equal(later);
  });

  it('saves the offer terms with a new letter from the page read before the sweep took a lost letter back', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await offered(applicant);
    const a = await signedIn(t, hr);
    const before = await page(a, `/cases/${c._id}`);
    await lostFile(c._id as Types.ObjectId, hr, 'letter');
    await restartSweep('letter', c._id, c.version);

    const url = `/cases/${c._id}/offer-terms`;
    const res = await a.post(url).set('Accept', 'text/html').field('_csrf', await tokenOf(a)).field('version', versionIn(before.text, url))
      .field('offerPosition', 'Senior researcher').field('offerStart', '2027-06-01').field('offerSalary', '45,000,000 VND').field('offerContractLength', '2 years')
      .attach('offer_letter', pdf, 'offer-letter.pdf');
    expect(res.status, res.text.slice(0, 300)).to.equal(303);
    const after = (await Case.findById(c._id).lean())!;
    expect(after.offerTerms?.position).to.equal('Senior researcher');
    const letter = await CaseDocument.findById(after.offerTerms!.letter).lean();
    expect(letter?.sha256, 'the uploaded letter kept').to.equal(sha256(pdf));
  });

  it('sets the planned start from a page read before the sweep; a real change since still answers the conflict page', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await offered(applicant);
    await Case.updateOne({ _id: c._id }, { $set: { stage: 'onboarding' }, $inc: { version: 1 } });
    const fresh = (await Case.findById(c._id))!;
    const a = await signedIn(t, hr);
    const before = await page(a, `/cases/${c._id}`);
    await lostFile(c._id as Types.ObjectId, hr, 'letter');
    await restartSweep('letter', c._id, fresh.version);
    const action = `/cases/${c._id}/planned-start`;
    const day = vnDateKey((await loadCalendar()).addWorkingDays(new Date(), 60));
    const res = await post(a, before.text, action, { version: versionIn(before.text, action), plannedStart: day, plannedStartReason: 'The lab opens later.' });
    expect(res.status, res.text.slice(0, 300)).to.equal(303);
    expect(vnDateKey((await Case.findById(c._id).lean())!.profile!.plannedArrival!)).to.equal(day);

    // The same old page once more: the case changed since (the save above), a real change.
    const other = vnDateKey((await loadCalendar()).addWorkingDays(new Date(), 70));
    const stale = await post(a, before.text, action, { version: versionIn(before.text, action), plannedStart: other, plannedStartReason: 'Another reason.' });
    expect(stale.status).to.equal(409);
  });
});
