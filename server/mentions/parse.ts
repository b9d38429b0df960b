// Finds who a note names with `@`: an e-mail address (`@hoa.nguyen@inst.vn`), a full name
// (`@Nguyễn Thị Hoa`, the longest name that the text starts with) or one word of a name (`@Hoa`).
// Pure and bounded: only the first MAX_MENTIONS `@` are read, each over at most LOOKAHEAD
// characters, names are compared as plain strings (no pattern is ever built from the text), and
// colleagues are kept in a Map, so `@$where`, `@__proto__` or a very long text are only text.

export const MAX_MENTIONS = 20;
const LOOKAHEAD = 120;
const EMAIL = /^[a-z0-9._%+-]{1,64}@[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63})+/;
const WORD = /^[\p{L}\p{N}]{1,40}/u;
const WORD_CHAR = /[\p{L}\p{N}]/u;

export interface Colleague {
  id: string;
  name: string;
  email: string;
}

export type Resolution =
  | { kind: 'one'; label: string; colleague: Colleague; index: number }
  | { kind: 'ambiguous'; label: string; candidates: Colleague[]; index: number }
  /** An `@` followed by an e-mail address or a word that names no one indexed; the label is only what was typed. */
  | { kind: 'none'; label: string; index: number };

/** Lower case, composed (NFC), single spaces: how names are compared. */
export function fold(s: string): string {
  return s.normalize('NFC').toLocaleLowerCase('vi').replace(/\s+/g, ' ').trim();
}

/** The `@` that start a mention: at the start, or after something that is not a letter or digit (so `a@b.vn` is not one). */
export function mentionStarts(text: string): number[] {
  const out: number[] = [];
  for (let i = text.indexOf('@'); i !== -1 && out.length < MAX_MENTIONS; i = text.indexOf('@', i + 1)) {
    if (i > 0 && WORD_CHAR.test(text[i - 1]!)) continue;
    out.push(i);
  }
  return out;
}

interface Index {
  byEmail: Map<string, Colleague>;
  /** Folded full name → colleagues with it. */
  byName: Map<string, Colleague[]>;
  /** Folded single word of a name → colleagues whose name has it. */
  byWord: Map<string, Colleague[]>;
  /** Longest folded name first. */
  names: string[];
}

export function indexColleagues(colleagues: readonly Colleague[]): Index {
  const byEmail = new Map<string, Colleague>();
  const byName = new Map<string, Colleague[]>();
  const byWord = new Map<string, Colleague[]>();
  const add = (m: Map<string, Colleague[]>, k: string, c: Colleague) => {
    const list = m.get(k) ?? [];
    if (!list.includes(c)) list.push(c);
    m.set(k, list);
  };
  for (const c of colleagues) {
    byEmail.set(c.email.toLowerCase(), c);
    const name = fold(c.name);
    if (!name) continue;
    add(byName, name, c);
    for (const w of name.split(' ')) add(byWord, w, c);
  }
  const names = [...byName.keys()].sort((a, b) => b.length - a.length);
  return { byEmail, byName, byWord, names };
}

/**
 * An `@` that names no one indexed, labelled with only what was typed right after it: an e-mail
 * address, else the first word. Undefined when neither follows it directly (`@ 5pm`, `@$where`).
 */
function nobody(raw: string, at: number): Resolution | undefined {
  const typed = raw.normalize('NFC');
  const label = EMAIL.exec(typed.toLowerCase())?.[0] ?? WORD.exec(typed)?.[0];
  return label ? { kind: 'none', label: `@${label}`, index: at } : undefined;
}

/** Who each `@` of the text names, in order; an `@` that names no one indexed is `none` (or left out when nothing word-like follows it). */
export function resolveMentions(text: string, index: Index): Resolution[] {
  const out: Resolution[] = [];
  for (const at of mentionStarts(text)) {
    const raw = text.slice(at + 1, at + 1 + LOOKAHEAD);
    const rest = fold(raw);
    const email = EMAIL.exec(rest.toLowerCase());
    if (email) {
      const c = index.byEmail.get(email[0]);
      const found = c ? ({ kind: 'one', label: `@${email[0]}`, colleague: c, index: at } as const) : nobody(raw, at);
      if (found) out.push(found);
      continue;
    }
    // The longest full name the text starts with, ending at a word boundary.
    const name = index.names.find((n) => rest.startsWith(n) && !WORD_CHAR.test(rest.charAt(n.length)));
    if (name) {
      const found = index.byName.get(name)!;
      const label = `@${raw.slice(0, name.length)}`;
      out.push(found.length === 1 ? { kind: 'one', label, colleague: found[0]!, index: at } : { kind: 'ambiguous', label, candidates: found, index: at });
      continue;
    }
    const word = WORD.exec(rest)?.[0];
    const found = word ? index.byWord.get(word) : undefined;
    if (!word || !found) {
      const none = nobody(raw, at);
      if (none) out.push(none);
      continue;
    }
    const label = `@${raw.slice(0, word.length)}`;
    out.push(found.length === 1 ? { kind: 'one', label, colleague: found[0]!, index: at } : { kind: 'ambiguous', label, candidates: found, index: at });
  }
  return out;
}

/** A short piece of the note around the mention (for the e-mail and the home page). */
export function excerptAround(text: string, at: number, max = 240): string {
  if (text.length <= max) return text;
  const start = Math.max(0, Math.min(at - 60, text.length - max));
  return `${start > 0 ? '…' : ''}${text.slice(start, start + max).trim()}${start + max < text.length ? '…' : ''}`;
}
