// Drill (s35 #2): a procedure under way stopped with a reason for the applicant (HR's message; the
// internal note stays with HR), while the SMTP server is down. The app sends through a TCP front
// (support/smtp-front.ts) to a real SMTP server in this process:
//   1. nothing listens (ECONNREFUSED): HR stops an English applicant's filed work permit;
//   2. a server that accepts the connection and never answers: HR stops a Vietnamese applicant's
//      requested housing;
//   each time the stop is saved at once (the track, its event with the message), HR's page says the
//   e-mail is on its way, the e-mail waits with its error;
//   3. the server back: each e-mail arrives once, its reason is the applicant's message under its
//      heading (en, vi with Ông/Bà's wording), never the internal note.
import { expect } from 'chai';
import { ObjectId } from 'mongodb';
import { csrfIn, hiddenValue } from '../../scripts/support/web-client.ts';
import { messageIdFor } from '../../server/outbox/item.ts';
import { startTestSmtp, type TestSmtp } from '../support/smtp.ts';
import { until } from './support/app-process.ts';
import { officerPages, sleep } from './support/crash-drill.ts';
import { useDrill } from './support/drill.ts';
import { SmtpFront } from './support/smtp-front.ts';

interface Item {
  key: string;
  status: string;
  attempts?: number;
  lastError?: string;
}
interface Track {
  kind: string;
  status: string;
}
interface Event {
  note?: string;
  procedure?: { kind: string; to: string; message?: string };
}

const INTERNAL = 'Budget cut, do not tell the candidate';

describe('drill s35: a procedure under way stopped with a reason for the applicant while SMTP is down or hangs', function () {
  this.timeout(240_000);
  const drill = useDrill('procedure-stop-smtp-s35');
  let smtp: TestSmtp;
  let front: SmtpFront;
  before(async () => {
    smtp = await startTestSmtp();
    front = await new SmtpFront(smtp.port).start();
  });
  after(async () => {
    await front?.stop();
    await smtp?.stop();
  });

  it('saves each stop at once, says the e-mail is on its way, sends it later once with the applicant’s reason only', async () => {
    const env = drill.env({ SMTP_URL: `smtp://127.0.0.1:${front.port}`, DISPATCH_INTERVAL_MS: '100', SMTP_TIMEOUT_MS: '1500', OUTBOX_LEASE_MS: '6000', OUTBOX_RETRY_BASE_MS: '200', OUTBOX_RETRY_MAX_MS: '500', OUTBOX_MAX_ATTEMPTS: '1000' });
    const en = await drill.seed(env, { applicants: 1, stage: 'onboarding', tracks: [{ kind: 'work_permit', status: 'filed' }] });
    const vi = await drill.seed(env, { applicants: 1, stage: 'onboarding', locale: 'vi', tracks: [{ kind: 'housing', status: 'requested' }] });
    const stops = [
      { seeded: en, kind: 'work_permit', reason: 'The position was withdrawn by the institute; the permit file has been withdrawn.', heading: 'Why this procedure stopped:', fault: 'ECONNREFUSED' },
      { seeded: vi, kind: 'housing', reason: 'Ông/Bà đã tự thuê nhà nên Viện đã hủy phòng khách.', heading: 'Lý do dừng thủ tục:', fault: 'hang' },
    ] as const;
    const theCase = async (id: string) => (await drill.db().collection('cases').findOne({ _id: new ObjectId(id) }))!;
    const itemOf = async (id: string, kind: string) => ((await theCase(id)).outbox as Item[]).filter((o) => o.key.endsWith(`.procedure.${kind}`));
    const copies = (key: string) => smtp.messages.filter((m) => m.messageId === messageIdFor(key));
    await front.down();
    await drill.boot(env);

    const keys: string[] = [];
    for (const stop of stops) {
      const { caseId, email } = stop.seeded.applicants[0]!;
      if (stop.fault === 'hang') {
        front.mode = 'silent';
        await front.up();
      }
      const { page, client: hr } = officerPages(drill, stop.seeded.hr, stop.seeded.password);
      const form = await page(`/cases/${caseId}/procedures/${stop.kind}`);
      const t0 = Date.now();
      const saved = await hr.postForm(`/cases/${caseId}/procedures/${stop.kind}`, csrfIn(form), { version: hiddenValue(form, 'version')!, track: hiddenValue(form, 'track') ?? 'none', status: 'not_needed', message: stop.reason, note: INTERNAL });
      expect(saved.status, saved.text.slice(0, 500)).to.equal(303);
      expect(Date.now() - t0, 'the stop does not wait for the mail server').to.be.below(5000);
      const next = await page(saved.location ?? `/cases/${caseId}`);
      expect(next, 'HR’s page: the e-mail is on its way').to.include(`An e-mail to ${email} is on its way`);
      const c = await theCase(caseId);
      expect((c.supportTracks as Track[]).find((t) => t.kind === stop.kind)!.status, 'the stop is saved').to.equal('not_needed');
      const event = (c.history as Event[]).filter((e) => e.procedure?.kind === stop.kind && e.procedure.to === 'not_needed');
      expect(event.map((e) => [e.procedure!.message, e.note]), 'one event: the message and the note apart').to.deep.equal([[stop.reason, INTERNAL]]);
      const items = await itemOf(caseId, stop.kind);
      expect(items.length, 'one e-mail owed').to.equal(1);
      keys.push(items[0]!.key);
      if (stop.fault === 'ECONNREFUSED') {
        await until('refused twice', 30_000, async () => ((await itemOf(caseId, stop.kind))[0]!.attempts ?? 0) >= 2);
        expect((await itemOf(caseId, stop.kind))[0]!.lastError, 'why it waits').to.match(/ECONNREFUSED/);
      } else {
        await until('a silent server’s connection given up', 30_000, () => front.held.length >= 1);
        await until('the attempt recorded', 30_000, async () => ((await itemOf(caseId, stop.kind))[0]!.attempts ?? 0) >= 1);
        expect((await itemOf(caseId, stop.kind))[0]!.status).to.equal('pending');
      }
      expect(copies(items[0]!.key), 'nothing delivered yet').to.have.length(0);
      // The case page's e-mail table says it waits.
      const casePage = await page(`/cases/${caseId}`);
      expect(casePage.slice(casePage.indexOf('id="emails"')), 'the case page: waiting').to.include('Waiting to be sent');
    }

    // 3. The server back.
    front.mode = 'forward';
    await until('both sent', 30_000, () => keys.every((k) => copies(k).length > 0));
    await sleep(1500); // a duplicate, if any, would arrive now
    for (const [i, stop] of stops.entries()) {
      const sent = copies(keys[i]!);
      expect(sent, `${stop.kind}: once`).to.have.length(1);
      expect(sent[0]!.text, 'the reason is the applicant’s message, under its heading').to.include(`${stop.heading}\n${stop.reason}`);
      expect(`${sent[0]!.text}${sent[0]!.html || ''}`, 'never the internal note').not.to.include('Budget cut');
      if (stop.seeded === vi) expect(sent[0]!.text).not.to.match(/\bbạn\b/i);
      const item = (await itemOf(stop.seeded.applicants[0]!.caseId, stop.kind))[0]!;
      expect(item.status).to.equal('sent');
    }
    expect(await drill.app().stop()).to.equal(0);
  });
});
