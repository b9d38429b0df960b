// Compiles the server into dist/server (run by `npm start` before it starts, and by `npm run build`).
// Why: loading ~600 TypeScript modules through tsx's loader hooks was half of the start on empty
// data (start → /readyz 2.6–2.8 s through tsx, 1.4–1.8 s from this bundle, on this 2-core VM).
// Plain JavaScript so it needs no loader; esbuild is the compiler tsx itself uses.
//
// One bundle of our own code (packages stay in node_modules), entry points main.js and worker.js
// (the embedded database's worker thread), shared code split into chunks named by content. Files
// are written only when changed and each by rename, so a server running from dist keeps working
// while a rebuild of the same sources happens beside it (the tests build once per run).
import { build } from 'esbuild';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const outdir = path.join(root, 'dist/server');

export async function buildServer() {
  const result = await build({
    absWorkingDir: root,
    entryPoints: { main: 'server/main.ts', worker: 'embedded-mongo/src/worker.ts' },
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    splitting: true,
    // Typed errors name themselves with new.target.name (server/errors.ts); bundling may rename.
    keepNames: true,
    sourcemap: 'linked',
    outdir,
    write: false,
    logLevel: 'warning',
  });
  const keep = new Set();
  let written = 0;
  try {
    mkdirSync(outdir, { recursive: true });
    for (const f of result.outputFiles) {
      keep.add(path.basename(f.path));
      // Unchanged files are not touched: on a read-only deployment built beforehand (`npm run
      // build` in the image), `npm start` only checks that dist/server matches the sources.
      if (existsSync(f.path) && readFileSync(f.path).equals(f.contents)) continue;
      const tmp = `${f.path}.${process.pid}.tmp`;
      writeFileSync(tmp, f.contents);
      renameSync(tmp, f.path);
      written++;
    }
    // Chunks of earlier builds: their names are their content's hash, so any not produced now are
    // stale. A temporary file is another build's until its process is gone (a build killed
    // between writing and renaming leaves one).
    for (const name of readdirSync(outdir)) {
      if (keep.has(name)) continue;
      const tmpOf = /\.(\d+)\.tmp$/.exec(name);
      if (tmpOf && processAlive(Number(tmpOf[1]))) continue;
      rmSync(path.join(outdir, name), { force: true });
    }
  } catch (err) {
    throw new Error(`cannot write the compiled server to ${outdir} (${err.code ?? err.message}); run \`npm run build\` where the checkout is writable (when building the image), then start`);
  }
  return { files: result.outputFiles.length, written };
}

/** Is process `pid` running (EPERM: it is, as another user's)? */
function processAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === import.meta.filename) {
  const t0 = performance.now();
  try {
    const { files, written } = await buildServer();
    process.stdout.write(`dist/server: ${written} of ${files} files written in ${(performance.now() - t0).toFixed(0)} ms\n`);
  } catch (err) {
    // esbuild has already printed a compile error with its file and line; this says what failed.
    process.stderr.write(`build failed: ${err.message.split('\n')[0]}\n`);
    process.exit(1);
  }
}
