// `npm start`: validate config, open the database (embedded when MONGODB_URI is unset), start the
// background services and the web processes (server/web-workers.ts; with WEB_WORKERS=0 this
// process serves the pages itself), and shut all of it down cleanly on SIGTERM/SIGINT.
import cluster from 'node:cluster';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { listeningOn, loadConfigOrExit } from './config.ts';
import { createLogger } from './logger.ts';
import { openDatabase } from './db/index.ts';
import { keyringFor } from './crypto/keyring.ts';
import { sealPlainSecrets } from './crypto/sealed-fields.ts';
import { startReclaimer } from '../embedded-mongo/src/reclaim.ts';
import { interruptedRestore } from './backup/restore-marker.ts';
import { startWebWorkers, type WebWorkerSetup } from './web-workers.ts';

/** The app's modules, loaded while the embedded database reads its data on its own thread. */
async function loadApp() {
  const [mailer, services, user, calendar, summaries, searchTerms, deadlines, targets, withheld, bilingual, auditCase, documentsToCheck, decisionLines] = await Promise.all([
    import('./mail/mailer.ts'),
    import('./services.ts'),
    import('../models/user.ts'),
    import('./calendar/index.ts'),
    import('./dashboard/backfill.ts'),
    import('./cases/search-backfill.ts'),
    import('./cases/deadline-backfill.ts'),
    import('./procedures/target-backfill.ts'),
    import('./procedures/withheld-target-backfill.ts'),
    import('./calls/bilingual-backfill.ts'),
    import('./audit/backfill-case.ts'),
    import('./documents/to-check.ts'),
    import('./documents/timeline-backfill.ts'),
    import('./background.ts'),
    import('../models/all.ts'), // every model, so that the start syncs every model's indexes
  ]);
  return {
    createMailer: mailer.createMailer,
    startServices: services.startServices,
    User: user.User,
    seedHolidays: calendar.seedHolidays,
    backfillCaseSummaries: summaries.backfillCaseSummaries,
    backfillSearchTerms: searchTerms.backfillSearchTerms,
    backfillNextDeadlines: deadlines.backfillNextDeadlines,
    backfillLodgingTargets: targets.backfillLodgingTargets,
    backfillWithheldTargets: withheld.backfillWithheldTargets,
    backfillBilingualTexts: bilingual.backfillBilingualTexts,
    backfillAuditCase: auditCase.backfillAuditCase,
    backfillDocumentsToCheck: documentsToCheck.backfillDocumentsToCheck,
    recountChangedSinceRepair: documentsToCheck.recountChangedSinceRepair,
    backfillDecisionLines: decisionLines.backfillDecisionLines,
  };
}

/** The web server's modules (Express, the routes, the views), for this process when it serves the pages itself. */
async function loadWebServer() {
  const [http, inFlight] = await Promise.all([import('./http/app.ts'), import('./http/in-flight.ts')]);
  return { createApp: http.createApp, inFlightRequests: inFlight.inFlightRequests, stopServing: inFlight.stopServing };
}

/** Wait after listening before the start-time backfills run. */
const BACKFILL_DELAY_MS = 5_000;

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config.logLevel);
  // Never on folders a restore did not finish (part of the backup's files, no or half a database).
  const unfinished = await interruptedRestore(config);
  if (unfinished) {
    logger.error({ dataDir: config.dataDir, uploadDir: config.upload.dir }, 'a restore did not finish: not starting');
    process.stderr.write(`Failed to start: ${unfinished}\n`);
    process.exit(2);
  }
  // A signal during start-up (a web process may already answer /readyz) stops the app cleanly once
  // it has started; a second one ends it at once.
  let stopRequested: string | undefined;
  let shutdown: ((signal: string) => Promise<void>) | undefined;
  const onSignal = (signal: string) => {
    if (shutdown) void shutdown(signal);
    else if (stopRequested) process.exit(1);
    else {
      stopRequested = signal;
      logger.info({ signal }, 'stopping once started (send it again to stop now)');
    }
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
  const loading = loadApp();
  loading.catch(() => undefined); // a failure is reported where it is awaited, not as an unhandled rejection
  // With web processes, this one never serves a page: it does not load the web server at all.
  const loadingWebServer = config.webWorkers > 0 ? undefined : loadWebServer();
  loadingWebServer?.catch(() => undefined);
  // The web processes load their code while the database opens here; they connect once it is open.
  let setupDone!: (setup: WebWorkerSetup) => void;
  let setupFailed!: (err: unknown) => void;
  const setup = new Promise<WebWorkerSetup>((resolve, reject) => ((setupDone = resolve), (setupFailed = reject)));
  setup.catch(() => undefined);
  // The background services start once the database is open; a web process that dies before has served nothing.
  let services: ReturnType<Awaited<typeof loading>['startServices']> | undefined;
  const workers = config.webWorkers > 0 ? startWebWorkers({ count: config.webWorkers, setup, logger, onDeath: () => services?.webProcessDied() }) : undefined;
  let db: Awaited<ReturnType<typeof openDatabase>>;
  try {
    // The indexes only reads need are built once the pages are served (below).
    db = await openDatabase(config, logger, { modelsLoaded: loading, indexesAfterReady: true });
  } catch (err) {
    setupFailed(err);
    await workers?.stop(5_000);
    throw err;
  }
  const { createMailer, startServices, User, seedHolidays, backfillCaseSummaries, backfillSearchTerms, backfillNextDeadlines, backfillLodgingTargets, backfillWithheldTargets, backfillBilingualTexts, backfillAuditCase, backfillDocumentsToCheck, recountChangedSinceRepair, backfillDecisionLines } = await loading;
  // Secrets stored in plain text by an earlier version (or a bulk import) are encrypted before anything reads them.
  const keyring = keyringFor(config);
  for (const r of await sealPlainSecrets(db.connection.db!, keyring)) {
    if (r.changed) logger.warn({ field: r.field, count: r.changed }, 'secrets found in plain text were encrypted');
  }
  logger.info({ keySource: keyring.source, keyId: keyring.current().id }, 'data-encryption key loaded');
  await seedHolidays(); // Vietnam's public holidays for the working-day calendar (idempotent)
  const mailer = createMailer({ smtpUrl: config.smtpUrl, mailDir: config.mailDir, from: config.mailFrom, timeoutMs: config.smtpTimeoutMs });
  const deps = { config, logger, db, mailer, now: () => new Date() };
  services = startServices(deps);

  // The pages are served by web processes, or here with WEB_WORKERS=0.
  let port: number;
  let web: { stop(): Promise<void> };
  if (workers) {
    setupDone({ dbUri: db.uri, embedded: db.embedded, sessionSecret: config.sessionSecret });
    try {
      port = await workers.serving;
    } catch (err) {
      await services.stop();
      await db.close();
      throw err;
    }
    logger.info({ webWorkers: config.webWorkers, pids: workers.pids() }, 'web processes serving');
    web = workers;
  } else {
    const { createApp, inFlightRequests, stopServing } = await loadingWebServer!;
    const inFlight = inFlightRequests();
    const server: Server = createApp(deps, { inFlight }).listen(config.port, config.host);
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    port = (server.address() as AddressInfo).port;
    web = { stop: () => stopServing(server, inFlight, logger) };
  }
  // Backfills for cases stored before a field existed (derived dashboard figures, the queue's search
  // words and next deadline): idempotent, and later writes keep them in step. Run a few seconds after the server
  // listens: each scans every case, and on a large data set the first scan also reads the cases
  // from the snapshot; the first requests (and /readyz) should not queue behind that.
  // First, the indexes left for after ready (an upgrade's new ones, on data stored before it, read
  // every document of their collection, holding the database's thread: started at once, /readyz
  // waited behind them as long as when they were built before it) and the drops of those no schema
  // declares; failures are logged. Then the backfills, some of which read by those indexes.
  const backfills = setTimeout(() => {
    void (db.syncIndexesAfterReady?.() ?? Promise.resolve())
      .catch((err: unknown) => logger.error({ err }, 'index sync after start failed'))
      .then(runBackfills);
  }, BACKFILL_DELAY_MS);
  backfills.unref();
  function runBackfills(): void {
    void backfillCaseSummaries().then(
      (n) => n && logger.info({ cases: n }, 'case summaries backfilled'),
      (err: unknown) => logger.error({ err }, 'case summary backfill failed'),
    );
    void backfillSearchTerms().then(
      (n) => n && logger.info({ cases: n }, 'queue search words written'),
      (err: unknown) => logger.error({ err }, 'queue search words: backfill failed'),
    );
    void backfillNextDeadlines().then(
      (n) => n && logger.info({ cases: n }, 'queue next deadlines written'),
      (err: unknown) => logger.error({ err }, 'queue next deadlines: backfill failed'),
    );
    // Once per database (a counter marks it): work-permit targets still on the old default (the window's opening day).
    void backfillLodgingTargets({ app: deps }).then(
      (n) => n && logger.info({ cases: n }, 'work-permit filing targets moved to the new default'),
      (err: unknown) => logger.error({ err }, 'work-permit filing targets: backfill failed'),
    );
    // Once per database (a counter marks it): naturalisation filing targets stored before they were withheld (s36).
    void backfillWithheldTargets().then(
      (n) => n && logger.info({ cases: n }, 'withheld naturalisation filing targets cleared'),
      (err: unknown) => logger.error({ err }, 'withheld naturalisation filing targets: backfill failed'),
    );
    // Once per database (a counter marks it): calls' fields and HR offices' address and hours stored as one string become {vi, en}.
    void backfillBilingualTexts().then(
      (n) => n && logger.info({ documents: n }, 'one-language texts stored in both languages'),
      (err: unknown) => logger.error({ err }, 'one-language texts: backfill failed'),
    );
    // Once per database (a counter marks it): audit events recorded before events carried their case.
    const auditCaseDone = backfillAuditCase().then(
      (r) => r.stamped && logger.info({ events: r.stamped }, 'audit events stamped with their case'),
      (err: unknown) => logger.error({ err }, 'audit events\' case: backfill failed'),
    );
    // Once per database (a counter marks it): HR's document decisions made before they were put on
    // the case's timeline (s39) get their line. After the events' case is stamped (it reads them by
    // case; it would stamp them itself, but not a second walk beside that one).
    void auditCaseDone
      .then(() => backfillDecisionLines({ logger }))
      .then(
        (r) => {
          if (r.lines || Object.keys(r.skipped).length) logger.info({ cases: r.cases, lines: r.lines, skipped: r.skipped }, 'document decisions made before the timeline showed them: lines added');
          // Cases failed or too busy (each logged as it was left): the mark is not set, the next start does them.
          if (!r.done) logger.warn({ left: r.left }, 'document decisions\' timeline lines: cases left to the next start');
        },
        (err: unknown) => logger.error({ err }, 'document decisions\' timeline lines: backfill failed'),
      );
    // Once per database (a counter marks it): the cases' "documents to check" flag (until its
    // mark, the queue reads the waiting documents instead).
    // Then the cases whose documents were written since the last full repair: a process killed
    // between a document write and its recount (server/documents/to-check.ts) is put right now.
    void backfillDocumentsToCheck()
      .then(async (r) => {
        if (r.fixed) logger.info({ cases: r.fixed }, 'cases flagged with their documents to check');
        const recent = await recountChangedSinceRepair();
        logger.info(recent, 'documents to check: cases with documents written since the last full repair recounted');
      })
      .catch((err: unknown) => logger.error({ err }, 'documents to check: backfill failed'));
  }
  // The backfills and each background job's run read many cases; their garbage is given back once
  // the web thread is quiet (a no-op without node --expose-gc, which npm start passes).
  const reclaimer = startReclaimer({
    growthBytes: 32 * 1024 * 1024,
    budgetBytes: config.memoryBudgetBytes,
    // A quiet moment's collection is routine (debug); one forced by the memory budget says the process runs near its bound (info, as the database's).
    onReclaim: (r) => (r.reason === 'quiet' ? logger.debug(r, 'memory reclaimed in a quiet moment') : logger.info(r, 'memory reclaimed: the process was over its memory budget')),
  });
  // PORT=0: the links written from now on name the port bound (the jobs' first runs come later).
  listeningOn(config, port);
  const url = config.appUrl.replace(/:\d+$/, `:${port}`);
  const admins = await User.countDocuments({ role: 'admin' });
  const lines = [
    '',
    `  Talent Programme is running at ${url}`,
    `  Database: ${db.embedded ? `embedded (data in ${config.dataDir}/db)` : 'MONGODB_URI'}`,
    `  Mail: ${mailer.kind === 'smtp' ? 'SMTP_URL' : `written as .eml files to ${config.mailDir}`}`,
    '',
    '  How to sign in:',
    '    - applicants register at /register (the verification e-mail lands in the mail folder above);',
    admins === 0
      ? '    - no administrator yet: run `npm run create-admin -- --email you@example.org --name "Your Name"`'
      : `    - ${admins} administrator account(s) exist; sign in at ${url}/signin`,
    '    - demo data with one account of each role: `npm run seed` (prints the accounts and password).',
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');

  let shuttingDown = false;
  shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    clearTimeout(backfills);
    reclaimer?.stop();
    logger.info({ signal }, 'shutting down: no new connections, finishing in-flight requests');
    await web.stop();
    // Account e-mails a request started after answering (server/accounts/mail.ts sendInBackground).
    await (await import('./accounts/mail.ts')).settleAccountMail();
    await services.stop();
    await mailer.close();
    await db.close();
    logger.info('stopped');
    process.exit(0);
  };
  if (stopRequested) void shutdown(stopRequested);
}

(cluster.isWorker ? import('./web-workers.ts').then((w) => w.runWebWorker()) : main()).catch((err) => {
  process.stderr.write(`Failed to start: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
