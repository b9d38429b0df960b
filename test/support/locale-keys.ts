// Translation keys as both languages must have them. A plural is one text per plural category of
// its language (CLDR, as i18next looks them up): English `_one` and `_other`, Vietnamese `_other`
// only (it has no other form). So keys are compared with the category taken off, and each
// language's plurals are checked to have exactly its own categories. `_zero` is i18next's own
// (for a count of 0 in any language): it stays part of the key.

const CATEGORY = /_(one|two|few|many|other)$/;

/** Every key of a locale file's object, dotted. */
export function localeKeys(obj: unknown, prefix = ''): string[] {
  if (!obj || typeof obj !== 'object') return [prefix];
  return Object.entries(obj as Record<string, unknown>).flatMap(([k, v]) => localeKeys(v, prefix ? `${prefix}.${k}` : k));
}

/** The keys with each plural once (its category taken off), sorted. */
export function comparableKeys(keys: readonly string[]): string[] {
  return [...new Set(keys.map((k) => k.replace(CATEGORY, '')))].sort();
}

/**
 * The plurals whose forms are not those of the language: `base → categories found`. A plural is a
 * key ending in a category; its forms must be exactly the language's categories.
 */
export function pluralFormsAmiss(keys: readonly string[], lng: string): Record<string, string[]> {
  const wanted = new Intl.PluralRules(lng).resolvedOptions().pluralCategories.filter((c) => c !== 'zero').sort();
  const found = new Map<string, string[]>();
  for (const k of keys) {
    const m = CATEGORY.exec(k);
    if (m) found.set(k.slice(0, m.index), [...(found.get(k.slice(0, m.index)) ?? []), m[1]!]);
  }
  return Object.fromEntries([...found].map(([base, cats]) => [base, cats.sort()]).filter(([, cats]) => (cats as string[]).join() !== wanted.join()));
}
