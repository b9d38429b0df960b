// The HR queue: filters, sorting and pagination over the cases the user may see. One query for the
// page, one count, and one batched lookup each for assignees, calls and document flags: the cost
// of a page does not grow with its rows (no per-row queries).
import { Types } from 'mongoose';
import { z } from 'zod';
import { Case } from '../../models/case.ts';
import { Call } from '../../models/call.ts';
import { User, type UserDoc } from '../../models/user.ts';
import { STAGES, SUPPORT_KINDS, TRACKS } from '../../models/constants.ts';
import { caseScopeFilter } from '../policies/case.ts';
import { caseScopeFor } from './access.ts';
import { documentFlags } from '../documents/index.ts';
import { ACTIVE_SUPPORT, supportOverdue } from '../procedures/service.ts';

export const SORTS = ['due', 'submitted', 'reference', 'score'] as const;
export const PAGE_SIZES = [25, 50, 100] as const;
/** Drafts are the applicant's unfinished work; staff see a case from submission on. */
export const QUEUE_STAGES = STAGES.filter((s) => s !== 'draft');

const objectId = z.string().refine((s) => Types.ObjectId.isValid(s));
const optional = <T extends z.ZodTypeAny>(schema: T) =>
  z.preprocess((v) => (v === '' || v === undefined || Array.isArray(v) ? undefined : v), schema.optional().catch(undefined));

const querySchema = z.object({
  stage: optional(z.enum(QUEUE_STAGES as unknown as [string, ...string[]])),
  call: optional(objectId),
  assignee: optional(z.union([z.literal('me'), z.literal('unassigned'), objectId])),
  track: optional(z.enum(TRACKS)),
  support: optional(z.enum(SUPPORT_KINDS)),
  overdue: optional(z.enum(['1'])),
  sort: optional(z.enum(SORTS)),
  size: optional(z.coerce.number().pipe(z.union([z.literal(25), z.literal(50), z.literal(100)]))),
  page: optional(z.coerce.number().int().min(1).max(100_000)),
});

export interface QueueQuery {
  stage?: string;
  call?: string;
  assignee?: string;
  track?: string;
  support?: string;
  overdue?: '1';
  sort: (typeof SORTS)[number];
  size: number;
  page: number;
}

/** Reads the queue's query string; anything unrecognised is ignored rather than refused. */
export function parseQueueQuery(q: Record<string, unknown>): QueueQuery {
  const p = querySchema.parse(q);
  return {
    stage: p.stage,
    call: p.call,
    assignee: p.assignee,
    track: p.track,
    support: p.support,
    overdue: p.overdue,
    sort: p.sort ?? 'due',
    size: p.size ?? 25,
    page: p.page ?? 1,
  };
}

/** `scope` is the user's case scope (server/cases/access.ts caseScopeFor); without it, the policy's filter without scored cases. */
export function queueFilter(user: UserDoc, q: QueueQuery, now: Date, scope: Record<string, unknown> = caseScopeFilter(user)): Record<string, unknown> {
  const and: Record<string, unknown>[] = [scope];
  and.push({ stage: q.stage ?? { $in: QUEUE_STAGES } });
  if (q.call) and.push({ call: new Types.ObjectId(q.call) });
  if (q.track) and.push({ track: q.track });
  if (q.assignee === 'me') and.push({ assignee: user._id });
  else if (q.assignee === 'unassigned') and.push({ assignee: null });
  else if (q.assignee) and.push({ assignee: new Types.ObjectId(q.assignee) });
  if (q.support) and.push({ supportTracks: { $elemMatch: { kind: q.support, status: { $in: ACTIVE_SUPPORT } } } });
  if (q.overdue) {
    and.push({
      $or: [
        { stageDueAt: { $lt: now } },
        { supportTracks: { $elemMatch: { status: { $in: ACTIVE_SUPPORT }, dueAt: { $lt: now } } } },
      ],
    });
  }
  return { $and: and };
}

const SORT_SPECS: Record<QueueQuery['sort'], Record<string, 1 | -1>> = {
  // Cases without a deadline sort last under ascending order only if we push them: Mongo puts
  // missing values first, so due-date sorting uses the index order and accepts that.
  due: { stageDueAt: 1, _id: 1 },
  submitted: { submittedAt: -1, _id: -1 },
  reference: { reference: 1 },
  score: { score: -1, _id: 1 },
};

/** Only what a queue row shows; histories, messages and outboxes stay in the database. */
const ROW_PROJECTION = {
  reference: 1,
  call: 1,
  institute: 1,
  applicant: 1,
  track: 1,
  stage: 1,
  stageDueAt: 1,
  stageEnteredAt: 1,
  submittedAt: 1,
  assignee: 1,
  score: 1,
  priority: 1,
  'profile.fullName': 1,
  'profile.nationality': 1,
  supportTracks: 1,
} as const;

export interface QueueRow {
  id: string;
  reference: string;
  fullName: string;
  nationality: string;
  track: string;
  stage: string;
  callTitle?: { vi?: string | null; en?: string | null } | null;
  assigneeName?: string;
  stageDueAt?: Date | null;
  submittedAt?: Date | null;
  score?: number | null;
  overdue: boolean;
  supportOverdue: string[];
  activeSupport: string[];
  docs?: { expired: number; expiring: number };
}

export interface QueuePage {
  rows: QueueRow[];
  total: number;
  page: number;
  pages: number;
  size: number;
}

interface LeanRow {
  _id: Types.ObjectId;
  reference: string;
  call: Types.ObjectId;
  track: string;
  stage: string;
  stageDueAt?: Date | null;
  submittedAt?: Date | null;
  assignee?: Types.ObjectId | null;
  score?: number | null;
  profile?: { fullName?: string | null; nationality?: string | null } | null;
  supportTracks?: Array<{ kind: string; status: string; dueAt?: Date | null }>;
}

export async function loadQueue(user: UserDoc, q: QueueQuery, now: Date): Promise<QueuePage> {
  const filter = queueFilter(user, q, now, await caseScopeFor(user));
  const total = await Case.countDocuments(filter);
  const pages = Math.max(1, Math.ceil(total / q.size));
  const page = Math.min(q.page, pages);
  const docs = await Case.find(filter, ROW_PROJECTION)
    .sort(SORT_SPECS[q.sort])
    .skip((page - 1) * q.size)
    .limit(q.size)
    .lean<LeanRow[]>();

  const assigneeIds = [...new Set(docs.map((d) => d.assignee && String(d.assignee)).filter(Boolean))] as string[];
  const callIds = [...new Set(docs.map((d) => String(d.call)))];
  const [assignees, calls, flags] = await Promise.all([
    assigneeIds.length ? User.find({ _id: { $in: assigneeIds } }, { name: 1 }).lean() : Promise.resolve([]),
    callIds.length ? Call.find({ _id: { $in: callIds } }, { title: 1 }).lean() : Promise.resolve([]),
    docs.length ? documentFlags(docs.map((d) => d._id), now) : Promise.resolve(new Map<string, { expired: number; expiring: number }>()),
  ]);
  const assigneeName = new Map(assignees.map((u) => [String(u._id), u.name]));
  const callTitle = new Map(calls.map((c) => [String(c._id), c.title]));

  const rows: QueueRow[] = docs.map((d) => {
    const late = supportOverdue(d.supportTracks ?? [], now);
    const flag = flags.get(String(d._id));
    return {
      id: String(d._id),
      reference: d.reference,
      fullName: d.profile?.fullName ?? '',
      nationality: d.profile?.nationality ?? '',
      track: d.track,
      stage: d.stage,
      callTitle: callTitle.get(String(d.call)),
      assigneeName: d.assignee ? assigneeName.get(String(d.assignee)) : undefined,
      stageDueAt: d.stageDueAt,
      submittedAt: d.submittedAt,
      score: d.score,
      overdue: (!!d.stageDueAt && d.stageDueAt.getTime() < now.getTime()) || late.length > 0,
      supportOverdue: late,
      activeSupport: (d.supportTracks ?? []).filter((s) => ACTIVE_SUPPORT.includes(s.status as never)).map((s) => s.kind),
      docs: flag && (flag.expired || flag.expiring) ? flag : undefined,
    };
  });
  return { rows, total, page, pages, size: q.size };
}

/** Options for the queue's filter selects: the calls and HR officers within the user's scope. */
export async function queueOptions(user: UserDoc): Promise<{ calls: { id: string; title: unknown }[]; officers: { id: string; name: string }[] }> {
  const callFilter: Record<string, unknown> =
    user.role === 'admin' ? {} : { $or: [{ institute: user.institute ?? null }, { _id: { $in: user.panelCalls ?? [] } }] };
  const officerFilter: Record<string, unknown> = user.role === 'admin' ? { role: 'hr_officer' } : { role: 'hr_officer', institute: user.institute ?? null };
  const [calls, officers] = await Promise.all([
    Call.find(callFilter, { title: 1 }).sort({ createdAt: -1 }).limit(500).lean(),
    User.find({ ...officerFilter, disabledAt: null }, { name: 1 }).sort({ name: 1 }).limit(500).lean(),
  ]);
  return {
    calls: calls.map((c) => ({ id: String(c._id), title: c.title })),
    officers: officers.map((o) => ({ id: String(o._id), name: o.name })),
  };
}

/** The query string for the same queue with some parameters changed (pagination, sorting links). */
export function queueHref(q: QueueQuery, change: Partial<Record<keyof QueueQuery, string | number | undefined>>): string {
  const merged: Record<string, unknown> = { ...q, ...change };
  const params = new URLSearchParams();
  for (const key of ['stage', 'call', 'assignee', 'track', 'support', 'overdue', 'sort', 'size', 'page'] as const) {
    const v = merged[key];
    if (v === undefined || v === '' || v === null) continue;
    if (key === 'sort' && v === 'due') continue;
    if (key === 'size' && Number(v) === 25) continue;
    if (key === 'page' && Number(v) === 1) continue;
    params.set(key, String(v));
  }
  const s = params.toString();
  return s ? `/cases?${s}` : '/cases';
}
