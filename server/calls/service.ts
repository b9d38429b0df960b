// Calls as applicants and visitors see them: the open calls (filtered by track and field), a
// published call's page, and where "apply" leads for an applicant (their application under way,
// or a new one while the call is open).
import type { Context } from '../context.ts';
import { Call, type CallDoc } from '../../models/call.ts';
import { Institute } from '../../models/institute.ts';
import type { Track } from '../../models/constants.ts';
import { NotFoundError } from '../errors.ts';
import { isPublished } from '../policies/call.ts';
import { existingApplication, isCallOpen } from '../applications/service.ts';
import { withFields } from '../support/with-fields.ts';
import { textIn } from '../support/localized.ts';
import { isId } from '../support/object-id.js';

/** A call by id, whatever its status (its policy decides who may see it); NotFoundError otherwise. */
export async function findCall(opts: { callId: string }): Promise<CallDoc> {
  const call = isId(opts.callId) ? await Call.findById(opts.callId) : null;
  if (!call) throw new NotFoundError();
  return call;
}

/** The calls open now, soonest closing first, and every field of an open call (for the filter). */
export async function listOpenCalls(opts: { ctx: Context; track?: Track; field?: string }) {
  const now = opts.ctx.now;
  const open = { status: 'open', opensAt: { $lte: now }, closesAt: { $gte: now } };
  const filter: Record<string, unknown> = { ...open };
  if (opts.track) filter.track = opts.track;
  // The field as the filter lists it, in the reader's language, or the other when the call has only
  // that one (textIn); a link shared from a page in the other language still finds it. A string is
  // a call stored before the field had two languages (until the backfill has run).
  if (opts.field) filter.$or = [{ 'field.vi': opts.field }, { 'field.en': opts.field }, { field: opts.field }];
  const [calls, fieldRows] = await Promise.all([
    Call.find(filter as never, { title: 1, track: 1, field: 1, closesAt: 1, institute: 1 }).sort({ closesAt: 1 }).limit(200).lean(),
    Call.find(open as never, { field: 1 }).limit(1000).lean(),
  ]);
  const institutes = await Institute.find({ _id: { $in: [...new Set(calls.map((c) => String(c.institute)))] } }, { name: 1 }).lean();
  const instituteName = new Map(institutes.map((i) => [String(i._id), i.name]));
  return {
    calls: calls.map((c) => withFields(c, { id: String(c._id), instituteName: instituteName.get(String(c.institute)) })),
    fields: [...new Set(fieldRows.map((r) => textIn(r.field, opts.ctx.locale)).filter(Boolean))].sort((a, b) => a.localeCompare(b, opts.ctx.locale)),
  };
}

/** The applicant's application under way for this call, as a link target. */
export interface OwnApplication {
  id: string;
  draft: boolean;
}

async function ownApplication(ctx: Context, call: CallDoc): Promise<OwnApplication | undefined> {
  if (ctx.actor?.role !== 'applicant') return undefined;
  const mine = await existingApplication(ctx.actor, call._id);
  return mine ? { id: String(mine._id), draft: mine.stage === 'draft' } : undefined;
}

/**
 * A published call's page (drafts are not published; a closed call stays readable so links in
 * e-mails keep working), with its institute and the visitor's own application for it, if any.
 */
export async function publishedCall(opts: { ctx: Context; callId: string }) {
  const call = await findCall({ callId: opts.callId });
  if (!isPublished(call)) throw new NotFoundError();
  const [institute, mine] = await Promise.all([Institute.findById(call.institute, { name: 1 }).lean(), ownApplication(opts.ctx, call)]);
  return { call, instituteName: institute?.name, open: isCallOpen(call, opts.ctx.now), mine };
}

/** Where "apply" leads: the application already under way (even when the call has closed since), or a new one while the call is open. */
export async function applyTarget(opts: { ctx: Context; call: CallDoc }): Promise<{ existing?: OwnApplication }> {
  const existing = await ownApplication(opts.ctx, opts.call);
  if (existing) return { existing };
  if (!isCallOpen(opts.call, opts.ctx.now)) throw new NotFoundError('calls.notOpen');
  return {};
}
