// The audit events a change carries in its own write (`pendingAudits`, a list, select: false), for
// every collection whose records carry them: cases (server/cases/pending-audit.ts) and documents
// (server/documents/pending-audit.ts). With no transaction between a record's write and the audit
// insert, the event goes into the write itself; settle() records each under its own id and pulls
// it; a process that dies in between leaves it on the record, and recordLeft() (a background job)
// records it as it was captured, with `recordedByRepair`, once the grace has passed (counted on the
// app's clock from the change's time on that clock). Clearing is bookkeeping: no timestamps, no
// version. One implementation for every carrier, so the rules (once, safe twice, after the grace)
// cannot drift apart.
import type { Model } from 'mongoose';
import { recordPendingAudit, type PendingAudit } from './index.ts';
import type { Logger } from '../logger.ts';

/**
 * How long a request may take between a record's write and its audit event before the repair takes
 * the event as left behind: milliseconds in practice (a write and an insert), so ten seconds is far
 * beyond a request still running on another instance.
 */
export const PENDING_AUDIT_GRACE_MS = 10_000;

export interface PendingAuditRepair {
  /** Events recorded by the repair. */
  recorded: number;
  /** Events already recorded (the process died between recording and clearing): only cleared. */
  cleared: number;
  /** Events that cannot be recorded (malformed: no writer of this code leaves one), left where they are and logged; absent when none. */
  unrecordable?: number;
}

/** The `$push` entry that puts the events on the record with the change (merge it into the update's $push). */
export function withPendingAudits(events: readonly PendingAudit[]): { pendingAudits: { $each: PendingAudit[] } } {
  return { pendingAudits: { $each: [...events] } };
}

/** The events' ids, as the $pull that clears them matches them. */
export function clearingOf(events: readonly PendingAudit[]): { filter: Record<string, unknown>; update: { $pull: Record<string, unknown> } } {
  const ids = events.map((e) => e.eventId);
  return { filter: { 'pendingAudits.eventId': { $in: ids } }, update: { $pull: { pendingAudits: { eventId: { $in: ids } } } } };
}

export interface PendingAuditCarrier {
  /** What an event is about: the record carrying it, unless the event names its own target. */
  targetOf(event: PendingAudit, carrierId: unknown): { targetType: string; targetId: string };
  /** Records the events (with `more`, learnt after the write), without clearing them: for a caller that clears them in a write of its own. */
  record(carrierIds: unknown, events: readonly PendingAudit[], more?: Record<string, unknown>): Promise<void>;
  /**
   * Records the change's events, then clears them from the record(s) that carry them: one, or the
   * records of a bulk write that pushed the same event on each. An event the repair recorded first
   * stays as the repair recorded it.
   */
  settle(carrierIds: unknown, events: readonly PendingAudit[], more?: Record<string, unknown>): Promise<void>;
  /**
   * Records the events left unrecorded by a process that stopped after the record's write (older
   * than `olderThanMs` on the app's clock, so a request still running finishes its own), and clears
   * them. Safe twice or on two instances at once: an event is stored under its own id, once; the
   * second recorder only clears it.
   */
  recordLeft(opts: { now: Date; olderThanMs?: number; logger?: Logger }): Promise<PendingAuditRepair>;
  /**
   * Records, before the records matching `filter` are erased, the events they still carry (a change
   * that stopped within the grace), marked `recordedBeforeErasure`: erasing a record must not erase
   * the fact of the change with it. Their ids keep them from being recorded twice. Answers how many.
   */
  recordBeforeErasure(filter: Record<string, unknown>): Promise<number>;
}

export function pendingAuditCarrier(opts: {
  // Any model whose schema has `pendingAudits: [pendingAuditSchema]` (models/pending-audit.ts).
  model: Model<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** The target type of an event that names none: the carrier's own. */
  targetType: string;
  /** The warning the repair logs when it recorded something. */
  leftBehind: string;
  /** What the repair adds to an event it records: what it can tell of the change the stopped process may not have finished. */
  checkLeft?: (event: PendingAudit, carrierId: unknown) => Promise<Record<string, unknown>>;
}): PendingAuditCarrier {
  const { model } = opts;
  const targetOf = (event: PendingAudit, carrierId: unknown) => ({ targetType: event.targetType ?? opts.targetType, targetId: event.targetId ?? String(carrierId) });
  const record = async (carrierIds: unknown, events: readonly PendingAudit[], more?: Record<string, unknown>) => {
    for (const event of events) await recordPendingAudit(event, targetOf(event, carrierIds), more);
  };
  return {
    targetOf,
    record,
    async settle(carrierIds, events, more) {
      if (events.length === 0) return;
      await record(carrierIds, events, more);
      const { filter, update } = clearingOf(events);
      // Not a change of the record: a form built on its version (or its updatedAt) stays good.
      if (Array.isArray(carrierIds)) await model.updateMany({ _id: { $in: carrierIds }, ...filter }, update, { timestamps: false });
      else await model.updateOne({ _id: carrierIds, ...filter }, update, { timestamps: false });
    },
    async recordBeforeErasure(filter) {
      const carrying = await model.find({ ...filter, 'pendingAudits.eventId': { $exists: true } }, { pendingAudits: 1 }).lean<Array<{ _id: unknown; pendingAudits?: PendingAudit[] }>>();
      let events = 0;
      for (const c of carrying) {
        await record(c._id, c.pendingAudits ?? [], { recordedBeforeErasure: true });
        events += c.pendingAudits?.length ?? 0;
      }
      return events;
    },
    async recordLeft({ now, olderThanMs, logger }) {
      const cutoff = new Date(now.getTime() - (olderThanMs ?? PENDING_AUDIT_GRACE_MS));
      const left = await model.find({ 'pendingAudits.decidedAt': { $lt: cutoff } }, { pendingAudits: 1 }).lean<Array<{ _id: unknown; pendingAudits?: PendingAudit[] }>>();
      const result: PendingAuditRepair = { recorded: 0, cleared: 0 };
      for (const c of left) {
        const events = (c.pendingAudits ?? []).filter((e) => (e.decidedAt ?? e.at).getTime() < cutoff.getTime());
        for (const event of events) {
          let recorded: boolean;
          try {
            recorded = await recordPendingAudit(event, targetOf(event, c._id), { ...(await opts.checkLeft?.(event, c._id)), recordedByRepair: true });
          } catch (err) {
            // One malformed event (written by hand or by an older version: an id that is no ObjectId) must
            // not stop the repair of every record after it. Kept on its record as evidence, logged each run.
            if ((err as { name?: string }).name !== 'ValidationError') throw err;
            result.unrecordable = (result.unrecordable ?? 0) + 1;
            logger?.error({ carrierId: String(c._id), eventId: String(event.eventId), err: (err as Error).message }, `${opts.leftBehind}: an event left behind cannot be recorded (malformed); left on its record`);
            continue;
          }
          const { filter, update } = clearingOf([event]);
          await model.updateOne({ _id: c._id, ...filter }, update, { timestamps: false });
          if (recorded) result.recorded += 1;
          else result.cleared += 1;
        }
      }
      if (result.recorded) logger?.warn({ ...result }, opts.leftBehind);
      return result;
    },
  };
}
