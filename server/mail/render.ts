// E-mail templates: views/emails/<template>/<locale>.subject.hbs, <locale>.text.hbs and
// <locale>.html.hbs (the HTML one is wrapped in views/emails/layout.<locale>.html.hbs).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import Handlebars from 'handlebars';
import { viewsDir, helpers } from '../views/engine.ts';
import type { Locale } from '../i18n/index.ts';

const hb = Handlebars.create();
for (const [name, fn] of Object.entries(helpers)) hb.registerHelper(name, fn as Handlebars.HelperDelegate);

const cache = new Map<string, Handlebars.TemplateDelegate>();

async function compile(file: string, escape: boolean): Promise<Handlebars.TemplateDelegate> {
  const key = `${file}:${escape}`;
  let tpl = cache.get(key);
  if (!tpl) {
    tpl = hb.compile(await readFile(file, 'utf8'), { noEscape: !escape, strict: false });
    cache.set(key, tpl);
  }
  return tpl;
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

export async function renderEmail(template: string, locale: Locale, data: Record<string, unknown>): Promise<RenderedMail> {
  if (!/^[a-z0-9_-]+(\/[a-z0-9_-]+)?$/.test(template)) throw new Error(`bad e-mail template name: ${template}`);
  const dir = path.join(viewsDir, 'emails', template);
  const ctx = { ...data, locale };
  const subject = (await compile(path.join(dir, `${locale}.subject.hbs`), false))(ctx).trim().replace(/\s+/g, ' ');
  const text = (await compile(path.join(dir, `${locale}.text.hbs`), false))(ctx);
  const body = (await compile(path.join(dir, `${locale}.html.hbs`), true))(ctx);
  const layout = await compile(path.join(viewsDir, 'emails', `layout.${locale}.html.hbs`), true);
  const html = layout({ ...ctx, subject, body: new Handlebars.SafeString(body) });
  return { subject, text, html };
}
