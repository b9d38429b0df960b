// A line-by-line diff of two short texts (the editor's "what changed in the built-in template"):
// the longest common subsequence of their lines, as kept / removed / added lines in order.

export type DiffLine = { op: 'same' | 'removed' | 'added'; line: string };

/** Beyond this many line pairs the table would be too big to be worth it: all removed, then all added. */
const MAX_CELLS = 4_000_000;

export function lineDiff(before: string, after: string): DiffLine[] {
  const a = before.split('\n');
  const b = after.split('\n');
  if (a.length * b.length > MAX_CELLS) return [...a.map((line) => ({ op: 'removed' as const, line })), ...b.map((line) => ({ op: 'added' as const, line }))];
  // lcs[i][j]: the longest common subsequence of a[i..] and b[j..], in one flat table.
  const w = b.length + 1;
  const lcs = new Uint32Array((a.length + 1) * w);
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i * w + j] = a[i] === b[j] ? lcs[(i + 1) * w + j + 1]! + 1 : Math.max(lcs[(i + 1) * w + j]!, lcs[i * w + j + 1]!);
    }
  }
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      out.push({ op: 'same', line: a[i]! });
      i++;
      j++;
    } else if (lcs[(i + 1) * w + j]! >= lcs[i * w + j + 1]!) out.push({ op: 'removed', line: a[i++]! });
    else out.push({ op: 'added', line: b[j++]! });
  }
  while (i < a.length) out.push({ op: 'removed', line: a[i++]! });
  while (j < b.length) out.push({ op: 'added', line: b[j++]! });
  return out;
}

export type DiffRow = DiffLine | { op: 'skipped'; count: number };

/**
 * The changes with `context` unchanged lines around each, as a unified diff's hunks: a longer run of
 * unchanged lines is one row counting them (none at the ends beyond the context).
 */
export function withContext(lines: DiffLine[], context: number): DiffRow[] {
  const rows: DiffRow[] = [];
  for (let i = 0; i < lines.length; ) {
    if (lines[i]!.op !== 'same') {
      rows.push(lines[i++]!);
      continue;
    }
    let end = i;
    while (end < lines.length && lines[end]!.op === 'same') end++;
    const head = i === 0 ? 0 : context;
    const tail = end === lines.length ? 0 : context;
    const run = lines.slice(i, end);
    if (run.length > head + tail + 1) rows.push(...run.slice(0, head), { op: 'skipped', count: run.length - head - tail }, ...run.slice(run.length - tail));
    else rows.push(...run);
    i = end;
  }
  return rows;
}
