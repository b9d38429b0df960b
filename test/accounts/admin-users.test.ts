import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent, csrfFrom } from '../support/http.ts';
import { linkIn } from '../support/smtp.ts';
import { createInstitute, createUser, signIn, totpCode, uniqueEmail } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { User } from '../../models/user.ts';
import { Case } from '../../models/case.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import { casesHeldBy, decide, expectBackInQueue, isSignedIn, postForm, seenFrom } from './helpers.ts';

const REASON = 'Left the programme at the end of the contract.';
import { text } from '../applications/support.ts';

describe('accounts: staff invitations and user administration', function () {
  this.timeout(30_000);
  let t: TestApp;

  before(async () => {
    t = await startTestApp();
  });
  after(async () => {
    await t.close();
  });

  it('invites an HR officer: e-mail, set name and password, enrol TOTP, then sign in with TOTP', async () => {
    const institute = await createInstitute();
    const admin = await createUser({ role: 'admin', name: 'Admin Person' });
    const a = agent(t.app);
    await signIn(a, admin);
    const email = uniqueEmail('invitee');

    const missing = await postForm(a, '/admin/users/invite', '/admin/users/invite', { email, name: 'Phạm Hùng', role: 'hr_officer', institute: '', locale: 'en' });
    expect(missing.status, 'an HR officer needs an institute').to.equal(422);
    expect(missing.text).to.include('id="f-institute-error"');
    expect(missing.text).to.include(`value="${email}"`);

    const res = await postForm(a, '/admin/users/invite', '/admin/users/invite', {
      email,
      name: 'Phạm Hùng',
      role: 'hr_officer',
      institute: String(institute._id),
      isHrLead: 'yes',
      locale: 'en',
    });
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal('/admin/users');
    const invited = await User.findOne({ email }).lean();
    expect(invited).to.include({ role: 'hr_officer', isHrLead: true });
    expect(String(invited?.institute)).to.equal(String(institute._id));
    expect(invited?.passwordHash).to.equal(undefined);
    expect(await AuditEvent.exists({ action: 'user.invited', targetId: String(invited!._id) })).to.not.equal(null);

    const dup = await postForm(a, '/admin/users/invite', '/admin/users/invite', { email, name: 'Again', role: 'admin', locale: 'en' });
    expect(dup.status).to.equal(422);

    const mail = await t.smtp.waitForTo(email, /invited/i);
    expect(mail.text).to.include('Admin Person');
    expect(mail.text).to.include('HR officer');
    const path = new URL(linkIn(mail.text, '/invitations/')).pathname;

    // The invitee cannot sign in before accepting (no password yet).
    const early = await postForm(agent(t.app), '/signin', '/signin', { email, password: 'anything at all here' });
    expect(early.status).to.equal(401);

    const b = agent(t.app);
    const weak = await postForm(b, path, path, { name: 'Phạm Văn Hùng', password: 'short' });
    expect(weak.status).to.equal(422);
    const accepted = await postForm(b, path, path, { name: 'Phạm Văn Hùng', password: 'granite meadow pilot 7' });
    expect(accepted.status).to.equal(303);
    expect(accepted.headers.location).to.equal('/account/second-factor');
    expect((await b.get('/cases').set('Accept', 'text/html')).headers.location, 'must enrol first').to.equal('/account/second-factor');

    const enrol = await b.get('/account/second-factor').set('Accept', 'text/html');
    const secret = /data-secret="([A-Z2-7]+)"/.exec(enrol.text)![1]!;
    // The menu offers only sign-out meanwhile: its other pages would lead back here.
    const menu = enrol.text.slice(enrol.text.indexOf('class="main-nav"'), enrol.text.indexOf('</nav>'));
    expect(menu).not.to.include('href="/cases"').and.not.include('href="/calls"').and.not.include('href="/account"');
    expect(menu).to.include('action="/signout"');
    const wrongCode = await b.post('/account/second-factor').type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(enrol.text), code: '12345' });
    expect(wrongCode.status).to.equal(422);
    const enrolled = await b.post('/account/second-factor').type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(enrol.text), code: totpCode({ totp: { secret } }) });
    expect(enrolled.status).to.equal(200);
    expect(enrolled.text).to.include('id="recovery-codes"');
    expect((await b.get('/cases').set('Accept', 'text/html')).text, 'the menu is back once set up').to.include('href="/cases"');

    // The link was single use.
    expect((await agent(t.app).get(path).set('Accept', 'text/html')).status).to.equal(410);

    const fresh = await User.findOne({ email });
    expect(fresh?.name).to.equal('Phạm Văn Hùng');
    expect(fresh?.emailVerifiedAt).to.be.instanceOf(Date);
    const c = agent(t.app);
    const landing = await signIn(c, fresh!, 'granite meadow pilot 7');
    expect(landing).to.equal('/');
  });

  it('lists users with role and institute filters', async () => {
    const institute = await createInstitute();
    const leader = await createUser({ role: 'leader', institute: institute._id, name: 'Filter Leader' });
    await createUser({ role: 'hr_officer', name: 'Other Institute HR' });
    const admin = await createUser({ role: 'admin' });
    const a = agent(t.app);
    await signIn(a, admin);
    const res = await a.get(`/admin/users?role=leader&institute=${institute._id}`).set('Accept', 'text/html');
    expect(res.status).to.equal(200);
    expect(res.text).to.include(leader.email);
    expect(res.text).not.to.include('Other Institute HR');
    const search = await a.get(`/admin/users?q=${encodeURIComponent(leader.email)}`).set('Accept', 'text/html');
    expect(search.text).to.include('Filter Leader');
    const odd = await a.get('/admin/users?role=superuser&institute=xyz&page=-3').set('Accept', 'text/html');
    expect(odd.status, 'bad filters are ignored').to.equal(200);
  });

  it('refuses the user administration to every other role (403)', async () => {
    for (const role of ['applicant', 'hr_officer', 'leader'] as const) {
      const u = await createUser({ role });
      const a = agent(t.app);
      await signIn(a, u);
      const list = await a.get('/admin/users').set('Accept', 'text/html');
      expect(list.status, `${role} GET /admin/users`).to.equal(403);
      const page = await a.get('/account').set('Accept', 'text/html');
      const invite = await a
        .post('/admin/users/invite')
        .type('form')
        .set('Accept', 'text/html')
        .send({ _csrf: csrfFrom(page.text), email: uniqueEmail('x'), name: 'X', role: 'admin', locale: 'en' });
      expect(invite.status, `${role} POST /admin/users/invite`).to.equal(403);
      expect((await a.get(`/admin/users/${u._id}/disable`).set('Accept', 'text/html')).status, `${role} GET disable`).to.equal(403);
      const disable = await a.post(`/admin/users/${u._id}/disable`).type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(page.text), seen: String(u.updatedAt.getTime()), reason: REASON });
      expect(disable.status).to.equal(403);
      expect((await User.findById(u._id).lean())!.disabledAt).to.equal(undefined);
    }
  });

  it('disabling an account ends its sessions and blocks sign-in; enabling restores it', async () => {
    const admin = await createUser({ role: 'admin' });
    const victim = await createUser({ role: 'applicant' });
    const a = agent(t.app);
    await signIn(a, admin);
    const v = agent(t.app);
    await signIn(v, victim);
    expect(await isSignedIn(v)).to.equal(true);

    const res = await decide(a, victim, 'disable', REASON);
    expect(res.status).to.equal(303);
    expect(await isSignedIn(v), 'their session ended').to.equal(false);
    const again = await postForm(agent(t.app), '/signin', '/signin', { email: victim.email, password: 'Test-password for factories 2024' });
    // The right password is told the account is disabled (test/accounts/disabled-account.test.ts), and still not signed in.
    expect(again.status).to.equal(403);
    expect(again.text).to.include('Tài khoản này đã bị vô hiệu hóa');
    expect(await isSignedIn(v)).to.equal(false);

    const self = await a.get(`/admin/users/${admin._id}/disable`).set('Accept', 'text/html');
    expect(self.status, 'an admin cannot disable themselves').to.equal(403);

    const en = await decide(a, victim, 'enable', 'Came back to the programme after a break.');
    expect(en.status).to.equal(303);
    await signIn(agent(t.app), victim);
    expect(await AuditEvent.countDocuments({ targetId: String(victim._id), action: { $in: ['user.disabled', 'user.enabled'] } })).to.equal(2);
  });

  it('disabling an HR officer sends their open cases back to the queue, unassigned, with a history entry; the flash says how many; audited', async () => {
    const institute = await createInstitute();
    const admin = await createUser({ role: 'admin', locale: 'en' });
    const hr = await createUser({ role: 'hr_officer', institute: institute._id, name: 'Leaving Officer' });
    const colleague = await createUser({ role: 'hr_officer', institute: institute._id, locale: 'en' });
    const call = await createCall({ institute: institute._id });
    const held = await casesHeldBy({ call, holder: hr, colleague, laterStage: 'onboarding' });
    const [open1] = held.open;

    // Someone who may not disable it changes nothing.
    const x = agent(t.app);
    await signIn(x, colleague);
    const own = await x.get('/account').set('Accept', 'text/html');
    expect((await x.post(`/admin/users/${hr._id}/disable`).type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(own.text) })).status).to.equal(403);
    expect(String((await Case.findById(open1._id).lean())!.assignee)).to.equal(String(hr._id));

    const a = agent(t.app);
    await signIn(a, admin);
    const res = await decide(a, hr, 'disable', REASON);
    expect(res.status).to.equal(303);
    const flashed = await a.get('/admin/users').set('Accept', 'text/html');
    expect(flashed.text).to.include('The account of Leaving Officer is disabled: its sessions have ended, the e-mail telling them is being sent, and the 2 open cases it held went back to the queue, unassigned.');

    await expectBackInQueue(held, { holder: hr, colleague, by: admin }, { reason: 'account_disabled', name: 'Leaving Officer' });
    const en = agent(t.app);
    await signIn(en, colleague);
    expect(text((await en.get(`/cases/${open1._id}`).set('Accept', 'text/html')).text)).to.include('The account of Leaving Officer was disabled by an administrator: the case is back in the queue, unassigned.');
    const vi = agent(t.app);
    await signIn(vi, await createUser({ role: 'hr_officer', institute: institute._id, locale: 'vi' }));
    const viPage = text((await vi.get(`/cases/${open1._id}`).set('Accept', 'text/html')).text);
    expect(viPage).to.include('Tài khoản của Leaving Officer đã bị quản trị viên vô hiệu hóa: hồ sơ trở về hàng đợi, không có người phụ trách.');
    expect(viPage).not.to.include('was disabled by an administrator');
    const audit = (await AuditEvent.findOne({ action: 'user.disabled', targetId: String(hr._id) }).lean())!;
    expect(String(audit.actor)).to.equal(String(admin._id));
    expect(audit.summary).to.deep.equal({ reason: REASON, casesToQueue: 2 });

    // Enabling does not give the cases back; disabling someone holding none says only that.
    expect((await decide(a, hr, 'enable', 'Came back to the institute after a leave.')).status).to.equal(303);
    expect((await Case.findById(open1._id).lean())!.assignee).to.equal(undefined);
    const adminVi = await createUser({ role: 'admin', locale: 'vi' });
    const v = agent(t.app);
    await signIn(v, adminVi);
    const reassigned = await createCase({ applicant: await createUser({ role: 'applicant' }), call, stage: 'screening', assignee: hr });
    expect((await decide(v, hr, 'disable', 'Rời viện theo quyết định của lãnh đạo.')).status).to.equal(303);
    expect((await v.get('/admin/users').set('Accept', 'text/html')).text).to.include('và 1 hồ sơ đang mở tài khoản này phụ trách đã trở về hàng đợi');
    // A Vietnamese administrator's disabling reads in English for an English reader.
    expect((await Case.findById(reassigned._id).lean())!.history.at(-1)!.unassign).to.deep.equal({ reason: 'account_disabled', name: 'Leaving Officer' });
    expect(text((await en.get(`/cases/${reassigned._id}`).set('Accept', 'text/html')).text)).to.include('The account of Leaving Officer was disabled by an administrator');
    const none = await createUser({ role: 'hr_officer', institute: institute._id, name: 'Holds Nothing' });
    expect((await decide(a, none, 'disable', REASON)).status).to.equal(303);
    const plain = await a.get('/admin/users').set('Accept', 'text/html');
    expect(plain.text).to.include('The account of Holds Nothing is disabled: its sessions have ended and the e-mail telling them is being sent.').and.not.include('went back to the queue');
  });

  it('the same disable sent twice (a double click, at once or one after the other) writes once: sessions ended once, cases returned once, one audit event; the second says it is already disabled', async () => {
    const institute = await createInstitute();
    const admin = await createUser({ role: 'admin', locale: 'en' });
    const hr = await createUser({ role: 'hr_officer', institute: institute._id, name: 'Double Clicked' });
    const colleague = await createUser({ role: 'hr_officer', institute: institute._id });
    const held = await casesHeldBy({ call: await createCall({ institute: institute._id }), holder: hr, colleague, laterStage: 'evaluation' });
    const a = agent(t.app);
    await signIn(a, admin);
    const page = await a.get(`/admin/users/${hr._id}/disable`).set('Accept', 'text/html');
    const form = { _csrf: csrfFrom(page.text), seen: seenFrom(page.text), reason: REASON };
    const post = () => a.post(`/admin/users/${hr._id}/disable`).type('form').set('Accept', 'text/html').send(form);
    const audits = (action: string) => AuditEvent.countDocuments({ targetId: String(hr._id), action });

    const both = await Promise.all([post(), post()]);
    expect(both.map((r) => r.status).sort()).to.deep.equal([303, 409]);
    expect(both.find((r) => r.status === 409)!.text).to.include('This account is already disabled: nothing was changed.').and.include(REASON);
    const disabled = (await User.findById(hr._id).lean())!;
    expect(disabled.sessionEpoch, 'sessions ended once').to.equal((hr.sessionEpoch ?? 0) + 1);
    expect(await audits('user.disabled')).to.equal(1);
    await expectBackInQueue(held, { holder: hr, colleague, by: admin }, { reason: 'account_disabled', name: 'Double Clicked' });
    // Sent again later (a page resent): the page says what is true, nothing is written.
    const later = await post();
    expect(later.status).to.equal(409);
    expect(later.text).to.include('This account is already disabled: nothing was changed.').and.include('id="decision-already"').and.not.include('Disable the account</button>');
    const again = (await User.findById(hr._id).lean())!;
    expect({ at: again.disabledAt?.getTime(), epoch: again.sessionEpoch, updatedAt: again.updatedAt?.getTime() }).to.deep.equal({ at: disabled.disabledAt?.getTime(), epoch: disabled.sessionEpoch, updatedAt: disabled.updatedAt?.getTime() });
    expect(await audits('user.disabled')).to.equal(1);
  });

  it('the same enable sent twice writes once; the second says it is already enabled', async () => {
    const admin = await createUser({ role: 'admin', locale: 'en' });
    const hr = await createUser({ role: 'hr_officer', disabled: true });
    const a = agent(t.app);
    await signIn(a, admin);
    const page = await a.get(`/admin/users/${hr._id}/enable`).set('Accept', 'text/html');
    const post = () => a.post(`/admin/users/${hr._id}/enable`).type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(page.text), seen: seenFrom(page.text), reason: REASON });
    expect((await Promise.all([post(), post()])).map((r) => r.status).sort()).to.deep.equal([303, 409]);
    const later = await post();
    expect(later.status).to.equal(409);
    expect(later.text).to.include('This account is already enabled: nothing was changed.').and.include(REASON);
    expect((await User.findById(hr._id).lean())!.disabledAt).to.equal(undefined);
    expect(await AuditEvent.countDocuments({ targetId: String(hr._id), action: 'user.enabled' })).to.equal(1);
  });

  it('resetting a staff member\'s second factor ends their sessions and makes them enrol again', async () => {
    const admin = await createUser({ role: 'admin' });
    const hr = await createUser({ role: 'hr_officer' });
    const a = agent(t.app);
    await signIn(a, admin);
    const h = agent(t.app);
    await signIn(h, hr);
    expect(await isSignedIn(h)).to.equal(true);

    const list = await a.get('/admin/users').set('Accept', 'text/html');
    expect(list.text).to.include(`/admin/users/${hr._id}/reset-second-factor`);
    const res = await decide(a, hr, 'reset-second-factor', 'Lost the phone and the recovery codes.');
    expect(res.status).to.equal(303);
    expect(await isSignedIn(h), 'their session ended').to.equal(false);
    const stored = (await User.findById(hr._id).lean())!;
    expect(stored.totp?.secret).to.equal(undefined);
    expect(await AuditEvent.countDocuments({ targetId: String(hr._id), action: 'user.second_factor_reset' })).to.equal(1);

    // password only, then straight to enrolment before anything else
    const again = agent(t.app);
    const signin = await postForm(again, '/signin', '/signin', { email: hr.email, password: 'Test-password for factories 2024' });
    expect(signin.status).to.equal(303);
    const cases = await again.get('/cases').set('Accept', 'text/html');
    expect(cases.status).to.equal(303);
    expect(cases.headers.location).to.equal('/account/second-factor');

    const self = await a.get(`/admin/users/${admin._id}/reset-second-factor`).set('Accept', 'text/html');
    expect(self.status, 'not their own').to.equal(403);
  });

  it('an administrator can resend a pending invitation; the old link stops working', async () => {
    const admin = await createUser({ role: 'admin' });
    const a = agent(t.app);
    await signIn(a, admin);
    const email = uniqueEmail('resend');
    await postForm(a, '/admin/users/invite', '/admin/users/invite', { email, name: 'Resend Me', role: 'admin', locale: 'vi' });
    const first = await t.smtp.waitForTo(email);
    expect(first.subject).to.include('Lời mời');
    const invitee = await User.findOne({ email }).lean();
    const list = await a.get('/admin/users').set('Accept', 'text/html');
    const res = await a.post(`/admin/users/${invitee!._id}/resend-invitation`).type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(list.text) });
    expect(res.status).to.equal(303);
    await t.smtp.waitFor((m) => m.to.includes(email) && m !== first);
    const oldPath = new URL(linkIn(first.text, '/invitations/')).pathname;
    expect((await agent(t.app).get(oldPath).set('Accept', 'text/html')).status).to.equal(410);
  });
});
