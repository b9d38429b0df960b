// The fixed cost of rendering a page through the app's view engine with the view cache on (as in
// production): its partials gathered once (server/views/engine.ts) against the same engine
// gathering them on each render, as express-handlebars does, in the same run:
//   node --import tsx bench/views-render.ts [renders per round]
// The page is the error page (little of its own), so the figure is mostly the engine's per-render
// work: finding the template, the layout and the partials.
import path from 'node:path';
import { ExpressHandlebars } from 'express-handlebars';
import { viewEngine, viewsDir } from '../server/views/engine.ts';

const n = Number(process.argv[2] ?? 3000);
const view = path.join(viewsDir, 'errors', 'error.hbs');
const app = viewEngine();
// The same engine and compiled templates, with express-handlebars' own getPartials.
const perRenderPartials = Object.create(app, { getPartials: { value: ExpressHandlebars.prototype.getPartials } }) as ExpressHandlebars;
const engines = { 'express-handlebars': perRenderPartials, app };
const options = () => ({ settings: { views: viewsDir }, cache: true, locale: 'en', title: 'Error', message: 'Not found', status: 404 }) as never;

async function perRender(engine: ExpressHandlebars): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await engine.renderView(view, options());
  return ((performance.now() - t0) / n) * 1000;
}

for (const engine of Object.values(engines)) await perRender(engine); // compile and warm
const results: Record<string, number[]> = { 'express-handlebars': [], app: [] };
for (let round = 0; round < 5; round++) for (const [name, engine] of Object.entries(engines)) results[name]!.push(await perRender(engine));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const base = median(results['express-handlebars']!);
const kept = median(results.app!);
console.log(`error page, view cache on, ${n} renders x 5 rounds (median µs per render)`);
console.log(`  partials gathered per render (express-handlebars): ${base.toFixed(1)}   once (app engine): ${kept.toFixed(1)}   ratio ${(kept / base).toFixed(2)}`);
