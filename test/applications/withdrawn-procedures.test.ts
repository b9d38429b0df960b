// Walk (foreign expert, withdrawn during onboarding): the page said "nothing more will happen", yet
// under it every procedure still read "We aim to file by 25 Jan 2027 (35 working days left)" with its
// filing window and "waits for the work permit". Now the applicant's page says each unfinished one is
// stopped, with no date, window or request to act on; a procedure already granted stays as it was.
// Real database, the real pages and forms with their CSRF tokens.
import { expect } from 'chai';
import { Types } from 'mongoose';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case } from '../../models/case.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { seedHolidays } from '../../server/calendar/index.ts';
import { transition } from '../../server/workflow/index.ts';
import { actorContext } from '../workflow/context.ts';
import { signedIn, page, post, versionIn, text } from './support.ts';

describe('applications: procedures under way when the applicant withdraws are shown stopped, with no dates', () => {
  let t: TestApp;
  let leader: UserDoc;
  let call: CallDoc;

  before(async () => {
    t = await startTestApp();
    await seedHolidays();
    const institute = await createInstitute();
    leader = await createUser({ role: 'leader', institute });
    call = await createCall({ institute, checklist: [] });
  });
  after(async () => {
    await t?.close();
  });

  const procedure = (html: string, kind: string) => text(html.slice(html.indexOf(`data-procedure="${kind}"`), html.indexOf('</li>', html.indexOf(`data-procedure="${kind}"`))));

  for (const locale of ['vi', 'en'] as const) {
    it(`${locale}: withdrawn in onboarding, the work permit, visa and residence card read stopped; housing already arranged stays arranged`, async () => {
      const applicant = await createUser({ role: 'applicant', locale });
      const profile = { fullName: 'John Miller', dateOfBirth: new Date('1980-02-02'), nationality: 'US', countryOfResidence: 'US', overseasVietnamese: false, highestDegree: 'phd', field: 'AI', plannedArrival: new Date(Date.now() + 120 * 86_400_000) };
      const shortlisted = await createCase({ applicant, call, stage: 'shortlisted', profile, supportRequested: { workPermit: true, visa: true, residenceCard: true, housing: true }, offerTerms: { position: 'Senior researcher', letter: new Types.ObjectId() } });
      const offered = await transition({ app: t.ctx, ctx: actorContext(t.ctx, leader), caseId: shortlisted._id, action: 'approve_offer', expectedVersion: shortlisted.version, payload: { note: 'First.' }, asDecision: true });
      const a = await signedIn(t, applicant);
      const confirm = await page(a, `/applications/${offered._id}/offer/accept`);
      expect((await post(a, confirm.text, `/applications/${offered._id}/offer/accept`, { version: versionIn(confirm.text, `/applications/${offered._id}/offer/accept`) })).status).to.equal(303);
      // HR arranged the housing before the withdrawal (the status as the procedure's form records it).
      await Case.updateOne({ _id: offered._id, 'supportTracks.kind': 'housing' }, { $set: { 'supportTracks.$.status': 'approved' } });

      const before = (await page(a, `/applications/${offered._id}`)).text;
      expect(procedure(before, 'work_permit')).to.match(locale === 'vi' ? /Dự kiến nộp hồ sơ trước: / : /We aim to file by: /);

      const w = await page(a, `/applications/${offered._id}/withdraw`);
      expect((await post(a, w.text, `/applications/${offered._id}/withdraw`, { version: versionIn(w.text, `/applications/${offered._id}/withdraw`) })).status).to.equal(303);
      expect((await Case.findById(offered._id).lean())!.stage).to.equal('withdrawn');

      const after = (await page(a, `/applications/${offered._id}`)).text;
      const stopped = locale === 'vi' ? 'Đã dừng: hồ sơ của Ông/Bà đã kết thúc nên viện không tiếp tục thủ tục này' : 'Stopped: your application has ended, so the institute does not go on with this procedure';
      for (const kind of ['work_permit', 'visa', 'residence_card']) {
        const item = procedure(after, kind);
        expect(item, kind).to.include(stopped);
        // The badge says it too, not the status it stopped at.
        expect(item, kind).to.match(locale === 'vi' ? /class="badge muted">Đã dừng</ : /class="badge muted">Stopped</);
        expect(item, kind).to.not.match(locale === 'vi' ? />Đã yêu cầu<|>Đã nộp hồ sơ</ : />Requested<|>Filed</);
        expect(item, kind).to.not.include('data-deadline');
        expect(item, kind).to.not.include('data-window');
        expect(item, kind).to.not.match(locale === 'vi' ? /còn \d+ ngày làm việc|chờ giấy|chờ thị thực/ : /working days left|opens in|waits for/);
      }
      const housing = procedure(after, 'housing');
      expect(housing).to.not.include(stopped);
      expect(housing).to.include('badge ok');
      expect(text(after)).to.not.match(/\bbạn\b/);
    });
  }
});
