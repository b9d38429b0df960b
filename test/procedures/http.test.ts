// The procedures over HTTP, on a test clock: an officer files a work permit (deadline on the
// holiday calendar, office recorded, the applicant e-mailed in their own language and told on their
// timeline in their language without internal codes or HR's note); every refusal in Vietnamese and
// English (bad status, card ending before it starts, stale version, wrong role or institute,
// `$`-keys) changes nothing; a refusal comes with its written reasons, and those the authority did
// not give are owed by the decision deadline, chased by HR with no date of their own for the applicant.
import { expect } from 'chai';
import type { TestApp } from '../support/app.ts';
import { createUser } from '../support/factories.ts';
import { createCase } from '../support/case-factories.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { CaseDocument } from '../../models/document.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import type { InstituteDoc } from '../../models/institute.ts';
import { vnDateKey } from '../../server/calendar/index.ts';
import { signedIn, page, post, versionIn, deliver, text } from '../applications/support.ts';
import { procedureWorld, save, snapshot, vn } from './support.ts';
import { renderEmail } from '../../server/mail/render.ts';
import { loadCalendar, procedureEmail } from '../../server/procedures/service.ts';


describe('procedures: HR changes a procedure over HTTP', () => {
  let t: TestApp;
  let clock = vn('2027-02-04');
  let hrEn: UserDoc;
  let hrVi: UserDoc;
  let leader: UserDoc;
  let otherHr: UserDoc;
  let applicant: UserDoc;
  let call: CallDoc;

  before(async () => {
    let institute: InstituteDoc;
    ({ t, institute, hrEn, hrVi, call } = await procedureWorld(() => clock));
    leader = await createUser({ role: 'leader', institute });
    otherHr = await createUser({ role: 'hr_officer', name: 'Elsewhere' });
    applicant = await createUser({ role: 'applicant', locale: 'vi', name: 'Nguyễn Văn An' });
  });
  after(async () => {
    await t?.close();
  });

  async function onboardingCase(): Promise<CaseDoc> {
    return createCase({ applicant, call, stage: 'onboarding', assignee: hrEn._id, supportTracks: [{ kind: 'work_permit', status: 'requested', dueAt: vn('2027-02-10'), updatedAt: vn('2027-01-20') }, { kind: 'residence_card', status: 'requested', updatedAt: vn('2027-01-20') }] });
  }

  it('files a work permit: legal deadline across Tết, office recorded, the applicant e-mailed in their language only and told on their timeline in Vietnamese', async () => {
    clock = vn('2027-02-04');
    const c = await onboardingCase();
    const a = await signedIn(t, hrEn);
    const p = await page(a, `/cases/${c._id}`);
    expect(p.status).to.equal(200);
    expect(p.text).to.include('data-track="work_permit"');
    expect(p.text).to.include('Decree 219/2025/ND-CP');
    const form = await page(a, `/cases/${c._id}/procedures/work_permit`);
    expect(form.status).to.equal(200);
    expect(text(form.text)).to.include('decision within 10 working days of a complete file');
    const v = versionIn(form.text, `/cases/${c._id}/procedures/work_permit`);
    const res = await post(a, form.text, `/cases/${c._id}/procedures/work_permit`, { version: v, status: 'filed', office: 'Sở Nội vụ Hà Nội', filedAt: '2027-02-04', note: 'Courier ref 123 — internal' });
    expect(res.status).to.equal(303);
    const after = (await Case.findById(c._id).lean())!;
    const wp = after.supportTracks.find((s) => s.kind === 'work_permit')!;
    expect(wp.status).to.equal('filed');
    expect(wp.office).to.equal('Sở Nội vụ Hà Nội');
    expect(vnDateKey(wp.filedAt!)).to.equal('2027-02-04');
    expect(vnDateKey(wp.dueAt!)).to.equal('2027-02-25'); // 10 working days after 4 Feb, Tết 5–11 Feb off
    const event = after.history.at(-1)!;
    expect(event.procedure).to.deep.include({ kind: 'work_permit', from: 'requested', to: 'filed', applicantVisible: true });
    // The case page: the deadline as a date and in working days.
    const shown = text((await page(a, `/cases/${c._id}`)).text);
    expect(shown).to.include('10 working days left');
    expect(shown).to.include('Sở Nội vụ Hà Nội');

    // The applicant's e-mail, in their language (Vietnamese) only, like every other e-mail.
    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(applicant.email, /Giấy phép lao động/);
    expect(mail.subject).to.equal(`[${c.reference}] Giấy phép lao động: hồ sơ đã được nộp cho cơ quan có thẩm quyền`);
    expect(mail.text).to.include('Thủ tục: Giấy phép lao động — ');
    expect(mail.raw.headers.get('content-language')).to.equal('vi');
    expect(mail.text).to.include('Dự kiến có quyết định trước: 25/2/2027 (còn 10 ngày làm việc)');
    expect(mail.html).to.include('Dự kiến có quyết định trước: 25/2/2027 (còn 10 ngày làm việc)');
    expect(mail.text).to.include('Căn cứ: Nghị định 219/2025/NĐ-CP');
    for (const english of ['Work permit', 'English', 'the file has been lodged', 'Legal basis', 'Dear ']) {
      expect(mail.subject + mail.text + mail.html, english).not.to.include(english);
    }
    expect(mail.text).to.include('Sở Nội vụ Hà Nội');
    expect(mail.text).not.to.include('Courier ref');

    // The applicant's page, in Vietnamese: the procedure and the timeline line, no codes, no HR note.
    const me = await signedIn(t, applicant);
    const mine = text((await page(me, `/applications/${c._id}`)).text);
    expect(mine).to.include('Giấy phép lao động: hồ sơ đã được nộp cho cơ quan có thẩm quyền');
    expect(mine).to.include('Nộp ngày');
    // The date is the decision's once filed, never read as the filing target.
    expect(mine).to.include('Dự kiến có quyết định trước: 25/2/2027');
    // And what it counts from, as HR's procedure page says it.
    expect(mine).to.include('<span data-counted-from>tính từ ngày 4/2/2027 (ngày nộp hồ sơ)</span>');
    expect(text((await page(a, `/cases/${c._id}/procedures/work_permit`)).text)).to.include('<span data-counted-from>counted from 4 Feb 2027 (the day the file was lodged)</span>');
    expect(mine).not.to.include('Dự kiến trước:');
    expect(mine).not.to.include('work_permit:');
    expect(mine).not.to.match(/requested → |→ filed|requested|preparing/);
    expect(mine).not.to.include('Courier ref');
  });

  it('shows the applicant a passed deadline as a warning saying who is late and that HR follows it up, and reasons still owed (a refusal stored with the earlier reasons date) as chased, with no date (en, vi)', async () => {
    clock = vn('2027-03-05'); // a Friday
    const tracks = [
      { kind: 'work_permit', status: 'filed', filedAt: vn('2027-02-18'), dueAt: new Date('2027-03-04T16:59:59.999Z'), updatedAt: vn('2027-02-18') },
      { kind: 'citizenship', status: 'preparing', dueAt: new Date('2027-03-03T16:59:59.999Z'), updatedAt: vn('2027-02-18') },
      { kind: 'work_permit_exemption', status: 'refused', filedAt: vn('2027-02-10'), refusedAt: vn('2027-02-26'), reasonsDueAt: new Date('2027-03-03T16:59:59.999Z'), updatedAt: vn('2027-02-26') },
    ];
    const english = await createUser({ role: 'applicant', locale: 'en' });
    for (const [who, expected] of [
      [english, ['Decision expected by: 4 Mar 2027 (1 working day overdue)', 'The authority has not decided within the time the law gives it. The HR office is following it up with them; there is nothing for you to do unless we ask you.', 'We aim to file by: 3 Mar 2027 (2 working days overdue)', 'We have not kept to our own target date here. The HR office is on it', 'The authority refused without giving its reasons in writing, which it has to give with its decision. The HR office has asked the authority for them and will pass them on to you', 'What happens now: the HR office will contact you about lodging the file again']],
      [applicant, ['Dự kiến có quyết định trước: 4/3/2027 (quá hạn 1 ngày làm việc)', 'Cơ quan có thẩm quyền chưa giải quyết trong thời hạn luật định. Bộ phận nhân sự đang theo dõi, đôn đốc; Ông/Bà không cần làm gì trừ khi chúng tôi đề nghị.', 'Dự kiến nộp hồ sơ trước: 3/3/2027 (quá hạn 2 ngày làm việc)', 'Viện chưa hoàn thành đúng mốc thời gian đã đặt ra.', 'Cơ quan có thẩm quyền từ chối mà chưa nêu lý do bằng văn bản, trong khi lý do phải có cùng quyết định. Bộ phận nhân sự đã đề nghị cơ quan gửi', 'Tiếp theo: bộ phận nhân sự sẽ liên hệ với Ông/Bà về việc nộp lại hồ sơ']],
    ] as const) {
      const c = await createCase({ applicant: who, call, stage: 'onboarding', assignee: hrEn._id, supportTracks: tracks });
      const html = (await page(await signedIn(t, who), `/applications/${c._id}`)).text;
      const shown = text(html);
      for (const line of expected) expect(shown).to.include(line);
      // Each passed date is set apart as a warning, not left as plain text; the reasons have no date for the applicant.
      expect(html.match(/class="small notice-warn" data-(?:deadline|reasons) data-overdue/g)).to.have.length(2);
      expect(shown).not.to.include('must give its reasons in writing by');
      expect(html).to.match(/data-reasons>[^<]+</);
      expect(html).not.to.match(/data-reasons>[^<]*(3 Mar 2027|3\/3\/2027)/);
    }
  });

  it('starts no reasons clock on a refusal: reasons the authority did not give are recorded as owed by the decision deadline, shown to HR as not received', async () => {
    // Filed Wed 20 Jan 2027: the decision is due Wed 3 Feb (10 working days).
    clock = vn('2027-01-20');
    const c = await onboardingCase();
    const url = `/cases/${c._id}/procedures/work_permit`;
    expect(await save(await signedIn(t, hrVi), url, { status: 'filed', filedAt: '2027-01-20' })).to.have.property('status', 303);
    // The page offers to record a refusal without its reasons, and says the law's rule.
    const form = await page(await signedIn(t, hrEn), url);
    expect(form.text).to.include('name="reasonsMissing"');
    expect(text(form.text)).to.include('a refusal comes in writing with its reasons, within the same time');
    expect(text(form.text)).not.to.match(/explained in writing within \d/);
    // Refused on 3 Feb without written reasons, recorded on Thu 4 Feb.
    clock = vn('2027-02-04');
    const a = await signedIn(t, hrVi);
    const res = await save(a, url, { status: 'refused', decidedAt: '2027-02-03', reasonsMissing: 'yes', message: 'Giấy phép bị từ chối; chúng tôi đã đề nghị cơ quan gửi lý do.' });
    expect(res.status).to.equal(303);
    const after = (await Case.findById(c._id).lean())!;
    const wp = after.supportTracks.find((s) => s.kind === 'work_permit')!;
    expect(wp.reasonsMissing).to.equal(true);
    expect(vnDateKey(wp.reasonsDueAt!)).to.equal('2027-02-03'); // the decision deadline, not 3 working days after the refusal (15 Feb across Tết)
    expect(after.history.at(-1)!.procedure).to.deep.include({ to: 'refused', reasonsMissing: true });
    const shown = text((await page(a, `/cases/${c._id}`)).text);
    expect(shown).to.include('<strong>Chưa nhận được văn bản nêu lý do từ chối</strong> · phải có cùng quyết định, chậm nhất ngày 3/2/2027 · <span class="late">quá hạn 1 ngày làm việc</span>');
    expect(shown).to.include('Quyết định bước tiếp theo: chuyển sang “Đang chuẩn bị hồ sơ” để nộp lại');
    // A refusal with its reasons (the box left empty) owes nothing: no reasons line, no date.
    const other = await onboardingCase();
    clock = vn('2027-01-20');
    expect(await save(await signedIn(t, hrEn), `/cases/${other._id}/procedures/work_permit`, { status: 'filed', filedAt: '2027-01-20' })).to.have.property('status', 303);
    clock = vn('2027-02-04');
    const b = await signedIn(t, hrEn);
    expect(await save(b, `/cases/${other._id}/procedures/work_permit`, { status: 'refused', decidedAt: '2027-02-03', message: 'Refused: the contract was unsigned. We will lodge it again.' })).to.have.property('status', 303);
    const plainRefusal = (await Case.findById(other._id).lean())!.supportTracks.find((s) => s.kind === 'work_permit')!;
    expect([plainRefusal.reasonsMissing, plainRefusal.reasonsDueAt]).to.deep.equal([undefined, undefined]);
    const hrPage = await page(b, `/cases/${other._id}`);
    expect(hrPage.text).not.to.include('data-reasons');
    expect(text(hrPage.text)).to.include('Decide what next: set it to “Preparing the file” to lodge it again');
  });

  it("tells the applicant a refusal's reasons: a refusal without them says they are chased (no date), recording them needs them in words, and they reach the e-mail, the page and the timeline", async () => {
    clock = vn('2027-02-03');
    const c = await onboardingCase();
    let a = await signedIn(t, hrEn);
    const url = `/cases/${c._id}/procedures/work_permit`;
    let form = await page(a, url);
    // A refusal needs the filing before it, and words for the applicant: refused otherwise, nothing stored.
    const untouched = await snapshot(c);
    const notFiled = await post(a, form.text, url, { version: versionIn(form.text, url), status: 'refused', message: 'Refused.' });
    expect(notFiled.status).to.equal(422);
    expect(text(notFiled.text)).to.include('Record the filing first');
    const silent = await post(a, form.text, url, { version: versionIn(form.text, url), status: 'refused', filedAt: '2027-01-27' });
    expect(silent.status).to.equal(422);
    expect(text(silent.text)).to.include('Tell the applicant what the refusal means and what happens next');
    expect(await snapshot(c)).to.deep.equal(untouched);
    expect(await post(a, form.text, url, { version: versionIn(form.text, url), status: 'refused', filedAt: '2027-01-27', decidedAt: '2027-02-03', reasonsMissing: 'yes', message: 'We will lodge it again with the signed contract.' })).to.have.property('status', 303);
    await deliver(t, c._id);
    const refusal = await t.smtp.waitForTo(applicant.email, /đã từ chối/);
    // The reasons the authority did not give: chased, with no date of their own; what happens now, addressed formally.
    expect(refusal.text).to.include('Cơ quan có thẩm quyền từ chối mà chưa nêu lý do bằng văn bản, trong khi lý do phải có cùng quyết định: bộ phận nhân sự đã đề nghị cơ quan gửi và sẽ chuyển cho Ông/Bà.');
    expect(refusal.text).to.include('Tiếp theo: bộ phận nhân sự sẽ liên hệ với Ông/Bà về việc nộp lại hồ sơ hoặc hướng khác.');
    expect(refusal.html).to.include('data-next-step');
    expect(refusal.text).not.to.match(/trước ngày 15\/2\/2027|must give its reasons|\bbạn\b/);
    let me = await signedIn(t, applicant);
    const myRefusal = text((await page(me, `/applications/${c._id}`)).text);
    expect(myRefusal).to.include('Cơ quan có thẩm quyền từ chối mà chưa nêu lý do bằng văn bản');
    expect(myRefusal).to.include('Tiếp theo: bộ phận nhân sự sẽ liên hệ với Ông/Bà');
    expect(myRefusal).not.to.include('15/2/2027');

    // Ticking "reasons received" without the reasons: refused beside the field (the box stays ticked), nothing stored.
    clock = vn('2027-02-12');
    a = await signedIn(t, hrEn); // nine days on: a new day's session
    form = await page(a, url);
    const before = await snapshot(c);
    const refused = await post(a, form.text, url, { version: versionIn(form.text, url), status: 'refused', reasonsReceived: 'yes', message: '   ' });
    expect(refused.status).to.equal(422);
    expect(text(refused.text)).to.include("Write the authority's reasons for the applicant");
    expect(refused.text).to.include('aria-invalid="true" aria-describedby="f-message-error"');
    expect(refused.text).to.match(/id="f-reasonsReceived" name="reasonsReceived" value="yes" checked/);
    expect(await snapshot(c)).to.deep.equal(before);

    const reasons = 'The labour contract was unsigned.\nWe will lodge a signed copy on Monday.';
    const ok = await post(a, form.text, url, { version: versionIn(form.text, url), status: 'refused', reasonsReceived: 'yes', message: reasons, note: 'Called the Department — internal' });
    expect(ok.status).to.equal(303);
    const after = (await Case.findById(c._id).lean())!;
    const wp = after.supportTracks.find((s) => s.kind === 'work_permit')!;
    expect(wp.reasonsReceivedAt).to.be.instanceOf(Date);
    expect(wp.applicantMessage).to.equal(reasons);
    expect(after.history.at(-1)!.procedure).to.deep.include({ kind: 'work_permit', from: 'refused', to: 'refused', reasonsReceived: true, message: reasons, applicantVisible: true });

    await deliver(t, c._id);
    const told = await t.smtp.waitForTo(applicant.email, /lý do từ chối của cơ quan/);
    expect(told.subject).not.to.include("the authority's reasons for the refusal");
    // HR's words as written, once, under the heading in the applicant's language.
    expect(told.text).to.include('Thông báo từ bộ phận nhân sự:\nThe labour contract was unsigned.');
    expect(told.text.split('The labour contract was unsigned.')).to.have.length(2);
    expect(told.text).not.to.include('Message from the HR office');
    expect(told.text).not.to.include('internal');
    expect(told.html).to.include('<blockquote');

    // The applicant's page: the message under the procedure and on the timeline; no HR note; the reasons clock gone.
    me = await signedIn(t, applicant);
    const mine = text((await page(me, `/applications/${c._id}`)).text);
    expect(mine).to.include('<div class="small prewrap" data-message><strong>Từ bộ phận nhân sự:</strong> The labour contract was unsigned.\nWe will lodge');
    expect(mine).to.include('Giấy phép lao động: lý do từ chối của cơ quan có thẩm quyền');
    expect(mine).not.to.include('chưa nêu lý do bằng văn bản');
    expect(mine).not.to.include('Called the Department');
    // HR sees what the applicant was told, beside their own note.
    const hr = text((await page(a, `/cases/${c._id}`)).text);
    expect(hr).to.include('Last message to the applicant: The labour contract was unsigned.');
    expect(hr).to.include('Told the applicant: The labour contract was unsigned.');

    // A later status without a message clears it: the refusal's reasons do not stay beside a grant.
    clock = vn('2027-02-16');
    a = await signedIn(t, hrEn);
    expect(await save(a, url, { status: 'filed', filedAt: '2027-02-16' })).to.have.property('status', 303);
    const later = (await Case.findById(c._id).lean())!.supportTracks.find((s) => s.kind === 'work_permit')!;
    expect(later.applicantMessage).to.equal(undefined);
  });

  it('asks a work permit lodged again after its refusal for the new filing\'s own date (empty, required, not before the refusal), counts the deadline from it and keeps the first filing in the history', async () => {
    clock = vn('2027-02-03');
    const c = await onboardingCase();
    let a = await signedIn(t, hrEn);
    const url = `/cases/${c._id}/procedures/work_permit`;
    expect(await save(a, url, { status: 'refused', filedAt: '2027-01-27', decidedAt: '2027-02-03', message: 'Refused: we will lodge it again with the signed contract.' })).to.have.property('status', 303);

    // Two weeks on, the reasons are in and the file goes in again.
    clock = vn('2027-02-16');
    a = await signedIn(t, hrEn);
    const form = await page(a, url);
    // The date field is empty (not the first filing's 27 Jan), and says where that one went.
    expect(form.text).to.match(/id="f-filedAt" name="filedAt" type="text" value=""/);
    expect(text(form.text)).to.include("The earlier filing, on 27 Jan 2027, stays in the case's history.");
    const before = await snapshot(c);
    const refile = { status: 'filed', reasonsReceived: 'yes', message: 'The contract was unsigned; we lodged a signed copy.', note: 'second filing' };
    const noDate = await post(a, form.text, url, { version: versionIn(form.text, url), ...refile, filedAt: '' });
    expect(noDate.status).to.equal(422);
    expect(text(noDate.text)).to.include('Enter the date the file was lodged: the legal deadline counts from it');
    expect(noDate.text).to.include('aria-describedby="f-filedAt-error"');
    expect(noDate.text).to.include('>The contract was unsigned; we lodged a signed copy.</textarea>');
    // The first filing's date, typed back: before the refusal (3 Feb), in either language.
    const oldDate = await post(a, form.text, url, { version: versionIn(form.text, url), ...refile, filedAt: '2027-01-27' });
    expect(oldDate.status).to.equal(422);
    expect(text(oldDate.text)).to.include('The filing date is before the refusal of 3 Feb 2027');
    expect(oldDate.text).to.include('value="27/01/2027"');
    const vi = await signedIn(t, hrVi);
    const viForm = await page(vi, url);
    const viOld = await post(vi, viForm.text, url, { version: versionIn(viForm.text, url), ...refile, filedAt: '2027-01-27' });
    expect(viOld.status).to.equal(422);
    expect(text(viOld.text)).to.include('Ngày nộp sớm hơn ngày bị từ chối (3/2/2027)');
    // From the case page's quick form: sent to the procedure's page for the date, as for a first filing.
    const casePage = await page(a, `/cases/${c._id}`);
    const quick = await post(a, casePage.text, `/cases/${c._id}/support/work_permit`, { version: versionIn(casePage.text, `/cases/${c._id}/support/work_permit`), status: 'filed' });
    expect(quick.status).to.equal(422);
    expect(quick.text).to.match(/id="f-filedAt" name="filedAt" type="text" value=""/);
    expect(await snapshot(c)).to.deep.equal(before);

    expect((await post(a, form.text, url, { version: versionIn(form.text, url), ...refile, filedAt: '2027-02-16' })).status).to.equal(303);
    const after = (await Case.findById(c._id).lean())!;
    const wp = after.supportTracks.find((s) => s.kind === 'work_permit')!;
    expect([wp.status, vnDateKey(wp.filedAt!), vnDateKey(wp.dueAt!)]).to.deep.equal(['filed', '2027-02-16', '2027-03-02']); // 10 working days from 16 Feb
    const filings = after.history.filter((e) => e.procedure?.kind === 'work_permit' && e.procedure.filedAt).map((e) => [e.procedure!.to, vnDateKey(e.procedure!.filedAt!)]);
    expect(filings).to.deep.equal([['refused', '2027-01-27'], ['filed', '2027-02-16']]);
    // The applicant is told the decision is due 2 March, not a day already past.
    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(applicant.email, new RegExp(`${c.reference}.*hồ sơ đã được nộp`));
    expect(mail.text).to.include('Ngày nộp: 16/2/2027');
    expect(mail.text).to.include('Dự kiến có quyết định trước: 2/3/2027');
    // Once filed, the field holds the filing under way, to correct.
    expect((await page(a, url)).text).to.match(/id="f-filedAt" name="filedAt" type="text" value="16\/02\/2027"/);
  });

  it('tells the applicant when a procedure they were told had started is no longer needed, and keeps it on their list as closed (housing too); one never theirs stays hidden', async () => {
    clock = vn('2027-02-04');
    const c = await createCase({ applicant, call, stage: 'onboarding', assignee: hrEn._id, supportTracks: [{ kind: 'residence_card', status: 'requested', updatedAt: vn('2027-01-20') }, { kind: 'housing', status: 'requested', updatedAt: vn('2027-01-20') }, { kind: 'citizenship', status: 'not_needed', updatedAt: vn('2027-01-20') }] });
    const a = await signedIn(t, hrEn);
    expect(await save(a, `/cases/${c._id}/procedures/residence_card`, { status: 'not_needed', message: 'Ông/Bà đã có thẻ thường trú: không cần thẻ tạm trú.' })).to.have.property('status', 303);
    expect(await save(a, `/cases/${c._id}/procedures/housing`, { status: 'not_needed', message: 'You found a flat yourself: we have cancelled the guest house.' })).to.have.property('status', 303);
    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(applicant.email, /Thẻ tạm trú: không còn cần nữa/);
    expect(mail.subject).not.to.include('Temporary residence card');
    await t.smtp.waitForTo(applicant.email, /Nhà ở: không còn cần nữa/);
    const me = await signedIn(t, applicant);
    const html = (await page(me, `/applications/${c._id}`)).text;
    const row = (kind: string) => {
      const at = html.indexOf(`data-procedure="${kind}"`);
      return at < 0 ? '' : text(html.slice(at, html.indexOf('</li>', at)));
    };
    for (const kind of ['residence_card', 'housing']) {
      expect(row(kind), kind).to.include('<span class="badge muted">Không cần</span>').and.include('Không còn cần: thủ tục này đã đóng');
    }
    expect(row('housing')).to.include('You found a flat yourself');
    expect(text(html)).to.include('Thẻ tạm trú: không còn cần nữa').and.include('Nhà ở: không còn cần nữa');
    // Citizenship was never started for them: not on their list.
    expect(row('citizenship')).to.equal('');
  });

  it('applies a form whose procedure nobody else changed, though another procedure changed meanwhile; refuses one whose own procedure changed (409)', async () => {
    clock = vn('2027-02-04');
    const c = await onboardingCase();
    const a = await signedIn(t, hrEn);
    const wpUrl = `/cases/${c._id}/procedures/work_permit`;
    const rcUrl = `/cases/${c._id}/procedures/residence_card`;
    const [wpForm, rcForm] = [await page(a, wpUrl), await page(a, rcUrl)];
    const stampIn = (html: string) => /name="track" value="(none|\d+)"/.exec(html)![1]!;
    // Tab A: the residence card. Tab B, opened before A saved: the work permit, with a message.
    expect(await post(a, rcForm.text, rcUrl, { version: versionIn(rcForm.text, rcUrl), track: stampIn(rcForm.text), status: 'preparing' })).to.have.property('status', 303);
    const b = await post(a, wpForm.text, wpUrl, { version: versionIn(wpForm.text, wpUrl), track: stampIn(wpForm.text), status: 'preparing', message: 'We are preparing your work permit file.' });
    expect(b.status).to.equal(303);
    const after = (await Case.findById(c._id).lean())!;
    expect(after.supportTracks.find((s) => s.kind === 'residence_card')!.status).to.equal('preparing');
    expect(after.supportTracks.find((s) => s.kind === 'work_permit')!).to.include({ status: 'preparing', applicantMessage: 'We are preparing your work permit file.' });
    // A third form, built before both, for the residence card that changed since: refused.
    const stale = await post(a, rcForm.text, rcUrl, { version: versionIn(rcForm.text, rcUrl), track: stampIn(rcForm.text), status: 'not_needed', message: 'No card needed: you hold a permanent residence card.' });
    expect(stale.status).to.equal(409);
    // What the officer wrote is on the page, to copy: it was not sent.
    expect(stale.text).to.match(/<textarea id="kept-message"[^>]*readonly>No card needed: you hold a permanent residence card.<\/textarea>/);
    expect((await Case.findById(c._id).lean())!.supportTracks.find((s) => s.kind === 'residence_card')!.status).to.equal('preparing');
  });

  it('answers a refused form that is also stale with the 409 page, so its next save cannot go over a colleague\'s change unseen', async () => {
    clock = vn('2027-02-04');
    const c = await onboardingCase();
    const a = await signedIn(t, hrEn);
    const wpUrl = `/cases/${c._id}/procedures/work_permit`;
    const stampIn = (html: string) => /name="track" value="(none|\d+)"/.exec(html)![1]!;
    const tabA = await page(a, wpUrl);
    const tabB = await page(a, wpUrl);
    // Tab B: a colleague's change to this procedure.
    expect(await post(a, tabB.text, wpUrl, { version: versionIn(tabB.text, wpUrl), track: stampIn(tabB.text), status: 'preparing', message: 'We are preparing your file.' })).to.have.property('status', 303);
    // Tab A, loaded before it: filed without a date (refused) — the 409 page, not the form with today's version.
    const refused = await post(a, tabA.text, wpUrl, { version: versionIn(tabA.text, wpUrl), track: stampIn(tabA.text), status: 'filed', message: 'Lodged.' });
    expect(refused.status).to.equal(409);
    expect(refused.text).to.match(/<textarea id="kept-message"[^>]*readonly>Lodged.<\/textarea>/);
    // Refused but not stale: the form again, with its errors (422).
    const fresh = await page(a, wpUrl);
    const again = await post(a, fresh.text, wpUrl, { version: versionIn(fresh.text, wpUrl), track: stampIn(fresh.text), status: 'filed', message: 'Lodged.' });
    expect(again.status).to.equal(422);
    const wp = (await Case.findById(c._id).lean())!.supportTracks.find((s) => s.kind === 'work_permit')!;
    expect(wp).to.include({ status: 'preparing', applicantMessage: 'We are preparing your file.' });
  });

  it('says on the work permit\'s page when the filing date recorded is outside its legal window (60 to 10 days before the start)', async () => {
    clock = vn('2027-02-04');
    const c = await createCase({ applicant, call, stage: 'onboarding', assignee: hrEn._id, profile: { fullName: 'Window Case', plannedArrival: vn('2027-06-01') } as never, supportTracks: [{ kind: 'work_permit', status: 'requested', updatedAt: vn('2027-01-20') }] });
    const a = await signedIn(t, hrEn);
    const url = `/cases/${c._id}/procedures/work_permit`;
    let form = await page(a, url);
    expect(form.text).not.to.include('data-window-warning');
    expect(await post(a, form.text, url, { version: versionIn(form.text, url), status: 'filed', filedAt: '2027-02-04' })).to.have.property('status', 303);
    // Said at once, in the flash on the page the save leads to, in the same words as the procedure's page.
    const warning = 'The filing date recorded is 117 days before the planned start: outside the 60 to 10 days the decree allows. Check the date, or expect the authority to return the file.';
    // The message, then its close button (views/partials/flash.hbs).
    const flashOf = (html: string) => /<div class="flash flash-session flash-(\w+)" id="flash"[^>]*>([^<]*)<button/.exec(text(html))?.slice(1);
    const shown = (await page(a, `/cases/${c._id}`)).text;
    // A warning (coloured as one), read out politely: saved, not refused.
    // The filing is news to the applicant: the flash says who is e-mailed, as a workflow step's does.
    expect(flashOf(shown)).to.deep.equal(['warning', `The procedure was updated. An e-mail to ${applicant.email} is on its way (see “E-mails sent on this case”). ${warning}`]);
    expect(shown).to.match(/<div class="flash flash-session flash-warning" id="flash" role="status">/);
    form = await page(a, url);
    expect(text(form.text)).to.include(warning);
    // In Vietnamese for a Vietnamese officer; once the filing lies inside the window, it is just saved.
    const vi = await signedIn(t, hrVi);
    form = await page(vi, url);
    expect(await post(vi, form.text, url, { version: versionIn(form.text, url), status: 'filed', filedAt: '2027-02-03', note: 'sửa ngày' })).to.have.property('status', 303);
    expect(flashOf((await page(vi, `/cases/${c._id}`)).text)).to.deep.equal(['warning', `Đã cập nhật thủ tục. Một e-mail gửi tới ${applicant.email} đang trên đường đi (xem “E-mail đã gửi về hồ sơ này”). Ngày nộp đã ghi là 118 ngày trước ngày dự kiến bắt đầu làm việc: ngoài khoảng 60 đến 10 ngày theo nghị định. Hãy kiểm tra lại ngày, hoặc hồ sơ có thể bị trả lại.`]);
    // Filed after the planned start: "3 days after", never "-3 days before", in either language.
    await Case.updateOne({ _id: c._id }, { $set: { 'profile.plannedArrival': vn('2027-01-31') } });
    form = await page(a, url);
    expect(await post(a, form.text, url, { version: versionIn(form.text, url), status: 'filed', filedAt: '2027-02-02', note: 'late' })).to.have.property('status', 303);
    const late = 'The filing date recorded is 2 days after the planned start: the decree allows 60 to 10 days before it. Check the date, or expect the authority to return the file.';
    expect(flashOf((await page(a, `/cases/${c._id}`)).text)).to.deep.equal(['warning', `The procedure was updated. An e-mail to ${applicant.email} is on its way (see “E-mails sent on this case”). ${late}`]);
    expect(text((await page(a, url)).text)).to.include(late);
    // A save that leaves the filing date as it was (a note) is not warned again; the page still says it.
    form = await page(a, url);
    expect(await post(a, form.text, url, { version: versionIn(form.text, url), status: 'filed', filedAt: '2027-02-02', note: 'courier receipt' })).to.have.property('status', 303);
    expect(flashOf((await page(a, `/cases/${c._id}`)).text)).to.deep.equal(['success', 'The procedure was updated.']);
    expect(text((await page(a, url)).text)).to.include(late);
    expect(text((await page(vi, url)).text)).to.include('Ngày nộp đã ghi là 2 ngày sau ngày dự kiến bắt đầu làm việc: nghị định cho phép nộp từ 60 đến 10 ngày trước ngày đó.');
    await Case.updateOne({ _id: c._id }, { $set: { 'profile.plannedArrival': vn('2027-04-04') } });
    form = await page(a, url);
    expect(await post(a, form.text, url, { version: versionIn(form.text, url), status: 'filed', filedAt: '2027-02-03', note: 'start moved' })).to.have.property('status', 303);
    expect(flashOf((await page(a, `/cases/${c._id}`)).text)).to.deep.equal(['success', `The procedure was updated. An e-mail to ${applicant.email} is on its way (see “E-mails sent on this case”).`]);
    expect((await page(a, url)).text).not.to.include('data-window-warning');
  });

  it('warns when a filing date is set or changed, not on a refusal, its reasons or a grant; and of a filing or decision date on a weekend or a public holiday (saved, not refused, en and vi)', async () => {
    clock = vn('2027-02-12');
    const c = await createCase({ applicant, call, stage: 'onboarding', assignee: hrEn._id, profile: { fullName: 'Day Off Case', plannedArrival: vn('2027-06-01') } as never, supportTracks: [{ kind: 'work_permit', status: 'preparing', updatedAt: vn('2027-01-20') }] });
    const flashOf = (html: string) => /<div class="flash flash-session flash-(\w+)" id="flash"[^>]*>([^<]*)<button/.exec(text(html))?.slice(1);
    let a = await signedIn(t, hrEn);
    const url = `/cases/${c._id}/procedures/work_permit`;
    // Monday 8 Feb 2027, inside Tết: a public holiday, and outside the decree's window as well.
    expect(await save(a, url, { status: 'filed', filedAt: '2027-02-08' })).to.have.property('status', 303);
    const dayOff = 'The filing date recorded, 8 Feb 2027, is a public holiday: the authorities do not receive files then. Check the date.';
    const [kind, said] = flashOf((await page(a, `/cases/${c._id}`)).text)!;
    expect(kind).to.equal('warning');
    expect(said).to.match(/^The procedure was updated\. An e-mail to \S+ is on its way \(see “E-mails sent on this case”\)\. The filing date recorded is 113 days before the planned start: outside the 60 to 10 days the decree allows\./);
    expect(said).to.include(dayOff);
    expect(vnDateKey((await Case.findById(c._id).lean())!.supportTracks.find((s) => s.kind === 'work_permit')!.filedAt!)).to.equal('2027-02-08');
    // Later visits: a quiet note beside the date, not an error in red.
    const later = text((await page(a, url)).text);
    expect(later).to.match(/<p class="hint" data-day-off-warning>The filing date recorded, 8 Feb 2027, is a public holiday/);
    expect(later).to.match(/name="filedAt"[^>]*>[\s\S]*?<p class="hint" data-day-off-warning>/);
    expect(later).to.match(/<p class="hint" data-window-warning>/);
    // An unrelated save refused (a refusal without its message): the note is not among its errors.
    const refused = await save(a, url, { status: 'refused', decidedAt: '2027-02-12' });
    expect(refused.status).to.equal(422);
    expect(refused.text).to.include('id="form-errors"');
    expect(refused.text).not.to.match(/class="[^"]*field-error[^"]*"[^>]*>[^<]*(public holiday|outside the)/);
    expect(refused.text).to.match(/<p class="hint" data-day-off-warning>/);
    // The refusal and its reasons leave the date as it is: no warning with them.
    expect(await save(a, url, { status: 'refused', decidedAt: '2027-02-12', message: 'Refused; we lodge it again.' })).to.have.property('status', 303);
    expect(flashOf((await page(a, `/cases/${c._id}`)).text)).to.deep.equal(['success', `The procedure was updated. An e-mail to ${applicant.email} is on its way (see “E-mails sent on this case”).`]);
    clock = vn('2027-02-15');
    a = await signedIn(t, hrEn);
    expect(await save(a, url, { status: 'refused', reasonsReceived: 'yes', message: 'The contract was unsigned.' })).to.have.property('status', 303);
    expect(flashOf((await page(a, `/cases/${c._id}`)).text)).to.deep.equal(['success', `The procedure was updated. An e-mail to ${applicant.email} is on its way (see “E-mails sent on this case”).`]);
    // Lodged again on Saturday 13 Feb, in Vietnamese: the new date is warned about.
    const vi = await signedIn(t, hrVi);
    expect(await save(vi, url, { status: 'filed', filedAt: '2027-02-13' })).to.have.property('status', 303);
    expect(flashOf((await page(vi, `/cases/${c._id}`)).text)![1]).to.include('Ngày nộp đã ghi, 13/2/2027, là thứ Bảy: cơ quan có thẩm quyền không tiếp nhận hồ sơ vào ngày đó. Hãy kiểm tra lại ngày.');
    // Granted with the decision dated Sunday 21 Feb: saved, and warned at the save as on the page.
    clock = vn('2027-02-22');
    a = await signedIn(t, hrEn);
    expect(await save(a, url, { status: 'approved', decidedAt: '2027-02-21' })).to.have.property('status', 303);
    expect(flashOf((await page(a, `/cases/${c._id}`)).text)).to.deep.equal(['warning', `The procedure was updated. An e-mail to ${applicant.email} is on its way (see “E-mails sent on this case”). The decision date recorded, 21 Feb 2027, is a Sunday: the authorities rarely decide then. Check the date on the decision.`]);
    // Saved again without changing the date (a note): nothing more to say.
    expect(await save(a, url, { status: 'approved', note: 'Card to collect on Monday.' })).to.have.property('status', 303);
    expect(flashOf((await page(a, `/cases/${c._id}`)).text)).to.deep.equal(['success', 'The procedure was updated.']);
    // A working day inside the window: nothing to say.
    const ok = await createCase({ applicant, call, stage: 'onboarding', assignee: hrEn._id, profile: { fullName: 'Working Day Case', plannedArrival: vn('2027-04-01') } as never, supportTracks: [{ kind: 'work_permit', status: 'preparing', updatedAt: vn('2027-01-20') }] });
    expect(await save(a, `/cases/${ok._id}/procedures/work_permit`, { status: 'filed', filedAt: '2027-02-22' })).to.have.property('status', 303);
    expect(flashOf((await page(a, `/cases/${ok._id}`)).text)).to.deep.equal(['success', `The procedure was updated. An e-mail to ${applicant.email} is on its way (see “E-mails sent on this case”).`]);
    expect((await page(a, `/cases/${ok._id}/procedures/work_permit`)).text).not.to.include('data-day-off-warning');
  });

  it("opens the procedure's page to file from the case page's quick form: the filing date is typed there, not taken as today", async () => {
    clock = vn('2027-02-06'); // a Saturday
    const c = await createCase({ applicant, call, stage: 'onboarding', assignee: hrEn._id, profile: { fullName: 'Quick Case', plannedArrival: vn('2027-06-01') } as never, supportTracks: [{ kind: 'work_permit', status: 'preparing', updatedAt: vn('2027-01-20') }] });
    const a = await signedIn(t, hrEn);
    const casePage = await page(a, `/cases/${c._id}`);
    const before = await snapshot(c);
    const quick = await post(a, casePage.text, `/cases/${c._id}/support/work_permit`, { version: versionIn(casePage.text, `/cases/${c._id}/support/work_permit`), status: 'filed', note: 'lodged by courier' });
    expect(quick.status).to.equal(422);
    expect(text(quick.text)).to.include('Enter the date the file was lodged: the legal deadline counts from it.');
    expect(quick.text).to.include('>lodged by courier</textarea>');
    expect(quick.text).to.match(/<option value="filed" selected>/);
    expect(await snapshot(c)).to.deep.equal(before);
    // Typed on the procedure's page, it is recorded as typed.
    const url = `/cases/${c._id}/procedures/work_permit`;
    expect((await post(a, quick.text, url, { version: versionIn(quick.text, url), status: 'filed', filedAt: '2027-02-05' })).status).to.equal(303);
    const filed = (await Case.findById(c._id).lean())!.supportTracks.find((s) => s.kind === 'work_permit')!;
    expect([filed.status, vnDateKey(filed.filedAt!)]).to.deep.equal(['filed', '2027-02-05']);
    // Once filed, the quick form saves a note or another status as before.
    const again = await page(a, `/cases/${c._id}`);
    expect((await post(a, again.text, `/cases/${c._id}/support/work_permit`, { version: versionIn(again.text, `/cases/${c._id}/support/work_permit`), status: 'filed', note: 'receipt 123' })).status).to.equal(303);
  });

  it('e-mails a message alone (no status or date change) as "a message from the HR office"', async () => {
    clock = vn('2027-02-04');
    const c = await onboardingCase();
    const a = await signedIn(t, hrEn);
    const url = `/cases/${c._id}/procedures/residence_card`;
    const res = await save(a, url, { status: 'requested', message: 'Please bring your passport to the office on Friday.' });
    expect(res.status).to.equal(303);
    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(applicant.email, /thông báo từ bộ phận nhân sự/);
    expect(mail.subject).not.to.include('Temporary residence card');
    expect(mail.text).to.include('Please bring your passport to the office on Friday.');
  });

  it('records nothing and tells nobody when the form is saved as it was loaded, and says so (walk-staff #3: a blank "a message from the HR office" on the timeline)', async () => {
    clock = vn('2027-02-04');
    const c = await onboardingCase();
    const a = await signedIn(t, hrEn);
    const url = `/cases/${c._id}/procedures/work_permit`;
    const before = await snapshot(c);
    // Every field of the form as the page fills it (the target shown, the rest empty), as a browser sends it.
    const res = await save(a, url, { status: 'requested', office: '', targetAt: '2027-02-10', filedAt: '', decidedAt: '', message: '', note: '' });
    expect(res.status, res.text.slice(0, 300)).to.equal(303);
    expect(await snapshot(c)).to.deep.equal(before);
    const shown = text((await page(a, `/cases/${c._id}`)).text);
    expect(shown).to.include('Nothing changed: the procedure is as it was, and the applicant was not told anything.');
    expect(shown).not.to.include('a message from the HR office');
    // A note alone is still recorded (HR's), a message alone still told (the test above).
    expect((await save(a, url, { status: 'requested', targetAt: '2027-02-10', note: 'Called the office about the queue' })).status).to.equal(303);
    const after = (await Case.findById(c._id).lean())!;
    expect(after.history.length).to.equal(before.history + 1);
    expect(after.history.at(-1)!.note).to.equal('Called the office about the queue');
    expect(after.outbox.length, 'no e-mail for an internal note').to.equal(before.outbox);
    const vi = await signedIn(t, hrVi);
    await save(vi, url, { status: 'requested', targetAt: '2027-02-10' });
    expect(text((await page(vi, `/cases/${c._id}`)).text)).to.include('Không có gì thay đổi: thủ tục giữ nguyên, ứng viên không nhận thông báo nào.');
  });

  it('e-mails an applicant who reads English in English only (subject, text and HTML)', async () => {
    clock = vn('2027-02-04');
    const english = await createUser({ role: 'applicant', locale: 'en', name: 'Jane Doe' });
    const c = await createCase({ applicant: english, call, stage: 'onboarding', assignee: hrVi._id, supportTracks: [{ kind: 'housing', status: 'requested', updatedAt: vn('2027-01-20') }] });
    const a = await signedIn(t, hrVi);
    expect(await save(a, `/cases/${c._id}/procedures/housing`, { status: 'preparing', message: 'We are viewing two flats near the institute.' })).to.have.property('status', 303);
    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(english.email, /Housing/);
    expect(mail.subject).to.equal(`[${c.reference}] Housing: the file is being prepared`);
    expect(mail.text).to.include('Dear Jane Doe');
    expect(mail.raw.headers.get('content-language')).to.equal('en');
    // Signed with the product's one English name, as the layout and every other e-mail sign it.
    expect(mail.text.trimEnd().endsWith('\nTalent Programme')).to.equal(true);
    expect(mail.text + mail.html).not.to.include('Talent Attraction');
    expect(mail.text).to.include("Legal basis: Institute's own service");
    expect(mail.text).to.include('Message from the HR office:\nWe are viewing two flats near the institute.');
    // Before it is done, the institute's own target, with its working days left.
    expect(mail.text).to.match(/\nWe aim to arrange it by: \d{1,2} [A-Z][a-z]{2} 2027 \(20 working days left\)\n/);
    for (const vietnamese of ['Nhà ở', 'Kính gửi', 'Tiếng Việt', 'Căn cứ', 'hồ sơ']) {
      expect(mail.subject + mail.text + mail.html, vietnamese).not.to.include(vietnamese);
    }
  });

  it("refuses a residence card running later than 30 days before the accepted passport expires (en and vi), keeping what was typed; the applicant's planner gives the passport to the card, not housing", async () => {
    // Sat 5 Dec 2026, as in the walk-through: housing asked for, the card being prepared, the
    // accepted passport expiring 30 Jun 2028 → the card may run to 31 May 2028 at the latest.
    clock = vn('2026-12-05');
    const c = await createCase({ applicant, call, stage: 'onboarding', assignee: hrEn._id, profile: { fullName: 'Nguyễn Văn An', plannedArrival: vn('2027-03-01') }, supportTracks: [{ kind: 'housing', status: 'requested', updatedAt: vn('2026-11-20') }, { kind: 'residence_card', status: 'requested', updatedAt: vn('2026-11-20') }] });
    const passport = { case: c._id, type: 'passport' as const, slot: 0, current: true, storage: 'disk' as const, originalName: 'passport.pdf', mimeType: 'application/pdf' as const, size: 10, sha256: 'a'.repeat(64), uploadedBy: applicant._id };
    await CaseDocument.create({ ...passport, version: 1, storageKey: `p1-${c._id}`, status: 'accepted', expiresAt: vn('2028-06-30') });
    // A renewal still waiting for HR does not count (not current, not accepted).
    await CaseDocument.create({ ...passport, version: 2, current: false, storageKey: `p2-${c._id}`, status: 'pending', expiresAt: vn('2036-06-30') });
    const url = `/cases/${c._id}/procedures/residence_card`;
    const before = await snapshot(c);
    for (const [who, says] of [
      [hrEn, 'The card cannot run later than 31 May 2028: the passport on file expires on 30 Jun 2028'],
      [hrVi, 'Thẻ không thể có giá trị sau ngày 31/5/2028: hộ chiếu trong hồ sơ hết hạn ngày 30/6/2028'],
    ] as const) {
      const a = await signedIn(t, who);
      const res = await save(a, url, { status: 'preparing', cardStartsAt: '2026-12-10', cardEndsAt: '2028-12-01', note: 'typed note' });
      expect(res.status).to.equal(422);
      expect(text(res.text)).to.include(says);
      expect(text(res.text)).to.include(who === hrEn ? 'Law 47/2014/QH13 Art. 38(1)' : 'khoản 1 Điều 38 Luật 47/2014/QH13');
      expect(res.text).to.include('aria-describedby="f-cardEndsAt-error"');
      for (const typed of ['value="01/12/2028"', 'value="10/12/2026"', 'typed note']) expect(res.text).to.include(typed);
      expect(await snapshot(c)).to.deep.equal(before);
    }
    const a = await signedIn(t, hrEn);
    expect((await save(a, url, { status: 'preparing', cardEndsAt: '2028-06-01' })).status, 'a day too late').to.equal(422);
    expect((await save(a, url, { status: 'preparing', cardStartsAt: '2026-12-10', cardEndsAt: '2028-05-31' })).status, 'the last day allowed').to.equal(303);
    expect(vnDateKey((await Case.findById(c._id).lean())!.supportTracks.find((s) => s.kind === 'residence_card')!.cardEndsAt!)).to.equal('2028-05-31');

    // A card end stored before this check (1 Dec 2028): the applicant's planner said "Late: get your
    // passport as soon as possible (due 4 December 2026) (housing)". The passport's shortfall is the
    // card's, whose file goes in after entry: the work permit asked for (no track yet) is planned for
    // its target, 25 Jan 2027 (20 working days before the start: the permit's 10, the visa's 5, a
    // margin of 5), decided 15 Feb, the visa 22 Feb: entry on the planned 1 Mar; ready by Mon 22 Feb
    // 2027 (Feb 26, 25, 24, 23, 22).
    const stored = (await Case.findById(c._id).lean())!;
    await Case.updateOne({ _id: c._id }, { $set: { supportTracks: stored.supportTracks.map((s) => (s.kind === 'residence_card' ? { ...s, cardEndsAt: vn('2028-12-01') } : s)) } });
    const mine = text((await page(await signedIn(t, applicant), `/applications/${c._id}`)).text);
    const row = /<li data-window="passport">([\s\S]*?)<\/li>/.exec(mine)![1]!;
    expect(row).to.include('22/2/2027').and.include('(thẻ tạm trú)');
    expect(row).not.to.match(/Trễ|nhà ở|4\/12\/2026/);
  });

  it('refuses a residence card running more than 2 years, saying the last day it may run to (en and vi), keeping what was typed; a card stored before the check still saves other changes', async () => {
    clock = vn('2027-02-04');
    const c = await onboardingCase();
    const url = `/cases/${c._id}/procedures/residence_card`;
    const before = await snapshot(c);
    for (const [who, says] of [
      [hrEn, 'A residence card for work runs at most 2 years (Law 47/2014/QH13 Art. 38, as amended in 2019): with this start, the card ends on 1 Mar 2029 at the latest.'],
      [hrVi, 'Thẻ tạm trú cho người lao động có thời hạn không quá 2 năm (Luật 47/2014/QH13 Điều 38, sửa đổi năm 2019): với ngày bắt đầu này, thẻ có giá trị chậm nhất đến ngày 1/3/2029.'],
    ] as const) {
      const a = await signedIn(t, who);
      // A five-year card, as the walk saved.
      const res = await save(a, url, { status: 'preparing', cardStartsAt: '2027-03-01', cardEndsAt: '2032-02-28', note: 'five years?' });
      expect(res.status).to.equal(422);
      expect(text(res.text)).to.include(says);
      expect(res.text).to.include('aria-describedby="f-cardEndsAt-error"');
      for (const typed of ['value="28/02/2032"', 'value="01/03/2027"', 'five years?']) expect(res.text).to.include(typed);
      expect(await snapshot(c)).to.deep.equal(before);
    }
    const a = await signedIn(t, hrEn);
    expect((await save(a, url, { status: 'preparing', cardStartsAt: '2027-03-01', cardEndsAt: '2029-03-02' })).status, 'a day too long').to.equal(422);
    expect((await save(a, url, { status: 'preparing', cardStartsAt: '2027-03-01', cardEndsAt: '2029-03-01' })).status, 'two years to the day').to.equal(303);
    // A longer card stored before the check: a note on it saves.
    const stored = (await Case.findById(c._id).lean())!;
    await Case.updateOne({ _id: c._id }, { $set: { supportTracks: stored.supportTracks.map((s) => (s.kind === 'residence_card' ? { ...s, cardEndsAt: vn('2032-02-28') } : s)) } });
    expect((await save(a, url, { status: 'preparing', note: 'checked with the office' })).status).to.equal(303);
  });

  it('says which visa the case asks for on the visa page, the case page and the applicant\'s list (LĐ2 with a work permit, LĐ1 with an exemption, TT for the family), with its legal basis, en and vi', async () => {
    clock = vn('2027-02-04');
    const permit = await createCase({ applicant, call, stage: 'onboarding', assignee: hrEn._id, supportTracks: [{ kind: 'work_permit', status: 'preparing', updatedAt: vn('2027-01-20') }, { kind: 'visa', status: 'requested', updatedAt: vn('2027-01-20') }] });
    const exempt = await createCase({ applicant, call, stage: 'onboarding', assignee: hrEn._id, dependants: [{ fullName: 'Emma', relationship: 'child', nationality: 'PT' }], supportTracks: [{ kind: 'work_permit_exemption', status: 'filed', filedAt: vn('2027-02-01'), updatedAt: vn('2027-02-01') }, { kind: 'visa', status: 'requested', updatedAt: vn('2027-01-20') }] } as never);
    const en = await signedIn(t, hrEn);
    const visaPage = text((await page(en, `/cases/${permit._id}/procedures/visa`)).text);
    expect(visaPage).to.include('<dt>Visa type</dt><dd data-visa-type="LĐ2">LĐ2: working in Vietnam with a work permit (Law 47/2014/QH13 Art. 8, as amended by Law 51/2019/QH14)</dd>');
    const caseRow = text((await page(en, `/cases/${exempt._id}`)).text);
    expect(caseRow).to.include('data-visa-type="LĐ1"><strong>Visa type:</strong> LĐ1: working in Vietnam with a certificate of exemption from a work permit');
    expect(caseRow).to.include('Spouse and children under 18 coming along: TT');
    const vi = text((await page(await signedIn(t, hrVi), `/cases/${permit._id}/procedures/visa`)).text);
    expect(vi).to.include('<dt>Loại thị thực</dt><dd data-visa-type="LĐ2">LĐ2: lao động tại Việt Nam thuộc diện phải có giấy phép lao động (Điều 8 Luật 47/2014/QH13, sửa đổi bởi Luật 51/2019/QH14)</dd>');
    const mine = text((await page(await signedIn(t, applicant), `/applications/${exempt._id}`)).text);
    expect(mine).to.include('data-visa-type="LĐ1"><strong>Loại thị thực:</strong> LĐ1: làm việc tại Việt Nam có xác nhận không thuộc diện cấp giấy phép lao động');
    expect(mine).to.include('Vợ, chồng, con dưới 18 tuổi đi cùng: TT');
    // Other procedures carry no visa type.
    expect(text((await page(en, `/cases/${permit._id}/procedures/work_permit`)).text)).not.to.include('data-visa-type');
  });

  it('refuses a filing date before the offer was made, or before the procedure it comes after was lodged (422, en and vi), keeping what was typed', async () => {
    clock = vn('2027-03-01');
    const c = await createCase({
      applicant,
      call,
      stage: 'onboarding',
      assignee: hrEn._id,
      history: [
        { at: vn('2027-01-05'), actorRole: 'applicant', action: 'create', to: 'draft' },
        { at: vn('2027-01-20'), actorRole: 'leader', action: 'approve_offer', from: 'shortlisted', to: 'offer' },
        { at: vn('2027-01-25'), actorRole: 'applicant', action: 'accept_offer', from: 'offer', to: 'onboarding' },
      ],
      supportTracks: [
        { kind: 'work_permit', status: 'approved', filedAt: vn('2027-02-04'), updatedAt: vn('2027-02-20') },
        { kind: 'work_permit_exemption', status: 'not_needed' },
        { kind: 'visa', status: 'requested', dueAt: vn('2027-03-08'), updatedAt: vn('2027-02-20') },
        { kind: 'housing', status: 'requested', updatedAt: vn('2027-01-25') },
      ],
    });
    const before = await snapshot(c);
    for (const [lang, who] of [['en', hrEn], ['vi', hrVi]] as const) {
      const a = await signedIn(t, who);
      // The 2019 date a slip of the keyboard makes: before the offer (20 Jan 2027).
      // (The exemption certificate: housing, the institute's own service, is never filed, walk s34 #4.)
      const old = await save(a, `/cases/${c._id}/procedures/work_permit_exemption`, { status: 'filed', filedAt: '2019-01-01', office: 'Sở Nội vụ' });
      expect(old.status).to.equal(422);
      expect(text(old.text)).to.include(lang === 'en' ? 'The filing date is before the offer was made' : 'Ngày nộp sớm hơn ngày gửi lời mời làm việc');
      expect(old.text).to.include('value="01/01/2019"');
      expect(old.text).to.include('value="Sở Nội vụ"');
      // The visa on 2 Feb: before its work permit was lodged (4 Feb).
      const visa = await save(a, `/cases/${c._id}/procedures/visa`, { status: 'filed', filedAt: '2027-02-02' });
      expect(visa.status).to.equal(422);
      expect(text(visa.text)).to.include(lang === 'en' ? 'before the procedure this one comes after was lodged' : 'sớm hơn ngày nộp thủ tục phải có trước');
    }
    expect(await snapshot(c)).to.deep.equal(before);
    // On or after those dates: recorded.
    const a = await signedIn(t, hrEn);
    expect((await save(a, `/cases/${c._id}/procedures/visa`, { status: 'filed', filedAt: '2027-02-04' })).status).to.equal(303);
    expect((await save(a, `/cases/${c._id}/procedures/work_permit_exemption`, { status: 'filed', filedAt: '2027-01-20' })).status).to.equal(303);
  });

  for (const [lang, who] of [['en', () => hrEn], ['vi', () => hrVi]] as const) {
    it(`refuses a bad status, a card ending before it starts and a future filing date (422, ${lang}), and changes nothing`, async () => {
      clock = vn('2027-02-04');
      const c = await onboardingCase();
      const a = await signedIn(t, who());
      const form = await page(a, `/cases/${c._id}/procedures/residence_card`);
      const v = versionIn(form.text, `/cases/${c._id}/procedures/residence_card`);
      const before = await snapshot(c);
      const bad = await post(a, form.text, `/cases/${c._id}/procedures/residence_card`, { version: v, status: 'granted_maybe', office: 'Phòng QLXNC' });
      expect(bad.status).to.equal(422);
      expect(text(bad.text)).to.include(lang === 'en' ? 'Choose a valid status.' : 'Chọn một trạng thái hợp lệ.');
      expect(bad.text).to.include('value="Phòng QLXNC"');
      const quick = await post(a, form.text, `/cases/${c._id}/support/residence_card`, { version: v, status: 'nope' });
      expect(quick.status).to.equal(422);
      const ends = await post(a, form.text, `/cases/${c._id}/procedures/residence_card`, { version: v, status: 'preparing', cardStartsAt: '2027-03-01', cardEndsAt: '2027-02-01' });
      expect(ends.status).to.equal(422);
      expect(text(ends.text)).to.include(lang === 'en' ? "The card's end date must come after its start date." : 'Ngày hết hạn của thẻ phải sau ngày bắt đầu.');
      expect(ends.text).to.include('value="01/02/2027"');
      const future = await post(a, form.text, `/cases/${c._id}/procedures/residence_card`, { version: v, status: 'filed', filedAt: '2027-03-01' });
      expect(future.status).to.equal(422);
      expect(text(future.text)).to.include(lang === 'en' ? 'The filing date cannot be in the future.' : 'Ngày nộp không được ở tương lai.');
      const badDate = await post(a, form.text, `/cases/${c._id}/procedures/residence_card`, { version: v, status: 'filed', filedAt: '2027-02-30' });
      expect(badDate.status).to.equal(422);
      // Written YYYY-MM-DD, so the message says the day does not exist (it said "use YYYY-MM-DD").
      expect(text(badDate.text)).to.include(lang === 'en' ? 'There is no such day on the calendar' : 'Lịch không có ngày này');
      const badFormat = await post(a, form.text, `/cases/${c._id}/procedures/residence_card`, { version: v, status: 'filed', filedAt: '30.01.2027' });
      expect(badFormat.status).to.equal(422);
      expect(text(badFormat.text)).to.include(lang === 'en' ? 'This is not a date: type it as day/month/year, for example 05/12/2026' : 'Đây không phải là một ngày: hãy nhập theo dạng ngày/tháng/năm, ví dụ 05/12/2026');
      expect(await snapshot(c)).to.deep.equal(before);
      // A good card term is recorded and tells the applicant.
      const good = await post(a, form.text, `/cases/${c._id}/procedures/residence_card`, { version: v, status: 'preparing', cardStartsAt: '2027-03-01', cardEndsAt: '2029-02-28' });
      expect(good.status).to.equal(303);
      const card = (await Case.findById(c._id).lean())!.supportTracks.find((s) => s.kind === 'residence_card')!;
      expect(vnDateKey(card.cardEndsAt!)).to.equal('2029-02-28');
      expect((await Case.findById(c._id).lean())!.history.at(-1)!.procedure?.applicantVisible).to.equal(true);
    });

    it(`answers a stale version with the 409 page and a double submit with success (${lang})`, async () => {
      clock = vn('2027-02-04');
      const c = await onboardingCase();
      const a = await signedIn(t, who());
      const p = await page(a, `/cases/${c._id}`);
      const v = versionIn(p.text, `/cases/${c._id}/support/work_permit`);
      expect((await post(a, p.text, `/cases/${c._id}/support/work_permit`, { version: v, status: 'preparing' })).status).to.equal(303);
      // The same form again (a double click): already so, nothing more written.
      const before = await snapshot(c);
      expect((await post(a, p.text, `/cases/${c._id}/support/work_permit`, { version: v, status: 'preparing' })).status).to.equal(303);
      expect(await snapshot(c)).to.deep.equal(before);
      // Another change from the old page: 409, saying what happened meanwhile.
      const stale = await post(a, p.text, `/cases/${c._id}/support/visa`, { version: v, status: 'requested' });
      expect(stale.status).to.equal(409);
      expect(text(stale.text)).to.include(lang === 'en' ? 'Procedure updated: Work permit' : 'Cập nhật thủ tục hỗ trợ: Giấy phép lao động');
      expect(await snapshot(c)).to.deep.equal(before);
      // A missing version is a bad request.
      expect((await post(a, p.text, `/cases/${c._id}/support/visa`, { status: 'requested' })).status).to.equal(400);
    });

    it(`refuses a leader (403), HR of another institute (404), an unknown kind (404) and \$-keys (400) (${lang})`, async () => {
      const c = await onboardingCase();
      const before = await snapshot(c);
      const l = await signedIn(t, leader);
      const lp = await page(l, '/account');
      const refused = await post(l, lp.text, `/cases/${c._id}/support/work_permit`, { version: String(c.version), status: 'filed' });
      expect(refused.status).to.equal(403);
      const o = await signedIn(t, otherHr);
      const op = await page(o, '/account');
      expect((await post(o, op.text, `/cases/${c._id}/support/work_permit`, { version: String(c.version), status: 'filed' })).status).to.equal(404);
      expect((await page(o, `/cases/${c._id}/procedures/work_permit`)).status).to.equal(404);
      const a = await signedIn(t, who());
      const p = await page(a, `/cases/${c._id}`);
      expect((await post(a, p.text, `/cases/${c._id}/support/spaceship`, { version: String(c.version), status: 'filed' })).status).to.equal(404);
      const dollar = await a.post(`/cases/${c._id}/procedures/work_permit`).type('form').set('Accept', 'text/html').send(`_csrf=${encodeURIComponent(/name="_csrf" value="([^"]+)"/.exec(p.text)![1]!)}&version=${c.version}&status=filed&office[$ne]=x`);
      expect(dollar.status).to.equal(400);
      const nested = await a.post(`/cases/${c._id}/procedures/work_permit`).type('form').set('Accept', 'text/html').send(`_csrf=${encodeURIComponent(/name="_csrf" value="([^"]+)"/.exec(p.text)![1]!)}&version=${c.version}&status=filed&$where=1`);
      expect(nested.status).to.equal(400);
      expect(await snapshot(c)).to.deep.equal(before);
    });
  }

  it('starts no procedure on a case held before any offer, and works them on one held after the offer', async () => {
    const a = await signedIn(t, hrEn);
    const early = await createCase({ applicant, call, stage: 'on_hold', resumeStage: 'screening', assignee: hrEn._id });
    const before = await snapshot(early);
    const p = await page(a, `/cases/${early._id}`);
    expect(p.text).not.to.include(`action="/cases/${early._id}/procedures/work_permit"`);
    const res = await post(a, p.text, `/cases/${early._id}/procedures/work_permit`, { version: String(early.version), status: 'requested' });
    expect(res.status).to.equal(422);
    expect(await snapshot(early)).to.deep.equal(before); // no track, no e-mail to the applicant

    const late = await createCase({ applicant, call, stage: 'on_hold', resumeStage: 'onboarding', assignee: hrEn._id, supportTracks: [{ kind: 'work_permit', status: 'requested', updatedAt: vn('2027-01-20') }] });
    const form = await page(a, `/cases/${late._id}/procedures/work_permit`);
    const ok = await post(a, form.text, `/cases/${late._id}/procedures/work_permit`, { version: versionIn(form.text, `/cases/${late._id}/procedures/work_permit`), status: 'preparing' });
    expect(ok.status).to.equal(303);
    expect((await Case.findById(late._id).lean())!.supportTracks.find((s) => s.kind === 'work_permit')!.status).to.equal('preparing');
  });

  it('runs no clock on a procedure that waits for another, refuses to file it, and starts it when that one is granted', async () => {
    clock = vn('2027-03-01'); // a Monday
    const c = await createCase({
      applicant,
      call,
      stage: 'onboarding',
      assignee: hrEn._id,
      supportTracks: [
        { kind: 'work_permit', status: 'filed', filedAt: vn('2027-02-22'), dueAt: vn('2027-03-08'), updatedAt: vn('2027-02-22') },
        { kind: 'visa', status: 'requested', updatedAt: vn('2027-02-20') },
        { kind: 'residence_card', status: 'requested', updatedAt: vn('2027-02-20') },
      ],
    });
    const a = await signedIn(t, hrEn);
    const shown = text((await page(a, `/cases/${c._id}`)).text);
    expect(shown).to.include('waits for the work permit<');
    expect(shown).to.include('waits for the work permit and the visa');

    const before = await snapshot(c);
    const visaForm = await page(a, `/cases/${c._id}/procedures/visa`);
    const filed = await post(a, visaForm.text, `/cases/${c._id}/procedures/visa`, { version: versionIn(visaForm.text, `/cases/${c._id}/procedures/visa`), status: 'filed', filedAt: '2027-03-01' });
    expect(filed.status).to.equal(422);
    expect(text(filed.text)).to.include('this procedure is lodged once the ones it comes after are granted');
    expect(await snapshot(c)).to.deep.equal(before);

    const wpForm = await page(a, `/cases/${c._id}/procedures/work_permit`);
    const granted = await post(a, wpForm.text, `/cases/${c._id}/procedures/work_permit`, { version: versionIn(wpForm.text, `/cases/${c._id}/procedures/work_permit`), status: 'approved', decidedAt: '2027-03-01' });
    expect(granted.status).to.equal(303);
    const after = (await Case.findById(c._id).lean())!;
    const visa = after.supportTracks.find((s) => s.kind === 'visa')!;
    expect(vnDateKey(visa.dueAt!)).to.equal('2027-03-08'); // 5 working days from Monday 1 March
    expect(after.supportTracks.find((s) => s.kind === 'residence_card')!.dueAt).to.equal(undefined); // still waits for the visa
    // The grant's e-mail says the visa goes ahead now, with its target and working days left; not the card, which still waits.
    const mail = after.outbox.filter((o) => o.template === 'procedure_update').at(-1)!;
    const rendered = await renderEmail('procedure_update', mail.locale as 'en' | 'vi', mail.data as Record<string, unknown>);
    expect(rendered.text).to.match(/Thị thực: nay có thể tiến hành, dự kiến nộp hồ sơ trước 8\/3\/2027 \(còn \d+ ngày làm việc\)\./);
    expect(rendered.html).to.include('data-unlocked');
    expect(rendered.text).not.to.match(/Thẻ tạm trú: nay có thể/);
    const en = procedureEmail({ applicant: { email: 'x@example.test', locale: 'en', name: 'An' }, reference: 'R', caseId: String(c._id), kind: 'work_permit', track: after.supportTracks.find((s) => s.kind === 'work_permit')! as never, change: { kind: 'work_permit', from: 'filed', to: 'approved' } as never, key: 'k', now: clock, calendar: await loadCalendar(), unlocked: [{ kind: 'visa', dueAt: visa.dueAt }] });
    const enText = (await renderEmail('procedure_update', 'en', en.data as Record<string, unknown>)).text;
    expect(enText).to.match(/Visa: can go ahead now; we aim to file by 8 Mar 2027 \(\d+ working days? left\)\./);
  });
});
