// A filing target HR typed, when HR moves the planned start (walk32 #1): the planned-start form lists
// each typed target the move affects with its day and working days left; moved (the form's checked choice) it
// shifts by as many days as the start inside the new legal window, on the case, in HR's flash and in
// the applicant's one e-mail; kept, it stays and HR is warned where the new start leaves it outside
// the window (Decree 219/2025/ND-CP: lodged 60 to 10 days before the start).
import { expect } from 'chai';
import type { TestApp } from '../support/app.ts';
import { createUser } from '../support/factories.ts';
import { Case } from '../../models/case.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { vnDateKey, vnEndOfDay } from '../../server/calendar/index.ts';
import { signedIn, page, post, versionIn, deliver, text } from '../applications/support.ts';
import { onboardingCase, procedureWorld, vn } from './support.ts';

const words = (html: string) => text(html.replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ');

describe('procedures: a filing target HR typed, when the planned start moves', function () {
  this.timeout(60_000);
  let t: TestApp;
  const clock = vn('2026-12-05');
  let hrEn: UserDoc;
  let call: CallDoc;

  before(async () => {
    ({ t, hrEn, call } = await procedureWorld(() => clock));
  });
  after(async () => {
    await t?.close();
  });

  /** Onboarding, start 1 Mar 2027 (window 31 Dec 2026 – 19 Feb 2027); the permit's target typed by HR on 15 Jan (no count). */
  const typedCase = (applicant: UserDoc) =>
    onboardingCase({ applicant, call, assignee: hrEn, fullName: 'Typed Target', nationality: 'FR', start: '2027-03-01', entered: '2026-12-01', due: '2027-03-01', tracks: [{ kind: 'work_permit', status: 'preparing', dueAt: vnEndOfDay(vn('2027-01-15')), updatedAt: vn('2026-12-02') }] });
  const permit = async (id: unknown) => (await Case.findById(id).lean())!.supportTracks.find((s) => s.kind === 'work_permit')!;

  it('lists the typed target on the form, moves it with the start by default, says so to HR and e-mails the applicant the new day', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'vi', name: 'Claire Moreau' });
    const c = await typedCase(applicant);
    const a = await signedIn(t, hrEn);
    const url = `/cases/${c._id}/planned-start`;
    const p = await page(a, `/cases/${c._id}`);
    const form = words(p.text.slice(p.text.indexOf('id="planned-start-typed"'), p.text.indexOf('</fieldset>', p.text.indexOf('id="planned-start-typed"'))));
    expect(form).to.include('Filing targets HR typed');
    expect(form).to.match(/Work permit: target 15 Jan 2027 \(\d+ working days left\)/);
    expect(p.text).to.match(/name="plannedStartTargets" value="move" checked/);

    const res = await post(a, p.text, url, { version: versionIn(p.text, url), plannedStart: '2027-04-01', plannedStartReason: 'The expert wrote that they start in April.', plannedStartTold: '', plannedStartTargets: 'move' });
    expect(res.status).to.equal(303);
    // 15 Jan + 31 days (the start moved from 1 Mar to 1 Apr): 15 Feb, inside the new window (31 Jan – 22 Mar).
    const moved = await permit(c._id);
    expect(vnDateKey(moved.dueAt!)).to.equal('2027-02-15');
    expect(moved.dueCount ?? null, 'still HR\'s own day, not a count').to.equal(null);
    const after = words((await page(a, `/cases/${c._id}`)).text);
    expect(after).to.match(/Work permit: target moved from 15 Jan 2027 to 15 Feb 2027 \(\d+ working days left\)\./);

    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(applicant.email, /1\/4\/2027/);
    const body = text(mail.text);
    expect(body).to.include('15/2/2027');
    expect(body).to.include('trước đây là 15/1/2027');
    expect(body).not.to.match(/\bbạn\b/i);
  });

  it('keeps the typed target when HR says so, warning that the new start leaves it outside the legal window', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en', name: 'Kept Target' });
    const c = await typedCase(applicant);
    const a = await signedIn(t, hrEn);
    const url = `/cases/${c._id}/planned-start`;
    const p = await page(a, `/cases/${c._id}`);
    const res = await post(a, p.text, url, { version: versionIn(p.text, url), plannedStart: '2027-04-01', plannedStartReason: 'April start.', plannedStartTold: '', plannedStartTargets: 'keep' });
    expect(res.status).to.equal(303);
    expect(vnDateKey((await permit(c._id)).dueAt!)).to.equal('2027-01-15');
    const after = await page(a, `/cases/${c._id}`);
    expect(after.text).to.match(/class="flash flash-session flash-warning"/);
    expect(words(after.text)).to.include('Work permit: the target 15 Jan 2027 was kept, but it is outside the legal filing window for the new start (between 31 Jan 2027 and 22 Mar 2027, Decree 219/2025/ND-CP)');
  });

  it('refuses a forged choice with the form kept as typed, nothing written', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en', name: 'Forged Choice' });
    const c = await typedCase(applicant);
    const a = await signedIn(t, hrEn);
    const url = `/cases/${c._id}/planned-start`;
    const p = await page(a, `/cases/${c._id}`);
    const res = await post(a, p.text, url, { version: versionIn(p.text, url), plannedStart: '2027-04-01', plannedStartReason: 'Kept reason text', plannedStartTold: '', plannedStartTargets: '$where' });
    expect(res.status).to.equal(422);
    expect(words(res.text)).to.include('Choose whether the typed targets move with the start.');
    expect(res.text).to.include('Kept reason text');
    const kase = (await Case.findById(c._id).lean())!;
    expect(vnDateKey(kase.profile!.plannedArrival!)).to.equal('2027-03-01');
    // Sent without the choice (a page built before the target was typed): HR was not asked, the target stays, with the warning.
    const q = await page(a, `/cases/${c._id}`);
    const kept = await post(a, q.text, url, { version: versionIn(q.text, url), plannedStart: '2027-04-01', plannedStartReason: 'Old page', plannedStartTold: '' });
    expect(kept.status).to.equal(303);
    expect(vnDateKey((await permit(c._id)).dueAt!)).to.equal('2027-01-15');
    expect(words((await page(a, `/cases/${c._id}`)).text)).to.include('Work permit: the target 15 Jan 2027 was kept');
  });
});
