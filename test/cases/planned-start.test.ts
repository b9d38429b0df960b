// HR moves the planned start of work from the case page (server/cases/planned-start.ts): in
// onboarding the stage's deadline follows it, the timeline says both days and the moved deadline;
// a bad day or a missing reason is refused beside the fields in the officer's language, keeping what
// was typed; a stale form is a conflict page. The applicant gets one e-mail (written with the change,
// sent through the real SMTP server) with the new day, HR's words for them and the procedures' dates
// that moved; their page shows the day HR set, offer box included.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Types } from 'mongoose';
import { Case } from '../../models/case.ts';
import { User, type UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { seedHolidays, vnDateKey } from '../../server/calendar/index.ts';
import { signedIn, page, post, versionIn, text, deliver } from '../applications/support.ts';

/** 10:00 in Vietnam on that day. */
const vn = (day: string) => new Date(`${day}T03:00:00.000Z`);
const words = (html: string) => text(html.replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ');

describe('cases: HR moves the planned start from the case page', function () {
  this.timeout(60_000);
  let t: TestApp;
  const clock = vn('2027-03-01');
  let hr: UserDoc;
  let hrVi: UserDoc;
  let call: CallDoc;

  before(async () => {
    t = await startTestApp({ now: () => clock });
    await seedHolidays();
    const institute = await createInstitute();
    hr = await createUser({ role: 'hr_officer', institute, name: 'Officer One', locale: 'en' });
    hrVi = await createUser({ role: 'hr_officer', institute, name: 'Cán bộ Hà', locale: 'vi' });
    call = await createCall({ institute, checklist: [] });
  });
  after(async () => {
    await t?.close();
  });

  const url = (c: { _id: unknown }) => `/cases/${c._id}/planned-start`;

  it('in onboarding: the later day becomes the deadline, the timeline and the flash say so; the applicant is e-mailed once with HR\'s words', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en', name: 'Anna Berg' });
    const c = await createCase({ applicant, call, stage: 'onboarding', assignee: hr._id, stageEnteredAt: vn('2027-02-15'), stageDueAt: vn('2027-04-12'), stageDueCount: { from: vn('2027-02-15'), workingDays: 40 } });
    const a = await signedIn(t, hr);
    const p = await page(a, `/cases/${c._id}`);
    expect(p.text).to.include('id="change-planned-start"');
    // The message field says the applicant's language, as the other forms written to them do.
    expect(words(p.text)).to.include('Added to the e-mail and shown on the applicant’s page, in English: write in that language.');
    const res = await post(a, p.text, url(c), { version: versionIn(p.text, url(c)), plannedStart: '2027-06-01', plannedStartReason: 'The expert starts in June.', plannedStartTold: 'As agreed on the phone, you start on 1 June.' });
    expect(res.status).to.equal(303);
    const stored = (await Case.findById(c._id).lean())!;
    expect(vnDateKey(stored.stageDueAt!)).to.equal('2027-06-01');
    expect(stored.outbox.map((o) => o.template)).to.deep.equal(['planned_start_moved']);
    expect(stored.outbox[0]!.to).to.equal(applicant.email.toLowerCase());
    expect(stored.history.at(-1)!.plannedStart).to.deep.include({ told: true, toldText: 'As agreed on the phone, you start on 1 June.' });
    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(applicant.email, new RegExp(`\\[${c.reference}\\] Your planned start of work is now 1 Jun 2027`));
    expect(mail.text).to.include('Dear Anna Berg,');
    expect(mail.text).to.include('The HR office has changed your planned start of work to 1 Jun 2027.');
    expect(mail.text).to.include('From the HR office:\nAs agreed on the phone, you start on 1 June.');
    // HR's own reason and onboarding's deadline are HR's: not in the e-mail.
    expect(mail.text).not.to.include('The expert starts in June.');
    expect(mail.text).not.to.match(/Onboarding|12 Apr 2027/);
    const after = words((await page(a, `/cases/${c._id}`)).text);
    expect(after).to.include(`Planned start changed to 1 Jun 2027; onboarding is now due 1 Jun 2027. An e-mail to ${applicant.email.toLowerCase()} is on its way`);
    expect(after).to.include('Planned start: 1 Jun 2027.');
    expect(after).to.include('Onboarding due: 1 Jun 2027 (it was 12 Apr 2027).');
    expect(after).to.include('The expert starts in June.');
    expect(after).to.include('Told the applicant: As agreed on the phone, you start on 1 June.');
    // The applicant's timeline: the new day and what HR wrote them, never HR's reason.
    const mine = words((await page(await signedIn(t, applicant), `/applications/${c._id}`)).text);
    expect(mine).to.include('Planned start: 1 Jun 2027.');
    expect(mine).to.include('From the HR office: As agreed on the phone, you start on 1 June.');
    expect(mine).not.to.include('The expert starts in June.');
    expect(mine).not.to.include('Onboarding due');
  });

  it("moves the work permit's counted target with the start (shown to the applicant, why said, e-mailed with the new window; the offer box shows the new day), and leaves a target HR typed", async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'vi', name: 'Lê Văn Minh' });
    // Planned start Tue 1 Jun 2027: the counted target is 20 working days before it (rules.ts
    // lodgingTarget: the permit's 10, the visa's 5, a margin of 5), Tue 4 May. Moved to Thu 1 Jul:
    // Jun 30 (1) … Jun 17 (10) … Jun 10 (15), 9, 8, 7, 4, Thu 3 Jun (20), inside the new window (2 May – 21 Jun).
    const counted = { kind: 'work_permit', status: 'requested', dueAt: new Date('2027-05-04T16:59:59.999Z'), dueCount: { from: vn('2027-02-15'), workingDays: 10 }, updatedAt: vn('2027-02-15') };
    // The accepted offer named 1 Jun: the acceptance made it the planned start.
    const offerTerms = { position: 'Senior researcher', startOn: new Date('2027-06-01T00:00:00Z'), letter: new Types.ObjectId(), updatedAt: vn('2027-02-10') };
    const c = await createCase({ applicant, call, stage: 'onboarding', history: [{ at: vn('2027-02-01'), actor: hr._id, actorRole: 'leader', action: 'approve_offer', from: 'shortlisted', to: 'offer' }, { at: vn('2027-02-15'), actor: applicant._id, actorRole: 'applicant', action: 'accept_offer', from: 'offer', to: 'onboarding' }] as never, offerTerms, assignee: hr._id, stageEnteredAt: vn('2027-02-15'), profile: { fullName: 'Start Mover', plannedArrival: new Date('2027-06-01T00:00:00Z') } as never, supportTracks: [counted, { kind: 'visa', status: 'requested', updatedAt: vn('2027-02-15') }] as never });
    const typed = await createCase({ applicant, call, stage: 'onboarding', assignee: hr._id, stageEnteredAt: vn('2027-02-15'), profile: { fullName: 'Typed Target', plannedArrival: new Date('2027-06-01T00:00:00Z') } as never, supportTracks: [{ kind: 'work_permit', status: 'preparing', dueAt: new Date('2027-04-20T16:59:59.999Z'), updatedAt: vn('2027-02-15') }] as never });
    const a = await signedIn(t, hr);
    for (const k of [c, typed]) {
      const p = await page(a, `/cases/${k._id}`);
      expect((await post(a, p.text, url(k), { version: versionIn(p.text, url(k)), plannedStart: '2027-07-01', plannedStartReason: 'The expert starts in July.' })).status).to.equal(303);
    }
    const stored = (await Case.findById(c._id).lean())!;
    const permit = stored.supportTracks.find((s) => s.kind === 'work_permit')!;
    expect(vnDateKey(permit.dueAt!)).to.equal('2027-06-03');
    expect(permit.dueCount).to.deep.include({ workingDays: 10 });
    expect(stored.nextDueAt!.getTime()).to.be.at.most(permit.dueAt!.getTime());
    expect(stored.outbox.map((o) => o.template)).to.deep.equal(['planned_start_moved']);
    const event = stored.history.at(-1)!;
    expect(event).to.include({ action: 'support_update' });
    expect(event.procedure).to.deep.include({ kind: 'work_permit', applicantVisible: true });
    // One e-mail in the applicant's language (no message from HR this time): the new day and the old,
    // the permit's new target with the working days left and the old one, and its new filing window
    // (2 May – 21 Jun: 60 and 10 days before 1 Jul). The visa waits for the permit: no date of its own.
    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(applicant.email, new RegExp(`\\[${c.reference}\\] Ngày dự kiến bắt đầu làm việc của Ông/Bà nay là 1/7/2027`));
    expect(mail.text).to.include('Kính gửi Ông/Bà Lê Văn Minh,');
    expect(mail.text).to.include('Bộ phận nhân sự đã đổi ngày dự kiến bắt đầu làm việc của Ông/Bà thành 1/7/2027 (trước đây là 1/6/2027).');
    expect(mail.text).not.to.include('Lời nhắn của bộ phận nhân sự');
    expect(mail.text).to.match(/- Giấy phép lao động: Dự kiến nộp hồ sơ trước 3\/6\/2027 \(còn \d+ ngày làm việc\); trước đây là 4\/5\/2027\. Theo quy định, hồ sơ được nộp trong khoảng từ 2\/5\/2027 đến 21\/6\/2027 \(/);
    expect(mail.text).not.to.include('Thị thực');
    expect(mail.text).not.to.match(/(?<!\p{L})bạn(?!\p{L})/iu);
    // The applicant's page: the timeline says the target moved and why, and the offer box shows the
    // day HR set, when it changed and what the offer said (not the offer's day alone).
    const mine = words((await page(await signedIn(t, applicant), `/applications/${c._id}`)).text);
    expect(mine).to.include('Mốc dự kiến chuyển từ 4/5/2027 sang 3/6/2027');
    expect(mine).to.include('1/7/2027 (bộ phận nhân sự đã thay đổi ngày 1/3/2027; lời mời làm việc ghi 1/6/2027)');
    const kept = (await Case.findById(typed._id).lean())!;
    expect(vnDateKey(kept.supportTracks.find((s) => s.kind === 'work_permit')!.dueAt!)).to.equal('2027-04-20');
    expect(kept.history.at(-1)!.action).to.equal('plan_start');
  });

  it('writes no e-mail to a disabled account (the flash says none went), and refuses an over-long message to the applicant beside its field, keeping it', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await createCase({ applicant, call, stage: 'onboarding', assignee: hr._id, stageEnteredAt: vn('2027-02-15'), stageDueAt: vn('2027-04-12') });
    const a = await signedIn(t, hr);
    let p = await page(a, `/cases/${c._id}`);
    const long = 'x'.repeat(2001);
    const bad = await post(a, p.text, url(c), { version: versionIn(p.text, url(c)), plannedStart: '2027-06-01', plannedStartReason: 'Later.', plannedStartTold: long });
    expect(bad.status).to.equal(422);
    expect(words(bad.text)).to.include('The message to the applicant is too long (at most 2000 characters).');
    expect(bad.text).to.include(long);
    expect((await Case.findById(c._id).lean())!.version).to.equal(c.version);
    await User.updateOne({ _id: applicant._id }, { $set: { disabledAt: clock } });
    p = await page(a, `/cases/${c._id}`);
    expect((await post(a, p.text, url(c), { version: versionIn(p.text, url(c)), plannedStart: '2027-06-01', plannedStartReason: 'Later.', plannedStartTold: 'See you in June.' })).status).to.equal(303);
    const stored = (await Case.findById(c._id).lean())!;
    expect(vnDateKey(stored.profile!.plannedArrival!)).to.equal('2027-06-01');
    expect(stored.outbox).to.have.length(0);
    expect(stored.history.at(-1)!.plannedStart!.told ?? undefined).to.equal(undefined);
    const after = words((await page(a, `/cases/${c._id}`)).text);
    expect(after).to.include('Planned start changed to 1 Jun 2027; onboarding is now due 1 Jun 2027.');
    expect(after).not.to.include('is on its way');
  });

  it("while an offer naming a start waits for the answer, the page points to the offer's terms and a move is refused beside the day, nothing written", async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await createCase({ applicant, call, stage: 'offer', assignee: hr._id, stageEnteredAt: vn('2027-02-25'), stageDueAt: vn('2027-03-15') });
    await Case.updateOne({ _id: c._id }, { $set: { offerTerms: { position: 'Researcher', startOn: new Date('2027-05-03T00:00:00.000Z') } } });
    const a = await signedIn(t, hr);
    const p = await page(a, `/cases/${c._id}`);
    // Accepting makes the offer's day the planned start: a move here would be e-mailed, then undone.
    expect(p.text).not.to.include('id="change-planned-start"');
    expect(words(p.text)).to.include("The offer waiting for the applicant's answer names the start: change it in the offer's terms.");
    const res = await post(a, p.text, url(c), { version: String(c.version), plannedStart: '2027-06-01', plannedStartReason: 'Later.' });
    expect(res.status).to.equal(422);
    expect(words(res.text)).to.include("The offer waiting for the applicant's answer names the start (3 May 2027)");
    const stored = (await Case.findById(c._id).lean())!;
    expect(stored.version).to.equal(c.version);
    expect(stored.outbox).to.have.length(0);
  });

  for (const [who, says] of [
    // The days allowed are named: today to the end of the tenth year ahead.
    ['en', { past: 'The planned start cannot be before today: a day between ', reason: 'Give the reason for the change.' }],
    ['vi', { past: 'Ngày dự kiến bắt đầu không được trước ngày hôm nay: chọn một ngày từ ', reason: 'Vui lòng nêu lý do thay đổi.' }],
  ] as const) {
    it(`refuses a past day and a missing reason beside the fields, keeping what was typed (${who}); a stale form is a conflict; nothing written`, async () => {
      const applicant = await createUser({ role: 'applicant', locale: 'en' });
      const c = await createCase({ applicant, call, stage: 'onboarding', stageEnteredAt: vn('2027-02-15'), stageDueAt: vn('2027-04-12') });
      const a = await signedIn(t, who === 'en' ? hr : hrVi);
      const p = await page(a, `/cases/${c._id}`);
      const version = versionIn(p.text, url(c));
      const bad = await post(a, p.text, url(c), { version, plannedStart: '2027-02-01', plannedStartReason: '' });
      expect(bad.status).to.equal(422);
      expect(bad.text).to.include(says.past).and.include(says.reason);
      expect(bad.text).to.match(/name="plannedStart" type="text" value="01\/02\/2027"/);
      expect(bad.text).to.match(/<details id="change-planned-start" open>/);
      // Someone else changes the case meanwhile: the form's version is stale.
      await Case.updateOne({ _id: c._id }, { $inc: { version: 1 } });
      const stale = await post(a, p.text, url(c), { version, plannedStart: '2027-06-01', plannedStartReason: 'Later.' });
      expect(stale.status).to.equal(409);
      expect(stale.text).to.include('Later.');
      const stored = (await Case.findById(c._id).lean())!;
      expect(stored.version).to.equal(c.version + 1);
      expect(stored.profile?.plannedArrival ?? undefined).to.equal(undefined);
      expect(vnDateKey(stored.stageDueAt!)).to.equal('2027-04-12');
    });
  }
});
