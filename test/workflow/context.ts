// An AppContext for workflow tests without the HTTP app: real database, real in-process SMTP
// server, real mailer, and a clock the test can move.
import { loadConfig } from '../../server/config.ts';
import { createLogger } from '../../server/logger.ts';
import { createMailer } from '../../server/mail/mailer.ts';
import type { AppContext } from '../../server/deps.ts';
import { testDatabase } from '../support/app.ts';
import { startTestSmtp, type TestSmtp } from '../support/smtp.ts';
import { seedHolidays } from '../../server/calendar/index.ts';
import { systemContext, type Context } from '../../server/context.ts';
import { isLocale } from '../../server/i18n/index.ts';
import type { UserDoc } from '../../models/user.ts';

/** The Context of `actor` acting now (by the app's clock), in their own language: what a request of theirs would carry. */
export function actorContext(app: AppContext, actor: UserDoc): Context {
  return systemContext({ now: app.now(), actor, locale: isLocale(actor.locale) ? actor.locale : undefined });
}

export interface WorkflowTestContext {
  ctx: AppContext;
  smtp: TestSmtp;
  clock: { now: Date };
  close(): Promise<void>;
}

export const APP_URL = 'http://talent.test:3000';

export async function workflowContext(start = new Date('2026-03-02T02:00:00Z')): Promise<WorkflowTestContext> {
  const db = await testDatabase();
  await seedHolidays();
  const smtp = await startTestSmtp();
  const config = loadConfig({
    NODE_ENV: 'test',
    APP_URL,
    SESSION_SECRET: 'test-session-secret-that-is-long-enough-1234',
    SMTP_URL: smtp.url,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    DATA_DIR: 'data/test',
  });
  const logger = createLogger(config.logLevel);
  // Long: tests hold the SMTP server (smtp.held) across slow requests; the limits hold since the mailer passes them (test/platform/mailer.test.ts).
  const mailer = createMailer({ smtpUrl: config.smtpUrl, mailDir: config.mailDir, from: config.mailFrom, timeoutMs: 30_000 });
  const clock = { now: start };
  const ctx: AppContext = { config, logger, db, mailer, now: () => clock.now };
  return {
    ctx,
    smtp,
    clock,
    async close() {
      await mailer.close();
      await smtp.stop();
    },
  };
}
