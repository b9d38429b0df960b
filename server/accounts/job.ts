// Registers the accounts' background service started by main.ts: the audit events of decisions
// about an account that a stopped process left unrecorded, and their e-mails left unsent (pending-audit.ts). First run soon after
// start (once PENDING_AUDIT_GRACE_MS has passed for anything the previous process left), then every
// 5 minutes (another instance's crash); a run with nothing to record is one read on a sparse index.
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
      await sendPendingAccountMails({ app, now });
    },
  }),
);
