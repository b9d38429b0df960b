// The administrators' view of e-mail delivery across cases: counts by status, the dead messages
// (given up after their last attempt), and putting one back in the queue.
import type { Context } from '../context.ts';
import { Institute } from '../../models/institute.ts';
import { Call } from '../../models/call.ts';
import { caseAudit, settleCaseAudits } from '../cases/pending-audit.ts';
import { deadMessages, outboxCounts, requeueDead } from '../outbox/index.ts';
import { logRequeued } from '../mail-log/record.ts';

/** The administration's index: how many institutes and calls, and the e-mail counts. */
export async function adminOverview() {
  const [institutes, calls, counts] = await Promise.all([Institute.countDocuments(), Call.countDocuments(), outboxCounts()]);
  return { institutes, calls, counts };
}

export async function outboxOverview() {
  const [counts, dead] = await Promise.all([outboxCounts(), deadMessages()]);
  return { counts, dead };
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
