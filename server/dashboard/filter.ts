// Reads and checks the dashboard/report filters (call, period, and for administrators an
// institute) against what the signed-in user may see.
import { Types } from 'mongoose';
import { z } from 'zod';
import { Call } from '../../models/call.ts';
import { Institute } from '../../models/institute.ts';
import { actorOf, type Context } from '../context.ts';
import { ForbiddenError, NotFoundError } from '../errors.ts';
import { dashboardInstitute } from '../policies/dashboard.ts';
import { readFilters, type FilterRead } from '../support/filter-query.ts';
import { isCalendarDay } from '../support/calendar-day.ts';
import type { DashboardFilter } from './index.ts';
import { ID_TEXT } from '../support/object-id.js';

const BAD_FILTER = { error: 'dashboard.errors.badFilter' };
const BAD_DAY = { error: 'dashboard.errors.badDay' };
/** A query parameter given twice (an array) is ignored, as if absent. */
const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
// A day the calendar has, in 1900-2199 (support/calendar-day.ts): Date.parse rolled 2026-02-31 into
// March and took 0000-01-01, each a filter of its own with its own stored figures (stored.ts).
const ymd = z.union([z.literal('', BAD_DAY), z.string(BAD_DAY).refine(isCalendarDay, BAD_DAY)], BAD_DAY);
const id = z.union([z.literal('', BAD_FILTER), z.string(BAD_FILTER).regex(ID_TEXT, BAD_FILTER)], BAD_FILTER);

/**
 * The filters of the dashboard and the steering report as their query gives them ('' = any), for the
 * routes' schemas: `z.object({ ...filterQueryFields, … }).refine(validPeriod, PERIOD_ERROR)`.
 */
export const filterQueryFields = {
  call: z.preprocess(text, id.optional()),
  from: z.preprocess(text, ymd.optional()),
  to: z.preprocess(text, ymd.optional()),
  institute: z.preprocess(text, id.optional()),
};
export const FILTER_FIELDS = ['call', 'from', 'to', 'institute'] as const;
export type FilterQuery = { call?: string; from?: string; to?: string; institute?: string };

export function validPeriod(q: FilterQuery): boolean {
  return !(q.from && q.to && q.from > q.to);
}
/** The message of a period that ends before it starts (zod rewrites PERIOD_ERROR's own fields: compare with this). */
export const PERIOD_ERROR_KEY = 'dashboard.errors.badPeriod';
export const PERIOD_ERROR = { message: PERIOD_ERROR_KEY };

/**
 * The dashboard's filters read from a query by `schema` (filterQueryFields, maybe with more): a
 * filter that cannot be read is left out and said beside its field (a wrong period: beside its end).
 */
export function readDashboardFilters<T extends FilterQuery>(schema: z.ZodType<T>, query: Record<string, unknown>): FilterRead<T> {
  return readFilters(schema, query, { fields: FILTER_FIELDS, days: ['from', 'to'], cross: ['from', 'to'], formError: BAD_FILTER.error });
}

type Localized = { vi?: string | null; en?: string | null } | null | undefined;

export interface ResolvedFilter {
  filter: DashboardFilter;
  values: { call: string; from: string; to: string; institute: string };
  /** Calls the user may pick from (within the scope). */
  calls: { id: string; title: Localized; code?: string | null }[];
  institutes: { id: string; name: Localized }[];
  callTitle?: Localized;
  instituteName?: Localized;
}

/** The filters checked against the actor's scope, with what the filter form offers them. */
export async function resolveDashboardFilter({ ctx, query: q }: { ctx: Context; query: FilterQuery }): Promise<ResolvedFilter> {
  const user = actorOf(ctx);
  const scope = dashboardInstitute(user, q.institute || undefined);
  const institute = scope ? new Types.ObjectId(String(scope)) : undefined;
  const filter: DashboardFilter = { institute, from: q.from || undefined, to: q.to || undefined };
  let callTitle: ResolvedFilter['callTitle'];
  if (q.call) {
    const call = await Call.findById(q.call, { institute: 1, title: 1 }).lean();
    if (!call) throw new NotFoundError();
    // A call outside the user's institute is refused, never silently widened or emptied.
    if (institute && String(call.institute) !== String(institute)) throw new ForbiddenError('dashboard.errors.notYourCall');
    filter.call = call._id;
    callTitle = call.title;
  }
  const [calls, institutes] = await Promise.all([
    Call.find(institute ? { institute } : {}, { title: 1, code: 1 }).sort({ opensAt: -1 }).limit(300).lean(),
    user.role === 'admin' ? Institute.find({}, { name: 1, code: 1 }).sort({ code: 1 }).limit(300).lean() : Promise.resolve([]),
  ]);
  const instituteDoc = institute ? await Institute.findById(institute, { name: 1 }).lean() : null;
  return {
    filter,
    values: { call: q.call ?? '', from: q.from ?? '', to: q.to ?? '', institute: user.role === 'admin' ? (q.institute ?? '') : '' },
    calls: calls.map((c) => ({ id: String(c._id), title: c.title, code: c.code })),
    institutes: institutes.map((i) => ({ id: String(i._id), name: i.name })),
    callTitle,
    instituteName: instituteDoc?.name,
  };
}
