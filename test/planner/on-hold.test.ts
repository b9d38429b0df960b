// A case on hold in onboarding (walk family-s32): the applicant's certificate checklist said "Now"
// with working days counting down, though the case was held "waiting for the budget". Now the rows
// are conditional on the case resuming, with a line not to spend on papers meanwhile (vi, en); HR's
// table keeps each window's own status. Real database and pages.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { seedHolidays, vnEndOfDay, vnStartOfDay } from '../../server/calendar/index.ts';
import { signedIn, page, text } from '../applications/support.ts';

const at = (key: string) => new Date(vnStartOfDay(key).getTime() + 10 * 3_600_000);

describe('planner: the applicant\'s checklist while the case is on hold', () => {
  let t: TestApp;
  const clock = at('2026-10-05');
  let hr: UserDoc;
  let call: CallDoc;

  before(async () => {
    t = await startTestApp({ now: () => clock });
    await seedHolidays();
    const institute = await createInstitute();
    hr = await createUser({ role: 'hr_officer', institute, name: 'Planner Officer', locale: 'en' });
    call = await createCall({ institute, checklist: [] });
  });
  after(async () => {
    await t?.close();
  });

  const checklistOf = (html: string) => html.slice(html.indexOf('id="certificate-checklist"'), html.indexOf('</ul>', html.indexOf('id="certificate-checklist"')));
  // Held in onboarding; the work permit lodged on its target, Mon 17 May 2027: the health
  // certificate's window is open from today (5 Oct 2026) to Mon 10 May 2027.
  const held = (applicant: UserDoc, stage: 'on_hold' | 'onboarding') =>
    createCase({
      applicant,
      call,
      stage,
      ...(stage === 'on_hold' ? { resumeStage: 'onboarding' } : {}),
      assignee: hr._id,
      stageEnteredAt: at('2026-09-20'),
      profile: { fullName: applicant.name, plannedArrival: at('2027-06-01'), nationality: 'DE' },
      supportTracks: [{ kind: 'work_permit', status: 'preparing', updatedAt: at('2026-10-01'), dueAt: vnEndOfDay(vnStartOfDay('2027-05-17')) }],
    });

  it('Vietnamese: "Khi được tiếp tục", never "Bây giờ", no days counting down, and the line not to obtain papers meanwhile; the same case in onboarding says "Bây giờ"', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'vi', name: 'Lê Văn Cường' });
    const c = await held(applicant, 'on_hold');
    const html = text((await page(await signedIn(t, applicant), `/applications/${c._id}`)).text);
    expect(html).to.include('<p data-planner-on-hold><strong>Hồ sơ của Ông/Bà đang tạm dừng: các mốc này chỉ áp dụng khi hồ sơ được tiếp tục');
    const rows = checklistOf(html);
    expect(rows).to.match(/<li data-window="health_certificate"><span class="badge ">Khi được tiếp tục<\/span> Xin Giấy chứng nhận sức khỏe trong khoảng từ 5\/10\/2026 đến 10\/5\/2027 </);
    expect(rows).not.to.match(/>(Bây giờ|Trễ)<|ngày làm việc|\bbạn\b/);

    const open = await held(applicant, 'onboarding');
    const rowsOpen = checklistOf(text((await page(await signedIn(t, applicant), `/applications/${open._id}`)).text));
    expect(rowsOpen).to.match(/>Bây giờ<\/span> Xin Giấy chứng nhận sức khỏe trong khoảng từ 5\/10\/2026 đến 10\/5\/2027 \(còn \d+ ngày làm việc\)/);
  });

  it('English: "Once resumed"; HR\'s table keeps "Now"', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en', name: 'Mia Holm' });
    const c = await held(applicant, 'on_hold');
    const html = text((await page(await signedIn(t, applicant), `/applications/${c._id}`)).text);
    expect(html).to.include('Do not obtain any of these papers while it is on hold');
    expect(checklistOf(html)).to.match(/<span class="badge ">Once resumed<\/span> Get your health certificate between 5 Oct 2026 and 10 May 2027 </);
    const hrPage = text((await page(await signedIn(t, hr), `/cases/${c._id}`)).text);
    expect(hrPage.slice(hrPage.indexOf('id="certificate-windows"'))).to.include('>Now<');
  });
});
