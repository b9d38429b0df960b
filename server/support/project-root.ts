// The checkout's root (the folder of package.json), found from this module's own folder: the same
// whether the server runs from its TypeScript sources (server/support/) or from the bundle that
// `npm start` builds (dist/server/, scripts/build.mjs), where every module shares one folder.
import { existsSync } from 'node:fs';
import path from 'node:path';

function findRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

export const projectRoot = findRoot(import.meta.dirname);

/** A path inside the checkout, from '/'-separated parts relative to its root. */
export function fromRoot(...parts: string[]): string {
  return path.join(projectRoot, ...parts);
}
