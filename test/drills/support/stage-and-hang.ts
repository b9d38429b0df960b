// A process that stages part of a GridFS upload (server/documents/storage.ts, StagedUpload: chunks
// inserted as the bytes arrive, no files document yet) and then waits to be killed, as an app
// process SIGKILLed in the middle of receiving a file (test/drills/gridfs-staging-kill.test.ts).
// Prints `staged <files id> <chunks inserted>` once the chunks it wrote are in.
//
//   node --import tsx test/drills/support/stage-and-hang.ts <mongodb uri> <temp file path>
import { MongoClient } from 'mongodb';
import { GRIDFS_CHUNK_BYTES, GridFsStorage } from '../../../server/documents/storage.ts';

const [uri, tempPath] = process.argv.slice(2);
if (!uri || !tempPath) throw new Error('usage: stage-and-hang.ts <mongodb uri> <temp file path>');
const client = await MongoClient.connect(uri);
const db = client.db();
const staged = new GridFsStorage(() => db).stage(tempPath);
const chunk = Buffer.alloc(GRIDFS_CHUNK_BYTES, 0x41);
// Ten whole chunks and half of the next: the half stays in memory, lost with the process.
for (let i = 0; i < 10; i++) await staged.write(chunk);
await staged.write(chunk.subarray(0, GRIDFS_CHUNK_BYTES / 2));
const id = (staged as unknown as { id: { toHexString(): string } }).id;
// Wait for the inserts still in flight: the parent then sees what a kill leaves at its worst.
for (let i = 0; i < 100 && (await db.collection('documents.chunks').countDocuments({ files_id: id })) < 8; i++) await new Promise((r) => setTimeout(r, 20));
process.stdout.write(`staged ${id.toHexString()} ${await db.collection('documents.chunks').countDocuments({ files_id: id })}\n`);
setInterval(() => undefined, 60_000);
