// Drill: the process SIGKILLed between a document write and its recount of the case's "documents to
// check" flag (models/document.ts). No journal write marks the case on the write path; instead the
// app, shortly after each start, recounts the cases whose documents were written since the last full
// repair began (server/documents/to-check.ts recountChangedSinceRepair, read from the documents'
// indexed updatedAt). Here, on a data folder of the drill's own (embedded database on disk): the app
// starts once (its backfill, the first full repair, leaves its mark) and stops; a child process
// uploads a CV and is killed inside the recount (test/drills/support/document-write.ts); the app
// starts again, and the case, unflagged while a document waits, is flagged within seconds of the
// start, not at the 6-hourly repair. Then the same for HR's acceptance of that CV: the flag falls.
import { expect } from 'chai';
import { ObjectId } from 'mongodb';
import { runScriptToEnd } from './support/app-process.ts';
import { useDrill } from './support/drill.ts';
import type { DocumentWrite } from './support/document-write.ts';

const RECOUNTED = /\{[^\n]*"msg":"documents to check: cases with documents written since the last full repair recounted"\}/;

describe('drill: SIGKILL between a document write and its recount of the case’s flag', function () {
  this.timeout(300_000);
  const drill = useDrill('to-check');

  it('puts the flag right at the next start, both ways', async () => {
    const env = drill.env({ DISPATCH_INTERVAL_MS: '60000' });
    const seeded = await drill.seed(env, { applicants: 1, stage: 'screening', checklist: [{ type: 'cv', phase: 'application', required: true }] });
    const caseId = seeded.applicants[0]!.caseId;
    const boot = () => drill.boot(env);
    const app = () => drill.app();
    // Unset reads as false (a case the backfill found nothing to check for).
    const flag = async () => (await drill.db().collection('cases').findOne({ _id: new ObjectId(caseId) }))!.documentsToCheck === true;
    const killedIn = async (kind: DocumentWrite['kind']) => {
      const r = await runScriptToEnd('test/drills/support/document-write.ts', [JSON.stringify({ kind, caseId } satisfies DocumentWrite)], env);
      expect(r.signal, `the ${kind} was killed (exit ${r.code}):\n${r.err}\n${r.out}`).to.equal('SIGKILL');
      expect(r.out).to.include(`killed in the recount after the ${kind}`);
    };

    // The first start: the backfill (the first full repair) leaves its mark, then the start-time recount runs.
    await boot();
    await app().waitForLog(RECOUNTED, 30_000);
    expect(await flag(), 'no document yet').to.equal(false);
    expect(await app().stop()).to.equal(0);

    const figures: string[] = [];
    for (const [kind, want] of [['upload', true], ['accept', false]] as const) {
      await killedIn(kind);
      const t0 = Date.now();
      await boot();
      // Read at once: the start-time recount waits for the backfills' delay (server/main.ts).
      expect(await flag(), `after the ${kind}, the killed recount left the flag as it was`).to.equal(!want);
      const line = JSON.parse(await app().waitForLog(RECOUNTED, 30_000)) as { cases: number };
      expect(await flag(), `after the ${kind}, the flag is right once the app is back`).to.equal(want);
      const docs = await drill.db().collection('documents').find({ case: new ObjectId(caseId) }).toArray();
      expect(docs.map((d) => [d.current, d.status]), 'the write stood').to.deep.equal([[true, want ? 'pending' : 'accepted']]);
      figures.push(`${kind}: flag ${String(want)} ${Date.now() - t0} ms after the restart began, ${line.cases} case(s) recounted`);
      expect(await app().stop()).to.equal(0);
    }
    process.stdout.write(`      drill figures: ${figures.join('; ')}\n`);
  });
});
