// In a real browser (Debian's Chromium), an administrator on a Vietnamese page with an English
// browser: a decision sent with its reason empty shows the server's Vietnamese message beside the
// field (novalidate: no English bubble from the browser), as does a role change and a template with
// an empty subject; at 375 px the user list and the audit log are cards that fit the screen.
import path from 'node:path';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../support/app.ts';
import { clickAndWait, screenshotsDir, staffSignsIn, useBrowser } from '../support/browser.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { User } from '../../models/user.ts';
import { AuditEvent } from '../../models/audit-event.ts';

describe('administration in the browser: the page\'s language for form errors, and 375 px', function () {
  this.timeout(90_000);
  const browser = useBrowser();
  let t: TestApp;

  before(async () => {
    t = await startTestApp();
  });
  after(async () => {
    await t?.close();
  });

  const widthOf = (page: Page) => page.evaluate('document.documentElement.scrollWidth') as Promise<number>;

  it('shows the server\'s Vietnamese message, the form kept, when a decision is sent with its reason empty', async () => {
    const institute = await createInstitute();
    const admin = await createUser({ role: 'admin', locale: 'vi', name: 'Quản trị Bình' });
    const hr = await createUser({ role: 'hr_officer', institute: institute._id, locale: 'vi', name: 'Võ Thị Lan' });
    // An English browser on a Vietnamese page: the browser's own bubble would be in English.
    const page = await browser.page({ locale: 'en-GB' });
    await staffSignsIn(page, t.baseUrl, admin);
    await page.goto(`${t.baseUrl}/admin/users/${hr._id}/disable`);
    expect(await page.getAttribute('#decision-form', 'novalidate')).to.not.equal(null);
    await clickAndWait(page, '#decision-form button[type=submit]');
    expect(await page.textContent('#f-reason-error')).to.include('Hãy ghi lý do của quyết định này.');
    expect((await User.findById(hr._id).lean())!.disabledAt, 'nothing stored').to.equal(undefined);

    await page.goto(`${t.baseUrl}/admin/users/${hr._id}/role`);
    expect(await page.locator('main form[method=post]').first().getAttribute('novalidate')).to.not.equal(null);
    await clickAndWait(page, 'main form[method=post] button[type=submit]');
    expect(await page.locator('.field-error').count()).to.be.greaterThan(0);
    expect(await page.textContent('.field-error')).to.match(/[ạảãáàâăđêôơư]/);

    await page.goto(`${t.baseUrl}/admin/email-templates/screening_started/vi`);
    expect(await page.getAttribute('#template-form', 'novalidate')).to.not.equal(null);
    await page.fill('#template-form [name=subject]', '');
    await clickAndWait(page, '#template-form button[type=submit]');
    expect(new URL(page.url()).pathname).to.equal('/admin/email-templates/screening_started/vi');
    expect(await page.locator('#form-errors, .field-error, .template-problems').count(), 'the server answered with its message').to.be.greaterThan(0);
  });

  it('fits the user list and the audit log into 375 px, rows as cards', async () => {
    const admin = await createUser({ role: 'admin', locale: 'vi', name: 'Quản trị Cường' });
    for (let i = 0; i < 3; i++) {
      const u = await createUser({ role: 'hr_officer', locale: 'vi', name: `Nhân viên có tên khá dài số ${i}` });
      await AuditEvent.create({ actor: admin._id, actorRole: 'admin', action: 'user.disabled', targetType: 'user', targetId: String(u._id), summary: { reason: 'Hợp đồng đã kết thúc vào cuối tháng 11, theo ghi chú của phòng nhân sự số 12/2026.' } });
    }
    const page = await browser.page({ locale: 'vi-VN', viewport: { width: 375, height: 812 } });
    await staffSignsIn(page, t.baseUrl, admin);
    await page.goto(`${t.baseUrl}/admin`);
    for (const href of ['/admin/email-templates', '/mail-log', '/admin/audit']) expect(await page.locator(`main a[href="${href}"]`).count(), href).to.equal(1);

    await page.goto(`${t.baseUrl}/admin/users`);
    expect(await widthOf(page), 'no sideways scrolling').to.be.at.most(375);
    const row = page.locator('table.admin-users tbody tr').first();
    const box = (await row.boundingBox())!;
    expect(box.x + box.width, 'the row fits the screen').to.be.at.most(375);
    const status = (await row.locator('td[data-label]').nth(3).boundingBox())!;
    expect(status.x + status.width, 'the status is on screen').to.be.at.most(375);
    await page.screenshot({ path: path.join(screenshotsDir, 'admin-users-375.png'), fullPage: true });

    await page.goto(`${t.baseUrl}/admin/audit`);
    expect(await page.textContent('h1')).to.equal('Nhật ký kiểm toán');
    expect(await page.locator('table.audit-log tbody tr').count()).to.be.greaterThan(0);
    expect(await widthOf(page), 'no sideways scrolling').to.be.at.most(375);
    await page.screenshot({ path: path.join(screenshotsDir, 'admin-audit-375.png'), fullPage: true });
  });
});
