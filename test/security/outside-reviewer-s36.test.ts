// Walk s36: an outside reviewer (staff of another institute on a call's panel) opened HR's case file
// (date of birth, phone, family, support asked, passport) and found the call's applicants in HR's
// queue. Now every route of the case file answers 404 to them, as for a case that does not exist,
// the queue and the calendar feed list nothing of the call, and the shortlist's case page gives
// them what evaluation needs: the CV, publications, degrees and letters, nothing of the rest.
import { writeFile, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { expect } from 'chai';
import request from 'supertest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent, csrfFrom, type Agent } from '../support/http.ts';
import { createUser, signIn } from '../support/factories.ts';
import { listRoutes } from '../support/routes.ts';
import { makeWorld, applicantCase, type World } from '../leaders/context.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { CaseDocument } from '../../models/document.ts';
import type { UserDoc } from '../../models/user.ts';
import { createStorage, newStorageKey } from '../../server/documents/storage.ts';

const PDF = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');

describe('security: an outside reviewer reads the shortlist, never HR\'s case file (walk s36)', function () {
  this.timeout(120_000);
  let t: TestApp;
  let w: World;
  let uploadDir: string;
  let kase: CaseDoc;
  let shortlisted: CaseDoc;
  const docs: Record<'cv' | 'publications_list' | 'passport' | 'dependant_passport', string> = { cv: '', publications_list: '', passport: '', dependant_passport: '' };
  let reviewers: Array<{ who: string; user: UserDoc; a: Agent; token: string }> = [];

  async function storeDocument(c: CaseDoc, type: keyof typeof docs, name: string): Promise<string> {
    const tmp = path.join(uploadDir, '.tmp', randomBytes(8).toString('hex'));
    await mkdir(path.dirname(tmp), { recursive: true });
    await writeFile(tmp, PDF, { mode: 0o600 });
    const key = newStorageKey();
    const sha256 = createHash('sha256').update(PDF).digest('hex');
    await createStorage(t.config).put(tmp, key, { contentType: 'application/pdf', sha256 });
    const d = await CaseDocument.create({ case: c._id, type, slot: 0, version: 1, current: true, storage: 'disk', storageKey: key, originalName: name, mimeType: 'application/pdf', size: PDF.length, sha256, uploadedBy: c.applicant, status: 'accepted' });
    return String(d._id);
  }

  before(async () => {
    uploadDir = path.resolve(`data/test/uploads-outside-s36-${process.pid}`);
    t = await startTestApp({ env: { UPLOAD_DIR: uploadDir } });
    w = await makeWorld();
    const family = {
      profile: { fullName: 'Astrid Lindgren-Berg', dateOfBirth: new Date('1984-03-17'), phone: '+46 70 555 0136', nationality: 'SE', countryOfResidence: 'SE', currentPosition: 'Battery lead', currentEmployer: 'Northvolt', highestDegree: 'phd', field: 'Energy storage' },
      dependants: [{ fullName: 'Erik Lindgren-Berg', relationship: 'spouse', dateOfBirth: new Date('1982-11-02'), nationality: 'SE' }, { fullName: 'Saga Lindgren-Berg', relationship: 'child', dateOfBirth: new Date('2016-06-09'), nationality: 'SE' }],
      supportRequested: { workPermit: true, visa: true, residenceCard: true, housing: true, citizenship: true, family: true },
    };
    kase = (await applicantCase(w.call, 'evaluation', family)).kase;
    shortlisted = (await applicantCase(w.call, 'shortlisted', { profile: { ...family.profile, fullName: 'Nguyễn Văn Hùng', phone: '+1 206 555 0199' } })).kase;
    docs.cv = await storeDocument(kase, 'cv', 'astrid-cv.pdf');
    docs.publications_list = await storeDocument(kase, 'publications_list', 'astrid-publications.pdf');
    docs.passport = await storeDocument(kase, 'passport', 'astrid-passport-N8812345.pdf');
    docs.dependant_passport = await storeDocument(kase, 'dependant_passport', 'saga-passport.pdf');
    // Staff of another institute named on the call's panel: an HR officer and a leader.
    const hrOutside = await createUser({ role: 'hr_officer', institute: w.otherInstituteId, panelCalls: [w.call._id], locale: 'en' });
    const leaderOutside = await createUser({ role: 'leader', institute: w.otherInstituteId, panelCalls: [w.call._id], locale: 'vi' });
    reviewers = [];
    for (const [who, user] of [['HR officer of another institute', hrOutside], ['leader of another institute', leaderOutside]] as const) {
      const a = agent(t.app);
      await signIn(a, user);
      reviewers.push({ who, user, a, token: csrfFrom((await a.get('/account').set('Accept', 'text/html')).text) });
    }
  });
  after(async () => {
    await t?.close();
    await rm(uploadDir, { recursive: true, force: true });
  });

  /** A route's path with this case's id, the visa procedure, a made-up ask and action. */
  const urlOf = (p: string, c: CaseDoc) => p.replace(/:([A-Za-z]+)/g, (_m, name: string) => (name === 'id' ? String(c._id) : name === 'kind' ? 'visa' : name === 'action' ? 'start_screening' : name === 'askId' ? '0123456789abcdef01234567' : 'x'));

  it('answers 404 on every route under /cases/:id, in HTML and JSON, and changes nothing', async () => {
    const routes = listRoutes(t.app).filter((r) => r.path.startsWith('/cases/:id'));
    expect(routes.length, 'the case file\'s routes').to.be.above(20);
    for (const { a, token, who } of reviewers) {
      for (const c of [kase, shortlisted]) {
        const before = await Case.findById(c._id).lean();
        for (const { method, path: p } of routes) {
          for (const accept of ['text/html', 'application/json']) {
            const url = urlOf(p, c);
            let res = method === 'GET' ? await a.get(url).set('Accept', accept) : await a.post(url).type('form').set('Accept', accept).send({ _csrf: token, version: String(c.version), reason: 'A reason long enough to pass.', text: 'Hello', note: 'x' });
            // A form's address answers with a redirect to the case page (the address a refusal leaves): it must be 404 there.
            if (res.status === 303 && String(res.headers.location).startsWith(`/cases/${String(c._id)}`)) res = await a.get(String(res.headers.location)).set('Accept', accept);
            // A route refused to the role whatever the id (a leader on HR's forms) tells nothing of the case: 403 for a made-up id too.
            if (res.status === 403) {
              const none = urlOf(p, { _id: '0123456789abcdef01234567' } as unknown as CaseDoc);
              const blind = method === 'GET' ? await a.get(none).set('Accept', accept) : await a.post(none).type('form').set('Accept', accept).send({ _csrf: token });
              expect(blind.status, `${who}: ${method} ${p} refused to the role, whatever the case`).to.equal(403);
            } else expect(res.status, `${who}: ${method} ${p} (${accept}) for a ${c.stage} case`).to.equal(404);
            expect(res.text, `${who}: ${method} ${p}`).not.to.match(/Lindgren-Berg|Nguyễn Văn Hùng|\+46 70|1984-03-17|17\/03\/1984/);
          }
        }
        const after = await Case.findById(c._id).lean();
        expect([after!.version, after!.stage, after!.notes?.length ?? 0], who).to.deep.equal([before!.version, before!.stage, before!.notes?.length ?? 0]);
      }
    }
  });

  it('downloads the CV and publications from the shortlist\'s case page; the passports are "not found", and no document is theirs to verify or renew', async () => {
    for (const { a, token, who } of reviewers) {
      for (const type of ['cv', 'publications_list'] as const) {
        const res = await a.get(`/documents/${docs[type]}/download`).buffer(true).parse((r, cb) => {
          const chunks: Buffer[] = [];
          r.on('data', (d: Buffer) => chunks.push(d));
          r.on('end', () => cb(null, Buffer.concat(chunks)));
        });
        expect(res.status, `${who}: ${type}`).to.equal(200);
        expect((res.body as Buffer).equals(PDF), `${who}: ${type}`).to.equal(true);
        expect((await a.post(`/documents/${docs[type]}/verify`).type('form').set('Accept', 'application/json').send({ _csrf: token, decision: 'accept' })).status, `${who}: verify ${type}`).to.equal(403);
      }
      for (const type of ['passport', 'dependant_passport'] as const) {
        for (const url of [`/documents/${docs[type]}/download`, `/documents/${docs[type]}/verify`, `/documents/${docs[type]}/renew`]) {
          expect((await a.get(url).set('Accept', 'application/json')).status, `${who}: GET ${url} (${type})`).to.equal(404);
        }
        expect((await a.post(`/documents/${docs[type]}/verify`).type('form').set('Accept', 'application/json').send({ _csrf: token, decision: 'reject', reason: 'Blurred scan' })).status, `${who}: verify ${type}`).to.equal(404);
      }
    }
    expect(await CaseDocument.countDocuments({ case: kase._id, status: 'accepted' }), 'nothing verified').to.equal(4);
  });

  it('shows the shortlist\'s case page with the evaluation documents and nothing of the contacts, family, passport or support asked', async () => {
    for (const { a, who } of reviewers) {
      const res = await a.get(`/shortlists/${w.call._id}/cases/${kase._id}`).set('Accept', 'text/html');
      expect(res.status, who).to.equal(200);
      const main = /<main[\s\S]*<\/main>/.exec(res.text)![0];
      expect(main, who).to.include('Astrid Lindgren-Berg').and.include('Northvolt');
      expect(main, `${who}: the CV and publications linked`).to.include(`href="/documents/${docs.cv}/download"`).and.include(`href="/documents/${docs.publications_list}/download"`).and.include('astrid-cv.pdf');
      for (const hidden of ['+46 70 555 0136', '1984', 'Erik Lindgren-Berg', 'Saga Lindgren-Berg', 'astrid-passport', 'N8812345', 'saga-passport', docs.passport, docs.dependant_passport, `"/cases/${kase._id}`]) {
        expect(main, `${who}: ${hidden}`).not.to.include(hidden);
      }
      expect(main, `${who}: support asked`).not.to.match(/citizenship|quốc tịch Việt Nam|work permit|giấy phép lao động/i);
    }
  });

  it('lists nothing of the call in the queue, its saved-filter refusal or the calendar feed', async () => {
    for (const { a, token, who } of reviewers) {
      for (const url of ['/cases', '/cases?closed=1&size=100', `/cases?q=${encodeURIComponent('Lindgren')}`]) {
        const res = await a.get(url).set('Accept', 'text/html');
        expect(res.status, `${who}: ${url}`).to.be.below(500);
        expect(res.text, `${who}: ${url}`).not.to.include(kase.reference).and.not.to.include(shortlisted.reference).and.not.to.include('Lindgren-Berg');
      }
      const refused = await a.post('/cases/filters').type('form').set('Accept', 'text/html').send({ _csrf: token, name: '' });
      expect(refused.text, `${who}: the queue shown with a refused filter`).not.to.include(kase.reference).and.not.to.include('Lindgren-Berg');
      const settings = await a.get('/account/calendar').set('Accept', 'text/html');
      const made = await a.post('/account/calendar').type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(settings.text) });
      const feedPath = /value="https?:\/\/[^"]+(\/calendar\/[A-Za-z0-9_-]{43}\.ics)"/.exec(made.text)?.[1];
      expect(feedPath, `${who}: the feed's address`).to.be.a('string');
      const feed = await request(t.app).get(feedPath!);
      expect(feed.status, who).to.equal(200);
      expect(feed.text, who).not.to.include(kase.reference).and.not.to.include(shortlisted.reference);
    }
  });

  it('still opens the case file to the institute\'s HR and to the institute\'s own panel member', async () => {
    const hr = agent(t.app);
    await signIn(hr, await createUser({ role: 'hr_officer', institute: w.instituteId }));
    expect((await hr.get(`/cases/${kase._id}`).set('Accept', 'text/html')).text).to.include('+46 70 555 0136');
    const member = agent(t.app);
    await signIn(member, w.member);
    expect((await member.get(`/cases/${kase._id}`).set('Accept', 'application/json')).status).to.equal(200);
    expect((await member.get(`/documents/${docs.passport}/download`)).status).to.equal(200);
  });
});
