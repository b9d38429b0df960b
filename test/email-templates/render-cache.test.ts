// The render path's use of edited templates, without HTTP: the current versions are read once and
// cached (no query per e-mail in the dispatcher's loop), a save in this process is seen at once,
// and a stored version that cannot render falls back to the built-in template.
import { expect } from 'chai';
import mongoose, { Types } from 'mongoose';
import { testDatabase } from '../support/app.ts';
import { EmailTemplate } from '../../models/email-template.ts';
import { renderEmail } from '../../server/mail/render.ts';
import { builtinParts, invalidateOverrides } from '../../server/mail/templates.ts';

// A template no other test file edits.
const T = 'withdrawn';
const data = { name: 'Vũ Minh', reference: 'TA-2026-000777', link: 'https://talent.example/applications/1', callTitle: { vi: 'Kỹ sư', en: 'Engineer' } };

describe('e-mail templates: the render path caches the edited versions', () => {
  before(async () => {
    await testDatabase();
    await EmailTemplate.deleteMany({ template: T });
    invalidateOverrides();
  });
  after(async () => {
    mongoose.set('debug', false);
    await EmailTemplate.deleteMany({ template: T });
    invalidateOverrides();
  });

  const save = (version: number, parts: Partial<Record<'subject' | 'text' | 'html', string>>, kind: 'edit' | 'builtin' = 'edit') =>
    EmailTemplate.create({ template: T, locale: 'vi', version, kind, subject: '', text: '', html: '', ...parts, savedBy: new Types.ObjectId(), savedAt: new Date() });

  it('reads the collection once for many e-mails, and again only after a save', async () => {
    await save(1, { subject: 'V1 {{reference}}', text: 'Chào {{name}}', html: '<p>{{name}}</p>' });
    invalidateOverrides();
    let queries = 0;
    mongoose.set('debug', (collection: string) => {
      if (collection === EmailTemplate.collection.collectionName) queries += 1;
    });
    for (let i = 0; i < 200; i++) {
      const r = await renderEmail(T, 'vi', data);
      expect(r.subject).to.equal('V1 TA-2026-000777');
    }
    expect(queries, 'queries for 200 e-mails').to.equal(1);
    await save(2, { subject: 'V2 {{reference}}', text: 'x', html: '<p>x</p>' });
    invalidateOverrides(); // what saveEmailTemplate does
    queries = 0;
    for (let i = 0; i < 50; i++) expect((await renderEmail(T, 'vi', data)).subject).to.equal('V2 TA-2026-000777');
    expect(queries, 'queries after the save').to.equal(1);
    // English was never edited: the built-in files.
    const en = await renderEmail(T, 'en', data);
    expect(en.version).to.equal(0);
    mongoose.set('debug', false);
  });

  it('falls back to the built-in template when a stored version cannot render, and says so', async () => {
    await save(3, { subject: 'Broken {{#if reference}}', text: 'x', html: 'x' });
    invalidateOverrides();
    const r = await renderEmail(T, 'vi', data);
    expect(r.version).to.equal(0);
    expect(r.fellBack).to.be.a('string');
    const builtin = builtinParts(T, 'vi').subject.replace('{{reference}}', data.reference).trim();
    expect(r.subject).to.equal(builtin);
    // "Back to built-in" as the newest version: the files again, no fallback.
    await save(4, {}, 'builtin');
    invalidateOverrides();
    const b = await renderEmail(T, 'vi', data);
    expect(b.version).to.equal(0);
    expect(b.fellBack).to.equal(undefined);
    // An earlier version can still be rendered by number (the mail log shows what was sent).
    expect((await renderEmail(T, 'vi', data, { version: 1 })).subject).to.equal('V1 TA-2026-000777');
  });

  it('sends the built-in template when an edit no longer fits the data (a variable the e-mail no longer has), and renders it by number as it was', async () => {
    // Saved when the e-mail had a `certificate` field (the certificate planner now sends a list of windows).
    await save(5, { subject: 'Giấy tờ {{certificate}} {{reference}}', text: 'Chào {{name}}: {{certificate}}', html: '<p>{{certificate}}</p>' });
    invalidateOverrides();
    const r = await renderEmail(T, 'vi', data);
    expect(r.version).to.equal(0);
    expect(r.fellBack).to.match(/no longer fits/);
    expect(r.fellBack).to.include('certificate');
    expect(r.subject).to.equal(builtinParts(T, 'vi').subject.replace('{{reference}}', data.reference).trim());
    // The mail log asks for the version that was sent: as it was.
    expect((await renderEmail(T, 'vi', data, { version: 5 })).subject).to.equal('Giấy tờ TA-2026-000777'); // the subject's spaces collapse
    const fits = await renderEmail(T, 'en', data);
    expect(fits.fellBack).to.equal(undefined);
  });
});
