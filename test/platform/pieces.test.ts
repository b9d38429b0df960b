// server/views/pieces.ts: `eachInPieces` renders what `each` renders; in a page sent by res.render its
// groups are kept aside and written in turn (the queue's HTTP test: test/cases/queue.test.ts).
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import express from 'express';
import Handlebars from 'handlebars';
import { helpers } from '../../server/views/engine.ts';
import { ITEMS_PER_PIECE, PIECES, newPagePieces, sendPage } from '../../server/views/pieces.ts';

describe('views: long lists sent in pieces', () => {
  const hb = Handlebars.create();
  hb.registerHelper(helpers as never);
  const body = '{{@index}}:{{name}}{{#if @first}}(first){{/if}}{{#if @last}}(last){{/if}}{{#if ../flag}}!{{/if}}[{{@root.title}}];';
  const withEach = hb.compile(`<ul>{{#each rows}}${body}{{else}}none{{/each}}</ul>`);
  const withPieces = hb.compile(`<ul>{{#eachInPieces rows}}${body}{{else}}none{{/eachInPieces}}</ul>`);
  const rows = Array.from({ length: 2 * ITEMS_PER_PIECE + 3 }, (_, i) => ({ name: `<b>n${i}</b>` }));

  it('renders in place what each renders, when no page keeps pieces (an e-mail, a string)', () => {
    for (const list of [rows, rows.slice(0, 1), [], undefined]) {
      const data = { rows: list, flag: true, title: 'T' };
      expect(withPieces(data)).to.equal(withEach(data));
    }
    expect(withPieces({ rows: [] })).to.equal('<ul>none</ul>');
  });

  it('keeps each group of items aside and leaves one marker per group, carrying the render’s mark', () => {
    const pieces = newPagePieces();
    const data = { rows, flag: true, title: 'T', [PIECES]: pieces };
    const page = withPieces(data);
    expect(pieces.list).to.have.length(3);
    const markers = [...page.matchAll(/<!--piece:([a-f0-9]{16}):(\d+)-->/g)];
    expect(markers.map((m) => [m[1], m[2]])).to.deep.equal([[pieces.mark, '0'], [pieces.mark, '1'], [pieces.mark, '2']]);
    // Put back together, the page is the one each renders.
    const whole = page.replace(/<!--piece:[a-f0-9]{16}:(\d+)-->/g, (_m, i: string) => pieces.list[Number(i)]!);
    expect(whole).to.equal(withEach(data));
    // A fresh mark each render: a name cannot be made to look like a marker.
    expect(newPagePieces().mark).to.not.equal(pieces.mark);
  });

  it('sends the text and the pieces in turn, over HTTP, with the length of their UTF-8 bytes', async () => {
    const pieces = newPagePieces();
    // Two-byte text (Vietnamese) in the page and in the pieces: the length counts bytes, not characters.
    const data = { rows: rows.map((r, i) => ({ name: `Nguyễn Thị ${i} ${r.name}` })), flag: false, title: 'Hàng đợi hồ sơ', [PIECES]: pieces };
    const page = withPieces(data);
    const expected = withEach({ ...data, [PIECES]: undefined });
    const app = express();
    app.all('/', (_req, res) => sendPage(res, page, pieces));
    app.get('/whole', (_req, res) => sendPage(res, expected, newPagePieces()));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const got = await fetch(base + '/');
      const text = await got.text();
      expect(text).to.equal(expected);
      expect(got.headers.get('content-length')).to.equal(String(Buffer.byteLength(expected)));
      expect(Buffer.byteLength(expected)).to.be.greaterThan(expected.length);
      expect(got.headers.get('content-type')).to.match(/^text\/html; charset=utf-8/);
      // HEAD: the same length, no body.
      const head = await fetch(base + '/', { method: 'HEAD' });
      expect(head.headers.get('content-length')).to.equal(String(Buffer.byteLength(expected)));
      expect(await head.text()).to.equal('');
      // A page without pieces goes out whole, the same.
      expect(await (await fetch(base + '/whole')).text()).to.equal(expected);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
