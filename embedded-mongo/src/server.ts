// TCP server: frames bytes into messages per connection, runs them in order, answers each.
// A client that sends a malformed or oversized frame is disconnected; others keep being served.
// Every command goes through the authentication gate (auth/gate.ts), which holds the connection's
// authentication state and passes what it allows to the engine.
import net from 'node:net';
import type { Engine, EngineLogger } from './engine.ts';
import { MAX_MESSAGE_SIZE } from './engine.ts';
import { parseMessage, encodeMsg, encodeReply, ProtocolError, readHeader } from './wire.ts';
import { DIRECT_BYTES, MessageReader, PRE_AUTH_MAX_BYTES, PRE_AUTH_PIECE_BYTES, PRE_AUTH_SCRATCH_BYTES, SCRATCH_BYTES, readInto, type ReadResult } from './framing.ts';
import type { AuthConnection, AuthGate } from './auth/gate.ts';
import { PreAuthCounter, addressKey, preAuthLimits, sameHost, type PreAuthLimits } from './pre-auth-limits.ts';

export interface WireServerOptions {
  host: string;
  port: number;
  engine: Engine;
  gate: AuthGate;
  logger: EngineLogger;
  /** Bounds on connections without credentials (pre-auth-limits.ts); the defaults unless set. */
  preAuth?: Partial<PreAuthLimits>;
}

/** Refusals and deadline closes are logged as one line at most this often (a flood would flood the log). */
const REFUSED_LOG_MS = 10_000;

export class WireServer {
  private server: net.Server;
  private sockets = new Set<net.Socket>();
  private nextConnId = 1;
  private preAuth: PreAuthCounter;
  private refused = { connections: 0, timedOut: 0, dropped: 0, loggedAt: 0 };
  private refusalLog: NodeJS.Timeout | undefined;

  constructor(private readonly opts: WireServerOptions) {
    // Paused until accept() has told the socket where to read (framing.ts, readInto).
    this.server = net.createServer({ pauseOnConnect: true }, (socket) => this.accept(socket));
    this.server.maxConnections = 10_000;
    this.preAuth = new PreAuthCounter(preAuthLimits(opts.preAuth));
  }

  /** Connections counted as not authenticated now. */
  get preAuthConnections(): number {
    return this.preAuth.total;
  }

  private noteRefusal(kind: 'connections' | 'timedOut' | 'dropped'): void {
    this.refused[kind]++;
    const wait = REFUSED_LOG_MS - (Date.now() - this.refused.loggedAt);
    if (wait <= 0) this.logRefusals();
    // Those counted meanwhile are logged at the window's end, not only at the next refusal after it.
    else this.refusalLog ??= setTimeout(() => this.logRefusals(), wait).unref();
  }

  private logRefusals(): void {
    clearTimeout(this.refusalLog);
    this.refusalLog = undefined;
    const { connections, timedOut, dropped } = this.refused;
    this.refused = { connections: 0, timedOut: 0, dropped: 0, loggedAt: Date.now() };
    if (!connections && !timedOut && !dropped) return;
    this.opts.logger.warn(
      { refused: connections, timedOut, dropped, unauthenticated: this.preAuth.total, ...this.preAuth.limits },
      'embedded-mongo: connections without credentials refused past the cap, closed at the handshake deadline, or closed for a bad frame or failed authentications',
    );
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port, this.opts.host, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as net.AddressInfo).port);
      });
    });
  }

  async close(): Promise<void> {
    clearTimeout(this.refusalLog);
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    const { engine, logger, gate } = this.opts;
    // Before authentication a connection takes one of the capped slots; past the cap a NEW one is
    // refused, none already open is evicted (pre-auth-limits.ts: the driver's monitors never authenticate).
    const key = addressKey(socket.remoteAddress);
    const ownHost = sameHost(socket.remoteAddress, socket.localAddress);
    if (gate.required && !this.preAuth.admit(key, ownHost)) {
      socket.on('error', () => {});
      socket.destroy();
      this.noteRefusal('connections');
      return;
    }
    let counted = gate.required;
    const conn: AuthConnection = { id: this.nextConnId++, remote: `${socket.remoteAddress}:${socket.remotePort}`, address: key, ownHost };
    this.sockets.add(socket);
    engine.connections++;
    socket.setNoDelay(true);
    // Before authentication a message is read in small pieces: a length announced is not memory given.
    // So are its longest message and its scratch (framing.ts PRE_AUTH_MAX_BYTES, PRE_AUTH_SCRATCH_BYTES).
    const authed = () => conn.user !== undefined || !gate.required;
    const reader = new MessageReader(
      () => (authed() ? MAX_MESSAGE_SIZE : PRE_AUTH_MAX_BYTES),
      () => (authed() ? DIRECT_BYTES : PRE_AUTH_PIECE_BYTES),
      () => (authed() ? SCRATCH_BYTES : PRE_AUTH_SCRATCH_BYTES),
    );
    let queue: Promise<void> = Promise.resolve();
    let closed = false;
    /** false once a frame was refused: what follows it is not read. */
    let reading = true;

    const drop = (reason: string, quiet = false) => {
      if (closed) return;
      closed = true;
      // Without credentials, counted into the rate-limited line: a client reconnecting to send a bad
      // frame each time wrote a line a connection (security review s34).
      if (!quiet && counted) this.noteRefusal('dropped');
      else if (!quiet) logger.warn({ conn: conn.id, remote: conn.remote, reason }, 'embedded-mongo: closing connection');
      // The replies already written still reach the client; nothing more is read or answered.
      socket.pause();
      socket.end();
      setTimeout(() => socket.destroy(), 1000).unref();
    };

    // The handshake deadline (pre-auth-limits.ts): from the open until a first complete message,
    // then from the first byte of each message until it is complete; never between messages.
    const { firstMessageMs, messageMs } = this.preAuth.limits;
    let deadline: NodeJS.Timeout | undefined;
    let spoke = false;
    /** Logged out since it connected: its first message after is seen here, in settle (took() ran while it was authenticated). */
    let relogged = false;
    const arm = (ms: number) => {
      deadline = setTimeout(() => {
        this.noteRefusal('timedOut');
        drop(spoke ? `no complete message within ${ms} ms of its first byte, without credentials` : `no message within ${ms} ms of connecting, without credentials`, true);
      }, ms);
      deadline.unref();
    };
    const disarm = () => {
      clearTimeout(deadline);
      deadline = undefined;
    };
    if (counted) arm(firstMessageMs);
    /** Moves the connection in or out of the unauthenticated count after each command (saslContinue, logout). */
    const settle = () => {
      if (closed) return;
      // Authenticated or not (security review s35): a failed saslStart does not log the connection out,
      // so one account's credentials otherwise opened endless guesses at another's on one connection.
      if ((conn.authFailures ?? 0) >= this.preAuth.limits.authFailures) {
        drop(`${conn.authFailures} failed authentications`);
        return;
      }
      if (authed() && counted) {
        counted = false;
        this.preAuth.release(key);
        disarm();
      } else if (!authed() && !counted) {
        // Logged out: without credentials again, as if it had just connected (security review s36). Counted
        // past no cap and under no deadline, a client with one login could log out many connections and hold
        // every unauthenticated slot, or sit half-way through a message sized for an authenticated one.
        if (!this.preAuth.admit(key, ownHost)) {
          this.noteRefusal('connections');
          drop('logged out past the cap on connections without credentials', true);
          return;
        }
        counted = true;
        spoke = false;
        disarm();
        arm(firstMessageMs);
        relogged = true;
      } else if (relogged && counted && !spoke) {
        // The first command after the logout completed: from here the rules of any connection without
        // credentials (idle between messages allowed, each message within messageMs).
        spoke = true;
        disarm();
        if (reader.inMessage) arm(messageMs);
      }
    };

    /** Queues the messages a read completed; false once nothing more is to be read. */
    const took = ({ messages, invalidLength }: ReadResult): boolean => {
      for (const message of messages) queue = queue.then(() => this.handle(socket, message, conn, drop)).then(settle);
      if (counted && !authed()) {
        if (messages.length && !spoke) {
          spoke = true;
          disarm();
        }
        if (spoke && !reader.inMessage) disarm();
        else if (spoke && deadline === undefined) arm(messageMs);
      }
      if (invalidLength === undefined) return true;
      // the frames before it are still answered, in order; then the connection closes
      reading = false;
      socket.pause();
      queue = queue.then(() => drop(`invalid message length ${invalidLength}`));
      return false;
    };
    const direct = readInto(socket, reader, (nread) => !closed && reading && took(reader.read(nread)));
    if (!direct) {
      socket.on('data', (data: Buffer) => {
        if (closed || !reading) return;
        took(reader.push(data));
      });
    }
    socket.resume();
    socket.on('error', () => {});
    socket.on('close', () => {
      closed = true;
      disarm();
      if (counted) {
        counted = false;
        this.preAuth.release(key);
      }
      this.sockets.delete(socket);
      engine.connections--;
    });
  }

  private async handle(socket: net.Socket, message: Buffer, conn: AuthConnection, drop: (r: string) => void): Promise<void> {
    if (socket.destroyed || socket.writableEnded) return;
    let request;
    try {
      request = parseMessage(message);
    } catch (err) {
      if (err instanceof ProtocolError || err instanceof RangeError || err instanceof Error) {
        // A well-framed OP_MSG with a bad body gets an error reply; anything else is disconnected.
        const header = readHeader(message);
        if (header.opCode === 2013 && !(err instanceof ProtocolError)) {
          socket.write(encodeMsg(header.requestId, { ok: 0, errmsg: `invalid BSON: ${err.message}`, code: 22, codeName: 'InvalidBSON' }));
          return;
        }
        drop(err.message);
        return;
      }
      throw err;
    }
    const reply = await this.opts.gate.run(request.db, request.command, conn);
    if (socket.destroyed || socket.writableEnded || request.moreToCome) return;
    let out: Buffer;
    try {
      out = request.kind === 'query' ? encodeReply(request.header.requestId, reply) : encodeMsg(request.header.requestId, reply);
    } catch (err) {
      out = encodeMsg(request.header.requestId, { ok: 0, errmsg: `reply could not be encoded: ${(err as Error).message}`, code: 10334, codeName: 'BSONObjectTooLarge' });
    }
    socket.write(out);
  }
}
