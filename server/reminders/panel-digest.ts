// The panel's daily e-mail (walk s36: no e-mail told a member a case awaited their scorecard): each
// member who can score a call's cases (its institute's leaders and the named members, enabled: the
// shortlist policy's canEvaluateCall) gets one e-mail a day listing the candidates who reached the
// panel since the previous working day's and still wait for their scorecard (not scored, no conflict
// declared), each with its call, the scoring deadline and the link to the shortlist's case page, in
// the member's language. A day with nothing new sends nothing. It lists what evaluation needs only:
// the candidate's name, the case reference, the call; never contacts or anything of HR's file.
// Carried, like the overdue digest, by a case's outbox with a key carrying the member, the day and the
// institute: a member on the panels of two institutes' calls gets one e-mail for each, each carried by
// a case of that institute (its HR reads it in the mail log).
import type { Types } from 'mongoose';
import { Case } from '../../models/case.ts';
import { Call } from '../../models/call.ts';
import { User } from '../../models/user.ts';
import { Evaluation } from '../../models/evaluation.ts';
import { PanelConflict } from '../../models/panel-conflict.ts';
import { vnDateKey, vnStartOfDayOf, type WorkingCalendar } from '../calendar/index.ts';
import { caseEmail, outboxKey, type OutboxItem } from '../outbox/item.ts';
import { canEvaluateCall } from '../policies/shortlist.ts';

export const PANEL_DIGEST_TEMPLATE = 'panel_digest';
/** The e-mail lists this many candidates and counts the rest (the shortlist has them all). */
export const PANEL_DIGEST_MAX_ROWS = 30;

type NewCase = { _id: Types.ObjectId; reference: string; call: Types.ObjectId; institute: Types.ObjectId; stageDueAt?: Date | null; profile?: { fullName?: string | null } | null };

/**
 * Queues today's panel e-mails; `pushOnce` writes an item unless its case has one with the same key.
 * New: entered evaluation from the start of the previous working day to the start of today (Vietnam
 * time), so each case is announced once, the next working day, whatever hour the job runs.
 */
export async function queuePanelDigests(opts: { now: Date; calendar: WorkingCalendar; appUrl: string; pushOnce: (caseId: unknown, item: OutboxItem) => Promise<boolean>; queuedKeys: (keys: string[]) => Promise<Set<string>> }): Promise<number> {
  const { now, calendar, appUrl } = opts;
  const until = vnStartOfDayOf(now);
  const since = vnStartOfDayOf(calendar.addWorkingDays(until, -1));
  const fresh = await Case.find({ stage: 'evaluation', stageEnteredAt: { $gte: since, $lt: until } }, { reference: 1, call: 1, institute: 1, stageDueAt: 1, 'profile.fullName': 1 }).sort({ stageEnteredAt: 1, _id: 1 }).lean<NewCase[]>();
  if (fresh.length === 0) return 0;
  const calls = await Call.find({ _id: { $in: [...new Set(fresh.map((c) => String(c.call)))] } }, { title: 1, institute: 1 }).lean();
  const callIds = calls.map((c) => c._id);
  const members = await User.find(
    { disabledAt: null, role: { $in: ['leader', 'hr_officer'] }, $or: [{ panelCalls: { $in: callIds } }, { role: 'leader', institute: { $in: calls.map((c) => c.institute) } }] },
    { name: 1, email: 1, locale: 1, role: 1, institute: 1, panelCalls: 1 },
  ).lean();
  const memberIds = members.map((m) => m._id);
  const caseIds = fresh.map((c) => c._id);
  const [scored, conflicted] = await Promise.all([
    Evaluation.find({ member: { $in: memberIds }, case: { $in: caseIds } }, { member: 1, case: 1 }).lean(),
    PanelConflict.find({ member: { $in: memberIds }, case: { $in: caseIds } }, { member: 1, case: 1 }).lean(),
  ]);
  const done = new Set([...scored, ...conflicted].map((e) => `${String(e.member)}:${String(e.case)}`));
  const day = vnDateKey(now);
  const keyOf = (member: { _id: Types.ObjectId }, institute: string) => outboxKey('panel-digest', String(member._id), day, institute);
  // Each member's calls they can score, by institute: one e-mail per institute (security review s37):
  // the e-mail is carried by one of its cases, and that case's institute's HR reads it in the mail log;
  // another institute's candidates listed in it were shown to them.
  const theirs = members.map((member) => {
    const byInstitute = new Map<string, typeof calls>();
    for (const call of calls.filter((c) => canEvaluateCall(member, c))) byInstitute.set(String(call.institute), [...(byInstitute.get(String(call.institute)) ?? []), call]);
    return { member, byInstitute };
  });
  // Sent already today (the job runs hourly), on whichever case carried it: the carrier is the first
  // case still waiting, so one scored (or withdrawn, out of `fresh`) since the morning's e-mail must
  // not make a second: the keys are looked for on every case, in one read (drills s37).
  const sentToday = await opts.queuedKeys(theirs.flatMap(({ member, byInstitute }) => [...byInstitute.keys()].map((i) => keyOf(member, i))));
  let queued = 0;
  for (const { member, byInstitute } of theirs) {
    for (const [institute, ofInstitute] of byInstitute) if (await queueFor(member, ofInstitute, institute)) queued += 1;
  }
  return queued;

  async function queueFor(member: (typeof members)[number], theirs: typeof calls, institute: string): Promise<boolean> {
    const ofTheirCalls = fresh.filter((c) => theirs.some((call) => call._id.equals(c.call)));
    const list = ofTheirCalls.filter((c) => !done.has(`${String(member._id)}:${String(c._id)}`));
    if (list.length === 0) return false;
    const key = keyOf(member, institute);
    if (sentToday.has(key)) return false;
    const memberCalls = [...new Set([...theirs.map((c) => String(c._id)), ...(member.panelCalls ?? []).map(String)])];
    // The others still waiting for them, from earlier days (a count: they were listed then), of this institute's calls.
    const [scoredBefore, conflictedBefore] = await Promise.all([Evaluation.distinct('case', { member: member._id, call: { $in: memberCalls } }), PanelConflict.distinct('case', { member: member._id, call: { $in: memberCalls } })]);
    const answered = [...scoredBefore, ...conflictedBefore];
    const waiting = await Case.countDocuments({ stage: 'evaluation', call: { $in: memberCalls }, institute: theirs[0]!.institute, stageEnteredAt: { $lt: since }, _id: { $nin: answered } });
    const rows = list.slice(0, PANEL_DIGEST_MAX_ROWS).map((c) => {
      const call = calls.find((x) => x._id.equals(c.call))!;
      return { reference: c.reference, applicantName: c.profile?.fullName ?? '', callTitle: { vi: call.title?.vi, en: call.title?.en }, dueAt: c.stageDueAt ?? undefined, link: `${appUrl}/shortlists/${String(c.call)}/cases/${String(c._id)}` };
    });
    const data = { name: member.name, count: list.length, cases: rows, more: list.length - rows.length, waiting, link: `${appUrl}/shortlists` };
    return opts.pushOnce(list[0]!._id, caseEmail({ email: member.email, locale: member.locale }, PANEL_DIGEST_TEMPLATE, data, key, now));
  }
}
