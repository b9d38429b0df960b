// Walk s34 #1: HR stopped a procedure the applicant had been told was under way (housing, set "Not
// needed") with no word for them, and they read "Housing: no longer needed" with no reason. A stop
// of a procedure under way (or refused) now needs HR's message to the applicant, as a refusal does;
// the permit stopped for its exemption certificate keeps its own reason (no message asked).
import { expect } from 'chai';
import type { TestApp } from '../support/app.ts';
import { createUser } from '../support/factories.ts';
import { createCase } from '../support/case-factories.ts';
import { Case } from '../../models/case.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { deliver, page, post, signedIn, text } from '../applications/support.ts';
import { procedureWorld, save, snapshot, vn } from './support.ts';

describe('procedures: stopping one under way needs a reason the applicant is told', () => {
  let t: TestApp;
  const clock = vn('2027-02-04');
  let officer: UserDoc;
  let call: CallDoc;

  before(async () => {
    ({ t, hrEn: officer, call } = await procedureWorld(() => clock));
  });
  after(async () => {
    await t?.close();
  });

  it('refuses "not needed" without a message (422, the message field named, nothing changed), then takes it with one and tells the applicant why', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'vi', name: 'Lê Hoàng Nam' });
    const c = await createCase({ applicant, call, stage: 'onboarding', assignee: officer._id, supportTracks: [{ kind: 'housing', status: 'requested', updatedAt: vn('2027-01-20') }] });
    const before = await snapshot(c);
    const hr = await signedIn(t, officer);
    const url = `/cases/${c._id}/procedures/housing`;
    const refused = await save(hr, url, { status: 'not_needed' });
    expect(refused.status).to.equal(422);
    expect(text(refused.text)).to.include('Tell the applicant why this procedure is stopped');
    expect(refused.text).to.match(/id="f-message"[^>]*aria-invalid="true"/);
    expect(await snapshot(c)).to.deep.equal(before);

    const ok = await save(hr, url, { status: 'not_needed', message: 'Ông/Bà đã tự thuê nhà: viện hủy phòng ở nhà khách.' });
    expect(ok.status).to.equal(303);
    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(applicant.email, /Nhà ở: không còn cần nữa/);
    expect(mail.text).to.include('Ông/Bà đã tự thuê nhà: viện hủy phòng ở nhà khách.');
    const me = await signedIn(t, applicant);
    expect(text((await page(me, `/applications/${c._id}`)).text)).to.include('Ông/Bà đã tự thuê nhà: viện hủy phòng ở nhà khách.');
    // The staff timeline shows what the applicant was told.
    expect(text((await page(hr, `/cases/${c._id}`)).text)).to.include('Ông/Bà đã tự thuê nhà: viện hủy phòng ở nhà khách.');
  });

  it('the quick form on the case page sends a stop without a message to the procedure\'s page with the error', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await createCase({ applicant, call, stage: 'onboarding', assignee: officer._id, supportTracks: [{ kind: 'residence_card', status: 'requested', updatedAt: vn('2027-01-20') }] });
    const hr = await signedIn(t, officer);
    const casePage = await page(hr, `/cases/${c._id}`);
    const m = /action="\/cases\/[0-9a-f]+\/support\/residence_card"[\s\S]*?name="version" value="(\d+)"[\s\S]*?name="track" value="([^"]*)"/.exec(casePage.text);
    expect(m, 'the residence card row form').to.not.equal(null);
    const res = await post(hr, casePage.text, `/cases/${c._id}/support/residence_card`, { version: m![1]!, track: m![2]!, status: 'not_needed' });
    expect(res.status).to.equal(422);
    expect(text(res.text)).to.include('Tell the applicant why this procedure is stopped');
    expect((await Case.findById(c._id).lean())!.supportTracks[0]!.status).to.equal('requested');
  });

  it('the work permit stopped while its exemption certificate runs needs no message (the replacement is its reason)', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await createCase({ applicant, call, stage: 'onboarding', assignee: officer._id, supportTracks: [{ kind: 'work_permit', status: 'requested', updatedAt: vn('2027-01-20') }, { kind: 'work_permit_exemption', status: 'requested', updatedAt: vn('2027-01-20') }] });
    const hr = await signedIn(t, officer);
    expect((await save(hr, `/cases/${c._id}/procedures/work_permit`, { status: 'not_needed' })).status).to.equal(303);
    expect((await Case.findById(c._id).lean())!.supportTracks.find((s) => s.kind === 'work_permit')!.status).to.equal('not_needed');
  });
});
