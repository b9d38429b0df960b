// Where the server that holds a data directory listens (`port.json`), for the tools that must talk
// to it while it runs (the app's `npm run backup`) without being told its port: the directory's lock
// says a server holds it, this file says where. Written after the listen, removed at a clean stop;
// after a kill it stays, but then the lock is free and nobody reads it (read only while the lock is
// held), and the next server removes it as soon as it holds the lock; read only when it names the
// lock holder's pid. Host and port only: no secret, yet 0600 as the directory's other files.
import { readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { LOCK_FILE } from './dir-lock.ts';

export const PORT_FILE = 'port.json';

export async function writePortFile(dbPath: string, host: string, port: number): Promise<void> {
  // A file left by a killed server is replaced, not rewritten in place (its mode, its owner kept).
  await unlink(path.join(dbPath, PORT_FILE)).catch(() => undefined);
  await writeFile(path.join(dbPath, PORT_FILE), JSON.stringify({ host, port, pid: process.pid }) + '\n', { mode: 0o600, flag: 'wx' });
}

export async function removePortFile(dbPath: string): Promise<void> {
  await unlink(path.join(dbPath, PORT_FILE)).catch(() => undefined);
}

/** The listening address the file names, or null when it is missing or not what this module writes. */
export async function readPortFile(dbPath: string): Promise<{ host: string; port: number } | null> {
  let v: unknown;
  try {
    v = JSON.parse(await readFile(path.join(dbPath, PORT_FILE), 'utf8'));
  } catch {
    return null;
  }
  const o = v as { host?: unknown; port?: unknown; pid?: unknown };
  if (typeof o?.host !== 'string' || !/^[0-9a-f.:]{2,45}$/i.test(o.host)) return null;
  if (typeof o.port !== 'number' || !Number.isInteger(o.port) || o.port < 1 || o.port > 65_535) return null;
  // Written by the process that holds the lock now (security review s37): a file left by a killed
  // server, read while its successor holds the lock but listens nowhere yet, names a port anyone on
  // the host may have taken since — a backup would sign in there, and a relay of its SCRAM
  // conversation to this server is a signed-in connection for whoever listens.
  const holder = await readFile(path.join(dbPath, LOCK_FILE), 'utf8').then((t) => t.split('\n')[0], () => undefined);
  if (typeof o.pid !== 'number' || holder !== String(o.pid)) return null;
  return { host: o.host, port: o.port };
}
