// Reads and checks the dashboard/report filters (call, period, and for administrators an
// institute) against what the signed-in user may see.
import { Types } from 'mongoose';
import { z } from 'zod';
import { Call } from '../../models/call.ts';
import { Institute } from '../../models/institute.ts';
import type { UserDoc } from '../../models/user.ts';
import { BadRequestError, ForbiddenError, NotFoundError } from '../errors.ts';
import { dashboardInstitute } from '../policies/dashboard.ts';
import type { DashboardFilter } from './index.ts';

const ymd = z.union([z.literal(''), z.string().regex(/^\d{4}-\d{2}-\d{2}$/).refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)))]);
const id = z.union([z.literal(''), z.string().regex(/^[a-f0-9]{24}$/i)]);
const querySchema = z.object({ call: id.optional(), from: ymd.optional(), to: ymd.optional(), institute: id.optional() });

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

export async function resolveDashboardFilter(user: UserDoc, query: Record<string, unknown>): Promise<ResolvedFilter> {
  const picked = Object.fromEntries(['call', 'from', 'to', 'institute'].filter((k) => typeof query[k] === 'string').map((k) => [k, query[k]]));
  const parsed = querySchema.safeParse(picked);
  if (!parsed.success) throw new BadRequestError('dashboard.errors.badFilter');
  const q = parsed.data;
  if (q.from && q.to && q.from > q.to) throw new BadRequestError('dashboard.errors.badPeriod');
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
