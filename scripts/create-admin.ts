// Creates the first administrator (or any further one):
//   npm run create-admin -- --email you@example.org --name "Your Name" [--locale vi|en] [--link]
// Uses the same database as `npm start` (MONGODB_URI, else the embedded database under DATA_DIR;
// stop the running app first when it uses the embedded database).
// In a terminal it asks for a password; otherwise, or with --link, it prints a one-time
// set-up link (the invitation link, valid 7 days). Either way the administrator enrols an
// authenticator app (TOTP) at first sign-in.
import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { ConfigError, loadConfig } from '../server/config.ts';
import { createLogger } from '../server/logger.ts';
import { openDatabase } from '../server/db/index.ts';
import { User } from '../models/user.ts';
import { isLocale } from '../server/i18n/index.ts';
import { hashPassword, passwordProblem, PASSWORD_MIN, PASSWORD_MAX } from '../server/accounts/passwords.ts';
import { issueToken, revokePasswordLinks } from '../server/accounts/tokens.ts';
import { z } from 'zod';

const usage = 'usage: npm run create-admin -- --email you@example.org --name "Your Name" [--locale vi|en] [--link]';

function fail(message: string, code = 2): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

/** Reads a line from the terminal without echoing it. */
function askHidden(question: string): Promise<string> {
  let muted = false;
  const output = new Writable({
    write(chunk, _enc, cb) {
      if (!muted) process.stdout.write(chunk);
      cb();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  return new Promise((resolve) => {
    rl.question(question, (answer) => {
      rl.close();
      process.stdout.write('\n');
      resolve(answer);
    });
    muted = true;
  });
}

async function askPassword(email: string): Promise<string> {
  for (;;) {
    const pw = await askHidden(`Password for ${email} (${PASSWORD_MIN}–${PASSWORD_MAX} characters): `);
    const problem = passwordProblem(pw, email);
    if (problem) {
      process.stdout.write(
        {
          tooShort: `Too short: use at least ${PASSWORD_MIN} characters.\n`,
          tooLong: `Too long: use at most ${PASSWORD_MAX} characters.\n`,
          common: 'That password is on the list of common passwords; choose another.\n',
          sameAsEmail: 'The password must not be the e-mail address.\n',
        }[problem],
      );
      continue;
    }
    const again = await askHidden('Repeat the password: ');
    if (again === pw) return pw;
    process.stdout.write('The two passwords differ; try again.\n');
  }
}

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({
      options: { email: { type: 'string' }, name: { type: 'string' }, locale: { type: 'string', default: 'vi' }, link: { type: 'boolean', default: false } },
      strict: true,
    }).values;
  } catch (err) {
    fail(`${(err as Error).message}\n${usage}`);
  }
  const email = z.email().safeParse(args.email?.trim().toLowerCase());
  if (!email.success) fail(`--email must be an e-mail address\n${usage}`);
  const name = args.name?.trim();
  if (!name || name.length > 200) fail(`--name is required (at most 200 characters)\n${usage}`);
  if (!isLocale(args.locale)) fail('--locale must be vi or en');

  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const db = await openDatabase(config, logger);
  try {
    const existing = await User.findOne({ email: email.data });
    if (existing && (existing.role !== 'admin' || existing.passwordHash)) {
      fail(`An account with ${email.data} already exists (${existing.role}${existing.passwordHash ? '' : ', invited'}). Nothing changed.`, 1);
    }
    const user =
      existing ??
      (await User.create({ email: email.data, name, role: 'admin', locale: args.locale }));

    const interactive = process.stdin.isTTY && process.stdout.isTTY && !args.link;
    if (interactive) {
      const password = await askPassword(email.data);
      await User.updateOne({ _id: user._id }, { $set: { passwordHash: await hashPassword(password), emailVerifiedAt: new Date() }, $inc: { sessionEpoch: 1 } });
      // A link printed by an earlier run without a terminal must not set another password over this one.
      await revokePasswordLinks({ userId: user._id });
      process.stdout.write(
        `\nAdministrator ${email.data} is ready. Sign in at ${config.appUrl}/signin;\n` +
          'you will then set up an authenticator app (TOTP) and receive recovery codes.\n',
      );
    } else {
      const token = await issueToken({ purpose: 'invitation', userId: user._id, now: new Date() });
      process.stdout.write(
        `Administrator ${email.data} created. Open this one-time link to choose a password (valid 7 days):\n` +
          `${config.appUrl}/invitations/${token}\n` +
          'Then set up an authenticator app (TOTP); you will receive recovery codes.\n',
      );
    }
  } finally {
    await db.close();
  }
}

main().catch((err) => {
  process.stderr.write(`create-admin failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
