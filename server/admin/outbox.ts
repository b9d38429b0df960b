// The administrators' view of e-mail delivery across cases: counts by status, the dead messages
// (given up after their last attempt), and putting one back in the queue.
import type { Context } from '../context.ts';
import { Institute } from '../../models/institute.ts';
import { Call } from '../../models/call.ts';
import { caseAudit, settleCaseAudits } from '../cases/pending-audit.ts';
import { deadMessages, outboxCounts, requeueDead } from '../outbox/index.ts';
import { logRequeued } from '../mail-log/record.ts';
import { failedAccountMails } from '../mail-log/failures.ts';

/** The administration's index: how many institutes and calls, and the e-mail counts. */
export async function adminOverview() {
  const [institutes, calls, counts, accountFailed] = await Promise.all([Institute.countDocuments(), Call.countDocuments(), outboxCounts(), failedAccountMails()]);
  return { institutes, calls, counts, accountFailed };
}

export async function outboxOverview() {
  // Account e-mails are not in any case's outbox: their failures are counted from the mail log.
  const [counts, dead, accountFailed] = await Promise.all([outboxCounts(), deadMessages(), failedAccountMails()]);
  return { counts, dead, accountFailed };
}

/** Puts a dead message back in its case's outbox; false when there is no such dead message (any more). */
export async function requeueEmail(opts: { ctx: Context; caseId: string; key: string }): Promise<boolean> {
  const { ctx, caseId, key } = opts;
  // The audit event goes with the requeue's own update (server/cases/pending-audit.ts).
  const audit = caseAudit(ctx, { action: 'email.requeue', summary: { key } });
  if (!(await requeueDead(caseId, key, ctx.now, audit))) return false;
  await logRequeued(caseId, key, ctx.now);
  await settleCaseAudits(caseId, [audit]);
  return true;
}
