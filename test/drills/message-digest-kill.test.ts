// Drill: the applicant's messages gathered for HR (server/cases/message-digest.ts) when the app is
// SIGKILLed while it sends the digest. The real app as `npm start` runs it, on a data folder of its
// own, with a window of one minute (MESSAGE_DIGEST_MINUTES=1) and a real SMTP server in this process:
//   1. the first message is e-mailed to the officer at once; two more open a digest due at the window's end;
//   2. at that end the SMTP server holds its answer (the digest is claimed and being sent) and the
//      app is SIGKILLed: nothing was delivered;
//   3. restarted, the applicant writes again while the dead process's lease still holds the digest
//      (the message must not join a digest already claimed, nor be lost);
//   4. every message reaches the officer, the claimed digest once (its Message-ID once), the last
//      message in the next one; nothing is left owed.
import { expect } from 'chai';
import { ObjectId } from 'mongodb';
import { startTestSmtp, type TestSmtp } from '../support/smtp.ts';
import { WebClient, csrfIn, hiddenValue } from '../../scripts/support/web-client.ts';
import { until } from './support/app-process.ts';
import { useDrill } from './support/drill.ts';

interface OutboxRow {
  key: string;
  template: string;
  status: string;
  leaseOwner?: string | null;
  data?: { messages?: Array<{ text: string }> };
}

describe('drill: the messages digest, app SIGKILLed while sending it', function () {
  this.timeout(420_000);
  const drill = useDrill('digest-kill');
  let smtp: TestSmtp;
  before(async () => {
    smtp = await startTestSmtp();
  });
  after(async () => {
    smtp.held = undefined;
    await smtp?.stop();
  });

  it('delivers every message to HR: the claimed digest once after the restart, a message written meanwhile in the next', async () => {
    const env = drill.env({
      SMTP_URL: smtp.url,
      MESSAGE_DIGEST_MINUTES: '1',
      DISPATCH_INTERVAL_MS: '50',
      SMTP_TIMEOUT_MS: '2000',
      // The lease a killed send leaves: short, so the restarted app takes the digest over within seconds.
      OUTBOX_LEASE_MS: '8000',
      OUTBOX_RETRY_BASE_MS: '100',
      OUTBOX_RETRY_MAX_MS: '1000',
      OUTBOX_MAX_ATTEMPTS: '1000',
    });
    const seeded = await drill.seed(env, { applicants: 1, stage: 'screening', prefixes: ['digest'] });
    const { caseId } = seeded.applicants[0]!;
    const officer = seeded.hr.email;
    await drill.boot(env);
    const outbox = async () => ((await drill.db().collection('cases').findOne({ _id: new ObjectId(caseId) }, { projection: { outbox: 1 } }))?.outbox ?? []) as OutboxRow[];
    const digests = async () => (await outbox()).filter((o) => o.template === 'applicant_message_digest');
    const toOfficer = () => smtp.to(officer);

    let applicant = new WebClient(drill.app().url, 10_000);
    await applicant.signIn(seeded.applicants[0]!.email, seeded.password);
    const write = async (words: string) => {
      const mine = await applicant.get(`/applications/${caseId}`);
      const form = mine.text.slice(mine.text.indexOf(`action="/applications/${caseId}/messages"`));
      const res = await applicant.postForm(`/applications/${caseId}/messages`, csrfIn(mine.text), { text: words, formKey: hiddenValue(form, 'formKey') ?? '' });
      expect(res.status, words).to.equal(303);
    };

    await write('Message one: at once.');
    await until('the first message e-mailed to the officer', 30_000, () => toOfficer().length === 1);
    await write('Message two: gathered.');
    await write('Message three: gathered.');
    expect((await digests()).map((d) => d.status)).to.deep.equal(['pending']);

    // The window's end: the SMTP server holds its answer while the digest is being sent; the app dies.
    let release!: () => void;
    smtp.held = new Promise<void>((r) => (release = r));
    await until('the digest claimed and being sent', 120_000, async () => typeof (await digests())[0]?.leaseOwner === 'string');
    await drill.app().kill9();
    smtp.held = undefined;
    release();
    expect(toOfficer(), 'nothing delivered by the killed send').to.have.length(1);

    // Restarted: a message written while the dead process's lease still holds the digest.
    await drill.boot(env);
    applicant = new WebClient(drill.app().url, 10_000);
    await applicant.signIn(seeded.applicants[0]!.email, seeded.password);
    await write('Message four: after the restart.');
    const during = await digests();
    expect(during).to.have.length(2);
    expect(during[0]!.data?.messages?.map((m) => m.text)).to.deep.equal(['Message two: gathered.', 'Message three: gathered.']);

    await until('both digests sent', 180_000, async () => (await digests()).every((d) => d.status === 'sent'));
    await until('both digests delivered', 30_000, () => toOfficer().length === 3);
    const mails = toOfficer();
    const all = mails.map((m) => m.text).join('\n');
    for (const words of ['Message one', 'Message two', 'Message three', 'Message four']) expect(all, words).to.include(words);
    // The claimed digest once (its Message-ID once), the last message only in the next.
    const ids = mails.map((m) => m.messageId);
    expect(new Set(ids).size).to.equal(ids.length);
    expect(mails.filter((m) => m.text.includes('Message two')).length).to.equal(1);
    expect(mails.filter((m) => m.text.includes('Message four')).length).to.equal(1);
    expect(mails.find((m) => m.text.includes('Message four'))!.text).not.to.include('Message two');
    expect((await outbox()).filter((o) => o.status !== 'sent').map((o) => `${o.template} ${o.status}`)).to.deep.equal([]);
    expect(await drill.app().stop()).to.equal(0);
  });
});
