// What kind of database failure an error is, for the callers that act on it: the error page
// (server/http/error-handler.ts: 503 rather than 500) and the start-time backfills (stop the walk
// rather than fail case after case against a database that cannot answer).
import { MongoNetworkError, MongoNotConnectedError, MongoServerSelectionError, MongoTopologyClosedError } from 'mongodb';

/**
 * The database refused a write for want of disk space: MongoDB's OutOfDiskSpace (14031), which the
 * embedded server answers before the write changes anything (embedded-mongo journal.ts checkRoom).
 * Reads still work, so the page says nothing was saved rather than that the database is gone.
 */
export function databaseFull(err: unknown): boolean {
  const e = err as { code?: unknown; codeName?: unknown; name?: unknown } | undefined;
  return (e?.code === 14031 || e?.codeName === 'OutOfDiskSpace') && typeof e?.name === 'string' && e.name.startsWith('Mongo');
}

const SOCKET_CODES = new Set(['EPIPE', 'ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT']);

/**
 * The database is not answering: the driver's own errors, and the socket's raw error when a
 * command is written to a connection the server has just closed (the driver passes Node's EPIPE
 * "This socket has been ended by the other party" through unwrapped: seen in the database-restart
 * drill, test/drills/database-restart.test.ts).
 */
export function databaseUnreachable(err: unknown): boolean {
  if (err instanceof MongoServerSelectionError || err instanceof MongoNetworkError || err instanceof MongoNotConnectedError || err instanceof MongoTopologyClosedError) return true;
  const e = err as { code?: unknown; stack?: unknown } | undefined;
  return typeof e?.code === 'string' && SOCKET_CODES.has(e.code) && typeof e.stack === 'string' && /[\\/]node_modules[\\/]mongodb[\\/]/.test(e.stack);
}
