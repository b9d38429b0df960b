// Security review s34 of session 33's code, as an attacker (the embedded server's part is in
// test/embedded-mongo/pre-auth-s34.test.ts):
// - an administrator's edit of an e-mail template that names a fact the applicant must read only
//   inside {{#if}} (or an empty {{#each}}) said nothing of it, and kept the fact from being added
//   after the edit (server/mail/render.ts missingFacts): the applicant lost the date to act by;
// - an edit cannot read the prototype of the e-mail's data (Handlebars 4.7 refuses it; checked here);
// - the 503 page that keeps what was typed keeps no password, token or bookkeeping field, nothing
//   under a hostile name (`__proto__`, `a[$gt]`), arrays as lines, bounded in size, escaped;
// - the arrival (mark_arrived, which now moves the residence card's target): hostile dates, another
//   institute's HR, the applicant, a double submit: refused or once, nothing else written;
// - an edit that prints every field of its data ({{#each this}}) finds no leader's internal reason in
//   the applicant's hold and resume e-mails: the data is chosen per recipient (checked, SMTP).
import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { renderEmail } from '../../server/mail/render.ts';
import { checkTemplate, sampleData, type TemplateParts } from '../../server/mail/templates.ts';
import { errorHandler } from '../../server/http/error-handler.ts';
import { createLogger } from '../../server/logger.ts';
import { createHash } from 'node:crypto';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent, csrfFrom } from '../support/http.ts';
import { createInstitute, createUser, signIn } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { loadCalendar, seedHolidays, vnDateKey, vnEndOfDay } from '../../server/calendar/index.ts';
import { makeWorld, applicantCase } from '../leaders/context.ts';
import { Evaluation } from '../../models/evaluation.ts';
import { Case } from '../../models/case.ts';
import { EmailTemplate } from '../../models/email-template.ts';
import { invalidateOverrides } from '../../server/mail/templates.ts';
import { dispatchOnce } from '../../server/outbox/index.ts';

const plain = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/&#x27;/g, "'").replace(/&amp;/g, '&').replace(/\s+/g, ' ');

describe('security s34: an edited e-mail that names a fact without showing it still carries it', () => {
  const dueAt = new Date('2027-04-09T03:00:00Z');
  const data = { ...sampleData('offer_made', 'http://talent.test'), dueAt, dueLeft: '10 working days left', termsPending: false };
  const answerBy = 'Please answer by 9 Apr 2027 (10 working days left).';

  for (const [what, text, html] of [
    ['tested by {{#if}}', 'Dear {{name}},\n{{#if dueAt}}{{/if}}{{#if termsPending}}{{/if}}We look forward to your answer.', '<p>Dear {{name}},</p>{{#if dueAt}}{{/if}}{{#unless termsPending}}{{/unless}}<p>We look forward to your answer.</p>'],
    ['inside an empty {{#with}} / {{#each}}', 'Dear {{name}},\n{{#with dueAt}}{{/with}}{{#if termsPending}}x{{else}}{{/if}}We look forward to your answer.', '<p>Dear {{name}},</p>{{#each dueAt}}{{/each}}{{#if termsPending}}{{/if}}<p>We look forward to your answer.</p>'],
  ] as const) {
    it(`adds the answer-by date after an edit that names it only ${what} (text and HTML)`, async () => {
      const parts: TemplateParts = { subject: 'Offer {{reference}}', text, html };
      expect(checkTemplate('offer_made', 'en', parts), 'the edit is one an administrator can save').to.deep.equal([]);
      const mail = await renderEmail('offer_made', 'en', data, { parts });
      expect(mail.text.indexOf(answerBy), mail.text).to.be.greaterThan(mail.text.indexOf('We look forward to your answer.'));
      expect(plain(mail.html)).to.include('Please answer by 9 Apr 2027');
    });
  }

  it('adds nothing to an edit that shows the date, and says it once', async () => {
    const parts: TemplateParts = {
      subject: 'Offer {{reference}}',
      text: 'Dear {{name}},\nAnswer by {{date dueAt}}.{{#if termsPending}} Terms follow.{{/if}}',
      html: '<p>Answer by {{date dueAt}}.</p>{{#if termsPending}}<p>Terms follow.</p>{{/if}}',
    };
    const mail = await renderEmail('offer_made', 'en', data, { parts });
    expect(mail.text).to.include('Answer by 9 Apr 2027.');
    expect(mail.text).not.to.include('Please answer by');
    expect(plain(mail.html)).not.to.include('Please answer by');
  });

  it('adds the paused request to a hold e-mail whose edit only tests it', async () => {
    const requestPaused = 'The request for information (due 11 Mar 2027) waits with your application: you had 8 working days left to answer.';
    const parts: TemplateParts = { subject: 'On hold {{reference}}', text: 'Dear {{name}},\n{{#if requestPaused}}Your application is paused.{{/if}}', html: '<p>{{#if requestPaused}}Your application is paused.{{/if}}</p>' };
    const mail = await renderEmail('on_hold', 'en', { ...sampleData('on_hold', 'http://talent.test'), requestPaused }, { parts });
    expect(mail.text).to.include('Your application is paused.').and.include(requestPaused);
    expect(plain(mail.html)).to.include(requestPaused);
  });

  it("cannot read the prototype of the e-mail's data through lookup, with or a path (Handlebars 4.7's own refusal)", async () => {
    for (const probe of [
      '{{lookup this "constructor"}}',
      '{{lookup (lookup this "constructor") "name"}}',
      '{{#with (lookup this "constructor")}}{{lookup this "prototype"}}{{name}}{{/with}}',
      '{{lookup this "__proto__"}}',
      '{{#each (lookup name "constructor")}}x{{/each}}',
      '{{callTitle.constructor}}',
      '{{lookup callTitle "__defineGetter__"}}',
    ]) {
      const parts: TemplateParts = { subject: 'S {{reference}}', text: `[${probe}] {{date dueAt}}{{#if termsPending}}{{/if}}`, html: `<p>[${probe}]</p><p>{{date dueAt}}{{termsPending}}</p>` };
      const mail = await renderEmail('offer_made', 'en', { ...data, callTitle: { en: 'Materials expert' } }, { parts });
      expect(mail.text, probe).to.match(/^\[\]/);
      expect(mail.text + mail.html, probe).not.to.match(/function|Object|\[native code\]|prototype/);
    }
  });
});

describe('security s34: the 503 page that keeps what was typed', () => {
  let server: http.Server;
  let base = '';
  before(async () => {
    const { viewEngine, viewsDir } = await import('../../server/views/engine.ts');
    const { MongoServerSelectionError } = await import('mongodb');
    const app = express();
    app.engine('hbs', viewEngine().engine);
    app.set('view engine', 'hbs');
    app.set('views', viewsDir);
    // As the app parses bodies (server/http/app.ts).
    app.use(express.urlencoded({ extended: false, limit: '200kb', parameterLimit: 500 }));
    app.use(express.json({ limit: '200kb' }));
    const down = () => new MongoServerSelectionError('connect ECONNREFUSED 127.0.0.1:1', { type: 'Unknown', servers: new Map(), stale: false, compatible: true, heartbeatFrequencyMS: 10_000, localThresholdMS: 15, setName: null, maxElectionId: null, maxSetVersion: null, commonWireVersion: 0, logicalSessionTimeoutMinutes: null } as never);
    app.post(['/signin', '/account/password', '/cases/1/actions/reject'], () => {
      throw down();
    });
    app.use(errorHandler(createLogger('silent')));
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((r) => server.close(r));
  });

  const kept = (html: string) => [...html.matchAll(/data-kept="([^"]+)"[^>]*>([^<]*)<\/textarea>/g)].map((m) => [m[1], m[2]]);

  it('keeps no password, CSRF token, code or bookkeeping field (sign-in, password change)', async () => {
    const signin = await fetch(`${base}/signin`, { method: 'POST', headers: { accept: 'text/html' }, body: new URLSearchParams({ _csrf: 'csrf-token-value', email: 'a@b.example', password: 'hunter2-secret', next: '/cases', code: '123456' }) });
    expect(signin.status).to.equal(503);
    const html = await signin.text();
    expect(kept(html)).to.deep.equal([['email', 'a@b.example']]);
    expect(html).not.to.include('hunter2').and.not.to.include('csrf-token-value').and.not.to.include('123456');
    const pw = await fetch(`${base}/account/password`, { method: 'POST', headers: { accept: 'text/html' }, body: new URLSearchParams({ _csrf: 'csrf-token-value', currentPassword: 'old-secret-1', newPassword: 'new-secret-2', newPasswordConfirm: 'new-secret-2', recoveryCode: 'RC-1', apiToken: 'tok', formKey: 'fk', version: '3' }) });
    expect(pw.status).to.equal(503);
    const pwHtml = await pw.text();
    expect(kept(pwHtml)).to.deep.equal([]);
    expect(pwHtml).not.to.match(/old-secret|new-secret|RC-1|tok\b|"fk"/);
  });

  it('shows hostile names never, arrays as lines, escaped and bounded (urlencoded and JSON)', async () => {
    const body = `reason=${encodeURIComponent('</textarea><script>alert(1)</script>')}&a%5B%24gt%5D=x&__proto__%5Bx%5D=y&constructor=z&items=one&items=two&note=${'n'.repeat(30_000)}`;
    const res = await fetch(`${base}/cases/1/actions/reject`, { method: 'POST', headers: { accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' }, body });
    expect(res.status).to.equal(503);
    const html = await res.text();
    const fields = kept(html);
    expect(fields.map(([f]) => f)).to.deep.equal(['reason', 'constructor', 'items', 'note']);
    expect(fields[0]![1]).to.equal('&lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.to.include('<script>alert(1)');
    expect(fields[2]![1]).to.equal('one\ntwo');
    expect(fields[3]![1]!.length, 'cut to 20,000 characters').to.equal(20_000);

    // A JSON body answers in JSON: nothing typed is echoed.
    const json = await fetch(`${base}/cases/1/actions/reject`, { method: 'POST', headers: { accept: 'application/json', 'content-type': 'application/json' }, body: '{"reason":"<b>x</b>","__proto__":{"polluted":1}}' });
    expect(json.status).to.equal(503);
    const answer = (await json.json()) as { error: { code: string; message: string } };
    expect(JSON.stringify(answer)).not.to.include('<b>x</b>');
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
  });
});

describe("security s34: an edited template that prints all its data finds no leader's internal reason", function () {
  this.timeout(90_000);
  let t: TestApp;
  const dump = '{{#each this}}[{{@key}}={{this}}]{{/each}}';
  const edited = ['on_hold', 'resumed'];
  before(async () => {
    t = await startTestApp();
  });
  after(async () => {
    await EmailTemplate.deleteMany({ template: { $in: edited } });
    invalidateOverrides();
    await t?.close();
  });

  it("the hold a leader takes from the panel and HR's resume: every field the applicant's e-mails hold is printed, the reason is in none", async () => {
    const w = await makeWorld();
    const admin = await createUser({ role: 'admin' });
    for (const template of edited) {
      for (const locale of ['en', 'vi'] as const) {
        const fact = template === 'on_hold' ? '{{requestPaused}}' : '{{dueLine}}';
        const parts = { subject: `${template} {{reference}}`, text: `${dump} ${fact}`, html: `<p>${dump}</p><p>${fact}</p>` };
        expect(checkTemplate(template, locale, parts), `${template} ${locale}: an edit an administrator can save`).to.deep.equal([]);
        const head = await EmailTemplate.findOne({ template, locale }).sort({ version: -1 }).lean();
        await EmailTemplate.create({ template, locale, version: (head?.version ?? 0) + 1, kind: 'edit', ...parts, base: { hash: createHash('sha256').update(JSON.stringify([parts.subject, parts.text, parts.html])).digest('hex'), ...parts }, savedBy: admin._id, savedByName: 'Admin', savedAt: new Date() });
      }
    }
    invalidateOverrides();
    const at = new Date(Date.now() - 3 * 86_400_000);
    const { applicant, kase } = await applicantCase(w.call, 'evaluation', { history: [{ at, actor: w.member._id, actorRole: 'hr_officer', action: 'send_to_evaluation', from: 'screening', to: 'evaluation' }] });
    await Evaluation.create({ case: kase._id, call: kase.call, member: w.member._id, scores: { research: 4, fit: 3 }, recommendation: 'yes', submittedAt: new Date() });
    const reviewBy = (() => {
      const d = new Date(Date.now() + 14 * 86_400_000);
      while ([0, 6].includes(d.getUTCDay())) d.setUTCDate(d.getUTCDate() + 1);
      return d.toISOString().slice(0, 10);
    })();
    // What the candidate is told (walk s34: a hold asks for words written for them): printed, and not the internal reason.
    const TOLD = 'We will come back to your application after the review date.';
    const lead = agent(t.app);
    await signIn(lead, w.leader);
    const leadCsrf = csrfFrom((await lead.get('/').set('Accept', 'text/html')).text);
    const held = await lead
      .post(`/shortlists/${w.call._id}/cases/${kase._id}/decision/confirm`)
      .type('form')
      .set('Accept', 'text/html')
      .send({ _csrf: leadCsrf, action: 'put_on_hold', version: String(kase.version), reason: 'Internal: the director doubts the candidate.', reviewBy, toldReason: TOLD, previewedToldReason: TOLD, withoutScores: '1' });
    expect(held.status, held.text.slice(0, 300)).to.equal(303);
    const hr = await createUser({ role: 'hr_officer', institute: w.instituteId });
    const officer = agent(t.app);
    await signIn(officer, hr);
    const hrCsrf = csrfFrom((await officer.get('/').set('Accept', 'text/html')).text);
    const version = (await Case.findById(kase._id).lean())!.version;
    expect((await officer.post(`/cases/${kase._id}/actions/resume`).type('form').set('Accept', 'text/html').send({ _csrf: hrCsrf, version: String(version) })).status).to.equal(303);
    await dispatchOnce(t.ctx, { owner: 's34-dump', caseIds: [kase._id] });
    const mails = t.smtp.messages.filter((m) => m.to.includes(applicant.email));
    expect(mails.length, 'the hold and the resume e-mailed').to.be.at.least(2);
    for (const m of mails) {
      expect(m.text, 'the edit was sent: its data printed').to.match(/\[reference=/);
      expect(`${m.text} ${m.html}`).not.to.include('director doubts');
    }
  });
});

describe('security s34: the arrival, which moves the residence card\'s target', function () {
  this.timeout(90_000);
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
    await seedHolidays();
  });
  after(async () => {
    await t?.close();
  });

  it('refuses hostile dates, another institute, the applicant (form and JSON), writing nothing; a double submit arrives once', async () => {
    const institute = await createInstitute();
    const other = await createInstitute();
    const hr = await createUser({ role: 'hr_officer', institute });
    const otherHr = await createUser({ role: 'hr_officer', institute: other });
    const applicant = await createUser({ role: 'applicant' });
    const call = await createCall({ institute, checklist: [] });
    const cal = await loadCalendar();
    const now = new Date();
    const due = vnEndOfDay(cal.addWorkingDays(now, 90));
    const c = await createCase({
      applicant,
      call,
      stage: 'onboarding',
      assignee: hr._id,
      stageEnteredAt: new Date(now.getTime() - 30 * 86_400_000),
      profile: { fullName: 'Nguyễn Văn Hải', nationality: 'DE', plannedArrival: vnEndOfDay(cal.addWorkingDays(now, 80)) },
      supportTracks: [
        { kind: 'work_permit', status: 'approved', updatedAt: now },
        { kind: 'visa', status: 'approved', updatedAt: now },
        { kind: 'residence_card', status: 'preparing', dueAt: due, dueCount: { from: new Date(now.getTime() - 20 * 86_400_000), workingDays: 5 }, updatedAt: now },
      ],
    });
    const snapshot = async () => {
      const d = (await Case.findById(c._id).lean())!;
      return { stage: d.stage, version: d.version, arrivedAt: d.arrivedAt ?? null, card: d.supportTracks!.find((s) => s.kind === 'residence_card')!.dueAt!.toISOString(), history: d.history.length, outbox: (d.outbox ?? []).length };
    };
    const before = await snapshot();
    const path = `/cases/${c._id}/actions/mark_arrived`;
    const as = async (user: typeof hr) => {
      const a = agent(t.app);
      await signIn(a, user);
      return { a, csrf: csrfFrom((await a.get('/').set('Accept', 'text/html')).text) };
    };

    const { a, csrf } = await as(hr);
    const version = String(c.version);
    const today = vnDateKey(now);
    const hostileForms = [
      `arrivedOn%5B%24gt%5D=&version=${version}`,
      // A name sent twice is refused (server/http/forms.ts formText), whichever of its values is good.
      `arrivedOn=2999-01-01&arrivedOn=${today}&version=${version}`,
      `arrivedOn%5B__proto__%5D%5Bx%5D=1&version=${version}`,
      `arrivedOn=${'9'.repeat(50_000)}&version=${version}`,
      `arrivedOn=2999-01-01&version=${version}`,
      `arrivedOn=1900-01-01&version=${version}`,
      `arrivedOn=${today}&version%5B%24ne%5D=1`,
    ];
    for (const body of hostileForms) {
      const r = await a.post(path).type('form').set('Accept', 'text/html').send(`_csrf=${encodeURIComponent(csrf)}&${body}`);
      expect(r.status, body.slice(0, 80)).to.be.within(400, 422);
    }
    for (const body of [{ arrivedOn: { $gt: '' }, version }, { arrivedOn: ['2999-01-01', today], version }, { arrivedOn: 20261207, version }, JSON.parse(`{"__proto__":{"arrivedOn":"${today}"},"version":"${version}"}`), { arrivedOn: today, version: { $ne: 1 } }]) {
      const r = await a.post(path).set('Accept', 'application/json').set('x-csrf-token', csrf).send(body);
      expect(r.status, JSON.stringify(body)).to.be.within(400, 422);
    }
    expect(({} as Record<string, unknown>).x, 'no prototype polluted').to.equal(undefined);
    for (const user of [otherHr, applicant]) {
      const o = await as(user);
      const form = await o.a.post(path).type('form').set('Accept', 'text/html').send({ _csrf: o.csrf, version, arrivedOn: today });
      expect(form.status, `${user.role} form`).to.be.oneOf([403, 404]);
      const json = await o.a.post(path).set('Accept', 'application/json').set('x-csrf-token', o.csrf).send({ version, arrivedOn: today });
      expect(json.status, `${user.role} JSON`).to.be.oneOf([403, 404]);
    }
    expect(await snapshot(), 'nothing written').to.deep.equal(before);

    // The officer, twice at once: arrived once, the card moved once. A stray name the form does not
    // have (`constructor[prototype][x]`) is a plain key to the parser (extended: false), ignored.
    const send = () => a.post(path).type('form').set('Accept', 'text/html').send(`_csrf=${encodeURIComponent(csrf)}&version=${version}&arrivedOn=${today}&constructor%5Bprototype%5D%5Bx%5D=1`);
    const statuses = (await Promise.all([send(), send()])).map((r) => r.status);
    expect(statuses.filter((s) => s === 303), String(statuses)).to.have.length(1);
    const after = (await Case.findById(c._id).lean())!;
    expect(after.stage).to.equal('arrived');
    expect(after.history.filter((h) => h.action === 'mark_arrived')).to.have.length(1);
    expect(after.version).to.equal(c.version + 1);
    expect(after.supportTracks!.find((s) => s.kind === 'residence_card')!.dueAt!.toISOString(), "the card's target follows the arrival").not.to.equal(before.card);
    expect(({} as Record<string, unknown>).x).to.equal(undefined);
  });
});
