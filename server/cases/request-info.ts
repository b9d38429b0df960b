// The information request of the case page: whether it is open now, the due date it offers, and a
// later date for an open request. The extension changes the date, not the stage (the workflow table
// writes stages): one update checked against the version the officer saw, with the applicant's e-mail
// in the case's outbox and the history event, then the audit event.
import type { Context } from '../context.ts';
import { actorOf, tOf } from '../context.ts';
import type { AppContext } from '../deps.ts';
import { Case, type CaseDoc } from '../../models/case.ts';
import { nextDueAt } from '../../models/case-deadline.ts';
import { ACTION_RULES, availableActions } from '../workflow/index.ts';
import { PAYLOADS, REQUESTABLE_DOCUMENTS } from '../workflow/transitions.ts';
import { loadCalendar, vnDateKey } from '../calendar/index.ts';
import { User } from '../../models/user.ts';
import { ValidationError, type FieldErrors } from '../errors.ts';
import { caseEmail, outboxKey } from '../outbox/item.ts';
import { caseAudit, settleCaseAudits, withPendingAudits } from './pending-audit.ts';
import { caseConflict, versionSeen } from './conflict.ts';
import { Call } from '../../models/call.ts';
import { translator } from '../i18n/index.ts';
import { deadlineLeft } from '../procedures/service.ts';

/** Working days the applicant is given to answer, unless HR chooses another date. */
export const INFO_REQUEST_DAYS = 10;

export function canRequestInfo({ ctx, caseDoc }: { ctx: Context; caseDoc: Pick<CaseDoc, 'applicant' | 'institute' | 'call' | 'stage'> }): boolean {
  return availableActions(caseDoc, ctx.actor).includes('request_info');
}

/** Who may end an open request (answered outside the portal) may also give it a later date. */
export function canExtendInfo({ ctx, caseDoc }: { ctx: Context; caseDoc: Pick<CaseDoc, 'applicant' | 'institute' | 'call' | 'stage'> }): boolean {
  return availableActions(caseDoc, ctx.actor).includes('answered_outside');
}

/**
 * The papers a request may give an upload place to, for its form: the call's checklist first (the
 * applicant knows those slots), then the general document types (a translation, a photo that the
 * checklist does not list), as a procedure's request names a slot (server/procedures/asks.ts).
 */
export async function requestableDocuments(callId: unknown): Promise<{ checklist: string[]; other: string[] }> {
  const call = await Call.findById(callId, { checklist: 1 }).lean();
  const listed = new Set((call?.checklist ?? []).map((i) => String(i.type)));
  return { checklist: REQUESTABLE_DOCUMENTS.filter((d) => listed.has(d)), other: REQUESTABLE_DOCUMENTS.filter((d) => !listed.has(d)) };
}

/** The default answer-by date ('YYYY-MM-DD' in Vietnam), INFO_REQUEST_DAYS working days from now. */
export async function defaultInfoDue({ ctx }: { ctx: Context }): Promise<string> {
  return vnDateKey((await loadCalendar()).addWorkingDays(ctx.now, INFO_REQUEST_DAYS));
}

/** The language the applicant reads their e-mails in (their account's; Vietnamese by default): the items are sent in it as typed. */
export async function applicantLocale({ caseDoc }: { caseDoc: Pick<CaseDoc, 'applicant'> }): Promise<'en' | 'vi'> {
  const applicant = await User.findById(caseDoc.applicant, { locale: 1 }).lean();
  return applicant?.locale === 'en' ? 'en' : 'vi';
}

/**
 * A double submit (a double click, the form sent from two tabs): this officer's last extension of
 * the open request set exactly this date, and it still holds. Done, without a second write or
 * e-mail, as the procedure saves and the confirm pages answer a repeat. Another officer's, or
 * another date, is a conflict: what they saw has changed.
 */
function alreadyExtended(c: CaseDoc, actorId: unknown, dueAt: Date): boolean {
  const current = c.infoRequest?.dueAt;
  const last = c.history?.findLast((h) => h.action === 'extend_info');
  if (c.stage !== 'awaiting_applicant' || !current || !last?.extension?.to || String(last.actor) !== String(actorId)) return false;
  return vnDateKey(current) === vnDateKey(dueAt) && vnDateKey(last.extension.to) === vnDateKey(current);
}

/** The extension form's fields (named apart from the other forms of the case page, which share its error summary). */
export const EXTEND_FIELDS = { dueAt: 'extendDueAt', reason: 'extendReason' } as const;

/**
 * Gives an open request a later answer date, with HR's reason (kept on the case's history, not sent):
 * the same rules as a new request's date (a working day, at least 2 working days ahead, within 3 months:
 * ACTION_RULES.request_info), and later than the date it replaces. The applicant is e-mailed the new
 * date in their language. A stale form (the case changed since the page was built) is a conflict,
 * unless it is this officer's own repeat of the date already set (alreadyExtended).
 */
export async function extendInfoRequest({ app, ctx, caseDoc, version, form }: { app: Pick<AppContext, 'config'>; ctx: Context; caseDoc: CaseDoc; version: number; form: { extendDueAt: string; extendReason: string } }): Promise<{ caseDoc: CaseDoc; mailedTo?: string; repeated?: true }> {
  const actor = actorOf(ctx);
  const t = tOf(ctx);
  const parsed = PAYLOADS.extend_info.safeParse({ dueAt: form.extendDueAt || undefined, reason: form.extendReason });
  // A page read before the start-up sweep took a lost answer's file back (its claim alone moved the version) is not stale.
  if (caseDoc.version !== versionSeen(caseDoc, version) || caseDoc.stage !== 'awaiting_applicant') {
    if (parsed.success && alreadyExtended(caseDoc, actor._id, parsed.data.dueAt)) return { caseDoc, repeated: true };
    throw await caseConflict({ ctx, caseId: caseDoc._id });
  }
  if (!parsed.success) {
    const out: FieldErrors = {};
    for (const i of parsed.error.issues) {
      const field = EXTEND_FIELDS[String(i.path[0]) as keyof typeof EXTEND_FIELDS] ?? 'form';
      if (out[field]) continue;
      out[field] = i.message === 'errors.hiddenCharacters' ? t(i.message) : field === EXTEND_FIELDS.reason ? t(`cases.requestInfo.errors.reason.${i.message === 'tooLong' ? 'tooLong' : 'required'}`, i.code === 'too_big' ? { max: Number(i.maximum) } : {}) : t(`workflow.errors.${i.message === 'required' ? 'required' : 'invalidDate'}`);
    }
    throw new ValidationError(out);
  }
  const { dueAt, reason } = parsed.data;
  const now = ctx.now;
  const calendar = await loadCalendar();
  const previous = caseDoc.infoRequest?.dueAt ?? undefined;
  const invalid = ACTION_RULES.request_info!.check!({ caseDoc, actor, now, from: 'awaiting_applicant', payload: { dueAt }, calendar });
  const due = invalid?.dueAt;
  if (due) throw new ValidationError({ [EXTEND_FIELDS.dueAt]: typeof due === 'string' ? t(due) : t(due.key, due.params ?? {}) });
  if (previous && vnDateKey(dueAt) <= vnDateKey(previous)) throw new ValidationError({ [EXTEND_FIELDS.dueAt]: t('cases.requestInfo.errors.notLater') });

  const applicant = await User.findById(caseDoc.applicant, { email: 1, locale: 1, name: 1, disabledAt: 1 }).lean();
  const call = await Call.findById(caseDoc.call, { title: 1 }).lean();
  const mail =
    applicant && !applicant.disabledAt
      ? caseEmail(
          { email: applicant.email, locale: applicant.locale },
          'info_extended',
          {
            reference: caseDoc.reference,
            caseId: String(caseDoc._id),
            link: `${app.config.appUrl}/applications/${String(caseDoc._id)}`,
            name: applicant.name,
            applicantName: caseDoc.profile?.fullName ?? '',
            callTitle: call ? { vi: call.title?.vi, en: call.title?.en } : undefined,
            items: caseDoc.infoRequest?.items ?? [],
            dueAt,
            // The working days left, counted now in the applicant's language, as a procedure's ask says them.
            dueLeft: deadlineLeft(translator(applicant.locale === 'en' ? 'en' : 'vi'), calendar, now, dueAt).text,
            previousDueAt: previous,
          },
          outboxKey(String(caseDoc._id), caseDoc.version + 1, 'info_extended'),
          now,
        )
      : undefined;
  // The request's date is the stage's deadline (as the request set it): a typed date, no count to recount.
  // The dates are kept as dates: the timelines say them in each reader's language (the applicant's too; HR's reason stays HR's).
  const history = { at: now, actor: actor._id, actorRole: actor.role, action: 'extend_info', note: reason, extension: { ...(previous ? { from: previous } : {}), to: dueAt } };
  // The audit event goes into the same update (./pending-audit.ts), with the version it makes.
  const audit = caseAudit(ctx, { at: now, action: 'case.info_extended', summary: { from: previous ? vnDateKey(previous) : null, to: vnDateKey(dueAt), version: caseDoc.version + 1, reference: caseDoc.reference } });
  const updated = await Case.findOneAndUpdate(
    { _id: caseDoc._id, stage: 'awaiting_applicant', version: caseDoc.version },
    {
      $set: { 'infoRequest.dueAt': dueAt, stageDueAt: dueAt, nextDueAt: nextDueAt({ stage: caseDoc.stage, stageDueAt: dueAt, supportTracks: caseDoc.supportTracks }) },
      $unset: { stageDueCount: '' },
      $inc: { version: 1 },
      $push: { history, ...(mail ? { outbox: mail } : {}), ...withPendingAudits([audit]) },
    },
    { returnDocument: 'after' },
  );
  if (!updated) {
    // The twin of this request (sent at the same moment) got there first with the same date.
    const fresh = await Case.findById(caseDoc._id);
    if (fresh && alreadyExtended(fresh, actor._id, dueAt)) return { caseDoc: fresh, repeated: true };
    throw await caseConflict({ ctx, caseId: caseDoc._id });
  }
  await settleCaseAudits(caseDoc._id, [audit]);
  return { caseDoc: updated, mailedTo: mail ? applicant!.email : undefined };
}
