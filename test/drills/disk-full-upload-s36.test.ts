// Drill: the uploads folder (disk storage, the default) on a small file system that fills while
// files are sent. The real app (`npm start`, a child process) with UPLOAD_DIR on a tmpfs of its own,
// filled until less is free than the file being sent:
//   1. an applicant's document (in Vietnamese): refused in place with a message in their language
//      saying the server has no room and nothing was saved (not a 500 page), no temporary (.part)
//      file, no stored file, no version record; the case and its other document untouched;
//   2. the applicant's answer to HR's information request with its file: the same, the answer not
//      recorded (the case still awaits it);
//   3. HR's offer letter: the same, beside the letter's input, in HR's language, the offer unchanged;
//   4. the space freed: the same three sent again are stored whole (record, file, sha256).
// Skipped, saying why, where a tmpfs cannot be mounted (not root, no CAP_SYS_ADMIN).
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ObjectId, type MongoClient } from 'mongodb';
import { WebClient, csrfIn, hiddenValue } from '../../scripts/support/web-client.ts';
import { makePdf } from '../documents/support.ts';
import { connectToAppDatabase, drillEnv, runScript, startApp, waitReady, type AppProcess } from './support/app-process.ts';
import { storedFiles } from './support/crash-drill.ts';
import { fillDisk, freeBytes, freeDisk, mountSmallDisk, unmountSmallDisk } from './support/small-disk.ts';
import type { Seeded, SeedSpec } from './support/seed.ts';

const DISK_BYTES = 8 * 1024 * 1024;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('drill: the uploads folder’s disk fills while files are sent (s36)', function () {
  this.timeout(300_000);
  let dataDir = '';
  let uploadDir = '';
  let app: AppProcess | undefined;
  let client: MongoClient | undefined;

  before(function () {
    dataDir = mkdtempSync(path.join(tmpdir(), 'talent-drill-disk-full-upload-'));
    uploadDir = path.join(dataDir, 'uploads');
    const why = mountSmallDisk(uploadDir, DISK_BYTES);
    if (why) {
      process.stdout.write(`      skipped: cannot mount a tmpfs for the uploads folder (${why})\n`);
      rmSync(dataDir, { recursive: true, force: true });
      this.skip();
    }
  });

  after(async () => {
    await client?.close().catch(() => undefined);
    await app?.kill9();
    if (!dataDir) return;
    unmountSmallDisk(uploadDir);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses each upload in the sender’s language with nothing half-written, and takes it once there is room', async () => {
    const env = drillEnv(dataDir, { UPLOAD_RATE_PER_HOUR: '1000', DISPATCH_INTERVAL_MS: '60000' });
    const seed = async (spec: SeedSpec) => JSON.parse((await runScript('test/drills/support/seed.ts', [JSON.stringify(spec)], env)).trim().split('\n').pop()!) as Seeded;
    const checklist = [
      { type: 'cv', phase: 'application', required: true },
      { type: 'publications_list', phase: 'application', required: false },
    ];
    const withDocs = await seed({ applicants: 1, stage: 'screening', checklist, locale: 'vi' });
    const asked = await seed({ applicants: 1, stage: 'awaiting_applicant', askedDocument: 'degree', locale: 'vi' });
    const offered = await seed({ applicants: 1, stage: 'offer' });
    app = startApp(env);
    await waitReady(app);
    client = await connectToAppDatabase(app, dataDir);
    const db = client.db();
    const url = () => app!.url;

    const applicant = new WebClient(url, 60_000);
    await applicant.signIn(withDocs.applicants[0]!.email, withDocs.password);
    const answerer = new WebClient(url, 60_000);
    await answerer.signIn(asked.applicants[0]!.email, asked.password);
    const hr = new WebClient(url, 60_000);
    await hr.signIn(offered.hr.email, offered.password, offered.hr.totpSecret);

    const docCase = withDocs.applicants[0]!.caseId;
    const askCase = asked.applicants[0]!.caseId;
    const offerCase = offered.applicants[0]!.caseId;
    const records = (caseId: string) => db.collection('documents').find({ case: new ObjectId(caseId) }).sort({ _id: 1 }).toArray();
    const theCase = (caseId: string) => db.collection('cases').findOne({ _id: new ObjectId(caseId) });
    const tempFiles = () => readdirSync(path.join(uploadDir, '.tmp')).filter((f) => f.endsWith('.part'));
    const page = async (c: WebClient, p: string) => {
      const r = await c.get(p);
      expect(r.status, p).to.equal(200);
      return r.text;
    };
    const form = (fields: Record<string, string>, file: { field: string; name: string; bytes: Buffer }) => {
      const f = new FormData();
      for (const [k, v] of Object.entries(fields)) f.append(k, v);
      f.append(file.field, new Blob([file.bytes], { type: 'application/pdf' }), file.name);
      return f;
    };
    const sendDocument = async (bytes: Buffer) => applicant.postMultipart(`/cases/${docCase}/documents`, csrfIn(await page(applicant, `/applications/${docCase}`)), form({}, { field: 'cv', name: 'so-yeu-ly-lich.pdf', bytes }));
    const sendAnswer = async (bytes: Buffer) => {
      const p = await page(answerer, `/applications/${askCase}`);
      return answerer.postMultipart(`/applications/${askCase}/answer`, csrfIn(p), form({ version: hiddenValue(p, 'version')!, answer: 'Bằng tiến sĩ của tôi.' }, { field: 'degree', name: 'bang-tien-si.pdf', bytes }));
    };
    const sendLetter = async (bytes: Buffer) => {
      const p = await page(hr, `/cases/${offerCase}`);
      return hr.postMultipart(`/cases/${offerCase}/offer-terms`, csrfIn(p), form({ version: hiddenValue(p, 'version')!, offerPosition: 'Senior researcher', offerStart: '2027-03-01', offerSalary: '60,000,000 VND a month', offerContractLength: '3 years' }, { field: 'offer_letter', name: 'offer-letter.pdf', bytes }));
    };

    // The applicant's other document, stored while there is room: it must survive all that follows.
    const other = await makePdf('Danh mục công trình', { padTo: 200_000 });
    const otherSent = await applicant.postMultipart(`/cases/${docCase}/documents`, csrfIn(await page(applicant, `/applications/${docCase}`)), form({}, { field: 'publications_list', name: 'cong-trinh.pdf', bytes: other }));
    expect(otherSent.status, otherSent.text.slice(0, 300)).to.equal(303);
    const [otherRecord] = await records(docCase);
    expect(otherRecord?.sha256).to.equal(sha(other));
    const before = { doc: await theCase(docCase), ask: await theCase(askCase), offer: await theCase(offerCase) };

    const cv = await makePdf('Sơ yếu lý lịch', { padTo: 2_000_000 });
    const degree = await makePdf('Bằng tiến sĩ', { padTo: 2_000_000 });
    const letter = await makePdf('Offer letter', { padTo: 2_000_000 });
    const filler = fillDisk(uploadDir, 600_000);
    const t0 = Date.now();
    const timings: string[] = [];
    const timed = async <T>(label: string, f: () => Promise<T>) => {
      const s = Date.now();
      const r = await f();
      timings.push(`${label} ${Date.now() - s} ms`);
      return r;
    };

    // 1. The applicant's document.
    const refusedDoc = await timed('document refused', () => sendDocument(cv));
    expect(refusedDoc.status, refusedDoc.text.slice(0, 500)).to.equal(507);
    expect(refusedDoc.text, 'in the applicant’s language').to.match(/<html lang="vi"/);
    expect(refusedDoc.text).to.include('Máy chủ hiện không còn chỗ để lưu “so-yeu-ly-lich.pdf”');
    expect(refusedDoc.text, 'formal').not.to.match(/\bbạn\b/i);
    expect(refusedDoc.text, 'the form again, not an error page').to.match(/name="cv"/);
    // 2. The answer with its file.
    const refusedAnswer = await timed('answer refused', () => sendAnswer(degree));
    expect(refusedAnswer.status, refusedAnswer.text.slice(0, 500)).to.equal(507);
    expect(refusedAnswer.text).to.match(/<html lang="vi"/);
    expect(refusedAnswer.text).to.include('Máy chủ hiện không còn chỗ để lưu “bang-tien-si.pdf”');
    expect(refusedAnswer.text, 'the answer given back to send again').to.include('Bằng tiến sĩ của tôi.');
    // 3. HR's offer letter.
    const refusedLetter = await timed('offer letter refused', () => sendLetter(letter));
    expect(refusedLetter.status, refusedLetter.text.slice(0, 500)).to.equal(507);
    expect(refusedLetter.text).to.match(/<html lang="en"/);
    expect(refusedLetter.text).to.include('The server has no room left to store “offer-letter.pdf”');
    expect(refusedLetter.text, 'the terms as typed').to.include('Senior researcher');

    expect(tempFiles(), 'no half file left').to.deep.equal([]);
    expect(storedFiles(uploadDir).filter((f) => f !== path.basename(filler)), 'only the other document’s file').to.deep.equal([otherRecord!.storageKey]);
    expect((await records(docCase)).map((r) => String(r._id)), 'no version record').to.deep.equal([String(otherRecord!._id)]);
    expect(await records(askCase), 'no answer file record').to.deep.equal([]);
    expect(await records(offerCase), 'no letter record').to.deep.equal([]);
    for (const [label, id] of [['doc', docCase], ['ask', askCase], ['offer', offerCase]] as const) {
      const now = await theCase(id);
      expect(now!.version, `${label}: the case untouched`).to.equal(before[label]!.version);
      expect(now!.stage).to.equal(before[label]!.stage);
    }
    expect((await theCase(askCase))!.infoRequest.answeredAt, 'no answer recorded').to.equal(undefined);
    const otherPath = path.join(uploadDir, otherRecord!.storageKey.slice(0, 2), otherRecord!.storageKey);
    expect(sha(readFileSync(otherPath)), 'the other document whole').to.equal(otherRecord!.sha256);
    expect(app.output(), 'the operator is told').to.match(/"msg":"upload refused: no space left on the uploads disk"/);
    expect(app.output(), 'no unhandled error').not.to.match(/"msg":"unhandled error"/);

    // 4. Room again: the same files are taken.
    freeDisk(filler);
    const freedAt = Date.now();
    const storedDoc = await timed('document stored', () => sendDocument(cv));
    expect(storedDoc.status, storedDoc.text.slice(0, 500)).to.equal(303);
    const storedAnswer = await timed('answer stored', () => sendAnswer(degree));
    expect(storedAnswer.status, storedAnswer.text.slice(0, 500)).to.equal(303);
    const storedLetter = await timed('offer letter stored', () => sendLetter(letter));
    expect(storedLetter.status, storedLetter.text.slice(0, 500)).to.equal(303);
    const recovered = Date.now() - freedAt;
    const shas = async (id: string, type: string) => (await records(id)).filter((r) => r.type === type).map((r) => r.sha256);
    expect(await shas(docCase, 'cv')).to.deep.equal([sha(cv)]);
    expect(await shas(askCase, 'degree')).to.deep.equal([sha(degree)]);
    expect(await shas(offerCase, 'offer_letter')).to.deep.equal([sha(letter)]);
    expect((await theCase(askCase))!.stage, 'the answer recorded').to.equal('screening');
    expect(tempFiles()).to.deep.equal([]);
    const all = [...(await records(docCase)), ...(await records(askCase)), ...(await records(offerCase))];
    expect(storedFiles(uploadDir).sort(), 'every file has its record').to.deep.equal(all.map((r) => r.storageKey as string).sort());
    process.stdout.write(`      drill figures: ${timings.join('; ')}; all three stored ${recovered} ms after the space was freed (free then ${Math.round(freeBytes(uploadDir) / 1024)} KB; total ${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
  });
});
