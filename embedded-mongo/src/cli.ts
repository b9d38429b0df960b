// `npm run db -- --port 27017 --dbpath ./data/db` : runs the embedded server on its own, so mongosh
// or Compass can connect to it. Ctrl-C stops it cleanly (journal flushed, lock released).
// Authentication is always on for a data directory: it prints where the credentials file is and a
// URI to paste into mongosh (the password only to a terminal, never to a redirected output).
import { parseArgs } from 'node:util';
import { readCredentialsFile, startEmbeddedMongo, type Credentials, type EmbeddedMongo } from './index.ts';

const USAGE = `Usage: npm run db -- [--port 27017] [--host 127.0.0.1] [--dbpath ./data/db | --in-memory [--no-auth]]

  --port       TCP port (default 27017; 0 picks a free one)
  --host       interface to bind (default 127.0.0.1; use 0.0.0.0 only on a trusted network: there is no TLS)
  --dbpath     data directory (default ./data/db); its first start generates a user and password
               and writes them to <dbpath>/credentials.json (readable by you only)
  --in-memory  keep nothing on disk; a user is generated for this run and printed
  --no-auth    no authentication, with --in-memory only (a throwaway server for tests)
  --compact    compact the data directory (snapshot + new journal) and exit`;

function main(): Promise<void> | void {
  let args;
  try {
    args = parseArgs({
      options: {
        port: { type: 'string', default: '27017' },
        host: { type: 'string', default: '127.0.0.1' },
        dbpath: { type: 'string', default: './data/db' },
        'in-memory': { type: 'boolean', default: false },
        compact: { type: 'boolean', default: false },
        'no-auth': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (args.help) {
    console.log(USAGE);
    return;
  }
  const port = Number(args.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--port must be a number between 0 and 65535, not "${args.port}"\n\n${USAGE}`);
    process.exit(2);
  }
  if (args['no-auth'] && !args['in-memory']) {
    console.error(`--no-auth is for a throwaway --in-memory server: a data directory always requires authentication\n\n${USAGE}`);
    process.exit(2);
  }
  return run(port, args.host!, args['in-memory'] ? null : args.dbpath!, args.compact === true, !args['no-auth']);
}

/** What to paste into mongosh, and where the credentials are. */
async function connectHelp(server: EmbeddedMongo): Promise<string[]> {
  if (!server.auth) {
    return [`connect with: mongosh "${server.uri('test')}"`, 'no authentication: any local process can read and write this server'];
  }
  let credentials: Credentials | null | undefined = server.credentials;
  const lines: string[] = [];
  if (server.credentialsFile) {
    credentials = await readCredentialsFile(server.credentialsFile);
    if (!credentials) return [`credentials file ${server.credentialsFile} not found: connect with a user you created`];
    lines.push(`credentials: ${server.credentialsFile} (user ${credentials.username}, password inside; readable by you only)`);
  }
  const uri = server.uri('test', credentials!);
  // A password goes to a terminal, not into a file or a supervisor's log that stdout may be.
  const shown = server.credentialsFile && !process.stdout.isTTY ? uri.replace(`:${encodeURIComponent(credentials!.password)}@`, ':<password from the credentials file>@') : uri;
  lines.push(`connect with: mongosh "${shown}"`);
  return lines;
}

async function run(port: number, host: string, dbPath: string | null, compactOnly: boolean, auth: boolean): Promise<void> {
  const log = (level: string) => (obj: unknown, msg?: string) => {
    const text = msg ?? (typeof obj === 'string' ? obj : '');
    const extra = typeof obj === 'object' && obj !== null ? ' ' + JSON.stringify(obj, (_k, v) => (v instanceof Error ? v.message : v)) : '';
    console.error(`[${new Date().toISOString()}] ${level} ${text}${extra}`);
  };
  let server;
  try {
    server = await startEmbeddedMongo({ port: compactOnly ? 0 : port, host, dbPath, auth, logger: { info: log('info'), warn: log('warn'), error: log('error') } });
  } catch (err) {
    console.error(`Could not start: ${(err as Error).message}`);
    process.exit(1);
  }
  if (compactOnly) {
    const r = await server.compact();
    console.log(`compacted ${dbPath}: ${r.before} → ${r.after} bytes`);
    await server.stop();
    return;
  }
  console.log(`embedded-mongo listening on ${server.uri('')} (data: ${dbPath ?? 'in memory'})`);
  for (const line of await connectHelp(server)) console.log(line);
  const stop = async (signal: string) => {
    console.log(`${signal}: stopping`);
    await server.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

void main();
