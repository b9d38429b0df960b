// Does a heavy query on the embedded database stall the web server? Measures the latency of a bare
// HTTP endpoint while a client runs aggregations over 50,000 documents back to back, with the
// database (a) in the web server's own thread and (b) on a worker thread (what the app does), and
// with (c) no database load as the baseline. Prints p50/p99 of the endpoint and the ratios.
//
//   npm run bench:worker [-- --docs 50000 --duration 10]
import http from 'node:http';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import type { AddressInfo } from 'node:net';
import { MongoClient } from 'mongodb';
import { startEmbeddedMongo, startEmbeddedMongoInWorker, type EmbeddedMongo } from '../embedded-mongo/src/index.ts';

const require = createRequire(import.meta.url);
interface Result { latency: { p50: number; p99: number; average: number }; requests: { average: number } }
const autocannon = require('autocannon') as (opts: Record<string, unknown>) => Promise<Result>;

const { values } = parseArgs({ options: { docs: { type: 'string', default: '50000' }, duration: { type: 'string', default: '10' } } });
const DOCS = Number(values.docs);
const DURATION = Number(values.duration);
const STAGES = ['submitted', 'screening', 'evaluation', 'offer', 'onboarding', 'arrived'];

async function bareServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end('{"ok":true}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((r) => server.close(() => r())) };
}

async function seed(db: EmbeddedMongo): Promise<MongoClient> {
  const client = await MongoClient.connect(db.uri('bench'));
  const col = client.db().collection('cases');
  for (let i = 0; i < DOCS; i += 5000) {
    await col.insertMany(
      Array.from({ length: Math.min(5000, DOCS - i) }, (_, j) => ({
        stage: STAGES[(i + j) % STAGES.length],
        profile: { country: ['VN', 'FR', 'US', 'JP'][(i + j) % 4], field: `f${(i + j) % 30}` },
        history: STAGES.map((s, k) => ({ to: s, at: new Date(Date.UTC(2026, 0, 1 + k * 7)) })),
      })),
    );
  }
  return client;
}

/** Heavy aggregations back to back until stopped; returns how many ran. */
function loadLoop(client: MongoClient): { stop(): Promise<number> } {
  let running = true;
  let n = 0;
  const done = (async () => {
    const col = client.db().collection('cases');
    while (running) {
      await col.aggregate([{ $unwind: '$history' }, { $group: { _id: { s: '$history.to', c: '$profile.country' }, n: { $sum: 1 } } }]).toArray();
      n++;
    }
  })();
  return {
    async stop() {
      running = false;
      await done;
      return n;
    },
  };
}

async function measure(label: string, url: string): Promise<Result & { label: string }> {
  const r = await autocannon({ url, connections: 10, duration: DURATION });
  return { ...r, label };
}

const rows: Array<{ label: string; p50: number; p99: number; rps: number; aggs?: number }> = [];
const web = await bareServer();

const base = await measure('no database load', web.url);
rows.push({ label: base.label, p50: base.latency.p50, p99: base.latency.p99, rps: base.requests.average });

for (const mode of ['same thread', 'worker thread'] as const) {
  const db = mode === 'same thread' ? await startEmbeddedMongo({ port: 0, dbPath: null }) : await startEmbeddedMongoInWorker({ port: 0, dbPath: null });
  const client = await seed(db);
  const load = loadLoop(client);
  const r = await measure(`heavy aggregations, database on the ${mode}`, web.url);
  const aggs = await load.stop();
  rows.push({ label: r.label, p50: r.latency.p50, p99: r.latency.p99, rps: r.requests.average, aggs });
  await client.close();
  await db.stop();
}
await web.close();

console.log(`\nbare HTTP endpoint under load: ${DOCS} documents, ${DURATION} s per run, 10 connections\n`);
console.log('run'.padEnd(50), 'p50 ms'.padStart(8), 'p99 ms'.padStart(8), 'req/s'.padStart(8), 'p99 ratio'.padStart(10), 'aggregations'.padStart(13));
// p99 ratio: against the run without database load (latencies under 1 ms count as 1 ms)
for (const r of rows) {
  console.log(r.label.padEnd(50), String(r.p50).padStart(8), String(r.p99).padStart(8), String(Math.round(r.rps)).padStart(8), `${(Math.max(r.p99, 1) / Math.max(rows[0]!.p99, 1)).toFixed(1)}×`.padStart(10), String(r.aggs ?? '').padStart(13));
}
console.log('\n' + JSON.stringify({ bench: 'embedded-worker', docs: DOCS, rows }));
