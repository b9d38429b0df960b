// The HR queue's page model: the rows of loadQueue (server/cases/queue.ts) with their labels, the
// filters, the search box, the officer's saved filters and the form to save the current one, and the
// links for pages, sorting and "include closed". Plain data, in the page's language.
import type { UserDoc } from '../../models/user.ts';
import { FUNNEL_STAGES, HIRING_STAGES, SUPPORT_KINDS, TERMINAL_STAGES, TRACKS, UNSUCCESSFUL_STAGES, inStages } from '../../models/constants.ts';
import { MAX_SAVED_FILTERS } from '../../models/saved-filter.ts';
import { actorOf, tOf, type Context } from '../context.ts';
import { can } from '../policies/index.ts';
import { fieldErrorText, type FieldErrorKeys } from '../http/forms.ts';
import { COUNT_CAP, DUE_SOON_DAYS, MAX_SEARCH, PAGE_SIZES, QUEUE_STAGES, SORTS, countQueue, loadQueue, queueHref, queueOptions, type QueueQuery, type QueueRow } from './queue.ts';
import { listSavedFilters } from './saved-filters.ts';
import { stageLabel } from './present.ts';
import { withFields } from '../support/with-fields.ts';
import { formatScore } from '../evaluations/present.ts';
import { loadCalendar } from '../calendar/index.ts';
import { deadlineLeft } from '../procedures/service.ts';
import { formatDay } from '../views/time.ts';
import { localizedText } from '../views/engine.ts';

/** The row's late procedures, each once: escalated by the job, or past their deadline already. */
function lateKinds(r: Pick<QueueRow, 'overdueProcedures' | 'supportOverdue'>): string[] {
  return [...new Set([...r.overdueProcedures, ...r.supportOverdue])];
}

/**
 * What a procedure's deadline on the row is for, and so who is late when it passes: the authority
 * (its decision, a refusal's written reasons), HR (the filing) or the applicant (an answer asked).
 */
function dueFor(t: ReturnType<typeof tOf>, due: NonNullable<QueueRow['nextDue']>): string {
  const kind = t(`cases.supportKinds.${due.for}`, { defaultValue: due.for });
  return due.what ? t(DUE_FOR[due.what], { kind }) : kind;
}

const DUE_FOR: Record<NonNullable<NonNullable<QueueRow['nextDue']>['what']>, string> = {
  reasons: 'queue.reasonsDue',
  decision: 'queue.decisionDue',
  filing: 'queue.filingDue',
  answer: 'queue.answerDue',
};

/** The badge colour of a stage: ended badly, ended or hired well, waiting off the main line, or plain. */
export function stageBadge(stage: string): string {
  if (inStages(stage, UNSUCCESSFUL_STAGES)) return 'err';
  if (inStages(stage, HIRING_STAGES) || inStages(stage, TERMINAL_STAGES)) return 'ok';
  if (!inStages(stage, FUNNEL_STAGES)) return 'warn';
  return '';
}

export interface QueueState {
  /** What was typed in a form that failed (bulk assignment, saving a filter). */
  values?: Record<string, unknown>;
  errors?: FieldErrorKeys;
}

export async function queueModel(opts: { ctx: Context; q: QueueQuery } & QueueState): Promise<Record<string, unknown>> {
  const { ctx, q } = opts;
  const t = tOf(ctx);
  const user = actorOf(ctx) as UserDoc;
  // The rows are named from the options where they can be (one query fewer each for calls and officers).
  const optionsRead = queueOptions(user);
  const [page, options, saved, calendar] = await Promise.all([loadQueue(user, q, ctx.now, optionsRead), optionsRead, listSavedFilters({ ctx }), loadCalendar()]);
  // A search that finds nothing open may find the case closed (an applicant refused last year calls):
  // say so, with the link, rather than a bare "0 cases".
  const closedMatches = q.q && !q.closed && !q.stage && page.total === 0 ? Math.min(await countQueue(user, { ...q, closed: '1' }, ctx.now), COUNT_CAP) : 0;
  const canAssign = user.role === 'hr_officer' || user.role === 'admin';
  const here = queueHref(q, {});
  const filterHref = queueHref(q, { page: undefined });
  const values = opts.values ?? {};
  // Message keys are translated; a message a service already worded (bulk assignment) is kept.
  const errors = opts.errors && Object.keys(opts.errors).length
    ? Object.fromEntries(Object.entries(opts.errors).map(([k, v]) => [k, fieldErrorText(t, v)]))
    : undefined;
  // The filters set besides the search (which stays outside the fold): the fold opens and says how many.
  const activeFilters = [q.stage, q.call, q.assignee, q.track, q.support, q.overdue, q.procedures, q.soon, q.documents, q.refused, q.closed].filter(Boolean).length;
  const ids = Array.isArray(values.ids) ? (values.ids as unknown[]).map(String) : [];
  // Each call's title once in the page's language (the rows share a few calls), as the `localized` helper picks it.
  const callTexts = new Map<unknown, unknown>();
  const callText = (title: QueueRow['callTitle']): unknown => {
    let text = callTexts.get(title);
    if (text === undefined) callTexts.set(title, (text = localizedText(title, ctx.locale)));
    return text;
  };
  return {
    title: t('cases.queue.title'),
    q,
    here,
    search: q.q ?? '',
    maxSearch: MAX_SEARCH,
    dueSoonDays: DUE_SOON_DAYS,
    activeFilters,
    filtersSummary: activeFilters ? t('queue.filtersActive', { count: activeFilters }) : t('queue.filtersNone'),
    rows: page.rows.map((r) => {
      const late = lateKinds(r);
      const refused = r.refusedSupport.filter((k) => !late.includes(k)).map((k) => t(`cases.supportKinds.${k}`));
      return withFields(r, {
        stageLabel: stageLabel(t, r.stage),
        badge: stageBadge(r.stage),
        trackLabel: t(`calls.tracks.${r.track}`),
        // The deadline the row is sorted by, what it is for when not the stage's, and the working days left.
        due: r.nextDue ? deadlineLeft(t, calendar, ctx.now, r.nextDue.at) : undefined,
        dueForLabel: r.nextDue && r.nextDue.for !== 'stage' ? dueFor(t, r.nextDue) : undefined,
        // Each procedure once: the late ones (escalated or past their deadline) in one red badge,
        // "Overdue: Work permit, Visa" (a badge each made a 50-row page of late cases 10 % heavier
        // than the rest of it), the others plain, under way.
        overdueProcedures: late.length ? t('queue.proceduresOverdue', { kinds: late.map((k) => t(`cases.supportKinds.${k}`, { defaultValue: k })).join(', ') }) : undefined,
        // "Applicant answered: Work permit": what they said is done waits for HR to record it received.
        askAnsweredLabels: r.askAnswered.map((k) => t('queue.askAnswered', { kind: t(`procedures.kinds.${k}`) })),
        activeSupportLabels: r.activeSupport.filter((k) => !late.includes(k)).map((k) => t(`cases.supportKinds.${k}`)),
        // Refused and not settled: HR decides what next (lodge it again, or not needed); a late one is in the red badge.
        refusedSupport: refused.length ? t('queue.proceduresRefused', { kinds: refused.join(', ') }) : undefined,
        checked: ids.includes(r.id),
        scoreText: formatScore(r.score, ctx.locale),
        // Each row's texts are written here, not by helpers in the row's template: a helper call per
        // cell (about ten a row) was a fifth of the 50-row page's render.
        selectLabel: t('cases.queue.selectCase', { reference: r.reference }),
        // The papers-to-check mark, a link named with the case (its text and the reference: no second lookup).
        docsPendingText: r.docs?.pending ? t('cases.queue.docsPending', { count: r.docs.pending }) : undefined,
        callText: callText(r.callTitle),
        dueDate: r.nextDue ? formatDay(r.nextDue.at, ctx.locale) : undefined,
        likelyStartText: r.likelyStart ? t('cases.queue.likelyStart', { date: formatDay(r.likelyStart, ctx.locale) }) : undefined,
        stageOverdueLabel: r.stageOverdue ? t('queue.proceduresOverdue', { kinds: stageLabel(t, r.stage) }) : undefined,
        // The shortlist's words for a hidden score (lead s35): why, how many of those who can score did;
        // paused while on hold (the row's stage and review day say the rest); "Score it" where they may.
        hiddenText: r.hiddenScores ? `${t(r.hiddenScores.paused ? 'shortlists.blind.pausedWhy' : 'shortlists.blind.hiddenWhy', { count: r.hiddenScores.scored, panel: r.hiddenScores.panel })}${r.hiddenScores.paused ? '.' : ''}` : r.scoreHidden ? t('shortlists.blind.hiddenShort') : undefined,
        scoreItHref: r.hiddenScores?.canScore ? `/shortlists/${r.hiddenScores.callId}/cases/${r.id}#scorecard-h` : undefined,
      });
    }),
    // The labels every row repeats (the phone layout's cell labels, "Unassigned"...), translated once.
    labels: {
      stage: t('cases.queue.stage'),
      due: t('cases.queue.due'),
      assignee: t('cases.queue.assignee'),
      unassigned: t('cases.queue.unassigned'),
      noDeadline: t('queue.noDeadline'),
      messageWaiting: t('cases.queue.messageWaiting'),
    },
    scoreItLabel: t('shortlists.blind.scoreIt'),
    total: page.total,
    summary: page.capped
      ? t('queue.summaryMore', { count: COUNT_CAP, page: page.page })
      : t('cases.queue.summary', { count: page.total, page: page.page, pages: page.pages }),
    page: page.page,
    pages: page.pages,
    pageLabel: page.capped ? t('queue.pageOnly', { page: page.page }) : t('cases.queue.pageOf', { page: page.page, pages: page.pages }),
    prevHref: page.page > 1 ? queueHref(q, { page: page.page - 1 }) : undefined,
    nextHref: page.hasNext ? queueHref(q, { page: page.page + 1 }) : undefined,
    closedMatches: closedMatches ? { text: t('queue.closedMatches', { count: closedMatches }), href: queueHref(q, { closed: '1', page: undefined }) } : undefined,
    scopeNote: q.stage ? undefined : q.closed ? t('queue.showingAll') : t('queue.showingOpen'),
    closedToggle: q.stage
      ? undefined
      : q.closed
        ? { href: queueHref(q, { closed: undefined, page: undefined }), label: t('queue.hideClosed') }
        : { href: queueHref(q, { closed: '1', page: undefined }), label: t('queue.includeClosed') },
    sorts: SORTS.map((s) => ({ value: s, label: t(`cases.queue.sort.${s}`), href: queueHref(q, { sort: s, page: 1 }), current: q.sort === s })),
    sizes: PAGE_SIZES.map((n) => ({ value: n, selected: q.size === n })),
    stages: QUEUE_STAGES.map((s) => ({ value: s, label: stageLabel(t, s), selected: q.stage === s })),
    tracks: TRACKS.map((s) => ({ value: s, label: t(`calls.tracks.${s}`), selected: q.track === s })),
    supportKinds: SUPPORT_KINDS.map((s) => ({ value: s, label: t(`cases.supportKinds.${s}`), selected: q.support === s })),
    calls: options.calls.map((c) => withFields(c, { selected: q.call === c.id })),
    assignees: [
      { value: 'me', label: t('cases.queue.assigneeMe'), selected: q.assignee === 'me' },
      { value: 'unassigned', label: t('cases.queue.unassigned'), selected: q.assignee === 'unassigned' },
      ...options.officers.map((o) => ({ value: o.id, label: o.name, selected: q.assignee === o.id })),
    ],
    officers: options.officers.map((o) => withFields(o, { selected: values.assignee === o.id })),
    savedFilters: saved.map((f) => withFields(f, { current: f.href === filterHref })),
    canSaveFilter: can(user, 'savedFilter.create') && saved.length < MAX_SAVED_FILTERS,
    filterLimitReached: saved.length >= MAX_SAVED_FILTERS,
    maxSavedFilters: MAX_SAVED_FILTERS,
    filterQuery: filterHref,
    filterName: typeof values.name === 'string' ? values.name : '',
    filterErrors: errors && (errors.name || errors.query) ? errors : undefined,
    canAssign,
    errors: errors && (errors.ids || errors.assignee) ? errors : undefined,
    scripts: canAssign ? ['/static/js/cases.js'] : [],
  };
}
