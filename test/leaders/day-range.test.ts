// Day fields are dd/mm/yyyy text inputs (session 35): the browser no longer keeps to a min/max. A
// field that has one says its range in the page's language beside it (with inputmode="numeric" and
// the dd/mm/yyyy placeholder), and the server's refusal names the days allowed. Here the hold's
// review date on the leader's shortlist case page (after today, within HOLD_REVIEW_MAX_DAYS), en and vi, over
// real HTTP on the real database.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent, submitForm, type Agent } from '../support/http.ts';
import { createUser, signIn } from '../support/factories.ts';
import { Case } from '../../models/case.ts';
import { Evaluation } from '../../models/evaluation.ts';
import { formatDay } from '../../server/views/time.ts';
import { HOLD_REVIEW_MAX_DAYS } from '../../server/workflow/transitions.ts';
import { makeWorld, applicantCase, type World } from './context.ts';

const decode = (s: string) => s.replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(parseInt(h, 16))).replace(/&amp;/g, '&');

describe('day fields: the range a text day field allows is said beside it and in the refusal', function () {
  this.timeout(60_000);
  let t: TestApp;
  let w: World;
  // Monday 7 Dec 2026, 10:00 in Vietnam.
  const clock = new Date('2026-12-07T03:00:00Z');
  const tomorrow = new Date(clock.getTime() + 86_400_000);
  const last = new Date(clock.getTime() + HOLD_REVIEW_MAX_DAYS * 86_400_000);

  before(async () => {
    t = await startTestApp({ now: () => clock });
    w = await makeWorld();
  });
  after(async () => {
    await t?.close();
  });
  const caseUrl = (caseId: unknown) => `/shortlists/${w.call._id}/cases/${caseId}`;

  const words = {
    en: { hint: `On or after ${formatDay(tomorrow, 'en')}`, between: `between ${formatDay(tomorrow, 'en')} and ${formatDay(last, 'en')}` },
    vi: { hint: `Từ ${formatDay(tomorrow, 'vi')} trở đi`, between: `từ ${formatDay(tomorrow, 'vi')} đến ${formatDay(last, 'vi')}` },
  };

  for (const locale of ['en', 'vi'] as const) {
    it(`${locale}: the review date field says its first day, numeric, dd/mm/yyyy; a past day is refused naming the days allowed`, async () => {
      const leaderUser = await createUser({ role: 'leader', institute: w.instituteId, locale });
      const leader: Agent = agent(t.app);
      await signIn(leader, leaderUser);
      const { kase } = await applicantCase(w.call, 'shortlisted', {}, locale);
      await Evaluation.create({ case: kase._id, call: kase.call, member: w.member._id, scores: { research: 4, fit: 3 }, recommendation: 'yes', submittedAt: new Date() });
      const page = await leader.get(caseUrl(kase._id)).set('Accept', 'text/html');
      expect(page.status).to.equal(200);
      const input = /<input id="f-reviewBy"[^>]*>/.exec(page.text)?.[0];
      expect(input, 'the review date field').to.be.a('string');
      expect(input).to.include('type="text"').and.include('inputmode="numeric"').and.include('placeholder="dd/mm/yyyy"');
      expect(input).to.include('data-min="2026-12-08"').and.match(/aria-describedby="[^"]*f-reviewBy-range/);
      const hint = /<p class="hint day-range" id="f-reviewBy-range" data-day-range>([^<]*)<\/p>/.exec(page.text)?.[1];
      expect(decode(hint ?? '')).to.equal(words[locale].hint);

      // A past day, typed day first: refused (422), the message naming the range in the page's language.
      const refused = await submitForm(leader, caseUrl(kase._id), { action: 'put_on_hold', version: String(kase.version), reason: 'Budget line for 2027 not yet confirmed.', reviewBy: '01/12/2026', withoutScores: '1' }, `${caseUrl(kase._id)}/decision`);
      expect(refused.status).to.equal(422);
      const error = /<p class="field-error" id="f-reviewBy-error">([^<]*)<\/p>/.exec(refused.text)?.[1];
      expect(decode(error ?? ''), refused.text.slice(0, 300)).to.include(words[locale].between);
      if (locale === 'vi') expect(decode(error!)).to.not.match(/(^|[^\p{L}])bạn([^\p{L}]|$)/iu);
      expect((await Case.findById(kase._id).lean())!.stage).to.equal('shortlisted');
    });
  }
});
