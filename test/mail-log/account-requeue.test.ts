// Requeueing a dead ACCOUNT e-mail from the mail log, over HTTP with the real in-process SMTP server
// (server/accounts/requeue.ts): a decision's news goes again under the same Message-ID, audited;
// an invitation goes as a new one whose fresh link opens the invitation; one made out of date by a
// later decision, an invitation already renewed, and an e-mail the person asks for themselves show
// why instead of the button, and a POST is refused with that reason.
import { expect } from 'chai';
import { useTestApp, type TestApp } from '../support/app.ts';
import { agent, submitForm, type Agent } from '../support/http.ts';
import { linkIn } from '../support/smtp.ts';
import { createInstitute, createUser, signIn, uniqueEmail } from '../support/factories.ts';
import { User, type UserDoc } from '../../models/user.ts';
import { MailLog } from '../../models/mail-log.ts';
import { Token } from '../../models/token.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import { systemContext, type Context } from '../../server/context.ts';
import { sendPasswordResetMail, sendPendingAccountMail, type OwedMail } from '../../server/accounts/mail.ts';
import { disableAccount, enableAccount } from '../../server/accounts/decisions.ts';
import { inviteStaff } from '../../server/accounts/service.ts';
import { text } from '../applications/support.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('mail log: requeueing a dead account e-mail', function () {
  this.timeout(60_000);
  let t!: TestApp;
  useTestApp((app) => (t = app));
  let adminUser: UserDoc;
  let admin: Agent;

  before(async () => {
    adminUser = await createUser({ role: 'admin', locale: 'en', name: 'Requeue Admin' });
    admin = agent(t.app);
    await signIn(admin, adminUser);
  });

  const requestOf = (now = new Date()): Context => systemContext({ now, locale: 'en', actor: adminUser.toObject() as never });
  const decision = { form: { ok: true as const, data: { reason: 'As agreed with the institute.' } } };
  const disable = async (person: UserDoc) => {
    const fresh = (await User.findById(person._id))! as UserDoc;
    const done = await disableAccount({ app: t.ctx, ctx: requestOf(), userId: String(person._id), seen: fresh.updatedAt.getTime(), ...decision });
    if (!done.ok) throw new Error('disabled');
    return done.owed;
  };
  const enable = async (person: UserDoc) => {
    const fresh = (await User.findById(person._id))! as UserDoc;
    const done = await enableAccount({ app: t.ctx, ctx: requestOf(), userId: String(person._id), seen: fresh.updatedAt.getTime(), ...decision });
    if (!done.ok) throw new Error('enabled');
    return done.owed;
  };
  /** Sends the owed e-mail with the person's mailbox refusing it for good: its row is dead. */
  async function killed(owed: OwedMail, address: string) {
    t.smtp.decide = (a) => (a === address.toLowerCase() ? 'permfail' : undefined);
    try {
      expect(await sendPendingAccountMail({ app: t.ctx, ...owed })).to.equal('dead');
    } finally {
      t.smtp.decide = undefined;
    }
    expect((await MailLog.findById(owed.mail.logId).lean())!.status).to.equal('dead');
    return `/mail-log/${owed.mail.logId}`;
  }
  async function statusOf(id: unknown, wanted: string) {
    for (let i = 0; i < 60; i++) {
      const row = await MailLog.findById(id).lean();
      if (row?.status === wanted) return row;
      await sleep(50);
    }
    return MailLog.findById(id).lean();
  }

  it('sends a decision’s e-mail again under the same Message-ID, audited, once', async () => {
    const person = await createUser({ role: 'applicant', locale: 'en' });
    const owed = await disable(person);
    const url = await killed(owed, person.email);

    const shown = await admin.get(url).set('Accept', 'text/html');
    expect(shown.text).to.include(`action="${url}/requeue"`);
    expect(text(shown.text)).to.include('Requeue sends the same e-mail again, under the same Message-ID');
    const list = await admin.get(`/mail-log?to=${encodeURIComponent(person.email)}`).set('Accept', 'text/html');
    expect(list.text, 'the list offers it too').to.include(`action="${url}/requeue"`);
    // The intro says owed account e-mails are listed at once as pending (not once tried).
    expect(text(list.text)).to.include('appear at once as pending');

    const res = await submitForm(admin, url, {}, `${url}/requeue`);
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal(url);
    const mail = await t.smtp.waitForTo(person.email, /disabled/i);
    expect(mail.messageId).to.equal(`<${owed.mail.key}@talent.local>`);
    expect(await statusOf(owed.mail.logId, 'sent')).to.include({ status: 'sent', attempts: 1 });
    expect((await User.findById(person._id).lean())!.pendingMails).to.deep.equal([]);
    const event = await AuditEvent.findOne({ action: 'email.requeue', targetType: 'user', targetId: String(person._id) }).lean();
    expect(event?.summary).to.deep.include({ key: owed.mail.key, template: 'account_disabled', from: 'mail_log' });
    expect(String(event?.actor)).to.equal(String(adminUser._id));

    // Again: it is not dead any more; nothing is sent twice.
    const again = await submitForm(admin, url, {}, `${url}/requeue`);
    expect(again.status).to.equal(303);
    expect(text((await admin.get(url).set('Accept', 'text/html')).text)).to.include('not dead (any more)');
    await sleep(200);
    expect(t.smtp.to(person.email).filter((m) => /disabled/i.test(m.subject))).to.have.length(1);
  });

  it('does not send one a later decision made out of date: the page says why, and a POST is refused', async () => {
    const person = await createUser({ role: 'applicant', locale: 'vi' });
    const url = await killed(await disable(person), person.email);
    const enabled = await enable(person);
    expect(await sendPendingAccountMail({ app: t.ctx, ...enabled })).to.equal('sent');

    const shown = await admin.get(url).set('Accept', 'text/html');
    expect(shown.text).to.not.include(`action="${url}/requeue"`);
    expect(text(shown.text)).to.include('Not sent again: the account has changed since (a later decision), so this e-mail would now be out of date.');
    const res = await submitForm(admin, url, {}, `${url}/requeue`);
    expect(res.status).to.equal(303);
    expect(text((await admin.get(url).set('Accept', 'text/html')).text)).to.include('would now be out of date');
    expect((await User.findById(person._id).lean())!.pendingMails).to.deep.equal([]);
    expect((await MailLog.findById(url.split('/').pop()).lean())!.status).to.equal('dead');
    expect(await AuditEvent.exists({ action: 'email.requeue', targetId: String(person._id) })).to.equal(null);
  });

  it('sends a dead invitation as a new one with a fresh link that opens it; the old row then says a newer one was sent', async () => {
    const institute = await createInstitute();
    const email = uniqueEmail('requeued-invitee');
    const invited = await inviteStaff({ app: t.ctx, ctx: requestOf(), email, name: 'Requeued Invitee', role: 'hr_officer', institute: String(institute._id), isHrLead: false, locale: 'en' });
    if (!invited.ok) throw new Error('invited');
    const url = await killed(invited.owed, email);
    const shown = await admin.get(url).set('Accept', 'text/html');
    expect(text(shown.text)).to.include('Requeue sends a new invitation with a fresh link, valid 7 days; any earlier link stops working.');

    const res = await submitForm(admin, url, {}, `${url}/requeue`);
    expect(res.status).to.equal(303);
    const newUrl = res.headers.location as string;
    expect(newUrl).to.match(/^\/mail-log\/[a-f0-9]{24}$/).and.not.equal(url);
    const mail = await t.smtp.waitForTo(email, /invited/i);
    expect(mail.messageId).to.not.equal(`<${invited.owed.mail.key}@talent.local>`);
    expect((await agent(t.app).get(new URL(linkIn(mail.text, '/invitations/')).pathname).set('Accept', 'text/html')).status).to.equal(200);
    const token = (await Token.findOne({ user: invited.user._id, purpose: 'invitation', usedAt: null }).lean())!;
    expect(token.expiresAt.getTime() - Date.now(), 'valid for days from now').to.be.above(6 * 86_400_000);
    const renewed = await statusOf(newUrl.split('/').pop(), 'sent');
    expect(renewed).to.include({ status: 'sent', template: 'invitation' });
    expect(text((await admin.get(newUrl).set('Accept', 'text/html')).text)).to.include('A new invitation, with a fresh link, is being sent');
    const event = await AuditEvent.findOne({ action: 'email.requeue', targetId: String(invited.user._id) }).lean();
    expect(event?.summary).to.deep.include({ key: invited.owed.mail.key, template: 'invitation', renewedAs: renewed!.key });

    const old = await admin.get(url).set('Accept', 'text/html');
    expect(old.text).to.not.include(`action="${url}/requeue"`);
    expect(text(old.text)).to.include('Not sent again: a newer invitation was sent since');
    expect((await MailLog.findById(url.split('/').pop()).lean())!.status).to.equal('dead');
  });

  it('never requeues an e-mail the person asks for themselves (its link is not kept): the page and the list say so', async () => {
    const person = await createUser({ role: 'applicant', locale: 'en' });
    t.smtp.decide = (a) => (a === person.email.toLowerCase() ? 'permfail' : undefined);
    try {
      expect(await sendPasswordResetMail({ app: t.ctx, ctx: requestOf(), user: person })).to.equal(false);
    } finally {
      t.smtp.decide = undefined;
    }
    const row = (await MailLog.findOne({ source: 'account', to: person.email.toLowerCase(), template: 'password_reset' }).lean())!;
    expect(row.status).to.equal('dead');
    const url = `/mail-log/${row._id}`;
    const shown = await admin.get(url).set('Accept', 'text/html');
    expect(shown.text).to.not.include(`action="${url}/requeue"`);
    expect(text(shown.text)).to.include('the person asks again from the sign-in page ("Forgot your password?" or "Send the link again")');
    const list = await admin.get(`/mail-log?to=${encodeURIComponent(person.email)}`).set('Accept', 'text/html');
    expect(list.text).to.not.include(`action="${url}/requeue"`);
    expect(list.text).to.include('The person can ask again');
    const res = await submitForm(admin, url, {}, `${url}/requeue`);
    expect(res.status).to.equal(303);
    expect((await MailLog.findById(row._id).lean())!.status).to.equal('dead');
    expect(t.smtp.to(person.email)).to.have.length(0);
  });
});
