// The newest routes as an attacker and a privacy officer see them (review in /tmp/sec-report.md):
// the offer's terms and letter, the offer's answers, the planned start, an information request's
// answer with its file. Another institute's HR, a leader, another applicant: refused (404 where the
// case is not theirs to see, 403 where it is but the step is not theirs), nothing stored. Hostile
// multipart field names: 400, nothing stored, no prototype touched. The letter's download headers
// with a hostile file name; a letter HR prepared before the offer is "not found" to the applicant and
// absent from their data export; the expired-session page does not show a cross-site form's texts,
// nor bookkeeping fields, and is bounded. Real database, uploads on disk, the real pages and forms.
import { expect } from 'chai';
import type { TestApp } from '../support/app.ts';
import { useUploadTestApp } from '../support/app.ts';
import { agent, csrfFrom, type Agent } from '../support/http.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { CaseDocument } from '../../models/document.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { seedHolidays, loadCalendar, vnDateKey } from '../../server/calendar/index.ts';
import { transition } from '../../server/workflow/index.ts';
import { actorContext } from '../workflow/context.ts';
import { signedIn, page, versionIn, text } from '../applications/support.ts';
import { download, filesUnder, makePdf, sha256, tokenOf } from '../documents/support.ts';

describe('security: the newest routes (offer terms and letter, offer answers, planned start, answers with a file)', function () {
  this.timeout(90_000);
  let t!: TestApp;
  let uploadDir = '';
  useUploadTestApp('new-routes', (app, dir) => {
    t = app;
    uploadDir = dir;
  });
  let hr: UserDoc;
  let leader: UserDoc;
  let otherHr: UserDoc;
  let otherLeader: UserDoc;
  let call: CallDoc;
  let letter: Buffer;

  before(async () => {
    await seedHolidays();
    const institute = await createInstitute();
    hr = await createUser({ role: 'hr_officer', institute, locale: 'en' });
    leader = await createUser({ role: 'leader', institute, locale: 'en' });
    const elsewhere = await createInstitute();
    otherHr = await createUser({ role: 'hr_officer', institute: elsewhere, locale: 'en' });
    otherLeader = await createUser({ role: 'leader', institute: elsewhere, locale: 'en' });
    call = await createCall({ institute, checklist: [{ type: 'cv', phase: 'application', required: true }] as never });
    letter = await makePdf('Offer letter: Senior researcher');
  });

  /** Everything these routes could write on a case: the case itself, its documents, the files on disk. */
  async function snapshot(c: { _id: unknown }) {
    return {
      case: JSON.stringify(await Case.findById(c._id).lean()),
      docs: await CaseDocument.countDocuments({ case: c._id as never }),
      files: (await filesUnder(uploadDir)).filter((f) => !f.includes('.tmp')).length,
    };
  }

  async function offered(applicant: UserDoc): Promise<CaseDoc> {
    const c = await createCase({ applicant, call, stage: 'shortlisted', assignee: hr._id });
    return transition({ app: t.ctx, ctx: actorContext(t.ctx, leader), caseId: c._id, action: 'approve_offer', expectedVersion: c.version, payload: { note: 'Ranked first.' }, asDecision: true });
  }

  /** HR's offer-terms form, as the case page sends it (the rightful officer's, or anyone's with their own token). */
  async function sendTerms(a: Agent, c: CaseDoc, version: number, file?: { buf: Buffer; name: string }, extra: [string, string][] = []) {
    let req = a.post(`/cases/${c._id}/offer-terms`).set('Accept', 'text/html').field('_csrf', await tokenOf(a)).field('version', String(version)).field('offerPosition', 'Senior researcher').field('offerSalary', '45,000,000 VND');
    for (const [k, v] of extra) req = req.field(k, v);
    if (file) req = req.attach('offer_letter', file.buf, file.name);
    return req;
  }

  async function awaiting(applicant: UserDoc) {
    return createCase({
      applicant,
      call,
      assignee: hr._id,
      stage: 'awaiting_applicant',
      infoRequest: { items: ['Your CV, updated'], documentType: 'cv', dueAt: new Date(Date.now() + 14 * 86_400_000), requestedAt: new Date(), requestedBy: hr._id },
    });
  }

  describe('who may do what', () => {
    it("another institute's HR: every new route of the case is 'not found', nothing stored", async () => {
      const applicant = await createUser({ role: 'applicant', locale: 'en' });
      const c = await createCase({ applicant, call, stage: 'onboarding', assignee: hr._id, stageDueAt: new Date(Date.now() + 60 * 86_400_000) });
      const offer = await offered(await createUser({ role: 'applicant', locale: 'en' }));
      const screening = await createCase({ applicant: await createUser({ role: 'applicant' }), call, stage: 'screening', assignee: hr._id });
      const day = vnDateKey((await loadCalendar()).addWorkingDays(new Date(), 40));
      const stranger = await signedIn(t, otherHr);
      const token = await tokenOf(stranger);
      const before = [await snapshot(c), await snapshot(offer), await snapshot(screening)];

      const planned = await stranger.post(`/cases/${c._id}/planned-start`).type('form').set('Accept', 'text/html').send({ _csrf: token, version: String(c.version), plannedStart: day, plannedStartReason: 'Moved by a stranger' });
      expect(planned.status).to.equal(404);
      const terms = await sendTerms(stranger, offer, offer.version, { buf: letter, name: 'offer.pdf' });
      expect(terms.status).to.equal(404);
      const asked = await stranger.post(`/cases/${screening._id}/request-info`).type('form').set('Accept', 'text/html').send({ _csrf: token, version: String(screening.version), items: 'Your passport', dueAt: day, documentType: 'passport' });
      expect(asked.status).to.equal(404);
      expect((await page(stranger, `/cases/${screening._id}/request-info`)).status).to.equal(404);
      // The POST-only addresses reopened go to the case page, which is not theirs either.
      for (const url of [`/cases/${c._id}/planned-start`, `/cases/${offer._id}/offer-terms`]) {
        const reopened = await page(stranger, url);
        expect(reopened.status, url).to.equal(303);
        expect((await page(stranger, reopened.headers.location!)).status, url).to.equal(404);
      }

      expect([await snapshot(c), await snapshot(offer), await snapshot(screening)]).to.deep.equal(before);
    });

    it("a leader (read-only, of this institute or another) and the applicant may not set the terms or the start (403, the role's gate); nothing stored", async () => {
      const applicant = await createUser({ role: 'applicant', locale: 'en' });
      const offer = await offered(applicant);
      const before = await snapshot(offer);
      for (const [who, user, status] of [['leader', leader, 403], ['leader elsewhere', otherLeader, 403], ['applicant', applicant, 403]] as const) {
        const a = await signedIn(t, user);
        const res = await sendTerms(a, offer, offer.version, { buf: letter, name: 'offer.pdf' });
        expect(res.status, who).to.equal(status);
        const start = await a.post(`/cases/${offer._id}/planned-start`).type('form').set('Accept', 'text/html').send({ _csrf: await tokenOf(a), version: String(offer.version), plannedStart: '2031-01-06', plannedStartReason: 'x' });
        expect(start.status, who).to.equal(status);
      }
      expect(await snapshot(offer)).to.deep.equal(before);
      // The letter attached by HR: a leader of another institute is told it does not exist.
      const h = await signedIn(t, hr);
      expect((await sendTerms(h, offer, offer.version, { buf: letter, name: 'offer.pdf' })).status).to.equal(303);
      const doc = (await Case.findById(offer._id).lean())!.offerTerms!.letter!;
      expect((await download(await signedIn(t, otherLeader), `/documents/${doc}/download`)).status).to.equal(404);
      expect((await download(await signedIn(t, leader), `/documents/${doc}/download`)).status).to.equal(200);
    });

    it("another applicant: the answer (form and multipart) and the offer's answers of a case not theirs are 'not found', nothing stored", async () => {
      const owner = await createUser({ role: 'applicant', locale: 'en' });
      const asked = await awaiting(owner);
      const offer = await offered(owner);
      const other = await signedIn(t, await createUser({ role: 'applicant', locale: 'en' }));
      const token = await tokenOf(other);
      const before = [await snapshot(asked), await snapshot(offer)];

      const plain = await other.post(`/applications/${asked._id}/answer`).type('form').set('Accept', 'text/html').send({ _csrf: token, version: String(asked.version), answer: 'Not mine to answer' });
      expect(plain.status).to.equal(404);
      const multipart = await other
        .post(`/applications/${asked._id}/answer`)
        .set('Accept', 'text/html')
        .field('_csrf', token)
        .field('version', String(asked.version))
        .field('answer', 'Not mine to answer')
        .attach('cv', await makePdf('Planted CV'), 'cv.pdf');
      expect(multipart.status).to.equal(404);
      for (const answer of ['accept', 'decline']) {
        expect((await page(other, `/applications/${offer._id}/offer/${answer}`)).status, answer).to.equal(404);
        const res = await other.post(`/applications/${offer._id}/offer/${answer}`).type('form').set('Accept', 'text/html').send({ _csrf: token, version: String(offer.version), reason: 'Not mine' });
        expect(res.status, answer).to.equal(404);
      }
      // HR of the case's own institute is no applicant: the applicant's forms are not theirs.
      const h = await signedIn(t, hr);
      expect((await h.post(`/applications/${offer._id}/offer/accept`).type('form').set('Accept', 'text/html').send({ _csrf: await tokenOf(h), version: String(offer.version) })).status).to.equal(403);

      expect([await snapshot(asked), await snapshot(offer)]).to.deep.equal(before);
    });
  });

  describe('hostile multipart field names and shapes', () => {
    const HOSTILE = ['__proto__', 'constructor', 'prototype', 'constructor[prototype][polluted]', '__proto__[polluted]', '$where', 'answer.$', 'a.b', 'answer[x]', 'offerSalary[]'];

    it("the answer's upload form: each refused with 400 in the person's language, nothing stored, no prototype touched; a repeated answer is refused", async () => {
      const owner = await createUser({ role: 'applicant', locale: 'en' });
      const c = await awaiting(owner);
      const a = await signedIn(t, owner);
      const before = await snapshot(c);
      const cv = await makePdf('My CV');
      for (const name of HOSTILE) {
        const mine = await page(a, `/applications/${c._id}`);
        const res = await a
          .post(`/applications/${c._id}/answer`)
          .set('Accept', 'text/html')
          .field('_csrf', csrfFrom(mine.text))
          .field('version', versionIn(mine.text, `/applications/${c._id}/answer`))
          .field('answer', 'Here it is')
          .field(name, '1')
          .attach('cv', cv, 'cv.pdf');
        expect(res.status, name).to.equal(400);
        expect(text(res.text), name).to.include('field names that are not allowed');
        expect(({} as Record<string, unknown>).polluted, name).to.equal(undefined);
      }
      expect(await snapshot(c)).to.deep.equal(before);

      // Two texts under one name (a list where one text goes): refused, nothing stored.
      const mine = await page(a, `/applications/${c._id}`);
      const twice = await a
        .post(`/applications/${c._id}/answer`)
        .set('Accept', 'text/html')
        .field('_csrf', csrfFrom(mine.text))
        .field('version', versionIn(mine.text, `/applications/${c._id}/answer`))
        .field('answer', 'The first text')
        .field('answer', 'The second text')
        .attach('cv', cv, 'cv.pdf');
      // A field that holds one value, sent twice, is refused beside its box (422, as the url-encoded forms), not read as its first.
      expect(twice.status, twice.text.slice(0, 300)).to.equal(422);
      const after = (await Case.findById(c._id).lean())!;
      expect(after.infoRequest?.answer ?? null).to.equal(null);
      expect(await CaseDocument.countDocuments({ case: c._id, type: 'cv' })).to.equal(0);
    });

    it("the offer-terms form: dotted, bracketed and prototype names refused (400), nothing stored; a repeated term is refused", async () => {
      const applicant = await createUser({ role: 'applicant', locale: 'en' });
      const offer = await offered(applicant);
      const h = await signedIn(t, hr);
      const before = await snapshot(offer);
      for (const name of HOSTILE) {
        const res = await sendTerms(h, offer, offer.version, { buf: letter, name: 'offer.pdf' }, [[name, '1']]);
        expect(res.status, name).to.equal(400);
        expect(({} as Record<string, unknown>).polluted, name).to.equal(undefined);
      }
      expect(await snapshot(offer)).to.deep.equal(before);
      // A field that holds one value, sent twice, is refused beside its box (422, the form kept), nothing stored.
      const res = await sendTerms(h, offer, offer.version, undefined, [['offerStart', '2027-03-01'], ['offerStart', '2027-04-01']]);
      expect(res.status).to.equal(422);
      expect(await snapshot(offer)).to.deep.equal(before);
    });
  });

  describe('the offer letter', () => {
    it('is served as an attachment: the stored type, nosniff, a safe file name from a hostile one, never cached', async () => {
      const applicant = await createUser({ role: 'applicant', locale: 'en' });
      const offer = await offered(applicant);
      const h = await signedIn(t, hr);
      const hostile = 'Thư mời; filename=evil.html "x".pdf';
      expect((await sendTerms(h, offer, offer.version, { buf: letter, name: hostile })).status).to.equal(303);
      const doc = (await CaseDocument.findById((await Case.findById(offer._id).lean())!.offerTerms!.letter).lean())!;
      const got = await download(await signedIn(t, applicant), `/documents/${doc._id}/download`);
      expect(got.status).to.equal(200);
      expect(sha256(got.body as Buffer)).to.equal(sha256(letter));
      expect(got.headers['content-type']).to.equal('application/pdf');
      expect(got.headers['x-content-type-options']).to.equal('nosniff');
      expect(got.headers['cache-control']).to.equal('private, no-store');
      const disposition = String(got.headers['content-disposition']);
      expect(disposition).to.match(/^attachment; filename="[^";\\]*"; filename\*=UTF-8''[A-Za-z0-9%._~!-]+$/);
      // The name as stored, exactly, in its encoded form; the fallback has no quote or ; to break out with.
      expect(decodeURIComponent(disposition.split("filename*=UTF-8''")[1]!)).to.equal(doc.originalName);
      expect(doc.originalName).to.include('evil.html');
    });

    it("prepared before the offer: 'not found' to the applicant and absent from their export; both once the offer is made, with the terms", async () => {
      const applicant = await createUser({ role: 'applicant', locale: 'en' });
      const c = await createCase({ applicant, call, stage: 'shortlisted', assignee: hr._id });
      const h = await signedIn(t, hr);
      expect((await sendTerms(h, c, c.version, { buf: letter, name: 'offer-secret-draft.pdf' })).status).to.equal(303);
      const prepared = (await Case.findById(c._id).lean())!;
      const a = await signedIn(t, applicant);
      expect((await download(a, `/documents/${prepared.offerTerms!.letter}/download`)).status).to.equal(404);
      const early = await a.get('/account/export');
      expect(early.status).to.equal(200);
      expect(early.text).not.to.include('offer_letter');
      expect(early.text).not.to.include('offer-secret-draft');
      expect(early.text).not.to.include('45,000,000');

      await transition({ app: t.ctx, ctx: actorContext(t.ctx, leader), caseId: c._id, action: 'approve_offer', expectedVersion: prepared.version, payload: { note: 'Ranked first.' }, asDecision: true });
      expect((await download(a, `/documents/${prepared.offerTerms!.letter}/download`)).status).to.equal(200);
      const data = JSON.parse((await a.get('/account/export')).text) as { cases: Array<{ offerTerms?: Record<string, string>; documents: Array<{ type: string; originalName: string }> }> };
      expect(data.cases[0]!.offerTerms).to.deep.include({ position: 'Senior researcher', salary: '45,000,000 VND' });
      expect(data.cases[0]!.documents.map((d) => d.originalName)).to.include('offer-secret-draft.pdf');
    });
  });

  describe('the expired-session page', () => {
    async function stalePost(headers: Record<string, string>, form: Record<string, string>) {
      const applicant = await createUser({ role: 'applicant', locale: 'en' });
      const c = await awaiting(applicant);
      let req = agent(t.app).post(`/applications/${c._id}/messages`).type('form').set('Accept', 'text/html').set('Host', 'talent.test');
      for (const [k, v] of Object.entries(headers)) req = req.set(k, v);
      return req.send({ _csrf: 'stale', ...form });
    }
    const lure = 'Your session has expired. Call +84 900 000 000 to restore your application.';

    it("does not show the texts of a form another site posted (Origin, Sec-Fetch-Site), and does show its own page's", async () => {
      const foreign: Record<string, string>[] = [{ Origin: 'https://evil.example' }, { Origin: 'null' }, { 'Sec-Fetch-Site': 'cross-site' }, { 'Sec-Fetch-Site': 'same-site', Origin: 'http://talent.test' }];
      for (const headers of foreign) {
        const res = await stalePost(headers, { text: lure });
        expect(res.status, JSON.stringify(headers)).to.equal(403);
        expect(res.text, JSON.stringify(headers)).not.to.include('+84 900 000 000');
        expect(res.text).not.to.include('id="kept"');
      }
      const own = await stalePost({ Origin: 'http://talent.test', 'Sec-Fetch-Site': 'same-origin' }, { text: 'My own words' });
      expect(own.status).to.equal(403);
      expect(own.text).to.include('My own words');
    });

    it('shows no bookkeeping field, secret or code, and at most 50,000 characters in all', async () => {
      const res = await stalePost(
        { Origin: 'http://talent.test' },
        { text: 'a'.repeat(20_000), reason: 'b'.repeat(20_000), note: 'c'.repeat(20_000), items: 'd'.repeat(20_000), key: 'outbox-key-123', userId: '0123456789abcdef01234567', query: '/cases?x=1', pub_rows: '3', totpCode: '123456', recoveryCode: 'ABCD-EFGH', resetToken: 'tok-999' },
      );
      expect(res.status).to.equal(403);
      const kept = [...res.text.matchAll(/<textarea[^>]*data-kept="([^"]+)"[^>]*>([^<]*)<\/textarea>/g)].map((m) => ({ field: m[1]!, length: m[2]!.length }));
      expect(kept.map((k) => k.field)).to.deep.equal(['text', 'reason', 'note']);
      expect(kept.reduce((n, k) => n + k.length, 0)).to.equal(50_000);
      for (const secret of ['outbox-key-123', '0123456789abcdef01234567', '/cases?x', '123456', 'ABCD-EFGH', 'tok-999']) expect(res.text, secret).not.to.include(secret);
    });
  });
});
