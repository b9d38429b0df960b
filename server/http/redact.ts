// Secret tokens carried in a path stay out of every log line: one-time links (e-mail verification,
// password reset, invitations) and the calendar feed's standing token (/calendar/<token>.ics); and
// a CSRF token in a query string (refused there, server/http/csrf.ts, but an old page may send one).
const TOKEN_IN_PATH = /(\/(?:verify-email|password\/reset|invitations|calendar)\/)[A-Za-z0-9_-]{16,}/g;
const CSRF_IN_QUERY = /([?&]_csrf=)[^&#]*/g;

/** The path or URL with any such token replaced by "[redacted]". */
export function redactPath(url: string): string {
  return url.replace(TOKEN_IN_PATH, '$1[redacted]').replace(CSRF_IN_QUERY, '$1[redacted]');
}
