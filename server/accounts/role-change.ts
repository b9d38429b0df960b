// An administrator changes a staff member's role or institute, with a reason, in two steps: the
// change is checked and shown for confirmation (planRoleChange), then checked again and written
// (changeUserRole). Never one's own role (someone else must), never an applicant's, never the last
// administrator who can sign in, never a change to what already is, never from a stale form. The
// write ends the account's sessions (the new permissions apply from their next request) and its
// calendar feed (made for the old caseload; they make a new one knowingly), takes them off the
// evaluation panels they can no longer sit on and carries the change's audit event with its reason
// (recorded once the rest is done: pending-audit.ts); then the open cases they can no longer work on
// go back to the queue, and the person is e-mailed (after the answer: mail.ts).
import { Types } from 'mongoose';
import { actorOf, type Context } from '../context.ts';
import { User, type Role, type UserDoc } from '../../models/user.ts';
import { Institute } from '../../models/institute.ts';
import { ConflictError, ForbiddenError } from '../errors.ts';
import { authorize, sameId } from '../policies/index.ts';
import { pendingAudit } from '../audit/index.ts';
import { settleAccountAudit } from './pending-audit.ts';
import type { FieldErrorKeys, FormResult } from '../http/forms.ts';
import { END_SESSIONS, findUser } from './service.ts';
import { logOwedMail, roleChangedMail, type MailDeps, type OwedMail } from './mail.ts';
import { panelSeatsLost } from '../evaluations/panel.ts';
import { countCasesLeaving, returnCasesToQueue, type CasesLeaving } from '../cases/commands.ts';
import { END_FEED, hasFeed } from '../calendar-feed/service.ts';
import { DECISION_REASON_MAX, DECISION_REASON_MIN } from './forms.ts';
import { isId } from '../support/object-id.js';

export type StaffRole = Exclude<Role, 'applicant'>;

/** The reason in the administrator's words (forms.ts decisionReason). */
export const ROLE_CHANGE_REASON_MIN = DECISION_REASON_MIN;
export const ROLE_CHANGE_REASON_MAX = DECISION_REASON_MAX;

/** Where a staff member stands: role, institute (HR officers and leaders only), HR lead of it. */
export interface Placement {
  role: Role;
  institute?: string;
  isHrLead: boolean;
}

/** The new role, institute and HR-lead box, and the reason, as the form's schema gives them. */
export interface RoleChangeFields {
  role: StaffRole;
  institute?: string;
  isHrLead: boolean;
  reason: string;
}

/** What was sent: the form as its schema read it, and the version of the account it was built on. */
export interface RoleChangeRequest {
  form: FormResult<RoleChangeFields>;
  /** The account's updatedAt (ms) when the form was built: anything written to it since makes the form stale. */
  seen: number;
}

/** The account as the form and the confirmation show it. */
export interface RoleChangeSubject {
  id: string;
  name: string;
  email: string;
  locale: string;
  placement: Placement;
  seen: number;
}

export interface RoleChangePlan {
  before: Placement;
  after: Placement;
  /** Open cases assigned to them that they could no longer work on: back to the queue on confirming. */
  casesToQueue: number;
  /** Evaluation panels they sit on that they could no longer sit on: left on confirming (their scorecards stay). */
  panelsToLeave: number;
}

/** A change the form can fix: shown again with these errors, beside the account as it is. */
export type RoleChangeRefused = { ok: false; subject: RoleChangeSubject; errors: FieldErrorKeys };

const placementOf = (u: UserDoc): Placement => ({ role: u.role, institute: u.institute ? String(u.institute) : undefined, isHrLead: !!u.isHrLead });
/** The version a form about the account carries (its updatedAt in ms): any write to the account makes it stale. */
export const seenOf = (u: UserDoc): number => (u.updatedAt instanceof Date ? u.updatedAt.getTime() : 0);
const samePlacement = (a: Placement, b: Placement) => a.role === b.role && (a.institute ?? '') === (b.institute ?? '') && a.isHrLead === b.isHrLead;

function subjectOf(u: UserDoc): RoleChangeSubject {
  return { id: String(u._id), name: u.name, email: u.email, locale: u.locale ?? 'vi', placement: placementOf(u), seen: seenOf(u) };
}

/** The update that puts an account at a placement (an administrator has no institute); `unset`: more fields to remove in the same write. */
function placementUpdate(p: Placement, unset: Record<string, 1> = {}) {
  const $set = { role: p.role, isHrLead: p.isHrLead, ...(p.institute ? { institute: new Types.ObjectId(p.institute) } : {}) };
  const $unset = { ...unset, ...(p.institute ? {} : { institute: 1 as const }) };
  return Object.keys($unset).length ? { $set, $unset } : { $set };
}

/** The account, for a page about changing its role (administrators see every account): the form shown again after a refusal. */
export async function roleChangeSubject(opts: { ctx: Context; userId: string }): Promise<RoleChangeSubject> {
  const user = await findUser({ userId: opts.userId });
  authorize(actorOf(opts.ctx), 'user.view', user);
  return subjectOf(user);
}

/** Refused with the reason in words: one's own role, or an applicant's. */
function authorizeRoleChange(ctx: Context, user: UserDoc): void {
  const actor = actorOf(ctx);
  authorize(actor, 'user.changeRole', user, sameId(actor._id, user._id) ? 'accounts.roleChange.cannotChangeSelf' : 'accounts.roleChange.notStaff');
}

/** The account, for its role-change form: only when the actor may change its role. */
export async function roleChangeForm(opts: { ctx: Context; userId: string }): Promise<RoleChangeSubject> {
  const user = await findUser({ userId: opts.userId });
  authorizeRoleChange(opts.ctx, user);
  return subjectOf(user);
}

/**
 * Is there an administrator other than this account who can still sign in (enabled, invitation
 * accepted)? An administrator still invited is not counted: their link may expire, and only an
 * administrator can send a new one.
 */
export async function otherAdministrator(userId: unknown): Promise<boolean> {
  return !!(await User.exists({ _id: { $ne: userId }, role: 'admin', disabledAt: null, passwordHash: { $exists: true } }));
}

/**
 * The open cases assigned to this person that they could no longer open after the change: every
 * one unless they stay an HR officer, else those of other institutes than their new one.
 */
function casesLeavingThem(user: UserDoc, after: Placement): CasesLeaving {
  return { assignee: user._id, keepInstitute: after.role === 'hr_officer' ? after.institute : undefined };
}

/** The calls whose panel they leave with this change (server/evaluations/panel.ts). */
const panelsLeavingThem = (user: UserDoc, before: Placement, after: Placement) => panelSeatsLost({ panelCalls: [...(user.panelCalls ?? [])], before, after });

type Checked = { ok: true; before: Placement; after: Placement; reason: string } | RoleChangeRefused;

/**
 * Every rule, on the account as read now, in the order an administrator would fix them: whose role
 * it is and a stale form (thrown: the form cannot fix them), then what was typed, then the change
 * itself (field errors).
 */
async function check(ctx: Context, user: UserDoc, request: RoleChangeRequest): Promise<Checked> {
  authorizeRoleChange(ctx, user);
  if (seenOf(user) !== request.seen) throw new ConflictError('accounts.roleChange.stale');
  const refused = (errors: FieldErrorKeys): RoleChangeRefused => ({ ok: false, subject: subjectOf(user), errors });
  if (!request.form.ok) return refused(request.form.errors);
  const input = request.form.data;
  const after: Placement = { role: input.role, isHrLead: input.role === 'hr_officer' && input.isHrLead };
  if (input.role === 'hr_officer' || input.role === 'leader') {
    const institute = input.institute && isId(input.institute) ? await Institute.exists({ _id: input.institute }) : null;
    if (!institute) return refused({ institute: 'accounts.errors.instituteRequired' });
    after.institute = String(institute._id);
  }
  const before = placementOf(user);
  if (samePlacement(before, after)) return refused({ role: 'accounts.roleChange.errors.unchanged' });
  if (before.role === 'admin' && after.role !== 'admin' && !(await otherAdministrator(user._id))) throw new ForbiddenError('accounts.roleChange.lastAdmin');
  return { ok: true, before, after, reason: input.reason };
}

/** Step 1: the change checked, with what it will do (the open cases going back to the queue, the panels left); nothing is written. */
export async function planRoleChange(opts: { ctx: Context; userId: string } & RoleChangeRequest): Promise<{ ok: true; subject: RoleChangeSubject; plan: RoleChangePlan; reason: string } | RoleChangeRefused> {
  const user = await findUser({ userId: opts.userId });
  const checked = await check(opts.ctx, user, opts);
  if (!checked.ok) return checked;
  const [casesToQueue, panels] = await Promise.all([countCasesLeaving(casesLeavingThem(user, checked.after)), panelsLeavingThem(user, checked.before, checked.after)]);
  return { ok: true, subject: subjectOf(user), plan: { before: checked.before, after: checked.after, casesToQueue, panelsToLeave: panels.length }, reason: checked.reason };
}

/**
 * Step 2: the change, written only if the account is still as the form saw it (its updatedAt: any
 * write since, by another administrator or by the person, makes the form stale and nothing is
 * changed). `owed`: the e-mail telling them, written with the change, for the route to send after its answer.
 */
export async function changeUserRole(opts: { app: MailDeps; ctx: Context; userId: string } & RoleChangeRequest): Promise<{ ok: true; subject: RoleChangeSubject; plan: RoleChangePlan; owed: OwedMail } | RoleChangeRefused> {
  const { ctx } = opts;
  const user = await findUser({ userId: opts.userId });
  const checked = await check(ctx, user, opts);
  if (!checked.ok) return checked;
  const { before, after } = checked;
  // The panel seats go in the same write as the new placement, so there is never a moment when
  // they are placed elsewhere and still on the old panels (a seat opens its call's shortlist and
  // cases whatever the institute). The seats were read with the account: a seat given since then
  // changed its updatedAt, and the write below then changes nothing (a stale form).
  const panelsLeft = await panelsLeavingThem(user, before, after);
  const leavePanels = panelsLeft.length ? { $pull: { panelCalls: { $in: panelsLeft } } } : {};
  // The account as read is the account the write changes (it is conditional on its updatedAt).
  const calendarFeedEnded = hasFeed(user);
  // The audit event, with the reason and what changed, goes in the same write (pending-audit.ts):
  // a process that dies before it is recorded below leaves it for the repair, not an unaudited change.
  const audit = pendingAudit(ctx, {
    action: 'user.role_changed',
    summary: { before, after, reason: checked.reason, panelsToLeave: panelsLeft.length, panelCallsLeft: panelsLeft.map(String), ...(calendarFeedEnded ? { calendarFeedEnded } : {}) },
  });
  // The e-mail telling them, too, so that a crash leaves it to the repair, not unsent.
  const mail = await roleChangedMail({ app: opts.app, ctx, user, before, after, panelsLeft: panelsLeft.length, calendarFeedEnded });
  const placed = placementUpdate(after, END_FEED);
  const updated = (await User.findOneAndUpdate(
    { _id: user._id, updatedAt: user.updatedAt ?? { $exists: false } },
    { ...placed, $set: { ...placed.$set, pendingAudit: audit }, $push: { pendingMails: mail }, ...leavePanels, $inc: END_SESSIONS },
    { returnDocument: 'after' },
  )) as UserDoc | null;
  if (!updated) throw new ConflictError('accounts.roleChange.stale');
  // Two administrators demoting each other at the same moment both passed the check above; the
  // one who looks last finds no administrator left and puts this account back (there is no
  // transaction to make the check and the write one), with no event to record. Their sessions
  // ended: signing in again is safe.
  if (before.role === 'admin' && after.role !== 'admin' && !(await otherAdministrator(user._id))) {
    await User.updateOne(
      { _id: user._id, role: after.role },
      { ...placementUpdate(before, { pendingAudit: 1 }), $pull: { pendingMails: { key: mail.key } }, ...(panelsLeft.length ? { $addToSet: { panelCalls: { $each: panelsLeft } } } : {}) },
    );
    throw new ForbiddenError('accounts.roleChange.lastAdmin');
  }
  // The cases they can no longer open go back to the queue, unassigned, rather than refusing the
  // change until someone reassigns them: bulk assignment (server/cases/commands.ts bulkAssign)
  // takes cases an officer picks in one institute's queue, so refusing would send the administrator
  // there first, and a case assigned to them between that and this write would still keep an owner
  // who cannot open it. A crash before this line leaves them assigned: the repair job returns them
  // (server/cases/stranded.ts), and the other one records the change's event (pending-audit.ts).
  const casesToQueue = await returnCasesToQueue({ ctx, ...casesLeavingThem(user, after), reason: 'role_changed', name: user.name });
  const plan: RoleChangePlan = { before, after, casesToQueue, panelsToLeave: panelsLeft.length };
  await settleAccountAudit({ userId: user._id, pending: audit, more: { casesToQueue } });
  await logOwedMail(opts.app, mail);
  return { ok: true, subject: subjectOf(updated), plan, owed: { userId: user._id, mail, now: ctx.now } };
}
