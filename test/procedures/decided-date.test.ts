// The dates HR types on a procedure, over HTTP on a test clock: the day the authority decided (a
// grant or a refusal; a refusal comes with its written reasons, Decree 219/2025/ND-CP, and those the
// authority did not give are owed by the decision deadline, not from the decision), shown on both
// sides and e-mailed;
// bad decision dates refused with a message in the officer's language, keeping what was typed;
// and the institute's target before filing ("We aim to file by") moved by HR, which e-mails the
// applicant the old and the new date once, and nothing on an unchanged resubmit.
import { expect } from 'chai';
import type { TestApp } from '../support/app.ts';
import { createUser } from '../support/factories.ts';
import { createCase } from '../support/case-factories.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { loadCalendar, vnDateKey, vnEndOfDay } from '../../server/calendar/index.ts';
import { signedIn, page, post, versionIn, deliver, text } from '../applications/support.ts';
import { procedureWorld, save, snapshot, vn } from './support.ts';

const endOf = (day: string) => vnEndOfDay(vn(day));

describe('procedures: the dates HR types (the decision, the target before filing)', () => {
  let t: TestApp;
  let clock = vn('2027-02-12');
  let hrEn: UserDoc;
  let hrVi: UserDoc;
  let applicantVi: UserDoc;
  let applicantEn: UserDoc;
  let call: CallDoc;

  before(async () => {
    ({ t, hrEn, hrVi, call } = await procedureWorld(() => clock));
    applicantVi = await createUser({ role: 'applicant', locale: 'vi', name: 'Trần Thị Bình' });
    applicantEn = await createUser({ role: 'applicant', locale: 'en', name: 'Anna Schmidt' });
  });
  after(async () => {
    await t?.close();
  });

  function filedCase(applicant: UserDoc, filedOn: string): Promise<CaseDoc> {
    return createCase({
      applicant,
      call,
      stage: 'onboarding',
      assignee: hrEn._id,
      supportTracks: [
        { kind: 'work_permit', status: 'filed', filedAt: vn(filedOn), dueAt: endOf('2027-02-25'), updatedAt: vn(filedOn) },
        { kind: 'housing', status: 'preparing', dueAt: endOf('2027-03-01'), updatedAt: vn(filedOn) },
      ],
    });
  }

  it('records a refusal on the day the authority decided, not the day HR records it; reasons it did not give are owed by the decision deadline, not counted from the refusal; shows and e-mails that day', async () => {
    // Recorded on Friday 12 Feb 2027, the Department refused on Wednesday 3 Feb, before Tết (5–11 Feb).
    clock = vn('2027-02-12');
    const c = await filedCase(applicantVi, '2027-01-27');
    const a = await signedIn(t, hrEn);
    const url = `/cases/${c._id}/procedures/work_permit`;
    const form = await page(a, url);
    // A new decision's date is empty: HR types the authority's day.
    expect(form.text).to.match(/id="f-decidedAt" name="decidedAt" type="text" value=""/);
    const res = await post(a, form.text, url, { version: versionIn(form.text, url), status: 'refused', decidedAt: '2027-02-03', reasonsMissing: 'yes', message: 'Giấy phép bị từ chối; chúng tôi sẽ nộp lại.' });
    expect(res.status).to.equal(303);
    const after = (await Case.findById(c._id).lean())!;
    const wp = after.supportTracks.find((s) => s.kind === 'work_permit')!;
    expect(vnDateKey(wp.decidedAt!)).to.equal('2027-02-03');
    expect(vnDateKey(wp.refusedAt!)).to.equal('2027-02-03');
    // Owed by the decision deadline that ran (Thu 25 Feb), not 3 working days after the refusal
    // (Thu 4 Feb (1), Tết 5–11, Fri 12 (2), Mon 15 (3)), as an earlier reading had it.
    expect(wp.reasonsMissing).to.equal(true);
    expect(vnDateKey(wp.reasonsDueAt!)).to.equal('2027-02-25');
    const event = after.history.at(-1)!.procedure!;
    expect(vnDateKey(event.decidedAt!)).to.equal('2027-02-03');
    expect(event.reasonsMissing).to.equal(true);
    expect(event.reasonsDueAt).to.equal(undefined);

    // The applicant's e-mail, in Vietnamese: the decision's day; the reasons chased, with no date.
    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(applicantVi.email, /đã từ chối/);
    expect(mail.text).to.include('Ngày quyết định: 3/2/2027');
    expect(mail.text).to.include('chưa nêu lý do bằng văn bản');
    expect(mail.text).not.to.match(/25\/2\/2027|15\/2\/2027/);
    expect(mail.html).to.include('<li>Ngày quyết định: 3/2/2027</li>');
    expect(mail.text).not.to.include('Decided on');

    // Their page and timeline; HR's page, timeline and the form keeping the date to correct.
    const mine = text((await page(await signedIn(t, applicantVi), `/applications/${c._id}`)).text);
    expect(mine).to.include('Ngày quyết định: 3/2/2027');
    expect(mine).to.include('Quyết định ngày 3/2/2027');
    const hr = text((await page(a, `/cases/${c._id}`)).text);
    expect(hr).to.include('Decided on: 3 Feb 2027');
    expect(hr).to.include('Decided on 3 Feb 2027');
    expect((await page(a, url)).text).to.match(/id="f-decidedAt" name="decidedAt" type="text" value="03\/02\/2027"/);
  });

  for (const [lang, who] of [['en', () => hrEn], ['vi', () => hrVi]] as const) {
    it(`refuses a grant or refusal without the decision's date, with one in the future or before the filing (422, ${lang}), keeping what was typed and storing nothing`, async () => {
      clock = vn('2027-02-04');
      const c = await filedCase(applicantVi, '2027-02-01');
      const a = await signedIn(t, who());
      const url = `/cases/${c._id}/procedures/work_permit`;
      const form = await page(a, url);
      const v = versionIn(form.text, url);
      const before = await snapshot(c);
      const message = 'Refused; we lodge it again.';

      const missing = await post(a, form.text, url, { version: v, status: 'refused', message });
      expect(missing.status).to.equal(422);
      expect(text(missing.text)).to.include(lang === 'en' ? 'Enter the day the authority decided, as on its decision' : 'Nhập ngày cơ quan có thẩm quyền quyết định, theo văn bản quyết định');
      expect(missing.text).to.include('aria-invalid="true" aria-describedby="f-decidedAt-error"');
      expect(text(missing.text)).to.include(message);

      const future = await post(a, form.text, url, { version: v, status: 'approved', decidedAt: '2027-02-05' });
      expect(future.status).to.equal(422);
      expect(text(future.text)).to.include(lang === 'en' ? 'The date of the decision cannot be in the future.' : 'Ngày quyết định không được ở tương lai.');
      expect(future.text).to.match(/id="f-decidedAt" name="decidedAt" type="text" value="05\/02\/2027"/);

      const early = await post(a, form.text, url, { version: v, status: 'refused', decidedAt: '2027-01-29', message });
      expect(early.status).to.equal(422);
      expect(text(early.text)).to.include(lang === 'en' ? 'The date of the decision is before the filing of 1 Feb 2027' : 'Ngày quyết định trước ngày nộp hồ sơ 1/2/2027');
      expect(early.text).to.match(/id="f-decidedAt" name="decidedAt" type="text" value="29\/01\/2027"/);

      const noDay = await post(a, form.text, url, { version: v, status: 'approved', decidedAt: '2027-02-30' });
      expect(noDay.status).to.equal(422);
      expect(text(noDay.text)).to.include(lang === 'en' ? 'There is no such day on the calendar' : 'Lịch không có ngày này');

      // The case page's quick form (status only) opens the procedure's page for the date, the status kept.
      const casePage = await page(a, `/cases/${c._id}`);
      const quick = await post(a, casePage.text, `/cases/${c._id}/support/work_permit`, { version: versionIn(casePage.text, `/cases/${c._id}/support/work_permit`), status: 'approved' });
      expect(quick.status).to.equal(422);
      expect(quick.text).to.include('aria-describedby="f-decidedAt-error"');
      expect(quick.text).to.match(/<option value="approved" selected>/);
      expect(await snapshot(c)).to.deep.equal(before);

      // The institute's own service (housing) is not asked for one: it keeps today's behaviour.
      expect((await save(a, `/cases/${c._id}/procedures/housing`, { status: 'approved' })).status).to.equal(303);
      // The day itself: granted.
      expect((await save(a, url, { status: 'approved', decidedAt: '2027-02-04' })).status).to.equal(303);
      const wp = (await Case.findById(c._id).lean())!.supportTracks.find((s) => s.kind === 'work_permit')!;
      expect([wp.status, vnDateKey(wp.decidedAt!)]).to.deep.equal(['approved', '2027-02-04']);
    });
  }

  it('e-mails the applicant a target before filing that HR moved, with the old and the new date and the working days left; once, and not on an unchanged resubmit', async () => {
    clock = vn('2027-03-01'); // a Monday
    const c = await createCase({
      applicant: applicantEn,
      call,
      stage: 'onboarding',
      assignee: hrEn._id,
      supportTracks: [
        { kind: 'work_permit', status: 'requested', dueAt: endOf('2027-03-15'), dueCount: { from: vn('2027-02-22'), workingDays: 15 }, updatedAt: vn('2027-02-22') },
        { kind: 'visa', status: 'requested', updatedAt: vn('2027-02-22') },
      ],
    });
    const a = await signedIn(t, hrEn);
    const url = `/cases/${c._id}/procedures/work_permit`;
    const form = await page(a, url);
    // The target the applicant was told, to move.
    expect(form.text).to.match(/id="f-targetAt" name="targetAt" type="text" value="15\/03\/2027"/);
    expect(text(form.text)).to.include('We aim to file by');
    const v = versionIn(form.text, url);

    // In the past, or for a procedure that waits for another: refused, nothing stored.
    const untouched = await snapshot(c);
    const past = await post(a, form.text, url, { version: v, status: 'requested', targetAt: '2027-02-26' });
    expect(past.status).to.equal(422);
    expect(text(past.text)).to.include('The target date cannot be in the past');
    expect(past.text).to.match(/id="f-targetAt" name="targetAt" type="text" value="26\/02\/2027"/);
    const visaUrl = `/cases/${c._id}/procedures/visa`;
    const waiting = await post(a, form.text, visaUrl, { version: v, status: 'requested', targetAt: '2027-03-20' });
    expect(waiting.status).to.equal(422);
    expect(text(waiting.text)).to.include('This procedure waits for another to be granted: it has no target until then.');
    expect(await snapshot(c)).to.deep.equal(untouched);

    const moved = await post(a, form.text, url, { version: v, status: 'requested', targetAt: '2027-03-22' });
    expect(moved.status).to.equal(303);
    const after = (await Case.findById(c._id).lean())!;
    const wp = after.supportTracks.find((s) => s.kind === 'work_permit')!;
    expect(vnDateKey(wp.dueAt!)).to.equal('2027-03-22');
    // Typed by hand: no count, so a holiday added later does not move it (server/cases/deadline-recount.ts).
    expect(wp.dueCount).to.equal(undefined);
    const event = after.history.at(-1)!.procedure!;
    expect([vnDateKey(event.targetFrom!), vnDateKey(event.targetTo!), event.applicantVisible]).to.deep.equal(['2027-03-15', '2027-03-22', true]);

    // The double click (the same form, its version now stale): already so, nothing more written.
    const once = await snapshot(c);
    expect((await post(a, form.text, url, { version: v, status: 'requested', targetAt: '2027-03-22' })).status).to.equal(303);
    expect(await snapshot(c)).to.deep.equal(once);

    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(applicantEn.email, /Work permit: our target date moved/);
    const left = (await loadCalendar()).workingDaysBetween(clock, endOf('2027-03-22'));
    expect(mail.text).to.include('Our target date moved from 15 Mar 2027 to 22 Mar 2027.');
    expect(mail.text).to.include(`We aim to file by: 22 Mar 2027 (${left} working days left)`);
    expect(mail.html).to.include('Our target date moved from 15 Mar 2027 to 22 Mar 2027.');
    expect(t.smtp.to(applicantEn.email).filter((m) => m.subject.includes('target date moved'))).to.have.length(1);

    // A fresh form sent back unchanged: nothing written, no e-mail (walk-staff #3: its history line
    // read "a message from the HR office" with no message on HR's timeline).
    const unchanged = await snapshot(c);
    expect((await save(a, url, { status: 'requested', targetAt: '2027-03-22' })).status).to.equal(303);
    expect(await snapshot(c)).to.deep.equal(unchanged);
    await deliver(t, c._id);
    expect(t.smtp.to(applicantEn.email).filter((m) => m.subject.includes('target date moved'))).to.have.length(1);

    // The applicant's timeline says it, in their language.
    const mine = text((await page(await signedIn(t, applicantEn), `/applications/${c._id}`)).text);
    expect(mine).to.include('Target moved from 15 Mar 2027 to 22 Mar 2027');
    expect(mine).to.include('We aim to file by');
  });

  it('keeps a moved target inside the work permit\'s filing window (60 to 10 days before the planned start, Decree 219/2025/ND-CP), saying the nearest day in it (en, vi)', async () => {
    clock = vn('2027-03-01');
    const c = await createCase({
      applicant: applicantEn,
      call,
      stage: 'onboarding',
      assignee: hrEn._id,
      profile: { fullName: 'Window Case', plannedArrival: vn('2027-04-01') } as never,
      supportTracks: [{ kind: 'work_permit', status: 'preparing', dueAt: endOf('2027-03-15'), updatedAt: vn('2027-02-22') }],
    });
    const url = `/cases/${c._id}/procedures/work_permit`;
    const before = await snapshot(c);
    const en = await save(await signedIn(t, hrEn), url, { status: 'preparing', targetAt: '2027-03-25' });
    expect(en.status).to.equal(422);
    expect(text(en.text)).to.include('The target must stay inside the filing window the decree allows: the nearest day in it is 22 Mar 2027.');
    const vi = await save(await signedIn(t, hrVi), url, { status: 'preparing', targetAt: '2027-03-25' });
    expect(text(vi.text)).to.include('ngày gần nhất trong khoảng đó là 22/3/2027');
    expect(await snapshot(c)).to.deep.equal(before);
    expect((await save(await signedIn(t, hrEn), url, { status: 'preparing', targetAt: '2027-03-22' })).status).to.equal(303);
  });
});
