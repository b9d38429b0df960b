// trust-fix #4: an institute with no HR lead (and too many officers to write to each, no HR
// address) has the applicant's news sent to the administrators (server/institutes/hr-staff.ts).
// HR officers read, in the mail log (list, filter, one e-mail) and on the case page's e-mails, that
// it went to "the administrators", never their addresses; administrators still read the addresses.
// Over HTTP, real database, real SMTP.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { startTestSmtp, type TestSmtp } from '../support/smtp.ts';
import { createInstitute, createUser, withOnlyAdmins } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { MailLog } from '../../models/mail-log.ts';
import { FEW_OFFICERS } from '../../server/institutes/hr-staff.ts';
import { signedIn, page, post, deliver, text } from '../applications/support.ts';

describe('mail log: the HR office fallback to the administrators names the role to HR officers, not the addresses', function () {
  this.timeout(60_000);
  let smtp: TestSmtp;
  let t: TestApp;

  before(async () => {
    smtp = await startTestSmtp();
    t = await startTestApp({ smtp });
  });
  after(async () => {
    await t?.close();
    await smtp?.stop();
  });

  it('lists, shows and searches those e-mails to officers as sent to the administrators; administrators read the addresses', async () => {
    const institute = await createInstitute();
    const officers = [];
    for (let i = 0; i <= FEW_OFFICERS; i++) officers.push(await createUser({ role: 'hr_officer', institute, locale: 'en', name: `Officer ${i}` }));
    const officer = officers[0]!;
    const viOfficer = await createUser({ role: 'hr_officer', institute, locale: 'vi', name: 'Cán bộ Hà' });
    const admin = await createUser({ role: 'admin', locale: 'en', name: 'Admin Lan' });
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const call = await createCall({ institute, checklist: [] });
    const c = await createCase({ applicant, call, stage: 'screening' });

    // The applicant writes; no lead, too many officers, no HR address: the administrators are told.
    await withOnlyAdmins([admin], async () => {
      const a = await signedIn(t, applicant);
      const mine = await page(a, `/applications/${c._id}`);
      const url = `/applications/${c._id}/messages`;
      const formKey = new RegExp(`action="${url}"[^>]*>[\\s\\S]*?name="formKey" value="([a-f0-9]{32})"`).exec(mine.text)![1]!;
      expect((await post(a, mine.text, url, { text: 'Who reads this?', formKey })).status).to.equal(303);
      await deliver(t, c._id);
    });
    await smtp.waitForTo(admin.email, new RegExp(c.reference));
    const row = await MailLog.findOne({ case: c._id, to: admin.email }).lean();
    const rowId = String(row?._id);
    // A row written before the log kept who it was for (or by another path): an administrator's address all the same.
    const legacy = await MailLog.create({ source: 'case', case: c._id, reference: c.reference, institute: institute._id, key: `legacy-${c._id}`, template: 'applicant_message', to: admin.email, locale: 'en', status: 'dead', at: new Date(), lastError: '550 mailbox unavailable' });

    const h = await signedIn(t, officer);
    const list = await page(h, `/mail-log?reference=${c.reference}`);
    expect(list.status).to.equal(200);
    expect(text(list.text), 'the list names the role').to.include('The administrators (the institute has no HR lead)');
    expect(list.text.toLowerCase(), 'the list').not.to.include(admin.email);
    for (const id of [rowId, String(legacy._id)]) {
      const one = await page(h, `/mail-log/${id}`);
      expect(one.status).to.equal(200);
      expect(one.text.toLowerCase(), `entry ${id}`).not.to.include(admin.email);
      expect(text(one.text)).to.include('The administrators (the institute has no HR lead)');
    }
    // The message as sent (its sandboxed preview) names no address either.
    const preview = await page(h, `/mail-log/${rowId}/preview`);
    expect(preview.status).to.equal(200);
    expect(preview.text).to.include('Who reads this?');
    expect(preview.text.toLowerCase()).not.to.include(admin.email);
    // Searching for the address finds nothing (it would confirm it); a part of it neither.
    for (const q of [admin.email, admin.email.slice(0, 6)]) {
      const found = await page(h, `/mail-log?to=${encodeURIComponent(q)}`);
      expect(found.status).to.equal(200);
      expect(found.text, q).not.to.include(c.reference);
    }
    // The case page's e-mails.
    const casePage = await page(h, `/cases/${c._id}`);
    expect(casePage.text.toLowerCase(), 'case page').not.to.include(admin.email);
    expect(text(casePage.text)).to.include('The administrators (the institute has no HR lead)');
    // In Vietnamese too.
    const vi = await page(await signedIn(t, viOfficer), `/mail-log?reference=${c.reference}`);
    expect(text(vi.text)).to.include('Quản trị viên hệ thống (viện chưa có trưởng bộ phận nhân sự)');
    expect(vi.text.toLowerCase()).not.to.include(admin.email);

    // The row says who it was for, whatever the address later becomes.
    expect({ status: row?.status, toAdmins: row?.toAdmins }, 'the mail log row of the e-mail to the administrator').to.deep.equal({ status: 'sent', toAdmins: true });

    // Administrators read the addresses, everywhere.
    const ad = await signedIn(t, admin);
    expect((await page(ad, `/mail-log?reference=${c.reference}`)).text.toLowerCase()).to.include(admin.email);
    expect((await page(ad, `/mail-log?to=${encodeURIComponent(admin.email)}`)).text).to.include(c.reference);
    expect((await page(ad, `/mail-log/${rowId}`)).text.toLowerCase()).to.include(admin.email);
    expect((await page(ad, `/cases/${c._id}`)).text.toLowerCase()).to.include(admin.email);
  });
});
