// A planned start no work permit filing can meet any more (Decree 219/2025/ND-CP: lodged at least 10
// days before it), and the residence card's target after the start (Law 47/2014/QH13 Art. 36(2),
// 37: the card is for a foreigner who entered on the visa). Walk-proc #1–#3:
// - a closed window tells HR the earliest start a filing can still meet, and the applicant that
//   their start will move (vi, en);
// - HR's move of the planned start, and the offer's start day, sooner than that day are refused
//   beside the field naming it, nothing written; the day itself is taken;
// - once the visa is granted, the residence card's target is 5 working days after the planned
//   start (Tết 2027 off), not 5 after the grant, on the case and in the applicant's e-mail.
// Today is Saturday 5 Dec 2026: the authority next receives files on Monday 7 Dec, so the earliest
// start is 17 Dec 2026.
import { expect } from 'chai';
import type { TestApp } from '../support/app.ts';
import { createUser } from '../support/factories.ts';
import { createCase } from '../support/case-factories.ts';
import { Case } from '../../models/case.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { vnDateKey, vnEndOfDay } from '../../server/calendar/index.ts';
import { signedIn, page, post, versionIn, deliver, text } from '../applications/support.ts';
import { onboardingCase, procedureWorld, save, vn } from './support.ts';

const words = (html: string) => text(html.replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ');
const NO_SUPPORT = { workPermit: false, visa: false, residenceCard: false, housing: false, citizenship: false, family: false };

describe('procedures: a planned start no filing can meet, and the residence card after the start', function () {
  this.timeout(60_000);
  let t: TestApp;
  const clock = vn('2026-12-05');
  let hrEn: UserDoc;
  let hrVi: UserDoc;
  let call: CallDoc;

  before(async () => {
    ({ t, hrEn, hrVi, call } = await procedureWorld(() => clock));
  });
  after(async () => {
    await t?.close();
  });

  /** Onboarding, planned to start 10 Dec 2026: the window closed on 30 Nov, the permit not lodged. */
  const lateCase = (applicant: UserDoc) =>
    onboardingCase({ applicant, call, assignee: hrEn, fullName: 'Late Start', nationality: 'AU', start: '2026-12-10', entered: '2026-12-04', due: '2027-02-01', tracks: [{ kind: 'work_permit', status: 'requested', dueAt: vnEndOfDay(vn('2026-11-30')), updatedAt: vn('2026-12-04') }] });

  it('tells HR the earliest start a filing can meet (case row and procedure page, en and vi), and the applicant that their start will move', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'vi', name: 'Trần Thị Lan' });
    const c = await lateCase(applicant);
    const en = await signedIn(t, hrEn);
    const rowEn = words((await page(en, `/cases/${c._id}`)).text);
    expect(rowEn).to.include('File between 11 Oct 2026 and 30 Nov 2026 · closed 4 working days ago · no filing can meet this planned start any more: move the planned start to 17 Dec 2026 or later (the file is lodged at least 10 days before it), or set the procedure not needed');
    expect(words((await page(en, `/cases/${c._id}/procedures/work_permit`)).text)).to.include('move the planned start to 17 Dec 2026 or later');
    const vi = await signedIn(t, hrVi);
    expect(words((await page(vi, `/cases/${c._id}`)).text)).to.include('đã quá hạn cuối 4 ngày làm việc · không thể nộp kịp cho ngày dự kiến bắt đầu này: hãy đổi ngày dự kiến bắt đầu làm việc sang 17/12/2026 trở đi (nộp hồ sơ ít nhất 10 ngày trước ngày đó), hoặc đánh dấu thủ tục là không cần');
    const mine = words((await page(await signedIn(t, applicant), `/applications/${c._id}`)).text);
    expect(mine).to.include('đã quá hạn cuối 4 ngày làm việc · ngày dự kiến bắt đầu làm việc của Ông/Bà sẽ phải dời: bộ phận nhân sự sẽ báo Ông/Bà ngày mới qua e-mail');
    // Nothing meant for HR reaches the applicant.
    expect(mine).not.to.include('17/12/2026');
    expect(mine).not.to.include('đánh dấu thủ tục');
  });

  it('refuses HR moving the start sooner than that day beside the field, naming it and keeping what was typed, nothing written; takes the day itself and e-mails it', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en', name: 'Tom Walker' });
    const c = await lateCase(applicant);
    const a = await signedIn(t, hrVi);
    const url = `/cases/${c._id}/planned-start`;
    const p = await page(a, `/cases/${c._id}`);
    const bad = await post(a, p.text, url, { version: versionIn(p.text, url), plannedStart: '2026-12-16', plannedStartReason: 'Hạn nộp đã qua.', plannedStartTold: '' });
    expect(bad.status).to.equal(422);
    expect(words(bad.text)).to.include('Ngày này quá sớm để nộp hồ sơ giấy phép lao động: nghị định chỉ cho nộp ít nhất 10 ngày trước ngày bắt đầu làm việc (Nghị định 219/2025/NĐ-CP). Ngày gần nhất còn nộp kịp là 17/12/2026');
    expect(bad.text).to.match(/name="plannedStart" type="text" value="16\/12\/2026"/);
    expect(bad.text).to.include('Hạn nộp đã qua.');
    let stored = (await Case.findById(c._id).lean())!;
    expect(stored.version).to.equal(c.version);
    expect(vnDateKey(stored.profile!.plannedArrival!)).to.equal('2026-12-10');
    expect(stored.outbox).to.have.length(0);

    const p2 = await page(a, `/cases/${c._id}`);
    const ok = await post(a, p2.text, url, { version: versionIn(p2.text, url), plannedStart: '2026-12-17', plannedStartReason: 'Hạn nộp đã qua.', plannedStartTold: 'We moved your start so the work permit can still be filed.' });
    expect(ok.status).to.equal(303);
    stored = (await Case.findById(c._id).lean())!;
    expect(vnDateKey(stored.profile!.plannedArrival!)).to.equal('2026-12-17');
    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(applicant.email, /Your planned start of work is now 17 Dec 2026/);
    // The window for the new start is open until 7 Dec: the mail says so, with no closed window left.
    expect(text(mail.text)).to.include('By law, the file can be lodged between 18 Oct 2026 and 7 Dec 2026 (closes in 1 working day)');
  });

  it('refuses an offer whose start no work permit filing can meet (en), naming the earliest day; a citizen asking no permit may start sooner', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const offer = await createCase({ applicant, call, stage: 'offer', assignee: hrEn._id, stageDueAt: vn('2026-12-18'), profile: { fullName: 'Soon Start', nationality: 'DE' } as never, supportRequested: { ...NO_SUPPORT, workPermit: true } });
    const a = await signedIn(t, hrEn);
    const url = `/cases/${offer._id}/offer-terms`;
    const send = async (id: unknown, day: string) => {
      const p = await page(a, `/cases/${id}`);
      const u = `/cases/${id}/offer-terms`;
      return a.post(u).set('Accept', 'text/html').field('_csrf', /name="_csrf" value="([^"]+)"/.exec(p.text)![1]!).field('version', versionIn(p.text, u)).field('offerPosition', 'Senior researcher').field('offerStart', day).field('offerSalary', '').field('offerContractLength', '');
    };
    const bad = await send(offer._id, '2026-12-14');
    expect(bad.status).to.equal(422);
    expect(words(bad.text)).to.include('This start is too soon to lodge the file for the work permit that the applicant asked for: the decree allows it only at least 10 days before the start of work (Decree 219/2025/ND-CP). The earliest day a filing can still meet is 17 Dec 2026.');
    expect(bad.text).to.match(/name="offerStart" type="text" value="14\/12\/2026"/);
    expect((await Case.findById(offer._id).lean())!.offerTerms?.startOn ?? undefined).to.equal(undefined);
    expect((await send(offer._id, '2026-12-17')).status).to.equal(303);
    expect((await Case.findById(offer._id).lean())!.offerTerms!.startOn!.toISOString()).to.equal('2026-12-17T00:00:00.000Z');
    void url;

    const citizen = await createCase({ applicant: await createUser({ role: 'applicant', locale: 'vi' }), call, stage: 'offer', assignee: hrEn._id, stageDueAt: vn('2026-12-18'), profile: { fullName: 'Nguyễn Văn Hải', nationality: 'VN' } as never, supportRequested: { ...NO_SUPPORT, workPermit: true, housing: true } });
    expect((await send(citizen._id, '2026-12-08')).status).to.equal(303);
  });

  it('targets the residence card 5 working days after the planned start once the visa is granted (Tết 2027 off), on the case and in the e-mail, not 5 after the grant', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'vi', name: 'Jean-Luc Moreau' });
    const c = await createCase({
      applicant,
      call,
      stage: 'onboarding',
      assignee: hrEn._id,
      stageEnteredAt: vn('2026-12-04'),
      stageDueAt: vn('2027-02-01'),
      profile: { fullName: 'Jean-Luc Moreau', nationality: 'FR', plannedArrival: new Date('2027-02-01T00:00:00.000Z') } as never,
      supportTracks: [
        { kind: 'work_permit', status: 'approved', filedAt: vn('2026-12-04'), decidedAt: vn('2026-12-04'), updatedAt: vn('2026-12-04') },
        { kind: 'visa', status: 'filed', filedAt: vn('2026-12-04'), dueAt: vnEndOfDay(vn('2026-12-11')), updatedAt: vn('2026-12-04') },
        { kind: 'residence_card', status: 'requested', updatedAt: vn('2026-12-04') },
      ] as never,
    });
    const a = await signedIn(t, hrVi);
    const res = await save(a, `/cases/${c._id}/procedures/visa`, { status: 'approved', decidedAt: '2026-12-04', message: 'Thị thực đã được chấp thuận.' });
    expect(res.status).to.equal(303);
    const card = (await Case.findById(c._id).lean())!.supportTracks.find((s) => s.kind === 'residence_card')!;
    // 1 Feb 2027 + 5 working days: 2, 3, 4 Feb, then Tết (5–11 Feb), 12 and 15 Feb. Counted from
    // the grant it would have been 11 Dec 2026, weeks before the expert is in Vietnam.
    expect(vnDateKey(card.dueAt!)).to.equal('2027-02-15');
    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(applicant.email, /Thị thực: đã được cấp/);
    expect(text(mail.text)).to.include('Thẻ tạm trú: nay có thể tiến hành, dự kiến nộp hồ sơ trước 15/2/2027');
    expect(text(mail.text)).not.to.include('11/12/2026');
  });

  it('counts down to the window\'s last day on a refused work permit, with the refused filing, for HR to lodge it again (vi, en)', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'vi' });
    const c = await onboardingCase({ applicant, call, assignee: hrEn, fullName: 'Refused Once', nationality: 'FR', start: '2027-02-01', entered: '2026-12-01', due: '2027-02-01', tracks: [{ kind: 'work_permit', status: 'refused', filedAt: vn('2026-12-04'), decidedAt: vn('2026-12-04'), reasonsReceivedAt: vn('2026-12-04'), message: 'Bản dịch văn bằng chưa được chứng thực.', updatedAt: vn('2026-12-04') }] });
    // Window 3 Dec 2026 – 22 Jan 2027 (1 Feb less 60 and 10 days): from Saturday 5 Dec, 19 working
    // days in December and 15 in January (1 Jan off).
    const vi = words((await page(await signedIn(t, hrVi), `/cases/${c._id}/procedures/work_permit`)).text);
    expect(vi).to.include('Nộp hồ sơ trong khoảng từ 3/12/2026 đến 22/1/2027 · hồ sơ nộp ngày 4/12/2026 bị từ chối: nộp lại trong khoảng này · còn 34 ngày làm việc đến hạn cuối');
    const en = words((await page(await signedIn(t, hrEn), `/cases/${c._id}/procedures/work_permit`)).text);
    expect(en).to.include('File between 3 Dec 2026 and 22 Jan 2027 · the file lodged on 4 Dec 2026 was refused: lodge it again within this window · closes in 34 working days');
  });

  it('warns, not refuses, a residence card lodged before the planned start with no arrival recorded (en, vi)', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await createCase({
      applicant,
      call,
      stage: 'onboarding',
      assignee: hrEn._id,
      stageEnteredAt: vn('2026-12-01'),
      stageDueAt: vn('2027-02-01'),
      profile: { fullName: 'Card Early', nationality: 'FR', plannedArrival: new Date('2027-02-01T00:00:00.000Z') } as never,
      supportTracks: [
        { kind: 'work_permit', status: 'approved', filedAt: vn('2026-12-01'), decidedAt: vn('2026-12-03'), updatedAt: vn('2026-12-03') },
        { kind: 'visa', status: 'approved', filedAt: vn('2026-12-03'), decidedAt: vn('2026-12-04'), updatedAt: vn('2026-12-04') },
        { kind: 'residence_card', status: 'requested', dueAt: vnEndOfDay(vn('2027-02-15')), updatedAt: vn('2026-12-04') },
      ] as never,
    });
    for (const [who, said] of [
      [hrEn, 'The residence card filing day recorded, 4 Dec 2026, is before the planned start of work, 1 Feb 2027: a card is considered for a foreigner who entered on the visa (Law 47/2014/QH13, Art. 36, 37). Check the day.'],
      [hrVi, 'Ngày nộp thẻ tạm trú đã ghi, 3/12/2026, trước ngày dự kiến bắt đầu làm việc 1/2/2027: thẻ tạm trú được xét cho người nước ngoài đã nhập cảnh bằng thị thực (Luật 47/2014/QH13, Điều 36, 37). Hãy kiểm tra lại ngày.'],
    ] as const) {
      const a = await signedIn(t, who);
      const res = await save(a, `/cases/${c._id}/procedures/residence_card`, { status: 'filed', filedAt: who === hrEn ? '2026-12-04' : '2026-12-03' });
      expect(res.status).to.equal(303);
      expect(words((await page(a, res.headers.location!)).text)).to.include(said);
      expect((await Case.findById(c._id).lean())!.supportTracks.find((s) => s.kind === 'residence_card')!.status).to.equal('filed');
    }
  });

  it('tells HR, while the window is still open, that even a file lodged at once may be decided (permit, then visa) only after the planned start (en, vi); not the applicant', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await onboardingCase({ applicant, call, assignee: hrEn, fullName: 'Tight Start', nationality: 'GB', start: '2026-12-18', entered: '2026-12-04', due: '2027-02-01', tracks: [{ kind: 'work_permit', status: 'requested', dueAt: vnEndOfDay(vn('2026-12-08')), updatedAt: vn('2026-12-04') }, { kind: 'visa', status: 'requested', updatedAt: vn('2026-12-04') }] });
    // Lodged on Monday 7 Dec, the permit's 10 working days and the visa's 5 run to Monday 28 Dec.
    const en = words((await page(await signedIn(t, hrEn), `/cases/${c._id}`)).text);
    expect(en).to.include('File between 19 Oct 2026 and 8 Dec 2026 · closes in 2 working days · even lodged at once, the decision times of the permit and the visa after it (15 working days) may run to 28 Dec 2026, after the planned start: consider moving the planned start');
    const vi = words((await page(await signedIn(t, hrVi), `/cases/${c._id}/procedures/work_permit`)).text);
    expect(vi).to.include('nộp ngay thì thời hạn giải quyết giấy phép và thị thực sau đó (15 ngày làm việc) có thể kéo dài đến 28/12/2026, sau ngày dự kiến bắt đầu: cân nhắc dời ngày dự kiến bắt đầu làm việc');
    const mine = words((await page(await signedIn(t, applicant), `/applications/${c._id}`)).text);
    expect(mine).to.include('By law, the file can be lodged between 19 Oct 2026 and 8 Dec 2026 (closes in 2 working days)');
    expect(mine).not.to.include('consider moving');
  });

  it('moves a counted residence card target with the planned start HR moves (Tết 2027 off), and e-mails the new day', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'vi', name: 'Claire Moreau' });
    const c = await createCase({
      applicant,
      call,
      stage: 'onboarding',
      assignee: hrEn._id,
      stageEnteredAt: vn('2026-12-01'),
      stageDueAt: vn('2027-03-01'),
      profile: { fullName: 'Card Follows', nationality: 'FR', plannedArrival: new Date('2027-03-01T00:00:00.000Z') } as never,
      supportTracks: [
        { kind: 'work_permit', status: 'approved', filedAt: vn('2026-12-01'), decidedAt: vn('2026-12-03'), updatedAt: vn('2026-12-03') },
        { kind: 'visa', status: 'approved', filedAt: vn('2026-12-03'), decidedAt: vn('2026-12-04'), updatedAt: vn('2026-12-04') },
        // Counted from the visa's grant on 4 Dec; 5 working days after the start of 1 Mar 2027: 8 Mar.
        { kind: 'residence_card', status: 'requested', dueAt: vnEndOfDay(vn('2027-03-08')), dueCount: { from: vn('2026-12-04'), workingDays: 5 }, updatedAt: vn('2026-12-04') },
      ] as never,
    });
    const a = await signedIn(t, hrVi);
    const url = `/cases/${c._id}/planned-start`;
    const p = await page(a, `/cases/${c._id}`);
    const res = await post(a, p.text, url, { version: versionIn(p.text, url), plannedStart: '2027-02-01', plannedStartReason: 'Phòng thí nghiệm sẵn sàng sớm hơn.', plannedStartTold: '' });
    expect(res.status).to.equal(303);
    const card = (await Case.findById(c._id).lean())!.supportTracks.find((s) => s.kind === 'residence_card')!;
    // 1 Feb 2027 + 5 working days: 2, 3, 4 Feb, Tết (5–11 Feb), 12 and 15 Feb.
    expect(vnDateKey(card.dueAt!)).to.equal('2027-02-15');
    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(applicant.email, /1\/2\/2027/);
    expect(text(mail.text)).to.include('15/2/2027');
    expect(text(mail.text)).to.include('trước đây là 8/3/2027');
  });
});
