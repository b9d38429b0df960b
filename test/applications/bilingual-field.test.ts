// A call's research field and the HR office's address and hours in both languages: an
// administrator types both (or one: the other language shows it), each reader sees their own;
// hostile form bodies are refused with a message in the admin's language, what was typed kept and
// nothing stored; one-string values stored before are read fine and turned into {vi, en} once.
import { expect } from 'chai';
import request from 'supertest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Call } from '../../models/call.ts';
import { Counter } from '../../models/counter.ts';
import { Institute, type InstituteDoc } from '../../models/institute.ts';
import { BILINGUAL_BACKFILL, backfillBilingualTexts } from '../../server/calls/bilingual-backfill.ts';
import { signedIn, page, post, text } from './support.ts';

const visit = (t: TestApp, url: string, lang: 'vi' | 'en') => request(t.app).get(url).set('Accept', 'text/html').set('Accept-Language', lang);

describe('calls and HR contacts in both languages', function () {
  this.timeout(60_000);
  let t: TestApp;
  let institute: InstituteDoc;

  before(async () => {
    t = await startTestApp();
    institute = await createInstitute();
  });
  after(async () => {
    await t?.close();
  });

  const callForm = (over: Record<string, string | string[]> = {}) => ({
    institute: String(institute._id), code: '', titleVi: 'Chuyên gia quang học', titleEn: 'Optics expert', descriptionVi: '', descriptionEn: '',
    track: 'expert', fieldVi: 'Đo lường lượng tử', fieldEn: 'Quantum metrology', opensAt: '2026-01-01', closesAt: '2099-12-31', status: 'open',
    checklistRows: '0', scorecardRows: '0', op: 'save', ...over,
  });

  it('an administrator creates a call with the field in both languages: each page shows the reader its own, the filter finds it from either', async () => {
    const a = await signedIn(t, await createUser({ role: 'admin', locale: 'en' }));
    const res = await post(a, (await page(a, '/admin/calls/new')).text, '/admin/calls/new', callForm());
    expect(res.status, res.text.slice(0, 500)).to.equal(303);
    const call = (await Call.findOne({ 'title.en': 'Optics expert' }).lean())!;
    expect(call.field).to.deep.equal({ vi: 'Đo lường lượng tử', en: 'Quantum metrology' });
    for (const [lang, own, other] of [['en', 'Quantum metrology', 'Đo lường lượng tử'], ['vi', 'Đo lường lượng tử', 'Quantum metrology']] as const) {
      const shown = text((await visit(t, `/calls/${call._id}`, lang)).text);
      expect(shown, lang).to.include(`<dd>${own}</dd>`);
      expect(shown, lang).not.to.include(other);
      const list = text((await visit(t, '/calls', lang)).text);
      expect(list).to.include(`<option value="${own}">${own}</option>`);
      expect(list).not.to.include(other);
      // A filter link from a page in the other language still finds the call.
      const filtered = text((await visit(t, `/calls?field=${encodeURIComponent(other)}`, lang)).text);
      expect(filtered).to.include(`/calls/${call._id}`);
    }
    // One language only: the other page shows it.
    const one = await post(a, (await page(a, '/admin/calls/new')).text, '/admin/calls/new', callForm({ titleEn: 'Photonics expert', fieldVi: '', fieldEn: 'Photonics' }));
    expect(one.status).to.equal(303);
    const photonics = (await Call.findOne({ 'title.en': 'Photonics expert' }).lean())!;
    expect(photonics.field).to.deep.equal({ en: 'Photonics' });
    expect(text((await visit(t, `/calls/${photonics._id}`, 'vi')).text)).to.include('<dd>Photonics</dd>');
  });

  for (const [lang, words] of [
    ['en', { none: 'Enter the field of research in Vietnamese, in English or in both.', twice: 'This box was sent more than once', odd: 'The form carried a field it does not have (“field[__proto__]”)', tooLong: 'at most 200 characters' }],
    ['vi', { none: 'Hãy nhập lĩnh vực nghiên cứu bằng tiếng Việt, tiếng Anh hoặc cả hai.', twice: 'Ô này được gửi nhiều hơn một lần', odd: 'Biểu mẫu có một trường không thuộc về nó (“field[__proto__]”)', tooLong: 'tối đa 200' }],
  ] as const) {
    it(`refuses a call form without a field, with a field sent twice, with a foreign name or an over-long text, what was typed kept, nothing stored (${lang})`, async () => {
      const a = await signedIn(t, await createUser({ role: 'admin', locale: lang }));
      const form = (await page(a, '/admin/calls/new')).text;
      const before = await Call.countDocuments();
      const none = await post(a, form, '/admin/calls/new', callForm({ titleEn: 'No field', fieldVi: '', fieldEn: '' }));
      expect(none.status).to.equal(422);
      expect(text(none.text)).to.include(words.none);
      expect(none.text).to.include('value="No field"');
      const twice = await post(a, form, '/admin/calls/new', callForm({ fieldEn: ['Optics', 'Physics'] }));
      expect(twice.status).to.equal(422);
      expect(text(twice.text)).to.include(words.twice);
      expect(twice.text).to.include('value="Optics"');
      // An operator in a name is refused before any route reads the body (server/http/input-guard.ts).
      expect((await post(a, form, '/admin/calls/new', callForm({ 'fieldVi[$gt]': 'x' }))).status).to.equal(400);
      const odd = await post(a, form, '/admin/calls/new', callForm({ 'field[__proto__]': 'x', fieldEn: 'Kept optics' }));
      expect(odd.status).to.equal(422);
      expect(text(odd.text)).to.include(words.odd);
      expect(odd.text).to.include('value="Kept optics"');
      const long = await post(a, form, '/admin/calls/new', callForm({ fieldVi: 'x'.repeat(201) }));
      expect(long.status).to.equal(422);
      expect(text(long.text)).to.include(words.tooLong);
      expect(await Call.countDocuments()).to.equal(before);
    });
  }

  it('refuses the institute form with an address sent twice or a foreign name, nothing stored', async () => {
    const a = await signedIn(t, await createUser({ role: 'admin', locale: 'en' }));
    const url = `/admin/institutes/${institute._id}`;
    const base = { code: institute.code, nameVi: institute.name!.vi, nameEn: institute.name!.en };
    const twice = await post(a, (await page(a, url)).text, url, { ...base, hrAddressEn: ['1 Main St', '2 Main St'] });
    expect(twice.status).to.equal(422);
    expect(text(twice.text)).to.include('This box was sent more than once');
    expect(twice.text).to.include('1 Main St</textarea>');
    const odd = await post(a, (await page(a, url)).text, url, { ...base, 'hrHoursVi[__proto__]': 'x', hrHoursEn: 'Mon–Fri' });
    expect(odd.status).to.equal(422);
    expect(text(odd.text)).to.include('The form carried a field it does not have (“hrHoursVi[__proto__]”)');
    expect(odd.text).to.include('value="Mon–Fri"');
    expect((await Institute.findById(institute._id).lean())!.hrContact ?? {}).to.deep.equal({});
  });

  it('reads one-string values stored before (pages fine), then the backfill turns them into {vi, en} once', async () => {
    await Counter.deleteOne({ _id: BILINGUAL_BACKFILL });
    const old = await createInstitute();
    await Institute.collection.updateOne({ _id: old._id }, { $set: { hrContact: { email: 'hr@old.example.vn', address: 'Phòng 301, 18 Hoàng Quốc Việt', hours: 'Thứ Hai–Thứ Sáu' } } });
    const call = await createCall({ institute: old, checklist: [] });
    await Call.collection.updateOne({ _id: call._id }, { $set: { field: 'Vật liệu nano' } });
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await createCase({ applicant, call, stage: 'screening' });
    const check = async () => {
      for (const lang of ['vi', 'en'] as const) {
        const shown = await visit(t, `/calls/${call._id}`, lang);
        expect(shown.status).to.equal(200);
        expect(text(shown.text)).to.include('<dd>Vật liệu nano</dd>');
        expect(text((await visit(t, '/calls', lang)).text)).to.include('<option value="Vật liệu nano">');
      }
      const mine = await page(await signedIn(t, applicant), `/applications/${c._id}`);
      expect(mine.status).to.equal(200);
      expect(text(mine.text)).to.include('Phòng 301, 18 Hoàng Quốc Việt');
      expect(text(mine.text)).to.include('Thứ Hai–Thứ Sáu');
      const admin = await signedIn(t, await createUser({ role: 'admin', locale: 'en' }));
      const edit = await page(admin, `/admin/calls/${call._id}`);
      expect(edit.status).to.equal(200);
      expect(edit.text, edit.text.slice(edit.text.indexOf('f-fieldEn'), edit.text.indexOf('f-fieldEn') + 300)).to.match(/name="fieldEn" type="text" value="Vật liệu nano"/);
      expect((await page(admin, `/admin/institutes/${old._id}`)).text).to.include('Phòng 301, 18 Hoàng Quốc Việt</textarea>');
    };
    await check();
    expect(await backfillBilingualTexts()).to.be.at.least(2);
    expect((await Call.findById(call._id).lean())!.field).to.deep.equal({ vi: 'Vật liệu nano', en: 'Vật liệu nano' });
    expect((await Institute.findById(old._id).lean())!.hrContact).to.deep.include({ email: 'hr@old.example.vn', address: { vi: 'Phòng 301, 18 Hoàng Quốc Việt', en: 'Phòng 301, 18 Hoàng Quốc Việt' }, hours: { vi: 'Thứ Hai–Thứ Sáu', en: 'Thứ Hai–Thứ Sáu' } });
    await check();
    // Once per database: a string written after the mark is left (the readers still take it).
    await Call.collection.updateOne({ _id: call._id }, { $set: { field: 'Again' } });
    expect(await backfillBilingualTexts()).to.equal(0);
    expect((await Call.collection.findOne({ _id: call._id }))!.field).to.equal('Again');
    // Killed before the mark: a second run writes only what is still a string.
    await Counter.deleteOne({ _id: BILINGUAL_BACKFILL });
    expect(await backfillBilingualTexts()).to.equal(1);
    expect(await backfillBilingualTexts()).to.equal(0);
  });
});
