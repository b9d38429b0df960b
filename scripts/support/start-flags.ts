// What `npm start` runs, for the benchmarks and tests that start the server as a child process.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The compiled server `npm start` runs (scripts/build.mjs writes it; `prestart` builds it). */
export const SERVER_ENTRY = 'dist/server/main.js';

interface StartScript {
  flags: string[];
  /** node's arguments after the flags: the compiled entry, or (checkouts before the build step) tsx and the sources. */
  entry: string[];
}

function startScript(checkout: string): StartScript {
  const start = (JSON.parse(readFileSync(path.join(checkout, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
  const m = /^node((?:\s+--[\w-]+(?:=\S+)?)*)\s+(dist\/server\/main\.js|--import tsx server\/main\.ts)$/.exec(start.trim());
  if (!m) throw new Error(`package.json's start script is not "node [flags] ${SERVER_ENTRY}": ${start}`);
  return { flags: m[1]!.trim().split(/\s+/).filter(Boolean), entry: m[2]!.split(' ') };
}

/**
 * The node flags `npm start` gives the server (package.json's start script, between `node` and
 * the entry), so a benchmark or a test runs the server as it is run.
 */
export function startFlags(checkout: string): string[] {
  return startScript(checkout).flags;
}

const built = new Set<string>();

/**
 * Builds `checkout`'s server from its sources, once per process (what `npm start`'s prestart does);
 * returns the build's report, or undefined when this process built that checkout already.
 */
export function buildServer(checkout: string): string | undefined {
  if (built.has(checkout)) return undefined;
  const r = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: checkout, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`scripts/build.mjs failed in ${checkout} (${r.status}):\n${r.stdout}\n${r.stderr}`);
  built.add(checkout);
  return r.stdout.trim();
}

/**
 * node's arguments to run `checkout`'s server as `npm start` does (its flags, `extraFlags`, its
 * entry), building the server first if this process has not built that checkout yet.
 */
export function startCommand(checkout: string, opts: { flags?: string[]; extraFlags?: string[] } = {}): string[] {
  const s = startScript(checkout);
  if (s.entry[0] === SERVER_ENTRY) buildServer(checkout);
  return [...(opts.flags ?? s.flags), ...(opts.extraFlags ?? []), ...s.entry];
}
