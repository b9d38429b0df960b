// The case page's reads through Mongoose (lean) against the same reads through the driver
// (Model.collection, the select: false paths left out by hand), alternating, on the benchmark data
// with the embedded database on its own thread as in the app. Web-thread CPU per read is what counts:
// the database's thread is idle most of the time under the case page's load.
//   node --import tsx bench/case-read.ts [data dir, default data/bench-100000] [reads per round]
import path from 'node:path';
import mongoose from 'mongoose';
import { startEmbeddedMongoInWorker, readCredentialsFile } from '../embedded-mongo/src/in-worker.ts';
import { Case } from '../models/case.ts';
import { CaseDocument } from '../models/document.ts';

const dir = path.resolve(process.argv[2] ?? 'data/bench-100000');
const n = Number(process.argv[3] ?? 2000);
const silent = { info() {}, warn() {}, error() {}, debug() {}, fatal() {}, child() { return silent; } };
const server = await startEmbeddedMongoInWorker({ port: 0, dbPath: path.join(dir, 'db'), logger: silent as never, onUnexpectedExit: () => process.exit(1) });
await mongoose.connect(server.uri('talent', (await readCredentialsFile(server.credentialsFile!))!));
const one = await Case.findOne({ stage: 'onboarding' }, { _id: 1 }).lean();
const id = one!._id;
const ways = {
  'mongoose lean case': () => Case.findOne({ _id: id }).lean().exec(),
  'driver case': () => Case.collection.findOne({ _id: id }, { projection: { pendingAudits: 0 } }),
  'mongoose lean documents': () => CaseDocument.find({ case: id }).sort({ type: 1, slot: 1, version: -1 }).lean().exec(),
  'driver documents': () => CaseDocument.collection.find({ case: id }, { projection: { pendingAudits: 0 }, sort: { type: 1, slot: 1, version: -1 } }).toArray(),
};
const cpu = () => process.cpuUsage().user + process.cpuUsage().system;
const results: Record<string, number[]> = {};
for (let round = 0; round < 5; round++) {
  for (const [name, read] of Object.entries(ways)) {
    const c0 = cpu();
    for (let i = 0; i < n; i++) await read();
    (results[name] ??= []).push((cpu() - c0) / n);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`process CPU µs per read (both threads), median of 5 rounds of ${n}`);
for (const [name, xs] of Object.entries(results)) console.log(`  ${name.padEnd(26)} ${median(xs).toFixed(0)}`);
await mongoose.disconnect();
await server.stop();
