// An edited template whose built-in template changed after it (a release added a line or a
// variable), over real HTTP: each save remembers the built-in template it was written against; the
// list, the editor and the administration page say when that one has changed since, the editor shows
// what changed (or, for edits saved before this was kept, the edit beside the built-in template as
// it is now), and the administrator keeps the edit (a new version, reviewed), goes back to the
// built-in one, or changes it. What an edit leaves out that the e-mail must carry (a date to act by)
// is said too. Hostile names, bodies and missing CSRF tokens change nothing.
import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/app.ts';
import { agent, csrfFrom, submitForm, type Agent } from '../support/http.ts';
import { createUser, signIn } from '../support/factories.ts';
import { EmailTemplate } from '../../models/email-template.ts';
import { AuditEvent } from '../../models/audit-event.ts';
import type { UserDoc } from '../../models/user.ts';
import { renderEmail } from '../../server/mail/render.ts';
import { builtinHash, builtinParts, ESSENTIAL_VARIABLES, invalidateOverrides, listTemplateNames, missingEssentials, sampleData, type TemplateParts } from '../../server/mail/templates.ts';
import { lineDiff, withContext } from '../../server/support/line-diff.ts';

// One template for this file alone: offer_made, whose built-in template gained `termsPending`.
const T = 'offer_made';
const URL_EN = `/admin/email-templates/${T}/en`;
const URL_VI = `/admin/email-templates/${T}/vi`;

/** offer_made as it was before it said "HR is still preparing the terms" (its {{#if termsPending}} branch). */
function olderBuiltin(locale: 'en' | 'vi'): TemplateParts {
  const now = builtinParts(T, locale);
  // Without the branch and its closing tag (the last one of the part).
  const drop = (s: string) => {
    const cut = s.replace(/\{\{#if termsPending\}\}[\s\S]*?\{\{else\}\}/, '');
    const end = cut.lastIndexOf('{{/if}}');
    return cut.slice(0, end) + cut.slice(end + '{{/if}}'.length);
  };
  return { subject: now.subject, text: drop(now.text), html: drop(now.html) };
}
const hashOf = (p: TemplateParts) => createHash('sha256').update(JSON.stringify([p.subject, p.text, p.html])).digest('hex');

describe('e-mail templates: an edit whose built-in template changed after it', function () {
  this.timeout(60_000);
  let t: TestApp;
  let admin: Agent;
  let adminVi: Agent;
  let adminUser: UserDoc;

  const head = async (locale: 'en' | 'vi' = 'en') => EmailTemplate.findOne({ template: T, locale }).sort({ version: -1 }).lean();
  const headVersion = async (locale: 'en' | 'vi' = 'en') => (await head(locale))?.version ?? 0;
  /** A version stored directly, as a release finds it: written against `base` (none: before bases were kept). */
  const storeEdit = async (locale: 'en' | 'vi', parts: TemplateParts, base?: TemplateParts) => {
    const version = (await headVersion(locale)) + 1;
    await EmailTemplate.create({ template: T, locale, version, kind: 'edit', ...parts, ...(base ? { base: { hash: hashOf(base), ...base } } : {}), savedBy: adminUser._id, savedByName: 'Earlier admin', savedAt: new Date() });
    invalidateOverrides();
    return version;
  };
  const page = (a: Agent, url: string) => a.get(url).set('Accept', 'text/html');
  const box = (html: string, id: string) => new RegExp(`id="${id}"[\\s\\S]*?</div>`).exec(html)?.[0] ?? '';
  const driftBox = (html: string) => /<section class="flash flash-warning template-drift" id="template-drift"[\s\S]*?<\/section>/.exec(html)?.[0] ?? '';

  before(async () => {
    t = await startTestApp();
    await EmailTemplate.deleteMany({ template: T });
    invalidateOverrides();
    adminUser = await createUser({ role: 'admin', locale: 'en' });
    admin = agent(t.app);
    await signIn(admin, adminUser);
    adminVi = agent(t.app);
    await signIn(adminVi, await createUser({ role: 'admin', locale: 'vi' }));
  });
  after(async () => {
    await EmailTemplate.deleteMany({ template: T });
    invalidateOverrides();
    await t?.close();
  });

  it('stores with a save the built-in template it was written against, and flags nothing while that one is unchanged', async () => {
    const typed = { ...builtinParts(T, 'en'), subject: 'Our offer {{reference}}' };
    const res = await submitForm(admin, URL_EN, { ...typed, op: 'save', reference: '', baseVersion: '0' });
    expect(res.status, res.text.slice(0, 300)).to.equal(303);
    const saved = (await head())!;
    expect(saved.base?.hash).to.equal(builtinHash(T, 'en'));
    expect(saved.base?.text).to.equal(builtinParts(T, 'en').text);
    const editor = await page(admin, URL_EN);
    expect(editor.status).to.equal(200);
    expect(editor.text).to.not.include('id="template-drift"');
    expect(editor.text).to.not.include('id="template-essentials"');
    const list = await page(admin, '/admin/email-templates');
    expect(list.text).to.not.match(new RegExp(`data-drift href="/admin/email-templates/${T}/en`));
  });

  it('flags an edit written against an older built-in template on the list, the administration page and the editor, with what changed', async () => {
    const old = olderBuiltin('en');
    expect(hashOf(old)).to.not.equal(builtinHash(T, 'en'));
    await storeEdit('en', { ...old, subject: 'Offer for you {{reference}}' }, old);

    const list = await page(admin, '/admin/email-templates');
    expect(list.text).to.include(`data-drift href="/admin/email-templates/${T}/en#template-drift">built-in changed</a>`);
    expect(list.text).to.not.include(`data-drift href="/admin/email-templates/${T}/vi`);
    expect(list.text).to.match(/id="templates-to-review">\d+ edits? (was|were) written against a built-in template that has changed since/);
    const index = await page(admin, '/admin');
    expect(index.text).to.match(/id="templates-to-review"><a class="badge err" href="\/admin\/email-templates">\d+ edits? to review<\/a>/);

    const editor = await page(admin, URL_EN);
    const drift = driftBox(editor.text);
    expect(drift).to.include('The built-in template changed after your edit');
    expect(drift).to.include('What changed in the built-in template');
    // The line the release added, marked as added; the subject did not change, so it is not shown.
    const added = [...drift.matchAll(/<span class="diff-added">\+ ([^<]*)<\/span>/g)].map((m) => m[1]);
    expect(added.join('\n')).to.include('{{#if termsPending}}The HR office is preparing your offer&#x27;s terms');
    expect(drift).to.include('data-part="Text"').and.include('data-part="HTML"').and.not.include('data-part="Subject"');
    expect(drift).to.include('action="/admin/email-templates/offer_made/en/keep"').and.include(`name="seen" value="${builtinHash(T, 'en')}"`);
    expect(drift).to.include('action="/admin/email-templates/offer_made/en/revert"');
    // The edit is still what is sent, with the line it leaves out added after its text (the applicant
    // must read it: test/email-templates/essential-facts.test.ts), and the editor says what it leaves out.
    const sent = await renderEmail(T, 'en', { ...sampleData(T), termsPending: true });
    expect(sent.subject).to.match(/^Offer for you /);
    expect(sent.version).to.be.greaterThan(0);
    expect(sent.text.split('preparing your offer').length - 1, 'added once, after the edit').to.equal(1);
    expect(sent.text.indexOf('preparing your offer')).to.be.greaterThan(sent.text.indexOf('Talent Programme'));
    const essentials = box(editor.text, 'template-essentials');
    expect(essentials).to.include('Text: does not use {{termsPending}}, which this e-mail must carry');
    expect(essentials).to.include('HTML: does not use {{termsPending}}');
    expect(essentials).to.not.include('{{dueAt}}');

    const vi = await page(adminVi, URL_EN);
    expect(driftBox(vi.text)).to.include('Mẫu có sẵn đã thay đổi sau khi bản sửa được lưu').and.include('Giữ bản sửa của tôi');
    expect(box(vi.text, 'template-essentials')).to.include('Văn bản: không dùng {{termsPending}}, thông tin thư này phải có');
    expect((await page(adminVi, '/admin')).text).to.match(/\d+ bản sửa cần xem lại/);
  });

  it('keeps the edit as a new version reviewed against the built-in template as it is now (audited); refuses a stale page, a changed built-in one and a missing token', async () => {
    const before = await head();
    const editor = await page(admin, URL_EN);
    const token = csrfFrom(editor.text);
    const keep = (body: Record<string, string>) => admin.post(`${URL_EN}/keep`).type('form').set('Accept', 'text/html').send(body);
    const seen = builtinHash(T, 'en');

    expect((await admin.post(`${URL_EN}/keep`).type('form').set('Accept', 'text/html').send({ baseVersion: String(before!.version), seen })).status).to.equal(403);
    expect((await keep({ _csrf: token, baseVersion: String(before!.version), seen: 'a'.repeat(64) })).status).to.equal(409);
    expect((await keep({ _csrf: token, baseVersion: String(before!.version - 1), seen })).status).to.equal(409);
    const hostile = await admin.post(`${URL_EN}/keep`).type('form').set('Accept', 'text/html').send(`_csrf=${encodeURIComponent(token)}&baseVersion=${before!.version}&seen[$ne]=x`);
    expect(hostile.status).to.be.oneOf([400, 303]);
    const garbled = await keep({ _csrf: token, baseVersion: 'x', seen });
    expect(garbled.status).to.equal(303);
    expect((await page(admin, URL_EN)).text).to.include('This edit could not be kept: reload the page and try again.');
    expect((await head())!.version).to.equal(before!.version);

    const res = await keep({ _csrf: token, baseVersion: String(before!.version), seen });
    expect(res.status).to.equal(303);
    const kept = (await head())!;
    expect(kept).to.include({ version: before!.version + 1, kind: 'kept', revertedFrom: before!.version, subject: before!.subject, text: before!.text, html: before!.html });
    expect(kept.base?.hash).to.equal(seen);
    expect(await AuditEvent.exists({ action: 'email_template.keep', targetId: `${T}:en` })).to.not.equal(null);
    const after = await page(admin, URL_EN);
    expect(after.text).to.include('Your edit is kept as a new version');
    expect(after.text).to.not.include('id="template-drift"');
    expect(after.text).to.include(`version ${before!.version} kept after the built-in template changed`);
    // Still said: what it leaves out is not a matter of the built-in template's changes.
    expect(after.text).to.include('id="template-essentials"');
    expect((await page(admin, '/admin/email-templates')).text).to.not.include(`data-drift href="/admin/email-templates/${T}/en`);
    // Keeping again: nothing to do, no version.
    const again = await keep({ _csrf: csrfFrom(after.text), baseVersion: String(kept.version), seen });
    expect(again.status).to.equal(303);
    expect((await page(admin, URL_EN)).text).to.include('already written against the built-in template as it is now');
    expect((await head())!.version).to.equal(kept.version);
  });

  it('shows an edit saved before bases were kept beside the built-in template as it is now, and goes back to the built-in one from there', async () => {
    const version = await storeEdit('vi', { subject: 'Thư mời {{reference}}', text: 'Kính gửi {{name}},\nVui lòng trả lời trước ngày {{date dueAt}}.\n{{link}}', html: '<p>{{name}} {{date dueAt}}</p>' });
    const editor = await page(adminVi, URL_VI);
    const drift = driftBox(editor.text);
    expect(drift).to.include('nên không biết những gì đã thay đổi');
    expect(drift).to.include('<pre class="mail-text" data-side="edit">Kính gửi {{name}},');
    expect(drift).to.include(`<pre class="mail-text" data-side="builtin">${builtinParts(T, 'vi').subject.trim()}`.slice(0, 60));
    expect(drift).to.not.include('class="template-diff"');
    const en = await page(admin, URL_VI);
    expect(driftBox(en.text)).to.include('what changed since is not known');

    const res = await submitForm(adminVi, URL_VI, { toVersion: '0', baseVersion: String(version) }, `${URL_VI}/revert`);
    expect(res.status).to.equal(303);
    expect((await head('vi'))!.kind).to.equal('builtin');
    expect((await page(adminVi, URL_VI)).text).to.not.include('id="template-drift"');
    // Back to that edit: a copy of what it was written against (unknown), so flagged again.
    await submitForm(adminVi, URL_VI, { toVersion: String(version), baseVersion: String(version + 1) }, `${URL_VI}/revert`);
    const copy = (await head('vi'))!;
    expect(copy).to.include({ kind: 'revert', revertedFrom: version });
    expect(copy.base).to.equal(undefined);
    expect((await page(adminVi, URL_VI)).text).to.include('id="template-drift"');
  });

  it('copies with a revert the built-in template its source was written against', async () => {
    const current = (await head())!;
    const earlier = (await EmailTemplate.findOne({ template: T, locale: 'en', kind: 'edit', 'base.hash': { $ne: builtinHash(T, 'en') } }).lean())!;
    await submitForm(admin, URL_EN, { toVersion: String(earlier.version), baseVersion: String(current.version) }, `${URL_EN}/revert`);
    const copy = (await head())!;
    expect(copy.base?.hash).to.equal(earlier.base?.hash);
    expect(driftBox((await page(admin, URL_EN)).text)).to.include('What changed in the built-in template');
  });

  it('will not keep an edit that no longer fits the e-mail’s data: it is to be corrected', async () => {
    const version = await storeEdit('en', { subject: 'Old {{arrivalDate}}', text: '{{arrivalDate}} {{dueAt}} {{termsPending}}', html: '<p>{{arrivalDate}} {{dueAt}} {{termsPending}}</p>' });
    const editor = await page(admin, URL_EN);
    expect(editor.text).to.include('id="template-misfit"').and.include('id="template-drift"');
    const res = await admin.post(`${URL_EN}/keep`).type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(editor.text), baseVersion: String(version), seen: builtinHash(T, 'en') });
    expect(res.status).to.equal(303);
    expect((await page(admin, URL_EN)).text).to.include('This edit no longer fits the e-mail’s data, so it cannot be kept as it is');
    expect((await head())!.version).to.equal(version);
  });

  it('says what a typed draft leaves out (preview and save), in both languages, and saves it all the same', async () => {
    const v = await headVersion();
    const typed = { subject: 'Offer {{reference}}', text: 'Dear {{name}}, {{#if termsPending}}terms soon{{/if}} {{link}}', html: '<p>{{name}}{{#if termsPending}} terms soon{{/if}}</p>' };
    const preview = await submitForm(admin, URL_EN, { ...typed, op: 'preview', reference: '', baseVersion: String(v) });
    expect(preview.status).to.equal(200);
    const said = box(preview.text, 'template-essentials');
    expect(said).to.include('Text: does not use {{dueAt}}').and.include('HTML: does not use {{dueAt}}').and.not.include('termsPending');
    const vi = await submitForm(adminVi, URL_EN, { ...typed, op: 'preview', reference: '', baseVersion: String(v) });
    expect(box(vi.text, 'template-essentials')).to.include('HTML: không dùng {{dueAt}}');
    // Not beside a refusal (unreadable text would seem to leave out everything).
    const broken = await submitForm(admin, URL_EN, { ...typed, text: '{{#if name}}open', op: 'preview', reference: '', baseVersion: String(v) });
    expect(broken.status).to.equal(422);
    expect(broken.text).to.not.include('id="template-essentials"');
    const saved = await submitForm(admin, URL_EN, { ...typed, op: 'save', reference: '', baseVersion: String(v) });
    expect(saved.status).to.equal(303);
    const after = await page(admin, URL_EN);
    expect(box(after.text, 'template-essentials')).to.include('{{dueAt}}');
    expect(after.text).to.not.include('id="template-drift"');
    expect((await page(admin, '/admin/email-templates')).text).to.include(`data-care href="/admin/email-templates/${T}/en">check it</a>`);
  });

  it('answers 404 for hostile and unknown template names on every address, with a valid token, writing nothing', async () => {
    const count = await EmailTemplate.countDocuments({});
    const token = csrfFrom((await page(admin, URL_EN)).text);
    for (const name of ['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'nope', 'layout.en.html', 'toString']) {
      for (const suffix of ['', '/preview']) {
        const res = await page(admin, `/admin/email-templates/${name}/en${suffix}`);
        expect(res.status, `GET ${name}${suffix}`).to.equal(404);
      }
      for (const [suffix, body] of [
        ['', { op: 'save', subject: 'x', text: 'x', html: 'x', baseVersion: '0' }],
        ['/revert', { toVersion: '0', baseVersion: '0' }],
        ['/revert', { toVersion: 'x' }],
        ['/keep', { baseVersion: '0', seen: builtinHash(T, 'en') }],
        ['/keep', {}],
      ] as const) {
        const res = await admin.post(`/admin/email-templates/${name}/en${suffix}`).type('form').set('Accept', 'text/html').send({ _csrf: token, ...body });
        expect(res.status, `POST ${name}${suffix} ${JSON.stringify(body)}`).to.equal(404);
      }
    }
    expect(await EmailTemplate.countDocuments({})).to.equal(count);
    // Only administrators keep an edit.
    const hr = agent(t.app);
    await signIn(hr, await createUser({ role: 'hr_officer' }));
    const home = await page(hr, '/account');
    expect((await hr.post(`${URL_EN}/keep`).type('form').set('Accept', 'text/html').send({ _csrf: csrfFrom(home.text), baseVersion: '1', seen: builtinHash(T, 'en') })).status).to.equal(403);
  });

  it('names only essential variables each built-in template carries in its text and its HTML, in both languages', () => {
    const names = listTemplateNames();
    for (const [template, vars] of Object.entries(ESSENTIAL_VARIABLES)) {
      expect(names, template).to.include(template);
      expect(vars.length, template).to.be.greaterThan(0);
      for (const locale of ['vi', 'en'] as const) expect(missingEssentials(template, builtinParts(template, locale)), `${template} ${locale}`).to.deep.equal([]);
    }
    expect(missingEssentials('constructor', builtinParts(T, 'en'))).to.deep.equal([]);
  });

  it('diffs lines as kept, removed and added, in order', () => {
    expect(lineDiff('a\nb\nc', 'a\nx\nc\nd')).to.deep.equal([
      { op: 'same', line: 'a' },
      { op: 'removed', line: 'b' },
      { op: 'added', line: 'x' },
      { op: 'same', line: 'c' },
      { op: 'added', line: 'd' },
    ]);
    expect(lineDiff('', '')).to.deep.equal([{ op: 'same', line: '' }]);
  });

  it('shows two unchanged lines around each change and counts the rest, as a unified diff', () => {
    const before = ['1', '2', '3', '4', 'old', '5', '6', '7', '8', '9', '10', 'tail'].join('\n');
    const after = ['1', '2', '3', '4', 'new', '5', '6', '7', '8', '9', '10', 'TAIL'].join('\n');
    const ops = withContext(lineDiff(before, after), 2).map((r) => (r.op === 'skipped' ? `…${r.count}` : `${r.op[0]}${r.line}`));
    expect(ops).to.deep.equal(['…2', 's3', 's4', 'rold', 'anew', 's5', 's6', '…2', 's9', 's10', 'rtail', 'aTAIL']);
    // A run one longer than its context is shown whole (a row saying "1 line unchanged" hides nothing).
    expect(withContext(lineDiff('a\nb\nc\nd', 'a\nb\nc\nD'), 2).map((r) => r.op)).to.deep.equal(['same', 'same', 'same', 'removed', 'added']);
  });
});
