// What the driver's monitoring saw go wrong, logged without flooding: while a server is down its
// monitor fails a heartbeat about every 500 ms (the driver's minimum interval once the server is
// Unknown), so one line per failure was ~7,200 lines an hour of outage. Per server address: the first
// failure at once (warn), then one summary per interval while it lasts (failures since the line
// before, the last error), and one line when a heartbeat succeeds again (info, with the count and
// how long it lasted). A cleared pool is said once per outage by the driver itself.
import type { MongoClient } from 'mongodb';
import type { Logger } from '../logger.ts';

/** How often a lasting outage is summed up (ms). */
export const TROUBLE_SUMMARY_EVERY_MS = 10_000;

interface Outage {
  since: number;
  /** Failures in all, and since the last line written. */
  total: number;
  unreported: number;
  lastError: unknown;
  timer: NodeJS.Timeout;
}

/** Starts watching `client`'s monitor; the function returned stops (and forgets any outage). */
export function watchDriverTrouble(client: MongoClient, logger: Pick<Logger, 'warn' | 'info'>, opts: { summaryEveryMs?: number } = {}): () => void {
  const every = opts.summaryEveryMs ?? TROUBLE_SUMMARY_EVERY_MS;
  const outages = new Map<string, Outage>();

  const onFailed = (e: { connectionId: string; failure: unknown }) => {
    const known = outages.get(e.connectionId);
    if (known) {
      known.total += 1;
      known.unreported += 1;
      known.lastError = e.failure;
      return;
    }
    logger.warn({ connectionId: e.connectionId, err: e.failure }, 'database: a heartbeat failed');
    const outage: Outage = {
      since: Date.now(),
      total: 1,
      unreported: 0,
      lastError: e.failure,
      timer: setInterval(() => {
        // A paused server fails slowly (each heartbeat waits its connect timeout): a window may have none.
        logger.warn({ connectionId: e.connectionId, failures: outage.unreported, failuresInAll: outage.total, downForMs: Date.now() - outage.since, err: outage.lastError }, 'database: heartbeats still failing');
        outage.unreported = 0;
      }, every),
    };
    // Never what keeps a process alive that is otherwise done.
    outage.timer.unref();
    outages.set(e.connectionId, outage);
  };
  const onSucceeded = (e: { connectionId: string }) => {
    const outage = outages.get(e.connectionId);
    if (!outage) return;
    clearInterval(outage.timer);
    outages.delete(e.connectionId);
    logger.info({ connectionId: e.connectionId, failures: outage.total, downForMs: Date.now() - outage.since }, 'database: heartbeats succeed again');
  };
  const onPoolCleared = (e: { address: string }) => logger.warn({ address: e.address }, 'database: the connection pool was cleared');

  client.on('serverHeartbeatFailed', onFailed);
  client.on('serverHeartbeatSucceeded', onSucceeded);
  client.on('connectionPoolCleared', onPoolCleared);
  return () => {
    client.off('serverHeartbeatFailed', onFailed);
    client.off('serverHeartbeatSucceeded', onSucceeded);
    client.off('connectionPoolCleared', onPoolCleared);
    for (const o of outages.values()) clearInterval(o.timer);
    outages.clear();
  };
}
