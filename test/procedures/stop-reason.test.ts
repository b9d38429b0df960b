// A procedure that had started and is stopped ("not needed") says why: the officer's reason for the
// applicant is asked for (a private note is no reason, and is never sent), refused in the officer's
// language with what was typed kept, stored on the history event, shown on both timelines and sent
// in the applicant's e-mail. A stop an exemption certificate explains (replacingProcedure) needs none;
// a stop before the certificate was started keeps reading as it was said once it is.
// Real database, real dispatcher, the in-process SMTP server.
import { expect } from 'chai';
import type { TestApp } from '../support/app.ts';
import { createUser } from '../support/factories.ts';
import { createCase } from '../support/case-factories.ts';
import { Case } from '../../models/case.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { updateProcedure } from '../../server/procedures/service.ts';
import { systemContext } from '../../server/context.ts';
import { deliver, page, post, signedIn, text, versionIn } from '../applications/support.ts';
import { procedureWorld, save, snapshot, vn } from './support.ts';

describe('procedures: a stop of a procedure under way carries a reason for the applicant', () => {
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

  const filedPermit = (applicant: UserDoc) =>
    createCase({ applicant, call, stage: 'onboarding', assignee: hrEn._id, supportTracks: [{ kind: 'work_permit', status: 'filed', filedAt: vn('2027-02-25'), dueAt: vn('2027-03-11'), office: 'Sở Nội vụ Hà Nội', updatedAt: vn('2027-02-25') }] });

  it('refuses a stop with only a private note, on the procedure page and from the case row, in the officer\'s language, keeping what was typed', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await filedPermit(applicant);
    const before = await snapshot(c);
    const url = `/cases/${c._id}/procedures/work_permit`;

    const en = await save(await signedIn(t, hrEn), url, { status: 'not_needed', note: 'Exempt after all — internal' });
    expect(en.status).to.equal(422);
    const enText = text(en.text);
    expect(enText).to.include('Tell the applicant why this procedure stops');
    expect(enText).to.include('Exempt after all — internal');
    expect(en.text).to.match(/<option value="not_needed" selected>/);

    // The case page's row (a status and an internal note) is sent to the procedure's page to say why.
    const vi = await signedIn(t, hrVi);
    const casePage = await page(vi, `/cases/${c._id}`);
    const row = `/cases/${c._id}/support/work_permit`;
    const viRes = await post(vi, casePage.text, row, { version: versionIn(casePage.text, row), status: 'not_needed', note: 'Ghi chú riêng' });
    expect(viRes.status).to.equal(422);
    const viText = text(viRes.text);
    expect(viText).to.include('Hãy cho ứng viên biết lý do dừng thủ tục này');
    expect(viText).to.include('Ghi chú riêng');
    expect(viText).to.not.match(/\bbạn\b/);

    expect(await snapshot(c)).to.deep.equal(before);
  });

  it('refuses it in the service too (any caller), and lets a stop the exemption certificate explains through without one', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await createCase({ applicant, call, stage: 'onboarding', supportTracks: [{ kind: 'work_permit', status: 'preparing', updatedAt: clock }, { kind: 'work_permit_exemption', status: 'requested', updatedAt: clock }, { kind: 'housing', status: 'requested', updatedAt: clock }] });
    const ctx = systemContext({ now: clock, actor: hrEn });
    const housing = await updateProcedure({ app: t.ctx, ctx, caseId: String(c._id), kind: 'housing', status: 'not_needed', note: 'private', expectedVersion: c.version });
    expect(housing.ok).to.equal(false);
    expect(housing.ok ? {} : housing.errors).to.deep.equal({ message: 'procedures.errors.stopReason' });
    const permit = await updateProcedure({ app: t.ctx, ctx, caseId: String(c._id), kind: 'work_permit', status: 'not_needed', expectedVersion: c.version });
    expect(permit.ok, 'replaced by the certificate under way: that is the reason').to.equal(true);
  });

  for (const locale of ['en', 'vi'] as const) {
    it(`${locale}: a filed permit stopped with a reason: stored on the event, e-mailed under its own heading, on both timelines; the private note stays with HR`, async () => {
      const applicant = await createUser({ role: 'applicant', locale });
      const c = await filedPermit(applicant);
      const url = `/cases/${c._id}/procedures/work_permit`;
      const reason = locale === 'vi' ? 'Viện đã hủy vị trí này; hồ sơ giấy phép được rút lại.' : 'The position was withdrawn by the institute; the permit file has been withdrawn.';
      const res = await save(await signedIn(t, hrEn), url, { status: 'not_needed', message: reason, note: 'Budget cut — internal only' });
      expect(res.status).to.equal(303);

      const stored = (await Case.findById(c._id).lean())!;
      const event = stored.history.at(-1)!;
      expect(event.procedure).to.include({ kind: 'work_permit', from: 'filed', to: 'not_needed', message: reason, applicantVisible: true });
      expect(event.note).to.equal('Budget cut — internal only');

      await deliver(t, c._id);
      const mail = await t.smtp.waitForTo(applicant.email, new RegExp(`\\[${c.reference}\\]`));
      const heading = locale === 'vi' ? 'Lý do dừng thủ tục:' : 'Why this procedure stopped:';
      expect(mail.text).to.include(heading);
      expect(mail.text).to.include(reason);
      expect(mail.html).to.include(heading);
      // The reason (what replaces it, in HR's words) first, before the stopped procedure's particulars,
      // whose law is cited without its time limit (walk s35 #1).
      const particulars = locale === 'vi' ? 'Thủ tục: Giấy phép lao động' : 'Procedure: Work permit';
      for (const body of [mail.text, mail.html]) expect(body.indexOf(reason), 'the reason first').to.be.within(0, body.indexOf(particulars));
      expect(mail.text).to.not.match(/10 (working days|ngày làm việc)/);
      expect(mail.text).to.not.include('Message from the HR office');
      expect(mail.text + mail.html).to.not.include('Budget cut');
      if (locale === 'vi') expect(mail.text).to.not.match(/\bbạn\b/);

      const mine = text((await page(await signedIn(t, applicant), `/applications/${c._id}`)).text);
      expect(mine).to.include(`${heading} ${reason}`);
      expect(mine).to.not.include('Budget cut');

      const staff = text((await page(await signedIn(t, hrEn), `/cases/${c._id}`)).text);
      expect(staff).to.include(`Why this procedure stopped: ${reason}`);
      expect(staff).to.include('Budget cut — internal only');
    });
  }

  it('en: stopped before the exemption certificate was started: the stop still reads as said once the certificate runs', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await createCase({ applicant, call, stage: 'onboarding', supportTracks: [{ kind: 'work_permit', status: 'requested', updatedAt: clock }] });
    const ctx = systemContext({ now: clock, actor: hrEn });
    const reason = 'You qualify for an exemption: we will apply for the certificate of exemption instead.';
    let fresh = (await Case.findById(c._id))!;
    const stop = await updateProcedure({ app: t.ctx, ctx, caseId: String(c._id), kind: 'work_permit', status: 'not_needed', message: reason, expectedVersion: fresh.version });
    expect(stop.ok).to.equal(true);
    fresh = (await Case.findById(c._id))!;
    const start = await updateProcedure({ app: t.ctx, ctx, caseId: String(c._id), kind: 'work_permit_exemption', status: 'requested', expectedVersion: fresh.version });
    expect(start.ok).to.equal(true);

    const mine = text((await page(await signedIn(t, applicant), `/applications/${c._id}`)).text);
    expect(mine).to.include(`Why this procedure stopped: ${reason}`);
    // Nothing is said of the certificate on the stop: it was not under way when the permit stopped.
    expect(mine).to.not.include('Replaced by');
    const stored = (await Case.findById(c._id).lean())!;
    const stopEvent = stored.history.find((h) => h.procedure?.kind === 'work_permit' && h.procedure.to === 'not_needed')!;
    expect(stopEvent.procedure!.message).to.equal(reason);
    expect(stopEvent.procedure!.replacedBy ?? null).to.equal(null);
  });
});
