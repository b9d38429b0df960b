// Real file bytes for upload tests (a PDF drawn by pdfkit, PNG and JPEG assembled by hand), and a
// look at what is on disk / in GridFS / in the database after a request.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { deflateSync } from 'node:zlib';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import PDFDocument from 'pdfkit';
import mongoose from 'mongoose';
import request from 'supertest';
import { expect } from 'chai';
import type { Express } from 'express';
import type { Agent } from '../support/http.ts';
import { agent, csrfFrom } from '../support/http.ts';
import { signIn } from '../support/factories.ts';
import type { UserDoc } from '../../models/user.ts';
import type { AppContext } from '../../server/deps.ts';
import { GridFsStorage } from '../../server/documents/storage.ts';
import { documentStores } from '../../server/documents/stores.ts';

export function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

/** A valid one-page PDF; `padTo` appends a PDF comment so the file reaches a given size. */
export function makePdf(text = 'Curriculum vitae', opts: { padTo?: number; compress?: boolean; tail?: string } = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({ size: 'A4', compress: opts.compress ?? true, info: { Title: text } });
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('error', reject);
    doc.on('end', () => {
      let buf = Buffer.concat(chunks);
      if (opts.tail) buf = Buffer.concat([buf, Buffer.from(opts.tail, 'latin1')]);
      if (opts.padTo && opts.padTo > buf.length) {
        // A comment after %%EOF: still a PDF to every reader, just bigger.
        const pad = Buffer.alloc(opts.padTo - buf.length, 0x20);
        pad[0] = 0x25; // '%'
        pad[pad.length - 1] = 0x0a;
        buf = Buffer.concat([buf, pad]);
      }
      resolve(buf);
    });
    doc.fontSize(18).text(text);
    doc.end();
  });
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** A valid RGB PNG of w×h pixels (a colour gradient). */
export function makePng(w = 8, h = 8): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type RGB
  const rows: Buffer[] = [];
  for (let y = 0; y < h; y++) {
    const row = Buffer.alloc(1 + w * 3);
    for (let x = 0; x < w; x++) row.set([(x * 32) & 0xff, (y * 32) & 0xff, 128], 1 + x * 3);
    rows.push(row);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(Buffer.concat(rows))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

function segment(marker: number, body: number[]): Buffer {
  const len = body.length + 2;
  return Buffer.from([0xff, marker, len >> 8, len & 0xff, ...body]);
}

/** A valid baseline JPEG: one grey 8×8 block, with one-code Huffman tables (DC 0, then EOB). */
export function makeJpeg(): Buffer {
  const bits1 = [1, ...new Array(15).fill(0)];
  return Buffer.concat([
    Buffer.from([0xff, 0xd8]),
    segment(0xe0, [0x4a, 0x46, 0x49, 0x46, 0x00, 1, 1, 0, 0, 1, 0, 1, 0, 0]), // JFIF
    segment(0xdb, [0x00, ...new Array(64).fill(1)]), // quantisation table
    segment(0xc0, [8, 0, 8, 0, 8, 1, 1, 0x11, 0]), // 8×8, one component
    segment(0xc4, [0x00, ...bits1, 0x00]), // DC table: code '0' = category 0
    segment(0xc4, [0x10, ...bits1, 0x00]), // AC table: code '0' = end of block
    segment(0xda, [1, 1, 0x00, 0, 63, 0]),
    Buffer.from([0x3f]), // '0' (DC diff 0) + '0' (EOB), padded with ones
    Buffer.from([0xff, 0xd9]),
  ]);
}

/** A CSRF token of the agent's session (any page with a form carries one). */
export async function tokenOf(a: Agent): Promise<string> {
  const page = await a.get('/').set('Accept', 'text/html');
  return csrfFrom(page.text);
}

/** An agent signed in as `user`, and its session's form token. */
export async function signedInWithToken(app: Express, user: UserDoc): Promise<{ agent: Agent; token: string }> {
  const a = agent(app);
  await signIn(a, user);
  return { agent: a, token: await tokenOf(a) };
}

/** Reads a binary body whatever its type. */
export function binary(res: NodeJS.ReadableStream & { on: Function }, cb: (err: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
}

export async function download(a: Agent | ReturnType<typeof request>, url: string) {
  return (a as Agent).get(url).buffer(true).parse(binary as never);
}

/** Every file under a directory, recursively (relative paths). */
export async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out.push(path.relative(dir, p));
    }
  };
  await walk(dir);
  return out.sort();
}

/**
 * What an upload being received leaves while it lasts: its temporary files (disk, or GridFS with a
 * scanner to read them) and, on GridFS, its live stagings (with no scanner, the only trace: no
 * temporary file is written, server/http/upload-engine.ts).
 */
export async function receiving(ctx: Pick<AppContext, 'config' | 'db'>, uploadDir: string): Promise<{ tempFiles: number; stagings: number }> {
  const current = documentStores(ctx).current;
  return { tempFiles: (await filesUnder(path.join(uploadDir, '.tmp'))).length, stagings: current instanceof GridFsStorage ? current.stagingsLive : 0 };
}

export async function gridFsCounts(): Promise<{ files: number; chunks: number }> {
  const db = mongoose.connection.db!;
  const [files, chunks] = await Promise.all([db.collection('documents.files').countDocuments({}), db.collection('documents.chunks').countDocuments({})]);
  return { files, chunks };
}

/** The session cookie of a supertest agent, for raw HTTP requests. */
export function cookieHeader(a: Agent): string {
  const { CookieAccessInfo } = createRequire(import.meta.url)('cookiejar') as { CookieAccessInfo: { All: unknown } };
  const jar = (a as unknown as { jar: { getCookies(info: unknown): Array<{ name: string; value: string }> } }).jar;
  const cookies = jar.getCookies(CookieAccessInfo.All);
  expect(cookies.length, 'agent has a session cookie').to.be.greaterThan(0);
  return cookies.map((c) => `${c.name}=${c.value}`).join('; ');
}

/** The timeline section of a page's HTML (then read with `plain`; the raw HTML is checked apart). */
export const timelineHtml = (html: string) => {
  const at = html.indexOf('id="timeline"');
  expect(at, 'the page has a timeline').to.be.greaterThan(-1);
  return html.slice(at, html.indexOf('</section>', at));
};
/** HTML's tags dropped and Handlebars' entities read back, white space squashed. */
export const plain = (html: string) =>
  html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#x27;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&#x3D;/g, '=')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');

/**
 * The applicant's timeline after HR refused their passport's version 1 (reason `refused`), accepted
 * version 2, then changed it to refused (reason `changed`): in Vietnamese (Ông/Bà, never "bạn"), then
 * in English after switching, with the reasons escaped and no staff name. The live lines and the
 * backfilled ones (verify-timeline*.test.ts) must read alike. Leaves the agent's language English.
 */
export async function expectApplicantDecisionLines(a: Agent, caseId: string, reasons: { refused: string; changed: string }, also: { vi?: RegExp[]; en?: RegExp[] } = {}): Promise<void> {
  const vi = await a.get(`/applications/${caseId}`).set('Accept', 'text/html');
  expect(vi.status).to.equal(200);
  const rawVi = timelineHtml(vi.text);
  expect(rawVi, 'the reason escaped').not.to.include('<img src=x');
  const shownVi = plain(rawVi);
  expect(shownVi).to.include('Giấy tờ “Hộ chiếu”, phiên bản 1, của Ông/Bà đã bị trả lại');
  expect(shownVi).to.include(`Lý do: ${reasons.refused}`);
  expect(shownVi).to.include('Kính đề nghị Ông/Bà gửi phiên bản mới.');
  expect(shownVi).to.include('Giấy tờ “Hộ chiếu”, phiên bản 2, của Ông/Bà đã được chấp nhận');
  expect(shownVi).to.include('Giấy tờ “Hộ chiếu”, phiên bản 2, của Ông/Bà: quyết định đã được thay đổi, nay bị trả lại');
  expect(shownVi).to.include(`Lý do: ${reasons.changed}`);
  expect(shownVi, 'never “bạn”').not.to.match(/\bbạn\b/i);
  expect(shownVi, 'no staff name').not.to.include('Officer Lan');
  for (const r of also.vi ?? []) expect(shownVi).to.match(r);
  const switched = await a.post('/lang').type('form').send({ _csrf: csrfFrom(vi.text), lang: 'en', next: `/applications/${caseId}` });
  expect(switched.status).to.equal(303);
  const en = plain(timelineHtml((await a.get(`/applications/${caseId}`).set('Accept', 'text/html')).text));
  expect(en).to.include('Your document “Passport”, version 1, was refused');
  expect(en).to.include(`Reason: ${reasons.refused}`);
  expect(en).to.include('Please send a new version.');
  expect(en).to.include('Your document “Passport”, version 2, was accepted');
  expect(en).to.include('Your document “Passport”, version 2: the decision was changed, it is now refused');
  expect(en).not.to.include('Officer Lan');
  for (const r of also.en ?? []) expect(en).to.match(r);
}

export async function waitFor(pred: () => Promise<boolean>, ms = 5000, what = 'condition'): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await pred()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}
