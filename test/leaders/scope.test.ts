// What a leader may open (issue 10): only the cases their institute's calls shortlist (from
// evaluation on, along the main line) and the cases they scored. Every other case, and its
// documents, answers 404 as for a case that does not exist. The route inventory below names every
// route of the app, so a new route has to be placed in it (and, if it opens a case, tested here).
import { writeFile, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { Types } from 'mongoose';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent, csrfFrom, type Agent } from '../support/http.ts';
import { createInstitute, createUser, signIn } from '../support/factories.ts';
import { createCall } from '../support/case-factories.ts';
import { listRoutes } from '../support/routes.ts';
import { makeWorld, applicantCase, type World } from './context.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { CaseDocument } from '../../models/document.ts';
import { Evaluation } from '../../models/evaluation.ts';
import { createStorage, newStorageKey } from '../../server/documents/storage.ts';
import { canViewCase, caseScopeFilter, PANEL_STAGES } from '../../server/policies/case.ts';
import { STAGES } from '../../models/constants.ts';

const PDF = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');

/**
 * Every route, by what it does for a leader:
 *  - case:     takes a case id; hidden case → 404, visible case → reaches the handler (not 404)
 *  - document: takes a document id; the document of a hidden case → 404, of a visible case → not 404
 *  - role:     refused to leaders whatever the id (403), so it tells nothing about a case
 *  - list:     lists or counts cases; checked below for what it shows
 *  - none:     opens no case (accounts, public pages, administration of calls and users)
 */
type Kind = 'case' | 'document' | 'role' | 'list' | 'none';
const INVENTORY: Record<string, Kind> = {
  'GET /healthz': 'none',
  'GET /readyz': 'none',
  'GET /': 'none',
  'POST /lang': 'none',
  'GET /signin': 'none',
  'POST /signin': 'none',
  'GET /signin/second-factor': 'none',
  'POST /signin/second-factor': 'none',
  'POST /signout': 'none',
  'GET /register': 'none',
  'POST /register': 'none',
  'GET /verify-email/resend': 'none',
  'POST /verify-email/resend': 'none',
  'GET /verify-email/:token': 'none',
  'GET /password/forgot': 'none',
  'POST /password/forgot': 'none',
  'GET /password/reset/:token': 'none',
  'POST /password/reset/:token': 'none',
  'GET /invitations/:token': 'none',
  'POST /invitations/:token': 'none',
  'GET /account': 'none',
  'POST /account': 'none',
  'POST /account/password': 'none',
  'GET /account/password': 'none', // a redirect (303) to the page of the form whose refusal left this address
  'GET /account/second-factor': 'none',
  'POST /account/second-factor': 'none',
  'POST /account/second-factor/recovery-codes': 'none',
  'GET /account/second-factor/recovery-codes': 'none', // a redirect (303) to the page of the form whose refusal left this address
  'GET /account/export': 'none',
  'GET /account/delete': 'none',
  'POST /account/delete': 'none',
  'GET /account/calendar': 'none',
  'POST /account/calendar': 'none',
  'POST /account/calendar/revoke': 'none',
  // A leader's feed lists only the cases of their scope: test/calendar-feed/feed.test.ts.
  'GET /calendar/:token.ics': 'list',
  'GET /admin/users': 'role',
  'GET /admin/users/invite': 'role',
  'POST /admin/users/invite': 'role',
  'GET /admin/users/:id/disable': 'role',
  'POST /admin/users/:id/disable': 'role',
  'GET /admin/users/:id/enable': 'role',
  'POST /admin/users/:id/enable': 'role',
  'GET /admin/users/:id/reset-second-factor': 'role',
  'POST /admin/users/:id/reset-second-factor': 'role',
  'POST /admin/users/:id/resend-invitation': 'role',
  'GET /admin/users/:id/role': 'role',
  'POST /admin/users/:id/role': 'role',
  'POST /admin/users/:id/role/confirm': 'role',
  'POST /cases/:id/documents': 'case',
  'GET /documents/:id/download': 'document',
  'GET /documents/:id/verify': 'document',
  'POST /documents/:id/verify': 'document',
  // Renewal (the applicant's): loads the document through its case, like download; leaders get 404 or 403 (test/documents/renewal.test.ts).
  'GET /documents/:id/renew': 'document',
  'POST /documents/:id/renew': 'document',
  'GET /shortlists': 'list',
  'GET /shortlists/:callId': 'list',
  'GET /shortlists/:callId/compare': 'case',
  'GET /shortlists/:callId/cases/:caseId': 'case',
  'POST /shortlists/:callId/cases/:caseId/evaluation': 'case',
  'POST /shortlists/:callId/cases/:caseId/conflict': 'case',
  'GET /shortlists/:callId/cases/:caseId/conflict': 'none', // a redirect (303) to the case page, as the evaluation's
  'POST /shortlists/:callId/cases/:caseId/decision': 'case',
  'POST /shortlists/:callId/cases/:caseId/decision/confirm': 'case',
  'GET /shortlists/:callId/cases/:caseId/decision/confirm/:pending': 'case', // a pending decision's confirmation page (Post/Redirect/Get)
  'POST /shortlists/:callId/cases/:caseId/close-scoring': 'case',
  'GET /shortlists/:callId/cases/:caseId/close-scoring': 'none', // a redirect (303) to the case page, as the decision's
  'GET /shortlists/:callId/cases/:caseId/evaluation': 'none', // a redirect (303) to the page of the form whose refusal left this address
  'GET /shortlists/:callId/cases/:caseId/decision': 'none', // a redirect (303) to the page of the form whose refusal left this address
  'GET /shortlists/:callId/cases/:caseId/decision/confirm': 'none', // a redirect (303) to the page of the form whose refusal left this address
  'GET /admin/calls/:id/panel': 'role',
  'POST /admin/calls/:id/panel': 'role',
  'POST /admin/calls/:id/panel/remove': 'role',
  'GET /vendor/chart.js': 'none',
  'GET /dashboard': 'list',
  'GET /reports/steering': 'list',
  'GET /reports/steering.csv': 'list',
  'GET /reports/steering.pdf': 'list',
  'GET /reports/steering.xlsx': 'list',
  'GET /calls': 'none',
  'GET /calls/:id': 'none',
  'GET /privacy': 'none',
  'GET /calls/:id/apply': 'role',
  'POST /calls/:id/apply': 'role',
  'GET /applications': 'role',
  'GET /applications/:id': 'role',
  'GET /applications/:id/edit': 'role',
  'GET /applications/:id/edit/:step': 'role',
  'POST /applications/:id/edit/:step': 'role',
  'POST /applications/:id/submit': 'role',
  'POST /applications/:id/answer': 'role',
  'POST /applications/:id/offer': 'role', // the one-tap form of earlier pages: its answer's confirmation page, nothing taken
  'GET /applications/:id/offer/:answer': 'role',
  'POST /applications/:id/offer/:answer': 'role',
  'GET /applications/:id/withdraw': 'role',
  'POST /applications/:id/withdraw': 'role',
  'POST /applications/:id/messages': 'role',
  'POST /applications/:id/consent': 'role',
  'GET /applications/:id/submit': 'role', // a redirect (303) to the page of the form whose refusal left this address
  'GET /applications/:id/answer': 'role', // a redirect (303) to the page of the form whose refusal left this address
  'GET /applications/:id/offer': 'role', // a redirect (303) to the page of the form whose refusal left this address
  'GET /applications/:id/messages': 'role', // a redirect (303) to the page of the form whose refusal left this address
  'GET /cases': 'list',
  'POST /cases/bulk-assign': 'role',
  'GET /cases/bulk-assign': 'none', // a redirect (303) to the page of the form whose refusal left this address
  'GET /cases/filters': 'none', // a redirect to the queue (the address a refused save leaves)
  'POST /cases/filters': 'list', // a refused save shows the queue again, in the leader's scope
  'POST /cases/filters/:id/delete': 'none', // the leader's own saved filters only
  'GET /cases/:id': 'case',
  'POST /cases/:id/actions/:action': 'case',
  'GET /cases/:id/actions/:action': 'none', // a redirect (303) to the page of the form whose refusal left this address
  'POST /cases/:id/actions/:action/confirm': 'case',
  'GET /cases/:id/actions/:action/confirm': 'none', // the same redirect, for the confirmation page's form
  'GET /cases/:id/assign': 'none', // a redirect (303) to the page of the form whose refusal left this address
  'GET /cases/:id/notes': 'none', // a redirect (303) to the page of the form whose refusal left this address
  'GET /cases/:id/messages': 'none', // a redirect (303) to the page of the form whose refusal left this address
  'GET /cases/:id/request-info': 'role',
  'POST /cases/:id/request-info': 'role',
  'POST /cases/:id/request-info/extend': 'role',
  'GET /cases/:id/request-info/extend': 'none', // a redirect (303) to the page of the form whose refusal left this address
  'POST /cases/:id/planned-start': 'role',
  'GET /cases/:id/planned-start': 'none', // a redirect (303) to the page of the form whose refusal left this address
  'POST /cases/:id/offer-terms': 'role',
  'GET /cases/:id/offer-terms': 'none', // a redirect (303) to the page of the form whose refusal left this address
  'POST /cases/:id/assign': 'role',
  'POST /cases/:id/notes': 'role',
  'POST /cases/:id/messages': 'role',
  'POST /cases/:id/support/:kind': 'role',
  'GET /cases/:id/support/:kind': 'role', // a redirect (303) to the page of the form whose refusal left this address
  'GET /cases/:id/procedures/:kind': 'role',
  'POST /cases/:id/procedures/:kind': 'role',
  'POST /cases/:id/procedures/:kind/asks': 'role',
  'GET /cases/:id/procedures/:kind/asks': 'role', // a redirect (303) to the page of the form whose refusal left this address
  'POST /cases/:id/procedures/:kind/asks/:askId/received': 'role',
  'GET /cases/:id/procedures/:kind/asks/:askId/received': 'role', // a redirect (303), as above
  'POST /applications/:id/procedures/:kind/asks/:askId/done': 'role',
  'GET /applications/:id/procedures/:kind/asks/:askId/done': 'role', // a redirect (303), as above
  'GET /admin': 'role',
  'GET /admin/institutes': 'role',
  'POST /admin/institutes': 'role',
  'GET /admin/institutes/:id': 'role',
  'POST /admin/institutes/:id': 'role',
  'GET /admin/calls': 'role',
  'GET /admin/calls/new': 'role',
  'POST /admin/calls/new': 'role',
  'GET /admin/calls/:id': 'role',
  'POST /admin/calls/:id': 'role',
  'GET /admin/holidays': 'role',
  'POST /admin/holidays': 'role',
  'GET /admin/holidays/add': 'role',
  'POST /admin/holidays/add': 'role',
  'GET /admin/holidays/:id/delete': 'role',
  'POST /admin/holidays/:id/delete': 'role',
  'GET /admin/holidays/recounts/:id': 'role',
  'POST /admin/holidays/known/add': 'role',
  'POST /admin/holidays/known/dismiss': 'role',
  'POST /admin/holidays/known/observe': 'role',
  'GET /admin/outbox': 'role',
  'POST /admin/outbox/requeue': 'role',
  'GET /admin/audit': 'role',
  'GET /mail-log': 'role',
  'GET /mail-log/:id': 'role',
  'GET /mail-log/:id/preview': 'role',
  'POST /mail-log/:id/requeue': 'role',
  'GET /admin/email-templates': 'role',
  'GET /admin/email-templates/:template/:locale': 'role',
  'POST /admin/email-templates/:template/:locale': 'role',
  'GET /admin/email-templates/:template/:locale/preview': 'role',
  'POST /admin/email-templates/:template/:locale/revert': 'role',
  'POST /admin/email-templates/:template/:locale/keep': 'role',
};

describe('leaders: only what their calls shortlist, and what they scored (404 for the rest)', function () {
  this.timeout(60_000);
  let t: TestApp;
  let w: World;
  let l: Agent;
  let token: string;
  let uploadDir: string;
  // Hidden from w.leader: never reached the panel, or left before it, and not scored by them.
  let hidden: Record<'screening' | 'submitted' | 'rejectedEarly' | 'withdrawnEarly' | 'onHoldEarly' | 'rejectedUnscored', CaseDoc>;
  // Visible to w.leader.
  let visible: Record<'evaluation' | 'shortlisted' | 'offer' | 'closed' | 'rejectedScored', CaseDoc>;
  const docs = new Map<string, string>(); // case id → document id

  async function storeDocument(c: CaseDoc): Promise<string> {
    const tmp = path.join(uploadDir, '.tmp', randomBytes(8).toString('hex'));
    await mkdir(path.dirname(tmp), { recursive: true });
    await writeFile(tmp, PDF, { mode: 0o600 });
    const key = newStorageKey();
    const sha256 = createHash('sha256').update(PDF).digest('hex');
    await createStorage(t.config).put(tmp, key, { contentType: 'application/pdf', sha256 });
    const d = await CaseDocument.create({ case: c._id, type: 'cv', slot: 0, version: 1, current: true, storage: 'disk', storageKey: key, originalName: 'cv.pdf', mimeType: 'application/pdf', size: PDF.length, sha256, uploadedBy: c.applicant, status: 'pending' });
    return String(d._id);
  }

  before(async () => {
    uploadDir = path.resolve(`data/test/uploads-scope-${process.pid}`);
    t = await startTestApp({ env: { UPLOAD_DIR: uploadDir } });
    w = await makeWorld();
    const at = async (stage: Parameters<typeof applicantCase>[1]) => (await applicantCase(w.call, stage)).kase;
    hidden = {
      screening: await at('screening'),
      submitted: await at('submitted'),
      rejectedEarly: await at('rejected'),
      withdrawnEarly: await at('withdrawn'),
      onHoldEarly: await at('on_hold'),
      rejectedUnscored: await at('rejected'),
    };
    visible = { evaluation: await at('evaluation'), shortlisted: await at('shortlisted'), offer: await at('offer'), closed: await at('closed'), rejectedScored: await at('rejected') };
    // The leader scored this one while it was in evaluation; it was rejected afterwards.
    await Evaluation.create({ case: visible.rejectedScored._id, call: w.call._id, member: w.leader._id, scores: { research: 2 }, recommendation: 'no', submittedAt: new Date() });
    // Someone else scored the unscored rejected case: that does not make it the leader's.
    await Evaluation.create({ case: hidden.rejectedUnscored._id, call: w.call._id, member: w.member._id, scores: { research: 4 }, recommendation: 'yes', submittedAt: new Date() });
    for (const c of [...Object.values(hidden), ...Object.values(visible)]) docs.set(String(c._id), await storeDocument(c));
    l = agent(t.app);
    await signIn(l, w.leader);
    token = csrfFrom((await l.get('/account').set('Accept', 'text/html')).text);
  });
  after(async () => {
    await t?.close();
    await rm(uploadDir, { recursive: true, force: true });
  });

  const get = (a: Agent, url: string) => a.get(url).set('Accept', 'application/json');
  const post = (a: Agent, url: string, form: Record<string, string> = {}) => a.post(url).type('form').set('Accept', 'application/json').send({ _csrf: token, ...form });

  /** One request per case route, for one case. */
  function caseRequests(c: CaseDoc, other: CaseDoc): Record<string, () => Promise<{ status: number }>> {
    const s = `/shortlists/${w.call._id}`;
    return {
      'POST /cases/:id/documents': () => l.post(`/cases/${c._id}/documents`).field('_csrf', token).set('Accept', 'application/json').attach('cv', PDF, 'cv.pdf'),
      'GET /cases/:id': () => get(l, `/cases/${c._id}`),
      'POST /cases/:id/actions/:action': () => post(l, `/cases/${c._id}/actions/start_screening`, { version: String(c.version) }),
      'POST /cases/:id/actions/:action/confirm': () => post(l, `/cases/${c._id}/actions/put_on_hold/confirm`, { version: String(c.version), reason: 'Budget review.' }),
      'GET /shortlists/:callId/compare': () => get(l, `${s}/compare?ids=${c._id},${other._id}`),
      'GET /shortlists/:callId/cases/:caseId': () => get(l, `${s}/cases/${c._id}`),
      'POST /shortlists/:callId/cases/:caseId/evaluation': () => post(l, `${s}/cases/${c._id}/evaluation`, { score_research: '3', score_fit: '3', recommendation: 'yes' }),
      // A reason too short: refused (422) where the case is the leader's, so nothing is declared; 404 elsewhere.
      'POST /shortlists/:callId/cases/:caseId/conflict': () => post(l, `${s}/cases/${c._id}/conflict`, { conflictReason: 'x' }),
      'POST /shortlists/:callId/cases/:caseId/decision': () => post(l, `${s}/cases/${c._id}/decision`, { action: 'reject', version: String(c.version), reason: '' }),
      'POST /shortlists/:callId/cases/:caseId/decision/confirm': () => post(l, `${s}/cases/${c._id}/decision/confirm`, { action: 'reject', version: String(c.version), reason: '' }),
      // No such pending decision: the case page again (303) where the case is the leader's; 404 elsewhere.
      'GET /shortlists/:callId/cases/:caseId/decision/confirm/:pending': () => get(l, `${s}/cases/${c._id}/decision/confirm/${'0'.repeat(32)}`),
      // No reason: refused (422) or the case past scoring (409) where the case is the leader's, so nothing is closed; 404 elsewhere.
      'POST /shortlists/:callId/cases/:caseId/close-scoring': () => post(l, `${s}/cases/${c._id}/close-scoring`, { version: String(c.version), closeReason: '' }),
    };
  }

  it('has every route of the app in the inventory (a new route must be placed, and tested if it opens a case)', () => {
    const routes = listRoutes(t.app).map((r) => `${r.method} ${r.path}`);
    expect(routes.filter((r) => !(r in INVENTORY)), 'routes missing from the inventory').to.deep.equal([]);
    expect(Object.keys(INVENTORY).filter((r) => !routes.includes(r)), 'inventory entries with no route').to.deep.equal([]);
    const tested = Object.keys(caseRequests(visible.shortlisted, visible.offer));
    expect(Object.keys(INVENTORY).filter((r) => INVENTORY[r] === 'case').sort()).to.deep.equal([...tested].sort());
  });

  it('answers 404 on every case route for a case the leader may not see, and changes nothing', async () => {
    for (const [name, c] of Object.entries(hidden)) {
      const before = await Case.findById(c._id).lean();
      for (const [route, send] of Object.entries(caseRequests(c, visible.shortlisted))) {
        const res = await send();
        expect(res.status, `${route} for a ${name} case`).to.equal(404);
      }
      const after = await Case.findById(c._id).lean();
      expect(after!.version, name).to.equal(before!.version);
      expect(after!.stage, name).to.equal(before!.stage);
    }
    expect(await Evaluation.countDocuments({ member: w.leader._id, case: { $in: Object.values(hidden).map((c) => c._id) } })).to.equal(0);
  });

  it('reaches the handler on every case route for a case the leader may see', async () => {
    for (const [name, c] of Object.entries(visible)) {
      for (const [route, send] of Object.entries(caseRequests(c, name === 'shortlisted' ? visible.offer : visible.shortlisted))) {
        const res = await send();
        expect(res.status, `${route} for a ${name} case`).not.to.equal(404);
        expect(res.status, `${route} for a ${name} case`).to.be.below(500);
      }
      expect((await get(l, `/cases/${c._id}`)).status, name).to.equal(200);
      expect((await get(l, `/shortlists/${w.call._id}/cases/${c._id}`)).status, name).to.equal(200);
    }
  });

  it('downloads the documents of visible cases only; the others are 404 (download and verify)', async () => {
    for (const c of Object.values(hidden)) {
      const id = docs.get(String(c._id))!;
      expect((await get(l, `/documents/${id}/download`)).status, c.stage).to.equal(404);
      expect((await post(l, `/documents/${id}/verify`, { decision: 'accept' })).status, c.stage).to.equal(404);
      expect((await get(l, `/documents/${id}/renew`)).status, c.stage).to.equal(404);
    }
    for (const c of Object.values(visible)) {
      const id = docs.get(String(c._id))!;
      const res = await l.get(`/documents/${id}/download`).buffer(true).parse((r, cb) => {
        const chunks: Buffer[] = [];
        r.on('data', (d: Buffer) => chunks.push(d));
        r.on('end', () => cb(null, Buffer.concat(chunks)));
      });
      expect(res.status, c.stage).to.equal(200);
      expect((res.body as Buffer).equals(PDF)).to.equal(true);
      // Leaders do not verify documents (HR does): refused, but the document is not hidden.
      expect((await post(l, `/documents/${id}/verify`, { decision: 'accept' })).status, c.stage).to.equal(403);
      expect((await get(l, `/documents/${id}/renew`)).status, c.stage).to.equal(403);
    }
    // HR of the institute still sees and verifies everything of theirs.
    const hr = agent(t.app);
    await signIn(hr, await createUser({ role: 'hr_officer', institute: w.instituteId }));
    expect((await hr.get(`/documents/${docs.get(String(hidden.screening._id))}/download`)).status).to.equal(200);
  });

  it('lists only visible cases in the queue and on the shortlist; dashboard counts may include earlier stages', async () => {
    const queue = await l.get('/cases?size=100&closed=1').set('Accept', 'text/html'); // closed cases too (the queue shows open work by default)
    expect(queue.status).to.equal(200);
    for (const c of Object.values(hidden)) expect(queue.text, c.stage).not.to.include(c.reference);
    for (const c of Object.values(visible)) expect(queue.text, c.stage).to.include(c.reference);
    const list = await l.get(`/shortlists/${w.call._id}`).set('Accept', 'text/html');
    for (const c of Object.values(hidden)) expect(list.text, c.stage).not.to.include(`data-case="${c._id}"`);
    for (const c of [visible.evaluation, visible.shortlisted, visible.offer, visible.closed]) expect(list.text, c.stage).to.include(`data-case="${c._id}"`);
    // Aggregate figures are counts, not cases: the institute's pipeline counts every submitted case.
    const csv = await l.get('/reports/steering.csv?lang=en');
    expect(csv.status).to.equal(200);
    expect(csv.text).to.include(`Submitted applications,${Object.keys(hidden).length + Object.keys(visible).length}`);
    expect(csv.text).not.to.include(hidden.screening.reference);
    expect((await l.get('/dashboard').set('Accept', 'text/html')).status).to.equal(200);
  });

  it('refuses leaders every route of the inventory marked "role" (403), whatever the id', async () => {
    for (const [route, kind] of Object.entries(INVENTORY)) {
      if (kind !== 'role') continue;
      const [method, p] = route.split(' ') as [string, string];
      const url = p.replace(/:([A-Za-z]+)/g, (_m, name: string) => (name === 'kind' ? 'visa' : name === 'step' ? 'profile' : String(hidden.screening._id)));
      const res = method === 'GET' ? await get(l, url) : await post(l, url);
      expect(res.status, route).to.equal(403);
    }
  });

  it('applies the same rule to a panel member from another institute', async () => {
    const external = await createUser({ role: 'hr_officer', institute: w.otherInstituteId, panelCalls: [w.call._id] });
    const e = agent(t.app);
    await signIn(e, external);
    expect((await e.get(`/cases/${hidden.screening._id}`).set('Accept', 'application/json')).status).to.equal(404);
    expect((await e.get(`/documents/${docs.get(String(hidden.screening._id))}/download`).set('Accept', 'application/json')).status).to.equal(404);
    // A case before the panel is theirs on the shortlist only: HR's case file is not (walk s36, test/security/outside-reviewer-s36.test.ts).
    expect((await e.get(`/shortlists/${w.call._id}/cases/${visible.shortlisted._id}`).set('Accept', 'application/json')).status).to.equal(200);
    expect((await e.get(`/cases/${visible.shortlisted._id}`).set('Accept', 'application/json')).status).to.equal(404);
    // ...and sees nothing of a third institute's call whose panel they do not sit on.
    const thirdCall = await createCall({ institute: (await createInstitute())._id, status: 'closed' });
    const thirdCase = (await applicantCase(thirdCall, 'shortlisted')).kase;
    expect((await e.get(`/cases/${thirdCase._id}`).set('Accept', 'application/json')).status).to.equal(404);
  });
});

describe('leaders: the case policy (both directions)', () => {
  const institute = { _id: 'inst-a' } as unknown as Types.ObjectId;
  const leader = { _id: 'leader-1', role: 'leader', institute, panelCalls: [] };
  const externalLeader = { _id: 'leader-2', role: 'leader', institute: 'inst-b', panelCalls: ['call-a'] };
  const hr = { _id: 'hr-1', role: 'hr_officer', institute, panelCalls: [] };
  const externalHr = { _id: 'hr-2', role: 'hr_officer', institute: 'inst-b', panelCalls: ['call-a'] };
  const kase = (stage: string) => ({ applicant: 'app-1', institute, call: 'call-a', stage });

  it('lets a leader see their calls\' cases from evaluation on, along the main line; earlier or off-line only when they scored it', () => {
    for (const stage of STAGES) {
      const expected = (PANEL_STAGES as readonly string[]).includes(stage);
      expect(canViewCase(leader, kase(stage)), stage).to.equal(expected);
      // A draft is no staff member's to see (nor can it have been scored).
      expect(canViewCase(leader, kase(stage), { scored: true }), `${stage}, scored`).to.equal(stage !== 'draft');
      expect(canViewCase(externalLeader, kase(stage)), `${stage}, panel member of another institute`).to.equal(expected);
      expect(canViewCase(externalHr, kase(stage)), `${stage}, external HR panel member`).to.equal(expected);
      expect(canViewCase(hr, kase(stage)), `${stage}, HR of the institute`).to.equal(stage !== 'draft');
    }
    expect(PANEL_STAGES).to.deep.equal(['evaluation', 'shortlisted', 'offer', 'onboarding', 'arrived', 'closed']);
  });

  it('lets the institute\'s leaders, not other panel members, see a case rejected, withdrawn, declined or held after the panel, whoever decided', () => {
    const afterPanel = { ...kase('rejected'), reached: ['draft', 'submitted', 'screening', 'evaluation', 'rejected'] };
    expect(canViewCase(leader, afterPanel)).to.equal(true);
    expect(canViewCase(externalLeader, afterPanel)).to.equal(false);
    expect(canViewCase(externalHr, afterPanel)).to.equal(false);
    // Rejected at screening (HR's): never before the panel.
    expect(canViewCase(leader, { ...kase('rejected'), reached: ['draft', 'submitted', 'screening', 'rejected'] })).to.equal(false);
    // Withdrawn, the offer declined (withdrawn) or held after the panel: the same, for the institute's leaders only.
    for (const after of [{ ...kase('withdrawn'), reached: ['evaluation', 'withdrawn'] }, { ...kase('withdrawn'), reached: ['evaluation', 'shortlisted', 'offer', 'withdrawn'] }, { ...kase('on_hold'), reached: ['screening', 'evaluation', 'on_hold'] }]) {
      expect(canViewCase(leader, after), after.stage).to.equal(true);
      expect(canViewCase(externalLeader, after), `${after.stage}, leader of another institute with a seat`).to.equal(false);
      expect(canViewCase(externalHr, after), `${after.stage}, external panel member`).to.equal(false);
      expect(canViewCase({ ...hr, institute: 'inst-b', panelCalls: ['call-z'] }, after), `${after.stage}, HR without a seat`).to.equal(false);
      expect(canViewCase({ _id: 'app-2', role: 'applicant' }, after), `${after.stage}, another applicant`).to.equal(false);
    }
    // ...but not withdrawn or held before it (a hold lifted later does not change what it was).
    expect(canViewCase(leader, { ...kase('withdrawn'), reached: ['submitted', 'screening', 'withdrawn'] })).to.equal(false);
    expect(canViewCase(leader, { ...kase('on_hold'), reached: ['submitted', 'screening', 'on_hold'] })).to.equal(false);
    // Left the panel's line for no other stage: a draft is never a staff member's, scored or not.
    expect(canViewCase(leader, { ...kase('draft'), reached: ['evaluation', 'draft'] })).to.equal(false);
    // Read without its stages (a projection): hidden.
    expect(canViewCase(leader, kase('rejected'))).to.equal(false);
  });

  it('never lets a leader see another institute\'s case, scored or not, nor one without a stage', () => {
    const elsewhere = { applicant: 'app-2', institute: 'inst-b', call: 'call-b', stage: 'shortlisted' };
    expect(canViewCase(leader, elsewhere)).to.equal(false);
    expect(canViewCase(leader, elsewhere, { scored: true })).to.equal(false);
    expect(canViewCase(leader, { ...elsewhere, stage: 'rejected', reached: ['evaluation', 'rejected'] })).to.equal(false);
    expect(canViewCase(leader, { applicant: 'x', institute, call: 'call-a' })).to.equal(false);
    expect(canViewCase(undefined, kase('shortlisted'))).to.equal(false);
    expect(canViewCase({ _id: 'x', role: 'visitor' }, kase('shortlisted'))).to.equal(false);
  });

  it('builds a list filter with the same rule', () => {
    const f = caseScopeFilter(leader, ['case-scored']);
    expect(f).to.deep.equal({
      $and: [
        { $or: [{ institute }, { call: { $in: [] } }] },
        { $or: [{ stage: { $in: [...PANEL_STAGES] } }, { _id: { $in: ['case-scored'] } }, { 'decision.decidedBy': leader._id }, { institute, stage: { $in: ['rejected', 'withdrawn', 'on_hold'] }, reached: 'evaluation' }] },
      ],
    });
    expect(caseScopeFilter({ _id: 'u', role: 'someone' })).to.deep.equal({ _id: null });
  });
});
