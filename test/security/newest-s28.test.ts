// Session 27's features as an attacker uses them (review of session 28): the applicant's messages
// e-mailed to HR (a flood, hostile text, another's case, an officer who moved institute), the
// dashboard's stored figures (periods from the query string: impossible days, a computation started
// per request), and the e-mail templates' drift view (stored markup in a diff, who may keep an edit).
// Real database, HTTP and SMTP.
import { expect } from 'chai';
import { Types } from 'mongoose';
import { startTestApp, type TestApp } from '../support/app.ts';
import type { Agent } from '../support/http.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { signedIn, page, post, deliver, text } from '../applications/support.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { User, type UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { DashboardFigures } from '../../models/dashboard-figures.ts';
import { EmailTemplate } from '../../models/email-template.ts';
import { APPLICANT_MESSAGES_PER_HOUR } from '../../server/http/message-limit.ts';
import { clearDashboardCache } from '../../server/dashboard/index.ts';
import { computeFigures, figuresKey, figuresLoad } from '../../server/dashboard/stored.ts';
import { refreshViewedDashboards } from '../../server/dashboard/job.ts';
import { builtinParts } from '../../server/mail/templates.ts';
import { runEscalations } from '../../server/procedures/escalation.ts';

describe('security: the newest features (session 27) as an attacker uses them', function () {
  this.timeout(120_000);
  let t: TestApp;
  let instA: Types.ObjectId;
  let instB: Types.ObjectId;
  let leadA: UserDoc;
  let hrA: UserDoc;
  let hrB: UserDoc;
  let callA: CallDoc;
  let callB: CallDoc;

  before(async () => {
    t = await startTestApp();
    instA = (await createInstitute())._id;
    instB = (await createInstitute())._id;
    leadA = await createUser({ role: 'hr_officer', institute: instA, isHrLead: true, name: 'Lead A', locale: 'en' });
    hrA = await createUser({ role: 'hr_officer', institute: instA, name: 'Officer A', locale: 'en' });
    hrB = await createUser({ role: 'hr_officer', institute: instB, name: 'Officer B', locale: 'en' });
    callA = await createCall({ institute: instA, checklist: [] });
    callB = await createCall({ institute: instB, checklist: [] });
  });
  after(async () => {
    await clearDashboardCache();
    await t?.close();
  });

  const messagesUrl = (c: CaseDoc) => `/applications/${String(c._id)}/messages`;
  // The e-mail of a message, or the one gathering those written soon after it (server/cases/message-digest.ts).
  const mailItems = async (c: CaseDoc) => (await Case.findById(c._id).lean())!.outbox.filter((o) => o.template === 'applicant_message' || o.template === 'applicant_message_digest');

  describe("the applicant's messages, e-mailed to HR", () => {
    async function screening(assignee?: UserDoc) {
      const applicant = await createUser({ role: 'applicant', locale: 'en' });
      const kase = await createCase({ applicant, call: callA, stage: 'screening', ...(assignee ? { assignee } : {}), profile: { fullName: 'Anna Weber' } });
      return { applicant, kase };
    }

    it(`takes ${APPLICANT_MESSAGES_PER_HOUR} an hour, then refuses one more (429) saying to wait, the text kept, no message stored nor e-mail owed`, async () => {
      // No officer: each message is one e-mail per HR lead (up to 50 officers without a lead).
      const { applicant, kase } = await screening();
      const a = await signedIn(t, applicant);
      const shown = await page(a, `/applications/${String(kase._id)}`);
      for (let i = 0; i < APPLICANT_MESSAGES_PER_HOUR; i++) expect((await post(a, shown.text, messagesUrl(kase), { text: `Question ${i}` })).status, `message ${i}`).to.equal(303);
      const typed = 'One more question, typed with care.';
      const refused = await post(a, shown.text, messagesUrl(kase), { text: typed });
      expect(refused.status).to.equal(429);
      expect(text(refused.text)).to.match(new RegExp(`You can send at most ${APPLICANT_MESSAGES_PER_HOUR} messages an hour, and have sent that many in the last hour\\. Please wait \\d+ minutes? \\(until \\d+ \\w+ \\d{4}, \\d\\d:\\d\\d \\([^)]+\\)\\), then send this one again`));
      expect(text(refused.text)).to.include(typed);
      const stored = (await Case.findById(kase._id).lean())!;
      expect(stored.messages).to.have.length(APPLICANT_MESSAGES_PER_HOUR);
      expect(stored.messages.some((m) => m.text === typed)).to.equal(false);
      expect((await mailItems(kase)).every((o) => o.to === leadA.email)).to.equal(true);
      // The first message is e-mailed at once; the others, written within minutes, wait for one e-mail listing them all.
      const items = await mailItems(kase);
      expect(items.map((o) => o.template)).to.deep.equal(['applicant_message', 'applicant_message_digest']);
      expect((items[1]!.data as { messages: Array<{ text: string }> }).messages.map((m) => m.text)).to.deep.equal(Array.from({ length: APPLICANT_MESSAGES_PER_HOUR - 1 }, (_v, i) => `Question ${i + 1}`));
      // In Vietnamese too, formally.
      await User.updateOne({ _id: applicant._id }, { $set: { locale: 'vi' } });
      const vi = await signedIn(t, (await User.findById(applicant._id))!);
      const viPage = await page(vi, `/applications/${String(kase._id)}`);
      const refusedVi = await post(vi, viPage.text, messagesUrl(kase), { text: typed });
      expect(refusedVi.status).to.equal(429);
      expect(text(refusedVi.text)).to.match(/Mỗi giờ Ông\/Bà gửi được tối đa 20 tin nhắn và đã gửi đủ số đó trong một giờ qua\. Vui lòng chờ \d+ phút \(đến \d+\/\d+\/\d{4}/);
    });

    it("is refused on another's case, to staff through the applicant's route, and without its token; hostile text is said, never stored", async () => {
      const { applicant, kase } = await screening(hrA);
      const other = await signedIn(t, await createUser({ role: 'applicant' }));
      const otherPage = await page(other, '/');
      expect((await post(other, otherPage.text, messagesUrl(kase), { text: 'Not my case' })).status).to.be.oneOf([403, 404]);
      const officerB = await signedIn(t, hrB);
      expect((await post(officerB, (await page(officerB, '/')).text, `/cases/${String(kase._id)}/messages`, { message: 'Not my institute' })).status).to.equal(404);
      expect((await post(officerB, (await page(officerB, '/')).text, messagesUrl(kase), { text: 'Staff on the applicant route' })).status).to.equal(403);
      const own = await signedIn(t, applicant);
      const shown = await page(own, `/applications/${String(kase._id)}`);
      expect((await own.post(messagesUrl(kase)).type('form').set('Accept', 'text/html').send({ text: 'No token' })).status).to.equal(403);
      for (const hostile of [{ text: 'Read me \u202Etxt.exe' }, { text: 'z'.repeat(5001) }, { 'text[$gt]': '' }, { text: '\u200B\u200B' }, { text: { $gt: '' } }]) {
        const res = await post(own, shown.text, messagesUrl(kase), hostile as unknown as Record<string, string>);
        expect(res.status, JSON.stringify(hostile).slice(0, 60)).to.be.oneOf([400, 422]);
      }
      expect((await Case.findById(kase._id).lean())!.messages).to.have.length(0);
      expect(({} as Record<string, unknown>).$gt).to.equal(undefined);
      // A name sent twice is refused, not read by its first value (server/http/forms.ts formText): no message.
      expect((await post(own, shown.text, messagesUrl(kase), { text: ['first', 'second'] })).status).to.equal(422);
      expect((await Case.findById(kase._id).lean())!.messages).to.have.length(0);
    });

    it('escapes the message in the HTML e-mail to the officer', async () => {
      const { applicant, kase } = await screening(hrA);
      const own = await signedIn(t, applicant);
      const shown = await page(own, `/applications/${String(kase._id)}`);
      const message = '<img src=x onerror=alert(1)> <a href="https://evil.example/">urgent</a>';
      expect((await post(own, shown.text, messagesUrl(kase), { text: message })).status).to.equal(303);
      await deliver(t, kase._id);
      const mail = await t.smtp.waitForTo(hrA.email, new RegExp(`\\[${kase.reference}\\]`));
      expect(mail.text).to.include(message);
      expect(mail.html).not.to.include('<img src=x');
      expect(mail.html).not.to.include('href="https://evil.example/"');
      expect(mail.html).to.include('&lt;img src&#x3D;x');
    });

    it("an officer moved to another institute, whose case was not yet returned to the queue, is not e-mailed the applicant's words: the HR lead is", async () => {
      const moving = await createUser({ role: 'hr_officer', institute: instA, name: 'Officer Moving', locale: 'en' });
      const { applicant, kase } = await screening(moving);
      // The role change's first write (the account); its second (returnCasesToQueue) not yet made.
      await User.updateOne({ _id: moving._id }, { $set: { institute: instB } });
      const own = await signedIn(t, applicant);
      const shown = await page(own, `/applications/${String(kase._id)}`);
      expect((await post(own, shown.text, messagesUrl(kase), { text: 'My passport is renewed.' })).status).to.equal(303);
      const to = (await mailItems(kase)).map((o) => o.to);
      expect(to).to.deep.equal([leadA.email]);
      // Made a leader instead: the same.
      await User.updateOne({ _id: moving._id }, { $set: { institute: instA, role: 'leader' } });
      expect((await post(own, shown.text, messagesUrl(kase), { text: 'And my visa photo.' })).status).to.equal(303);
      expect((await mailItems(kase)).map((o) => o.to)).to.deep.equal([leadA.email, leadA.email]);
    });

    it("the escalation of an overdue procedure does not reach an officer moved to another institute either (the institute's HR lead does)", async () => {
      const moving = await createUser({ role: 'hr_officer', institute: instA, name: 'Officer Moving Too', locale: 'en' });
      const applicant = await createUser({ role: 'applicant' });
      const kase = await createCase({ applicant, call: callA, stage: 'onboarding', assignee: moving, profile: { fullName: 'Anna Weber' }, supportTracks: [{ kind: 'work_permit', status: 'filed', filedAt: new Date(Date.now() - 30 * 86_400_000), dueAt: new Date(Date.now() - 5 * 86_400_000) }] });
      await User.updateOne({ _id: moving._id }, { $set: { institute: instB } });
      await runEscalations(t.ctx, { caseIds: [kase._id] });
      const to = (await Case.findById(kase._id).lean())!.outbox.map((o) => o.to);
      expect(to).to.include(leadA.email);
      expect(to).not.to.include(moving.email);
    });
  });

  describe("the dashboard's stored figures", () => {
    let leader: Agent;
    before(async () => {
      await clearDashboardCache();
      leader = await signedIn(t, await createUser({ role: 'leader', institute: instA, locale: 'en' }));
    });

    it('refuses days the calendar has not (2026-02-31, years 0000 and 9999) and operators, as what to fix (422/400), storing no figures for them', async () => {
      for (const q of ['from=2026-02-31', 'to=2026-02-30', 'from=0000-01-01', 'to=9999-12-31', 'from=2026-13-01']) {
        const res = await page(leader, `/dashboard?${q}`);
        expect(res.status, q).to.equal(422);
        expect(text(res.text), q).to.include('The period’s days are not dates');
      }
      for (const q of ['from[$gt]=', 'to[$ne]=1', '__proto__[from]=2026-01-01', 'from=2026-01-01&from=2026-02-01', `from=${'1'.repeat(5000)}`]) {
        expect((await page(leader, `/dashboard?${q}`)).status, q.slice(0, 40)).to.be.oneOf([200, 400, 422]);
      }
      const keys = (await DashboardFigures.find({}, { key: 1 }).lean()).map((d) => d.key);
      for (const day of ['2026-02-31', '2026-02-30', '0000-01-01', '9999-12-31']) expect(keys.some((k) => k.includes(day)), day).to.equal(false);
      expect(({} as Record<string, unknown>).from).to.equal(undefined);
    });

    it("keeps another institute's call out of a leader's figures (403), and ignores an institute in the address", async () => {
      expect((await page(leader, `/dashboard?call=${String(callB._id)}`)).status).to.equal(403);
      const res = await page(leader, `/dashboard?institute=${String(instB)}`);
      expect(res.status).to.equal(200);
      const keys = (await DashboardFigures.find({ institute: instB }, { key: 1 }).lean()).map((d) => d.key);
      expect(keys).to.deep.equal([]);
    });

    it('runs at most two computations at once however many periods are asked, a few waiting; the rest are not started', async () => {
      await clearDashboardCache();
      const asked = Array.from({ length: 30 }, (_, i) => computeFigures({ institute: instA, from: `2025-01-${String(i + 1).padStart(2, '0')}` }, new Date()));
      const load = figuresLoad();
      expect(load.running).to.be.at.most(2);
      expect(load.waiting).to.be.at.most(8);
      const got = await Promise.all(asked);
      const computed = got.filter(Boolean).length;
      expect(computed).to.be.within(1, 10);
      expect(await DashboardFigures.countDocuments({ institute: instA, plain: false })).to.equal(computed);
      expect(figuresLoad()).to.deep.equal({ running: 0, waiting: 0 });
      // Pages asking many periods at once are all answered: figures, or "being prepared".
      const pages = await Promise.all(Array.from({ length: 12 }, (_, i) => page(leader, `/dashboard?from=2024-03-${String(i + 1).padStart(2, '0')}`)));
      for (const p of pages) {
        expect(p.status).to.equal(200);
        expect(/figures as of|being prepared/.test(p.text)).to.equal(true);
      }
      // Nothing left running or waiting once they are done.
      for (let i = 0; i < 40 && (figuresLoad().running || figuresLoad().waiting); i++) await new Promise((r) => setTimeout(r, 250));
      expect(figuresLoad()).to.deep.equal({ running: 0, waiting: 0 });
      expect(figuresKey({ institute: instA, from: '2024-03-01' }).length).to.be.at.most(200);
    });

    it("the job recomputes an institute's opening figures before any number of periods viewed in the hour", async () => {
      await clearDashboardCache();
      const periods = Array.from({ length: 5 }, (_, i) => ({ institute: instA, from: `2023-05-0${i + 1}` }));
      for (const f of [{ institute: instA }, ...periods]) await computeFigures(f, new Date());
      const t0 = Date.now();
      await DashboardFigures.updateMany({}, { $set: { viewedAt: new Date(t0), computedAt: new Date(t0 - 10 * 60_000) } });
      await DashboardFigures.updateOne({ key: figuresKey({ institute: instA }) }, { $set: { computedAt: new Date(t0 - 2 * 60_000) } });
      let runs = 0;
      expect(await refreshViewedDashboards({ now: () => new Date(), isStopping: () => runs++ >= 1 })).to.equal(1);
      const plain = (await DashboardFigures.findOne({ key: figuresKey({ institute: instA }) }).lean())!;
      expect(plain.computedAt!.getTime()).to.be.at.least(t0);
      for (const f of periods) expect((await DashboardFigures.findOne({ key: figuresKey(f) }).lean())!.computedAt!.getTime()).to.be.below(t0);
    });
  });

  describe("the e-mail templates' drift view", () => {
    /** An edit of message_received (en) written against a built-in text that is not today's, with markup in both. */
    async function driftedEdit(admin: UserDoc) {
      const template = 'message_received';
      const head = await EmailTemplate.findOne({ template, locale: 'en' }).sort({ version: -1 }).lean();
      const builtin = builtinParts(template, 'en');
      const version = (head?.version ?? 0) + 1;
      await EmailTemplate.create({
        template,
        locale: 'en',
        version,
        kind: 'edit',
        subject: builtin.subject,
        text: `${builtin.text}\n<script>alert('edit')</script>`,
        html: builtin.html,
        base: { hash: 'f'.repeat(64), subject: builtin.subject, text: `<img src=x onerror=alert('base')>\n${builtin.text}`, html: builtin.html },
        savedBy: admin._id,
        savedByName: '<b>Admin</b>',
        savedAt: new Date(),
      });
      return { template, version };
    }

    it('shows the changes and both sides escaped; keeping is for administrators only, with its token and the hash shown', async () => {
      const admin = await createUser({ role: 'admin', locale: 'en' });
      const { template, version } = await driftedEdit(admin);
      const a = await signedIn(t, admin);
      const editor = await page(a, `/admin/email-templates/${template}/en`);
      expect(editor.status).to.equal(200);
      expect(editor.text).to.include('id="template-drift"');
      expect(editor.text).not.to.include("<script>alert('edit')");
      expect(editor.text).not.to.include('<img src=x');
      expect(editor.text).not.to.include('<b>Admin</b>');
      expect(editor.text).to.include('&lt;script&gt;');
      const keepUrl = `/admin/email-templates/${template}/en/keep`;
      const seen = /name="seen" value="([0-9a-f]{64})"/.exec(editor.text)![1]!;
      // Staff who are not administrators, and the administrator without the token.
      for (const user of [hrA, await createUser({ role: 'leader', institute: instA })]) {
        const s = await signedIn(t, user);
        expect((await post(s, (await page(s, '/')).text, keepUrl, { baseVersion: String(version), seen })).status).to.equal(403);
      }
      expect((await a.post(keepUrl).type('form').send({ baseVersion: String(version), seen })).status).to.equal(403);
      // Hostile fields: told, nothing written.
      for (const body of [{ baseVersion: String(version), seen: 'x' }, { baseVersion: [String(version), String(version)], seen }, { 'baseVersion[$gt]': '0', seen }]) {
        const res = await post(a, editor.text, keepUrl, body as unknown as Record<string, string>);
        expect(res.status).to.be.oneOf([303, 400]);
      }
      expect(await EmailTemplate.countDocuments({ template, locale: 'en', version: { $gt: version } })).to.equal(0);
      // Unknown or hostile template names: not found before anything is read.
      for (const name of ['__proto__', 'constructor', 'nope', '..%2Fusers']) expect((await post(a, editor.text, `/admin/email-templates/${name}/en/keep`, { baseVersion: '1', seen })).status, name).to.equal(404);
      const kept = await post(a, editor.text, keepUrl, { baseVersion: String(version), seen });
      expect(kept.status).to.equal(303);
      expect(await EmailTemplate.countDocuments({ template, locale: 'en', version: version + 1, kind: 'kept' })).to.equal(1);
      // Put back to the built-in text (the run's test files share the database).
      const after = await page(a, `/admin/email-templates/${template}/en`);
      expect((await post(a, after.text, `/admin/email-templates/${template}/en/revert`, { toVersion: '0', baseVersion: String(version + 1) })).status).to.equal(303);
    });
  });
});
