// The upload benchmark's client, in a process of its own (as a browser is): uploads a file W times
// untimed (warm-up) and prints "ready"; then, for each line it reads, uploads the file once (one
// multipart part, after the form's `_csrf` field) and prints {"seconds": …, "status": …}. Run in
// the app's process, its file reads and socket writes were a third of the CPU the figure charged to
// the app.
//
//   node --import tsx bench/support/upload-client.ts <url> <cookie> <csrf> <field> <file> [w=0]
import http from 'node:http';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { spawn } from 'node:child_process';

/** Streams a multipart body (the CSRF token, then one file part) from a file; resolves with the status code. */
export function uploadFile(url: string, cookie: string, csrf: string, field: string, file: string, size: number): Promise<number> {
  const boundary = `----bench${Date.now()}${Math.random().toString(16).slice(2)}`;
  // The token before the file, as the upload form sends it: the app checks it before writing the file.
  const token = `--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${csrf}\r\n`;
  const head = Buffer.from(`${token}--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="bench.pdf"\r\nContent-Type: application/pdf\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: 'POST',
      headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': String(head.length + size + tail.length), Cookie: cookie, Accept: 'application/json' },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.write(head);
    const src = createReadStream(file, { highWaterMark: 1024 * 1024 });
    src.on('error', reject);
    src.on('end', () => req.end(tail));
    src.pipe(req, { end: false });
  });
}

export interface UploadClient {
  /** One upload, timed by the client from its request's start to the answer's end. */
  upload(): Promise<{ seconds: number; status: number }>;
  close(): void;
  /** The client process's pid (its CPU time is read from /proc by the benchmark). */
  readonly pid: number | undefined;
}

/** Starts this client in a process of its own; resolves once it has uploaded `warmUps` times untimed. */
export async function startClient(url: string, cookie: string, csrf: string, field: string, file: string, warmUps: number): Promise<UploadClient> {
  const child = spawn(process.execPath, ['--import', 'tsx', import.meta.filename, url, cookie, csrf, field, file, String(warmUps)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<string> => {
    const line = await lines.next();
    if (line.done) throw new Error('upload client ended without an answer (its error, if any, is printed above)');
    return line.value;
  };
  const ready = await next();
  if (ready !== 'ready') throw new Error(`upload client: ${ready}`);
  return {
    pid: child.pid,
    upload: async () => {
      child.stdin.write('go\n');
      return JSON.parse(await next()) as { seconds: number; status: number };
    },
    close: () => child.stdin.end(),
  };
}

async function main(): Promise<void> {
  const [url, cookie, csrf, field, file, w = '0'] = process.argv.slice(2);
  if (!url || !cookie || !csrf || !field || !file) throw new Error('usage: upload-client.ts <url> <cookie> <csrf> <field> <file> [w=0]');
  const size = (await stat(file)).size;
  for (let i = 0; i < Number(w); i++) {
    const status = await uploadFile(url, cookie, csrf, field, file, size);
    if (status !== 201) throw new Error(`warm-up upload ${i + 1} answered ${status}`);
  }
  process.stdout.write('ready\n');
  // One timed upload per line read, so the caller can do something else between two uploads.
  for await (const _line of createInterface({ input: process.stdin })) {
    const t0 = process.hrtime.bigint();
    const status = await uploadFile(url, cookie, csrf, field, file, size);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    process.stdout.write(`${JSON.stringify({ seconds, status })}\n`);
  }
}

if (import.meta.filename === process.argv[1]) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
