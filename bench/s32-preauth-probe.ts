// Probe (security review s32): what one connection without credentials costs the embedded server.
// Prints, for N idle connections and for N connections each announcing 48 MB and sending 1 MB, the
// server's RSS growth. Run: npx tsx bench/s32-preauth-probe.ts [N]
import net from 'node:net';
import { startEmbeddedMongo } from '../embedded-mongo/src/index.ts';

const n = Number(process.argv[2] ?? 500);
const server = await startEmbeddedMongo({ port: 0, dbPath: null, auth: true });
const rss = () => process.memoryUsage().rss + process.memoryUsage().arrayBuffers * 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const open = async (payload?: Buffer) => {
  const s = net.connect(server.port, '127.0.0.1');
  s.on('error', () => {});
  await new Promise((r) => s.once('connect', r));
  // The head alone first, so that the server's first read does not fill its scratch.
  if (payload) {
    s.write(payload.subarray(0, 100));
    await sleep(5);
    s.write(payload.subarray(100));
  }
  return s;
};
globalThis.gc?.();
await sleep(200);
const base = process.memoryUsage();
const idle = [];
for (let i = 0; i < n; i++) idle.push(await open());
await sleep(500);
globalThis.gc?.();
const afterIdle = process.memoryUsage();
console.log(`${n} idle connections: external +${((afterIdle.external - base.external) / 1e6).toFixed(1)} MB, arrayBuffers +${((afterIdle.arrayBuffers - base.arrayBuffers) / 1e6).toFixed(1)} MB, rss +${((afterIdle.rss - base.rss) / 1e6).toFixed(1)} MB`);
for (const s of idle) s.destroy();
await sleep(500);
globalThis.gc?.();
const base2 = process.memoryUsage();
const head = Buffer.alloc(4);
head.writeInt32LE(48_000_000, 0);
const big = Buffer.concat([head, Buffer.alloc(1_000_000, 1)]);
const m = Math.min(n, 200);
const held = [];
for (let i = 0; i < m; i++) held.push(await open(big));
await sleep(1500);
globalThis.gc?.();
const open2 = held.filter((s) => !s.destroyed).length;
const after2 = process.memoryUsage();
console.log(`${m} connections announcing 48 MB, 1 MB sent each: still open ${open2}, arrayBuffers +${((after2.arrayBuffers - base2.arrayBuffers) / 1e6).toFixed(1)} MB, rss +${((after2.rss - base2.rss) / 1e6).toFixed(1)} MB`);
for (const s of held) s.destroy();
await sleep(500);
globalThis.gc?.();
// The most a connection without credentials can make the server hold now: a message of the largest
// length it may announce (16 kB), all but its last byte sent, then nothing.
const base3 = process.memoryUsage();
const most = Buffer.alloc(16 * 1024, 1);
most.writeInt32LE(most.length, 0);
const slow = [];
for (let i = 0; i < n; i++) slow.push(await open(most.subarray(0, most.length - 1)));
await sleep(1500);
globalThis.gc?.();
const after3 = process.memoryUsage();
console.log(`${n} connections holding a 16 kB message open, 1 byte short: still open ${slow.filter((s) => !s.destroyed).length}, arrayBuffers +${((after3.arrayBuffers - base3.arrayBuffers) / 1e6).toFixed(1)} MB, rss +${((after3.rss - base3.rss) / 1e6).toFixed(1)} MB`);
for (const s of slow) s.destroy();
await server.stop();
void rss;
