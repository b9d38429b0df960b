// The HR queue over HTTP, in English and Vietnamese: open work first by deadline (cases without one
// last), the include-closed toggle, the search (diacritics, part of a name, e-mail, reference,
// nationality in both languages), the overdue-procedure badge and filter, and saved filters
// (create, apply, delete, and each refusal in both languages).
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { SavedFilter } from '../../models/saved-filter.ts';
import type { UserDoc } from '../../models/user.ts';
import type { Stage } from '../../models/constants.ts';
import { signedIn, page, post, text } from '../applications/support.ts';
import { leadingSearchWord, parseQueueQuery, queueFilter, queueScope, searchInstitutes } from '../../server/cases/queue.ts';
import type { Agent } from '../support/http.ts';
import { backfillSearchTerms } from '../../server/cases/search-backfill.ts';
import { SEARCH_TERMS_VERSION } from '../../models/case-search.ts';

const DAY = 86_400_000;

function refsIn(html: string): string[] {
  return [...html.matchAll(/<a href="\/cases\/[a-f0-9]{24}">(TA-\d{4}-\d{6})<\/a>/g)].map((m) => m[1]!);
}

function rowOf(html: string, c: CaseDoc): string {
  const at = html.indexOf(`data-case="${c._id}"`);
  expect(at, `row of ${c.reference}`).to.be.greaterThan(-1);
  return html.slice(at, html.indexOf('</tr>', at));
}

describe('cases: the queue finds work (open first, search, saved filters)', function () {
  this.timeout(60_000);
  let t: TestApp;
  let hrEn: UserDoc;
  let hrVi: UserDoc;
  let en: Agent;
  let vi: Agent;
  const c: Record<string, CaseDoc> = {};
  const suffix = Date.now().toString(36);

  before(async function () {
    this.timeout(120_000);
    t = await startTestApp();
    const institute = await createInstitute();
    hrEn = await createUser({ role: 'hr_officer', institute, name: 'Search Officer', locale: 'en' });
    hrVi = await createUser({ role: 'hr_officer', institute, name: 'Cán bộ Tìm kiếm', locale: 'vi' });
    const call = await createCall({ institute, checklist: [] });
    const now = Date.now();
    const make = async (key: string, fullName: string, nationality: string, stage: Stage, dueDays: number | undefined, email: string, extra: Record<string, unknown> = {}) => {
      const applicant = await createUser({ role: 'applicant', email: `${email}.${suffix}@example.org` });
      c[key] = await createCase({
        applicant,
        call,
        stage,
        stageDueAt: dueDays === undefined ? undefined : new Date(now + dueDays * DAY),
        profile: { fullName, nationality, dateOfBirth: new Date('1980-01-01'), highestDegree: 'phd' },
        ...extra,
      });
    };
    await make('dao', 'Nguyễn Thị Đào', 'VN', 'screening', 5, 'dao.nguyen');
    await make('minh', 'Trần Văn Minh', 'DE', 'submitted', 1, 'minh.tran');
    await make('nam', 'Lê Hoàng Nam', 'FR', 'evaluation', undefined, 'nam.le');
    await make('anna', 'Anna Müller', 'US', 'closed', -10, 'anna.mueller');
    await make('thu', 'Phạm Thị Thu', 'VN', 'rejected', undefined, 'thu.pham');
    await make('zoe', 'Zoë Dupont', 'FR', 'withdrawn', undefined, 'zoe.dupont');
    await make('anh', 'Hoàng Đức Anh', 'JP', 'onboarding', 3, 'anh.hoang', { overdueProcedures: ['work_permit'] });
    await make('hold', 'Ngô Bảo Châu', 'VN', 'on_hold', undefined, 'chau.ngo');
    en = await signedIn(t, hrEn);
    vi = await signedIn(t, hrVi);
  });
  after(async () => {
    await t?.close();
  });

  const refs = async (a: Agent, qs: string) => {
    const res = await page(a, `/cases?size=100${qs ? `&${qs}` : ''}`);
    expect(res.status).to.equal(200);
    return refsIn(res.text);
  };
  const ref = (...keys: string[]) => keys.map((k) => c[k]!.reference);

  it('opens on open work only, deadline soonest first and cases without a deadline last (en and vi)', async () => {
    // minh (+1 d), anh (+3 d), dao (+5 d), then nam and hold without a deadline, by creation.
    const expected = ref('minh', 'anh', 'dao', 'nam', 'hold');
    expect(await refs(en, '')).to.deep.equal(expected);
    expect(await refs(vi, '')).to.deep.equal(expected);
    const pageEn = (await page(en, '/cases')).text;
    expect(pageEn).to.include('open cases only');
    expect(rowOf(pageEn, c.nam!)).to.include('No deadline');
    const pageVi = text((await page(vi, '/cases')).text);
    expect(pageVi).to.include('chỉ hồ sơ đang xử lý');
    expect(rowOf(pageVi, c.nam!)).to.include('Không có hạn');
    expect(pageVi).not.to.match(/\bqueue\.[a-z]/);
    expect(pageEn).not.to.match(/\bqueue\.[a-z]/);
  });

  it('says when a search finds nothing open but a closed, rejected or withdrawn case, with the link to it (en and vi)', async () => {
    const none = await page(en, '/cases?q=anna');
    expect(refsIn(none.text)).to.deep.equal([]);
    expect(text(none.text)).to.include('1 case that is closed, rejected or withdrawn matches: show it');
    const href = /id="closed-matches"><a href="([^"]+)"/.exec(none.text)![1]!.replace(/&amp;/g, '&').replace(/&#x3D;/g, '=');
    expect(new URLSearchParams(href.split('?')[1]).get('closed')).to.equal('1');
    expect(refsIn((await page(en, href)).text)).to.deep.equal(ref('anna'));
    expect(text((await page(vi, '/cases?q=anna')).text)).to.include('Có 1 hồ sơ đã đóng, bị từ chối hoặc đã rút khớp với tìm kiếm');
    // A search that finds open cases, or nothing at all, says nothing of the sort.
    expect((await page(en, '/cases?q=minh')).text).not.to.include('closed-matches');
    expect((await page(en, '/cases?q=nobodyatall')).text).not.to.include('closed-matches');
  });

  it('has a visible toggle that includes closed, rejected and withdrawn cases, and back (en and vi)', async () => {
    const pageEn = text((await page(en, '/cases')).text);
    expect(pageEn).to.match(/<a href="\/cases\?closed=1" id="closed-toggle">Include closed, rejected and withdrawn<\/a>/);
    const pageVi = text((await page(vi, '/cases')).text);
    expect(pageVi).to.include('id="closed-toggle">Hiện cả hồ sơ đã đóng, bị từ chối và đã rút</a>');
    const all = await refs(en, 'closed=1');
    // A closed case has nothing due (its old deadline, -10 d, no longer counts): it comes with the
    // undated ones (nam, anna, thu, zoe, hold), last, by creation.
    expect(all).to.deep.equal(ref('minh', 'anh', 'dao', 'nam', 'anna', 'thu', 'zoe', 'hold'));
    const withClosed = text((await page(en, '/cases?closed=1')).text);
    expect(withClosed).to.match(/<a href="\/cases" id="closed-toggle">Open cases only<\/a>/);
    expect(withClosed).to.include('including closed, rejected and withdrawn cases');
    // Choosing a stage shows that stage, terminal ones included.
    expect(await refs(en, 'stage=rejected')).to.deep.equal(ref('thu'));
  });

  it('searches names without diacritics, in any case, by part of a word, and across words', async () => {
    expect(await refs(en, 'q=nguyen')).to.deep.equal(ref('dao'));
    expect(await refs(en, 'q=dao')).to.deep.equal(ref('dao')); // Đ → d
    expect(await refs(vi, `q=${encodeURIComponent('ĐÀO')}`)).to.deep.equal(ref('dao'));
    expect(await refs(en, 'q=ngu')).to.deep.equal(ref('dao'));
    expect(await refs(en, 'q=thi')).to.deep.equal(ref('dao')); // Thị; Phạm Thị Thu is rejected (hidden)
    expect(await refs(en, 'q=thi&closed=1')).to.deep.equal(ref('dao', 'thu'));
    expect(await refs(en, 'q=hoa')).to.deep.equal(ref('anh', 'nam')); // Hoàng in two names, by deadline then undated
    expect(await refs(en, 'q=nguyen+thi+d')).to.deep.equal(ref('dao'));
    expect(await refs(en, 'q=nguyen+minh')).to.deep.equal([]);
    expect(await refs(en, `q=${encodeURIComponent('Zoë')}&closed=1`)).to.deep.equal(ref('zoe'));
    expect(await refs(en, 'q=zoe&closed=1')).to.deep.equal(ref('zoe'));
    // The search box keeps what was typed.
    const res = await page(en, `/cases?q=${encodeURIComponent('Nguyễn Thị')}`);
    expect(text(res.text)).to.include('value="Nguyễn Thị"');
  });

  it("ignores apostrophes and hyphens inside names, on both sides: obrien, o'brien, O’Brien, jean-pierre, jeanpierre", async () => {
    // A queue of its own, so the cases above keep their results.
    const institute = await createInstitute();
    const officer = await createUser({ role: 'hr_officer', institute, locale: 'en' });
    const call = await createCall({ institute, checklist: [] });
    const applicant = await createUser({ role: 'applicant' });
    const obrien = await createCase({ applicant, call, stage: 'screening', profile: { fullName: "Seán O'Brien", nationality: 'IE', dateOfBirth: new Date('1980-01-01'), highestDegree: 'phd' } });
    const jp = await createCase({ applicant, call, stage: 'screening', profile: { fullName: 'Jean-Pierre D’Arcy', nationality: 'FR', dateOfBirth: new Date('1980-01-01'), highestDegree: 'phd' } });
    const a = await signedIn(t, officer);
    const found = async (q: string) => refsIn((await page(a, `/cases?size=100&q=${encodeURIComponent(q)}`)).text);
    for (const q of ['obrien', "o'brien", 'O’Brien', 'OʼBrien', 'o brien', 'brien', 'sean obr']) expect(await found(q), q).to.deep.equal([obrien.reference]);
    for (const q of ['jean-pierre', 'jeanpierre', 'jean pierre', 'pierre', 'darcy', 'd’arcy', "d'arcy", 'arcy']) expect(await found(q), q).to.deep.equal([jp.reference]);
  });

  it('recomputes the search words of cases stored in an older format, once, through the backfill', async () => {
    const institute = await createInstitute();
    const officer = await createUser({ role: 'hr_officer', institute, locale: 'en' });
    const call = await createCall({ institute, checklist: [] });
    const applicant = await createUser({ role: 'applicant' });
    const old = await createCase({ applicant, call, stage: 'screening', profile: { fullName: "Niamh O'Connor", nationality: 'IE', dateOfBirth: new Date('1980-01-01'), highestDegree: 'phd' } });
    // As stored before the format had a version: the words of then, written around the model.
    await Case.collection.updateOne({ _id: old._id }, { $set: { searchTerms: ['connor', 'ie', 'niamh', 'o'] }, $unset: { searchTermsVersion: '' } });
    const a = await signedIn(t, officer);
    const found = async (q: string) => refsIn((await page(a, `/cases?size=100&q=${encodeURIComponent(q)}`)).text);
    expect(await found('oconnor')).to.deep.equal([]);
    expect(await backfillSearchTerms()).to.be.greaterThan(0);
    const stored = (await Case.findById(old._id).lean())!;
    expect(stored.searchTerms).to.include('oconnor');
    expect(stored.searchTermsVersion).to.equal(SEARCH_TERMS_VERSION);
    expect(await found('oconnor')).to.deep.equal([old.reference]);
    expect(await found("O’Connor")).to.deep.equal([old.reference]);
    // Done once: a second run finds nothing left to do in this format.
    expect(await Case.countDocuments({ _id: old._id, searchTermsVersion: SEARCH_TERMS_VERSION })).to.equal(1);
    expect(await backfillSearchTerms()).to.equal(0);
  });

  it('reads the index range of the rarest typed word, whatever its length, with the same results', async () => {
    // "hoang" starts words of two cases here, "le" of one (Lê Hoàng Nam): le's range is read.
    expect(await leadingSearchWord(hrEn, 'hoang le')).to.equal('le');
    expect(await leadingSearchWord(hrEn, 'nguyen')).to.equal(undefined); // one word: nothing to choose
    expect(await refs(en, 'q=hoang+le')).to.deep.equal(ref('nam'));
    expect(await refs(en, 'q=le+hoang')).to.deep.equal(ref('nam'));
  });

  it('searches e-mails, references (whole or prefix) and nationality by code and by name in vi and en', async () => {
    expect(await refs(en, 'q=dao.nguyen')).to.deep.equal(ref('dao'));
    expect(await refs(en, `q=${encodeURIComponent(`minh.tran.${suffix}@example.org`)}`)).to.deep.equal(ref('minh'));
    expect(await refs(en, `q=${c.minh!.reference}`)).to.deep.equal(ref('minh'));
    expect(await refs(en, `q=${c.minh!.reference.toLowerCase()}`)).to.deep.equal(ref('minh'));
    const prefix = c.minh!.reference.slice(0, -1);
    expect(await refs(en, `q=${prefix}`)).to.include(c.minh!.reference);
    expect(await refs(en, `q=${Number(c.minh!.reference.slice(-6))}`)).to.include(c.minh!.reference); // the number without zeros
    expect(await refs(en, 'q=germany')).to.deep.equal(ref('minh'));
    expect(await refs(vi, 'q=duc')).to.deep.equal(ref('minh', 'anh')); // Đức (Germany) and Hoàng Đức Anh
    expect(await refs(en, 'q=phap')).to.deep.equal(ref('nam')); // Pháp
    expect(await refs(en, 'q=france')).to.deep.equal(ref('nam'));
    expect(await refs(en, 'q=vn')).to.deep.equal(ref('dao', 'hold'));
    expect(await refs(en, `q=${encodeURIComponent('Việt Nam')}`)).to.deep.equal(ref('dao', 'hold'));
    expect(await refs(en, 'q=vietnam')).to.deep.equal(ref('dao', 'hold'));
    expect(await refs(en, 'q=japan')).to.deep.equal(ref('anh'));
  });

  it('keeps the search words in step when the name changes through findOneAndUpdate, and on new cases', async () => {
    await Case.findOneAndUpdate({ _id: c.nam!._id }, { $set: { 'profile.fullName': 'Đinh Công Tráng' } });
    expect(await refs(en, 'q=trang')).to.deep.equal(ref('nam'));
    expect(await refs(en, 'q=hoa')).to.deep.equal(ref('anh'));
    await Case.updateOne({ _id: c.nam!._id }, { $set: { 'profile.nationality': 'JP' } });
    expect(await refs(en, 'q=japan')).to.deep.equal(ref('anh', 'nam'));
    const stored = (await Case.findById(c.nam!._id).lean())!;
    expect(stored.searchTerms).to.include.members(['dinh', 'cong', 'trang', 'jp', 'nhat', 'ban', 'japan', 'nam', 'le', `${suffix}`]);
    await Case.findOneAndUpdate({ _id: c.nam!._id }, { $set: { 'profile.fullName': 'Lê Hoàng Nam', 'profile.nationality': 'FR' } });
  });

  it('searches across institutes for an administrator and for an officer on another institute’s panel, by { institute, searchTerms }', async () => {
    const other = await createInstitute();
    const otherCall = await createCall({ institute: other, checklist: [] });
    const applicant = await createUser({ role: 'applicant', email: `khoa.dang.${suffix}@example.org` });
    const far = await createCase({ applicant, call: otherCall, stage: 'evaluation', stageDueAt: new Date(Date.now() + 2 * DAY), profile: { fullName: 'Đặng Xuân Khoa', nationality: 'VN', dateOfBirth: new Date('1980-01-01'), highestDegree: 'phd' } });
    const admin = await createUser({ role: 'admin', name: 'Search Admin', locale: 'en' });
    const panelist = await createUser({ role: 'hr_officer', institute: hrEn.institute, name: 'Panel Officer', locale: 'en', panelCalls: [otherCall._id] });
    const asAdmin = await signedIn(t, admin);
    const asPanelist = await signedIn(t, panelist);
    // An administrator finds cases of every institute (here and in other tests' institutes: the
    // e-mails' suffix keeps the results to this test's cases); the rarer word's range is read.
    expect(await refs(asAdmin, `q=khoa+${suffix}`)).to.deep.equal([far.reference]);
    expect(await refs(asAdmin, `q=xuan+dang+${suffix}`)).to.deep.equal([far.reference]);
    expect(await refs(asAdmin, `q=dao+${suffix}`)).to.deep.equal(ref('dao'));
    // An officer on another institute's panel finds none of its cases in HR's queue: they read them on the shortlist (walk s36).
    expect(await refs(asPanelist, 'q=khoa')).to.deep.equal([]);
    expect(await refs(asPanelist, 'q=dao')).to.deep.equal(ref('dao'));
    expect(await refs(en, 'q=khoa')).to.deep.equal([]);
    expect((await searchInstitutes(panelist)).map(String)).to.deep.equal([String(hrEn.institute)]);
    // There is no index over the search words alone: each of these reads { institute, searchTerms }.
    const now = new Date();
    for (const user of [admin, panelist]) {
      const filter = queueFilter(user, parseQueueQuery({ q: 'khoa' }), now, await queueScope(user), undefined, await searchInstitutes(user));
      const plan = JSON.stringify(await Case.find(filter).explain());
      expect(plan, user.role).to.include('institute_1_searchTerms_1');
      expect(plan, user.role).not.to.include('COLLSCAN');
    }
  });

  it('treats hostile search text as text: regex characters, arrays, oversize', async () => {
    for (const q of ['.*', '(', '$where', '\\', '^a', '[', '%00']) {
      const res = await page(en, `/cases?q=${encodeURIComponent(q)}`);
      expect(res.status, q).to.equal(200);
    }
    expect(await refs(en, `q=${encodeURIComponent('.*')}`)).to.deep.equal(ref('minh', 'anh', 'dao', 'nam', 'hold')); // no word: no search
    expect((await page(en, '/cases?q=a&q=b')).status).to.equal(200);
    const long = (await page(en, `/cases?q=${'nguyen+'.repeat(2000)}`));
    expect(long.status).to.equal(200);
    expect(refsIn(long.text)).to.deep.equal(ref('dao'));
  });

  it('shows an overdue-procedure badge and filters to cases with overdue procedures (en and vi)', async () => {
    const pageEn = (await page(en, '/cases')).text;
    expect(rowOf(pageEn, c.anh!)).to.include('procedure-overdue');
    expect(rowOf(pageEn, c.anh!)).to.match(/procedure-overdue">Overdue: Work permit</);
    expect(rowOf(pageEn, c.dao!)).not.to.include('procedure-overdue');
    const pageVi = text((await page(vi, '/cases')).text);
    expect(rowOf(pageVi, c.anh!)).to.match(/procedure-overdue">Quá hạn: [^<]+</);
    expect(await refs(en, 'procedures=1')).to.deep.equal(ref('anh'));
    expect(pageEn).to.include('Overdue support procedures only');
  });

  describe('saved filters', () => {
    it('saves the current filter under a name, lists it above the queue, applies it in one click and deletes it', async () => {
      const q = await page(en, '/cases?q=nguyen&stage=screening&page=3&junk=1');
      expect(text(q.text)).to.include('name="query" value="/cases?q=nguyen&stage=screening"');
      // The address a refused save leaves in the address bar opens the queue again, not "not found".
      const reopened = await page(en, '/cases/filters');
      expect([reopened.status, reopened.headers.location]).to.deep.equal([303, '/cases']);
      const saved = await post(en, q.text, '/cases/filters', { name: 'My screening', query: '/cases?q=nguyen&stage=screening&page=3&junk=1' });
      expect(saved.status).to.equal(303);
      expect(saved.headers.location).to.equal('/cases?q=nguyen&stage=screening');
      const stored = (await SavedFilter.findOne({ user: hrEn._id, name: 'My screening' }).lean())!;
      expect(stored.query).to.equal('/cases?q=nguyen&stage=screening');
      const list = await page(en, '/cases');
      expect(list.text).to.include('The filter was saved.');
      expect(text(list.text)).to.match(new RegExp(`<li class="saved-filter" data-filter="${stored._id}">\\s*<a href="/cases\\?q=nguyen&stage=screening">My screening</a>`));
      const applied = await page(en, '/cases?q=nguyen&stage=screening');
      expect(refsIn(applied.text)).to.deep.equal(ref('dao'));
      expect(applied.text).to.include('aria-current="true">My screening</a>');
      // Another officer does not see it, and cannot delete it (not found).
      expect((await page(vi, '/cases')).text).not.to.include('My screening');
      const viPage = (await page(vi, '/cases')).text;
      const theirs = await post(vi, viPage, `/cases/filters/${stored._id}/delete`, {});
      expect(theirs.status).to.equal(404);
      expect(await SavedFilter.countDocuments({ _id: stored._id })).to.equal(1);
      const del = await post(en, list.text, `/cases/filters/${stored._id}/delete`, { back: '/cases?q=nguyen&stage=screening' });
      expect(del.status).to.equal(303);
      expect(del.headers.location).to.equal('/cases?q=nguyen&stage=screening');
      expect(await SavedFilter.countDocuments({ _id: stored._id })).to.equal(0);
      expect((await page(en, '/cases')).text).to.include('The saved filter was deleted.');
      const again = await post(en, list.text, `/cases/filters/${stored._id}/delete`, {});
      expect(again.status).to.equal(404);
      expect((await post(en, list.text, '/cases/filters/not-an-id/delete', {})).status).to.equal(404);
    });

    it('refuses a duplicate name (any case, any accents), an empty or oversize name, in the officer’s language (422)', async () => {
      const pEn = (await page(en, '/cases')).text;
      expect((await post(en, pEn, '/cases/filters', { name: 'Hồ sơ gấp', query: '/cases?overdue=1' })).status).to.equal(303);
      const dupEn = await post(en, pEn, '/cases/filters', { name: 'ho so GAP', query: '/cases?stage=screening' });
      expect(dupEn.status).to.equal(422);
      expect(text(dupEn.text)).to.include('You already have a saved filter with this name: choose another name.');
      expect(dupEn.text).to.include('value="ho so GAP"');
      // The queue of the filter being saved is shown again.
      expect(refsIn(dupEn.text)).to.deep.equal(ref('dao'));
      const pVi = (await page(vi, '/cases')).text;
      expect((await post(vi, pVi, '/cases/filters', { name: 'Hồ sơ gấp', query: '' })).status).to.equal(303);
      const dupVi = await post(vi, pVi, '/cases/filters', { name: 'HỒ SƠ GẤP', query: '' });
      expect(dupVi.status).to.equal(422);
      expect(text(dupVi.text)).to.include('Đã có một bộ lọc trùng tên này: hãy chọn tên khác.');
      const empty = await post(en, pEn, '/cases/filters', { name: '   ', query: '' });
      expect(empty.status).to.equal(422);
      expect(text(empty.text)).to.include('Give the filter a name');
      const emptyVi = await post(vi, pVi, '/cases/filters', { name: '', query: '' });
      expect(emptyVi.status).to.equal(422);
      expect(text(emptyVi.text)).to.include('Hãy đặt tên cho bộ lọc');
      const long = await post(en, pEn, '/cases/filters', { name: 'x'.repeat(61), query: '' });
      expect(long.status).to.equal(422);
      expect(text(long.text)).to.include('at most 60 characters');
      const longVi = await post(vi, pVi, '/cases/filters', { name: 'x'.repeat(5000), query: '' });
      expect(longVi.status).to.equal(422);
      expect(text(longVi.text)).to.include('Tên bộ lọc dài tối đa 60 ký tự.');
      const control = await post(en, pEn, '/cases/filters', { name: 'bad\u0000name', query: '' });
      expect(control.status).to.equal(422);
      expect(await SavedFilter.countDocuments({ user: hrEn._id })).to.equal(1);
    });

    it('stores hostile names as text, drops foreign query parameters, refuses $ keys, and stops at 20 per officer (en and vi)', async () => {
      const officer = await createUser({ role: 'hr_officer', institute: hrEn.institute, locale: 'en' });
      const a = await signedIn(t, officer);
      const p = (await page(a, '/cases')).text;
      const proto = await post(a, p, '/cases/filters', { name: '__proto__', query: 'https://evil.example/?stage=screening' });
      expect(proto.status).to.equal(303);
      expect(proto.headers.location).to.equal('/cases');
      const script = await post(a, p, '/cases/filters', { name: '<script>alert(1)</script>', query: '/cases?stage=screening&$where=1&assignee[$ne]=x' });
      expect(script.status).to.equal(303);
      expect(script.headers.location).to.equal('/cases?stage=screening');
      const listed = (await page(a, '/cases')).text;
      expect(listed).to.include('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(listed).not.to.include('<script>alert(1)');
      expect(listed).to.include('>__proto__</a>');
      const dollar = await a.post('/cases/filters').type('form').set('Accept', 'text/html').send(`_csrf=${encodeURIComponent(/name="_csrf" value="([^"]+)"/.exec(p)![1]!)}&name[$gt]=x&query=`);
      expect(dollar.status).to.equal(400);
      for (let i = 0; i < 18; i++) expect((await post(a, p, '/cases/filters', { name: `Filter ${i}`, query: `/cases?page=${i}` })).status).to.equal(303);
      expect(await SavedFilter.countDocuments({ user: officer._id })).to.equal(20);
      const full = (await page(a, '/cases')).text;
      expect(full).not.to.include('id="save-filter"');
      expect(full).to.include('You have 20 saved filters, the most there can be');
      const over = await post(a, p, '/cases/filters', { name: 'One too many', query: '' });
      expect(over.status).to.equal(422);
      expect(text(over.text)).to.include('You already have 20 saved filters: delete one before saving another.');
      expect(await SavedFilter.countDocuments({ user: officer._id })).to.equal(20);
      // The same refusal in Vietnamese.
      const viOfficer = await createUser({ role: 'hr_officer', institute: hrEn.institute, locale: 'vi' });
      await SavedFilter.insertMany(Array.from({ length: 20 }, (_, i) => ({ user: viOfficer._id, name: `Bộ lọc ${i}`, nameKey: `bo loc ${i}`, query: '/cases' })));
      const v = await signedIn(t, viOfficer);
      const overVi = await post(v, (await page(v, '/cases')).text, '/cases/filters', { name: 'Thêm', query: '' });
      expect(overVi.status).to.equal(422);
      expect(text(overVi.text)).to.include('Đã lưu 20 bộ lọc: hãy xóa một bộ lọc trước khi lưu bộ lọc mới.');
    });

    it('refuses applicants', async () => {
      const applicant = await createUser({ role: 'applicant' });
      const a = await signedIn(t, applicant);
      const home = (await page(a, '/applications')).text;
      const res = await post(a, home, '/cases/filters', { name: 'Mine', query: '' });
      expect(res.status).to.equal(403);
      expect(await SavedFilter.countDocuments({ user: applicant._id })).to.equal(0);
    });
  });
});
