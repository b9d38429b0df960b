// Shutdown waits for handlers, not only for connections: a client that hangs up mid-request closes
// its connection (server.close() then resolves) while its handler is still reading and writing.
// The in-flight count holds until the response is ended, so main.ts closes the database only after.
import { expect } from 'chai';
import express from 'express';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { inFlightRequests, stopServing } from '../../server/http/in-flight.ts';
import { createLogger } from '../../server/logger.ts';

describe('platform: requests in flight at shutdown', () => {
  it('counts a request whose client hung up until its handler ends the response', async () => {
    const inFlight = inFlightRequests();
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    let started: () => void = () => {};
    const handlerStarted = new Promise<void>((r) => (started = r));
    let handlerWrote = false;
    const app = express();
    app.use(inFlight.middleware);
    app.get('/slow', async (_req, res) => {
      started();
      await gate; // the handler's database work, still going after the client left
      handlerWrote = true;
      res.send('done');
    });
    app.get('/fast', (_req, res) => {
      res.send('ok');
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const { port } = server.address() as AddressInfo;

    const fast = await fetch(`http://127.0.0.1:${port}/fast`);
    expect(await fast.text()).to.equal('ok');
    expect(inFlight.count(), 'a finished request is not counted').to.equal(0);

    const req = http.get({ host: '127.0.0.1', port, path: '/slow', agent: false });
    req.on('error', () => undefined);
    await handlerStarted;
    req.destroy(); // the client hangs up
    await new Promise<void>((resolve) => server.close(() => resolve()));
    // Every connection is gone, yet the handler has not finished.
    expect(inFlight.count()).to.equal(1);
    expect(await inFlight.drained(50), 'not drained while the handler runs').to.equal(false);

    const drained = inFlight.drained(5_000);
    release();
    expect(await drained).to.equal(true);
    expect(handlerWrote).to.equal(true);
    expect(inFlight.count()).to.equal(0);
  });

  it('drains at once when nothing is in flight, and counts a response cut off by destroy() as finished', async () => {
    const inFlight = inFlightRequests();
    expect(await inFlight.drained(10)).to.equal(true);
    const app = express();
    app.use(inFlight.middleware);
    app.get('/cut', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('half');
      res.destroy(); // what the error handler does to a response broken after its headers
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const { port } = server.address() as AddressInfo;
    await fetch(`http://127.0.0.1:${port}/cut`).then((r) => r.text()).catch(() => 'cut');
    expect(inFlight.count()).to.equal(0);
    await new Promise((r) => server.close(r));
  });
});

describe('platform: stopping the server', () => {
  it('closes a connection that never carried a request (a browser preconnect) instead of waiting for its timeout', async () => {
    const inFlight = inFlightRequests();
    const app = express();
    app.use(inFlight.middleware);
    app.get('/', (_req, res) => res.send('ok'));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const { port } = server.address() as AddressInfo;
    const socket = net.connect(port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    const clientSawClose = new Promise<void>((r) => socket.once('close', () => r()));
    const started = Date.now();
    await stopServing(server, inFlight, createLogger('silent'), { lingerMs: 200 });
    await clientSawClose;
    // Node's closeIdleConnections alone left it open until the headers timeout (60 s).
    expect(Date.now() - started).to.be.below(3_000);
  });

  it('lets a response that is still being written finish before its connection closes', async () => {
    const inFlight = inFlightRequests();
    let started: () => void = () => {};
    const handlerStarted = new Promise<void>((r) => (started = r));
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const body = 'x'.repeat(2_000_000);
    const app = express();
    app.use(inFlight.middleware);
    app.get('/big', async (_req, res) => {
      started();
      await gate;
      res.send(body);
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const { port } = server.address() as AddressInfo;
    const answer = fetch(`http://127.0.0.1:${port}/big`).then((r) => r.text());
    await handlerStarted;
    const stopped = stopServing(server, inFlight, createLogger('silent'), { lingerMs: 2_000 });
    release();
    expect((await answer).length, 'the whole body arrives').to.equal(body.length);
    await stopped;
  });
});
