// Users live where MongoDB keeps them, in admin.system.users ({ _id: "db.user", user, db,
// credentials: { "SCRAM-SHA-256": { iterationCount, salt, storedKey, serverKey }, … }, roles }),
// written through the engine like any other collection, so they are journalled and survive a crash.
import { UUID, type Document } from 'bson';
import type { ConnectionInfo, Engine } from '../engine.ts';
import { isMechanism, makeCredential, MECHANISMS, type Mechanism, type ScramCredential } from './scram.ts';

export const USERS_DB = 'admin';
export const USERS_COLLECTION = 'system.users';

export interface Role {
  role: string;
  db: string;
}

export interface UserRecord {
  _id: string;
  userId?: unknown;
  user: string;
  db: string;
  credentials: Partial<Record<Mechanism, ScramCredential>>;
  roles: Role[];
  customData?: Document;
}

/** The engine's own connection, for the reads and writes this module makes on the users' behalf. */
const INTERNAL: ConnectionInfo = { id: 0, remote: 'internal' };

export class UserStoreError extends Error {
  constructor(
    readonly codeName: 'BadValue' | 'UserNotFound' | 'Location51003' | 'InternalError',
    message: string,
  ) {
    super(message);
  }
}

const userId = (user: string, db: string) => `${db}.${user}`;

function validCredential(c: unknown): c is ScramCredential {
  const v = c as ScramCredential;
  return Boolean(v) && typeof v === 'object' && Number.isInteger(v.iterationCount) && v.iterationCount >= 4096 &&
    typeof v.salt === 'string' && typeof v.storedKey === 'string' && typeof v.serverKey === 'string';
}

/** A stored document as a user, or undefined if it is not one (the collection is writable by clients). */
function asUser(doc: Document | undefined): UserRecord | undefined {
  if (!doc || typeof doc.user !== 'string' || typeof doc.db !== 'string') return undefined;
  const credentials: Partial<Record<Mechanism, ScramCredential>> = {};
  const stored = doc.credentials && typeof doc.credentials === 'object' ? (doc.credentials as Document) : {};
  for (const m of MECHANISMS) if (validCredential(stored[m])) credentials[m] = stored[m] as ScramCredential;
  const roles = Array.isArray(doc.roles) ? (doc.roles as unknown[]).filter((r): r is Role => Boolean(r) && typeof (r as Role).role === 'string' && typeof (r as Role).db === 'string') : [];
  return { ...(doc as UserRecord), credentials, roles };
}

export interface NewUser {
  user: string;
  db: string;
  pwd: string;
  roles: Role[];
  mechanisms?: Mechanism[];
  /** false: `pwd` is already MongoDB's SCRAM-SHA-1 digest (only SCRAM-SHA-1 credentials can be made) */
  digestPassword?: boolean;
  customData?: Document;
}

export class UserStore {
  constructor(private readonly engine: Engine) {}

  private async command(cmd: Document): Promise<Document> {
    const reply = await this.engine.run(USERS_DB, cmd, INTERNAL);
    if (reply.ok !== 1) throw new UserStoreError('InternalError', String(reply.errmsg ?? 'users collection command failed'));
    const writeError = (reply.writeErrors as Document[] | undefined)?.[0];
    if (writeError) {
      throw writeError.code === 11000 ? new UserStoreError('Location51003', 'duplicate user') : new UserStoreError('InternalError', String(writeError.errmsg));
    }
    return reply;
  }

  private async find(filter: Document, limit = 0): Promise<UserRecord[]> {
    const reply = await this.command({ find: USERS_COLLECTION, filter, limit, singleBatch: true, batchSize: 1_000_000 });
    const docs = ((reply.cursor as Document | undefined)?.firstBatch ?? []) as Document[];
    return docs.map(asUser).filter((u): u is UserRecord => u !== undefined);
  }

  async get(user: string, db: string): Promise<UserRecord | undefined> {
    return (await this.find({ _id: userId(user, db) }, 1))[0];
  }

  /** Users of one database, or of every database when db is undefined. */
  list(db?: string): Promise<UserRecord[]> {
    return this.find(db === undefined ? {} : { db });
  }

  async any(): Promise<boolean> {
    return (await this.find({}, 1)).length > 0;
  }

  async create(spec: NewUser): Promise<void> {
    const credentials = await makeCredentials(spec);
    try {
      await this.command({
        insert: USERS_COLLECTION,
        documents: [{
          _id: userId(spec.user, spec.db),
          userId: new UUID(),
          user: spec.user,
          db: spec.db,
          credentials,
          roles: spec.roles,
          ...(spec.customData ? { customData: spec.customData } : {}),
        }],
      });
    } catch (e) {
      if (e instanceof UserStoreError && e.codeName === 'Location51003') {
        throw new UserStoreError('Location51003', `User "${spec.user}@${spec.db}" already exists`);
      }
      throw e;
    }
  }

  async update(user: string, db: string, change: { pwd?: string; mechanisms?: Mechanism[]; digestPassword?: boolean; roles?: Role[]; customData?: Document }): Promise<void> {
    const existing = await this.get(user, db);
    if (!existing) throw new UserStoreError('UserNotFound', `Could not find user "${user}@${db}"`);
    const set: Document = {};
    if (change.pwd !== undefined) {
      set.credentials = await makeCredentials({ user, db, pwd: change.pwd, roles: [], mechanisms: change.mechanisms, digestPassword: change.digestPassword });
    }
    if (change.roles) set.roles = change.roles;
    if (change.customData) set.customData = change.customData;
    if (Object.keys(set).length === 0) return;
    await this.command({ update: USERS_COLLECTION, updates: [{ q: { _id: existing._id }, u: { $set: set } }] });
  }

  /** Removes users; returns how many. */
  async remove(filter: { user: string; db: string } | { db: string }): Promise<number> {
    const q = 'user' in filter ? { _id: userId(filter.user, filter.db) } : { db: filter.db };
    const reply = await this.command({ delete: USERS_COLLECTION, deletes: [{ q, limit: 0 }] });
    return Number(reply.n ?? 0);
  }
}

async function makeCredentials(spec: NewUser): Promise<Partial<Record<Mechanism, ScramCredential>>> {
  if (typeof spec.pwd !== 'string') throw new UserStoreError('BadValue', "Must provide a 'pwd' field for all user documents, except those with '$external' as the user's source db");
  if (spec.pwd === '') throw new UserStoreError('BadValue', 'Password cannot be empty');
  const digested = spec.digestPassword === false;
  let mechanisms = spec.mechanisms ?? (digested ? ['SCRAM-SHA-1' as const] : [...MECHANISMS]);
  mechanisms = [...new Set(mechanisms)];
  if (mechanisms.length === 0) throw new UserStoreError('BadValue', 'mechanisms field must not be empty');
  if (!mechanisms.every(isMechanism)) throw new UserStoreError('BadValue', 'Unknown auth mechanism');
  if (digested && mechanisms.includes('SCRAM-SHA-256')) throw new UserStoreError('BadValue', 'Use of SCRAM-SHA-256 requires undigested passwords');
  const out: Partial<Record<Mechanism, ScramCredential>> = {};
  for (const m of mechanisms) out[m] = await makeCredential(m, spec.user, spec.pwd, digested);
  return out;
}
