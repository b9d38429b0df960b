// The planner's page model in both languages: every explanation and reason is worded (no key shows),
// dates are written out, and the vi and en locale files carry the same keys.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { WorkingCalendar, vnEndOfDay, vnStartOfDay } from '../../server/calendar/index.ts';
import { VN_HOLIDAYS } from '../../server/calendar/holidays-vn.ts';
import { systemContext } from '../../server/context.ts';
import { forecastArrival } from '../../server/planner/forecast.ts';
import { planCertificates } from '../../server/planner/certificates.ts';
import { presentPlan } from '../../server/planner/present.ts';
import type { PlannerCase } from '../../server/planner/schedule.ts';
import { comparableKeys } from '../support/locale-keys.ts';

const cal = WorkingCalendar.of(VN_HOLIDAYS);
const at = (key: string) => new Date(vnStartOfDay(key).getTime() + 10 * 3_600_000);

function keys(o: unknown, prefix = ''): string[] {
  return Object.entries(o as Record<string, unknown>).flatMap(([k, v]) => (v && typeof v === 'object' ? keys(v, `${prefix}${k}.`) : [`${prefix}${k}`]));
}

describe('planner: page model in vi and en', () => {
  it('has the same keys in both locale files', () => {
    const en = comparableKeys(keys(JSON.parse(readFileSync('locales/en/planner.json', 'utf8'))));
    const vi = comparableKeys(keys(JSON.parse(readFileSync('locales/vi/planner.json', 'utf8'))));
    expect(vi).to.deep.equal(en);
  });

  it('words every line of a plan with approved, filed, refused and late steps', () => {
    const c: PlannerCase = {
      stage: 'onboarding',
      stageEnteredAt: at('2027-01-10'),
      profile: { plannedArrival: at('2027-06-01') },
      dependants: [{}],
      supportTracks: [
        { kind: 'work_permit', status: 'filed', updatedAt: at('2027-01-29'), dueAt: at('2027-02-01') },
        { kind: 'visa', status: 'refused', updatedAt: at('2027-02-01') },
        { kind: 'residence_card', status: 'requested' },
        { kind: 'citizenship', status: 'requested' },
        { kind: 'housing', status: 'approved', updatedAt: at('2027-01-20') },
      ],
    };
    const today = at('2027-01-29');
    const plan = { forecast: forecastArrival({ case: c, calendar: cal, today, stageTimes: { onboarding: { stays: 4, medianHours: 900, p90Hours: 2000 } } }), windows: planCertificates({ case: c, documents: [], calendar: cal, today }) };
    for (const locale of ['vi', 'en'] as const) {
      const v = presentPlan(systemContext({ now: today, locale }), plan);
      const lines = [...v.forecast!.explain, ...v.windows.flatMap((w) => [w.line, ...w.reasons, w.statusLabel, w.neededFor])];
      expect(lines.filter((l) => /planner\.|\{\{/.test(l)), locale).to.deep.equal([]);
      expect(v.windows.map((w) => w.type)).to.include.members(['criminal_record', 'passport', 'dependant_passport']);
    }
    const en = presentPlan(systemContext({ now: today, locale: 'en' }), plan);
    expect(en.forecast!.explain).to.include('housing: approved on 20 Jan 2027');
    expect(en.forecast!.explain).to.include('work permit: filed on 29 Jan 2027, decision within 10 working days, expected 1 Feb 2027');
    // The 10-day lead (29 Jan + 10 = 8 Feb) does not set the day (the visa, 15 Feb, does): not shown.
    expect(en.forecast!.explain.some((l) => l.startsWith('start of work'))).to.equal(false);
    // Citizenship, nothing holding it back, is lodged once its papers are ready (5 working days from
    // today, Fri 5 Feb): the criminal record is wanted now, not "late" (it was "due by 22 January").
    expect(en.windows.find((w) => w.type === 'criminal_record')!.line).to.equal('Get your criminal record certificate by 29 Jan 2027');
    expect(en.windows.find((w) => w.type === 'criminal_record')!.statusLabel).not.to.equal('Late');
  });

  it('words a late window as late, never with its past last day as a deadline', () => {
    // Planned start Fri 12 Feb 2027: HR aims to lodge the work permit on the window's first day, 60
    // days before, Mon 14 Dec 2026 (the target stored on the procedure); the criminal record was to
    // be ready by Mon 7 Dec. Today Wed 9 Dec: late.
    const c: PlannerCase = { stage: 'onboarding', stageEnteredAt: at('2026-11-20'), profile: { plannedArrival: at('2027-02-12') }, supportTracks: [{ kind: 'work_permit', status: 'preparing', dueAt: vnEndOfDay(vnStartOfDay('2026-12-14')) }] };
    const today = at('2026-12-09');
    const plan = { forecast: undefined, windows: planCertificates({ case: c, documents: [], calendar: cal, today }) };
    const line = (locale: 'vi' | 'en') => presentPlan(systemContext({ now: today, locale }), plan).windows.find((w) => w.type === 'criminal_record')!;
    expect(line('en').status).to.equal('late');
    expect(line('en').line).to.equal('Get your criminal record certificate as soon as possible: the time planned for it ended on 7 Dec 2026. Ask the HR office whether the filing can still wait');
    expect(line('vi').line).to.match(/^Xin .+ càng sớm càng tốt: khoảng thời gian dự kiến đã kết thúc ngày 7\/12\/2026\./);
    for (const l of [line('en').line, line('vi').line]) expect(l).not.to.match(/due by|hạn là/);
  });
});
