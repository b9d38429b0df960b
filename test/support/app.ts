// Builds the real app for a test: real database (test/support/mongo.ts), real SMTP server in the
// process, real HTTP. Mongoose has one connection per test process; each test file works on its
// own data (unique e-mails, or resetDatabase()).
import http from 'node:http';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import mongoose from 'mongoose';
import type { Express } from 'express';
import { loadConfig, type Config } from '../../server/config.ts';
import { createLogger } from '../../server/logger.ts';
import { createMailer, type Mailer } from '../../server/mail/mailer.ts';
import { createApp } from '../../server/http/app.ts';
import type { AppContext } from '../../server/deps.ts';
import type { Database } from '../../server/db/index.ts';
import { testMongoUri } from './mongo.ts';
import { startTestSmtp, type TestSmtp } from './smtp.ts';
import { TEST_DATA_ENCRYPTION_KEY } from './keys.ts';
import { forgetKeptReads } from '../../server/support/kept-reads.ts';

let connecting: Promise<Database> | undefined;

export function testDatabase(): Promise<Database> {
  connecting ??= (async () => {
    mongoose.set('strictQuery', true);
    const uri = await testMongoUri('app');
    await mongoose.connect(uri, { serverSelectionTimeoutMS: 10_000 });
    await mongoose.syncIndexes();
    const db: Database = {
      connection: mongoose.connection,
      uri,
      embedded: false,
      async ping() {
        try {
          await mongoose.connection.db!.admin().command({ ping: 1 });
          return true;
        } catch {
          return false;
        }
      },
      async close() {},
    };
    return db;
  })();
  return connecting;
}

/** Empties every collection (indexes stay), for test files that need a known state. */
export async function resetDatabase(): Promise<void> {
  const db = await testDatabase();
  const collections = await db.connection.db!.listCollections({}, { nameOnly: true }).toArray();
  await Promise.all(collections.filter((c) => !c.name.startsWith('system.')).map((c) => db.connection.db!.collection(c.name).deleteMany({})));
  forgetKeptReads(); // emptied behind the models' backs
}

export interface TestApp {
  app: Express;
  ctx: AppContext;
  config: Config;
  smtp: TestSmtp;
  mailer: Mailer;
  /** Base URL of the app listening on an ephemeral port (for browser tests and links in e-mails). */
  baseUrl: string;
  close(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string>;
  now?: () => Date;
  smtp?: TestSmtp;
  config?: Partial<Config>;
}

export async function startTestApp(opts: TestAppOptions = {}): Promise<TestApp> {
  const db = await testDatabase();
  const smtp = opts.smtp ?? (await startTestSmtp());
  // Listen first so links in e-mails carry the real port.
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const config = loadConfig(
    {
      NODE_ENV: 'test',
      PORT: String(port),
      APP_URL: `http://127.0.0.1:${port}`,
      SESSION_SECRET: 'test-session-secret-that-is-long-enough-1234',
      SMTP_URL: smtp.url,
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      DATA_DIR: 'data/test',
      UPLOAD_DIR: 'data/test/uploads',
      DATA_ENCRYPTION_KEY: TEST_DATA_ENCRYPTION_KEY,
      // Every test file registers from 127.0.0.1 within the hour; the limit's own test sets it low.
      REGISTRATIONS_PER_IP_HOUR: '100000',
      // TEST_UPLOAD_STORAGE=gridfs runs the chosen files' uploads through GridFS (tests that look for files on disk then fail, as they should).
      ...(process.env.TEST_UPLOAD_STORAGE ? { UPLOAD_STORAGE: process.env.TEST_UPLOAD_STORAGE } : {}),
      ...opts.env,
    },
    opts.config,
  );
  const logger = createLogger(config.logLevel);
  // Long: tests hold the SMTP server (smtp.held) across slow requests; the limits hold since the mailer passes them (test/platform/mailer.test.ts).
  const mailer = createMailer({ smtpUrl: config.smtpUrl, mailDir: config.mailDir, from: config.mailFrom, timeoutMs: 30_000 });
  const app = createApp({ config, logger, db, mailer, now: opts.now });
  server.on('request', app);
  const ctx: AppContext = { config, logger, db, mailer, now: opts.now ?? (() => new Date()) };
  return {
    app,
    ctx,
    config,
    smtp,
    mailer,
    baseUrl: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await mailer.close();
      if (!opts.smtp) await smtp.stop();
    },
  };
}

/**
 * One app for the enclosing `describe`: started before its tests (given to `use`), closed after.
 * `let t!: TestApp; useTestApp((app) => (t = app));`
 */
export function useTestApp(use: (t: TestApp) => void, opts: TestAppOptions = {}): void {
  let started: TestApp | undefined;
  before(async function () {
    this.timeout(60_000);
    started = await startTestApp(opts);
    use(started);
  });
  after(async () => {
    await started?.close();
  });
}

/**
 * useTestApp with uploads of its own: a fresh folder (`data/test/uploads-<label>-<pid>`, given to
 * `use` with the app) removed after, and no hourly upload allowance in the way.
 */
export function useUploadTestApp(label: string, use: (t: TestApp, uploadDir: string) => void, env: Record<string, string> = {}): void {
  const uploadDir = path.resolve(`data/test/uploads-${label}-${process.pid}`);
  before(async () => {
    await rm(uploadDir, { recursive: true, force: true });
  });
  useTestApp((t) => use(t, uploadDir), { env: { UPLOAD_DIR: uploadDir, UPLOAD_RATE_PER_HOUR: '1000', ...env } });
  after(async () => {
    await rm(uploadDir, { recursive: true, force: true });
  });
}
