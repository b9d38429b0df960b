// Counters for rate limits live in MongoDB (rate-limiter-flexible's RateLimiterMongo), so a limit
// holds across several app instances.
import { RateLimiterMongo } from 'rate-limiter-flexible';

/**
 * rate-limiter-flexible reads the driver version from client metadata to pick findOneAndUpdate's
 * options; with driver 7 that metadata is a promise, detection yields 0.0.0 and it asks for the
 * document *before* the update (null on first insert). We run driver 7, so say so.
 */
export function mongoRateLimiter(opts: ConstructorParameters<typeof RateLimiterMongo>[0]): RateLimiterMongo {
  const limiter = new RateLimiterMongo(opts);
  (limiter as unknown as { _driverVersion: unknown })._driverVersion = { major: 7, feature: 0, patch: 0 };
  return limiter;
}
