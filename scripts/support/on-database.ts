// A one-off script's frame: the configuration (a bad one is said and exits 2), the database `npm
// start` uses (stop the app first with the embedded database), the work, its one-line report on
// stdout, the database closed; a failure's stack on stderr, exit 1.
import { ConfigError, loadConfig } from '../../server/config.ts';
import { createLogger } from '../../server/logger.ts';
import { openDatabase } from '../../server/db/index.ts';

export function runOnDatabase(work: () => Promise<string>): void {
  main(work).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}

async function main(work: () => Promise<string>): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    process.stderr.write(`${err instanceof ConfigError ? err.message : String(err)}\n`);
    process.exit(2);
  }
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const db = await openDatabase(config, logger);
  try {
    process.stdout.write(`${await work()}\n`);
  } finally {
    await db.close();
  }
}
