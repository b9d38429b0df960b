// Drill s37: the database SIGKILLed while the app's daily reminder job runs, then restarted. The app
// runs as `npm start` does against the embedded database run on its own (`npm run db`, MONGODB_URI),
// its job every 3 s (REMINDERS_INTERVAL_MS; it sends each e-mail once a day whatever the interval).
// The job is held (./support/app-kill-hook.mjs 'stall') just before its first read of a panel
// member's earlier answers (evaluations.distinct): the HR lead's overdue digest is queued by then,
// the panel's e-mails not yet. The database is killed while it is held, so the job's next read meets
// it gone; it comes back on the same files and port some seconds later.
// Expected: the app stays up (its job's run fails and is logged, /readyz answers again); the job's
// next run queues the panel's e-mails; nothing is queued twice (the overdue digest stays one item)
// and each e-mail is delivered once.
import { expect } from 'chai';
import { ObjectId } from 'mongodb';
import { messageIdFor } from '../../server/outbox/item.ts';
import { WorkingCalendar } from '../../server/calendar/index.ts';
import { VN_HOLIDAYS } from '../../server/calendar/holidays-vn.ts';
import { startTestSmtp, type TestSmtp } from '../support/smtp.ts';
import { drillEnv, runScript, startApp, until, waitReady, type AppProcess } from './support/app-process.ts';
import { sleep } from './support/crash-drill.ts';
import { useExternalDatabase } from './support/database-process.ts';
import { appKillEnv } from './support/kill-point.ts';
import { digestItems } from './support/digests.ts';
import type { Seeded } from './support/seed.ts';

describe('drill s37: the database SIGKILLed and restarted while the reminder job runs', function () {
  this.timeout(300_000);
  let app: AppProcess | undefined;
  let smtp: TestSmtp;
  const database = useExternalDatabase('reminders-db-s37', { beforeRemoval: async () => app?.kill9() });
  before(async () => {
    smtp = await startTestSmtp();
  });
  after(async () => {
    await smtp?.stop();
  });

  it('the app stays up, the next run queues what the cut one had not, nothing twice, each e-mail once', async function () {
    // The job runs on working days only (the seeded calendar: weekends and public holidays): a day off in Vietnam has nothing to drill.
    const vnNow = new Date(Date.now() + 7 * 3_600_000);
    if (!WorkingCalendar.of(VN_HOLIDAYS).isWorkingDay(new Date())) this.skip();
    const env = drillEnv(database.dataDir, { MONGODB_URI: database.uri, SMTP_URL: smtp.url, DISPATCH_INTERVAL_MS: '200', REMINDERS_INTERVAL_MS: '3000', DB_SERVER_SELECTION_TIMEOUT_MS: '2000' });
    const seeded = JSON.parse((await runScript('test/drills/support/seed.ts', [JSON.stringify({ applicants: 2, stage: 'evaluation', panel: 1 })], env)).trim().split('\n').at(-1)!) as Seeded;
    const client = await database.connect();
    const db = client.db();
    // Both cases entered evaluation yesterday (Vietnam time: within the panel's window) and are overdue; the officer is the HR lead.
    const vnToday = new Date(Math.floor(vnNow.getTime() / 86_400_000) * 86_400_000 - 7 * 3_600_000);
    for (const [i, a] of seeded.applicants.entries()) {
      const due = new Date(vnToday.getTime() - (20 - i) * 86_400_000);
      await db.collection('cases').updateOne({ _id: new ObjectId(a.caseId) }, { $set: { stageEnteredAt: new Date(vnToday.getTime() - 60_000 * (i + 1)), stageDueAt: due, nextDueAt: due } });
    }
    await db.collection('users').updateOne({ email: seeded.hr.email.toLowerCase() }, { $set: { isHrLead: true } });
    const items = () => digestItems(db);

    app = startApp({ ...env, ...appKillEnv('evaluations.distinct:*', 'stall'), DRILL_STALL_MS: '4000' });
    await waitReady(app);
    await app.waitForLog(/stalled at write: evaluations\.distinct/, 30_000);
    // Held mid-run: the overdue digest queued, the panel's e-mails not yet.
    expect((await items()).map((i) => i.template), 'queued when the job was cut').to.deep.equal(['overdue_digest']);
    const t0 = Date.now();
    await database.kill9();
    // Down past the stall and the driver's server selection (2 s): the job's read fails.
    await sleep(7_000);
    await database.restart();
    const downMs = Date.now() - t0;
    expect(app.child.exitCode, 'the app stays up').to.equal(null);
    await app.waitForLog(/"service":"reminders"[^\n]*"msg":"background run failed"|"msg":"background run failed"[^\n]*"service":"reminders"/, 30_000);

    await until('the panel\'s e-mails queued by a later run', 60_000, async () => (await items()).length >= 3);
    await until('every digest delivered', 60_000, async () => (await items()).every((i) => i.status === 'sent'));
    const recoveredMs = Date.now() - t0;
    // Two more runs: nothing new.
    await sleep(7_000);
    const all = await items();
    expect(all.map((i) => i.template).sort(), 'one overdue digest, two panel e-mails').to.deep.equal(['overdue_digest', 'panel_digest', 'panel_digest']);
    expect(new Set(all.map((i) => i.to)), 'each to its own person').to.deep.equal(new Set([seeded.hr.email, seeded.leader.email, seeded.panel[0]!.email].map((e) => e.toLowerCase())));
    for (const i of all) expect(smtp.messages.filter((m) => m.messageId === messageIdFor(i.key)), `${i.template} to ${i.to}: once`).to.have.length(1);
    const rows = await db.collection('mail_log').find({ key: { $in: all.map((i) => i.key) } }).toArray();
    expect(rows.map((r) => r.status), 'the mail log').to.deep.equal(['sent', 'sent', 'sent']);
    expect((await fetch(`${app.url}/readyz`)).status).to.equal(200);
    const runsFailed = app.output().split('\n').filter((l) => l.includes('background run failed') && l.includes('reminders')).length;
    process.stdout.write(`      database down ${downMs} ms during the job; ${runsFailed} run(s) failed; all three digests sent ${recoveredMs} ms after the kill\n`);
    expect(await app.stop()).to.equal(0);
  });
});
