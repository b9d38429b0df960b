// Walk s35 #3 and #5: her residence card's file was with the police when HR held and resumed her case.
// The hold e-mail named it mid-sentence as a heading ("Hồ sơ Thẻ tạm trú"): in a sentence a procedure
// reads in lower case in Vietnamese, and as written in English ("the temporary residence card"). The
// resumed e-mail gave the stage's date but not that the card was overdue with the authority: it says
// so now, with the working days, as her page does. Real database, pages, dispatcher and SMTP.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { loadCalendar, seedHolidays, vnEndOfDay, vnStartOfDay } from '../../server/calendar/index.ts';
import { translator } from '../../server/i18n/index.ts';
import { deadlineLeft } from '../../server/procedures/service.ts';
import { deliver, page, post, postConfirmed, signedIn, text, versionIn } from '../applications/support.ts';

/** 10:00 in Vietnam on that day. */
const vn = (day: string) => new Date(`${day}T03:00:00.000Z`);

describe('cases: hold and resume e-mails name a procedure in a sentence, and say one overdue with the authority', function () {
  this.timeout(60_000);
  let t: TestApp;
  let clock = vn('2027-03-08');
  let call: CallDoc;
  let hr: UserDoc;

  before(async () => {
    t = await startTestApp({ now: () => clock });
    await seedHolidays();
    const institute = await createInstitute();
    hr = await createUser({ role: 'hr_officer', institute, name: 'Cán bộ Hà', locale: 'vi' });
    call = await createCall({ institute, checklist: [] });
  });
  after(async () => {
    await t?.close();
  });

  const cardDue = vnEndOfDay(vnStartOfDay('2027-03-10'));
  const words = {
    vi: { held: 'Hồ sơ thẻ tạm trú đã nộp cho cơ quan có thẩm quyền không dừng theo', capital: 'Hồ sơ Thẻ tạm trú', late: 'Thẻ tạm trú: cơ quan có thẩm quyền chưa có quyết định trong thời hạn luật định (hạn 10/3/2027', hold: /tạm dừng/, resume: /được tiếp tục/ },
    en: { held: 'What was already lodged with an authority (the temporary residence card) does not stop', capital: '(Temporary residence card)', late: 'Temporary residence card: the authority has not decided within the time the law gives it (due 10 Mar 2027', hold: /on hold/i, resume: /continues/i },
  };

  for (const locale of ['vi', 'en'] as const) {
    it(`${locale}: held with the card filed, resumed with it overdue: the name in the sentence, the overdue working days`, async () => {
      clock = vn('2027-03-08');
      const applicant = await createUser({ role: 'applicant', locale });
      const c = await createCase({
        applicant,
        call,
        stage: 'onboarding',
        assignee: hr._id,
        stageDueAt: vnEndOfDay(vnStartOfDay('2027-04-30')),
        supportTracks: [{ kind: 'residence_card', status: 'filed', filedAt: vn('2027-03-03'), dueAt: cardDue, office: 'Phòng Quản lý xuất nhập cảnh Công an Hà Nội', updatedAt: vn('2027-03-03') }],
      });
      const w = words[locale];
      const h = await signedIn(t, hr);
      let p = await page(h, `/cases/${c._id}`);
      const { confirmed } = await postConfirmed(h, p.text, c._id, 'put_on_hold', { version: versionIn(p.text, `/cases/${c._id}/actions/put_on_hold`), reason: 'Chờ hộ chiếu mới.', reviewBy: '2027-03-26' });
      expect(confirmed.status).to.equal(303);
      await deliver(t, c._id);
      const held = await t.smtp.waitForTo(applicant.email, w.hold);
      for (const body of [held.text, text(held.html)]) expect(body).to.include(w.held).and.not.include(w.capital);

      // Resumed a week later: the card's date has passed, with no decision recorded.
      clock = vn('2027-03-15');
      const h2 = await signedIn(t, hr);
      p = await page(h2, `/cases/${c._id}`);
      const url = `/cases/${c._id}/actions/resume`;
      const res = await post(h2, p.text, url, { version: versionIn(p.text, url), reason: 'Đã có hộ chiếu mới.' });
      expect(res.status).to.be.oneOf([200, 303]);
      if (res.status === 200) expect((await postConfirmed(h2, p.text, c._id, 'resume', { version: versionIn(p.text, url), reason: 'Đã có hộ chiếu mới.' })).confirmed.status).to.equal(303);
      await deliver(t, c._id);
      const resumed = await t.smtp.waitForTo(applicant.email, w.resume);
      const left = deadlineLeft(translator(locale), await loadCalendar(), clock, cardDue);
      expect(left.overdue).to.equal(true);
      for (const body of [resumed.text, text(resumed.html)]) expect(body).to.include(w.late).and.include(left.text);
      // Her page says the same figure.
      expect(text((await page(await signedIn(t, applicant), `/applications/${c._id}`)).text)).to.include(left.text);
      if (locale === 'vi') expect(`${held.text}\n${resumed.text}`).to.not.match(/(^|[^\p{L}])bạn([^\p{L}]|$)/iu);
    });
  }
});
