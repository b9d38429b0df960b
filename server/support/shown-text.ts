// Text that came from outside (a file name an applicant's browser sent, a backup's manifest, a
// database's error) shown to a person as it is, never acted on: on a page, or on an operator's
// terminal, where ESC sequences rewrite the screen (hide a warning, fake "signature verified"), a CR
// writes over the line and bidi overrides reorder it (the "Trojan Source" characters, CVE-2021-42574).
// One helper for the upload refusals (server/http/upload-engine.ts) and the backup and restore
// commands (scripts/backup.ts, scripts/restore.ts, server/backup/).

/** Control (C0, DEL, C1), format (bidi marks, overrides and isolates, zero-width characters, BOM, tags), separator and lone surrogate characters. */
const UNSHOWN = /^[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]$/u;

/** A quoted text's default bound: its beginning and its end are kept, cut between them. */
export const SHOWN_MAX = 200;

function mark(c: string): string {
  const code = c.codePointAt(0)!;
  // C0 controls and DEL have visible pictures (U+2400…U+2421: ␀ ␊ ␍ ␛ ␡).
  if (code < 0x20) return String.fromCodePoint(0x2400 + code);
  if (code === 0x7f) return '\u2421';
  return `[U+${code.toString(16).toUpperCase().padStart(4, '0')}]`;
}

/**
 * `raw` made safe to show: control characters as visible marks (␀, ␊, ␍, ␛), the other control,
 * format and separator characters by their code ([U+202E], [U+0085]); at most `max` characters,
 * whole characters and whole marks, its beginning and end kept with "…" between. The result holds no
 * line break: one line, whatever `raw` holds. Showing it again changes nothing.
 */
export function shownText(raw: unknown, max = SHOWN_MAX): string {
  const text = typeof raw === 'string' ? raw : String(raw);
  const parts = [...text.normalize('NFC')].map((c) => (UNSHOWN.test(c) ? mark(c) : c));
  let length = 0;
  for (const p of parts) length += [...p].length;
  if (length <= max) return parts.join('');
  const tail = Math.min(60, Math.floor(max / 3));
  const take = (from: string[], room: number) => {
    const out: string[] = [];
    let n = 0;
    for (const p of from) {
      const l = [...p].length;
      if (n + l > room) break;
      out.push(p);
      n += l;
    }
    return out;
  };
  const head = take(parts, max - tail - 1);
  const end = take([...parts].reverse(), tail).reverse();
  return `${head.join('')}…${end.join('')}`;
}

/**
 * A message of several lines made safe for a terminal or a log, line by line (its own line breaks
 * kept, each line shownText'd, at most `maxPerLine`). What it quotes should have been shown with
 * shownText already (a line break inside a quoted name would otherwise start a line of its own).
 */
export function shownLines(text: string, maxPerLine = 4000): string {
  return text
    .split('\n')
    .map((line) => shownText(line, maxPerLine))
    .join('\n');
}

/**
 * An error no code expected, for a terminal: its message on one line (a driver's message may quote a
 * document: a duplicate key, a name), then its stack's frames.
 */
export function shownError(err: unknown): string {
  if (!(err instanceof Error)) return shownText(String(err), 2000);
  const head = `${err.name}: ${err.message}`;
  const stack = err.stack ?? '';
  const frames = stack.startsWith(head) ? stack.slice(head.length) : `\n${stack.split('\n').filter((l) => /^\s+at /.test(l)).join('\n')}`;
  return `${shownText(head, 2000)}${shownLines(frames)}`;
}
