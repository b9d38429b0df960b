// Virus-scanner hook: when CLAMDSCAN_PATH names a scanner (clamdscan, or clamscan with its own
// database), every temporary file is scanned before it is accepted. Exit code 0 = clean,
// 1 = infected, anything else (or a timeout) = could not scan, and the file is refused (fail closed).
import { execFile } from 'node:child_process';
import { refused } from './errors.ts';

export interface ScanResult {
  clean: boolean;
  output: string;
}

export function runScanner(scannerPath: string, file: string, timeoutMs = 60_000): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    execFile(scannerPath, ['--no-summary', '--stdout', file], { timeout: timeoutMs, maxBuffer: 256 * 1024 }, (err, stdout, stderr) => {
      const output = `${stdout ?? ''}${stderr ?? ''}`.trim().slice(0, 2000);
      if (!err) resolve({ code: 0, output });
      else resolve({ code: typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : null, output: output || err.message });
    });
  });
}

/** Throws an UploadError unless the scanner says the file is clean; no-op without a scanner. */
export async function scanOrRefuse(scannerPath: string | undefined, file: string, displayName: string): Promise<string | undefined> {
  if (!scannerPath) return undefined;
  const r = await runScanner(scannerPath, file);
  if (r.code === 0) return r.output;
  if (r.code === 1) throw Object.assign(refused.infected(displayName), { scanOutput: r.output });
  throw Object.assign(refused.scanFailed(displayName), { scanOutput: r.output });
}
