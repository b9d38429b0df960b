// Drill (s35 #4): the database SIGKILLed while the memory budget's reclaimer collects under a load
// of garbage (server/main.ts startReclaimer with MEMORY_BUDGET_MB=256, the smallest budget allowed:
// every collection is a budget one). The app runs as `npm start` does (node --expose-gc) against the
// embedded database run on its own (support/database-process.ts), serving its pages itself
// (WEB_WORKERS=0: the reclaimer that logs is the one under load). Readers load the case list and the
// steering report's CSV in a loop; once the reclaimer has collected for the budget:
//   - HR holds a case; the app is held just before the case's update (support/app-kill-hook.mjs
//     'stall') and the database SIGKILLed meanwhile: a 503, nothing of the hold written;
//   - the database restarted: the app answers again (/readyz), the hold sent again is stored once;
//   - the load goes on: the reclaimer collects for the budget again, and the app's RSS after the
//     restart stays within what it was before (the outage left nothing growing: buffered commands,
//     retried reads), measured from /proc.
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { ObjectId } from 'mongodb';
import { WebClient, csrfIn, hiddenValue } from '../../scripts/support/web-client.ts';
import { holdReviewDay } from '../support/hold.ts';
import { drillEnv, runScript, startApp, until, waitReady, type AppProcess } from './support/app-process.ts';
import { useExternalDatabase } from './support/database-process.ts';
import { appKillEnv } from './support/kill-point.ts';
import { sleep, useDrillSmtp } from './support/crash-drill.ts';
import type { Seeded } from './support/seed.ts';

const BUDGET_LINE = /"msg":"memory reclaimed: the process was over its memory budget"/g;
const budgetLines = (out: string) => out.match(BUDGET_LINE)?.length ?? 0;
const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

describe('drill s35: the database SIGKILLed while the memory budget’s reclaimer collects', function () {
  this.timeout(300_000);
  let app: AppProcess | undefined;
  const database = useExternalDatabase('memory-budget-s35', { beforeRemoval: async () => app?.kill9() });
  const smtp = useDrillSmtp();

  it('reconnects, writes nothing half, and the reclaimer logs and keeps the bound after the restart', async () => {
    const env = drillEnv(database.dataDir, { MONGODB_URI: database.uri, SMTP_URL: smtp().url, DISPATCH_INTERVAL_MS: '200', MEMORY_BUDGET_MB: '256', LOG_LEVEL: 'debug', WEB_WORKERS: '0' });
    const seeded = JSON.parse((await runScript('test/drills/support/seed.ts', [JSON.stringify({ applicants: 40, stage: 'screening' })], env)).trim().split('\n').at(-1)!) as Seeded;
    const caseId = seeded.applicants[0]!.caseId;
    app = startApp({ ...env, ...appKillEnv('cases.findOneAndUpdate:stage=on_hold', 'stall'), DRILL_STALL_MS: '3000' });
    await waitReady(app);
    const pid = app.child.pid!;
    const db = (await database.connect()).db();
    const hr = new WebClient(app.url, 30_000);
    await hr.signIn(seeded.hr.email, seeded.password, seeded.hr.totpSecret);
    const admin = new WebClient(app.url, 30_000);
    await admin.signIn(seeded.admin.email, seeded.password, seeded.admin.totpSecret);

    // The readers' load, answered or not (the database goes away under it), and the RSS sampled.
    let loading = true;
    let answered = 0;
    const peaks = { before: 0, after: 0 };
    let phase: 'before' | 'after' = 'before';
    const reader = async (get: () => Promise<{ status: number }>) => {
      while (loading) {
        const r = await get().catch(() => ({ status: 0 }));
        if (r.status === 200) answered += 1;
        else await sleep(100);
      }
    };
    const sampler = (async () => {
      while (loading) {
        peaks[phase] = Math.max(peaks[phase], rssMb(pid));
        await sleep(100);
      }
    })();
    const readers = [reader(() => hr.get('/cases')), reader(() => hr.get('/cases?q=applicant')), reader(() => admin.get('/reports/steering.csv')), reader(() => admin.get('/reports/steering'))];
    try {
      await until('the reclaimer collecting for the budget', 120_000, () => budgetLines(app!.output()) >= 1);

      // The hold, its write meeting the database gone.
      const page = await hr.get(`/cases/${caseId}`);
      const before = (await db.collection('cases').findOne({ _id: new ObjectId(caseId) }))!;
      const holdForm = { version: hiddenValue(page.text, 'version')!, reason: 'Waiting for the budget decision.', reviewBy: holdReviewDay() };
      const answer = hr.postForm(`/cases/${caseId}/actions/put_on_hold/confirm`, csrfIn(page.text), holdForm);
      await until('the app holding the case update', 30_000, () => /stalled at write: /.test(app!.output()));
      await database.kill9();
      const refused = await answer;
      expect(refused.status, refused.text.slice(0, 300)).to.equal(503);
      await sleep(2000); // the readers meet the outage too
      await database.restart();
      const restartedAt = app.output().length;
      phase = 'after';
      await until('the app ready again', 60_000, async () => (await fetch(`${app!.url}/readyz`).catch(() => undefined))?.status === 200);
      const untouched = (await db.collection('cases').findOne({ _id: new ObjectId(caseId) }))!;
      expect([untouched.stage, untouched.version, untouched.outbox ?? []], 'nothing of the hold written').to.deep.equal([before.stage, before.version, []]);
      const again = await hr.get(`/cases/${caseId}`);
      const held = await hr.postForm(`/cases/${caseId}/actions/put_on_hold/confirm`, csrfIn(again.text), { ...holdForm, version: hiddenValue(again.text, 'version')! });
      expect(held.status, held.text.slice(0, 300)).to.equal(303);
      const after = (await db.collection('cases').findOne({ _id: new ObjectId(caseId) }))!;
      expect([after.stage, after.version, (after.history as Array<{ action: string }>).filter((h) => h.action === 'put_on_hold').length], 'held once').to.deep.equal(['on_hold', before.version + 1, 1]);
      const answeredAtRestart = answered;
      await until('the reclaimer collecting for the budget after the restart', 120_000, () => budgetLines(app!.output().slice(restartedAt)) >= 1 && answered > answeredAtRestart + 50);
      await sleep(3000);
    } finally {
      loading = false;
      await Promise.all([...readers, sampler]);
    }
    process.stdout.write(`      drill figures: peak RSS ${peaks.before.toFixed(0)} MB before the kill, ${peaks.after.toFixed(0)} MB after the restart (budget 256 MB); ${budgetLines(app.output())} budget collections; ${answered} pages answered\n`);
    expect(app.child.exitCode, 'the app stayed up').to.equal(null);
    expect(app.output()).not.to.match(/"msg":"unhandled error"/);
    expect(peaks.after, 'the bound kept after the restart').to.be.below(peaks.before * 1.2 + 32);
  });

  // With web processes (as WEB_WORKERS=auto gives on two cores with a separate database), the pages'
  // garbage is in the web processes: their reclaimer must say when it collects too.
  it('with web processes: each one’s reclaimer logs its budget collections, before and after a database restart', async () => {
    const env = drillEnv(database.dataDir, { MONGODB_URI: database.uri, SMTP_URL: smtp().url, MEMORY_BUDGET_MB: '256', LOG_LEVEL: 'debug', WEB_WORKERS: '2' });
    await app?.kill9();
    app = startApp(env);
    await waitReady(app);
    const seeded = JSON.parse((await runScript('test/drills/support/seed.ts', [JSON.stringify({ applicants: 40, stage: 'screening' })], env)).trim().split('\n').at(-1)!) as Seeded;
    const hr = new WebClient(app.url, 30_000);
    await hr.signIn(seeded.hr.email, seeded.password, seeded.hr.totpSecret);
    let loading = true;
    const reader = async (path: string) => {
      while (loading) {
        const r = await hr.get(path).catch(() => ({ status: 0 }));
        if (r.status !== 200) await sleep(100);
      }
    };
    const fromWeb = (out: string) => out.split('\n').filter((l) => l.includes('"msg":"memory reclaimed: the process was over its memory budget"') && /"web":\d+/.test(l)).length;
    const readers = [reader('/cases'), reader('/cases?q=applicant'), reader('/cases?sort=due'), reader('/cases')];
    try {
      await until('a web process collecting for the budget', 120_000, () => fromWeb(app!.output()) >= 1);
      await database.kill9();
      await sleep(2000);
      await database.restart();
      const restartedAt = app.output().length;
      await until('the app ready again', 60_000, async () => (await fetch(`${app!.url}/readyz`).catch(() => undefined))?.status === 200);
      await until('a web process collecting for the budget after the restart', 120_000, () => fromWeb(app!.output().slice(restartedAt)) >= 1);
    } finally {
      loading = false;
      await Promise.all(readers);
    }
    expect(app.output()).not.to.match(/"msg":"unhandled error"/);
  });
});
