// The procedure form says before saving that stopping a procedure under way ("Not needed") needs a
// reason for the applicant: beside the status choice, in the officer's language, tied to the select
// for screen readers; not said where no reason is asked (a procedure not started, or one the
// exemption certificate under way replaces). In Chromium, public/js/stop-reason.js marks the
// message field required while "Not needed" is chosen, and unmarks it otherwise.
import { expect } from 'chai';
import type { TestApp } from '../support/app.ts';
import { staffSignsIn, useBrowser } from '../support/browser.ts';
import { createUser } from '../support/factories.ts';
import { createCase } from '../support/case-factories.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { page, signedIn } from '../applications/support.ts';
import { procedureWorld, vn } from './support.ts';

const EN_HINT = 'To stop this procedure (“Not needed”), write the applicant the reason in the message below';
const VI_HINT = 'Để dừng thủ tục này (“Không cần”), Anh/Chị cần ghi lý do cho ứng viên';

describe('procedures: the form says a stop needs a reason before it is saved', function () {
  this.timeout(90_000);
  const browser = useBrowser();
  let t: TestApp;
  let hrEn: UserDoc;
  let hrVi: UserDoc;
  let call: CallDoc;

  before(async () => {
    ({ t, hrEn, hrVi, call } = await procedureWorld(() => new Date()));
  });
  after(async () => {
    await t?.close();
  });

  const filedPermit = async () =>
    createCase({ applicant: await createUser({ role: 'applicant', locale: 'en' }), call, stage: 'onboarding', assignee: hrEn._id, supportTracks: [{ kind: 'work_permit', status: 'filed', filedAt: vn('2027-02-25'), dueAt: vn('2027-03-11'), office: 'Sở Nội vụ Hà Nội', updatedAt: vn('2027-02-25') }] });

  it('says it beside the status of a procedure under way, in English and Vietnamese, described by the select', async () => {
    const c = await filedPermit();
    const url = `/cases/${c._id}/procedures/work_permit`;
    const en = (await page(await signedIn(t, hrEn), url)).text;
    const status = /<div class="field[^"]*">\s*<label for="f-status">[\s\S]*?<\/div>/.exec(en)?.[0] ?? '';
    expect(status, 'in the status field').to.include(EN_HINT);
    expect(status).to.match(/<select id="f-status" name="status"[^>]* aria-describedby="f-status-hint"/);
    expect(status).to.match(/<p class="hint" id="f-status-hint" data-stop-needs-reason>/);
    expect(en).to.include('src="/static/js/stop-reason.js"');
    const vi = (await page(await signedIn(t, hrVi), url)).text;
    expect(vi).to.include(VI_HINT);
    expect(vi).to.not.match(/\bbạn\b/);
  });

  it('says nothing of it where no reason is asked: a procedure not started, or one the certificate under way replaces', async () => {
    const c = await createCase({ applicant: await createUser({ role: 'applicant' }), call, stage: 'onboarding', supportTracks: [{ kind: 'work_permit', status: 'preparing', updatedAt: new Date() }, { kind: 'work_permit_exemption', status: 'requested', updatedAt: new Date() }] });
    const hr = await signedIn(t, hrEn);
    const housing = (await page(hr, `/cases/${c._id}/procedures/housing`)).text;
    expect(housing).to.include('id="f-status"');
    expect(housing).to.not.include(EN_HINT);
    expect(housing).to.not.include('stop-reason.js');
    const permit = (await page(hr, `/cases/${c._id}/procedures/work_permit`)).text;
    expect(permit).to.include('id="f-status"');
    expect(permit).to.not.include(EN_HINT);
  });

  it('Chromium: choosing "Not needed" marks the message required, choosing another status unmarks it', async () => {
    const c = await filedPermit();
    const p = await browser.page({ locale: 'en-GB' });
    const errors: string[] = [];
    p.on('pageerror', (e) => errors.push(String(e)));
    p.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await staffSignsIn(p, t.baseUrl, hrEn);
    await p.goto(`${t.baseUrl}/cases/${c._id}/procedures/work_permit`);
    const message = p.locator('#f-message');
    expect(await message.evaluate((el) => (el as unknown as { required: boolean }).required)).to.equal(false);
    await p.selectOption('#f-status', 'not_needed');
    expect(await message.evaluate((el) => (el as unknown as { required: boolean }).required)).to.equal(true);
    expect(await message.getAttribute('aria-required')).to.equal('true');
    expect(await p.locator('label[for="f-message"] .req').count(), 'the asterisk the field partial shows for required fields').to.equal(1);
    await p.selectOption('#f-status', 'filed');
    expect(await message.evaluate((el) => (el as unknown as { required: boolean }).required)).to.equal(false);
    expect(await message.getAttribute('aria-required')).to.equal(null);
    expect(await p.locator('label[for="f-message"] .req').count()).to.equal(0);
    expect(errors, 'no script error or CSP refusal').to.deep.equal([]);
  });
});
