// The schedule, the arrival forecast and the certificate windows on the real 2026–2027 holiday
// calendar, each expected date worked out by hand below (the days skipped are named).
import { expect } from 'chai';
import { WorkingCalendar, vnDateKey, vnEndOfDay, vnStartOfDay } from '../../server/calendar/index.ts';
import { VN_HOLIDAYS } from '../../server/calendar/holidays-vn.ts';
import { forecastArrival } from '../../server/planner/forecast.ts';
import { planCertificates } from '../../server/planner/certificates.ts';
import { scheduleProcedures, type PlannerCase } from '../../server/planner/schedule.ts';

const cal = WorkingCalendar.of(VN_HOLIDAYS);
/** 10:00 in Vietnam on that day. */
const at = (key: string) => new Date(vnStartOfDay(key).getTime() + 10 * 3_600_000);
const key = (d: Date | undefined) => (d ? vnDateKey(d) : undefined);
/** A stored target: the end of that day in Vietnam, as the procedures store it. */
const endOf = (k: string) => vnEndOfDay(vnStartOfDay(k));

function onboarding(tracks: PlannerCase['supportTracks'], extra: Partial<PlannerCase> = {}): PlannerCase {
  return { stage: 'onboarding', stageEnteredAt: at('2027-01-17'), supportTracks: tracks, ...extra };
}

describe('planner: arrival forecast on the holiday calendar', () => {
  it('across Tết 2027: work permit lodged 27 Jan is decided 17 Feb, the visa 24 Feb', () => {
    // Today Wed 27 Jan 2027; the work permit file goes in today, the visa is asked after it.
    // Work permit, 10 working days (Decree 219/2025): Thu 28 (1), Fri 29 (2), Mon 1 Feb (3), Tue 2 (4),
    // Wed 3 (5), Thu 4 (6); Fri 5 Feb (Tết eve), Sat 6, Sun 7, Mon 8 – Thu 11 (Tết and compensating
    // days) are skipped; Fri 12 (7), Mon 15 (8), Tue 16 (9), Wed 17 (10) → 17 Feb.
    // Visa, 5 working days after it: Thu 18 (1), Fri 19 (2), Mon 22 (3), Tue 23 (4), Wed 24 (5) → 24 Feb.
    // Start: the visa is the last decision; the work permit was lodged more than 10 days before → 24 Feb.
    const c = onboarding([
      { kind: 'work_permit', status: 'preparing', updatedAt: at('2027-01-20') },
      { kind: 'visa', status: 'requested', updatedAt: at('2027-01-20') },
    ]);
    const f = forecastArrival({ case: c, calendar: cal, today: at('2027-01-27') })!;
    expect(f.steps.map((s) => [s.kind, key(s.fileOn), key(s.decisionBy)])).to.deep.equal([
      ['work_permit', '2027-01-27', '2027-02-17'],
      ['visa', '2027-02-17', '2027-02-24'],
    ]);
    expect(key(f.earliest)).to.equal('2027-02-24');
    // No measured times and no planned arrival: likely and latest are the earliest.
    expect([key(f.likely), key(f.latest)]).to.deep.equal(['2027-02-24', '2027-02-24']);
    expect(f.explain.find((e) => e.key === 'after')).to.deep.include({ params: { kind: 'visa', days: 5, prev: 'work_permit', date: f.earliest } });
    expect(f.explain.some((e) => e.key === 'noMeasures')).to.equal(true);
  });

  it("an exempt expert's visa (LĐ1) waits for the exemption certificate, as a permit holder's waits for the permit", () => {
    // Law 47/2014 Art. 10(4)(c). Exemption lodged Mon 19 Apr 2027, 5 working days (rules.ts):
    // Tue 20 (1), Wed 21 (2), Thu 22 (3), Fri 23 (4), Mon 26 (5) → 26 Apr. Visa, 5 working days after
    // it: Tue 27 (1), Wed 28 (2), Thu 29 (3); Fri 30 Apr, Sat 1 May, Sun 2, Mon 3 May skipped; Tue 4
    // (4), Wed 5 (5) → 5 May.
    const c = onboarding([
      { kind: 'work_permit_exemption', status: 'filed', updatedAt: at('2027-04-19') },
      { kind: 'visa', status: 'requested' },
    ]);
    const f = forecastArrival({ case: c, calendar: cal, today: at('2027-04-19') })!;
    expect(f.steps.map((s) => [s.kind, key(s.decisionBy)])).to.deep.equal([
      ['work_permit_exemption', '2027-04-26'],
      ['visa', '2027-05-05'],
    ]);
    expect(f.explain.find((e) => e.key === 'after')).to.deep.include({ params: { kind: 'visa', days: 5, prev: 'work_permit_exemption', date: f.earliest } });
  });

  it('across 30/4–1/5 2027: a work permit filed Mon 19 Apr is decided Wed 5 May, the visa Wed 12 May', () => {
    // Filed Mon 19 Apr (the track's updatedAt), no due date recorded: 10 working days from it:
    // Tue 20 (1), Wed 21 (2), Thu 22 (3), Fri 23 (4), Mon 26 (5), Tue 27 (6), Wed 28 (7), Thu 29 (8);
    // Fri 30 Apr (Reunification Day), Sat 1 May (Labour Day), Sun 2, Mon 3 May (Labour Day observed)
    // skipped; Tue 4 (9), Wed 5 (10) → 5 May.
    // Visa from 5 May: Thu 6 (1), Fri 7 (2), Mon 10 (3), Tue 11 (4), Wed 12 (5) → 12 May.
    const c = onboarding([
      { kind: 'work_permit', status: 'filed', updatedAt: at('2027-04-19') },
      { kind: 'visa', status: 'requested' },
    ]);
    const f = forecastArrival({ case: c, calendar: cal, today: at('2027-04-22') })!;
    expect(key(f.steps[0]!.decisionBy)).to.equal('2027-05-05');
    expect(f.steps[0]!.explain).to.deep.include({ key: 'filed' });
    expect(key(f.steps[1]!.decisionBy)).to.equal('2027-05-12');
    expect(key(f.earliest)).to.equal('2027-05-12');
  });

  it('a recorded due date wins over the computed one, and the 10-day lead before the start is kept, moved past Tết', () => {
    // Filed Fri 29 Jan 2027 and decided early (due Mon 1 Feb as recorded by the officer). The file must
    // still be lodged at least 10 days before the start (Decree 219/2025): 29 Jan + 10 = Mon 8 Feb, a Tết
    // day; Tue 9 – Thu 11 are Tết too → first working day Fri 12 Feb.
    const c = onboarding([{ kind: 'work_permit', status: 'filed', updatedAt: at('2027-01-29'), dueAt: at('2027-02-01') }]);
    const f = forecastArrival({ case: c, calendar: cal, today: at('2027-01-29') })!;
    expect(key(f.steps[0]!.decisionBy)).to.equal('2027-02-01');
    expect(key(f.earliest)).to.equal('2027-02-12');
    expect(f.explain.map((e) => e.key)).to.include.members(['lead', 'dayOff']);
  });

  it("uses the institute's median and 90th percentile for the stages ahead, skipping Tết", () => {
    // In onboarding since Sun 17 Jan 2027 10:00, today Wed 27 Jan 10:00: 240 h elapsed.
    // Median onboarding 22 days (528 h): 288 h = 12 days left → Mon 8 Feb, Tết; Tue 9 – Thu 11 Tết
    // → likely Fri 12 Feb. 90th percentile 60 days (1440 h): 1200 h = 50 days → Thu 18 Mar (a working day).
    // No procedures: the earliest is today.
    const c = onboarding([]);
    const f = forecastArrival({ case: c, calendar: cal, today: at('2027-01-27'), stageTimes: { onboarding: { stays: 9, medianHours: 528, p90Hours: 1440 } } })!;
    expect([key(f.earliest), key(f.likely), key(f.latest)]).to.deep.equal(['2027-01-27', '2027-02-12', '2027-03-18']);
    expect(f.explain.find((e) => e.key === 'measured')).to.deep.equal({ key: 'measured', params: { stage: 'onboarding', median: 22, p90: 60 } });
  });

  it('a planned arrival on 30 April 2027 is moved to Tue 4 May (30/4, 1/5, Sunday, 3/5 observed)', () => {
    const c = onboarding([], { profile: { plannedArrival: at('2027-04-30') } });
    const f = forecastArrival({ case: c, calendar: cal, today: at('2027-04-01') })!;
    expect(key(f.earliest)).to.equal('2027-04-01');
    expect([key(f.likely), key(f.latest)]).to.deep.equal(['2027-05-04', '2027-05-04']);
  });

  it('a refused work permit is lodged again at once when its reasons came with it, or after the decision deadline they are owed by (across Tết)', () => {
    // Refused Wed 3 Feb 2027 with its reasons: lodged again the next working day, Thu 4 Feb. 10
    // working days: Feb 5–11 are Tết and the weekend; 12 (1), 15–19 (2–6), 22–25 (7–10) → 25 Feb.
    const now = onboarding([{ kind: 'work_permit', status: 'refused', updatedAt: at('2027-02-03') }]);
    const f = forecastArrival({ case: now, calendar: cal, today: at('2027-02-04') })!;
    expect([key(f.steps[0]!.fileOn), key(f.steps[0]!.decisionBy)]).to.deep.equal(['2027-02-04', '2027-02-25']);
    // Refused without them, owed by the decision deadline Mon 15 Feb: lodged again from then. 10
    // working days: Feb 16, 17, 18, 19, 22, 23, 24, 25, 26 (9), Mon 1 Mar (10) → 1 Mar 2027.
    const c = onboarding([{ kind: 'work_permit', status: 'refused', reasonsMissing: true, reasonsDueAt: at('2027-02-15'), updatedAt: at('2027-02-03') }]);
    const g = forecastArrival({ case: c, calendar: cal, today: at('2027-02-04') })!;
    expect([key(g.steps[0]!.fileOn), key(g.steps[0]!.decisionBy), key(g.earliest)]).to.deep.equal(['2027-02-15', '2027-03-01', '2027-03-01']);
    expect(g.steps[0]!.explain.key).to.equal('refiled');
  });

  it('no forecast for ended cases; the arrival day for arrived ones', () => {
    expect(forecastArrival({ case: { stage: 'withdrawn' }, calendar: cal, today: at('2027-01-27') })).to.equal(undefined);
    const f = forecastArrival({ case: { stage: 'arrived', arrivedAt: at('2027-03-02') }, calendar: cal, today: at('2027-04-01') })!;
    expect(key(f.likely)).to.equal('2027-03-02');
  });

  it('a procedure the applicant asked for counts before HR opens its track', () => {
    // Same as the Tết case, from the application's support flags.
    const c: PlannerCase = { stage: 'offer', stageEnteredAt: at('2027-01-20'), supportRequested: { workPermit: true, visa: true } };
    expect(key(forecastArrival({ case: c, calendar: cal, today: at('2027-01-27') })!.earliest)).to.equal('2027-02-24');
  });
});

describe('planner: certificate windows', () => {
  // Planned start Tue 1 Jun 2027: the work permit's window (Decree 219/2025: 60 to 10 days before it)
  // is Fri 2 Apr – Sat 22 May 2027. Its target, as the case stores it: the window's last day less 5
  // working days (rules.ts lodgingTarget): Fri 21 (1), Thu 20 (2), Wed 19 (3), Tue 18 (4), Mon 17 May
  // (5) → Mon 17 May 2027. The certificates are planned for that day, the date the case shows (the
  // window's first day, 2 Apr, was planned before: certificates asked for six weeks early).
  // Work permit decided 10 working days later: May 18, 19, 20, 21, 24, 25, 26, 27, 28 (9), Mon 31 May
  // (10). Visa: Jun 1, 2, 3, 4, Mon 7 Jun (5) → the start, Mon 7 Jun, and entry then (later than the
  // planned 1 Jun). Residence card: applied for after entry: Jun 8 (1), 9 (2), 10 (3), 11 (4), Mon 14
  // Jun (5) → decided 14 Jun 2027.
  const tracks = [
    { kind: 'work_permit', status: 'preparing', dueAt: endOf('2027-05-17') },
    { kind: 'visa', status: 'requested' },
    { kind: 'residence_card', status: 'requested' },
  ];
  const c = onboarding(tracks, { profile: { plannedArrival: at('2027-06-01') } });
  const win = (list: ReturnType<typeof planCertificates>, type: string) => list.find((w) => w.type === type)!;

  it('criminal record: issued at most 6 months before the work permit filing, ready 5 working days before it', () => {
    // Filing on the target, Mon 17 May 2027 → issued on or after 17 Nov 2026. Ready 5 working days
    // before the filing: Fri 14 May (1), Thu 13 (2), Wed 12 (3), Tue 11 (4), Mon 10 May (5) → by 10 May.
    const list = planCertificates({ case: c, documents: [{ type: 'criminal_record', status: 'accepted', issuedAt: at('2026-09-15') }], calendar: cal, today: at('2026-09-01') });
    const w = win(list, 'criminal_record');
    expect([key(w.from), key(w.to), w.status]).to.deep.equal(['2026-11-17', '2027-05-10', 'upcoming']);
    expect(w.neededBy.map((n) => [n.kind, key(n.fileOn)])).to.deep.equal([['work_permit', '2027-05-17']]);
    // One issued 15 Sep 2026 is too old for a 17 May filing (more than 6 months); on 17 Nov the window opens.
    expect(win(planCertificates({ case: c, documents: [], calendar: cal, today: at('2026-11-17') }), 'criminal_record').status).to.equal('open');
    // After 10 May it is late.
    const late = win(planCertificates({ case: c, documents: [], calendar: cal, today: at('2027-05-11') }), 'criminal_record');
    expect(late.status).to.equal('late');
    // It never reads as ending before it starts ("11 May – 10 May"): the one day it ended.
    expect([key(late.from), key(late.to)]).to.deep.equal(['2027-05-10', '2027-05-10']);
    // One issued 20 Nov 2026 counts once HR accepted it (before: it waits for HR's check, not "Valid");
    // one issued 5 Oct 2026 (enough for the window's first day, 2 Apr) does not.
    expect(win(planCertificates({ case: c, documents: [{ type: 'criminal_record', status: 'accepted', issuedAt: at('2026-11-20') }], calendar: cal, today: at('2027-01-10') }), 'criminal_record').status).to.equal('ok');
    expect(win(planCertificates({ case: c, documents: [{ type: 'criminal_record', status: 'pending', issuedAt: at('2026-11-20') }], calendar: cal, today: at('2027-01-10') }), 'criminal_record').status).to.equal('checking');
    expect(win(planCertificates({ case: c, documents: [{ type: 'criminal_record', status: 'pending', issuedAt: at('2026-10-05') }], calendar: cal, today: at('2027-01-10') }), 'criminal_record').status).to.equal('open');
  });

  it('health certificate: 12 months before the filing; a rejected one does not count', () => {
    // Filing 17 May 2027 → issued on or after 17 May 2026; today 1 Sep 2026 is later, so from = today.
    const ok = planCertificates({ case: c, documents: [{ type: 'health_certificate', status: 'accepted', issuedAt: at('2026-06-10') }], calendar: cal, today: at('2026-09-01') });
    expect(win(ok, 'health_certificate').status).to.equal('ok');
    const rejected = planCertificates({ case: c, documents: [{ type: 'health_certificate', status: 'rejected', issuedAt: at('2026-06-10') }], calendar: cal, today: at('2026-09-01') });
    expect([key(win(rejected, 'health_certificate').from), key(win(rejected, 'health_certificate').to), win(rejected, 'health_certificate').status]).to.deep.equal(['2026-09-01', '2027-05-10', 'open']);
    // Issued 10 May 2026: more than 12 months before the 17 May 2027 filing.
    const old = planCertificates({ case: c, documents: [{ type: 'health_certificate', issuedAt: at('2026-05-10') }], calendar: cal, today: at('2026-09-01') });
    expect(win(old, 'health_certificate').status).to.equal('open');
  });

  it('the ready-by day crosses Tết 2027: a filing on Mon 15 Feb must be prepared by Mon 1 Feb', () => {
    // Planned start Fri 16 Apr 2027 → 60 days earlier is Mon 15 Feb (Feb 2027 has 28 days), the
    // window's first day, where HR moved the target (stored on the track, no count).
    // 5 working days before 15 Feb: Fri 12 (1); Thu 11 – Mon 8, Sun 7, Sat 6, Fri 5 (Tết) skipped;
    // Thu 4 (2), Wed 3 (3), Tue 2 (4), Mon 1 Feb (5). Criminal record from 15 Aug 2026.
    const c2 = onboarding([{ kind: 'work_permit', status: 'preparing', dueAt: endOf('2027-02-15') }], { profile: { plannedArrival: at('2027-04-16') } });
    const w = win(planCertificates({ case: c2, documents: [], calendar: cal, today: at('2026-07-01') }), 'criminal_record');
    expect([key(w.neededBy[0]!.fileOn), key(w.from), key(w.to), w.status]).to.deep.equal(['2027-02-15', '2026-08-15', '2027-02-01', 'upcoming']);
    // With no target stored, the default: 20 working days before the start (the permit's 10, the
    // visa's 5, a margin of 5: rules.ts lodgingTarget): Apr 15 (1), 14, 13, 12, 9 (5), 8, 7, 6, 5,
    // 2 (10), 1, Mar 31, 30, 29, 26 (15), 25, 24, 23, 22, Fri 19 Mar (20) → filed 19 Mar, ready by
    // Fri 12 Mar (Mar 18, 17, 16, 15, 12), the criminal record from 19 Sep 2026.
    const d = onboarding([{ kind: 'work_permit', status: 'preparing' }], { profile: { plannedArrival: at('2027-04-16') } });
    const dw = win(planCertificates({ case: d, documents: [], calendar: cal, today: at('2026-07-01') }), 'criminal_record');
    expect([key(dw.neededBy[0]!.fileOn), key(dw.from), key(dw.to), dw.status]).to.deep.equal(['2027-03-19', '2026-09-19', '2027-03-12', 'upcoming']);
  });

  it("plans the work permit's filing on the procedure's target: the stored one, else the default it gets when requested", () => {
    const sched = (tr: PlannerCase['supportTracks'], today: string) => scheduleProcedures({ case: onboarding(tr, { profile: { plannedArrival: at('2027-06-01') } }), calendar: cal, today: at(today), anchorOnPlannedStart: true }).steps[0]!;
    // Stored (counted or typed by HR): that day, explained as the target.
    const typed = sched([{ kind: 'work_permit', status: 'requested', dueAt: endOf('2027-04-20') }], '2026-12-05');
    expect([key(typed.fileOn), typed.explain.key]).to.deep.equal(['2027-04-20', 'target']);
    // None stored (the offer): requested today, Sat 5 Dec 2026, it counts 10 working days to Fri 18
    // Dec, before the window opens (2 Apr): 20 working days before the start of Tue 1 Jun (the
    // permit's 10, the visa's 5, a margin of 5), Tue 4 May.
    expect(key(sched([{ kind: 'work_permit', status: 'requested' }], '2026-12-05').fileOn)).to.equal('2027-05-04');
    // The same for the exemption certificate, which has the same window (Decree 219/2025 Art. 9(1)).
    expect(key(sched([{ kind: 'work_permit_exemption', status: 'preparing', dueAt: endOf('2027-05-04') }], '2026-12-05').fileOn)).to.equal('2027-05-04');
    // A target on a day off is lodged the working day before: Sun 16 May → Fri 14 May.
    expect(key(sched([{ kind: 'work_permit', status: 'requested', dueAt: endOf('2027-05-16') }], '2026-12-05').fileOn)).to.equal('2027-05-14');
    // A target already passed (the file is late) is planned for today, never in the past.
    expect(key(sched([{ kind: 'work_permit', status: 'preparing', dueAt: endOf('2027-04-05') }], '2027-04-07').fileOn)).to.equal('2027-04-07');
  });

  it('passport: valid 30 days beyond the residence card (2 years from its decision unless recorded)', () => {
    // Card decided Mon 14 Jun 2027 → ends 14 Jun 2029 (2 years, Law 47/2014 Art. 38) → passport valid to 14 Jul 2029.
    const short = planCertificates({ case: c, documents: [{ type: 'passport', status: 'accepted', expiresAt: at('2029-07-05') }], calendar: cal, today: at('2027-01-04') });
    const w = win(short, 'passport');
    expect(w.status).to.equal('open');
    // Valid on the work permit's and the visa's filing days, it falls short of the card alone: the
    // window is the card's, ready 5 working days before it is lodged after entry (Mon 7 Jun 2027):
    // Fri 4 Jun (1), Thu 3 (2), Wed 2 (3), Tue 1 (4), Mon 31 May (5).
    expect(key(w.to)).to.equal('2027-05-31');
    expect(w.neededBy.map((n) => [n.kind, key(n.fileOn)])).to.deep.equal([['residence_card', '2027-06-07']]);
    expect(w.reasons.find((r) => r.key === 'passportCard')!.params).to.deep.include({ days: 30, estimated: 1 });
    expect(key(w.reasons.find((r) => r.key === 'passportCard')!.params.date as Date)).to.equal('2029-07-14');
    expect(win(planCertificates({ case: c, documents: [{ type: 'passport', status: 'accepted', expiresAt: at('2029-07-14') }], calendar: cal, today: at('2027-01-04') }), 'passport').status).to.equal('ok');
    // A recorded card end (31 Dec 2028) sets the date: 30 Jan 2029.
    const recorded = onboarding([...tracks.slice(0, 2), { kind: 'residence_card', status: 'requested', cardEndsAt: at('2028-12-31') }], { profile: { plannedArrival: at('2027-06-01') } });
    const r = win(planCertificates({ case: recorded, documents: [{ type: 'passport', status: 'accepted', expiresAt: at('2029-02-01') }], calendar: cal, today: at('2027-01-04') }), 'passport');
    expect(r.status).to.equal('ok');
    expect(key(r.reasons.find((x) => x.key === 'passportCard')!.params.date as Date)).to.equal('2029-01-30');
  });

  it("the walk-through: a passport too short for the card's recorded end is the card's business, never housing's and never late yesterday", () => {
    // Today Sat 5 Dec 2026; housing asked for (nothing holds it back: lodged when its papers are
    // ready); the card's end recorded as 1 Dec 2028, the passport expiring 30 Jun 2028. The page said
    // "Late: get your passport as soon as possible (due 4 December 2026) (housing)": the card's
    // requirement (valid to 31 Dec 2028) fell on housing, whose last day, 5 working days back from
    // "ready", was Friday.
    const walk = (status: string) =>
      onboarding([{ kind: 'housing', status: 'requested' }, { kind: 'residence_card', status, cardEndsAt: at('2028-12-01'), ...(status === 'approved' ? { updatedAt: at('2026-12-04') } : {}) }], { profile: { plannedArrival: at('2027-03-01') } });
    const docs = [{ type: 'passport', status: 'accepted', expiresAt: at('2028-06-30') }];
    const ahead = win(planCertificates({ case: walk('requested'), documents: docs, calendar: cal, today: at('2026-12-05') }), 'passport');
    // The card is lodged after entry, Mon 1 Mar 2027: ready by Mon 22 Feb (Feb 26, 25, 24, 23, 22).
    expect([ahead.status, key(ahead.from), key(ahead.to)]).to.deep.equal(['open', '2026-12-05', '2027-02-22']);
    expect(ahead.neededBy.map((n) => n.kind)).to.deep.equal(['residence_card']);
    expect(ahead.reasons.find((r) => r.key === 'passportCard')!.params).to.deep.include({ estimated: 0 });
    expect(key(ahead.reasons.find((r) => r.key === 'passportCard')!.params.date as Date)).to.equal('2028-12-31');
    // Once the card is decided, nothing ahead is lodged with an authority: housing is the institute's
    // own service (PROCEDURE_RULES.housing.internal), so it asks for no passport window, held or not.
    for (const documents of [docs, []]) expect(planCertificates({ case: walk('approved'), documents, calendar: cal, today: at('2026-12-05') }).map((w) => w.type)).to.deep.equal([]);
  });

  it("the residence card waits for entry: a dependant's passport is not asked for within a working day of the visa", () => {
    // The walk-through: today Sat 5 Dec 2026, planned arrival Mon 1 Mar 2027, the work permit granted
    // today, the visa being prepared: visa lodged Mon 7 Dec, decided Mon 14 Dec (Dec 8, 9, 10, 11, 14).
    // The card used to be lodged 14 Dec, so the dependant's passport window was 5–7 Dec. It is applied
    // for after entry (Law 47/2014 Art. 36(1)): lodged Mon 1 Mar 2027, the passport ready 5 working
    // days before: Fri 26 (1), Thu 25 (2), Wed 24 (3), Tue 23 (4), Mon 22 Feb (5) → by 22 Feb 2027.
    const walk = onboarding(
      [
        { kind: 'work_permit', status: 'approved', updatedAt: at('2026-12-05') },
        { kind: 'visa', status: 'preparing', updatedAt: at('2026-12-05') },
        { kind: 'residence_card', status: 'requested' },
      ],
      { profile: { plannedArrival: at('2027-03-01') }, dependants: [{ fullName: 'Emma' }] },
    );
    const f = forecastArrival({ case: walk, calendar: cal, today: at('2026-12-05') })!;
    const card = f.steps.find((s) => s.kind === 'residence_card')!;
    expect([key(card.fileOn), card.explain.key]).to.deep.equal(['2027-03-01', 'afterEntry']);
    const w = win(planCertificates({ case: walk, documents: [], calendar: cal, today: at('2026-12-05') }), 'dependant_passport');
    expect([key(w.from), key(w.to), w.status]).to.deep.equal(['2026-12-05', '2027-02-22', 'open']);
    expect(w.neededBy.map((n) => [n.kind, key(n.fileOn)])).to.deep.equal([['residence_card', '2027-03-01']]);
  });

  it('an open window with fewer than 5 working days left is marked nearly closed, with the days left', () => {
    // Today Sat 5 Dec 2026, planned start Fri 12 Feb 2027: HR aims to lodge the work permit on the
    // window's first day, 60 days before, Mon 14 Dec (the target stored); ready 5 working days before
    // it: Fri 11 (1), Thu 10 (2), Wed 9 (3), Tue 8 (4), Mon 7 Dec (5). Left from Saturday: Mon 7 only
    // → 1 working day.
    const soon = onboarding([{ kind: 'work_permit', status: 'preparing', dueAt: endOf('2026-12-14') }], { profile: { plannedArrival: at('2027-02-12') } });
    const w = win(planCertificates({ case: soon, documents: [], calendar: cal, today: at('2026-12-05') }), 'criminal_record');
    expect([key(w.from), key(w.to), w.status, w.daysLeft, w.closing]).to.deep.equal(['2026-12-05', '2026-12-07', 'open', 1, true]);
    // A month earlier the same window has time enough.
    const early = win(planCertificates({ case: soon, documents: [], calendar: cal, today: at('2026-11-05') }), 'criminal_record');
    expect([early.status, early.closing]).to.deep.equal(['open', false]);
  });

  it('at the offer, a procedure HR has started does not hide the ones the applicant asked for', () => {
    // HR opened housing during the offer; the work permit, visa and card have no track yet but were
    // asked for: the work permit still needs the criminal record, planned for the target it will get
    // (20 working days before the start of Tue 1 Jun 2027: Tue 4 May).
    const offer: PlannerCase = { stage: 'offer', stageEnteredAt: at('2026-11-20'), profile: { plannedArrival: at('2027-06-01') }, supportRequested: { workPermit: true, visa: true, residenceCard: true, housing: true }, supportTracks: [{ kind: 'housing', status: 'requested' }] };
    const w = win(planCertificates({ case: offer, documents: [], calendar: cal, today: at('2026-12-05') }), 'criminal_record');
    expect(w.neededBy.map((n) => [n.kind, key(n.fileOn)])).to.deep.equal([['work_permit', '2027-05-04']]);
    // A track HR set to 'not needed' stays not needed, whatever was asked for.
    const exempt = { ...offer, supportTracks: [{ kind: 'work_permit', status: 'not_needed' }] };
    expect(planCertificates({ case: exempt, documents: [], calendar: cal, today: at('2026-12-05') }).some((x) => x.type === 'criminal_record')).to.equal(false);
  });

  it("the call's checklist before arrival gets a window when no procedure ahead asks for the certificate", () => {
    // No procedure asked for; the checklist requires both certificates before arrival (Mon 1 Mar 2027):
    // ready 5 working days before it, Mon 22 Feb; the criminal record issued on or after 1 Sep 2026.
    const bare: PlannerCase = { stage: 'offer', stageEnteredAt: at('2026-11-20'), profile: { plannedArrival: at('2027-03-01') } };
    expect(planCertificates({ case: bare, documents: [], calendar: cal, today: at('2026-12-05') })).to.deep.equal([]);
    const list = planCertificates({ case: bare, documents: [], calendar: cal, today: at('2026-12-05'), checklist: ['signed_offer', 'health_certificate', 'criminal_record'] });
    expect(list.map((w) => [w.type, key(w.from), key(w.to), w.status])).to.deep.equal([
      ['criminal_record', '2026-12-05', '2027-02-22', 'open'],
      ['health_certificate', '2026-12-05', '2027-02-22', 'open'],
    ]);
    expect(list[0]!.neededBy.map((n) => [n.kind, key(n.fileOn)])).to.deep.equal([['arrival', '2027-03-01']]);
    expect(list[0]!.reasons[0]).to.deep.include({ key: 'checklist' });
  });

  it('a lodged procedure needs no more windows', () => {
    const filed = onboarding([{ kind: 'work_permit', status: 'filed', updatedAt: at('2027-01-04') }]);
    expect(planCertificates({ case: filed, documents: [], calendar: cal, today: at('2027-01-05') })).to.deep.equal([]);
  });
});
