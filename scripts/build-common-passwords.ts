// Rebuilds server/accounts/common-passwords.txt from the list shipped in the npm package
// @zxcvbn-ts/language-common (MIT). The package is fetched with `npm pack` into a temporary folder,
// so it is not a runtime dependency; the resulting file is committed.
//   node --import tsx scripts/build-common-passwords.ts
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { commonPasswordsFile } from '../server/accounts/passwords.ts';

const PACKAGE = '@zxcvbn-ts/language-common@4.1.3';

const dir = mkdtempSync(path.join(tmpdir(), 'common-passwords-'));
try {
  execFileSync('npm', ['pack', PACKAGE, '--pack-destination', dir, '--silent'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const tgz = readdirSync(dir).find((f) => f.endsWith('.tgz'));
  if (!tgz) throw new Error('npm pack produced no archive');
  execFileSync('tar', ['xzf', path.join(dir, tgz), '-C', dir]);
  const list = JSON.parse(readFileSync(path.join(dir, 'package/src/passwords.json'), 'utf8')) as unknown;
  if (!Array.isArray(list)) throw new Error('unexpected format of passwords.json');
  const words = [...new Set(list.map((w) => String(w).trim().toLowerCase()).filter((w) => w.length > 0 && !w.includes('\n')))];
  writeFileSync(
    commonPasswordsFile,
    `${words.join('\n')}\n`,
  );
  process.stdout.write(`wrote ${words.length} common passwords to ${path.relative(process.cwd(), commonPasswordsFile)} (from ${PACKAGE})\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
