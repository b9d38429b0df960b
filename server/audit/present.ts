// Page model of the audit log: each event as when, who (name and role), what (a phrase in the
// page's language; an action the app does not know is shown by its code, escaped like any text),
// on what (a link where an administrator can open it), and the reason when one was given.
import type { Context } from '../context.ts';
import { tOf } from '../context.ts';
import { translateErrors, type FieldErrorKeys } from '../http/forms.ts';
import { isSealed } from '../crypto/secrets.ts';
import { AUDIT_ACTIONS, isKnownAction, type AuditFilters, type AuditNames, type AuditRow, type AuditQueryValues, type listAuditLog } from './log.ts';

type T = ReturnType<typeof tOf>;

/**
 * A summary's text as it may be shown: a value still sealed (server/crypto/secrets.ts) is never
 * written out, whichever event it came in with; anything else that is not text is not shown.
 */
function shownText(t: T, value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  return isSealed(value) ? t('audit.hidden') : value;
}

function whatOf(t: T, e: AuditRow): string {
  if (!isKnownAction(e.action)) return t('audit.unknownAction', { code: e.action });
  const phrase = t(`audit.actions.${e.action}`);
  // A case's step names the step ("Submit", "Reject"…) as the case history does.
  const step = e.action === 'case.transition' ? (e.summary as { action?: unknown } | undefined)?.action : undefined;
  if (typeof step === 'string' && /^[a-z_]{1,40}$/.test(step)) return `${phrase} (${t('audit.step', { step: t(`workflow.actions.${step}`, { defaultValue: step }) })})`;
  return phrase;
}

/** A leader's decision taken without the panel's scores, or scoring closed by a leader (lead s35): said beside what was done, for the steering committee. */
function markOf(t: T, e: AuditRow): string | undefined {
  const s = e.summary as { blind?: unknown; closedScoring?: unknown } | undefined;
  return s?.closedScoring === true ? t('shortlists.blind.markClosed') : s?.blind === true ? t('shortlists.blind.markBlind') : undefined;
}

function targetOf(t: T, e: AuditRow, names: AuditNames): { text: string; href?: string } | undefined {
  const type = e.targetType;
  const id = e.targetId ?? '';
  if (!type) return undefined;
  switch (type) {
    case 'case': {
      const reference = names.cases.get(id);
      return { text: t('audit.targets.case', { label: reference ?? '' }).trim(), href: reference ? `/cases/${id}` : undefined };
    }
    case 'user': {
      const u = names.users.get(id);
      return { text: t('audit.targets.user', { label: u ? `${u.name} <${u.email}>` : '' }).trim(), href: u ? `/admin/users?q=${encodeURIComponent(u.email)}` : undefined };
    }
    case 'call': {
      const code = names.calls.get(id);
      return { text: t('audit.targets.call', { label: code ?? '' }).trim(), href: code !== undefined ? `/admin/calls/${id}` : undefined };
    }
    case 'institute': {
      const code = names.institutes.get(id);
      return { text: t('audit.targets.institute', { label: code ?? '' }).trim(), href: code !== undefined ? `/admin/institutes/${id}` : undefined };
    }
    case 'email_template': {
      // "<template>:<locale>", the editor's own address.
      const m = /^([a-z0-9_]{1,60}):(vi|en)$/.exec(id);
      return { text: t('audit.targets.email_template', { label: m ? `${t(`workflow.templates.${m[1]}`, { defaultValue: m[1] })} (${m[2]})` : '' }).trim(), href: m ? `/admin/email-templates/${m[1]}/${m[2]}` : undefined };
    }
    case 'holiday':
    case 'document':
    case 'report':
    case 'deadline_recount':
      return { text: t(`audit.targets.${type}`, { label: '' }).trim() };
    default:
      return { text: t('audit.targets.other', { type, label: '' }).trim() };
  }
}

function row(t: T, e: AuditRow, names: AuditNames) {
  const actor = e.actor ? names.users.get(String(e.actor)) : undefined;
  const role = e.actorRole ?? actor?.role;
  return {
    id: String(e._id),
    at: e.at,
    action: e.action,
    who: e.actor ? (actor?.name ?? t('audit.removedAccount')) : t('audit.system'),
    whoEmail: actor?.email,
    role: role ? t(`accounts.roles.${role}`, { defaultValue: role }) : undefined,
    what: [whatOf(t, e), markOf(t, e)].filter(Boolean).join(' '),
    target: targetOf(t, e, names),
    reason: shownText(t, (e.summary as { reason?: unknown } | undefined)?.reason),
  };
}

export function presentAuditLog(
  ctx: Context,
  input: { listing?: Awaited<ReturnType<typeof listAuditLog>>; names?: AuditNames; filters?: AuditFilters; values: AuditQueryValues; errors?: FieldErrorKeys },
) {
  const t = tOf(ctx);
  const { listing, names } = input;
  const query = (extra: Record<string, string>) => {
    const q = new URLSearchParams();
    for (const k of ['actor', 'action', 'reference', 'from', 'to'] as const) if (input.filters?.[k]) q.set(k, String(input.filters[k]));
    for (const [k, v] of Object.entries(extra)) q.set(k, v);
    const s = q.toString();
    return `/admin/audit${s ? `?${s}` : ''}`;
  };
  const errors = translateErrors(t, input.errors);
  return {
    title: t('audit.title'),
    values: input.values,
    errors,
    // The summary above the form (partials/form-errors), each field's own message beside it.
    formErrorsText: errors ? t('audit.errors.badFilter') : undefined,
    actions: AUDIT_ACTIONS.map((a) => ({ value: a, label: t(`audit.actions.${a}`), selected: a === input.values.action })).sort((a, b) => a.label.localeCompare(b.label, ctx.locale)),
    rows: listing && names ? listing.rows.map((e) => row(t, e, names)) : [],
    listed: !!listing,
    nextUrl: listing?.next ? query({ before: listing.next }) : undefined,
    firstUrl: listing && !listing.first ? query({}) : undefined,
  };
}
