// A foreign national who never held Vietnamese nationality is naturalised only after 5 years of
// permanent residence in Vietnam, unless a ministry-level body confirms the talent exemption (Law on
// Vietnamese Nationality Art. 19, as amended by Law 79/2025/QH15; Decree 191/2025/ND-CP). The
// acceptance e-mail already gave her no filing date (test/cases/offer-accepted-citizenship.test.ts);
// HR's procedure page, the applicant's page and the procedure_update e-mail still did. Now none does:
// each says the condition, HR cannot type a target, and a target stored before is neither shown nor
// chased. An overseas Vietnamese restoring the nationality (Art. 23: no residence condition) keeps
// the institute's target, said the same way on her page and in her e-mail.
// Real database, real HTTP forms, the real dispatcher and the in-process SMTP server.
import { expect } from 'chai';
import type { TestApp } from '../support/app.ts';
import { createUser } from '../support/factories.ts';
import { createCase } from '../support/case-factories.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { Case } from '../../models/case.ts';
import { deliver, page, signedIn, text } from '../applications/support.ts';
import { translator } from '../../server/i18n/index.ts';
import { runEscalations } from '../../server/procedures/escalation.ts';
import { procedureWorld, save, vn } from './support.ts';

describe('procedures: a naturalisation awaiting residence has no filing target anywhere', function () {
  this.timeout(60_000);
  let t: TestApp;
  const clock = vn('2027-03-03');
  let hrEn: UserDoc;
  let hrVi: UserDoc;
  let call: CallDoc;

  before(async () => {
    ({ t, hrEn, hrVi, call } = await procedureWorld(() => clock));
  });
  after(async () => {
    await t?.close();
  });

  const words = {
    en: { aim: 'We aim to file by', preparing: /Vietnamese citizenship: the file is being prepared/ },
    vi: { aim: 'Dự kiến nộp hồ sơ trước', preparing: /Quốc tịch Việt Nam: hồ sơ đang được chuẩn bị/ },
  };

  async function caseOf(applicant: UserDoc, hr: UserDoc, profile: Record<string, unknown>, dueAt?: Date) {
    return createCase({ applicant, call, stage: 'onboarding', assignee: hr._id, profile: { fullName: 'Claire Dubois', ...profile }, supportTracks: [{ kind: 'citizenship', status: 'requested', updatedAt: clock, ...(dueAt ? { dueAt } : {}) }] });
  }

  for (const locale of ['en', 'vi'] as const) {
    it(`${locale}: HR's page and the applicant's page say the residence condition, not a target stored before; HR cannot type one; the e-mail gives none`, async () => {
      const tr = translator(locale);
      const applicant = await createUser({ role: 'applicant', locale });
      const hr = locale === 'en' ? hrEn : hrVi;
      // A target counted before the rule (60 working days), already past: not shown, not chased.
      const c = await caseOf(applicant, hr, { nationality: 'FR', overseasVietnamese: false }, vn('2027-02-26'));
      const w = words[locale];
      const a = await signedIn(t, hr);
      const url = `/cases/${c._id}/procedures/citizenship`;
      const hrPage = await page(a, url);
      expect(hrPage.status).to.equal(200);
      expect(text(hrPage.text)).to.include(tr('procedures.naturalisationHr'));
      expect(hrPage.text).to.not.include('name="targetAt"');
      expect(text(hrPage.text)).to.not.include(w.aim);
      const casePage = text((await page(a, `/cases/${c._id}`)).text);
      expect(casePage).to.include(tr('procedures.naturalisationHr'));
      expect(casePage).to.not.include(w.aim);

      const mine = text((await page(await signedIn(t, applicant), `/applications/${c._id}`)).text);
      expect(mine).to.include(tr('procedures.naturalisationApplicant'));
      expect(mine).to.not.include(w.aim);
      if (locale === 'vi') expect(mine).to.not.match(/(^|[^\p{L}])bạn([^\p{L}]|$)/iu);

      // The overdue stored target escalates nothing.
      await runEscalations(t.ctx, { now: clock, caseIds: [c._id] });
      expect((await Case.findById(c._id).lean())!.overdueProcedures ?? []).to.not.include('citizenship');

      // A typed target is refused, with why.
      const typed = await save(a, url, { status: 'requested', targetAt: '2027-04-15' });
      expect(typed.status).to.equal(422);
      expect(text(typed.text)).to.include(tr('procedures.errors.targetNaturalisation'));

      // Preparing the file: no target stored, and the e-mail says the condition, no date.
      expect(await save(a, url, { status: 'preparing', message: 'Claire, we are preparing the papers.' })).to.have.property('status', 303);
      const stored = (await Case.findById(c._id).lean())!.supportTracks.find((s) => s.kind === 'citizenship')!;
      expect(stored.status).to.equal('preparing');
      expect(stored.dueAt ?? null).to.equal(null);
      await deliver(t, c._id);
      const mail = await t.smtp.waitForTo(applicant.email, w.preparing);
      expect(mail.text).to.include(tr('procedures.naturalisationApplicant'));
      expect(mail.html).to.include(locale === 'en' ? '5 years of permanent residence in Vietnam' : 'thường trú tại Việt Nam từ 5 năm');
      expect(mail.text).to.not.include(w.aim);
      expect(mail.text).to.not.match(/working days|ngày làm việc/);
    });
  }

  it('vi: an overseas Vietnamese restoring the nationality keeps the institute\'s target, on her page and in her e-mail alike', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'vi' });
    const c = await caseOf(applicant, hrVi, { nationality: 'DE', overseasVietnamese: true });
    const a = await signedIn(t, hrVi);
    const url = `/cases/${c._id}/procedures/citizenship`;
    expect((await page(a, url)).text).to.include('name="targetAt"');
    expect(await save(a, url, { status: 'preparing', message: 'Hồ sơ trở lại quốc tịch đang được chuẩn bị.' })).to.have.property('status', 303);
    const stored = (await Case.findById(c._id).lean())!.supportTracks.find((s) => s.kind === 'citizenship')!;
    expect(stored.dueAt).to.be.instanceOf(Date);
    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(applicant.email, words.vi.preparing);
    const line = /Dự kiến nộp hồ sơ trước: (\d+\/\d+\/\d{4}) \(còn \d+ ngày làm việc\)/.exec(mail.text);
    expect(line, mail.text).to.not.equal(null);
    expect(mail.text).to.not.include(translator('vi')('procedures.naturalisationApplicant'));
    const mine = text((await page(await signedIn(t, applicant), `/applications/${c._id}`)).text);
    expect(mine).to.include(`Dự kiến nộp hồ sơ trước: ${line![1]}`);
    expect(mine).to.not.include(translator('vi')('procedures.naturalisationApplicant'));
  });
});
