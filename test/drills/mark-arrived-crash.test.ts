// Drill: the app SIGKILLed inside HR's "mark arrived" (workflow mark_arrived: one case update carries
// the stage, the day the expert entered, the residence card's counted target read again from that day
// (rules.ts cardTargetOnArrival), the history, the arrival e-mail in the outbox and the pending audit;
// the audit settled, the dashboard's counts moved and the forecast refreshed after it; the dispatcher
// sends the e-mail later). The officer posts the case page's form over HTTP to the app as `npm start`
// runs it, the kill point inside it (support/app-kill-hook.mjs):
//   1. killed as the case's update is issued: after the restart nothing of it is stored (still in
//      onboarding, no arrival, the card's target as it was, no e-mail owed), nobody is e-mailed;
//   2. marked again, killed at the first operation after the update: after the restart the arrival,
//      the card's new target and the e-mail stand together (no state with the one but not the
//      others), the applicant gets the arrival e-mail exactly once, naming the card's new day beside
//      its old one, and the audit event is recorded once (by the repair).
import { expect } from 'chai';
import { ObjectId } from 'mongodb';
import { csrfIn, hiddenValue } from '../../scripts/support/web-client.ts';
import { WorkingCalendar, vnDateKey, vnEndOfDay } from '../../server/calendar/index.ts';
import { CARD_AFTER_START_WORKING_DAYS } from '../../server/procedures/rules.ts';
import { formatDay } from '../../server/views/time.ts';
import { until } from './support/app-process.ts';
import { AUDITED, officerPages, sleep, useDrillSmtp } from './support/crash-drill.ts';
import { useDrill } from './support/drill.ts';
import { appKillEnv } from './support/kill-point.ts';

const DAY = 86_400_000;
const dayFrom = (days: number) => vnDateKey(new Date(Date.now() + days * DAY));
const endOf = (key: string) => new Date(`${key}T16:59:59.999Z`);

interface Track {
  kind: string;
  status: string;
  dueAt?: Date;
}

describe('drill: SIGKILL inside HR’s “mark arrived”', function () {
  this.timeout(300_000);
  const drill = useDrill('mark-arrived');
  const smtp = useDrillSmtp();

  it('stores the arrival, the card’s new target and the e-mail together or not at all; e-mails once', async () => {
    const env = drill.env({ SMTP_URL: smtp().url, DISPATCH_INTERVAL_MS: '200', SMTP_TIMEOUT_MS: '2000', OUTBOX_LEASE_MS: '8000' });
    // The card counted 5 working days from three weeks ago, but never before 10 working days after the
    // planned start (90 days away): its target is the start's. Marked arrived today, it reads today.
    const oldCard = endOf(dayFrom(110)).toISOString();
    const seeded = await drill.seed(env, {
      applicants: 1,
      stage: 'onboarding',
      plannedStart: dayFrom(90),
      tracks: [
        { kind: 'work_permit', status: 'approved' },
        { kind: 'visa', status: 'approved' },
        { kind: 'residence_card', status: 'preparing', dueAt: oldCard, dueCount: { from: new Date(Date.now() - 21 * DAY).toISOString(), workingDays: 5 } },
      ],
    });
    const { caseId, email } = seeded.applicants[0]!;
    const seededVersion = 6;
    const theCase = async () => (await drill.db().collection('cases').findOne({ _id: new ObjectId(caseId) }))!;
    const cardOf = (c: Record<string, unknown>) => (c.supportTracks as Track[]).find((t) => t.kind === 'residence_card')!.dueAt!;
    const key = `${caseId}.${seededVersion + 1}.arrived`;
    const arrivalMails = () => smtp().to(email).filter((m) => m.messageId.includes('.arrived'));
    const { page: read, client: hr } = officerPages(drill, seeded.hr, seeded.password);
    const markArrived = async () => {
      const page = await read(`/cases/${caseId}`);
      try {
        return (await hr.postForm(`/cases/${caseId}/actions/mark_arrived`, csrfIn(page), { version: hiddenValue(page, 'version')!, arrivedOn: vnDateKey(new Date()) })).status;
      } catch {
        return 'no answer';
      }
    };

    // 1. Killed as the update is issued.
    await drill.boot({ ...env, ...appKillEnv('cases.findOneAndUpdate:stage=arrived', 'write') });
    expect(await markArrived(), 'HR got no answer').to.equal('no answer');
    expect(await drill.app().exited).to.equal(null);
    expect(drill.app().output()).to.match(/killed at write: cases\.findOneAndUpdate/);
    await drill.boot(env);
    const first = await theCase();
    expect([first.stage, first.version, first.arrivedAt ?? null], 'nothing stored').to.deep.equal(['onboarding', seededVersion, null]);
    expect(cardOf(first).toISOString(), 'the card’s target as it was').to.equal(oldCard);
    expect(first.outbox ?? [], 'no e-mail owed').to.deep.equal([]);
    await sleep(1000);
    expect(arrivalMails(), 'nobody e-mailed').to.deep.equal([]);
    expect(await drill.app().stop()).to.equal(0);

    // 2. Marked again, killed at the first operation after the update.
    await drill.boot({ ...env, ...appKillEnv('cases.findOneAndUpdate:stage=arrived', 'after') });
    expect(await markArrived(), 'HR got no answer').to.equal('no answer');
    expect(await drill.app().exited).to.equal(null);
    expect(drill.app().output()).to.match(/killed at after: /);
    await drill.boot(env);
    const landed = await theCase();
    expect([landed.stage, landed.version], 'the step stands').to.deep.equal(['arrived', seededVersion + 1]);
    expect(vnDateKey(landed.arrivedAt), 'the arrival stored').to.equal(vnDateKey(new Date()));
    const newCard = cardOf(landed);
    expect(newCard.getTime(), 'the card’s target read from the arrival: sooner').to.be.below(new Date(oldCard).getTime());
    // Exactly the count from the arrival (rules.ts cardTarget): 10 working days after it on the app's calendar.
    const calendar = WorkingCalendar.of((await drill.db().collection('holidays').find({}).toArray()).map((r) => ({ date: String(r.date), kind: r.kind as string })));
    expect(newCard.toISOString(), 'counted from the arrival').to.equal(vnEndOfDay(calendar.addWorkingDays(vnEndOfDay(landed.arrivedAt), CARD_AFTER_START_WORKING_DAYS)).toISOString());
    expect(landed.nextDueAt.getTime(), 'the queue’s next date follows').to.be.at.most(newCard.getTime());
    expect(((landed.outbox ?? []) as Array<{ key: string }>).map((o) => o.key), 'the e-mail owed with it').to.deep.equal([key]);
    const casePage = await read(`/cases/${caseId}`);
    expect(casePage, 'the officer’s page shows the card’s new target').to.include(formatDay(newCard, 'en'));
    await until('the arrival e-mail sent', 30_000, () => arrivalMails().length > 0);
    await drill.app().waitForLog(AUDITED, 90_000); // the repair's first run (after the lease of any killed send)
    await sleep(1000);
    expect(arrivalMails(), 'the applicant e-mailed once').to.have.length(1);
    const mail = arrivalMails()[0]!;
    const cardLine = mail.text.split('\n').find((l) => l.includes('Temporary residence card')) ?? '';
    expect(cardLine, mail.text).to.include(formatDay(newCard, 'en'));
    expect(cardLine, 'with its old day').to.include(formatDay(new Date(oldCard), 'en'));
    const events = await drill.db().collection('auditevents').countDocuments({ targetId: caseId, action: 'case.transition', 'summary.action': 'mark_arrived' });
    expect(events, 'the step audited once').to.equal(1);
    expect((await theCase()).pendingAudits ?? [], 'nothing left owed').to.deep.equal([]);
    const logged = await drill.db().collection('mail_log').find({ key }).toArray();
    expect(logged.map((r) => r.status), 'one mail log row, sent').to.deep.equal(['sent']);
    expect(((await theCase()).outbox as Array<{ status: string }>).map((o) => o.status), 'the case says sent').to.deep.equal(['sent']);
    expect(await drill.app().stop()).to.equal(0);
  });
});
