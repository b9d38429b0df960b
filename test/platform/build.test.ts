// `npm start` runs the compiled server (dist/server, scripts/build.mjs) and builds it first, so what
// starts is always today's sources. The bundle itself is exercised by every test that starts the app
// as a child process (platform/start, security/secrets, the drills).
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SERVER_ENTRY } from '../../scripts/support/start-flags.ts';

const root = path.resolve(import.meta.dirname, '../..');

function build(): string {
  const r = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: root, encoding: 'utf8' });
  expect(r.status, r.stderr).to.equal(0);
  return r.stdout;
}

/** Every .ts file under `dir` (relative to the root). */
function sources(dir: string): string[] {
  return readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.join(dir, f));
}

describe('platform: the compiled server npm start runs', function () {
  this.timeout(60_000);

  it('is built before every npm start, from the sources, into the entry the start script runs', () => {
    const scripts = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.prestart).to.equal('node scripts/build.mjs');
    expect(scripts.start!.endsWith(` ${SERVER_ENTRY}`)).to.equal(true);
    build();
    expect(existsSync(path.join(root, SERVER_ENTRY))).to.equal(true);
    // The embedded database's worker thread has its own compiled entry beside main.js.
    expect(existsSync(path.join(root, 'dist/server/worker.js'))).to.equal(true);
  });

  it("finds files from the checkout root, not from a module's folder (dist/server in the bundle)", () => {
    const bundled = ['server', 'models', 'routes', 'embedded-mongo/src'].flatMap(sources);
    const offenders = bundled.filter((f) => f !== path.join('server', 'support', 'project-root.ts') && readFileSync(path.join(root, f), 'utf8').includes('import.meta.dirname'));
    expect(offenders, 'use fromRoot() (server/support/project-root.ts)').to.deep.equal([]);
  });

  it('rewrites nothing when the sources are unchanged, and removes chunks no build produces any more', () => {
    build();
    const stale = path.join(root, 'dist/server/chunk-STALE000.js');
    writeFileSync(stale, 'export {};\n');
    // A killed build's temporary file goes; a running build's (this process stands for it) stays.
    const killedBuild = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    const leftOver = path.join(root, `dist/server/main.js.${killedBuild}.tmp`);
    const running = path.join(root, `dist/server/main.js.${process.pid}.tmp`);
    writeFileSync(leftOver, 'partial');
    writeFileSync(running, 'partial');
    try {
      const out = build();
      expect(out).to.match(/^dist\/server: 0 of \d+ files written/);
      expect(existsSync(stale)).to.equal(false);
      expect(existsSync(leftOver), 'a killed build\'s temporary file').to.equal(false);
      expect(existsSync(running), "a running build's temporary file").to.equal(true);
    } finally {
      rmSync(leftOver, { force: true });
      rmSync(running, { force: true });
    }
  });
});
