// server/views/pieces.ts: `eachInPieces` renders what `each` renders; in a page sent by res.render its
// groups are kept aside and written in turn (the queue's HTTP test: test/cases/queue.test.ts).
import { expect } from 'chai';
import Handlebars from 'handlebars';
import { helpers } from '../../server/views/engine.ts';
import { ITEMS_PER_PIECE, PIECES, newPagePieces } from '../../server/views/pieces.ts';

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
});
