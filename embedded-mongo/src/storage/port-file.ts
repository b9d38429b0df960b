// Where the server that holds a data directory listens (`port.json`), for the tools that must talk
// to it while it runs (the app's `npm run backup`) without being told its port: the directory's lock
// says a server holds it, this file says where. Written after the listen, removed at a clean stop;
// after a kill it stays, but then the lock is free and nobody reads it (read only while the lock is
// held). Host and port only: no secret, yet 0600 as the directory's other files.
import { readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

export const PORT_FILE = 'port.json';

export async function writePortFile(dbPath: string, host: string, port: number): Promise<void> {
  await writeFile(path.join(dbPath, PORT_FILE), JSON.stringify({ host, port, pid: process.pid }) + '\n', { mode: 0o600 });
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
  const o = v as { host?: unknown; port?: unknown };
  if (typeof o?.host !== 'string' || !/^[0-9a-f.:]{2,45}$/i.test(o.host)) return null;
  if (typeof o.port !== 'number' || !Number.isInteger(o.port) || o.port < 1 || o.port > 65_535) return null;
  return { host: o.host, port: o.port };
}
