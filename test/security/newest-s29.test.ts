// Session 28's features as an attacker uses them (review of session 29): account e-mails owed with
// the account and requeued from the mail log (the SMTP server's words rendered in pages), case audit
// events pending on the case, the planned start HR moves (and its e-mail), the queue's refused
// filter, the staff menu hidden before the second factor is set up (are its routes?), the decisions'
// internal reasons, and the shortlist's kept rankings (memory per filter asked). Who opens a case that
// left the panel is test/leaders/left-panel.test.ts's. Real database, HTTP and SMTP.
import { expect } from 'chai';
import { Types } from 'mongoose';
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent, csrfFrom } from '../support/http.ts';
import { createInstitute, createUser, signIn } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { signedIn, page, post, deliver, versionIn, text } from '../applications/support.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { User, type UserDoc } from '../../models/user.ts';
import { MailLog } from '../../models/mail-log.ts';
import type { CallDoc } from '../../models/call.ts';
import { vnDateKey } from '../../server/calendar/index.ts';
import { caseAudit, withPendingAudits } from '../../server/cases/pending-audit.ts';
import { keptRankings, RANKING_CACHE_MAX } from '../../server/evaluations/shortlist.ts';
import { transition } from '../../server/workflow/index.ts';
import { actorContext } from '../workflow/context.ts';

const DAY = 86_400_000;

describe('security: the newest features (session 28) as an attacker uses them', function () {
  this.timeout(120_000);
  let t: TestApp;
  let instA: Types.ObjectId;
  let instB: Types.ObjectId;
  let hrA: UserDoc;
  let hrB: UserDoc;
  let admin: UserDoc;
  let callA: CallDoc;

  before(async () => {
    t = await startTestApp();
    instA = (await createInstitute())._id;
    instB = (await createInstitute())._id;
    hrA = await createUser({ role: 'hr_officer', institute: instA, isHrLead: true, name: 'Officer A', locale: 'en' });
    hrB = await createUser({ role: 'hr_officer', institute: instB, name: 'Officer B', locale: 'en' });
    admin = await createUser({ role: 'admin', name: 'Admin S29', locale: 'en' });
    callA = await createCall({ institute: instA, checklist: [] });
  });
  after(async () => {
    await t?.close();
  });

  describe("the mail server's words in the mail log, the delivery page and the user list", () => {
    // A receiving server answers what it likes: markup, bidi controls, a long text.
    const hostile = `Mailbox <img src=x onerror=alert(1)> "unavailable" \u202Egpj.exe <script>alert(2)</script> ${'x'.repeat(3000)}`;
    let server: SMTPServer;
    let bad: TestApp;
    before(async () => {
      server = new SMTPServer({
        secure: false,
        authOptional: true,
        disabledCommands: ['STARTTLS', 'AUTH'],
        logger: false,
        onRcptTo: (_addr, _session, cb) => cb(Object.assign(new Error(hostile), { responseCode: 550 })),
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const port = (server.server.address() as AddressInfo).port;
      bad = await startTestApp({ env: { SMTP_URL: `smtp://127.0.0.1:${port}` } });
    });
    after(async () => {
      await bad?.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    it('is escaped and bounded on every page that shows it, and the invitation is flagged, not lost', async () => {
      const a = await signedIn(bad, admin);
      const form = await page(a, '/admin/users/invite');
      const email = `s29-invitee-${new Types.ObjectId().toHexString()}@example.org`;
      const invited = await post(a, form.text, '/admin/users/invite', { email, name: 'Invitee S29', role: 'hr_officer', institute: String(instA), locale: 'en' });
      expect(invited.status, invited.text.slice(0, 300)).to.equal(303);
      let row: { _id: unknown; status: string; lastError?: string | null } | null = null;
      for (let i = 0; i < 80 && row?.status !== 'dead'; i++) {
        await new Promise((r) => setTimeout(r, 100));
        row = await MailLog.findOne({ source: 'account', to: email, template: 'invitation' }).lean();
      }
      expect(row?.status).to.equal('dead');
      expect(row!.lastError!.length).to.be.at.most(1000);
      for (const url of ['/mail-log', `/mail-log/${String(row!._id)}`, '/admin/outbox', '/admin', `/admin/users?q=${encodeURIComponent(email)}`]) {
        const res = await page(a, url);
        expect(res.status, url).to.equal(200);
        expect(res.text, url).not.to.include('<img src=x');
        expect(res.text, url).not.to.include('<script>alert(2)');
        expect(res.text, url).not.to.include('\u202E');
      }
      const shown = await page(a, `/mail-log/${String(row!._id)}`);
      expect(shown.text).to.include('&lt;img src&#x3D;x');
      const users = await page(a, `/admin/users?q=${encodeURIComponent(email)}`);
      expect(users.text).to.include(`/mail-log/${String(row!._id)}`);
    });

    it("a case e-mail's failure likewise, on the case page, HR's mail log and the delivery page", async () => {
      const applicant = await createUser({ role: 'applicant', locale: 'en' });
      const kase = await createCase({ applicant, call: callA, stage: 'screening', assignee: hrA });
      const officer = await signedIn(bad, hrA);
      const shown = await page(officer, `/cases/${String(kase._id)}`);
      expect((await post(officer, shown.text, `/cases/${String(kase._id)}/messages`, { message: 'Please send your passport scan.' })).status).to.equal(303);
      await deliver(bad, kase._id);
      const item = (await Case.findById(kase._id).lean())!.outbox.find((o) => o.template !== 'applicant_message' && o.to === applicant.email);
      expect(item?.status).to.equal('dead');
      const ad = await signedIn(bad, admin);
      // The log filtered by recipient: other files' rows (some dated by their own clocks, years ahead) come first otherwise.
      const logged = `/mail-log?to=${encodeURIComponent(applicant.email)}`;
      for (const [a, url] of [[officer, `/cases/${String(kase._id)}`], [officer, logged], [ad, '/admin/outbox'], [ad, logged]] as const) {
        const res = await page(a, url);
        expect(res.status, url).to.equal(200);
        expect(res.text, url).to.include('&lt;img src&#x3D;x');
        expect(res.text, url).not.to.include('<img src=x');
        expect(res.text, url).not.to.include('<script>alert(2)');
      }
    });
  });

  describe("HR's move of the planned start and its e-mail", () => {
    async function onboarding() {
      const applicant = await createUser({ role: 'applicant', locale: 'en' });
      const kase = await createCase({ applicant, call: callA, stage: 'onboarding', assignee: hrA, profile: { fullName: 'Anna Weber', plannedArrival: new Date(Date.now() + 60 * DAY) }, stageDueAt: new Date(Date.now() + 40 * DAY) });
      return { applicant, kase };
    }
    const url = (c: CaseDoc) => `/cases/${String(c._id)}/planned-start`;
    const day = (days: number) => vnDateKey(new Date(Date.now() + days * DAY));

    it('is refused to another institute (404), a leader (403), the applicant (403) and without its token; nothing moves', async () => {
      const { applicant, kase } = await onboarding();
      const before = (await Case.findById(kase._id).lean())!;
      const form = { version: String(kase.version), plannedStart: day(90), plannedStartReason: 'The expert asked for it.' };
      const officerB = await signedIn(t, hrB);
      expect((await post(officerB, (await page(officerB, '/')).text, url(kase), form)).status).to.equal(404);
      const leader = await signedIn(t, await createUser({ role: 'leader', institute: instA }));
      expect((await post(leader, (await page(leader, '/')).text, url(kase), form)).status).to.equal(403);
      const own = await signedIn(t, applicant);
      expect((await post(own, (await page(own, '/')).text, url(kase), form)).status).to.equal(403);
      const officerA = await signedIn(t, hrA);
      expect((await officerA.post(url(kase)).type('form').set('Accept', 'text/html').send(form)).status).to.equal(403);
      const after = (await Case.findById(kase._id).lean())!;
      expect(after.version).to.equal(before.version);
      expect(after.profile?.plannedArrival?.getTime()).to.equal(before.profile?.plannedArrival?.getTime());
      expect(after.outbox.filter((o) => o.template === 'planned_start_moved')).to.have.length(0);
    });

    it('refuses hostile fields, impossible and far days, hidden characters and an over-long message; nothing written', async () => {
      const { kase } = await onboarding();
      const a = await signedIn(t, hrA);
      const shown = await page(a, `/cases/${String(kase._id)}`);
      const version = versionIn(shown.text, url(kase));
      const ok = { version, plannedStart: day(90), plannedStartReason: 'The expert asked for it.' };
      const bodies: Array<Record<string, unknown>> = [
        { ...ok, plannedStart: '9999-12-31' },
        { ...ok, plannedStart: '2027-02-30' },
        { ...ok, plannedStart: 'tomorrow' },
        { ...ok, plannedStart: '0000-01-01' },
        { ...ok, plannedStartReason: '\u200B\u200B\u200B' },
        { ...ok, plannedStartTold: 'Please \u202Eexe.fdp' },
        { ...ok, plannedStartTold: 'y'.repeat(2001) },
        { ...ok, plannedStartReason: 'r'.repeat(2001) },
        { ...ok, 'plannedStart[$gt]': '' },
        { ...ok, 'profile.plannedArrival': day(91) },
        { ...ok, plannedStart: [day(91), day(92)], plannedStartReason: 'r'.repeat(2001) },
      ];
      for (const body of bodies) {
        const res = await post(a, shown.text, url(kase), body as Record<string, string>);
        expect(res.status, JSON.stringify(body).slice(0, 120)).to.be.oneOf([400, 422]);
      }
      const json = await a.post(url(kase)).set('Accept', 'text/html').set('x-csrf-token', csrfFrom(shown.text)).send({ ...ok, _csrf: csrfFrom(shown.text), plannedStartTold: { $gt: '' } });
      expect(json.status).to.be.oneOf([400, 403, 415, 422]);
      const protoJson = await a.post(url(kase)).set('Accept', 'text/html').type('json').send(`{"_csrf":"${csrfFrom(shown.text)}","version":"${version}","plannedStart":"${day(90)}","plannedStartReason":"x","__proto__":{"plannedStartTold":"polluted"}}`);
      expect(protoJson.status).to.be.oneOf([400, 403, 415, 422]);
      const after = (await Case.findById(kase._id).lean())!;
      expect(after.version).to.equal(kase.version);
      expect(after.outbox).to.have.length(0);
      // Bracketed prototype names are flat, inert field names (extended: false): the move is the typed one, nothing polluted.
      const inert = await post(a, shown.text, url(kase), { ...ok, '__proto__[plannedStart]': day(91), 'constructor[prototype][plannedStart]': day(92) });
      expect(inert.status).to.be.oneOf([303, 400]);
      if (inert.status === 303) expect(vnDateKey((await Case.findById(kase._id).lean())!.profile!.plannedArrival!)).to.equal(day(90));
      expect(({} as Record<string, unknown>).plannedStart).to.equal(undefined);
      expect(({} as Record<string, unknown>).plannedStartTold).to.equal(undefined);
    });

    it("escapes HR's words in the HTML e-mail and keeps HR's internal reason from the applicant's page and export", async () => {
      const { applicant, kase } = await onboarding();
      const a = await signedIn(t, hrA);
      const shown = await page(a, `/cases/${String(kase._id)}`);
      const told = '<img src=x onerror=alert(1)> <a href="https://evil.example/">see here</a>';
      const reason = 'INTERNAL-S29: the lab is not ready, do not tell them';
      const res = await post(a, shown.text, url(kase), { version: versionIn(shown.text, url(kase)), plannedStart: day(100), plannedStartReason: reason, plannedStartTold: told });
      expect(res.status, text(res.text).slice(0, 400)).to.equal(303);
      await deliver(t, kase._id);
      const mail = await t.smtp.waitForTo(applicant.email, /./);
      expect(mail.text).to.include(told);
      expect(mail.html).not.to.include('<img src=x');
      expect(mail.html).not.to.include('href="https://evil.example/"');
      expect(mail.text + mail.html).not.to.include('INTERNAL-S29');
      const own = await signedIn(t, applicant);
      const mine = await page(own, `/applications/${String(kase._id)}`);
      expect(mine.status).to.equal(200);
      expect(mine.text).not.to.include('INTERNAL-S29');
      expect(mine.text).not.to.include('<img src=x');
      const exported = await own.get('/account/export').set('Accept', 'application/json');
      expect(exported.text).not.to.include('INTERNAL-S29');
    });
  });

  describe('the mail log: requeue and entries across roles and institutes', () => {
    async function deadCaseMail(institute: Types.ObjectId) {
      const applicant = await createUser({ role: 'applicant' });
      const call = String(institute) === String(instA) ? callA : await createCall({ institute, checklist: [] });
      const kase = await createCase({ applicant, call, stage: 'screening' });
      const key = `${String(kase._id)}.s29.${new Types.ObjectId().toHexString()}`;
      await Case.updateOne({ _id: kase._id }, { $push: { outbox: { key, template: 'info_requested', to: applicant.email, locale: 'en', data: { name: 'x', reference: kase.reference }, status: 'dead', attempts: 8, createdAt: new Date(), lastError: '550 Mailbox unavailable' } } });
      const row = await MailLog.create({ source: 'case', key, case: kase._id, reference: kase.reference, institute, template: 'info_requested', to: applicant.email, locale: 'en', status: 'dead', attempts: 8, at: new Date(), lastError: '550 Mailbox unavailable' });
      return { kase, key, row };
    }
    async function deadAccountMail(template: string, user: UserDoc) {
      const key = `account.${String(user._id)}.${template}.${new Types.ObjectId().toHexString()}`;
      return MailLog.create({ source: 'account', key, template, to: user.email, locale: 'en', status: 'dead', attempts: 1, at: new Date(), queuedAt: new Date(), lastError: '550 Mailbox unavailable', data: { name: user.name, changedByName: 'Admin' } });
    }

    it("an officer of another institute, a leader and an applicant neither see nor requeue a case e-mail (404/403); an officer never an account e-mail; none without the token", async () => {
      const { row } = await deadCaseMail(instA);
      const target = await createUser({ role: 'hr_officer', institute: instA });
      const account = await deadAccountMail('role_changed', target);
      for (const [who, user, codes] of [
        ['officer B', hrB, [404]],
        ['leader A', await createUser({ role: 'leader', institute: instA }), [403]],
        ['applicant', await createUser({ role: 'applicant' }), [403]],
      ] as const) {
        const a = await signedIn(t, user);
        const home = await page(a, '/');
        for (const id of [String(row._id), String(account._id)]) {
          expect((await page(a, `/mail-log/${id}`)).status, `${who} sees ${id}`).to.be.oneOf([...codes, 403, 404]);
          expect((await page(a, `/mail-log/${id}/preview`)).status, `${who} preview ${id}`).to.be.oneOf([...codes, 403, 404]);
          expect((await post(a, home.text, `/mail-log/${id}/requeue`, {})).status, `${who} requeues ${id}`).to.be.oneOf([...codes, 403, 404]);
        }
      }
      const officerA = await signedIn(t, hrA);
      const home = await page(officerA, '/');
      expect((await page(officerA, `/mail-log/${String(account._id)}`)).status).to.equal(404);
      expect((await post(officerA, home.text, `/mail-log/${String(account._id)}/requeue`, {})).status).to.equal(404);
      // The administrator without the token.
      const ad = await signedIn(t, admin);
      expect((await ad.post(`/mail-log/${String(account._id)}/requeue`).type('form').send({})).status).to.equal(403);
      expect((await ad.post(`/mail-log/${String(row._id)}/requeue`).type('form').send({})).status).to.equal(403);
      expect((await MailLog.findById(row._id).lean())!.status).to.equal('dead');
      expect((await MailLog.findById(account._id).lean())!.status).to.equal('dead');
      expect((await User.findById(target._id).lean())!.pendingMails ?? []).to.have.length(0);
      // Hostile filters: dropped (the page still answers), never an operator or an error.
      for (const q of ['to[$gt]=', 'to=%5E.*', `to=${'a'.repeat(5000)}`, 'template=__proto__', 'template=constructor', 'status=constructor', 'status[$ne]=sent', 'before=999999999999999_ffffffffffffffffffffffff', 'before=-1_x', '__proto__[status]=dead', 'reference=.*']) {
        expect((await page(ad, `/mail-log?${q}`)).status, q.slice(0, 40)).to.be.oneOf([200, 400]);
        expect((await page(officerA, `/mail-log?${q}`)).status, q.slice(0, 40)).to.be.oneOf([200, 400]);
      }
      expect(({} as Record<string, unknown>).status).to.equal(undefined);
      // Hostile ids: not found.
      for (const id of ['__proto__', 'constructor', '{"$gt":""}', 'a'.repeat(65), `${String(row._id)}x`]) {
        expect((await post(ad, (await page(ad, '/')).text, `/mail-log/${encodeURIComponent(id)}/requeue`, {})).status, id).to.be.oneOf([400, 404]);
      }
    });
  });

  describe('audit events pending on a case', () => {
    it('reach no page, export or e-mail: not HR, the leader, the applicant', async () => {
      const applicant = await createUser({ role: 'applicant', locale: 'en' });
      const kase = await createCase({ applicant, call: callA, stage: 'evaluation', assignee: hrA });
      const audit = caseAudit({ actor: hrA._id, actorRole: 'hr_officer', ip: '203.0.113.77', requestId: 'PENDING-S29-REQ', now: new Date() } as never, { action: 'case.note_added', summary: { secret: 'PENDING-S29-SUMMARY' } });
      await Case.updateOne({ _id: kase._id }, { $push: withPendingAudits([audit]) });
      expect((await Case.findById(kase._id).select('+pendingAudits').lean())!.pendingAudits).to.have.length(1);
      const leader = await createUser({ role: 'leader', institute: instA });
      for (const [user, urls] of [
        [hrA, [`/cases/${String(kase._id)}`, '/cases', `/cases?q=${kase.reference}`, '/mail-log']],
        [admin, [`/cases/${String(kase._id)}`, '/admin/audit', '/reports/steering', '/reports/steering.csv']],
        [leader, [`/cases/${String(kase._id)}`, `/shortlists/${String(callA._id)}/cases/${String(kase._id)}`, `/shortlists/${String(callA._id)}`]],
        [applicant, [`/applications/${String(kase._id)}`, '/account/export']],
      ] as const) {
        const a = await signedIn(t, user);
        for (const u of urls) {
          const res = await page(a, u);
          expect(res.status, `${user.role} ${u}`).to.equal(200);
          expect(res.text, `${user.role} ${u}`).not.to.include('PENDING-S29');
          expect(res.text, `${user.role} ${u}`).not.to.include('203.0.113.77');
        }
      }
    });
  });

  describe("the decisions' history: internal reasons", () => {
    it("a leader's own reasons reach neither the applicant's page, export nor e-mail; the words written for them do", async () => {
      const leader = await createUser({ role: 'leader', institute: instA, name: 'Leader S29' });
      const applicant = await createUser({ role: 'applicant', locale: 'en' });
      const kase = await createCase({ applicant, call: callA, stage: 'evaluation' });
      const step = async (action: string, payload: Record<string, unknown>) => {
        const current = (await Case.findById(kase._id))!;
        return transition({ app: t.ctx, ctx: actorContext(t.ctx, leader), caseId: current._id, action: action as never, expectedVersion: current.version, payload, asDecision: true, decision: { name: action, reason: String(payload.note ?? payload.reason) } });
      };
      await step('shortlist', { note: 'INTERNAL-S29-SHORTLIST ranked above the others' });
      await step('reject', { reason: 'INTERNAL-S29-REJECT budget went to another lab', toldReason: 'The post was filled by another candidate.' });
      await deliver(t, kase._id);
      // Both e-mails (shortlisted, then rejected) arrive.
      const owed = (await Case.findById(kase._id).lean())!.outbox.filter((o) => o.to === applicant.email).length;
      expect(owed).to.be.at.least(2);
      const mailsTo = () => t.smtp.messages.filter((m) => m.to.includes(applicant.email));
      for (let i = 0; i < 50 && mailsTo().length < owed; i++) await new Promise((r) => setTimeout(r, 100));
      const mails = mailsTo();
      expect(mails).to.have.length(owed);
      const own = await signedIn(t, applicant);
      const mine = await page(own, `/applications/${String(kase._id)}`);
      const exported = await own.get('/account/export').set('Accept', 'application/json');
      for (const [where, body] of [['page', mine.text], ['export', exported.text], ['e-mails', mails.map((m) => m.text + m.html).join('\n')]] as const) {
        expect(body, where).not.to.include('INTERNAL-S29');
      }
      expect(text(mine.text)).to.include('The post was filled by another candidate.');
      // HR's Decisions panel and the leader's page show them (internal, for staff).
      const officer = await signedIn(t, hrA);
      expect((await page(officer, `/cases/${String(kase._id)}`)).text).to.include('INTERNAL-S29-REJECT');
      // A leader of another institute: not found, on either page.
      const other = await signedIn(t, await createUser({ role: 'leader', institute: instB }));
      expect((await page(other, `/cases/${String(kase._id)}`)).status).to.equal(404);
      expect((await page(other, `/shortlists/${String(callA._id)}/cases/${String(kase._id)}`)).status).to.be.oneOf([403, 404]);
    });
  });

  describe("the queue's refused filter", () => {
    it('reads only "1"; anything else is ignored or refused, never an operator', async () => {
      const a = await signedIn(t, hrA);
      for (const q of ['refused=__proto__', 'refused=constructor', 'refused=1&refused=1', `refused=${'1'.repeat(5000)}`, 'refused=%00', 'refused[$gt]=', '__proto__[refused]=1', 'refused=true']) {
        expect((await page(a, `/cases?${q}`)).status, q.slice(0, 40)).to.be.oneOf([200, 400]);
      }
      expect(({} as Record<string, unknown>).refused).to.equal(undefined);
    });
  });

  describe("the shortlist's kept rankings", () => {
    it('stay bounded however many filters a leader asks for (a country per request)', async () => {
      const call = await createCall({ institute: instA, checklist: [], status: 'closed' });
      for (let i = 0; i < 3; i++) await createCase({ applicant: await createUser({ role: 'applicant' }), call, stage: 'evaluation', score: 1 + i });
      const leader = await signedIn(t, await createUser({ role: 'leader', institute: instA }));
      const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
      for (let i = 0; i < RANKING_CACHE_MAX + 40; i++) {
        const res = await page(leader, `/shortlists/${String(call._id)}?country=${letters[Math.floor(i / 26) % 26]}${letters[i % 26]}`);
        expect(res.status).to.equal(200);
      }
      expect(keptRankings()).to.be.at.most(RANKING_CACHE_MAX);
      // Still answered from what is kept: the call's three cases, all from Germany.
      const rows = async (q: string) => (await page(leader, `/shortlists/${String(call._id)}${q}`)).text.match(/<tr data-case="/g)?.length ?? 0;
      expect(await rows('')).to.equal(3);
      expect(await rows('?country=DE')).to.equal(3);
      expect(await rows('?country=FR')).to.equal(0);
    });
  });

  describe('the staff pages before the second factor is set up', () => {
    it('reaches none of them, whatever the path says (only the set-up, sign-out and language)', async () => {
      for (const role of ['admin', 'hr_officer', 'leader'] as const) {
        const user = await createUser({ role, institute: role === 'admin' ? undefined : instA, totp: false, locale: 'en' });
        const a = agent(t.app);
        await signIn(a, user);
        for (const url of ['/mail-log', '/admin/outbox', '/admin/users', '/cases?refused=1', '/', '/account/second-factor/../../mail-log', '/static/../cases', '/ACCOUNT/SECOND-FACTOR/../../cases', '/account/second-factor/%2e%2e/%2e%2e/cases']) {
          const res = await page(a, url);
          expect(res.status, `${role} ${url}`).to.be.oneOf([303, 400, 403, 404]);
          if (res.status === 303) expect(res.headers.location, `${role} ${url}`).to.equal('/account/second-factor');
          expect(res.text, `${role} ${url}`).not.to.match(/id="mail-log|id="queue|class="queue/);
        }
      }
    });
  });
});
