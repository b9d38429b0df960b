// The offer has content (server/cases/offer-terms.ts): HR attaches the terms and the letter (a real
// multipart upload, stored on disk through the documents' storage) while the offer is prepared or
// waits; the applicant sees the terms, downloads the exact bytes of their own letter (no one else's,
// and not before the offer is made), and is e-mailed once per change in their language with the
// answer-by date; the offer e-mail says the letter is on their page. A renamed .exe, a stale form and
// hostile field names change nothing. Real database, real SMTP, the real pages and forms.
import { mkdir, rm, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent, type Agent } from '../support/http.ts';
import { createInstitute, createUser, signIn } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { CaseDocument } from '../../models/document.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { seedHolidays } from '../../server/calendar/index.ts';
import { transition } from '../../server/workflow/index.ts';
import { actorContext } from '../workflow/context.ts';
import { deliver, page, text, versionIn } from '../applications/support.ts';
import { download, filesUnder, makeJpeg, makePdf, makePng, sha256, tokenOf } from '../documents/support.ts';
import { auditInsert, failNext } from '../support/fail-next.ts';
import { PENDING_AUDIT_GRACE_MS, recordPendingCaseAudits } from '../../server/cases/pending-audit.ts';
import { recordPendingDocumentAudits } from '../../server/documents/pending-audit.ts';
import { storeOfferLetter } from '../../server/cases/offer-terms.ts';
import { documentStores } from '../../server/documents/stores.ts';
import { DiskStorage, newStorageKey, uploadTempDir } from '../../server/documents/storage.ts';
import { GRIDFS_GRACE_MS, sweepOnStart } from '../../server/documents/sweep.ts';

const words = (html: string) => text(html.replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ');

describe('cases: the offer letter and its terms', function () {
  this.timeout(60_000);
  let t: TestApp;
  let uploadDir: string;
  let hr: UserDoc;
  let otherHr: UserDoc;
  let leader: UserDoc;
  let call: CallDoc;
  let letter: Buffer;
  // Monday 7 Dec 2026, 09:00 in Vietnam: an offer made now is due Monday 21 Dec (10 working days).
  const clock = new Date('2026-12-07T02:00:00Z');

  before(async () => {
    uploadDir = path.resolve(`data/test/uploads-offer-${process.pid}`);
    await rm(uploadDir, { recursive: true, force: true });
    t = await startTestApp({ now: () => clock, env: { UPLOAD_STORAGE: 'disk', UPLOAD_DIR: uploadDir, UPLOAD_RATE_PER_HOUR: '1000' } });
    await seedHolidays();
    const institute = await createInstitute();
    hr = await createUser({ role: 'hr_officer', institute, locale: 'en' });
    otherHr = await createUser({ role: 'hr_officer', locale: 'en' });
    leader = await createUser({ role: 'leader', institute });
    call = await createCall({ institute, checklist: [{ type: 'signed_offer', phase: 'offer', required: true }] as never });
    letter = await makePdf('Offer letter: Senior researcher, 45,000,000 VND a month');
  });
  after(async () => {
    await t?.close();
    await rm(uploadDir, { recursive: true, force: true });
  });

  async function signedIn(user: UserDoc): Promise<Agent> {
    const a = agent(t.app);
    await signIn(a, user);
    return a;
  }

  const url = (c: { _id: unknown }) => `/cases/${String(c._id)}/offer-terms`;
  const terms = { offerPosition: 'Senior researcher, materials laboratory', offerStart: '2027-03-01', offerSalary: '45,000,000 VND', offerContractLength: '2 years, renewable' };

  /** The form as the case page sends it: token, version and terms first, then the file. */
  async function send(a: Agent, c: { _id: unknown }, fields: Record<string, string>, file?: { buf: Buffer; name: string }) {
    const p = await page(a, `/cases/${String(c._id)}`);
    let req = a.post(url(c)).set('Accept', 'text/html').field('_csrf', await tokenOf(a)).field('version', versionIn(p.text, url(c)));
    for (const [k, v] of Object.entries(fields)) req = req.field(k, v);
    if (file) req = req.attach('offer_letter', file.buf, file.name);
    return req;
  }

  async function offered(applicant: UserDoc): Promise<CaseDoc> {
    const c = await createCase({ applicant, call, stage: 'shortlisted', assignee: hr });
    return transition({ app: t.ctx, ctx: actorContext(t.ctx, leader), caseId: c._id, action: 'approve_offer', expectedVersion: c.version, payload: { note: 'Ranked first.' }, asDecision: true });
  }

  async function stored() {
    return { files: (await filesUnder(uploadDir)).filter((f) => !f.startsWith('.tmp')).length, docs: await CaseDocument.countDocuments({ type: 'offer_letter' }) };
  }

  it('takes the planned start as a day, shown in each language\'s form to HR and the applicant; a non-date is refused (422, kept); an old free-text one stays as typed', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const hrVi = await createUser({ role: 'hr_officer', institute: hr.institute, locale: 'vi' });
    const c = await offered(applicant);
    const h = await signedIn(hr);
    const bad = await send(h, c, { ...terms, offerStart: '1 Mar 2027' });
    expect(bad.status).to.equal(422);
    expect(words(bad.text)).to.include('This is not a date: type it as day/month/year, for example 05/12/2026.');
    expect(bad.text).to.include('value="1 Mar 2027"');
    expect(bad.text).to.include('value="45,000,000 VND"');
    expect((await Case.findById(c._id).lean())!.offerTerms?.position).to.equal(undefined);

    expect((await send(h, c, terms, { buf: letter, name: 'offer-letter.pdf' })).status).to.equal(303);
    const hrPage = (await page(h, `/cases/${c._id}`)).text;
    expect(hrPage).to.include('<dt>Planned start</dt><dd>1 Mar 2027</dd>');
    expect(hrPage).to.match(/name="offerStart" type="text" value="01\/03\/2027"/);
    expect((await page(await signedIn(hrVi), `/cases/${c._id}`)).text).to.include('<dt>Ngày dự kiến bắt đầu</dt><dd>1/3/2027</dd>');
    expect(words((await page(await signedIn(applicant), `/applications/${c._id}`)).text)).to.include('Planned start 1 Mar 2027');

    // An offer saved before the start was a day: its words shown as typed, named in the hint, kept when other terms change.
    await Case.updateOne({ _id: c._id }, { $set: { 'offerTerms.start': 'within 3 months of acceptance' }, $unset: { 'offerTerms.startOn': 1 } });
    const old = (await page(h, `/cases/${c._id}`)).text;
    expect(old).to.include('<dt>Planned start</dt><dd>within 3 months of acceptance</dd>');
    expect(words(old)).to.include('Before, typed as text: “within 3 months of acceptance” (kept until a day is chosen).');
    expect((await send(h, c, { ...terms, offerStart: '', offerSalary: '46,000,000 VND' })).status).to.equal(303);
    const kept = (await Case.findById(c._id).lean())!.offerTerms;
    expect(kept).to.deep.include({ start: 'within 3 months of acceptance', salary: '46,000,000 VND' });
    expect(kept?.startOn).to.equal(undefined);
  });

  it('a call whose checklist has no place for the signed offer: neither the e-mails nor the page ask to upload it (walk 33)', async () => {
    // The applicant read "upload the signed copy under “Signed offer or contract”" above a document
    // list with no such heading: the call did not ask for it back.
    const plain = await createCall({ institute: hr.institute!, checklist: [{ type: 'cv', phase: 'application', required: true }] as never });
    const applicant = await createUser({ role: 'applicant', locale: 'vi' });
    const shortlisted = await createCase({ applicant, call: plain, stage: 'shortlisted', assignee: hr });
    const h = await signedIn(hr);
    expect((await send(h, shortlisted, terms, { buf: letter, name: 'offer-letter.pdf' })).status).to.equal(303);
    const fresh = (await Case.findById(shortlisted._id).lean())!;
    const c = await transition({ app: t.ctx, ctx: actorContext(t.ctx, leader), caseId: fresh._id, action: 'approve_offer', expectedVersion: fresh.version, payload: { note: 'Ranked first.' }, asDecision: true });
    await deliver(t, c._id);
    const made = await t.smtp.waitForTo(applicant.email, /nhận được lời mời làm việc/);
    expect(made.text).to.include('Thư mời làm việc và các điều kiện có trên trang đó: vui lòng đọc trước khi trả lời.');
    expect(made.text).not.to.include('tải bản đã ký');
    const a = await signedIn(applicant);
    const before = words((await page(a, `/applications/${c._id}`)).text);
    expect(before).to.include('Vui lòng đọc thư trước khi trả lời.');
    expect(before).not.to.include('tải bản đã ký');
    await transition({ app: t.ctx, ctx: actorContext(t.ctx, applicant), caseId: c._id, action: 'accept_offer', expectedVersion: c.version, payload: {} });
    const after = words((await page(a, `/applications/${c._id}`)).text);
    expect(after).to.include('Nếu viện cần bản có chữ ký, bộ phận nhân sự sẽ hướng dẫn cách gửi.');
    expect(after).not.to.include('Thư mời làm việc hoặc hợp đồng đã ký');
  });

  it('at the offer: HR attaches terms and a PDF (on disk, byte for byte); the applicant sees them, downloads the exact bytes, is e-mailed once with the answer-by date', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await offered(applicant);
    await deliver(t, c._id);
    const h = await signedIn(hr);
    const before = await stored();
    const res = await send(h, c, terms, { buf: letter, name: 'offer-letter.pdf' });
    expect(res.status, res.text.slice(0, 500)).to.equal(303);

    const after = (await Case.findById(c._id).lean())!;
    expect(after.offerTerms).to.deep.include({ position: terms.offerPosition, salary: terms.offerSalary, contractLength: terms.offerContractLength });
    // The planned start is a day (walk 26 #13), stored as the case's planned start is.
    expect(after.offerTerms?.startOn?.toISOString()).to.equal('2027-03-01T00:00:00.000Z');
    const doc = (await CaseDocument.findById(after.offerTerms!.letter).lean())!;
    expect(doc).to.deep.include({ type: 'offer_letter', status: 'accepted', current: true, storage: 'disk', originalName: 'offer-letter.pdf', size: letter.length, sha256: sha256(letter) });
    expect(await stored()).to.deep.equal({ files: before.files + 1, docs: before.docs + 1 });
    expect(after.history.at(-1)).to.deep.include({ action: 'offer_terms' });
    expect(after.history.at(-1)!.offerTerms).to.deep.include({ letter: true, terms: true, told: true });
    expect(await AuditEvent.countDocuments({ action: 'case.offer_terms_changed', targetId: String(c._id) })).to.equal(1);

    // The same form again (a double click): nothing new, no second e-mail.
    const again = await send(h, c, terms);
    expect(again.status).to.equal(303);
    const once = (await Case.findById(c._id).lean())!;
    expect(once.version).to.equal(after.version);
    expect(once.outbox.filter((o) => o.template === 'offer_letter_ready')).to.have.length(1);

    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(applicant.email, /offer letter is ready/);
    expect(mail.text).to.include('sign the letter and upload the signed copy there');
    expect(mail.text).to.include('Please accept or decline the offer by 21 Dec 2026 (10 working days left).');
    expect(t.smtp.to(applicant.email).filter((m) => /offer letter is ready|offer has changed/.test(m.subject))).to.have.length(1);

    const a = await signedIn(applicant);
    const mine = await page(a, `/applications/${c._id}`);
    const panel = words(mine.text.slice(mine.text.indexOf('id="offer"'), mine.text.indexOf('</section>', mine.text.indexOf('id="offer"'))));
    expect(panel).to.include('Position Senior researcher, materials laboratory');
    expect(panel).to.include('Gross monthly salary 45,000,000 VND');
    expect(panel).to.include('Contract length 2 years, renewable');
    expect(mine.text).to.include(`href="/documents/${String(doc._id)}/download" id="offer-letter"`);
    // Signed once accepted (its upload opens then): the page says so, not "upload it here" before an answer.
    expect(words(mine.text)).to.include('Read the letter before you answer. Once you accept, sign it and upload the signed copy');
    expect(words(mine.text)).not.to.include('Sign the offer letter above and upload it here.');
    const got = await download(a, `/documents/${String(doc._id)}/download`);
    expect(got.status).to.equal(200);
    expect(sha256(got.body as Buffer)).to.equal(sha256(letter));

    // Nobody else's: another applicant, and HR of another institute, are told it does not exist.
    const other = await signedIn(await createUser({ role: 'applicant', locale: 'en' }));
    expect((await download(other, `/documents/${String(doc._id)}/download`)).status).to.equal(404);
    expect((await download(await signedIn(otherHr), `/documents/${String(doc._id)}/download`)).status).to.equal(404);
    // Nor may that HR attach one to this case.
    const stranger = await signedIn(otherHr);
    const r = await stranger.post(url(c)).set('Accept', 'text/html').field('_csrf', await tokenOf(stranger)).field('version', String(once.version)).field('offerPosition', 'x');
    expect(r.status).to.equal(404);
  });

  it('the letter has its own upload event, written with its record; an audit insert failing after the case names the letter leaves the letter stored (the repair records what is left)', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await offered(applicant);
    const h = await signedIn(hr);
    expect((await send(h, c, terms, { buf: letter, name: 'offer-letter.pdf' })).status).to.equal(303);
    const first = (await Case.findById(c._id).lean())!.offerTerms!.letter!;
    const events = await AuditEvent.find({ action: 'document.upload', targetId: String(first) }).lean();
    expect(events).to.have.length(1);
    expect(events[0]!.summary).to.deep.include({ case: String(c._id), type: 'offer_letter', offerLetter: true, sha256: sha256(letter) });
    expect((await CaseDocument.findById(first).select('+pendingAudits').lean())!.pendingAudits ?? []).to.have.length(0);

    // A second letter whose case audit insert fails once the case names it: the answer is an error,
    // but the letter the case now names is kept, its file too.
    const fault = failNext(auditInsert);
    try {
      await send(h, c, terms, { buf: letter, name: 'offer-letter-v2.pdf' });
    } finally {
      fault.stop();
    }
    expect(fault.failed()).to.equal(1);
    const named = (await Case.findById(c._id).lean())!.offerTerms!.letter!;
    expect(String(named)).to.not.equal(String(first));
    const kept = (await CaseDocument.findById(named).lean())!;
    expect(kept, 'the letter the case names is still stored').to.not.equal(null);
    expect((await download(h, `/documents/${String(named)}/download`)).status).to.equal(200);
    // The repair runs on the app's clock, past the grace.
    const later = new Date(t.ctx.now().getTime() + PENDING_AUDIT_GRACE_MS + 1_000);
    await recordPendingCaseAudits({ now: later });
    await recordPendingDocumentAudits({ now: later });
    expect(await AuditEvent.countDocuments({ action: 'document.upload', targetId: String(named) })).to.equal(1);
  });

  it('in Vietnamese: a changed letter is e-mailed once in the applicant’s language, with the date and working days', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'vi' });
    const c = await offered(applicant);
    await deliver(t, c._id);
    const h = await signedIn(hr);
    // The form says in which language the terms are read, as typed (walk: Vietnamese terms shown to an English applicant).
    expect(text((await page(h, `/cases/${c._id}`)).text)).to.include('The applicant reads the terms as typed, in Vietnamese: write them in that language.');
    const hrVi = await createUser({ role: 'hr_officer', institute: hr.institute, locale: 'vi' });
    expect(text((await page(await signedIn(hrVi), `/cases/${c._id}`)).text)).to.include('Ứng viên đọc các điều kiện đúng như đã nhập, bằng tiếng Việt: hãy viết bằng ngôn ngữ đó.');
    expect((await send(h, c, terms, { buf: letter, name: 'thu-moi.pdf' })).status).to.equal(303);
    const changed = await makePdf('Offer letter, version 2');
    expect((await send(h, c, { ...terms, offerSalary: '50,000,000 VND' }, { buf: changed, name: 'thu-moi-2.pdf' })).status).to.equal(303);
    await deliver(t, c._id);
    const ready = await t.smtp.waitForTo(applicant.email, /Thư mời làm việc của Ông\/Bà đã sẵn sàng/);
    expect(ready.text).to.include('chậm nhất ngày 21/12/2026 (còn 10 ngày làm việc)');
    const change = await t.smtp.waitForTo(applicant.email, /Lời mời làm việc của Ông\/Bà đã thay đổi/);
    expect(change.text).to.include('Viện đã thay đổi lời mời làm việc của Ông/Bà');
    expect(t.smtp.to(applicant.email).filter((m) => /Thư mời làm việc|Lời mời làm việc/.test(m.subject))).to.have.length(2);
    // The new letter is the one they download; the first stays in the history.
    const now = (await Case.findById(c._id).lean())!;
    const a = await signedIn(applicant);
    expect(sha256((await download(a, `/documents/${String(now.offerTerms!.letter)}/download`)).body as Buffer)).to.equal(sha256(changed));
    expect(await CaseDocument.countDocuments({ case: c._id, type: 'offer_letter', current: true })).to.equal(1);
    const viPage = words((await page(a, `/applications/${c._id}`)).text);
    expect(viPage).to.include('Sau khi chấp nhận, Ông/Bà ký thư và tải bản đã ký lên');
    expect(viPage).not.to.include('Ký thư mời làm việc ở trên và tải lên tại đây.');
  });

  it('prepared while the leader decides: not the applicant’s until the offer; the offer e-mail then says the letter is on their page', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await createCase({ applicant, call, stage: 'shortlisted', assignee: hr });
    const h = await signedIn(hr);
    expect((await send(h, c, terms, { buf: letter, name: 'offer.pdf' })).status).to.equal(303);
    const prepared = (await Case.findById(c._id).lean())!;
    expect(prepared.outbox).to.have.length(0);
    const a = await signedIn(applicant);
    // "Not found", as any document not theirs: a 403 would say HR has prepared their offer.
    expect((await download(a, `/documents/${String(prepared.offerTerms!.letter)}/download`)).status).to.equal(404);
    expect((await page(a, `/applications/${c._id}`)).text).not.to.include('id="offer-letter"');

    await transition({ app: t.ctx, ctx: actorContext(t.ctx, leader), caseId: c._id, action: 'approve_offer', expectedVersion: prepared.version, payload: { note: 'Ranked first.' }, asDecision: true });
    await deliver(t, c._id);
    const mail = await t.smtp.waitForTo(applicant.email, /You have an offer/);
    expect(mail.text).to.include('Your offer letter and its terms are on that page');
    expect((await download(a, `/documents/${String(prepared.offerTerms!.letter)}/download`)).status).to.equal(200);
  });

  it('refuses a renamed .exe with a clear message beside the file, keeps the typed terms, stores nothing', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await offered(applicant);
    const h = await signedIn(hr);
    const before = await stored();
    const v0 = (await Case.findById(c._id).lean())!.version;
    const exe = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(62), Buffer.from('PE\0\0'), Buffer.alloc(400, 0x90)]);
    const res = await send(h, c, { ...terms, offerPosition: 'Typed – keep me' }, { buf: exe, name: 'letter.pdf' });
    expect(res.status).to.equal(415);
    expect(text(res.text)).to.include('“letter.pdf” is not a PDF, JPEG or PNG file');
    expect(res.text).to.match(/id="f-offer_letter-error"/);
    expect(text(res.text)).to.include('value="Typed – keep me"');
    expect(await stored()).to.deep.equal(before);
    const after = (await Case.findById(c._id).lean())!;
    expect(after.version).to.equal(v0);
    expect(after.offerTerms?.position).to.equal(undefined);
    expect((await filesUnder(uploadDir)).some((f) => f.startsWith('.tmp')), 'no temporary file left').to.equal(false);

    // Renamed to look like a scan: refused by its bytes all the same.
    const asJpeg = await send(h, c, terms, { buf: exe, name: 'scan.jpg' });
    expect(asJpeg.status).to.equal(415);
    expect(text(asJpeg.text)).to.include('“scan.jpg” is not a PDF, JPEG or PNG file');
    expect(await stored()).to.deep.equal(before);
    // A real PNG named .jpg: its bytes and its name disagree, refused too.
    const png = await send(h, c, terms, { buf: makePng(), name: 'scan.jpg' });
    expect(png.status).to.equal(415);
    expect(png.text).to.match(/id="f-offer_letter-error"/);
    expect(text(png.text)).to.include('“scan.jpg” is named as a JPEG file but its content is PNG.');
    expect(await stored()).to.deep.equal(before);
    expect((await Case.findById(c._id).lean())!.version).to.equal(v0);
  });

  it('refuses markup dressed as a scan (SVG or HTML named .png, a PNG with markup in its first KB); one with markup further in is only ever an attachment', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await offered(applicant);
    const h = await signedIn(hr);
    const before = await stored();
    const png = makePng();
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)"/>');
    const html = Buffer.from('<!doctype html><html><script>alert(document.cookie)</script></html>');
    // The PNG's signature and header chunk, then markup a browser sniffing the bytes would run.
    const polyglot = Buffer.concat([png.subarray(0, 33), Buffer.from('<html><script>alert(1)</script></html>'), png.subarray(33)]);
    for (const [buf, name] of [[svg, 'scan.png'], [svg, 'scan.svg'], [html, 'scan.png'], [polyglot, 'scan.png']] as const) {
      const res = await send(h, c, terms, { buf, name });
      expect(res.status, name).to.equal(415);
      expect(res.text).to.match(/id="f-offer_letter-error"/);
      expect(await stored()).to.deep.equal(before);
    }
    // Markup past the first KB is not sniffed by browsers as a page; the letter is still sent as a
    // download the browser never renders (attachment, nosniff, a sandbox with nothing allowed).
    const late = Buffer.concat([png, Buffer.alloc(2048), Buffer.from('<html><script>alert(1)</script></html>')]);
    expect((await send(h, c, terms, { buf: late, name: 'scan.png' })).status).to.equal(303);
    const a = await signedIn(applicant);
    const got = await download(a, `/documents/${String((await Case.findById(c._id).lean())!.offerTerms!.letter)}/download`);
    expect(got.status).to.equal(200);
    expect(got.headers['content-type']).to.equal('image/png');
    expect(got.headers['content-disposition']).to.match(/^attachment;/);
    expect(got.headers['x-content-type-options']).to.equal('nosniff');
    expect(got.headers['content-security-policy']).to.equal("default-src 'none'; sandbox");
  });

  it('takes a letter that is only a scan, as JPEG or PNG (on disk, byte for byte); the applicant downloads it with its type and a safe file name', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'vi' });
    const c = await offered(applicant);
    const h = await signedIn(hr);
    const scan = makeJpeg();
    const before = await stored();
    const name = 'Thư mời "ký"; bản quét.jpg';
    const res = await send(h, c, terms, { buf: scan, name });
    expect(res.status, res.text.slice(0, 500)).to.equal(303);
    expect(await stored()).to.deep.equal({ files: before.files + 1, docs: before.docs + 1 });
    const doc = (await CaseDocument.findById((await Case.findById(c._id).lean())!.offerTerms!.letter).lean())!;
    expect(doc).to.deep.include({ type: 'offer_letter', mimeType: 'image/jpeg', storage: 'disk', originalName: name, size: scan.length, sha256: sha256(scan) });

    const a = await signedIn(applicant);
    expect(words((await page(a, `/applications/${c._id}`)).text)).to.include('Tải thư mời làm việc');
    const got = await download(a, `/documents/${String(doc._id)}/download`);
    expect(got.status).to.equal(200);
    expect(got.headers['content-type']).to.equal('image/jpeg');
    expect(got.headers['x-content-type-options']).to.equal('nosniff');
    // The quote and semicolon cannot end the header's value; the name itself travels encoded.
    expect(got.headers['content-disposition']).to.equal(`attachment; filename="Thu_ mo__i _ky___ ba_n que_t.jpg"; filename*=UTF-8''${encodeURIComponent(name)}`);
    expect(sha256(got.body as Buffer)).to.equal(sha256(scan));

    // A PNG scan replaces it, served as a PNG.
    const png = makePng();
    expect((await send(h, c, terms, { buf: png, name: 'scan.png' })).status).to.equal(303);
    const now = (await Case.findById(c._id).lean())!;
    const second = await download(a, `/documents/${String(now.offerTerms!.letter)}/download`);
    expect(second.headers['content-type']).to.equal('image/png');
    expect(second.headers['content-disposition']).to.match(/^attachment; filename="scan\.png"/);
    expect(sha256(second.body as Buffer)).to.equal(sha256(png));
  });

  it('a stale form is a conflict page showing what was typed; nothing of it is stored', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await offered(applicant);
    const h = await signedIn(hr);
    const p = await page(h, `/cases/${c._id}`);
    const staleVersion = versionIn(p.text, url(c));
    // Someone else changes the case meanwhile.
    expect((await send(h, c, terms)).status).to.equal(303);
    const before = await stored();
    const v1 = (await Case.findById(c._id).lean())!.version;
    const res = await h.post(url(c)).set('Accept', 'text/html').field('_csrf', await tokenOf(h)).field('version', staleVersion).field('offerPosition', 'Principal investigator').field('offerSalary', 'As agreed in the call').attach('offer_letter', letter, 'late.pdf');
    expect(res.status).to.equal(409);
    const shown = words(res.text);
    expect(shown).to.include('Principal investigator');
    expect(shown).to.include('As agreed in the call');
    expect(shown).to.include('late.pdf (not saved: choose it again)');
    const after = (await Case.findById(c._id).lean())!;
    expect(after.version).to.equal(v1);
    expect(after.offerTerms?.position).to.equal(terms.offerPosition);
    expect(await stored()).to.deep.equal(before);
  });

  it('ignores field names the form does not have, refuses operator and prototype names (400), and bounds the texts', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await offered(applicant);
    const h = await signedIn(hr);
    const res = await send(h, c, { ...terms, stage: 'closed', applicant: String(hr._id), letter: String(c._id), 'offerTerms': 'x' });
    expect(res.status).to.equal(303);
    const after = (await Case.findById(c._id).lean())!;
    expect(after.stage).to.equal('offer');
    expect(String(after.applicant)).to.equal(String(applicant._id));
    expect(after.offerTerms?.letter).to.equal(undefined);
    expect(after.offerTerms?.position).to.equal(terms.offerPosition);
    for (const field of ['$set', 'constructor', '__proto__']) {
      const r = await send(h, c, { ...terms, offerPosition: 'Other', [field]: '1' });
      expect(r.status, field).to.equal(400);
      expect(text(r.text)).to.include('field names that are not allowed');
    }
    const long = await send(h, c, { ...terms, offerPosition: 'p'.repeat(201) });
    expect(long.status).to.equal(422);
    expect(words(long.text)).to.include('At most 200 characters: the full terms belong in the letter.');
    expect((await Case.findById(c._id).lean())!.offerTerms?.position).to.equal(terms.offerPosition);
  });

  it('the first complete offer reads "ready" on both timelines, not "terms changed"; later saves read as changes (walk 28 #11)', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'vi' });
    const hrVi = await createUser({ role: 'hr_officer', institute: hr.institute, locale: 'vi' });
    const c = await offered(applicant);
    const h = await signedIn(hr);
    expect((await send(h, c, terms, { buf: letter, name: 'thu-moi.pdf' })).status).to.equal(303);
    expect((await Case.findById(c._id).lean())!.history.at(-1)!.offerTerms).to.deep.include({ letter: true, terms: true, told: true, ready: true, first: true });
    const a = await signedIn(applicant);
    const mine = words((await page(a, `/applications/${c._id}`)).text);
    expect(mine).to.include('Thư mời làm việc đã sẵn sàng');
    expect(mine).to.include('Đã đính kèm thư mời làm việc và các điều kiện.');
    expect(mine).not.to.include('Điều kiện đã thay đổi');
    const staff = words((await page(h, `/cases/${c._id}`)).text);
    expect(staff).to.include('Offer letter ready');
    expect(staff).to.include('The offer letter and its terms are attached. The applicant was e-mailed.');
    expect(staff).not.to.include('Terms changed.');

    // A later change is one: the applicant reads it so, in their language.
    expect((await send(h, c, { ...terms, offerSalary: '50,000,000 VND' }, { buf: await makePdf('version 2'), name: 'thu-moi-2.pdf' })).status).to.equal(303);
    expect((await Case.findById(c._id).lean())!.history.at(-1)!.offerTerms).to.deep.include({ letter: true, terms: true, told: true }).and.not.have.any.keys('ready', 'first');
    const later = words((await page(a, `/applications/${c._id}`)).text);
    expect(later).to.include('Thư mời làm việc mới. Điều kiện đã thay đổi.');
    expect(later.match(/Thư mời làm việc đã sẵn sàng/g) ?? []).to.have.length(1);
    expect(words((await page(await signedIn(hrVi), `/cases/${c._id}`)).text)).to.include('Thư mời làm việc mới. Điều kiện đã thay đổi. Đã gửi e-mail cho ứng viên.');
  });

  it('prepared in parts before the offer: the first terms are "entered", the letter that completes it "ready"', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await createCase({ applicant, call, stage: 'shortlisted', assignee: hr });
    const h = await signedIn(hr);
    expect((await send(h, c, terms)).status).to.equal(303);
    expect(words((await page(h, `/cases/${c._id}`)).text)).to.include('Offer terms or letter updated').and.include('Terms entered.');
    expect((await send(h, c, terms, { buf: letter, name: 'offer.pdf' })).status).to.equal(303);
    const history = (await Case.findById(c._id).lean())!.history.filter((e) => e.action === 'offer_terms').map((e) => e.offerTerms);
    expect(history[0]).to.deep.include({ terms: true, letter: false, first: true });
    expect(history[0]).not.to.have.property('ready');
    expect(history[1]).to.deep.include({ terms: false, letter: true, ready: true });
    expect(history[1]).not.to.have.property('first');
    const staff = words((await page(h, `/cases/${c._id}`)).text);
    expect(staff).to.include('Offer letter ready');
    expect(staff).not.to.include('New offer letter.');
  });

  it('says the chosen letter must be chosen again when the terms are refused (a browser cannot keep a file), and stores nothing (walk 28 #10)', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const hrVi = await createUser({ role: 'hr_officer', institute: hr.institute, locale: 'vi' });
    const c = await offered(applicant);
    const before = await stored();
    const v0 = (await Case.findById(c._id).lean())!.version;
    const res = await send(await signedIn(hr), c, { ...terms, offerPosition: '' }, { buf: letter, name: 'offer-letter.pdf' });
    expect(res.status).to.equal(422);
    const shown = words(res.text);
    expect(shown).to.include('Enter the position title offered.');
    expect(shown).to.include('offer-letter.pdf was not saved, because of the errors above: choose the file again (a browser cannot keep a chosen file).');
    expect(res.text).to.match(/id="f-offer_letter-error"/);
    expect(res.text).to.include('value="45,000,000 VND"');
    expect(await stored()).to.deep.equal(before);
    expect((await Case.findById(c._id).lean())!.version).to.equal(v0);
    expect((await filesUnder(uploadDir)).some((f) => f.startsWith('.tmp')), 'no temporary file left').to.equal(false);
    // In Vietnamese for a Vietnamese officer; without a file chosen, nothing is said about one.
    const vi = await send(await signedIn(hrVi), c, { ...terms, offerPosition: '' }, { buf: letter, name: 'thu-moi.pdf' });
    expect(words(vi.text)).to.include('Tệp thu-moi.pdf chưa được lưu vì các lỗi ở trên: hãy chọn lại tệp (trình duyệt không giữ được tệp đã chọn).');
    const noFile = await send(await signedIn(hr), c, { ...terms, offerPosition: '' });
    expect(noFile.status).to.equal(422);
    expect(noFile.text).not.to.match(/id="f-offer_letter-error"/);
  });

  // trust-fix #5: a letter stored just before a process kill (its record written, the case's offer
  // never naming it) stayed on disk and in the database forever: the sweep only looked for files no
  // record names. Now the orphan sweep removes, after the grace, offer letters no offer names.
  it('the start-up sweep removes, after the grace, an offer letter a killed process stored that no offer names (record and file); a named letter and a fresh one stay', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await offered(applicant);
    const h = await signedIn(hr);
    expect((await send(h, c, terms, { buf: letter, name: 'offer-letter.pdf' })).status).to.equal(303);
    const named = (await Case.findById(c._id).lean())!.offerTerms!.letter!;
    expect((await CaseDocument.findById(named).lean())!.offerPending, 'the named letter is no longer the sweep’s').to.equal(undefined);

    // The letter as the save stores it, then the process is killed: the case's update never comes.
    const store = documentStores(t.ctx).current;
    const killedSave = async (words: string) => {
      const pdf = await makePdf(words);
      const tempPath = path.join(uploadTempDir(t.ctx.config), `${newStorageKey()}.part`);
      await mkdir(path.dirname(tempPath), { recursive: true });
      await writeFile(tempPath, pdf);
      return storeOfferLetter(store, { tempPath, name: 'offer-letter.pdf', mimeType: 'application/pdf', size: pdf.length, sha256: sha256(pdf) }, { caseId: c._id, actor: hr._id, now: new Date() });
    };
    const orphan = await killedSave('Offer letter written just before a kill');
    const fresh = await killedSave('Offer letter of a save still running on another instance');
    // A letter the offer names, whose mark the killed process had no time to clear.
    const unclearedNamed = await killedSave('Offer letter named, mark not cleared');
    await Case.updateOne({ _id: c._id }, { $set: { 'offerTerms.letter': unclearedNamed._id } });
    // Written longer ago than the grace (the fresh one is within it).
    const old = new Date(Date.now() - GRIDFS_GRACE_MS - 60_000);
    await CaseDocument.collection.updateMany({ _id: { $in: [orphan._id, unclearedNamed._id, named] } }, { $set: { createdAt: old } });
    expect(await store.exists(orphan.storageKey)).to.equal(true);
    // Killed sooner: the letter's file written, not even its record.
    const loose = newStorageKey();
    const looseTemp = path.join(uploadTempDir(t.ctx.config), `${loose}.part`);
    await writeFile(looseTemp, letter);
    await store.put(looseTemp, loose, { contentType: 'application/pdf', sha256: sha256(letter) });
    await utimes((store as DiskStorage).pathOf(loose), old, old);

    const swept = await sweepOnStart(t.ctx, new Date());
    expect(await store.exists(loose), 'the file with no record').to.equal(false);
    expect(await CaseDocument.exists({ _id: orphan._id }), 'the orphan’s record').to.equal(null);
    expect(await store.exists(orphan.storageKey), 'the orphan’s file').to.equal(false);
    expect(await AuditEvent.countDocuments({ action: 'document.orphan_removed', targetId: String(orphan._id) }), 'its removal is audited').to.equal(1);
    expect(swept.offerLetters.removed).to.be.at.least(1);
    for (const [what, d] of [['within the grace', fresh], ['named by the offer', unclearedNamed]] as const) {
      expect(await CaseDocument.exists({ _id: d._id }), what).not.to.equal(null);
      expect(await store.exists(d.storageKey), what).to.equal(true);
    }
    const firstLetter = (await CaseDocument.findById(named).lean())!;
    expect(await store.exists(firstLetter.storageKey), 'the letter named before stays').to.equal(true);
    expect((await CaseDocument.findById(unclearedNamed._id).lean())!.offerPending, 'a named letter is unmarked').to.equal(undefined);
    // The named letter still downloads for HR.
    const got = await h.get(`/documents/${unclearedNamed._id}/download`);
    expect(got.status).to.equal(200);
  });

  // Security review s32: the sweep checked that no offer names a letter, then removed it; a save
  // between the two (another instance whose clock is behind by more than the grace, or a process
  // paused that long between the letter's record and the case's update) named a removed letter.
  it('a sweep that removes an unnamed letter wins over a save that read the case before: that save can no longer name it (its update conflicts)', async () => {
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await offered(applicant);
    const store = documentStores(t.ctx).current;
    const pdf = await makePdf('Offer letter of a save paused past the grace');
    const tempPath = path.join(uploadTempDir(t.ctx.config), `${newStorageKey()}.part`);
    await mkdir(path.dirname(tempPath), { recursive: true });
    await writeFile(tempPath, pdf);
    // The save as offer-terms.ts runs it: the case read, then the letter stored (marked)…
    const read = (await Case.findById(c._id).lean())!;
    const stored = await storeOfferLetter(store, { tempPath, name: 'offer-letter.pdf', mimeType: 'application/pdf', size: pdf.length, sha256: sha256(pdf) }, { caseId: c._id, actor: hr._id, now: new Date() });
    await CaseDocument.collection.updateOne({ _id: stored._id }, { $set: { createdAt: new Date(Date.now() - GRIDFS_GRACE_MS - 60_000) } });
    // …another instance's start-up sweep runs before its case update…
    await sweepOnStart(t.ctx, new Date());
    expect(await CaseDocument.exists({ _id: stored._id }), 'the unnamed letter is removed').to.equal(null);
    // …which is the offer's own update, on the version it read: it must match nothing now.
    const named = await Case.findOneAndUpdate({ _id: c._id, stage: read.stage, version: read.version }, { $set: { 'offerTerms.letter': stored._id }, $inc: { version: 1 } }, { returnDocument: 'after' });
    expect(named, 'the offer names a removed letter').to.equal(null);
    // The case itself is as it was but for its version (no offer names anything it does not have).
    const after = (await Case.findById(c._id).lean())!;
    expect(String(after.offerTerms?.letter ?? '')).to.equal(String(read.offerTerms?.letter ?? ''));
    expect(after.version).to.equal(read.version + 1);
  });
});
