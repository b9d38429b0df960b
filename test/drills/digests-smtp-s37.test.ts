// Drill s37: the daily digests (the HR lead's overdue digest, the panel's e-mail of new candidates)
// while the SMTP server is broken, then healthy again, with the app SIGKILLed between an e-mail's
// acceptance by the server and its record. The app runs as `npm start` does; the daily job runs as
// its own process on the app's database (./support/reminders-step.ts), once per "hour" of the drill:
//   1  broken: the lead's address refused with 550 at RCPT TO (a 5xx: dead at once, as designed),
//      the panel member's connection dropped once DATA is sent, the leader's DATA never answered (a
//      hung server: SMTP_TIMEOUT_MS): the mail log says so for each; the job run again queues nothing;
//   2  healthy, the app started with its kill point at the mail log's "sent" write: the first e-mail
//      accepted kills it before anything records it; restarted, that e-mail is sent again once its
//      lease ends (the same Message-ID: at most one duplicate, never a loss); HR requeues the dead
//      digest from the mail log; every digest arrives, each once but the killed one (twice, same
//      Message-ID), each row "sent"; the job run again queues nothing.
import { expect } from 'chai';
import path from 'node:path';
import { ObjectId, type Db } from 'mongodb';
import { WebClient, csrfIn } from '../../scripts/support/web-client.ts';
import { messageIdFor } from '../../server/outbox/item.ts';
import { credentialsPath, readCredentialsFile } from '../../embedded-mongo/src/auth/credentials-file.ts';
import { startTestSmtp, type TestSmtp } from '../support/smtp.ts';
import { runScriptToEnd, until } from './support/app-process.ts';
import { useDrill } from './support/drill.ts';
import { appKillEnv } from './support/kill-point.ts';
import { digestItems } from './support/digests.ts';

describe('drill s37: the daily digests with SMTP refusing, dropping, hanging; SIGKILL between send and record', function () {
  this.timeout(420_000);
  const drill = useDrill('digests-smtp-s37');
  let smtp: TestSmtp;
  before(async () => {
    smtp = await startTestSmtp();
  });
  after(async () => {
    await smtp?.stop();
  });

  it('each lead and member gets their digest once (the killed send at most twice, same Message-ID), the mail log honest throughout', async () => {
    const env = drill.env({ SMTP_URL: smtp.url, DISPATCH_INTERVAL_MS: '100', SMTP_TIMEOUT_MS: '1500', OUTBOX_LEASE_MS: '6000', OUTBOX_RETRY_BASE_MS: '200', OUTBOX_RETRY_MAX_MS: '500', OUTBOX_MAX_ATTEMPTS: '1000' });
    const seeded = await drill.seed(env, { applicants: 2, stage: 'evaluation', panel: 1 });
    await drill.boot(env);
    const db = (): Db => drill.db();
    const lead = seeded.hr.email.toLowerCase();
    const leader = seeded.leader.email.toLowerCase();
    const member = seeded.panel[0]!.email.toLowerCase();
    // Both cases entered evaluation yesterday (Vietnam time: within the panel's window whatever the
    // weekday) and are overdue; the officer is the institute's HR lead.
    const vnToday = new Date(Math.floor((Date.now() + 7 * 3_600_000) / 86_400_000) * 86_400_000 - 7 * 3_600_000);
    for (const [i, a] of seeded.applicants.entries()) {
      const due = new Date(vnToday.getTime() - (20 - i) * 86_400_000);
      await db().collection('cases').updateOne({ _id: new ObjectId(a.caseId) }, { $set: { stageEnteredAt: new Date(vnToday.getTime() - 60_000 * (i + 1)), stageDueAt: due, nextDueAt: due } });
    }
    await db().collection('users').updateOne({ email: lead }, { $set: { isHrLead: true } });
    const creds = (await readCredentialsFile(credentialsPath(path.join(drill.dir, 'db'))))!;
    const uri = () => `mongodb://${encodeURIComponent(creds.username)}:${encodeURIComponent(creds.password)}@127.0.0.1:${drill.app().dbPort()}/talent?authSource=${creds.authSource}`;
    const runJob = async () => {
      const r = await runScriptToEnd('test/drills/support/reminders-step.ts', [], { ...env, MONGODB_URI: uri() });
      expect(r.code, r.err).to.equal(0);
      return JSON.parse(r.out.trim().split('\n').pop()!) as { dueSoon: number; digests: number; panelDigests: number };
    };
    const items = () => digestItems(db());
    const item = async (to: string) => (await items()).find((i) => i.to === to);
    const logRow = (key: string) => db().collection('mail_log').findOne({ source: 'case', key });

    // 1. Broken.
    smtp.decide = (a) => (a === lead ? 'permfail' : undefined);
    smtp.failAfterData = (to) => (to.includes(member) ? 'drop' : undefined);
    smtp.hangAfterData = (to) => to.includes(leader);
    const t0 = Date.now();
    expect(await runJob(), 'the morning run').to.include({ digests: 1, panelDigests: 2 });
    await until('the lead\'s digest dead, the member\'s dropped twice, the leader\'s timed out', 60_000, async () => {
      const [l, m, p] = [await item(lead), await item(member), await item(leader)];
      return l?.status === 'dead' && (m?.attempts ?? 0) >= 2 && (p?.attempts ?? 0) >= 1 && Boolean(p?.lastError);
    });
    const brokenMs = Date.now() - t0;
    expect(await runJob(), 'the next hour, still broken: nothing new').to.include({ digests: 0, panelDigests: 0 });
    const [deadLead, dropped, hung] = [(await item(lead))!, (await item(member))!, (await item(leader))!];
    expect(deadLead.lastError).to.match(/550/);
    expect((await logRow(deadLead.key))?.status, 'the mail log: dead').to.equal('dead');
    expect(String((await logRow(deadLead.key))?.lastError)).to.match(/550/);
    expect(dropped.status).to.equal('pending');
    expect((await logRow(dropped.key))?.status, 'the mail log: to be tried again').to.equal('pending');
    expect(hung.status).to.equal('pending');
    expect(String(hung.lastError)).to.match(/time/i);
    expect(smtp.messages.filter((m) => [lead, leader, member].some((a) => m.to.includes(a))), 'nothing delivered while broken').to.have.length(0);
    expect(smtp.hungData, 'the leader\'s DATA hung').to.be.greaterThan(0);

    // 2. Healthy again, the app killed at the first "sent" mail-log write (the SMTP server accepted it).
    expect(await drill.app().stop()).to.equal(0);
    await drill.boot({ ...env, ...appKillEnv('mail_log.updateOne:status=sent', 'write') });
    const t1 = Date.now();
    smtp.decide = undefined;
    smtp.failAfterData = undefined;
    smtp.hangAfterData = undefined;
    await drill.app().exited;
    expect(drill.app().output()).to.include('killed at write: mail_log.updateOne');
    const accepted = smtp.messages.filter((m) => m.to.includes(leader) || m.to.includes(member));
    expect(accepted, 'one e-mail accepted before the kill').to.have.length(1);
    const killedKey = [dropped, hung].find((i) => messageIdFor(i.key) === accepted[0]!.messageId)!.key;
    expect(killedKey, 'the accepted e-mail is one of the digests').to.be.a('string');

    await drill.boot(env);
    // HR requeues the dead digest from the mail log.
    const hr = new WebClient(() => drill.app().url, 20_000);
    await hr.signIn(seeded.hr.email, seeded.password, seeded.hr.totpSecret);
    const row = (await logRow(deadLead.key))!;
    const page = await hr.get(`/mail-log/${String(row._id)}`);
    expect(page.status).to.equal(200);
    const requeued = await hr.postForm(`/mail-log/${String(row._id)}/requeue`, csrfIn(page.text), {});
    expect(requeued.status).to.equal(303);
    await until('every digest sent', 90_000, async () => (await items()).every((i) => i.status === 'sent'));
    const healedMs = Date.now() - t1;
    const copies = (key: string) => smtp.messages.filter((m) => m.messageId === messageIdFor(key)).length;
    for (const i of await items()) {
      expect((await logRow(i.key))?.status, `${i.to}: the mail log`).to.equal('sent');
      if (i.key === killedKey) expect(copies(i.key), `${i.to}: the killed send, again once (same Message-ID)`).to.be.within(1, 2);
      else expect(copies(i.key), `${i.to}: once`).to.equal(1);
    }
    expect(smtp.to(lead).filter((m) => m.messageId === messageIdFor(deadLead.key)), 'the requeued digest').to.have.length(1);
    expect(await runJob(), 'the next hour: nothing new').to.include({ digests: 0, panelDigests: 0 });
    expect(await items()).to.have.length(3);
    process.stdout.write(`      broken phase settled in ${brokenMs} ms; healthy, kill, restart, requeue: all sent in ${healedMs} ms; the killed send delivered ${copies(killedKey)} time(s)\n`);
    expect(await drill.app().stop()).to.equal(0);
  });
});
