// Walk33 #3: the citizenship procedure named only naturalisation (Law on Vietnamese Nationality
// Art. 19–21), wrong for an overseas Vietnamese who held the nationality and lost it: restoration
// (Art. 23, as amended by Law 79/2025/QH15) is their basis. The HR officer's procedure page and the
// applicant's page now give both, and which applies when, in each language; the applicant form's hint too.
import { expect } from 'chai';
import type { TestApp } from '../support/app.ts';
import { createUser } from '../support/factories.ts';
import { createCase } from '../support/case-factories.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { signedIn, page, text } from '../applications/support.ts';
import { translator } from '../../server/i18n/index.ts';
import { procedureWorld, vn } from './support.ts';

describe('procedures: the citizenship procedure names restoration for one who lost the nationality', () => {
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
    en: { basis: 'restoration for one who lost Vietnamese nationality, Art. 23–25; naturalisation for one who never held it, Art. 19–21', restore: 'applies to restore it: no residence or language condition', amended: 'Art. 23, as amended by Law 79/2025/QH15', never: 'One who never lost it needs no such procedure' },
    vi: { basis: 'trở lại quốc tịch cho người đã mất quốc tịch Việt Nam, Điều 23–25; nhập quốc tịch cho người chưa từng có, Điều 19–21', restore: 'xin trở lại quốc tịch: không cần điều kiện thường trú hay biết tiếng Việt', amended: 'Điều 23, sửa đổi bởi Luật 79/2025/QH15', never: 'Người chưa mất quốc tịch Việt Nam không cần thủ tục này' },
  };

  for (const locale of ['en', 'vi'] as const) {
    it(`${locale}: the HR procedure page and the applicant's page give restoration (Art. 23) beside naturalisation`, async () => {
      const applicant = await createUser({ role: 'applicant', locale, name: 'Nguyễn Văn Hải' });
      const hr = locale === 'en' ? hrEn : hrVi;
      const c = await createCase({ applicant, call, stage: 'onboarding', assignee: hr._id, profile: { fullName: 'Nguyễn Văn Hải', nationality: 'DE' }, supportTracks: [{ kind: 'citizenship', status: 'requested', updatedAt: clock }] });
      const w = words[locale];
      const hrPage = await page(await signedIn(t, hr), `/cases/${c._id}/procedures/citizenship`);
      expect(hrPage.status).to.equal(200);
      const hrText = text(hrPage.text);
      for (const s of [w.basis, w.restore, w.amended, w.never]) expect(hrText, s).to.include(s);
      const mine = await page(await signedIn(t, applicant), `/applications/${c._id}`);
      expect(mine.status).to.equal(200);
      const mineText = text(mine.text);
      expect(mineText).to.include(w.basis);
      expect(mineText).to.include(w.restore);
      expect(`${hrText}\n${mineText}`).to.not.include('Naturalisation, possibly keeping');
    });
  }

  it('the applicant form hint names restoration first, formally in Vietnamese', () => {
    expect(translator('en')('applications.support.citizenshipHint')).to.match(/^Restoring Vietnamese nationality if you lost it, or naturalisation/);
    const vi = translator('vi')('applications.support.citizenshipHint');
    expect(vi).to.match(/^Trở lại quốc tịch Việt Nam nếu Ông\/Bà đã mất quốc tịch/);
    expect(vi).to.not.match(/\bbạn\b/);
  });

  it('the applicant form hint says keeping the other nationality also needs the President\'s permission (Law 79/2025/QH15), in both languages', () => {
    expect(translator('en')('applications.support.citizenshipHint')).to.match(/keep your current nationality where its law allows it and the President permits/);
    expect(translator('vi')('applications.support.citizenshipHint')).to.match(/nếu pháp luật nước đó cho phép và được Chủ tịch nước cho phép/);
  });
});
