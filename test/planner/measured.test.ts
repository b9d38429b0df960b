// The institute's measured times (closed cases' stays, by aggregation) feeding the stored forecast,
// and the leaders' dashboard figure of forecast arrivals per month.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case } from '../../models/case.ts';
import type { CallDoc } from '../../models/call.ts';
import type { UserDoc } from '../../models/user.ts';
import { seedHolidays, vnDateKey, vnStartOfDay } from '../../server/calendar/index.ts';
import { clearStageTimesCache, computeStageTimes } from '../../server/planner/stage-times.ts';
import { refreshAllForecasts, refreshForecast } from '../../server/planner/service.ts';
import { forecastArrivalsByMonth } from '../../server/planner/arrivals.ts';
import { signedIn, page, text } from '../applications/support.ts';

const at = (key: string) => new Date(vnStartOfDay(key).getTime() + 10 * 3_600_000);
const DAY = 86_400_000;

describe('planner: measured stage times, stored forecast and forecast arrivals per month', () => {
  let t: TestApp;
  let call: CallDoc;
  let leader: UserDoc;
  const today = at('2027-01-27');

  before(async () => {
    t = await startTestApp({ now: () => today });
    await seedHolidays();
    clearStageTimesCache();
    const institute = await createInstitute();
    leader = await createUser({ role: 'leader', institute, locale: 'en' });
    call = await createCall({ institute, checklist: [] });
    const applicant = await createUser({ role: 'applicant' });
    // Three closed cases whose onboarding lasted 20, 30 and 60 days.
    for (const days of [20, 30, 60]) {
      const t0 = at('2026-03-02');
      const t1 = new Date(t0.getTime() + 10 * DAY);
      const t2 = new Date(t1.getTime() + days * DAY);
      const history = [
        { at: t0, action: 'make_offer', to: 'offer' },
        { at: t1, action: 'accept_offer', from: 'offer', to: 'onboarding' },
        { at: t2, action: 'mark_arrived', from: 'onboarding', to: 'arrived' },
        { at: new Date(t2.getTime() + DAY), action: 'close', from: 'arrived', to: 'closed' },
      ];
      await createCase({ applicant, call, stage: 'closed', history, arrivedAt: t2 });
    }
  });
  after(async () => {
    await t?.close();
  });

  it('computes median and 90th percentile per stage from closed cases (nearest rank)', async () => {
    const times = await computeStageTimes({ institute: call.institute });
    // Onboarding stays of 480, 720 and 1440 hours: median = 2nd of 3 = 720 h; p90 = 3rd = 1440 h.
    expect(times.onboarding).to.deep.equal({ stays: 3, medianHours: 720, p90Hours: 1440 });
    expect(times.offer).to.deep.equal({ stays: 3, medianHours: 240, p90Hours: 240 });
  });

  it('stores a forecast from them, and counts it on the leaders dashboard', async () => {
    // In onboarding since Sun 17 Jan 2027 10:00, today Wed 27 Jan 10:00 (240 h): median 720 h leaves
    // 480 h = 20 days → Tue 16 Feb 2027 (after Tết, 5–11 Feb; a working day); p90 1440 h leaves
    // 1200 h = 50 days → Thu 18 Mar 2027. No procedures: earliest is today.
    const applicant = await createUser({ role: 'applicant' });
    const c = await createCase({ applicant, call, stage: 'onboarding', stageEnteredAt: at('2027-01-17'), supportRequested: {}, supportTracks: [] });
    await refreshForecast({ caseId: c._id, now: today });
    const f = (await Case.findById(c._id).lean())!.forecast!;
    expect([vnDateKey(f.earliest!), vnDateKey(f.likely!), vnDateKey(f.latest!)]).to.deep.equal(['2027-01-27', '2027-02-16', '2027-03-18']);

    expect(await forecastArrivalsByMonth({ filter: { institute: call.institute } })).to.deep.equal([{ month: '2027-02', n: 1, pipeline: 0 }]);
    const res = await page(await signedIn(t, leader), '/dashboard');
    expect(res.status).to.equal(200);
    const html = text(res.text);
    expect(html).to.include('Forecast arrivals per month');
    expect(html).to.match(/data-month="2027-02"><th scope="row">February 2027<\/th><td class="num">1<\/td>/);

    // In Vietnamese both month tables of the dashboard write a month the same way ("tháng 2/2027"),
    // never "2026-04" beside "tháng 2 năm 2027".
    const leaderVi = await createUser({ role: 'leader', institute: call.institute, locale: 'vi' });
    const vi = (await page(await signedIn(t, leaderVi), '/dashboard')).text;
    expect(vi).to.match(/data-month="2027-02"><th scope="row">tháng 2\/2027<\/th>/);
    const arrivals = vi.slice(vi.indexOf('id="table-arrivals"'), vi.indexOf('</table>', vi.indexOf('id="table-arrivals"')));
    expect(arrivals).to.match(/<th scope="row">tháng 4\/2026<\/th><td class="num">2<\/td>/);
    expect(arrivals).not.to.match(/\d{4}-\d{2}/);
    expect(vi).not.to.match(/tháng \d+ năm \d{4}/);
  });

  it('the daily refresh fills in and updates forecasts of open cases, and clears ended ones', async () => {
    const applicant = await createUser({ role: 'applicant' });
    // Offer since 20 Jan, work permit and visa asked: earliest 24 Feb (see plan.test.ts, across Tết);
    // 168 h into the offer stage: 72 h of its median (240 h) left, then onboarding's 720 h: 792 h = 33
    // days from Wed 27 Jan → Mon 1 Mar 2027 (a working day) → likely 1 Mar.
    const open = await createCase({ applicant, call, stage: 'offer', stageEnteredAt: at('2027-01-20'), supportRequested: { workPermit: true, visa: true } });
    const ended = await createCase({ applicant, call, stage: 'withdrawn', forecast: { earliest: today, likely: today, latest: today, computedAt: today } });
    const n = await refreshAllForecasts({ now: today });
    expect(n).to.be.greaterThan(0);
    const f = (await Case.findById(open._id).lean())!.forecast!;
    expect([vnDateKey(f.earliest!), vnDateKey(f.likely!)]).to.deep.equal(['2027-02-24', '2027-03-01']);
    expect(f.computedAt!.getTime()).to.equal(today.getTime());
    // An hour later the dates are the same: nothing is rewritten (computedAt is when they last changed).
    await refreshAllForecasts({ now: new Date(today.getTime() + 3_600_000) });
    expect((await Case.findById(open._id).lean())!.forecast!.computedAt!.getTime()).to.equal(today.getTime());
    // Withdrawn cases are not open: the refresh leaves them, and the dashboard does not count them.
    expect(await forecastArrivalsByMonth({ filter: { institute: call.institute } })).to.deep.equal([{ month: '2027-02', n: 1, pipeline: 0 }, { month: '2027-03', n: 1, pipeline: 0 }]);
    await refreshForecast({ caseId: ended._id, now: today });
    expect((await Case.findById(ended._id).lean())!.forecast?.likely).to.equal(undefined);
  });

  it('counts as likely arrivals only offers made or accepted; earlier open cases are a separate "in the pipeline" figure (en, vi)', async () => {
    const institute = await createInstitute();
    const own = await createCall({ institute, checklist: [] });
    const june = at('2027-06-15');
    const july = at('2027-07-12');
    const forecast = (d: Date) => ({ earliest: d, likely: d, latest: d, computedAt: today });
    const applicant = await createUser({ role: 'applicant' });
    // June: one offer and one onboarding (likely arrivals), and five earlier open cases (the walk's
    // "8 in March" counted these as arrivals); July: only a shortlisted case.
    for (const stage of ['offer', 'onboarding'] as const) await createCase({ applicant, call: own, stage, forecast: forecast(june) });
    for (const stage of ['submitted', 'screening', 'awaiting_applicant', 'evaluation', 'on_hold'] as const) await createCase({ applicant, call: own, stage, forecast: forecast(june), ...(stage === 'on_hold' ? { resumeStage: 'screening' } : {}) });
    await createCase({ applicant, call: own, stage: 'shortlisted', forecast: forecast(july) });
    // Arrived, ended: neither.
    await createCase({ applicant, call: own, stage: 'arrived', forecast: forecast(june), arrivedAt: june });
    await createCase({ applicant, call: own, stage: 'rejected', forecast: forecast(june) });
    expect(await forecastArrivalsByMonth({ filter: { institute: own.institute } })).to.deep.equal([
      { month: '2027-06', n: 2, pipeline: 5 },
      { month: '2027-07', n: 0, pipeline: 1 },
    ]);
    const rowOf = (html: string, month: string) => new RegExp(`<tr data-month="${month}">([\\s\\S]*?)</tr>`).exec(html.slice(html.indexOf('id="table-forecast-arrivals"')))![1]!;
    const en = text((await page(await signedIn(t, await createUser({ role: 'leader', institute, locale: 'en' })), '/dashboard')).text);
    expect(en).to.include('In the pipeline (before an offer)');
    expect(en).to.include('Likely arrivals: candidates with an offer made or accepted (Offer, Onboarding)');
    expect(rowOf(en, '2027-06')).to.match(/<th scope="row">June 2027<\/th><td class="num">2<\/td><td><meter min="0" max="2" value="2">2<\/meter><\/td><td class="num muted">5<\/td>/);
    expect(rowOf(en, '2027-07')).to.match(/<td class="num">0<\/td>.*<td class="num muted">1<\/td>/s);
    const vi = text((await page(await signedIn(t, await createUser({ role: 'leader', institute, locale: 'vi' })), '/dashboard')).text);
    expect(vi).to.include('Đang trong quy trình (chưa có lời mời)');
    expect(rowOf(vi, '2027-06')).to.match(/<th scope="row">tháng 6\/2027<\/th><td class="num">2<\/td>.*<td class="num muted">5<\/td>/s);
  });
});
