// Drill: the database PAUSED under the app (SIGSTOP: the process holds its connections and its port
// but answers nothing, as a hung or swapping server does), then resumed (SIGCONT).
//
// The app runs as `npm start` does, against the embedded database run on its own (`npm run db`, a
// child process) through MONGODB_URI, sending to a real SMTP server in this process. HR is signed
// in. The pause comes while
//   - an e-mail is mid-send: the SMTP server holds it at RCPT until the database is paused, then
//     accepts it, so the dispatcher must record "sent" in a database that does not answer;
//   - HR's move of another case is in flight (a POST sent just before the pause).
// While paused: pages and forms answer 503 with the page saying the database is not answering
// within a bound set by the configured driver timeouts (not minutes), /readyz 503, /healthz 200.
// After SIGCONT: the same session works without signing in; the in-flight move either happened
// once (stage, one history event, one e-mail) or not at all (and HR's retry of it then happens
// once); the stale form of it is refused; every e-mail owed arrives exactly once (Message-IDs
// counted at the SMTP server).
import { expect } from 'chai';
import { ObjectId } from 'mongodb';
import { WebClient, csrfIn, hiddenValue, type Page } from '../../scripts/support/web-client.ts';
import { messageIdFor } from '../../server/outbox/item.ts';
import { startTestSmtp, type TestSmtp } from '../support/smtp.ts';
import { drillEnv, runScript, startApp, until, waitReady, type AppProcess } from './support/app-process.ts';
import { useExternalDatabase } from './support/database-process.ts';
import type { Seeded } from './support/seed.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// The drill's driver timeouts (server/config.ts DB_*): a paused server is noticed by the monitor
// within a heartbeat and a connect timeout, and a request arriving after that waits one server
// selection. A page must answer within their sum and generous slack for a loaded machine.
const HEARTBEAT_MS = 1000;
const CONNECT_TIMEOUT_MS = 2000;
const SERVER_SELECTION_MS = 3000;
const BOUND_MS = HEARTBEAT_MS + CONNECT_TIMEOUT_MS + SERVER_SELECTION_MS + 10_000;

interface OutboxRow {
  key: string;
  status: string;
  leaseOwner?: string | null;
}

describe('drill: the database paused (SIGSTOP) under the app, then resumed', function () {
  this.timeout(180_000);
  let app: AppProcess | undefined;
  let smtp: TestSmtp;
  const external = useExternalDatabase('dbpause', {
    beforeRemoval: async () => {
      await app?.kill9();
      await smtp?.stop();
    },
  });

  before(async () => {
    smtp = await startTestSmtp();
  });

  it('answers 503 within the configured bound while paused; afterwards the same session carries on, no move half-done, every e-mail once', async () => {
    const database = external.process();
    const env = drillEnv(external.dataDir, {
      MONGODB_URI: external.uri,
      SMTP_URL: smtp.url,
      DISPATCH_INTERVAL_MS: '50',
      SMTP_TIMEOUT_MS: '2000',
      // Longer than the pause: a "sent" the dispatcher could not record yet must be recorded after
      // it, not sent again by a later claim once the lease has run out.
      OUTBOX_LEASE_MS: '60000',
      OUTBOX_RETRY_BASE_MS: '100',
      OUTBOX_RETRY_MAX_MS: '1000',
      OUTBOX_MAX_ATTEMPTS: '1000',
      DB_HEARTBEAT_MS: String(HEARTBEAT_MS),
      DB_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
      DB_SERVER_SELECTION_TIMEOUT_MS: String(SERVER_SELECTION_MS),
    });
    const seeded = JSON.parse((await runScript('test/drills/support/seed.ts', [JSON.stringify({ applicants: 2, stage: 'submitted' })], env)).trim().split('\n').at(-1)!) as Seeded;
    const [sending, moving] = seeded.applicants.map((a) => a.caseId) as [string, string];
    const direct = await external.connect();
    const cases = direct.db().collection('cases');
    const caseOf = async (id: string) => (await cases.findOne({ _id: new ObjectId(id) }))!;

    app = startApp(env);
    await waitReady(app);
    // Generous: a hung page is measured, not cut off by the client.
    const hr = new WebClient(app.url, 120_000);
    await hr.signIn(seeded.hr.email, seeded.password, seeded.hr.totpSecret);
    const expectedKeys: string[] = [];
    const move = async (caseId: string, page: Page) =>
      hr.postForm(`/cases/${caseId}/actions/start_screening`, csrfIn(page.text), { version: hiddenValue(page.text, 'version')! });
    const timed = async <T>(p: Promise<T>): Promise<{ value: T; ms: number }> => {
      const started = Date.now();
      const value = await p;
      return { value, ms: Date.now() - started };
    };

    // An e-mail mid-send: the SMTP server holds it at RCPT.
    let release!: () => void;
    smtp.held = new Promise<void>((r) => (release = r));
    const sendingPage = await hr.get(`/cases/${sending}`);
    const sendingVersion = Number(hiddenValue(sendingPage.text, 'version'));
    expect((await move(sending, sendingPage)).status).to.equal(303);
    const sentKey = `${sending}.${sendingVersion + 1}.screening_started`;
    expectedKeys.push(sentKey);
    await until('the e-mail claimed by the dispatcher', 30_000, async () => ((await caseOf(sending)).outbox as OutboxRow[]).some((i) => i.key === sentKey && i.leaseOwner));
    await sleep(500); // the connection reaches RCPT, where it is held

    // HR's move of the other case, in flight as the database pauses.
    const movingPage = await hr.get(`/cases/${moving}`);
    const movingVersion = Number(hiddenValue(movingPage.text, 'version'));
    const inFlight = timed(move(moving, movingPage));
    await sleep(Math.floor(Math.random() * 60));
    database.child.kill('SIGSTOP');
    const pausedAt = Date.now();
    smtp.held = undefined;
    release();
    await smtp.waitFor((m) => m.messageId === messageIdFor(sentKey), 30_000);

    // Paused: pages answer 503 within the bound, in the visitor's language (the account's cannot be
    // read: the default, Vietnamese), and the app stays up.
    const [queue, readyz] = await Promise.all([timed(hr.get('/cases')), timed(fetch(`${app.url}/readyz`, { signal: AbortSignal.timeout(120_000) }))]);
    const inFlightDone = await inFlight;
    const errors = () => app!.output().split('\n').filter((l) => l.includes('"level":50')).join('\n').slice(-3000);
    expect(queue.value.status, errors()).to.equal(503);
    expect(queue.value.text).to.include('Cơ sở dữ liệu hiện không phản hồi');
    expect(queue.ms, 'the queue page while paused').to.be.below(BOUND_MS);
    expect(readyz.value.status).to.equal(503);
    expect(readyz.ms, '/readyz while paused').to.be.below(BOUND_MS);
    expect([303, 503], 'the move in flight').to.include(inFlightDone.value.status);
    expect(inFlightDone.ms, 'the move in flight').to.be.below(BOUND_MS);
    // Once the driver knows the server is not answering: one server selection.
    const again = await timed(hr.get(`/cases/${moving}`));
    expect(again.value.status).to.equal(503);
    expect(again.ms, 'a page once the pause is known').to.be.below(SERVER_SELECTION_MS + 10_000);
    const health = await timed(fetch(`${app.url}/healthz`, { signal: AbortSignal.timeout(10_000) }));
    expect(health.value.status).to.equal(200);
    expect(app.child.exitCode, 'the app stays up').to.equal(null);
    const pausedMs = Date.now() - pausedAt;

    // Resumed: the same session, no sign-in.
    database.child.kill('SIGCONT');
    await until('the queue served again', 60_000, async () => (await hr.get('/cases')).status === 200);

    // The move in flight happened once or not at all; its stale form is refused either way.
    const afterPause = await caseOf(moving);
    const moves = (afterPause.history as Array<{ action?: string }>).filter((h) => h.action === 'start_screening');
    const happened = afterPause.stage === 'screening';
    if (happened) {
      expect(moves, 'one history event').to.have.length(1);
      expect(afterPause.version).to.equal(movingVersion + 1);
      expectedKeys.push(`${moving}.${movingVersion + 1}.screening_started`);
    } else {
      expect(afterPause.stage).to.equal('submitted');
      expect(moves, 'no history event').to.have.length(0);
      expect(afterPause.version).to.equal(movingVersion);
      expect(afterPause.outbox ?? [], 'no e-mail queued').to.have.length(0);
    }
    const stale = await move(moving, movingPage);
    if (happened) expect(stale.status, 'the stale form of a move that happened').to.not.equal(303);
    else {
      expect(stale.status, 'the move taken again').to.equal(303);
      expectedKeys.push(`${moving}.${movingVersion + 1}.screening_started`);
    }

    // Every e-mail owed arrives exactly once, the one sent during the pause included.
    const outboxOf = async () => [...((await caseOf(sending)).outbox as OutboxRow[]), ...((await caseOf(moving)).outbox as OutboxRow[])];
    await until('every e-mail settled', 60_000, async () => (await outboxOf()).every((i) => i.status !== 'pending'));
    await sleep(3000); // a duplicate, if any, would arrive now
    const items = await outboxOf();
    expect(items.map((i) => i.key).sort()).to.deep.equal([...expectedKeys].sort());
    for (const i of items) expect(i.status, i.key).to.equal('sent');
    const received = new Map<string, number>();
    for (const m of smtp.messages) received.set(m.messageId, (received.get(m.messageId) ?? 0) + 1);
    expect([...received.keys()].sort(), 'the e-mails received').to.deep.equal(expectedKeys.map(messageIdFor).sort());
    const duplicated = [...received.values()].filter((n) => n > 1).length;
    expect(duplicated, 'e-mails received twice').to.equal(0);
    // The mail log agrees (its row for the e-mail sent during the pause was written when the database answered again).
    const logRows = await direct.db().collection('mail_log').find({ source: 'case', key: { $in: expectedKeys } }).toArray();
    expect(logRows.map((r) => `${String(r.key)} ${String(r.status)}`).sort()).to.deep.equal(expectedKeys.map((k) => `${k} sent`).sort());
    // The dispatcher kept the "sent" it could not write during the pause, and wrote it after.
    expect(app.output()).to.match(/"key":"[^"]+\.screening_started","tries":\d+,"msg":"outbox: sent e-mail recorded once the database answered"/);
    expect(app.output()).not.to.match(/"msg":"unhandled error"/);
    expect(app.child.exitCode).to.equal(null);

    process.stdout.write(
      `      drill figures: paused ${(pausedMs / 1000).toFixed(1)} s; while paused the queue answered 503 in ${queue.ms} ms, /readyz 503 in ${readyz.ms} ms, ` +
        `the move in flight ${inFlightDone.value.status} in ${inFlightDone.ms} ms (${happened ? 'happened once' : 'not taken, taken once on retry'}), ` +
        `a page once the pause was known 503 in ${again.ms} ms (bound ${BOUND_MS} ms); ${expectedKeys.length} e-mails owed, ${received.size} received, ${duplicated} twice\n`,
    );
  });
});
