// Delivery through the outbox against a real SMTP server that fails on purpose: every message is
// delivered exactly once or ends dead, none is lost, none is sent twice — across restarts
// (a new dispatcher owner after an expired lease) and with two dispatchers running at once.
import { expect } from 'chai';
import { Case, type CaseDoc } from '../../models/case.ts';
import type { UserDoc } from '../../models/user.ts';
import type { CallDoc } from '../../models/call.ts';
import { createInstitute, createUser } from '../support/factories.ts';
import { createCall, createCase } from '../support/case-factories.ts';
import { transition } from '../../server/workflow/index.ts';
import { backoffMs, classifySmtpError, deadMessages, dispatchOnce, givesUpAround, messageIdFor, requeueDead, startDispatcher } from '../../server/outbox/index.ts';
import { MailLog } from '../../models/mail-log.ts';
import { explainFailure } from '../../server/mail-log/failures.ts';
import { translator } from '../../server/i18n/index.ts';
import type { Mailer } from '../../server/mail/mailer.ts';
import { workflowContext, type WorkflowTestContext, actorContext } from './context.ts';

const SEC = 1000;

describe('workflow: outbox delivery with SMTP failures', () => {
  let w: WorkflowTestContext;
  let applicant: UserDoc;
  let call: CallDoc;

  before(async () => {
    w = await workflowContext();
    const institute = await createInstitute();
    applicant = await createUser({ role: 'applicant', locale: 'en' });
    call = await createCall({ institute, checklist: [] });
  });
  afterEach(() => {
    w.smtp.mode = 'accept';
  });
  after(async () => {
    await w?.close();
  });

  /** A submitted case whose outbox holds one pending e-mail; returns the case and the item key. */
  async function caseWithMail(): Promise<{ c: CaseDoc; key: string }> {
    const draft = await createCase({ applicant, call });
    const c = await transition({ app: w.ctx, ctx: actorContext(w.ctx, applicant), caseId: draft._id, action: 'submit', expectedVersion: draft.version });
    return { c, key: c.outbox[0]!.key };
  }

  async function item(c: CaseDoc, key: string) {
    return (await Case.findById(c._id).lean())!.outbox.find((i) => i.key === key)!;
  }

  const delivered = (key: string) => w.smtp.messages.filter((m) => m.messageId === messageIdFor(key));

  it('classifies SMTP failures: 4xx, refused, dropped and timed-out are retried; 5xx and authentication are permanent', () => {
    expect(classifySmtpError({ responseCode: 451 })).to.equal('retry');
    expect(classifySmtpError({ responseCode: 421, code: 'EENVELOPE' })).to.equal('retry');
    expect(classifySmtpError({ code: 'ECONNECTION', message: 'connect ECONNREFUSED 127.0.0.1:1' })).to.equal('retry');
    expect(classifySmtpError({ code: 'ETIMEDOUT' })).to.equal('retry');
    expect(classifySmtpError({ code: 'ESOCKET', message: 'Connection closed unexpectedly' })).to.equal('retry');
    expect(classifySmtpError({ responseCode: 550 })).to.equal('permanent');
    expect(classifySmtpError({ responseCode: 554 })).to.equal('permanent');
    expect(classifySmtpError({ code: 'EAUTH', responseCode: 535 })).to.equal('permanent');
    expect(backoffMs(1)).to.equal(30 * SEC);
    expect(backoffMs(2)).to.equal(60 * SEC);
    expect(backoffMs(4)).to.equal(240 * SEC);
    expect(backoffMs(30)).to.equal(3_600_000);
  });

  it('retries a 4xx with exponential backoff, survives a restart between attempts, and delivers exactly once', async () => {
    const { c, key } = await caseWithMail();
    const t0 = w.clock.now.getTime();
    w.smtp.mode = 'tempfail';
    let r = await dispatchOnce(w.ctx, { owner: 'instance-a', caseIds: [c._id], now: new Date(t0) });
    expect(r).to.deep.equal({ sent: 0, retried: 1, dead: 0 });
    let it1 = await item(c, key);
    expect(it1.status).to.equal('pending');
    expect(it1.attempts).to.equal(1);
    expect(it1.lastError).to.match(/451/);
    expect(it1.nextAttemptAt.getTime()).to.equal(t0 + 30 * SEC);
    expect(it1.leaseOwner ?? null).to.equal(null);

    // Not due yet: nothing happens.
    r = await dispatchOnce(w.ctx, { owner: 'instance-a', caseIds: [c._id], now: new Date(t0 + 10 * SEC) });
    expect(r).to.deep.equal({ sent: 0, retried: 0, dead: 0 });

    r = await dispatchOnce(w.ctx, { owner: 'instance-a', caseIds: [c._id], now: new Date(t0 + 31 * SEC) });
    expect(r.retried).to.equal(1);
    it1 = await item(c, key);
    expect(it1.attempts).to.equal(2);
    expect(it1.nextAttemptAt.getTime()).to.equal(t0 + 31 * SEC + 60 * SEC);

    // The server recovers; the app was restarted meanwhile (a new dispatcher owner).
    w.smtp.mode = 'accept';
    r = await dispatchOnce(w.ctx, { owner: 'instance-b-after-restart', caseIds: [c._id], now: new Date(t0 + 95 * SEC) });
    expect(r).to.deep.equal({ sent: 1, retried: 0, dead: 0 });
    it1 = await item(c, key);
    expect(it1.status).to.equal('sent');
    expect(it1.attempts).to.equal(3);
    expect(it1.messageId).to.equal(messageIdFor(key));
    expect(delivered(key)).to.have.length(1);
    expect(delivered(key)[0]!.to).to.deep.equal([applicant.email]);

    // Nothing more to do, ever.
    r = await dispatchOnce(w.ctx, { owner: 'instance-c', caseIds: [c._id], now: new Date(t0 + 10_000 * SEC) });
    expect(r).to.deep.equal({ sent: 0, retried: 0, dead: 0 });
    expect(delivered(key)).to.have.length(1);
  });

  it("keeps on the mail log when a retried e-mail will be given up, from the settings the sender runs with (not the defaults), and clears it once sent", async () => {
    const { c, key } = await caseWithMail();
    const t0 = w.clock.now.getTime();
    w.smtp.mode = 'tempfail';
    // A deployment's own backoff: 5 s doubling, at most 4 tries.
    const settings = { baseDelayMs: 5 * SEC, maxDelayMs: 3_600_000, maxAttempts: 4 };
    await dispatchOnce(w.ctx, { owner: 'a', caseIds: [c._id], now: new Date(t0), ...settings });
    let row = await MailLog.findOne({ source: 'case', key } as never).lean();
    expect(row?.status).to.equal('pending');
    // Tries 2, 3 and 4 follow after 5, 10 and 20 s.
    expect(row?.retryUntil?.getTime()).to.equal(t0 + 35 * SEC);
    expect(givesUpAround(new Date(t0), 1).getTime(), 'the defaults would have said hours later').to.equal(t0 + (30 + 60 + 120 + 240 + 480 + 960 + 1920) * SEC);
    const shown = explainFailure(translator('en') as never, row as never, (d) => d.toISOString());
    expect(shown?.advice).to.include(`until about ${new Date(t0 + 35 * SEC).toISOString()}`);

    w.smtp.mode = 'accept';
    await dispatchOnce(w.ctx, { owner: 'a', caseIds: [c._id], now: new Date(t0 + 6 * SEC), ...settings });
    row = await MailLog.findOne({ source: 'case', key } as never).lean();
    expect(row?.status).to.equal('sent');
    expect(row?.retryUntil, 'a sent row has no give-up time').to.equal(undefined);
  });

  it('marks a 5xx as dead at once, shows it to the admin, and delivers it once after a requeue', async () => {
    const { c, key } = await caseWithMail();
    w.smtp.mode = 'permfail';
    const r = await dispatchOnce(w.ctx, { owner: 'a', caseIds: [c._id] });
    expect(r).to.deep.equal({ sent: 0, retried: 0, dead: 1 });
    const dead = await item(c, key);
    expect(dead.status).to.equal('dead');
    expect(dead.lastError).to.match(/550/);
    const listed = (await deadMessages()).find((d) => d.key === key);
    expect(listed?.reference).to.equal(c.reference);
    expect(listed?.to).to.equal(applicant.email);
    expect(delivered(key)).to.have.length(0);

    w.smtp.mode = 'accept';
    expect(await requeueDead(c._id, key, w.clock.now)).to.equal(true);
    expect(await requeueDead(c._id, key, w.clock.now)).to.equal(false); // no longer dead
    expect((await dispatchOnce(w.ctx, { owner: 'a', caseIds: [c._id] })).sent).to.equal(1);
    expect((await item(c, key)).status).to.equal('sent');
    expect(delivered(key)).to.have.length(1);
    expect((await deadMessages()).some((d) => d.key === key)).to.equal(false);
  });

  it('retries a dropped connection and gives up (dead) after the last attempt', async () => {
    const { c, key } = await caseWithMail();
    w.smtp.mode = 'drop';
    let now = w.clock.now.getTime();
    const r = await dispatchOnce(w.ctx, { owner: 'a', caseIds: [c._id], now: new Date(now) });
    expect(r.retried).to.equal(1);
    for (let attempt = 2; attempt <= 3; attempt++) {
      now += backoffMs(attempt - 1) + SEC;
      await dispatchOnce(w.ctx, { owner: `restart-${attempt}`, caseIds: [c._id], now: new Date(now), maxAttempts: 3 });
    }
    const last = await item(c, key);
    expect(last.status).to.equal('dead');
    expect(last.attempts).to.equal(3);
    expect(delivered(key)).to.have.length(0);
  });

  it('picks up an item whose dispatcher crashed mid-send once the lease has expired, with the same Message-ID', async () => {
    const { c, key } = await caseWithMail();
    const t0 = w.clock.now.getTime();
    // Instance A claims the item, hands it to SMTP (accepted) and dies before recording it.
    let release!: () => void;
    const hung = new Promise<void>((resolve) => {
      release = resolve;
    });
    const crashing: Mailer = {
      kind: 'smtp',
      send: async (mail) => {
        const sent = await w.ctx.mailer.send(mail);
        await hung; // never returns while "dead"
        return sent;
      },
      close: async () => {},
    };
    const a = dispatchOnce({ ...w.ctx, mailer: crashing }, { owner: 'instance-a', caseIds: [c._id], now: new Date(t0), leaseMs: 60 * SEC });
    await w.smtp.waitFor((m) => m.messageId === messageIdFor(key));
    const leased = await item(c, key);
    expect(leased.leaseOwner).to.match(/^instance-a#/);

    // While the lease runs, another instance leaves the item alone.
    let r = await dispatchOnce(w.ctx, { owner: 'instance-b', caseIds: [c._id], now: new Date(t0 + 30 * SEC) });
    expect(r).to.deep.equal({ sent: 0, retried: 0, dead: 0 });
    // After it, the item is sent again with the SAME Message-ID (so the recipient's system sees one message).
    r = await dispatchOnce(w.ctx, { owner: 'instance-b', caseIds: [c._id], now: new Date(t0 + 61 * SEC) });
    expect(r.sent).to.equal(1);
    const copies = delivered(key);
    expect(copies).to.have.length(2);
    expect(new Set(copies.map((m) => m.messageId)).size).to.equal(1);

    // The zombie wakes up: its lease is gone, so it cannot overwrite what instance B recorded.
    release();
    await a;
    const final = await item(c, key);
    expect(final.status).to.equal('sent');
    expect(final.attempts).to.equal(1);
  });

  it('does not send again an item whose dispatcher died after the SMTP server accepted it and the mail log said so, before the case recorded it: recorded sent after the lease', async () => {
    const { c, key } = await caseWithMail();
    const t0 = w.clock.now.getTime();
    // Instance A sends it (accepted, mail log row written as sent) and "dies" before the case's
    // record: the item is left as that kill leaves it, pending under A's lease.
    const r0 = await dispatchOnce(w.ctx, { owner: 'instance-a', caseIds: [c._id], now: new Date(t0), leaseMs: 60 * SEC });
    expect(r0.sent).to.equal(1);
    await Case.updateOne({ _id: c._id, 'outbox.key': key }, { $set: { 'outbox.$.status': 'pending', 'outbox.$.attempts': 0, 'outbox.$.leaseOwner': 'instance-a#dead', 'outbox.$.leaseUntil': new Date(t0 + 60 * SEC) }, $unset: { 'outbox.$.sentAt': 1 } });
    expect((await MailLog.findOne({ source: 'case', key }).lean())?.status).to.equal('sent');

    // After the lease another instance claims it, finds it sent, and records that without sending.
    const r = await dispatchOnce(w.ctx, { owner: 'instance-b', caseIds: [c._id], now: new Date(t0 + 61 * SEC) });
    expect(r, 'not counted as a send').to.deep.equal({ sent: 0, retried: 0, dead: 0 });
    expect(delivered(key), 'one copy').to.have.length(1);
    const final = await item(c, key);
    expect(final.status).to.equal('sent');
    expect(final.leaseOwner ?? null).to.equal(null);
    expect(final.sentAt, 'the time it was sent, from the mail log').to.be.instanceOf(Date);
    expect(await MailLog.countDocuments({ source: 'case', key }), 'still one mail log row').to.equal(1);
  });

  it('never sends an item twice when two dispatchers run at the same time', async () => {
    const made = await Promise.all(Array.from({ length: 8 }, () => caseWithMail()));
    const ids = made.map((m) => m.c._id);
    const [r1, r2] = await Promise.all([
      dispatchOnce(w.ctx, { owner: 'instance-1', caseIds: ids }),
      dispatchOnce(w.ctx, { owner: 'instance-2', caseIds: ids }),
    ]);
    expect(r1.sent + r2.sent).to.equal(8);
    for (const { c, key } of made) {
      expect(delivered(key), key).to.have.length(1);
      expect((await item(c, key)).status).to.equal('sent');
    }
  });

  it('runs as a background loop that stops cleanly', async () => {
    const { c, key } = await caseWithMail();
    const svc = startDispatcher({ ...w.ctx, config: { ...w.ctx.config, dispatchIntervalMs: 50 } }, { caseIds: [c._id] });
    try {
      await w.smtp.waitFor((m) => m.messageId === messageIdFor(key), 5000);
    } finally {
      await svc.stop();
    }
    expect((await item(c, key)).status).to.equal('sent');
  });
});
