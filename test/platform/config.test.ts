// Settings validated at boot: the outbox's retry and lease settings (the drills make them short), the database driver's timeouts, the web processes, and the sign-in limits.
import { expect } from 'chai';
import { availableParallelism } from 'node:os';
import { ConfigError, autoWebWorkers, loadConfig } from '../../server/config.ts';

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

describe('platform: numbers in the environment', () => {
  it('are decimal digits: hex, exponents, blanks and signs are refused at boot naming the variable and what to write (z.coerce read "0x10" as 16 and a blank as 0, turning features off)', () => {
    for (const [name, bad] of [['PORT', '0x10'], ['UPLOAD_MAX_MB', '1e3'], ['QUEUE_ROWS_KEPT_MS', ''], ['MESSAGE_DIGEST_MINUTES', '  '], ['OUTBOX_MAX_ATTEMPTS', '+5'], ['SESSION_IDLE_MINUTES', 'Infinity']] as const) {
      expect(() => loadConfig({ [name]: bad }), `${name}=${bad}`).to.throw(ConfigError, new RegExp(`${name}: (is set but empty|".*" is not a number: write digits only)`));
    }
    // Digits (with surrounding spaces, or a decimal part where the setting takes one) still read as before.
    expect(loadConfig({ PORT: ' 3001 ' }).port).to.equal(3001);
    expect(loadConfig({ UPLOAD_MAX_MB: '2.5' }).upload.maxBytes).to.equal(2.5 * 1024 * 1024);
    expect(loadConfig({ QUEUE_ROWS_KEPT_MS: '0' }).queueRowsKeptMs).to.equal(0);
  });
});

describe("platform: the window gathering an applicant's messages into one e-mail to HR", () => {
  it('is 10 minutes unless set; 0 turns it off (one e-mail per message); a negative, fractional, over-a-day or non-number value is refused at boot', () => {
    expect(loadConfig({}).messageDigestMs).to.equal(600_000);
    expect(loadConfig({ MESSAGE_DIGEST_MINUTES: '3' }).messageDigestMs).to.equal(180_000);
    expect(loadConfig({ MESSAGE_DIGEST_MINUTES: '0' }).messageDigestMs).to.equal(0);
    for (const bad of ['-1', '2.5', '1441', 'soon']) expect(() => loadConfig({ MESSAGE_DIGEST_MINUTES: bad }), bad).to.throw(ConfigError, /MESSAGE_DIGEST_MINUTES/);
  });
});

describe('platform: the running sweep of GridFS chunks of uploads cut short (GRIDFS_*)', () => {
  it('waits 15 minutes after an upload began and runs hourly unless set; refuses under a second and values that are not whole numbers', () => {
    const c = loadConfig({}).upload;
    expect([c.gridfsGraceMs, c.gridfsSweepIntervalMs]).to.deep.equal([900_000, 3_600_000]);
    const set = loadConfig({ GRIDFS_GRACE_MS: '6000', GRIDFS_SWEEP_INTERVAL_MS: '60000' }).upload;
    expect([set.gridfsGraceMs, set.gridfsSweepIntervalMs]).to.deep.equal([6000, 60_000]);
    for (const bad of ['999', '0', '-5', '1.5', 'soon']) {
      expect(() => loadConfig({ GRIDFS_GRACE_MS: bad }), bad).to.throw(ConfigError, /GRIDFS_GRACE_MS/);
      expect(() => loadConfig({ GRIDFS_SWEEP_INTERVAL_MS: bad }), bad).to.throw(ConfigError, /GRIDFS_SWEEP_INTERVAL_MS/);
    }
  });

  it('refuses values past a timer’s reach (Node would fire them after 1 ms: a sweep back to back)', () => {
    expect(loadConfig({ GRIDFS_SWEEP_INTERVAL_MS: String(2 ** 31 - 1) }).upload.gridfsSweepIntervalMs).to.equal(2 ** 31 - 1);
    expect(() => loadConfig({ GRIDFS_SWEEP_INTERVAL_MS: String(2 ** 31) })).to.throw(ConfigError, /GRIDFS_SWEEP_INTERVAL_MS/);
    expect(() => loadConfig({ GRIDFS_SWEEP_INTERVAL_MS: String(30 * 86_400_000) })).to.throw(ConfigError, /GRIDFS_SWEEP_INTERVAL_MS/);
    expect(() => loadConfig({ GRIDFS_GRACE_MS: String(2 ** 31) })).to.throw(ConfigError, /GRIDFS_GRACE_MS/);
  });

  it('in production refuses a grace under 10 minutes: the sweeps would take the chunks, files and letters of uploads still under way', () => {
    const prod = { NODE_ENV: 'production', SESSION_SECRET: 'x'.repeat(40), DATA_ENCRYPTION_KEY: 'ab'.repeat(32) };
    expect(loadConfig(prod).upload.gridfsGraceMs).to.equal(900_000);
    expect(loadConfig({ ...prod, GRIDFS_GRACE_MS: '600000' }).upload.gridfsGraceMs).to.equal(600_000);
    expect(() => loadConfig({ ...prod, GRIDFS_GRACE_MS: '599999' })).to.throw(ConfigError, /GRIDFS_GRACE_MS: at least 600000/);
  });
});

describe('platform: database driver timeouts', () => {
  it('defaults to 10 s server selection, connect timeout and heartbeat, and a 60 s limit per operation', () => {
    expect(loadConfig({}).db).to.deep.equal({ serverSelectionTimeoutMs: 10_000, connectTimeoutMs: 10_000, heartbeatMs: 10_000, socketTimeoutMs: 60_000 });
  });

  it('takes shorter values from the environment, and 0 for no limit per operation', () => {
    const c = loadConfig({ DB_SERVER_SELECTION_TIMEOUT_MS: '3000', DB_CONNECT_TIMEOUT_MS: '2000', DB_HEARTBEAT_MS: '1000', DB_SOCKET_TIMEOUT_MS: '0' });
    expect(c.db).to.deep.equal({ serverSelectionTimeoutMs: 3000, connectTimeoutMs: 2000, heartbeatMs: 1000, socketTimeoutMs: 0 });
  });

  it('refuses a heartbeat under the driver’s 500 ms, values that are not numbers, and a per-operation limit the monitor would not beat', () => {
    expect(() => loadConfig({ DB_HEARTBEAT_MS: '100' })).to.throw(ConfigError, /DB_HEARTBEAT_MS/);
    expect(() => loadConfig({ DB_CONNECT_TIMEOUT_MS: 'soon' })).to.throw(ConfigError, /DB_CONNECT_TIMEOUT_MS/);
    expect(() => loadConfig({ DB_SOCKET_TIMEOUT_MS: '15000' })).to.throw(ConfigError, /DB_SOCKET_TIMEOUT_MS: must be 0 \(no limit\) or at least DB_HEARTBEAT_MS \+ DB_CONNECT_TIMEOUT_MS \(20000\)/);
  });
});

describe('platform: web processes (WEB_WORKERS)', () => {
  it('defaults to one per core left beside the embedded database (every core with MONGODB_URI), up to 4, and none below two', () => {
    expect([1, 2, 3, 4, 8, 64].map((cores) => autoWebWorkers(cores, false))).to.deep.equal([0, 0, 2, 3, 4, 4]);
    expect([1, 2, 3, 4, 8].map((cores) => autoWebWorkers(cores, true))).to.deep.equal([0, 2, 3, 4, 4]);
    expect(loadConfig({}).webWorkers).to.equal(autoWebWorkers(availableParallelism(), false));
    expect(loadConfig({ MONGODB_URI: 'mongodb://db.example.org/talent' }).webWorkers).to.equal(autoWebWorkers(availableParallelism(), true));
  });

  it('takes a number from 0 (the database process serves alone) to 32', () => {
    expect(loadConfig({ WEB_WORKERS: '0' }).webWorkers).to.equal(0);
    expect(loadConfig({ WEB_WORKERS: '3' }).webWorkers).to.equal(3);
    expect(loadConfig({ WEB_WORKERS: 'auto' }).webWorkers).to.equal(loadConfig({}).webWorkers);
  });

  it('refuses anything else, saying what it takes', () => {
    for (const bad of ['-1', '33', 'two', '1.5', '']) {
      expect(() => loadConfig({ WEB_WORKERS: bad }), bad).to.throw(ConfigError, /WEB_WORKERS: must be auto or a whole number from 0 to 32/);
    }
  });
});

describe('platform: sign-in limits (LOGIN_*)', () => {
  it('defaults to a pause of an hour after 50 failures for one e-mail within an hour, from any address', () => {
    const c = loadConfig({});
    expect(c.login).to.deep.equal({ maxFailures: 5, lockoutMs: 15 * 60_000 });
    expect(c.loginAccount).to.deep.equal({ maxFailures: 50, windowMs: 60 * 60_000, lockoutMs: 60 * 60_000 });
    const mine = loadConfig({ LOGIN_ACCOUNT_MAX_FAILURES: '100', LOGIN_ACCOUNT_WINDOW_MINUTES: '120', LOGIN_ACCOUNT_LOCKOUT_MINUTES: '30' });
    expect(mine.loginAccount).to.deep.equal({ maxFailures: 100, windowMs: 120 * 60_000, lockoutMs: 30 * 60_000 });
  });

  it('refuses an account limit that one address could reach under its own lock, a window shorter than that lock, and values that are not numbers', () => {
    // 5 failures per 15-minute lock, over 60 minutes: up to 25 from one address.
    expect(() => loadConfig({ LOGIN_ACCOUNT_MAX_FAILURES: '25' })).to.throw(ConfigError, /LOGIN_ACCOUNT_MAX_FAILURES: must be more than 25/);
    expect(loadConfig({ LOGIN_ACCOUNT_MAX_FAILURES: '26' }).loginAccount.maxFailures).to.equal(26);
    expect(() => loadConfig({ LOGIN_ACCOUNT_WINDOW_MINUTES: '10' })).to.throw(ConfigError, /LOGIN_ACCOUNT_WINDOW_MINUTES: must be at least LOGIN_LOCKOUT_MINUTES \(15\)/);
    expect(() => loadConfig({ LOGIN_ACCOUNT_MAX_FAILURES: 'many' })).to.throw(ConfigError, /LOGIN_ACCOUNT_MAX_FAILURES/);
    expect(() => loadConfig({ LOGIN_ACCOUNT_LOCKOUT_MINUTES: '0' })).to.throw(ConfigError, /LOGIN_ACCOUNT_LOCKOUT_MINUTES/);
  });
});

describe('platform: the e-mailed links’ base with PORT=0', () => {
  it('names the port bound once the server listens (drills e-mailed http://127.0.0.1:0/... links); a fixed PORT or an APP_URL is kept', async () => {
    const { listeningOn } = await import('../../server/config.ts');
    const zero = loadConfig({ PORT: '0', HOST: '127.0.0.1' });
    expect(zero.appUrl).to.equal('http://127.0.0.1:0');
    listeningOn(zero, 41234);
    expect(zero.appUrl).to.equal('http://127.0.0.1:41234');
    listeningOn(zero, 5); // settled once: a second report changes nothing
    expect(zero.appUrl).to.equal('http://127.0.0.1:41234');
    const fixed = loadConfig({ PORT: '3001', HOST: '127.0.0.1' });
    listeningOn(fixed, 41234);
    expect(fixed.appUrl).to.equal('http://127.0.0.1:3001');
    const given = loadConfig({ PORT: '0', APP_URL: 'https://talent.example.org/' });
    listeningOn(given, 41234);
    expect(given.appUrl, 'APP_URL is the public address, whatever the port bound behind a proxy').to.equal('https://talent.example.org');
  });
});

describe('platform: the memory budget (MEMORY_BUDGET_MB)', () => {
  it('is 1,200 MB unless set, 0 turns it off, and a value too small to hold the app or not a number is refused at boot naming it', () => {
    expect(loadConfig({}).memoryBudgetBytes).to.equal(1_200 * 1024 * 1024);
    expect(loadConfig({ MEMORY_BUDGET_MB: '2048' }).memoryBudgetBytes).to.equal(2048 * 1024 * 1024);
    expect(loadConfig({ MEMORY_BUDGET_MB: '0' }).memoryBudgetBytes).to.equal(0);
    for (const bad of ['100', '-1', '1.5', '1e3', '']) expect(() => loadConfig({ MEMORY_BUDGET_MB: bad }), bad).to.throw(ConfigError, /MEMORY_BUDGET_MB/);
  });
});
