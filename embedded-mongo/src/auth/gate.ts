// Authentication in front of the engine, as mongod does it with --auth:
// - the SASL conversation (saslStart / saslContinue, SCRAM-SHA-256 and SCRAM-SHA-1), also started
//   inside the handshake (`speculativeAuthenticate` in hello, answered inside hello's reply), and
//   `saslSupportedMechs` in hello;
// - user management (createUser, updateUser, dropUser, dropAllUsersFromDatabase, usersInfo) and
//   connectionStatus, logout;
// - the gate: with authentication required, a connection that has not authenticated may only run
//   the handshake, ping, buildInfo, the SASL commands, connectionStatus and logout; anything else is
//   refused with 13 Unauthorized, as mongod refuses it.
// Roles are stored and reported but not enforced: every authenticated user may do everything, but
// backupSnapshot (root or backup on admin only: mayBackUp).
// The per-command cost is one property read and one Map lookup; authentication is once per connection.
import { randomBytes } from 'node:crypto';
import { Binary, type Document } from 'bson';
import type { ConnectionInfo, Engine, EngineLogger } from '../engine.ts';
import { decoyCredential, isMechanism, MECHANISMS, ScramConversation, ScramError, type Mechanism } from './scram.ts';
import { UserStore, UserStoreError, type Role, type UserRecord } from './users.ts';
import { AuthFailureBound, type AuthFailureBoundLimits } from './failure-bound.ts';

/** Per connection: who it authenticated as, and the SASL conversation in progress. */
export interface AuthConnection extends ConnectionInfo {
  user?: { user: string; db: string; roles: Role[] };
  sasl?: SaslState;
  /** Failed authentications on this connection (server.ts closes it past PreAuthLimits.authFailures). */
  authFailures?: number;
  /** Its remote address as counted (pre-auth-limits.ts addressKey), and whether it is the server's own host (sameHost). */
  address?: string;
  ownHost?: boolean;
}

/** Failed authentications are logged one line at most this often, with how many since: a client retrying in a loop flooded the log (security review s34). */
const FAILED_LOG_MS = 10_000;

interface SaslState {
  conversation: ScramConversation;
  db: string;
  user: string;
  roles: Role[];
  /** The client asked to skip the empty last round trip (the driver does). */
  skipEmptyExchange: boolean;
  /** The client sent the payload as a base64 string (old clients), not as binary. */
  base64: boolean;
  stage: 'proof' | 'empty';
}

/** Commands the engine answers that an unauthenticated connection may run (mongod: requiresAuth() false). */
const ENGINE_PRE_AUTH = new Set(['hello', 'isMaster', 'ismaster', 'ping', 'buildInfo', 'buildinfo']);

const CODES = {
  BadValue: 2,
  UserNotFound: 11,
  Unauthorized: 13,
  ProtocolError: 17,
  AuthenticationFailed: 18,
  MechanismUnavailable: 334,
  Location51003: 51003,
  InternalError: 1,
} as const;

class AuthCommandError extends Error {
  constructor(
    readonly codeName: keyof typeof CODES,
    message: string,
  ) {
    super(message);
  }
}

const errorReply = (codeName: keyof typeof CODES, errmsg: string): Document => ({ ok: 0, errmsg, code: CODES[codeName], codeName });
const AUTH_FAILED = 'Authentication failed.';

type Handler = (db: string, cmd: Document, conn: AuthConnection) => Promise<Document> | Document;

const isObject = (v: unknown): v is Document => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Binary);

export interface AuthGateOptions {
  /** Refuse every command but the handshake and authentication until the connection authenticates. */
  required: boolean;
  logger: EngineLogger;
  /** Failed authentications across connections (failure-bound.ts); unbounded without. */
  failureBound?: AuthFailureBoundLimits;
}

export class AuthGate {
  readonly users: UserStore;
  readonly required: boolean;
  private readonly logger: EngineLogger;
  /** Keys the decoy salts of unknown user names (fixed for this server's life). */
  private readonly decoySecret = randomBytes(32);
  private readonly handlers = new Map<string, { preAuth: boolean; run: Handler }>();
  private failedLog: { count: number; loggedAt: number; last?: Document; timer?: NodeJS.Timeout } = { count: 0, loggedAt: 0 };
  private readonly bound: AuthFailureBound | undefined;

  constructor(
    private readonly engine: Engine,
    opts: AuthGateOptions,
  ) {
    this.users = new UserStore(engine);
    this.required = opts.required;
    this.logger = opts.logger;
    this.bound = opts.failureBound && new AuthFailureBound(opts.failureBound);
    const on = (names: string[], preAuth: boolean, run: Handler) => {
      for (const n of names) this.handlers.set(n, { preAuth, run });
    };
    on(['hello', 'isMaster', 'ismaster'], true, (db, cmd, conn) => this.hello(db, cmd, conn));
    on(['saslStart'], true, (db, cmd, conn) => this.saslStart(db, cmd, conn));
    on(['saslContinue'], true, (_db, cmd, conn) => this.saslContinue(cmd, conn));
    on(['authenticate'], true, (_db, cmd) => errorReply('MechanismUnavailable', `Received authentication for mechanism ${String(cmd.mechanism)} which is unknown or not enabled`));
    on(['logout'], true, (_db, _cmd, conn) => {
      conn.user = undefined;
      conn.sasl = undefined;
      return { ok: 1 };
    });
    on(['connectionStatus'], true, (_db, cmd, conn) => ({
      authInfo: {
        authenticatedUsers: conn.user ? [{ user: conn.user.user, db: conn.user.db }] : [],
        authenticatedUserRoles: conn.user?.roles ?? [],
        ...(cmd.showPrivileges === true ? { authenticatedUserPrivileges: [] } : {}),
      },
      ok: 1,
    }));
    on(['createUser'], false, (db, cmd) => this.guard(() => this.createUser(db, cmd)));
    on(['updateUser'], false, (db, cmd) => this.guard(() => this.updateUser(db, cmd)));
    on(['dropUser'], false, (db, cmd) => this.guard(() => this.dropUser(db, cmd)));
    on(['dropAllUsersFromDatabase'], false, (db) => this.guard(async () => ({ n: await this.users.remove({ db }), ok: 1 })));
    on(['usersInfo'], false, (db, cmd) => this.guard(() => this.usersInfo(db, cmd)));
  }

  /** Runs one command for `conn`: authentication commands here, the rest through the gate to the engine. */
  run(db: string, cmd: Document, conn: AuthConnection): Promise<Document> | Document {
    let name: string | undefined;
    for (const k in cmd) {
      name = k;
      break;
    }
    if (name === undefined) return this.engine.run(db, cmd, conn);
    const own = this.handlers.get(name);
    if (this.required && conn.user === undefined && !(own ? own.preAuth : ENGINE_PRE_AUTH.has(name))) {
      return errorReply('Unauthorized', `Command ${name} requires authentication`);
    }
    // The one command whose roles are enforced (security review s37): a snapshot reads every database,
    // admin.system.users included, and pins it in memory; as mongod's backup role, an admin's only.
    if (this.required && name.toLowerCase() === 'backupsnapshot' && !mayBackUp(conn.user?.roles)) {
      return errorReply('Unauthorized', `not authorized on admin to execute command { backupSnapshot: 1 }: it needs the root or backup role on admin`);
    }
    return own ? this.runOwn(own.run, db, cmd, conn) : this.engine.run(db, cmd, conn);
  }

  /** Like the engine, never throws: an unexpected failure becomes an error reply. */
  private async runOwn(handler: Handler, db: string, cmd: Document, conn: AuthConnection): Promise<Document> {
    try {
      return await handler(db, cmd, conn);
    } catch (err) {
      this.logger.error({ err, conn: conn.id }, 'embedded-mongo: authentication command failed');
      return errorReply('InternalError', err instanceof Error ? err.message : String(err));
    }
  }

  private async guard(fn: () => Promise<Document>): Promise<Document> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof AuthCommandError || e instanceof UserStoreError) return errorReply(e.codeName, e.message);
      throw e;
    }
  }

  // ---- handshake ---------------------------------------------------------------------------------

  private async hello(db: string, cmd: Document, conn: AuthConnection): Promise<Document> {
    const reply = await this.engine.run(db, cmd, conn);
    if (reply.ok !== 1) return reply;
    if (typeof cmd.saslSupportedMechs === 'string') {
      const dot = cmd.saslSupportedMechs.indexOf('.');
      if (dot > 0) {
        const record = await this.users.get(cmd.saslSupportedMechs.slice(dot + 1), cmd.saslSupportedMechs.slice(0, dot));
        // an unknown name gets every mechanism, so the reply does not tell which users exist
        reply.saslSupportedMechs = record ? MECHANISMS.filter((m) => record.credentials[m]) : [...MECHANISMS];
      }
    }
    const spec = cmd.speculativeAuthenticate;
    if (isObject(spec) && typeof spec.db === 'string' && spec.saslStart !== undefined) {
      // A failure here is silent, as in mongod: the driver then runs saslStart itself and gets the error.
      const started = await this.saslStart(spec.db, spec, conn);
      if (started.ok === 1) {
        const { ok: _ok, ...rest } = started;
        reply.speculativeAuthenticate = rest;
      }
    }
    return reply;
  }

  // ---- SASL ---------------------------------------------------------------------------------------

  /** `uncounted`: not counted by the bound across connections (a refusal, or a start that checked no proof). */
  private failed(conn: AuthConnection, user: string | undefined, db: string, mechanism: string, reason: string, uncounted = false): Document {
    conn.sasl = undefined;
    conn.authFailures = (conn.authFailures ?? 0) + 1;
    if (!uncounted) this.bound?.failed(conn.address ?? '?', user === undefined ? undefined : userKey(db, user));
    this.noteFailure({ conn: conn.id, remote: conn.remote, user: user ?? null, db, mechanism, reason });
    return errorReply('AuthenticationFailed', AUTH_FAILED);
  }

  /** Logs a failure at once when none was logged in the window, else counts it into the line at the window's end. */
  private noteFailure(fields: Document): void {
    const log = this.failedLog;
    log.count++;
    log.last = fields;
    const wait = FAILED_LOG_MS - (Date.now() - log.loggedAt);
    if (wait <= 0) this.logFailures();
    else log.timer ??= setTimeout(() => this.logFailures(), wait).unref();
  }

  private logFailures(): void {
    const { count, last, timer } = this.failedLog;
    clearTimeout(timer);
    this.failedLog = { count: 0, loggedAt: Date.now() };
    if (count) this.logger.warn({ ...last, failures: count }, 'embedded-mongo: authentication failed');
  }

  /** Whether the failure bound across connections refuses `conn` now (for `user` of `db` when known). */
  private refuses(conn: AuthConnection, db: string, user?: string): boolean {
    return !!this.bound?.refuses(conn.address ?? '?', conn.ownHost === true, user === undefined ? undefined : userKey(db, user));
  }

  private async saslStart(db: string, cmd: Document, conn: AuthConnection): Promise<Document> {
    const mechanism = cmd.mechanism;
    if (!isMechanism(mechanism)) {
      return errorReply('MechanismUnavailable', `Received authentication for mechanism ${String(mechanism)} which is unknown or not enabled`);
    }
    // The same answer as a wrong password: a refusal must not tell a guesser which names it has used up.
    if (this.refuses(conn, db)) return this.failed(conn, undefined, db, mechanism, 'refused: too many failed authentications from this address', true);
    const payload = readPayload(cmd.payload);
    if (!payload) return this.failed(conn, undefined, db, mechanism, 'no payload');
    const conversation = new ScramConversation(mechanism);
    let user: string;
    try {
      user = conversation.parseClientFirst(payload.text);
    } catch (e) {
      if (e instanceof ScramError) return this.failed(conn, undefined, db, mechanism, e.message);
      throw e;
    }
    if (this.refuses(conn, db, user)) return this.failed(conn, user, db, mechanism, 'refused: too many failed authentications for this user name or address', true);
    const record = await this.users.get(user, db);
    // A user without credentials for this mechanism fails here, as in mongod: a speculative
    // SCRAM-SHA-256 start then stays out of hello's reply, and the driver starts over with the
    // mechanism saslSupportedMechs offered.
    // Not a guess (no proof is checked): a client's speculative SCRAM-SHA-256 start for a SCRAM-SHA-1 user does this at every connection, and must not use up the user name's budget.
    if (record && !record.credentials[mechanism]) return this.failed(conn, user, db, mechanism, `no ${mechanism} credentials for this user`, true);
    const credential = record?.credentials[mechanism] ?? decoyCredential(mechanism, `${db}.${user}`, this.decoySecret);
    const serverFirst = conversation.serverFirstMessage(credential);
    const options = isObject(cmd.options) ? cmd.options : {};
    conn.sasl = {
      conversation,
      db,
      user,
      roles: record?.roles ?? [],
      skipEmptyExchange: options.skipEmptyExchange === true,
      base64: payload.base64,
      stage: 'proof',
    };
    return { conversationId: 1, done: false, payload: writePayload(serverFirst, payload.base64), ok: 1 };
  }

  private saslContinue(cmd: Document, conn: AuthConnection): Document {
    const state = conn.sasl;
    if (!state) return errorReply('ProtocolError', 'No SASL session state found');
    if (Number(cmd.conversationId) !== 1) return errorReply('ProtocolError', 'sasl: Mismatched conversation id');
    const payload = readPayload(cmd.payload);
    const mechanism = state.conversation.mechanism;
    if (!payload) return this.failed(conn, state.user, state.db, mechanism, 'no payload');
    if (state.stage === 'empty') {
      if (payload.text !== '') return this.failed(conn, state.user, state.db, mechanism, 'unexpected payload after the server signature');
      this.authenticated(conn, state);
      return { conversationId: 1, done: true, payload: writePayload('', state.base64), ok: 1 };
    }
    // Checked again at the proof: conversations started while under the budget must not all be tried at once past it.
    if (this.refuses(conn, state.db, state.user)) return this.failed(conn, state.user, state.db, mechanism, 'refused: too many failed authentications for this user name or address', true);
    let serverFinal: string;
    try {
      serverFinal = state.conversation.finish(payload.text, state.user);
    } catch (e) {
      if (e instanceof ScramError) return this.failed(conn, state.user, state.db, mechanism, e.message);
      throw e;
    }
    if (state.skipEmptyExchange) this.authenticated(conn, state);
    else state.stage = 'empty';
    return { conversationId: 1, done: state.skipEmptyExchange, payload: writePayload(serverFinal, state.base64), ok: 1 };
  }

  private authenticated(conn: AuthConnection, state: SaslState): void {
    conn.user = { user: state.user, db: state.db, roles: state.roles };
    conn.sasl = undefined;
  }

  // ---- users ----------------------------------------------------------------------------------------

  private async createUser(db: string, cmd: Document): Promise<Document> {
    const user = userName(cmd.createUser);
    if (!Array.isArray(cmd.roles)) throw new AuthCommandError('BadValue', '"createUser" command requires a "roles" array');
    await this.users.create({
      user,
      db,
      pwd: cmd.pwd as string,
      roles: parseRoles(cmd.roles, db),
      mechanisms: parseMechanisms(cmd.mechanisms),
      digestPassword: cmd.digestPassword === false ? false : true,
      customData: customData(cmd.customData),
    });
    return { ok: 1 };
  }

  private async updateUser(db: string, cmd: Document): Promise<Document> {
    const user = userName(cmd.updateUser);
    if (cmd.pwd === undefined && cmd.roles === undefined && cmd.customData === undefined) {
      throw new AuthCommandError('BadValue', 'Must specify at least one field to update in updateUser');
    }
    if (cmd.pwd !== undefined && typeof cmd.pwd !== 'string') throw new AuthCommandError('BadValue', 'pwd must be a string');
    if (cmd.roles !== undefined && !Array.isArray(cmd.roles)) throw new AuthCommandError('BadValue', 'roles must be an array');
    await this.users.update(user, db, {
      pwd: cmd.pwd as string | undefined,
      mechanisms: parseMechanisms(cmd.mechanisms),
      digestPassword: cmd.digestPassword === false ? false : true,
      roles: cmd.roles === undefined ? undefined : parseRoles(cmd.roles, db),
      customData: customData(cmd.customData),
    });
    return { ok: 1 };
  }

  private async dropUser(db: string, cmd: Document): Promise<Document> {
    const user = userName(cmd.dropUser);
    if ((await this.users.remove({ user, db })) === 0) throw new AuthCommandError('UserNotFound', `User '${user}@${db}' not found`);
    return { ok: 1 };
  }

  private async usersInfo(db: string, cmd: Document): Promise<Document> {
    const arg = cmd.usersInfo;
    let found: UserRecord[];
    if (typeof arg === 'number' || arg === true) {
      found = await this.users.list(db);
    } else if (isObject(arg) && arg.forAllDBs === true) {
      if (db !== 'admin') throw new AuthCommandError('BadValue', 'forAllDBs is only allowed on the admin database');
      found = await this.users.list();
    } else {
      const names = (Array.isArray(arg) ? arg : [arg]).map((n) => {
        if (typeof n === 'string') return { user: n, db };
        if (isObject(n) && typeof n.user === 'string' && typeof n.db === 'string') return { user: n.user, db: n.db };
        throw new AuthCommandError('BadValue', 'usersInfo takes 1, a user name, { user, db }, an array of those, or { forAllDBs: true }');
      });
      found = [];
      for (const n of names) {
        const u = await this.users.get(n.user, n.db);
        if (u) found.push(u);
      }
    }
    const showCredentials = cmd.showCredentials === true;
    return {
      users: found.map((u) => ({
        _id: u._id,
        ...(u.userId !== undefined ? { userId: u.userId } : {}),
        user: u.user,
        db: u.db,
        roles: u.roles,
        mechanisms: MECHANISMS.filter((m) => u.credentials[m]),
        ...(u.customData ? { customData: u.customData } : {}),
        ...(showCredentials ? { credentials: u.credentials } : {}),
      })),
      ok: 1,
    };
  }
}

/** The SASL payload as text: BinData (what drivers send) or a base64 string (old clients). */
function readPayload(v: unknown): { text: string; base64: boolean } | undefined {
  if (v instanceof Binary) return { text: Buffer.from(v.buffer.subarray(0, v.position)).toString('utf8'), base64: false };
  if (v instanceof Uint8Array) return { text: Buffer.from(v).toString('utf8'), base64: false };
  if (typeof v === 'string') return { text: Buffer.from(v, 'base64').toString('utf8'), base64: true };
  return undefined;
}

function writePayload(text: string, base64: boolean): Binary | string {
  return base64 ? Buffer.from(text, 'utf8').toString('base64') : new Binary(Buffer.from(text, 'utf8'));
}

/** Roles that may take a backupSnapshot (mongod: backup's and root's privileges on the cluster). */
const BACKUP_ROLES = new Set(['root', 'backup', '__system']);
function mayBackUp(roles: readonly Role[] | undefined): boolean {
  return !!roles?.some((r) => r.db === 'admin' && BACKUP_ROLES.has(r.role));
}

/** The key a user name is counted under by the failure bound: users are per database. */
const userKey = (db: string, user: string) => `${db}\0${user}`;

function userName(v: unknown): string {
  if (typeof v !== 'string' || v === '') throw new AuthCommandError('BadValue', 'User name must be a non-empty string');
  if (v.includes('\0')) throw new AuthCommandError('BadValue', 'User name must not contain NUL');
  return v;
}

function parseRoles(v: unknown[], db: string): Role[] {
  return v.map((r) => {
    if (typeof r === 'string' && r !== '') return { role: r, db };
    if (isObject(r) && typeof r.role === 'string' && r.role !== '' && typeof r.db === 'string' && r.db !== '') return { role: r.role, db: r.db };
    throw new AuthCommandError('BadValue', 'Each role must be a role name or { role: <name>, db: <database> }');
  });
}

function parseMechanisms(v: unknown): Mechanism[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) throw new AuthCommandError('BadValue', 'mechanisms must be an array');
  for (const m of v) if (!isMechanism(m)) throw new AuthCommandError('BadValue', `Unknown auth mechanism '${String(m)}'`);
  return v as Mechanism[];
}

function customData(v: unknown): Document | undefined {
  if (v === undefined) return undefined;
  if (!isObject(v)) throw new AuthCommandError('BadValue', 'customData must be an object');
  return v;
}
