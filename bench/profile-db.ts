// The embedded database alone on a seeded benchmark data directory, for profiling: time to open it,
// then the HR queue's queries (the count and the first page, default sort) for the institute of the
// first benchmark officer, the case page's findOne, and RSS.
//
//   node --cpu-prof --cpu-prof-dir data/profiles --import tsx bench/profile-db.ts [data/bench-100000] [rounds]
//
// Stop any server using the directory first.
import path from 'node:path';
import { MongoClient, type Document } from 'mongodb';
import { startEmbeddedMongo, readCredentialsFile } from '../embedded-mongo/src/index.ts';

const dir = path.resolve(process.argv[2] ?? 'data/bench-100000');
const rounds = Number(process.argv[3] ?? 20);
const STAGES = ['submitted', 'screening', 'awaiting_applicant', 'evaluation', 'shortlisted', 'offer', 'onboarding', 'arrived', 'closed', 'rejected', 'withdrawn', 'on_hold'];

const t0 = performance.now();
const server = await startEmbeddedMongo({ port: 0, dbPath: path.join(dir, 'db') });
const openMs = performance.now() - t0;
const rss = () => Math.round(process.memoryUsage().rss / 1048576);
console.log(`open: ${openMs.toFixed(0)} ms, RSS ${rss()} MB`);
const client = new MongoClient(server.uri('talent', await readCredentialsFile(server.credentialsFile!)));
await client.connect();
const db = client.db();
const inst = await db.collection('institutes').findOne({ code: 'BENCH-0' });
const filter: Document = { $and: [{ $or: [{ institute: inst!._id }, { $and: [{ call: { $in: [] } }, { $or: [{ stage: { $in: ['evaluation'] } }, { _id: { $in: [] } }] }] }] }, { stage: { $in: STAGES } }] };
const cases = db.collection('cases');
const time = async (name: string, fn: () => Promise<unknown>) => {
  const ts: number[] = [];
  let out: unknown;
  for (let i = 0; i < rounds; i++) {
    const t = performance.now();
    out = await fn();
    ts.push(performance.now() - t);
  }
  ts.sort((a, b) => a - b);
  console.log(`${name.padEnd(28)} median ${ts[Math.floor(ts.length / 2)]!.toFixed(1)} ms, max ${ts[ts.length - 1]!.toFixed(1)} ms  → ${typeof out === 'number' ? out : Array.isArray(out) ? `${out.length} docs` : '…'}`);
  return out;
};
await time('queue count', () => cases.countDocuments(filter));
const page = (await time('queue page (50, due)', () => cases.find(filter, { projection: { reference: 1, stageDueAt: 1, 'profile.fullName': 1 } }).sort({ stageDueAt: 1, _id: 1 }).limit(50).toArray())) as Document[];
await time('queue page 3 (skip 100)', () => cases.find(filter).sort({ stageDueAt: 1, _id: 1 }).skip(100).limit(50).toArray());
await time('case findOne by _id', () => cases.findOne({ _id: page[7]!._id }));
console.log(`RSS ${rss()} MB`);
await client.close();
await server.stop();
