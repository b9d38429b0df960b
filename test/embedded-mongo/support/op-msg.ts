// A raw OP_MSG frame (wire protocol opcode 2013, no flags, one body section), for tests that talk to
// the embedded server below the driver: floods, half-sent messages, monitors' heartbeats.
import { BSON } from 'bson';

export function opMsg(cmd: Record<string, unknown>, requestId = 1): Buffer {
  const body = BSON.serialize(cmd);
  const b = Buffer.alloc(21 + body.length);
  b.writeInt32LE(b.length, 0);
  b.writeInt32LE(requestId, 4);
  b.writeInt32LE(0, 8);
  b.writeInt32LE(2013, 12);
  b.writeUInt32LE(0, 16);
  b[20] = 0;
  b.set(body, 21);
  return b;
}
