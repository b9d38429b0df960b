// Drill: the process SIGKILLed between a staff change and the return of that person's cases. There
// is no transaction: a role change and a disabling write the account, then return the person's open
// cases to the queue in a second write. Here, on a data folder of the drill's own (embedded database
// on disk), an administrator moves one HR officer to another institute and disables another, each in
// a child process killed right after the account's write (test/drills/support/staff-change.ts: it
// kills itself as the cases' write is issued). Then the app starts as `npm start` runs it, and its
// start-up repair (server/cases/stranded.ts) must have, checked through the database:
//   - kept both account changes (placement, sessions ended);
//   - returned every open case of both officers to the queue, each with one history entry giving
//     the reason and the officer's name, stage, version and earlier history as they were;
//   - left the case of an officer who may keep it alone;
//   - recorded one audit event per officer whose cases went back;
//   - recorded each change's own audit event (who, what changed, the administrator's reason), which
//     the account's write carried (server/accounts/pending-audit.ts), and cleared it from the account;
// and a second start changes nothing more.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ObjectId, type Document, type MongoClient } from 'mongodb';
import { startTestSmtp, type TestSmtp } from '../support/smtp.ts';
import { connectToAppDatabase, drillEnv, runScript, runScriptToEnd, startApp, waitReady, type AppProcess } from './support/app-process.ts';
import type { Seeded } from './support/seed.ts';
import type { StaffChange } from './support/staff-change.ts';

const REPAIRED = /\{[^\n]*"msg":"open cases of people who can no longer hold them returned to the queue"\}/;
const FIRST_RUN = /\{[^\n]*"service":"stranded-cases"[^\n]*"msg":"background run finished"\}/;
const AUDITED = /\{[^\n]*"msg":"account decisions left unaudited by a stopped process recorded"\}/;
const MAILED = /\{[^\n]*"msg":"account decision e-mails left unsent by a stopped process sent"\}/;
const AUDITS_FIRST_RUN = /\{[^\n]*"service":"pending-account-audits"[^\n]*"msg":"background run finished"\}/;

describe('drill: SIGKILL between a staff change and the return of their cases', function () {
  this.timeout(300_000);
  let dataDir: string;
  let app: AppProcess | undefined;
  let db: MongoClient | undefined;
  let smtp: TestSmtp | undefined;

  before(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'talent-drill-staff-'));
    smtp = await startTestSmtp();
  });

  after(async () => {
    await db?.close().catch(() => undefined);
    await app?.kill9();
    await smtp?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('returns the cases of an officer moved and of one disabled after a crash right after the account write, once', async () => {
    const env = drillEnv(dataDir, { DISPATCH_INTERVAL_MS: '60000', SMTP_URL: smtp!.url });
    const seed = async (applicants: number, stage: 'screening' | 'submitted') => JSON.parse((await runScript('test/drills/support/seed.ts', [JSON.stringify({ applicants, stage })], env)).trim().split('\n').pop()!) as Seeded;
    // Three institutes, each with an HR officer holding its cases: the first one moves to the third
    // institute, the second one is disabled, the third keeps their case.
    const moving = await seed(3, 'screening');
    const leaving = await seed(2, 'submitted');
    const staying = await seed(1, 'screening');

    const crash = async (change: StaffChange) => {
      const r = await runScriptToEnd('test/drills/support/staff-change.ts', [JSON.stringify(change)], env);
      expect(r.signal, `the ${change.action} step was killed (exit ${r.code}):\n${r.err}\n${r.out}`).to.equal('SIGKILL');
      expect(r.out).to.include('about to write the cases: cases.updateMany');
    };
    const MOVE_REASON = 'Moves to the third institute in the drill.';
    const DISABLE_REASON = 'Left the institute in the drill.';
    await crash({ action: 'move', admin: moving.admin.email, user: moving.hr.email, toInstituteOf: staying.hr.email, reason: MOVE_REASON });
    await crash({ action: 'disable', admin: moving.admin.email, user: leaving.hr.email, reason: DISABLE_REASON });

    const boot = async () => {
      await db?.close().catch(() => undefined);
      app = startApp(env);
      await waitReady(app);
      db = await connectToAppDatabase(app, dataDir);
    };
    await boot();
    const repaired = JSON.parse(await app!.waitForLog(REPAIRED, 60_000)) as { holders: number; cases: number };
    expect(repaired, 'the start-up run returned both officers’ open cases').to.include({ holders: 2, cases: 5 });

    const d = db!.db();
    const users = d.collection('users');
    const person = async (email: string) => (await users.findOne({ email }))!;
    const moved = await person(moving.hr.email);
    const disabled = await person(leaving.hr.email);
    const stayer = await person(staying.hr.email);
    expect(moved.role).to.equal('hr_officer');
    expect(String(moved.institute), 'the move was kept').to.equal(String(stayer.institute));
    expect(moved.sessionEpoch, 'their sessions ended').to.equal(1);
    expect(disabled.disabledAt, 'the disabling was kept').to.be.instanceOf(Date);
    expect(disabled.sessionEpoch).to.equal(1);

    const casesOf = (s: Seeded) => s.applicants.map((a) => new ObjectId(a.caseId));
    const cases = d.collection('cases');
    const expectReturned = async (s: Seeded, holder: Document, reason: string, stage: string) => {
      for (const c of await cases.find({ _id: { $in: casesOf(s) } }).toArray()) {
        expect(c.assignee, `${c.reference} back in the queue`).to.equal(undefined);
        expect(c.stage).to.equal(stage);
        const history = c.history as Array<Record<string, unknown>>;
        // The seed's history (create and the steps to the stage), then one entry by the system.
        const seeded = stage === 'submitted' ? 2 : 3;
        expect(history, `${c.reference} history`).to.have.length(seeded + 1);
        expect(history.slice(0, seeded).every((h) => h.action !== 'unassign')).to.equal(true);
        expect(history.at(-1)).to.deep.include({ action: 'unassign', actorRole: 'system', unassign: { reason, name: holder.name } });
        expect(c.version, 'the workflow version stays').to.equal(seeded - 1);
      }
    };
    await expectReturned(moving, moved, 'role_changed', 'screening');
    await expectReturned(leaving, disabled, 'account_disabled', 'submitted');
    const kept = (await cases.findOne({ _id: casesOf(staying)[0] }))!;
    expect(String(kept.assignee), 'an officer who may keep their case keeps it').to.equal(String(stayer._id));
    expect(kept.history).to.have.length(3);

    const audits = d.collection('auditevents');
    const returnedAudit = async (u: Document) => (await audits.find({ action: 'user.cases_returned_to_queue', targetId: String(u._id) }).toArray()).map((a) => a.summary as unknown);
    expect(await returnedAudit(moved)).to.deep.equal([{ reason: 'role_changed', casesToQueue: 3, keptInstitute: String(stayer.institute) }]);
    expect(await returnedAudit(disabled)).to.deep.equal([{ reason: 'account_disabled', casesToQueue: 2 }]);

    // Each change's own event, carried by the account's write, recorded after the restart.
    const recorded = JSON.parse(await app!.waitForLog(AUDITED, 60_000)) as { recorded: number };
    expect(recorded.recorded, 'both changes’ events').to.equal(2);
    const admin = (await users.findOne({ email: moving.admin.email }))!;
    const decisionAudits = async (u: Document, action: string) => audits.find({ action, targetId: String(u._id) }).toArray();
    const [roleChanged, ...moreRoleChanges] = await decisionAudits(moved, 'user.role_changed');
    expect(moreRoleChanges).to.have.length(0);
    expect(String(roleChanged!.actor)).to.equal(String(admin._id));
    expect(roleChanged!.summary).to.deep.include({ reason: MOVE_REASON, recordedByRepair: true, panelsToLeave: 0 });
    const oldInstitute = (await cases.findOne({ _id: casesOf(moving)[0] }))!.institute;
    expect(roleChanged!.summary.before).to.deep.include({ role: 'hr_officer', institute: String(oldInstitute) });
    expect(roleChanged!.summary.after).to.deep.include({ role: 'hr_officer', institute: String(stayer.institute) });
    const disabledAudits = await decisionAudits(disabled, 'user.disabled');
    expect(disabledAudits.map((a) => a.summary)).to.deep.equal([{ reason: DISABLE_REASON, recordedByRepair: true }]);
    expect(String(disabledAudits[0]!.actor)).to.equal(String(admin._id));
    for (const email of [moving.hr.email, leaving.hr.email]) expect((await person(email)).pendingAudit, `${email}: the event is cleared`).to.equal(undefined);

    // Each change's e-mail, carried by the account's write, sent once after the restart: its
    // Message-ID names the account and the template (server/accounts/mail.ts).
    const mailed = JSON.parse(await app!.waitForLog(MAILED, 60_000)) as { sent: number };
    expect(mailed.sent, 'both changes’ e-mails').to.equal(2);
    const decisionMails = () => ({
      moved: smtp!.to(moving.hr.email).filter((m) => m.messageId.includes(`.${String(moved._id)}.role_changed.`)).map((m) => m.messageId),
      disabled: smtp!.to(leaving.hr.email).filter((m) => m.messageId.includes(`.${String(disabled._id)}.account_disabled.`)).map((m) => m.messageId),
    });
    const sentOnce = decisionMails();
    expect(sentOnce.moved, 'the role change’s e-mail, once').to.have.length(1);
    expect(sentOnce.disabled, 'the disabling’s e-mail, once').to.have.length(1);
    for (const email of [moving.hr.email, leaving.hr.email]) expect((await person(email)).pendingMails, `${email}: the e-mail is cleared`).to.deep.equal([]);

    // A second start (the repair runs again at start) changes nothing.
    // Through the connection of the app running now (each start has its own).
    const snapshot = async () => ({
      cases: (await db!.db().collection('cases').find({ _id: { $in: [...casesOf(moving), ...casesOf(leaving), ...casesOf(staying)] } }).sort({ _id: 1 }).toArray()).map((c) => ({ assignee: c.assignee ? String(c.assignee) : undefined, history: c.history.length, version: c.version })),
      audits: await db!.db().collection('auditevents').countDocuments({ action: { $in: ['user.cases_returned_to_queue', 'user.role_changed', 'user.disabled'] } }),
    });
    const before = await snapshot();
    expect(await app!.stop()).to.equal(0);
    await boot();
    await app!.waitForLog(FIRST_RUN, 60_000);
    await app!.waitForLog(AUDITS_FIRST_RUN, 60_000);
    expect(app!.output()).not.to.match(REPAIRED);
    expect(app!.output()).not.to.match(AUDITED);
    expect(app!.output()).not.to.match(MAILED);
    expect(await snapshot()).to.deep.equal(before);
    expect(decisionMails(), 'nothing sent twice').to.deep.equal(sentOnce);
    expect(await app!.stop()).to.equal(0);
  });
});
