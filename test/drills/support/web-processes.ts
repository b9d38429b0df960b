// For drills with several web processes (WEB_WORKERS > 0): node:cluster hands each new connection to
// the next web process, so a GET on a connection of its own reaches them in turn, and the access log
// (`"web":N` on each request line) says which one served it.
import http from 'node:http';

/** GET on a connection of its own (closed after). */
export function getOnNewConnection(base: string, urlPath: string, cookie: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${base}${urlPath}`, { agent: false, headers: { cookie, accept: 'text/html', connection: 'close' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error(`GET ${urlPath} timed out`)));
  });
}

/** The web-process numbers (`"web":N`) of the access-log lines for `urlPath` written after `from` characters of `output`. */
export function servedBy(output: string, from: number, urlPath: string): Set<number> {
  const web = new Set<number>();
  for (const line of output.slice(from).split('\n')) {
    if (!line.includes('"msg":"request completed"') || !line.includes(`"url":"${urlPath}"`)) continue;
    const m = /"web":(\d+)/.exec(line);
    if (m) web.add(Number(m[1]));
  }
  return web;
}
