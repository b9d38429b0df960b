// Housing is the institute's own service, lodged with no authority (server/procedures/rules.ts
// housing, internal): its forms never offer "Filed", and its refusal reads as the institute's
// ("Not arranged by the institute"), not an authority's (walk s34 #4). A "filed" status sent anyway
// is refused beside the field; a housing stored as filed before still shows, its status kept. en + vi.
import { expect } from 'chai';
import type { TestApp } from '../support/app.ts';
import { createUser } from '../support/factories.ts';
import { createCase } from '../support/case-factories.ts';
import { Case } from '../../models/case.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { signedIn, page, text } from '../applications/support.ts';
import { procedureWorld, save, snapshot, vn } from './support.ts';
import { procedureWords, type TrackState } from '../../server/procedures/service.ts';
import { WorkingCalendar } from '../../server/calendar/index.ts';
import { VN_HOLIDAYS } from '../../server/calendar/holidays-vn.ts';

const options = (html: string) => [...(/<select id="f-status"[^>]*>([\s\S]*?)<\/select>/.exec(html)?.[1] ?? '').matchAll(/<option value="([^"]+)"[^>]*>([^<]*)</g)].map((m) => [m[1], text(m[2]!)]);

describe('procedures: housing offers only the statuses of an institute service', () => {
  let t: TestApp;
  const clock = vn('2027-02-12');
  let hrEn: UserDoc;
  let hrVi: UserDoc;
  let call: CallDoc;

  before(async () => {
    ({ t, hrEn, hrVi, call } = await procedureWorld(() => clock));
  });
  after(async () => {
    await t?.close();
  });

  it('English: no "Filed"; the refusal reads as the institute\'s; "filed" sent anyway is refused, nothing written', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en', name: 'Anna Schmidt' });
    const c = await createCase({ applicant, call, stage: 'onboarding', assignee: hrEn._id, supportTracks: [{ kind: 'housing', status: 'requested', updatedAt: vn('2027-02-01') }] });
    const a = await signedIn(t, hrEn);
    const url = `/cases/${c._id}/procedures/housing`;
    const opts = options((await page(a, url)).text);
    expect(opts.map((o) => o[0])).to.deep.equal(['not_needed', 'requested', 'preparing', 'approved', 'refused']);
    expect(opts.find((o) => o[0] === 'refused')![1]).to.equal('Not arranged by the institute');
    const before = await snapshot(c);
    const sent = await save(a, url, { status: 'filed', filedAt: '2027-02-10' });
    expect(sent.status).to.equal(422);
    expect(text(sent.text)).to.include('Housing is arranged by the institute itself: nothing is filed with an authority.');
    expect(await snapshot(c)).to.deep.equal(before);
  });

  // Walk s35 #4: the target's hint said "Before filing" of a service nothing is filed for.
  for (const [locale, hint, filing] of [['en', 'Until it is arranged: change this date to move the institute\'s target.', 'Before filing'], ['vi', 'Cho đến khi sắp xếp xong: đổi ngày này để dời mốc dự kiến của viện.', 'Trước khi nộp']] as const) {
    it(`${locale}: the target date's hint speaks of arranging housing, not of filing; the work permit's still of filing`, async () => {
      const applicant = await createUser({ role: 'applicant', locale });
      const hr = locale === 'en' ? hrEn : hrVi;
      const c = await createCase({ applicant, call, stage: 'onboarding', assignee: hr._id, supportTracks: [{ kind: 'housing', status: 'requested', updatedAt: vn('2027-02-01') }, { kind: 'work_permit', status: 'requested', updatedAt: vn('2027-02-01') }] });
      const a = await signedIn(t, hr);
      const housing = text((await page(a, `/cases/${c._id}/procedures/housing`)).text);
      expect(housing).to.include(hint).and.not.include(filing);
      expect(text((await page(a, `/cases/${c._id}/procedures/work_permit`)).text)).to.include(filing);
    });
  }

  it('Vietnamese: a housing stored as filed still shows and keeps its status in the list', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'vi', name: 'Trần Thị Bình' });
    const c = await createCase({ applicant, call, stage: 'onboarding', assignee: hrVi._id, supportTracks: [{ kind: 'housing', status: 'filed', filedAt: vn('2027-02-01'), updatedAt: vn('2027-02-01') }] });
    const a = await signedIn(t, hrVi);
    const html = (await page(a, `/cases/${c._id}/procedures/housing`)).text;
    const opts = options(html);
    expect(opts.map((o) => o[0])).to.include('filed');
    expect(html).to.match(/<option value="filed" selected>/);
    expect(html, 'a filing date stored still shows').to.include('id="f-filedAt"');
    expect(opts.find((o) => o[0] === 'refused')![1]).to.equal('Viện không bố trí được');
    expect((await Case.findById(c._id).lean())!.supportTracks[0]!.status).to.equal('filed');
  });

  // Walk s35: housing arranged read "Granted" ("Đã được cấp") on her page, in the e-mail and on the timeline, as if an authority had issued it.
  it('arranged housing reads as the institute\'s in the form, the e-mail\'s status line, her page and the staff timeline, en + vi; a permit still reads "Approved"', async () => {
    const clock2 = { calendar: WorkingCalendar.of(VN_HOLIDAYS), now: vn('2027-02-12') };
    const housing = { kind: 'housing', status: 'approved' } as unknown as TrackState;
    expect(procedureWords('vi', 'housing', housing, { from: 'preparing', to: 'approved' }, clock2).statusLabel).to.equal('Viện đã sắp xếp xong');
    expect(procedureWords('en', 'housing', housing, { from: 'preparing', to: 'approved' }, clock2).statusLabel).to.equal('Arranged by the institute');
    expect(procedureWords('vi', 'housing', { kind: 'housing', status: 'refused' } as unknown as TrackState, { from: 'preparing', to: 'refused' }, clock2).statusLabel).to.equal('Viện không bố trí được');
    expect(procedureWords('en', 'work_permit', { kind: 'work_permit', status: 'approved' } as unknown as TrackState, { from: 'filed', to: 'approved' }, clock2).statusLabel).to.equal('Approved');

    const applicant = await createUser({ role: 'applicant', locale: 'vi', name: 'Lê Thị Cúc' });
    const c = await createCase({ applicant, call, stage: 'onboarding', assignee: hrVi._id, supportTracks: [{ kind: 'housing', status: 'preparing', updatedAt: vn('2027-02-01') }] });
    const a = await signedIn(t, hrVi);
    const url = `/cases/${c._id}/procedures/housing`;
    const form = (await page(a, url)).text;
    expect(options(form).find((o) => o[0] === 'approved')![1]).to.equal('Viện đã sắp xếp xong');
    // Nothing is lodged with an authority: no filing date to type, and the office is the one in charge.
    expect(form).to.not.include('id="f-filedAt"');
    expect(form).to.match(/<label for="f-office">Đơn vị phụ trách<\/label>/);
    expect((await save(a, url, { status: 'approved', message: 'Phòng ở nhà khách của viện đã sẵn sàng.' })).status).to.be.below(400);
    const staff = text((await page(a, `/cases/${c._id}`)).text);
    expect(staff).to.include('Nhà ở: Đang chuẩn bị hồ sơ → Viện đã sắp xếp xong').and.not.include('Đã được cấp');
    const mine = text((await page(await signedIn(t, applicant), `/applications/${c._id}`)).text);
    expect(mine).to.match(/Nhà ở<\/strong> · <span class="badge ok">Viện đã sắp xếp xong<\/span>/);
    expect(mine).to.not.include('Đã được cấp');
  });
});
