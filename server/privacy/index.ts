// Retention (Personal Data Protection Law 91/2025, Art. 25(1)(c): a candidate not recruited has
// their data deleted unless agreed otherwise, news.laodong.vn 1637338; DESIGN.md §8): an unsuccessful
// application (rejected or withdrawn) is erased RETENTION_DAYS after it reached that stage, unless
// the applicant agreed to keep it (Case.keepDataConsent). What stays is an audit event with the
// reference, the call and the dates. The applicant's account stays (they may apply again); an
// applicant account that never confirmed its e-mail address, has no case and has not been used
// for RETENTION_DAYS is deleted too.
//
// Safe to run twice or on two instances, and after a crash part-way: every step re-checks the
// conditions in its own filter, files go before records, and a case is deleted last.
import type { AppContext } from '../deps.ts';
import { systemContext, type Context } from '../context.ts';
import { periodicService, type BackgroundService } from '../services.ts';
import { Case } from '../../models/case.ts';
import { User } from '../../models/user.ts';
import { Token } from '../../models/token.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import { UNSUCCESSFUL_STAGES } from '../../models/constants.ts';
import { recordAudit } from '../audit/index.ts';
import { documentStores, eraseAccountMail, eraseCaseFiles, type Stores } from './erase.ts';
import { caseAudits } from '../cases/pending-audit.ts';

const DAY_MS = 86_400_000;

export interface RetentionResult {
  casesErased: number;
  filesRemoved: number;
  accountsDeleted: number;
  /** True when a batch was full: there may be more to do now. */
  more: boolean;
}

export interface RetentionOptions {
  app: Pick<AppContext, 'config' | 'db' | 'logger' | 'now'>;
  /** The run's time (default: the app clock now). */
  now?: Date;
  /** Cases (and, separately, accounts) handled per run. */
  batchSize?: number;
  stores?: Stores;
}

function retentionCutoff(app: Pick<AppContext, 'config'>, now: Date): Date {
  return new Date(now.getTime() - app.config.retentionDays * DAY_MS);
}

/** The cases due for erasure at `now`; also the guard of every write, so a case that changed since it was read is left alone. */
function dueFilter(cutoff: Date): Record<string, unknown> {
  return { stage: { $in: [...UNSUCCESSFUL_STAGES] }, stageEnteredAt: { $lt: cutoff }, keepDataConsent: { $ne: true } };
}

async function auditOnce(ctx: Context, event: { action: string; targetType: string; targetId: string; summary: Record<string, unknown> }): Promise<void> {
  // A run that stopped after its audit event but before the delete must not log the erasure twice.
  if (await AuditEvent.exists({ action: event.action, targetType: event.targetType, targetId: event.targetId })) return;
  await recordAudit(ctx, { ...event, actorRole: 'system' });
}

export async function runRetention(opts: RetentionOptions): Promise<RetentionResult> {
  const { app } = opts;
  const now = opts.now ?? app.now();
  const ctx = systemContext({ now });
  const batchSize = opts.batchSize ?? 100;
  const stores = opts.stores ?? documentStores(app);
  const cutoff = retentionCutoff(app, now);
  const result: RetentionResult = { casesErased: 0, filesRemoved: 0, accountsDeleted: 0, more: false };

  const due = await Case.find(dueFilter(cutoff), { reference: 1, call: 1, stageEnteredAt: 1, submittedAt: 1, createdAt: 1 })
    .sort({ stageEnteredAt: 1 })
    .limit(batchSize)
    .lean();
  for (const c of due) {
    try {
      const { files } = await eraseCaseFiles(stores, c._id);
      await auditOnce(ctx, {
        action: 'privacy.case_erased',
        targetType: 'Case',
        targetId: String(c._id),
        summary: { reference: c.reference, call: String(c.call), createdAt: c.createdAt, submittedAt: c.submittedAt, stageEnteredAt: c.stageEnteredAt, erasedAt: now },
      });
      // The events the case still carries (a change that stopped within the grace) are recorded before it goes, as its documents' and conflicts' are.
      await caseAudits.recordBeforeErasure({ _id: c._id, ...dueFilter(cutoff) });
      const del = await Case.deleteOne({ _id: c._id, ...dueFilter(cutoff) });
      result.casesErased += del.deletedCount;
      result.filesRemoved += files;
    } catch (err) {
      // One case that cannot be erased now (a storage error) does not stop the others; it is retried next run.
      app.logger.error({ err, caseId: String(c._id) }, 'retention: case could not be erased');
    }
  }

  // Applicant accounts that were never confirmed, have no case and have not been used for the period.
  // Walked with a cursor: accounts that still have a draft are skipped without blocking the rest.
  const unused: Record<string, unknown> = { role: 'applicant', emailVerifiedAt: null, createdAt: { $lt: cutoff }, $or: [{ lastSignInAt: null }, { lastSignInAt: { $lt: cutoff } }] };
  let accountsFull = false;
  for await (const u of User.find(unused, { _id: 1, createdAt: 1, email: 1 }).sort({ _id: 1 }).lean().cursor()) {
    if (result.accountsDeleted >= batchSize) {
      accountsFull = true;
      break;
    }
    if (await Case.exists({ applicant: u._id })) continue;
    const del = await User.deleteOne({ _id: u._id, ...unused });
    if (del.deletedCount !== 1) continue;
    await Token.deleteMany({ user: u._id });
    await eraseAccountMail(u.email);
    await auditOnce(ctx, { action: 'privacy.account_erased', targetType: 'user', targetId: String(u._id), summary: { createdAt: u.createdAt, erasedAt: now, reason: 'unverified_unused' } });
    result.accountsDeleted += 1;
  }

  result.more = due.length === batchSize || accountsFull;
  return result;
}

/** Runs retention a minute after start and then once a day; full batches are followed by more batches (bounded). */
export function retentionService(app: AppContext, intervalMs = DAY_MS, maxBatchesPerRun = 50): BackgroundService {
  return periodicService(app, {
    name: 'retention',
    intervalMs,
    firstDelayMs: 60_000,
    run: async (isStopping) => {
      const total = { casesErased: 0, filesRemoved: 0, accountsDeleted: 0 };
      for (let i = 0; i < maxBatchesPerRun && !isStopping(); i++) {
        const r = await runRetention({ app });
        total.casesErased += r.casesErased;
        total.filesRemoved += r.filesRemoved;
        total.accountsDeleted += r.accountsDeleted;
        // A full batch that erased nothing (every case failed) would loop without progress.
        if (!r.more || (r.casesErased === 0 && r.accountsDeleted === 0)) break;
      }
      if (total.casesErased || total.accountsDeleted) app.logger.info(total, 'retention: personal data erased');
    },
  });
}
