// Drill: the family's proof of relationship (relationship_proof, the upload place a Vietnamese
// citizen's case gets when their visa procedure is their foreign family's TT visas: server/documents/
// asked-papers.ts) uploaded by the applicant, in Vietnamese, while the database is SIGKILLed and
// restarted under the app (support/database-process.ts; disk storage, the app's default):
//   A. the database killed while the file's bytes arrive, the rest sent while it is down: a 503 page
//      in the applicant's language (formal: Ông/Bà, never "bạn") saying the database is not
//      answering and that the file was not saved, with the way back to the form; no record, no file;
//   B. the database killed and restarted while the bytes arrive, the rest sent once it is back: the
//      upload is either stored whole (record and file) or refused with nothing kept;
//   C. the app restarted (its start-up sweep): every record's file is on disk and every file on disk
//      has its record; the same file sent again is stored once.
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { ObjectId, type Db } from 'mongodb';
import { WebClient, csrfIn } from '../../scripts/support/web-client.ts';
import { makePdf } from '../documents/support.ts';
import { drillEnv, runScript, startApp, until, waitReady, type AppProcess } from './support/app-process.ts';
import { SWEPT, sleep, storedFiles } from './support/crash-drill.ts';
import { useExternalDatabase } from './support/database-process.ts';
import type { Seeded } from './support/seed.ts';

describe('drill: the family’s proof of relationship uploaded while the database restarts', function () {
  this.timeout(240_000);
  let app: AppProcess | undefined;
  const database = useExternalDatabase('family-proof', { beforeRemoval: async () => app?.kill9() });

  /** The upload form's multipart request, its head and `first` bytes of the file now, the rest once `rest` resolves. */
  function upload(client: WebClient, caseId: string, csrf: string, file: Buffer, first: number, rest: Promise<unknown>): Promise<{ status: number; text: string; location?: string }> {
    const boundary = `----drill${Date.now()}`;
    const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${csrf}\r\n--${boundary}\r\nContent-Disposition: form-data; name="relationship_proof"; filename="giay-dang-ky-ket-hon.pdf"\r\nContent-Type: application/pdf\r\n\r\n`);
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const url = new URL(`${app!.url}/cases/${caseId}/documents`);
    const page = `${app!.url}/applications/${caseId}`;
    return new Promise((resolve, reject) => {
      const req = http.request({
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: { cookie: client.cookieHeader(), 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(head.length + file.length + tail.length), accept: 'text/html', referer: page, origin: url.origin, 'sec-fetch-site': 'same-origin' },
      });
      req.on('error', reject);
      req.on('response', (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text, location: res.headers.location }));
      });
      req.write(head);
      req.write(file.subarray(0, first));
      void rest.then(() => req.end(Buffer.concat([file.subarray(first), tail])));
    });
  }

  it('answers in Vietnamese with nothing half-written, and takes the file once the database is back', async () => {
    const env = drillEnv(database.dataDir, { MONGODB_URI: database.uri, UPLOAD_RATE_PER_HOUR: '1000' });
    const uploadDir = env.UPLOAD_DIR!;
    const seeded = JSON.parse((await runScript('test/drills/support/seed.ts', [JSON.stringify({ applicants: 1, stage: 'onboarding', locale: 'vi', family: true, tracks: [{ kind: 'visa', status: 'preparing' }] })], env)).trim().split('\n').at(-1)!) as Seeded;
    const { caseId, email } = seeded.applicants[0]!;
    app = startApp(env);
    await waitReady(app);
    const applicant = new WebClient(() => app!.url, 60_000);
    await applicant.signIn(email, seeded.password);
    const form = async () => {
      const p = await applicant.get(`/applications/${caseId}`);
      expect(p.status).to.equal(200);
      return p.text;
    };
    const before = await form();
    expect(before, 'the place for the family’s proof').to.match(/name="relationship_proof"/);
    let db: Db = (await database.connect()).db();
    const records = () => db.collection('documents').find({ case: new ObjectId(caseId) }).toArray();
    const pdf = await makePdf('Giấy chứng nhận kết hôn', { padTo: 3_000_000 });
    const backAnswering = async () => {
      await database.restart();
      await until('the application page served again', 60_000, async () => (await applicant.get(`/applications/${caseId}`).catch(() => ({ status: 0 }))).status === 200);
      db = (await database.connect()).db();
    };

    // A. Killed while the bytes arrive; the rest sent while it is down.
    let sendRest!: () => void;
    let rest = new Promise<void>((resolve) => (sendRest = resolve));
    let answer = upload(applicant, caseId, csrfIn(before), pdf, 1_500_000, rest);
    await sleep(500);
    await database.kill9();
    sendRest();
    const a = await answer;
    expect(a.status, a.text.slice(0, 500)).to.equal(503);
    expect(a.text, 'in the applicant’s language').to.match(/<html lang="vi"/);
    expect(a.text).to.include('Cơ sở dữ liệu hiện không phản hồi');
    expect(a.text, 'formal').not.to.match(/\bbạn\b/i);
    expect(/<p id="files-not-saved">([^<]*)<\/p>/.exec(a.text)?.[1], 'the file named as not saved').to.equal('Tệp chưa được lưu: giay-dang-ky-ket-hon.pdf. Vui lòng chọn lại tệp trên trang và gửi lại khi cơ sở dữ liệu phản hồi.');
    expect(a.text, 'the way back to the form').to.include(`/applications/${caseId}`);
    expect(app.child.exitCode, 'the app stays up').to.equal(null);
    await backAnswering();
    expect(await records(), 'A: no record').to.deep.equal([]);
    expect(storedFiles(uploadDir), 'A: no file').to.deep.equal([]);

    // B. Killed and restarted while the bytes arrive; the rest sent once it is back.
    rest = new Promise<void>((resolve) => (sendRest = resolve));
    answer = upload(applicant, caseId, csrfIn(await form()), pdf, 1_500_000, rest);
    await sleep(500);
    await database.kill9();
    await backAnswering();
    sendRest();
    const b = await answer;
    expect([303, 503], b.text.slice(0, 500)).to.include(b.status);
    const afterB = await records();
    expect(afterB.map((r) => [r.type, r.size]), 'B: stored whole, or nothing').to.deep.equal(b.status === 303 ? [['relationship_proof', pdf.length]] : []);
    for (const r of afterB) expect(existsSync(path.join(uploadDir, String(r.storageKey).slice(0, 2), String(r.storageKey))), 'B: its file on disk').to.equal(true);

    // C. The app restarted: its sweep; then every record has its file and every file its record.
    expect(await app.stop()).to.equal(0);
    app = startApp(env);
    await waitReady(app);
    await app.waitForLog(SWEPT, 30_000);
    db = (await database.connect()).db();
    const swept = await records();
    expect(storedFiles(uploadDir).sort(), 'every file has its record, every record its file').to.deep.equal(swept.map((r) => String(r.storageKey)).sort());
    // Once more, now that all is back: stored once.
    await applicant.signIn(email, seeded.password).catch(() => undefined); // the session lives in the database: still signed in
    const again = await upload(applicant, caseId, csrfIn(await form()), pdf, pdf.length, Promise.resolve());
    expect(again.status, again.text.slice(0, 300)).to.equal(303);
    const final = await records();
    expect(final.filter((r) => r.type === 'relationship_proof'), 'one more version').to.have.length(swept.length + 1);
    expect(storedFiles(uploadDir).sort()).to.deep.equal(final.map((r) => String(r.storageKey)).sort());
    expect(app.output()).not.to.match(/"msg":"unhandled error"/);
    process.stdout.write(`      drill figures: A answered ${a.status}; B (restarted under it) answered ${b.status}, ${afterB.length} record(s); ${final.length} version(s) in the end\n`);
  });
});
