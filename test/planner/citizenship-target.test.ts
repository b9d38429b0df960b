// Walk 33: an overseas Vietnamese scientist asked for citizenship and a work permit. Citizenship has no
// legal filing window, so the planner lodged it "when the papers are ready" and the criminal record
// window closed today ("Get your criminal record certificate by 7 Dec 2026"), beside a work permit
// lodged in March and, once HR set it, a citizenship target of 9 Mar 2027 on the same page. The
// window now follows the dated filings: the work permit's target, then HR's citizenship target.
import { expect } from 'chai';
import { WorkingCalendar, vnEndOfDay, vnStartOfDay } from '../../server/calendar/index.ts';
import { VN_HOLIDAYS } from '../../server/calendar/holidays-vn.ts';
import { systemContext } from '../../server/context.ts';
import { planCertificates } from '../../server/planner/certificates.ts';
import { forecastArrival } from '../../server/planner/forecast.ts';
import { presentPlan } from '../../server/planner/present.ts';
import type { PlannerCase } from '../../server/planner/schedule.ts';

const cal = WorkingCalendar.of(VN_HOLIDAYS);
const at = (key: string) => new Date(vnStartOfDay(key).getTime() + 10 * 3_600_000);
const endOf = (key: string) => vnEndOfDay(vnStartOfDay(key));
const today = at('2026-12-07');

function criminalRecord(c: PlannerCase, locale: 'vi' | 'en') {
  const plan = { forecast: undefined, windows: planCertificates({ case: c, documents: [], calendar: cal, today }) };
  return presentPlan(systemContext({ now: today, locale }), plan).windows.find((w) => w.type === 'criminal_record')!;
}

describe('planner: citizenship beside a dated filing (walk 33)', () => {
  it('at the offer, the criminal record window is the work permit\'s, serving citizenship too, not "by today"', () => {
    // Planned start Thu 1 Apr 2027; the work permit's target is Thu 4 Mar 2027 (the case and the
    // acceptance e-mail say it); ready 5 working days before: Wed 3 (1), Tue 2 (2), Mon 1 (3),
    // Fri 26 Feb (4), Thu 25 Feb (5) → 25 Feb 2027.
    const c: PlannerCase = {
      stage: 'offer',
      stageEnteredAt: at('2026-12-07'),
      profile: { plannedArrival: at('2027-04-01') },
      supportRequested: { workPermit: true, visa: true, residenceCard: true, housing: true, citizenship: true },
    };
    const en = criminalRecord(c, 'en');
    expect(en.line).to.equal('Get your criminal record certificate between 7 Dec 2026 and 25 Feb 2027 (53 working days left)');
    expect(en.neededFor).to.equal('work permit, citizenship');
    expect(en.reasons).to.include('citizenship lodged once this certificate is in hand');
    const vi = criminalRecord(c, 'vi');
    expect(vi.line).to.equal('Xin Phiếu lý lịch tư pháp trong khoảng từ 7/12/2026 đến 25/2/2027 (còn 53 ngày làm việc)');
    expect(vi.reasons.join(' | ')).not.to.match(/7\/12\/2026/);
  });

  it('after the acceptance, HR\'s citizenship target (9 Mar 2027) is the day the certificate must be valid on', () => {
    // The exemption replaced the work permit and is granted: citizenship is the only filing ahead
    // needing a criminal record. Ready 5 working days before Tue 9 Mar 2027: Mon 8 (1), Fri 5 (2),
    // Thu 4 (3), Wed 3 (4), Tue 2 (5) → 2 Mar 2027; issued at most 6 months before (Decree 219/2025 Art. 18(4)).
    const c: PlannerCase = {
      stage: 'onboarding',
      stageEnteredAt: at('2026-12-07'),
      profile: { plannedArrival: at('2027-04-01') },
      supportRequested: { workPermit: true, visa: true, residenceCard: true, housing: true, citizenship: true },
      supportTracks: [
        { kind: 'work_permit', status: 'not_needed' },
        { kind: 'work_permit_exemption', status: 'approved', updatedAt: at('2026-12-07') },
        { kind: 'visa', status: 'approved', updatedAt: at('2026-12-07') },
        { kind: 'citizenship', status: 'preparing', dueAt: endOf('2027-03-09') },
      ],
    };
    const en = criminalRecord(c, 'en');
    expect(en.line).to.equal('Get your criminal record certificate between 7 Dec 2026 and 2 Mar 2027 (56 working days left)');
    expect(en.neededFor).to.equal('citizenship');
    expect(en.reasons[0]).to.equal('citizenship lodged on 9 Mar 2027');
  });

  it('a citizenship target too close to prepare for still waits for the papers (no window already over)', () => {
    // Target Wed 9 Dec 2026: five working days before it is Wed 2 Dec, before today.
    const c: PlannerCase = {
      stage: 'onboarding',
      stageEnteredAt: at('2026-12-01'),
      profile: { plannedArrival: at('2027-04-01') },
      supportTracks: [{ kind: 'citizenship', status: 'preparing', dueAt: endOf('2026-12-09') }],
    };
    const en = criminalRecord(c, 'en');
    expect(en.status).to.equal('open');
    expect(en.line).to.equal('Get your criminal record certificate by 7 Dec 2026');
  });
});

describe('planner: after arrival (walk 33)', () => {
  it('does not tell an arrived scientist that certificates are shown "once you receive an offer"', () => {
    // The plan as casePlan (server/planner/service.ts) returns it for an arrived case: no planning, arrived.
    const c: PlannerCase = { stage: 'arrived', stageEnteredAt: at('2026-12-07'), arrivedAt: at('2026-12-07'), profile: { plannedArrival: at('2027-04-01') }, supportTracks: [{ kind: 'residence_card', status: 'requested' }] };
    const forecast = forecastArrival({ case: c, calendar: cal, today });
    expect(forecast, 'an arrived case still has its forecast box').to.not.equal(undefined);
    const arrived = presentPlan(systemContext({ now: today, locale: 'vi' }), { forecast, windows: [], planning: false, arrived: true }, undefined, { forApplicant: true });
    expect(arrived.beforeOffer).to.equal(false);
    // Before an offer it is still said.
    const early = presentPlan(systemContext({ now: today, locale: 'vi' }), { forecast, windows: [], planning: false }, undefined, { forApplicant: true });
    expect(early.beforeOffer).to.equal(true);
  });
});
