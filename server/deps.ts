// What the app is built from (database, mailer, configuration, clock): handed to createApp, to
// routes and to background services. Transport-free, so services can take it without Express.
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';
import type { Database } from './db/index.ts';
import type { Mailer } from './mail/mailer.ts';

export interface AppDeps {
  config: Config;
  logger: Logger;
  db: Database;
  mailer: Mailer;
  /** Injectable clock for deadline and expiry logic in tests. */
  now?: () => Date;
}

export interface AppContext extends AppDeps {
  now: () => Date;
}

