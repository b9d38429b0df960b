// One-time links that set a password (reset, invitation) do not outlive a password being set or the
// account being disabled: a link mailed earlier, perhaps read by someone else, then answers with the
// "link can no longer be used" page (410) and changes nothing.
import { expect } from 'chai';
import { useTestApp, type TestApp } from '../support/app.ts';
import { agent, csrfFrom } from '../support/http.ts';
import { linkIn } from '../support/smtp.ts';
import { createUser, signIn, TEST_PASSWORD, uniqueEmail } from '../support/factories.ts';
import { issueToken } from '../../server/accounts/tokens.ts';
import { User, type UserDoc } from '../../models/user.ts';
import { decide, postForm } from './helpers.ts';

const CHOSEN = 'violet harbour kettle 42';
const INTRUDER = 'intruder chosen phrase 99';
const LINK_GONE = 'This link can no longer be used';

describe('accounts: reset and invitation links end when the password is set or the account disabled', function () {
  this.timeout(30_000);
  let t!: TestApp;
  useTestApp((app) => (t = app));

  /** Asks for a reset link as anyone could (/password/forgot) and returns its path. */
  async function resetLinkFor(email: string): Promise<string> {
    const asked = await postForm(agent(t.app), '/password/forgot', '/password/forgot', { email });
    expect(asked.status).to.equal(200);
    const mail = await t.smtp.waitFor((m) => m.to.includes(email) && /reset/i.test(m.subject) && m.text.includes('/password/reset/'));
    return new URL(linkIn(mail.text, '/password/reset/')).pathname;
  }

  /** An administrator (signed in on the returned agent) invites a new HR officer; the invitation link's path. */
  async function invite(): Promise<{ admin: ReturnType<typeof agent>; email: string; path: string }> {
    const adminUser = await createUser({ role: 'admin' });
    const admin = agent(t.app);
    await signIn(admin, adminUser);
    const email = uniqueEmail('invitee');
    const res = await postForm(admin, '/admin/users/invite', '/admin/users/invite', { email, name: 'Invited Person', role: 'admin', locale: 'en' });
    expect(res.status).to.equal(303);
    const mail = await t.smtp.waitForTo(email, /invited/i);
    return { admin, email, path: new URL(linkIn(mail.text, '/invitations/')).pathname };
  }

  /** What a stranger holding the link gets: the page, then the form posted anyway (with a CSRF token from another page). */
  async function useLink(path: string, fields: Record<string, string>) {
    const a = agent(t.app);
    const page = await a.get(path).set('Accept', 'text/html').set('Accept-Language', 'en');
    const forgot = await a.get('/password/forgot').set('Accept', 'text/html');
    const posted = await a.post(path).type('form').set('Accept', 'text/html').set('Accept-Language', 'en').send({ _csrf: csrfFrom(forgot.text), ...fields });
    // Signed in is anything but being sent to /signin (staff without a second factor go to enrol it).
    const account = await a.get('/account').set('Accept', 'text/html');
    return { page, posted, signedIn: !(account.status === 303 && String(account.headers.location).startsWith('/signin')) };
  }

  async function storedHash(user: { _id: unknown }) {
    return (await User.findById(user._id).lean())?.passwordHash;
  }

  function expectGone(res: { status: number; text: string }, what: string) {
    expect(res.status, what).to.equal(410);
    expect(res.text, what).to.include(LINK_GONE);
  }

  it('a reset link mailed before the owner changed the password no longer works', async () => {
    const user = await createUser({ locale: 'en' });
    const path = await resetLinkFor(user.email);

    const owner = agent(t.app);
    await signIn(owner, user);
    const changed = await postForm(owner, '/account', '/account/password', { currentPassword: TEST_PASSWORD, newPassword: CHOSEN });
    expect(changed.status).to.equal(303);
    const hash = await storedHash(user);

    const { page, posted, signedIn } = await useLink(path, { password: INTRUDER });
    expectGone(page, 'GET the old reset link');
    expectGone(posted, 'POST the old reset link');
    expect(signedIn).to.equal(false);
    expect(await storedHash(user), 'the password chosen stays').to.equal(hash);
    expect((await postForm(agent(t.app), '/signin', '/signin', { email: user.email, password: INTRUDER })).status).to.equal(401);
    await signIn(agent(t.app), user, CHOSEN);
  });

  it('a reset link mailed before an administrator disabled the account does not come back when it is enabled again', async () => {
    const user = await createUser({ locale: 'en' });
    const path = await resetLinkFor(user.email);
    const adminUser = await createUser({ role: 'admin' });
    const admin = agent(t.app);
    await signIn(admin, adminUser);
    const disabled = await decide(admin, user, 'disable', 'Asked to close the account for now.');
    expect(disabled.status, 'disable').to.equal(303);
    const enabled = await decide(admin, user, 'enable', 'Asked to open the account again.');
    expect(enabled.status, 'enable').to.equal(303);
    const hash = await storedHash(user);

    const { page, posted, signedIn } = await useLink(path, { password: INTRUDER });
    expectGone(page, 'GET the reset link after disable and enable');
    expectGone(posted, 'POST the reset link after disable and enable');
    expect(signedIn).to.equal(false);
    expect(await storedHash(user)).to.equal(hash);
    await signIn(agent(t.app), user);
  });

  it('accepting an invitation ends a reset link asked for the same address before', async () => {
    const { email, path: invitation } = await invite();
    const reset = await resetLinkFor(email);
    const accepted = await postForm(agent(t.app), invitation, invitation, { name: 'Invited Person', password: CHOSEN });
    expect(accepted.status).to.equal(303);
    const invitee = (await User.findOne({ email })) as UserDoc;
    const hash = await storedHash(invitee);

    const { page, posted } = await useLink(reset, { password: INTRUDER });
    expectGone(page, 'GET the reset link after accepting the invitation');
    expectGone(posted, 'POST the reset link after accepting the invitation');
    expect(await storedHash(invitee)).to.equal(hash);
  });

  it('setting the password through a reset link ends the invitation: it neither shows its form nor signs anyone in', async () => {
    const { email, path: invitation } = await invite();
    const reset = await resetLinkFor(email);
    const done = await postForm(agent(t.app), reset, reset, { password: CHOSEN });
    expect(done.status).to.equal(303);
    const invitee = (await User.findOne({ email }).lean())!;

    const { page, posted, signedIn } = await useLink(invitation, { name: 'Someone Else', password: INTRUDER });
    expectGone(page, 'GET the invitation after a reset');
    expectGone(posted, 'POST the invitation after a reset');
    expect(signedIn, 'the invitation signs no one in').to.equal(false);
    const after = (await User.findById(invitee._id).lean())!;
    expect(after.passwordHash).to.equal(invitee.passwordHash);
    expect(after.name).to.equal('Invited Person');
    expect(after.sessionEpoch).to.equal(invitee.sessionEpoch);
  });

  it('an invitation link for an account that already has a password is refused, even one still in the database', async () => {
    // Links issued before this release, or in a race with the password being set, are still stored:
    // the invitation itself must refuse an account that has a password.
    const staff = await createUser({ role: 'hr_officer', name: 'Has A Password' });
    const raw = await issueToken({ purpose: 'invitation', userId: staff._id, now: new Date() });
    const before = (await User.findById(staff._id).lean())!;

    const { page, posted, signedIn } = await useLink(`/invitations/${raw}`, { name: 'Someone Else', password: INTRUDER });
    expectGone(page, 'GET an invitation for an account with a password');
    expectGone(posted, 'POST an invitation for an account with a password');
    expect(signedIn).to.equal(false);
    const after = (await User.findById(staff._id).lean())!;
    expect(after.passwordHash).to.equal(before.passwordHash);
    expect(after.name).to.equal('Has A Password');
    expect(after.sessionEpoch).to.equal(before.sessionEpoch);
    await signIn(agent(t.app), staff);
  });
});
