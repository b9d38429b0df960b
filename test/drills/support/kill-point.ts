// The kill point of a drill's crash step around one case update (./procedure-step.ts,
// ./answer-step.ts): a listener on Mongoose's 'operation-start' event, emitted before a command is
// sent (the app itself has no fault point). 'case': as the update is issued; 'after': at the first
// operation started once the update was acknowledged ('operation-end', not merely issued: an
// operation started meanwhile must not kill around it); 'none': never. Prints
// `killed at <at>: <collection>.<method>` just before the SIGKILL.
import { writeSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import mongoose from 'mongoose';

export type KillAt = 'case' | 'after' | 'none';

export interface Operation {
  _id: unknown;
  collectionName: string;
  method: string;
  params?: unknown[];
}

export function killAround(at: KillAt, isCaseUpdate: (op: Operation) => boolean): void {
  let caseWritten = false;
  let caseUpdateId: unknown;
  mongoose.connection.on('operation-start', (op: Operation) => {
    const caseUpdate = isCaseUpdate(op);
    if ((at === 'case' && caseUpdate) || (at === 'after' && caseWritten)) {
      writeSync(1, `killed at ${at}: ${op.collectionName}.${op.method}\n`);
      process.kill(process.pid, 'SIGKILL');
    }
    if (caseUpdate) caseUpdateId = op._id;
  });
  mongoose.connection.on('operation-end', (op: { _id: unknown; error?: unknown }) => {
    if (op._id === caseUpdateId && !op.error) caseWritten = true;
  });
}

/**
 * The environment that puts the kill point inside the running app rather than a step process
 * (./app-kill-hook.mjs): the app is SIGKILLed at the write `update` names
 * ('<collection>.<method>:<path in its $set>[=<value>]', several separated by '|'), as it is issued
 * ('write') or at the first operation after it was acknowledged ('after'); or held ('stall') for
 * DRILL_STALL_MS just before it is sent, while the drill stops the database.
 */
export function appKillEnv(update: string, at: 'write' | 'after' | 'stall'): Record<string, string> {
  return { NODE_OPTIONS: `--import ${pathToFileURL(path.join(import.meta.dirname, 'app-kill-hook.mjs')).href}`, DRILL_KILL_UPDATE: update, DRILL_KILL_AT: at };
}
