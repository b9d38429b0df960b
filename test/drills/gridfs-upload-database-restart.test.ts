// Drill: the database SIGKILLed while an applicant's GridFS upload is being received (its chunks
// staged as the bytes arrive, server/documents/storage.ts StagedUpload), then restarted on the same
// data. The upload must fail with the page saying the database is not answering (503, not a 500 or
// a hang), leave no document version and no file anyone can read, and its staged chunks must not
// stay in the database for good; the same upload sent once the database is back is stored whole.
import { expect } from 'chai';
import http from 'node:http';
import { ObjectId, type MongoClient } from 'mongodb';
import { WebClient, csrfIn } from '../../scripts/support/web-client.ts';
import { drillEnv, runScript, startApp, until, waitReady, type AppProcess } from './support/app-process.ts';
import { useExternalDatabase } from './support/database-process.ts';
import type { Seeded } from './support/seed.ts';
import { makePdf } from '../documents/support.ts';

describe('drill: the database SIGKILLed during a GridFS upload, then restarted', function () {
  this.timeout(240_000);
  let app: AppProcess | undefined;
  const database = useExternalDatabase('gridfs-db', { beforeRemoval: async () => app?.kill9() });

  /** A multipart upload of `file` as the case's CV that sends `first` bytes, then the rest once `rest` resolves; the answer's status and text. */
  function upload(client: WebClient, caseId: string, csrf: string, file: Buffer, first: number, rest: Promise<unknown>): Promise<{ status: number; text: string }> {
    const boundary = `----drill${Date.now()}`;
    const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${csrf}\r\n--${boundary}\r\nContent-Disposition: form-data; name="cv"; filename="cv.pdf"\r\nContent-Type: application/pdf\r\n\r\n`);
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const url = new URL(`${app!.url}/cases/${caseId}/documents`);
    return new Promise((resolve, reject) => {
      const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { cookie: client.cookieHeader(), 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(head.length + file.length + tail.length), accept: 'text/html' } });
      req.on('error', reject);
      req.on('response', (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.write(head);
      req.write(file.subarray(0, first));
      void rest.then(() => req.end(Buffer.concat([file.subarray(first), tail])));
    });
  }

  it('answers 503, keeps no version or readable file, leaves no staged chunk for good, and takes the upload once the database is back', async () => {
    const env = drillEnv(database.dataDir, { MONGODB_URI: database.uri, UPLOAD_STORAGE: 'gridfs', UPLOAD_RATE_PER_HOUR: '1000' });
    const seeded = JSON.parse((await runScript('test/drills/support/seed.ts', [JSON.stringify({ applicants: 1, stage: 'screening', checklist: [{ type: 'cv', phase: 'application', required: true }] })], env)).trim().split('\n').at(-1)!) as Seeded;
    const { caseId } = seeded.applicants[0]!;
    app = startApp(env);
    await waitReady(app);
    const applicant = new WebClient(app.url, 60_000);
    await applicant.signIn(seeded.applicants[0]!.email, seeded.password, seeded.applicants[0]!.totpSecret);
    const pageBefore = await applicant.get(`/applications/${caseId}`);
    expect(pageBefore.status).to.equal(200);
    let direct: MongoClient | undefined = await database.connect();
    const chunks = () => direct!.db().collection('documents.chunks').countDocuments({});
    const pdf = await makePdf('Drill CV', { padTo: 4_000_000 });

    // Three quarters of the file sent: its chunks are staged (the first two 1 MB chunks at least, one insert). Then the database goes, and the rest of the file is sent.
    let sendRest!: () => void;
    const rest = new Promise<void>((resolve) => (sendRest = resolve));
    const answer = upload(applicant, caseId, csrfIn(pageBefore.text), pdf, 3_000_000, rest);
    await until('chunks staged', 30_000, async () => (await chunks()) >= 2);
    await direct.close();
    direct = undefined;
    await database.kill9();
    const started = Date.now();
    sendRest();
    const res = await answer;
    const waited = Date.now() - started;
    expect(res.status, `${res.text.slice(0, 300)}\n${app.output().split('\n').filter((l) => l.includes('"level":50')).join('\n').slice(-3000)}`).to.equal(503);
    expect(res.text).to.match(/Cơ sở dữ liệu hiện không phản hồi|database is not answering/i);
    expect(waited, 'answered within the driver’s timeouts and some slack').to.be.below(45_000);
    expect(app.child.exitCode, 'the app stays up').to.equal(null);

    // Back, same directory and port.
    await database.restart();
    await until('the application page served again', 60_000, async () => (await applicant.get(`/applications/${caseId}`)).status === 200);
    direct = await database.connect();
    const db = direct.db();
    expect(await db.collection('documents').countDocuments({ case: new ObjectId(caseId) }), 'no document version').to.equal(0);
    expect(await db.collection('documents.files').countDocuments({}), 'no readable file').to.equal(0);
    await until('the staged chunks removed', 60_000, async () => (await chunks()) === 0).catch(() => undefined);
    expect(await chunks(), 'staged chunks left in the database').to.equal(0);

    // The same upload, sent again: stored whole.
    const pageAgain = await applicant.get(`/applications/${caseId}`);
    const again = await upload(applicant, caseId, csrfIn(pageAgain.text), pdf, pdf.length, Promise.resolve());
    expect(again.status, again.text.slice(0, 300)).to.equal(303);
    const stored = await db.collection('documents').find({ case: new ObjectId(caseId) }).toArray();
    expect(stored.map((d) => [d.type, d.version, d.size])).to.deep.equal([['cv', 1, pdf.length]]);
    expect(await db.collection('documents.files').countDocuments({})).to.equal(1);
    expect(app.output()).not.to.match(/"msg":"unhandled error"/);
  });
});
