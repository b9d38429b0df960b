// What `npm start` runs, for the benchmarks and tests that start the server as a child process.
import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The node flags `npm start` gives the server (package.json's start script, between `node` and
 * `--import`), so a benchmark or a test runs the server as it is run.
 */
export function startFlags(checkout: string): string[] {
  const start = (JSON.parse(readFileSync(path.join(checkout, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
  const m = /^node((?:\s+--[\w-]+(?:=\S+)?)*)\s+--import tsx server\/main\.ts$/.exec(start.trim());
  if (!m) throw new Error(`package.json's start script is not "node [flags] --import tsx server/main.ts": ${start}`);
  return m[1]!.trim().split(/\s+/).filter(Boolean);
}
