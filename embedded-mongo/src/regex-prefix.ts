// The literal text an anchored regular expression's matches start with: the planner reads an index
// range from it (collection.ts), and a pattern that is that text and nothing more needs no regex run
// at all (fast-match.ts) and can be counted from the index alone.

/** Characters with a meaning in a regular expression (anything else stands for itself). */
const REGEX_SPECIAL = new Set([...'\\^$.|?*+()[]{}']);

/**
 * The literal prefix every match of an anchored regex starts with (`^abc` → 'abc'), or undefined:
 * unanchored, an alternation, or flags under which a prefix does not bound the matches (i, m, x).
 * A character followed by ?, * or { may be absent, so the prefix stops before it.
 */
export function regexPrefix(pattern: string, flags: string): string | undefined {
  if (!pattern.startsWith('^') || /[imx]/.test(flags) || pattern.includes('|')) return undefined;
  let prefix = '';
  let i = 1;
  for (; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      const next = pattern[i + 1];
      // An escaped special character is that character; \d, \w and the like are classes.
      if (next === undefined || !REGEX_SPECIAL.has(next)) break;
      prefix += next;
      i++;
      continue;
    }
    if (REGEX_SPECIAL.has(c)) break;
    prefix += c;
  }
  const after = pattern[i];
  if (after === '?' || after === '*' || after === '{') prefix = prefix.slice(0, -1);
  return prefix || undefined;
}

/** The anchored pattern that matches exactly the strings starting with `prefix`. */
function literalPattern(prefix: string): string {
  let out = '^';
  for (const c of prefix) out += REGEX_SPECIAL.has(c) ? `\\${c}` : c;
  return out;
}

/** The prefix when the whole pattern is `^` and literal text (/^nguyen/, /^a\.b/): a match is exactly a string starting with it. */
export function literalRegexPrefix(pattern: string, flags: string): string | undefined {
  const prefix = regexPrefix(pattern, flags);
  return prefix !== undefined && literalPattern(prefix) === pattern ? prefix : undefined;
}
