// What a staff member's calendar feed says about one case: its deadlines as all-day events on the
// Vietnamese calendar day they fall on. Pure (case in, events out), so the feed, its tests and any
// other page agree. Each event's UID names the case and the thing that is due, never the date, so a
// calendar app that fetches the feed again moves the event instead of adding a second one.
import type { TFunction } from 'i18next';
import { ACTIVE_SUPPORT_STATUSES, inStages } from '../../models/constants.ts';
import { reasonsDueOf } from '../../models/case-deadline.ts';
import { vnDateKey } from '../calendar/index.ts';

export interface FeedCase {
  _id: unknown;
  reference: string;
  stage: string;
  stageDueAt?: Date | null;
  updatedAt?: Date | null;
  infoRequest?: { dueAt?: Date | null; requestedAt?: Date | null; answeredAt?: Date | null } | null;
  supportTracks?: Array<{ kind: string; status: string; dueAt?: Date | null; reasonsDueAt?: Date | null; reasonsReceivedAt?: Date | null }> | null;
  profile?: { plannedArrival?: Date | null } | null;
  arrivedAt?: Date | null;
}

export interface FeedEvent {
  /** Stable per case and deadline (RFC 5545 §3.8.4.7). */
  uid: string;
  /** 'YYYY-MM-DD' in Vietnam. */
  day: string;
  summary: string;
  url: string;
  /** When the case last changed: DTSTAMP (RFC 5545 §3.8.7.2: without METHOD, the last revision in the store). */
  stamp: Date;
  kind: 'stage' | 'info_request' | 'support' | 'reasons' | 'arrival';
}

export const UID_DOMAIN = 'talent.local';

export function feedEvents(c: FeedCase, t: TFunction, appUrl: string, fallbackStamp: Date): FeedEvent[] {
  const id = String(c._id);
  const url = `${appUrl}/cases/${id}`;
  const stamp = c.updatedAt ?? fallbackStamp;
  const uid = (...parts: string[]) => `${['case', id, ...parts].join('.')}@${UID_DOMAIN}`;
  const summary = (what: string) => `${c.reference} · ${what}`;
  const out: FeedEvent[] = [];
  if (c.stageDueAt) {
    const stage = t(`cases.stages.${c.stage}`, { defaultValue: c.stage });
    out.push({ kind: 'stage', uid: uid('stage', c.stage), day: vnDateKey(c.stageDueAt), summary: summary(t('calendarFeed.events.stage', { stage })), url, stamp });
  }
  const info = c.infoRequest;
  if (info?.dueAt && info.requestedAt && !info.answeredAt) {
    out.push({ kind: 'info_request', uid: uid('info', String(info.requestedAt.getTime())), day: vnDateKey(info.dueAt), summary: summary(t('calendarFeed.events.infoRequest')), url, stamp });
  }
  for (const tr of c.supportTracks ?? []) {
    // A refused procedure stays HR's work: its written reasons are due until received. The UID names
    // the procedure, not the day, so a holiday recount moves the event.
    const reasons = reasonsDueOf(tr);
    if (reasons) {
      const kind = t(`cases.supportKinds.${tr.kind}`, { defaultValue: tr.kind });
      out.push({ kind: 'reasons', uid: uid('reasons', tr.kind), day: vnDateKey(reasons), summary: summary(t('calendarFeed.events.reasons', { kind })), url, stamp });
    }
    if (!tr.dueAt || !inStages(tr.status, ACTIVE_SUPPORT_STATUSES)) continue;
    const kind = t(`cases.supportKinds.${tr.kind}`, { defaultValue: tr.kind });
    const status = t(`cases.supportStatuses.${tr.status}`, { defaultValue: tr.status });
    out.push({ kind: 'support', uid: uid('support', tr.kind), day: vnDateKey(tr.dueAt), summary: summary(t('calendarFeed.events.support', { kind, status })), url, stamp });
  }
  // Once the person has arrived the plan is history: the arrival is recorded, nothing is due.
  const arrived = !!c.arrivedAt || c.stage === 'arrived' || c.stage === 'closed';
  if (c.profile?.plannedArrival && !arrived) {
    out.push({ kind: 'arrival', uid: uid('arrival'), day: vnDateKey(c.profile.plannedArrival), summary: summary(t('calendarFeed.events.arrival')), url, stamp });
  }
  return out;
}
