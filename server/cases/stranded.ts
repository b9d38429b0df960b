// Open cases left assigned to someone who can no longer work on them go back to the queue. A role
// change (server/accounts/role-change.ts) and a disabling (server/accounts/decisions.ts) write the
// account, then return its cases with returnCasesToQueue in a second write: with no transaction, a
// process killed between the two leaves the cases with an owner who cannot open them, and nobody
// else sees them as unassigned (the change's own audit event, written with the account, is recorded
// by server/accounts/pending-audit.ts). This repair works from what is stored, not from a record
// of unfinished work, so it also catches an assignment that crossed a disabling: every open case
// whose assignee is not an enabled HR officer of the case's institute (the rule assignableOfficer in
// commands.ts applies when a case is given) is returned through returnCasesToQueue itself, with the
// same history entry (by the system), and each person whose cases went back gets an audit event.
// Safe on two instances at once, or twice: returnCasesToQueue's update matches a case only while it
// is still assigned to that person, so a case is returned (and counted, and audited) once.
import type { Types } from 'mongoose';
import { Case } from '../../models/case.ts';
import { User } from '../../models/user.ts';
import { Institute } from '../../models/institute.ts';
import { OPEN_STAGES, type UnassignReason } from '../../models/constants.ts';
import type { Context } from '../context.ts';
import type { Logger } from '../logger.ts';
import { recordAudit } from '../audit/index.ts';
import { returnCasesToQueue } from './commands.ts';

/** An institute's open cases: the filter each run's read uses (its plan is checked in test/cases/stranded.test.ts). */
export function openCasesOf(institute: Types.ObjectId) {
  return { institute, stage: { $in: OPEN_STAGES } };
}

interface Holder {
  _id: Types.ObjectId;
  name: string;
  role: string;
  institute?: Types.ObjectId | null;
  disabledAt?: Date | null;
}

/** Why the cases go back, in the words a role change or a disabling leaves in the history. */
const reasonFor = (h: Holder): UnassignReason => (h.disabledAt ? 'account_disabled' : 'role_changed');

/** The one institute whose cases they may keep: their own while they are an enabled HR officer. */
const keptInstitute = (h: Holder): string | undefined => (!h.disabledAt && h.role === 'hr_officer' && h.institute ? String(h.institute) : undefined);

export interface StrandedResult {
  /** People whose open cases went back to the queue. */
  holders: number;
  /** Cases that went back. */
  cases: number;
  /** Assignees with no account at all (nobody to name in the history): left as they are and logged. */
  unknown: string[];
}

/**
 * Returns to the queue the open cases of everyone who may no longer hold them. It runs every 10
 * minutes on 100,000 cases, so no case document comes to the app and nothing is written needlessly:
 * for each institute the database answers the distinct assignees of its open cases (a few ids, read
 * on the {institute, stage, nextDueAt} index: one institute's open cases, never the closed ones or a
 * collection scan, and one query per institute keeps each read short, so pages are served between
 * them); their accounts are read in one query; and only the cases of those who fail are updated (on
 * the {assignee, stage} index). A run that finds nothing to repair, which is nearly every run,
 * writes nothing. (Which institute a case is in is not in the {assignee, stage} index: reading the
 * assignees per institute is what answers "of another institute" without a query per officer.)
 */
export async function returnStrandedCases(opts: { ctx: Context; logger?: Logger }): Promise<StrandedResult> {
  const { ctx } = opts;
  const institutes = await Institute.find({}, { _id: 1 }).lean();
  // Who holds open cases in which institutes.
  const heldIn = new Map<string, { id: Types.ObjectId; institutes: Set<string> }>();
  for (const { _id: institute } of institutes) {
    const assignees = (await Case.distinct('assignee', openCasesOf(institute))) as Types.ObjectId[];
    for (const id of assignees) {
      if (!id) continue;
      const entry = heldIn.get(String(id)) ?? { id, institutes: new Set<string>() };
      entry.institutes.add(String(institute));
      heldIn.set(String(id), entry);
    }
  }
  const result: StrandedResult = { holders: 0, cases: 0, unknown: [] };
  if (heldIn.size === 0) return result;
  const holders = (await User.find({ _id: { $in: [...heldIn.values()].map((h) => h.id) } }, { name: 1, role: 1, institute: 1, disabledAt: 1 }).lean()) as Holder[];
  const found = new Set(holders.map((h) => String(h._id)));
  result.unknown = [...heldIn.keys()].filter((id) => !found.has(id));
  if (result.unknown.length) opts.logger?.warn({ assignees: result.unknown }, 'open cases assigned to accounts that do not exist: left as they are');
  for (const holder of holders) {
    const keep = keptInstitute(holder);
    const held = heldIn.get(String(holder._id))!.institutes;
    if (keep && held.size === 1 && held.has(keep)) continue;
    const reason = reasonFor(holder);
    const casesToQueue = await returnCasesToQueue({ ctx, assignee: holder._id, keepInstitute: keep, reason, name: holder.name });
    // Another instance's run (or the change's own request, finishing late) may have returned them first.
    if (casesToQueue === 0) continue;
    result.holders += 1;
    result.cases += casesToQueue;
    await recordAudit(ctx, {
      action: 'user.cases_returned_to_queue',
      targetType: 'user',
      targetId: String(holder._id),
      actorRole: 'system',
      summary: { reason, casesToQueue, ...(keep ? { keptInstitute: keep } : {}) },
    });
  }
  return result;
}
