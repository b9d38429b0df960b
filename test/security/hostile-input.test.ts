// Every field name, value, path parameter, cookie and header that arrives over the wire is hostile
// data. Walked over every route of the app and every form its pages render: prototype names
// (__proto__, constructor, toString), bracketed names (a[b]=c), repeated fields where one text is
// expected, NUL bytes, very long values, operator-looking values, JSON values of every kind. Whatever
// arrives: never a 5xx, Object.prototype gains nothing, a refused form leaves every stored document as
// it was, and a name the form does not have reaches no document. (The named refusals, `$` and dotted
// keys, objects in JSON bodies, are in hostile-requests.test.ts.)
import { writeFile, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent, csrfFrom, type Agent } from '../support/http.ts';
import { createInstitute, createUser, signIn, TEST_PASSWORD } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { listRoutes } from '../support/routes.ts';
import { makePdf } from '../documents/support.ts';
import { Case } from '../../models/case.ts';
import { Call } from '../../models/call.ts';
import { Institute } from '../../models/institute.ts';
import { User } from '../../models/user.ts';
import { CaseDocument } from '../../models/document.ts';
import { Evaluation } from '../../models/evaluation.ts';
import { Holiday } from '../../models/holiday.ts';
import { SavedFilter } from '../../models/saved-filter.ts';
import { EmailTemplate } from '../../models/email-template.ts';
import { createStorage, newStorageKey } from '../../server/documents/storage.ts';

type Role = 'admin' | 'hr' | 'leader' | 'applicant' | 'self' | 'anonymous';

/** The own property names of the prototypes a polluting write would reach. */
function prototypeKeys(): string {
  return [Object.prototype, Array.prototype, String.prototype, Function.prototype].map((p) => Object.getOwnPropertyNames(p).sort().join(',')).join('|');
}

function expectUnpolluted(before: string, where: string): void {
  expect(({} as Record<string, unknown>).polluted, `({}).polluted after ${where}`).to.equal(undefined);
  expect(prototypeKeys(), `prototype keys after ${where}`).to.equal(before);
}

const enc = encodeURIComponent;

/** Field names the app's forms and queries read: each hostile value goes into all of them at once. */
const NAMES = [
  'version', 'reason', 'note', 'items', 'dueAt', 'arrivedOn', 'assignee', 'ids', 'back', 'name', 'query', 'message', 'text', 'answer', 'decision',
  'keepDataConsent', 'go', 'status', 'office', 'filedAt', 'cardEndsAt', 'reasonsReceived', 'reasonsMissing', 'receivedOn', 'track', 'recommendation', 'comment', 'score_research',
  'action', 'edit', 'email', 'userId', 'code', 'nameVi', 'nameEn', 'date', 'kind', 'op', 'checklistRows', 'scorecardRows', 'cl_type_0', 'sc_key_0',
  'caseId', 'key', 'role', 'institute', 'isHrLead', 'seen', 'locale', 'lang', 'next', 'subject', 'html', 'reference', 'baseVersion', 'toVersion',
  'fullName', 'nationality', 'dateOfBirth', 'pub_rows', 'pub_0_title', 'dep_0_fullName', 'returnTo', 'from', 'stage', 'call', 'support', 'q', 'sort',
  'size', 'page', 'country', 'minScore', 'to', 'template', 'before', 'year', 'field',
];

/** Query strings and url-encoded bodies, as a client can write them. */
const PAYLOADS: Record<string, string> = {
  'prototype and bracketed names': '__proto__[polluted]=1&constructor[prototype][polluted]=1&a[b]=c&ids[]=x&ids[0]=y&toString=1&valueOf=1&hasOwnProperty=1&__defineGetter__=1',
  'every field twice': NAMES.map((f) => `${f}=a&${f}=b`).join('&'),
  'prototype names as values': NAMES.map((f, i) => `${f}=${['__proto__', 'constructor', 'toString', 'hasOwnProperty'][i % 4]}`).join('&'),
  'NUL bytes': NAMES.map((f) => `${f}=a%00b`).join('&'),
  'long values': NAMES.map((f) => `${f}=${'x'.repeat(2000)}`).join('&'),
  'operators as values': NAMES.map((f) => `${f}=${enc('$where')}`).join('&'),
};

/** JSON bodies (the pipeline reads them too): each value in every field at once. */
const JSON_VALUES = ['1e309', 'null', 'true', '[]', '["a"]', '[null, true, 1]', '-0', '12345678901234567890', '"a\\u0000b"'];

/** What a path parameter can be instead of an id, a step or a name. */
const PARAMS = ['__proto__', 'constructor', 'toString', '%24where', 'a.b', '%00', 'x'.repeat(3000), '%5Bobject%20Object%5D'];

/** Who reaches a route's own handler (others are refused before it reads anything). */
function roleFor(route: string): Role {
  if (route.startsWith('/admin')) return 'admin';
  if (route.startsWith('/account') && !route.startsWith('/account/calendar')) return 'self';
  if (/^\/shortlists\/.*\/decision/.test(route)) return 'leader';
  if (/^\/(applications|calls\/:id\/apply|documents\/:id\/renew)/.test(route)) return 'applicant';
  if (/^\/(cases|documents|mail-log|shortlists|dashboard|reports|vendor|account\/calendar)/.test(route)) return 'hr';
  return 'anonymous';
}

/** Signs out, so the walk would go on as a visitor: its body is never read. */
const NOT_WALKED = new Set(['POST /signout']);

interface Form {
  action: string;
  fields: [string, string][];
  hidden: Set<string>;
}

/** The POST forms of a page: their action, and every named field with the value the page gave it. */
function formsOf(html: string): Form[] {
  const out: Form[] = [];
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)) {
    const action = /action="([^"]*)"/.exec(m[1]!)?.[1];
    if (!/method="post"/i.test(m[1]!) || !action) continue;
    const fields: [string, string][] = [];
    const hidden = new Set<string>();
    for (const f of m[2]!.matchAll(/<(?:input|select|textarea)\b([^>]*)>/g)) {
      const name = /name="([^"]*)"/.exec(f[1]!)?.[1];
      if (!name || /type="file"/.test(f[1]!)) continue;
      if (/type="hidden"/.test(f[1]!)) hidden.add(name);
      fields.push([name, (/value="([^"]*)"/.exec(f[1]!)?.[1] ?? '').replace(/&amp;/g, '&').replace(/&#x3D;/g, '=')]);
    }
    out.push({ action: action.replace(/&amp;/g, '&'), fields, hidden });
  }
  return out;
}

const PDF = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');

describe('security: hostile keys and values on every route and form', function () {
  this.timeout(300_000);
  let t!: TestApp;
  let uploadDir: string;
  const agents = {} as Record<Role, Agent>;
  const tokens = {} as Record<Role, string>;
  const ids: Record<string, string> = {};
  let protoBefore: string;

  before(async () => {
    uploadDir = path.resolve(`data/test/uploads-hostile-${process.pid}`);
    await rm(uploadDir, { recursive: true, force: true });
    t = await startTestApp({ env: { UPLOAD_DIR: uploadDir, UPLOAD_RATE_PER_HOUR: '100000' } });
    const institute = await createInstitute();
    const call = await createCall({ institute });
    const plain = await createCall({ institute, checklist: [] });
    const admin = await createUser({ role: 'admin' });
    const hr = await createUser({ role: 'hr_officer', institute, isHrLead: true, panelCalls: [call._id] });
    const leader = await createUser({ role: 'leader', institute });
    const applicant = await createUser({ role: 'applicant' });
    const self = await createUser({ role: 'applicant' });
    const spare = await createUser({ role: 'hr_officer', institute });
    const draft = await createCase({ applicant, call, stage: 'draft' });
    const screening = await createCase({ applicant, call, stage: 'screening', assignee: hr._id });
    const awaiting = await createCase({ applicant, call: plain, stage: 'awaiting_applicant', assignee: hr._id, infoRequest: { items: ['Your passport'], dueAt: new Date(Date.now() + 9e8), requestedAt: new Date() } });
    const offer = await createCase({ applicant, call: plain, stage: 'offer', assignee: hr._id });
    const evaluation = await createCase({ applicant: await createUser({ role: 'applicant' }), call, stage: 'evaluation' });
    const tmp = path.join(uploadDir, '.tmp', randomBytes(8).toString('hex'));
    await mkdir(path.dirname(tmp), { recursive: true });
    await writeFile(tmp, PDF, { mode: 0o600 });
    const storageKey = newStorageKey();
    const sha256 = createHash('sha256').update(PDF).digest('hex');
    await createStorage(t.config).put(tmp, storageKey, { contentType: 'application/pdf', sha256 });
    const doc = await CaseDocument.create({ case: screening._id, type: 'cv', slot: 0, version: 1, current: true, storage: 'disk', storageKey, originalName: 'cv.pdf', mimeType: 'application/pdf', size: PDF.length, sha256, uploadedBy: applicant._id, status: 'pending' });
    const holiday = await Holiday.create({ date: '2031-01-02', name: { vi: 'Nghỉ', en: 'Day off' }, kind: 'day_off' });
    Object.assign(ids, {
      institute: String(institute._id), call: String(call._id), spare: String(spare._id), draft: String(draft._id), screening: String(screening._id),
      awaiting: String(awaiting._id), offer: String(offer._id), evaluation: String(evaluation._id), doc: String(doc._id), holiday: String(holiday._id),
      users: [admin, hr, leader, applicant, self, spare].map((u) => String(u._id)).join(','),
    });
    for (const [role, user] of Object.entries({ admin, hr, leader, applicant, self })) {
      agents[role as Role] = agent(t.app);
      await signIn(agents[role as Role], user);
    }
    agents.anonymous = agent(t.app);
    for (const role of Object.keys(agents) as Role[]) tokens[role] = csrfFrom((await agents[role].get(role === 'anonymous' ? '/signin' : '/account').set('Accept', 'text/html')).text);
    protoBefore = prototypeKeys();
  });
  after(async () => {
    await t?.close();
    await rm(uploadDir, { recursive: true, force: true });
  });
  afterEach(function () {
    expectUnpolluted(protoBefore, this.currentTest?.title ?? '');
  });

  /** A route's path with real ids of the world (so the request reaches the handler's reading of its input). */
  function concrete(route: string): string {
    return route
      .replace(':callId', ids.call!)
      .replace(':caseId', ids.evaluation!)
      .replace(':action', 'put_on_hold')
      .replace(':kind', 'visa')
      .replace(':step', 'profile')
      .replace(':template', 'application_submitted')
      .replace(':locale', 'en')
      .replace(':token', 'a'.repeat(43))
      .replace(/^\/cases\/filters\/:id/, '/cases/filters/000000000000000000000000')
      .replace(/^\/cases\/:id/, `/cases/${ids.screening}`)
      .replace(/^\/applications\/:id/, `/applications/${ids.draft}`)
      .replace(/^\/documents\/:id/, `/documents/${ids.doc}`)
      .replace(/^\/admin\/users\/:id/, `/admin/users/${ids.spare}`)
      .replace(/^\/admin\/institutes\/:id/, `/admin/institutes/${ids.institute}`)
      .replace(/^\/admin\/calls\/:id/, `/admin/calls/${ids.call}`)
      .replace(/^\/admin\/holidays\/:id/, `/admin/holidays/${ids.holiday}`)
      .replace(/^\/calls\/:id/, `/calls/${ids.call}`)
      .replace(/:id/, '000000000000000000000000');
  }

  /** Every stored document a form of this world could write, as it is now. */
  async function stored(): Promise<string> {
    const caseIds = [ids.draft, ids.screening, ids.awaiting, ids.offer, ids.evaluation];
    const userIds = ids.users!.split(',');
    const [cases, calls, institutes, users, docs, evaluations, holidays, filters, templates] = await Promise.all([
      Case.find({ _id: { $in: caseIds } }).sort({ _id: 1 }).lean(),
      Call.find({ institute: ids.institute }).sort({ _id: 1 }).lean(),
      Institute.find({}).sort({ _id: 1 }).lean(),
      // What a form owns on an account (not the sign-in counters a wrong password moves).
      User.find({ _id: { $in: userIds } }, { email: 1, name: 1, role: 1, institute: 1, locale: 1, isHrLead: 1, panelCalls: 1, disabledAt: 1, passwordHash: 1, consents: 1 }).sort({ _id: 1 }).lean(),
      CaseDocument.find({ case: { $in: caseIds } }).sort({ _id: 1 }).lean(),
      Evaluation.find({ case: { $in: caseIds } }).sort({ _id: 1 }).lean(),
      Holiday.find({}).sort({ _id: 1 }).lean(),
      SavedFilter.find({ user: { $in: userIds } }).sort({ _id: 1 }).lean(),
      EmailTemplate.find({ template: 'application_submitted' }).sort({ _id: 1 }).lean(),
    ]);
    return JSON.stringify({ cases, calls, institutes, users, docs, evaluations, holidays, filters, templates });
  }

  /** The pages whose forms are sent, by who sends them. */
  function formPages(): Record<Exclude<Role, 'anonymous'>, string[]> {
    return {
      hr: [`/cases/${ids.screening}/request-info`, `/cases/${ids.screening}`, `/cases/${ids.offer}`, `/cases/${ids.offer}/procedures/visa`, '/cases', '/mail-log', '/account/calendar', `/shortlists/${ids.call}/cases/${ids.evaluation}`],
      applicant: [...['profile', 'eligibility', 'achievements', 'dependants', 'support', 'review'].map((s) => `/applications/${ids.draft}/edit/${s}`), `/applications/${ids.awaiting}`, `/applications/${ids.offer}`, `/applications/${ids.screening}`],
      admin: ['/admin/institutes', `/admin/institutes/${ids.institute}`, '/admin/calls/new', `/admin/calls/${ids.call}`, '/admin/holidays?year=2031', '/admin/users/invite', `/admin/users/${ids.spare}/role`, `/admin/users/${ids.spare}/reset-second-factor`, `/admin/users/${ids.spare}/disable`, `/admin/calls/${ids.call}/panel`, '/admin/email-templates/application_submitted/en', '/admin/outbox'],
      leader: [`/shortlists/${ids.call}/cases/${ids.evaluation}`, '/cases'],
      self: ['/account', '/account/delete', '/account/second-factor'],
    };
  }

  it('walks every route with hostile query strings, url-encoded and JSON bodies and path parameters: never a 5xx', async () => {
    const routes = listRoutes(t.app).filter((r) => !NOT_WALKED.has(`${r.method} ${r.path}`) && r.path !== '/healthz' && r.path !== '/readyz');
    expect(routes.length).to.be.greaterThan(100);
    const failures: string[] = [];
    for (const r of routes) {
      const role = roleFor(r.path);
      const a = agents[role];
      const url = concrete(r.path);
      for (const [name, payload] of Object.entries(PAYLOADS)) {
        const res =
          r.method === 'GET'
            ? await a.get(`${url}?${payload}`).set('Accept', 'text/html')
            : await a.post(url).set('Accept', 'text/html').set('x-csrf-token', tokens[role]).type('form').send(`_csrf=${enc(tokens[role])}&${payload}`);
        if (res.status >= 500) failures.push(`${res.status} ${r.method} ${r.path} (${role}, ${name})`);
        expectUnpolluted(protoBefore, `${r.method} ${r.path} (${name})`);
      }
      for (const value of r.method === 'POST' ? JSON_VALUES : []) {
        const json = `{"_csrf":"${tokens[role]}",${NAMES.map((n) => `"${n}":${value}`).join(',')}}`;
        const res = await a.post(url).set('Accept', 'text/html').set('x-csrf-token', tokens[role]).set('Content-Type', 'application/json').send(json);
        if (res.status >= 500) failures.push(`${res.status} ${r.method} ${r.path} (${role}, JSON ${value})`);
      }
      if (!r.path.includes(':')) continue;
      for (const p of PARAMS) {
        const hostile = r.path.replace(/:[A-Za-z]+/g, p);
        const res = r.method === 'GET' ? await a.get(hostile).set('Accept', 'text/html') : await a.post(hostile).set('Accept', 'text/html').type('form').send(`_csrf=${enc(tokens[role])}`);
        if (res.status >= 500) failures.push(`${res.status} ${r.method} ${r.path} (${role}, parameter ${p.slice(0, 20)})`);
      }
    }
    expect(failures).to.deep.equal([]);
  });

  it('sends every form the pages render with hostile values in its fields: never a 5xx, and a refused form stores nothing', async () => {
    const pages = formPages();
    const values: Record<string, string | string[]> = { 'a NUL byte': 'a\u0000b', '"__proto__"': '__proto__', '"constructor"': 'constructor', 'a long text': 'x'.repeat(6000), twice: ['a', 'b'] };
    const failures: string[] = [];
    const refusedButStored: string[] = [];
    let sent = 0;
    for (const [role, urls] of Object.entries(pages) as [Role, string[]][]) {
      const a = agents[role];
      for (const url of urls) {
        const count = formsOf((await a.get(url).set('Accept', 'text/html')).text).length;
        for (let i = 0; i < count; i++) {
          for (const [label, value] of Object.entries(values)) {
            // The form's own hidden fields (its version, ids) kept, so the handler reads the rest; and, once, every field hostile.
            for (const keepHidden of label === 'twice' ? [true, false] : [true]) {
              const form = formsOf((await a.get(url).set('Accept', 'text/html')).text)[i];
              if (!form || /\/signout$/.test(form.action)) continue;
              const body = form.fields.flatMap(([name, given]) =>
                (name === '_csrf' || (keepHidden && form.hidden.has(name)) ? [given] : Array.isArray(value) ? value : [value]).map((v) => `${enc(name)}=${enc(v)}`),
              );
              const before = await stored();
              const res = await a.post(form.action).set('Accept', 'text/html').type('form').send(body.join('&'));
              sent += 1;
              const what = `${role} ${form.action} (${label}${keepHidden ? '' : ', hidden fields too'})`;
              if (res.status >= 500) failures.push(`${res.status} ${what}`);
              if (res.status >= 400 && (await stored()) !== before) refusedButStored.push(`${res.status} ${what}`);
              expectUnpolluted(protoBefore, what);
            }
          }
        }
      }
    }
    expect(sent).to.be.greaterThan(150);
    expect(failures).to.deep.equal([]);
    expect(refusedButStored).to.deep.equal([]);
  });

  it("takes only a form's own fields: names of stored fields added to each form (role, institute, applicant, assignee, stage…) reach no document", async () => {
    const other = await createUser({ role: 'hr_officer' });
    const otherId = String(other._id);
    const otherInstitute = String(other.institute);
    // Each added only where the form has no field of that name.
    const extras: Record<string, string> = {
      role: 'admin', isHrLead: 'yes', institute: otherInstitute, email: 'mass-assigned@example.test', applicant: otherId, call: otherId, reference: 'TA-2000-000001',
      assignee: otherId, stage: 'closed', member: otherId, user: otherId, panelCalls: otherId, disabledAt: '2020-01-01', sessionEpoch: '99', passwordHash: 'x',
    };
    const marks = [otherId, otherInstitute, 'mass-assigned@example.test', 'TA-2000-000001', '"sessionEpoch":99', '"passwordHash":"x"', '2020-01-01T'];
    /** The fields those names would reach, on the world's accounts, cases and scorecards. */
    const owned = async () =>
      JSON.stringify([
        await User.find({ _id: { $in: ids.users!.split(',') } }, { role: 1, institute: 1, email: 1, isHrLead: 1, panelCalls: 1, sessionEpoch: 1, passwordHash: 1, disabledAt: 1 }).lean(),
        await Case.find({ _id: { $in: [ids.draft, ids.screening, ids.awaiting, ids.offer, ids.evaluation] } }, { applicant: 1, call: 1, institute: 1, reference: 1, assignee: 1, stage: 1 }).lean(),
        await Evaluation.find({ case: ids.evaluation }, { member: 1, case: 1 }).lean(),
      ]);
    const reached: string[] = [];
    let sent = 0;
    for (const [role, urls] of Object.entries(formPages()) as [Role, string[]][]) {
      const a = agents[role];
      for (const url of urls) {
        const count = formsOf((await a.get(url).set('Accept', 'text/html')).text).length;
        for (let i = 0; i < count; i++) {
          const form = formsOf((await a.get(url).set('Accept', 'text/html')).text)[i];
          if (!form || /\/signout$/.test(form.action)) continue;
          const own = new Set(form.fields.map(([name]) => name));
          const body = [...form.fields, ...Object.entries(extras).filter(([name]) => !own.has(name))].map(([name, value]) => `${enc(name)}=${enc(value)}`);
          const res = await a.post(form.action).set('Accept', 'text/html').type('form').send(body.join('&'));
          sent += 1;
          expect(res.status, `${form.action}`).to.be.below(500);
          const now = await owned();
          for (const mark of marks) if (now.includes(mark)) reached.push(`${role} ${form.action}: ${mark}`);
          const users = await User.find({ _id: { $in: ids.users!.split(',') } }, { role: 1 }).lean();
          if (users.filter((u) => u.role === 'admin').length !== 1) reached.push(`${role} ${form.action}: role admin`);
          if (await Case.exists({ _id: { $in: [ids.draft, ids.screening, ids.awaiting, ids.offer, ids.evaluation] }, stage: 'closed' })) reached.push(`${role} ${form.action}: stage closed`);
          if (reached.length) break;
        }
      }
    }
    expect(sent).to.be.greaterThan(50);
    expect(reached).to.deep.equal([]);
  });

  describe('an upload form (multipart) with bracketed field names', () => {
    // A case of its own: the walks above have put the world's cases on hold, rejected or moved on.
    let a: Agent;
    let token: string;
    let caseId: string;
    let pdf: Buffer;
    before(async () => {
      const applicant = await createUser({ role: 'applicant', locale: 'en' });
      caseId = String((await createCase({ applicant, call: await Call.findById(ids.call).orFail(), stage: 'screening' }))._id);
      a = agent(t.app);
      await signIn(a, applicant);
      token = csrfFrom((await a.get(`/applications/${caseId}`).set('Accept', 'text/html')).text);
      pdf = await makePdf('Curriculum vitae');
    });

    /** What an upload could have written: the case's documents and the case itself. */
    async function uploads(id: string) {
      return { docs: await CaseDocument.countDocuments({ case: id }), case: JSON.stringify(await Case.findById(id).lean()) };
    }

    it("refuses them (400, in the person's language, on the upload page) before they become objects or lists, storing nothing", async () => {
      const before = await uploads(caseId);
      // a[99999999] made a list of a hundred million places that the key check then walked (seconds
      // of a blocked server per request; a[4294967294]: minutes); a[b] and x[] nested objects and
      // lists in a body whose every field is one text.
      for (const name of ['a[99999999]', 'returnTo[x]', 'cv_issuedAt[]', 'cv_issuedAt[0]', 'toString[x]']) {
        const started = Date.now();
        const res = await a.post(`/cases/${caseId}/documents`).set('Accept', 'text/html').field('_csrf', token).field(name, '/x').attach('cv', pdf, 'cv.pdf');
        expect(res.status, name).to.equal(400);
        expect(Date.now() - started, `${name} answered at once`).to.be.below(2000);
        expect(res.text, name).to.include('The form contained field names that are not allowed');
        // The upload page again, its form ready to be sent as shown.
        expect(res.text, name).to.include(`action="/cases/${caseId}/documents"`);
      }
      expect(await uploads(caseId)).to.deep.equal(before);

      // In the person's language: a Vietnamese applicant.
      const viApplicant = await createUser({ role: 'applicant', locale: 'vi' });
      const theirs = String((await createCase({ applicant: viApplicant, call: await Call.findById(ids.call).orFail(), stage: 'screening' }))._id);
      const vi = agent(t.app);
      await signIn(vi, viApplicant);
      const viToken = csrfFrom((await vi.get(`/applications/${theirs}`).set('Accept', 'text/html')).text);
      const res = await vi.post(`/cases/${theirs}/documents`).set('Accept', 'text/html').field('_csrf', viToken).field('a[1]', 'x').attach('cv', pdf, 'cv.pdf');
      expect(res.status).to.equal(400);
      expect(res.text).to.include('Biểu mẫu chứa tên trường không được phép');
      expect(await CaseDocument.countDocuments({ case: theirs })).to.equal(0);
    });

    it('still takes a plain upload with where to go back', async () => {
      const before = await CaseDocument.countDocuments({ case: caseId });
      const res = await a.post(`/cases/${caseId}/documents`).set('Accept', 'text/html').field('_csrf', token).field('returnTo', `/applications/${caseId}#documents`).attach('cv', pdf, 'cv.pdf');
      expect(res.status, res.text.slice(0, 300)).to.equal(303);
      expect(res.headers.location).to.equal(`/applications/${caseId}#documents`);
      expect(await CaseDocument.countDocuments({ case: caseId })).to.equal(before + 1);
    });
  });

  describe('a JSON body with text that is not Unicode (a lone surrogate, "\\ud800")', () => {
    it('is refused (400) before any route reads it: a note is not stored with the character replaced', async () => {
      const institute = await createInstitute();
      const hr = await createUser({ role: 'hr_officer', institute, locale: 'en' });
      const c = await createCase({ applicant: await createUser({ role: 'applicant' }), call: await createCall({ institute, checklist: [] }), stage: 'screening' });
      const a = agent(t.app);
      await signIn(a, hr);
      const token = csrfFrom((await a.get(`/cases/${c._id}`).set('Accept', 'text/html')).text);
      const res = await a.post(`/cases/${c._id}/notes`).set('Accept', 'text/html').set('x-csrf-token', token).set('Content-Type', 'application/json').send('{"note":"Checked the references\\ud800"}');
      expect(res.status).to.equal(400);
      expect(res.text).to.include('The request could not be read');
      expect((await Case.findById(c._id).lean())!.notes).to.have.length(0);
      // Its name too.
      const named = await a.post(`/cases/${c._id}/notes`).set('Accept', 'text/html').set('x-csrf-token', token).set('Content-Type', 'application/json').send('{"note":"Checked","x\\udc00":"1"}');
      expect(named.status).to.equal(400);
      // A pair (an emoji) is text like any other.
      const emoji = await a.post(`/cases/${c._id}/notes`).set('Accept', 'text/html').set('x-csrf-token', token).set('Content-Type', 'application/json').send('{"note":"Checked \\ud83d\\udc4d"}');
      expect(emoji.status).to.equal(303);
      expect((await Case.findById(c._id).lean())!.notes.map((n) => n.text)).to.deep.equal(['Checked \u{1F44D}']);
    });

    it("is refused at a staff member's sign-in (it was 'page not found' once the password was taken)", async () => {
      const hr = await createUser({ role: 'hr_officer', locale: 'en' });
      const a = agent(t.app);
      const token = csrfFrom((await a.get('/signin').set('Accept', 'text/html')).text);
      const res = await a.post('/signin').set('Accept', 'text/html').set('Content-Type', 'application/json').send(`{"_csrf":"${token}","email":"${hr.email}","password":"${TEST_PASSWORD}","next":"/cases\\ud800"}`);
      expect(res.status).to.equal(400);
      // Nothing was started: the second step is not waiting for a code.
      expect((await a.get('/signin/second-factor').set('Accept', 'text/html')).headers.location).to.equal('/signin');
    });
  });

  describe('cookies and headers', () => {
    it('reads a cookie only as text: one a JSON-decoding cookie parser turns into an object (j:…) is ignored, not a 500', async () => {
      for (const cookie of ['sid=j:1', 'sid=j:{"a":1}', 'sid=j:[1]', 'csrf=j:{"a":1}', 'flash=j:{"kind":"success","key":"x"}', 'lang=j:{"__proto__":{"polluted":1}}', '__proto__=j:{"polluted":1}', 'constructor=x; toString=y']) {
        const visitor = await agent(t.app).get('/signin').set('Accept', 'text/html').set('Cookie', cookie);
        expect(visitor.status, cookie).to.equal(200);
        expect(visitor.text, cookie).to.include('action="/signin"');
      }
      // The person's own session still counts beside a hostile cookie of another name.
      const mine = await agents.hr.get('/account').set('Accept', 'text/html').set('Cookie', 'lang=j:{"a":1}; flash=j:[1]');
      expect(mine.status).to.equal(200);
      expect(mine.text).to.include('action="/signout"');
    });

    it('answers hostile Accept-Language, Referer, Accept and request-id headers with the page', async () => {
      for (const language of ['__proto__', 'constructor;q=1, en;q=0.5', 'en;q=abc, vi;q=NaN', 'x'.repeat(8000), ',,;;', 'en;q=1e309']) {
        expect((await agent(t.app).get('/signin').set('Accept', 'text/html').set('Accept-Language', language)).status, language.slice(0, 30)).to.equal(200);
      }
      for (const [header, value] of [['Referer', 'http://127.0.0.1/__proto__'], ['Referer', '%%%'], ['Accept', '__proto__'], ['X-Request-Id', '__proto__'], ['X-Requested-With', '__proto__'], ['If-None-Match', '__proto__']] as const) {
        const res = await agents.hr.post('/cases/filters').set('Accept', 'text/html').set(header, value).type('form').send(`_csrf=${enc(tokens.hr)}&name=&query=`);
        expect(res.status, header).to.be.below(500);
      }
    });
  });
});
