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

describe('platform: a form sent while the database does not answer', () => {
  let server: http.Server;
  let base = '';
  before(async () => {
    const { viewEngine, viewsDir } = await import('../../server/views/engine.ts');
    const { MongoServerSelectionError } = await import('mongodb');
    const app = express();
    app.engine('hbs', viewEngine().engine);
    app.set('view engine', 'hbs');
    app.set('views', viewsDir);
    app.use(express.urlencoded({ extended: false }));
    const down = () => new MongoServerSelectionError('connect ECONNREFUSED 127.0.0.1:1', { type: 'Unknown', servers: new Map(), stale: false, compatible: true, heartbeatFrequencyMS: 10_000, localThresholdMS: 15, setName: null, maxElectionId: null, maxSetVersion: null, commonWireVersion: 0, logicalSessionTimeoutMinutes: null } as never);
    app.post('/cases/1/planned-start', () => {
      throw down();
    });
    app.get('/cases', () => {
      throw down();
    });
    // An upload whose files were received (receiveUploads names them) when the database failed.
    app.post('/cases/1/documents', (_req, res) => {
      res.locals.receivedFiles = ['giấy kết hôn <b>.pdf'];
      throw down();
    });
    app.use(errorHandler(createLogger('silent')));
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((r) => server.close(r));
  });

  const keptOf = (html: string) => [...html.matchAll(/<label for="kept-[^"]+">([^<]*)<\/label>\s*<textarea[^>]*data-kept="([^"]+)"[^>]*>([^<]*)<\/textarea>/g)].map((m) => [m[2], m[1], m[3]]);

  it('answers 503 with what was typed shown back to copy (not saved), labelled, in the page’s language (Vietnamese with no account read); a page read (GET) or another site’s form shows none', async () => {
    const body = new URLSearchParams({ _csrf: 'x', version: '7', plannedStart: '2027-04-06', plannedStartReason: 'The expert starts a month later <b>', plannedStartTold: 'Your procedures follow.' });
    // No account to read (the database is down): the default language, Vietnamese.
    const res = await fetch(`${base}/cases/1/planned-start`, { method: 'POST', body, headers: { accept: 'text/html' } });
    expect(res.status).to.equal(503);
    const html = await res.text();
    expect(html).to.include('Cơ sở dữ liệu hiện không phản hồi');
    // Worded for anyone (an applicant is "Ông/Bà", staff "Anh/Chị": the page may be either's).
    expect(html).to.include('Nội dung này chưa được lưu. Vui lòng sao chép, quay lại trang và gửi lại khi cơ sở dữ liệu phản hồi.');
    expect(html).not.to.include('Anh/Chị');
    expect(keptOf(html)).to.deep.equal([
      ['plannedStart', 'Nội dung đã nhập', '2027-04-06'],
      ['plannedStartReason', 'Lý do thay đổi', 'The expert starts a month later &lt;b&gt;'],
      ['plannedStartTold', 'Lời nhắn gửi ứng viên', 'Your procedures follow.'],
    ]);
    const read = await fetch(`${base}/cases`, { headers: { accept: 'text/html' } });
    expect(read.status).to.equal(503);
    expect(await read.text()).not.to.include('id="kept"');
    const forged = await fetch(`${base}/cases/1/planned-start`, { method: 'POST', body, headers: { accept: 'text/html', origin: 'https://evil.example' } });
    expect(forged.status).to.equal(503);
    expect(await forged.text(), 'another site’s words are not shown under ours').not.to.include('id="kept"');
  });

  it('names the files an upload had received as not saved (drill family-proof-database-restart)', async () => {
    const res = await fetch(`${base}/cases/1/documents`, { method: 'POST', headers: { accept: 'text/html' } });
    expect(res.status).to.equal(503);
    expect(/<p id="files-not-saved">([^<]*)<\/p>/.exec(await res.text())?.[1]).to.equal('Tệp chưa được lưu: giấy kết hôn &lt;b&gt;.pdf. Vui lòng chọn lại tệp trên trang và gửi lại khi cơ sở dữ liệu phản hồi.');
    const read = await fetch(`${base}/cases`, { headers: { accept: 'text/html' } });
    expect(await read.text()).not.to.include('files-not-saved');
  });
});
