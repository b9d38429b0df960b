// Who in an institute's HR office is told of a case when no officer is assigned (or besides the
// assignee): its HR leads, else (none named) its HR officers; enabled accounts only.
import type { Types } from 'mongoose';
import { User } from '../../models/user.ts';

export interface HrRecipient {
  _id: Types.ObjectId;
  email: string;
  name: string;
  locale?: string | null;
}

/** At most 50 officers when no lead is named: a notice, not a mailing list. */
const MAX_OFFICERS = 50;

export async function hrLeadsElseOfficers(institute: Types.ObjectId | null | undefined): Promise<HrRecipient[]> {
  // No institute: nobody. `{ institute: null }` would match every officer not placed in one, who
  // would then read another institute's case (a case always has one; this keeps it so if not).
  if (!institute) return [];
  const staff = { role: 'hr_officer' as const, institute, disabledAt: null };
  const fields = { email: 1, name: 1, locale: 1 };
  const leads = await User.find({ ...staff, isHrLead: true }, fields).sort({ _id: 1 }).lean<HrRecipient[]>();
  return leads.length > 0 ? leads : User.find(staff, fields).sort({ _id: 1 }).limit(MAX_OFFICERS).lean<HrRecipient[]>();
}
