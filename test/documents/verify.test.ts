// HR verification (accept / reject with a reason and an e-mail), the workflow guard, validity
// windows and flags, expiry reminders, the per-user upload rate limit and the virus-scanner hook.
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent, type Agent } from '../support/http.ts';
import { createInstitute, createUser, signIn } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { CaseDocument } from '../../models/document.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import type { CallDoc } from '../../models/call.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import type { UserDoc } from '../../models/user.ts';
import type { InstituteDoc } from '../../models/institute.ts';
import { dispatchOnce } from '../../server/outbox/index.ts';
import { actorContext } from '../workflow/context.ts';
import { transition } from '../../server/workflow/index.ts';
import { documentFlags, requiredDocumentsAccepted } from '../../server/documents/index.ts';
import { checklistForCase } from '../../server/documents/present.ts';
import { runDocumentExpiryReminders } from '../../server/documents/reminders.ts';
import { passportRequiredUntil, validityOf, validityWords } from '../../server/documents/validity.ts';
import { filesUnder, makePdf, makePng, signedInWithToken, tokenOf } from './support.ts';

const DAY = 86_400_000;
const iso = (d: Date) => d.toISOString().slice(0, 10);
const daysAgo = (n: number) => new Date(Date.now() - n * DAY);
const daysAhead = (n: number) => new Date(Date.now() + n * DAY);

describe('documents: validity windows (pure rules)', () => {
  const now = new Date('2026-06-01T00:00:00Z');
  it('a health certificate counts 12 months from issue, a criminal record 6', () => {
    expect(validityOf({ type: 'health_certificate', issuedAt: new Date('2025-05-01') }, undefined, now)).to.equal('expired');
    expect(validityOf({ type: 'health_certificate', issuedAt: new Date('2025-06-20') }, undefined, now)).to.equal('expiring');
    expect(validityOf({ type: 'health_certificate', issuedAt: new Date('2026-01-01') }, undefined, now)).to.equal('ok');
    expect(validityOf({ type: 'criminal_record', issuedAt: new Date('2025-11-15') }, undefined, now)).to.equal('expired');
    expect(validityOf({ type: 'criminal_record', issuedAt: new Date('2025-12-20') }, undefined, now)).to.equal('expiring');
    expect(validityOf({ type: 'criminal_record', issuedAt: new Date('2026-04-01') }, undefined, now)).to.equal('ok');
  });
  it('a passport must outlast the residence card (else planned arrival + 2 years) by 30 days', () => {
    const c = { profile: { plannedArrival: new Date('2026-09-01') } };
    expect(iso(passportRequiredUntil(c, now))).to.equal('2028-10-01');
    expect(validityOf({ type: 'passport', expiresAt: new Date('2028-09-15') }, c, now)).to.equal('too_short');
    expect(validityOf({ type: 'passport', expiresAt: new Date('2030-01-01') }, c, now)).to.equal('ok');
    expect(validityOf({ type: 'passport', expiresAt: new Date('2026-05-01') }, c, now)).to.equal('expired');
    const withCard = { ...c, residenceCardEndsAt: new Date('2031-01-01') };
    expect(validityOf({ type: 'passport', expiresAt: new Date('2030-01-01') }, withCard, now)).to.equal('too_short');
  });
  it('says until when a short passport must be valid, and why: the card when the case records one, else the stay from the planned arrival', () => {
    const c = { profile: { plannedArrival: new Date('2026-09-01') } };
    const short = { type: 'passport', expiresAt: new Date('2028-09-15') };
    const stay = validityWords(short, c, now, 'too_short');
    expect(stay.key).to.equal('too_short_stay');
    expect([iso(stay.required!), iso(stay.from!)]).to.deep.equal(['2028-10-01', '2026-09-01']);
    const card = validityWords({ type: 'passport', expiresAt: new Date('2030-01-01') }, { ...c, residenceCardEndsAt: new Date('2031-01-01') }, now, 'too_short');
    expect(card).to.deep.include({ key: 'too_short_card', from: undefined });
    expect(iso(card.required!)).to.equal('2031-01-31');
    expect(validityWords(short, c, now, 'expired')).to.deep.equal({ key: 'expired' });
  });
});

describe('documents: verification, guard, validity, reminders', function () {
  this.timeout(60_000);
  let t: TestApp;
  // Every e-mail owed, however many earlier tests left in the shared database (one batch may not reach this test's own).
  const dispatchAll = async () => {
    for (let i = 0; i < 50; i++) {
      const r = await dispatchOnce(t.ctx, { owner: 'test' });
      if (r.sent + r.retried + r.dead === 0) break;
    }
  };
  let uploadDir: string;
  let institute: InstituteDoc;
  let call: CallDoc;
  let applicant: UserDoc;
  let hr: UserDoc;
  let otherHr: UserDoc;
  let caseDoc: CaseDoc;
  let a: Agent;
  let h: Agent;
  let token: string;
  let hrToken: string;

  before(async () => {
    uploadDir = path.resolve(`data/test/uploads-verify-${process.pid}`);
    t = await startTestApp({ env: { UPLOAD_DIR: uploadDir, UPLOAD_RATE_PER_HOUR: '1000' } });
    institute = await createInstitute();
    call = await createCall({
      institute,
      checklist: [
        { type: 'cv', phase: 'application', required: true },
        { type: 'passport', phase: 'application', required: true },
        { type: 'recommendation_letter', phase: 'application', required: false, multiple: true },
        { type: 'health_certificate', phase: 'onboarding', required: true },
        { type: 'criminal_record', phase: 'onboarding', required: true },
      ] as never,
    });
    applicant = await createUser({ role: 'applicant', locale: 'vi' });
    hr = await createUser({ role: 'hr_officer', institute });
    otherHr = await createUser({ role: 'hr_officer' });
    caseDoc = await createCase({ applicant, call, stage: 'screening', profile: { fullName: 'Trần Thị Bình', nationality: 'FR', highestDegree: 'phd', field: 'Physics', dateOfBirth: new Date('1980-01-01'), plannedArrival: daysAhead(60) } as never });
    ({ agent: a, token } = await signedInWithToken(t.app, applicant));
    ({ agent: h, token: hrToken } = await signedInWithToken(t.app, hr));
  });
  after(async () => {
    await t?.close();
    await rm(uploadDir, { recursive: true, force: true });
  });

  const upload = (caseId = caseDoc._id) => a.post(`/cases/${caseId}/documents`).field('_csrf', token).set('Accept', 'application/json');
  const verify = (ag: Agent, tok: string, id: string, body: Record<string, string>) => ag.post(`/documents/${id}/verify`).set('Accept', 'application/json').type('form').send({ _csrf: tok, ...body });

  let cvId: string;
  let passportId: string;

  it('the guard refuses to send the case to evaluation until every required document is accepted', async () => {
    const res = await upload().attach('cv', await makePdf('CV'), 'cv.pdf').field('passport_expiresAt', iso(daysAhead(3650))).attach('passport', makePng(), 'passport.png');
    expect(res.status, res.text).to.equal(201);
    [cvId, passportId] = ['cv', 'passport'].map((ty) => (res.body.documents as Array<{ type: string; id: string }>).find((d) => d.type === ty)!.id) as [string, string];
    expect(await requiredDocumentsAccepted(caseDoc, call, 'application')).to.equal(false);
    const fresh = await Case.findById(caseDoc._id);
    let refused: unknown;
    try {
      await transition({ app: t.ctx, ctx: actorContext(t.ctx, hr), caseId: String(caseDoc._id), action: 'send_to_evaluation', expectedVersion: fresh!.version });
    } catch (err) {
      refused = err;
    }
    expect(refused, 'transition refused').to.have.property('status', 422);
  });

  it('HR rejects a file with a reason: the item reopens and the applicant gets an e-mail in Vietnamese', async () => {
    const res = await verify(h, hrToken, passportId, { decision: 'reject', reason: 'Ảnh trang hộ chiếu bị mờ, vui lòng chụp lại.' });
    expect(res.status, res.text).to.equal(200);
    const d = await CaseDocument.findById(passportId);
    expect(d!.status).to.equal('rejected');
    expect(d!.reason).to.equal('Ảnh trang hộ chiếu bị mờ, vui lòng chụp lại.');
    const c = await Case.findById(caseDoc._id);
    const item = c!.outbox.find((o) => o.template === 'document_rejected');
    expect(item, 'outbox item').to.not.equal(undefined);
    expect(item!.locale).to.equal('vi');
    await dispatchAll();
    const mail = await t.smtp.waitForTo(applicant.email, /Giấy tờ chưa được chấp nhận/);
    expect(mail.subject).to.include('Hộ chiếu');
    expect(mail.text).to.include('Ảnh trang hộ chiếu bị mờ');
    expect(mail.text).to.include(`/applications/${caseDoc._id}`);
    const view = await checklistForCase(caseDoc, call, applicant);
    const passport = view.items.find((i) => i.type === 'passport')!;
    expect(passport.state).to.equal('rejected');
    expect(passport.current[0]!.reason).to.include('bị mờ');
    expect(passport.uploadField, 'the applicant may upload again').to.equal('passport');
    // "What happens now" starts with what they must do, in their language, linking to the documents.
    const mine = await a.get(`/applications/${caseDoc._id}`).set('Accept', 'text/html');
    expect(mine.text).to.include('data-next-action');
    expect(mine.text).to.match(/Cần làm: gửi phiên bản mới của Hộ chiếu; lý do được ghi bên cạnh\./);
    expect(await AuditEvent.countDocuments({ action: 'document.verify', targetId: passportId })).to.equal(1);
  });

  it('refuses a rejection without a reason, a second decision, and people who may not verify', async () => {
    const noReason = await verify(h, hrToken, cvId, { decision: 'reject', reason: '  ' });
    expect(noReason.status).to.equal(422);
    // Zero-width spaces alone would reach the applicant as a blank reason.
    expect((await verify(h, hrToken, cvId, { decision: 'reject', reason: '\u200B\u2060\u200B' })).status).to.equal(422);
    // From the page: the case page again (422), the file's form with what to fix beside the reason
    // field and the reason as typed (it went back to the page top before, the text lost).
    const html = await h.post(`/documents/${cvId}/verify`).set('Accept', 'text/html').type('form').send({ _csrf: hrToken, decision: 'reject', reason: '   ' });
    expect(html.status).to.equal(422);
    expect(html.text).to.include(`id="reason-${cvId}-error">Give a reason for the rejection`);
    expect(html.text).to.include(`aria-describedby="reason-${cvId}-error"`);
    const typed = await h.post(`/documents/${cvId}/verify`).set('Accept', 'text/html').type('form').send({ _csrf: hrToken, decision: 'reject', reason: `Blurred\u202E scan` });
    expect(typed.status).to.equal(422);
    expect(typed.text).to.include(`Blurred\u202E scan</textarea>`);
    // That refusal left /documents/:id/verify in the address bar: reloaded, it is the case's documents
    // (it was "Not found"), for HR only.
    const reload = await h.get(`/documents/${cvId}/verify`).set('Accept', 'text/html');
    expect(reload.status).to.equal(303);
    expect(reload.headers.location).to.equal(`/cases/${caseDoc._id}#documents`);
    expect((await a.get(`/documents/${cvId}/verify`).set('Accept', 'text/html')).status, 'applicant').to.equal(403);
    expect((await CaseDocument.findById(cvId))!.status).to.equal('pending');
    const again = await verify(h, hrToken, passportId, { decision: 'accept' });
    expect(again.status).to.equal(409);
    expect((await verify(a, token, cvId, { decision: 'accept' })).status, 'applicant').to.equal(403);
    const o = agent(t.app);
    await signIn(o, otherHr);
    // Another institute's officer does not learn that the document exists (404, as for its case).
    expect((await verify(o, await tokenOf(o), cvId, { decision: 'accept' })).status, 'HR of another institute').to.equal(404);
    expect((await CaseDocument.findById(cvId))!.status).to.equal('pending');
  });

  it('a new version after the rejection, accepted by HR, opens the way to evaluation', async () => {
    const res = await upload().field('passport_expiresAt', iso(daysAhead(3650))).attach('passport', await makePdf('Passport, sharper scan'), 'passport-2.pdf');
    expect(res.status, res.text).to.equal(201);
    const v2 = res.body.documents[0];
    expect(v2.version).to.equal(2);
    expect((await CaseDocument.findById(passportId))!.current).to.equal(false);
    expect((await verify(h, hrToken, v2.id, { decision: 'accept' })).status).to.equal(200);
    expect(await requiredDocumentsAccepted(caseDoc, call, 'application')).to.equal(false);
    expect((await verify(h, hrToken, cvId, { decision: 'accept' })).status).to.equal(200);
    expect(await requiredDocumentsAccepted(caseDoc, call, 'application')).to.equal(true);
    const fresh = await Case.findById(caseDoc._id);
    const moved = await transition({ app: t.ctx, ctx: actorContext(t.ctx, hr), caseId: String(caseDoc._id), action: 'send_to_evaluation', expectedVersion: fresh!.version });
    expect(moved.stage).to.equal('evaluation');
    // An accepted, valid file is settled.
    const locked = await upload().attach('cv', await makePdf('CV again'), 'cv.pdf');
    expect(locked.status).to.equal(409);
    expect(locked.body.error.message).to.match(/đã được chấp nhận/);
  });

  it('HR changes a decision with a reason the applicant is told: a rejection made in error is accepted after all, an acceptance found wrong is rejected after all', async () => {
    const second = await createCase({ applicant, call, stage: 'screening', profile: { fullName: 'Trần Thị Bình', plannedArrival: daysAhead(60) } as never });
    const res = await upload(second._id).attach('cv', await makePdf('CV'), 'cv-second.pdf');
    expect(res.status, res.text).to.equal(201);
    const id = res.body.documents[0].id as string;
    expect((await verify(h, hrToken, id, { decision: 'reject', reason: 'Thiếu trang 2.' })).status).to.equal(200);

    // HR's case page offers the change; the applicant's page does not.
    const hrPage = await h.get(`/cases/${second._id}`);
    expect(hrPage.text).to.include('data-reconsider');
    expect(hrPage.text).to.include('<input type="hidden" name="from" value="rejected">');
    expect((await a.get(`/applications/${second._id}`)).text).not.to.include('data-reconsider');

    // Without a reason, or the same decision again: refused, nothing changed.
    const blank = await verify(h, hrToken, id, { decision: 'accept', from: 'rejected', reason: ' ' });
    expect(blank.status).to.equal(422);
    expect(blank.body.error.message).to.equal('Give the reason for changing the decision: the applicant will read it.');
    // From the page: "Change the decision" comes back open, what to fix beside the field.
    const page = await h.post(`/documents/${id}/verify`).set('Accept', 'text/html').type('form').send({ _csrf: hrToken, decision: 'accept', from: 'rejected', reason: ' ' });
    expect(page.status).to.equal(422);
    expect(page.text).to.include('data-reconsider open');
    expect(page.text).to.include(`id="reconsider-${id}-error">Give the reason for changing the decision`);
    expect((await verify(h, hrToken, id, { decision: 'reject', from: 'rejected', reason: 'again' })).status).to.equal(422);
    expect((await verify(h, hrToken, id, { decision: 'accept', from: 'rejected', reason: 'bad\u202Etext' })).status).to.equal(422);
    expect((await CaseDocument.findById(id))!.status).to.equal('rejected');

    expect((await verify(h, hrToken, id, { decision: 'accept', from: 'rejected', reason: 'Trang 2 nằm ở cuối tệp, chúng tôi đã bỏ sót.' })).status).to.equal(200);
    let d = (await CaseDocument.findById(id))!;
    expect(d.status).to.equal('accepted');
    expect(d.reason ?? undefined).to.equal(undefined);
    await dispatchAll();
    const accepted = await t.smtp.waitForTo(applicant.email, /Giấy tờ được chấp nhận sau khi xem lại/);
    expect(accepted.text).to.include('cv-second.pdf');
    expect(accepted.text).to.include('Ông/Bà không cần gửi phiên bản mới');
    expect(accepted.text).to.include('Từ bộ phận nhân sự: Trang 2 nằm ở cuối tệp');
    const view = await checklistForCase(second, call, applicant);
    const cv = view.items.find((i) => i.type === 'cv')!;
    expect(cv.state).to.equal('accepted');
    expect(cv.uploadField, 'no new version asked for').to.equal(undefined);
    // A second tab's form, built when it was still rejected: a conflict, nothing sent twice.
    expect((await verify(h, hrToken, id, { decision: 'accept', from: 'rejected', reason: 'Trang 2 nằm ở cuối tệp.' })).status).to.equal(409);

    // Found wrong later: rejected after all, and the applicant is asked for a new version again.
    expect((await verify(h, hrToken, id, { decision: 'reject', from: 'accepted', reason: 'Bản CV đã quá 2 năm, vui lòng gửi bản mới.' })).status).to.equal(200);
    d = (await CaseDocument.findById(id))!;
    expect(d.status).to.equal('rejected');
    expect(d.reason).to.equal('Bản CV đã quá 2 năm, vui lòng gửi bản mới.');
    await dispatchAll();
    const rejected = await t.smtp.waitFor((m) => m.to.includes(applicant.email.toLowerCase()) && m.text.includes('quá 2 năm'));
    expect(rejected.text).to.include('Bản CV đã quá 2 năm');
    expect(rejected.text).to.include('Quyết định này thay cho việc chấp nhận giấy tờ này trước đây.');
    const audits = await AuditEvent.find({ action: 'document.verify', targetId: id }).sort({ at: 1 }).lean();
    expect(audits.map((e) => [(e.summary as { decision: string }).decision, (e.summary as { changedFrom?: string }).changedFrom ?? null])).to.deep.equal([
      ['reject', null],
      ['accept', 'rejected'],
      ['reject', 'accepted'],
    ]);
  });

  describe('validity on upload, flags for the case and the queue', () => {
    let onboarding: CaseDoc;
    before(async () => {
      onboarding = await createCase({
        applicant,
        call,
        stage: 'onboarding',
        profile: { fullName: 'Trần Thị Bình', plannedArrival: daysAhead(30) } as never,
        supportTracks: [{ kind: 'work_permit', status: 'requested', updatedAt: new Date() }] as never,
      });
    });

    const refusals: Array<[string, () => Promise<Record<string, string | Buffer>>, RegExp]> = [
      ['a health certificate without its date of issue', async () => ({ health_certificate: await makePdf('HC') }), /Hãy nhập ngày cấp/],
      ['a health certificate issued 13 months ago', async () => ({ health_certificate: await makePdf('HC'), health_certificate_issuedAt: iso(daysAgo(400)) }), /hơn 12 tháng/],
      ['a criminal record certificate issued 7 months ago', async () => ({ criminal_record: await makePdf('CR'), criminal_record_issuedAt: iso(daysAgo(215)) }), /hơn 6 tháng/],
      ['a certificate issued in the future', async () => ({ criminal_record: await makePdf('CR'), criminal_record_issuedAt: iso(daysAhead(10)) }), /ở tương lai/],
      ['an expired passport', async () => ({ passport: await makePdf('P'), passport_expiresAt: iso(daysAgo(1)) }), /đã hết hạn/],
      ['a malformed date', async () => ({ passport: await makePdf('P'), passport_expiresAt: '31.12.2030' }), /Giá trị nhập cho ngày hết hạn của “Hộ chiếu” không phải là một ngày: hãy nhập theo dạng ngày\/tháng\/năm, ví dụ 05\/12\/2026/],
      // Each says what is wrong: 2031-02-30 is written right but is no day; 9999-01-01 is a day, in no document's years.
      ['a day not on the calendar', async () => ({ passport: await makePdf('P'), passport_expiresAt: '2031-02-30' }), /không có trên lịch/],
      ['a year no document has', async () => ({ passport: await makePdf('P'), passport_expiresAt: '9999-01-01' }), /từ năm 1900 đến năm 2199/],
    ];
    for (const [name, build, message] of refusals) {
      it(`refuses ${name}`, async () => {
        const before = await CaseDocument.countDocuments({ case: onboarding._id });
        let r = upload(onboarding._id);
        for (const [k, v] of Object.entries(await build())) r = Buffer.isBuffer(v) ? r.attach(k, v, `${k}.pdf`) : r.field(k, v);
        const res = await r;
        expect(res.status, res.text).to.equal(422);
        expect(res.body.error.message).to.match(message);
        expect(await CaseDocument.countDocuments({ case: onboarding._id })).to.equal(before);
        expect((await filesUnder(path.join(uploadDir, '.tmp'))).length).to.equal(0);
      });
    }

    it('flags a passport not valid long enough and a certificate about to expire, on the case and in the queue', async () => {
      const res = await upload(onboarding._id)
        .field('passport_expiresAt', iso(daysAhead(400)))
        .attach('passport', await makePdf('P'), 'passport.pdf')
        .field('health_certificate_issuedAt', iso(daysAgo(345)))
        .attach('health_certificate', await makePdf('HC'), 'health.pdf')
        .field('criminal_record_issuedAt', iso(daysAgo(10)))
        .attach('criminal_record', await makePdf('CR'), 'record.pdf');
      expect(res.status, res.text).to.equal(201);
      const flags = await documentFlags([onboarding, caseDoc]);
      // The three files just uploaded also wait for HR's check.
      // The passport is valid today, only not long enough: said so, not "expired".
      expect(flags.get(String(onboarding._id))).to.deep.equal({ expired: 0, tooShort: 1, expiring: 1, pending: 3 });
      expect(flags.has(String(caseDoc._id))).to.equal(false);
      const view = await checklistForCase(onboarding, call, hr);
      expect(view.items.find((i) => i.type === 'passport')!.state).to.equal('too_short');
      expect(view.items.find((i) => i.type === 'passport')!.current[0]!.validity).to.equal('too_short');
      // The page names the date it must reach, not a residence card the case may not have.
      const page = await h.get(`/cases/${onboarding._id}`);
      const line = page.text.match(/<span class="doc-valid validity-too_short"[^>]*>([^<]*)<\/span>/)?.[1];
      expect(line).to.match(/^Valid only until \d{1,2} [A-Z][a-z]{2} \d{4}: it must be valid until \d{1,2} [A-Z][a-z]{2} \d{4} \(a work permit&#x27;s longest term, 2 years from /);
      expect(view.items.find((i) => i.type === 'health_certificate')!.expiring).to.equal(true);
      expect(view.counts).to.include({ expired: 0, tooShort: 1, expiring: 1 });
    });

    it('reminds the applicant once, 30 days before a document needed for a pending support track expires', async () => {
      const first = await runDocumentExpiryReminders(t.ctx, new Date());
      expect(first.sent).to.equal(1);
      const second = await runDocumentExpiryReminders(t.ctx, new Date());
      expect(second.sent).to.equal(0);
      await dispatchAll();
      const mail = await t.smtp.waitForTo(applicant.email, /Giấy chứng nhận sức khỏe của Ông\/Bà hết hạn/);
      expect(mail.text).to.include('thủ tục hỗ trợ');
      expect(mail.text).to.include(`/applications/${onboarding._id}`);
    });
  });
});

describe('documents: per-user upload rate limit', function () {
  this.timeout(30_000);
  let t: TestApp;
  const uploadDir = path.resolve(`data/test/uploads-rate-${process.pid}`);
  after(async () => {
    await t?.close();
    await rm(uploadDir, { recursive: true, force: true });
  });
  it('refuses the upload after the hourly allowance with 429 and a clear message; attempts on a case not theirs count', async () => {
    t = await startTestApp({ env: { UPLOAD_DIR: uploadDir, UPLOAD_RATE_PER_HOUR: '3' } });
    const institute = await createInstitute();
    const call = await createCall({ institute, checklist: [{ type: 'recommendation_letter', phase: 'application', multiple: true }] as never });
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await createCase({ applicant, call });
    const someoneElses = await createCase({ applicant: await createUser({ role: 'applicant' }), call });
    const a = agent(t.app);
    await signIn(a, applicant);
    const token = await tokenOf(a);
    const pdf = await makePdf('letter');
    // The allowance is counted while the case is read, so probing other people's cases uses it up too.
    const probe = await a.post(`/cases/${someoneElses._id}/documents`).field('_csrf', token).set('Accept', 'application/json').attach('recommendation_letter', pdf, 'l.pdf');
    expect(probe.status).to.equal(404);
    expect(await CaseDocument.countDocuments({ case: someoneElses._id })).to.equal(0);
    for (let i = 0; i < 2; i++) {
      const ok = await a.post(`/cases/${c._id}/documents`).field('_csrf', token).set('Accept', 'application/json').attach('recommendation_letter', pdf, 'l.pdf');
      expect(ok.status).to.equal(201);
    }
    const res = await a.post(`/cases/${c._id}/documents`).field('_csrf', token).set('Accept', 'application/json').attach('recommendation_letter', pdf, 'l.pdf');
    expect(res.status).to.equal(429);
    expect(res.body.error.message).to.match(/Too many uploads/);
    expect(Number(res.headers['retry-after'])).to.be.greaterThan(0);
    expect(await CaseDocument.countDocuments({ case: c._id })).to.equal(2);
    // Another user is not affected.
    const other = await createUser({ role: 'applicant', locale: 'en' });
    const c2 = await createCase({ applicant: other, call });
    const b = agent(t.app);
    await signIn(b, other);
    const res2 = await b.post(`/cases/${c2._id}/documents`).field('_csrf', await tokenOf(b)).set('Accept', 'application/json').attach('recommendation_letter', pdf, 'l.pdf');
    expect(res2.status).to.equal(201);
  });
});

describe('documents: virus scanner hook', function () {
  this.timeout(60_000);
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'fake-scanner-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function scenario(scanner: string, files: Array<[string, Buffer]>) {
    const uploadDir = path.join(dir, `uploads-${path.basename(scanner)}`);
    const t = await startTestApp({ env: { UPLOAD_DIR: uploadDir, CLAMDSCAN_PATH: scanner, UPLOAD_RATE_PER_HOUR: '1000' } });
    try {
      const institute = await createInstitute();
      const call = await createCall({ institute, checklist: [{ type: 'cv', phase: 'application' }] as never });
      const applicant = await createUser({ role: 'applicant', locale: 'en' });
      const c = await createCase({ applicant, call });
      const a = agent(t.app);
      await signIn(a, applicant);
      const token = await tokenOf(a);
      const results = [];
      for (const [name, buf] of files) {
        const res = await a.post(`/cases/${c._id}/documents`).field('_csrf', token).set('Accept', 'application/json').attach('cv', buf, name);
        results.push({ status: res.status, message: res.body.error?.message as string | undefined, docs: await CaseDocument.countDocuments({ case: c._id }), files: await filesUnder(uploadDir) });
      }
      return results;
    } finally {
      await t.close();
    }
  }

  it('refuses a file the scanner flags (exit 1), accepts a clean one, and fails closed when the scanner fails', async () => {
    const fake = path.join(dir, 'fake-clamdscan');
    // Flags any file containing the marker, like clamdscan --no-summary --stdout: "<file>: <sig> FOUND", exit 1.
    await writeFile(fake, '#!/bin/sh\nfor f; do :; done\nif grep -q "TEST-VIRUS-MARKER" "$f"; then echo "$f: Test.Marker FOUND"; exit 1; fi\necho "$f: OK"\nexit 0\n');
    await chmod(fake, 0o755);
    const infected = await makePdf('infected', { tail: '%TEST-VIRUS-MARKER\n' });
    const [bad, good] = await scenario(fake, [
      ['infected.pdf', infected],
      ['clean.pdf', await makePdf('clean')],
    ]);
    expect(bad!.status).to.equal(422);
    expect(bad!.message).to.match(/“infected\.pdf” was refused by the virus scanner/);
    expect(bad!.docs).to.equal(0);
    expect(bad!.files).to.deep.equal([]);
    expect(good!.status).to.equal(201);
    expect(good!.docs).to.equal(1);

    const broken = path.join(dir, 'broken-scanner');
    await writeFile(broken, '#!/bin/sh\necho "cannot connect to clamd" >&2\nexit 2\n');
    await chmod(broken, 0o755);
    const [failed] = await scenario(broken, [['clean.pdf', await makePdf('clean')]]);
    expect(failed!.status).to.equal(503);
    expect(failed!.message).to.match(/could not be checked for viruses/);
    expect(failed!.docs).to.equal(0);
    expect(failed!.files).to.deep.equal([]);
  });

  it('works with ClamAV itself and a custom signature database (when clamscan is installed)', async function () {
    const has = spawnSync('sh', ['-c', 'command -v clamscan && command -v sigtool'], { encoding: 'utf8' });
    if (has.status !== 0) this.skip();
    const infected = await makePdf('infected by signature', { tail: '%CLAMAV-CUSTOM-SIGNATURE-TEST\n' });
    const sample = path.join(dir, 'sample.pdf');
    await writeFile(sample, infected);
    const sig = spawnSync('sigtool', ['--md5', sample], { encoding: 'utf8' });
    expect(sig.status).to.equal(0);
    await writeFile(path.join(dir, 'custom.hdb'), sig.stdout);
    const wrapper = path.join(dir, 'clamscan-custom');
    await writeFile(wrapper, `#!/bin/sh\nexec clamscan -d "${path.join(dir, 'custom.hdb')}" "$@"\n`);
    await chmod(wrapper, 0o755);
    const [bad, good] = await scenario(wrapper, [
      ['infected.pdf', infected],
      ['clean.pdf', await makePdf('clean')],
    ]);
    expect(bad!.status).to.equal(422);
    expect(bad!.docs).to.equal(0);
    expect(good!.status).to.equal(201);
  });
});
