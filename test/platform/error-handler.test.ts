// An error after the response has started (a failing session save after the page was sent, the
// database client closing under a request at shutdown) cannot become an error page: it is logged as
// one JSON line like every other error, never printed raw by Express's default handler, and a
// response cut short is aborted so the client does not take half a page for a whole one.
import { expect } from 'chai';
import express from 'express';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { createLogger } from '../../server/logger.ts';
import { errorHandler } from '../../server/http/error-handler.ts';

describe('platform: errors after the response started', () => {
  const lines: Array<Record<string, unknown>> = [];
  const printed: unknown[] = [];
  const consoleError = console.error;
  let server: http.Server;
  let base = '';

  before(async () => {
    const sink = new Writable({
      write(chunk, _enc, cb) {
        for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
        cb();
      },
    });
    const app = express();
    app.set('env', 'production'); // Express prints errors it handles itself outside 'test'
    app.get('/ended', (_req, res, next) => {
      res.send('whole page');
      next(new Error('session store closed after the page was sent'));
    });
    app.get('/partial', (_req, res, next) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.write('<p>half a page');
      setTimeout(() => next(new Error('database closed mid-page')), 20);
    });
    app.use(errorHandler(createLogger('info', sink as never)));
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    console.error = (...args: unknown[]) => void printed.push(args);
  });
  after(async () => {
    console.error = consoleError;
    await new Promise((r) => server.close(r));
  });

  it('logs an error after a complete response as JSON, and the client keeps the whole page', async () => {
    const res = await fetch(`${base}/ended`);
    expect(res.status).to.equal(200);
    expect(await res.text()).to.equal('whole page');
    await new Promise((r) => setTimeout(r, 50));
    const line = lines.find((l) => (l.err as { message?: string } | undefined)?.message === 'session store closed after the page was sent');
    expect(line, JSON.stringify(lines)).to.include({ msg: 'error after the response started', responseEnded: true });
    expect(printed).to.deep.equal([]);
  });

  it('aborts a response cut short, and logs it', async () => {
    const res = await fetch(`${base}/partial`);
    expect(res.status).to.equal(200);
    let failed: unknown;
    await res.text().catch((err: unknown) => (failed = err));
    expect(failed, 'the client must see the body fail').to.be.instanceOf(Error);
    const line = lines.find((l) => (l.err as { message?: string } | undefined)?.message === 'database closed mid-page');
    expect(line).to.include({ msg: 'error after the response started', responseEnded: false });
    expect(printed).to.deep.equal([]);
  });
});
