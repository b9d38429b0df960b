// Every page template is compiled with the options the view engine uses (server/views/engine.ts:
// known helpers only), so a template calling a helper that does not exist fails here, not as a 500
// on the first visit to a page no other test renders.
import { expect } from 'chai';
import { readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Handlebars from 'handlebars';
import { KNOWN_HELPERS, helpers, viewEngine, viewsDir, withTextsOf, withoutIndentation } from '../../server/views/engine.ts';
import { dayText, zoneOffsetMinutes } from '../../server/views/time.ts';

function templates(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? templates(path.join(dir, e.name)) : e.name.endsWith('.hbs') ? [path.join(dir, e.name)] : []));
}

describe('platform: page templates', () => {
  it('all compile with the known helpers only, and an unknown helper does not', () => {
    const files = templates(viewsDir);
    expect(files.length).to.be.greaterThan(100);
    const failed: string[] = [];
    for (const file of files) {
      try {
        Handlebars.precompile(readFileSync(file, 'utf8'), { knownHelpers: KNOWN_HELPERS, knownHelpersOnly: true });
      } catch (err) {
        failed.push(`${path.relative(viewsDir, file)}: ${(err as Error).message.split('\n')[0]}`);
      }
    }
    expect(failed).to.deep.equal([]);
    expect(() => Handlebars.precompile('{{formatt when}}', { knownHelpers: KNOWN_HELPERS, knownHelpersOnly: true })).to.throw(/unknown helper formatt/);
  });
});

describe('platform: page templates without their indentation', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'views-indent-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('drops every run of white space holding a line break to that line break, and nothing else', () => {
    expect(withoutIndentation('<ul>\n    <li>a  b</li> \t\r\n\n  <li>c</li>\n</ul>')).to.equal('<ul>\n<li>a  b</li>\n<li>c</li>\n</ul>');
  });

  it('renders pages without the templates’ indentation, keeping the white space of values (a textarea’s text)', async () => {
    const file = path.join(dir, 'page.hbs');
    await writeFile(file, '<div>\n    <textarea>{{text}}</textarea>\n    {{#each items}}\n      <p>{{this}}</p>\n    {{/each}}\n</div>\n');
    const html = await viewEngine().render(file, { text: 'line 1\n    indented', items: ['a', 'b'] }, { cache: false });
    expect(html).to.equal('<div>\n<textarea>line 1\n    indented</textarea>\n<p>a</p>\n<p>b</p>\n</div>');
  });
});

describe('platform: the view engine with the view cache on', () => {
  it('gathers the partials once and renders the same page as without the cache, with a render’s own partials still applied', async () => {
    const engine = viewEngine();
    const view = path.join(viewsDir, 'errors', 'error.hbs');
    const options = (cache: boolean) => ({ settings: { views: viewsDir }, cache, locale: 'en', title: 'Error', message: 'Not found', status: 404 }) as never;
    const uncached = await engine.renderView(view, options(false));
    expect(uncached).to.include('Not found');
    const first = await engine.getPartials({ cache: true });
    expect(await engine.getPartials({ cache: true })).to.equal(first); // one map, not gathered per render
    expect(Object.keys(first)).to.include.members(['flash', 'planner/case']);
    for (let i = 0; i < 3; i++) expect(await engine.renderView(view, options(true))).to.equal(uncached);
    // A render's own partials are merged into a copy: the kept map is unchanged.
    const keys = Object.keys(first).length;
    await engine.renderView(view, { ...(options(true) as object), partials: { extra: () => 'x' } } as never);
    expect(Object.keys(await engine.getPartials({ cache: true })).length).to.equal(keys);
  });
});

describe('platform: the date helper’s remembered days', () => {
  it('shows every instant as Intl does in Vietnam, before and after the zone’s last change, across local midnight, twice', () => {
    // One form per language ("5/12/2026", "5 Dec 2026": server/views/time.ts).
    const viParts = new Intl.DateTimeFormat('vi-VN', { day: 'numeric', month: 'numeric', year: 'numeric', timeZone: 'Asia/Ho_Chi_Minh' });
    const viDay = {
      format: (d: Date) => ['day', 'month', 'year'].map((type) => Number(viParts.formatToParts(d).find((p) => p.type === type)!.value)).join('/'),
    };
    const intl = (locale: string) => (locale === 'vi-VN' ? viDay : new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'Asia/Ho_Chi_Minh' }));
    const instants: number[] = [];
    for (let i = 0; i < 2000; i++) instants.push(Date.UTC(1950, 0, 1) + Math.floor(Math.random() * 150 * 365.25 * 86_400_000));
    for (const day of [Date.UTC(1975, 5, 12), Date.UTC(2026, 11, 3), Date.UTC(2000, 1, 29)]) {
      for (let h = 15; h <= 18; h++) for (const ms of [-1, 0, 1]) instants.push(day + h * 3_600_000 + ms);
    }
    for (const locale of ['vi-VN', 'en-GB'] as const) {
      for (let round = 0; round < 2; round++) {
        const wrong = instants.filter((t) => dayText(new Date(t), locale) !== intl(locale).format(new Date(t)));
        expect(wrong.map((t) => new Date(t).toISOString()), `${locale}, round ${round + 1}`).to.deep.equal([]);
      }
    }
    // The zone's offset, known without Intl since 1975, agrees with Intl's on the same instants.
    const intlOffset = (t: number) => new Intl.DateTimeFormat('en-US', { timeZone: 'Asia/Ho_Chi_Minh', timeZoneName: 'longOffset' }).formatToParts(new Date(t)).find((p) => p.type === 'timeZoneName')!.value;
    const offsetText = (m: number) => `GMT${m < 0 ? '-' : '+'}${String(Math.floor(Math.abs(m) / 60)).padStart(2, '0')}:${String(Math.abs(m) % 60).padStart(2, '0')}`;
    const offsetWrong = instants.filter((t) => offsetText(zoneOffsetMinutes(new Date(t))) !== intlOffset(t));
    expect(offsetWrong.map((t) => new Date(t).toISOString())).to.deep.equal([]);
  });
});

// A refused form's summary ({{> form-errors}}, public/js/form-errors.js) takes the focus and links to
// each `.field-error` that has an id: an error without one is left out of it, and a page showing
// errors without the summary leaves the focus on the page (the procedure and decision pages did).
describe('platform: form errors in the templates', () => {
  const files = templates(viewsDir).filter((f) => !/[/\\](partials|layouts|errors)[/\\]/.test(f));

  it('gives every error shown beside a field an id', () => {
    const missing: string[] = [];
    for (const file of files) {
      for (const m of readFileSync(file, 'utf8').matchAll(/<p class="field-error"([^>]*)>([^<]*)/g)) {
        if (/rror/.test(m[2]!) && !/\bid="/.test(m[1]!)) missing.push(`${path.relative(viewsDir, file)}: ${m[0]}`);
      }
    }
    expect(missing).to.deep.equal([]);
  });

  it('shows the shared summary on every page with a form that shows errors', () => {
    const without = files.filter((file) => {
      const source = readFileSync(file, 'utf8');
      return /\{\{#if [a-zA-Z]*[eE]rrors\.|error=[a-zA-Z.]*[eE]rrors\./.test(source) && !source.includes('{{> form-errors');
    });
    expect(without.map((f) => path.relative(viewsDir, f))).to.deep.equal([]);
  });
});

describe('platform: page texts written into the templates per language', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'views-texts-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  // Texts with what escaping must change (&, ', "), a missing key, a text with placeholders, a text
  // given to a partial and to a helper as an argument, inside a loop and a partial.
  const page = [
    '<p>{{t "calls.tracks.expert"}}|{{t \'accounts.roleChange.notStaff\'}}|{{ t "errors.unsafeInput" }}|{{t "no.such.key"}}|{{t "accounts.signin.disabled"}}</p>',
    '{{#each items}}<i title="{{t "common.appName"}}">{{this}} {{t "cases.show.actions"}}</i>{{/each}}',
    '{{> texts-part label=(t "cases.show.assignTo") other=(t "errors.unsafeInput")}}',
    '<b>{{concat (t "common.appName") "-" (t "calls.tracks.expert")}}</b>{{t "cases.show.dueAt" date="x"}}',
  ].join('\n');
  const partial = '<span>{{label}}|{{other}}|{{t "cases.queue.unassigned"}}</span>';

  it('renders what the t helper renders, in either language, from the page, a loop and a partial', async () => {
    const file = path.join(dir, 'page.hbs');
    await writeFile(file, page);
    await writeFile(path.join(dir, 'texts-part.hbs'), partial);
    const engine = viewEngine();
    const helperOnly = Handlebars.create();
    const expected = (locale: string) =>
      helperOnly.compile(withoutIndentation(page), { knownHelpers: KNOWN_HELPERS, knownHelpersOnly: true })({ locale, items: ['a', 'b'] }, { helpers, partials: { 'texts-part': helperOnly.compile(partial) } });
    for (const locale of ['vi', 'en', 'en', 'vi', undefined]) {
      const html = await engine.render(file, { locale, items: ['a', 'b'] }, { cache: true, partials: { 'texts-part': await engine.getTemplate(path.join(dir, 'texts-part.hbs'), { cache: true }) } } as never);
      expect(html).to.equal(expected(locale ?? 'vi').trim());
    }
    expect(await engine.render(file, { locale: 'en', items: [] }, { cache: true, partials: { 'texts-part': () => '' } } as never)).to.include('S&amp;T expert');
  });

  it('writes plain texts in, escaped as the helper escapes them, and leaves any other call to the helper', () => {
    const en = withTextsOf(page, 'en');
    expect(en).to.include('S&amp;T expert (Decree 249/2025)');
    expect(en).to.include('An applicant&#x27;s role cannot be changed');
    expect(en).to.include('(starting with &quot;$&quot;');
    expect(en).to.include('label="Assign to"');
    // A text with a quote cannot be a string literal; one with braces could read as template syntax; one with values is rendered each time.
    expect(en).to.include('other=(t "errors.unsafeInput")');
    expect(en).to.include('{{t "accounts.signin.disabled"}}');
    expect(en).to.include('{{t "cases.show.dueAt" date="x"}}');
    expect(withTextsOf(page, 'vi')).to.include('KH&amp;CN');
    expect(withTextsOf('{{{t "common.appName"}}}', 'en')).to.equal('{{{t "common.appName"}}}');
  });
});
