// Requests whose handlers have not finished. `server.close()` waits for connections, not handlers:
// a client that disconnects mid-request closes its connection while the handler goes on reading and
// writing (and the session is saved as the response ends). Shutdown waits for these too, so the
// database is not closed under a handler halfway through its writes.
import type { Server } from 'node:http';
import type { RequestHandler } from 'express';
import type { Logger } from '../logger.ts';

export interface InFlight {
  /** First in the pipeline: counts the request until its response is ended (after the session's save) or destroyed. */
  middleware: RequestHandler;
  count(): number;
  /** Resolves true once no request is in flight, or false after `timeoutMs`. */
  drained(timeoutMs: number): Promise<boolean>;
}

export function inFlightRequests(): InFlight {
  let active = 0;
  let waiters: Array<() => void> = [];
  const settle = () => {
    active -= 1;
    if (active === 0) {
      const w = waiters;
      waiters = [];
      for (const f of w) f();
    }
  };
  return {
    middleware(_req, res, next) {
      active += 1;
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        settle();
      };
      // Wrapped here, before express-session wraps `end`: its save runs first, then this.
      const end = res.end;
      res.end = function (this: typeof res, ...args: unknown[]) {
        finish();
        return (end as (...a: unknown[]) => typeof res).apply(this, args);
      } as typeof res.end;
      // A response cut off by the error handler is never ended; its handler has nothing left to do.
      const destroy = res.destroy;
      res.destroy = function (this: typeof res, ...args: unknown[]) {
        finish();
        return (destroy as (...a: unknown[]) => typeof res).apply(this, args);
      } as typeof res.destroy;
      next();
    },
    count: () => active,
    drained(timeoutMs) {
      if (active === 0) return Promise.resolve(true);
      return new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => {
          waiters = waiters.filter((w) => w !== ok);
          resolve(false);
        }, timeoutMs);
        timer.unref();
        const ok = () => {
          clearTimeout(timer);
          resolve(true);
        };
        waiters.push(ok);
      });
    },
  };
}

/**
 * Stops serving: no new connections, idle ones closed, then waits for the handlers still running
 * (10 s for connections, 10 s for handlers, then closes what is left). The database stays open.
 */
export async function stopServing(server: Server, inFlight: InFlight, logger: Logger): Promise<void> {
  const force = setTimeout(() => {
    logger.warn('in-flight requests did not finish in 10 s; closing connections');
    server.closeAllConnections();
  }, 10_000);
  force.unref();
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
  clearTimeout(force);
  // A client that hung up has no connection left, but its handler may still be writing.
  if (!(await inFlight.drained(10_000))) logger.warn({ requests: inFlight.count() }, 'handlers still running after 10 s; closing the database under them');
}
