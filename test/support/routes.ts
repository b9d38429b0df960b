// Lists every route registered on the app (all routers are mounted at the root by convention).
import type { Express } from 'express';

export interface RegisteredRoute {
  method: string;
  path: string;
}

interface LayerLike {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle?: { stack?: LayerLike[] };
  name?: string;
}

export function listRoutes(app: Express): RegisteredRoute[] {
  const out: RegisteredRoute[] = [];
  const walk = (stack: LayerLike[]) => {
    for (const layer of stack) {
      if (layer.route) {
        const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
        for (const p of paths) for (const m of Object.keys(layer.route.methods)) if (m !== '_all') out.push({ method: m.toUpperCase(), path: p });
      } else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk((app as unknown as { router: { stack: LayerLike[] } }).router.stack);
  return out;
}

/** Fills :params with plausible values so the request reaches the route's own handler. */
export function concretePath(p: string): string {
  return p.replace(/:([A-Za-z_]+)/g, (_m, name: string) => (/token/i.test(name) ? 'a'.repeat(43) : /id$/i.test(name) ? '000000000000000000000000' : 'x'));
}
