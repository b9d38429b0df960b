// By when HR acts next, told to the applicant: the application_submitted and screening_started
// e-mails (real outbox, in-process SMTP) and the application page say the stage's date with its
// working days left, in the applicant's language, as a target the HR office works to (the stage
// deadlines are the institute's own, server/workflow/transitions.ts STAGE_DEADLINES); after an
// answer to an information request the page gives screening's new date.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { seedHolidays, vnStartOfDay } from '../../server/calendar/index.ts';
import { transition, type Action } from '../../server/workflow/index.ts';
import { formatDay } from '../../server/views/time.ts';
import { editMisfit } from '../../server/mail/render.ts';
import { builtinParts } from '../../server/mail/templates.ts';
import { actorContext } from '../workflow/context.ts';
import { signedIn, page, deliver, text } from './support.ts';

/** 10:00 in Vietnam on that day. */
const at = (key: string) => new Date(vnStartOfDay(key).getTime() + 10 * 3_600_000);

describe('applications: by when HR acts next (e-mails and the application page)', () => {
  let t: TestApp;
  let clock = at('2026-12-07');
  let hr: UserDoc;
  let call: CallDoc;

  before(async () => {
    t = await startTestApp({ now: () => clock });
    await seedHolidays();
    const institute = await createInstitute();
    hr = await createUser({ role: 'hr_officer', institute, locale: 'en' });
    call = await createCall({ institute, checklist: [], opensAt: at('2026-11-01'), closesAt: at('2027-03-01') });
  });
  after(async () => {
    await t?.close();
  });

  async function step(c: CaseDoc, action: Action, actor: UserDoc, payload?: Record<string, unknown>): Promise<CaseDoc> {
    return transition({ app: t.ctx, ctx: actorContext(t.ctx, actor), caseId: c._id, action, expectedVersion: c.version, payload });
  }
  const panelOf = (html: string) => text(html.slice(html.indexOf('id="next-step"'), html.indexOf('</section>', html.indexOf('id="next-step"'))));

  it('e-mails the submitted and screening dates with their working days, in English, and the page says them', async () => {
    clock = at('2026-12-07'); // Monday
    const applicant = await createUser({ role: 'applicant', locale: 'en', name: 'Anna Berg' });
    let c = await createCase({ applicant, call, assignee: hr });
    c = await step(c, 'submit', applicant);
    // Mon 7 Dec + 5 working days: 8, 9, 10, 11, 14 Dec.
    expect(formatDay(c.stageDueAt!, 'en')).to.equal('14 Dec 2026');
    await deliver(t, c._id);
    const submitted = await t.smtp.waitForTo(applicant.email, /Application received/);
    expect(submitted.text).to.include('An HR officer will start screening it by 14 Dec 2026 (5 working days left). This is a target our HR office works to, not a time limit set by law.');
    expect(submitted.html).to.include('by <strong>14 Dec 2026</strong> (5 working days left)');
    expect(submitted.text).not.to.include('soon');

    let a = await signedIn(t, applicant);
    expect(panelOf((await page(a, `/applications/${c._id}`)).text)).to.include('HR aims to start screening your application by 14 Dec 2026 (5 working days left). This is a target the HR office works to, not a time limit set by law.');

    clock = at('2026-12-08');
    c = await step(c, 'start_screening', hr);
    // Tue 8 Dec + 10 working days: 9, 10, 11, 14, 15, 16, 17, 18, 21, 22 Dec.
    expect(formatDay(c.stageDueAt!, 'en')).to.equal('22 Dec 2026');
    await deliver(t, c._id);
    const screening = await t.smtp.waitForTo(applicant.email, /being screened/);
    expect(screening.text).to.include('We aim to finish the screening by 22 Dec 2026 (10 working days left): a target our HR office works to, not a time limit set by law.');
    expect(screening.html).to.include('<p>We aim to finish the screening by <strong>22 Dec 2026</strong> (10 working days left)');
    expect(screening.text).not.to.match(/\{\{|undefined|\n\n\n/);
    // Signed in again after the clock moved: a session idles out by the app's clock.
    a = await signedIn(t, applicant);
    expect(panelOf((await page(a, `/applications/${c._id}`)).text)).to.include('HR aims to finish the screening by 22 Dec 2026 (10 working days left).');

    // Once the date has passed, the page says it is taking longer than planned, not "overdue" at the applicant.
    clock = at('2026-12-24');
    a = await signedIn(t, applicant);
    const late = panelOf((await page(a, `/applications/${c._id}`)).text);
    expect(late).to.include('HR aimed to finish this step by 22 Dec 2026; it is taking longer than planned.');
    expect(late).not.to.include('overdue');
  });

  it('e-mails the dates in Vietnamese, and after an answer to a request the page gives screening its new date', async () => {
    clock = at('2026-12-07');
    const applicant = await createUser({ role: 'applicant', locale: 'vi', name: 'Trần Thị Bình' });
    let c = await createCase({ applicant, call, assignee: hr });
    c = await step(c, 'submit', applicant);
    await deliver(t, c._id);
    const submitted = await t.smtp.waitForTo(applicant.email, /Đã nhận hồ sơ ứng tuyển/);
    expect(submitted.text).to.include('Cán bộ nhân sự sẽ bắt đầu sơ tuyển chậm nhất vào ngày 14/12/2026 (còn 5 ngày làm việc). Đây là thời hạn bộ phận nhân sự của viện tự đặt ra, không phải thời hạn do pháp luật quy định.');
    expect(submitted.html).to.include('<strong>14/12/2026</strong> (còn 5 ngày làm việc)');
    expect(submitted.text).not.to.include('sớm');

    clock = at('2026-12-08');
    c = await step(c, 'start_screening', hr);
    await deliver(t, c._id);
    const screening = await t.smtp.waitForTo(applicant.email, /đang được sơ tuyển/);
    expect(screening.text).to.include('Chúng tôi dự kiến hoàn thành sơ tuyển chậm nhất vào ngày 22/12/2026 (còn 10 ngày làm việc).');
    expect(screening.html).to.include('<strong>22/12/2026</strong> (còn 10 ngày làm việc)');
    let a = await signedIn(t, applicant);
    expect(panelOf((await page(a, `/applications/${c._id}`)).text)).to.include('Bộ phận nhân sự dự kiến hoàn thành sơ tuyển chậm nhất vào ngày 22/12/2026 (còn 10 ngày làm việc).');

    c = await step(c, 'request_info', hr, { items: 'PhD diploma', dueAt: '2026-12-15' });
    // Waiting for the applicant: the page gives the request's date, not an HR line.
    expect((await page(a, `/applications/${c._id}`)).text).not.to.include('id="hr-by"');
    clock = at('2026-12-10'); // Thursday
    c = await step(c, 'answer_info', applicant, { answer: 'Uploaded.' });
    expect((await Case.findById(c._id).lean())!.stage).to.equal('screening');
    a = await signedIn(t, applicant);
    // Thu 10 Dec + 10 working days: 11, 14, 15, 16, 17, 18, 21, 22, 23, 24 Dec.
    expect(panelOf((await page(a, `/applications/${c._id}`)).text)).to.include('Bộ phận nhân sự dự kiến hoàn thành sơ tuyển chậm nhất vào ngày 24/12/2026 (còn 10 ngày làm việc).');
  });

  it('gives no HR date where someone else acts next (the panel, the applicant deciding an offer)', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const a = await signedIn(t, applicant);
    for (const stage of ['evaluation', 'offer'] as const) {
      const c = await createCase({ applicant, call, stage, stageDueAt: at('2026-12-20') });
      expect((await page(a, `/applications/${c._id}`)).text, stage).not.to.include('id="hr-by"');
    }
    // A hold says the review date HR gave it (the same table's row: HR acts by the stage's date).
    clock = at('2026-12-07');
    const held = await createCase({ applicant, call, stage: 'on_hold', resumeStage: 'screening', stageDueAt: new Date(vnStartOfDay('2026-12-15').getTime() + 86_400_000 - 1) });
    const b = await signedIn(t, applicant);
    expect(panelOf((await page(b, `/applications/${held._id}`)).text)).to.include('HR will look at your application again by 15 Dec 2026 (6 working days left).');
  });

  it("lets the template editor's fit check accept an edit using the date and its working days, and an older edit without them", () => {
    for (const template of ['application_submitted', 'screening_started']) {
      for (const locale of ['vi', 'en'] as const) {
        const built = builtinParts(template, locale);
        expect(editMisfit(template, locale, { ...built, version: 9001 }), `${template} ${locale} as built`).to.deep.equal([]);
        const edited = { subject: built.subject, text: 'Dear {{name}}, by {{date dueAt}} ({{dueLeft}}). {{link}}', html: '<p>{{reference}}: {{date dueAt}} ({{dueLeft}})</p>' };
        expect(editMisfit(template, locale, { ...edited, version: 9002 }), `${template} ${locale} using the date`).to.deep.equal([]);
        const older = { subject: built.subject, text: 'Dear {{name}}, {{reference}} {{link}}', html: '<p>{{reference}}</p>' };
        expect(editMisfit(template, locale, { ...older, version: 9003 }), `${template} ${locale} older edit`).to.deep.equal([]);
      }
    }
  });
});
