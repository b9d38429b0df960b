// Opening a call: codes follow the institute code's rule and are unique (a race, and a database
// that already holds duplicates, included); the per-document size rule is said on its own input;
// weights show their shares; a panel too small for the scorecards asked is warned about (the form
// and the list); the institute's leaders are not added to a panel twice; the fields other calls use
// are offered. Each message in the admin's language (vi and en), what was typed kept.
import { expect } from 'chai';
import mongoose from 'mongoose';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser, uniqueSuffix } from '../support/factories.ts';
import { createCall } from '../support/case-factories.ts';
import { Call } from '../../models/call.ts';
import { User } from '../../models/user.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import type { InstituteDoc } from '../../models/institute.ts';
import { saveCall } from '../../server/admin/calls.ts';
import { valuesFromBody } from '../../server/admin/call-form.ts';
import { syncIndexes } from '../../server/db/index.ts';
import { systemContext } from '../../server/context.ts';
import { page, post, signedIn, text } from '../applications/support.ts';
import type { Agent } from '../support/http.ts';

describe('opening a call: codes, size rule, weights, panel size, field suggestions', function () {
  this.timeout(60_000);
  let t: TestApp;
  let institute: InstituteDoc;
  const admins: Partial<Record<'vi' | 'en', Agent>> = {};

  before(async () => {
    t = await startTestApp();
    institute = await createInstitute();
    for (const locale of ['vi', 'en'] as const) admins[locale] = await signedIn(t, await createUser({ role: 'admin', locale }));
  });
  after(async () => {
    await t?.close();
  });

  const form = (over: Record<string, string> = {}) => ({
    institute: String(institute._id), code: '', titleVi: 'Chuyên gia vật liệu', titleEn: `Materials expert ${uniqueSuffix()}`, descriptionVi: '', descriptionEn: '',
    track: 'expert', fieldVi: 'Khoa học vật liệu', fieldEn: 'Materials science', opensAt: '2026-03-01', closesAt: '2099-04-30', status: 'open', minScorecards: '1',
    checklistRows: '1', cl_type_0: 'cv', cl_phase_0: 'application', cl_required_0: 'on', cl_maxMb_0: '',
    scorecardRows: '2', sc_key_0: 'quality', sc_labelVi_0: 'Chất lượng', sc_labelEn_0: 'Quality', sc_weight_0: '70', sc_key_1: 'impact', sc_labelVi_1: 'Ảnh hưởng', sc_labelEn_1: 'Impact', sc_weight_1: '20',
    op: 'save', ...over,
  });
  const submit = async (locale: 'vi' | 'en', url: string, body: Record<string, string>) => post(admins[locale]!, (await page(admins[locale]!, url)).text, url, body);
  const errorOf = (html: string, id: string) => text(new RegExp(`id="${id}">([^<]*)<`).exec(html)?.[1] ?? '');

  const CODE_RULE = { en: 'Use 2–40 capital letters, digits or dashes (such as IMS-2027-01).', vi: 'Dùng 2–40 chữ in hoa, chữ số hoặc dấu gạch ngang (ví dụ IMS-2027-01).' };
  const CODE_TAKEN = { en: 'A call with this code already exists: choose another code.', vi: 'Đã có đợt tuyển dùng mã này: hãy chọn mã khác.' };

  for (const locale of ['en', 'vi'] as const) {
    it(`takes a code as institute codes (upper-cased), refuses a bad one and one already used, the form kept (${locale})`, async () => {
      const code = `IMS-${uniqueSuffix()}`.toUpperCase();
      const bad = await submit(locale, '/admin/calls/new', form({ code: 'ims 2027/01', titleVi: 'Giữ nguyên tiêu đề' }));
      expect(bad.status).to.equal(422);
      expect(errorOf(bad.text, 'f-code-error')).to.equal(CODE_RULE[locale]);
      expect(bad.text).to.include('value="IMS 2027/01"');
      expect(bad.text).to.include('value="Giữ nguyên tiêu đề"');

      const ok = await submit(locale, '/admin/calls/new', form({ code: code.toLowerCase() }));
      expect(ok.status).to.equal(303);
      const first = (await Call.findOne({ code }).lean())!;
      expect(first, 'stored upper-case').to.not.equal(null);

      // The same code on a second call, typed in lower case: refused beside the code, everything kept.
      const before = await Call.countDocuments();
      const dup = await submit(locale, '/admin/calls/new', form({ code: code.toLowerCase(), titleEn: 'Second call kept' }));
      expect(dup.status).to.equal(422);
      expect(errorOf(dup.text, 'f-code-error')).to.equal(CODE_TAKEN[locale]);
      expect(dup.text).to.include('value="Second call kept"');
      expect(dup.text).to.include('value="Chất lượng"');
      expect(await Call.countDocuments()).to.equal(before);

      // Another call given that code on its edit page: refused too; its own code saves again.
      const other = await createCall({ institute: institute._id });
      const edit = await submit(locale, `/admin/calls/${other._id}`, form({ code }));
      expect(edit.status).to.equal(422);
      expect(errorOf(edit.text, 'f-code-error')).to.equal(CODE_TAKEN[locale]);
      expect((await Call.findById(other._id).lean())!.code).to.equal(other.code);
      expect((await submit(locale, `/admin/calls/${first._id}`, form({ code }))).status).to.equal(303);
    });
  }

  it('the model itself holds a new or changed code to the rule, whatever the path; an old code left as it is still saves', async () => {
    const spec = (await createCall({ institute: institute._id })).toObject();
    const { _id: _x, code: _c, createdAt: _a, updatedAt: _u, ...fields } = spec as typeof spec & { createdAt?: Date; updatedAt?: Date };
    const refusedCode = async (write: Promise<unknown>) => {
      const err = await write.then(() => undefined, (e: unknown) => e as { name?: string; errors?: Record<string, unknown> });
      expect(err?.name, 'refused').to.equal('ValidationError');
      expect(Object.keys(err?.errors ?? {})).to.deep.equal(['code']);
    };
    // New: created with a bad code (code that does not go through the form).
    await refusedCode(Call.create({ ...fields, code: 'ims 2027/01' }));
    await refusedCode(Call.insertMany([{ ...fields, code: 'X' }]));
    expect(await Call.countDocuments({ code: { $in: ['IMS 2027/01', 'X'] } })).to.equal(0);
    const good = await Call.create({ ...fields, code: `new-${uniqueSuffix()}` });
    expect(good.code).to.match(/^NEW-/);
    // Changed: on a document, and by an update that runs the validators.
    good.code = 'bad code';
    await refusedCode(good.save());
    await refusedCode(Call.updateOne({ _id: good._id }, { $set: { code: 'a/b' } }, { runValidators: true }).exec());
    expect((await Call.findById(good._id).lean())!.code).to.match(/^NEW-/);
    // Stored before the rule: another field changed saves, the code kept as it was.
    await Call.collection.updateOne({ _id: good._id }, { $set: { code: 'OLD CODE/2' } });
    const old = (await Call.findById(good._id))!;
    old.minScorecards = 2;
    await old.save();
    const stored = (await Call.findById(good._id).lean())!;
    expect([stored.code, stored.minScorecards]).to.deep.equal(['OLD CODE/2', 2]);
    // Given a code that follows the rule, it saves (and the calls list has no bad code left from this test).
    old.code = `RENAMED-${uniqueSuffix()}`;
    await old.save();
  });

  it('gives the same message, not a 500, when two saves race for one code (the unique index decides)', async () => {
    const code = `RACE-${uniqueSuffix()}`.toUpperCase();
    const ctx = systemContext({ now: new Date(), locale: 'en' });
    const body = (title: string): ReturnType<typeof valuesFromBody> => valuesFromBody(form({ code, titleEn: title }));
    // Started together, both find the code free; the index refuses the second insert (E11000).
    const results = await Promise.all([1, 2, 3, 4].map((n) => saveCall({ ctx, values: body(`Race ${n}`) })));
    expect(results.filter((r) => r.ok)).to.have.length(1);
    for (const r of results.filter((x) => !x.ok)) expect(r).to.deep.equal({ ok: false, errors: { code: 'admin.calls.errors.codeTaken' } });
    expect(await Call.countDocuments({ code })).to.equal(1);
    expect(await AuditEvent.countDocuments({ action: 'call.create', 'summary.institute': String(institute._id), targetId: String((await Call.findOne({ code }).lean())!._id) })).to.equal(1);
  });

  it('starts on a database that already holds duplicate codes, names them on the calls page, and builds the index once they are renamed', async () => {
    const calls = Call.collection;
    await calls.dropIndex('code_unique');
    // A model synced after Call loses an index too: it must still be rebuilt (Mongoose stops at the first failure unless told not to).
    const names = Object.keys(mongoose.models);
    const later = mongoose.models[names[names.length - 1]!]!;
    const laterIndexes = (await later.collection.indexes()).filter((i) => i.name !== '_id_');
    expect(laterIndexes.length, `${later.modelName} has an index to drop`).to.be.greaterThan(0);
    await later.collection.dropIndex(laterIndexes[0]!.name!);

    const code = `OLD-${uniqueSuffix()}`.toUpperCase();
    const a = await createCall({ institute: institute._id, code: `${code}-A` });
    const b = await createCall({ institute: institute._id, code: `${code}-B` });
    const bad = await createCall({ institute: institute._id, code: `${code}-C` });
    await calls.updateMany({ _id: { $in: [a._id, b._id] } }, { $set: { code } });
    await calls.updateOne({ _id: bad._id }, { $set: { code: 'old code/1' } });

    const warned: unknown[] = [];
    const failed = await syncIndexes({ warn: (obj: unknown) => warned.push(obj) } as never);
    expect(failed).to.deep.equal(['Call']);
    expect(warned).to.have.length(1);
    expect(await calls.indexExists('code_unique')).to.equal(false);
    expect(await later.collection.indexExists(laterIndexes[0]!.name!), `${later.modelName}'s index rebuilt`).to.equal(true);

    for (const locale of ['en', 'vi'] as const) {
      const list = await page(admins[locale]!, '/admin/calls');
      expect(list.status).to.equal(200);
      const shown = text(list.text);
      expect(shown).to.include('data-duplicate-codes');
      expect(shown).to.include(`<strong>${code}</strong>`);
      expect(shown).to.include(`/admin/calls/${a._id}`).and.include(`/admin/calls/${b._id}`);
      expect(shown).to.include('data-malformed-codes').and.include('old code/1');
      expect(shown).to.include(locale === 'en' ? 'Some calls share a code' : 'Một số đợt tuyển trùng mã');
    }
    // Renamed through the form: the save that removes the last duplicate builds the index; a new duplicate is refused.
    expect((await submit('en', `/admin/calls/${b._id}`, form({ code: `${code}-B` }))).status).to.equal(303);
    expect((await submit('en', `/admin/calls/${bad._id}`, form({ code: `${code}-C` }))).status).to.equal(303);
    const list = await page(admins.en!, '/admin/calls');
    expect(list.text).not.to.include('data-duplicate-codes');
    expect(list.text).not.to.include('data-malformed-codes');
    expect(await calls.indexExists('code_unique')).to.equal(true);
    let refused: unknown;
    await calls.updateOne({ _id: b._id }, { $set: { code } }).catch((err: unknown) => (refused = err));
    expect((refused as { code?: number })?.code).to.equal(11000);
  });

  const SIZE_RULE = { en: 'Enter a whole number of MB from 1 to 200, or leave it empty for the default 20 MB.', vi: 'Nhập một số nguyên MB từ 1 đến 200, hoặc để trống để dùng mức mặc định 20 MB.' };
  for (const locale of ['en', 'vi'] as const) {
    it(`says the size rule on the size input only, and as a hint (${locale})`, async () => {
      const blank = await page(admins[locale]!, '/admin/calls/new');
      expect(text(blank.text)).to.include(locale === 'en' ? 'a whole number of MB from 1 to 200, or empty for the default 20 MB' : 'một số nguyên MB từ 1 đến 200, hoặc để trống để dùng mức mặc định 20 MB');
      for (const maxMb of ['2.5', '-5', '99999', '1e2', '0']) {
        const res = await submit(locale, '/admin/calls/new', form({ cl_maxMb_0: maxMb, titleEn: `Size ${maxMb}` }));
        expect(res.status, maxMb).to.equal(422);
        expect(errorOf(res.text, 'cl-maxmb-error-0'), maxMb).to.equal(SIZE_RULE[locale]);
        expect(res.text, maxMb).to.include(`name="cl_maxMb_0" min="1" max="200" step="1" inputmode="numeric" value="${maxMb}"`);
        // The row's selects are right: not marked.
        expect(res.text).not.to.include('id="cl-error-0"');
        expect(/<select name="cl_type_0"[^>]*aria-invalid/.test(res.text), maxMb).to.equal(false);
        expect(await Call.exists({ 'title.en': `Size ${maxMb}` })).to.equal(null);
      }
      const ok = await submit(locale, '/admin/calls/new', form({ cl_maxMb_0: '200', titleEn: `Size ok ${locale}` }));
      expect(ok.status).to.equal(303);
      expect((await Call.findOne({ 'title.en': `Size ok ${locale}` }).lean())!.checklist[0]!.maxMb).to.equal(200);
    });
  }

  it('names each error of the summary by its field and links to it, a row by its table and number (vi)', async () => {
    const res = await submit('vi', '/admin/calls/new', form({ institute: '', code: 'ims 2027/01', sc_weight_1: '-3' }));
    expect(res.status).to.equal(422);
    const summary = res.text.slice(res.text.indexOf('id="form-errors"'), res.text.indexOf('</div>', res.text.indexOf('id="form-errors"')));
    expect(summary).to.include('<li><a href="#f-institute">Đơn vị</a>: Vui lòng điền thông tin này.</li>');
    expect(summary).to.include(`<li><a href="#f-code">Mã</a>: ${CODE_RULE.vi}</li>`);
    expect(summary).to.match(/<li><a href="#f-scorecard">Phiếu chấm điểm · 2<\/a>: [^<]+<\/li>/);
    // Each link's target is on the page.
    for (const id of ['f-institute', 'f-code', 'f-scorecard']) expect(res.text).to.include(`id="${id}"`);
  });

  it('refuses a closing day already past on a new call (vi and en), and keeps a closed call\'s own past day when it is edited', async () => {
    for (const [locale, message] of [['en', 'The closing day has passed: choose today or a later day.'], ['vi', 'Ngày đóng đã qua: hãy chọn hôm nay hoặc một ngày sau đó.']] as const) {
      const title = `Closed already ${uniqueSuffix()}`;
      const res = await submit(locale, '/admin/calls/new', form({ opensAt: '2026-01-05', closesAt: '2026-02-27', titleEn: title }));
      expect(res.status).to.equal(422);
      expect(errorOf(res.text, 'f-closesAt-error')).to.equal(message);
      expect(res.text).to.include('value="27/02/2026"');
      expect(await Call.countDocuments({ 'title.en': title })).to.equal(0);
    }
    // A call that closed in February: its form saves with that day left as it is; moved to another past day, refused.
    const closed = await createCall({ institute, status: 'closed', opensAt: new Date('2026-01-04T17:00:00Z'), closesAt: new Date('2026-02-27T16:59:59.999Z') });
    const kept = await submit('en', `/admin/calls/${closed._id}`, form({ status: 'closed', opensAt: '2026-01-05', closesAt: '2026-02-27', titleEn: 'Closed in February' }));
    expect(kept.status).to.equal(303);
    expect((await Call.findById(closed._id).lean())!.title?.en).to.equal('Closed in February');
    const moved = await submit('en', `/admin/calls/${closed._id}`, form({ status: 'closed', opensAt: '2026-01-05', closesAt: '2026-02-20' }));
    expect(moved.status).to.equal(422);
  });

  it('shows each weight as its share of the total, with "weights are relative", after a refused save (vi and en)', async () => {
    for (const [locale, hint, share] of [['en', 'Weights are relative', 'of the total'], ['vi', 'Trọng số là tương đối', 'tổng trọng số']] as const) {
      const res = await submit(locale, '/admin/calls/new', form({ closesAt: '2026-01-01' }));
      expect(res.status).to.equal(422);
      const shown = text(res.text);
      expect(shown).to.include(hint);
      expect(shown).to.include(`id="sc-share-0" data-share>78% ${share}<`);
      expect(shown).to.include(`id="sc-share-1" data-share>22% ${share}<`);
    }
  });

  it('warns, without refusing, when the panel is smaller than the scorecards asked, on the form and the list, until enough are named', async () => {
    const inst = await createInstitute();
    await createUser({ role: 'leader', institute: inst._id });
    const hr = await createUser({ role: 'hr_officer', institute: inst._id });
    const titleEn = `Panel short ${uniqueSuffix()}`;
    const created = await submit('en', '/admin/calls/new', form({ institute: String(inst._id), minScorecards: '2', titleEn }));
    expect(created.status).to.equal(303);
    const call = (await Call.findOne({ 'title.en': titleEn }).lean())!;
    for (const [locale, words] of [['en', 'This call needs 2 complete scorecards per application, but its panel has 1 person'], ['vi', 'Đợt tuyển này cần 2 phiếu chấm đầy đủ cho mỗi hồ sơ nhưng hội đồng chỉ có 1 người']] as const) {
      const edit = text((await page(admins[locale]!, `/admin/calls/${call._id}`)).text);
      expect(edit).to.include(words);
      expect(edit).to.include(`<a href="/admin/calls/${call._id}/panel">`);
      const list = text((await page(admins[locale]!, '/admin/calls')).text);
      const row = list.slice(list.indexOf(`/admin/calls/${call._id}"`) - 2000, list.indexOf(`/admin/calls/${call._id}"`) + 200);
      expect(row).to.include('data-panel-warning').and.include(locale === 'en' ? 'Panel of 1 for 2 scorecards.' : 'Hội đồng 1 người, cần 2 phiếu chấm.');
    }
    await User.updateOne({ _id: hr._id }, { $addToSet: { panelCalls: call._id } });
    expect((await page(admins.en!, `/admin/calls/${call._id}`)).text).not.to.include('data-panel-warning');
  });

  it('does not offer the institute\'s leaders on the panel page, and refuses (changing nothing) a request that adds one', async () => {
    const inst = await createInstitute();
    const leader = await createUser({ role: 'leader', institute: inst._id, name: 'Lãnh đạo Minh' });
    const hr = await createUser({ role: 'hr_officer', institute: inst._id, name: 'Cán bộ Hoa' });
    const call = await createCall({ institute: inst._id });
    const url = `/admin/calls/${call._id}/panel`;
    const shown = (await page(admins.en!, url)).text;
    const addSection = shown.slice(shown.indexOf('id="add-inst-h"'));
    expect(addSection).to.include(`value="${hr._id}"`);
    expect(addSection).not.to.include(`value="${leader._id}"`);
    for (const [locale, message] of [['en', 'Institute leaders are always on the panel'], ['vi', 'Lãnh đạo viện luôn có mặt trong hội đồng']] as const) {
      for (const body of [{ userId: String(leader._id) }, { email: leader.email }] as Array<Record<string, string>>) {
        const res = await submit(locale, url, body);
        expect(res.status).to.equal(422);
        expect(text(res.text)).to.include(message);
      }
    }
    expect((await User.findById(leader._id).lean())!.panelCalls ?? []).to.have.length(0);
    expect(await AuditEvent.exists({ action: 'panel.add', targetId: String(call._id) })).to.equal(null);
    // Named before this was refused: listed once, among the leaders.
    await User.updateOne({ _id: leader._id }, { $addToSet: { panelCalls: call._id } });
    const again = text((await page(admins.en!, url)).text);
    expect(again.split('Lãnh đạo Minh').length - 1).to.equal(1);
  });

  it('offers the fields other calls use, in each language, as suggestions', async () => {
    await createCall({ institute: institute._id, field: { vi: 'Vật liệu nano', en: 'Nanomaterials' } });
    const shown = text((await page(admins.en!, '/admin/calls/new')).text);
    expect(shown).to.include('list="fields-vi"').and.include('list="fields-en"');
    const vi = shown.slice(shown.indexOf('<datalist id="fields-vi">'), shown.indexOf('</datalist>', shown.indexOf('<datalist id="fields-vi">')));
    const en = shown.slice(shown.indexOf('<datalist id="fields-en">'), shown.indexOf('</datalist>', shown.indexOf('<datalist id="fields-en">')));
    expect(vi).to.include('<option value="Vật liệu nano">').and.not.include('Nanomaterials');
    expect(en).to.include('<option value="Nanomaterials">').and.not.include('Vật liệu nano');
  });
});
