// Shutdown waits for handlers, not only for connections: a client that hangs up mid-request closes
// its connection (server.close() then resolves) while its handler is still reading and writing.
// The in-flight count holds until the response is ended, so main.ts closes the database only after.
import { expect } from 'chai';
import express from 'express';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { inFlightRequests } from '../../server/http/in-flight.ts';

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
