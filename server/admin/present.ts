// Page models for the administration: the index, institutes, calls, holidays, e-mail delivery and
// the accounts. Form errors arrive as message keys and leave in the page's language.
import { HOLIDAY_KINDS } from '../../models/holiday.ts';
import { tOf, type Context } from '../context.ts';
import { TRACKS, DOCUMENT_TYPES, CHECKLIST_PHASES } from '../../models/constants.ts';
import { ROLES, STAFF_ROLES } from '../../models/user.ts';
import { sameId } from '../policies/index.ts';
import { keyWith, translateErrors, type FieldErrorKeys } from '../http/forms.ts';
import { CALL_STATUSES, MAX_MB, type CallFormValues } from './call-form.ts';
import type { HrOfficeFacts, InstituteOption } from './institutes.ts';
import { FEW_OFFICERS } from '../institutes/hr-staff.ts';
import type { HolidayPlan, HolidayPlanRow, HolidayYear, RecountResultPage } from './holidays.ts';
import { deadlineLeft } from '../procedures/service.ts';
import type { WorkingCalendar } from '../calendar/index.ts';
import { explainFailure } from '../mail-log/failures.ts';
import type { adminOverview, outboxOverview } from './outbox.ts';
import type { listCalls, CallCodeProblems, RequiredRowLacking } from './calls.ts';
import type { listUsers, UserFilter } from './users.ts';
import { can } from '../policies/index.ts';
import { ROLE_CHANGE_REASON_MAX, ROLE_CHANGE_REASON_MIN, type Placement, type RoleChangePlan, type RoleChangeSubject } from '../accounts/role-change.ts';
import type { AccountDecision, DecisionPage } from '../accounts/decisions.ts';
import { DECISION_REASON_MAX, DECISION_REASON_MIN } from '../accounts/forms.ts';
import { dateFormat, formatDateTime, formatDay } from '../views/time.ts';
import { withFields } from '../support/with-fields.ts';

type FormInput<V> = { values?: V; errors?: FieldErrorKeys };

/** `templatesToReview`: edited e-mail templates whose built-in template changed after them (server/email-templates/service.ts). */
export function presentAdminIndex(ctx: Context, overview: Awaited<ReturnType<typeof adminOverview>> & { templatesToReview: number }) {
  return { title: tOf(ctx)('admin.title'), ...overview };
}

export function presentInstitutes(ctx: Context, input: { rows: Array<InstituteOption & { calls: number } & HrOfficeFacts> } & FormInput<Record<string, string>>) {
  const t = tOf(ctx);
  const errors = translateErrors(t, input.errors);
  // An institute with no HR lead: where an applicant's message or answer on a case no officer has
  // goes instead (server/institutes/hr-staff.ts hrOfficeToTell, in the same order), so the
  // administrator sees why to name one.
  const noLead = (r: HrOfficeFacts) => {
    // This institute's own case: its officers by name, or why not them (none, or too many).
    const many = r.hrOfficers > FEW_OFFICERS ? 'Many' : '';
    const to =
      r.hrOfficers > 0 && r.hrOfficers <= FEW_OFFICERS
        ? t('admin.institutes.noLeadTo.officers', { count: r.hrOfficers, names: (r.hrOfficerNames ?? []).join(', ') })
        : r.hrEmail
          ? t(`admin.institutes.noLeadTo.contact${many}`, { email: r.hrEmail, n: r.hrOfficers })
          : t(`admin.institutes.noLeadTo.admins${many}`, { n: r.hrOfficers });
    return t('admin.institutes.noLead', { to });
  };
  const rows = input.rows.map((r) => withFields(r, r.hrLeads > 0 ? { hrLeadText: t('admin.institutes.leads', { count: r.hrLeads }) } : { noLeadWarning: noLead(r) }));
  // A refusal of the whole form (a field name no form of ours writes) is the summary's text.
  return { title: t('admin.institutes.title'), rows, values: input.values ?? {}, errors, formErrorsText: errors?._form };
}

export function presentInstituteEdit(ctx: Context, input: { id: string } & FormInput<Record<string, string | undefined>>) {
  const t = tOf(ctx);
  const errors = translateErrors(t, input.errors);
  return { title: t('admin.institutes.edit'), id: input.id, values: input.values ?? {}, errors, formErrorsText: errors?._form };
}

export function presentCalls(ctx: Context, input: { rows: Awaited<ReturnType<typeof listCalls>>; codeProblems: CallCodeProblems }) {
  const t = tOf(ctx);
  const { duplicates, malformed } = input.codeProblems;
  return {
    title: t('admin.calls.title'),
    rows: input.rows.map((r) => withFields(r, { panelWarning: r.panelShort ? t('admin.calls.panelShortList', { count: r.panelSize, min: r.minScorecards }) : undefined })),
    // Calls stored before codes were checked: the administrator renames them (the unique index waits for it).
    duplicateCodes: duplicates.map((d) => ({ code: d.code, calls: d.calls })),
    malformedCodes: malformed,
  };
}

/** A weight's share of the scorecard's total, in the page's language ("78%"); none while the weights cannot be added up. */
export function weightShares(locale: string, weights: string[]): Array<string | undefined> {
  const numbers = weights.map((w) => (w === '' ? Number.NaN : Number(w)));
  const valid = numbers.filter((n) => Number.isFinite(n) && n >= 0 && n <= 100);
  const total = valid.reduce((a, b) => a + b, 0);
  if (total <= 0 || valid.length !== numbers.filter((_, i) => weights[i] !== '').length) return weights.map(() => undefined);
  const pct = percentFormat(locale);
  return numbers.map((n) => (Number.isFinite(n) ? pct.format(n / total) : undefined));
}

const percentFormat = (locale: string) => new Intl.NumberFormat(locale === 'vi' ? 'vi-VN' : 'en-GB', { style: 'percent', maximumFractionDigits: 0 });

export interface CallFormExtras {
  /** UPLOAD_MAX_MB: a document without its own limit has this one. */
  defaultMb: number;
  /** The research fields other calls use, in each language (the boxes offer them). */
  fieldOptions?: { vi: string[]; en: string[] };
  /** Fewer people on the panel than the complete scorecards the call asks for. */
  panel?: { size: number; min: number };
}

/**
 * The call form's summary: each error with its field's label, linking to it (the form is long: at
 * 375 px the institute's box is far from the summary). Row errors link to their table.
 */
function callErrorList(t: ReturnType<typeof tOf>, errors: Record<string, string> | undefined, shown: { checklist: Array<{ error?: string; maxMbError?: string }>; scorecard: Array<{ error?: string }> }) {
  const list = Object.entries(errors ?? {})
    .filter(([k, text]) => k !== '_form' && /^[a-zA-Z]+$/.test(k) && text)
    .map(([k, text]) => ({ href: `#f-${k}`, label: t(`admin.calls.${k}`, { defaultValue: k }), text }));
  // A row's errors (already in the page's language), named by its table and its number.
  const rows = (name: 'checklist' | 'scorecard', rows: Array<{ error?: string; maxMbError?: string }>) =>
    rows.forEach((row, i) => {
      for (const text of [row.error, row.maxMbError]) if (text) list.push({ href: `#f-${name}`, label: `${t(`admin.calls.${name}`)} · ${i + 1}`, text });
    });
  rows('checklist', shown.checklist);
  rows('scorecard', shown.scorecard);
  return list;
}

/**
 * The saved call's warning that rows made required are missing from open cases, in the admin's
 * language: one "<document> (<phase>): N open cases …" per row, for the flash (its params are text).
 */
export function requiredAddedParams(ctx: Context, lacking: readonly RequiredRowLacking[]): { rows: string } {
  const t = tOf(ctx);
  return { rows: lacking.map((r) => t('admin.calls.requiredAddedRow', { document: t(`documents.types.${r.type}`), phase: t(`documents.phases.${r.phase}`), count: r.cases })).join(' ') };
}

/** The call form, new (no id) or editing; its rows' errors shown beside them. */
export function presentCallForm(ctx: Context, input: { id?: string; values: CallFormValues; errors?: FieldErrorKeys; institutes: InstituteOption[] } & CallFormExtras) {
  const t = tOf(ctx);
  const { id, values, defaultMb } = input;
  // The size rule names the default limit, which only configuration knows.
  const sizeRule = keyWith('admin.calls.errors.maxMb', { min: MAX_MB.min, max: MAX_MB.max, mb: defaultMb });
  const withRule = (key: string | undefined) => (key === 'admin.calls.errors.maxMb' ? sizeRule : key);
  const errorKeys = input.errors ? Object.fromEntries(Object.entries(input.errors).map(([k, v]) => [k, withRule(v)!])) : undefined;
  const shares = weightShares(ctx.locale, values.scorecard.map((r) => r.weight));
  const checklist = values.checklist.map((row) => ({ ...row, error: row.error ? t(row.error) : undefined, maxMbError: row.maxMbError ? translateErrors(t, { e: withRule(row.maxMbError)! })!.e : undefined }));
  const scorecard = values.scorecard.map((row, i) => ({ ...row, error: row.error ? t(row.error) : undefined, share: shares[i] }));
  const errors = translateErrors(t, errorKeys);
  return {
    title: t(id ? 'admin.calls.edit' : 'admin.calls.new'),
    id,
    action: id ? `/admin/calls/${id}` : '/admin/calls/new',
    values: {
      ...values,
      checklist,
      scorecard,
    },
    errors,
    errorList: callErrorList(t, errors, { checklist, scorecard }),
    // A refusal of the whole form (a field name no form of ours writes) is the summary's text.
    formErrorsText: input.errors?._form ? translateErrors(t, { _form: input.errors._form })!._form : undefined,
    maxMbHint: t('admin.calls.maxMbHint', { min: MAX_MB.min, max: MAX_MB.max, mb: defaultMb }),
    fieldOptions: input.fieldOptions ?? { vi: [], en: [] },
    panelWarning: input.panel && input.panel.size < input.panel.min ? t('admin.calls.panelShort', { count: input.panel.size, min: input.panel.min }) : undefined,
    institutes: input.institutes,
    tracks: TRACKS,
    documentTypes: DOCUMENT_TYPES,
    phases: CHECKLIST_PHASES,
    statuses: CALL_STATUSES,
    checklistRows: values.checklist.length,
    scorecardRows: values.scorecard.length,
    scripts: ['/static/js/weights.js'],
  };
}

export function presentHolidays(ctx: Context, input: { calendar: HolidayYear } & FormInput<Record<string, string>>) {
  const t = tOf(ctx);
  const locale = ctx.locale === 'vi' ? 'vi-VN' : 'en-GB';
  const { calendar } = input;
  const warning = calendar.coverageWarning;
  return {
    title: t('admin.holidays.title'),
    year: calendar.year,
    years: calendar.years,
    calendarWarning: warning
      ? warning.years.length
        ? t('procedures.calendar.missingYears', { years: warning.years.join(', '), from: formatDay(warning.from, ctx.locale), until: formatDay(warning.until, ctx.locale) })
        : t('procedures.calendar.noUpcoming', { from: formatDay(warning.from, ctx.locale), until: formatDay(warning.until, ctx.locale) })
      : undefined,
    // A recount cut short (the process stopped): the job finishes it; one that keeps failing needs someone.
    unfinishedRecounts: calendar.unfinishedRecounts.map((r) => ({
      stuck: r.stuck,
      text: t(`admin.holidays.recount.${r.stuck ? 'stuck' : 'unfinished'}.${r.change}`, { date: formatDay(new Date(`${r.date}T05:00:00Z`), ctx.locale), since: formatDateTime(r.since, ctx.locale) }),
    })),
    // Known public holidays missing from the years entered: each with its basis, added or dismissed in one click.
    missingKnown: calendar.missingKnown.map((k) => ({
      iso: k.date, // not `date`: the view's date helper would shadow it
      day: calendarDay(k.date, ctx.locale),
      weekday: dateFormat(locale, { weekday: 'long', timeZone: 'UTC' }).format(new Date(`${k.date}T00:00:00Z`)),
      kindLabel: t(`admin.holidays.kinds.${k.kind}`),
      name: ctx.locale === 'vi' ? k.name.vi : k.name.en,
      basis: t(`admin.holidays.known.basis.${k.basis}`),
    })),
    // Known days marked not observed, each with a button that lists it again (a mistaken click is undone here).
    dismissedKnown: calendar.dismissedKnown.map((k) => ({
      iso: k.date,
      day: calendarDay(k.date, ctx.locale),
      name: ctx.locale === 'vi' ? k.name.vi : k.name.en,
      since: formatDateTime(k.dismissedAt, ctx.locale),
    })),
    // Days the Prime Minister has not fixed yet (Labour Code 2019 Art. 112(3)): said once above the table and beside each.
    provisionalNotice: calendar.provisional.length ? t('admin.holidays.provisional.notice', { dates: calendar.provisional.map((d) => calendarDay(d, ctx.locale)).join(', ') }) : undefined,
    rows: calendar.holidays.map((h) =>
      withFields(h, { weekday: dateFormat(locale, { weekday: 'long', timeZone: 'UTC' }).format(new Date(`${h.date}T00:00:00Z`)), kindLabel: t(`admin.holidays.kinds.${h.kind}`), worked: h.kind === 'working_day' }),
    ),
    kinds: HOLIDAY_KINDS.map((k) => ({ value: k, label: t(`admin.holidays.kinds.${k}`), checked: (input.values?.kind || 'day_off') === k })),
    values: input.values ?? {},
    errors: translateErrors(t, input.errors),
  };
}

/** A 'YYYY-MM-DD' calendar day as the page's language writes dates (noon UTC: the same day in Vietnam). */
const calendarDay = (date: string, locale: Context['locale']) => formatDay(new Date(`${date}T05:00:00Z`), locale);

/** A deadline of a holiday's plan or recount: its case, applicant, what it is, its days and the working days left. */
function holidayRows(ctx: Context, rows: HolidayPlanRow[], calendar: WorkingCalendar) {
  const t = tOf(ctx);
  return rows.map((r) => {
    const kind = r.for === 'stage' ? t('admin.holidays.confirm.stage') : t(`procedures.kinds.${r.for}`);
    const what = r.what === 'reasons' ? t('admin.holidays.confirm.reasons', { kind }) : r.what === 'ask' ? t('admin.holidays.confirm.ask', { kind, text: r.askText ?? '' }) : kind;
    return {
      caseId: r.caseId,
      reference: r.reference,
      applicantName: r.applicantName,
      what,
      from: r.from ? formatDay(r.from, ctx.locale) : '',
      to: formatDay(r.to, ctx.locale),
      left: deadlineLeft(t, calendar, ctx.now, r.to).text,
    };
  });
}

/** The confirmation of adding or removing a day: what moves, what keeps its date, the weekend warning and the reason. */
export function presentHolidayConfirm(ctx: Context, input: { plan: HolidayPlan; action: string } & FormInput<Record<string, string>>) {
  const t = tOf(ctx);
  const { plan } = input;
  const day = calendarDay(plan.date, ctx.locale);
  const name = (ctx.locale === 'vi' ? plan.name.vi : plan.name.en) || plan.name.en || plan.name.vi || '';
  const weekday = dateFormat(ctx.locale === 'vi' ? 'vi-VN' : 'en-GB', { weekday: 'long', timeZone: 'UTC' });
  const suggested = plan.weekend?.suggested;
  const errors = translateErrors(t, input.errors);
  return {
    title: t(`admin.holidays.confirm.title.${plan.change}`, { date: day }),
    change: plan.change,
    lead: t(`admin.holidays.confirm.lead.${plan.change}.${plan.kind}`, { date: day, weekday: weekday.format(new Date(`${plan.date}T00:00:00Z`)), name }),
    movedCount: plan.moved.length,
    keptCount: plan.kept.length,
    movedTitle: t('admin.holidays.confirm.movedTitle', { count: plan.moved.length }),
    keptTitle: t('admin.holidays.confirm.keptTitle', { count: plan.kept.length }),
    moved: holidayRows(ctx, plan.moved, plan.calendar),
    kept: holidayRows(ctx, plan.kept, plan.calendar),
    // None: its own sentence, not "the applicants of 0 cases".
    emailText: plan.toEmail ? t('admin.holidays.confirm.email', { count: plan.toEmail }) : t('admin.holidays.confirm.emailNone'),
    // Labour Code 2019 Art. 111(3): the compensatory day off is the next working day.
    weekend: suggested
      ? {
          text: t('admin.holidays.confirm.weekend', { date: day, weekday: weekday.format(new Date(`${plan.date}T00:00:00Z`)), suggested: calendarDay(suggested, ctx.locale), suggestedWeekday: weekday.format(new Date(`${suggested}T00:00:00Z`)) }),
          switchLabel: t('admin.holidays.confirm.switch', { suggested: calendarDay(suggested, ctx.locale) }),
          switchHref: `/admin/holidays/add?${new URLSearchParams({ date: suggested, kind: 'day_off', nameVi: plan.name.vi ?? '', nameEn: plan.name.en ?? '' }).toString()}`,
        }
      : undefined,
    submitLabel: t(`admin.holidays.confirm.submit.${plan.change}`, { date: day }),
    action: input.action,
    year: plan.date.slice(0, 4),
    reasonHint: t('admin.holidays.confirm.reasonHint', { min: DECISION_REASON_MIN, max: DECISION_REASON_MAX }),
    reasonMax: DECISION_REASON_MAX,
    values: input.values ?? {},
    errors,
    // The plan changed since the page was shown: said above the lists, not as a field's error.
    formErrorsText: errors?._form,
  };
}

/** After a confirmed change: what moved, and that the applicants concerned are e-mailed. */
export function presentRecountResult(ctx: Context, r: RecountResultPage) {
  const t = tOf(ctx);
  const day = calendarDay(r.date, ctx.locale);
  const listed = r.rows.length;
  return {
    title: t(`admin.holidays.result.title.${r.change}`, { date: day }),
    name: (ctx.locale === 'vi' ? r.name.vi : r.name.en) || r.name.en || r.name.vi || '',
    reason: r.reason,
    summary: r.finished ? t('admin.holidays.result.summary', { moved: r.moved, kept: r.kept }) : t('admin.holidays.result.running'),
    emailed: r.notified ? t('admin.holidays.result.emailed', { count: r.notified }) : t('admin.holidays.result.emailedNone'),
    rows: holidayRows(ctx, r.rows, r.calendar),
    more: r.moved > listed ? t('admin.holidays.result.more', { count: r.moved - listed }) : '',
    year: r.date.slice(0, 4),
  };
}

export function presentOutbox(ctx: Context, overview: Awaited<ReturnType<typeof outboxOverview>>) {
  const t = tOf(ctx);
  // Each dead message's error in words with what to do, as the mail log says it (server/mail-log/failures.ts).
  const dead = overview.dead.map((d) => withFields(d, { failure: explainFailure(t, { status: 'dead', lastError: d.lastError, attempts: d.attempts, at: d.lastAttemptAt ?? new Date(0) }, (x) => formatDateTime(x, ctx.locale)) }));
  return { title: t('admin.outbox.title'), ...overview, dead };
}

// ---------------------------------------------------------------- accounts

type UserListing = Awaited<ReturnType<typeof listUsers>>;
type ListedUser = UserListing['users'][number];

function accountStatus(u: ListedUser): 'disabled' | 'invited' | 'unverified' | 'active' {
  if (u.disabledAt) return 'disabled';
  if (!u.passwordHash) return 'invited';
  return u.emailVerifiedAt ? 'active' : 'unverified';
}

/** `undelivered`: invited accounts' addresses whose newest invitation failed, with its mail-log id (server/mail-log/failures.ts). */
export function presentUsers(ctx: Context, input: { listing: UserListing; filters: UserFilter; institutes: InstituteOption[]; undelivered?: Map<string, string> }) {
  const { listing, filters } = input;
  const instituteById = new Map(input.institutes.map((i) => [i.id, i]));
  const pageUrl = (p: number) => {
    const q = new URLSearchParams();
    if (filters.role) q.set('role', filters.role);
    if (filters.institute) q.set('institute', filters.institute);
    if (filters.q) q.set('q', filters.q);
    q.set('page', String(p));
    return `/admin/users?${q.toString()}`;
  };
  return {
    title: tOf(ctx)('accounts.admin.title'),
    rows: listing.users.map((u) => ({
      id: String(u._id),
      name: u.name,
      email: u.email,
      role: u.role,
      isHrLead: u.isHrLead,
      institute: u.institute ? instituteById.get(String(u.institute)) : undefined,
      status: accountStatus(u),
      invitationFailedLog: accountStatus(u) === 'invited' ? input.undelivered?.get(u.email.toLowerCase()) : undefined,
      totp: Boolean(u.totp?.enabledAt),
      lastSignInAt: u.lastSignInAt,
      isSelf: sameId(u._id, ctx.actor?._id),
      canChangeRole: can(ctx.actor, 'user.changeRole', u),
    })),
    total: listing.total,
    filters: { role: filters.role ?? '', institute: filters.institute ?? '', q: filters.q ?? '' },
    institutes: input.institutes,
    roles: ROLES,
    prevUrl: listing.page > 1 ? pageUrl(listing.page - 1) : undefined,
    nextUrl: listing.page < listing.pages ? pageUrl(listing.page + 1) : undefined,
    page: listing.page,
    pages: listing.pages,
  };
}

export function presentInvite(ctx: Context, input: { institutes: InstituteOption[] } & FormInput<Record<string, string>>) {
  const t = tOf(ctx);
  return { title: t('accounts.invite.title'), institutes: input.institutes, roles: STAFF_ROLES, values: input.values ?? {}, errors: translateErrors(t, input.errors) };
}

/** A role as the pages name it: "HR officer", or "HR officer (HR lead)". */
function roleLabel(t: ReturnType<typeof tOf>, p: Placement): string {
  const role = t(`accounts.roles.${p.role}`);
  return p.isHrLead ? t('accounts.roleChange.roleWithLead', { role }) : role;
}

/** The form: the account as it is now, the new role, institute and HR-lead box as typed, and the reason. */
export function presentRoleChange(ctx: Context, input: { subject: RoleChangeSubject; institutes: InstituteOption[] } & FormInput<Record<string, string>>) {
  const t = tOf(ctx);
  const { subject } = input;
  const values = input.values ?? {};
  const errors = translateErrors(t, input.errors);
  return {
    title: t('accounts.roleChange.title'),
    styles: ['/static/css/cases.css'],
    id: subject.id,
    name: subject.name,
    email: subject.email,
    currentRole: roleLabel(t, subject.placement),
    currentInstitute: input.institutes.find((i) => i.id === subject.placement.institute),
    roles: STAFF_ROLES,
    institutes: input.institutes,
    // The hidden version is the account's as shown unless the form carries the one it was built on.
    values: { ...values, seen: values.seen || String(subject.seen) },
    errors,
    // A refusal of the whole change (their own role, the last administrator, a stale form) is the summary's text.
    formErrorsText: errors?._form,
    reasonHint: t('accounts.roleChange.reasonHint', { min: ROLE_CHANGE_REASON_MIN, max: ROLE_CHANGE_REASON_MAX }),
    reasonMax: ROLE_CHANGE_REASON_MAX,
  };
}

/** The confirmation: before and after, the reason, the open cases going back to the queue, what else happens. */
/**
 * The message after a role change: what was done, the open cases sent back to the queue and the
 * evaluation panels left (each counted, with its plural), as the confirmation page announced them,
 * and that the e-mail is being sent (the route links to its row in the mail log, where a failure shows).
 */
export function roleChangedFlash(done: { subject: RoleChangeSubject; plan: RoleChangePlan }): { kind: 'success' | 'error'; key: string; params: Record<string, unknown> } {
  const { casesToQueue: cases, panelsToLeave: panels } = done.plan;
  const params = { name: done.subject.name, count: cases, panels };
  const key = cases ? (panels ? 'doneCasesPanels' : 'doneCases') : panels ? 'donePanels' : 'done';
  return { kind: 'success', key: `accounts.roleChange.${key}`, params };
}

export function presentRoleChangeConfirm(ctx: Context, input: { subject: RoleChangeSubject; plan: RoleChangePlan; institutes: InstituteOption[]; reason: string }) {
  const t = tOf(ctx);
  const { subject, plan } = input;
  const { before, after } = plan;
  const institute = (id?: string) => input.institutes.find((i) => i.id === id);
  let casesText: string | undefined;
  if (plan.casesToQueue > 0) casesText = t('accounts.roleChange.casesToQueue', { count: plan.casesToQueue, name: subject.name });
  else if (before.role === 'hr_officer') casesText = t('accounts.roleChange.noCasesToQueue', { name: subject.name });
  return {
    title: t('accounts.roleChange.confirmTitle'),
    styles: ['/static/css/cases.css'],
    id: subject.id,
    name: subject.name,
    email: subject.email,
    before: { role: roleLabel(t, before), institute: institute(before.institute) },
    after: { role: roleLabel(t, after), institute: institute(after.institute) },
    reason: input.reason,
    casesToQueue: plan.casesToQueue,
    casesText,
    panelsToLeave: plan.panelsToLeave,
    panelsText: plan.panelsToLeave > 0 ? t('accounts.roleChange.panelsToLeave', { count: plan.panelsToLeave, name: subject.name }) : undefined,
    mailText: t('accounts.roleChange.mailTold', { language: t(`shortlists.decide.languages.${subject.locale === 'en' ? 'en' : 'vi'}`) }),
    // What the confirmation sends on: the change as checked, and the version of the account it was checked on.
    fields: { role: after.role, institute: after.institute ?? '', isHrLead: after.isHrLead ? 'yes' : '', reason: input.reason, seen: String(subject.seen) },
  };
}

/** Where each decision's page is, under /admin/users/:id/. */
export const DECISION_PATHS: Record<AccountDecision, string> = { disable: 'disable', enable: 'enable', resetSecondFactor: 'reset-second-factor' };

/**
 * A decision about an account (accounts.<decision>.*): the account, what the decision will do (or
 * that it is already so, with nothing to confirm), the reason as typed, and whom the e-mail tells
 * the person to write to.
 */
export function presentAccountDecision(ctx: Context, input: { page: DecisionPage; contact: { email?: string; name?: string } } & FormInput<Record<string, string>>) {
  const t = tOf(ctx);
  const { page } = input;
  const { subject, effects } = page;
  const key = `accounts.${page.decision}`;
  const values = input.values ?? {};
  const errors = translateErrors(t, input.errors);
  const name = subject.name;
  const language = t(`shortlists.decide.languages.${subject.locale === 'en' ? 'en' : 'vi'}`);
  const contact = [input.contact.name, input.contact.email].filter(Boolean).join(', ');
  const lines: Array<{ id: string; text: string; count?: number; link?: { href: string; text: string } }> = [];
  if (page.decision === 'disable') {
    lines.push({ id: 'sessions-end', text: t('accounts.disable.sessionsEnd') });
    if (effects.casesToQueue > 0) lines.push({ id: 'cases-to-queue', count: effects.casesToQueue, text: t('accounts.disable.casesToQueue', { count: effects.casesToQueue, name }) });
    else if (subject.role === 'hr_officer') lines.push({ id: 'cases-to-queue', count: 0, text: t('accounts.disable.noCasesToQueue', { name }) });
    if (effects.calendarFeedEnds) lines.push({ id: 'feed-ends', text: t('accounts.disable.feedEnds') });
    lines.push({ id: 'links-revoked', text: t('accounts.disable.linksRevoked') });
  }
  if (page.decision === 'enable') {
    lines.push({ id: 'can-sign-in', text: t(subject.invited ? 'accounts.enable.newInvitation' : 'accounts.enable.canSignIn', { name }) });
    lines.push({ id: 'not-given-back', text: t('accounts.enable.notGivenBack') });
  }
  if (page.decision === 'resetSecondFactor') {
    lines.push({ id: 'factor-removed', text: t('accounts.resetSecondFactor.factorRemoved') });
    lines.push({ id: 'sessions-end', text: t('accounts.resetSecondFactor.sessionsEnd') });
    if (effects.calendarFeedEnds) lines.push({ id: 'feed-ends', text: t('accounts.resetSecondFactor.feedEnds') });
  }
  lines.push({ id: 'mail-told', text: t(`${key}.mailTold`, { language, contact }) });
  lines.push({ id: 'audited', text: t('accounts.decision.audited'), link: { href: '/admin/audit', text: t('audit.link') } });
  return {
    title: t(`${key}.title`),
    decision: page.decision,
    id: subject.id,
    name,
    email: subject.email,
    role: t(`accounts.roles.${subject.role}`),
    action: `/admin/users/${subject.id}/${DECISION_PATHS[page.decision]}`,
    lead: t(`${key}.lead`),
    effects: page.already ? [] : lines,
    alreadyText: page.already ? t(`${key}.alreadyPage`, { name, date: subject.disabledAt ? formatDateTime(subject.disabledAt, ctx.locale) : '' }) : undefined,
    // The hidden version is the account's as shown unless the form carries the one it was built on.
    values: { ...values, seen: values.seen || String(subject.seen) },
    errors,
    // A refusal of the whole decision (their own account, already so, a stale form) is the summary's text.
    formErrorsText: errors?._form,
    reasonHint: t('accounts.decision.reasonHint', { min: DECISION_REASON_MIN, max: DECISION_REASON_MAX }),
    reasonMax: DECISION_REASON_MAX,
    submitLabel: t(`${key}.confirm`),
    danger: page.decision !== 'enable',
  };
}
