// createApp(deps) builds the Express app with a fixed request pipeline; listen() lives in main.ts
// so tests build the app with their own dependencies.
import { fromRoot } from '../support/project-root.ts';
import { randomUUID } from 'node:crypto';
import { keepQueueRowsFor } from '../cases/queue.ts';
import express, { type Express, type Response } from 'express';
import session from 'express-session';
import cookieParser from 'cookie-parser';
import MongoStore from 'connect-mongo';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import type { AppContext, AppDeps } from '../deps.ts';
import { configurePassport } from './passport.ts';
import { viewEngine, viewsDir } from '../views/engine.ts';
import { renderInPieces } from '../views/pieces.ts';
import { holdingBodyRefusals, inputGuard, refuseHeldInput } from './input-guard.ts';
import { localeMiddleware } from './locale.ts';
import { authGate } from './auth-gate.ts';
import { accountGate } from './account-gate.ts';
import { errorHandler, notFoundHandler } from './error-handler.ts';
import { takeFlash } from './flash.ts';
import { sameSiteReferrer } from './safe-next.ts';
import { contextMiddleware } from './context.ts';
import { attachCookieConfig, keepTextCookies, sessionHasContent } from './visitor-state.ts';
import { csrfProtection } from './csrf.ts';
import { registerRoutes } from '../../routes/index.ts';
import type { InFlight } from './in-flight.ts';
import './types.ts';
import { redactPath } from './redact.ts';
import { setDocumentsToCheckLogger } from '../../models/document.ts';

/** What every page may know about the signed-in user: never the password hash or second-factor secrets. */
function presentViewer(user: Express.User) {
  return {
    id: String(user._id),
    name: user.name,
    email: user.email,
    role: user.role,
    locale: user.locale,
    institute: user.institute ? String(user.institute) : undefined,
    panelCalls: (user.panelCalls ?? []).map(String),
    isHrLead: Boolean(user.isHrLead),
    emailVerified: Boolean(user.emailVerifiedAt),
  };
}

const REQUEST_ID = /^[A-Za-z0-9._-]{8,100}$/;
/** HSTS max-age: one year, the least OWASP ASVS 5.0 (L2) accepts, and the minimum for browser preload lists. */
export const HSTS_MAX_AGE_SECONDS = 31_536_000;
export const publicDir = fromRoot('public');

/** `inFlight`: counts requests until their handlers finish, for a shutdown that waits for them (main.ts). */
export function createApp(deps: AppDeps, opts: { inFlight?: InFlight } = {}): Express {
  const ctx: AppContext = { ...deps, now: deps.now ?? (() => new Date()) };
  const { config, logger, db } = ctx;
  // A recount of a case's "documents to check" after a document write that fails is logged here.
  setDocumentsToCheckLogger(logger);
  keepQueueRowsFor(config.queueRowsKeptMs);
  const app = express();

  app.set('trust proxy', config.trustProxy);
  app.disable('x-powered-by');
  // Pages are never stored (no-store, below), so a browser never revalidates them: Express's ETag
  // would only cost a SHA-1 of every page. Routes that want revalidation (the calendar feed) set their own.
  app.set('etag', false);
  app.engine('hbs', viewEngine().engine);
  app.set('view engine', 'hbs');
  app.set('views', viewsDir);
  // A page's long lists are sent in pieces, never as one string over 64 K characters (server/views/pieces.ts).
  app.response.render = renderInPieces as Response['render'];

  // 0. in-flight requests, counted from the first step to the response's end (after the session's save)
  if (opts.inFlight) app.use(opts.inFlight.middleware);

  // 1. request id and access log
  app.use(
    pinoHttp({
      logger,
      genReqId: (req, res) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' || (req.url ?? '').startsWith('/static/') },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
      // What an access line needs: who asked what, and how it ended. Not every request and response
      // header (1.25 KB a line, mostly the same security headers each time, and the request's headers
      // are the visitor's data), nor the query and route parameters the address already carries.
      // One-time links carry their token in the path (/password/reset/<token>): keep it out of the log.
      serializers: {
        req: (r: { id?: unknown; method?: string; url?: string; remoteAddress?: string; headers?: Record<string, unknown> }) => ({
          id: r.id,
          method: r.method,
          url: typeof r.url === 'string' ? redactPath(r.url) : r.url,
          remoteAddress: r.remoteAddress,
          userAgent: r.headers?.['user-agent'],
        }),
        res: (r: { statusCode?: number; headers?: Record<string, unknown> }) => ({ statusCode: r.statusCode, contentLength: r.headers?.['content-length'] }),
      },
    }),
  );

  // 2. security headers: scripts, styles and images from this origin only, no inline script
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:'],
          fontSrc: ["'self'"],
          connectSrc: ["'self'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
          objectSrc: ["'none'"],
          baseUri: ["'self'"],
          ...(config.secureCookies ? { upgradeInsecureRequests: [] } : {}),
        },
      },
      // Over TLS (SECURE_COOKIES, or an https APP_URL), for this host and its subdomains.
      strictTransportSecurity: config.secureCookies ? { maxAge: HSTS_MAX_AGE_SECONDS, includeSubDomains: true } : false,
      referrerPolicy: { policy: 'same-origin' },
    }),
  );

  // 3. static assets, and probes, before any session is created
  app.use('/static', express.static(publicDir, { maxAge: config.env === 'production' ? '7d' : 0, fallthrough: true, index: false }));
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const ok = await db.ping();
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'database unreachable' });
  });

  // Every answer after this point may carry someone's personal data or a form's CSRF token: no
  // browser or proxy keeps it (a shared computer's cache, the back button after signing out). A
  // route that may be kept says so itself (the calendar feed: private, revalidated).
  app.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });

  // 4. bodies: small, flat (no nested objects from form field names), and free of $ / dotted keys
  app.use(holdingBodyRefusals(express.urlencoded({ extended: false, limit: '200kb', parameterLimit: 500 })));
  app.use(holdingBodyRefusals(express.json({ limit: '200kb' })));
  app.use(inputGuard);

  // 5. session in MongoDB: idle timeout by a rolling cookie, absolute lifetime by createdAt. Stored
  // only once it holds something (sign-in): an anonymous visitor's CSRF secret, flash message and
  // language live in cookies (http/visitor-state.ts), so crawling public pages stores nothing.
  app.use(cookieParser(config.sessionSecret));
  app.use((req, _res, next) => {
    keepTextCookies(req);
    attachCookieConfig(req, config);
    next();
  });
  app.use(
    session({
      name: 'sid',
      secret: config.sessionSecret,
      resave: false,
      saveUninitialized: false,
      rolling: true,
      proxy: config.trustProxy !== false,
      cookie: { httpOnly: true, sameSite: 'lax', secure: config.secureCookies, maxAge: config.sessionIdleMs },
      store: MongoStore.create({
        client: db.connection.getClient(),
        collectionName: 'sessions',
        ttl: Math.ceil(config.sessionAbsoluteMs / 1000),
        autoRemove: 'native',
        stringify: false,
        // The stored expiry follows the rolling cookie; rewriting it on every request would cost a
        // durable write per page view. Once a minute is enough (a session may end ≤ 1 min early).
        touchAfter: 60,
      }),
    }),
  );
  app.use((req, res, next) => {
    // A session that this request puts something into (sign-in) starts its lifetime now, by the app
    // clock: stamped just before express-session saves it. One left empty is never saved.
    const end = res.end;
    res.end = function (this: typeof res, ...args: unknown[]) {
      if (req.session && req.session.createdAt === undefined && sessionHasContent(req)) {
        const at = ctx.now().getTime();
        req.session.createdAt = at;
        req.session.lastSeenAt = at;
      }
      return (end as (...a: unknown[]) => typeof res).apply(this, args);
    } as typeof res.end;

    const now = ctx.now().getTime();
    if (req.session.createdAt === undefined) {
      next();
    } else if (now - req.session.createdAt > config.sessionAbsoluteMs) {
      req.session.regenerate((err) => next(err));
    } else if (req.session.lastSeenAt !== undefined && now - req.session.lastSeenAt > config.sessionIdleMs) {
      // Idle timeout by the app clock too (the rolling cookie enforces it by the real clock).
      req.session.regenerate((err) => next(err));
    } else {
      // Written at most once a minute, so an active session is not saved on every request.
      if (req.session.lastSeenAt === undefined || now - req.session.lastSeenAt > 60_000) req.session.lastSeenAt = now;
      next();
    }
  });

  // 6. who is signing in
  const passport = configurePassport();
  app.use(passport.initialize());
  app.use(passport.session());

  // 7. language, the request's Context for services, and shared page data
  app.use(localeMiddleware);
  app.use(contextMiddleware(ctx.now));
  app.use((req, res, next) => {
    // A plain object for the views: Handlebars refuses the getters of a Mongoose document.
    res.locals.user = req.user ? presentViewer(req.user) : undefined;
    res.locals.currentPath = req.path;
    // Where the language switcher comes back to: this page with its query (filters, sort, search);
    // after a form was sent (a page answering a POST), the page the form was on, never the POST's
    // address (a GET there is "not found").
    res.locals.returnPath = req.method === 'GET' || req.method === 'HEAD' ? req.originalUrl : (sameSiteReferrer(req.get('referer'), req.get('host')) ?? '/');
    res.locals.flash = takeFlash(req);
    next();
  });
  // A body or query the input guard refused (step 4), answered now: in the person's language, with
  // their own header.
  app.use(refuseHeldInput);

  // 8. CSRF on every state-changing request: the `_csrf` field or the x-csrf-token header, never the
  // address. An upload's multipart body is checked as its route reads it (csrf.ts).
  app.use(csrfProtection());

  // 9. default deny: anonymous requests reach only the public allow-list
  app.use(authGate);
  app.use(accountGate);

  // 10. features
  registerRoutes(app, ctx);

  app.use(notFoundHandler);
  app.use(errorHandler(logger));
  return app;
}
