// A long page sent in pieces, so that it is never one string of more than 64 K characters.
//
// Why: a page holding any character beyond Latin-1 (every page does: the language switch says
// "Tiếng Việt") is a two-byte string, and one over 65,536 characters is a "large object" to V8,
// given a fresh memory mapping each time it is flattened to be sent: about 70 page faults and 1 ms
// of the web thread per page on this machine (server/views/engine.ts, withoutIndentation). The
// 50-row queue sits just under that line in English and in Vietnamese; a 100-row queue, or longer
// names, went over it.
//
// How: `{{#eachInPieces rows}}…{{/eachInPieces}}` is `each`, except that it renders its items in
// groups and keeps each group's HTML aside, leaving a marker in the page; the page is then written
// group by group between the text around the markers (sendPage). A marker carries a random mark of
// its render: text from people is escaped (no "<" reaches the page from it), and even unescaped it
// could not guess the mark.
import express, { type Response } from 'express';
import Handlebars, { type HelperOptions } from 'handlebars';
import { randomHex } from '../support/random-hex.ts';

/** Items rendered into one piece: 20 queue rows are ~25,000 characters, well under the line. */
export const ITEMS_PER_PIECE = 20;
/** Where a render's pieces are kept: a key of the render's options (express passes them to the template as its root). */
export const PIECES = '__pagePieces';

export interface PagePieces {
  mark: string;
  list: string[];
}

export function newPagePieces(): PagePieces {
  return { mark: randomHex(8), list: [] };
}

function markerOf(mark: string, i: number): string {
  return `<!--piece:${mark}:${i}-->`;
}

/**
 * {{#eachInPieces list}}…{{else}}…{{/eachInPieces}}: Handlebars' `each` over an array (this, @index,
 * @first, @last, ../ and @root as there), written to the page in pieces when the page is sent by
 * res.render; elsewhere (a template rendered to a string) the same HTML in place.
 */
export function eachInPieces(this: unknown, list: unknown, options: HelperOptions): string {
  const items = Array.isArray(list) ? list : [];
  if (items.length === 0) return options.inverse(this);
  const pieces = (options.data?.root as Record<string, unknown> | undefined)?.[PIECES] as PagePieces | undefined;
  const frame = Handlebars.createFrame(options.data ?? {});
  let out = '';
  let group = '';
  for (let i = 0; i < items.length; i++) {
    frame.index = i;
    frame.first = i === 0;
    frame.last = i === items.length - 1;
    group += options.fn(items[i], { data: frame, blockParams: [items[i], i] });
    if (pieces && ((i + 1) % ITEMS_PER_PIECE === 0 || i === items.length - 1)) {
      out += markerOf(pieces.mark, pieces.list.length);
      pieces.list.push(group);
      group = '';
    }
  }
  return pieces ? out : group;
}

/** Sends a rendered page: in one write when it has no pieces, else the text and the pieces in turn. */
export function sendPage(res: Response, html: string, pieces: PagePieces): void {
  if (pieces.list.length === 0) {
    res.send(html);
    return;
  }
  const parts = html.split(new RegExp(`<!--piece:${pieces.mark}:(\\d+)-->`));
  // split() with a group: the text between markers at even places, each marker's number at odd ones.
  // Written as strings, not encoded to Buffers first: a Buffer of each ~25 KB piece is memory outside
  // the heap that V8 counts towards its collections, and an A/B run with them (session 30) had the
  // queue's p95 higher in 4 rounds of 4 though its CPU per page was lower (another run: 2 of 4; not
  // shown to be the cause, and the length pass they saved was small).
  const chunks = parts.map((p, i) => (i % 2 === 0 ? p : (pieces.list[Number(p)] ?? ''))).filter((c) => c.length > 0);
  if (!res.get('Content-Type')) res.type('html');
  res.set('Content-Length', String(chunks.reduce((n, c) => n + Buffer.byteLength(c), 0)));
  if (res.req.method === 'HEAD') {
    res.end();
    return;
  }
  // One write to the socket for them all: end() uncorks.
  res.cork();
  for (const c of chunks) res.write(c);
  res.end();
}

const baseRender = express.response.render as (this: Response, view: string, options?: object, callback?: (err: Error | null, html?: string) => void) => void;

/**
 * res.render for the app (app.response.render): a page rendered without a callback is sent by
 * sendPage, with the pieces its template kept aside; with a callback, as Express does.
 */
export function renderInPieces(this: Response, view: string, options?: unknown, callback?: unknown): void {
  if (typeof options === 'function') {
    callback = options;
    options = undefined;
  }
  if (typeof callback === 'function') {
    baseRender.call(this, view, options as object | undefined, callback as (err: Error | null, html?: string) => void);
    return;
  }
  const pieces = newPagePieces();
  baseRender.call(this, view, { ...(options as object | undefined), [PIECES]: pieces }, (err: Error | null, html?: string) => {
    if (err) this.req.next!(err);
    else sendPage(this, html ?? '', pieces);
  });
}
