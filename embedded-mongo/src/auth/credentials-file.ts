// The credentials of the user generated at the first start of a data directory, in
// <dbPath>/credentials.json (mode 0600), where the application (and a person at the terminal) reads
// them. The password is in no log line.
import { randomBytes } from 'node:crypto';
import { chmod, open as openFile, readFile, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';

export const CREDENTIALS_FILE = 'credentials.json';

export interface Credentials {
  username: string;
  password: string;
  /** Database the user is defined in (the URI's authSource). */
  authSource: string;
}

/** A user name and a password made of URI-safe characters, so the URI needs no escaping. */
export function generateCredentials(): Credentials {
  return {
    username: `admin-${randomBytes(4).toString('hex')}`,
    password: randomBytes(24).toString('base64url'),
    authSource: 'admin',
  };
}

export function credentialsPath(dbPath: string): string {
  return path.join(path.resolve(dbPath), CREDENTIALS_FILE);
}

function parse(text: string, file: string): Credentials {
  let v: Partial<Credentials>;
  try {
    v = JSON.parse(text) as Partial<Credentials>;
  } catch {
    throw new Error(`${file} is not valid JSON`);
  }
  if (!v || typeof v.username !== 'string' || !v.username || typeof v.password !== 'string' || !v.password) {
    throw new Error(`${file} must hold {"username": "...", "password": "...", "authSource": "admin"}`);
  }
  return { username: v.username, password: v.password, authSource: typeof v.authSource === 'string' && v.authSource ? v.authSource : 'admin' };
}

/** Reads the file; undefined when it does not exist. Tightens a file readable by others to 0600. */
export async function readCredentialsFile(file: string, warn?: (msg: string) => void): Promise<Credentials | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  if (process.platform !== 'win32' && ((await stat(file)).mode & 0o077) !== 0) {
    warn?.(`${file} was readable by other users; its mode is now 0600`);
    await chmod(file, 0o600);
  }
  return parse(text, file);
}

/** Writes the file atomically (temporary file, fsync, rename), mode 0600 from its creation. */
export async function writeCredentialsFile(file: string, creds: Credentials): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await unlink(tmp).catch(() => {}); // left by a crash of an earlier process with this pid
  const fh = await openFile(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(`${JSON.stringify(creds, null, 2)}\n`);
    await fh.chmod(0o600); // whatever the umask
    await fh.sync();
  } catch (e) {
    await fh.close();
    await unlink(tmp).catch(() => {});
    throw e;
  }
  await fh.close();
  await rename(tmp, file);
  const dir = await openFile(path.dirname(file), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/** `mongodb://user:password@host:port/db?authSource=…`. */
export function uriWithCredentials(host: string, port: number, db: string, creds: Credentials): string {
  const h = host.includes(':') ? `[${host}]` : host;
  return `mongodb://${encodeURIComponent(creds.username)}:${encodeURIComponent(creds.password)}@${h}:${port}/${db}?authSource=${encodeURIComponent(creds.authSource)}`;
}
