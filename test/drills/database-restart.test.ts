// Drill: the database SIGKILLed under the running app, then restarted on the same data.
//
// The app runs as `npm start` does (a child process), against the embedded database run on its own
// (`npm run db`, another child process, on disk, with authentication) through MONGODB_URI, as a
// deployment with a separate database runs it. An HR officer is signed in and on a case page. Then:
//   - the database is SIGKILLed: pages and forms answer 503 with the page saying the database is not
//     answering (no 500, no hang past the driver's server selection timeout), /healthz stays 200,
//     /readyz answers 503, and the app process stays up;
//   - the database restarts on the same directory and port: the same browser session works again
//     without signing in, the note HR sends again is stored once, and the one sent during the
//     outage was never stored.
import { expect } from 'chai';
import { ObjectId } from 'mongodb';
import { WebClient, csrfIn } from '../../scripts/support/web-client.ts';
import { drillEnv, runScript, startApp, until, waitReady, type AppProcess } from './support/app-process.ts';
import { useExternalDatabase } from './support/database-process.ts';
import type { Seeded } from './support/seed.ts';

describe('drill: the database SIGKILLed under the app, then restarted', function () {
  this.timeout(240_000);
  let app: AppProcess | undefined;
  const database = useExternalDatabase('db', { beforeRemoval: async () => app?.kill9() });

  it('answers 503 while the database is down, and carries on with the same session once it is back', async () => {
    const env = drillEnv(database.dataDir, { MONGODB_URI: database.uri });
    const seeded = JSON.parse((await runScript('test/drills/support/seed.ts', [JSON.stringify({ applicants: 1, stage: 'screening' })], env)).trim().split('\n').at(-1)!) as Seeded;
    const caseId = seeded.applicants[0]!.caseId;
    app = startApp(env);
    await waitReady(app);
    const hr = new WebClient(app.url, 30_000);
    await hr.signIn(seeded.hr.email, seeded.password, seeded.hr.totpSecret);
    const casePage = await hr.get(`/cases/${caseId}`);
    expect(casePage.status).to.equal(200);
    const csrf = csrfIn(casePage.text);

    // Down.
    await database.kill9();
    const started = Date.now();
    const queue = await hr.get('/cases');
    const waited = Date.now() - started;
    expect(queue.status, app.output().split('\n').filter((l) => l.includes('"level":50')).join('\n').slice(-3000)).to.equal(503);
    // In the visitor's language: the account's cannot be read, so the default (Vietnamese) here.
    expect(queue.text).to.include('Cơ sở dữ liệu hiện không phản hồi');
    expect(queue.text).to.match(/<html lang="vi"[ >]/);
    expect(waited, 'answered within the driver’s server selection timeout (10 s) and some slack').to.be.below(20_000);
    const note = await hr.postForm(`/cases/${caseId}/notes`, csrf, { note: 'Written during the outage' });
    expect(note.status).to.equal(503);
    expect((await fetch(`${app.url}/healthz`)).status).to.equal(200);
    expect((await fetch(`${app.url}/readyz`, { signal: AbortSignal.timeout(20_000) })).status).to.equal(503);
    expect(app.child.exitCode, 'the app stays up').to.equal(null);

    // Back, same directory and port.
    await database.restart();
    await until('the queue served again', 60_000, async () => (await hr.get('/cases')).status === 200);
    const again = await hr.get(`/cases/${caseId}`);
    expect(again.status).to.equal(200);
    const sent = await hr.postForm(`/cases/${caseId}/notes`, csrfIn(again.text), { note: 'Written once it was back' });
    expect(sent.status, sent.text.slice(0, 500)).to.equal(303);

    const stored = await (await database.connect()).db().collection('cases').findOne({ _id: new ObjectId(caseId) });
    const notes = (stored?.notes ?? []) as Array<{ text?: string }>;
    expect(notes.map((n) => n.text)).to.deep.equal(['Written once it was back']);
    expect(app.output()).not.to.match(/"msg":"unhandled error"/);
    expect(app.child.exitCode).to.equal(null);
  });
});
