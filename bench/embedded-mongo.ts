// Benchmark of the embedded MongoDB-compatible server on a durable (fsync'd) data directory, through
// the official driver: `npm run bench:db`. Not a test: it prints figures (a table and one JSON line).
//   durable inserts/s, 16 concurrent clients, 100,000 documents        target ≥ 5,000/s
//   indexed findOne latency p50/p99 over 10,000 queries                target p99 ≤ 1 ms
//   the same query on an unindexed field, and the ratio
//   restart time (stop → start → first query answered)                 target ≤ 5 s
//   journal size before and after compact(), restart time after compaction
//   cost of authentication: indexed findOne throughput on a server that requires it (signed-in
//   client) over the same on one that does not, same data, rounds interleaved  target ≥ 0.95;
//   and, without the network and the driver, an indexed find through the gate over the same find
//   straight to the engine (the gate's own cost per command)
// Every client signs in (the server requires authentication on a data directory), so every figure
// includes the authentication gate.
// Options (environment): BENCH_DOCS (100000), BENCH_CLIENTS (16), BENCH_QUERIES (10000),
// BENCH_SCANS (200), BENCH_DBPATH (a temp directory, removed at the end unless given),
// BENCH_GATE_ROUNDS (100), BENCH_GATE_QUERIES (200 per round and server): short rounds, many of them,
// so the load of a shared machine hits both sides alike.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { MongoClient } from 'mongodb';
import { Engine, readCredentialsFile, startEmbeddedMongo, type Credentials, type EmbeddedMongo } from '../embedded-mongo/src/index.ts';
import { AuthGate, type AuthConnection } from '../embedded-mongo/src/auth/gate.ts';
import { MemoryStorage } from '../embedded-mongo/src/storage/memory-storage.ts';

const DOCS = Number(process.env.BENCH_DOCS ?? 100_000);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 16);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 10_000);
const SCANS = Number(process.env.BENCH_SCANS ?? 200);
const GATE_ROUNDS = Number(process.env.BENCH_GATE_ROUNDS ?? 100);
const GATE_QUERIES = Number(process.env.BENCH_GATE_QUERIES ?? 200);
const dbPath = process.env.BENCH_DBPATH ?? mkdtempSync(path.join(tmpdir(), 'bench-embedded-mongo-'));

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const round = (n: number, d = 3) => Math.round(n * 10 ** d) / 10 ** d;
const mb = (b: number) => round(b / 1048576, 1);

interface Doc {
  seq: number;
  email: string;
  name: string;
  group: number;
  score: number;
  tags: string[];
  createdAt: Date;
}

function makeDoc(seq: number): Doc {
  return {
    seq,
    email: `user${seq}@example.org`,
    name: `Name ${seq}`,
    group: seq % 100,
    score: (seq * 7919) % 1000,
    tags: ['alpha', 'beta', 'gamma'].slice(0, 1 + (seq % 3)),
    createdAt: new Date(1_700_000_000_000 + seq * 1000),
  };
}

async function timeLatency(n: number, query: (i: number) => Promise<unknown>): Promise<{ p50: number; p99: number; mean: number }> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const r = await query(i);
    times.push(performance.now() - t0);
    if (!r) throw new Error(`query ${i} found nothing`);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99), mean: times.reduce((s, x) => s + x, 0) / times.length };
}

async function credentialsOf(server: EmbeddedMongo): Promise<Credentials> {
  const creds = server.credentialsFile ? await readCredentialsFile(server.credentialsFile) : server.credentials;
  if (!creds) throw new Error('no credentials for the server');
  return creds;
}

/** Starts the server and measures until a first query is answered through a fresh, signed-in client. */
async function timedStart(): Promise<{ server: EmbeddedMongo; client: MongoClient; ms: number }> {
  const t0 = performance.now();
  const server = await startEmbeddedMongo({ port: 0, dbPath });
  const client = new MongoClient(server.uri('bench', await credentialsOf(server)));
  await client.connect();
  const doc = await client.db().collection<Doc>('people').findOne({ email: 'user1@example.org' });
  if (!doc) throw new Error('first query after restart found nothing');
  return { server, client, ms: performance.now() - t0 };
}

async function main(): Promise<void> {
  console.log(`embedded-mongo bench: ${DOCS} documents, ${CLIENTS} clients, dbPath ${dbPath} (durable: fsync per group commit)`);
  let server = await startEmbeddedMongo({ port: 0, dbPath });
  const creds = await credentialsOf(server);
  const setup = new MongoClient(server.uri('bench', creds));
  await setup.connect();
  const people = setup.db().collection<Doc>('people');
  await people.createIndex({ email: 1 }, { unique: true });

  // ---- durable inserts, 16 concurrent clients, one insertOne per document
  const clients = await Promise.all(Array.from({ length: CLIENTS }, async () => {
    const c = new MongoClient(server.uri('bench', creds), { maxPoolSize: 1 });
    await c.connect();
    return c;
  }));
  let next = 0;
  const t0 = performance.now();
  await Promise.all(clients.map(async (c) => {
    const coll = c.db().collection<Doc>('people');
    for (let seq = next++; seq < DOCS; seq = next++) await coll.insertOne(makeDoc(seq));
  }));
  const insertMs = performance.now() - t0;
  const insertsPerSec = DOCS / (insertMs / 1000);
  await Promise.all(clients.map((c) => c.close()));
  if ((await people.estimatedDocumentCount()) !== DOCS) throw new Error('document count mismatch after inserts');

  // ---- indexed findOne (after 1,000 unmeasured queries, so JIT warm-up is not counted)
  await timeLatency(1000, (i) => people.findOne({ email: `user${(i * 31) % DOCS}@example.org` }));
  const indexed = await timeLatency(QUERIES, (i) => people.findOne({ email: `user${(i * 7919) % DOCS}@example.org` }));
  // ---- unindexed findOne (a full scan of the collection each time)
  const unindexed = await timeLatency(SCANS, (i) => people.findOne({ name: `Name ${(i * 104729) % DOCS}` }));
  const explain = await people.find({ email: 'user5@example.org' }).explain('executionStats');
  const examined = explain.executionStats?.totalDocsExamined as number;

  // ---- restart
  await setup.close();
  const statsBefore = server.stats();
  await server.stop();
  const r1 = await timedStart();
  server = r1.server;
  const restartMs = r1.ms;

  // ---- compaction
  const journalBefore = server.stats().journalBytes;
  const compacted = await server.compact();
  const journalAfter = server.stats().journalBytes;
  await r1.client.close();
  await server.stop();
  const r2 = await timedStart();
  server = r2.server;
  const restartAfterCompactMs = r2.ms;
  await r2.client.close();
  await server.stop();

  const gate = await gateCost();
  const inProcess = await gateCostInProcess();

  const rows: Array<[string, string, string]> = [
    ['durable inserts/s (16 clients, insertOne)', `${Math.round(insertsPerSec)}`, '≥ 5000'],
    ['insert phase', `${round(insertMs / 1000, 2)} s`, ''],
    ['indexed findOne p50', `${round(indexed.p50)} ms`, ''],
    ['indexed findOne p99', `${round(indexed.p99)} ms`, '≤ 1 ms'],
    ['indexed docs examined (explain)', `${examined}`, ''],
    ['unindexed findOne p50', `${round(unindexed.p50)} ms`, ''],
    ['unindexed findOne p99', `${round(unindexed.p99)} ms`, ''],
    ['unindexed / indexed (p50)', `${Math.round(unindexed.p50 / indexed.p50)}×`, ''],
    ['restart → first query', `${Math.round(restartMs)} ms`, '≤ 5000 ms'],
    ['disk before restart (snapshot + journal)', `${mb(statsBefore.diskBytes)} MB`, ''],
    ['journal before compact', `${mb(journalBefore)} MB`, ''],
    ['journal after compact', `${mb(journalAfter)} MB`, ''],
    ['disk before → after compact', `${mb(compacted.before)} → ${mb(compacted.after)} MB`, ''],
    ['restart after compaction → first query', `${Math.round(restartAfterCompactMs)} ms`, '≤ 5000 ms'],
    ['indexed findOne/s, authentication required', `${Math.round(gate.withAuth)}`, ''],
    ['indexed findOne/s, no authentication', `${Math.round(gate.withoutAuth)}`, ''],
    ['with / without authentication (median of rounds)', `${round(gate.ratio, 3)}`, '≥ 0.95'],
    ['in process: find through the gate, µs', `${round(inProcess.gateUs, 2)}`, ''],
    ['in process: find straight to the engine, µs', `${round(inProcess.engineUs, 2)}`, ''],
    ['in process: engine / gate throughput', `${round(inProcess.ratio, 3)}`, '≥ 0.95'],
  ];
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  console.log('');
  for (const [k, v, target] of rows) console.log(`${k.padEnd(w0)}  ${v.padStart(w1)}  ${target}`);
  console.log('');
  console.log(JSON.stringify({
    bench: 'embedded-mongo',
    docs: DOCS,
    clients: CLIENTS,
    insertsPerSec: Math.round(insertsPerSec),
    indexedFindOneMs: { p50: round(indexed.p50), p99: round(indexed.p99), queries: QUERIES },
    unindexedFindOneMs: { p50: round(unindexed.p50), p99: round(unindexed.p99), queries: SCANS },
    unindexedOverIndexedP50: round(unindexed.p50 / indexed.p50, 1),
    restartMs: Math.round(restartMs),
    journalBytes: { beforeCompact: journalBefore, afterCompact: journalAfter },
    diskBytes: { beforeCompact: compacted.before, afterCompact: compacted.after },
    restartAfterCompactMs: Math.round(restartAfterCompactMs),
    authGate: {
      findOnePerSecWithAuth: Math.round(gate.withAuth), findOnePerSecWithoutAuth: Math.round(gate.withoutAuth), ratio: round(gate.ratio, 3), rounds: GATE_ROUNDS, queriesPerRound: GATE_QUERIES,
      inProcess: { gateUs: round(inProcess.gateUs, 2), engineUs: round(inProcess.engineUs, 2), ratio: round(inProcess.ratio, 3) },
    },
    targetsMet: { inserts: insertsPerSec >= 5000, p99: indexed.p99 <= 1, restart: restartMs <= 5000 && restartAfterCompactMs <= 5000, authGate: gate.ratio >= 0.95 && inProcess.ratio >= 0.95 },
  }));
  if (!process.env.BENCH_DBPATH) rmSync(dbPath, { recursive: true, force: true });
}

/**
 * Indexed findOne throughput through a signed-in client on a server that requires authentication,
 * against a server that does not, holding the same documents (in memory, so only the gate differs).
 * Rounds alternate which server goes first; the ratio is the median of the rounds' ratios (each
 * compares two runs a moment apart, so the load of a shared machine drifts out of it).
 */
async function gateCost(): Promise<{ withAuth: number; withoutAuth: number; ratio: number }> {
  const secured = await startEmbeddedMongo({ port: 0, dbPath: null, auth: true });
  const open = await startEmbeddedMongo({ port: 0, dbPath: null, auth: false });
  const a = new MongoClient(secured.uri('bench', secured.credentials!), { maxPoolSize: 1 });
  const b = new MongoClient(open.uri('bench'), { maxPoolSize: 1 });
  await Promise.all([a.connect(), b.connect()]);
  const colls = [a, b].map((c) => c.db().collection<Doc>('people'));
  for (const coll of colls) {
    await coll.createIndex({ email: 1 }, { unique: true });
    for (let i = 0; i < DOCS; i += 5000) await coll.insertMany(Array.from({ length: Math.min(5000, DOCS - i) }, (_, k) => makeDoc(i + k)));
  }
  const qps = async (coll: (typeof colls)[number], offset: number) => {
    const t0 = performance.now();
    for (let i = 0; i < GATE_QUERIES; i++) {
      if (!(await coll.findOne({ email: `user${((offset + i) * 7919) % DOCS}@example.org` }))) throw new Error('gate bench: query found nothing');
    }
    return GATE_QUERIES / ((performance.now() - t0) / 1000);
  };
  await qps(colls[0]!, 0); // warm-up, not counted
  await qps(colls[1]!, 0);
  const withAuth: number[] = [];
  const withoutAuth: number[] = [];
  for (let r = 0; r < GATE_ROUNDS; r++) {
    const offset = (r + 1) * GATE_QUERIES;
    if (r % 2 === 0) {
      withAuth.push(await qps(colls[0]!, offset));
      withoutAuth.push(await qps(colls[1]!, offset));
    } else {
      withoutAuth.push(await qps(colls[1]!, offset));
      withAuth.push(await qps(colls[0]!, offset));
    }
  }
  await Promise.all([a.close(), b.close()]);
  await Promise.all([secured.stop(), open.stop()]);
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  return { withAuth: median(withAuth), withoutAuth: median(withoutAuth), ratio: median(withAuth.map((x, i) => x / withoutAuth[i]!)) };
}

/**
 * The gate's own cost: the same indexed find run on one engine through the gate (signed-in
 * connection) and straight to the engine, with no network or driver to hide it; interleaved rounds,
 * each side's fastest round (on a shared machine other processes only ever slow a round down).
 */
async function gateCostInProcess(): Promise<{ gateUs: number; engineUs: number; ratio: number }> {
  const engine = new Engine(new MemoryStorage(), { info() {}, warn() {}, error() {} });
  await engine.open();
  const gate = new AuthGate(engine, { required: true, logger: { info() {}, warn() {}, error() {} } });
  const conn: AuthConnection = { id: 1, remote: 'bench', user: { user: 'bench', db: 'admin', roles: [] } };
  await engine.run('bench', { createIndexes: 'people', indexes: [{ key: { email: 1 }, name: 'email_1', unique: true }] }, conn);
  for (let i = 0; i < DOCS; i += 5000) {
    await engine.run('bench', { insert: 'people', documents: Array.from({ length: Math.min(5000, DOCS - i) }, (_, k) => makeDoc(i + k)) }, conn);
  }
  const n = 1000;
  const time = async (run: (db: string, cmd: Record<string, unknown>, c: AuthConnection) => unknown, offset: number) => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const r = (await run('bench', { find: 'people', filter: { email: `user${((offset + i) * 7919) % DOCS}@example.org` }, limit: 1, singleBatch: true }, conn)) as { ok: number };
      if (r.ok !== 1) throw new Error('in-process find failed');
    }
    return ((performance.now() - t0) * 1000) / n;
  };
  const viaGate = (db: string, cmd: Record<string, unknown>, c: AuthConnection) => gate.run(db, cmd, c);
  const direct = (db: string, cmd: Record<string, unknown>, c: AuthConnection) => engine.run(db, cmd, c);
  await time(viaGate, 0);
  await time(direct, 0);
  const g: number[] = [];
  const e: number[] = [];
  for (let r = 0; r < 200; r++) {
    if (r % 2 === 0) {
      g.push(await time(viaGate, r * n));
      e.push(await time(direct, r * n));
    } else {
      e.push(await time(direct, r * n));
      g.push(await time(viaGate, r * n));
    }
  }
  await engine.close();
  const gateUs = Math.min(...g);
  const engineUs = Math.min(...e);
  // throughput ratio = time straight to the engine / time through the gate
  return { gateUs, engineUs, ratio: engineUs / gateUs };
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
