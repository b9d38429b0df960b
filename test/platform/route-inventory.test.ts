// Every route the app answers is guarded where it is declared: a route that is not public
// (server/http/public-routes.ts) carries an allow('<model>.<verb>') middleware or its handler calls
// authorize(…) itself. The walk goes through the built app's router stack, so a new route without
// either fails here, whichever feature adds it.
import { expect } from 'chai';
import express, { Router, type Express } from 'express';
import { startTestApp, type TestApp } from '../support/app.ts';
import { concretePath } from '../support/routes.ts';
import { isPublic } from '../../server/http/public-routes.ts';
import { allow } from '../../server/http/allow.ts';
import { isUploadRoute } from '../../server/http/csrf.ts';

interface Handler {
  handle: (...args: unknown[]) => unknown;
}
interface LayerLike {
  route?: { path: string | string[]; methods: Record<string, boolean>; stack: Handler[] };
  handle?: { stack?: LayerLike[] };
}

interface RouteGuard {
  route: string;
  guarded: boolean;
}

/** allow() builds its middleware around authorize; a handler that authorizes calls it by name (`authorize(` or, compiled as CommonJS, `(0, m.authorize)(`). */
function authorizes(fn: unknown): boolean {
  return typeof fn === 'function' && /\bauthorize\)?\s*\(/.test(Function.prototype.toString.call(fn));
}

/** A handler that reads a multipart body calls receiveUploads (server/http/uploads.ts) by name. */
function readsUploads(fn: unknown): boolean {
  return typeof fn === 'function' && /\breceiveUploads\)?\s*\(/.test(Function.prototype.toString.call(fn));
}

/** The routes that read a multipart body, and those whose CSRF token the pipeline leaves to that reading. */
function uploadRoutes(stack: LayerLike[]): { reading: string[]; deferring: string[] } {
  const reading: string[] = [];
  const deferring: string[] = [];
  const walk = (layers: LayerLike[]) => {
    for (const layer of layers) {
      if (layer.route) {
        const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
        const reads = layer.route.stack.some((h) => readsUploads(h.handle));
        for (const p of paths) {
          for (const m of Object.keys(layer.route.methods)) {
            if (m === '_all') continue;
            if (reads) reading.push(`${m.toUpperCase()} ${p}`);
            if (isUploadRoute(m.toUpperCase(), concretePath(p))) deferring.push(`${m.toUpperCase()} ${p}`);
          }
        }
      } else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk(stack);
  return { reading: reading.sort(), deferring: deferring.sort() };
}

function guards(stack: LayerLike[]): RouteGuard[] {
  const out: RouteGuard[] = [];
  const walk = (layers: LayerLike[]) => {
    for (const layer of layers) {
      if (layer.route) {
        const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
        const guarded = layer.route.stack.some((h) => authorizes(h.handle));
        for (const p of paths) for (const m of Object.keys(layer.route.methods)) if (m !== '_all') out.push({ route: `${m.toUpperCase()} ${p}`, guarded });
      } else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk(stack);
  return out;
}

function routerStack(app: Express): LayerLike[] {
  return (app as unknown as { router: { stack: LayerLike[] } }).router.stack;
}

function unguarded(app: Express): string[] {
  return guards(routerStack(app))
    .filter((g) => {
      const [method, path] = g.route.split(' ') as [string, string];
      return !isPublic(method, concretePath(path)) && !g.guarded;
    })
    .map((g) => g.route);
}

describe('platform: every route authorizes', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(async () => {
    await t?.close();
  });

  it('finds a route that neither allows nor authorizes (the check itself works)', () => {
    const probe = express();
    const r = Router();
    r.get('/probe/open', (_req, res) => {
      res.send('no guard');
    });
    r.get('/probe/allowed', allow('role.admin'), (_req, res) => {
      res.send('guarded');
    });
    probe.use(r);
    expect(unguarded(probe)).to.deep.equal(['GET /probe/open']);
  });

  it('has allow(…) or authorize(…) on every non-public route of the app', () => {
    const all = guards(routerStack(t.app));
    expect(all.length, 'routes found in the router stack').to.be.greaterThan(50);
    expect(all.map((g) => g.route)).to.include.members(['POST /cases/:id/actions/:action', 'POST /applications/:id/submit', 'GET /cases/:id']);
    expect(unguarded(t.app)).to.deep.equal([]);
  });

  it('leaves the CSRF token of a multipart body to exactly the routes that read one (server/http/csrf.ts)', () => {
    // A route on the list that did not read its body would never check its token; one that reads a
    // body but is not on the list refuses every upload form (its token is not readable before).
    const { reading, deferring } = uploadRoutes(routerStack(t.app));
    expect(reading).to.deep.equal(['POST /applications/:id/answer', 'POST /cases/:id/documents', 'POST /cases/:id/offer-terms', 'POST /documents/:id/renew']);
    expect(deferring).to.deep.equal(reading);
  });
});
