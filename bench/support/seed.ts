// The benchmarks' data set: seeded with scripts/seed-bench.ts when the data directory holds no
// benchmark accounts, holds another number of cases, or was written by an older seed (SEED_FORMAT).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ACCOUNTS_FILE, SEED_FORMAT, type BenchAccounts } from '../../scripts/seed-bench.ts';

export function seedIfNeeded(opts: { root: string; dataDir: string; cases: number; env: Record<string, string | undefined> }): BenchAccounts {
  const file = path.join(opts.dataDir, ACCOUNTS_FILE);
  const current = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<BenchAccounts>) : undefined;
  if (!current?.officers?.length || !current.applicants?.length || current.cases !== opts.cases || current.format !== SEED_FORMAT) {
    process.stdout.write(`seeding ${opts.cases} cases into ${opts.dataDir} …\n`);
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/seed-bench.ts', '--cases', String(opts.cases), '--reset'], {
      cwd: opts.root,
      env: { ...opts.env, DATA_DIR: opts.dataDir, UPLOAD_DIR: path.join(opts.dataDir, 'uploads') },
      stdio: 'inherit',
    });
    if (r.status !== 0) throw new Error('seeding failed');
  }
  return JSON.parse(readFileSync(file, 'utf8')) as BenchAccounts;
}
