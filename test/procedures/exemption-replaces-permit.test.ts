// Walk33 #1: HR ran the certificate of exemption from a work permit instead of the permit (Decree
// 219/2025/ND-CP Art. 9) and the applicant read "Work permit: no longer needed" with no reason. Each
// officer action sends one e-mail; the stop now says the certificate replaces the permit, in the
// applicant's language, formally. Real database, the real dispatcher, the in-process SMTP server.
import { expect } from 'chai';
import type { TestApp } from '../support/app.ts';
import { createUser } from '../support/factories.ts';
import { createCase } from '../support/case-factories.ts';
import { Case } from '../../models/case.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { updateProcedure } from '../../server/procedures/service.ts';
import { systemContext } from '../../server/context.ts';
import { deliver, page, signedIn, text } from '../applications/support.ts';
import { procedureWorld, vn } from './support.ts';

describe('procedures: the work permit stopped for its exemption certificate says why, one e-mail per action', () => {
  let t: TestApp;
  const clock = vn('2027-03-03');
  let officer: UserDoc;
  let call: CallDoc;

  before(async () => {
    ({ t, hrEn: officer, call } = await procedureWorld(() => clock));
  });
  after(async () => {
    await t?.close();
  });

  async function step(caseId: unknown, kind: 'work_permit' | 'work_permit_exemption', status: 'requested' | 'not_needed', message?: string) {
    const c = (await Case.findById(caseId))!;
    const r = await updateProcedure({ app: t.ctx, ctx: systemContext({ now: clock, actor: officer }), caseId: String(c._id), kind, status, ...(message ? { message } : {}), expectedVersion: c.version });
    expect(r.ok, JSON.stringify(r.ok ? {} : r.errors)).to.equal(true);
    await deliver(t, caseId);
  }

  const words = {
    en: { stopped: 'Work permit: no longer needed', why: 'the certificate replaces the work permit (Decree 219/2025/ND-CP, Art. 9)', started: 'Certificate of exemption from a work permit: the institute has started this procedure for you', timeline: 'Replaced by the certificate of exemption from a work permit, applied for instead (Decree 219/2025/ND-CP)', permitClock: 'within 10 working days', procedureLine: 'Procedure: Work permit', basisStopped: 'Legal basis: Decree 219/2025/ND-CP on foreign workers in Vietnam (Art. 4, 18)\n' },
    vi: { stopped: 'Giấy phép lao động: không còn cần nữa', why: 'giấy xác nhận này thay cho giấy phép lao động (Nghị định 219/2025/NĐ-CP, Điều 9)', started: 'Giấy xác nhận không thuộc diện cấp giấy phép lao động', timeline: 'Thay bằng giấy xác nhận không thuộc diện cấp giấy phép lao động, được đề nghị cấp thay thế (Nghị định 219/2025/NĐ-CP)', permitClock: 'trong 10 ngày làm việc', procedureLine: 'Thủ tục: Giấy phép lao động', basisStopped: 'Căn cứ: Nghị định 219/2025/NĐ-CP về người lao động nước ngoài làm việc tại Việt Nam (Điều 4, 18)\n' },
  };

  for (const locale of ['en', 'vi'] as const) {
    it(`${locale}: exemption started, then the permit stopped: one e-mail each, the second saying the certificate replaces the permit`, async () => {
      const applicant = await createUser({ role: 'applicant', locale });
      const c = await createCase({ applicant, call, stage: 'onboarding', profile: { fullName: 'Nguyễn Văn Hải', nationality: 'DE' }, supportTracks: [{ kind: 'work_permit', status: 'requested', updatedAt: clock }] });
      const mine = () => t.smtp.to(applicant.email).filter((m) => m.subject.includes(c.reference));
      const w = words[locale];

      await step(c._id, 'work_permit_exemption', 'requested');
      await t.smtp.waitForTo(applicant.email, new RegExp(`\\[${c.reference}\\]`));
      expect(mine().map((m) => m.subject)).to.have.length(1);
      expect(mine()[0]!.subject).to.include(w.started);

      await step(c._id, 'work_permit', 'not_needed');
      await t.smtp.waitFor((m) => m.to.includes(applicant.email) && m.subject.includes(c.reference) && m !== mine()[0]);
      const mails = mine();
      expect(mails, mails.map((m) => m.subject).join(' | ')).to.have.length(2);
      const stop = mails[1]!;
      expect(stop.subject).to.include(w.stopped);
      expect(stop.text).to.include(w.why);
      expect(stop.html).to.include(w.why);
      // Walk s35 #1: the stopped permit's own legal deadline is not said as if it ran, and what
      // replaces it comes first, before the stopped procedure's particulars.
      for (const body of [stop.text, stop.html]) {
        expect(body).to.not.include(w.permitClock);
        expect(body.indexOf(w.why), 'the replacement first').to.be.within(0, body.indexOf(w.procedureLine));
      }
      expect(stop.text).to.include(w.basisStopped);
      // Their timeline says it too, once, on the permit's stop.
      const page1 = text((await page(await signedIn(t, applicant), `/applications/${c._id}`)).text);
      expect(page1.split(w.timeline).length - 1, 'the timeline line').to.equal(1);
      // Her procedures list the certificate first, the stopped permit it replaces after it (walk s35 #1).
      const exemptionAt = page1.indexOf('data-procedure="work_permit_exemption"');
      expect(exemptionAt, 'the certificate listed').to.be.at.least(0);
      expect(exemptionAt, 'before the permit').to.be.below(page1.indexOf('data-procedure="work_permit"'));
      if (locale === 'vi') {
        expect(stop.text).to.include('Kính gửi Ông/Bà');
        expect(stop.text).to.not.match(/\bbạn\b/);
      }
    });
  }

  it('en: the permit stopped with no exemption under way: no "replaces" reason is invented', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await createCase({ applicant, call, stage: 'onboarding', supportTracks: [{ kind: 'work_permit', status: 'requested', updatedAt: clock }] });
    // Not replaced: the officer says why (a stop of a procedure under way carries a reason: stop-reason.test.ts).
    await step(c._id, 'work_permit', 'not_needed', 'Your position no longer needs a work permit.');
    const mail = await t.smtp.waitForTo(applicant.email, new RegExp(`\\[${c.reference}\\]`));
    expect(mail.subject).to.include('Work permit: no longer needed');
    expect(mail.text).to.not.include('replaces');
    expect(text((await page(await signedIn(t, applicant), `/applications/${c._id}`)).text)).to.not.include('Replaced by');
    expect(t.smtp.to(applicant.email).filter((m) => m.subject.includes(c.reference))).to.have.length(1);
  });
});
