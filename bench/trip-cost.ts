// What one database trip costs the app, by the way it is made: the case an upload goes to read by
// _id through the raw wire (one OP_MSG written on a socket of our own, its reply parsed by bson),
// the driver (`collection.findOne`), Mongoose lean (`findOne().lean()`) and Mongoose hydrated
// (`findOne()`), against one embedded server in a child process. Outside a request: reads one after
// another in this process. Inside a request: a node:http server in this process whose handler makes
// 4 reads of the kind before answering, against one making none; (with − without) / 4, timed at a
// client in a process of its own. Then the same read 3 at once (the upload's rate limit, call and
// case). Medians of interleaved rounds, and this process's CPU per read.
//
//   node --import tsx bench/trip-cost.ts [--rounds 400]
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BSON } from 'bson';
import mongoose, { Types } from 'mongoose';
import { Case } from '../models/case.ts';
import { createInstitute, createUser } from '../test/support/factories.ts';
import { createCall, createCase } from '../test/support/case-factories.ts';
import { freePort } from '../scripts/support/free-port.ts';
import { waitForPort } from '../scripts/support/wait-for-port.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '400' }, client: { type: 'string' } } });
const here = path.resolve(import.meta.dirname, '..');

// The client side of "inside a request", in a process of its own: GET each path in turn, print the times.
if (values.client) {
  const [port, rounds] = values.client.split(',').map(Number) as [number, number];
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const get = (p: string) =>
    new Promise<number>((resolve, reject) => {
      const t = process.hrtime.bigint();
      http
        .get({ host: '127.0.0.1', port, path: p, agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(Number(process.hrtime.bigint() - t) / 1e6));
        })
        .on('error', reject);
    });
  const kinds = ['none', 'wire', 'driver', 'lean', 'hydrated'];
  const times: Record<string, number[]> = Object.fromEntries(kinds.map((k) => [k, []]));
  for (let i = 0; i < 30; i++) for (const k of kinds) await get(`/${k}`);
  for (let i = 0; i < rounds; i++) for (const k of i % 2 ? kinds : [...kinds].reverse()) times[k]!.push(await get(`/${k}`));
  process.stdout.write(JSON.stringify(times));
  agent.destroy();
  process.exit(0);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const p90 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)]!;

/** One connection speaking OP_MSG directly: what a trip costs with no driver at all. */
class RawWire {
  private buf: Buffer = Buffer.alloc(0);
  private waiting?: (doc: Record<string, unknown>) => void;
  private id = 1;
  constructor(private readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
      while (this.buf.length >= 4 && this.buf.length >= this.buf.readInt32LE(0)) {
        const len = this.buf.readInt32LE(0);
        const msg = this.buf.subarray(0, len);
        this.buf = this.buf.subarray(len);
        // header 16, flagBits 4, section kind 1, then the body document
        const doc = BSON.deserialize(msg.subarray(21));
        const w = this.waiting;
        this.waiting = undefined;
        w?.(doc);
      }
    });
  }
  static async open(port: number): Promise<RawWire> {
    const s = net.connect(port, '127.0.0.1');
    await new Promise<void>((r, j) => s.once('connect', r).once('error', j));
    return new RawWire(s);
  }
  command(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const doc = BSON.serialize(body);
    const header = Buffer.alloc(21);
    header.writeInt32LE(21 + doc.length, 0);
    header.writeInt32LE(this.id++, 4);
    header.writeInt32LE(0, 8);
    header.writeInt32LE(2013, 12); // OP_MSG
    header.writeUInt32LE(0, 16);
    header.writeUInt8(0, 20);
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.socket.write(Buffer.concat([header, doc]));
    });
  }
  close(): void {
    this.socket.destroy();
  }
}

const port = await freePort();
const db: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'embedded-mongo/src/cli.ts', '--port', String(port), '--in-memory', '--no-auth'], { cwd: here, stdio: 'ignore' });
try {
  await waitForPort(port, { what: 'database' });
  const dbName = 'bench_trip_cost';
  await mongoose.connect(`mongodb://127.0.0.1:${port}/${dbName}`);
  const institute = await createInstitute();
  const call = await createCall({ institute, checklist: [{ type: 'recommendation_letter', phase: 'application', required: false, multiple: true, maxMb: 25 }] });
  const applicant = await createUser({ role: 'applicant', locale: 'en' });
  const c = await createCase({ applicant, call, stage: 'screening' });
  const id = c._id as Types.ObjectId;
  const size = BSON.calculateObjectSize((await Case.collection.findOne({ _id: id }))!);
  const wire = await RawWire.open(port);

  const reads: Record<string, () => Promise<unknown>> = {
    wire: async () => {
      const r = await wire.command({ find: 'cases', filter: { _id: id }, limit: 1, singleBatch: true, batchSize: 1, $db: dbName });
      return (r.cursor as { firstBatch: unknown[] }).firstBatch[0];
    },
    driver: () => Case.collection.findOne({ _id: id }),
    lean: () => Case.findOne({ _id: id }).lean().exec(),
    hydrated: () => Case.findOne({ _id: id }).exec(),
  };
  for (const [k, read] of Object.entries(reads)) if (!(await read())) throw new Error(`${k}: the case was not read`);

  const rounds = Number(values.rounds);
  const kinds = Object.keys(reads);
  const outside: Record<string, number[]> = Object.fromEntries(kinds.map((k) => [k, []]));
  const cpu: Record<string, number> = Object.fromEntries(kinds.map((k) => [k, 0]));
  const together: Record<string, number[]> = Object.fromEntries(kinds.map((k) => [k, []]));
  for (let i = 0; i < 50; i++) for (const k of kinds) await reads[k]!();
  for (let i = 0; i < rounds; i++) {
    for (const k of i % 2 ? kinds : [...kinds].reverse()) {
      const u = process.cpuUsage();
      const t = process.hrtime.bigint();
      await reads[k]!();
      outside[k]!.push(Number(process.hrtime.bigint() - t) / 1e6);
      const d = process.cpuUsage(u);
      cpu[k]! += (d.user + d.system) / 1000;
    }
  }
  // Three at once (the wire has one socket and one waiter: not measured that way).
  for (let i = 0; i < rounds / 4; i++) {
    for (const k of kinds.filter((x) => x !== 'wire')) {
      const t = process.hrtime.bigint();
      await Promise.all([reads[k]!(), reads[k]!(), reads[k]!()]);
      together[k]!.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
  }

  const server = http.createServer((req, res) => {
    const k = (req.url ?? '/').slice(1);
    const read = reads[k];
    void (async () => {
      if (read) for (let i = 0; i < 4; i++) await read();
      res.end('ok');
    })();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const appPort = (server.address() as net.AddressInfo).port;
  const client = spawn(process.execPath, ['--import', 'tsx', import.meta.filename, '--client', `${appPort},${Math.round(rounds / 4)}`], { cwd: here, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  client.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise((r) => client.once('exit', r));
  const inside = JSON.parse(out) as Record<string, number[]>;
  server.close();

  console.log(`one read of a case by _id (${size} B as stored), embedded server in a child process; ${rounds} rounds`);
  console.log('  kind       outside: median   p90   CPU/read | inside a request: median per read | 3 at once: median');
  for (const k of kinds) {
    const inReq = (median(inside[k]!) - median(inside.none!)) / 4;
    const tog = together[k]!.length ? `${median(together[k]!).toFixed(2)} ms` : '-';
    console.log(`  ${k.padEnd(9)} ${median(outside[k]!).toFixed(3).padStart(8)} ms ${p90(outside[k]!).toFixed(3).padStart(6)} ${(cpu[k]! / rounds).toFixed(3).padStart(7)} ms | ${inReq.toFixed(3).padStart(8)} ms | ${tog}`);
  }
  console.log(`  (a request with no read: median ${median(inside.none!).toFixed(3)} ms at the client)`);
  wire.close();
  await mongoose.disconnect();
} finally {
  db.kill('SIGTERM');
}
