/** A redirect target taken from user input: only a local path, never another site. */
export function safeNextPath(value: unknown, fallback: string): string {
  if (typeof value !== 'string' || value.length > 2000) return fallback;
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return fallback;
  if (/[\r\n]/.test(value)) return fallback;
  return value;
}

/**
 * A local path without the `lang` an e-mail's link carries (server/http/locale.ts): the language
 * switcher goes back to the page it was used on, where that parameter would undo the choice.
 */
export function withoutLinkLanguage(p: string): string {
  const hash = p.indexOf('#');
  const base = hash < 0 ? p : p.slice(0, hash);
  const q = base.indexOf('?');
  if (q < 0) return p;
  const params = new URLSearchParams(base.slice(q + 1));
  if (!params.has('lang')) return p;
  params.delete('lang');
  const rest = params.toString();
  return `${base.slice(0, q)}${rest ? `?${rest}` : ''}${hash < 0 ? '' : p.slice(hash)}`;
}

/** The page a same-site request came from (path and query), from its Referer; undefined otherwise. */
export function sameSiteReferrer(referer: string | undefined, host: string | undefined): string | undefined {
  if (!referer || !host) return undefined;
  try {
    const u = new URL(referer);
    return u.host === host ? u.pathname + u.search : undefined;
  } catch {
    return undefined;
  }
}
