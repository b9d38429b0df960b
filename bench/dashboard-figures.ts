// The dashboard's figures for the benchmark leader's institute (50,000 cases at 100,000), computed
// against the embedded database alone (its own thread, as in the app): the first computation after
// the database opened, then the next ones, and the time of each aggregation (the driver's command
// events), to see which one dominates. Stop any server using the directory first.
//
//   node --import tsx bench/dashboard-figures.ts [data/bench-100000] [rounds]
//   node --cpu-prof --cpu-prof-dir data/profiles --import tsx bench/dashboard-figures.ts   (a profile per thread)
import path from 'node:path';
import mongoose from 'mongoose';
import { startEmbeddedMongoInWorker, readCredentialsFile } from '../embedded-mongo/src/in-worker.ts';
import { Institute } from '../models/institute.ts';
import { computeDashboard } from '../server/dashboard/index.ts';

const dir = path.resolve(process.argv[2] ?? 'data/bench-100000');
const rounds = Number(process.argv[3] ?? 3);
const silent = { info() {}, warn() {}, error() {}, debug() {}, fatal() {}, child() { return silent; } };

const t0 = performance.now();
const server = await startEmbeddedMongoInWorker({ port: 0, dbPath: path.join(dir, 'db'), logger: silent as never, onUnexpectedExit: () => process.exit(1) });
const credentials = await readCredentialsFile(server.credentialsFile!);
await mongoose.connect(server.uri('talent', credentials!), { monitorCommands: true });
console.log(`database open: ${(performance.now() - t0).toFixed(0)} ms`);

// Each aggregation's time, named by its stages after the shared $match.
const started = new Map<number, { name: string; at: number }>();
let times: Array<{ name: string; ms: number }> = [];
const client = mongoose.connection.getClient();
client.on('commandStarted', (e) => {
  if (e.commandName !== 'aggregate') return;
  const stages = (e.command.pipeline as Array<Record<string, unknown>>).slice(1).map((s) => Object.keys(s)[0]).join(' ');
  const group = JSON.stringify((e.command.pipeline as Array<Record<string, unknown>>).find((s) => s.$group)?.$group ?? '').slice(0, 60);
  started.set(e.requestId, { name: `${e.command.aggregate} ${stages} ${group}`, at: performance.now() });
});
client.on('commandSucceeded', (e) => {
  const s = started.get(e.requestId);
  if (s) times.push({ name: s.name, ms: performance.now() - s.at });
});

const inst = await Institute.findOne({ code: 'BENCH-0' }).lean();
if (!inst) throw new Error('no BENCH-0 institute: seed with npm run bench first');
for (const filter of [{ institute: inst._id }, { institute: inst._id, from: '2026-01-01', to: '2026-03-31' }]) {
  for (let i = 0; i < rounds; i++) {
    times = [];
    const t = performance.now();
    const data = await computeDashboard({ filter, now: new Date() });
    const ms = performance.now() - t;
    console.log(`\n${JSON.stringify({ ...filter, institute: 'BENCH-0' })} round ${i + 1}: ${ms.toFixed(0)} ms (${data.total} cases)`);
    for (const r of times.sort((a, b) => b.ms - a.ms)) console.log(`  ${r.ms.toFixed(0).padStart(6)} ms  ${r.name}`);
  }
}
await mongoose.disconnect();
await server.stop();
