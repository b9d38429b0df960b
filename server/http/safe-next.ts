/** A redirect target taken from user input: only a local path, never another site. */
export function safeNextPath(value: unknown, fallback: string): string {
  if (typeof value !== 'string' || value.length > 2000) return fallback;
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return fallback;
  if (/[\r\n]/.test(value)) return fallback;
  return value;
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
