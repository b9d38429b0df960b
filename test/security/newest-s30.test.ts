// Session 29's features as an attacker uses them (review of session 30): the queue's kept rows
// (scopes, hostile filters, the bound, another web process's write), the applicant's messages
// gathered for HR (hostile words, a flood, SMTP down then back, the HR office's copies), the
// documents' pending audit events (read by no page, forged by no form), the sign-in form prefilled
// after an e-mail confirmation, the offer terms and letter, the support step's citizen rules, and
// the procedure form. Real database, HTTP, multipart and SMTP.
import { expect } from 'chai';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { Types } from 'mongoose';
import { startTestApp, type TestApp } from '../support/app.ts';
import { startTestSmtp, type TestSmtp } from '../support/smtp.ts';
import { agent, csrfFrom, type Agent } from '../support/http.ts';
import { createInstitute, createUser, uniqueEmail } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { signedIn, page, post, deliver, versionIn } from '../applications/support.ts';
import { filesUnder, makePdf, tokenOf } from '../documents/support.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { CaseDocument } from '../../models/document.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import { MailLog } from '../../models/mail-log.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import type { InstituteDoc } from '../../models/institute.ts';
import { keptReadSizes } from '../../server/support/kept-reads.ts';
import { ConfigError, loadConfig } from '../../server/config.ts';
import { writtenElsewhere } from '../../models/watch-writes.ts';
import { documentAudit } from '../../server/documents/pending-audit.ts';
import { seedHolidays, vnDateKey } from '../../server/calendar/index.ts';
import { transition } from '../../server/workflow/index.ts';
import { actorContext } from '../workflow/context.ts';

const MINUTE = 60_000;
const WINDOW = 10 * MINUTE;

const profileOf = (fullName: string, over: Record<string, unknown> = {}) => ({
  fullName,
  dateOfBirth: new Date('1985-05-20'),
  gender: 'male',
  nationality: 'DE',
  countryOfResidence: 'DE',
  overseasVietnamese: false,
  phone: '+49 30 1234567',
  currentPosition: 'Senior researcher',
  currentEmployer: 'Max Planck Institute',
  highestDegree: 'phd',
  field: 'Materials',
  ...over,
});

describe('security: the newest features (session 29) as an attacker uses them', function () {
  this.timeout(180_000);
  let t: TestApp;
  let instA: InstituteDoc;
  let instB: InstituteDoc;
  let hrA: UserDoc;
  let hrB: UserDoc;
  let callA: CallDoc;
  let callB: CallDoc;
  let uploadDir: string;

  before(async () => {
    uploadDir = path.resolve(`data/test/uploads-s30-${process.pid}`);
    await rm(uploadDir, { recursive: true, force: true });
    t = await startTestApp({ env: { UPLOAD_STORAGE: 'disk', UPLOAD_DIR: uploadDir, UPLOAD_RATE_PER_HOUR: '1000' } });
    await seedHolidays();
    instA = await createInstitute();
    instB = await createInstitute();
    hrA = await createUser({ role: 'hr_officer', institute: instA, isHrLead: true, name: 'Officer A30', locale: 'en' });
    hrB = await createUser({ role: 'hr_officer', institute: instB, name: 'Officer B30', locale: 'en' });
    callA = await createCall({ institute: instA, checklist: [{ type: 'cv', phase: 'application', required: true }, { type: 'signed_offer', phase: 'offer', required: true }] as never });
    callB = await createCall({ institute: instB, checklist: [] });
  });
  after(async () => {
    await t?.close();
    await rm(uploadDir, { recursive: true, force: true });
  });

  describe("the queue's kept rows", () => {
    let screeningA: CaseDoc;
    let evaluationA: CaseDoc;
    let caseB: CaseDoc;
    let leaderA: UserDoc;
    before(async () => {
      screeningA = await createCase({ applicant: await createUser({ role: 'applicant' }), call: callA, stage: 'screening', profile: profileOf('Zelda Sthirtyscreening') });
      evaluationA = await createCase({ applicant: await createUser({ role: 'applicant' }), call: callA, stage: 'evaluation', profile: profileOf('Zelda Sthirtyevaluation') });
      caseB = await createCase({ applicant: await createUser({ role: 'applicant' }), call: callB, stage: 'screening', profile: profileOf('Zelda Sthirtyother') });
      leaderA = await createUser({ role: 'leader', institute: instA });
    });

    it("never shows one scope's rows to another, whatever filter each asks (the same page, hostile values, a leader beside an officer)", async () => {
      const b = await signedIn(t, hrB);
      const a = await signedIn(t, hrA);
      const l = await signedIn(t, leaderA);
      const queries = [
        '',
        '?q=zelda',
        '?q=Zelda%20Sthirty',
        '?q=sthirty&sort=reference',
        '?sort=reference',
        '?stage=screening',
        '?stage=__proto__',
        '?stage=constructor',
        '?call=__proto__',
        `?call=${String(callB._id)}`,
        `?call=${String(callA._id)}`,
        '?assignee=__proto__',
        '?assignee=unassigned',
        '?track=toString',
        '?size=__proto__',
        '?size=100',
        '?page=constructor',
        '?stage=screening&stage=evaluation',
        `?q=${encodeURIComponent('zelda\u202E')}`,
        `?q=${'z'.repeat(5000)}`,
        '?closed=1&documents=1',
      ];
      const seen = async (who: Agent, q: string) => {
        const res = await page(who, `/cases${q}`);
        expect(res.status, q).to.be.oneOf([200, 403]);
        return res.status === 200 ? res.text : '';
      };
      for (const q of queries) {
        // B first (its rows are then kept under its filter), A and the leader after, B again.
        const b1 = await seen(b, q);
        const a1 = await seen(a, q);
        const l1 = await seen(l, q);
        const b2 = await seen(b, q);
        for (const [who, html] of [['B', b1], ['B again', b2]] as const) {
          expect(html, `${who} ${q}`).not.to.include(screeningA.reference);
          expect(html, `${who} ${q}`).not.to.include(evaluationA.reference);
        }
        expect(a1, `A ${q}`).not.to.include(caseB.reference);
        expect(l1, `leader ${q}`).not.to.include(caseB.reference);
        // The leader sees the panel's stages only, never a case in screening, even under the officer's kept page.
        expect(l1, `leader ${q}`).not.to.include(screeningA.reference);
      }
      // What each may see is still shown (the test is not passing on empty pages).
      expect(await seen(a, '')).to.include(screeningA.reference);
      expect(await seen(b, '')).to.include(caseB.reference);
      const leaderPage = await seen(l, '?stage=evaluation');
      if (leaderPage) expect(leaderPage).to.include(evaluationA.reference);
      // Bracketed and operator names are refused at the door, never a filter.
      for (const q of ['__proto__[stage]=screening', 'constructor[prototype][stage]=screening', 'stage[$ne]=x', 'call[$gt]=', 'q[$regex]=.*']) {
        const res = await page(b, `/cases?${q}`);
        expect(res.status, q).to.be.oneOf([200, 400]);
        expect(res.text, q).not.to.include(screeningA.reference);
      }
      expect(({} as Record<string, unknown>).stage).to.equal(undefined);
    });

    it('stay bounded however many different pages a user asks for (a search per request)', async () => {
      const a = await signedIn(t, hrA);
      for (let i = 0; i < 130; i++) {
        const res = await page(a, `/cases?q=${encodeURIComponent(`sthirty${i}x`)}&sort=${i % 2 ? 'reference' : 'submitted'}`);
        expect(res.status).to.equal(200);
      }
      for (const k of keptReadSizes()) expect(k.size, `a kept read of bound ${k.bound}`).to.be.at.most(k.bound);
      // The bound of the rows kept is 100 (a page each): the 130 searches filled it, no further.
      expect(keptReadSizes().some((k) => k.bound === 100 && k.size === 100)).to.equal(true);
    });

    it("follow another web process's write at once (its announcement), and a hostile model name announced is nothing", async () => {
      const c = await createCase({ applicant: await createUser({ role: 'applicant' }), call: callA, stage: 'screening', profile: profileOf('Kept Sthirtybefore') });
      const a = await signedIn(t, hrA);
      const q = `/cases?q=${encodeURIComponent('kept sthirty')}`;
      expect((await page(a, q)).text).to.include('Kept Sthirtybefore');
      // Another process writes (not through this process's models): kept here until it is announced.
      await Case.collection.updateOne({ _id: c._id }, { $set: { 'profile.fullName': 'Kept Sthirtyafter' } });
      const still = (await page(a, q)).text;
      expect(still, 'kept: the announcement is what this test checks').to.include('Kept Sthirtybefore');
      for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'case', '']) expect(writtenElsewhere(name), name).to.equal(false);
      expect((await page(a, q)).text).to.include('Kept Sthirtybefore');
      expect(writtenElsewhere('Case')).to.equal(true);
      const after = (await page(a, q)).text;
      expect(after).to.include(c.reference);
      expect(after).not.to.include('Kept Sthirtybefore');
    });
  });

  describe('documents: audit events pending on a version', () => {
    it('reach no page, export or download answer: not the applicant, HR, the leader or an administrator', async () => {
      const applicant = await createUser({ role: 'applicant', locale: 'en' });
      const kase = await createCase({ applicant, call: callA, stage: 'evaluation', assignee: hrA });
      const pdf = await makePdf('CV S30');
      const a = await signedIn(t, applicant);
      const up = await a.post(`/cases/${String(kase._id)}/documents`).set('Accept', 'application/json').field('_csrf', await tokenOf(a)).attach('cv', pdf, 'cv.pdf');
      expect(up.status, up.text.slice(0, 300)).to.be.oneOf([200, 201]);
      const doc = (await CaseDocument.findOne({ case: kase._id, type: 'cv' }).lean())!;
      const audit = documentAudit({ actor: hrA._id, actorRole: 'hr_officer', ip: '203.0.113.30', requestId: 'PENDING-S30-REQ', now: new Date() } as never, { action: 'document.verify', summary: { case: String(kase._id), secret: 'PENDING-S30-SUMMARY' } });
      await CaseDocument.updateOne({ _id: doc._id }, { $push: { pendingAudits: audit } });
      expect((await CaseDocument.findById(doc._id).select('+pendingAudits').lean())!.pendingAudits).to.have.length(1);
      const leader = await createUser({ role: 'leader', institute: instA });
      const admin = await createUser({ role: 'admin', locale: 'en' });
      for (const [user, urls] of [
        [applicant, [`/applications/${String(kase._id)}`, `/applications/${String(kase._id)}/documents`, '/account/export']],
        [hrA, [`/cases/${String(kase._id)}`, `/cases?documents=1`, `/cases/${String(kase._id)}/documents`]],
        [leader, [`/cases/${String(kase._id)}`, `/shortlists/${String(callA._id)}`, `/shortlists/${String(callA._id)}/cases/${String(kase._id)}`]],
        [admin, [`/cases/${String(kase._id)}`, '/admin/audit', '/reports/steering.csv']],
      ] as const) {
        const s = await signedIn(t, user);
        for (const u of urls) {
          const res = await page(s, u);
          expect(res.status, `${user.role} ${u}`).to.be.oneOf([200, 303, 404]);
          expect(res.text, `${user.role} ${u}`).not.to.include('PENDING-S30');
          expect(res.text, `${user.role} ${u}`).not.to.include('203.0.113.30');
        }
      }
      const dl = await a.get(`/documents/${String(doc._id)}/download`).buffer(true);
      expect(dl.status).to.equal(200);
      expect(JSON.stringify(dl.headers)).not.to.include('PENDING-S30');
    });

    it('cannot be forged by a form: body fields named like them on an upload, HR\'s check and the offer terms are inert', async () => {
      const applicant = await createUser({ role: 'applicant', locale: 'en' });
      const kase = await createCase({ applicant, call: callA, stage: 'screening', assignee: hrA });
      const a = await signedIn(t, applicant);
      const pdf = await makePdf('CV S30 forged');
      const forged = { 'pendingAudits[0][action]': 'forged.s30', 'pendingAudits[0][eventId]': 'forged-s30', pendingAudits: 'forged.s30', 'pendingAudits[]': 'forged.s30' };
      let req = a.post(`/cases/${String(kase._id)}/documents`).set('Accept', 'application/json').field('_csrf', await tokenOf(a));
      for (const [k, v] of Object.entries(forged)) req = req.field(k, v);
      const up = await req.attach('cv', pdf, 'cv.pdf');
      expect(up.status, up.text.slice(0, 300)).to.be.oneOf([200, 201, 400, 422]);
      // A dotted or operator name is refused outright, files and all.
      const dotted = await a.post(`/cases/${String(kase._id)}/documents`).set('Accept', 'application/json').field('_csrf', await tokenOf(a)).field('pendingAudits.0.action', 'forged.s30').attach('cv', pdf, 'cv.pdf');
      expect(dotted.status).to.equal(400);
      const op = await a.post(`/cases/${String(kase._id)}/documents`).set('Accept', 'application/json').field('_csrf', await tokenOf(a)).field('pendingAudits[$each]', 'forged.s30').attach('cv', pdf, 'cv.pdf');
      expect(op.status).to.equal(400);
      const proto = await a.post(`/cases/${String(kase._id)}/documents`).set('Accept', 'application/json').field('_csrf', await tokenOf(a)).field('__proto__', 'forged.s30').attach('cv', pdf, 'cv.pdf');
      expect(proto.status).to.equal(400);
      // HR's check with the same names (url-encoded).
      const doc = await CaseDocument.findOne({ case: kase._id, type: 'cv' }).sort({ version: -1 }).lean();
      if (doc) {
        const h = await signedIn(t, hrA);
        const shown = await page(h, `/cases/${String(kase._id)}`);
        const res = await post(h, shown.text, `/documents/${String(doc._id)}/verify`, { decision: 'accept', from: 'pending', ...forged });
        expect(res.status).to.be.oneOf([303, 400, 409, 422]);
      }
      const docs = await CaseDocument.find({ case: kase._id }).select('+pendingAudits').lean();
      for (const d of docs) expect(d.pendingAudits ?? [], 'settled').to.have.length(0);
      // Read past the model (its strict filter would drop a field it does not declare).
      expect(await AuditEvent.collection.countDocuments({ $or: [{ action: 'forged.s30' }, { eventId: 'forged-s30' }, { _id: 'forged-s30' as never }] })).to.equal(0);
      expect(({} as Record<string, unknown>).action).to.equal(undefined);
      if (doc) {
        const events = await AuditEvent.find({ targetId: String(doc._id) }).lean();
        expect(events.map((e) => e.action)).to.include('document.upload');
        for (const e of events) expect(JSON.stringify(e)).not.to.include('forged');
      }
    });
  });

  describe('the sign-in form prefilled after an e-mail confirmation', () => {
    it('is filled only by the confirmation itself (never a query, a body or a later visit), escaped, and its next path stays on this site', async () => {
      const email = uniqueEmail('s30-prefill').replace('@', '+x@');
      const a = agent(t.app);
      const form = await a.get('/register').set('Accept', 'text/html');
      const res = await a.post('/register').type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(form.text), name: 'Prefill S30', email, password: 'correct horse battery staple 30', locale: 'en', consent: 'yes' });
      expect(res.status).to.equal(200);
      const mail = await t.smtp.waitForTo(email, /confirm/i);
      const link = new URL(/https?:\/\/\S+\/verify-email\/\S+/.exec(mail.text)![0]);
      // Before the confirmation, nothing on the URL fills the form.
      const probe = `x"><img src=x onerror=alert(1)>@example.org`;
      for (const q of [`?email=${encodeURIComponent(probe)}`, `?flash=accounts.verify.done&email=${encodeURIComponent(email)}`, `?params[email]=${encodeURIComponent(email)}`]) {
        const shown = await a.get(`/signin${q}`).set('Accept', 'text/html');
        expect(shown.status, q).to.be.oneOf([200, 400]);
        expect(shown.text, q).not.to.include(`value="${email}"`);
        expect(shown.text, q).not.to.include('<img src=x');
      }
      const confirmed = await a.get(`${link.pathname}?next=${encodeURIComponent('//evil.example/')}`).set('Accept', 'text/html');
      expect(confirmed.status).to.equal(303);
      expect(confirmed.headers.location).to.equal('/signin');
      const signin = await a.get('/signin?next=%2F%2Fevil.example%2F').set('Accept', 'text/html');
      expect(signin.text).to.match(new RegExp(`name="email"[^>]*value="${email.replace(/[.+]/g, '\\$&')}"`));
      // The page's own links carry the address as a local path only; no form or link leads off the site.
      expect(signin.text).not.to.match(/(?:value|href|action)="\/\/evil/);
      const signedInAt = await a.post('/signin').type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(signin.text), email, password: 'correct horse battery staple 30', next: '//evil.example/' });
      expect(signedInAt.status).to.equal(303);
      expect(signedInAt.headers.location).to.match(/^\/(?!\/)/);
      await a.post('/signout').type('form').send({ _csrf: csrfFrom((await a.get('/').set('Accept', 'text/html')).text) });
      // Once only; another visitor (another session) never sees it.
      expect((await a.get('/signin').set('Accept', 'text/html')).text).not.to.include(`value="${email}"`);
      expect((await agent(t.app).get('/signin').set('Accept', 'text/html')).text).not.to.include(`value="${email}"`);
      // Someone signed in who opens another account's link: their own landing, and no address of the other kept for a later sign-in form.
      const email2 = uniqueEmail('s30-prefill-2');
      const b = agent(t.app);
      const form2 = await b.get('/register').set('Accept', 'text/html');
      expect((await b.post('/register').type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(form2.text), name: 'Prefill Two', email: email2, password: 'correct horse battery staple 31', locale: 'en', consent: 'yes' })).status).to.equal(200);
      const link2 = new URL(/https?:\/\/\S+\/verify-email\/\S+/.exec((await t.smtp.waitForTo(email2, /confirm/i)).text)![0]);
      const s = await signedIn(t, await createUser({ role: 'applicant', locale: 'en' }));
      const opened = await s.get(link2.pathname).set('Accept', 'text/html');
      expect(opened.status).to.equal(303);
      expect(opened.headers.location).not.to.equal('/signin');
      await s.post('/signout').type('form').send({ _csrf: csrfFrom((await s.get('/').set('Accept', 'text/html')).text) });
      expect((await s.get('/signin').set('Accept', 'text/html')).text).not.to.include(email2);
    });
  });

  describe('the offer terms and letter', () => {
    let leader: UserDoc;
    let letter: Buffer;
    before(async () => {
      leader = await createUser({ role: 'leader', institute: instA });
      letter = await makePdf('Offer letter S30');
    });
    async function offered(): Promise<{ c: CaseDoc; applicant: UserDoc }> {
      const applicant = await createUser({ role: 'applicant', locale: 'en' });
      const c = await createCase({ applicant, call: callA, stage: 'shortlisted', assignee: hrA, offerTerms: null });
      return { c: await transition({ app: t.ctx, ctx: actorContext(t.ctx, leader), caseId: c._id, action: 'approve_offer', expectedVersion: c.version, payload: { note: 'Ranked first.' }, asDecision: true }), applicant };
    }
    const url = (c: { _id: unknown }) => `/cases/${String(c._id)}/offer-terms`;
    const terms = { offerPosition: 'Senior researcher S30', offerStart: '2027-03-01', offerSalary: '45,000,000 VND', offerContractLength: '2 years' };
    async function send(a: Agent, c: { _id: unknown }, fields: Array<[string, string]>, opts: { version?: string; file?: { name: string; field?: string } } = {}) {
      const p = await page(a, `/cases/${String(c._id)}`);
      let req = a.post(url(c)).set('Accept', 'text/html').field('_csrf', await tokenOf(a)).field('version', opts.version ?? versionIn(p.text, url(c)));
      for (const [k, v] of fields) req = req.field(k, v);
      if (opts.file) req = req.attach(opts.file.field ?? 'offer_letter', letter, opts.file.name);
      return req;
    }
    const stored = async () => ({ files: (await filesUnder(uploadDir)).filter((f) => !f.startsWith('.tmp')).length, docs: await CaseDocument.countDocuments({ type: 'offer_letter' }) });

    it('refuses hostile fields (operators, prototype names, hidden characters, over-long, a second file or another field) with nothing stored or sent', async () => {
      const { c } = await offered();
      const h = await signedIn(t, hrA);
      const before = await stored();
      const ok = Object.entries(terms);
      const bodies: Array<{ fields: Array<[string, string]>; file?: { name: string; field?: string }; codes: number[] }> = [
        { fields: [...ok, ['offerPosition[$ne]', 'x']], file: { name: 'letter.pdf' }, codes: [400] },
        { fields: [...ok, ['__proto__', 'x']], file: { name: 'letter.pdf' }, codes: [400] },
        { fields: [...ok, ['offerTerms.letter', String(new Types.ObjectId())]], file: { name: 'letter.pdf' }, codes: [400] },
        { fields: [['offerPosition', 'Senior \u202Eresearcher'], ...ok.slice(1)], file: { name: 'letter.pdf' }, codes: [422] },
        { fields: [['offerPosition', '\u200B\u200B'], ...ok.slice(1)], file: { name: 'letter.pdf' }, codes: [422] },
        { fields: [['offerPosition', 'p'.repeat(201)], ...ok.slice(1)], file: { name: 'letter.pdf' }, codes: [422] },
        { fields: [...ok.filter(([k]) => k !== 'offerStart'), ['offerStart', '9999-12-31']], file: { name: 'letter.pdf' }, codes: [422] },
        { fields: [...ok.filter(([k]) => k !== 'offerStart'), ['offerStart', '2027-02-30']], file: { name: 'letter.pdf' }, codes: [422] },
        { fields: ok, file: { name: 'letter.pdf', field: 'pendingAudits' }, codes: [400, 415, 422] },
        { fields: ok, file: { name: '..\u202Efdp.exe' }, codes: [400, 415, 422] },
      ];
      for (const b of bodies) {
        const res = await send(h, c, b.fields, { file: b.file });
        expect(res.status, JSON.stringify(b.fields.at(-1)).slice(0, 80)).to.be.oneOf(b.codes);
        // A hidden character in a file's name is never shown back (the officer's own typed terms are, to correct).
        if (b.file?.name.includes('\u202E')) expect(res.text).not.to.include('\u202E');
      }
      const after = (await Case.findById(c._id).lean())!;
      expect(after.version).to.equal(c.version);
      expect(after.offerTerms?.position ?? undefined).to.equal(undefined);
      expect(after.outbox.filter((o) => o.template === 'offer_letter_ready')).to.have.length(0);
      expect(await stored()).to.deep.equal(before);
      expect(({} as Record<string, unknown>).x).to.equal(undefined);
    });

    it('a stale form (another change since) stores no letter; a double submit writes and e-mails once', async () => {
      const { c, applicant } = await offered();
      const h = await signedIn(t, hrA);
      const before = await stored();
      const stale = await send(h, c, Object.entries(terms), { version: String(c.version - 1), file: { name: 'letter.pdf' } });
      expect(stale.status).to.equal(409);
      expect(await stored()).to.deep.equal(before);
      const p = await page(h, `/cases/${String(c._id)}`);
      const version = versionIn(p.text, url(c));
      const [one, two] = await Promise.all([send(h, c, Object.entries(terms), { version, file: { name: 'letter.pdf' } }), send(h, c, Object.entries(terms), { version, file: { name: 'letter.pdf' } })]);
      expect([one.status, two.status].sort()).to.deep.equal([303, 409]);
      const after = (await Case.findById(c._id).lean())!;
      expect(after.version).to.equal(c.version + 1);
      expect(after.outbox.filter((o) => o.template === 'offer_letter_ready' && o.to === applicant.email)).to.have.length(1);
      // Exactly one letter kept (the refused one's record and file taken back).
      expect((await stored()).docs).to.equal(before.docs + 1);
      expect((await stored()).files).to.equal(before.files + 1);
      // The same terms sent again with no file: nothing written.
      const again = await send(h, c, Object.entries(terms));
      expect(again.status).to.equal(303);
      expect((await Case.findById(c._id).lean())!.version).to.equal(c.version + 1);
    });
  });

  describe("the support step's citizen rules and the procedure form", () => {
    const citizen = profileOf('Nguyễn Văn Sthirty', { nationality: 'VN', countryOfResidence: 'US', overseasVietnamese: true });

    it('a Vietnamese citizen cannot slip the work permit or a residence card of their own past the check with repeated, bracketed or dotted fields', async () => {
      const applicant = await createUser({ role: 'applicant', locale: 'en' });
      const c = await createCase({ applicant, call: callA, profile: citizen, supportRequested: { housing: false } });
      const a = await signedIn(t, applicant);
      const url = `/applications/${String(c._id)}/edit/support`;
      const form = (await page(a, url)).text;
      const bodies: Array<Record<string, string | string[]>> = [
        { workPermit: ['on', 'on'], go: 'next' },
        { workPermit: ['', 'on'], go: 'next' },
        { workPermit: 'ON', go: 'next' },
        { workPermit: 'yes', go: 'next' },
        { residenceCard: ['on', ''], go: 'next' },
        { 'supportRequested.workPermit': 'on', go: 'next' },
        { 'workPermit[$ne]': 'off', go: 'next' },
        { '__proto__[workPermit]': 'on', go: 'next' },
        { 'constructor[prototype][workPermit]': 'on', go: 'next' },
      ];
      for (const body of bodies) {
        const res = await post(a, form, url, body);
        expect(res.status, JSON.stringify(body)).to.be.oneOf([303, 400, 422]);
        const s = (await Case.findById(c._id).lean())!.supportRequested;
        expect(s?.workPermit ?? false, JSON.stringify(body)).to.equal(false);
        expect(s?.residenceCard ?? false, JSON.stringify(body)).to.equal(false);
      }
      expect(({} as Record<string, unknown>).workPermit).to.equal(undefined);
    });

    it("a foreign family member's hostile name (markup, header breaks) is escaped on the pages and in the residence card and visa e-mails, never a header", async () => {
      const leader = await createUser({ role: 'leader', institute: instA });
      const applicant = await createUser({ role: 'applicant', locale: 'en' });
      const evil = 'Anna <img src=x onerror=alert(1)>\r\nBcc: victim-fam-s30@example.org';
      const dependants = [{ fullName: evil, relationship: 'spouse', dateOfBirth: new Date('1988-02-11'), nationality: 'US' }];
      const made = await createCase({ applicant, call: callA, stage: 'shortlisted', assignee: hrA, profile: citizen, supportRequested: { residenceCard: true, family: true }, dependants, offerTerms: { position: 'Senior researcher', letter: new Types.ObjectId() } });
      const c = await transition({ app: t.ctx, ctx: actorContext(t.ctx, leader), caseId: made._id, action: 'approve_offer', expectedVersion: made.version, payload: { note: 'First.' }, asDecision: true });
      const own = await signedIn(t, applicant);
      const confirm = await page(own, `/applications/${String(c._id)}/offer/accept`);
      expect(confirm.text).not.to.include('<img src=x');
      const accepted = await post(own, confirm.text, `/applications/${String(c._id)}/offer/accept`, { version: versionIn(confirm.text, `/applications/${String(c._id)}/offer/accept`) });
      expect(accepted.status).to.equal(303);
      const h = await signedIn(t, hrA);
      for (const kind of ['residence_card', 'visa']) {
        const pageUrl = `/cases/${String(c._id)}/procedures/${kind}`;
        const form = await page(h, pageUrl);
        expect(form.status, kind).to.equal(200);
        expect(form.text, kind).not.to.include('<img src=x');
        const track = /name="track" value="(none|\d+)"/.exec(form.text.slice(form.text.indexOf(`action="${pageUrl}"`)))?.[1];
        const res = await post(h, form.text, pageUrl, { version: versionIn(form.text, pageUrl), ...(track ? { track } : {}), status: 'filed', filedAt: vnDateKey(new Date()) });
        expect(res.status, `${kind} ${res.text.slice(0, 200)}`).to.be.oneOf([303, 422]);
      }
      await deliver(t, c._id);
      const pages = [(await page(h, `/cases/${String(c._id)}`)).text, (await page(own, `/applications/${String(c._id)}`)).text];
      for (const html of pages) expect(html).not.to.include('<img src=x');
      const mails = t.smtp.to(applicant.email);
      expect(mails.length).to.be.at.least(1);
      for (const m of mails) {
        expect(m.subject).not.to.match(/[\r\n]/);
        expect(m.html).not.to.include('<img src=x');
        expect(m.raw.headers.get('bcc')).to.equal(undefined);
      }
      expect(mails.some((m) => m.text.includes('Anna'))).to.equal(true);
      expect(t.smtp.to('victim-fam-s30@example.org')).to.have.length(0);
    });

    it('the procedure form refuses hostile dates, operators and lists; nothing written', async () => {
      const applicant = await createUser({ role: 'applicant', locale: 'en' });
      const c = await createCase({ applicant, call: callA, stage: 'onboarding', assignee: hrA, supportTracks: [{ kind: 'visa', status: 'requested', updatedAt: new Date() }] });
      const h = await signedIn(t, hrA);
      const pageUrl = `/cases/${String(c._id)}/procedures/visa`;
      const shown = await page(h, pageUrl);
      expect(shown.status).to.equal(200);
      const version = versionIn(shown.text, pageUrl);
      const track = /name="track" value="(none|\d+)"/.exec(shown.text.slice(shown.text.indexOf(`action="${pageUrl}"`)))?.[1] ?? 'none';
      const ok = { version, track, status: 'filed', filedAt: '2026-12-01' };
      const bodies: Array<Record<string, string | string[]>> = [
        { ...ok, filedAt: '9999-12-31' },
        { ...ok, filedAt: '0000-01-01' },
        { ...ok, filedAt: '2027-02-30' },
        { ...ok, filedAt: '+275760-09-13' },
        { ...ok, filedAt: ['2026-12-01', '2026-12-02'] },
        { ...ok, status: '__proto__' },
        { ...ok, status: 'constructor' },
        { ...ok, status: ['filed', 'granted'] },
        { ...ok, 'filedAt[$gt]': '' },
        { ...ok, 'supportTracks.0.status': 'granted' },
        { ...ok, version: [version, version] },
        { ...ok, note: 'n'.repeat(2001) },
        { ...ok, message: 'Please \u202Eexe.fdp' },
        { ...ok, targetAt: '2200-01-01' },
      ];
      for (const body of bodies) {
        const res = await post(h, shown.text, pageUrl, body);
        expect(res.status, JSON.stringify(body).slice(0, 120)).to.be.oneOf([400, 409, 422]);
      }
      const after = (await Case.findById(c._id).lean())!;
      expect(after.version).to.equal(c.version);
      expect(after.supportTracks.find((s) => s.kind === 'visa')!.status).to.equal('requested');
      expect(({} as Record<string, unknown>).status).to.equal(undefined);
    });
  });
});

describe('security: the session 29 settings are checked at boot', () => {
  it('QUEUE_ROWS_KEPT_MS and MESSAGE_DIGEST_MINUTES take whole numbers in range only', () => {
    for (const v of ['-1', 'abc', '1e9', '60001', '1.5', 'Infinity', 'NaN']) expect(() => loadConfig({ QUEUE_ROWS_KEPT_MS: v }), `QUEUE_ROWS_KEPT_MS=${v}`).to.throw(ConfigError, /QUEUE_ROWS_KEPT_MS/);
    for (const v of ['-1', 'ten', '1441', '0.5', 'Infinity']) expect(() => loadConfig({ MESSAGE_DIGEST_MINUTES: v }), `MESSAGE_DIGEST_MINUTES=${v}`).to.throw(ConfigError, /MESSAGE_DIGEST_MINUTES/);
    expect(loadConfig({ QUEUE_ROWS_KEPT_MS: '0', MESSAGE_DIGEST_MINUTES: '0' })).to.include({ queueRowsKeptMs: 0, messageDigestMs: 0 });
    expect(loadConfig({})).to.include({ queueRowsKeptMs: 5000, messageDigestMs: 600_000 });
  });
});

describe("security: the applicant's messages gathered for HR (session 29) as an attacker uses them", function () {
  this.timeout(180_000);
  let smtp: TestSmtp;
  let t: TestApp;
  let clock = Date.now();
  const now = () => new Date(clock);

  before(async () => {
    smtp = await startTestSmtp();
    t = await startTestApp({ now, smtp, env: { OUTBOX_RETRY_BASE_MS: '1000', OUTBOX_RETRY_MAX_MS: '2000' } });
  });
  after(async () => {
    await t?.close();
    await smtp?.stop();
  });

  const url = (c: CaseDoc) => `/applications/${String(c._id)}/messages`;
  const formKeyIn = (html: string, action: string) => new RegExp(`action="${action}"[^>]*>[\\s\\S]*?name="formKey" value="([a-f0-9]{32})"`).exec(html)![1]!;
  async function send(a: Agent, c: CaseDoc, words: string) {
    const mine = await page(a, `/applications/${String(c._id)}`);
    return post(a, mine.text, url(c), { text: words, formKey: formKeyIn(mine.text, url(c)) });
  }
  const digests = async (c: CaseDoc) => (await Case.findById(c._id).lean())!.outbox.filter((o) => o.template === 'applicant_message_digest');
  const mailsOf = (c: CaseDoc, to: string) => smtp.to(to).filter((m) => m.subject.includes(c.reference));

  async function opened(opts: { fullName?: string; officers?: number } = {}) {
    const institute = await createInstitute();
    const officers: UserDoc[] = [];
    for (let i = 0; i < (opts.officers ?? 1); i++) officers.push(await createUser({ role: 'hr_officer', institute, locale: 'en', name: `Officer S30 ${i}` }));
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const call = await createCall({ institute, checklist: [] });
    // One officer: the case is theirs; several: none has it, so the HR office's few officers are told.
    const c = await createCase({ applicant, call, stage: 'screening', ...(officers.length === 1 ? { assignee: officers[0] } : {}), profile: profileOf(opts.fullName ?? 'Trần Văn Sthirty') });
    const a = await signedIn(t, applicant);
    expect((await send(a, c, 'First question.')).status).to.equal(303);
    await deliver(t, c._id);
    for (const o of officers) await smtp.waitForTo(o.email, new RegExp(`\\[${c.reference}\\]`));
    return { officers, applicant, c, a, sentAt: clock };
  }

  it('hostile words (markup, header breaks in the name, bidi, 5,000 characters) are escaped, bounded and never a header', async () => {
    const { officers, c, a, sentAt } = await opened({ fullName: 'Evil\r\nBcc: victim-s30@example.org\r\nSubject: <b>x</b>' });
    const [officer] = officers;
    clock += MINUTE;
    expect((await send(a, c, '<script>alert(1)</script><img src=x onerror=alert(2)> <a href="https://evil.example/">log in</a>')).status).to.equal(303);
    clock += MINUTE;
    expect((await send(a, c, 'Line one\r\nBcc: victim-s30@example.org\r\n\r\n<b>not bold</b>')).status).to.equal(303);
    clock += MINUTE;
    expect((await send(a, c, `${'long '.repeat(1000)}`.trim())).status).to.equal(303);
    clock += MINUTE;
    const bidi = await send(a, c, 'Invoice \u202Egpj.exe');
    expect(bidi.status).to.equal(422);
    clock = sentAt + WINDOW;
    await deliver(t, c._id);
    const mail = await smtp.waitForTo(officer!.email, new RegExp(`\\[${c.reference}\\] 3 messages`));
    expect(mail.subject).not.to.match(/[\r\n]/);
    expect(mail.raw.headers.get('bcc')).to.equal(undefined);
    expect(mail.to).to.deep.equal([officer!.email]);
    expect(smtp.to('victim-s30@example.org')).to.have.length(0);
    expect(mail.html).not.to.include('<script>');
    expect(mail.html).not.to.include('<img src=x');
    expect(mail.html).not.to.include('href="https://evil.example/"');
    expect(mail.html).not.to.include('<b>not bold</b>');
    expect(mail.html).to.include('&lt;script&gt;');
    expect(mail.text + mail.html).not.to.include('\u202E');
    // Each message quoted up to 1,000 characters: the page has the rest.
    const [d] = await digests(c);
    const listed = (d!.data as { messages: Array<{ text: string }> }).messages;
    expect(listed.map((m) => m.text.length)).to.deep.equal([listed[0]!.text.length, listed[1]!.text.length, 1001]);
    expect(listed[2]!.text.endsWith('…')).to.equal(true);
    expect(mail.text.match(/long/g)).to.have.length(200);
    // HR's mail log and its preview of the digest show the words escaped too.
    const row = await MailLog.findOne({ case: c._id, template: 'applicant_message_digest' }).lean();
    expect(row, 'the digest in the mail log').to.not.equal(null);
    const h = await signedIn(t, officer!);
    for (const u of [`/mail-log/${String(row!._id)}`, `/mail-log/${String(row!._id)}/preview`, `/cases/${String(c._id)}`]) {
      const res = await page(h, u);
      expect(res.status, u).to.equal(200);
      expect(res.text, u).not.to.include('<script>alert(1)');
      expect(res.text, u).not.to.include('<img src=x');
      // The name's line breaks stay in the body's text (as stored), never in the subject shown.
      const subject = /id="mail-subject">([^<]*)</.exec(res.text)?.[1];
      if (subject !== undefined) expect(subject, u).not.to.match(/[\r\n]/);
    }
  });

  it('a flood: at most 20 messages an hour are taken, and the one digest lists those, bounded', async () => {
    const { officers, c, a, sentAt } = await opened();
    let taken = 1;
    let refused = 0;
    for (let i = 0; i < 24; i++) {
      clock += 1000;
      const res = await send(a, c, `Flood ${i} ${'w'.repeat(3000)}`);
      if (res.status === 303) taken += 1;
      else refused += 1;
      expect(res.status).to.be.oneOf([303, 422, 429]);
    }
    expect(taken).to.be.at.most(20);
    expect(refused).to.be.at.least(4);
    const [d, ...more] = await digests(c);
    expect(more).to.have.length(0);
    const listed = (d!.data as { messages: Array<{ text: string }> }).messages;
    expect(listed).to.have.length(taken - 1);
    for (const m of listed) expect(m.text.length).to.be.at.most(1001);
    clock = sentAt + WINDOW;
    await deliver(t, c._id);
    await smtp.waitForTo(officers[0]!.email, new RegExp(`\\[${c.reference}\\] ${taken - 1} messages`));
    expect(mailsOf(c, officers[0]!.email)).to.have.length(2);
  });

  // trust-fix #2: a digest once tried keeps its list (a message joining it then reached a reader
  // whose copy had gone a second time); what is written meanwhile goes in the next digest.
  it('SMTP down at the window\'s end, then back: the digest is retried with its list and sent once; what was written meanwhile goes in the next one, each message e-mailed once', async () => {
    const { officers, c, a, sentAt } = await opened();
    const [officer] = officers;
    clock += MINUTE;
    expect((await send(a, c, 'Written before the outage.')).status).to.equal(303);
    clock = sentAt + WINDOW;
    smtp.mode = 'tempfail';
    try {
      await deliver(t, c._id);
      const [d] = await digests(c);
      expect(d!.status).to.equal('pending');
      expect(d!.attempts).to.equal(1);
      expect(d!.leaseOwner ?? null).to.equal(null);
      clock += 1000;
      expect((await send(a, c, 'Written during the outage.')).status).to.equal(303);
      expect(await digests(c)).to.have.length(2);
    } finally {
      smtp.mode = 'accept';
    }
    clock += 10 * MINUTE;
    await deliver(t, c._id);
    const mail = await smtp.waitForTo(officer!.email, new RegExp(`\\[${c.reference}\\] 1 message`));
    expect(mail.text).to.include('Written before the outage.').and.not.include('Written during the outage.');
    await deliver(t, c._id);
    clock += 30 * MINUTE;
    await deliver(t, c._id);
    const next = await smtp.waitFor((m) => m.to.includes(officer!.email) && m.text.includes('Written during the outage.'));
    expect(next.text).not.to.include('Written before the outage.');
    expect(mailsOf(c, officer!.email)).to.have.length(3);
    expect((await digests(c)).map((x) => x.status)).to.deep.equal(['sent', 'sent']);
  });

  it("SMTP down with no officer on the case: each of the HR office's readers still hears of every message once it is back", async () => {
    const { officers, c, a, sentAt } = await opened({ officers: 2 });
    clock += MINUTE;
    expect((await send(a, c, 'Written before the outage (office).')).status).to.equal(303);
    clock = sentAt + WINDOW;
    smtp.mode = 'tempfail';
    try {
      await deliver(t, c._id);
      clock += 1000;
      expect((await send(a, c, 'Written during the outage (office).')).status).to.equal(303);
    } finally {
      smtp.mode = 'accept';
    }
    clock += 10 * MINUTE;
    await deliver(t, c._id);
    await deliver(t, c._id);
    // What was written during the outage is in the next digest, at the window after the retry.
    clock += 30 * MINUTE;
    await deliver(t, c._id);
    await deliver(t, c._id);
    for (const o of officers) {
      const mails = mailsOf(c, o.email).map((m) => m.text);
      for (const w of ['Written before the outage (office).', 'Written during the outage (office).']) expect(mails.filter((m) => m.includes(w)), `${o.name}: ${w}`).to.have.length(1);
    }
  });

  for (const failing of [0, 1]) {
    it(`one HR office reader's mailbox refusing for a while (reader ${failing}): the other's copy goes, and the messages gathered meanwhile still reach both`, async () => {
      const { officers, c, a, sentAt } = await opened({ officers: 2 });
      clock += MINUTE;
      expect((await send(a, c, `Before the refusal ${failing}.`)).status).to.equal(303);
      clock = sentAt + WINDOW;
      const refusing = officers[failing]!.email;
      smtp.decide = (to) => (to === refusing ? 'tempfail' : undefined);
      try {
        await deliver(t, c._id);
        await deliver(t, c._id);
        clock += 1000;
        expect((await send(a, c, `During the refusal ${failing}.`)).status).to.equal(303);
        clock += 10 * MINUTE;
        await deliver(t, c._id);
      } finally {
        smtp.decide = undefined;
      }
      clock += 10 * MINUTE;
      await deliver(t, c._id);
      clock += 10 * MINUTE;
      await deliver(t, c._id);
      for (const o of officers) {
        const mails = mailsOf(c, o.email).map((m) => m.text).join('\n');
        expect(mails, o.name).to.include(`Before the refusal ${failing}.`);
        expect(mails, o.name).to.include(`During the refusal ${failing}.`);
      }
      // Nothing left owed, nothing sent twice under one Message-ID.
      const items = (await Case.findById(c._id).lean())!.outbox.filter((o) => o.template === 'applicant_message_digest');
      expect(items.map((i) => i.status).filter((st) => st !== 'sent')).to.deep.equal([]);
      const ids = smtp.messages.filter((m) => m.subject.includes(c.reference)).map((m) => m.messageId);
      expect(new Set(ids).size).to.equal(ids.length);
    });
  }
});
