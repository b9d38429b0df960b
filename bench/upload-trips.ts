// The database commands of one disk (or GridFS) upload, in order: the 20 MB PDF of bench/upload-ab.ts
// goes to an app in this process over real HTTP multipart, after warm-ups, and each command the
// driver sends during the request is printed with its start and duration (ms from the request's
// start; the driver's command monitoring), besides the moments the body was read and the answer
// sent. A log, not a timing: what waits on what, and what is read twice.
//
//   node --import tsx bench/upload-trips.ts [--storage disk|gridfs] [--uploads 2]
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type net from 'node:net';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import mongoose from 'mongoose';
import request from 'supertest';
import { loadConfig } from '../server/config.ts';
import { createLogger } from '../server/logger.ts';
import { createMailer } from '../server/mail/mailer.ts';
import { createApp } from '../server/http/app.ts';
import { createInstitute, createUser, signIn } from '../test/support/factories.ts';
import { createCall, createCase } from '../test/support/case-factories.ts';
import { cookieHeader, makePdf, tokenOf } from '../test/documents/support.ts';
import { freePort } from '../scripts/support/free-port.ts';
import { uploadFile } from './support/upload-client.ts';

const { values } = parseArgs({ options: { storage: { type: 'string', default: 'disk' }, uploads: { type: 'string', default: '2' } } });
const here = path.resolve(import.meta.dirname, '..');

async function waitForDb(uri: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      await mongoose.connect(uri, { monitorCommands: true, serverSelectionTimeoutMS: 500 });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error('database did not start');
}

const work = await mkdtemp(path.join(tmpdir(), 'bench-upload-trips-'));
const port = await freePort();
const db: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'embedded-mongo/src/cli.ts', '--port', String(port), '--in-memory', '--no-auth'], { cwd: here, stdio: 'ignore' });
try {
  const uri = `mongodb://127.0.0.1:${port}/bench_trips`;
  await waitForDb(uri);
  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const appPort = (server.address() as net.AddressInfo).port;
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: String(appPort),
    APP_URL: `http://127.0.0.1:${appPort}`,
    SESSION_SECRET: 'bench-session-secret-that-is-long-enough-123',
    LOG_LEVEL: 'silent',
    DATA_DIR: path.join(work, 'data'),
    UPLOAD_DIR: path.join(work, 'uploads'),
    UPLOAD_STORAGE: values.storage!,
    UPLOAD_RATE_PER_HOUR: '100000',
  });
  const app = createApp({ config, logger: createLogger('silent'), db: { connection: mongoose.connection, uri, embedded: false, ping: async () => true, close: async () => {} }, mailer: createMailer({ mailDir: config.mailDir, from: config.mailFrom }) });
  let t0 = 0n;
  const ms = () => Number(process.hrtime.bigint() - t0) / 1e6;
  const marks: string[] = [];
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (t0 !== 0n) {
      req.once('end', () => marks.push(`${ms().toFixed(1).padStart(7)}         -- body read`));
      res.once('finish', () => marks.push(`${ms().toFixed(1).padStart(7)}         -- answer sent (${res.statusCode})`));
    }
    app(req, res);
  });

  const institute = await createInstitute();
  const call = await createCall({ institute, checklist: [{ type: 'recommendation_letter', phase: 'application', required: false, multiple: true, maxMb: 25 }] });
  const applicant = await createUser({ role: 'applicant', locale: 'en' });
  const c = await createCase({ applicant, call, stage: 'screening' });
  const agent = request.agent(app);
  await signIn(agent, applicant);
  const token = await tokenOf(agent);
  const file = path.join(work, 'bench.pdf');
  await writeFile(file, await makePdf('Benchmark', { padTo: 20_000_000 }));
  const size = (await stat(file)).size;
  const url = `http://127.0.0.1:${appPort}/cases/${String(c._id)}/documents`;
  for (let i = 0; i < 3; i++) if ((await uploadFile(url, cookieHeader(agent), token, 'recommendation_letter', file, size)) !== 201) throw new Error('warm-up refused');

  const client = mongoose.connection.getClient();
  const started = new Map<number, { at: number; line: string }>();
  client.on('commandStarted', (e) => {
    if (t0 === 0n) return;
    const cmd = e.command as Record<string, unknown>;
    const what = typeof cmd[e.commandName] === 'string' ? String(cmd[e.commandName]) : '';
    const filter = cmd.filter ?? cmd.query ?? (Array.isArray(cmd.updates) ? (cmd.updates[0] as { q?: unknown }).q : undefined) ?? (Array.isArray(cmd.deletes) ? (cmd.deletes[0] as { q?: unknown }).q : undefined);
    started.set(e.requestId, { at: ms(), line: `${e.commandName} ${what} ${filter ? JSON.stringify(filter).slice(0, 110) : ''}` });
  });
  client.on('commandSucceeded', (e) => {
    const s = started.get(e.requestId);
    if (s) marks.push(`${s.at.toFixed(1).padStart(7)} ${(ms() - s.at).toFixed(1).padStart(6)}  ${s.line}`);
  });
  for (let u = 0; u < Number(values.uploads); u++) {
    marks.length = 0;
    t0 = process.hrtime.bigint();
    const status = await uploadFile(url, cookieHeader(agent), token, 'recommendation_letter', file, size);
    const total = ms();
    // Work after the answer (none expected to matter): let it land in the log.
    await new Promise((r) => setTimeout(r, 200));
    t0 = 0n;
    const sorted = marks.map((m) => [Number(m.slice(0, 7)), m] as const).sort((a, b) => a[0] - b[0]);
    console.log(`upload ${u + 1} (${values.storage}): ${status}, ${total.toFixed(1)} ms at the client; ${sorted.filter(([, m]) => !m.includes(' -- ')).length} commands`);
    console.log('  start    took  command');
    for (const [, m] of sorted) console.log(`  ${m}`);
  }
  server.closeAllConnections();
  server.close();
  await mongoose.disconnect();
} finally {
  db.kill('SIGTERM');
  await rm(work, { recursive: true, force: true });
}
