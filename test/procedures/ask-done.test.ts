// The applicant's answer to a procedure's request reaches HR and is what they meant, over HTTP on a
// test clock with real uploads and the real SMTP server: "done" on a request that names a paper with
// nothing uploaded since asks first (upload it, or confirm it went another way), keeping their words;
// confirmed, HR is told no file came. With no officer on the case the HR lead (else every officer)
// hears of it, in their language. A procedure's decision tells the applicant "no longer needed" only
// of the requests they had not answered.
import { expect } from 'chai';
import path from 'node:path';
import { rm } from 'node:fs/promises';
import { Types } from 'mongoose';
import type { TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { signedIn, page, post, versionIn, deliver, text } from '../applications/support.ts';
import { makePdf, tokenOf } from '../documents/support.ts';
import { procedureWorld, snapshot, vn } from './support.ts';

const endOf = (day: string) => new Date(`${day}T16:59:59.999Z`);

describe('procedures: the applicant\'s "done" reaches HR and means what they meant', function () {
  this.timeout(90_000);
  const uploadDir = path.resolve(`data/test/uploads-ask-done-${process.pid}`);
  let t: TestApp;
  const clock = vn('2027-03-03');
  let hrEn: UserDoc;
  let hrVi: UserDoc;
  let call: CallDoc;

  before(async () => {
    await rm(uploadDir, { recursive: true, force: true });
    // The Vietnamese-speaking officer is the institute's HR lead.
    ({ t, hrEn, hrVi, call } = await procedureWorld(() => clock, {
      env: { UPLOAD_DIR: uploadDir, UPLOAD_RATE_PER_HOUR: '1000' },
      viLead: true,
      checklist: [
        { type: 'cv', phase: 'application', required: true },
        { type: 'degree_translation', phase: 'onboarding', required: false },
      ],
    }));
  });
  after(async () => {
    await t?.close();
    await rm(uploadDir, { recursive: true, force: true });
  });

  /** A work permit in preparation with one request per entry, asked on 1 Mar, due 10 Mar; `officer` null: no one on the case. */
  function caseWithAsks(applicant: UserDoc, officer: UserDoc | null, asks: Array<{ text: string; documentType?: string; repliedAt?: Date }>, useCall: CallDoc = call): Promise<CaseDoc> {
    return createCase({
      applicant,
      call: useCall,
      stage: 'onboarding',
      ...(officer ? { assignee: officer._id } : {}),
      supportTracks: [
        {
          kind: 'work_permit',
          status: 'preparing',
          dueAt: endOf('2027-03-20'),
          updatedAt: vn('2027-03-01'),
          asks: asks.map((a) => ({ _id: new Types.ObjectId(), askedAt: vn('2027-03-01'), askedBy: hrEn._id, dueAt: endOf('2027-03-10'), stopsClock: false, ...a })),
        },
      ],
    });
  }

  const doneUrl = (c: CaseDoc, i = 0) => `/applications/${c._id}/procedures/work_permit/asks/${String(c.supportTracks[0]!.asks![i]!._id)}/done`;
  const itemsOf = async (c: CaseDoc, template: string) => (await Case.findById(c._id).lean())!.outbox.filter((o) => o.template === template);

  it('asks before taking "done" on a paper not uploaded (its words kept, nothing written); confirmed, the HR lead of an unassigned case is told no file came', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en', name: 'Anna Berg' });
    const c = await caseWithAsks(applicant, null, [{ text: 'Please send the certified translation of your diploma.', documentType: 'degree_translation' }]);
    const me = await signedIn(t, applicant);
    const mine = await page(me, `/applications/${c._id}`);
    const before = await snapshot(c);

    const asked = await post(me, mine.text, doneUrl(c), { version: versionIn(mine.text, doneUrl(c)), reply: 'Sent by courier on Monday.' });
    expect(asked.status).to.equal(200);
    const box = asked.text.slice(asked.text.indexOf('data-ask-not-uploaded'));
    expect(text(box)).to.include('You have not uploaded the Degree translations (certified) since this was asked.');
    expect(box).to.include('href="#doc-degree_translation"');
    expect(asked.text).to.include('name="withoutUpload" value="yes"');
    expect(asked.text).to.include('Sent by courier on Monday.</textarea>');
    expect(asked.text).to.include('It is done: tell the HR office anyway');
    expect(await snapshot(c)).to.deep.equal(before);

    // Confirmed from that page: taken, and HR hears of it.
    const sure = await post(me, asked.text, doneUrl(c), { version: versionIn(asked.text, doneUrl(c)), reply: 'Sent by courier on Monday.', withoutUpload: 'yes' });
    expect(sure.status).to.equal(303);
    const stored = (await Case.findById(c._id).lean())!;
    expect(stored.supportTracks[0]!.asks![0]!.repliedAt?.getTime()).to.equal(clock.getTime());
    // No officer on the case: the HR lead only (not the other officer), under a key naming them.
    const items = await itemsOf(c, 'procedure_ask_replied');
    expect(items.map((i) => [i.to, i.key])).to.deep.equal([[hrVi.email, `${c._id}.askReplied.${String(c.supportTracks[0]!.asks![0]!._id)}.${hrVi._id}`]]);
    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(hrVi.email, new RegExp(`\\[${c.reference}\\]`));
    expect(mail.text).to.match(/^Kính gửi Anh\/Chị Cán bộ Việt,/);
    expect(mail.text).to.include('Ứng viên ghi: Sent by courier on Monday.');
    expect(mail.text).to.include('Ứng viên chưa tải lên tệp "Bản dịch văn bằng (có chứng thực)" nhưng xác nhận đã hoàn thành theo cách khác');
    expect(mail.text).to.include('Hồ sơ này chưa có cán bộ phụ trách nên thông báo được gửi tới bộ phận nhân sự của viện');
    expect(t.smtp.to(hrEn.email).filter((m) => m.subject.includes(c.reference))).to.have.length(0);
  });

  it('takes "done" at once when the paper was uploaded since it was asked, and tells the assigned officer only', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en', name: 'Carl Olsen' });
    const c = await caseWithAsks(applicant, hrEn, [{ text: 'The translation, please.', documentType: 'degree_translation' }]);
    const me = await signedIn(t, applicant);
    const up = await me.post(`/cases/${c._id}/documents`).field('_csrf', await tokenOf(me)).set('Accept', 'text/html').attach('degree_translation', await makePdf('Translation'), { filename: 't.pdf', contentType: 'application/pdf' });
    expect(up.status).to.equal(303);
    const mine = await page(me, `/applications/${c._id}`);
    const res = await post(me, mine.text, doneUrl(c), { version: versionIn(mine.text, doneUrl(c)) });
    expect(res.status).to.equal(303);
    const items = await itemsOf(c, 'procedure_ask_replied');
    expect(items.map((i) => i.to)).to.deep.equal([hrEn.email, hrEn.email]); // the upload's e-mail, then "done"'s
    expect(items.map((i) => i.key)).to.deep.equal([`${c._id}.askUploaded.${String(c.supportTracks[0]!.asks![0]!._id)}`, `${c._id}.askReplied.${String(c.supportTracks[0]!.asks![0]!._id)}`]);
    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(hrEn.email, /says what was asked is done/);
    expect(mail.text).not.to.include('Nothing was uploaded');
    expect(mail.text).not.to.include('No officer is assigned');
  });

  it('an institute with no HR lead: an upload answering a request of an unassigned case reaches each enabled officer, one item and key each', async () => {
    const institute = await createInstitute();
    const one = await createUser({ role: 'hr_officer', institute, locale: 'en', name: 'Officer One' });
    const two = await createUser({ role: 'hr_officer', institute, locale: 'vi', name: 'Cán bộ Hai' });
    const gone = await createUser({ role: 'hr_officer', institute, disabled: true });
    const ownCall = await createCall({ institute, checklist: [{ type: 'degree_translation', phase: 'onboarding', required: false }] });
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await caseWithAsks(applicant, null, [{ text: 'The translation.', documentType: 'degree_translation' }], ownCall);
    const me = await signedIn(t, applicant);
    const up = await me.post(`/cases/${c._id}/documents`).field('_csrf', await tokenOf(me)).set('Accept', 'text/html').attach('degree_translation', await makePdf('T'), { filename: 't.pdf', contentType: 'application/pdf' });
    expect(up.status).to.equal(303);
    const items = await itemsOf(c, 'procedure_ask_replied');
    expect(items.map((i) => i.to).sort()).to.deep.equal([one.email, two.email].sort());
    expect(new Set(items.map((i) => i.key)).size).to.equal(2);
    await deliver(t, c._id);
    expect((await t.smtp.waitForTo(one.email, /uploaded what was asked/)).text).to.include('No officer is assigned to this case yet');
    await t.smtp.waitForTo(two.email, new RegExp(`\\[${c.reference}\\]`));
    expect(t.smtp.to(gone.email)).to.have.length(0);
  });

  it('a decision tells the applicant "no longer needed" only of the requests they had not answered', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en', name: 'Dana Price' });
    const c = await caseWithAsks(applicant, hrEn, [
      { text: 'Said done: the signed form.', repliedAt: vn('2027-03-02') },
      { text: 'Uploaded: the translation.', documentType: 'degree_translation' },
      { text: 'Never answered: the marriage certificate.' },
    ]);
    const me = await signedIn(t, applicant);
    const up = await me.post(`/cases/${c._id}/documents`).field('_csrf', await tokenOf(me)).set('Accept', 'text/html').attach('degree_translation', await makePdf('T'), { filename: 't.pdf', contentType: 'application/pdf' });
    expect(up.status).to.equal(303);
    await deliver(t, c._id);

    const hr = await signedIn(t, hrEn);
    const url = `/cases/${c._id}/procedures/work_permit`;
    const form = await page(hr, url);
    expect((await post(hr, form.text, url, { version: versionIn(form.text, url), status: 'not_needed', message: 'You come under an exemption: no work permit is needed.' })).status).to.equal(303);
    const stored = (await Case.findById(c._id).lean())!;
    // All three are closed on HR's side (nothing is owed any more).
    expect(stored.supportTracks[0]!.asks!.map((a) => a.closedWith)).to.deep.equal(['not_needed', 'not_needed', 'not_needed']);
    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(applicant.email, /Work permit/);
    expect(mail.text).to.include('What we asked of you for this procedure is no longer needed:');
    expect(mail.text).to.include('- Never answered: the marriage certificate.');
    expect(mail.text).not.to.include('Said done: the signed form.');
    expect(mail.text).not.to.include('Uploaded: the translation.');

    // The history and both timelines: "answered on <day>" for the two answered (the day of the
    // "done", the day of the upload), "no longer needed" only for the one never answered.
    const event = stored.history.at(-1)!.procedure!;
    expect(event.asksClosed).to.deep.equal(['Never answered: the marriage certificate.']);
    expect(event.asksAnswered!.map((a) => [a.text, a.at?.toISOString()])).to.deep.equal([
      ['Said done: the signed form.', vn('2027-03-02').toISOString()],
      ['Uploaded: the translation.', clock.toISOString()],
    ]);
    const mine = text((await page(me, `/applications/${c._id}`)).text);
    expect(mine).to.include('Answered on 2 Mar 2027: Said done: the signed form.');
    expect(mine).to.include('Answered on 3 Mar 2027: Uploaded: the translation.');
    expect(mine).to.include('No longer needed: Never answered: the marriage certificate.');
    expect(mine).not.to.include('No longer needed: Said done');
    expect(mine).not.to.include('No longer needed: Uploaded');
    const theirs = text((await page(hr, `/cases/${c._id}`)).text);
    expect(theirs).to.include('Answered on 2 Mar 2027: Said done: the signed form.');
    expect(theirs).not.to.include('No longer needed: Said done');
  });

  it('the timeline in Vietnamese says a request answered was answered, on its day', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'vi', name: 'Lê Văn Cường' });
    const c = await caseWithAsks(applicant, hrEn, [{ text: 'Bản ký hợp đồng.', repliedAt: vn('2027-03-02') }]);
    const hr = await signedIn(t, hrEn);
    const url = `/cases/${c._id}/procedures/work_permit`;
    const form = await page(hr, url);
    expect((await post(hr, form.text, url, { version: versionIn(form.text, url), status: 'filed', filedAt: '2027-03-03' })).status).to.equal(303);
    const filed = await page(hr, url);
    expect((await post(hr, filed.text, url, { version: versionIn(filed.text, url), status: 'approved', filedAt: '2027-03-03', decidedAt: '2027-03-03' })).status).to.equal(303);
    const mine = text((await page(await signedIn(t, applicant), `/applications/${c._id}`)).text);
    expect(mine).to.include('Đã trả lời ngày 2/3/2027: Bản ký hợp đồng.');
    expect(mine).not.to.include('Không còn cần: Bản ký hợp đồng.');
  });
});
