// Walk (overseas Vietnamese scientist, every procedure settled): the welcome e-mail promised help
// with "the remaining formalities" when none remained. It now says so only while one is open (under
// way or refused), and otherwise that the procedures are complete; in the applicant's language, formally.
// Real database, the real workflow and dispatcher, e-mails read from the in-process SMTP server.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { seedHolidays, vnDateKey } from '../../server/calendar/index.ts';
import { transition } from '../../server/workflow/index.ts';
import { actorContext } from '../workflow/context.ts';
import { deliver } from './support.ts';

describe('applications: the arrival e-mail speaks of remaining procedures only when one remains', () => {
  let t: TestApp;
  let hr: UserDoc;
  let call: CallDoc;

  before(async () => {
    t = await startTestApp();
    await seedHolidays();
    const institute = await createInstitute();
    hr = await createUser({ role: 'hr_officer', institute });
    call = await createCall({ institute, checklist: [] });
  });
  after(async () => {
    await t?.close();
  });

  async function arrive(locale: 'vi' | 'en', tracks: Array<{ kind: string; status: string }>) {
    const applicant = await createUser({ role: 'applicant', locale });
    const c = await createCase({ applicant, call, stage: 'onboarding', stageEnteredAt: new Date(Date.now() - 86_400_000), supportTracks: tracks.map((s) => ({ ...s, updatedAt: new Date() })) });
    await transition({ app: t.ctx, ctx: actorContext(t.ctx, hr), caseId: c._id, action: 'mark_arrived', expectedVersion: c.version, payload: { arrivedOn: vnDateKey(new Date()) } });
    await deliver(t, c._id);
    return t.smtp.waitForTo(applicant.email, new RegExp(`\\[${c.reference}\\]`));
  }

  it('vi: all settled: the procedures are complete, nothing to do; none "còn lại"', async () => {
    const mail = await arrive('vi', [{ kind: 'work_permit', status: 'not_needed' }, { kind: 'visa', status: 'approved' }, { kind: 'housing', status: 'approved' }]);
    expect(mail.text).to.include('Kính gửi Ông/Bà');
    expect(mail.text).to.include('Các thủ tục hỗ trợ của Ông/Bà đã hoàn tất; Ông/Bà không cần làm gì thêm cho các thủ tục này.');
    expect(mail.text).to.not.include('thủ tục còn lại');
    expect(mail.text).to.not.match(/\bbạn\b/);
  });

  it('en: a residence card still being prepared: HR helps with the remaining formalities', async () => {
    const mail = await arrive('en', [{ kind: 'work_permit', status: 'approved' }, { kind: 'visa', status: 'approved' }, { kind: 'residence_card', status: 'preparing' }]);
    expect(mail.text).to.include('Your HR officer will help you with the remaining formalities; their progress is on your application page.');
    expect(mail.text).to.not.include('Your support procedures are complete');
  });
});
