// The dashboard page: the figures as accessible tables and same-origin charts, the filter form, and
// links to the steering report with the same filters.
import { tOf, type Context } from '../context.ts';
import type { DashboardView } from './index.ts';
import type { FilterQuery, ResolvedFilter } from './filter.ts';
import type { FilterRead } from '../support/filter-query.ts';
import { figureTables, withCells } from './tables.ts';
import { presentForecastArrivals } from '../planner/arrivals.ts';
import { withFields } from '../support/with-fields.ts';
import { formatDay } from '../views/time.ts';
import { lateAnswerText } from '../applications/late-answer.ts';
import { DECLINE_ACTIONS } from '../workflow/transitions.ts';
import { PANEL_STAGES } from '../../models/constants.ts';
import { DUE_SOON_DAYS } from '../cases/queue.ts';

/**
 * Taken while the case was before the panel: from one of its stages, as the event says; an event that
 * does not say is a leader's decision or a decline of the offer (always from the panel's stages), or
 * not known to be (no link).
 */
function beforeThePanel(d: { from?: string; role: string; decision: string }): boolean {
  return d.from !== undefined ? (PANEL_STAGES as readonly string[]).includes(d.from) : d.role === 'leader' || DECLINE_ACTIONS.has(d.decision);
}

/** The filters that are set, as query parameters (the dashboard and the report link to each other with them). */
export function filterParams(values: ResolvedFilter['values']): URLSearchParams {
  return new URLSearchParams(Object.entries(values).filter(([, v]) => v));
}

/** The queue (/cases) with one of its flags, within the dashboard's call when one is chosen. */
function queueUrl(call: string, flag: 'procedures' | 'soon'): string {
  const p = new URLSearchParams({ [flag]: '1' });
  if (call) p.set('call', call);
  return `/cases?${p}`;
}

export function dashboardPage({ ctx, view }: { ctx: Context; view: DashboardView }) {
  const t = tOf(ctx);
  const { data, resolved } = view;
  // No figures yet (filters never computed, still being prepared): the page says so, without tables.
  const tables = data ? withCells(figureTables(data, t, ctx.locale), ctx.locale) : [];
  const query = filterParams(resolved.values).toString();
  const hrViewer = ctx.actor?.role === 'hr_officer' || ctx.actor?.role === 'admin';
  return {
    title: t('dashboard.title'),
    data,
    preparing: !data,
    updating: view.updating,
    movedSince: !!view.movedAt,
    tables,
    charts: JSON.stringify(tables.map((tb) => ({ id: tb.id, title: tb.title, ...tb.chart }))),
    ...resolved,
    // The queue behind the procedures' figures: the call chosen kept; overdue, and due within the queue's
    // "soon" working days (walk s37: the leader saw no procedure near its deadline, only those past it).
    overdueCasesUrl: queueUrl(resolved.values.call, 'procedures'),
    soonCasesUrl: queueUrl(resolved.values.call, 'soon'),
    soonDays: DUE_SOON_DAYS,
    reportUrl: `/reports/steering${query ? `?${query}` : ''}`,
    csvUrl: `/reports/steering.csv${query ? `?${query}` : ''}`,
    pdfUrl: `/reports/steering.pdf${query ? `?${query}` : ''}`,
    xlsxUrl: `/reports/steering.xlsx${query ? `?${query}` : ''}`,
    isAdmin: ctx.actor?.role === 'admin',
    forecastArrivals: view.forecastArrivals ? presentForecastArrivals(ctx, view.forecastArrivals) : undefined,
    decisions: view.decisions.map((d) => {
      // On the portal or received by e-mail or post (HR recorded it: dated the day it came), it reads the same.
      const declined = DECLINE_ACTIONS.has(d.decision);
      const date = formatDay(d.receivedOn ?? d.at, ctx.locale);
      return withFields(d, {
        // The applicant's decline says what happened ("Offer declined"), not the button they pressed.
        decisionLabel: declined ? t('cases.events.decline_offer') : t(`shortlists.decide.actions.${d.decision}`, { defaultValue: t(`cases.actions.${d.decision}`, { defaultValue: d.decision }) }),
        // "Declined by the applicant on 9 Dec 2026: <reason>" (or "no reason given"), in the reader's language.
        reason: declined ? (d.reason ? t('cases.offerAnswer.declined', { date, reason: d.reason }) : t('cases.offerAnswer.declinedNoReason', { date })) : d.reason,
        lateText: d.late ? t('cases.offerAnswer.lateMark', { text: lateAnswerText(t, ctx.locale, d.late) }) : '',
        // Taken without the panel's scores, or scoring closed (lead s35): as the case's timeline says it.
        mark: d.closedScoring ? t('shortlists.blind.markClosed') : d.blind ? t('shortlists.blind.markBlind') : '',
        roleLabel: d.role ? t(`dashboard.decisions.roles.${d.role}`, { defaultValue: '' }) : '',
        // HR's decisions and the applicant's declines open on the case page for HR and administrators;
        // otherwise on the shortlist, for a decision taken while the case was before the panel (a
        // leader's, a decline of the offer, a hold from the panel's stages): the institute's leaders
        // see such a case whatever became of it (server/policies/case.ts leftAfterPanel). One taken
        // before the panel (at screening, by HR or an administrator) has no link: a leader never sees it.
        href: (d.role === 'hr_officer' || declined) && hrViewer ? `/cases/${d.caseId}` : d.callId && beforeThePanel(d) ? `/shortlists/${d.callId}/cases/${d.caseId}` : undefined,
      });
    }),
    styles: ['/static/css/leaders.css'],
    scripts: ['/vendor/chart.js', '/static/js/dashboard.js'],
  };
}

/**
 * The dashboard for its filters as read. A filter that cannot be read (a period that ends before it
 * starts, a day not YYYY-MM-DD, a list or an operator where one value goes: an address edited by
 * hand) is said beside its field in the page's language, as typed, with the rest applied (422): a
 * 400 page took the dashboard away. The steering report answers bad filters with this page too (its
 * filter form is here), its downloads included.
 */
export function dashboardFilterPage({ ctx, view, read }: { ctx: Context; view: DashboardView; read: FilterRead<FilterQuery> }) {
  const page = dashboardPage({ ctx, view });
  if (!read.errors) return { status: 200, page };
  const t = tOf(ctx);
  const errors = Object.fromEntries(Object.entries(read.errors).map(([k, key]) => [k, t(key)]));
  // Only administrators have the institute field: anyone else is told above the form.
  if (!page.isAdmin && errors.institute) errors.form ??= errors.institute;
  return { status: 422, page: { ...page, values: { ...page.values, ...read.typed, institute: page.isAdmin ? read.typed.institute : '' }, errors } };
}
