// A decision about an account carries its audit event in the account's own write
// (server/accounts/pending-audit.ts), so a process that dies before the event is recorded leaves it
// on the account for the repair, never an unaudited change. Here, without HTTP: the state such a
// crash leaves is built with the same pieces the services use (the event captured from the
// request's context, set in the account's update) and the repair run on it; and every decision,
// finished, leaves no event behind and exactly one recorded. (The real crash, a child process
// SIGKILLed right after the account's write: test/drills/staff-change-crash.test.ts.)
import { expect } from 'chai';
import { Types } from 'mongoose';
import { useTestApp, type TestApp } from '../support/app.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall } from '../support/case-factories.ts';
import { User, type UserDoc } from '../../models/user.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import { MailLog } from '../../models/mail-log.ts';
import type { Context } from '../../server/context.ts';
import { systemContext } from '../../server/context.ts';
import { pendingAudit } from '../../server/audit/index.ts';
import { PENDING_AUDIT_GRACE_MS, recordPendingAccountAudits, sendPendingAccountMails, settleAccountAudit } from '../../server/accounts/pending-audit.ts';
import { accountDisabledMail, PENDING_MAIL_LEASE_MS, sendPendingAccountMail } from '../../server/accounts/mail.ts';
import { changeUserRole } from '../../server/accounts/role-change.ts';
import { disableAccount, enableAccount, resetSecondFactor } from '../../server/accounts/decisions.ts';
import { casesHeldBy } from './helpers.ts';

const REASON = 'Moved to the other institute in March.';

describe('accounts: a decision’s audit event is written with the account, so no crash leaves it unaudited', function () {
  this.timeout(30_000);
  let t!: TestApp;
  useTestApp((app) => (t = app));

  /** A request's context, as the web layer builds it. */
  const requestOf = (actor: UserDoc): Context => ({ ...systemContext({ now: new Date(), locale: 'en', actor: actor.toObject() as never }), ip: '203.0.113.7', requestId: `req-${new Types.ObjectId()}` });

  /** What a process killed right after a disabling's account write leaves: the account disabled, its event on it. */
  async function crashedDisabling(ctx: Context, user: UserDoc, agoMs: number) {
    const event = pendingAudit(ctx, { action: 'user.disabled', summary: { reason: REASON } });
    event.at = new Date(Date.now() - agoMs);
    event.decidedAt = new Date(ctx.now.getTime() - agoMs);
    await User.updateOne({ _id: user._id }, { $set: { disabledAt: ctx.now, pendingAudit: event }, $inc: { sessionEpoch: 1 } });
    return event;
  }

  it('records an event a stopped process left, as it was captured (who, from where, when, the reason), clears it without changing the account’s version, and only once', async () => {
    const admin = await createUser({ role: 'admin' });
    const hr = await createUser({ role: 'hr_officer' });
    const ctx = requestOf(admin);
    const event = await crashedDisabling(ctx, hr, PENDING_AUDIT_GRACE_MS + 60_000);
    const version = (await User.findById(hr._id).lean())!.updatedAt!.getTime();
    expect(await AuditEvent.countDocuments({ targetId: String(hr._id) }), 'unaudited after the crash').to.equal(0);

    const repaired = await recordPendingAccountAudits({ now: new Date() });
    expect(repaired.recorded).to.be.at.least(1);
    const audits = await AuditEvent.find({ targetId: String(hr._id) }).lean();
    expect(audits).to.have.length(1);
    const [audit] = audits;
    expect(String(audit!._id)).to.equal(String(event.eventId));
    expect(audit).to.deep.include({ action: 'user.disabled', targetType: 'user', actorRole: 'admin', ip: '203.0.113.7', requestId: ctx.requestId });
    expect(String(audit!.actor)).to.equal(String(admin._id));
    expect(audit!.at.getTime(), 'the time of the account’s write').to.equal(event.at.getTime());
    expect(audit!.summary).to.deep.equal({ reason: REASON, recordedByRepair: true });
    const after = (await User.findById(hr._id).lean())!;
    expect(after.pendingAudit).to.equal(undefined);
    expect(after.disabledAt, 'the decision stays').to.be.instanceOf(Date);
    expect(after.updatedAt!.getTime(), 'clearing it is not a change of the account').to.equal(version);

    await recordPendingAccountAudits({ now: new Date() });
    expect(await AuditEvent.countDocuments({ targetId: String(hr._id) }), 'a second run records nothing more').to.equal(1);
  });

  it('leaves alone an event younger than the grace (a request still finishing elsewhere), and only clears one already recorded', async () => {
    const admin = await createUser({ role: 'admin' });
    const running = await createUser({ role: 'applicant' });
    await crashedDisabling(requestOf(admin), running, 0);
    await recordPendingAccountAudits({ now: new Date() });
    expect((await User.findById(running._id).lean())!.pendingAudit, 'left to its request').to.not.equal(undefined);
    expect(await AuditEvent.countDocuments({ targetId: String(running._id) })).to.equal(0);
    await recordPendingAccountAudits({ now: new Date(), olderThanMs: 0 });
    expect(await AuditEvent.countDocuments({ targetId: String(running._id) })).to.equal(1);

    // Died after recording the event and before clearing it: cleared, not recorded twice.
    const other = await createUser({ role: 'applicant' });
    const event = await crashedDisabling(requestOf(admin), other, PENDING_AUDIT_GRACE_MS + 1_000);
    await AuditEvent.create({ _id: event.eventId, at: event.at, action: event.action, targetType: 'user', targetId: String(other._id), summary: event.summary });
    const repaired = await recordPendingAccountAudits({ now: new Date() });
    expect(repaired.cleared).to.be.at.least(1);
    expect((await User.findById(other._id).lean())!.pendingAudit).to.equal(undefined);
    const audits = await AuditEvent.find({ targetId: String(other._id) }).lean();
    expect(audits.map((a) => a.summary)).to.deep.equal([{ reason: REASON }]);
  });

  it('a request that finds its event already recorded by the repair keeps the first one', async () => {
    const admin = await createUser({ role: 'admin' });
    const person = await createUser({ role: 'applicant' });
    const event = await crashedDisabling(requestOf(admin), person, PENDING_AUDIT_GRACE_MS + 1_000);
    await recordPendingAccountAudits({ now: new Date() });
    await settleAccountAudit({ userId: person._id, pending: event, more: { casesToQueue: 0 } });
    expect((await AuditEvent.find({ targetId: String(person._id) }).lean()).map((a) => a.summary)).to.deep.equal([{ reason: REASON, recordedByRepair: true }]);
  });

  it('every decision, finished, leaves no event on the account and exactly one recorded, with its reason', async () => {
    const admin = await createUser({ role: 'admin' });
    const ctx = requestOf(admin);
    const instA = await createInstitute();
    const instB = await createInstitute();
    const hr = await createUser({ role: 'hr_officer', institute: instA._id });
    const colleague = await createUser({ role: 'hr_officer', institute: instA._id });
    await casesHeldBy({ call: await createCall({ institute: instA._id }), holder: hr, colleague, laterStage: 'offer' });
    const fresh = async () => (await User.findById(hr._id))! as UserDoc;
    const form = (reason: string) => ({ ok: true as const, data: { reason } });

    const moved = await changeUserRole({ app: t.ctx, ctx, userId: String(hr._id), seen: (await fresh()).updatedAt.getTime(), form: { ok: true, data: { role: 'hr_officer', institute: String(instB._id), isHrLead: false, reason: REASON } } });
    expect(moved.ok).to.equal(true);
    const steps: Array<[string, () => Promise<{ ok: boolean }>]> = [
      ['user.second_factor_reset', async () => resetSecondFactor({ app: t.ctx, ctx, userId: String(hr._id), seen: (await fresh()).updatedAt.getTime(), form: form('Lost the phone and the codes.') })],
      ['user.disabled', async () => disableAccount({ app: t.ctx, ctx, userId: String(hr._id), seen: (await fresh()).updatedAt.getTime(), form: form('Left the programme for now.') })],
      ['user.enabled', async () => enableAccount({ app: t.ctx, ctx, userId: String(hr._id), seen: (await fresh()).updatedAt.getTime(), form: form('Back in the programme again.') })],
    ];
    for (const [, step] of steps) expect((await step()).ok).to.equal(true);
    expect((await User.findById(hr._id).lean())!.pendingAudit).to.equal(undefined);
    const audits = await AuditEvent.find({ targetId: String(hr._id) }).sort({ at: 1 }).lean();
    expect(audits.map((a) => a.action)).to.deep.equal(['user.role_changed', ...steps.map(([action]) => action)]);
    expect(audits.map((a) => (a.summary as { reason: string }).reason)).to.deep.equal([REASON, 'Lost the phone and the codes.', 'Left the programme for now.', 'Back in the programme again.']);
    expect(audits[0]!.summary).to.deep.include({ casesToQueue: 2 }).and.not.have.property('recordedByRepair');
    expect(audits.every((a) => a.ip === '203.0.113.7' && a.requestId === ctx.requestId)).to.equal(true);
  });

  it('counts the grace on the app’s clock: a decision taken under a set clock is left to its request until that clock has passed the grace', async () => {
    const admin = await createUser({ role: 'admin' });
    const person = await createUser({ role: 'applicant' });
    const decidedAt = new Date('2026-03-02T02:00:00Z');
    const ctx: Context = { ...requestOf(admin), now: decidedAt };
    await crashedDisabling(ctx, person, 0);
    await recordPendingAccountAudits({ now: new Date(decidedAt.getTime() + 5_000) });
    expect(await AuditEvent.countDocuments({ targetId: String(person._id) }), 'within the grace by the app’s clock').to.equal(0);
    await recordPendingAccountAudits({ now: new Date(decidedAt.getTime() + PENDING_AUDIT_GRACE_MS + 1_000) });
    expect(await AuditEvent.countDocuments({ targetId: String(person._id) }), 'past it').to.equal(1);
  });

  /** What a process killed right after a disabling's account write leaves: the account disabled, its event and its e-mail on it. */
  async function crashedDisablingWithMail(ctx: Context, user: UserDoc) {
    const event = pendingAudit(ctx, { action: 'user.disabled', summary: { reason: REASON } });
    const mail = accountDisabledMail({ app: t.ctx, ctx, user, calendarFeedEnded: false });
    await User.updateOne({ _id: user._id }, { $set: { disabledAt: ctx.now, pendingAudit: event }, $push: { pendingMails: mail }, $inc: { sessionEpoch: 1 } });
    return mail;
  }
  const owedOn = async (user: { _id: unknown }) => ((await User.findById(user._id).lean())!.pendingMails ?? []).map((m) => m.key);

  it('sends the e-mail a stopped process left on the account once, after the grace, in their language, with the Message-ID it was composed with', async () => {
    const admin = await createUser({ role: 'admin' });
    const person = await createUser({ role: 'applicant', locale: 'en' });
    const ctx = requestOf(admin);
    const mail = await crashedDisablingWithMail(ctx, person);
    const version = (await User.findById(person._id).lean())!.updatedAt!.getTime();

    await sendPendingAccountMails({ app: t.ctx, now: ctx.now });
    expect(t.smtp.to(person.email), 'left to its request within the grace').to.have.length(0);

    const later = new Date(ctx.now.getTime() + PENDING_AUDIT_GRACE_MS + 1_000);
    expect(await sendPendingAccountMails({ app: t.ctx, now: later })).to.be.at.least(1);
    const received = await t.smtp.waitForTo(person.email, /disabled/);
    expect(received.messageId).to.equal(`<${mail.key}@talent.local>`);
    expect(received.text).to.include(admin.name).and.not.include(REASON);
    const after = (await User.findById(person._id).lean())!;
    expect(after.pendingMails, 'removed once sent').to.deep.equal([]);
    // Its mail-log row, never written as queued (the process stopped first), is written by the repair under the id the page would link to.
    expect(await MailLog.findById(mail.logId).lean()).to.include({ status: 'sent', key: mail.key, attempts: 1 });
    expect(after.updatedAt!.getTime(), 'not a change of the account').to.equal(version);

    await sendPendingAccountMails({ app: t.ctx, now: new Date(later.getTime() + PENDING_MAIL_LEASE_MS) });
    // The request that wrote it, finishing late, finds it gone.
    await sendPendingAccountMail({ app: t.ctx, userId: person._id, mail, now: later });
    await new Promise((r) => setTimeout(r, 200));
    expect(t.smtp.to(person.email), 'sent once').to.have.length(1);
  });

  it('a sender holding the e-mail keeps it from another until its lease ends (a process that died mid-send: sent again, same Message-ID)', async () => {
    const admin = await createUser({ role: 'admin' });
    const person = await createUser({ role: 'applicant', locale: 'vi' });
    const ctx = requestOf(admin);
    const mail = await crashedDisablingWithMail(ctx, person);
    // A sender claimed it and died before removing it.
    await User.updateOne({ _id: person._id }, { $set: { 'pendingMails.0.leaseUntil': new Date(ctx.now.getTime() + PENDING_MAIL_LEASE_MS) } }, { timestamps: false });
    const later = new Date(ctx.now.getTime() + PENDING_AUDIT_GRACE_MS + 1_000);
    await sendPendingAccountMails({ app: t.ctx, now: later });
    expect(t.smtp.to(person.email), 'the lease holds').to.have.length(0);
    await sendPendingAccountMails({ app: t.ctx, now: new Date(ctx.now.getTime() + PENDING_MAIL_LEASE_MS + 1) });
    const received = await t.smtp.waitForTo(person.email, /vô hiệu hóa/);
    expect(received.messageId).to.equal(`<${mail.key}@talent.local>`);
    expect(await owedOn(person)).to.deep.equal([]);
  });

  it('an e-mail left by a version that kept one on the account (pendingMail) is sent once, with its Message-ID, and no longer kept there', async () => {
    const admin = await createUser({ role: 'admin' });
    const person = await createUser({ role: 'applicant', locale: 'en' });
    const ctx = requestOf(admin);
    const event = pendingAudit(ctx, { action: 'user.disabled', summary: { reason: REASON } });
    const { key, template, to, name, locale, data, at } = accountDisabledMail({ app: t.ctx, ctx, user: person, calendarFeedEnded: false });
    await User.updateOne({ _id: person._id }, { $set: { disabledAt: ctx.now, pendingAudit: event, pendingMail: { key, template, to, name, locale, data, at } } });
    const later = new Date(ctx.now.getTime() + PENDING_AUDIT_GRACE_MS + 1_000);
    expect(await sendPendingAccountMails({ app: t.ctx, now: later, userIds: [person._id] })).to.equal(1);
    expect((await t.smtp.waitForTo(person.email, /disabled/)).messageId).to.equal(`<${key}@talent.local>`);
    const after = (await User.findById(person._id).lean())!;
    expect(after.pendingMail).to.equal(undefined);
    expect(after.pendingMails).to.deep.equal([]);
    expect(await sendPendingAccountMails({ app: t.ctx, now: new Date(later.getTime() + PENDING_MAIL_LEASE_MS), userIds: [person._id] })).to.equal(0);
    expect(t.smtp.to(person.email)).to.have.length(1);
  });

  it('every decision owes its own e-mail (two at once: none replaces the other); each sent by its request leaves nothing, and is sent exactly once', async () => {
    const admin = await createUser({ role: 'admin' });
    const person = await createUser({ role: 'hr_officer', institute: (await createInstitute())._id, locale: 'en' });
    const ctx = requestOf(admin);
    const seen = async () => (await User.findById(person._id))!.updatedAt.getTime();
    const form = (reason: string) => ({ ok: true as const, data: { reason } });
    const disabled = await disableAccount({ app: t.ctx, ctx, userId: String(person._id), seen: await seen(), form: form('Left the programme for now.') });
    const enabled = await enableAccount({ app: t.ctx, ctx, userId: String(person._id), seen: await seen(), form: form('Back in the programme again.') });
    if (!disabled.ok || !enabled.ok) throw new Error('both decisions are taken');
    expect(await owedOn(person), 'both owed, in order').to.deep.equal([disabled.owed.mail.key, enabled.owed.mail.key]);
    // What the route does after its answer (mail.ts sendOwedAfterAnswer).
    for (const owed of [disabled.owed, enabled.owed]) expect(await sendPendingAccountMail({ app: t.ctx, ...owed })).to.equal('sent');
    await t.smtp.waitForTo(person.email, /enabled again/);
    expect(await owedOn(person)).to.deep.equal([]);
    await sendPendingAccountMails({ app: t.ctx, now: new Date(Date.now() + PENDING_MAIL_LEASE_MS * 2) });
    await new Promise((r) => setTimeout(r, 200));
    expect(t.smtp.to(person.email).map((m) => m.subject.match(/disabled|enabled again/)?.[0])).to.deep.equal(['disabled', 'enabled again']);
  });
});
