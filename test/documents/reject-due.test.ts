// The document-rejection e-mail says by when a new version is needed (walk 26 #8), over HTTP on a
// test clock with real multipart uploads and the real SMTP server: the screening's deadline the case
// runs against, in the applicant's language and date form with the working days left; the date of
// an open request that names the slot (a procedure's) when there is one; no date where the
// applicant has none (the offer stage) or it has passed.
import { expect } from 'chai';
import path from 'node:path';
import { rm } from 'node:fs/promises';
import { Types } from 'mongoose';
import type { TestApp } from '../support/app.ts';
import { createUser } from '../support/factories.ts';
import { createCase } from '../support/case-factories.ts';
import type { CaseDoc } from '../../models/case.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { vnEndOfDay } from '../../server/calendar/index.ts';
import { Institute } from '../../models/institute.ts';
import { signedIn, deliver } from '../applications/support.ts';
import { procedureWorld, vn } from '../procedures/support.ts';
import { makePdf, tokenOf } from './support.ts';

const endOf = (day: string) => vnEndOfDay(vn(day));

describe('documents: the rejection e-mail gives the date a new version is needed by', function () {
  this.timeout(60_000);
  const uploadDir = path.resolve(`data/test/uploads-reject-due-${process.pid}`);
  let t: TestApp;
  const clock = vn('2026-12-07'); // a Monday
  let hr: UserDoc;
  let call: CallDoc;

  before(async () => {
    await rm(uploadDir, { recursive: true, force: true });
    ({ t, hrEn: hr, call } = await procedureWorld(() => clock, {
      env: { UPLOAD_DIR: uploadDir, UPLOAD_RATE_PER_HOUR: '1000' },
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

  /** The applicant uploads `type`, HR rejects it with a reason; the e-mail as it arrived. */
  async function uploadAndReject(applicant: UserDoc, c: CaseDoc, type: string, subject: RegExp) {
    const me = await signedIn(t, applicant);
    const up = await me.post(`/cases/${c._id}/documents`).field('_csrf', await tokenOf(me)).set('Accept', 'application/json').attach(type, await makePdf('A file'), `${type}.pdf`);
    expect(up.status, up.text).to.equal(201);
    const id = (up.body.documents as Array<{ id: string }>)[0]!.id;
    const h = await signedIn(t, hr);
    const res = await h.post(`/documents/${id}/verify`).set('Accept', 'application/json').type('form').send({ _csrf: await tokenOf(h), decision: 'reject', reason: 'Unreadable scan.' });
    expect(res.status, res.text).to.equal(200);
    await deliver(t, c._id);
    return t.smtp.waitForTo(applicant.email, subject);
  }

  it('at screening: the screening deadline with its working days left, in Vietnamese (date 18/12/2026)', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'vi', name: 'Trần Thị Bình' });
    const c = await createCase({ applicant, call, stage: 'screening', assignee: hr._id, stageDueAt: endOf('2026-12-18') });
    const mail = await uploadAndReject(applicant, c, 'cv', /Giấy tờ chưa được chấp nhận/);
    // Tue 8 – Fri 18 Dec 2026: 9 working days.
    expect(mail.text).to.include('Vui lòng tải lên phiên bản mới trên trang hồ sơ của Ông/Bà chậm nhất ngày 18/12/2026 (còn 9 ngày làm việc).');
    expect(mail.html).to.include('chậm nhất ngày <strong>18/12/2026</strong> (còn 9 ngày làm việc)');
    expect(mail.text).not.to.include('Dec');
  });

  it('a procedure request naming the slot: its own date (en, "15 Dec 2026")', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en', name: 'Anna Berg' });
    const c = await createCase({
      applicant,
      call,
      stage: 'onboarding',
      assignee: hr._id,
      stageDueAt: endOf('2027-02-26'),
      supportTracks: [
        {
          kind: 'work_permit',
          status: 'preparing',
          dueAt: endOf('2027-01-15'),
          updatedAt: vn('2026-12-01'),
          asks: [{ _id: new Types.ObjectId(), text: 'Certified translation of the diploma.', askedAt: vn('2026-12-01'), dueAt: endOf('2026-12-15'), documentType: 'degree_translation', stopsClock: false }],
        },
      ],
    });
    const mail = await uploadAndReject(applicant, c, 'degree_translation', /Document not accepted/);
    expect(mail.text).to.include('Please upload a new version on your application page by 15 Dec 2026 (6 working days left).');
    expect(mail.html).to.include('by <strong>15 Dec 2026</strong> (6 working days left)');
  });

  it('no deadline of the applicant\'s (onboarding, where the before-arrival papers open): no date, the sentence as before', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en', name: 'Carl Olsen' });
    const c = await createCase({ applicant, call, stage: 'onboarding', assignee: hr._id, stageDueAt: endOf('2026-12-18') });
    const mail = await uploadAndReject(applicant, c, 'degree_translation', /Document not accepted/);
    expect(mail.text).to.include('Please upload a new version on your application page.');
    expect(mail.text).not.to.include('working days');
    // No HR contact kept for the institute: no line naming one.
    expect(mail.text).not.to.include('HR office');
  });

  it('names the HR office to ask about the decision, as the request e-mails do (its address, e-mail, phone and hours, in the applicant\'s language)', async () => {
    await Institute.updateOne({ _id: call.institute }, { $set: { hrContact: { address: { vi: 'Phòng Tổ chức, 18 Hoàng Quốc Việt\nHà Nội', en: 'HR office, 18 Hoang Quoc Viet\nHanoi' }, email: 'hr@ims.example.vn', phone: '+84 24 3756 0000', hours: { vi: 'Thứ Hai – Thứ Sáu, 8:00–17:00', en: 'Mon–Fri, 8:00–17:00' } } } });
    try {
      const vi = await createUser({ role: 'applicant', locale: 'vi', name: 'Lê Văn Cường' });
      const viCase = await createCase({ applicant: vi, call, stage: 'screening', assignee: hr._id, stageDueAt: endOf('2026-12-18') });
      const viMail = await uploadAndReject(vi, viCase, 'cv', /Giấy tờ chưa được chấp nhận/);
      expect(viMail.text).to.include('Câu hỏi về quyết định này xin gửi bộ phận nhân sự: Phòng Tổ chức, 18 Hoàng Quốc Việt, Hà Nội · hr@ims.example.vn · +84 24 3756 0000. Giờ làm việc: Thứ Hai – Thứ Sáu, 8:00–17:00.');
      expect(viMail.html).to.include('<p>Câu hỏi về quyết định này xin gửi bộ phận nhân sự: Phòng Tổ chức, 18 Hoàng Quốc Việt, Hà Nội · hr@ims.example.vn');
      const en = await createUser({ role: 'applicant', locale: 'en', name: 'Dana Price' });
      const enCase = await createCase({ applicant: en, call, stage: 'screening', assignee: hr._id, stageDueAt: endOf('2026-12-18') });
      const enMail = await uploadAndReject(en, enCase, 'cv', /Document not accepted/);
      expect(enMail.text).to.include('Questions about this decision? Ask the HR office: HR office, 18 Hoang Quoc Viet, Hanoi · hr@ims.example.vn · +84 24 3756 0000. Office hours: Mon–Fri, 8:00–17:00.\n\nCase reference:');
    } finally {
      await Institute.updateOne({ _id: call.institute }, { $unset: { hrContact: '' } });
    }
  });
});
