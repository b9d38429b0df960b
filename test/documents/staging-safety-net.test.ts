// The safety net of routes that receive files (server/http/uploads.ts, discardForgottenAtEnd): a
// route that receives a file and neither stores nor discards it would hold a GridFS staging slot
// (STAGINGS_MAX) and the staged chunks until a restart. Once the handler ends its response, what is
// left is discarded. Real multipart requests through receiveUploads on a small Express app whose
// routes "forget" on purpose; a route that stores keeps its file.
import { expect } from 'chai';
import express, { type NextFunction, type Request, type Response } from 'express';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { Db } from 'mongodb';
import { pino } from 'pino';
import request from 'supertest';
import { GRIDFS_CHUNK_BYTES, GridFsStorage, newStorageKey } from '../../server/documents/storage.ts';
import { receiveUploads } from '../../server/http/uploads.ts';
import { testDatabase } from '../support/app.ts';
import { makePdf, sha256 } from './support.ts';

const LIMIT = 10 * 1024 * 1024;

describe('documents: received files a route forgets are discarded as its response ends', function () {
  this.timeout(60_000);
  let db: Db;
  let store: GridFsStorage;
  let tempDir: string;
  let server: Server;
  let base: string;
  const logged: string[] = [];
  let pdf: Buffer;

  const chunks = () => db.collection('documents.chunks').countDocuments({});
  const tempFiles = async () => (await readdir(tempDir).catch(() => [] as string[])).filter((f) => f.endsWith('.part'));
  /** What the store holds while the handler runs (the route answers with it): the upload was staged. */
  const held = async () => ({ live: store.stagingsLive, chunks: await chunks() });

  async function until(what: string, cond: () => Promise<boolean>): Promise<void> {
    const end = Date.now() + 10_000;
    while (!(await cond())) {
      if (Date.now() > end) throw new Error(`${what} did not happen within 10 s`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  before(async () => {
    const conn = (await testDatabase()).connection.useDb(`safety_net_${process.pid}`);
    db = conn.db as unknown as Db;
    store = new GridFsStorage(() => db);
    tempDir = await mkdtemp(path.join(tmpdir(), 'talent-safety-net-'));
    pdf = await makePdf('Forgotten CV', { padTo: 4 * GRIDFS_CHUNK_BYTES + 200_000 }); // five chunks
    const logger = pino({ level: 'warn' }, new Writable({ write: (c: Buffer, _e, done) => (logged.push(c.toString()), done()) }));
    const receive = (req: Request, res: Response, staging = true) =>
      receiveUploads(req, res, { tempDir, limitFor: () => LIMIT, largest: LIMIT, stage: staging ? (p) => (store.canStage() ? store.stage(p) : undefined) : undefined });
    const app = express();
    app.use((req, _res, next) => {
      req.log = logger as unknown as Request['log'];
      next();
    });
    // Receives and forgets: answers without storing or discarding.
    app.post('/forget', async (req, res, next: NextFunction) => {
      try {
        const files = await receive(req, res);
        res.status(201).json({ files: files.length, ...(await held()) });
      } catch (err) {
        next(err);
      }
    });
    // Receives, then fails: the error handler ends the response.
    app.post('/fail', async (req, res, next: NextFunction) => {
      try {
        await receive(req, res);
        throw new Error('the route failed after receiving');
      } catch (err) {
        next(err);
      }
    });
    // The same on disk (no staging): the temporary file is what is left.
    app.post('/forget-on-disk', async (req, res) => {
      const files = await receive(req, res, false);
      res.status(201).json({ files: files.length, temp: (await tempFiles()).length });
    });
    // Receives and stores.
    app.post('/store', async (req, res, next: NextFunction) => {
      try {
        const [file] = await receive(req, res);
        if (!file || file.refusal) throw new Error('no file');
        const key = newStorageKey();
        await store.put(file.tempPath, key, { contentType: file.mimeType, sha256: file.sha256 });
        res.status(201).json({ key, ...(await held()) });
      } catch (err) {
        next(err);
      }
    });
    app.use((_err: unknown, _req: Request, res: Response, _next: NextFunction) => void res.status(500).end('failed'));
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server?.close();
    await db?.dropDatabase();
    await rm(tempDir, { recursive: true, force: true });
  });
  beforeEach(() => {
    logged.length = 0;
  });

  it('a forgotten staged upload: its slot and its chunks are freed, its temporary file removed, and the route named in the log', async () => {
    expect(store.stagingsLive).to.equal(0);
    const res = await request(base).post('/forget').attach('cv', pdf, 'cv.pdf');
    expect(res.status, res.text).to.equal(201);
    expect(res.body, 'staged while the handler ran: a slot and five chunks').to.deep.equal({ files: 1, live: 1, chunks: 5 });
    await until('the staging freed', async () => store.stagingsLive === 0 && (await chunks()) === 0 && (await tempFiles()).length === 0);
    expect(await tempFiles()).to.deep.equal([]);
    expect(store.canStage()).to.equal(true);
    expect(logged.join('')).to.match(/"route":"\/forget","files":1,"msg":"received files neither stored nor discarded by the route: discarded as the response ended"/);
  });

  it('more forgetful requests than there are slots: every slot is free again after each', async () => {
    for (let i = 0; i < 10; i += 1) {
      const res = await request(base).post('/forget').attach('cv', pdf, 'cv.pdf').attach('letter', pdf, 'letter.pdf');
      expect(res.body).to.include({ files: 2, live: 2 });
      await until(`round ${i}: the stagings freed`, async () => store.stagingsLive === 0 && (await chunks()) === 0 && (await tempFiles()).length === 0);
    }
    expect(await tempFiles()).to.deep.equal([]);
  });

  it('a route that fails after receiving: the error handler ends the response and the staging is freed', async () => {
    const res = await request(base).post('/fail').attach('cv', pdf, 'cv.pdf');
    expect(res.status).to.equal(500);
    await until('the staging freed', async () => store.stagingsLive === 0 && (await chunks()) === 0 && (await tempFiles()).length === 0);
    expect(await tempFiles()).to.deep.equal([]);
  });

  it('on disk (no staging): the forgotten temporary file is removed', async () => {
    const res = await request(base).post('/forget-on-disk').attach('cv', pdf, 'cv.pdf');
    expect(res.body).to.deep.equal({ files: 1, temp: 1 });
    await until('the temporary file removed', async () => (await tempFiles()).length === 0);
  });

  it('a stored upload is not discarded: its file stays whole and readable, and nothing is logged', async () => {
    const res = await request(base).post('/store').attach('cv', pdf, 'cv.pdf');
    expect(res.status, res.text).to.equal(201);
    expect(res.body).to.include({ live: 0, chunks: 5 });
    // Give the net its turn (it runs as the response ends), then look again.
    await new Promise((r) => setTimeout(r, 300));
    expect(await chunks()).to.equal(5);
    const file = await db.collection('documents.files').findOne({ filename: res.body.key as string });
    expect(file).to.include({ length: pdf.length });
    const parts: Buffer[] = [];
    for await (const c of await store.openRead(res.body.key as string)) parts.push(c as Buffer);
    expect(sha256(Buffer.concat(parts))).to.equal(sha256(pdf));
    expect(store.stagingsLive).to.equal(0);
    expect(logged.join('')).not.to.include('neither stored nor discarded');
  });
});
