// The home page's lists for staff (the applicants' answers to check). The language switcher is
// server/http/locale.ts choosePageLanguage: it changes the pages only, never the account's language.
import { Case } from '../../models/case.ts';
import { ACTIVE_SUPPORT_STATUSES, OPEN_STAGES } from '../../models/constants.ts';
import { currentDocuments } from '../documents/index.ts';
import { askAnsweredAt, askWaitsForUpload } from '../procedures/asks.ts';
import type { Context } from '../context.ts';

/** An answer of the applicant to a procedure's request (said done, or uploaded into its slot), waiting for HR to record it received. */
export interface HomeAnswer {
  caseId: string;
  reference: string;
  fullName: string;
  kind: string;
  repliedAt: Date;
}

/** The most the home page lists (the queue's badge has them all). */
const MAX_ANSWERS = 50;

/**
 * The officer's own cases (assigned to them) where the applicant answered a procedure's request
 * (server/procedures/asks.ts: said it is done, or uploaded into the slot it names) and HR has not
 * recorded it received: latest first.
 */
export async function answersToCheck({ ctx }: { ctx: Context }): Promise<HomeAnswer[]> {
  const actor = ctx.actor;
  if (!actor || (actor.role !== 'hr_officer' && actor.role !== 'admin')) return [];
  // Said done, or naming a slot (answered if uploaded into since: the documents are read for those only).
  const open = { status: { $in: [...ACTIVE_SUPPORT_STATUSES] }, asks: { $elemMatch: { receivedAt: null, closedAt: null, $or: [{ repliedAt: { $ne: null } }, { documentType: { $exists: true, $ne: null } }] } } };
  // Within their institute too: a case of another is never theirs to see, even while still assigned
  // to them (a role change that stopped before returning their cases to the queue, server/cases/stranded.ts).
  const within = actor.role === 'hr_officer' ? { institute: actor.institute ?? null } : {};
  const cases = await Case.find({ assignee: actor._id, ...within, stage: { $in: [...OPEN_STAGES] }, supportTracks: { $elemMatch: open } }, { reference: 1, 'profile.fullName': 1, 'supportTracks.kind': 1, 'supportTracks.status': 1, 'supportTracks.asks.repliedAt': 1, 'supportTracks.asks.receivedAt': 1, 'supportTracks.asks.closedAt': 1, 'supportTracks.asks.documentType': 1, 'supportTracks.asks.askedAt': 1 })
    .limit(MAX_ANSWERS)
    .lean<Array<{ _id: unknown; reference: string; profile?: { fullName?: string | null } | null; supportTracks?: Array<{ kind: string; status: string; asks?: Array<{ repliedAt?: Date | null; receivedAt?: Date | null; closedAt?: Date | null; documentType?: string | null; askedAt?: Date | null }> | null }> | null }>>();
  const uploads = await currentDocuments(cases.filter((c) => (c.supportTracks ?? []).some((t) => (t.asks ?? []).some(askWaitsForUpload))).map((c) => c._id));
  const out: HomeAnswer[] = [];
  for (const c of cases) {
    for (const t of c.supportTracks ?? []) {
      if (!(ACTIVE_SUPPORT_STATUSES as readonly string[]).includes(t.status)) continue;
      const mine = uploads.filter((u) => String(u.case) === String(c._id));
      const replied = (t.asks ?? []).map((a) => askAnsweredAt(a, mine)?.getTime()).filter((x): x is number => typeof x === 'number');
      if (replied.length) out.push({ caseId: String(c._id), reference: c.reference, fullName: c.profile?.fullName ?? '', kind: t.kind, repliedAt: new Date(Math.max(...replied)) });
    }
  }
  return out.sort((a, b) => b.repliedAt.getTime() - a.repliedAt.getTime()).slice(0, MAX_ANSWERS);
}
