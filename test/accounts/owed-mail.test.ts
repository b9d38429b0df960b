// The e-mails administrators' actions owe (an invitation, a decision's news) are written with the
// action and sent after the answer (server/accounts/mail.ts): the page never waits for the SMTP
// server, says the e-mail is being sent and links to its row in the mail log, which shows it pending,
// then sent, or failed with the reason. A transient failure is tried again with the outbox's backoff
// under the same Message-ID; a permanent one stays visible as failed.
import { expect } from 'chai';
import { useTestApp, type TestApp } from '../support/app.ts';
import { agent } from '../support/http.ts';
import { linkIn } from '../support/smtp.ts';
import { createInstitute, createUser, signIn, uniqueEmail } from '../support/factories.ts';
import { User, type UserDoc } from '../../models/user.ts';
import { MailLog } from '../../models/mail-log.ts';
import { Token } from '../../models/token.ts';
import { systemContext, type Context } from '../../server/context.ts';
import { sendPendingAccountMail, type OwedMail } from '../../server/accounts/mail.ts';
import { sendPendingAccountMails } from '../../server/accounts/pending-audit.ts';
import { disableAccount } from '../../server/accounts/decisions.ts';
import { inviteStaff, resendInvitation } from '../../server/accounts/service.ts';
import { backoffMs } from '../../server/outbox/index.ts';
import { postForm } from './helpers.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('accounts: e-mails an administrator’s action owes are sent after the answer', function () {
  this.timeout(30_000);
  let t!: TestApp;
  useTestApp((app) => (t = app));

  const requestOf = (actor: UserDoc, now = new Date()): Context => systemContext({ now, locale: 'en', actor: actor.toObject() as never });
  const owedOn = async (user: { _id: unknown }) => (await User.findById(user._id).lean())!.pendingMails ?? [];
  const rowOf = (owed: OwedMail) => MailLog.findById(owed.mail.logId).lean();
  const disable = async (admin: UserDoc, person: UserDoc, now?: Date) => {
    const done = await disableAccount({ app: t.ctx, ctx: requestOf(admin, now), userId: String(person._id), seen: person.updatedAt.getTime(), form: { ok: true, data: { reason: 'Left the programme for now.' } } });
    if (!done.ok) throw new Error('disabled');
    return done.owed;
  };

  it('answers an invitation while the SMTP server does not answer, says the e-mail is being sent with a link to its mail-log row, which shows it pending, then sent', async () => {
    const admin = await createUser({ role: 'admin', locale: 'en' });
    const institute = await createInstitute();
    const a = agent(t.app);
    await signIn(a, admin);
    const email = uniqueEmail('held-invitee');
    let release!: () => void;
    t.smtp.held = new Promise((r) => (release = r));
    try {
      const started = Date.now();
      const res = await postForm(a, '/admin/users/invite', '/admin/users/invite', { email, name: 'Held Invitee', role: 'hr_officer', institute: String(institute._id), locale: 'en' });
      expect(res.status).to.equal(303);
      expect(Date.now() - started, 'answered without waiting for the SMTP server').to.be.below(2000);
      const list = (await a.get('/admin/users').set('Accept', 'text/html')).text;
      expect(list).to.include(`The invitation to ${email} is being sent`);
      const link = /href="(\/mail-log\/[a-f0-9]{24})" id="flash-link">See the e-mail in the mail log</.exec(list)?.[1];
      expect(link, 'the message links to the e-mail’s row').to.be.a('string');
      const pending = (await a.get(link!).set('Accept', 'text/html')).text;
      expect(pending).to.match(/id="mail-status">Pending</);
      expect(t.smtp.to(email), 'not sent yet').to.have.length(0);
      release();
      const mail = await t.smtp.waitForTo(email, /invited/i);
      let shown = '';
      for (let i = 0; i < 50 && !/id="mail-status">Sent</.test(shown); i++) {
        await sleep(50);
        shown = (await a.get(link!).set('Accept', 'text/html')).text;
      }
      expect(shown).to.match(/id="mail-status">Sent</);
      const invitee = (await User.findOne({ email }).lean())!;
      expect(invitee.pendingMails, 'nothing left owed').to.deep.equal([]);
      // The link, made when it was sent, opens the invitation (the database keeps only its hash).
      expect((await agent(t.app).get(new URL(linkIn(mail.text, '/invitations/')).pathname).set('Accept', 'text/html')).status).to.equal(200);
      expect(await MailLog.countDocuments({ source: 'account', to: email })).to.equal(1);
    } finally {
      t.smtp.held = undefined;
      release?.();
    }
  });

  it('a transient failure is kept with the outbox’s backoff and the error, then sent by the job under the same Message-ID, once', async () => {
    const admin = await createUser({ role: 'admin' });
    const person = await createUser({ role: 'applicant', locale: 'en' });
    const now = new Date();
    const owed = await disable(admin, person, now);
    expect((await rowOf(owed))!.status, 'queued with the decision').to.equal('pending');
    t.smtp.decide = (address) => (address === person.email.toLowerCase() ? 'tempfail' : undefined);
    try {
      expect(await sendPendingAccountMail({ app: t.ctx, ...owed })).to.equal('retry');
    } finally {
      t.smtp.decide = undefined;
    }
    const [kept] = await owedOn(person);
    expect(kept).to.deep.include({ key: owed.mail.key, attempts: 1, leaseUntil: null });
    expect(kept!.nextAttemptAt!.getTime()).to.equal(now.getTime() + backoffMs(1, t.config.outbox.retryBaseMs, t.config.outbox.retryMaxMs));
    expect(kept!.lastError).to.match(/451/);
    const row = (await rowOf(owed))!;
    expect(row).to.include({ status: 'pending', attempts: 1 });
    expect(row.lastError).to.match(/451.*try again later/);

    // Not before its backoff.
    expect(await sendPendingAccountMails({ app: t.ctx, now: new Date(kept!.nextAttemptAt!.getTime() - 1), userIds: [person._id] })).to.equal(0);
    expect(t.smtp.to(person.email)).to.have.length(0);
    expect(await sendPendingAccountMails({ app: t.ctx, now: kept!.nextAttemptAt!, userIds: [person._id] })).to.equal(1);
    const received = await t.smtp.waitForTo(person.email, /disabled/);
    expect(received.messageId).to.equal(`<${owed.mail.key}@talent.local>`);
    expect(await owedOn(person)).to.deep.equal([]);
    expect(await rowOf(owed)).to.include({ status: 'sent', attempts: 2 });
    expect(await MailLog.countDocuments({ source: 'account', key: owed.mail.key })).to.equal(1);
    // The request's own sender, finishing late, and the job again: nothing more.
    expect(await sendPendingAccountMail({ app: t.ctx, ...owed, now: new Date(now.getTime() + 3_600_000) })).to.equal('held');
    expect(await sendPendingAccountMails({ app: t.ctx, now: new Date(now.getTime() + 3_600_000), userIds: [person._id] })).to.equal(0);
    await sleep(100);
    expect(t.smtp.to(person.email)).to.have.length(1);
  });

  it('a permanent failure is not tried again: it leaves the account and stays in the mail log as dead, with the reason', async () => {
    const admin = await createUser({ role: 'admin' });
    const person = await createUser({ role: 'applicant', locale: 'vi' });
    const owed = await disable(admin, person);
    t.smtp.decide = (address) => (address === person.email.toLowerCase() ? 'permfail' : undefined);
    try {
      expect(await sendPendingAccountMail({ app: t.ctx, ...owed })).to.equal('dead');
    } finally {
      t.smtp.decide = undefined;
    }
    expect(await owedOn(person)).to.deep.equal([]);
    const row = (await rowOf(owed))!;
    expect(row).to.include({ status: 'dead', attempts: 1, template: 'account_disabled' });
    expect(row.lastError).to.match(/550.*Mailbox unavailable/);
    expect(await sendPendingAccountMails({ app: t.ctx, now: new Date(Date.now() + 86_400_000), userIds: [person._id] })).to.equal(0);
  });

  it('an invitation sent again replaces one still waiting; one for an account disabled before it went is not sent, and the mail log says why', async () => {
    const admin = await createUser({ role: 'admin', name: 'Inviting Admin' });
    const institute = await createInstitute();
    const ctx = requestOf(admin);
    const email = uniqueEmail('resent');
    const invited = await inviteStaff({ app: t.ctx, ctx, email, name: 'Resent Invitee', role: 'leader', institute: String(institute._id), isHrLead: false, locale: 'en' });
    if (!invited.ok) throw new Error('invited');
    const again = await resendInvitation({ app: t.ctx, ctx, user: invited.user });
    expect((await owedOn(invited.user)).map((m) => m.key), 'only the newer one').to.deep.equal([again.mail.key]);
    expect(await sendPendingAccountMail({ app: t.ctx, ...invited.owed }), 'the replaced one').to.equal('held');
    expect((await rowOf(invited.owed))!).to.include({ status: 'dead', lastError: 'not sent: replaced by a newer invitation' });
    expect(await sendPendingAccountMail({ app: t.ctx, ...again })).to.equal('sent');
    const mail = await t.smtp.waitForTo(email, /invited/i);
    expect(mail.text).to.include('Inviting Admin');
    expect(await Token.countDocuments({ user: invited.user._id, purpose: 'invitation', usedAt: null }), 'one link').to.equal(1);

    // Invited, then disabled before the invitation could go: it is owed no more.
    const other = await inviteStaff({ app: t.ctx, ctx, email: uniqueEmail('gone'), name: 'Gone Invitee', role: 'admin', isHrLead: false, locale: 'en' });
    if (!other.ok) throw new Error('invited');
    await disable(admin, (await User.findById(other.user._id))! as UserDoc);
    expect((await owedOn(other.user)).map((m) => m.template), 'the disabling drops the invitation').to.deep.equal(['account_disabled']);
    expect(await sendPendingAccountMail({ app: t.ctx, ...other.owed })).to.equal('held');
    expect((await rowOf(other.owed))!).to.include({ status: 'dead', lastError: 'not sent: the account was disabled' });
    // Had the invitation still been there (a crash between the two writes), its sender checks too.
    await User.updateOne({ _id: other.user._id }, { $push: { pendingMails: other.owed.mail } }, { timestamps: false });
    expect(await sendPendingAccountMail({ app: t.ctx, ...other.owed })).to.equal('dead');
    expect((await rowOf(other.owed))!.lastError).to.equal('not sent: the account was disabled');
    expect(t.smtp.to(other.user.email).filter((m) => /invited/i.test(m.subject))).to.have.length(0);
  });
});
