// The kill point of the backup and restore drills (restore-killed-s37.test.ts): loaded into
// `npm run backup` or `npm run restore` with NODE_OPTIONS=--import, it SIGKILLs the script at one
// step of its writing (the scripts have no fault point: node:fs/promises and the driver's
// insertMany are wrapped, the ES module bindings synced). DRILL_BACKUP_KILL is one of:
//   file:N      restore: just before its N-th uploaded file is moved into place (N-1 are there);
//   insert:N    restore: just before its N-th batch of documents is inserted into the new database;
//   db-rename   restore: just before the rebuilt database is moved to <data>/db (all else done);
//   copy:N      backup: just before its N-th uploaded file is copied into the backup;
//   sig-open    backup: after manifest.sha256 is in place (renamed, its folder synced), just before
//               manifest.sig.writing is created: the backup's folder then has no signature file at all;
//   sig-rename  backup: manifest.sig.writing written and synced, just before its rename to manifest.sig.
// Prints `killed at <point>` just before the kill.
import fsp from 'node:fs/promises';
import { writeSync } from 'node:fs';
import path from 'node:path';
import { syncBuiltinESMExports } from 'node:module';
import { isMainThread } from 'node:worker_threads';

const spec = process.env.DRILL_BACKUP_KILL;
if (spec && isMainThread) {
  const m = /^(file|insert|copy):(\d+)$|^(db-rename|sig-open|sig-rename)$/.exec(spec);
  if (!m) throw new Error(`DRILL_BACKUP_KILL: ${spec}`);
  const kind = m[1] ?? m[3];
  const at = Number(m[2] ?? 0);
  let seen = 0;
  const die = () => {
    writeSync(2, `killed at ${spec}\n`);
    process.kill(process.pid, 'SIGKILL');
  };
  if (kind === 'file' || kind === 'db-rename' || kind === 'sig-rename') {
    const rename = fsp.rename;
    fsp.rename = async function (from, to) {
      const name = path.basename(String(from));
      if (kind === 'file' && name.startsWith('.') && name.includes('.restoring-') && (seen += 1) === at) die();
      if (kind === 'db-rename' && name.startsWith('db.restoring-')) die();
      if (kind === 'sig-rename' && name === 'manifest.sig.writing') die();
      return rename.call(this, from, to);
    };
  }
  if (kind === 'copy') {
    const copyFile = fsp.copyFile;
    fsp.copyFile = async function (from, to, mode) {
      if (/\/files\/[a-f0-9]{2}\/[a-f0-9]{32}$/.test(String(to)) && (seen += 1) === at) die();
      return copyFile.call(this, from, to, mode);
    };
  }
  if (kind === 'sig-open') {
    // writeFileDurably (server/support/durable-write.ts) creates the temporary file with open(…, 'wx').
    const open = fsp.open;
    fsp.open = async function (file, ...rest) {
      if (path.basename(String(file)) === 'manifest.sig.writing') die();
      return open.call(this, file, ...rest);
    };
  }
  if (kind === 'insert') {
    const { Collection } = await import('mongodb');
    const insertMany = Collection.prototype.insertMany;
    Collection.prototype.insertMany = function (...args) {
      if ((seen += 1) === at) die();
      return insertMany.apply(this, args);
    };
  }
  syncBuiltinESMExports();
}
