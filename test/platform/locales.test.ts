import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { i18n, loadResources, localesDir, translate, translator, LOCALES } from '../../server/i18n/index.ts';
import { emailsDir } from '../../server/mail/templates.ts';
import { comparableKeys, pluralFormsAmiss } from '../support/locale-keys.ts';

function keys(obj: unknown, prefix = ''): string[] {
  if (!obj || typeof obj !== 'object') return [prefix];
  return Object.entries(obj as Record<string, unknown>).flatMap(([k, v]) => keys(v, prefix ? `${prefix}.${k}` : k));
}

describe('platform: translations', () => {
  const res = loadResources();

  it('has the same keys in Vietnamese and English (a plural once, whatever its forms)', () => {
    const vi = new Set(comparableKeys(keys(res.vi)));
    const en = new Set(comparableKeys(keys(res.en)));
    expect([...en].filter((k) => !vi.has(k)), 'missing in vi').to.deep.equal([]);
    expect([...vi].filter((k) => !en.has(k)), 'missing in en').to.deep.equal([]);
  });

  // English says "1 day", "2 days" (`_one`, `_other`); Vietnamese "1 ngày", "2 ngày" (`_other` only:
  // i18next never looks a Vietnamese `_one` up, so a text there would be one nobody reads).
  it('writes each plural in the forms its language has: English one and other, Vietnamese other only', () => {
    expect(pluralFormsAmiss(keys(res.en), 'en'), 'en').to.deep.equal({});
    expect(pluralFormsAmiss(keys(res.vi), 'vi'), 'vi').to.deep.equal({});
    expect(Object.keys(pluralFormsAmiss(['a_one', 'a_other', 'b_other'], 'en'))).to.deep.equal(['b']);
    expect(Object.keys(pluralFormsAmiss(['a_one', 'a_other', 'b_other'], 'vi'))).to.deep.equal(['a']);
  });

  it('names each track the same way wherever it is named (calls, dashboard, shortlists)', () => {
    for (const lng of ['vi', 'en'] as const) {
      const r = res[lng] as unknown as { calls: { tracks: Record<string, string> }; dashboard: { tracks: Record<string, string> } };
      expect(r.dashboard.tracks, lng).to.deep.equal(r.calls.tracks);
    }
  });

  // The screening stage had two Vietnamese names: "sơ tuyển" on staff pages, "sơ duyệt" in e-mails,
  // the mail log and the applicant's next step. It is "sơ tuyển" (screening candidates) everywhere.
  it('names the screening stage "sơ tuyển" in every Vietnamese text and e-mail template, never "sơ duyệt"', () => {
    const files = [
      ...readdirSync(path.join(localesDir, 'vi')).map((f) => path.join(localesDir, 'vi', f)),
      ...readdirSync(emailsDir, { recursive: true, encoding: 'utf8' })
        .filter((f) => /(^|[/\\.])vi\.[^/\\]*hbs$/.test(f))
        .map((f) => path.join(emailsDir, f)),
    ];
    expect(files.filter((f) => f.includes(`${path.sep}emails${path.sep}`)).length, 'vi e-mail templates found').to.be.greaterThan(30);
    const other = /s[ơo]\s+duy[ệe]t/iu;
    const found = files.flatMap((f) =>
      readFileSync(f, 'utf8')
        .normalize('NFC')
        .split('\n')
        .flatMap((line, i) => (other.test(line) ? [`${path.relative(process.cwd(), f)}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(found).to.deep.equal([]);
    expect(translate('vi', 'workflow.stages.screening')).to.match(/sơ tuyển/i);
    expect(translate('vi', 'cases.stages.screening')).to.match(/sơ tuyển/i);
  });

  // "1 working day(s) left", "2 overdue case(s)": a count is written through a plural instead.
  it('writes no English count as "(s)", in the texts or the e-mail templates', () => {
    const texts = keys(res.en).map((k) => [k, k.split('.').reduce<unknown>((o, p) => (o as Record<string, unknown>)?.[p], res.en)] as const);
    expect(texts.filter(([, v]) => typeof v === 'string' && /\w\(s\)/.test(v)).map(([k]) => k)).to.deep.equal([]);
    const templates = readdirSync(emailsDir, { recursive: true, encoding: 'utf8' }).filter((f) => /(^|[/\\.])en\.[^/\\]*hbs$/.test(f));
    expect(templates.length, 'en e-mail templates found').to.be.greaterThan(30);
    expect(templates.filter((f) => /\w\(s\)/.test(readFileSync(path.join(emailsDir, f), 'utf8')))).to.deep.equal([]);
  });

  it('has no empty strings', () => {
    for (const lng of ['vi', 'en'] as const) {
      const empty = keys(res[lng]).filter((k) => {
        const v = k.split('.').reduce<unknown>((o, p) => (o as Record<string, unknown>)?.[p], res[lng]);
        return typeof v === 'string' && v.trim() === '';
      });
      expect(empty, lng).to.deep.equal([]);
    }
  });

  // translate() renders texts with plain {{name}} placeholders itself (server/i18n/index.ts): for
  // every key of both languages, with every kind of value and with values missing, it must give
  // exactly what i18next gives.
  it('renders every text exactly as i18next does, with values of every kind and values missing', () => {
    const checked = { fast: 0, all: 0 };
    for (const lng of LOCALES) {
      const viaI18next = i18n().getFixedT(lng);
      const t = translator(lng);
      for (const key of keys(res[lng])) {
        const raw = key.split('.').reduce<unknown>((o, p) => (o as Record<string, unknown>)?.[p], res[lng]);
        if (typeof raw !== 'string') continue;
        const names = [...raw.matchAll(/\{\{([^{}]*)\}\}/g)].map((m) => m[1]!.trim());
        const variants: Array<Record<string, unknown>> = [
          Object.fromEntries(names.map((n) => [n, `«${n}»`])),
          Object.fromEntries(names.map((n, i) => [n, i % 2 ? 42 : 'Nguyễn Thị Lan'])),
          Object.fromEntries(names.map((n) => [n, 0])),
          Object.fromEntries(names.map((n) => [n, true])),
          Object.fromEntries(names.slice(1).map((n) => [n, 'x'])), // the first one missing
          { unused: 'not in the text', ...Object.fromEntries(names.map((n) => [n, '{{nested}} $t(cases.title)'])) },
          Object.fromEntries(names.map((n) => [n, null])),
          Object.fromEntries(names.map((n) => [n, new Date('2026-03-16T03:00:00Z')])),
        ];
        for (const params of variants) {
          if (Object.keys(params).length === 0) continue;
          checked.all++;
          const expected = viaI18next(key, { ...params });
          expect(translate(lng, key, { ...params }), `${lng} ${key} ${JSON.stringify(params)}`).to.equal(expected);
          expect(t(key, { ...params }), `${lng} ${key} via translator`).to.equal(expected);
        }
        expect(t(key), `${lng} ${key} without values`).to.equal(viaI18next(key));
        checked.fast++;
      }
    }
    expect(checked.fast).to.be.greaterThan(1000);
    expect(checked.all).to.be.greaterThan(1000);
  });
  // A text with formats ({{max, number}}) is i18next's to render; its answer for short plain values is remembered (server/i18n/index.ts formattedTexts).
  it('gives a formatted text as i18next does each time it is asked, for each value and kind of value', () => {
    for (const lng of LOCALES) {
      const viaI18next = i18n().getFixedT(lng);
      for (const params of [{ max: 5000 }, { max: 2000 }, { max: '5000' }, { max: 12345.5 }, { max: true }, { used: '__USED__', max: 5000 }, { used: 3, max: 5000 }, { used: 'x'.repeat(41), max: 5000 }, { used: new Date('2026-03-16T03:00:00Z'), max: 1 }, { max: Number.NaN }]) {
        for (const key of ['common.charLimit', 'common.charCount']) {
          const expected = viaI18next(key, { ...params });
          for (let i = 0; i < 3; i++) expect(translate(lng, key, { ...params }), `${lng} ${key} ${JSON.stringify(params)} #${i + 1}`).to.equal(expected);
        }
      }
      expect(translate(lng, 'common.charLimit', { max: 5000 })).to.not.equal(translate(lng, 'common.charLimit', { max: 2000 }));
    }
    expect(translate('en', 'common.charLimit', { max: 5000 })).to.equal('At most 5,000 characters.');
    expect(translate('vi', 'common.charLimit', { max: 5000 })).to.equal('Tối đa 5.000 ký tự.');
  });
  it('renders plurals (every count form) and defaults exactly as i18next does; leaves other options and arrays of keys to it', () => {
    let plurals = 0;
    for (const lng of LOCALES) {
      const t = translator(lng);
      const viaI18next = i18n().getFixedT(lng);
      const bases = new Set(keys(res[lng]).filter((k) => /_(zero|one|two|few|many|other)$/.test(k)).map((k) => k.replace(/_(zero|one|two|few|many|other)$/, '')));
      for (const base of bases) {
        for (const count of [0, 1, 2, 3, 5, 11, 21, 100, 1.5, -1]) {
          const params = { count, name: 'Lan', date: '01/02/2027', kind: 'Visa', n: 3, days: 4 };
          expect(t(base, { ...params }), `${lng} ${base} ${count}`).to.equal(viaI18next(base, { ...params }));
          expect(t(base, { ...params, defaultValue: 'x' }), `${lng} ${base} ${count} with a default`).to.equal(viaI18next(base, { ...params, defaultValue: 'x' }));
          plurals++;
        }
      }
      // A default applies to a missing key only.
      expect(t('no.such.key', { defaultValue: 'fallback' })).to.equal('fallback');
      // Remembered per key and default (a history action without a label): the same answer each time, each default its own.
      expect(t('no.such.key', { defaultValue: 'fallback' })).to.equal('fallback');
      expect(t('no.such.key', { defaultValue: 'other' })).to.equal('other');
      expect(t('no.such.{{key}}', { defaultValue: 'a {{b}}' })).to.equal(viaI18next('no.such.{{key}}', { defaultValue: 'a {{b}}' }));
      expect(t('cases.stages.screening', { defaultValue: 'screening' })).to.equal(viaI18next('cases.stages.screening'));
      expect(t(['no.such.key', 'cases.stages.screening'])).to.equal(viaI18next(['no.such.key', 'cases.stages.screening']));
      expect(t('cases.stages.screening', { context: 'x', count: 1 })).to.equal(viaI18next('cases.stages.screening', { context: 'x', count: 1 }));
    }
    expect(plurals).to.be.greaterThan(40);
  });
});
