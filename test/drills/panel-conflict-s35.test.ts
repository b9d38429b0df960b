// Drill (s35 #3): a panel member's declared conflict of interest (server/evaluations declareConflict:
// the conflict row, then their scorecard withdrawn and the case's score recomputed, then the audit)
// sent twice at once from two tabs, and sent while the database is SIGKILLed between the conflict
// row and the withdrawal, then again once it is back. The app runs as `npm start` does against the
// embedded database run on its own (support/database-process.ts); the kill hook holds the app
// just before the scorecard's withdrawal (support/app-kill-hook.mjs 'stall'). A panel of three (the
// leader and two named members, the call asking 2 complete scorecards), all three scored:
//   1. member B declares while the database dies: a 503; B sends it again once the database is back;
//   2. member A declares from two tabs at once;
// afterwards: one conflict row each, A's and B's scorecards withdrawn, the score the leader's alone,
// the minimum the one member left can give (1), audited once each, and the leader's shortlist row
// says "1 of 1 panel members scored" (the conflicted members can no longer score it).
import { expect } from 'chai';
import { ObjectId } from 'mongodb';
import { WebClient, csrfIn, hiddenValue } from '../../scripts/support/web-client.ts';
import { drillEnv, runScript, startApp, until, waitReady, type AppProcess } from './support/app-process.ts';
import { useExternalDatabase } from './support/database-process.ts';
import { appKillEnv } from './support/kill-point.ts';
import type { Seeded } from './support/seed.ts';

/** The text of the shortlist row's "N of M panel members scored" for a case. */
const scoredCell = (html: string, caseId: string) => new RegExp(`<tr[^>]*data-case="${caseId}"[\\s\\S]*?class="[^"]*row-scored[^"]*"[^>]*>([^<]*)<`).exec(html)?.[1]?.trim();

describe('drill s35: a conflict of interest declared twice at once, and under a database restart', function () {
  this.timeout(240_000);
  let app: AppProcess | undefined;
  const database = useExternalDatabase('panel-conflict-s35', { beforeRemoval: async () => app?.kill9() });

  it('keeps one conflict row per member, withdraws each scorecard, and the minimum and the shortlist count agree', async () => {
    const env = drillEnv(database.dataDir, { MONGODB_URI: database.uri });
    const seeded = JSON.parse((await runScript('test/drills/support/seed.ts', [JSON.stringify({ applicants: 1, stage: 'evaluation', scored: true, panel: 2, minScorecards: 2 })], env)).trim().split('\n').at(-1)!) as Seeded;
    const caseId = seeded.applicants[0]!.caseId;
    app = startApp({ ...env, ...appKillEnv('evaluations.deleteOne:*', 'stall'), DRILL_STALL_MS: '3000' });
    await waitReady(app);
    const db = (await database.connect()).db();
    const [a, b] = seeded.panel;
    const signedIn = async (who: { email: string; totpSecret?: string }) => {
      const c = new WebClient(app!.url, 30_000);
      await c.signIn(who.email, seeded.password, who.totpSecret);
      return c;
    };
    const memberA = await signedIn(a!);
    const memberB = await signedIn(b!);
    const leader = await signedIn(seeded.leader);
    const caseUrl = `/shortlists/${seeded.callId}/cases/${caseId}`;
    const users = db.collection('users');
    const idOf = async (email: string) => (await users.findOne({ email }))!._id;
    const [idA, idB, idLeader] = [await idOf(a!.email), await idOf(b!.email), await idOf(seeded.leader.email)];
    const scoreBefore = (await db.collection('cases').findOne({ _id: new ObjectId(caseId) }))!.score;
    expect(scoredCell((await leader.get(`/shortlists/${seeded.callId}`)).text, caseId), 'before: all three scored').to.equal('3 of 3 panel members scored');

    // 1. B declares; the database SIGKILLed between the conflict row and the scorecard's withdrawal.
    const pageB = await memberB.get(caseUrl);
    expect(pageB.status).to.equal(200);
    const declare = (client: WebClient, html: string, reason: string) => client.postForm(`${caseUrl}/conflict`, csrfIn(html), { conflictReason: reason });
    const answer = declare(memberB, pageB.text, 'A co-author of mine on two papers in 2025.');
    await until('the app holding the withdrawal', 30_000, () => /stalled at write: evaluations\.deleteOne/.test(app!.output()));
    await database.kill9();
    const refused = await answer;
    expect(refused.status, refused.text.slice(0, 300)).to.equal(503);
    await database.restart();
    await until('the database answering the app again', 60_000, async () => (await memberB.get(caseUrl)).status === 200);
    const againB = await memberB.get(caseUrl);
    const sentAgain = await declare(memberB, againB.text, 'A co-author of mine on two papers in 2025.');
    expect(sentAgain.status, sentAgain.text.slice(0, 300)).to.equal(303);

    // 2. A declares from two tabs at once.
    const pageA = await memberA.get(caseUrl);
    const both = await Promise.all([declare(memberA, pageA.text, 'My former doctoral student, 2019–2023.'), declare(memberA, pageA.text, 'My former doctoral student, 2019–2023.')]);
    expect(both.map((r) => r.status), 'both tabs answered').to.deep.equal([303, 303]);

    // Afterwards.
    const conflicts = await db.collection('panelconflicts').find({ case: new ObjectId(caseId) }).toArray();
    expect(conflicts.map((c) => String(c.member)).sort(), 'one conflict row per member').to.deep.equal([String(idA), String(idB)].sort());
    const sheets = await db.collection('evaluations').find({ case: new ObjectId(caseId) }).toArray();
    expect(sheets.map((s) => String(s.member)), 'only the leader’s scorecard left').to.deep.equal([String(idLeader)]);
    const after = (await db.collection('cases').findOne({ _id: new ObjectId(caseId) }))!;
    expect(after.score, 'the score recomputed from the leader’s scorecard alone').to.not.equal(scoreBefore);
    const audits = await db.collection('auditevents').find({ action: 'evaluation.conflict', targetId: caseId }).toArray();
    expect(audits.map((e) => String(e.actor)).sort(), 'audited once each').to.deep.equal([String(idA), String(idB)].sort());
    expect(scoredCell((await leader.get(`/shortlists/${seeded.callId}`)).text, caseId), 'the leader’s shortlist count').to.equal('1 of 1 panel members scored');
    // The minimum the one member left can give: the leader shortlists the case on their own scorecard.
    const lp = await leader.get(caseUrl);
    const decided = await leader.postForm(`${caseUrl}/decision/confirm`, csrfIn(lp.text), { version: hiddenValue(lp.text, 'version')!, action: 'shortlist', reason: 'Strong publication record and a clear plan.' });
    expect(decided.status, decided.text.slice(0, 500)).to.equal(303);
    expect((await db.collection('cases').findOne({ _id: new ObjectId(caseId) }))!.stage).to.equal('shortlisted');
    expect(app.output()).not.to.match(/"msg":"unhandled error"/);
    expect(app.child.exitCode, 'the app stayed up').to.equal(null);
  });
});
