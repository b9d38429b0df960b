// A holiday added (or removed) inside the period of a request to the applicant ("more is asked",
// server/procedures/asks.ts) moves its due date by the same count of working days from the day it
// was asked, as it moves the procedures' deadlines (server/cases/deadline-recount.ts): the applicant
// gets one e-mail per case and recount, in their language, naming the new dates; the case's timeline
// names the holiday; a request already answered ("done", a file uploaded into its slot) or recorded
// received keeps its date.
// March 2033: a year no other test enters holidays in.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { addHoliday, csrfFrom, removeHoliday } from '../support/http.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { Holiday } from '../../models/holiday.ts';
import { DeadlineRecount } from '../../models/deadline-recount.ts';
import { vnDateKey } from '../../server/calendar/index.ts';
import type { UserDoc } from '../../models/user.ts';
import { signedIn, page, post, versionIn, deliver, text } from '../applications/support.ts';
import { makePdf } from '../documents/support.ts';

/** 10:00 in Vietnam on that day. */
const vn = (day: string) => new Date(`${day}T03:00:00.000Z`);

/** The hidden `track` stamp of the form posting to `action`. */
function stampIn(html: string, action: string): string {
  const at = html.indexOf(`action="${action}"`);
  expect(at, `a form posting to ${action}`).to.be.greaterThan(-1);
  return /name="track" value="([^"]*)"/.exec(html.slice(at, at + 2000))![1]!;
}

describe('procedures: a holiday moves the due date of what is asked of the applicant', function () {
  this.timeout(60_000);
  let t: TestApp;
  const clock = vn('2033-03-01'); // a Tuesday
  let admin: UserDoc;
  let hr: UserDoc;
  let applicant: UserDoc;
  let applicantVi: UserDoc;
  let two: CaseDoc; // two open requests (work permit, residence card): one e-mail for both
  let answered: CaseDoc; // one request answered "done" (keeps its date), one open (moves)
  let received: CaseDoc; // a request recorded received: nothing moves
  const stored = async (id: unknown) => (await Case.findById(id).lean())!;
  const asksOf = (c: Awaited<ReturnType<typeof stored>>, kind: string) => c.supportTracks.find((s) => s.kind === kind)!.asks!;

  before(async () => {
    t = await startTestApp({ now: () => clock });
    const institute = await createInstitute();
    admin = await createUser({ role: 'admin', locale: 'en' });
    hr = await createUser({ role: 'hr_officer', institute, locale: 'en' });
    applicant = await createUser({ role: 'applicant', locale: 'en', name: 'Anna Berg' });
    applicantVi = await createUser({ role: 'applicant', locale: 'vi', name: 'Nguyễn Văn An' });
    const call = await createCall({ institute, checklist: [{ type: 'cv', phase: 'application', required: true }, { type: 'degree_translation', phase: 'onboarding', required: false }] });
    const tracks = () => [
      { kind: 'work_permit', status: 'preparing', updatedAt: vn('2033-02-20') },
      { kind: 'residence_card', status: 'requested', updatedAt: vn('2033-02-20') },
    ];
    two = await createCase({ applicant, call, stage: 'onboarding', assignee: hr._id, supportTracks: tracks() });
    answered = await createCase({ applicant: applicantVi, call, stage: 'onboarding', assignee: hr._id, supportTracks: tracks() });
    received = await createCase({ applicant, call, stage: 'onboarding', assignee: hr._id, supportTracks: tracks() });
  });
  after(async () => {
    await Holiday.deleteMany({ date: { $gte: '2033-01-01', $lte: '2033-12-31' } });
    await DeadlineRecount.deleteMany({ date: { $gte: '2033-01-01', $lte: '2033-12-31' } });
    await t?.close();
  });

  /** HR asks through the procedure's page, as shown. */
  async function ask(c: CaseDoc, kind: string, askText: string, askDueAt: string, askDocument = '') {
    const a = await signedIn(t, hr);
    const url = `/cases/${c._id}/procedures/${kind}`;
    const form = await page(a, url);
    const action = `${url}/asks`;
    const res = await post(a, form.text, action, { version: versionIn(form.text, action), track: stampIn(form.text, action), askText, askDueAt, askDocument });
    expect(res.status, res.text.slice(0, 300)).to.equal(303);
  }

  it('keeps the working days a request counts, and moves only the open ones when a holiday is added inside their period', async () => {
    // Tue 1 Mar: Thu 10 Mar is 7 working days on; Wed 9 Mar is 6.
    await ask(two, 'work_permit', 'Your signed contract.', '2033-03-10');
    await ask(two, 'residence_card', 'Two photos 2×3.', '2033-03-09');
    await ask(answered, 'work_permit', 'Bản sao hộ chiếu.', '2033-03-10');
    await ask(answered, 'residence_card', 'Ảnh 2×3.', '2033-03-10');
    await ask(received, 'work_permit', 'A form.', '2033-03-10');
    await ask(received, 'residence_card', 'The translation.', '2033-03-10', 'degree_translation');
    const wp = asksOf(await stored(two._id), 'work_permit')[0]!;
    expect(wp.dueCount?.workingDays).to.equal(7);
    expect(wp.dueCount?.from.toISOString()).to.equal(clock.toISOString());

    // The Vietnamese applicant says one is done; HR records the other case's request received.
    const me = await signedIn(t, applicantVi);
    const mine = await page(me, `/applications/${answered._id}`);
    const doneId = String(asksOf(await stored(answered._id), 'work_permit')[0]!._id);
    const doneUrl = `/applications/${answered._id}/procedures/work_permit/asks/${doneId}/done`;
    expect((await post(me, mine.text, doneUrl, { version: versionIn(mine.text, doneUrl), track: stampIn(mine.text, doneUrl), reply: 'Đã gửi.' })).status).to.equal(303);
    const h = await signedIn(t, hr);
    const recId = String(asksOf(await stored(received._id), 'work_permit')[0]!._id);
    const pageUrl = `/cases/${received._id}/procedures/work_permit`;
    const recUrl = `${pageUrl}/asks/${recId}/received`;
    const hrForm = await page(h, pageUrl);
    expect((await post(h, hrForm.text, recUrl, { version: versionIn(hrForm.text, recUrl), track: stampIn(hrForm.text, recUrl), receivedOn: '' })).status).to.equal(303);

    // The applicant answers the other one by uploading into the slot it names.
    const up = await signedIn(t, applicant);
    const token = csrfFrom((await page(up, `/applications/${received._id}`)).text);
    const sent = await up.post(`/cases/${received._id}/documents`).field('_csrf', token).set('Accept', 'text/html').attach('degree_translation', await makePdf('T'), { filename: 't.pdf', contentType: 'application/pdf' });
    expect(sent.status, sent.text.slice(0, 300)).to.equal(303);

    const before = { two: await stored(two._id), answered: await stored(answered._id), received: await stored(received._id) };
    const a = await signedIn(t, admin);
    const res = await addHoliday(a, { date: '2033-03-08', nameVi: 'Ngày nghỉ thử', nameEn: 'Ask test day' });
    expect(res.status).to.equal(303);
    expect(text((await page(a, String(res.headers.location))).text)).to.include('Deadlines moved: 3.');

    // One working day later each, the queue's next deadline with them.
    const c = await stored(two._id);
    expect(vnDateKey(asksOf(c, 'work_permit')[0]!.dueAt)).to.equal('2033-03-11');
    expect(vnDateKey(asksOf(c, 'residence_card')[0]!.dueAt)).to.equal('2033-03-10');
    expect(vnDateKey(c.nextDueAt!)).to.equal('2033-03-10');
    expect(c.version).to.equal(before.two.version + 1);
    // Answered, or received: kept.
    const b = await stored(answered._id);
    expect(vnDateKey(asksOf(b, 'work_permit')[0]!.dueAt), 'answered "done"').to.equal('2033-03-10');
    expect(vnDateKey(asksOf(b, 'residence_card')[0]!.dueAt)).to.equal('2033-03-11');
    const r = await stored(received._id);
    expect(r.version, 'a request received, or answered by an upload, moves nothing').to.equal(before.received.version);
    expect(vnDateKey(asksOf(r, 'residence_card')[0]!.dueAt)).to.equal('2033-03-10');

    // On the timeline, naming the holiday, for HR and the applicant.
    const event = c.history.at(-1)!;
    expect(event.action).to.equal('deadlines_recount');
    expect(event.recount!.moved.map((m) => [m.target, m.what, vnDateKey(m.from), vnDateKey(m.to), m.applicantVisible])).to.deep.equal([
      ['work_permit', 'ask', '2033-03-10', '2033-03-11', true],
      ['residence_card', 'ask', '2033-03-09', '2033-03-10', true],
    ]);
    const line = 'Work permit, the date for what was asked of the applicant: deadline moved from 10 Mar 2033 to 11 Mar 2033: public holiday of 8 Mar 2033 (Ask test day) added';
    expect(text((await page(h, `/cases/${two._id}`)).text)).to.include(line);
    expect(text((await page(await signedIn(t, applicant), `/applications/${two._id}`)).text)).to.include(line);

    // One e-mail per case and recount, on the SMTP server, in the applicant's language.
    expect(c.outbox.filter((o) => o.template === 'procedure_asks_moved')).to.have.length(1);
    await deliver(t, two._id);
    const mail = await t.smtp.waitForTo(applicant.email, /A new date for what was asked of you/);
    expect(mail.subject).to.equal(`[${two.reference}] A new date for what was asked of you: 10 Mar 2033 (public holiday calendar changed)`);
    expect(mail.text).to.include('The public holiday of 8 Mar 2033 (Ask test day) was added to the calendar.');
    expect(mail.text).to.include('- Work permit: Your signed contract.\n  Due by: 11 Mar 2033 (7 working days left); it was 10 Mar 2033.');
    expect(mail.text).to.include('- Temporary residence card: Two photos 2×3.\n  Due by: 10 Mar 2033 (6 working days left); it was 9 Mar 2033.');
    expect(mail.html).to.include('Due by: 11 Mar 2033 (7 working days left)');
    await deliver(t, answered._id);
    const vi = await t.smtp.waitForTo(applicantVi.email, /Hạn mới cho nội dung cần bổ sung/);
    expect(vi.subject).to.equal(`[${answered.reference}] Hạn mới cho nội dung cần bổ sung: 11/3/2033 (lịch nghỉ lễ thay đổi)`);
    expect(vi.text).to.include('Ngày nghỉ lễ 8/3/2033 (Ngày nghỉ thử) đã được thêm vào lịch.');
    expect(vi.text).to.include('Ảnh 2×3.');
    expect(vi.text, 'the request answered is not in it').not.to.include('Bản sao hộ chiếu.');
    expect(t.smtp.to(applicant.email).filter((m) => /A new date for what was asked/.test(m.subject))).to.have.length(1);
  });

  it('moves them back when the day is removed, with one more e-mail', async () => {
    const a = await signedIn(t, admin);
    const h = await Holiday.findOne({ date: '2033-03-08' }).lean();
    const res = await removeHoliday(a, String(h!._id));
    expect(res.status).to.equal(303);
    const c = await stored(two._id);
    expect(vnDateKey(asksOf(c, 'work_permit')[0]!.dueAt)).to.equal('2033-03-10');
    expect(vnDateKey(asksOf(c, 'residence_card')[0]!.dueAt)).to.equal('2033-03-09');
    expect(c.outbox.filter((o) => o.template === 'procedure_asks_moved')).to.have.length(2);
    await deliver(t, two._id);
    const mail = await t.smtp.waitFor((m) => m.to.includes(applicant.email.toLowerCase()) && m.text.includes('was removed from the calendar'));
    expect(mail.text).to.include('Due by: 10 Mar 2033 (7 working days left); it was 11 Mar 2033.');
  });
});
