// Settings validated at boot: the outbox's retry and lease settings (the drills make them short).
import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../server/config.ts';

describe('platform: outbox and SMTP settings', () => {
  it('defaults to a 2-minute lease, 30 s backoff doubling to an hour, and 15 s SMTP timeouts', () => {
    const c = loadConfig({});
    expect(c.outbox).to.deep.equal({ leaseMs: 120_000, retryBaseMs: 30_000, retryMaxMs: 3_600_000, maxAttempts: 8 });
    expect(c.smtpTimeoutMs).to.equal(15_000);
  });

  it('takes shorter values from the environment', () => {
    const c = loadConfig({ SMTP_TIMEOUT_MS: '500', OUTBOX_LEASE_MS: '2000', OUTBOX_RETRY_BASE_MS: '100', OUTBOX_RETRY_MAX_MS: '1000' });
    expect(c.outbox).to.deep.equal({ leaseMs: 2000, retryBaseMs: 100, retryMaxMs: 1000, maxAttempts: 8 });
    expect(c.smtpTimeoutMs).to.equal(500);
  });

  it('refuses a lease shorter than four SMTP timeouts (a second instance could send the same e-mail)', () => {
    expect(() => loadConfig({ SMTP_TIMEOUT_MS: '15000', OUTBOX_LEASE_MS: '30000' })).to.throw(ConfigError, /OUTBOX_LEASE_MS/);
  });

  it('refuses a backoff cap below its base, and values that are not numbers', () => {
    expect(() => loadConfig({ OUTBOX_RETRY_BASE_MS: '5000', OUTBOX_RETRY_MAX_MS: '1000' })).to.throw(ConfigError, /OUTBOX_RETRY_MAX_MS/);
    expect(() => loadConfig({ OUTBOX_RETRY_BASE_MS: 'soon' })).to.throw(ConfigError, /OUTBOX_RETRY_BASE_MS/);
  });
});
