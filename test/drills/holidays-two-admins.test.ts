// Drill: two administrators on /admin/holidays, each with the page read while a known holiday was
// missing from the calendar (two stale forms), one adding the day (one click: the calendar's add,
// its audit, the recount of the deadlines across it), the other marking it not observed. The app runs
// as `npm start` does; the drill reads its database.
//   1. Added first, then the other's stale "Not observed": one outcome, the day in the calendar and
//      not marked (the page had both: in the calendar and listed as not observed, with an "Observe
//      again" that did nothing; the add's fix covered only the other order); the second told so;
//   2. another known day, both sent at once, twice each (double clicks): the same single outcome
//      whatever the order the app takes them in;
//   each day's add audited once, its deadlines recounted once (one recount, the filed procedure's
//   decision date moved once on the history, the applicant e-mailed once).
import { expect } from 'chai';
import { ObjectId } from 'mongodb';
import { WebClient, csrfIn } from '../../scripts/support/web-client.ts';
import { WorkingCalendar, countedDeadline } from '../../server/calendar/index.ts';
import { until } from './support/app-process.ts';
import { sleep, useDrillSmtp } from './support/crash-drill.ts';
import { useDrill } from './support/drill.ts';

const DAYS = ['2027-01-01', '2027-04-16'];

describe('drill: two administrators, two stale holidays pages: one adds a known day, the other marks it not observed', function () {
  this.timeout(240_000);
  const drill = useDrill('holidays-two');
  const smtp = useDrillSmtp();

  it('gives one clear outcome, audited, with the deadlines recounted once', async () => {
    const env = drill.env({ SMTP_URL: smtp().url, DISPATCH_INTERVAL_MS: '200' });
    const from = new Date();
    // A filed work permit whose decision is counted 100 working days from today: across both days.
    const seeded = await drill.seed(env, { applicants: 1, stage: 'onboarding', tracks: [{ kind: 'work_permit', status: 'filed', dueAt: from.toISOString(), dueCount: { from: from.toISOString(), workingDays: 100 } }] });
    const other = await drill.seed(env, { applicants: 0, stage: 'onboarding' });
    const { caseId, email } = seeded.applicants[0]!;
    // The app seeds the calendar at its first start; the days are then taken out, as an administrator
    // may have, and the target counted without them (what the recount moves when one is added).
    await drill.boot(env);
    await drill.db().collection('holidays').deleteMany({ date: { $in: DAYS } });
    const rows = await drill.db().collection('holidays').find({}).toArray();
    const counted = countedDeadline(WorkingCalendar.of(rows.map((r) => ({ date: String(r.date), kind: r.kind as string }))), { from, workingDays: 100 });
    await drill.db().collection('cases').updateOne({ _id: new ObjectId(caseId), 'supportTracks.kind': 'work_permit' }, { $set: { 'supportTracks.$.dueAt': counted } });
    expect(await drill.app().stop()).to.equal(0);
    await drill.boot(env); // its calendar read again

    const a = new WebClient(() => drill.app().url, 30_000);
    const b = new WebClient(() => drill.app().url, 30_000);
    await a.signIn(seeded.admin.email, seeded.password, seeded.admin.totpSecret);
    await b.signIn(other.admin.email, other.password, other.admin.totpSecret);
    const holidaysPage = async (c: WebClient, year: string) => {
      const p = await c.get(`/admin/holidays?year=${year}`);
      expect(p.status).to.equal(200);
      return p.text;
    };
    const flashOf = (html: string) => /<div class="flash flash-session flash-(\w+)" id="flash"[^>]*>([\s\S]*?)<button/.exec(html)?.slice(1).map((s) => s.replace(/<[^>]+>/g, '').trim());
    const send = (c: WebClient, page: string, what: 'add' | 'dismiss', date: string) => c.postForm(`/admin/holidays/known/${what}`, csrfIn(page), { date });
    const state = async (date: string) => ({
      inCalendar: !!(await drill.db().collection('holidays').findOne({ date })),
      notObserved: !!(await drill.db().collection('holidaydismissals').findOne({ date })),
      added: await drill.db().collection('auditevents').countDocuments({ action: 'holiday.create', 'summary.date': date }),
      marked: await drill.db().collection('auditevents').countDocuments({ action: 'holiday.not_observed', targetId: date }),
      recounts: await drill.db().collection('deadlinerecounts').countDocuments({ date }),
    });
    const movesOf = async () => ((await drill.db().collection('cases').findOne({ _id: new ObjectId(caseId) }))!.history as Array<{ action: string }>).filter((h) => /holiday|recount/.test(h.action)).length;

    // 1. Both pages read with 1 Jan missing; A adds it, then B's stale "Not observed".
    const [day1, day2] = DAYS as [string, string];
    const pageA = await holidaysPage(a, '2027');
    const pageB = await holidaysPage(b, '2027');
    for (const p of [pageA, pageB]) expect(p, 'listed as missing on both pages').to.include(`data-known="${day1}"`);
    expect((await send(a, pageA, 'add', day1)).status).to.equal(303);
    expect((await send(b, pageB, 'dismiss', day1)).status).to.equal(303);
    const saidToB = flashOf(await holidaysPage(b, '2027'));
    expect(await state(day1), 'one outcome: in the calendar, not marked; the add audited, recounted once').to.deep.equal({ inCalendar: true, notObserved: false, added: 1, marked: 0, recounts: 1 });
    expect(saidToB?.[1], 'the second administrator told what happened').to.match(/already in the calendar|added to the calendar/);
    const pageAfter = await holidaysPage(a, '2027');
    expect(pageAfter, 'not listed as not observed').not.to.match(new RegExp(`/admin/holidays/known/observe[\\s\\S]{0,400}value="${day1}"`));
    const moves1 = await movesOf();

    // 2. Another day: both at once, each twice.
    const pageA2 = await holidaysPage(a, '2027');
    const pageB2 = await holidaysPage(b, '2027');
    const answers = await Promise.all([send(a, pageA2, 'add', day2), send(b, pageB2, 'dismiss', day2), send(a, pageA2, 'add', day2), send(b, pageB2, 'dismiss', day2)]);
    expect(answers.map((r) => r.status)).to.deep.equal([303, 303, 303, 303]);
    const s2 = await state(day2);
    expect([s2.inCalendar, s2.notObserved, s2.added, s2.recounts], 'the add wins: in the calendar, not marked, audited and recounted once').to.deep.equal([true, false, 1, 1]);
    // A mark that landed before the add is audited, and the add's audit says it lifted it.
    if (s2.marked) expect(await drill.db().collection('auditevents').countDocuments({ action: 'holiday.create', 'summary.date': day2, 'summary.wasMarkedNotObserved': true })).to.equal(1);

    // The deadline counted across both days moved once per day added.
    const c = (await drill.db().collection('cases').findOne({ _id: new ObjectId(caseId) }))!;
    const permit = (c.supportTracks as Array<{ kind: string; dueAt: Date }>).find((t) => t.kind === 'work_permit')!;
    const withBoth = countedDeadline(WorkingCalendar.of([...rows, { date: day1 }, { date: day2 }].map((r) => ({ date: String(r.date), kind: (r as { kind?: string }).kind }))), { from, workingDays: 100 });
    expect(permit.dueAt.toISOString(), 'moved by both days, once each').to.equal(withBoth.toISOString());
    await until('the applicant told', 30_000, () => smtp().to(email).length >= 1);
    await sleep(1500);
    expect(await movesOf(), 'the history: one move per day added').to.equal(2);
    expect(moves1, 'one after the first day').to.equal(1);
    expect(smtp().to(email), 'the applicant told once per day added').to.have.length(2);
    process.stdout.write(`      drill figures: history moves ${moves1} after day 1, ${await movesOf()} after day 2; ${smtp().to(email).length} e-mail(s) to the applicant; day 2 marked first: ${s2.marked}\n`);
    expect(await drill.app().stop()).to.equal(0);
  });
});
