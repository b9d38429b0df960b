// Waits until a server listens on a loopback port (a database or app started in a child process).
import net from 'node:net';

export async function waitForPort(port: number, opts: { ms?: number; what?: string } = {}): Promise<void> {
  const ms = opts.ms ?? 30_000;
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${opts.what ?? 'server'} did not listen on ${port} within ${ms} ms`);
}
