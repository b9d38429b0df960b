// Walk33 #2: the e-mail saying the case went to the evaluation panel gave no next step and no date.
// It now says what happens next (the panel scores, the leadership decides, the applicant is
// e-mailed) and by when the institute aims to finish, with the working days left, in the
// applicant's language, formally. Real database, the real workflow and dispatcher, real SMTP.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { Case } from '../../models/case.ts';
import { loadCalendar, seedHolidays } from '../../server/calendar/index.ts';
import { deadlineLeft } from '../../server/procedures/service.ts';
import { translator } from '../../server/i18n/index.ts';
import { formatDay } from '../../server/views/time.ts';
import { transition } from '../../server/workflow/index.ts';
import { STAGE_DEADLINES } from '../../server/workflow/transitions.ts';
import { actorContext } from './context.ts';
import { deliver } from '../applications/support.ts';

describe('workflow: the sent-to-evaluation e-mail says what happens next and by when', () => {
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

  const words = {
    en: { next: "What happens next: the institute's evaluation panel scores your application against the criteria of the call, and the institute's leadership then decides; we will e-mail you that decision.", by: 'We aim to finish the evaluation by', left: /working days? left/, nothing: 'There is nothing for you to do in the meantime unless we ask you.' },
    vi: { next: 'Tiếp theo: hội đồng đánh giá của viện chấm điểm hồ sơ của Ông/Bà theo các tiêu chí của thông báo tuyển, sau đó lãnh đạo viện quyết định', by: 'Chúng tôi dự kiến hoàn thành việc đánh giá chậm nhất vào ngày', left: /ngày làm việc/, nothing: 'Trong thời gian này Ông/Bà không cần làm gì thêm, trừ khi chúng tôi đề nghị.' },
  };

  for (const locale of ['en', 'vi'] as const) {
    it(`${locale}: the next step, the evaluation's date and its working days left; one e-mail`, async () => {
      const applicant = await createUser({ role: 'applicant', locale });
      const c = await createCase({ applicant, call, stage: 'screening', stageEnteredAt: new Date(Date.now() - 86_400_000) });
      await transition({ app: t.ctx, ctx: actorContext(t.ctx, hr), caseId: c._id, action: 'send_to_evaluation', expectedVersion: c.version });
      const stored = (await Case.findById(c._id).lean())!;
      expect(stored.stage).to.equal('evaluation');
      await deliver(t, c._id);
      const mail = await t.smtp.waitForTo(applicant.email, new RegExp(`\\[${c.reference}\\]`));
      const w = words[locale];
      const due = stored.stageDueAt!;
      const cal = await loadCalendar();
      // The stage's own date: the evaluation's working days from now (STAGE_DEADLINES.evaluation).
      expect(cal.workingDaysBetween(new Date(), due)).to.be.within(STAGE_DEADLINES.evaluation! - 1, STAGE_DEADLINES.evaluation!);
      const left = deadlineLeft(translator(locale), cal, new Date(), due).text;
      for (const body of [mail.text, mail.html]) {
        expect(body, body).to.include(w.next);
        expect(body).to.include(formatDay(due, locale));
        expect(body).to.include(`(${left})`);
        expect(body).to.include(w.nothing);
      }
      const line = mail.text.split('\n').find((l) => l.startsWith(w.by)) ?? '';
      expect(line, mail.text).to.include(formatDay(due, locale));
      expect(line).to.match(w.left);
      if (locale === 'vi') {
        expect(mail.text).to.include('Kính gửi Ông/Bà');
        expect(`${mail.subject}\n${mail.text}\n${mail.html}`).to.not.match(/\bbạn\b/);
      }
      expect(t.smtp.to(applicant.email).filter((m) => m.subject.includes(c.reference))).to.have.length(1);
    });
  }
});
