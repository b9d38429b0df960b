// Calls for applications as administrators keep them: the list with each call's institute and
// number of cases, and saving the call form (server/admin/call-form.ts) as a new or an edited call.
import type { Context } from '../context.ts';
import { Call, type CallDoc } from '../../models/call.ts';
import { Case } from '../../models/case.ts';
import { Institute } from '../../models/institute.ts';
import { NotFoundError } from '../errors.ts';
import { recordAudit } from '../audit/index.ts';
import { validateCall, type CallFormValues } from './call-form.ts';
import type { SaveResult } from './institutes.ts';
import { withFields } from '../support/with-fields.ts';

export async function listCalls() {
  const [calls, institutes, counts] = await Promise.all([
    Call.find().sort({ status: 1, closesAt: -1 }).lean(),
    Institute.find({}, { code: 1 }).lean(),
    Case.aggregate<{ _id: unknown; n: number }>([{ $group: { _id: '$call', n: { $sum: 1 } } }]),
  ]);
  const code = new Map(institutes.map((i) => [String(i._id), i.code]));
  const cases = new Map(counts.map((c) => [String(c._id), c.n]));
  return calls.map((c) => withFields(c, { id: String(c._id), instituteCode: code.get(String(c.institute)) ?? '', cases: cases.get(String(c._id)) ?? 0 }));
}

/**
 * Validates the form's values and stores them: a new call, or `call` changed. On errors, the
 * values' rows carry their own message keys too (the form shows each beside its row).
 */
export async function saveCall(opts: { ctx: Context; call?: CallDoc; values: CallFormValues }): Promise<SaveResult> {
  const { ctx, call } = opts;
  const instituteIds = (await Institute.find({}, { _id: 1 }).lean()).map((i) => String(i._id));
  const { data, errors } = validateCall(opts.values, instituteIds);
  if (!data) return { ok: false, errors };
  if (call) {
    const id = String(call._id);
    const res = await Call.updateOne({ _id: call._id }, { $set: data, ...(data.code ? {} : { $unset: { code: '' } }) }, { runValidators: true });
    if (res.matchedCount === 0) throw new NotFoundError();
    await recordAudit(ctx, { action: 'call.update', targetType: 'call', targetId: id, summary: { status: data.status, checklist: data.checklist.length, scorecard: data.scorecard.length } });
    return { ok: true, id };
  }
  const created = await Call.create(data);
  const id = String(created._id);
  await recordAudit(ctx, { action: 'call.create', targetType: 'call', targetId: id, summary: { status: data.status, institute: data.institute } });
  return { ok: true, id };
}
