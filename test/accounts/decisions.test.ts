// An administrator's decisions about an account over real HTTP, each taken on a page that says what
// it will do, with a reason: disabling (the sessions end, the open cases go back to the queue, the
// calendar feed ends, unused reset and invitation links go), enabling again (they can sign in;
// nothing the disabling ended comes back) and resetting the second factor (the sessions and the
// calendar feed end, as after a password reset; they enrol again). Each is audited with the reason; the person is e-mailed
// in their language, on the in-process SMTP server, whom to contact and not the reason.
// Every refusal (no reason, one's own account, the last administrator who can sign in, already so, a
// stale form) keeps what was typed and stores nothing.
import { expect } from 'chai';
import request from 'supertest';
import type { Types } from 'mongoose';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent, csrfFrom, type Agent } from '../support/http.ts';
import { createInstitute, createUser, signIn, TEST_PASSWORD } from '../support/factories.ts';
import { createCall } from '../support/case-factories.ts';
import { User, type UserDoc } from '../../models/user.ts';
import { Case } from '../../models/case.ts';
import { Token } from '../../models/token.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import { systemContext } from '../../server/context.ts';
import { createFeedToken } from '../../server/calendar-feed/service.ts';
import { issueToken } from '../../server/accounts/tokens.ts';
import { disableAccount } from '../../server/accounts/decisions.ts';
import { ForbiddenError } from '../../server/errors.ts';
import { text } from '../applications/support.ts';
import { casesHeldBy, decide, expectBackInQueue, isSignedIn, onlyEachTestsAdministrators, postForm, seenFrom } from './helpers.ts';

const REASON = 'Left the institute at the end of the contract.';
const CONTACT = 'talent-admin@example.org';

/** What a refusal must leave as it was: the account, its audit trail, its cases, its links. */
async function stored(user: { _id: Types.ObjectId }) {
  const u = (await User.findById(user._id).lean())!;
  return {
    disabledAt: u.disabledAt?.getTime(),
    sessionEpoch: u.sessionEpoch,
    updatedAt: u.updatedAt?.getTime(),
    feed: u.calendarFeed?.tokenHash,
    audits: await AuditEvent.countDocuments({ targetId: String(user._id), action: { $regex: /^user\./ } }),
    assigned: (await Case.find({ assignee: user._id }, { _id: 1 }).sort({ _id: 1 }).lean()).map((c) => String(c._id)),
    links: await Token.countDocuments({ user: user._id, usedAt: null }),
  };
}

const pageUrl = (u: { _id: unknown }, decision: string) => `/admin/users/${String(u._id)}/${decision}`;

/** Sends a decision's form (as its page would) with exactly these fields besides the CSRF token. */
async function send(a: Agent, u: { _id: unknown }, decision: string, fields: Record<string, string>) {
  const list = await a.get('/admin/users').set('Accept', 'text/html');
  return a.post(pageUrl(u, decision)).type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(list.text), ...fields });
}

describe('accounts: an administrator’s decisions about an account, each with a reason', function () {
  this.timeout(60_000);
  let t: TestApp;
  let admin: UserDoc;
  let a: Agent;

  before(async () => {
    t = await startTestApp();
    admin = await createUser({ role: 'admin', name: 'Admin Lê', locale: 'en' });
    a = agent(t.app);
    await signIn(a, admin);
  });
  after(async () => {
    await t?.close();
  });

  describe('disabling', () => {
    it('the list links to a page saying what disabling will do (sessions, the open cases counted, the calendar feed, the links, the e-mail, the audit); the page stores nothing', async () => {
      const institute = await createInstitute();
      const hr = await createUser({ role: 'hr_officer', institute: institute._id, name: 'Phan Văn Đức', locale: 'vi' });
      const colleague = await createUser({ role: 'hr_officer', institute: institute._id });
      await casesHeldBy({ call: await createCall({ institute: institute._id }), holder: hr, colleague, laterStage: 'offer' });
      await createFeedToken({ ctx: systemContext({ now: new Date(), actor: hr.toObject() as never }) });
      const before = await stored(hr);

      const list = await a.get(`/admin/users?q=${encodeURIComponent(hr.email)}`).set('Accept', 'text/html');
      expect(list.text).to.include(`href="${pageUrl(hr, 'disable')}"`);
      expect(list.text, 'no longer a button that disables at once').not.to.include(`action="${pageUrl(hr, 'disable')}"`);
      const page = await a.get(pageUrl(hr, 'disable')).set('Accept', 'text/html');
      expect(page.status).to.equal(200);
      const shown = text(page.text);
      expect(shown).to.include('Disable an account').and.include('Phan Văn Đức').and.include(hr.email);
      expect(page.text).to.match(/id="cases-to-queue" data-count="2">Phan Văn Đức holds 2 open cases: they go back to the queue/);
      expect(page.text).to.include('id="sessions-end"').and.include('id="feed-ends"').and.include('id="links-revoked"');
      expect(shown).to.include(`in Vietnamese, that their account is disabled and to write to Admin Lê, ${admin.email} with any question. The reason is not in the e-mail.`);
      expect(page.text).to.include('name="reason"').and.include(`name="seen" value="${before.updatedAt}"`);
      expect(await stored(hr), 'the page stores nothing').to.deep.equal(before);

      // Someone holding no case and without a feed: the page says so, and nothing about a feed.
      const applicant = await createUser({ role: 'applicant' });
      const other = await a.get(pageUrl(applicant, 'disable')).set('Accept', 'text/html');
      expect(other.text).not.to.include('id="cases-to-queue"').and.not.include('id="feed-ends"');
      const idle = await createUser({ role: 'hr_officer', institute: institute._id, name: 'Idle Officer' });
      expect((await a.get(pageUrl(idle, 'disable')).set('Accept', 'text/html')).text).to.match(/id="cases-to-queue" data-count="0">Idle Officer holds no open case\./);

      // In the administrator's language.
      const v = agent(t.app);
      await signIn(v, await createUser({ role: 'admin', locale: 'vi' }));
      const vi = text((await v.get(pageUrl(hr, 'disable')).set('Accept', 'text/html')).text);
      expect(vi).to.include('Vô hiệu hóa tài khoản').and.include('Phan Văn Đức đang phụ trách 2 hồ sơ đang mở').and.include('Lý do không có trong e-mail.');
    });

    it('disables with the reason: audited with it, sessions and feed end, unused links go, the cases go back to the queue, an e-mail in their language with whom to contact and not the reason', async () => {
      const institute = await createInstitute();
      const hr = await createUser({ role: 'hr_officer', institute: institute._id, name: 'Trần Thị Hoa', locale: 'vi' });
      const colleague = await createUser({ role: 'hr_officer', institute: institute._id });
      const held = await casesHeldBy({ call: await createCall({ institute: institute._id }), holder: hr, colleague, laterStage: 'evaluation' });
      const feed = await createFeedToken({ ctx: systemContext({ now: new Date(), actor: hr.toObject() as never }) });
      await issueToken({ purpose: 'password_reset', userId: hr._id, now: new Date() });
      const h = agent(t.app);
      await signIn(h, hr);

      const res = await decide(a, hr, 'disable', REASON);
      expect(res.status, res.text.slice(0, 500)).to.equal(303);
      expect(res.headers.location).to.equal('/admin/users');
      expect(text((await a.get('/admin/users').set('Accept', 'text/html')).text)).to.include(
        'The account of Trần Thị Hoa is disabled: its sessions have ended, the e-mail telling them is being sent, and the 2 open cases it held went back to the queue, unassigned.',
      );

      const after = (await User.findById(hr._id).lean())!;
      expect(after.disabledAt).to.be.instanceOf(Date);
      expect(after.sessionEpoch).to.equal((hr.sessionEpoch ?? 0) + 1);
      expect(after.calendarFeed?.tokenHash).to.equal(undefined);
      expect((await request(t.app).get(feed.path)).status, 'the feed’s address stops').to.equal(404);
      expect(await Token.countDocuments({ user: hr._id, purpose: { $in: ['password_reset', 'invitation'] }, usedAt: null })).to.equal(0);
      expect(await isSignedIn(h), 'their session ended').to.equal(false);
      await expectBackInQueue(held, { holder: hr, colleague, by: admin }, { reason: 'account_disabled', name: 'Trần Thị Hoa' });

      const audit = (await AuditEvent.findOne({ action: 'user.disabled', targetId: String(hr._id) }).lean())!;
      expect(String(audit.actor)).to.equal(String(admin._id));
      expect(audit.summary).to.deep.equal({ reason: REASON, casesToQueue: 2, calendarFeedEnded: true, passwordLinksRevoked: 1 });

      const mail = await t.smtp.waitForTo(hr.email, /vô hiệu hóa/);
      expect(mail.subject).to.equal('Tài khoản của Anh/Chị trong Chương trình Thu hút Nhân tài đã bị vô hiệu hóa');
      expect(mail.text).to.include('Kính gửi Anh/Chị Trần Thị Hoa').and.include('Quản trị viên Admin Lê đã vô hiệu hóa tài khoản của Anh/Chị');
      expect(mail.text).to.include('Địa chỉ lịch riêng của Anh/Chị đã ngừng hoạt động.');
      expect(mail.text, 'whom to contact: the administrator who decided, when none is configured').to.include(`vui lòng viết thư tới Admin Lê, ${admin.email}.`);
      expect(mail.html).to.include(`href="mailto:${admin.email}"`);
      expect(mail.text + mail.html, 'the reason stays internal').not.to.include(REASON);
    });

    describe('refusals: a clear message, what was typed kept, nothing stored', () => {
      it('requires a reason that shows, of at least 10 characters', async () => {
        const hr = await createUser({ role: 'hr_officer' });
        const before = await stored(hr);
        const blank = await decide(a, hr, 'disable', '\u200b'.repeat(12));
        expect(blank.status).to.equal(422);
        expect(blank.text).to.include('id="f-reason-error"').and.include('Give the reason for this decision.');
        expect(blank.text, 'the page still says what will happen').to.include('id="sessions-end"');
        const short = await decide(a, hr, 'disable', 'too short');
        expect(short.status).to.equal(422);
        expect(short.text).to.include('The reason is too short').and.include('too short</textarea>');
        const hidden = await decide(a, hr, 'disable', 'Left \u202Eunexpectedly today');
        expect(hidden.status).to.equal(422);
        expect(await stored(hr)).to.deep.equal(before);
      });

      it('refuses one’s own account, with the message and the reason kept', async () => {
        const before = await stored(admin);
        const page = await a.get(pageUrl(admin, 'disable')).set('Accept', 'text/html');
        expect(page.status).to.equal(403);
        expect(page.text).to.include('You cannot disable your own account.');
        const res = await send(a, admin, 'disable', { seen: String(before.updatedAt), reason: REASON });
        expect(res.status).to.equal(403);
        expect(res.text).to.include('You cannot disable your own account.').and.include(REASON);
        expect(await stored(admin)).to.deep.equal(before);
      });

      it('says an account is already disabled: on its page (nothing to confirm), and refuses the form again (409) with the reason kept', async () => {
        const hr = await createUser({ role: 'hr_officer', disabled: true, name: 'Already Gone' });
        const before = await stored(hr);
        const page = await a.get(pageUrl(hr, 'disable')).set('Accept', 'text/html');
        expect(page.status).to.equal(200);
        expect(text(page.text)).to.match(/id="decision-already">The account of Already Gone is already disabled \(since [^)]+\)\): there is nothing to confirm\./);
        expect(page.text).not.to.include('id="decision-effects"').and.not.include('type="submit" class="button danger"');
        const res = await send(a, hr, 'disable', { seen: String(before.updatedAt), reason: REASON });
        expect(res.status).to.equal(409);
        expect(res.text).to.include('This account is already disabled: nothing was changed.').and.include(REASON);
        expect(await stored(hr)).to.deep.equal(before);
      });

      it('refuses a stale form (the account changed since the page was built), shows it as it is now with the reason kept; sent again, it is done', async () => {
        const institute = await createInstitute();
        const hr = await createUser({ role: 'hr_officer', institute: institute._id, name: 'Changing Officer' });
        const page = await a.get(pageUrl(hr, 'disable')).set('Accept', 'text/html');
        // Meanwhile a case is given to them, and the account changes (they sign in).
        const colleague = await createUser({ role: 'hr_officer', institute: institute._id });
        await casesHeldBy({ call: await createCall({ institute: institute._id }), holder: hr, colleague, laterStage: 'offer' });
        await signIn(agent(t.app), hr);
        const before = await stored(hr);
        const res = await a.post(pageUrl(hr, 'disable')).type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(page.text), seen: seenFrom(page.text), reason: REASON });
        expect(res.status).to.equal(409);
        expect(res.text).to.include('This account was changed since you opened this page').and.include(REASON);
        expect(res.text, 'what will happen, as it is now').to.match(/id="cases-to-queue" data-count="2">/);
        expect(seenFrom(res.text), 'the form now carries the account as shown').to.equal(String(before.updatedAt));
        expect(await stored(hr)).to.deep.equal(before);

        const again = await a.post(pageUrl(hr, 'disable')).type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(res.text), seen: seenFrom(res.text), reason: REASON });
        expect(again.status).to.equal(303);
        expect((await User.findById(hr._id).lean())!.disabledAt).to.be.instanceOf(Date);
      });

      it('refuses a form without its version (400), without a CSRF token (403), and every other role (403)', async () => {
        const hr = await createUser({ role: 'hr_officer' });
        const before = await stored(hr);
        expect((await send(a, hr, 'disable', { reason: REASON })).status).to.equal(400);
        const noCsrf = await a.post(pageUrl(hr, 'disable')).type('form').set('Accept', 'text/html').send({ seen: String(before.updatedAt), reason: REASON });
        expect(noCsrf.status).to.equal(403);
        for (const role of ['applicant', 'hr_officer', 'leader'] as const) {
          const x = agent(t.app);
          await signIn(x, await createUser({ role }));
          expect((await x.get(pageUrl(hr, 'disable')).set('Accept', 'text/html')).status, `${role} GET`).to.equal(403);
          const own = await x.get('/account').set('Accept', 'text/html');
          const res = await x.post(pageUrl(hr, 'disable')).type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(own.text), seen: String(before.updatedAt), reason: REASON });
          expect(res.status, `${role} POST`).to.equal(403);
        }
        expect(await stored(hr)).to.deep.equal(before);
      });

      describe('the last administrator who can sign in', () => {
        // Every other administrator who can sign in is disabled for these tests (and enabled again
        // after), so that the two each test makes are the only ones. Over HTTP the acting
        // administrator is one who can sign in, so the rule is met only when two requests cross:
        // these call the service as two requests authorized at the same time would.
        onlyEachTestsAdministrators();
        const ctxOf = (actor: UserDoc) => systemContext({ now: new Date(), locale: 'en', actor: actor.toObject() as never });
        const input = (u: UserDoc) => ({ userId: String(u._id), seen: u.updatedAt.getTime(), form: { ok: true as const, data: { reason: REASON } } });

        it('is never disabled: of two administrators disabling each other, the one whose request comes second is refused and nothing is stored', async () => {
          const first = await createUser({ role: 'admin' });
          const second = await createUser({ role: 'admin' });
          expect((await disableAccount({ app: t.ctx, ctx: ctxOf(first), ...input(second) })).ok).to.equal(true);
          const before = await stored(first);
          let refused: unknown;
          try {
            await disableAccount({ app: t.ctx, ctx: ctxOf(second), ...input(first) });
          } catch (err) {
            refused = err;
          }
          expect(refused).to.be.instanceOf(ForbiddenError).with.property('messageKey', 'accounts.disable.lastAdmin');
          expect(await stored(first)).to.deep.equal(before);
        });

        it('stays when two administrators disable each other at the same moment', async () => {
          const one = await createUser({ role: 'admin' });
          const two = await createUser({ role: 'admin' });
          const results = await Promise.allSettled([
            disableAccount({ app: t.ctx, ctx: ctxOf(one), ...input(two) }),
            disableAccount({ app: t.ctx, ctx: ctxOf(two), ...input(one) }),
          ]);
          const refusals = results.filter((r) => r.status === 'rejected');
          expect(refusals.length, 'at least one is refused').to.be.at.least(1);
          for (const r of refusals) expect((r as PromiseRejectedResult).reason).to.be.instanceOf(ForbiddenError).with.property('messageKey', 'accounts.disable.lastAdmin');
          expect(await User.countDocuments({ _id: { $in: [one._id, two._id] }, disabledAt: null }), 'an administrator who can sign in remains').to.be.at.least(1);
          const audits = await AuditEvent.countDocuments({ action: 'user.disabled', targetId: { $in: [String(one._id), String(two._id)] } });
          expect(audits, 'only a disabling that stood is audited').to.equal(2 - refusals.length);
        });
      });
    });
  });

  describe('enabling again', () => {
    it('the page says what enabling will do; enabled with the reason: audited with it, they can sign in, an e-mail in their language that they can, not the reason', async () => {
      const person = await createUser({ role: 'leader', name: 'Back Again', locale: 'en' });
      expect((await decide(a, person, 'disable', REASON)).status).to.equal(303);
      await t.smtp.waitForTo(person.email, /disabled/);
      const list = await a.get(`/admin/users?q=${encodeURIComponent(person.email)}`).set('Accept', 'text/html');
      expect(list.text).to.include(`href="${pageUrl(person, 'enable')}"`).and.not.include(`action="${pageUrl(person, 'enable')}"`);
      const page = await a.get(pageUrl(person, 'enable')).set('Accept', 'text/html');
      expect(page.status).to.equal(200);
      const shown = text(page.text);
      expect(shown).to.include('Enable an account again').and.include('Back Again can sign in again with their password');
      expect(shown).to.include('the open cases that went back to the queue are not given back');
      expect(shown).to.include(`in English, that their account is enabled again and to write to Admin Lê, ${admin.email} with any question.`);

      const why = 'The leave of absence has ended.';
      const res = await decide(a, person, 'enable', why);
      expect(res.status, res.text.slice(0, 500)).to.equal(303);
      expect(text((await a.get('/admin/users').set('Accept', 'text/html')).text)).to.include('The account of Back Again is enabled again and the e-mail telling them is being sent.');
      expect((await User.findById(person._id).lean())!.disabledAt).to.equal(undefined);
      const audit = (await AuditEvent.findOne({ action: 'user.enabled', targetId: String(person._id) }).lean())!;
      expect(String(audit.actor)).to.equal(String(admin._id));
      expect(audit.summary).to.deep.equal({ reason: why });
      await signIn(agent(t.app), person);

      const mail = await t.smtp.waitForTo(person.email, /enabled again/);
      expect(mail.subject).to.equal('Your account in the Talent Programme is enabled again');
      expect(mail.text).to.include('Admin Lê, an administrator, has enabled your account').and.include('You can sign in again').and.include(`${t.baseUrl}/signin`);
      expect(mail.text).to.include(`please write to Admin Lê, ${admin.email}.`);
      expect(mail.text + mail.html).not.to.include(why);
    });

    it('someone who never accepted their invitation: the page and the e-mail say a new invitation is needed', async () => {
      const invitee = await createUser({ role: 'hr_officer', name: 'Nguyễn Mời', locale: 'vi', disabled: true });
      await User.updateOne({ _id: invitee._id }, { $unset: { passwordHash: 1 } });
      const page = text((await a.get(pageUrl(invitee, 'enable')).set('Accept', 'text/html')).text);
      expect(page).to.include('Nguyễn Mời never accepted their invitation').and.include('send them a new invitation from the user list');
      expect((await decide(a, invitee, 'enable', REASON)).status).to.equal(303);
      const mail = await t.smtp.waitForTo(invitee.email, /kích hoạt lại/);
      expect(mail.text).to.include('Anh/Chị chưa đặt mật khẩu').and.not.include('/signin');
    });

    it('refuses no reason (422), an account already enabled (its page says so; 409 with the reason kept) and a stale form (409), storing nothing', async () => {
      const off = await createUser({ role: 'applicant', disabled: true });
      const before = await stored(off);
      const blank = await decide(a, off, 'enable', '   ');
      expect(blank.status).to.equal(422);
      expect(blank.text).to.include('Give the reason for this decision.');
      const page = await a.get(pageUrl(off, 'enable')).set('Accept', 'text/html');
      await User.updateOne({ _id: off._id }, { $set: { name: 'Renamed meanwhile' } });
      const late = await a.post(pageUrl(off, 'enable')).type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(page.text), seen: seenFrom(page.text), reason: REASON });
      expect(late.status).to.equal(409);
      expect(late.text).to.include('This account was changed since you opened this page').and.include(REASON).and.include('Renamed meanwhile');
      expect({ ...(await stored(off)), updatedAt: 0 }).to.deep.equal({ ...before, updatedAt: 0 });

      const on = await createUser({ role: 'applicant', name: 'Never Off' });
      const onBefore = await stored(on);
      const shown = await a.get(pageUrl(on, 'enable')).set('Accept', 'text/html');
      expect(shown.status).to.equal(200);
      expect(text(shown.text)).to.include('The account of Never Off is enabled: there is nothing to confirm.');
      const res = await send(a, on, 'enable', { seen: String(onBefore.updatedAt), reason: REASON });
      expect(res.status).to.equal(409);
      expect(res.text).to.include('This account is already enabled: nothing was changed.').and.include(REASON);
      expect(await stored(on)).to.deep.equal(onBefore);
      await signIn(agent(t.app), on);
    });
  });

  describe('resetting the second factor', () => {
    it('the page says what the reset will do; reset with the reason: audited with it, the factor gone, sessions and calendar feed ended, an e-mail saying whom to tell if they did not ask, not the reason', async () => {
      const hr = await createUser({ role: 'hr_officer', name: 'Lost Phone', locale: 'en' });
      const feed = await createFeedToken({ ctx: systemContext({ now: new Date(), actor: hr.toObject() as never }) });
      const h = agent(t.app);
      await signIn(h, hr);
      const list = await a.get(`/admin/users?q=${encodeURIComponent(hr.email)}`).set('Accept', 'text/html');
      expect(list.text).to.include(`href="${pageUrl(hr, 'reset-second-factor')}"`).and.not.include(`action="${pageUrl(hr, 'reset-second-factor')}"`);
      const page = await a.get(pageUrl(hr, 'reset-second-factor')).set('Accept', 'text/html');
      expect(page.status).to.equal(200);
      expect(page.text).to.include('id="factor-removed"').and.include('id="sessions-end"').and.include('id="feed-ends"');
      expect(text(page.text)).to.include('Reset a second factor').and.include(`if they did not ask for it, to write to Admin Lê, ${admin.email} at once.`);

      const why = 'Lost the phone and the printed recovery codes.';
      const res = await decide(a, hr, 'reset-second-factor', why);
      expect(res.status, res.text.slice(0, 500)).to.equal(303);
      expect(text((await a.get('/admin/users').set('Accept', 'text/html')).text)).to.include('The second factor of Lost Phone is reset: their sessions have ended');
      const after = (await User.findById(hr._id).lean())!;
      expect(after.totp?.secret).to.equal(undefined);
      expect(after.sessionEpoch).to.equal((hr.sessionEpoch ?? 0) + 1);
      expect(after.calendarFeed?.tokenHash, 'the feed ends in the same write, as after a password reset').to.equal(undefined);
      expect((await request(t.app).get(feed.path)).status).to.equal(404);
      expect(await isSignedIn(h)).to.equal(false);
      const audit = (await AuditEvent.findOne({ action: 'user.second_factor_reset', targetId: String(hr._id) }).lean())!;
      expect(String(audit.actor)).to.equal(String(admin._id));
      expect(audit.summary).to.deep.equal({ reason: why, calendarFeedEnded: true });

      const mail = await t.smtp.waitForTo(hr.email, /second factor/);
      expect(mail.text).to.include('Admin Lê, an administrator, has reset the second factor of your account');
      expect(mail.text).to.include('Your private calendar address has stopped working').and.include(`${t.baseUrl}/account/calendar`);
      expect(mail.text).to.include(`If you did not ask for this, someone may be trying to use your account: write at once to Admin Lê, ${admin.email}.`);
      expect(mail.text + mail.html).not.to.include(why);

      // After the password, straight to enrolment.
      const again = agent(t.app);
      expect((await postForm(again, '/signin', '/signin', { email: hr.email, password: TEST_PASSWORD })).status).to.equal(303);
      expect((await again.get('/cases').set('Accept', 'text/html')).headers.location).to.equal('/account/second-factor');
    });

    it('refuses one’s own, an account without a second factor (its page says so), no reason and a stale form, with the reason kept and nothing stored', async () => {
      const mine = await stored(admin);
      expect((await a.get(pageUrl(admin, 'reset-second-factor')).set('Accept', 'text/html')).status).to.equal(403);
      const self = await send(a, admin, 'reset-second-factor', { seen: String(mine.updatedAt), reason: REASON });
      expect(self.status).to.equal(403);
      expect(self.text).to.include('Change your own second factor under My account.').and.include(REASON);
      expect(await stored(admin)).to.deep.equal(mine);

      const none = await createUser({ role: 'applicant', name: 'No Factor' });
      const noneBefore = await stored(none);
      expect(text((await a.get(pageUrl(none, 'reset-second-factor')).set('Accept', 'text/html')).text)).to.include('No Factor has no second factor to reset');
      const refused = await send(a, none, 'reset-second-factor', { seen: String(noneBefore.updatedAt), reason: REASON });
      expect(refused.status).to.equal(409);
      expect(refused.text).to.include('This account has no second factor to reset: nothing was changed.').and.include(REASON);
      expect(await stored(none)).to.deep.equal(noneBefore);

      const hr = await createUser({ role: 'hr_officer' });
      const short = await decide(a, hr, 'reset-second-factor', 'lost it');
      expect(short.status).to.equal(422);
      expect(short.text).to.include('The reason is too short').and.include('lost it</textarea>');
      const page = await a.get(pageUrl(hr, 'reset-second-factor')).set('Accept', 'text/html');
      await signIn(agent(t.app), hr);
      const before = await stored(hr);
      const late = await a.post(pageUrl(hr, 'reset-second-factor')).type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(page.text), seen: seenFrom(page.text), reason: REASON });
      expect(late.status).to.equal(409);
      expect(late.text).to.include('This account was changed since you opened this page').and.include(REASON);
      expect(await stored(hr)).to.deep.equal(before);
      expect((await User.findById(hr._id).lean())!.totp?.secret).to.be.a('string');
    });
  });

  describe('with a contact address configured (ADMIN_CONTACT_EMAIL)', () => {
    let c: TestApp;
    before(async () => {
      c = await startTestApp({ env: { ADMIN_CONTACT_EMAIL: CONTACT } });
    });
    after(async () => {
      await c?.close();
    });

    it('the page and the e-mail name it instead of the administrator', async () => {
      const person = await createUser({ role: 'applicant', name: 'Jane Doe', locale: 'en' });
      const x = agent(c.app);
      await signIn(x, await createUser({ role: 'admin', name: 'Other Admin' }));
      const page = text((await x.get(pageUrl(person, 'disable')).set('Accept', 'text/html')).text);
      expect(page).to.include(`in English, that their account is disabled and to write to ${CONTACT} with any question.`);
      expect((await decide(x, person, 'disable', REASON)).status).to.equal(303);
      const mail = await c.smtp.waitForTo(person.email, /disabled/);
      expect(mail.subject).to.equal('Your account in the Talent Programme has been disabled');
      expect(mail.text).to.include('Dear Jane Doe').and.include('Other Admin, an administrator, has disabled your account');
      expect(mail.text).to.include(`please write to ${CONTACT}.`).and.not.include(REASON);
    });
  });
});
