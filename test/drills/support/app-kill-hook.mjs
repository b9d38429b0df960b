// The kill point inside the running app (as ./kill-point.ts is inside a drill's step process): loaded
// into `npm start`'s processes with NODE_OPTIONS=--import (appKillEnv in ./kill-point.ts), it listens
// to Mongoose's 'operation-start' on the app's own connection (the app has no fault point) and
// SIGKILLs the app at one write a drill names:
//   DRILL_KILL_UPDATE  '<collection>.<method>:<path>[=<value>]': the write whose update sets <path>
//                      (to <value>, compared as a string) in its $set, e.g.
//                      'cases.findOneAndUpdate:profile.plannedArrival' (HR's planned-start move) or
//                      'cases.updateOne:outbox.$.status=sent' (a sent e-mail recorded on its case);
//                      '<collection>.<method>:*': any such operation (e.g. 'evaluations.deleteOne:*');
//   DRILL_KILL_AT      'write': as that write is issued (nothing of it stored); 'after': at the first
//                      operation started once it was acknowledged (it is stored, nothing after it);
//                      'stall': not a kill: the process's thread is held DRILL_STALL_MS (default
//                      3000) just before the write is sent, once per write named, after printing
//                      `stalled at write: ...` (a drill stops the database meanwhile: the write meets
//                      it gone). Several writes may be named, separated by '|'.
// Plain JavaScript: the app runs compiled (dist/server), without a TypeScript loader. In a web
// process (cluster worker) the primary, which holds the embedded database, is killed first: the
// whole app dies, as a power cut would take it. Prints `killed at <at>: <collection>.<method>`.
import { writeSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import cluster from 'node:cluster';
import mongoose from 'mongoose';

const spec = process.env.DRILL_KILL_UPDATE;
const at = process.env.DRILL_KILL_AT;
// The embedded database's own thread loads this too: only the app's thread has the app's connection.
if (spec && at && isMainThread) {
  const specs = spec.split('|').map((one) => {
    const m = /^([^.]+)\.([^:]+):([^=]+)(?:=(.*))?$/.exec(one.trim());
    if (!m) throw new Error(`DRILL_KILL_UPDATE: ${one}`);
    const [, collection, method, path, value] = m;
    return { collection, method, path, value, stalled: false };
  });
  const matching = (op) =>
    specs.find(({ collection, method, path, value }) => {
      if (op.collectionName !== collection || op.method !== method) return false;
      if (path === '*') return true;
      const set = op.params?.[1]?.$set;
      if (!set || !(path in set)) return false;
      return value === undefined || String(set[path]) === value;
    });
  const isTarget = (op) => !!matching(op);
  if (at === 'stall') {
    const ms = Number(process.env.DRILL_STALL_MS ?? 3000);
    mongoose.connection.on('operation-start', (op) => {
      const s = matching(op);
      if (!s || s.stalled) return;
      s.stalled = true;
      writeSync(1, `stalled at write: ${op.collectionName}.${op.method}\n`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
    });
  }
  const die = (op) => {
    writeSync(1, `killed at ${at}: ${op.collectionName}.${op.method}\n`);
    if (cluster.isWorker) {
      try {
        process.kill(process.ppid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    process.kill(process.pid, 'SIGKILL');
  };
  let written = false;
  let targetId;
  if (at === 'write' || at === 'after') mongoose.connection.on('operation-start', (op) => {
    const target = isTarget(op);
    if ((at === 'write' && target) || (at === 'after' && written)) die(op);
    if (target) targetId = op._id;
  });
  if (at === 'after') mongoose.connection.on('operation-end', (op) => {
    if (op._id === targetId && !op.error) written = true;
  });
}
