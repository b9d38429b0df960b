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
import { loadCalendar, seedHolidays, vnDateKey, vnEndOfDay } from '../../server/calendar/index.ts';
import { Case } from '../../models/case.ts';
import { CARD_AFTER_START_WORKING_DAYS } from '../../server/procedures/rules.ts';
import { recountCase } from '../../server/cases/deadline-recount.ts';
import { formatDay } from '../../server/views/time.ts';
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

  // Walk33 #6: an expert recorded as arrived months before the planned start read the card "82 working
  // days" away, counted from the start. The card's counted target now reads the arrival (rules.ts
  // targetStart), the e-mail names it with the old day, and a holiday recount keeps it there.
  for (const locale of ['en', 'vi'] as const) {
    it(`${locale}: the residence card's counted target follows the arrival, not the planned start; the e-mail gives both days`, async () => {
      const cal = await loadCalendar();
      const now = new Date();
      const plannedStart = vnEndOfDay(cal.addWorkingDays(now, 80));
      const oldDue = vnEndOfDay(cal.addWorkingDays(plannedStart, CARD_AFTER_START_WORKING_DAYS));
      const applicant = await createUser({ role: 'applicant', locale });
      const c = await createCase({
        applicant,
        call,
        stage: 'onboarding',
        stageEnteredAt: new Date(now.getTime() - 30 * 86_400_000),
        profile: { fullName: 'Nguyễn Văn Hải', nationality: 'DE', plannedArrival: plannedStart },
        supportTracks: [
          { kind: 'work_permit', status: 'approved', updatedAt: now },
          { kind: 'visa', status: 'approved', updatedAt: now },
          { kind: 'residence_card', status: 'preparing', dueAt: oldDue, dueCount: { from: new Date(now.getTime() - 20 * 86_400_000), workingDays: 5 }, updatedAt: now },
        ],
      });
      await transition({ app: t.ctx, ctx: actorContext(t.ctx, hr), caseId: c._id, action: 'mark_arrived', expectedVersion: c.version, payload: { arrivedOn: vnDateKey(now) } });
      const stored = (await Case.findById(c._id).lean())!;
      const card = stored.supportTracks!.find((s) => s.kind === 'residence_card')!;
      const expected = vnEndOfDay(cal.addWorkingDays(vnEndOfDay(now), CARD_AFTER_START_WORKING_DAYS));
      expect(vnDateKey(card.dueAt!), 'the card counted from the arrival').to.equal(vnDateKey(expected));
      expect(vnDateKey(stored.nextDueAt!), "the case's next date follows").to.equal(vnDateKey(expected));
      // A holiday recount counts it against the arrival too: it stays.
      const recount = recountCase(stored as never, cal, new Date(0));
      expect(recount.moved.filter((m) => m.for === 'residence_card')).to.deep.equal([]);
      await deliver(t, c._id);
      const mail = await t.smtp.waitForTo(applicant.email, new RegExp(`\\[${c.reference}\\]`));
      const line = mail.text.split('\n').find((l) => l.includes(locale === 'en' ? 'Temporary residence card' : 'Thẻ tạm trú')) ?? '';
      expect(line, mail.text).to.include(formatDay(expected, locale));
      expect(line).to.include(formatDay(oldDue, locale));
      expect(line).to.include(locale === 'en' ? 'the date now follows your arrival, not the planned start' : 'nay tính theo ngày Ông/Bà đến');
      expect(line).to.match(locale === 'en' ? /working days? left/ : /ngày làm việc/);
    });
  }
});
