// What an upload could reach on this machine, with no app at all: 20 MB streamed from a file by
// another process over loopback TCP into a file (socket → file), against the same bytes copied
// file → file (the direct write `bench/upload.ts` compares the app with). The ratio of the two is
// the ceiling of `upload_ratio_disk` here: on this VM loopback TCP is as slow as the app's receive.
//
//   node --import tsx bench/upload-ceiling.ts [runs=12]
import { fork } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';

const SIZE = 20_000_000;

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
  const overSocket: number[] = [];
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
      const t1 = performance.now();
      await pipeline(createReadStream(file), createWriteStream(path.join(dir, 'direct.bin')));
      direct.push(performance.now() - t1);
      console.log(`  socket → file ${overSocket[i]!.toFixed(0)} ms, file → file ${direct[i]!.toFixed(0)} ms, ratio ${(direct[i]! / overSocket[i]!).toFixed(2)}`);
    }
    console.log(`upload ceiling, ${runs} runs of ${SIZE / 1e6} MB: socket → file median ${median(overSocket).toFixed(0)} ms, file → file median ${median(direct).toFixed(0)} ms, ratio of medians ${(median(direct) / median(overSocket)).toFixed(2)}`);
  } finally {
    child.kill();
    srv.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'send') void sender(Number(process.argv[3]), process.argv[4]!);
else await main();
