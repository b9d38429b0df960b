// The embedded database run on its own (`npm run db`, a child process, on disk, with
// authentication), as a deployment with a separate database runs it: the app reaches it through
// MONGODB_URI, and a drill can SIGKILL, SIGSTOP or SIGCONT it under the running app.
import { spawn, type ChildProcess } from 'node:child_process';
import { credentialsPath, readCredentialsFile } from '../../../embedded-mongo/src/auth/credentials-file.ts';
import { root, until } from './app-process.ts';

export interface DatabaseProcess {
  child: ChildProcess;
  exited: Promise<number | null>;
}

/** `npm run db` on `dbPath` and `port`, resolved once it listens. */
export async function startDatabase(dbPath: string, port: number): Promise<DatabaseProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'embedded-mongo/src/cli.ts', '--port', String(port), '--dbpath', dbPath], { cwd: root, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  await until('the database listening', 60_000, () => {
    if (child.exitCode !== null) throw new Error(`the database exited (${child.exitCode}):\n${out}`);
    return out.includes('embedded-mongo listening on');
  });
  return { child, exited };
}

/** The URI the app (and the drill's own checks) use for the database at `dbPath` on `port`. */
export async function databaseUri(dbPath: string, port: number): Promise<string> {
  const creds = await readCredentialsFile(credentialsPath(dbPath));
  if (!creds) throw new Error('no credentials file');
  return `mongodb://${encodeURIComponent(creds.username)}:${encodeURIComponent(creds.password)}@127.0.0.1:${port}/talent?authSource=${creds.authSource}`;
}
