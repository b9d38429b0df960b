// Makes a copy of a benchmark data set look like one seeded before the last upgrade's two document
// indexes ({status, current, case} and updatedAt): drops them, so the next start must build them.
// Run on a COPY (it writes the data directory), with no server using it. The drops are written to
// the journal, and with --compact a new snapshot is written (the copy then starts like a fresh one):
//   node --import tsx bench/drop-document-indexes.ts /tmp/copy-of-bench-100000 [--compact]
import path from 'node:path';
import mongoose from 'mongoose';
import { startEmbeddedMongoInWorker, readCredentialsFile } from '../embedded-mongo/src/in-worker.ts';

const dir = path.resolve(process.argv[2] ?? '');
if (!process.argv[2]) throw new Error('usage: bench/drop-document-indexes.ts <data dir copy>');
const silent = { info() {}, warn() {}, error() {}, debug() {}, fatal() {}, child() { return silent; } };
const server = await startEmbeddedMongoInWorker({ port: 0, dbPath: path.join(dir, 'db'), logger: silent as never, onUnexpectedExit: () => process.exit(1) });
await mongoose.connect(server.uri('talent', (await readCredentialsFile(server.credentialsFile!))!));
const documents = mongoose.connection.db!.collection('documents');
for (const name of ['status_1_current_1_case_1', 'updatedAt_1']) {
  await documents.dropIndex(name).then(() => console.log(`dropped ${name}`), (err: Error) => console.log(`${name}: ${err.message}`));
}
console.log('indexes left:', (await documents.indexes()).map((i) => i.name).join(', '));
await mongoose.disconnect();
if (process.argv.includes('--compact')) await server.compact();
await server.stop();
