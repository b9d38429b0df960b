// Drill: the app SIGKILLed inside HR's move of the planned start (server/cases/planned-start.ts
// changePlannedStart: one case update carries the new start, the procedures' targets HR typed moved
// with it, their history entries, the applicant's planned_start_moved e-mail in the outbox and the
// pending audit event; the audit is settled and the forecast refreshed after it; the dispatcher sends
// the e-mail later). The officer posts the case page's form over HTTP to the app as `npm start` runs
// it, with the kill point inside it (support/app-kill-hook.mjs):
//   1. killed as the case's update is issued: after the restart the case is as it was (start,
//      targets, history, no e-mail owed, no event owed), the officer's page shows the old start,
//      nobody is e-mailed;
//   2. the officer moves it again, killed at the first operation after the update: after the restart
//      the start and every typed target moved together, each on the history, the officer's page shows
//      them, the applicant gets exactly one e-mail (its link names the port of the process that wrote
//      it, never :0), and the audit event is recorded once (by the repair, checked after 3's restart);
//   3. moved once more, the app killed once the e-mail was accepted by SMTP, as its "sent" is recorded
//      on the case (DESIGN.md §7: the mail is sent, then its status recorded): after the restart and
//      the lease's end the applicant still has exactly one copy of that e-mail, and the case says sent.
import { expect } from 'chai';
import { ObjectId } from 'mongodb';
import { csrfIn, hiddenValue } from '../../scripts/support/web-client.ts';
import { vnDateKey } from '../../server/calendar/index.ts';
import { formatDay } from '../../server/views/time.ts';
import { useDrill } from './support/drill.ts';
import { AUDITED, officerPages, sleep, useDrillSmtp } from './support/crash-drill.ts';
import { appKillEnv } from './support/kill-point.ts';
import { until } from './support/app-process.ts';

const DAY = 86_400_000;
/** 'YYYY-MM-DD' `days` from today (Vietnam's day). */
const dayFrom = (days: number) => vnDateKey(new Date(Date.now() + days * DAY));
/** The last instant of a Vietnamese day, as targets are stored. */
const endOf = (key: string) => new Date(`${key}T16:59:59.999Z`);

interface Track {
  kind: string;
  status: string;
  dueAt: Date;
}

describe('drill: SIGKILL inside HR’s move of the planned start with typed targets', function () {
  this.timeout(300_000);
  const drill = useDrill('planned-start');
  const smtp = useDrillSmtp();

  it('moves the start and the targets together or not at all, e-mails the applicant once, and audits it once', async () => {
    // Short SMTP limits and lease: a send killed before its record is retried 8 s later.
    const env = drill.env({ SMTP_URL: smtp().url, DISPATCH_INTERVAL_MS: '200', SMTP_TIMEOUT_MS: '2000', OUTBOX_LEASE_MS: '8000' });
    const start0 = dayFrom(90);
    const seeded = await drill.seed(env, {
      applicants: 1,
      stage: 'onboarding',
      plannedStart: start0,
      // Targets HR typed (no count): the work permit 30 days before the start, the card 10 days after.
      tracks: [
        { kind: 'work_permit', status: 'preparing', dueAt: endOf(dayFrom(60)).toISOString() },
        { kind: 'residence_card', status: 'requested', dueAt: endOf(dayFrom(100)).toISOString() },
      ],
    });
    const { caseId, email: applicantEmail } = seeded.applicants[0]!;
    const t0 = Date.now();
    const phases: string[] = [];
    const phaseDone = (name: string) => phases.push(`${name} ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const theCase = async () => (await drill.db().collection('cases').findOne({ _id: new ObjectId(caseId) }))!;
    const moveMails = () => smtp().to(applicantEmail).filter((m) => m.messageId.includes('planned_start_moved'));
    const events = () => drill.db().collection('auditevents').countDocuments({ targetId: caseId, action: { $regex: /planned_start/ } });
    const { page: read, client: hr } = officerPages(drill, seeded.hr, seeded.password);
    const casePage = () => read(`/cases/${caseId}`);
    const targetsOf = (c: Record<string, unknown>) => Object.fromEntries((c.supportTracks as Track[]).map((t) => [t.kind, vnDateKey(t.dueAt)]));
    /** The officer moves the start on the case page; the app may die under the request. */
    const move = async (to: string, reason: string) => {
      const page = await casePage();
      try {
        const r = await hr.postForm(`/cases/${caseId}/planned-start`, csrfIn(page), { version: hiddenValue(page, 'version')!, plannedStart: to, plannedStartReason: reason, plannedStartTold: 'Your procedures follow the new day.', plannedStartTargets: 'move' });
        return r.status;
      } catch {
        return 'no answer';
      }
    };
    const killed = async (said: RegExp) => {
      expect(await drill.app().exited, 'the app was SIGKILLed').to.equal(null);
      expect(drill.app().output()).to.match(said);
    };
    const seededVersion = 6; // the seed's six steps to `onboarding` (support/seed.ts)

    // 1. Killed as the case's update is issued.
    await drill.boot({ ...env, ...appKillEnv('cases.findOneAndUpdate:profile.plannedArrival', 'write') });
    const before = targetsOf(await theCase());
    expect(await move(dayFrom(120), 'The expert starts a month later (first try).'), 'the officer got no answer').to.equal('no answer');
    await killed(/killed at write: cases\.findOneAndUpdate/);
    await drill.boot(env);
    const first = await theCase();
    expect(first.version, 'the case is as it was').to.equal(seededVersion);
    expect(vnDateKey(first.profile.plannedArrival)).to.equal(start0);
    expect(targetsOf(first), 'no target moved').to.deep.equal(before);
    expect((first.history as Array<{ action: string }>).map((h) => h.action)).not.to.include('support_update');
    expect(first.outbox ?? [], 'no e-mail owed').to.deep.equal([]);
    expect(first.pendingAudits ?? [], 'no event owed').to.deep.equal([]);
    expect(await casePage(), 'the officer sees no move').not.to.include('first try');
    await sleep(1000); // an e-mail, if one were owed, would be sent by now (dispatch every 200 ms)
    expect(moveMails(), 'nobody e-mailed').to.deep.equal([]);
    expect(await drill.app().stop()).to.equal(0);
    phaseDone('kill as the update is issued');

    // 2. Moved again; killed at the first operation after the case's update.
    await drill.boot({ ...env, ...appKillEnv('cases.findOneAndUpdate:profile.plannedArrival', 'after') });
    const writerPort = new URL(drill.app().url).port;
    const start2 = dayFrom(120);
    expect(await move(start2, 'The expert starts a month later.')).to.equal('no answer');
    await killed(/killed at after: /);
    await drill.boot(env);
    const landed = await theCase();
    const history = landed.history as Array<{ action: string; procedure?: { kind: string; targetFrom: Date; targetTo: Date; startMovedTo: Date } }>;
    expect(landed.version, `one step (history ${history.map((h) => h.action).join(', ')})`).to.equal(seededVersion + 1);
    expect(vnDateKey(landed.profile.plannedArrival), 'the start moved').to.equal(start2);
    const moved = targetsOf(landed);
    expect(moved, 'both typed targets moved with it').not.to.deep.include({ work_permit: before.work_permit });
    expect(moved.residence_card).not.to.equal(before.residence_card);
    const steps = history.filter((h) => h.action === 'support_update');
    expect(steps.map((h) => [h.procedure!.kind, vnDateKey(h.procedure!.targetTo), vnDateKey(h.procedure!.startMovedTo)]).sort(), 'each target’s move on the history, as stored').to.deep.equal(
      Object.entries(moved)
        .map(([k, d]) => [k, d, start2])
        .sort(),
    );
    const key = `${caseId}.${seededVersion + 1}.planned_start_moved`;
    const outbox = (landed.outbox ?? []) as Array<{ key: string; data: { link: string } }>;
    expect(outbox.map((o) => o.key), 'the e-mail owed with it').to.deep.equal([key]);
    expect(outbox[0]!.data.link, 'the link names the port the writing process bound, not :0').to.equal(`http://127.0.0.1:${writerPort}/applications/${caseId}`);
    const page2 = await casePage();
    expect(page2, 'the officer sees the reason').to.include('The expert starts a month later.');
    expect(/<dd id="planned-start">([^<]*)/.exec(page2)?.[1]?.trim(), 'and the new start').to.equal(formatDay(landed.profile.plannedArrival, 'en'));
    await until('the e-mail sent', 30_000, () => moveMails().length > 0);
    await sleep(1000); // a duplicate, if any, would arrive now
    expect(moveMails(), 'the applicant e-mailed once').to.have.length(1);
    expect(moveMails()[0]!.text, 'the e-mail links the application').to.include(`/applications/${caseId}`);
    // Its audit event is still owed on the case: the repair records it after its grace (checked in 3,
    // whose last start waits that long anyway).
    expect((await theCase()).pendingAudits ?? [], 'the event owed').to.have.length(1);
    expect(await events()).to.equal(0);
    expect(await drill.app().stop()).to.equal(0);
    phaseDone('kill after the update');

    // 3. Moved once more; killed once SMTP accepted the e-mail, as its "sent" is recorded on the case.
    await drill.boot({ ...env, ...appKillEnv('cases.updateOne:outbox.$.status=sent', 'write') });
    const start3 = dayFrom(150);
    await move(start3, 'The expert starts later again.'); // answered, or not: the kill comes with the dispatcher's run
    await killed(/killed at write: cases\.updateOne/);
    const key3 = `${caseId}.${seededVersion + 2}.planned_start_moved`;
    const copies = () => smtp().messages.filter((m) => m.messageId.includes(key3)).length;
    expect(copies(), 'SMTP had accepted it').to.equal(1);
    await drill.boot(env);
    // The repair's first run, once its grace (10 s) has passed since the start, comes after the killed
    // claim's lease (8 s) ended: a resend, if any, has come by then.
    await drill.app().waitForLog(AUDITED, 90_000);
    await sleep(1000);
    expect(await events(), 'each move’s event once: 2’s by the repair, 3’s by its request').to.equal(2);
    expect((await theCase()).pendingAudits ?? [], 'nothing left owed').to.deep.equal([]);
    const after3 = await theCase();
    expect(vnDateKey(after3.profile.plannedArrival)).to.equal(start3);
    const item = (after3.outbox as Array<{ key: string; status: string }>).find((o) => o.key === key3);
    expect(item?.status, 'the case says sent').to.equal('sent');
    expect(copies(), 'the applicant has that e-mail once').to.equal(1);
    const logged = await drill.db().collection('mail_log').find({ key: key3 }).toArray();
    expect(logged.map((r) => r.status), 'one mail log row, sent').to.deep.equal(['sent']);
    expect(await drill.app().stop()).to.equal(0);
    phaseDone('kill at the sent e-mail’s record');
    process.stdout.write(`      drill figures (three kills, six starts): ${phases.join('; ')}\n`);
  });
});
