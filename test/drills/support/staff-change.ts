// A drill's crash step, run as its own process on the drill's data folder while the app is stopped:
// an administrator changes a staff member's role or institute (changeUserRole) or disables them
// (disableAccount) through the real services, and the process SIGKILLs itself (its embedded database
// with it) the moment the first write to the cases is issued, that is right after the account's
// write was acknowledged and before their open cases go back to the queue. The kill point is a
// listener on Mongoose's 'operation-start' event, emitted before a command is sent: the app itself
// has no fault point. Prints one line `about to write the cases: <collection>.<method>` just before
// dying; exits 0 only if no write to the cases came (which the drill treats as a failure).
// Argument: one JSON object (StaffChange).
import { writeSync } from 'node:fs';
import mongoose from 'mongoose';
import { openDatabase } from '../../../server/db/index.ts';
import { loadConfig } from '../../../server/config.ts';
import { createLogger } from '../../../server/logger.ts';
import { createMailer } from '../../../server/mail/mailer.ts';
import { systemContext } from '../../../server/context.ts';
import { User, type UserDoc } from '../../../models/user.ts';
import { changeUserRole } from '../../../server/accounts/role-change.ts';
import { disableAccount } from '../../../server/accounts/decisions.ts';

export type StaffChange =
  | { action: 'move'; admin: string; user: string; toInstituteOf: string; reason: string }
  | { action: 'disable'; admin: string; user: string; reason: string };

const WRITES = new Set(['updateOne', 'updateMany', 'findOneAndUpdate', 'bulkWrite', 'insertOne', 'insertMany', 'replaceOne', 'deleteOne', 'deleteMany']);

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '{}') as StaffChange;
  const config = loadConfig();
  const logger = createLogger('warn');
  const db = await openDatabase(config, logger);
  const byEmail = async (email: string) => (await User.findOne({ email })) as UserDoc;
  const admin = await byEmail(spec.admin);
  const user = await byEmail(spec.user);
  mongoose.connection.on('operation-start', (op: { collectionName: string; method: string }) => {
    if (op.collectionName !== 'cases' || !WRITES.has(op.method)) return;
    writeSync(1, `about to write the cases: ${op.collectionName}.${op.method}\n`);
    process.kill(process.pid, 'SIGKILL');
  });
  const ctx = systemContext({ now: new Date(), locale: 'en', actor: admin.toObject() as never });
  const mailer = createMailer({ smtpUrl: config.smtpUrl, mailDir: config.mailDir, from: config.mailFrom, timeoutMs: 5000 });
  const app = { config, logger, mailer };
  const seen = user.updatedAt.getTime();
  if (spec.action === 'disable') {
    await disableAccount({ app, ctx, userId: String(user._id), form: { ok: true, data: { reason: spec.reason } }, seen });
  } else {
    const to = await byEmail(spec.toInstituteOf);
    const form = { ok: true as const, data: { role: 'hr_officer' as const, institute: String(to.institute), isHrLead: false, reason: spec.reason } };
    await changeUserRole({ app, ctx, userId: String(user._id), form, seen });
  }
  process.stdout.write('the change finished without writing the cases\n');
  await db.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
