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
 * Stops serving: no new connections, idle ones closed, then waits (10 s at most) for the handlers
 * still running. Once none runs, every connection left carries no request: a keep-alive one whose
 * last response is still leaving (closed by closeIdleConnections as it finishes), or one that never
 * carried a request, which closeIdleConnections leaves open: a browser's preconnected socket held
 * shutdown for its keep-alive or headers timeout (6 s, up to 60 s). Those are closed after a short
 * grace. The database stays open.
 */
export async function stopServing(server: Server, inFlight: InFlight, logger: Logger, opts: { handlersMs?: number; lingerMs?: number } = {}): Promise<void> {
  let closed = false;
  const allClosed = new Promise<void>((resolve) => {
    server.close(() => {
      closed = true;
      resolve();
    });
  });
  server.closeIdleConnections();
  // A client that hung up has no connection left, but its handler may still be writing.
  if (!(await inFlight.drained(opts.handlersMs ?? 10_000))) logger.warn({ requests: inFlight.count() }, 'handlers still running after 10 s; closing their connections and the database under them');
  const lingerUntil = Date.now() + (opts.lingerMs ?? 1_000);
  while (!closed && Date.now() < lingerUntil) {
    server.closeIdleConnections();
    await new Promise((r) => setTimeout(r, 50));
  }
  if (!closed) server.closeAllConnections();
  await allClosed;
}
