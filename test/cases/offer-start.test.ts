// The offer's planned start and the case's are one story (server/cases/planned-start-moves.ts): the
// offer form starts from the case's day and says it when the offer's differs; an acceptance (the
// applicant's, or one HR records) makes the offer's day the planned start in the same update,
// recorded as HR's move is (history, audit), with onboarding's deadline, the procedures' targets,
// the forecast and the e-mails following; HR may move it after; the case page shows one day and
// where it came from. An old offer with only a free-text start leaves the case's day alone.
// Real database, real SMTP, the real pages and forms.
import { expect } from 'chai';
import { Types } from 'mongoose';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { loadCalendar, seedHolidays, vnDateKey, vnEndOfDay } from '../../server/calendar/index.ts';
import { countedLodgingDue } from '../../server/procedures/rules.ts';
import { SUPPORT_TRACK_DEADLINES } from '../../server/workflow/transitions.ts';
import { deliver, page, post, signedIn, text, versionIn } from '../applications/support.ts';

const words = (html: string) => text(html.replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ');
const day = (key: string) => new Date(`${key}T00:00:00.000Z`);

describe('cases: the offer’s planned start becomes the case’s', function () {
  this.timeout(60_000);
  let t: TestApp;
  let hr: UserDoc;
  let hrVi: UserDoc;
  let call: CallDoc;
  // Monday 7 Dec 2026, 09:00 in Vietnam.
  const clock = new Date('2026-12-07T02:00:00Z');

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

  /** A case at the offer (made on the clock's day), the applicant's planned start and the offer's terms as given. */
  async function offered(applicant: UserDoc, opts: { planned?: string; startOn?: string; start?: string; assignee?: UserDoc; terms?: false }): Promise<CaseDoc> {
    const c = await createCase({ applicant, call, stage: 'offer', assignee: opts.assignee?._id, stageEnteredAt: clock, stageDueAt: new Date('2026-12-21T16:59:59.999Z') });
    const terms = opts.terms === false ? undefined : { position: 'Senior researcher', letter: new Types.ObjectId(), updatedAt: clock, ...(opts.startOn ? { startOn: day(opts.startOn) } : {}), ...(opts.start ? { start: opts.start } : {}) };
    await Case.updateOne({ _id: c._id }, { $set: { ...(opts.planned ? { 'profile.plannedArrival': day(opts.planned) } : {}), ...(terms ? { offerTerms: terms } : {}) }, ...(terms ? {} : { $unset: { offerTerms: 1 } }) });
    return (await Case.findById(c._id))!;
  }

  async function accept(applicant: UserDoc, c: CaseDoc) {
    const a = await signedIn(t, applicant);
    const url = `/applications/${c._id}/offer/accept`;
    const confirm = await page(a, url);
    expect(confirm.status).to.equal(200);
    const form = { version: versionIn(confirm.text, url) };
    const res = await post(a, confirm.text, url, form);
    expect(res.status).to.equal(303);
    return { a, confirm, url, form };
  }

  it('the offer form starts from the case’s planned start, and says the case’s day when the offer’s differs (en, vi)', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const blank = await offered(applicant, { planned: '2027-03-01', terms: false });
    const h = await signedIn(t, hr);
    const p = await page(h, `/cases/${blank._id}`);
    expect(p.text).to.match(/name="offerStart" type="text" value="01\/03\/2027"/);
    const shown = words(p.text);
    expect(shown).to.include('1 Mar 2027 (given by the applicant)');
    expect(shown).to.include('Filled in with the case\'s planned start. When the applicant accepts, the offer\'s day becomes the case\'s planned start.');
    // Saved as shown: the offer states the case's day.
    const url = `/cases/${blank._id}/offer-terms`;
    const saved = await h.post(url).set('Accept', 'text/html').field('_csrf', /name="_csrf" value="([^"]+)"/.exec(p.text)![1]!).field('version', versionIn(p.text, url)).field('offerPosition', 'Senior researcher').field('offerStart', '2027-03-01').field('offerSalary', '').field('offerContractLength', '');
    expect(saved.status).to.equal(303);
    expect((await Case.findById(blank._id).lean())!.offerTerms!.startOn!.toISOString()).to.equal('2027-03-01T00:00:00.000Z');

    const differs = await offered(applicant, { planned: '2027-03-01', startOn: '2027-04-01' });
    const en = await page(h, `/cases/${differs._id}`);
    expect(en.text).to.match(/name="offerStart" type="text" value="01\/04\/2027"/);
    expect(words(en.text)).to.include("Planned start 1 Apr 2027 The case's planned start is 1 Mar 2027 (given by the applicant). When the applicant accepts, the offer's day becomes the case's planned start.");
    const vi = words((await page(await signedIn(t, hrVi), `/cases/${differs._id}`)).text);
    expect(vi).to.include('Ngày dự kiến bắt đầu trong hồ sơ là 1/3/2027 (do ứng viên khai). Khi ứng viên chấp nhận, ngày trong lời mời làm việc trở thành ngày dự kiến bắt đầu của hồ sơ.');
  });

  it('the applicant accepts: the offer’s day becomes the planned start (history, audit, onboarding deadline, targets, forecast), said on the page and in both e-mails; a double submit changes nothing more', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await offered(applicant, { planned: '2027-03-01', startOn: '2027-04-01', assignee: hrVi });
    const { a, confirm, url, form } = await accept(applicant, c);
    expect(words(confirm.text)).to.include('Your planned start of work becomes 1 Apr 2027, the day in the offer (it was 1 Mar 2027).');

    const stored = (await Case.findById(c._id).lean())!;
    expect(stored.stage).to.equal('onboarding');
    expect(stored.version).to.equal(c.version + 1);
    expect(vnDateKey(stored.profile!.plannedArrival!)).to.equal('2027-04-01');
    // 40 working days from 7 Dec end before 1 Apr: onboarding is due on the offer's day.
    expect(stored.stageDueAt!.toISOString()).to.equal(vnEndOfDay(day('2027-04-01')).toISOString());
    const permit = stored.supportTracks.find((s) => s.kind === 'work_permit')!;
    const expected = countedLodgingDue('work_permit', await loadCalendar(), clock, SUPPORT_TRACK_DEADLINES.work_permit, day('2027-04-01'));
    expect(permit.dueAt!.toISOString()).to.equal(expected.dueAt.toISOString());
    expect(vnDateKey(stored.forecast!.likely!) >= '2027-04-01', `forecast ${vnDateKey(stored.forecast!.likely!)}`).to.equal(true);
    // The move first, the acceptance last (a double submit and the conflict page read the last event).
    const [move, accepted] = stored.history.slice(-2);
    expect(accepted!.action).to.equal('accept_offer');
    expect(move!.action).to.equal('plan_start');
    expect(String(move!.actor)).to.equal(String(applicant._id));
    expect(move!.plannedStart).to.deep.include({ source: 'offer' });
    expect(vnDateKey(move!.plannedStart!.from!)).to.equal('2027-03-01');
    expect(vnDateKey(move!.plannedStart!.to)).to.equal('2027-04-01');
    const audit = (await AuditEvent.findOne({ action: 'case.planned_start_changed', targetId: String(c._id) }).lean())!;
    expect(audit.summary).to.include({ from: '2027-03-01', to: '2027-04-01', source: 'offer', version: stored.version });

    // The same confirmation again (another tab): recorded once.
    expect((await post(a, confirm.text, url, form)).status).to.equal(303);
    const again = (await Case.findById(c._id).lean())!;
    expect(again.version).to.equal(stored.version);
    expect(again.history.filter((h) => h.action === 'plan_start')).to.have.length(1);

    await deliver(t, c._id);
    const mine = await t.smtp.waitForTo(applicant.email, new RegExp(`\\[${c.reference}\\] Welcome: offer accepted`));
    expect(mine.text).to.include('Your planned start of work: 1 Apr 2027, the day in the offer you accepted (it was 1 Mar 2027).');
    const notice = await t.smtp.waitForTo(hrVi.email, new RegExp(`\\[${c.reference}\\] Ứng viên đã chấp nhận lời mời làm việc`));
    expect(notice.text).to.include('Ngày dự kiến bắt đầu làm việc nay là 1/4/2027, theo lời mời làm việc (trước đó là ngày 1/3/2027).');

    // One day on the case page, from the offer; the offer's own row says nothing more (the same day).
    const hrPage = words((await page(await signedIn(t, hr), `/cases/${c._id}`)).text);
    expect(hrPage).to.include('1 Apr 2027 (the day in the accepted offer)');
    expect(hrPage).to.include('Planned start: 1 Apr 2027, the day in the accepted offer (it was 1 Mar 2027).');
    expect(hrPage).not.to.include("The case's planned start is");
  });

  it('HR moves the start after the acceptance: the case page says HR changed it, and the offer’s day is named as the offer’s', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await offered(applicant, { planned: '2027-03-01', startOn: '2027-04-01' });
    await accept(applicant, c);
    const h = await signedIn(t, hr);
    const p = await page(h, `/cases/${c._id}`);
    const url = `/cases/${c._id}/planned-start`;
    expect((await post(h, p.text, url, { version: versionIn(p.text, url), plannedStart: '2027-05-03', plannedStartReason: 'The expert wrote that they start in May.' })).status).to.equal(303);
    const stored = (await Case.findById(c._id).lean())!;
    expect(vnDateKey(stored.profile!.plannedArrival!)).to.equal('2027-05-03');
    expect(vnDateKey(stored.stageDueAt!)).to.equal('2027-05-03');
    expect(stored.history.at(-1)!.plannedStart?.source ?? undefined).to.equal(undefined);
    const audits = await AuditEvent.find({ action: 'case.planned_start_changed', targetId: String(c._id) }).sort({ _id: 1 }).lean();
    expect(audits.map((e) => (e.summary as { source?: string }).source)).to.deep.equal(['offer', 'hr']);
    const after = words((await page(h, `/cases/${c._id}`)).text);
    expect(after).to.include('3 May 2027 (changed by HR on 7 Dec 2026)');
    // The offer as accepted keeps its day, said beside the case's (no "becomes" once accepted).
    expect(after).to.include("Planned start 1 Apr 2027 The case's planned start is 3 May 2027 (changed by HR on 7 Dec 2026).");
    expect(after).not.to.include('When the applicant accepts');
  });

  it('an acceptance HR records moves the start too, and the applicant is told in Vietnamese (no earlier day to name)', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'vi' });
    const c = await offered(applicant, { startOn: '2027-04-01', assignee: hr });
    const h = await signedIn(t, hr);
    const url = `/cases/${c._id}/actions/record_acceptance`;
    const shown = await page(h, `/cases/${c._id}`);
    expect((await post(h, shown.text, url, { version: versionIn(shown.text, url), receivedVia: 'email', receivedOn: vnDateKey(clock), reason: 'Accepted by e-mail.' })).status).to.equal(303);
    const stored = (await Case.findById(c._id).lean())!;
    expect(stored.stage).to.equal('onboarding');
    expect(vnDateKey(stored.profile!.plannedArrival!)).to.equal('2027-04-01');
    const move = stored.history.at(-2)!;
    expect(move.action).to.equal('plan_start');
    expect(move.plannedStart!.from ?? undefined).to.equal(undefined);
    expect(String(move.actor)).to.equal(String(hr._id));
    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(applicant.email, new RegExp(`\\[${c.reference}\\] Chào mừng`));
    expect(mail.text).to.include('Ngày dự kiến bắt đầu làm việc của Ông/Bà: 1/4/2027, theo lời mời làm việc Ông/Bà đã chấp nhận.');
    expect(mail.text).not.to.include('trước đó');
  });

  it('an old offer with only a free-text start, or a day already past: the case’s planned start stays, and the pages say which day holds', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const old = await offered(applicant, { planned: '2027-03-01', start: 'within 3 months of acceptance' });
    const h = await signedIn(t, hr);
    const p = await page(h, `/cases/${old._id}`);
    // Not prefilled over the old text (saving would replace it unseen); the case's day is named.
    expect(p.text).to.match(/name="offerStart" type="text" value=""/);
    const before = words(p.text);
    expect(before).to.include("Planned start within 3 months of acceptance The case's planned start is 1 Mar 2027 (given by the applicant).");
    expect(before).to.include('Before, typed as text: “within 3 months of acceptance” (kept until a day is chosen).');
    const { confirm } = await accept(applicant, old);
    expect(words(confirm.text)).to.include('Your planned start of work: 1 Mar 2027.');
    const stored = (await Case.findById(old._id).lean())!;
    expect(stored.stage).to.equal('onboarding');
    expect(vnDateKey(stored.profile!.plannedArrival!)).to.equal('2027-03-01');
    expect(stored.history.filter((x) => x.action === 'plan_start')).to.have.length(0);
    expect(await AuditEvent.countDocuments({ action: 'case.planned_start_changed', targetId: String(old._id) })).to.equal(0);
    await deliver(t, old._id);
    const mail = await t.smtp.waitForTo(applicant.email, new RegExp(`\\[${old.reference}\\] Welcome: offer accepted`));
    expect(mail.text).to.include('Your planned start of work: 1 Mar 2027.');
    expect(mail.text).not.to.include('the day in the offer');

    // An offer whose day passed before the answer: nothing to plan from it, the case's day stays.
    const past = await offered(applicant, { planned: '2027-03-01', startOn: '2026-12-01' });
    await accept(applicant, past);
    const kept = (await Case.findById(past._id).lean())!;
    expect(vnDateKey(kept.profile!.plannedArrival!)).to.equal('2027-03-01');
    expect(kept.history.filter((x) => x.action === 'plan_start')).to.have.length(0);
  });
});
