// The kill point of a drill's crash step around one case update (./procedure-step.ts,
// ./answer-step.ts): a listener on Mongoose's 'operation-start' event, emitted before a command is
// sent (the app itself has no fault point). 'case': as the update is issued; 'after': at the first
// operation started once the update was acknowledged ('operation-end', not merely issued: an
// operation started meanwhile must not kill around it); 'none': never. Prints
// `killed at <at>: <collection>.<method>` just before the SIGKILL.
import { writeSync } from 'node:fs';
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
