// Drill: the app as `npm start` runs it, GridFS storage, two web processes. One web process is
// SIGKILLed while it receives an upload whose chunks are already in documents.chunks (staged as the
// bytes arrive, server/documents/storage.ts). Without a restart, once the (shortened) grace has
// passed, the primary's sweep (server/documents/orphan-chunks.ts) removes that upload's chunks and
// logs it; the upload that was being received by the other web process at the kill, one begun after
// the kill and still arriving when the sweep runs, and a file stored before, keep every chunk and
// read whole.
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import http from 'node:http';
import { GridFSBucket, ObjectId, type Db } from 'mongodb';
import { processTree } from '../../scripts/support/process-tree.ts';
import { WebClient, csrfIn } from '../../scripts/support/web-client.ts';
import { until } from './support/app-process.ts';
import { useDrill } from './support/drill.ts';
import { makePdf } from '../documents/support.ts';

const GRACE_MS = 6_000;

interface Sending {
  /** Resolves with the answer; rejects when the connection breaks. */
  answer: Promise<{ status: number; text: string }>;
  /** Sends the rest of the file. */
  finish(): void;
}

/** A multipart upload of `file` as the case's CV on a connection of its own, `first` bytes of it sent until finish(). */
function upload(base: string, client: WebClient, caseId: string, csrf: string, file: Buffer, first: number): Sending {
  const boundary = `----drill${Date.now()}${Math.random().toString(16).slice(2)}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${csrf}\r\n--${boundary}\r\nContent-Disposition: form-data; name="cv"; filename="cv.pdf"\r\nContent-Type: application/pdf\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const url = new URL(`${base}/cases/${caseId}/documents`);
  // agent: false: a new connection, which node:cluster hands to the next web process in turn.
  const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent: false, headers: { cookie: client.cookieHeader(), 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(head.length + file.length + tail.length), accept: 'text/html' } });
  const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
    req.on('error', reject);
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
  });
  answer.catch(() => undefined); // awaited by the test; a break is expected for one of them
  req.write(head);
  req.write(file.subarray(0, first));
  return { answer, finish: () => void req.end(Buffer.concat([file.subarray(first), tail])) };
}

/** Chunks by files id. */
async function chunkCounts(db: Db): Promise<Map<string, number>> {
  const rows = await db.collection('documents.chunks').aggregate<{ _id: ObjectId; n: number }>([{ $group: { _id: '$files_id', n: { $sum: 1 } } }]).toArray();
  return new Map(rows.map((r) => [String(r._id), r.n]));
}

describe('drill: a web process SIGKILLed mid-upload (GridFS): its chunks removed after the grace, without a restart', function () {
  this.timeout(240_000);
  const drill = useDrill('orphan-chunks');

  it('removes the dead upload’s chunks once the grace has passed and logs them; the other uploads and a stored file keep every chunk', async () => {
    const env = drill.env({ WEB_WORKERS: '2', UPLOAD_STORAGE: 'gridfs', UPLOAD_RATE_PER_HOUR: '1000', GRIDFS_GRACE_MS: String(GRACE_MS) });
    const seeded = await drill.seed(env, { applicants: 4, stage: 'screening', checklist: [{ type: 'cv', phase: 'application', required: true }] });
    await drill.boot(env);
    const app = drill.app();
    await app.waitForLog(/"msg":"web processes serving"/);
    const primary = app.child.pid!;
    const web = processTree(primary).slice(1);
    expect(web, 'two web processes').to.have.length(2);
    const db = drill.db();
    const pdf = await makePdf('Drill CV', { padTo: 4_000_000 });
    const pdfSha = createHash('sha256').update(pdf).digest('hex');

    const applicants = await Promise.all(
      seeded.applicants.map(async (a) => {
        const client = new WebClient(app.url, 60_000);
        await client.signIn(a.email, seeded.password, a.totpSecret);
        const page = await client.get(`/applications/${a.caseId}`);
        expect(page.status).to.equal(200);
        return { client, caseId: a.caseId, csrf: csrfIn(page.text) };
      }),
    );
    const send = (i: number, first: number) => upload(app.url, applicants[i]!.client, applicants[i]!.caseId, applicants[i]!.csrf, pdf, first);

    // A file stored before anything dies.
    const stored = send(3, pdf.length);
    stored.finish();
    expect((await stored.answer).status, 'the stored file').to.equal(303);
    const storedIds = new Set((await db.collection('documents.files').find({}).toArray()).map((f) => String(f._id)));
    expect(storedIds.size).to.equal(1);

    // Two uploads on two new connections: one to each web process. Three quarters of each sent; their first chunks staged.
    const first = send(0, 3_000_000);
    const second = send(1, 3_000_000);
    await until('both uploads staged', 30_000, async () => [...(await chunkCounts(db))].filter(([id, n]) => !storedIds.has(id) && n >= 2).length === 2);
    const staged = [...(await chunkCounts(db))].filter(([id]) => !storedIds.has(id)).map(([id]) => id);

    // One web process SIGKILLed: the upload it was receiving breaks, the other goes on.
    const mark = app.output().length;
    process.kill(web[0]!, 'SIGKILL');
    const killedAt = Date.now();
    await app.waitForLog(/a web process stopped unexpectedly/);
    await app.waitForLog(/"msg":"a web process died: its uploads’ chunks will be looked for once the grace has passed"/);
    const outcome = async (s: Sending) => s.answer.then(() => 'answered' as const, () => 'broken' as const);
    const broken: Array<'answered' | 'broken' | undefined> = [undefined, undefined];
    void outcome(first).then((o) => (broken[0] = o));
    void outcome(second).then((o) => (broken[1] = o));
    await until('the killed process’s upload breaks', 10_000, () => broken.includes('broken'));
    const cutIndex = broken.indexOf('broken');
    const other = cutIndex === 0 ? second : first;
    expect(broken[1 - cutIndex], 'one upload per web process: the other one is not broken').to.equal(undefined);
    other.finish();
    expect((await other.answer).status, 'the upload the other process was receiving').to.equal(303);
    const filesNow = (await db.collection('documents.files').find({}).toArray()).map((f) => String(f._id));
    const cutId = staged.find((id) => !filesNow.includes(id))!;
    expect(cutId, 'the dead upload’s files id').to.be.a('string');
    const cutChunks = (await chunkCounts(db)).get(cutId)!;
    expect(cutChunks, 'the dead upload’s chunks are there after the kill').to.be.at.least(2);

    // An upload begun after the kill, still arriving when the sweep runs (begun less than the grace before it).
    await new Promise((r) => setTimeout(r, Math.max(0, killedAt + 3_500 - Date.now())));
    const before = new Set((await chunkCounts(db)).keys());
    const late = send(2, 3_000_000);
    await until('the late upload staged', 30_000, async () => [...(await chunkCounts(db))].some(([id, n]) => !before.has(id) && n >= 2));
    const lateId = [...(await chunkCounts(db)).keys()].find((id) => !before.has(id))!;
    const lateChunks = (await chunkCounts(db)).get(lateId)!;
    expect((await chunkCounts(db)).get(cutId), 'nothing removed before the grace').to.equal(cutChunks);

    const removed = await app.waitForLog(/\{[^\n]*"msg":"GridFS chunks of uploads cut short removed"[^\n]*\}/, 30_000);
    expect(Date.now() - killedAt, 'not before the grace').to.be.at.least(GRACE_MS);
    const logged = JSON.parse(removed) as { chunks: number; uploads: Array<{ filesId: string; chunks: number }> };
    expect(logged.uploads.map((u) => [u.filesId, u.chunks]), 'the log names the dead upload and its chunks').to.deep.equal([[cutId, cutChunks]]);
    const counts = await chunkCounts(db);
    expect(counts.get(cutId), 'the dead upload’s chunks').to.equal(undefined);
    expect(counts.get(lateId), 'the upload still arriving keeps its chunks').to.equal(lateChunks);

    late.finish();
    expect((await late.answer).status, 'the late upload').to.equal(303);
    // Three stored files, each with every chunk and read whole; no other chunk left.
    const files = await db.collection('documents.files').find({}).toArray();
    expect(files).to.have.length(3);
    const bucket = new GridFSBucket(db, { bucketName: 'documents' });
    let total = 0;
    for (const f of files) {
      const n = Math.ceil((f.length as number) / (f.chunkSize as number));
      expect((await chunkCounts(db)).get(String(f._id)), `chunks of ${String(f._id)}`).to.equal(n);
      total += n;
      const hash = createHash('sha256');
      for await (const c of bucket.openDownloadStream(f._id as ObjectId)) hash.update(c as Buffer);
      expect(hash.digest('hex'), 'read whole').to.equal(pdfSha);
    }
    expect(await db.collection('documents.chunks').countDocuments({}), 'no chunk of no file').to.equal(total);
    expect(await db.collection('documents').countDocuments({ type: 'cv' }), 'three document records').to.equal(3);
    // No restart: the same primary, swept at its start only once.
    expect(app.child.exitCode).to.equal(null);
    expect(app.output().match(/"msg":"upload storage swept"/g)).to.have.length(1);
    expect(app.output().slice(mark)).not.to.match(/"msg":"unhandled error"/);
    expect(await app.stop(), 'clean exit on SIGTERM').to.equal(0);
  });
});
