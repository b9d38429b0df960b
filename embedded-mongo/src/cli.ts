// `npm run db -- --port 27017 --dbpath ./data/db` : runs the embedded server on its own, so mongosh
// or Compass can connect to it. Ctrl-C stops it cleanly (journal flushed, lock released).
import { parseArgs } from 'node:util';
import { startEmbeddedMongo } from './index.ts';

const USAGE = `Usage: npm run db -- [--port 27017] [--host 127.0.0.1] [--dbpath ./data/db | --in-memory]

  --port       TCP port (default 27017; 0 picks a free one)
  --host       interface to bind (default 127.0.0.1; use 0.0.0.0 only on a trusted network: there is no authentication)
  --dbpath     data directory (default ./data/db)
  --in-memory  keep nothing on disk
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
  return run(port, args.host!, args['in-memory'] ? null : args.dbpath!, args.compact === true);
}

async function run(port: number, host: string, dbPath: string | null, compactOnly: boolean): Promise<void> {
  const log = (level: string) => (obj: unknown, msg?: string) => {
    const text = msg ?? (typeof obj === 'string' ? obj : '');
    const extra = typeof obj === 'object' && obj !== null ? ' ' + JSON.stringify(obj, (_k, v) => (v instanceof Error ? v.message : v)) : '';
    console.error(`[${new Date().toISOString()}] ${level} ${text}${extra}`);
  };
  let server;
  try {
    server = await startEmbeddedMongo({ port: compactOnly ? 0 : port, host, dbPath, logger: { info: log('info'), warn: log('warn'), error: log('error') } });
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
  console.log(`connect with: mongosh "${server.uri('test')}"`);
  const stop = async (signal: string) => {
    console.log(`${signal}: stopping`);
    await server.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

void main();
