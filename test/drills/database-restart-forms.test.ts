// Drill: the database SIGKILLed while an officer saves the planned-start move and while a leader
// decides from the shortlist, then restarted on the same data. The app runs as `npm start` does
// against the embedded database run on its own (support/database-process.ts, as
// database-restart.test.ts); the kill hook (support/app-kill-hook.mjs, 'stall') holds the app just
// before each form's case update is sent, the database is SIGKILLed meanwhile, and the update meets
// it gone. Each person then gets a 503 page saying the database is not answering with what they
// typed shown back (server/http/error-handler.ts keptTexts), nothing of the change is stored, and
// once the database is back the same session sends the form again: stored once, e-mailed once.
import { expect } from 'chai';
import { ObjectId } from 'mongodb';
import { WebClient, csrfIn, hiddenValue } from '../../scripts/support/web-client.ts';
import { vnDateKey } from '../../server/calendar/index.ts';
import { holdReviewDay } from '../support/hold.ts';
import { drillEnv, runScript, startApp, until, waitReady, type AppProcess } from './support/app-process.ts';
import { useExternalDatabase } from './support/database-process.ts';
import { appKillEnv } from './support/kill-point.ts';
import { sleep, useDrillSmtp } from './support/crash-drill.ts';
import type { Seeded } from './support/seed.ts';

const DAY = 86_400_000;
const dayFrom = (days: number) => vnDateKey(new Date(Date.now() + days * DAY));
/** The texts a page shows back to copy (data-kept), by field. */
const keptOn = (html: string) => Object.fromEntries([...html.matchAll(/<textarea[^>]*data-kept="([^"]+)"[^>]*>([^<]*)<\/textarea>/g)].map((m) => [m[1]!, m[2]!]));

describe('drill: the database SIGKILLed under an officer’s planned-start save and a leader’s decision', function () {
  this.timeout(240_000);
  let app: AppProcess | undefined;
  const database = useExternalDatabase('db-forms', { beforeRemoval: async () => app?.kill9() });
  const smtp = useDrillSmtp();

  it('answers each with a 503 page keeping what was typed, stores nothing half-written, and takes the form again once the database is back', async () => {
    const env = drillEnv(database.dataDir, { MONGODB_URI: database.uri, SMTP_URL: smtp().url, DISPATCH_INTERVAL_MS: '200' });
    const seed = async (spec: object) => JSON.parse((await runScript('test/drills/support/seed.ts', [JSON.stringify(spec)], env)).trim().split('\n').at(-1)!) as Seeded;
    const start0 = dayFrom(90);
    const moving = await seed({ applicants: 1, stage: 'onboarding', plannedStart: start0, tracks: [{ kind: 'work_permit', status: 'preparing', dueAt: new Date(`${dayFrom(60)}T16:59:59.999Z`).toISOString() }] });
    const panel = await seed({ applicants: 1, stage: 'shortlisted', scored: true });
    const caseId = moving.applicants[0]!.caseId;
    const panelCase = panel.applicants[0]!.caseId;
    app = startApp({ ...env, ...appKillEnv('cases.findOneAndUpdate:profile.plannedArrival | cases.findOneAndUpdate:stage=on_hold', 'stall'), DRILL_STALL_MS: '3000' });
    await waitReady(app);
    const db = (await database.connect()).db();
    const theCase = async (id: string) => (await db.collection('cases').findOne({ _id: new ObjectId(id) }))!;
    const hr = new WebClient(app.url, 30_000);
    await hr.signIn(moving.hr.email, moving.password, moving.hr.totpSecret);
    const leader = new WebClient(app.url, 30_000);
    await leader.signIn(panel.leader.email, panel.password, panel.leader.totpSecret);
    const moveForm = { plannedStart: dayFrom(120), plannedStartReason: 'The expert wrote on 3 December: starts a month later.', plannedStartTold: 'Your procedures follow the new day.', plannedStartTargets: 'move' };
    // With the words the candidate is told, as the confirmation page sends them (walk s34).
    const holdForm = { action: 'put_on_hold', reason: 'Waiting for the ministry’s budget line.', reviewBy: holdReviewDay(), toldReason: 'The institute needs a few more weeks before deciding.', previewedToldReason: 'The institute needs a few more weeks before deciding.' };
    const t0 = Date.now();
    const phases: string[] = [];
    const phaseDone = (name: string) => phases.push(`${name} ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    /** Sends the form; when the app holds its case update, the database is SIGKILLed; the answer, then the database restarted. */
    const underKill = async (send: () => Promise<{ status: number; text: string }>, stalls: number) => {
      const answer = send();
      await until('the app holding the case update', 30_000, () => (app!.output().match(/stalled at write: /g) ?? []).length >= stalls);
      await database.kill9();
      const page = await answer;
      await database.restart();
      await until('the database answering the app again', 60_000, async () => (await hr.get('/cases')).status === 200);
      return page;
    };

    // The officer's move of the planned start.
    const casePage = await hr.get(`/cases/${caseId}`);
    const before = await theCase(caseId);
    const refusedMove = await underKill(() => hr.postForm(`/cases/${caseId}/planned-start`, csrfIn(casePage.text), { version: hiddenValue(casePage.text, 'version')!, ...moveForm }), 1);
    expect(refusedMove.status, refusedMove.text.slice(0, 500)).to.equal(503);
    expect(refusedMove.text).to.include('The database is not answering right now.');
    expect(keptOn(refusedMove.text), 'what the officer typed, to copy').to.deep.include({ plannedStartReason: moveForm.plannedStartReason, plannedStartTold: moveForm.plannedStartTold });
    const untouched = await theCase(caseId);
    expect([untouched.version, vnDateKey(untouched.profile.plannedArrival), untouched.supportTracks[0].dueAt.getTime(), untouched.outbox ?? []], 'nothing written').to.deep.equal([before.version, start0, before.supportTracks[0].dueAt.getTime(), []]);
    // Sent again from the page once the database is back: stored once, the applicant e-mailed once.
    const again = await hr.get(`/cases/${caseId}`);
    const saved = await hr.postForm(`/cases/${caseId}/planned-start`, csrfIn(again.text), { version: hiddenValue(again.text, 'version')!, ...moveForm });
    expect(saved.status, saved.text.slice(0, 500)).to.equal(303);
    const moved = await theCase(caseId);
    expect([moved.version, vnDateKey(moved.profile.plannedArrival)]).to.deep.equal([before.version + 1, moveForm.plannedStart]);
    expect(moved.supportTracks[0].dueAt.getTime(), 'the typed target moved with it').not.to.equal(before.supportTracks[0].dueAt.getTime());
    await smtp().waitForTo(moving.applicants[0]!.email, undefined, 30_000);
    phaseDone('planned start');

    // The leader's hold from the shortlist.
    const shortlistPage = await leader.get(`/shortlists/${panel.callId}/cases/${panelCase}`);
    expect(shortlistPage.status).to.equal(200);
    const panelBefore = await theCase(panelCase);
    const refusedHold = await underKill(() => leader.postForm(`/shortlists/${panel.callId}/cases/${panelCase}/decision/confirm`, csrfIn(shortlistPage.text), { version: hiddenValue(shortlistPage.text, 'version')!, ...holdForm }), 2);
    expect(refusedHold.status, refusedHold.text.slice(0, 500)).to.equal(503);
    expect(keptOn(refusedHold.text), 'the leader’s reason, to copy').to.deep.include({ reason: holdForm.reason });
    const notHeld = await theCase(panelCase);
    expect([notHeld.stage, notHeld.version, notHeld.outbox ?? []], 'nothing written').to.deep.equal(['shortlisted', panelBefore.version, []]);
    expect(await db.collection('auditevents').countDocuments({ targetId: panelCase, action: 'case.decision', 'summary.decision': 'put_on_hold' })).to.equal(0);
    const page2 = await leader.get(`/shortlists/${panel.callId}/cases/${panelCase}`);
    const decided = await leader.postForm(`/shortlists/${panel.callId}/cases/${panelCase}/decision/confirm`, csrfIn(page2.text), { version: hiddenValue(page2.text, 'version')!, ...holdForm });
    expect(decided.status, decided.text.slice(0, 500)).to.equal(303);
    expect((await theCase(panelCase)).stage).to.equal('on_hold');
    await smtp().waitForTo(panel.applicants[0]!.email, undefined, 30_000);
    await sleep(1000); // a duplicate, if any, would arrive now
    expect(smtp().to(moving.applicants[0]!.email), 'one e-mail for the move').to.have.length(1);
    expect(smtp().to(panel.applicants[0]!.email), 'one e-mail for the hold').to.have.length(1);
    expect(app.output()).not.to.match(/"msg":"unhandled error"/);
    expect(app.child.exitCode, 'the app stayed up').to.equal(null);
    phaseDone('leader’s hold');
    process.stdout.write(`      drill figures (two database kills): ${phases.join('; ')}\n`);
  });
});
