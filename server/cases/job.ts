// Registers the cases' background services started by main.ts: the repair of stranded cases, the
// end of unfinished holiday recounts and the audit events of changes a stopped process left unrecorded.
//
// The repair of stranded cases (stranded.ts): shortly after start, when a process killed between a role change or a disabling and the
// return of that person's cases has just been restarted, and then every 10 minutes (a crash of
// another instance, an assignment that crossed a disabling). Each run is a few index reads when
// there is nothing to repair.
import type { AppContext } from '../deps.ts';
import { systemContext } from '../context.ts';
import { periodicService, registerService, type BackgroundService } from '../services.ts';
import { returnStrandedCases } from './stranded.ts';
import { resumeRecounts } from './deadline-recount.ts';
import { PENDING_AUDIT_GRACE_MS, recordPendingCaseAudits } from './pending-audit.ts';
import { recordPendingDocumentAudits } from '../documents/pending-audit.ts';
import { recordPendingConflictAudits } from '../evaluations/index.ts';

export const STRANDED_CASES_INTERVAL_MS = 10 * 60_000;
/** After the first requests (the start-time backfills wait 5 s too), and well before anyone misses the cases. */
export const STRANDED_CASES_FIRST_DELAY_MS = 5_000;

export function strandedCasesService(app: AppContext, opts: { intervalMs?: number; firstDelayMs?: number } = {}): BackgroundService {
  return periodicService(app, {
    name: 'stranded-cases',
    intervalMs: opts.intervalMs ?? STRANDED_CASES_INTERVAL_MS,
    firstDelayMs: opts.firstDelayMs ?? STRANDED_CASES_FIRST_DELAY_MS,
    run: async () => {
      const r = await returnStrandedCases({ ctx: systemContext({ now: app.now() }), logger: app.logger });
      // Something to repair means a crash or a race happened: worth a warning, with the figures.
      if (r.cases) app.logger.warn({ holders: r.holders, cases: r.cases }, 'open cases of people who can no longer hold them returned to the queue');
    },
  });
}

registerService((app) => strandedCasesService(app));

/**
 * The holiday recounts a stopped process left unfinished (deadline-recount.ts resumeRecounts): every
 * 5 minutes, first 30 s after start, so a restart after a crash puts the deadlines right within a
 * minute of coming back.
 */
export const RECOUNT_RESUME_INTERVAL_MS = 5 * 60_000;

registerService((app) =>
  periodicService(app, {
    name: 'deadline-recount-resume',
    intervalMs: RECOUNT_RESUME_INTERVAL_MS,
    firstDelayMs: 30_000,
    run: async () => {
      const r = await resumeRecounts(app);
      if (r.resumed || r.failed) app.logger.info(r, 'unfinished deadline recounts run');
    },
  }),
);

/**
 * The audit events of case changes a stopped process left on the cases (pending-audit.ts), and of
 * document writes on the documents (server/documents/pending-audit.ts): first run once the grace has
 * passed for anything the previous process left, then every 5 minutes (another instance's crash); a
 * run with nothing to record is one read on each sparse index. One job (its name kept): a restart's
 * first run leaves both audited.
 */
export const PENDING_CASE_AUDITS_INTERVAL_MS = 5 * 60_000;

registerService((app) =>
  periodicService(app, {
    name: 'pending-case-audits',
    intervalMs: PENDING_CASE_AUDITS_INTERVAL_MS,
    firstDelayMs: PENDING_AUDIT_GRACE_MS + 5_000,
    // The app's clock, as the changes' times it compares with.
    run: async () => {
      await recordPendingCaseAudits({ now: app.now(), logger: app.logger });
      await recordPendingDocumentAudits({ now: app.now(), logger: app.logger });
      await recordPendingConflictAudits({ now: app.now(), logger: app.logger });
    },
  }),
);
