// The applicant's "What happens now" box on a held case says why, in the words they were told
// (walk s34 #6): HR's reason for the hold, or for a leader's hold after the panel what the leader
// wrote for them (history.told), never the leader's internal reason. en + vi ("Ông/Bà").
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { vnEndOfDay, vnStartOfDay } from '../../server/calendar/index.ts';
import { signedIn, page, text } from './support.ts';

const vn = (day: string) => new Date(`${day}T03:00:00.000Z`);
const box = (html: string) => text((/<section class="panel" id="next-step"[\s\S]*?<\/section>/.exec(html)?.[0] ?? '').replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ');

describe('applications: a held case tells the applicant why, in the words they were told', function () {
  this.timeout(60_000);
  let t: TestApp;
  let hr: UserDoc;
  let leader: UserDoc;
  let call: CallDoc;

  before(async () => {
    t = await startTestApp({ now: () => vn('2027-03-08') });
    const institute = await createInstitute();
    hr = await createUser({ role: 'hr_officer', institute, name: 'Officer Hold', locale: 'en' });
    leader = await createUser({ role: 'leader', institute, name: 'Leader Hold', locale: 'en' });
    call = await createCall({ institute, checklist: [] });
  });
  after(async () => {
    await t?.close();
  });

  const held = (applicant: UserDoc, event: Record<string, unknown>) =>
    createCase({ applicant, call, stage: 'on_hold', resumeStage: 'screening', stageDueAt: vnEndOfDay(vnStartOfDay('2027-03-22')), history: [{ at: vn('2027-03-05'), action: 'put_on_hold', from: 'screening', to: 'on_hold', ...event }] });

  it("English: HR's hold gives its reason beside the review date", async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en', name: 'Anna Held' });
    const c = await held(applicant, { actor: hr._id, actorRole: 'hr_officer', note: 'We are waiting for the 2027 budget.' });
    const words = box((await page(await signedIn(t, applicant), `/applications/${c._id}`)).text);
    expect(words).to.include('HR will look at your application again by 22 Mar 2027');
    expect(words).to.include('The reason you were given: We are waiting for the 2027 budget.');
  });

  it("Vietnamese: a leader's hold shows what they wrote for the applicant, never their internal reason", async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'vi', name: 'Trần Thị Giữ' });
    const c = await held(applicant, { actor: leader._id, actorRole: 'leader', from: 'evaluation', note: 'Internal: budget line 4 frozen by the director.', internal: true, told: 'Viện đang chờ phân bổ ngân sách năm 2027.' });
    const words = box((await page(await signedIn(t, applicant), `/applications/${c._id}`)).text);
    expect(words).to.include('Lý do đã thông báo cho Ông/Bà: Viện đang chờ phân bổ ngân sách năm 2027.');
    expect(words).not.to.include('budget line 4');
    expect(words).not.to.match(/\bbạn\b/);
  });

  it('a leader\'s hold with no words for the applicant shows no reason at all', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en', name: 'Ben Held' });
    const c = await held(applicant, { actor: leader._id, actorRole: 'leader', from: 'evaluation', note: 'Internal only.', internal: true });
    const words = box((await page(await signedIn(t, applicant), `/applications/${c._id}`)).text);
    expect(words).not.to.include('Internal only');
    expect(words).not.to.include('The reason you were given');
  });
});
