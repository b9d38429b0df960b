// Drill s37: the applicant's messages gathered for HR (server/cases/message-digest.ts, a one-minute
// window here) while the SMTP server is broken, then healthy with the app SIGKILLed between an
// e-mail's acceptance and its record. The app runs as `npm start` does, on a data folder of its own:
//   1  the first message e-mailed at once (healthy); two more gathered into a digest;
//   2  broken for the officer: the connection dropped once DATA is sent (twice), then DATA never
//      answered (a hung server), then 550 at RCPT TO: dead, the mail log says so with the 550; a
//      fourth message written meanwhile opens the next digest (a tried one keeps its list);
//   3  the app restarted with its kill point at the mail log's "sent" write, the server healthy: the
//      first e-mail accepted kills it; restarted, that one is sent again once its lease ends (the same
//      Message-ID: at most one duplicate); HR requeues the dead digest from the mail log.
// Every message reaches the officer; messages two and three once, the fourth at most twice with
// one Message-ID; each row of the mail log "sent"; nothing left owed.
import { expect } from 'chai';
import { ObjectId } from 'mongodb';
import { WebClient, csrfIn, hiddenValue } from '../../scripts/support/web-client.ts';
import { messageIdFor } from '../../server/outbox/item.ts';
import { startTestSmtp, type TestSmtp } from '../support/smtp.ts';
import { until } from './support/app-process.ts';
import { useDrill } from './support/drill.ts';
import { appKillEnv } from './support/kill-point.ts';

interface Row {
  key: string;
  template: string;
  status: string;
  attempts?: number;
  lastError?: string;
  data?: { messages?: Array<{ text: string }> };
}

describe('drill s37: the messages digest with SMTP dropping, hanging, refusing; SIGKILL between send and record', function () {
  this.timeout(420_000);
  const drill = useDrill('message-digest-smtp-s37');
  let smtp: TestSmtp;
  before(async () => {
    smtp = await startTestSmtp();
  });
  after(async () => {
    await smtp?.stop();
  });

  it('every message reaches HR, each digest once but the killed send (same Message-ID), the mail log honest', async () => {
    const env = drill.env({ SMTP_URL: smtp.url, MESSAGE_DIGEST_MINUTES: '1', DISPATCH_INTERVAL_MS: '100', SMTP_TIMEOUT_MS: '1500', OUTBOX_LEASE_MS: '6000', OUTBOX_RETRY_BASE_MS: '300', OUTBOX_RETRY_MAX_MS: '600', OUTBOX_MAX_ATTEMPTS: '1000' });
    const seeded = await drill.seed(env, { applicants: 1, stage: 'screening', prefixes: ['digest37'] });
    const { caseId } = seeded.applicants[0]!;
    const officer = seeded.hr.email.toLowerCase();
    await drill.boot(env);
    const rows = async () => ((await drill.db().collection('cases').findOne({ _id: new ObjectId(caseId) }, { projection: { outbox: 1 } }))?.outbox ?? []) as Row[];
    const digests = async () => (await rows()).filter((o) => o.template === 'applicant_message_digest');
    const logRow = (key: string) => drill.db().collection('mail_log').findOne({ source: 'case', key });
    const write = async (words: string) => {
      const applicant = new WebClient(drill.app().url, 10_000);
      await applicant.signIn(seeded.applicants[0]!.email, seeded.password);
      const mine = await applicant.get(`/applications/${caseId}`);
      const form = mine.text.slice(mine.text.indexOf(`action="/applications/${caseId}/messages"`));
      const res = await applicant.postForm(`/applications/${caseId}/messages`, csrfIn(mine.text), { text: words, formKey: hiddenValue(form, 'formKey') ?? '' });
      expect(res.status, words).to.equal(303);
    };

    // 1. Healthy: the first at once; two gathered.
    await write('Message one: at once.');
    await until('the first message e-mailed', 30_000, () => smtp.to(officer).length === 1);
    // 2. Broken for the officer, before the window ends.
    let dropped = 0;
    smtp.failAfterData = (to) => (to.includes(officer) && dropped++ < 2 ? 'drop' : undefined);
    smtp.hangAfterData = (to) => to.includes(officer) && dropped >= 2;
    await write('Message two: gathered.');
    await write('Message three: gathered.');
    const t0 = Date.now();
    await until('the digest dropped twice', 120_000, async () => ((await digests())[0]?.attempts ?? 0) >= 2);
    await write('Message four: after a failed send.');
    await until('the digest timed out once (a hung server)', 60_000, async () => ((await digests())[0]?.attempts ?? 0) >= 3 && /time/i.test(String((await digests())[0]?.lastError)));
    smtp.hangAfterData = undefined;
    smtp.decide = (a) => (a === officer ? 'permfail' : undefined);
    await until('the first digest dead', 60_000, async () => (await digests())[0]?.status === 'dead');
    const first = (await digests())[0]!;
    expect(first.data?.messages?.map((m) => m.text), 'a tried digest keeps its list').to.deep.equal(['Message two: gathered.', 'Message three: gathered.']);
    expect(first.lastError).to.match(/550/);
    expect((await logRow(first.key))?.status, 'the mail log: dead').to.equal('dead');
    expect(String((await logRow(first.key))?.lastError)).to.match(/550/);
    const brokenMs = Date.now() - t0;
    expect(smtp.to(officer), 'nothing more delivered while broken').to.have.length(1);

    // 3. Held (hung) while the app restarts with its kill point; healthy: the first acceptance kills it.
    smtp.decide = undefined;
    smtp.hangAfterData = (to) => to.includes(officer);
    expect(await drill.app().stop()).to.equal(0);
    await drill.boot({ ...env, ...appKillEnv('mail_log.updateOne:status=sent', 'write') });
    await until('the next digest due', 120_000, async () => ((await digests())[1]?.attempts ?? 0) >= 1);
    smtp.hangAfterData = undefined;
    const t1 = Date.now();
    await drill.app().exited;
    expect(drill.app().output()).to.include('killed at write: mail_log.updateOne');
    expect(smtp.to(officer), 'the e-mail accepted before the kill').to.have.length(2);
    const killed = smtp.to(officer)[1]!;

    await drill.boot(env);
    const hr = new WebClient(() => drill.app().url, 20_000);
    await hr.signIn(seeded.hr.email, seeded.password, seeded.hr.totpSecret);
    const row = (await logRow(first.key))!;
    const page = await hr.get(`/mail-log/${String(row._id)}`);
    expect(page.status).to.equal(200);
    expect((await hr.postForm(`/mail-log/${String(row._id)}/requeue`, csrfIn(page.text), {})).status).to.equal(303);
    await until('nothing left owed', 90_000, async () => (await rows()).every((o) => o.status === 'sent'));
    const healedMs = Date.now() - t1;

    const mails = smtp.to(officer);
    const all = mails.map((m) => m.text).join('\n');
    for (const words of ['Message one', 'Message two', 'Message three', 'Message four']) expect(all, words).to.include(words);
    expect(mails.filter((m) => m.text.includes('Message two')), 'the requeued digest once').to.have.length(1);
    const fours = mails.filter((m) => m.text.includes('Message four'));
    expect(fours.length, 'the killed send: at most twice').to.be.within(1, 2);
    expect(new Set(fours.map((m) => m.messageId)).size, 'one Message-ID').to.equal(1);
    expect(fours[0]!.messageId).to.equal(killed.messageId);
    for (const o of await rows()) {
      expect((await logRow(o.key))?.status, `${o.template}: the mail log`).to.equal('sent');
      if (o.key !== first.key && !fours.some((m) => m.messageId === messageIdFor(o.key))) expect(smtp.messages.filter((m) => m.messageId === messageIdFor(o.key)), o.template).to.have.length(1);
    }
    process.stdout.write(`      broken phase (2 drops, 1 hang, 550) ${brokenMs} ms; healthy, kill, restart, requeue: settled in ${healedMs} ms; the killed send delivered ${fours.length} time(s)\n`);
    expect(await drill.app().stop()).to.equal(0);
  });
});
