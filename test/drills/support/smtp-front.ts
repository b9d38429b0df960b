// A TCP front for the drills' SMTP server (test/support/smtp.ts) whose behaviour a drill switches by
// phase: silent (accepts the connection and never greets: a hung server), refusing (greets with 421
// and closes: a server shedding load) or forwarding to the real one; or down (nothing listens).
import net from 'node:net';

/** A TCP front for the SMTP server: silent (accepts, never writes) or forwarding. */
export class SmtpFront {
  mode: 'silent' | 'refuse' | 'forward' = 'silent';
  /** Connections refused with 421 at the greeting. */
  refused = 0;
  /** Silent connections still open, by when they were accepted. */
  readonly open = new Set<{ socket: net.Socket; openedAt: number }>();
  /** How long each silent connection was held before the app gave up on it. */
  readonly held: number[] = [];
  private server: net.Server;
  private sockets = new Set<net.Socket>();
  port = 0;

  constructor(private readonly upstreamPort: number) {
    this.server = net.createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
      if (this.mode === 'refuse') {
        this.refused += 1;
        socket.end('421 4.3.2 Service not available, closing transmission channel\r\n');
        return;
      }
      if (this.mode === 'silent') {
        const entry = { socket, openedAt: Date.now() };
        this.open.add(entry);
        socket.resume(); // read and drop whatever comes; answer nothing
        socket.on('close', () => {
          this.open.delete(entry);
          this.held.push(Date.now() - entry.openedAt);
        });
        return;
      }
      const upstream = net.connect(this.upstreamPort, '127.0.0.1');
      upstream.on('error', () => socket.destroy());
      socket.on('close', () => upstream.destroy());
      upstream.on('close', () => socket.destroy());
      socket.pipe(upstream).pipe(socket);
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  /** The server down: nothing listens on its port (connections refused) until up(). */
  async down(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Back on the same port. */
  async up(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(this.port, '127.0.0.1', resolve));
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
