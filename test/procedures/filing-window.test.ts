// The work permit's filing window (Decree 219/2025/ND-CP: 60 to 10 days before the planned start)
// said as two dates, with the working days until it opens and until it closes, to HR (case page,
// procedure page) and to the applicant (their page, the offer-accepted and procedure e-mails over
// real SMTP), in vi and en; the default target a real deadline inside it. The case page's row offers
// only the statuses it can save; a procedure with no legal basis gets no decree in its errors; a
// stale procedure form's 409 page lists every field sent, labelled.
// Today is Saturday 5 Dec 2026; the planned start 1 Mar 2027: the window is 31 Dec 2026 – 19 Feb 2027.
import { expect } from 'chai';
import type { TestApp } from '../support/app.ts';
import { createUser } from '../support/factories.ts';
import { createCase } from '../support/case-factories.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { vnDateKey, vnEndOfDay } from '../../server/calendar/index.ts';
import { transition } from '../../server/workflow/index.ts';
import { actorContext } from '../workflow/context.ts';
import { signedIn, page, post, versionIn, deliver, text } from '../applications/support.ts';
import { procedureWorld, vn } from './support.ts';

const START = vn('2027-03-01');
const NO_SUPPORT = { workPermit: false, visa: false, residenceCard: false, housing: false, citizenship: false, family: false };

/** The case page's row of a procedure. */
function rowOf(html: string, kind: string): string {
  const m = new RegExp(`<tr data-track="${kind}">([\\s\\S]*?)</tr>`).exec(html);
  expect(m, `the ${kind} row`).to.not.equal(null);
  return m![1]!;
}
const optionsIn = (row: string) => [...row.matchAll(/<option value="(\w+)"/g)].map((m) => m[1]);

describe('procedures: the filing window as two dates, the case row, the conflict page', () => {
  let t: TestApp;
  let clock = vn('2026-12-05');
  let hrEn: UserDoc;
  let hrVi: UserDoc;
  let applicantVi: UserDoc;
  let applicantEn: UserDoc;
  let call: CallDoc;

  before(async () => {
    ({ t, hrEn, hrVi, call } = await procedureWorld(() => clock));
    applicantVi = await createUser({ role: 'applicant', locale: 'vi', name: 'Nguyễn Văn An' });
    applicantEn = await createUser({ role: 'applicant', locale: 'en', name: 'Anna Schmidt' });
  });
  after(async () => {
    await t?.close();
  });

  const onboarding = (applicant: UserDoc, tracks: unknown[]): Promise<CaseDoc> =>
    createCase({ applicant, call, stage: 'onboarding', assignee: hrEn._id, profile: { fullName: 'Window Case', plannedArrival: START } as never, supportTracks: tracks as never });

  it('accepting the offer targets a day inside the window that leaves the permit, the visa and 5 working days before the start, and e-mails the applicant both dates with working days (vi, en)', async () => {
    clock = vn('2026-12-05');
    const expected = {
      vi: 'Giấy phép lao động: Dự kiến nộp hồ sơ trước 25/1/2027 (còn 35 ngày làm việc). Theo quy định, hồ sơ được nộp trong khoảng từ 31/12/2026 đến 19/2/2027 (còn 19 ngày làm việc nữa mới được nộp · còn 49 ngày làm việc đến hạn cuối)',
      en: 'Work permit: We aim to file by 25 Jan 2027 (35 working days left). By law, the file can be lodged between 31 Dec 2026 and 19 Feb 2027 (opens in 19 working days · closes in 49 working days)',
    };
    for (const applicant of [applicantVi, applicantEn]) {
      const offer = await createCase({ applicant, call, stage: 'offer', stageDueAt: vn('2026-12-18'), profile: { fullName: 'Offer Case', plannedArrival: START } as never, supportRequested: { ...NO_SUPPORT, workPermit: true } });
      const accepted = await transition({ app: t.ctx, ctx: actorContext(t.ctx, applicant), caseId: offer._id, action: 'accept_offer', expectedVersion: offer.version });
      const wp = accepted.supportTracks.find((s) => s.kind === 'work_permit')!;
      // Counted, 10 working days from today would be 18 Dec, before the window opens: the target is
      // the day 20 working days before the start of 1 Mar 2027 (the permit's 10, the visa's 5 and a
      // margin of 5; Tết 2027 off), a real deadline inside the window. The window's last day less 5
      // working days (12 Feb) would leave the permit and the visa to end after the start.
      expect(vnDateKey(wp.dueAt!)).to.equal('2027-01-25');
      await deliver(t, offer._id);
      const lang = applicant.locale as 'vi' | 'en';
      const mail = await t.smtp.waitForTo(applicant.email, lang === 'vi' ? /Chào mừng/ : /Welcome/);
      expect(text(mail.text)).to.include(expected[lang]);
      expect(text(mail.html)).to.include(expected[lang]);
      // The day the window opens is never said as a deadline.
      expect(mail.text).not.to.match(/hạn 31\/12\/2026|due 31 Dec 2026|by 31 Dec 2026/);
    }
  });

  it('shows HR the window as two dates, with working days until it opens and until it closes, on the case page and the procedure page (en, vi)', async () => {
    clock = vn('2026-12-05');
    const c = await onboarding(applicantVi, [{ kind: 'work_permit', status: 'requested', dueAt: vnEndOfDay(vn('2027-02-12')), updatedAt: vn('2026-12-04') }]);
    const en = await signedIn(t, hrEn);
    const row = text(rowOf((await page(en, `/cases/${c._id}`)).text, 'work_permit'));
    expect(row).to.include('We aim to file by');
    expect(row).to.include('12 Feb 2027');
    expect(row).to.match(/data-window>File between 31 Dec 2026 and 19 Feb 2027 · opens in 19 working days · closes in 49 working days</);
    const p = text((await page(en, `/cases/${c._id}/procedures/work_permit`)).text);
    expect(p).to.include('<strong data-window>File between 31 Dec 2026 and 19 Feb 2027</strong> · <span data-window-left>opens in 19 working days · closes in 49 working days</span>');
    expect(p).to.include('lodge between 60 and 10 days before the planned start of work');
    const vi = await signedIn(t, hrVi);
    expect(text(rowOf((await page(vi, `/cases/${c._id}`)).text, 'work_permit'))).to.include('Nộp hồ sơ trong khoảng từ 31/12/2026 đến 19/2/2027 · còn 19 ngày làm việc nữa mới được nộp · còn 49 ngày làm việc đến hạn cuối');
    expect(text((await page(vi, `/cases/${c._id}/procedures/work_permit`)).text)).to.include('<strong data-window>Nộp hồ sơ trong khoảng từ 31/12/2026 đến 19/2/2027</strong>');
    // Once the window is open, only its closing is counted; once closed, said as such.
    clock = vn('2027-01-05');
    const open = await signedIn(t, hrEn);
    expect(text(rowOf((await page(open, `/cases/${c._id}`)).text, 'work_permit'))).to.include('File between 31 Dec 2026 and 19 Feb 2027 · closes in 28 working days');
    clock = vn('2027-02-22');
    const closed = await signedIn(t, hrEn);
    expect(text((await page(closed, `/cases/${c._id}/procedures/work_permit`)).text)).to.include('closed 1 working day ago');
    clock = vn('2026-12-05');
  });

  it('tells the applicant the window on their page (vi, en), and not once the file is lodged', async () => {
    clock = vn('2026-12-05');
    for (const [applicant, said] of [
      [applicantVi, 'Theo quy định, hồ sơ được nộp trong khoảng từ 31/12/2026 đến 19/2/2027 (còn 19 ngày làm việc nữa mới được nộp · còn 49 ngày làm việc đến hạn cuối)'],
      [applicantEn, 'By law, the file can be lodged between 31 Dec 2026 and 19 Feb 2027 (opens in 19 working days · closes in 49 working days)'],
    ] as const) {
      const c = await onboarding(applicant, [{ kind: 'work_permit', status: 'preparing', dueAt: vnEndOfDay(vn('2027-02-12')), updatedAt: vn('2026-12-04') }, { kind: 'visa', status: 'requested', updatedAt: vn('2026-12-04') }]);
      const me = await signedIn(t, applicant);
      const mine = text((await page(me, `/applications/${c._id}`)).text);
      expect(mine).to.include(said);
      expect(mine.match(/data-window>/g) ?? []).to.have.length(1); // the visa has no window
      await Case.updateOne({ _id: c._id }, { $set: { 'supportTracks.0.status': 'filed', 'supportTracks.0.filedAt': vn('2026-12-04') } });
      expect((await page(me, `/applications/${c._id}`)).text).not.to.include('data-window>');
    }
  });

  it('e-mails the window beside a target HR moves (real SMTP, en), and refuses a target outside it naming the nearest day', async () => {
    clock = vn('2026-12-05');
    const c = await onboarding(applicantEn, [{ kind: 'work_permit', status: 'requested', dueAt: vnEndOfDay(vn('2027-02-12')), updatedAt: vn('2026-12-04') }]);
    const a = await signedIn(t, hrEn);
    const url = `/cases/${c._id}/procedures/work_permit`;
    let form = await page(a, url);
    const early = await post(a, form.text, url, { version: versionIn(form.text, url), status: 'requested', targetAt: '2026-12-30' });
    expect(early.status).to.equal(422);
    expect(text(early.text)).to.include('The target must stay inside the filing window the decree allows: the nearest day in it is 31 Dec 2026.');
    form = await page(a, url);
    expect((await post(a, form.text, url, { version: versionIn(form.text, url), status: 'requested', targetAt: '2027-02-01' })).status).to.equal(303);
    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(applicantEn.email, /our target date moved/);
    expect(mail.text).to.include('Our target date moved from 12 Feb 2027 to 1 Feb 2027.');
    expect(mail.text).to.include('We aim to file by: 1 Feb 2027');
    expect(mail.text).to.include('By law, the file can be lodged between 31 Dec 2026 and 19 Feb 2027 (opens in 19 working days · closes in 49 working days)');
    expect(text(mail.html)).to.include('<li>By law, the file can be lodged between 31 Dec 2026 and 19 Feb 2027 (opens in 19 working days · closes in 49 working days)</li>');
  });

  it("once lodged, says the day it was lodged, not a countdown; a grant without its date asks for the grant's day; a decision dated on a day off is warned (en, vi)", async () => {
    clock = vn('2027-01-12');
    const c = await onboarding(applicantEn, [{ kind: 'work_permit', status: 'filed', filedAt: vn('2027-01-04'), dueAt: vnEndOfDay(vn('2027-01-18')), updatedAt: vn('2027-01-04') }]);
    const a = await signedIn(t, hrEn);
    const url = `/cases/${c._id}/procedures/work_permit`;
    let form = await page(a, url);
    expect(text(form.text)).to.include('<strong data-window>File between 31 Dec 2026 and 19 Feb 2027</strong> · <span data-window-left>lodged on 4 Jan 2027</span>');
    expect(text(form.text)).not.to.match(/data-window-left>[^<]*(opens|closes)/);
    expect(text((await page(await signedIn(t, hrVi), url)).text)).to.include('<span data-window-left>đã nộp ngày 4/1/2027</span>');
    // A grant with no date: the message is about the grant's day, not a refusal's reasons.
    const bare = await post(a, form.text, url, { version: versionIn(form.text, url), status: 'approved' });
    expect(bare.status).to.equal(422);
    expect(text(bare.text)).to.include('Enter the day the authority granted the file, as on its decision.');
    expect(/id="f-decidedAt-error"[^>]*>([^<]*)</.exec(bare.text)?.[1]).to.equal('Enter the day the authority granted the file, as on its decision.');
    expect((await Case.findById(c._id).lean())!.supportTracks![0]!.status).to.equal('filed');
    const refusal = await post(a, form.text, url, { version: versionIn(form.text, url), status: 'refused' });
    expect(text(refusal.text)).to.include('the refusal is recorded on that day, and its written reasons come with it');
    // Saturday 9 Jan 2027: saved (the decision says what it says) and warned, as a filing date on a day off is.
    form = await page(a, url);
    expect(form.text).not.to.include('data-decided-day-off-warning');
    expect((await post(a, form.text, url, { version: versionIn(form.text, url), status: 'approved', decidedAt: '2027-01-09' })).status).to.equal(303);
    const granted = text((await page(a, url)).text);
    expect(granted).to.include('The decision date recorded, 9 Jan 2027, is a Saturday:');
    expect(granted).to.include('<span data-window-left>lodged on 4 Jan 2027</span>');
    expect(text((await page(await signedIn(t, hrVi), url)).text)).to.include('Ngày quyết định đã ghi, 9/1/2027, là thứ Bảy:');
    // A working day: no warning.
    form = await page(a, url);
    expect((await post(a, form.text, url, { version: versionIn(form.text, url), status: 'approved', decidedAt: '2027-01-11' })).status).to.equal(303);
    expect((await page(a, url)).text).not.to.include('data-decided-day-off-warning');
  });

  it("offers in the case page's row only the statuses it can save and a link for the rest; housing's errors name no decree; the note is internal (en, vi)", async () => {
    clock = vn('2026-12-05');
    const c = await onboarding(applicantVi, [
      { kind: 'work_permit', status: 'requested', dueAt: vnEndOfDay(vn('2027-02-12')), updatedAt: vn('2026-12-04') },
      { kind: 'visa', status: 'filed', filedAt: vn('2026-12-01'), dueAt: vnEndOfDay(vn('2026-12-08')), updatedAt: vn('2026-12-04') },
      { kind: 'housing', status: 'requested', dueAt: vnEndOfDay(vn('2027-01-04')), updatedAt: vn('2026-12-04') },
    ]);
    const a = await signedIn(t, hrEn);
    const html = (await page(a, `/cases/${c._id}`)).text;
    const wp = rowOf(html, 'work_permit');
    expect(optionsIn(wp)).to.deep.equal(['not_needed', 'requested', 'preparing']);
    expect(text(wp)).to.match(/href="\/cases\/[a-f0-9]{24}\/procedures\/work_permit" data-record>Record the filing \/ decision…<\/a>/);
    expect(wp).to.include('>Internal note (not sent to the applicant)</label>');
    // A filed procedure keeps its own status (a note on it), not a new filing nor a decision.
    expect(optionsIn(rowOf(html, 'visa'))).to.deep.equal(['not_needed', 'requested', 'preparing', 'filed']);
    // The institute's own service is arranged without a date; a refusal needs a message, on its page.
    const housing = rowOf(html, 'housing');
    expect(optionsIn(housing)).to.deep.equal(['not_needed', 'requested', 'preparing', 'approved']);
    expect(text(housing)).to.include('data-record>Record the decision with a message to the applicant…</a>');
    // Its office is the institute's own, in charge of the service: not a state authority (the permit's is).
    expect(text(housing)).to.include("Institute's administration office <span class=\"muted small\">(the institute's office in charge)</span>");
    expect(text(housing)).not.to.include('competent');
    expect(text(wp)).to.include('(competent office)');
    const housingPage = text((await page(a, `/cases/${c._id}/procedures/housing`)).text);
    expect(housingPage).to.include("<dt>Office in charge (the institute's own service)</dt>");
    expect(housingPage).not.to.include('Competent office');
    // An old or tampered row posting "filed" for housing: no decree in the answer (en, vi).
    const v = versionIn(html, `/cases/${c._id}/support/housing`);
    const filed = await post(a, html, `/cases/${c._id}/support/housing`, { version: v, status: 'filed', note: 'asked admin' });
    expect(filed.status).to.equal(422);
    expect(text(filed.text)).to.include("This is the institute's own service: no law sets a deadline for it.");
    expect(filed.text).not.to.match(/decree/i);
    const vi = await signedIn(t, hrVi);
    const viHtml = (await page(vi, `/cases/${c._id}`)).text;
    expect(rowOf(viHtml, 'housing')).to.include('>Ghi chú nội bộ (không gửi cho ứng viên)</label>');
    expect(text(rowOf(viHtml, 'housing'))).to.include('Phòng Tổ chức – Hành chính của viện <span class="muted small">(đơn vị phụ trách của viện)</span>');
    expect(rowOf(viHtml, 'housing')).not.to.include('thẩm quyền');
    const viFiled = await post(vi, viHtml, `/cases/${c._id}/support/housing`, { version: v, status: 'filed' });
    expect(text(viFiled.text)).to.include('Đây là dịch vụ của viện: luật không quy định thời hạn.');
    expect(viFiled.text).not.to.match(/nghị định/i);
    // What the row offers, it saves: housing arranged, with the internal note.
    const ok = await post(a, html, `/cases/${c._id}/support/housing`, { version: v, status: 'approved', note: 'flat 12B' });
    expect(ok.status).to.equal(303);
    const stored = (await Case.findById(c._id).lean())!.supportTracks.find((s) => s.kind === 'housing')!;
    expect([stored.status, stored.note]).to.deep.equal(['approved', 'flat 12B']);
  });

  for (const lang of ['en', 'vi'] as const) {
    it(`lists on the 409 page every field the procedure's form sent, labelled, dates in the reader's format (${lang})`, async () => {
      clock = vn('2026-12-05');
      const c = await onboarding(applicantVi, [{ kind: 'housing', status: 'requested', dueAt: vnEndOfDay(vn('2027-01-04')), updatedAt: vn('2026-12-04') }]);
      const a = await signedIn(t, lang === 'en' ? hrEn : hrVi);
      const url = `/cases/${c._id}/procedures/housing`;
      const tabA = await page(a, url);
      const stamp = /name="track" value="(none|\d+)"/.exec(tabA.text)![1]!;
      // Tab B changes housing from the case page meanwhile.
      const tabB = await page(a, `/cases/${c._id}`);
      expect((await post(a, tabB.text, `/cases/${c._id}/support/housing`, { version: versionIn(tabB.text, `/cases/${c._id}/support/housing`), status: 'preparing' })).status).to.equal(303);
      const before = JSON.stringify((await Case.findById(c._id).lean())!.supportTracks);
      const stale = await post(a, tabA.text, url, { version: versionIn(tabA.text, url), track: stamp, status: 'approved', office: 'Admin office, room 3', decidedAt: '2026-12-04', message: 'Your flat is ready.', note: 'keys at the desk' });
      expect(stale.status).to.equal(409);
      const shown = text(stale.text);
      const sent = Object.fromEntries([...shown.matchAll(/<dt>([^<]*)<\/dt><dd data-sent="(\w+)">([^<]*)<\/dd>/g)].map((m) => [m[2], [m[1], m[3]]]));
      expect(sent).to.deep.equal(
        lang === 'en'
          ? { status: ['Status', 'Approved'], office: ['Office the file is lodged with', 'Admin office, room 3'], decidedAt: ['Decided on', '4 Dec 2026'] }
          : { status: ['Trạng thái', 'Đã được cấp'], office: [sent.office![0], 'Admin office, room 3'], decidedAt: ['Ngày quyết định', '4/12/2026'] },
      );
      expect(shown).to.match(/<textarea id="kept-message"[^>]*readonly>Your flat is ready.<\/textarea>/);
      expect(shown).to.match(/<textarea id="kept-note"[^>]*readonly>keys at the desk<\/textarea>/);
      expect(shown).to.include(lang === 'en' ? 'Internal note (HR only, never shown to the applicant)' : 'Ghi chú nội bộ (chỉ nhân sự xem, không hiển thị cho ứng viên)');
      expect(JSON.stringify((await Case.findById(c._id).lean())!.supportTracks)).to.equal(before);
    });
  }
});
