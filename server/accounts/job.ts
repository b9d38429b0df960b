// Registers the accounts' background services started by main.ts (pending-audit.ts): the audit
// events of decisions about an account that a stopped process left unrecorded, first run soon after
// start (once PENDING_AUDIT_GRACE_MS has passed for anything the previous process left), then every
// 5 minutes (another instance's crash); and the account-mail job, the e-mails administrators'
// actions owe (left unsent by a stopped process, or due again after a transient SMTP failure), run
// as often as the case outbox's dispatcher (DISPATCH_INTERVAL_MS) so a retry keeps its backoff. A
// run with nothing to do is one read on a sparse index.
import { periodicService, registerService } from '../services.ts';
import { PENDING_AUDIT_GRACE_MS, recordPendingAccountAudits, sendPendingAccountMails } from './pending-audit.ts';

export const PENDING_AUDITS_INTERVAL_MS = 5 * 60_000;

registerService((app) =>
  periodicService(app, {
    name: 'pending-account-audits',
    intervalMs: PENDING_AUDITS_INTERVAL_MS,
    firstDelayMs: PENDING_AUDIT_GRACE_MS + 5_000,
    run: async () => {
      // The app's clock, as the decisions' times it compares with.
      const now = app.now();
      await recordPendingAccountAudits({ now, logger: app.logger });
    },
  }),
);

registerService((app) =>
  periodicService(app, {
    name: 'account-mail',
    intervalMs: app.config.dispatchIntervalMs,
    // What a stopped process left is past its grace by then (as for the audits above), never later.
    firstDelayMs: Math.min(app.config.dispatchIntervalMs, PENDING_AUDIT_GRACE_MS + 5_000),
    run: async () => {
      await sendPendingAccountMails({ app, now: app.now() });
    },
  }),
);
