// Drill: the two e-mails the last session added words to, written while the SMTP server is down
// (nothing listens on its port), then sent when it is back. The app runs as `npm start` does and
// sends through a TCP front (support/smtp-front.ts) to a real SMTP server in this process:
//   1. SMTP down. HR stops the work permit because its exemption certificate was granted instead
//      (the procedure-replaced e-mail: "the certificate replaces the work permit", Decree 219/2025
//      Art. 9), then marks the expert arrived (the arrival e-mail, the procedures still under way).
//      Both steps stand; HR's pages say the e-mails are waiting (the flash, the case's e-mail table
//      with the error, the mail log);
//   2. SMTP back: each e-mail arrives exactly once (Message-IDs counted at the server), with its
//      words; the case page and the mail log say sent, one row each.
import { expect } from 'chai';
import { ObjectId } from 'mongodb';
import { csrfIn, hiddenValue } from '../../scripts/support/web-client.ts';
import { vnDateKey } from '../../server/calendar/index.ts';
import { messageIdFor } from '../../server/outbox/item.ts';
import { startTestSmtp, type TestSmtp } from '../support/smtp.ts';
import { until } from './support/app-process.ts';
import { officerPages, sleep } from './support/crash-drill.ts';
import { useDrill } from './support/drill.ts';
import { SmtpFront } from './support/smtp-front.ts';

const DAY = 86_400_000;
const dayFrom = (days: number) => vnDateKey(new Date(Date.now() + days * DAY));

interface Item {
  key: string;
  status: string;
  attempts?: number;
  lastError?: string;
}

/** The row of the case page's e-mail table, or the mail log's, for one outbox key. */
const emailRow = (page: string, label: RegExp) => [...page.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((m) => m[1]!).find((r) => label.test(r)) ?? '';
const logRow = (page: string, key: string) => new RegExp(`data-key="${key.replace(/\./g, '\\.')}">([\\s\\S]*?)</tr>`).exec(page)?.[1] ?? '';

describe('drill: the arrival and procedure-replaced e-mails with SMTP down, then back', function () {
  this.timeout(240_000);
  const drill = useDrill('arrival-smtp-down');
  let smtp: TestSmtp;
  let front: SmtpFront;
  before(async () => {
    smtp = await startTestSmtp();
    front = await new SmtpFront(smtp.port).start();
    front.mode = 'forward';
  });
  after(async () => {
    await front?.stop();
    await smtp?.stop();
  });

  it('keeps both steps, says the e-mails wait, then sends each once and says so', async () => {
    const env = drill.env({ SMTP_URL: `smtp://127.0.0.1:${front.port}`, DISPATCH_INTERVAL_MS: '100', SMTP_TIMEOUT_MS: '1500', OUTBOX_LEASE_MS: '6000', OUTBOX_RETRY_BASE_MS: '200', OUTBOX_RETRY_MAX_MS: '500', OUTBOX_MAX_ATTEMPTS: '1000' });
    const seeded = await drill.seed(env, {
      applicants: 1,
      stage: 'onboarding',
      plannedStart: dayFrom(60),
      tracks: [
        { kind: 'work_permit', status: 'requested' },
        { kind: 'work_permit_exemption', status: 'approved' },
        { kind: 'visa', status: 'approved' },
        { kind: 'residence_card', status: 'preparing', dueAt: new Date(`${dayFrom(80)}T16:59:59.999Z`).toISOString() },
      ],
    });
    const { caseId, email } = seeded.applicants[0]!;
    const seededVersion = 6;
    const theCase = async () => (await drill.db().collection('cases').findOne({ _id: new ObjectId(caseId) }))!;
    const items = async () => ((await theCase()).outbox ?? []) as Item[];
    const copies = (key: string) => smtp.messages.filter((m) => m.messageId === messageIdFor(key));
    await front.down();
    await drill.boot(env);
    const { page: read, client: hr } = officerPages(drill, seeded.hr, seeded.password);

    // 1. SMTP down: the permit stopped for its exemption, then the arrival.
    const procPage = await read(`/cases/${caseId}/procedures/work_permit`);
    const stopped = await hr.postForm(`/cases/${caseId}/procedures/work_permit`, csrfIn(procPage), { version: hiddenValue(procPage, 'version')!, track: hiddenValue(procPage, 'track') ?? 'none', status: 'not_needed' });
    expect(stopped.status, stopped.text.slice(0, 500)).to.equal(303);
    const afterStop = await read(`/cases/${caseId}`);
    const caseBefore = await read(`/cases/${caseId}`);
    const arrived = await hr.postForm(`/cases/${caseId}/actions/mark_arrived`, csrfIn(caseBefore), { version: hiddenValue(caseBefore, 'version')!, arrivedOn: vnDateKey(new Date()) });
    expect(arrived.status, arrived.text.slice(0, 500)).to.equal(303);
    const afterArrival = await read(`/cases/${caseId}`);
    const procKey = `${caseId}.${seededVersion + 1}.procedure.work_permit`;
    const arrivalKey = `${caseId}.${seededVersion + 2}.arrived`;
    expect((await items()).map((i) => i.key), 'both e-mails owed').to.deep.equal([procKey, arrivalKey]);
    const c = await theCase();
    expect([c.stage, (c.supportTracks as Array<{ kind: string; status: string }>).find((t) => t.kind === 'work_permit')!.status], 'both steps stand').to.deep.equal(['arrived', 'not_needed']);
    await until('both refused twice', 30_000, async () => (await items()).every((i) => i.status === 'pending' && (i.attempts ?? 0) >= 2));
    for (const i of await items()) expect(i.lastError, 'why it waits').to.match(/ECONNREFUSED/);
    // What HR's pages say meanwhile.
    expect(afterArrival, 'the step’s flash: an e-mail is on its way').to.include(`An e-mail to ${email} is on its way`);
    expect(afterStop, 'the procedure’s flash says the applicant is e-mailed').to.include(`An e-mail to ${email} is on its way`);
    const waiting = await read(`/cases/${caseId}`);
    for (const label of [/Procedure update/, /Arrival recorded/]) {
      const row = emailRow(waiting.slice(waiting.indexOf('id="emails"')), label);
      expect(row, `the case’s e-mail table: ${label}`).to.include('Waiting to be sent');
      expect(row).to.match(/ECONNREFUSED|could not be reached|not answer/i);
    }
    const logWaiting = await read(`/mail-log?to=${encodeURIComponent(email)}`);
    for (const key of [procKey, arrivalKey]) expect(logRow(logWaiting, key), `the mail log: ${key}`).to.match(/Waiting|pending|retry/i);
    expect(copies(procKey).length + copies(arrivalKey).length, 'nothing delivered').to.equal(0);

    // 2. SMTP back.
    await front.up();
    await until('both sent', 30_000, async () => (await items()).every((i) => i.status === 'sent'));
    await sleep(1500); // a duplicate, if any, would arrive now
    expect(copies(procKey), 'the procedure e-mail once').to.have.length(1);
    expect(copies(arrivalKey), 'the arrival e-mail once').to.have.length(1);
    expect(copies(procKey)[0]!.text, 'it says why').to.include('the certificate replaces the work permit (Decree 219/2025/ND-CP, Art. 9)');
    expect(copies(arrivalKey)[0]!.text, 'the card still under way').to.include('Temporary residence card');
    const sentPage = await read(`/cases/${caseId}`);
    for (const label of [/Procedure update/, /Arrival recorded/]) expect(emailRow(sentPage.slice(sentPage.indexOf('id="emails"')), label), `sent: ${label}`).to.include('Sent');
    const rows = await drill.db().collection('mail_log').find({ key: { $in: [procKey, arrivalKey] } }).toArray();
    expect(rows.map((r) => [r.key, r.status]).sort(), 'one mail log row each, sent').to.deep.equal([[procKey, 'sent'], [arrivalKey, 'sent']]);
    const logSent = await read(`/mail-log?to=${encodeURIComponent(email)}`);
    for (const key of [procKey, arrivalKey]) expect(logRow(logSent, key), `the mail log says sent: ${key}`).to.match(/Sent/);
    expect(await drill.app().stop()).to.equal(0);
  });
});
