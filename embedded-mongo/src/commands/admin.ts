// Handshake, diagnostics and session commands: hello, buildInfo, serverStatus and friends.
import { Long, UUID } from 'bson';
import { CommandError } from '../errors.ts';
import { MAX_BSON_SIZE } from '../cursors.ts';
import type { Doc } from '../collection.ts';
import type { CommandContext, ConnectionInfo, Handler } from './context.ts';

export const MAX_MESSAGE_SIZE = 48_000_000;
export const MAX_WRITE_BATCH = 100_000;
export const VERSION = '7.0.0';

function hello(conn: ConnectionInfo, legacy: boolean): Doc {
  return {
    ...(legacy ? { ismaster: true } : { isWritablePrimary: true }),
    helloOk: true,
    maxBsonObjectSize: MAX_BSON_SIZE,
    maxMessageSizeBytes: MAX_MESSAGE_SIZE,
    maxWriteBatchSize: MAX_WRITE_BATCH,
    localTime: new Date(),
    logicalSessionTimeoutMinutes: 30,
    connectionId: conn.id,
    minWireVersion: 0,
    maxWireVersion: 21,
    readOnly: false,
    ok: 1,
  };
}

function buildInfo(): Doc {
  return {
    version: VERSION,
    gitVersion: 'embedded-mongo',
    versionArray: [7, 0, 0, 0],
    bits: 64,
    debug: false,
    maxBsonObjectSize: MAX_BSON_SIZE,
    storageEngines: ['embedded-journal'],
    modules: [],
    ok: 1,
  };
}

function serverStatus(ctx: CommandContext): Doc {
  const mem = process.memoryUsage();
  return {
    host: '127.0.0.1',
    version: VERSION,
    process: 'embedded-mongo',
    pid: Long.fromNumber(process.pid),
    uptime: Math.floor((Date.now() - ctx.startedAt) / 1000),
    uptimeMillis: Long.fromNumber(Date.now() - ctx.startedAt),
    localTime: new Date(),
    connections: { current: ctx.connections, available: 10_000 },
    mem: { bits: 64, resident: Math.round(mem.rss / 1048576), virtual: Math.round(mem.rss / 1048576) },
    opcounters: ctx.opCounters,
    storageEngine: { name: 'embedded-journal', ...ctx.stats() },
    ok: 1,
  };
}

const noTransactions = (): Doc => {
  throw new CommandError('IllegalOperation', 'Transactions are not supported by this server');
};

export const adminCommands: Array<[string, Handler]> = [
  ['hello', (_ctx, _db, _cmd, conn) => hello(conn, false)],
  ['isMaster', (_ctx, _db, _cmd, conn) => hello(conn, true)],
  ['ismaster', (_ctx, _db, _cmd, conn) => hello(conn, true)],
  ['ping', () => ({ ok: 1 })],
  ['buildInfo', () => buildInfo()],
  ['buildinfo', () => buildInfo()],
  ['serverStatus', (ctx) => serverStatus(ctx)],
  ['hostInfo', () => ({ system: { currentTime: new Date(), hostname: '127.0.0.1', numCores: 1 }, os: { type: process.platform }, extra: {}, ok: 1 })],
  ['getCmdLineOpts', () => ({ argv: ['embedded-mongo'], parsed: {}, ok: 1 })],
  ['getParameter', () => ({ featureCompatibilityVersion: { version: '7.0' }, ok: 1 })],
  ['getLog', () => ({ totalLinesWritten: 0, log: [], ok: 1 })],
  ['connectionStatus', () => ({ authInfo: { authenticatedUsers: [], authenticatedUserRoles: [] }, ok: 1 })],
  ['whatsmyuri', (_ctx, _db, _cmd, conn) => ({ you: conn.remote, ok: 1 })],
  ['endSessions', () => ({ ok: 1 })],
  ['killSessions', () => ({ ok: 1 })],
  ['startSession', () => ({ id: { id: new UUID() }, timeoutMinutes: 30, ok: 1 })],
  ['refreshSessions', () => ({ ok: 1 })],
  ['validate', (_ctx, db, cmd) => ({ ns: `${db}.${String(cmd.validate)}`, valid: true, ok: 1 })],
  ['fsync', async () => ({ numFiles: 1, ok: 1 })],
  ['compact', async (ctx) => ({ ...(await ctx.compact()), ok: 1 })],
  ['abortTransaction', noTransactions],
  ['commitTransaction', noTransactions],
];
