// What an upload could reach on this machine, with no app at all: 20 MB streamed from a file by
// another process over loopback TCP into a file (socket → file), the same as one HTTP request with
// a bare node:http server streaming the body into a file (HTTP → file: the client of
// bench/upload.ts, bench/support/upload-client.ts, with the same warm-ups), against the same bytes
// copied file → file (the direct write `bench/upload.ts` compares the app with). The ratios are
// the ceilings of `upload_ratio_disk` here: on this VM loopback TCP is as slow as the app's receive.
//
//   node --import tsx bench/upload-ceiling.ts [runs=12]
import { fork } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { startClient } from './support/upload-client.ts';

const SIZE = 20_000_000;

/** The second hop of a GridFS upload, bare: a process that reads a connection to its end and answers one byte. */
function sink(): void {
  const s = net.createServer((sock) => {
    sock.resume();
    sock.on('end', () => sock.end('k'));
  });
  s.listen(0, '127.0.0.1', () => process.send?.((s.address() as net.AddressInfo).port));
}

async function sender(port: number, file: string): Promise<void> {
  process.on('message', () => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => void pipeline(createReadStream(file, { highWaterMark: 1024 * 1024 }), s).catch(() => process.exit(1)));
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 12);
  const dir = mkdtempSync(path.join(tmpdir(), 'upload-ceiling-'));
  const file = path.join(dir, 'source.bin');
  writeFileSync(file, Buffer.alloc(SIZE, 7));
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  const child = fork(import.meta.filename, ['send', String(port), file], { execArgv: ['--import', 'tsx'] });
  const web = http.createServer((req, res) => {
    pipeline(req, createWriteStream(path.join(dir, 'posted.bin'))).then(
      () => res.writeHead(201).end(),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
  // HTTP → file and → another process over TCP at once: what a GridFS upload does at the least (the
  // app's temporary file and its chunks to the database), with no parsing, BSON or database at all.
  const sinkChild = fork(import.meta.filename, ['sink'], { execArgv: ['--import', 'tsx'] });
  const sinkPort = await new Promise<number>((r) => sinkChild.once('message', (m) => r(Number(m))));
  const tee = http.createServer((req, res) => {
    const sock = net.connect(sinkPort, '127.0.0.1');
    const answered = new Promise<void>((resolve, reject) => {
      sock.once('data', () => resolve());
      sock.once('error', reject);
    });
    const file = createWriteStream(path.join(dir, 'teed.bin'));
    req.pipe(sock);
    Promise.all([pipeline(req, file), answered]).then(
      () => {
        sock.destroy();
        res.writeHead(201).end();
      },
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((r) => tee.listen(0, '127.0.0.1', r));
  const teeClient = await startClient(`http://127.0.0.1:${(tee.address() as net.AddressInfo).port}/`, 'none=1', 'none', 'file', file, 3);
  const client = await startClient(`http://127.0.0.1:${(web.address() as net.AddressInfo).port}/`, 'none=1', 'none', 'file', file, 3);
  const overHttpMs = async () => {
    const r = await client.upload();
    if (r.status !== 201) throw new Error(`bare HTTP server answered ${r.status}`);
    return r.seconds * 1000;
  };
  const overTee: number[] = [];
  const overSocket: number[] = [];
  const overHttp: number[] = [];
  const direct: number[] = [];
  const receive = async () => {
    const conn = new Promise<net.Socket>((r) => srv.once('connection', r));
    child.send('go');
    await pipeline(await conn, createWriteStream(path.join(dir, 'received.bin')));
  };
  try {
    await receive(); // untimed: the sender's start-up and the first touch of its buffers
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      await receive();
      overSocket.push(performance.now() - t0);
      overHttp.push(await overHttpMs());
      const tr = await teeClient.upload();
      if (tr.status !== 201) throw new Error(`tee server answered ${tr.status}`);
      overTee.push(tr.seconds * 1000);
      const t1 = performance.now();
      await pipeline(createReadStream(file), createWriteStream(path.join(dir, 'direct.bin')));
      direct.push(performance.now() - t1);
      console.log(`  socket → file ${overSocket[i]!.toFixed(0)} ms, HTTP → file ${overHttp[i]!.toFixed(0)} ms, file → file ${direct[i]!.toFixed(0)} ms, HTTP → file + socket ${overTee[i]!.toFixed(0)} ms, ratios ${(direct[i]! / overSocket[i]!).toFixed(2)}, ${(direct[i]! / overHttp[i]!).toFixed(2)} and ${(direct[i]! / overTee[i]!).toFixed(2)}`);
    }
    const d = median(direct);
    console.log(`upload ceiling, ${runs} runs of ${SIZE / 1e6} MB: socket → file median ${median(overSocket).toFixed(0)} ms, HTTP → file median ${median(overHttp).toFixed(0)} ms, file → file median ${d.toFixed(0)} ms; HTTP → file + socket median ${median(overTee).toFixed(0)} ms; ratios of medians: socket ${(d / median(overSocket)).toFixed(2)}, HTTP ${(d / median(overHttp)).toFixed(2)}, HTTP → file + socket ${(d / median(overTee)).toFixed(2)}`);
  } finally {
    client.close();
    teeClient.close();
    sinkChild.kill();
    tee.closeAllConnections();
    tee.close();
    child.kill();
    srv.close();
    web.closeAllConnections();
    web.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'sink') sink();
else if (process.argv[2] === 'send') void sender(Number(process.argv[3]), process.argv[4]!);
else await main();
