// Every page template is compiled with the options the view engine uses (server/views/engine.ts:
// known helpers only), so a template calling a helper that does not exist fails here, not as a 500
// on the first visit to a page no other test renders.
import { expect } from 'chai';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import { KNOWN_HELPERS, viewsDir } from '../../server/views/engine.ts';

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
