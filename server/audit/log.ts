// The audit log page (administrators): AuditEvent documents newest first, filtered by who (an
// account's e-mail), what (an action), which case (its reference) and when (days in Vietnam), paged
// by a cursor (time and id of the last row shown), never by skipping rows. Each filter is one
// indexed query (models/audit-event.ts): by actor, by action, by case (events about its documents too), or by time alone; 100,000
// events and more stay one index walk of a page (test/audit/audit-log.test.ts times it).
import { z } from 'zod';
import type { Context } from '../context.ts';
import { actorOf } from '../context.ts';
import { authorize } from '../policies/index.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import { User } from '../../models/user.ts';
import { Case } from '../../models/case.ts';
import { Call } from '../../models/call.ts';
import { Institute } from '../../models/institute.ts';
import { calendarDayMessage, isoDay } from '../support/calendar-day.ts';
import { cursorPage, NEWEST_FIRST, PAGE_CURSOR } from '../support/cursor-page.ts';
import { vnEndOfDay, vnStartOfDay } from '../calendar/index.ts';
import { normalizeEmail } from '../accounts/forms.ts';
import { isIdText } from '../support/object-id.js';

export const AUDIT_PAGE_SIZE = 50;

/** Every action the app records, each with a phrase in locales/<lang>/audit.json (audit.actions.<action>); others are shown by their code. */
export const AUDIT_ACTIONS = [
  'user.registered', 'user.email_verified', 'user.invited', 'user.invitation_resent', 'user.invitation_accepted',
  'user.password_changed', 'user.password_reset', 'user.profile_updated', 'user.totp_enabled',
  'user.recovery_codes_regenerated', 'user.recovery_code_used', 'user.role_changed', 'user.disabled', 'user.enabled',
  'user.second_factor_reset', 'user.cases_returned_to_queue', 'case.create', 'case.transition', 'case.decision',
  'case.assign', 'case.bulk_assign', 'case.application_saved', 'case.note_added', 'case.message_posted',
  'case.info_extended', 'case.deadlines_recount', 'case.planned_start_changed', 'case.offer_terms_changed',
  'case.support_update', 'case.procedure_escalated', 'case.procedure_ask', 'case.procedure_ask_received',
  'case.procedure_ask_replied', 'case.procedure_ask_uploaded', 'case.target_default_backfill', 'case.withheld_target_cleared', 'document.upload',
  'document.renewal_upload', 'document.verify', 'document.download', 'document.draft_versions_removed',
  'evaluation.submit', 'evaluation.update', 'evaluation.conflict', 'call.create', 'call.update', 'panel.add', 'panel.remove',
  'institute.create', 'institute.update', 'holiday.create', 'holiday.delete', 'holiday.not_observed', 'holiday.observed_again', 'email_template.save',
  'email_template.revert', 'email_template.keep', 'email.requeue', 'queue.filter_saved', 'queue.filter_deleted', 'calendar_feed.create',
  'calendar_feed.regenerate', 'calendar_feed.revoke', 'calendar.recount_resumed', 'report.export', 'privacy.exported',
  'privacy.consent_changed', 'privacy.case_erased', 'privacy.account_erased', 'privacy.account_deleted',
] as const;
const KNOWN: ReadonlySet<string> = new Set(AUDIT_ACTIONS);
export const isKnownAction = (action: string) => KNOWN.has(action);

/** A filter as typed: a string (trimmed) or nothing; a parameter given twice (an array) is refused. */
const typed = z.unknown().optional().transform((v, ctx) => {
  if (v === undefined) return '';
  if (typeof v !== 'string') {
    ctx.addIssue({ code: 'custom', message: 'audit.errors.badFilter' });
    return z.NEVER;
  }
  return v.trim();
});

/** A day filter: typed day first (dd/mm/yyyy) or YYYY-MM-DD, read as YYYY-MM-DD (calendar-day.ts isoDay). */
const typedDay = typed.transform((v) => isoDay(v));
export const auditQueryFields = z.object({ actor: typed, action: typed, reference: typed, from: typedDay, to: typedDay, before: typed });
export type AuditQueryValues = { actor: string; action: string; reference: string; from: string; to: string };

export interface AuditFilters {
  actor?: string;
  action?: string;
  reference?: string;
  /** Calendar days (YYYY-MM-DD) in Vietnam, both included. */
  from?: string;
  to?: string;
  before?: string;
}

/** The filters checked: each bad one named (a message key per field), or the filters to list by. */
export function checkAuditFilters(v: AuditQueryValues & { before?: string }): { ok: true; filters: AuditFilters } | { ok: false; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const actor = v.actor.toLowerCase();
  if (actor && (actor.length > 254 || !z.email().safeParse(actor).success)) errors.actor = 'audit.errors.email';
  const reference = v.reference.toUpperCase();
  if (reference && !/^TA-\d{4}-\d{6}$/.test(reference)) errors.reference = 'audit.errors.reference';
  if (v.action && !KNOWN.has(v.action)) errors.action = 'audit.errors.action';
  for (const k of ['from', 'to'] as const) {
    // What is wrong with the day typed (2026-02-30: no such day), as the other date fields say it.
    const problem = v[k] ? calendarDayMessage(v[k]) : undefined;
    if (problem) errors[k] = problem;
  }
  if (!errors.from && !errors.to && v.from && v.to && v.from > v.to) errors.to = 'audit.errors.period';
  if (Object.keys(errors).length) return { ok: false, errors };
  const before = v.before && PAGE_CURSOR.test(v.before) ? v.before : undefined;
  return { ok: true, filters: { actor: actor || undefined, action: v.action || undefined, reference: reference || undefined, from: v.from || undefined, to: v.to || undefined, before } };
}

const NOTHING = { rows: [], next: undefined, first: true } as const;

/** One page of the log, newest first; `next` is the cursor of the page after. Administrators only. */
export async function listAuditLog(opts: { ctx: Context; filters: AuditFilters }) {
  authorize(actorOf(opts.ctx), 'audit.list');
  const f = opts.filters;
  const query: Record<string, unknown> = {};
  if (f.actor) {
    // An address with no account matches nothing (not an error: it may be an erased account).
    const user = await User.findOne({ email: normalizeEmail(f.actor) }, { _id: 1 }).lean();
    if (!user) return { ...NOTHING, first: !f.before };
    query.actor = user._id;
  }
  if (f.reference) {
    const found = await Case.findOne({ reference: f.reference }, { _id: 1 }).lean();
    if (!found) return { ...NOTHING, first: !f.before };
    // Every event about the case, its documents' too: `case` is stored on each when written.
    query.case = found._id;
  }
  if (f.action) query.action = f.action;
  // Days in Vietnam, both ends included, as the working-day calendar counts them (one computation of a day's start).
  const at: Record<string, Date> = {};
  if (f.from) at.$gte = vnStartOfDay(f.from);
  if (f.to) at.$lte = vnEndOfDay(vnStartOfDay(f.to));
  const and: Record<string, unknown>[] = [];
  if (Object.keys(at).length) and.push({ at });
  return cursorPage({
    before: f.before,
    size: AUDIT_PAGE_SIZE,
    read: (olderThan, limit) => {
      if (olderThan) and.push(olderThan);
      if (and.length) query.$and = and;
      return AuditEvent.find(query as never, { ip: 0 }).sort(NEWEST_FIRST).limit(limit).lean();
    },
  });
}

export type AuditRow = Awaited<ReturnType<typeof listAuditLog>>['rows'][number];

const idsOf = (rows: readonly AuditRow[], type: string) => [...new Set(rows.filter((r) => r.targetType === type && r.targetId && isIdText(r.targetId)).map((r) => r.targetId!))];

/** What a page of rows names: the actors and the cases, accounts, calls and institutes acted on (one read each). */
export async function auditNames(rows: readonly AuditRow[]) {
  const actorIds = [...new Set(rows.filter((r) => r.actor).map((r) => String(r.actor)))];
  const userIds = [...new Set([...actorIds, ...idsOf(rows, 'user')])];
  const [users, cases, calls, institutes] = await Promise.all([
    userIds.length ? User.find({ _id: { $in: userIds } }, { name: 1, email: 1, role: 1 }).lean() : [],
    idsOf(rows, 'case').length ? Case.find({ _id: { $in: idsOf(rows, 'case') } }, { reference: 1 }).lean() : [],
    idsOf(rows, 'call').length ? Call.find({ _id: { $in: idsOf(rows, 'call') } }, { code: 1 }).lean() : [],
    idsOf(rows, 'institute').length ? Institute.find({ _id: { $in: idsOf(rows, 'institute') } }, { code: 1 }).lean() : [],
  ]);
  return {
    users: new Map(users.map((u) => [String(u._id), { name: u.name, email: u.email, role: u.role }])),
    cases: new Map(cases.map((c) => [String(c._id), c.reference])),
    calls: new Map(calls.map((c) => [String(c._id), c.code ?? ''])),
    institutes: new Map(institutes.map((i) => [String(i._id), i.code ?? ''])),
  };
}
export type AuditNames = Awaited<ReturnType<typeof auditNames>>;
