// A small PDF text reader for the report tests: enough for what PDFKit writes (Flate-compressed
// content streams, Type0 fonts with 2-byte glyph ids and a ToUnicode CMap each). Returns the text of
// each text object (BT … ET) in drawing order, so a wrapped cell is consecutive pieces.
import { inflateSync } from 'node:zlib';

interface PdfObject {
  dict: string;
  stream?: Buffer;
}

function objects(pdf: Buffer): Map<number, PdfObject> {
  const raw = pdf.toString('latin1');
  const out = new Map<number, PdfObject>();
  const re = /(\d+) 0 obj\s*([\s\S]*?)endobj/g;
  for (let m = re.exec(raw); m; m = re.exec(raw)) {
    const body = m[2]!;
    const s = body.indexOf('stream');
    if (s < 0) {
      out.set(Number(m[1]), { dict: body });
      continue;
    }
    const dict = body.slice(0, s);
    let start = m.index + m[0].indexOf(body) + s + 'stream'.length;
    if (raw[start] === '\r') start++;
    if (raw[start] === '\n') start++;
    const len = Number(/\/Length (\d+)/.exec(dict)?.[1] ?? 0);
    let data = pdf.subarray(start, start + len);
    if (dict.includes('/FlateDecode')) data = inflateSync(data);
    out.set(Number(m[1]), { dict, stream: data });
  }
  return out;
}

function cmap(text: string): Map<number, string> {
  const map = new Map<number, string>();
  const hexStr = (h: string) => String.fromCodePoint(...(h.match(/.{4}/g) ?? []).map((x) => parseInt(x, 16)));
  for (const block of text.matchAll(/beginbfchar([\s\S]*?)endbfchar/g)) {
    for (const m of block[1]!.matchAll(/<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>/g)) map.set(parseInt(m[1]!, 16), hexStr(m[2]!));
  }
  for (const block of text.matchAll(/beginbfrange([\s\S]*?)endbfrange/g)) {
    for (const m of block[1]!.matchAll(/<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*(\[[^\]]*\]|<[0-9a-fA-F]+>)/g)) {
      const lo = parseInt(m[1]!, 16);
      const hi = parseInt(m[2]!, 16);
      const dst = m[3]!;
      if (dst.startsWith('[')) {
        // An entry may hold several UTF-16 units separated by spaces (a ligature: <0066 0066>).
        [...dst.matchAll(/<([0-9a-fA-F ]*)>/g)].forEach((d, i) => map.set(lo + i, hexStr(d[1]!.replace(/ /g, ''))));
      } else {
        const base = parseInt(dst.slice(1, -1), 16);
        for (let c = lo; c <= hi; c++) map.set(c, String.fromCodePoint(base + (c - lo)));
      }
    }
  }
  return map;
}

/** The text pieces of a PDFKit document, in drawing order. */
export function pdfTextPieces(pdf: Buffer): string[] {
  const objs = objects(pdf);
  // Font resource names (/F1 …) → the font's ToUnicode map.
  const fonts = new Map<string, Map<number, string>>();
  for (const o of objs.values()) {
    for (const m of o.dict.matchAll(/\/(F\d+) (\d+) 0 R/g)) {
      const font = objs.get(Number(m[2]));
      const toUni = font && /\/ToUnicode (\d+) 0 R/.exec(font.dict);
      const stream = toUni && objs.get(Number(toUni[1]))?.stream;
      if (stream) fonts.set(m[1]!, cmap(stream.toString('latin1')));
    }
  }
  const pieces: string[] = [];
  for (const o of objs.values()) {
    if (!o.stream) continue;
    const content = o.stream.toString('latin1');
    if (!/\bBT\b/.test(content)) continue;
    let font = new Map<number, string>();
    for (const bt of content.matchAll(/BT([\s\S]*?)ET/g)) {
      let text = '';
      for (const op of bt[1]!.matchAll(/\/(F\d+) [\d.]+ Tf|\[((?:<[0-9a-fA-F]*>|[-\d.\s])*)\] TJ|<([0-9a-fA-F]*)> Tj/g)) {
        if (op[1]) {
          font = fonts.get(op[1]) ?? new Map();
          continue;
        }
        const hexes = op[2] !== undefined ? [...op[2].matchAll(/<([0-9a-fA-F]*)>/g)].map((h) => h[1]!) : [op[3]!];
        for (const h of hexes) for (const g of h.match(/.{4}/g) ?? []) text += font.get(parseInt(g, 16)) ?? '';
      }
      if (text) pieces.push(text);
    }
  }
  return pieces;
}
