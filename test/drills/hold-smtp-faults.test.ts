// Drill: holds and their e-mails under SMTP faults and kills. The app runs as `npm start` does
// (support/app-process.ts) and sends through a TCP front (support/smtp-front.ts) to a real SMTP
// server in this process (test/support/smtp.ts) whose answers change by phase:
//   A  421 at the greeting      → a leader holds a shortlisted case from the shortlist; the app is
//                                 SIGKILLed at the first operation after the case's update
//                                 (support/app-kill-hook.mjs) and restarted: the hold stands, its
//                                 e-mail is retried (421 on the mail log row), its decision audited once;
//   B  never answers            → HR holds a case whose applicant owes an answer to an information
//                                 request: the request waits with it (kept), the e-mail times out
//                                 and is retried;
//   C  after DATA: 451, 554, connection dropped (one recipient each) → the leader holds three more;
//   D  recovered                → every hold e-mail arrives exactly once (Message-IDs counted at the
//                                 server) but the 554 one, dead with its error on the mail log page;
//                                 a link from an e-mail opens the applicant's page (the port bound,
//                                 not :0: server/config.ts listeningOn);
//   E  HR resumes the held request, the app SIGKILLed as that update is issued: after the restart
//      the case is still held, nobody told; resumed again, the request's date gives back the
//      working days it had left, and the applicant is told once.
import { expect } from 'chai';
import { ObjectId } from 'mongodb';
import { WebClient, csrfIn, hiddenValue } from '../../scripts/support/web-client.ts';
import { messageIdFor } from '../../server/outbox/item.ts';
import { holdReviewDay } from '../support/hold.ts';
import { linkIn, startTestSmtp, type TestSmtp } from '../support/smtp.ts';
import { until } from './support/app-process.ts';
import { AUDITED, sleep } from './support/crash-drill.ts';
import { useDrill } from './support/drill.ts';
import { appKillEnv } from './support/kill-point.ts';
import { SmtpFront } from './support/smtp-front.ts';

interface Item {
  key: string;
  status: string;
  attempts?: number;
  lastError?: string;
}

describe('drill: holds from the shortlist and HR’s, their e-mails under SMTP faults, kills mid-write', function () {
  this.timeout(300_000);
  const drill = useDrill('hold-smtp');
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

  it('keeps every hold, retries its e-mail or shows it dead, never sends one twice', async () => {
    front.mode = 'refuse';
    // Fast retries; SMTP limits of 1.5 s (a server that never answers fails an attempt), a lease of 6 s.
    const env = drill.env({ SMTP_URL: `smtp://127.0.0.1:${front.port}`, DISPATCH_INTERVAL_MS: '100', SMTP_TIMEOUT_MS: '1500', OUTBOX_LEASE_MS: '6000', OUTBOX_RETRY_BASE_MS: '200', OUTBOX_RETRY_MAX_MS: '500', OUTBOX_MAX_ATTEMPTS: '1000' });
    const panel = await drill.seed(env, { applicants: 4, stage: 'shortlisted', scored: true, prefixes: ['refused', 'later', 'bounced', 'dropped'] });
    const asked = await drill.seed(env, { applicants: 1, stage: 'awaiting_applicant', prefixes: ['asked'] });
    const [refused, later, bounced, dropped] = panel.applicants;
    const held = asked.applicants[0]!;
    const t0 = Date.now();
    const phases: string[] = [];
    const phaseDone = (name: string) => phases.push(`${name} ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const theCase = async (id: string) => (await drill.db().collection('cases').findOne({ _id: new ObjectId(id) }))!;
    const holdItem = async (id: string) => ((await theCase(id)).outbox as Item[]).find((o) => o.key.endsWith('.on_hold'));
    const copies = (key: string) => smtp.messages.filter((m) => m.messageId === messageIdFor(key)).length;
    const leader = new WebClient(() => drill.app().url, 20_000);
    const hr = new WebClient(() => drill.app().url, 20_000);
    // The words the candidate is told with the hold, as the confirmation page sends them (walk s34).
    const TOLD_HOLD = 'The institute needs a few more weeks before deciding.';
    const leaderHold = async (caseId: string) => {
      const page = await leader.get(`/shortlists/${panel.callId}/cases/${caseId}`);
      expect(page.status).to.equal(200);
      try {
        const r = await leader.postForm(`/shortlists/${panel.callId}/cases/${caseId}/decision/confirm`, csrfIn(page.text), { action: 'put_on_hold', version: hiddenValue(page.text, 'version')!, reason: 'Waiting for the ministry’s budget line.', reviewBy: holdReviewDay(), toldReason: TOLD_HOLD, previewedToldReason: TOLD_HOLD });
        return r.status;
      } catch {
        return 'no answer';
      }
    };
    const seededPanelVersion = 4; // the seed's four steps to `shortlisted`

    // A. 421 at the greeting; the leader's hold killed after its update.
    await drill.boot({ ...env, ...appKillEnv('cases.findOneAndUpdate:stage=on_hold', 'after') });
    await leader.signIn(panel.leader.email, panel.password, panel.leader.totpSecret);
    expect(await leaderHold(refused!.caseId), 'the leader got no answer').to.equal('no answer');
    expect(await drill.app().exited).to.equal(null);
    expect(drill.app().output()).to.match(/killed at after: /);
    await drill.boot(env);
    const heldA = await theCase(refused!.caseId);
    expect([heldA.stage, heldA.version], 'the hold stands').to.deep.equal(['on_hold', seededPanelVersion + 1]);
    expect((heldA.history as Array<{ action: string; actorRole: string }>).filter((h) => h.action === 'put_on_hold').map((h) => h.actorRole)).to.deep.equal(['leader']);
    const keyA = `${refused!.caseId}.${seededPanelVersion + 1}.on_hold`;
    await until('the hold e-mail refused at the greeting twice', 30_000, async () => ((await holdItem(refused!.caseId))?.attempts ?? 0) >= 2);
    const itemA = (await holdItem(refused!.caseId))!;
    expect([itemA.key, itemA.status], 'retried').to.deep.equal([keyA, 'pending']);
    expect(itemA.lastError).to.match(/421/);
    expect((await drill.db().collection('mail_log').findOne({ key: keyA }))?.lastError, 'the mail log says why').to.match(/421/);
    phaseDone('A: 421, hold killed after its update');

    // B. A server that never answers; HR holds the case whose applicant owes an answer.
    front.mode = 'silent';
    await hr.signIn(asked.hr.email, asked.password, asked.hr.totpSecret);
    const before = await theCase(held.caseId);
    const page = await hr.get(`/cases/${held.caseId}`);
    const version = Number(hiddenValue(page.text, 'version'));
    const r = await hr.postForm(`/cases/${held.caseId}/actions/put_on_hold/confirm`, csrfIn(page.text), { version: String(version), reason: 'Waiting for the budget decision.', reviewBy: holdReviewDay() });
    expect(r.status, r.text.slice(0, 300)).to.equal(303);
    const heldB = await theCase(held.caseId);
    expect(heldB.stage).to.equal('on_hold');
    expect(heldB.infoRequest.dueAt.getTime(), 'the request waits with the case').to.equal(before.infoRequest.dueAt.getTime());
    const keyB = `${held.caseId}.${version + 1}.on_hold`;
    await until('a silent server’s connection given up', 30_000, () => front.held.length >= 1);
    expect(copies(keyB)).to.equal(0);
    phaseDone('B: never answers');

    // C. After DATA: 451 for one, 554 for another, the connection dropped for a third.
    front.mode = 'forward';
    const afterData: Record<string, 'tempfail' | 'permfail' | 'drop'> = { [later!.email]: 'tempfail', [bounced!.email]: 'permfail', [dropped!.email]: 'drop' };
    smtp.failAfterData = (to) => afterData[to[0]!];
    for (const a of [later!, bounced!, dropped!]) expect(await leaderHold(a.caseId), `the hold of ${a.email}`).to.equal(303);
    await until('451 and dropped twice each, 554 dead', 30_000, async () => (smtp.failedData.get(later!.email) ?? 0) >= 2 && (smtp.failedData.get(dropped!.email) ?? 0) >= 2 && (await holdItem(bounced!.caseId))?.status === 'dead');
    phaseDone('C: after DATA');

    // D. Recovered: everything settles.
    smtp.failAfterData = undefined;
    const all = [refused!, later!, bounced!, dropped!, held];
    await until('every hold e-mail settled', 30_000, async () => (await Promise.all(all.map((a) => holdItem(a.caseId)))).every((i) => i && i.status !== 'pending'));
    await sleep(1000); // a duplicate, if any, would arrive now
    for (const a of all) {
      const c = await theCase(a.caseId);
      const item = (await holdItem(a.caseId))!;
      expect(c.stage, `${a.email}: the hold stands`).to.equal('on_hold');
      if (a === bounced) {
        expect([item.status, copies(item.key)], 'the 554 one dead, never delivered').to.deep.equal(['dead', 0]);
        expect(item.lastError).to.match(/554/);
      } else expect([item.status, copies(item.key)], `${a.email}: sent once`).to.deep.equal(['sent', 1]);
    }
    const admin = new WebClient(drill.app().url, 20_000);
    await admin.signIn(panel.admin.email, panel.password, panel.admin.totpSecret);
    const deadKey = (await holdItem(bounced!.caseId))!.key;
    const logPage = await admin.get(`/mail-log?to=${encodeURIComponent(bounced!.email)}&status=dead`);
    expect(logPage.status).to.equal(200);
    expect(new RegExp(`data-key="${deadKey.replace(/\./g, '\\.')}">([\\s\\S]*?)</tr>`).exec(logPage.text)?.[1], 'the admin sees it dead with its error').to.include('554');
    // The link of an e-mail written by this process opens the applicant's page.
    const mail = smtp.messages.find((m) => m.messageId === messageIdFor(`${later!.caseId}.${seededPanelVersion + 1}.on_hold`))!;
    const link = linkIn(mail.text, `/applications/${later!.caseId}`);
    expect(new URL(link).port, 'the port bound, not 0').to.equal(new URL(drill.app().url).port);
    const applicant = new WebClient(drill.app().url, 20_000);
    await applicant.signIn(later!.email, panel.password);
    const opened = await fetch(link, { headers: { cookie: applicant.cookieHeader(), accept: 'text/html' }, redirect: 'manual' });
    expect(opened.status, 'the e-mailed link opens the page').to.equal(200);
    expect(await opened.text()).to.include(String((await theCase(later!.caseId)).reference));
    // The killed hold's decision event, recorded by the repair (its grace: 10 s from the start).
    await drill.app().waitForLog(AUDITED, 60_000);
    expect(await drill.db().collection('auditevents').countDocuments({ targetId: refused!.caseId, action: 'case.decision' }), 'the killed hold audited once').to.equal(1);
    expect(await drill.app().stop()).to.equal(0);
    phaseDone('D: recovered');

    // E. HR resumes the held request; killed as that update is issued.
    await drill.boot({ ...env, ...appKillEnv('cases.findOneAndUpdate:stage=awaiting_applicant', 'write') });
    const resume = async () => {
      const p = await hr.get(`/cases/${held.caseId}`);
      try {
        return (await hr.postForm(`/cases/${held.caseId}/actions/resume`, csrfIn(p.text), { version: hiddenValue(p.text, 'version')! })).status;
      } catch {
        return 'no answer';
      }
    };
    expect(await resume()).to.equal('no answer');
    expect(await drill.app().exited).to.equal(null);
    await drill.boot(env);
    const stillHeld = await theCase(held.caseId);
    expect([stillHeld.stage, stillHeld.infoRequest.dueAt.getTime()], 'still held, the request as it was').to.deep.equal(['on_hold', before.infoRequest.dueAt.getTime()]);
    expect((stillHeld.outbox as Item[]).filter((o) => o.key.endsWith('.resumed')), 'nobody to tell').to.deep.equal([]);
    expect(await resume()).to.equal(303);
    const resumed = await theCase(held.caseId);
    expect(resumed.stage).to.equal('awaiting_applicant');
    expect(resumed.infoRequest.dueAt.getTime(), 'the working days left given back from today').to.be.at.least(before.infoRequest.dueAt.getTime());
    const resumedKey = (resumed.outbox as Item[]).find((o) => o.key.endsWith('.resumed'))!.key;
    await until('the resume e-mail sent', 30_000, () => copies(resumedKey) > 0);
    await sleep(1000);
    expect(copies(resumedKey), 'told once').to.equal(1);
    expect(await drill.app().stop()).to.equal(0);
    phaseDone('E: resume killed, then resumed');
    process.stdout.write(`      drill figures: ${phases.join('; ')}; ${smtp.attempts} SMTP answers, ${front.refused} greetings refused, ${front.held.length} silent connections given up\n`);
  });
});
