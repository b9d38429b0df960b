// The certificate planner reads the passport the case holds (walk s34 #3): someone with a passport on
// file is never told to "Get your passport between …". Too short for what it must cover: it says until
// when it is valid, until when it must be, and by when to have a new one; on file without its expiry:
// check it is valid until that day. No passport on file: "Get your passport" as before. en + vi.
import { expect } from 'chai';
import { WorkingCalendar, vnStartOfDay } from '../../server/calendar/index.ts';
import { VN_HOLIDAYS } from '../../server/calendar/holidays-vn.ts';
import { systemContext } from '../../server/context.ts';
import { planCertificates, type PlannerDocument } from '../../server/planner/certificates.ts';
import { presentPlan } from '../../server/planner/present.ts';
import type { PlannerCase } from '../../server/planner/schedule.ts';

const cal = WorkingCalendar.of(VN_HOLIDAYS);
const at = (key: string) => new Date(vnStartOfDay(key).getTime() + 10 * 3_600_000);
const endOf = (day: string) => new Date(`${day}T16:59:59.999Z`);

describe('planner: a passport on file is read, not asked for again', () => {
  // As plan.test.ts: the residence card is decided Mon 14 Jun 2027, so the passport must be valid to
  // 14 Jul 2029 (card end + 30 days, Law 47/2014/QH13 Art. 38(1)); ready by Mon 31 May 2027.
  const c: PlannerCase = {
    stage: 'onboarding',
    stageEnteredAt: at('2027-01-17'),
    profile: { plannedArrival: at('2027-06-01') },
    supportTracks: [
      { kind: 'work_permit', status: 'preparing', dueAt: endOf('2027-05-17') },
      { kind: 'visa', status: 'requested' },
      { kind: 'residence_card', status: 'requested' },
    ],
  };
  const today = at('2027-01-04');
  const line = (documents: PlannerDocument[], locale: 'en' | 'vi') =>
    presentPlan(systemContext({ now: today, locale }), { windows: planCertificates({ case: c, documents, calendar: cal, today }) } as never, null, { forApplicant: true }).windows.find((w) => w.type === 'passport')!.line;

  it('a passport on file expiring too soon: its date, the date it must reach, and by when to have a new one', () => {
    const docs = [{ type: 'passport', status: 'accepted', expiresAt: at('2029-07-05') }];
    const en = line(docs, 'en');
    expect(en).not.to.match(/^Get your passport/);
    expect(en).to.include('Your passport on file is valid until 5 Jul 2029, but it must be valid until 14 Jul 2029: get a new one by 31 May 2027');
    const vi = line(docs, 'vi');
    expect(vi).not.to.match(/^Xin Hộ chiếu/);
    expect(vi).to.include('Hộ chiếu của Ông/Bà trong hồ sơ có giá trị đến 5/7/2029, nhưng cần còn giá trị đến 14/7/2029');
    expect(vi).not.to.match(/\bbạn\b/);
  });

  it('a passport on file without its expiry: check it is valid until the day it must reach', () => {
    const docs = [{ type: 'passport', status: 'accepted' }];
    expect(line(docs, 'en')).to.include('Check that your passport on file is valid until 14 Jul 2029');
    expect(line(docs, 'vi')).to.include('Vui lòng kiểm tra Hộ chiếu của Ông/Bà trong hồ sơ còn giá trị đến 14/7/2029');
  });

  it('no passport on file: "Get your passport" as before', () => {
    expect(line([], 'en')).to.match(/^Get your passport between/);
  });
});
