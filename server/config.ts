// The only reader of process.env. Validated once at boot; a bad value stops the process with a
// message naming the variable, instead of failing later in a request.
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { parseDataKey, type DataEncryptionConfig } from './crypto/keyring.ts';

/** GRIDFS_GRACE_MS's least value in production (config below). */
const GRIDFS_GRACE_MIN_PRODUCTION_MS = 10 * 60_000;
/** The longest delay a Node timer takes (2^31 - 1 ms). */
const TIMER_MAX_MS = 2 ** 31 - 1;
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/**
 * A number from the environment, written in decimal digits. z.coerce read "0x10" as 16, "1e3" as 1000
 * and a blank value as 0 (QUEUE_ROWS_KEPT_MS= or MESSAGE_DIGEST_MINUTES= silently turned a feature
 * off): each is refused at boot, naming the variable, with what to write.
 */
function envNumber<T extends z.ZodType>(inner: T) {
  return z.preprocess((v, ctx) => {
    if (typeof v !== 'string') return v;
    const s = v.trim();
    if (/^\d+(\.\d+)?$/.test(s)) return Number(s);
    ctx.addIssue({ code: 'custom', message: s === '' ? 'is set but empty: give a number (digits only) or remove it for the default' : `"${v.slice(0, 40)}" is not a number: write digits only, like 30` });
    return z.NEVER;
  }, inner);
}

const KEY_FORMAT = 'must be 32 bytes, written as 64 hex characters or in base64 (e.g. `openssl rand -hex 32`)';
const dataKey = z.string().refine((v) => parseDataKey(v) !== null, KEY_FORMAT);

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().default('127.0.0.1'),
  PORT: envNumber(z.number().int().min(0).max(65535)).default(3000),
  /** Public base URL used in e-mailed links. Defaults to http://HOST:PORT. */
  APP_URL: z.string().url().optional(),
  MONGODB_URI: z.string().regex(/^mongodb(\+srv)?:\/\//, 'must start with mongodb:// or mongodb+srv://').optional(),
  DATA_DIR: z.string().default('data'),
  /**
   * The driver's limits (server/db databaseOptions), so a database that stops answering (paused,
   * hung, cut off without a reset) turns pages into 503s within seconds instead of minutes.
   */
  DB_SERVER_SELECTION_TIMEOUT_MS: envNumber(z.number().int().min(500)).default(10_000),
  DB_CONNECT_TIMEOUT_MS: envNumber(z.number().int().min(500)).default(10_000),
  // The driver refuses a heartbeat under 500 ms.
  DB_HEARTBEAT_MS: envNumber(z.number().int().min(500)).default(10_000),
  /** An operation waiting longer than this for its reply fails (0: no limit). */
  DB_SOCKET_TIMEOUT_MS: envNumber(z.number().int().min(0)).default(60_000),
  EMBEDDED_DB_PORT: envNumber(z.number().int().min(0).max(65535)).default(0),
  /**
   * Web processes (server/web-workers.ts): `auto` (autoWebWorkers below), or a number; 0 = the
   * process that opens the database serves the pages itself.
   */
  WEB_WORKERS: z
    .string()
    .default('auto')
    .refine((v) => v === 'auto' || (/^\d{1,2}$/.test(v) && Number(v) <= 32), 'must be auto or a whole number from 0 to 32')
    .transform((v) => (v === 'auto' ? 'auto' : Number(v))),
  SESSION_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  SESSION_IDLE_MINUTES: envNumber(z.number().int().min(1)).default(30),
  SESSION_ABSOLUTE_HOURS: envNumber(z.number().int().min(1)).default(12),
  TRUST_PROXY: z.string().default('false'),
  SMTP_URL: z.string().regex(/^smtps?:\/\//, 'must start with smtp:// or smtps://').optional(),
  MAIL_FROM: z.string().default('Talent Programme <no-reply@talent.local>'),
  /**
   * Where someone whose account an administrator disabled, enabled again or reset the second factor of is told to write
   * (server/accounts/mail.ts accountContact); unset: the administrator who decided.
   */
  ADMIN_CONTACT_EMAIL: z.email('must be an e-mail address').optional(),
  UPLOAD_STORAGE: z.enum(['disk', 'gridfs']).default('disk'),
  UPLOAD_DIR: z.string().default('uploads'),
  UPLOAD_MAX_MB: envNumber(z.number().positive()).default(20),
  CLAMDSCAN_PATH: z.string().optional(),
  /** Upload requests per user per hour (documents). */
  UPLOAD_RATE_PER_HOUR: envNumber(z.number().int().min(1)).default(60),
  /** Bytes one application may hold in documents, every version counted. */
  UPLOAD_CASE_QUOTA_MB: envNumber(z.number().positive()).default(500),
  /**
   * GridFS: how old an upload's chunks without a files document must be before the running app removes
   * them (server/documents/orphan-chunks.ts). Longer than any upload can take in any instance: the
   * body within Node's request timeout (5 min), then the scan (1 min at most) and `put`. Drills shorten it.
   */
  // At most a timer's reach (about 24.8 days): Node fires a longer setInterval/setTimeout after 1 ms,
  // which would run the sweep back to back (orphan-chunks.ts times both).
  GRIDFS_GRACE_MS: envNumber(z.number().int().min(1000).max(TIMER_MAX_MS - 2_000)).default(15 * 60_000),
  /** GridFS: how often the running app looks for chunks of uploads cut short (besides after a web process dies). */
  GRIDFS_SWEEP_INTERVAL_MS: envNumber(z.number().int().min(1000).max(TIMER_MAX_MS)).default(3_600_000),
  /** Applicant accounts one network address may create per hour. */
  REGISTRATIONS_PER_IP_HOUR: envNumber(z.number().int().min(1)).default(30),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOGIN_MAX_FAILURES: envNumber(z.number().int().min(1)).default(5),
  LOGIN_LOCKOUT_MINUTES: envNumber(z.number().int().min(1)).default(15),
  /**
   * Failed sign-ins for one e-mail from any network address within LOGIN_ACCOUNT_WINDOW_MINUTES
   * before sign-in for that e-mail pauses for LOGIN_ACCOUNT_LOCKOUT_MINUTES (server/accounts/limiter.ts).
   */
  LOGIN_ACCOUNT_MAX_FAILURES: envNumber(z.number().int().min(1)).default(50),
  LOGIN_ACCOUNT_WINDOW_MINUTES: envNumber(z.number().int().min(1)).default(60),
  LOGIN_ACCOUNT_LOCKOUT_MINUTES: envNumber(z.number().int().min(1)).default(60),
  DISPATCH_INTERVAL_MS: envNumber(z.number().int().min(50)).default(2000),
  /** How often the daily reminder job runs (it sends each e-mail once a day whatever this is); drills run it every few seconds. */
  REMINDERS_INTERVAL_MS: envNumber(z.number().int().min(1000)).default(3_600_000),
  /** Per-stage SMTP limits (connect, greeting, idle socket), so a hung server fails an attempt. */
  SMTP_TIMEOUT_MS: envNumber(z.number().int().min(100)).default(15_000),
  /** How long a dispatcher's claim on an e-mail keeps other instances (and a restarted one) away. */
  OUTBOX_LEASE_MS: envNumber(z.number().int().min(200)).default(120_000),
  /** Retry backoff of an e-mail: base × 2^(attempts-1), capped. */
  OUTBOX_RETRY_BASE_MS: envNumber(z.number().int().min(10)).default(30_000),
  OUTBOX_RETRY_MAX_MS: envNumber(z.number().int().min(10)).default(3_600_000),
  /** Attempts before an e-mail is given up as dead (drills with fast retries raise it). */
  OUTBOX_MAX_ATTEMPTS: envNumber(z.number().int().min(1).max(10_000)).default(8),
  /**
   * An applicant's messages within this many minutes of an e-mail to HR about them are gathered into
   * one e-mail sent when the window ends (server/cases/message-digest.ts); 0: one e-mail per message.
   * At most a day: a longer wait would hide what the applicant wrote.
   */
  MESSAGE_DIGEST_MINUTES: envNumber(z.number().int().min(0).max(1440)).default(10),
  /**
   * How long a queue page's rows are kept for the next officer opening the same page (server/cases/queue.ts):
   * a write through this process (or another web process) forgets them at once; another app instance's
   * write shows within this time. 0: read every time. At most 60 s.
   */
  QUEUE_ROWS_KEPT_MS: envNumber(z.number().int().min(0).max(60_000)).default(5_000),
  /**
   * The process's memory (RSS) above which each thread collects its garbage even while busy
   * (embedded-mongo/src/reclaim.ts). 0: only in quiet moments. Below 256 MB the app's own code
   * would be over it at rest.
   */
  MEMORY_BUDGET_MB: envNumber(z.number().int().refine((n) => n === 0 || (n >= 256 && n <= 1_048_576), 'write 0 (off) or a number of MB from 256')).default(1_200),
  RETENTION_DAYS: envNumber(z.number().int().min(1)).default(365),
  SECURE_COOKIES: bool.optional(),
  /** Encrypts the secrets kept in the database (TOTP secrets). Required in production. */
  DATA_ENCRYPTION_KEY: dataKey.optional(),
  /** Earlier keys, comma-separated: decrypt only, while `npm run rotate-key` moves everything to the current key. */
  DATA_ENCRYPTION_PREVIOUS_KEYS: z
    .string()
    .optional()
    .refine((v) => !v || v.split(',').every((k) => !k.trim() || parseDataKey(k) !== null), `each key ${KEY_FORMAT}`),
});

export type Env = z.input<typeof schema>;

export interface Config {
  env: 'development' | 'production' | 'test';
  host: string;
  port: number;
  /** The public base URL of e-mailed links (APP_URL, else http://HOST:PORT; with PORT=0 the port bound: listeningOn). */
  appUrl: string;
  /** appUrl is built from PORT=0 (no APP_URL): it names no port until the server has bound one (listeningOn). */
  appUrlAwaitsPort?: true;
  mongodbUri: string | undefined;
  dataDir: string;
  embeddedDbPort: number;
  /** The database driver's timeouts (server/db databaseOptions). */
  db: { serverSelectionTimeoutMs: number; connectTimeoutMs: number; heartbeatMs: number; socketTimeoutMs: number };
  /** Web processes beside the one that holds the database and runs the background jobs (0: it serves too). */
  webWorkers: number;
  sessionSecret: string;
  sessionIdleMs: number;
  sessionAbsoluteMs: number;
  trustProxy: boolean | number | string;
  secureCookies: boolean;
  smtpUrl: string | undefined;
  mailFrom: string;
  /** The address account e-mails give for questions about an administrator's decision (none: the deciding administrator's). */
  adminContactEmail: string | undefined;
  mailDir: string;
  upload: {
    storage: 'disk' | 'gridfs';
    dir: string;
    maxBytes: number;
    clamdscanPath: string | undefined;
    ratePerHour: number;
    caseQuotaBytes: number;
    /** GRIDFS_GRACE_MS: chunks without a file younger than this may belong to an upload in progress. */
    gridfsGraceMs: number;
    /** GRIDFS_SWEEP_INTERVAL_MS: the running app's orphan-chunk sweep's period. */
    gridfsSweepIntervalMs: number;
  };
  logLevel: string;
  login: { maxFailures: number; lockoutMs: number };
  /** The per-account sign-in limit, whatever the network address: failures within `windowMs` before a pause of `lockoutMs`. */
  loginAccount: { maxFailures: number; windowMs: number; lockoutMs: number };
  registrationsPerIpHour: number;
  dispatchIntervalMs: number;
  remindersIntervalMs: number;
  smtpTimeoutMs: number;
  outbox: { leaseMs: number; retryBaseMs: number; retryMaxMs: number; maxAttempts?: number };
  /** MESSAGE_DIGEST_MINUTES in milliseconds (0: no digest). */
  messageDigestMs: number;
  /** QUEUE_ROWS_KEPT_MS: how long a queue page's rows are kept (0: not kept). */
  queueRowsKeptMs: number;
  /** MEMORY_BUDGET_MB in bytes (0: collect only in quiet moments). */
  memoryBudgetBytes: number;
  retentionDays: number;
  /** Keys for secrets at rest (server/crypto): the configured key, or the key file in the data folder. */
  dataEncryption: DataEncryptionConfig;
}

/**
 * One web process per core left once the embedded database's thread has one (every core with
 * MONGODB_URI), up to 4; fewer than two: none, the database's process serves alone. On this
 * project's 2-core machine two web processes beside the embedded database served 1.1–1.3× the
 * pages but with a worse p95 (1.09–1.11×) and ~250 MB more memory (bench:ab, issue 13's note).
 */
export function autoWebWorkers(cores: number, externalDatabase: boolean): number {
  const n = externalDatabase ? cores : cores - 1;
  return n < 2 ? 0 : Math.min(n, 4);
}

export class ConfigError extends Error {}

function parseTrustProxy(v: string): boolean | number | string {
  if (v === 'true') return true;
  if (v === 'false' || v === '') return false;
  if (/^\d+$/.test(v)) return Number(v);
  return v; // an address list or a named preset such as "loopback"
}

/** Builds the config from an environment (process.env by default). Throws ConfigError listing every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env, overrides: Partial<Config> = {}): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const missing: string[] = [];
  if (e.NODE_ENV === 'production' && !e.SESSION_SECRET) missing.push('  SESSION_SECRET: required in production (at least 32 characters)');
  // A generated key file beside the database would go into the same backups: production names its key.
  if (e.NODE_ENV === 'production' && !e.DATA_ENCRYPTION_KEY) missing.push(`  DATA_ENCRYPTION_KEY: required in production; ${KEY_FORMAT}`);
  // The grace decides what the sweeps take as cut short (staged chunks, stored files and offer letters
  // no record names yet): in production never under an upload's longest life (Node's 5-minute request
  // timeout, the scan's minute, `put`) with room for clocks apart. Drills and tests shorten it.
  if (e.NODE_ENV === 'production' && e.GRIDFS_GRACE_MS < GRIDFS_GRACE_MIN_PRODUCTION_MS) missing.push(`  GRIDFS_GRACE_MS: at least ${GRIDFS_GRACE_MIN_PRODUCTION_MS} (10 minutes) in production`);
  if (e.DATA_ENCRYPTION_PREVIOUS_KEYS && !e.DATA_ENCRYPTION_KEY) missing.push('  DATA_ENCRYPTION_PREVIOUS_KEYS: needs DATA_ENCRYPTION_KEY (the key to rotate to)');
  // One SMTP attempt can take a connect, a greeting and idle waits of SMTP_TIMEOUT_MS each; a lease
  // that ends sooner would let a second instance send the same e-mail while the first still sends it.
  if (e.OUTBOX_LEASE_MS < 4 * e.SMTP_TIMEOUT_MS) missing.push(`  OUTBOX_LEASE_MS: must be at least 4 × SMTP_TIMEOUT_MS (${4 * e.SMTP_TIMEOUT_MS})`);
  // An operation's limit under the time the monitor takes to notice a hung server would fail slow
  // but healthy operations first; 0 leaves it to the monitor alone.
  if (e.DB_SOCKET_TIMEOUT_MS !== 0 && e.DB_SOCKET_TIMEOUT_MS < e.DB_HEARTBEAT_MS + e.DB_CONNECT_TIMEOUT_MS) {
    missing.push(`  DB_SOCKET_TIMEOUT_MS: must be 0 (no limit) or at least DB_HEARTBEAT_MS + DB_CONNECT_TIMEOUT_MS (${e.DB_HEARTBEAT_MS + e.DB_CONNECT_TIMEOUT_MS})`);
  }
  if (e.OUTBOX_RETRY_MAX_MS < e.OUTBOX_RETRY_BASE_MS) missing.push('  OUTBOX_RETRY_MAX_MS: must not be less than OUTBOX_RETRY_BASE_MS');
  // The account's count looks further back than one address's lock, and one address, held back by
  // that lock, must not reach its threshold alone: a stranger from one place cannot pause an account.
  if (e.LOGIN_ACCOUNT_WINDOW_MINUTES < e.LOGIN_LOCKOUT_MINUTES) missing.push(`  LOGIN_ACCOUNT_WINDOW_MINUTES: must be at least LOGIN_LOCKOUT_MINUTES (${e.LOGIN_LOCKOUT_MINUTES})`);
  const oneAddress = e.LOGIN_MAX_FAILURES * (Math.floor(e.LOGIN_ACCOUNT_WINDOW_MINUTES / e.LOGIN_LOCKOUT_MINUTES) + 1);
  if (e.LOGIN_ACCOUNT_MAX_FAILURES <= oneAddress) {
    missing.push(
      `  LOGIN_ACCOUNT_MAX_FAILURES: must be more than ${oneAddress}, the failures one network address can make within LOGIN_ACCOUNT_WINDOW_MINUTES (LOGIN_MAX_FAILURES × (LOGIN_ACCOUNT_WINDOW_MINUTES ÷ LOGIN_LOCKOUT_MINUTES + 1))`,
    );
  }
  if (missing.length) throw new ConfigError(`Invalid configuration:\n${missing.join('\n')}`);
  const appUrl = (e.APP_URL ?? `http://${e.HOST === '0.0.0.0' ? 'localhost' : e.HOST}:${e.PORT}`).replace(/\/$/, '');
  const dataDir = path.resolve(e.DATA_DIR);
  const cfg: Config = {
    env: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    appUrl,
    ...(!e.APP_URL && e.PORT === 0 ? { appUrlAwaitsPort: true as const } : {}),
    mongodbUri: e.MONGODB_URI,
    dataDir,
    embeddedDbPort: e.EMBEDDED_DB_PORT,
    db: { serverSelectionTimeoutMs: e.DB_SERVER_SELECTION_TIMEOUT_MS, connectTimeoutMs: e.DB_CONNECT_TIMEOUT_MS, heartbeatMs: e.DB_HEARTBEAT_MS, socketTimeoutMs: e.DB_SOCKET_TIMEOUT_MS },
    webWorkers: e.WEB_WORKERS === 'auto' ? autoWebWorkers(availableParallelism(), Boolean(e.MONGODB_URI)) : e.WEB_WORKERS,
    // Development without a secret still needs a stable-per-process one; production refuses above.
    sessionSecret: e.SESSION_SECRET ?? `dev-only-secret-${process.pid}-change-me-in-production`,
    sessionIdleMs: e.SESSION_IDLE_MINUTES * 60_000,
    sessionAbsoluteMs: e.SESSION_ABSOLUTE_HOURS * 3_600_000,
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    secureCookies: e.SECURE_COOKIES ?? appUrl.startsWith('https://'),
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM,
    adminContactEmail: e.ADMIN_CONTACT_EMAIL,
    mailDir: path.join(dataDir, 'mail'),
    upload: {
      storage: e.UPLOAD_STORAGE,
      dir: path.resolve(e.UPLOAD_DIR),
      maxBytes: Math.round(e.UPLOAD_MAX_MB * 1024 * 1024),
      clamdscanPath: e.CLAMDSCAN_PATH,
      ratePerHour: e.UPLOAD_RATE_PER_HOUR,
      caseQuotaBytes: Math.round(e.UPLOAD_CASE_QUOTA_MB * 1024 * 1024),
      gridfsGraceMs: e.GRIDFS_GRACE_MS,
      gridfsSweepIntervalMs: e.GRIDFS_SWEEP_INTERVAL_MS,
    },
    logLevel: e.LOG_LEVEL,
    login: { maxFailures: e.LOGIN_MAX_FAILURES, lockoutMs: e.LOGIN_LOCKOUT_MINUTES * 60_000 },
    loginAccount: { maxFailures: e.LOGIN_ACCOUNT_MAX_FAILURES, windowMs: e.LOGIN_ACCOUNT_WINDOW_MINUTES * 60_000, lockoutMs: e.LOGIN_ACCOUNT_LOCKOUT_MINUTES * 60_000 },
    registrationsPerIpHour: e.REGISTRATIONS_PER_IP_HOUR,
    dispatchIntervalMs: e.DISPATCH_INTERVAL_MS,
    remindersIntervalMs: e.REMINDERS_INTERVAL_MS,
    smtpTimeoutMs: e.SMTP_TIMEOUT_MS,
    outbox: { leaseMs: e.OUTBOX_LEASE_MS, retryBaseMs: e.OUTBOX_RETRY_BASE_MS, retryMaxMs: e.OUTBOX_RETRY_MAX_MS, maxAttempts: e.OUTBOX_MAX_ATTEMPTS },
    messageDigestMs: e.MESSAGE_DIGEST_MINUTES * 60_000,
    queueRowsKeptMs: e.QUEUE_ROWS_KEPT_MS,
    memoryBudgetBytes: e.MEMORY_BUDGET_MB * 1024 * 1024,
    retentionDays: e.RETENTION_DAYS,
    dataEncryption: {
      key: e.DATA_ENCRYPTION_KEY ? parseDataKey(e.DATA_ENCRYPTION_KEY)! : undefined,
      previousKeys: (e.DATA_ENCRYPTION_PREVIOUS_KEYS ?? '')
        .split(',')
        .filter((k) => k.trim())
        .map((k) => parseDataKey(k)!),
      keyFile: path.join(dataDir, 'data-encryption.key'),
    },
  };
  return { ...cfg, ...overrides };
}

/**
 * Once the server has bound `port`: with PORT=0 and no APP_URL the links' base named port 0 (a
 * drill's e-mailed links read http://127.0.0.1:0/...), so it now names the port bound. Changes
 * `config` in place: every reader (the routes, the jobs) holds this object and reads appUrl when it
 * writes a link. A configured APP_URL, or a fixed PORT, is left as it is.
 */
export function listeningOn(config: Config, port: number): void {
  if (!config.appUrlAwaitsPort) return;
  config.appUrl = config.appUrl.replace(/:0$/, `:${port}`);
  delete config.appUrlAwaitsPort;
}

/** For command-line entry points (npm start, seed, create-admin): a bad configuration ends the process with its message. */
export function loadConfigOrExit(env: Record<string, string | undefined> = process.env): Config {
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}
