// A call as the case pages show it (its title and checklist), kept 5 s per call and forgotten on any
// write through the Call model here (server/support/kept-reads.ts): every case page, staff's and
// the applicant's, reads its call, and calls change rarely. Shared between requests: do not change.
import { Types } from 'mongoose';
import { Call, onCallWrite, type CallRecord } from '../../models/call.ts';
import { KeptReads } from '../support/kept-reads.ts';
import { isIdText } from '../support/object-id.js';

const keptCalls = new KeptReads<CallRecord | null>(5_000, { forgetOn: onCallWrite });

/** The call, or null when there is none with that id. */
export function shownCall(id: unknown): Promise<CallRecord | null> {
  if (!(id instanceof Types.ObjectId) && !isIdText(id)) return Promise.resolve(null);
  return keptCalls.get(String(id), () => Call.findById(id).lean<CallRecord>().exec());
}
