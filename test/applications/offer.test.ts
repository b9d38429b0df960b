// Later steps on the applicant's page: the leader's decision buttons on the case page, the offer
// accepted or declined by the applicant (support tracks start on acceptance), and the timeline the
// applicant sees (stage changes without staff names or internal notes).
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case } from '../../models/case.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { seedHolidays } from '../../server/calendar/index.ts';
import { signedIn, page, post, versionIn, deliver, text } from './support.ts';

describe('applications: decisions, offer and timeline', () => {
  let t: TestApp;
  let leader: UserDoc;
  let hr: UserDoc;
  let applicant: UserDoc;
  let call: CallDoc;

  before(async () => {
    t = await startTestApp();
    await seedHolidays();
    const institute = await createInstitute();
    leader = await createUser({ role: 'leader', institute, name: 'Director Secret' });
    hr = await createUser({ role: 'hr_officer', institute, name: 'Officer Hidden' });
    applicant = await createUser({ role: 'applicant', locale: 'en' });
    call = await createCall({ institute, checklist: [] });
  });
  after(async () => {
    await t?.close();
  });

  it("gives the leader a link to the decision page, not decision buttons; a bare decision is refused and changes nothing", async () => {
    const c = await createCase({ applicant, call, stage: 'evaluation' });
    const l = await signedIn(t, leader);
    const p = await page(l, `/cases/${c._id}`);
    expect(p.text).not.to.include(`/actions/shortlist"`);
    expect(p.text).not.to.include(`/actions/reject"`);
    expect(p.text).to.include(`href="/shortlists/${call._id}/cases/${c._id}" id="decide"`);
    // A hand-made POST of the old buttons: no reason, no panel scores, no confirmation.
    for (const action of ['shortlist', 'reject']) {
      const r = await post(l, p.text, `/cases/${c._id}/actions/${action}`, { version: String(c.version), reason: 'x' });
      expect(r.status, action).to.equal(403);
      expect(r.text).to.include('decision page');
    }
    const after = (await Case.findById(c._id).lean())!;
    expect(after.stage).to.equal('evaluation');
    expect(after.version).to.equal(c.version);
    // HR sees no link: HR does not decide.
    expect((await page(await signedIn(t, hr), `/cases/${c._id}`)).text).not.to.include('id="decide"');
  });

  it('lets the applicant accept an offer: onboarding starts with the requested support tracks and their deadlines', async () => {
    const c = await createCase({ applicant, call, stage: 'offer' });
    const a = await signedIn(t, applicant);
    const p = await page(a, `/applications/${c._id}`);
    // Each answer opens its confirmation (test/applications/offer-answer.test.ts): the accept's page takes the step.
    expect(p.text).to.include(`href="/applications/${c._id}/offer/accept"`);
    expect(p.text).to.include(`href="/applications/${c._id}/offer/decline"`);
    const confirm = await page(a, `/applications/${c._id}/offer/accept`);
    const res = await post(a, confirm.text, `/applications/${c._id}/offer/accept`, { version: versionIn(confirm.text, `/applications/${c._id}/offer/accept`) });
    expect(res.status).to.equal(303);
    const after = (await Case.findById(c._id).lean())!;
    expect(after.stage).to.equal('onboarding');
    const requested = after.supportTracks.filter((s) => s.status === 'requested').map((s) => s.kind).sort();
    expect(requested).to.deep.equal(['residence_card', 'visa', 'work_permit']);
    const h = await signedIn(t, hr);
    const staff = await page(h, `/cases/${c._id}`);
    expect(staff.text).to.include('data-track="work_permit"');
    expect(staff.text).to.include(`action="/cases/${c._id}/support/visa"`);
    await deliver(t, c._id);
    // A procedure that waits for another says so, as the pages do: never a bare "due".
    const mail = await t.smtp.waitForTo(applicant.email, new RegExp(after.reference));
    // Said for what it is: the institute's target to file by (a deadline), not a bare "due".
    expect(mail.text).to.match(/- Work permit: We aim to file by \d{1,2} \w{3} \d{4} \(\d+ working days? left\)(\. By law, the file can be lodged between [^\n]*)?\n/);
    expect(mail.text).to.include('- Visa: waits for the work permit\n');
    expect(mail.text).to.include('- Temporary residence card: waits for the work permit and the visa\n');
    expect(mail.html).to.include('<li>Visa: waits for the work permit</li>');
    expect(mail.text + mail.html).not.to.match(/due\s*(<|\n)/);

    const vi = await createUser({ role: 'applicant', locale: 'vi' });
    const mine = await createCase({ applicant: vi, call, stage: 'offer' });
    const v = await signedIn(t, vi);
    const offer = await page(v, `/applications/${mine._id}/offer/accept`);
    expect((await post(v, offer.text, `/applications/${mine._id}/offer/accept`, { version: versionIn(offer.text, `/applications/${mine._id}/offer/accept`) })).status).to.equal(303);
    await deliver(t, mine._id);
    const viMail = await t.smtp.waitForTo(vi.email, new RegExp(mine.reference));
    expect(viMail.text).to.include('- Thị thực: chờ giấy phép lao động\n');
    expect(viMail.text).to.include('- Thẻ tạm trú: chờ giấy phép lao động và thị thực\n');
    expect(viMail.text + viMail.html).not.to.match(/hạn\s*(<|\n)/);
  });

  it('lets the applicant decline an offer', async () => {
    const c = await createCase({ applicant, call, stage: 'offer' });
    const a = await signedIn(t, applicant);
    const p = await page(a, `/applications/${c._id}/offer/decline`);
    const res = await post(a, p.text, `/applications/${c._id}/offer/decline`, { version: versionIn(p.text, `/applications/${c._id}/offer/decline`) });
    expect(res.status).to.equal(303);
    expect((await Case.findById(c._id).lean())!.stage).to.equal('withdrawn');
  });

  it('tells the applicant what each stage means and what comes next, in their language', async () => {
    const a = await signedIn(t, applicant);
    const expected: Record<string, string> = {
      submitted: 'HR will check that it is complete',
      screening: 'HR is checking your application and documents',
      evaluation: "with the institute's evaluation panel",
      shortlisted: 'You are on the shortlist',
      onboarding: 'No procedure is under way for you at the moment',
      withdrawn: 'You withdrew this application',
    };
    for (const [stage, words] of Object.entries(expected)) {
      const c = await createCase({ applicant, call, stage: stage as never });
      const p = await page(a, `/applications/${c._id}`);
      const panel = p.text.slice(p.text.indexOf('id="next-step"'), p.text.indexOf('</section>', p.text.indexOf('id="next-step"')));
      expect(text(panel), stage).to.include(words);
    }
    const vi = await createUser({ role: 'applicant', locale: 'vi' });
    const c = await createCase({ applicant: vi, call, stage: 'evaluation' });
    expect(text((await page(await signedIn(t, vi), `/applications/${c._id}`)).text)).to.include('hội đồng đánh giá của viện chấm điểm');
  });

  it("says what happens now from the procedures as they are, not as asked for at the start: one refused or not needed is no longer 'being prepared', in the applicant's language", async () => {
    const panelOf = (html: string) => text(html.slice(html.indexOf('id="next-step"'), html.indexOf('</section>', html.indexOf('id="next-step"'))));
    const tracks = (o: Record<string, string>) => Object.entries(o).map(([kind, status]) => ({ kind, status }));
    const a = await signedIn(t, applicant);
    const running = await createCase({ applicant, call, stage: 'onboarding', supportTracks: tracks({ work_permit: 'filed', visa: 'requested', residence_card: 'requested', housing: 'not_needed' }) });
    expect(panelOf((await page(a, `/applications/${running._id}`)).text)).to.include('The institute is handling the work permit, the visa and the temporary residence card for you');
    // The work permit refused, housing no longer needed: neither is said to be in hand.
    const refused = await createCase({ applicant, call, stage: 'onboarding', supportTracks: tracks({ work_permit: 'refused', visa: 'requested', housing: 'not_needed' }) });
    const panel = panelOf((await page(a, `/applications/${refused._id}`)).text);
    expect(panel).to.include('The institute is handling the visa for you');
    expect(panel).to.include('Not granted: the work permit. The HR office says below what happens next.');
    expect(panel).not.to.match(/preparing your work permit|housing/i);
    const none = await createCase({ applicant, call, stage: 'onboarding', supportTracks: tracks({ work_permit: 'not_needed', housing: 'not_needed' }) });
    expect(panelOf((await page(a, `/applications/${none._id}`)).text)).to.include('No procedure is under way for you at the moment');
    const arrived = await createCase({ applicant, call, stage: 'arrived', supportTracks: tracks({ work_permit: 'approved', residence_card: 'filed' }) });
    expect(panelOf((await page(a, `/applications/${arrived._id}`)).text)).to.include('The procedures still open (the temporary residence card) are followed below.');
    const vi = await createUser({ role: 'applicant', locale: 'vi' });
    const mine = await createCase({ applicant: vi, call, stage: 'onboarding', supportTracks: tracks({ work_permit: 'refused', work_permit_exemption: 'preparing', visa: 'requested' }) });
    const viPanel = panelOf((await page(await signedIn(t, vi), `/applications/${mine._id}`)).text);
    expect(viPanel).to.include('Viện đang thực hiện giấy xác nhận không thuộc diện cấp giấy phép lao động và thị thực: tiến độ ở bên dưới');
    expect(viPanel).to.include('Không được cấp: giấy phép lao động.');
  });

  it('shows the applicant stage changes without staff names or internal notes', async () => {
    const c = await createCase({ applicant, call, stage: 'submitted' });
    const h = await signedIn(t, hr);
    const p = await page(h, `/cases/${c._id}`);
    await post(h, p.text, `/cases/${c._id}/notes`, { note: 'Internal: salary band B' });
    await post(h, p.text, `/cases/${c._id}/assign`, { assignee: String(hr._id) });
    expect((await post(h, p.text, `/cases/${c._id}/actions/start_screening`, { version: versionIn(p.text, `/cases/${c._id}/actions/start_screening`) })).status).to.equal(303);
    const a = await signedIn(t, applicant);
    const mine = await page(a, `/applications/${c._id}`);
    const timeline = mine.text.slice(mine.text.indexOf('id="timeline"'), mine.text.indexOf('id="messages"'));
    expect(timeline).to.include('Screening started');
    // The HR office, as on the rest of the applicant's pages (and their procedure events), never "HR officer".
    expect(timeline).to.include('HR office');
    expect(timeline).not.to.include('HR officer');
    expect(mine.text).not.to.include('Officer Hidden');
    expect(mine.text).not.to.include('salary band');
    expect(timeline).not.to.include('Assigned');
  });
});
