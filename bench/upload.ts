// Upload benchmark: a 20 MB PDF uploaded N times through the running app (real HTTP, multipart,
// streamed from a file by a client in a process of its own: bench/support/upload-client.ts), while
// the app process's RSS is sampled every 10 ms. Files must be streamed, so peak RSS growth over
// the warmed-up baseline should stay under 64 MB. After each upload the same bytes are written to
// disk directly with fs streams: the ratio compares the two in the same moments of a shared machine
// (timed as two separate phases, one run's ratio ranged 0.30-0.58).
//
//   npx tsx bench/upload.ts [N=5] [disk|gridfs]
//
// To profile both processes: `node --cpu-prof --cpu-prof-dir D --import tsx bench/upload.ts 10 gridfs`
// with BENCH_DB_CPU_PROF=D (NODE_OPTIONS may not carry --cpu-prof); read each with bench/cpuprofile-top.ts.
//
// The database runs in a child process (MONGODB_URI if set, else the embedded server in memory),
// so the figures are the app's own memory.
import http from 'node:http';
import net from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import mongoose from 'mongoose';
import request from 'supertest';
import { loadConfig } from '../server/config.ts';
import { createLogger } from '../server/logger.ts';
import { createMailer } from '../server/mail/mailer.ts';
import { createApp } from '../server/http/app.ts';
import type { Database } from '../server/db/index.ts';
import { createInstitute, createUser, signIn } from '../test/support/factories.ts';
import { createCall, createCase } from '../test/support/case-factories.ts';
import { cookieHeader, makePdf, tokenOf } from '../test/documents/support.ts';
import { freePort } from '../scripts/support/free-port.ts';
import { waitForPort } from '../scripts/support/wait-for-port.ts';
import { startClient, uploadFile } from './support/upload-client.ts';

const N = Number(process.argv[2] ?? 5);
const STORAGE = (process.argv[3] ?? 'disk') as 'disk' | 'gridfs';
const SIZE = 20_000_000;
const MB = 1024 * 1024;
const WARM_UPS = 3;



/** A process's user + system CPU time in ms from /proc (10 ms ticks); undefined without /proc. */
function procCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime: fields 14 and 15
  } catch {
    return undefined;
  }
}

async function startDatabase(): Promise<{ uri: string; child?: ChildProcess }> {
  if (process.env.MONGODB_URI) return { uri: process.env.MONGODB_URI };
  const port = await freePort();
  const prof = process.env.BENCH_DB_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_DB_CPU_PROF] : [];
  const child = spawn(process.execPath, [...prof, '--import', 'tsx', 'embedded-mongo/src/cli.ts', '--port', String(port), '--in-memory', '--no-auth'], { stdio: 'ignore' });
  await waitForPort(port, { what: 'database' });
  return { uri: `mongodb://127.0.0.1:${port}/bench_upload_${process.pid}`, child };
}

async function main(): Promise<void> {
  const work = await mkdtemp(path.join(tmpdir(), 'bench-upload-'));
  const { uri, child } = await startDatabase();
  try {
    // The 20 MB PDF is written to a file and dropped from memory before the baseline is taken.
    const pdfFile = path.join(work, 'bench.pdf');
    await writeFile(pdfFile, await makePdf('Benchmark', { padTo: SIZE }));
    const size = (await stat(pdfFile)).size;

    await mongoose.connect(uri);
    const db: Database = { connection: mongoose.connection, uri, embedded: false, ping: async () => true, close: async () => {} };
    const server = http.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const config = loadConfig({
      NODE_ENV: 'test',
      PORT: String(port),
      APP_URL: `http://127.0.0.1:${port}`,
      SESSION_SECRET: 'bench-session-secret-that-is-long-enough-123',
      LOG_LEVEL: 'silent',
      DATA_DIR: path.join(work, 'data'),
      UPLOAD_DIR: path.join(work, 'uploads'),
      UPLOAD_STORAGE: STORAGE,
      UPLOAD_RATE_PER_HOUR: '100000',
    });
    const mailer = createMailer({ mailDir: config.mailDir, from: config.mailFrom });
    const app = createApp({ config, logger: createLogger('silent'), db, mailer });
    server.on('request', app);
    const baseUrl = `http://127.0.0.1:${port}`;

    const institute = await createInstitute();
    const call = await createCall({ institute, checklist: [{ type: 'recommendation_letter', phase: 'application', required: false, multiple: true, maxMb: 25 }] as never });
    const applicant = await createUser({ role: 'applicant', locale: 'en' });
    const c = await createCase({ applicant, call, stage: 'screening' });
    const a = request.agent(app);
    await signIn(a, applicant);
    const token = await tokenOf(a);
    const cookie = cookieHeader(a);
    const urlPath = `/cases/${c._id}/documents`;

    // One upload from here first: the app's code paths loaded and its buffers allocated before the
    // memory baseline is taken (the client warms itself up, below).
    const url = new URL(urlPath, baseUrl).href;
    const warm = await uploadFile(url, cookie, token, 'recommendation_letter', pdfFile, size);
    if (warm !== 201) throw new Error(`warm-up upload answered ${warm}`);
    (globalThis as { gc?: () => void }).gc?.();
    await new Promise((r) => setTimeout(r, 300));
    const baseline = process.memoryUsage.rss();
    let peak = baseline;
    // RSS only: memoryUsage() also gathers heap statistics, which cost the app ~2 % of its time here.
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage.rss());
    }, 10);

    // The client first uploads WARM_UPS times untimed: with one warm-up the next two took 2-3 times
    // as long as the later ones (the client's and the app's stream code not yet optimised); the
    // figure is the steady state, as for the pages. Each timed upload (the client's own clock) is
    // followed by the direct write of the same bytes.
    const client = await startClient(url, cookie, token, 'recommendation_letter', pdfFile, WARM_UPS);
    let appSeconds = 0;
    let directSeconds = 0;
    // CPU per upload in each process (the app's own only while an upload runs, not the direct writes):
    // on 2 cores the processes share, the sum is what an upload costs the machine.
    let appCpuMicros = 0;
    const dbCpu0 = procCpuMs(child?.pid);
    const clientCpu0 = procCpuMs(client.pid);
    for (let i = 0; i < N; i++) {
      const c0 = process.cpuUsage();
      const r = await client.upload();
      const c1 = process.cpuUsage(c0);
      appCpuMicros += c1.user + c1.system;
      if (r.status !== 201) throw new Error(`upload ${i + 1} answered ${r.status}`);
      appSeconds += r.seconds;
      const t1 = process.hrtime.bigint();
      await pipeline(createReadStream(pdfFile), createWriteStream(path.join(work, `direct-${i}.pdf`)));
      directSeconds += Number(process.hrtime.bigint() - t1) / 1e9;
    }
    const dbCpu = procCpuMs(child?.pid);
    const clientCpu = procCpuMs(client.pid);
    client.close();
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage.rss());

    const totalMb = (size * N) / MB;
    const appMbps = totalMb / appSeconds;
    const directMbps = totalMb / directSeconds;
    const growth = (peak - baseline) / MB;
    console.log(`upload benchmark: ${N} × ${(size / MB).toFixed(1)} MB PDF, storage=${STORAGE}, database=${child ? 'embedded (child process)' : 'MONGODB_URI'}`);
    console.log(`  app RSS baseline ${(baseline / MB).toFixed(1)} MB, peak ${(peak / MB).toFixed(1)} MB, growth ${growth.toFixed(1)} MB (target ≤ 64 MB): ${growth <= 64 ? 'OK' : 'OVER'}`);
    console.log(`  through the app: ${appSeconds.toFixed(2)} s, ${appMbps.toFixed(1)} MB/s (${(appSeconds / N).toFixed(2)} s per upload)`);
    console.log(`  direct fs streams: ${directSeconds.toFixed(2)} s, ${directMbps.toFixed(1)} MB/s`);
    console.log(`  ratio app/direct: ${(appMbps / directMbps).toFixed(2)}`);
    const perUpload = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined ? `${((b - a) / N).toFixed(1)} ms` : 'n/a');
    console.log(`  CPU per upload: app ${(appCpuMicros / 1000 / N).toFixed(1)} ms, database ${perUpload(dbCpu0, dbCpu)}, client ${perUpload(clientCpu0, clientCpu)}`);
    process.exitCode = growth <= 64 ? 0 : 1;

    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    await mongoose.connection.db?.dropDatabase().catch(() => undefined);
    await mongoose.disconnect();
  } finally {
    child?.kill('SIGTERM');
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
